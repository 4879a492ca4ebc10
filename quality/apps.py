from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Water-quality sections, samples and GB 3838-2002 classification."""

    name = "quality"
    verbose_name = _("Water quality")

    def ready(self) -> None:
        from core.demo import register_demo
        from quality.demo import load_quality_demo

        register_demo("quality", load_quality_demo, order=40)
