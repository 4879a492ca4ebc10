from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Water-quality sections, samples and GB 3838-2002 classification."""

    name = "quality"
    verbose_name = _("Water quality")

    def ready(self) -> None:
        from core.demo import register_demo
        from core.providers import ZONE_COMPLIANCE, register_provider
        from quality.demo import load_quality_demo
        from quality.zone_selectors import zone_compliance_figure

        register_demo("quality", load_quality_demo, order=40)
        # Water's red-line summary reads the zone-compliance rate from here (water may not import quality).
        register_provider(ZONE_COMPLIANCE, zone_compliance_figure)
