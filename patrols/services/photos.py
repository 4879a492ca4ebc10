"""Case photos: stored once under their SHA-256, EXIF compared with the patrol and flagged."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.geo import WGS84_SRID, geodesic_distance_m
from patrols import conf
from patrols.choices import (
    CaseStatus,
    PhotoFlag,
)
from patrols.models import (
    Case,
    CasePhoto,
    Patrol,
)
from patrols.photos import PhotoError, inspect_photo
from patrols.services._common import _require_role
from patrols.services.cases import CHIEF_AND_STAFF
from patrols.track import local_reach

# --------------------------------------------------------------------------- photos


class PhotoTooLarge(InvalidInput):
    status_code = 413
    default_code = "photo_too_large"


def case_photo_add(*, case: Case, actor: Any, upload: UploadedFile) -> tuple[CasePhoto, bool]:
    """Attach a photo to a case: stored once under its SHA-256, never changed. EXIF time and position
    are compared with the case's patrol (or the case's location) and flagged, never refused.
    Returns (photo, created); the same image again returns the stored one."""
    _require_role(actor, CHIEF_AND_STAFF, _("add photos"))
    if case.status == CaseStatus.CLOSED:
        raise Conflict(
            _("A closed case takes no more photos."),
            code="case_closed",
            fields={"status": [str(CaseStatus(case.status).label)]},
        )
    limit = conf.photo_max_bytes()
    if upload.size is None or upload.size > limit:
        raise PhotoTooLarge(
            _("The photo is larger than %(limit)s bytes.") % {"limit": limit},
            fields={"photo": [_("At most %(limit)s bytes.") % {"limit": limit}]},
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha = digest.hexdigest()
    existing = CasePhoto.objects.filter(case=case, sha256=sha).first()
    if existing is not None:
        return existing, False
    upload.seek(0)
    try:
        info = inspect_photo(upload, max_pixels=conf.photo_max_pixels(), default_tz=conf.photo_exif_default_offset())
    except PhotoError as exc:
        raise InvalidInput(exc.message, code=exc.code, fields={"photo": [exc.message]}) from None
    flags = _photo_flags(case, info.taken_at, info.lon, info.lat)
    name = f"patrols/photos/{sha[:2]}/{sha}.{info.extension}"
    with transaction.atomic():
        if not default_storage.exists(name):
            upload.seek(0)
            saved = default_storage.save(name, ContentFile(upload.read()))
            if saved != name:  # pragma: no cover - a concurrent upload of the same image won
                default_storage.delete(saved)
        photo = CasePhoto(
            case=case,
            sha256=sha,
            content_type=info.content_type,
            size_bytes=upload.size,
            width=info.width,
            height=info.height,
            stage=case.status,
            taken_at=info.taken_at,
            flags=flags,
            uploaded_by=actor,
            position=Point(info.lon, info.lat, srid=WGS84_SRID)
            if info.lon is not None and info.lat is not None
            else None,
        )
        photo.file.name = name
        photo.full_clean(exclude=["case", "uploaded_by", "file"], validate_unique=False)
        try:
            with transaction.atomic():
                photo.save()
        except IntegrityError:
            return CasePhoto.objects.get(case=case, sha256=sha), False
        audit_record(actor=actor, action=AuditAction.CREATE, instance=photo, after=snapshot(photo))
    return photo, True


def _photo_flags(case: Case, taken_at: dt.datetime | None, lon: float | None, lat: float | None) -> list[str]:
    flags: list[str] = []
    patrol = (
        Patrol.objects.select_related("reach", "lake").filter(pk=case.patrol_id).first() if case.patrol_id else None
    )
    if taken_at is not None and patrol is not None and patrol.ended_at is not None:
        tol = conf.photo_time_tolerance()
        if not patrol.started_at - tol <= taken_at <= patrol.ended_at + tol:
            flags.append(PhotoFlag.TIME_MISMATCH.value)
    if lon is not None and lat is not None:
        limit = conf.photo_max_distance_m()
        cleaned = patrol.cleaned_track if patrol is not None else None
        if patrol is not None and cleaned is not None:
            reach = local_reach(bytes(patrol.site.geometry.wkb), buffer_m=conf.track_limits(patrol.mode).reach_buffer_m)
            track = shapely.from_wkb(bytes(cleaned.wkb))
            coords = shapely.get_coordinates(track)
            x, y = reach.project(coords[:, 0], coords[:, 1])
            px, py = reach.project(np.array([lon]), np.array([lat]))
            parts: list[Any] = [shapely.linestrings(x[a:b], y[a:b]) for a, b in _part_bounds(track)]
            line = shapely.multilinestrings(parts)
            distance = float(shapely.distance(line, shapely.points(px[0], py[0])))
        else:
            distance = geodesic_distance_m(lon, lat, case.location.x, case.location.y)
        if distance > limit:
            flags.append(PhotoFlag.POSITION_MISMATCH.value)
    return flags


def _part_bounds(track: Any) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for part in shapely.get_parts(track):
        n = shapely.get_num_coordinates(part)
        bounds.append((start, start + int(n)))
        start += int(n)
    return bounds
