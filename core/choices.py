"""Closed sets of the kernel."""

from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "创建 create"
    UPDATE = "update", "修改 update"
    DELETE = "delete", "删除 delete"
    TRANSITION = "transition", "流转 transition"
    CORRECT = "correct", "更正 correction"
    IMPORT = "import", "导入 import"
    LOGIN = "login", "登录 login"
