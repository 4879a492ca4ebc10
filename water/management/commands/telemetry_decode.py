"""manage.py telemetry_decode HEX_OR_TEXT [--profile SPEC] [--received ISO] [--no-crc]: decode one frame and
print it as JSON — how a meter is commissioned against a frame captured from it (docs/telemetry.md).

Exit status 0 when the frame decodes, 1 (with the reason on stderr) when it does not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from water.telemetry import FrameError, decode_frame, frame_from_text, to_json
from water.telemetry.spec import parse_profile_spec


class Command(BaseCommand):
    help = "Decode one SZY 206 / SL 651 frame (hex, spaces and | allowed) and print it as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("frame", nargs="+", help="the frame as hex (any spacing) or as text")
        parser.add_argument(
            "--profile",
            default="",
            help="preset name, optionally with ;field=value overrides, e.g. 'sl651;volume_element=FF01'",
        )
        parser.add_argument(
            "--received",
            default=None,
            help="receive time with offset (ISO 8601; default now): the SZY 206 5-byte label takes year and month "
            "from it",
        )
        parser.add_argument("--no-crc", action="store_true", help="decode even when the checksum is wrong")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            profile = parse_profile_spec(opts["profile"])
        except ValueError as exc:
            raise CommandError(f"--profile: {exc}") from exc
        received = timezone.now()
        if opts["received"]:
            try:
                received = datetime.fromisoformat(opts["received"])
            except ValueError:
                raise CommandError("--received: not an ISO 8601 time") from None
            if received.tzinfo is None:
                raise CommandError("--received: give the UTC offset, e.g. 2024-03-01T00:00:30+08:00")
        raw = frame_from_text(" ".join(opts["frame"]))
        try:
            decoded = decode_frame(raw, received_at=received, profile=profile, check_crc=not opts["no_crc"])
        except FrameError as exc:
            where = f" (station {exc.station})" if exc.station else ""
            raise CommandError(f"bad frame{where}: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(to_json(decoded))
