"""manage.py telemetry_simulate [--host H] [--port P] --count N --connections C [--protocol szy206|sl651]
[--meters ADDRESS …] [--answer [--held H] [--linger S]]: RTUs against a gateway.

Each connection plays one station (the addresses given, or 650102 + station 1…C); see
`water.telemetry.simulator` for the frames. The gateway acknowledges a report only once it is stored, so the
ack rate is the end-to-end rate. Meters for the stations need ``rtu_address`` = the address and the profile
``szy206-2016`` (SZY 206) or ``sl651;volume_element=FF01`` (SL 651).

``--answer`` (SL 651, issue 18): each station is an RTU that answers the centre's commands (37H real-time,
38H period data, 46H status, 51H/4AH clock; `SimulatedRtu`). It reports ``--count`` / ``--connections``
instants ``--step`` apart but holds back ``--held`` of them while "offline": it disconnects before the gap,
reconnects with the report after it, and stays online up to ``--linger`` seconds answering — the gateway's
backfill query for the gap among the commands (the meters' expected interval must be ``--step``). Printed:
reports, acks, commands answered by function, values held back.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from water.telemetry import simulator


class Command(BaseCommand):
    help = "Replay generated SZY 206 / SL 651 frames against a telemetry gateway; print frames/s and acks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9100)
        parser.add_argument("--count", type=int, default=1000, help="frames in all (default %(default)s)")
        parser.add_argument("--connections", type=int, default=10, help="stations at once (default %(default)s)")
        parser.add_argument("--protocol", choices=["szy206", "sl651"], default="szy206")
        parser.add_argument("--meters", nargs="*", default=[], help="station addresses (10 hex digits)")
        parser.add_argument("--step", type=int, default=60, help="seconds between a station's reports")
        parser.add_argument("--chunk", type=int, default=20, help="frames per write (default %(default)s)")
        parser.add_argument("--ack-timeout", type=float, default=60.0, help="seconds to wait for acks")
        parser.add_argument("--answer", action="store_true", help="SL 651 RTUs that answer the centre's commands")
        parser.add_argument("--held", type=int, default=0, help="--answer: reports held back while offline")
        parser.add_argument("--linger", type=float, default=30.0, help="--answer: seconds online answering at most")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["count"] < 1 or opts["connections"] < 1 or opts["step"] < 60 or opts["chunk"] < 1:
            raise CommandError("--count, --connections and --chunk must be positive, --step at least 60")
        addresses = [a.replace(" ", "").upper() for a in opts["meters"]]
        bad = [a for a in addresses if len(a) != 10 or any(c not in "0123456789ABCDEF" for c in a)]
        if bad:
            raise CommandError(f"--meters: not 10 hex digits: {', '.join(bad)}")
        per_station = -(-opts["count"] // opts["connections"])
        if opts["answer"]:
            self._answer(opts, addresses, per_station)
            return
        if opts["protocol"] == "szy206" and per_station * opts["step"] > 20 * 86400:
            raise CommandError("SZY 206 labels carry no month: keep count/connections × step under 20 days")
        frames = simulator.plan(
            opts["protocol"],
            count=opts["count"],
            connections=opts["connections"],
            addresses=addresses or None,
            step=timedelta(seconds=opts["step"]),
        )
        result = asyncio.run(
            simulator.simulate(
                host=opts["host"],
                port=opts["port"],
                frames_by_connection=frames,
                chunk=opts["chunk"],
                ack_timeout=opts["ack_timeout"],
            )
        )
        self.stdout.write(
            f"{result.frames_sent} frames sent over {len(frames)} connections in {result.send_seconds:.2f} s "
            f"({result.send_rate:,.0f} frames/s); {result.acks} acks in {result.total_seconds:.2f} s "
            f"({result.ack_rate:,.0f} acks/s); {result.failed_connections} connections failed"
        )
        for error in result.errors[:5]:
            self.stderr.write(error)
        if result.failed_connections:
            raise CommandError("some connections failed")

    def _answer(self, opts: dict[str, Any], addresses: list[str], per_station: int) -> None:
        if opts["protocol"] != "sl651":
            raise CommandError("--answer plays SL 651 RTUs: give --protocol sl651")
        if not 0 <= opts["held"] < per_station - 1:
            raise CommandError("--held must leave a report before and after the gap (below count/connections - 1)")
        if opts["linger"] <= 0:
            raise CommandError("--linger must be positive")
        stations = [
            addresses[i % len(addresses)] if addresses else simulator.station_address("sl651", i + 1)
            for i in range(opts["connections"])
        ]
        result = asyncio.run(
            simulator.fleet(
                host=opts["host"],
                port=opts["port"],
                addresses=stations,
                count=per_station,
                held=opts["held"],
                step=timedelta(seconds=opts["step"]),
                linger=opts["linger"],
            )
        )
        answered = ", ".join(f"{fn:02X}H × {n}" for fn, n in sorted(result.commands.items())) or "none"
        self.stdout.write(
            f"{result.stations} stations: {result.reports_sent} reports sent, {result.acks} acks; "
            f"{result.held} values held back while offline; commands answered: {answered} "
            f"({result.answers} answers) in {result.seconds:.2f} s; {result.failed} stations failed"
        )
        for error in result.errors[:5]:
            self.stderr.write(error)
        if result.failed:
            raise CommandError("some stations failed")
