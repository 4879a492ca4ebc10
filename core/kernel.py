"""The service kernel: the one idiom every app's services use for the common work (ARCHITECTURE
rule 16; how to use it: core/README.md).

- the scoped lookup: `get_in_scope` (the object a URL names: in the caller's scope, or 404) and
  `reference` / `references` (an id or code given in the input: in the caller's scope, or a 400
  naming the field);
- the row-error collector `Errors` (keys `name`, `rows[3].field`; a file's rows say `line 12`);
- the audited writes: `audited_save` (validate, compare, save, audit; an update that changes nothing
  writes nothing), `audited_update`, `audited_upsert`, and `audit_many` for batches;
- actor resolution: `actor_user` and `actor_label` (a user, or a string naming a system actor);
- `clean` (full_clean as a 400 naming the fields).

The scope is the caller's `accounts.scope.Scope`; core sits below accounts, so it is typed here by the
protocol it has to satisfy. A scope is a required argument everywhere: there is no "None means
everything" (a task or the admin site passes an explicit all-seeing scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol, TypeVar, overload

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.audit import actor_label, actor_user, audit_record, audit_record_many, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput, NotFound, ServiceError

__all__ = [
    "Errors",
    "ScopeLike",
    "actor_label",
    "actor_user",
    "audit_many",
    "audited_save",
    "audited_update",
    "audited_upsert",
    "clean",
    "get_in_scope",
    "quantize_decimals",
    "reference",
    "references",
    "row_key",
    "with_line",
]

M = TypeVar("M", bound=models.Model)


class ScopeLike(Protocol):
    """What the kernel needs of a caller's scope (accounts.scope.Scope satisfies it)."""

    @property
    def everything(self) -> bool: ...

    def filter(self, queryset: QuerySet[M], code_lookup: str) -> QuerySet[M]: ...

    def covers_code(self, code: str) -> bool: ...


# --------------------------------------------------------------------------------- row errors


