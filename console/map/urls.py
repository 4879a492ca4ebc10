"""URLs of the one map, included by console/urls.py under map/ (names in the console namespace)."""

from django.urls import path

from console.map import views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("layers/<slug:layer>/", views.map_layer, name="map_layer"),
    path("cards/<slug:kind>/<str:pk>/", views.map_card, name="map_card"),
    path("features/<slug:kind>/<str:pk>/", views.map_feature, name="map_feature"),
]
