"""A section's class month by month (quality.selectors.section_months, the console's class history):
each month what `section_evaluation` gives for that month, from a fixed few queries for the whole year."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.periods import month, year
from quality.selectors import section_evaluation, section_months
from tests.quality.conftest import beijing
from tests.quality.test_summary import GOOD_RIVER, IV_RIVER

pytestmark = pytest.mark.django_db


def test_section_months_equal_the_evaluation_of_each_month(sections, record):
    river = sections["river_e"]
    for m in (1, 2, 3, 5, 8, 12):  # months without samples in between; two samples in March
        record(river, beijing(2024, m), IV_RIVER if m in (2, 8) else GOOD_RIVER)
    record(river, beijing(2024, 3, day=20), IV_RIVER)
    record(river, beijing(2023, 12, day=31, hour=23), IV_RIVER)  # last year: not in the history
    record(sections["river_w"], beijing(2024, 3), IV_RIVER)  # another section: not in it either
    with CaptureQueriesContext(connection) as ctx:
        history = section_months(section=river, period=year(2024))
    assert len(ctx) <= 3  # results, samples (and the classifier's options): not per month
    expected = [section_evaluation(section=river, period=month(2024, m)) for m in range(1, 13)]
    assert [h.to_dict(items=True) for h in history] == [e.to_dict(items=True) for e in expected]
    assert [h.cls for h in history] == [e.cls for e in expected]
    assert [h.means.samples if h.means else 0 for h in history] == [1, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    assert [history[0].cls, history[1].cls, history[3].cls] == [3, 4, None]
