from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Events, rules, the outbox and its channels (inbox, e-mail, WeCom/DingTalk robots, SMS), escalation."""

    name = "notify"
    verbose_name = "通知 Notify"
