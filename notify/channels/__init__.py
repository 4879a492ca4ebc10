"""The channels, each behind one small interface: `send(message) -> Answer`.

A backend never raises for a provider's failure: it answers `ok=False` with the provider's status
and text, and `permanent=True` when trying again cannot help (a refused address, a 4xx other than
408/429). Each message carries the notification's `uid`, sent as the provider's message id where
the provider has one and as `X-Hezhang-Message-Id` otherwise, so a resend after a lost answer is
recognisable as the same message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from notify import conf
from notify.choices import Channel


@dataclass(frozen=True, slots=True)
class Message:
    uid: str
    title: str
    body: str
    link: str
    address: str  # e-mail, mobile number or webhook URL
    secret: str = ""  # DingTalk signing secret


@dataclass(frozen=True, slots=True)
class Answer:
    ok: bool
    status: str
    text: str
    permanent: bool = False


class ChannelBackend(Protocol):
    def send(self, message: Message) -> Answer: ...


def _post_json(
    url: str, payload: dict[str, Any], *, uid: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    data = json.dumps(payload, ensure_ascii=False).encode()
    req = urllib.request.Request(  # noqa: S310 - the URL was checked to be https (or an allowed test host)
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "X-Hezhang-Message-Id": uid, **(headers or {})},
    )
    with urllib.request.urlopen(req, timeout=conf.http_timeout()) as resp:  # noqa: S310 - as above
        return resp.status, resp.read(4000).decode("utf-8", "replace")


def _http(
    url: str, payload: dict[str, Any], *, uid: str, headers: dict[str, str] | None = None
) -> tuple[Answer | None, str]:
    """POST; an Answer for a transport or HTTP failure, else (None, body)."""
    try:
        status, text = _post_json(url, payload, uid=uid, headers=headers)
    except urllib.error.HTTPError as e:
        body = e.read(1000).decode("utf-8", "replace") if e.fp else ""
        permanent = 400 <= e.code < 500 and e.code not in (408, 429)
        return Answer(False, f"HTTP {e.code}", body[:1000], permanent=permanent), ""
    except TimeoutError:
        return Answer(False, "timeout", f"no answer within {conf.http_timeout()} s"), ""
    except (urllib.error.URLError, OSError) as e:
        return Answer(False, "unreachable", str(getattr(e, "reason", e))[:1000]), ""
    if not 200 <= status < 300:
        return Answer(False, f"HTTP {status}", text[:1000]), ""
    return None, text


class RobotChannel:
    """A WeCom or DingTalk group robot: POST {"msgtype": "markdown", ...} to the webhook; the
    answer is {"errcode": 0, "errmsg": "ok"} on success (stack-notes, vendors' docs)."""

    def payload(self, message: Message) -> dict[str, Any]:
        raise NotImplementedError

    def url(self, message: Message) -> str:
        return message.address

    def send(self, message: Message) -> Answer:
        failed, text = _http(self.url(message), self.payload(message), uid=message.uid)
        if failed:
            return failed
        try:
            answer = json.loads(text)
            code = answer.get("errcode")
        except (ValueError, AttributeError):
            return Answer(False, "bad answer", text[:1000])
        if code == 0:
            return Answer(True, "errcode 0", text[:1000])
        return Answer(False, f"errcode {code}", str(answer.get("errmsg", ""))[:1000])


def _markdown(message: Message) -> str:
    link = f"\n\n[{message.link}]({message.link})" if message.link else ""
    body = message.body.replace(f"\n{message.link}", "") if message.link else message.body
    return f"**{message.title}**\n\n{body}{link}"


class WeComChannel(RobotChannel):
    def payload(self, message: Message) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"content": _markdown(message)}}


def dingtalk_signed_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    """DingTalk's signed URL: &timestamp=<ms>&sign=<url-encoded base64 HMAC-SHA256 of "ts\\nsecret">."""
    ts = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign}"


class DingTalkChannel(RobotChannel):
    def url(self, message: Message) -> str:
        return dingtalk_signed_url(message.address, message.secret) if message.secret else message.address

    def payload(self, message: Message) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": _markdown(message)}}


class EmailChannel:
    """Django's e-mail backend (SMTP with the EMAIL_* settings); the Message-ID is the row's uid."""

    def send(self, message: Message) -> Answer:
        import smtplib

        from django.conf import settings
        from django.core.mail import EmailMessage, get_connection

        mail = EmailMessage(
            subject=message.title,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={"Message-ID": f"<{message.uid}@hezhang.notify>"},
            connection=get_connection(timeout=conf.http_timeout()),
        )
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as e:
            return Answer(False, "recipient refused", str(e.recipients)[:1000], permanent=True)
        except smtplib.SMTPResponseException as e:
            return Answer(False, f"SMTP {e.smtp_code}", str(e.smtp_error)[:1000], permanent=500 <= e.smtp_code < 600)
        except (smtplib.SMTPException, OSError) as e:
            return Answer(False, "unreachable", str(e)[:1000])
        return Answer(True, "250", "accepted")


class SmsGatewayChannel:
    """An SMS provider behind a plain HTTP gateway (README "SMS gateway"): POST JSON
    {"id", "phone", "sign", "text"} with `Authorization: Bearer <NOTIFY_SMS_TOKEN>`; success is a
    2xx with {"code": "OK"}."""

    def send(self, message: Message) -> Answer:
        url = conf.sms_gateway_url()
        if not url:
            return Answer(False, "off", "NOTIFY_SMS_GATEWAY_URL is not set", permanent=True)
        payload = {
            "id": message.uid,
            "phone": message.address,
            "sign": conf.sms_sign(),
            "text": message.body,
        }
        failed, text = _http(url, payload, uid=message.uid, headers={"Authorization": f"Bearer {conf.sms_token()}"})
        if failed:
            return failed
        try:
            answer = json.loads(text)
        except ValueError:
            return Answer(False, "bad answer", text[:1000])
        if answer.get("code") == "OK":
            return Answer(True, "OK", text[:1000])
        return Answer(False, str(answer.get("code")), str(answer.get("message", ""))[:1000])


BUILT_IN: dict[str, type] = {
    Channel.EMAIL: EmailChannel,
    Channel.WECOM: WeComChannel,
    Channel.DINGTALK: DingTalkChannel,
    Channel.SMS: SmsGatewayChannel,
}


def backend(channel: str) -> ChannelBackend:
    override = conf.channel_backends().get(channel)
    try:
        cls = import_string(override) if override else BUILT_IN[channel]
    except (ImportError, KeyError) as e:
        raise ImproperlyConfigured(f"NOTIFY_CHANNEL_BACKENDS[{channel!r}]: {e}") from e
    return cls()
