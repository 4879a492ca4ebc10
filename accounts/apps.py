from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Users, roles, jurisdictions, API and device tokens."""

    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        import accounts.schema  # noqa: F401 - registers the OpenAPI extension
        from accounts.demo import load_accounts_demo
        from core.demo import register_demo

        register_demo("accounts", load_accounts_demo, order=0)
