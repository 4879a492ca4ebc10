from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Events, rules, the outbox and its channels (inbox, e-mail, WeCom/DingTalk robots, SMS), escalation."""

    name = "notify"
    verbose_name = "通知 Notify"

    def ready(self) -> None:
        from core.demo import register_demo
        from notify.demo import load_notify_demo, load_notify_rules_demo

        # Rules before the apps raise their demo events (water is 20); escalation after all (reports 90).
        register_demo("notify-rules", load_notify_rules_demo, order=15)
        register_demo("notify", load_notify_demo, order=95)
