"""Routes of the OGC API – Features, mounted at /ogc/ (see ogc.views)."""

from django.urls import path

from ogc import views

app_name = "ogc"
urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("api", views.ApiView.as_view(), name="api"),
    path("conformance", views.ConformanceView.as_view(), name="conformance"),
    path("collections", views.CollectionsView.as_view(), name="collections"),
    path("collections/<str:collection_id>", views.CollectionView.as_view(), name="collection"),
    path("collections/<str:collection_id>/items", views.ItemsView.as_view(), name="items"),
    path("collections/<str:collection_id>/items/<str:feature_id>", views.ItemView.as_view(), name="item"),
]
