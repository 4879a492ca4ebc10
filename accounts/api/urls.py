from django.urls import path

from accounts.api.views import MeView, TokenView

app_name = "accounts"
urlpatterns = [
    path("token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
]
