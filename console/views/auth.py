"""Sign-in and sign-out: Django's session auth over the same accounts as the API. The form calls
django.contrib.auth.authenticate(request=…), so the log-in lock-out (django-axes) covers it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role


class ConsoleAuthenticationForm(AuthenticationForm):
    """A device account has a token for telemetry, not a person's console."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is wrong."),
        "device": _("A telemetry device account cannot sign in to the console."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.role == Role.DEVICE and not user.is_superuser:
            raise forms.ValidationError(self.error_messages["device"], code="device")


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = ConsoleAuthenticationForm
    redirect_authenticated_user = True
    extra_context = {"title": _("Sign in")}


class LogoutView(auth_views.LogoutView):
    pass
