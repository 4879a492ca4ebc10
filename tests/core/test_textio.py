"""core.textio and core.api.parsers: how uploaded CSV bodies are read and decoded."""

import io

import pytest
from django.core.exceptions import RequestDataTooBig

from core.api.parsers import CSVBody, CSVParser, charset_of, read_body
from core.exceptions import InvalidInput
from core.textio import decode_text

TEXT = "断面,日期\n乌鲁木齐河,2024-01-05\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_utf8_with_or_without_bom_and_gb18030_decode_without_a_declared_charset(encoding):
    assert decode_text(TEXT.encode(encoding)) == TEXT


def test_a_declared_charset_is_used_and_a_wrong_one_names_the_field():
    assert decode_text(TEXT.encode("gb18030"), "gb18030") == TEXT
    with pytest.raises(InvalidInput) as exc:
        decode_text(TEXT.encode("gb18030"), "utf-8", field="file")
    assert "file" in exc.value.fields
    with pytest.raises(InvalidInput):
        decode_text(b"abc", "no-such-charset")


def test_bytes_that_are_no_text_are_refused():
    with pytest.raises(InvalidInput) as exc:
        decode_text(b"\x81\x30\xff\xfe\x00\x81")
    assert "body" in exc.value.fields


def test_charset_of_reads_the_content_type_parameter():
    assert charset_of("text/csv; charset=GB18030") == "GB18030"
    assert charset_of('text/csv; header=present; charset="utf-8"') == "utf-8"
    assert charset_of("text/csv") is None
    assert charset_of(None) is None


def test_the_parser_keeps_bytes_and_charset(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = CSVParser().parse(io.BytesIO(TEXT.encode("gb18030")), "text/csv; charset=gb18030")
    assert isinstance(body, CSVBody)
    assert bytes(body) == TEXT.encode("gb18030")
    assert body.charset == "gb18030"


def test_a_body_over_the_limit_is_refused(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    assert read_body(io.BytesIO(b"x" * 10)) == b"x" * 10
    with pytest.raises(RequestDataTooBig):
        read_body(io.BytesIO(b"x" * 11))
