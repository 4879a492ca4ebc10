from django.apps import AppConfig


class QualityConfig(AppConfig):
    """Water-quality sections, samples and GB 3838-2002 classification."""

    name = "quality"
    verbose_name = "水质 Water quality"
