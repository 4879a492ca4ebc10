"""Writes of the oversight app (one module per entity group, re-exported here)."""

from oversight.services.common import AttachmentTooLarge
from oversight.services.orders import (
    circular_create,
    circular_delete,
    circular_sign,
    order_issue,
    order_reply,
    recheck_record,
    recheck_sample,
)
from oversight.services.petitions import (
    ImportResult,
    petition_accept,
    petition_import,
    petition_open_case,
    petition_reopen,
    petition_return,
    petition_submit,
)
from oversight.services.tasks import (
    finding_create,
    milestone_add,
    milestone_complete,
    progress_report,
    round_create,
    task_complete,
    task_create,
    task_reopen,
    task_return,
    task_sign_off,
    task_start,
)

__all__ = [
    "AttachmentTooLarge",
    "ImportResult",
    "circular_create",
    "circular_delete",
    "circular_sign",
    "finding_create",
    "milestone_add",
    "milestone_complete",
    "order_issue",
    "order_reply",
    "petition_accept",
    "petition_import",
    "petition_open_case",
    "petition_reopen",
    "petition_return",
    "petition_submit",
    "progress_report",
    "recheck_record",
    "recheck_sample",
    "round_create",
    "task_complete",
    "task_create",
    "task_reopen",
    "task_return",
    "task_sign_off",
    "task_start",
]
