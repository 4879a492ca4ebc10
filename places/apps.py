from django.apps import AppConfig


class PlacesConfig(AppConfig):
    """Reference geography: divisions, rivers, reaches, lakes and reservoirs, chief assignments."""

    name = "places"
    verbose_name = "地理 Places"

    def ready(self) -> None:
        from core.demo import register_demo
        from places.demo import load_places_demo

        register_demo("places", load_places_demo, order=10)
