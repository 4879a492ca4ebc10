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

        from django.db.models.signals import post_delete, post_save, pre_save

        from accounts.authentication import token_changed, user_credentials_watch
        from accounts.models import ApiToken, User

        # Revocation that every path obeys (issue 14): a new password or a deactivation revokes the login
        # tokens, a revoked or deleted token stops in every worker process (accounts.authentication).
        pre_save.connect(user_credentials_watch, sender=User, dispatch_uid="accounts.user_credentials_watch")
        post_save.connect(token_changed, sender=ApiToken, dispatch_uid="accounts.token_saved")
        post_delete.connect(token_changed, sender=ApiToken, dispatch_uid="accounts.token_deleted")
