"""The telemetry gateway's options (`GatewayConfig`, what the ``telemetry_gateway`` command's flags and settings
map onto) and its gateway-wide counters (`GatewayStats`, logged every ``counters_interval`` and on stop). Kept
apart from `water.telemetry.gateway`, the server itself, which re-exports both."""

from __future__ import annotations

from dataclasses import dataclass, fields

from water.telemetry.services import DEFAULT_ACTOR


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Options of the gateway (the ``telemetry_gateway`` command maps its flags onto these)."""

    host: str = "127.0.0.1"
    port: int = 9100
    max_connections: int = 1000
    idle_timeout: float = 600.0  # SL 651: a station held online with no traffic falls back after 10 minutes
    batch_size: int = 2000
    flush_interval: float = 0.2
    max_queue: int = 50_000  # readings waiting for the database; beyond this, connections stop being read
    # Database writer threads (one connection each; a meter always goes to the same writer, so they never wait
    # on each other's meter locks). None: 2 on PostgreSQL, where one batch's COPY and commit overlap the next
    # one's Python work; always 1 on SQLite, which takes one writer at a time.
    db_writers: int | None = None
    counters_interval: float = 10.0
    meter_ttl: float = 30.0
    miss_refresh: float = 5.0
    store_retries: int = 3
    read_size: int = 65536
    actor: str = DEFAULT_ACTOR
    # Downlink (issue 18, water.telemetry.downlink): how often the command queue is read, and how long an answer
    # is awaited before the command is retried (WATER_TELEMETRY_COMMAND_TIMEOUT_S in the command).
    command_poll: float = 1.0
    command_timeout: float = 20.0
    # Issue 14 (water.telemetry.admission; WATER_TELEMETRY_MAX_CONNECTIONS_PER_PEER and
    # WATER_TELEMETRY_ALLOWED_NETWORKS in the command): open connections per peer address (0: no cap), and
    # the networks peers may connect from (empty: any).
    max_connections_per_peer: int = 50
    allowed_networks: tuple[str, ...] = ()
    # Issue 18 "Bad input" (water.telemetry.gateway_rejects): rejected bytes a connection logs per window (s);
    # the rest is counted, and summed up in one line.
    reject_log_burst: int = 10
    reject_log_window: float = 60.0


@dataclass(slots=True)
class GatewayStats:
    """Gateway-wide counters since start (what the periodic log line prints)."""

    connections_accepted: int = 0
    connections_refused: int = 0  # over the gateway-wide bound (max_connections)
    connections_refused_peer: int = 0  # over the per-peer cap
    connections_denied: int = 0  # from outside the allowlist
    connections_idle_dropped: int = 0
    connections_open: int = 0
    bytes_received: int = 0
    garbage_bytes: int = 0
    # Rejected runs of bytes (bad checksum, wrong length, non-hex characters, false starts, garbage), each logged
    # (rate-limited per connection) and charged to the connection's station once known.
    rejected_runs: int = 0
    frames: int = 0
    bad_crc: int = 0
    bad_password: int = 0  # SL 651 frames with another password than the meter's: not stored, not acknowledged
    decode_errors: int = 0
    unknown_station_frames: int = 0
    unknown_elements: int = 0
    readings_queued: int = 0
    readings_stored: int = 0
    readings_duplicate: int = 0
    readings_refused: int = 0
    acks_sent: int = 0
    acks_undelivered: int = 0  # the connection closed before its ack could be sent: the station resends
    store_errors: int = 0  # failed store attempts (each is retried)
    # Readings of batches not stored after the retries: their frames are not acknowledged, so the stations
    # resend them. Not lost (issue 14: the old name ``readings_lost`` counted what would be resent).
    readings_unacknowledged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
