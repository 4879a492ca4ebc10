"""Saves from the admin site, through the same checks as the API."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import snapshot
from core.kernel import Errors
from reuse.models import Plant, Project, WaterUser
from reuse.services._common import _route, _save
from reuse.services.plants import _check_plant
from reuse.services.projects import _check_project
from reuse.services.users import _check_user

# --------------------------------------------------------------------------- admin saves


def ledger_errors(instance: Plant | Project | WaterUser) -> dict[str, list[str]]:
    """The ledger rules broken by an edited instance (the admin form shows them next to the fields).
    Derived values (a pipeline's length) are recomputed on the instance."""
    errors = Errors()
    if isinstance(instance, Plant):
        _check_plant(instance, errors)
    elif isinstance(instance, Project):
        if instance.route is not None:
            instance.route = _route(instance.route, errors=errors)
        _check_project(instance, errors)
    else:
        _check_user(instance, errors)
    return errors.fields


@transaction.atomic
def ledger_save_from_admin(*, instance: Plant | Project | WaterUser, actor: Any) -> None:
    """The admin's save: the same checks, derived values (pipeline length) and audit as the API."""
    before = snapshot(type(instance).objects.get(pk=instance.pk)) if instance.pk else None
    errors = Errors()
    errors.fields = ledger_errors(instance)
    errors.raise_if_any(_("Not saved."))
    _save(instance, actor=actor, before=before, reason="admin")
