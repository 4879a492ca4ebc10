from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    """Reference geography: divisions, rivers, reaches, lakes and reservoirs, chief assignments."""

    name = "places"
    verbose_name = _("Places")

    def ready(self) -> None:
        from core.demo import register_demo
        from places.demo import load_places_demo

        register_demo("places", load_places_demo, order=10)
