"""manage.py telemetry_gateway [--host H] [--port P] [...]: the TCP gateway for SZY 206 / SL 651 RTUs.

Runs until SIGTERM or SIGINT, then shuts down gracefully: stops accepting and reading, stores every reading
already decoded (and acknowledges it), persists the per-station counters, closes. See docs/telemetry.md.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from water import conf
from water.telemetry.admission import parse_networks
from water.telemetry.gateway import Gateway, GatewayConfig

_DEFAULTS = GatewayConfig()


class Command(BaseCommand):
    help = "Run the telemetry gateway (asyncio TCP server for SZY 206-2016 / SL/T 427 and SL 651-2014 RTUs)."

    def add_arguments(self, parser: CommandParser) -> None:
        def tuning(name: str, kind: type, text: str, *, scale: float = 1) -> None:
            # An option for GatewayConfig's field `name`, defaulting to the gateway's own default.
            default = getattr(_DEFAULTS, name) * scale
            parser.add_argument(
                f"--{name.replace('_', '-')}", type=kind, default=default, help=f"{text} (default %(default)s)"
            )

        parser.add_argument("--host", default=_DEFAULTS.host, help="address to listen on (default %(default)s)")
        tuning("port", int, "TCP port")
        tuning("max_connections", int, "open connections at most; more are closed at once")
        parser.add_argument(
            "--max-connections-per-peer",
            type=int,
            default=None,
            help="open connections from one address at most, 0 = no cap "
            "(default: the WATER_TELEMETRY_MAX_CONNECTIONS_PER_PEER setting)",
        )
        parser.add_argument(
            "--allowed-networks",
            default=None,
            help="comma-separated networks (CIDR) peers may connect from; empty = any "
            "(default: the WATER_TELEMETRY_ALLOWED_NETWORKS setting)",
        )
        tuning("idle_timeout", float, "seconds without a complete frame before a connection is dropped")
        tuning("batch_size", int, "readings per database batch")
        tuning("flush_interval", float, "milliseconds a reading waits for its batch at most", scale=1000)
        tuning("max_queue", int, "readings waiting for the database before reading pauses")
        tuning("counters_interval", float, "seconds between writes of the per-station counters")
        tuning("meter_ttl", float, "seconds the meter directory is cached")
        parser.add_argument(
            "--db-writers",
            type=int,
            default=None,
            help="database writer threads (default: 2 on PostgreSQL; always 1 on SQLite)",
        )
        parser.add_argument("--actor", default=_DEFAULTS.actor, help="name in the audit log (default %(default)s)")

    def handle(self, *args: Any, **opts: Any) -> None:
        positive = (
            "port",
            "max_connections",
            "idle_timeout",
            "batch_size",
            "flush_interval",
            "max_queue",
            "counters_interval",
            "meter_ttl",
        )
        for name in positive:
            if opts[name] is None or opts[name] < (0 if name == "port" else 1e-9):
                raise CommandError(f"--{name.replace('_', '-')} must be positive")
        if opts["db_writers"] is not None and not 1 <= opts["db_writers"] <= 16:
            raise CommandError("--db-writers must be between 1 and 16")
        if opts["max_queue"] < opts["batch_size"]:
            raise CommandError("--max-queue must be at least --batch-size")
        per_peer = opts["max_connections_per_peer"]
        if per_peer is None:
            per_peer = conf.max_connections_per_peer()
        if per_peer < 0:
            raise CommandError("--max-connections-per-peer must be 0 (no cap) or positive")
        networks = opts["allowed_networks"]
        if networks is None:
            networks = conf.allowed_networks()
        try:
            allowed = tuple(str(n) for n in parse_networks(networks))
        except ValueError as exc:
            raise CommandError(f"allowed networks: {exc}") from exc
        config = GatewayConfig(
            host=opts["host"],
            port=opts["port"],
            max_connections=opts["max_connections"],
            idle_timeout=opts["idle_timeout"],
            batch_size=opts["batch_size"],
            flush_interval=opts["flush_interval"] / 1000,
            max_queue=opts["max_queue"],
            counters_interval=opts["counters_interval"],
            meter_ttl=opts["meter_ttl"],
            actor=opts["actor"],
            db_writers=opts["db_writers"],
            command_timeout=conf.command_timeout_s(),  # issue 18 downlink
            max_connections_per_peer=per_peer,
            allowed_networks=allowed,  # issue 14
        )
        asyncio.run(self._run(config))

    async def _run(self, config: GatewayConfig) -> None:
        gateway = Gateway(config)
        try:
            await gateway.start()
        except OSError as exc:
            raise CommandError(f"cannot listen on {config.host}:{config.port}: {exc}") from exc
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, gateway.request_stop)
        self.stdout.write(f"telemetry gateway listening on {config.host}:{gateway.port}")
        await gateway.serve()
        self.stdout.write(f"telemetry gateway stopped: {gateway.stats.as_dict()}")
