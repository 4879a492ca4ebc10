"""What every oversight service shares: the error collector, role checks, the unit lookup, attachments.

Every service takes `actor` (a user, or a string naming a system actor such as "load_demo") and,
where it references other rows by code, the caller's `scope` (required: the demo loader passes the
explicit all-seeing SYSTEM scope). Errors are collected with core.kernel.Errors and rows written with
core.kernel.audited_save (validate, save, audit in the caller's transaction). Errors name the field
or the row path (`rows[3].division`) and nothing is written: every check runs before the first write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from accounts.scope import Scope
from core.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from core.kernel import Errors, audited_save
from oversight import conf
from oversight.models import Attachment, Petition, Progress
from places.models import Division

SYSTEM = Scope(user_id=None, role=Role.ADMIN, everything=True)
STAFF = frozenset({Role.ADMIN, Role.REVIEWER})
UNIT_AND_STAFF = frozenset({Role.ADMIN, Role.REVIEWER, Role.UNIT})


def today() -> dt.date:
    # TIME_ZONE is Asia/Shanghai: "today" is the Beijing calendar date, like every period here.
    return timezone.localdate()


def now() -> dt.datetime:
    return timezone.now()


def role_of(actor: Any) -> str | None:
    """The actor's role; a system actor (a string or None) acts as an administrator."""
    if actor is None or isinstance(actor, str):
        return Role.ADMIN
    return Role.ADMIN if actor.is_superuser else actor.role


def require_role(actor: Any, roles: Iterable[str], what: str) -> str:
    role = role_of(actor)
    if role is None or role not in roles:
        raise Forbidden(f"Your role may not {what}.")
    return str(role)


def is_unit(actor: Any) -> bool:
    return role_of(actor) == Role.UNIT


def invalid(field: str, message: str, *, code: str = "invalid") -> InvalidInput:
    return InvalidInput(f"{field}: {message}", code=code, fields={field: [message]})


def not_handed(what: str) -> NotFound:
    """A unit acting on an item not handed to it: the same 404 as a row that does not exist."""
    return NotFound(f"No such {what}.")


def scoped(qs: models.QuerySet[Any], scope: Scope, lookup: str) -> models.QuerySet[Any]:
    return scope.filter(qs, lookup)


def division_lookup(code: Any, *, scope: Scope, errors: Errors, name: str = "division") -> Division | None:
    if not code:
        errors.add(name, "This field is required.")
        return None
    division = scoped(Division.objects.all(), scope, "code").filter(code=str(code)).first()
    if division is None:
        errors.add(name, f"No division {code!r} in your jurisdiction.")
    return division


def unit_lookup(ref: Any, *, errors: Errors, name: str) -> User | None:
    """A member unit named by its username or its display name (what the hand-over sheets carry)."""
    if not ref:
        errors.add(name, "This field is required.")
        return None
    text = str(ref).strip()
    found = list(
        User.objects.filter(role=Role.UNIT, is_active=True).filter(
            models.Q(username=text) | models.Q(display_name=text)
        )[:2]
    )
    if len(found) != 1:
        errors.add(name, f"No member unit {text!r}." if not found else f"{text!r} names more than one unit.")
        return None
    return found[0]


def transition_refused(kind: str, current: str, action: str) -> Conflict:
    return Conflict(
        f"A {kind} that is {current} cannot be {action}.",
        code="transition_not_allowed",
        fields={"status": [f"Is {current}; {action} is not allowed from there."]},
    )


# --------------------------------------------------------------------------- attachments

# Documents and images only, recognised by their first bytes (the declared type is the client's word).
_MAGIC: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"%PDF-", "application/pdf", ("pdf",)),
    (b"\xff\xd8\xff", "image/jpeg", ("jpg", "jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", ("png",)),
    (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument", ("docx", "xlsx", "pptx")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword", ("doc", "xls", "ppt")),
    (b"%!OFD", "application/ofd", ("ofd",)),
)


class AttachmentTooLarge(InvalidInput):
    status_code = 413
    default_code = "attachment_too_large"


def _sniff(head: bytes, filename: str) -> str | None:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    for magic, mime, exts in _MAGIC:
        if head.startswith(magic) and ext in exts:
            return mime
    return None


def check_upload(upload: UploadedFile, *, field: str) -> tuple[str, str, bytes]:
    """(sha256, content type, bytes) of an acceptable upload, else a 4xx naming `field`."""
    limit = conf.attachment_max_bytes()
    if upload.size is None or upload.size > limit:
        raise AttachmentTooLarge(f"{field}: larger than {limit} bytes.", fields={field: [f"At most {limit} bytes."]})
    data = upload.read()
    mime = _sniff(data[:16], upload.name or "")
    if mime is None:
        raise InvalidInput(
            f"{field}: not a document or an image.",
            code="attachment_type",
            fields={field: ["Send a PDF, OFD, Word or Excel document, or a JPEG or PNG image."]},
        )
    return hashlib.sha256(data).hexdigest(), mime, data


def attachment_store(
    *, actor: Any, owner: Progress | Petition, upload: UploadedFile, checked: tuple[str, str, bytes]
) -> Attachment:
    """Store a checked upload once under its hash and attach it to `owner`; inside the caller's
    transaction (the file write is idempotent: same hash, same name, same bytes)."""
    sha, mime, data = checked
    ext = (upload.name or "x.bin").rsplit(".", 1)[-1].lower()
    name = f"oversight/{sha[:2]}/{sha}.{ext}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    att = Attachment(
        sha256=sha, name=(upload.name or name)[:200], content_type=mime, size_bytes=len(data), uploaded_by=actor
    )
    if isinstance(owner, Progress):
        att.progress = owner
    else:
        att.petition = owner
    att.file.name = name
    audited_save(att, actor=actor, before=None)
    return att


def attachments_check(files: Iterable[UploadedFile]) -> list[tuple[UploadedFile, tuple[str, str, bytes]]]:
    return [(f, check_upload(f, field=f"files[{i}]")) for i, f in enumerate(files)]
