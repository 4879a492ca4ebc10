"""The telemetry gateway's per-station state: traffic counters and the command queue (issue 18)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from water.choices import CommandKind, CommandSource, CommandState, TelemetryProtocol
from water.models.intakes import Meter


class TelemetryStation(models.Model):
    """What the telemetry gateway saw from one RTU station address: traffic and refusal counters, when it
    was last heard and from where, and the meter the address maps to (none: an unknown station, shown to
    admins so it can be commissioned).

    Counters only grow; the gateway adds what it counted in memory every few seconds (not per frame) and on
    shutdown (water.telemetry.services.station_counters_add). `address` is the 5-byte station address as
    sent, as 10 upper-case hex digits: the same text a meter's `rtu_address` must hold.
    """

    protocol = models.CharField(_("protocol"), max_length=8, choices=TelemetryProtocol.choices)
    address = models.CharField(_("station address"), max_length=16)
    meter = models.ForeignKey(
        Meter,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telemetry_stations",
        verbose_name=_("meter"),
    )
    frames = models.PositiveBigIntegerField(_("frames received"), default=0)
    bad_crc = models.PositiveBigIntegerField(_("bad CRC"), default=0)
    unknown_elements = models.PositiveBigIntegerField(_("unknown elements"), default=0)
    decode_errors = models.PositiveBigIntegerField(_("decode errors"), default=0)
    readings_stored = models.PositiveBigIntegerField(_("readings stored"), default=0)
    readings_duplicate = models.PositiveBigIntegerField(_("duplicate readings"), default=0)
    readings_refused = models.PositiveBigIntegerField(_("readings refused"), default=0)
    acks_sent = models.PositiveBigIntegerField(_("acknowledgements sent"), default=0)
    # SL 651 frames whose password is not the meter's rtu_password (issue 14): neither stored nor acknowledged.
    bad_password = models.PositiveBigIntegerField(_("wrong password"), default=0)
    # Values sent as "no data" (all FF / all AA bytes, domain.md §3.3a): recorded as missing, not an error.
    missing_values = models.PositiveBigIntegerField(_("missing values"), default=0)
    # Station clock minus arrival time (s) of its latest frame that carries a send time or clock (SL 651 send
    # time, 51H clock reply): positive = the station's clock runs ahead. Null until one was seen.
    clock_drift_s = models.FloatField(_("clock drift (s)"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_remote = models.CharField(_("last remote address"), max_length=64, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        ordering = ["protocol", "address"]
        verbose_name = _("telemetry station")
        verbose_name_plural = _("telemetry stations")
        constraints = [
            models.UniqueConstraint(fields=["protocol", "address"], name="water_telemetrystation_uniq"),
            models.CheckConstraint(
                condition=Q(protocol__in=TelemetryProtocol.values), name="water_telemetrystation_protocol_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol}:{self.address}"


class StationCommand(models.Model):
    """One command the centre sends a station through the telemetry gateway (issue 18 downlink): a per-station
    queue. The gateway delivers a queued command while the station is connected (M4, or while an uplink holds
    the link), matches the answer to it (SL 651: function and serial; SZY 206: AFN), retries a bounded number
    of times after a timeout, and stores every state change (`StationCommandEvent`)."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="station_commands", verbose_name=_("meter"))
    protocol = models.CharField(_("protocol"), max_length=8, choices=TelemetryProtocol.choices)
    address = models.CharField(_("station address"), max_length=16)
    kind = models.CharField(_("command"), max_length=16, choices=CommandKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=CommandSource.choices, default="manual")
    state = models.CharField(_("state"), max_length=16, choices=CommandState.choices, default="queued")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=3)
    serial = models.PositiveIntegerField(_("serial number"), null=True, blank=True)
    answer = models.JSONField(_("answer"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), db_default=Now())
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("station command")
        verbose_name_plural = _("station commands")
        indexes = [models.Index(fields=["protocol", "address", "state"], name="water_stcmd_station_state")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CommandKind.values), name="water_stationcommand_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=CommandState.values), name="water_stationcommand_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.protocol}:{self.address} ({self.state})"


class StationCommandEvent(models.Model):
    """Every state change of a `StationCommand`, with when and why."""

    command = models.ForeignKey(
        StationCommand, on_delete=models.CASCADE, related_name="events", verbose_name=_("command")
    )
    state = models.CharField(_("state"), max_length=16, choices=CommandState.choices)
    at = models.DateTimeField(_("time"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("command event")
        verbose_name_plural = _("command events")

    def __str__(self) -> str:
        return f"{self.command_id} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"
