"""Delivery through the real stand-ins: WeCom/DingTalk robots and the SMS gateway on a local HTTP
server (success, provider errors, HTTP errors, timeouts), e-mail through aiosmtpd; retries with
back-off, a channel down for an hour, the delivery log, and no resend of a delivered row."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest

from accounts.scope import scope_for
from notify import services
from notify.channels import dingtalk_signed_url
from notify.models import DeliveryAttempt, Notification
from tests.notify.conftest import raise_event

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)


def make_rule(people, channels, **kw):
    values = {"event_type": "meter_offline", "division_code": "650102", "channels": channels, **kw}
    return services.rule_create(actor=people["admin"], scope=scope_for(people["admin"]), **values)


def only(channel: str) -> Notification:
    return Notification.objects.get(channel=channel)


def deliver(n: Notification, now: dt.datetime = T0) -> services.DeliveryResult:
    return services.notification_deliver(notification_id=n.pk, now=now)


def test_wecom_robot_gets_markdown_with_the_message_id(people, stub):
    make_rule(people, ["wecom"], webhook_url=stub.on("/ok/cgi-bin/webhook/send?key=k1"), own_people=False)
    raise_event("meter_offline", "650102", figures={"meter": "WM-1", "intake": "一号取水口", "silent_hours": 5}, at=T0)
    n = only("wecom")
    assert n.target.startswith("rule:")
    assert n.status == "pending"
    assert deliver(n).status == "delivered"
    (hit,) = stub.hits
    assert hit.query == {"key": ["k1"]}
    assert hit.body["msgtype"] == "markdown"
    assert "一号取水口计量设施WM-1已5小时未上报数据" in hit.body["markdown"]["content"]
    assert hit.headers["X-Hezhang-Message-Id"] == str(n.uid)
    (attempt,) = DeliveryAttempt.objects.filter(notification=n)
    assert (attempt.outcome, attempt.provider_status, attempt.number) == ("delivered", "errcode 0", 1)
    # Delivered is final: a redelivered task sends nothing.
    assert deliver(n, T0 + dt.timedelta(hours=1)).status == "delivered"
    assert len(stub.hits) == 1


def test_dingtalk_signed_url(people, stub):
    make_rule(people, ["dingtalk"], webhook_url=stub.on("/ok/robot/send?access_token=t"), webhook_secret="SEC-1")
    raise_event("meter_offline", "650102", at=T0)
    assert deliver(only("dingtalk")).status == "delivered"
    (hit,) = stub.hits
    ts = hit.query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC-1", f"{ts}\nSEC-1".encode(), hashlib.sha256).digest()).decode()
    assert hit.query["sign"] == [expected]
    assert hit.query["access_token"] == ["t"]
    assert hit.body["msgtype"] == "markdown"
    assert hit.body["markdown"]["title"] == "计量设施离线"
    # The signature is URL-encoded (base64 has + / =).
    url = dingtalk_signed_url("https://x/send?access_token=t", "s", timestamp_ms=1)
    assert "%" in url.split("sign=")[1] or "+" not in url


def test_provider_error_is_retried_with_back_off_and_logged(people, stub, settings):
    settings.NOTIFY_RETRY_BASE_S = 60
    make_rule(people, ["wecom"], webhook_url=stub.on("/robot-error"))
    raise_event("meter_offline", "650102", at=T0)
    n = only("wecom")
    r = deliver(n)
    assert (r.status, r.retry_in) == ("pending", 60)
    n.refresh_from_db()
    assert n.last_error == "errcode 93000: invalid webhook url"
    assert n.due_at == T0 + dt.timedelta(seconds=60)
    # Not due yet: nothing is sent.
    assert deliver(n, T0 + dt.timedelta(seconds=30)).status == "pending"
    assert len(stub.hits) == 1
    r2 = deliver(n, T0 + dt.timedelta(seconds=60))
    assert (r2.status, r2.retry_in) == ("pending", 120)  # doubled


def test_http_4xx_fails_at_once_with_the_reason(people, stub):
    make_rule(people, ["wecom"], webhook_url=stub.on("/bad-request"))
    raise_event("meter_offline", "650102", at=T0)
    n = only("wecom")
    assert deliver(n).status == "failed"
    n.refresh_from_db()
    assert n.last_error.startswith("HTTP 400")
    assert n.attempts == 1


def test_timeout_is_an_error_to_retry(people, stub, settings):
    settings.NOTIFY_HTTP_TIMEOUT_S = 0.3
    stub.slow_s = 1.5
    make_rule(people, ["wecom"], webhook_url=stub.on("/slow"))
    raise_event("meter_offline", "650102", at=T0)
    n = only("wecom")
    assert deliver(n).status == "pending"
    assert DeliveryAttempt.objects.get(notification=n).provider_status == "timeout"


def test_a_channel_down_for_an_hour_is_retried_then_failed_with_the_reason(people, stub, settings):
    settings.NOTIFY_MAX_ATTEMPTS, settings.NOTIFY_RETRY_BASE_S = 8, 60
    make_rule(people, ["wecom"], webhook_url=stub.on("/down"))
    raise_event("meter_offline", "650102", at=T0)
    n = only("wecom")
    now, result = T0, deliver(n)
    while result.status == "pending":
        n.refresh_from_db()
        now = n.due_at  # the frozen clock moves to the next try
        result = deliver(n, now)
    n.refresh_from_db()
    assert (n.status, n.attempts) == ("failed", 8)
    assert n.last_error.startswith("HTTP 500")
    assert "upstream down" in n.last_error
    assert now - T0 >= dt.timedelta(hours=1)  # it kept trying through the hour
    log = list(DeliveryAttempt.objects.filter(notification=n).values_list("number", "outcome", "provider_status"))
    assert [x[0] for x in log] == list(range(1, 9))
    assert {x[2] for x in log} == {"HTTP 500"}
    assert log[-1][1] == "failed"
    assert len(stub.hits) == 8


def test_sms_gateway_shape_and_errors(people, stub, settings):
    settings.NOTIFY_SMS_GATEWAY_URL = stub.on("/sms-ok")
    settings.NOTIFY_SMS_TOKEN = "tok"
    make_rule(people, ["sms"], role="chief")
    raise_event("meter_offline", "650102", at=T0)
    n = only("sms")
    assert n.address == "13800138000"
    assert deliver(n).status == "delivered"
    (hit,) = stub.hits
    assert hit.headers["Authorization"] == "Bearer tok"
    assert hit.body["id"] == str(n.uid)
    assert hit.body["phone"] == "13800138000"
    assert hit.body["sign"] == "河长制"
    settings.NOTIFY_SMS_GATEWAY_URL = stub.on("/sms-error")
    raise_event("meter_offline", "650102", at=T0, subject_id="c-2")
    n2 = Notification.objects.get(channel="sms", event__subject_id="c-2")
    assert deliver(n2).status == "pending"
    n2.refresh_from_db()
    assert n2.last_error == "isv.MOBILE_NUMBER_ILLEGAL: bad number"


def test_email_through_a_real_smtp_server(people, smtp):
    make_rule(people, ["email"], event_type="case_assigned", role="chief")
    raise_event("case_assigned", "650102", at=T0, figures={"case": "C9", "unit": "天山区水务局"})
    n = only("email")
    assert deliver(n).status == "delivered"
    (mail,) = smtp.messages
    assert mail["To"] == "chief@example.cn"
    assert mail["Subject"] == "问题已交办"
    assert mail["Message-ID"] == f"<{n.uid}@hezhang.notify>"
    assert "天山区水务局" in mail.get_content()
    # A mailbox the server refuses: failed at once, with the server's answer.
    smtp.refuse.add("rev@example.cn")
    make_rule(people, ["email"], event_type="case_closed", role="reviewer")
    raise_event("case_closed", "650102", at=T0)
    refused = Notification.objects.get(channel="email", event__type="case_closed")
    assert deliver(refused).status == "failed"
    refused.refresh_from_db()
    assert refused.last_error.startswith("recipient refused")
    assert "550" in refused.last_error


def test_email_server_down_is_retried(people, settings):
    from tests.notify.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    make_rule(people, ["email"], event_type="case_assigned", role="chief")
    raise_event("case_assigned", "650102", at=T0)
    n = only("email")
    assert deliver(n).status == "pending"
    n.refresh_from_db()
    assert n.last_error.startswith("unreachable")


def test_a_send_lost_with_its_worker_is_sent_again_after_the_lease(people, stub):
    """A worker killed after the provider got the message but before we recorded it: the claim's
    lease runs out, the relay finds the row, and it is sent again with the same message id (at most
    the channel's own duplicate, which it can recognise); once delivered it is never sent again."""
    make_rule(people, ["wecom"], webhook_url=stub.on("/ok"))
    raise_event("meter_offline", "650102", at=T0)
    n = only("wecom")
    # What a killed worker leaves behind: the claim, a first hit at the provider, no answer recorded.
    Notification.objects.filter(pk=n.pk).update(status="sending", attempts=1, lease_until=T0 + dt.timedelta(minutes=2))
    assert services.outbox_due(now=T0 + dt.timedelta(minutes=1)) == []
    assert deliver(n, T0 + dt.timedelta(minutes=1)).status == "sending"  # still leased: no second send
    assert services.outbox_due(now=T0 + dt.timedelta(minutes=3)) == [n.pk]
    assert deliver(n, T0 + dt.timedelta(minutes=3)).status == "delivered"
    assert deliver(n, T0 + dt.timedelta(minutes=9)).status == "delivered"
    assert [h.headers["X-Hezhang-Message-Id"] for h in stub.hits] == [str(n.uid)]
    n.refresh_from_db()
    assert n.attempts == 2
