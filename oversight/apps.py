from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Inspection rounds, findings, rectification tasks, petitions, supervision orders and circulars."""

    name = "oversight"
    verbose_name = "督察整改 Oversight"

    def ready(self) -> None:
        from core.demo import register_demo
        from oversight.demo import load_oversight_demo

        # After the domain apps (orders up to 40), before the reports (90) whose 2024 report reads it.
        register_demo("oversight", load_oversight_demo, order=50)
