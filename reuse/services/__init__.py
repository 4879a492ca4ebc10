"""Writes of the reuse app, one module per entity: plants, projects, water users (the ledgers and
their admin saves), and the monthly volumes and deliveries. Keyword-only, validated, audited in the
same transaction.

Every service takes the caller's `scope` (accounts.scope.Scope), a required argument: referenced
divisions, plants and users must lie inside it, so a district reviewer cannot file a plant in another
district. The demo loader and tasks pass accounts.scope.SYSTEM_SCOPE; there is no "None means
everything" (it used to fail open: core/README.md).

Errors name the field (or the row path `volumes[3].treated_m3`) and nothing is written: every check
runs before the first write of the transaction. Every public name is re-exported here.
"""

from reuse.services._common import max_monthly_m3
from reuse.services.admin import ledger_errors, ledger_save_from_admin
from reuse.services.plants import plant_create, plant_update
from reuse.services.projects import project_advance, project_create, project_update
from reuse.services.users import resolve_use, water_user_create, water_user_update
from reuse.services.volumes import BatchResult, deliveries_record, plant_volumes_record

__all__ = [
    "BatchResult",
    "deliveries_record",
    "ledger_errors",
    "ledger_save_from_admin",
    "max_monthly_m3",
    "plant_create",
    "plant_update",
    "plant_volumes_record",
    "project_advance",
    "project_create",
    "project_update",
    "resolve_use",
    "water_user_create",
    "water_user_update",
]
