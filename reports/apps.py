from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Period and quarterly quota-target reports (JSON, Excel, PDF) and signed-off snapshots."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Register the tasks with the Celery app now: services queue build_snapshot by its name (a
        # signature; tasks import services, never the reverse), and where no worker ran autodiscovery
        # (eager Celery: make run, load_demo, the tests) the name must be known here to run in-process.
        import reports.tasks  # noqa: F401
        from core.demo import register_demo
        from reports.demo import load_reports_demo

        # After every domain app's demo (they use orders up to 40): the report reads their data.
        register_demo("reports", load_reports_demo, order=90)
