from django.apps import AppConfig


class OgcConfig(AppConfig):
    """OGC API – Features for GIS clients (QGIS, ArcGIS, GDAL/ogr2ogr, OWSLib): the map layers of places,
    water, reuse, quality and patrols as read-only feature collections, scoped like the GeoJSON API.
    No models: it reads the other apps through their selectors."""

    name = "ogc"
    verbose_name = "OGC API – Features"
