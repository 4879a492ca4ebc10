"""Real stand-ins for the providers: an HTTP server on 127.0.0.1 (WeCom and DingTalk robots, the SMS
gateway) whose answer is chosen per path, and an SMTP server (aiosmtpd) in the test process."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.choices import Role
from notify import services


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Stub:
    """Answers by path prefix: /ok (robot success), /robot-error, /sms-ok, /sms-error, /down (HTTP
    500), /bad-request (HTTP 400), /slow (answers after `slow_s`), /hang (never answers until
    released). Every request is recorded in `hits`."""

    url: str
    hits: list[Hit] = field(default_factory=list)
    slow_s: float = 3.0
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    def on(self, path: str) -> str:
        return f"{self.url}{path}"

    def paths(self) -> list[str]:
        return [h.path for h in self.hits]


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a killed worker is gone
                self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            stub.hits.append(Hit(parts.path, parse_qs(parts.query), dict(self.headers.items()), body))
            stub.arrived.set()
            p = parts.path
            if p.startswith("/ok"):
                self._answer(200, {"errcode": 0, "errmsg": "ok"})
            elif p.startswith("/robot-error"):
                self._answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
            elif p.startswith("/sms-ok"):
                self._answer(200, {"code": "OK", "message": "sent"})
            elif p.startswith("/sms-error"):
                self._answer(200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "bad number"})
            elif p.startswith("/down"):
                self._answer(500, {"error": "upstream down"})
            elif p.startswith("/bad-request"):
                self._answer(400, {"error": "malformed"})
            elif p.startswith("/slow"):
                time.sleep(stub.slow_s)
                self._answer(200, {"errcode": 0, "errmsg": "ok"})
            elif p.startswith("/hang"):
                stub.release.wait(60)
                self._answer(200, {"errcode": 0, "errmsg": "ok"})
            else:
                self._answer(404, {"error": "no such path"})

    return Handler


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Stub(url="")))
    # The handler class holds the Stub made above; rebuild it with the bound port's URL.
    s = Stub(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(s)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield s
    finally:
        s.release.set()
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """aiosmtpd on a free loopback port, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if address in box.refuse:
                return "550 5.1.1 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            from email import message_from_bytes, policy

            box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = box.host, box.port
    settings.EMAIL_USE_TLS = False
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def people(make_user: Any, geography: Any) -> dict[str, Any]:
    """Who may receive what in the shared geography (650100 city; 650102, 650103 districts)."""
    return {
        "chief": make_user(Role.CHIEF, "650102", username="n_chief", email="chief@example.cn", phone="13800138000"),
        "chief_b": make_user(Role.CHIEF, "650103", username="n_chief_b"),
        "rev_650102": make_user(Role.REVIEWER, "650102", username="n_rev_tianshan", email="rev@example.cn"),
        "rev_650103": make_user(Role.REVIEWER, "650103", username="n_rev_saybagh"),
        "city_rev": make_user(Role.REVIEWER, "650100", username="n_city_rev"),
        "operator": make_user(Role.OPERATOR, "650100", username="n_operator", email="op@example.cn"),
        "admin": make_user(Role.ADMIN, "", username="n_admin"),
    }


def raise_event(type_: str = "case_assigned", division: str = "650102", people_ids: list[int] | None = None, **kw: Any):
    from django.db import transaction

    with transaction.atomic():
        return services.event_raise(
            type=type_,
            division_code=division,
            subject_type=kw.pop("subject_type", "patrols.case"),
            subject_id=kw.pop("subject_id", "c-1"),
            people=people_ids or [],
            figures=kw.pop("figures", {"case": "C1"}),
            link=kw.pop("link", "/api/v1/patrols/cases/c-1/"),
            **kw,
        )
