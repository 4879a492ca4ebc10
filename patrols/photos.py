"""Case photos: is it an image, how big, and what its EXIF says. Pure (Pillow only): no Django, no
database.

Only JPEG, PNG and WebP are accepted: what phone cameras and screenshots produce and what every
browser shows. The decoder checks the whole file (``verify``), and the pixel count is bounded before
decoding so that a small file that expands to gigapixels (a decompression bomb) is refused.

EXIF: ``DateTimeOriginal`` with ``OffsetTimeOriginal`` when present (without an offset the time is
read in the configured default, Beijing time); GPS latitude/longitude in degrees, minutes, seconds
with their N/S and E/W references. Phones write GPS in WGS84.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

__all__ = ["ALLOWED_FORMATS", "PhotoError", "PhotoInfo", "inspect_photo"]

# Pillow format → (MIME type, file extension).
ALLOWED_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


class PhotoError(ValueError):
    def __init__(self, message: str, *, code: str = "invalid_photo") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    content_type: str
    extension: str
    width: int
    height: int
    taken_at: dt.datetime | None
    lon: float | None
    lat: float | None


def _exif_time(exif: Image.Exif, default_tz: dt.tzinfo) -> dt.datetime | None:
    ifd = exif.get_ifd(_EXIF_IFD)
    raw = ifd.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        naive = dt.datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - zone applied below
    except ValueError:
        return None
    tz: dt.tzinfo = default_tz
    offset = ifd.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and (m := _OFFSET_RE.match(offset.strip("\x00 "))):
        sign = -1 if m.group(1) == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    return naive.replace(tzinfo=tz)


def _degrees(value: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return result if math.isfinite(result) else None


def _exif_position(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)
    if not gps:
        return None, None
    lat, lon = _degrees(gps.get(2)), _degrees(gps.get(4))
    if lat is None or lon is None:
        return None, None
    if str(gps.get(1, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None  # (0, 0) is what cameras write when they had no fix
    return lon, lat


def inspect_photo(file: IO[bytes], *, max_pixels: int, default_tz: dt.tzinfo) -> PhotoInfo:
    """Check that ``file`` is a JPEG, PNG or WebP image of at most ``max_pixels`` and read its EXIF.

    Raises:
        PhotoError: not an image, another format, damaged, or too many pixels.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(file) as img:
                fmt = img.format or ""
                width, height = img.size
                if fmt not in ALLOWED_FORMATS:
                    raise PhotoError(
                        _("%(value)s images are not accepted; send JPEG, PNG or WebP.") % {"value": fmt or "this"},
                        code="unsupported_image",
                    )
                if width * height > max_pixels:
                    raise PhotoError(
                        _("%(width)s×%(height)s pixels is more than %(max_pixels)s.")
                        % {"width": width, "height": height, "max_pixels": max_pixels},
                        code="too_many_pixels",
                    )
                exif = img.getexif()
                taken_at = _exif_time(exif, default_tz)
                lon, lat = _exif_position(exif)
            file.seek(0)
            with Image.open(file) as img:
                img.verify()  # the whole stream decodes (a truncated or corrupt file fails here)
        except PhotoError:
            raise
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(_("The file is not an image (JPEG, PNG or WebP)."), code="not_an_image") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise PhotoError(_("The image is damaged: %(exc)s") % {"exc": exc}, code="damaged_image") from None
    content_type, extension = ALLOWED_FORMATS[fmt]
    return PhotoInfo(content_type, extension, width, height, taken_at, lon, lat)
