from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Events, rules, the outbox and its channels (inbox, e-mail, WeCom/DingTalk robots, SMS), escalation."""

    name = "notify"
    verbose_name = "通知 Notify"

    def ready(self) -> None:
        # Register the tasks with the Celery app now: the services queue deliver_batch by its name (tasks
        # import services, never the reverse), and eager Celery must know the name to run it in-process.
        import notify.tasks  # noqa: F401
        from core.demo import register_demo
        from notify.demo import load_notify_demo, load_notify_rules_demo

        # Rules before the apps raise their demo events (water is 20); escalation after all (reports 90).
        register_demo("notify-rules", load_notify_rules_demo, order=15)
        register_demo("notify", load_notify_demo, order=95)

        from django.db.models.signals import post_delete, post_save

        from notify.models import Rule
        from notify.services import rules_changed

        # The raise's "no rule here" cache (services._rules) forgets everything when a rule changes.
        post_save.connect(rules_changed, sender=Rule, dispatch_uid="notify-rules-changed-save")
        post_delete.connect(rules_changed, sender=Rule, dispatch_uid="notify-rules-changed-delete")
