"""The one map (一张图, issue 13 item 3): the page, its GeoJSON layers, feature cards and the map
include for detail pages. Layers read the apps' selectors with the caller's scope (no second
permission system); see README.md in this folder."""
