from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.choices import TokenKind
from accounts.models import ApiToken, User
from accounts.services import token_issue, token_save_from_admin, user_save_from_admin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "jurisdiction", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("username", "display_name", "jurisdiction", "phone")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Role and jurisdiction"), {"fields": ("role", "jurisdiction", "display_name", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Role and jurisdiction"), {"fields": ("role", "jurisdiction", "display_name")}),
    )
    actions = ["issue_device_token"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Through the service: audited, and a change of what the account sees invalidates its tokens.
        user_save_from_admin(user=obj, actor=request.user)

    @admin.action(description=_("Issue a device token (shown once)"))
    def issue_device_token(self, request: HttpRequest, queryset):
        for user in queryset:
            _token, secret = token_issue(
                user=user, kind=TokenKind.DEVICE, name=f"admin:{request.user}", actor=request.user
            )
            self.message_user(request, f"{user.username}: {secret}", level=messages.WARNING)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "kind", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("kind",)
    search_fields = ("prefix", "user__username", "name")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    fields = ("user", "kind", "name", "prefix", "key_hash", "created_at", "expires_at", "last_used_at", "revoked_at")

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        # Through the service: audited, and a revocation takes effect at once in this process.
        token_save_from_admin(token=obj, actor=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued by the action on users (or `manage.py issue_token`), which shows the secret once.
        return False