class Errors:
    """Collects every complaint about one input, so the caller hears about all of them at once, and
    nothing is written unless there are none.

    Keys: a field's name (`division`), or a row of a batch `rows[3].field` (rows count from 0, as
    in the JSON body). A row read from a file also names its line in the message (`line 12`), as a
    spreadsheet numbers it. With a `limit`, rows past it are counted but not listed.
    """

    def __init__(self, *, limit: int | None = None) -> None:
        self.fields: dict[str, list[str]] = {}
        self.limit = limit
        self.truncated = False

    def add(self, key: str, message: str) -> None:
        if self.limit is not None and key not in self.fields and len(self.fields) >= self.limit:
            self.truncated = True
            return
        self.fields.setdefault(key, []).append(message)

    def row(self, index: int, name: str | None, message: str, *, path: str = "rows", line: int | None = None) -> None:
        """A complaint about row `index` of the batch called `path` (field `name`, or the whole row)."""
        if line is not None:
            message = with_line(message, line)
        self.add(row_key(path, index, name), message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def merge(self, fields: Mapping[str, Any]) -> None:
        for key, messages in fields.items():
            for message in messages if isinstance(messages, list) else [messages]:
                self.add(key, str(message))

    def raise_if_any(
        self, message: str | None = None, *, error: type[ServiceError] = InvalidInput, code: str | None = None
    ) -> None:
        """Refuse with `error`: the message (default "Invalid input."), then the first key and its first
        complaint (and, for a collector with a limit, how many more). Messages are in the active language."""
        if not self.fields:
            return
        first = next(iter(self.fields))
        more = ""
        if self.limit is not None:
            if self.truncated:
                more = _(" (and more: only the first %(max)s are listed)") % {"max": self.limit}
            elif len(self.fields) > 1:
                more = _(" (and %(more)s more)") % {"more": len(self.fields) - 1}
        text = _("%(message)s %(field)s: %(complaint)s%(more)s") % {
            "message": message or _("Invalid input."),
            "field": first,
            "complaint": self.fields[first][0],
            "more": more,
        }
        raise error(text, code=code, fields=self.fields)


def with_line(message: str, line: int | None) -> str:
    """`message (line 12)`: a file row's complaint names its physical line, in the active language."""
    if line is None:
        return message
    return _("%(message)s (line %(line)s)") % {"message": message, "line": line}


def row_key(path: str, index: int, name: str | None = None) -> str:
    """`rows[3].field`: the one spelling of a batch row's error key."""
    return f"{path}[{index}]" + (f".{name}" if name else "")


# ------------------------------------------------------------------------------- scoped lookup


def get_in_scope(queryset: QuerySet[M], *, message: str | None = None, **filters: Any) -> M:
    """The row the URL names, from a queryset a selector has narrowed to the caller's scope; outside
    the scope looks exactly like missing: 404 (ARCHITECTURE style 3)."""
    row = queryset.filter(**filters).first()
    if row is None:
        raise NotFound(message or _("No such resource."))
    return row


@overload
def reference(
    queryset: QuerySet[M],
    value: Any,
    *,
    field: str,
    by: str = "pk",
    noun: str | Promise | None = None,
    errors: None = None,
    message: str | None = None,
) -> M: ...


@overload
def reference(
    queryset: QuerySet[M],
    value: Any,
    *,
    field: str,
    by: str = "pk",
    noun: str | Promise | None = None,
    errors: Errors,
    message: str | None = None,
) -> M | None: ...


def reference(
    queryset: QuerySet[M],
    value: Any,
    *,
    field: str,
    by: str = "pk",
    noun: str | Promise | None = None,
    errors: Errors | None = None,
    message: str | None = None,
) -> M | None:
    """The row an input names (`by` = value) in the caller's scoped `queryset`, or a 400 naming `field`
    ("No such reach in your jurisdiction."). With `errors` the complaint is collected and None
    returned, so one response lists every bad reference. An id that is not a valid value for the
    column (text for an integer id) is the same "no such" answer, not a 500."""
    # The noun names the row in the active language: the caller's (a lazy string) or the model's own.
    noun = noun or queryset.model._meta.verbose_name
    row: M | None
    try:
        row = queryset.filter(**{by: value}).first()
    except (ValueError, TypeError, ValidationError):
        row = None
    if row is None:
        text = message or _("No such %(noun)s in your jurisdiction.") % {"noun": noun}
        if errors is None:
            raise InvalidInput(f"Invalid input: {field}: {text}", fields={field: [text]})
        errors.add(field, text)
    return row


def references(
    queryset: QuerySet[M], values: Iterable[Any], *, field: str, by: str = "pk", noun: str | Promise
) -> list[M]:
    """Every row the input names (all of them in the caller's scoped `queryset`), in input order, or a
    400 naming `field` and the values not found."""
    wanted = list(dict.fromkeys(values))
    found = {getattr(row, by): row for row in queryset.filter(**{f"{by}__in": wanted})}
    missing = [v for v in wanted if v not in found]
    if missing:
        text = _("No %(noun)s with %(by)s %(missing)s.") % {"noun": noun, "by": by, "missing": missing}
        raise InvalidInput(f"Invalid input: {field}: {text}", fields={field: [text]})
    return [found[v] for v in wanted]


# ------------------------------------------------------------------------------- audited writes


def clean(instance: models.Model, **kwargs: Any) -> None:
    """full_clean(), its complaints as a 400 naming each field (nothing is written)."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        fields = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        first = next(iter(fields))
        values = {"field": first, "message": fields[first][0], "more": len(fields) - 1}
        if len(fields) > 1:
            message = _("Invalid input: %(field)s: %(message)s (and %(more)s more)") % values
        else:
            message = _("Invalid input: %(field)s: %(message)s") % values
        raise InvalidInput(message, fields=fields) from exc


def quantize_decimals(instance: models.Model) -> None:
    """Decimals at their stored precision, so that 200000 and 200000.00 are the same value to the
    audit comparison (and a resend is a no-op)."""
    for f in instance._meta.concrete_fields:
        if isinstance(f, models.DecimalField) and f.decimal_places is not None:
            value = getattr(instance, f.attname)
            if isinstance(value, Decimal | int) and not isinstance(value, bool):
                setattr(instance, f.attname, Decimal(value).quantize(Decimal(1).scaleb(-f.decimal_places)))


_COMPARE_EXCLUDE = ("updated_at", "created_at")


def audited_save(
    instance: M,
    *,
    actor: Any,
    before: dict[str, Any] | None,
    reason: str = "",
    action: AuditAction | str | None = None,
    validate_unique: bool = True,
    validate_constraints: bool = True,
    conflict: str | None = None,
) -> bool:
    """Validate, compare, save, audit: the one write path of a single row. `before` is the row's
    snapshot before the caller changed it (None for a new row). Returns whether anything was
    written: an update that changes nothing writes nothing (a resend of the same PATCH leaves no
    audit noise). A unique constraint that a racing writer hit first is a 409, not a 500. Must run
    inside the caller's transaction (the audit row is written in it)."""
    created = before is None
    quantize_decimals(instance)
    clean(instance, validate_unique=validate_unique, validate_constraints=validate_constraints)
    if not created and _comparable(snapshot(instance)) == _comparable(before):
        return False
    if not created and hasattr(instance, "updated_at"):
        instance.updated_at = timezone.now()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(
            conflict or _("The row was written by someone else at the same time; reload and retry.")
        ) from exc
    audit_record(
        actor=actor,
        action=action or (AuditAction.CREATE if created else AuditAction.UPDATE),
        instance=instance,
        before=before,
        after=snapshot(instance),
        reason=reason,
    )
    return True


def _comparable(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k not in _COMPARE_EXCLUDE}


def audited_update(instance: M, *, actor: Any, changes: Mapping[str, Any], reason: str = "", **kwargs: Any) -> bool:
    """Set `changes` (field → value) on a stored row and write it through `audited_save`."""
    before = snapshot(instance)
    for name, value in changes.items():
        setattr(instance, name, value)
    return audited_save(instance, actor=actor, before=before, reason=reason, **kwargs)


def audited_upsert(
    model: type[M], *, key: Mapping[str, Any], values: Mapping[str, Any], actor: Any, reason: str = "", **kwargs: Any
) -> tuple[M, bool]:
    """Create the row with this natural `key` (e.g. {"code": …}) or change the one that has it, through
    `audited_save`. Returns (row, written). The row is locked while it is compared."""
    instance = model._default_manager.select_for_update().filter(**key).first()
    if instance is None:
        instance = model(**key, **values)
        return instance, audited_save(instance, actor=actor, before=None, reason=reason, **kwargs)
    return instance, audited_update(instance, actor=actor, changes=values, reason=reason, **kwargs)


def audit_many(
    *,
    actor: Any,
    action: AuditAction | str,
    changes: Iterable[tuple[models.Model, dict[str, Any] | None]],
    reason: str = "",
) -> int:
    """One audit row per (row, before) of a batch, the row's snapshot as `after`, in one INSERT: a
    year of deliveries is thousands of rows, and an INSERT each costs ~2 ms on PostGIS. Same
    transaction rule as audit_record."""
    items: list[tuple[models.Model, dict[str, Any] | None, dict[str, Any] | None]] = [
        (obj, before, snapshot(obj)) for obj, before in changes
    ]
    if not items:
        return 0
    return audit_record_many(actor=actor, action=action, items=items, reason=reason)
