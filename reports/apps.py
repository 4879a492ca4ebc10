from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Period and quarterly quota-target reports (JSON, Excel, PDF) and signed-off snapshots."""

    name = "reports"
    verbose_name = "报告 Reports"
