"""Closed sets of the accounts app."""

from django.db import models


class Role(models.TextChoices):
    """SPEC section 4. One role per account; a person who is both chief and reviewer has two accounts,
    so that every action in the audit log is taken in one capacity."""

    ADMIN = "admin", "管理员 administrator"
    REVIEWER = "reviewer", "审核员 reviewer"
    CHIEF = "chief", "河湖长 river/lake chief"
    OPERATOR = "operator", "取水户 intake operator"
    DEVICE = "device", "设备 telemetry device"
    # A member unit (成员单位: a bureau or a district government) acting on the oversight items handed
    # to it (SPEC §4, issue 16).
    UNIT = "unit", "成员单位 member unit"


class TokenKind(models.TextChoices):
    LOGIN = "login", "登录 login"
    DEVICE = "device", "设备 device"
