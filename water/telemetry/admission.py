"""Who may connect to the telemetry gateway (issue 14, "Gateway exposure").

Decided when a connection is accepted, before a byte is read:

- **Allowlist** (``WATER_TELEMETRY_ALLOWED_NETWORKS``): the networks (CIDR, IPv4 or IPv6) RTUs connect from,
  typically the carrier's private APN or a VPN. Empty: every address (the host firewall is then the only
  filter, docs/deploy.md). A peer outside is closed at once and counted (``connections_denied``).
- **Per-peer cap** (``WATER_TELEMETRY_MAX_CONNECTIONS_PER_PEER``): open connections from one address at
  most, so one host holding idle sockets cannot fill the gateway-wide bound and lock real RTUs out. The
  extra connection is closed at once and counted (``connections_refused_peer``). RTUs behind a carrier NAT
  share one public address: raise the cap there (or filter at the APN), 0 turns it off.

The idle timer (`water.telemetry.gateway`) is the third guard: only frames of commissioned stations, with the
right SL 651 password where one is configured, keep a connection open.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED, DENIED, PEER_FULL = "allowed", "denied", "peer_full"


def parse_networks(values: Iterable[str] | str) -> tuple[Network, ...]:
    """The allowlist from its setting: CIDRs (``10.64.0.0/16``) or single addresses; a text is split on commas
    and spaces. ValueError names the first entry that is neither."""
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    networks: list[Network] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"not a network or address: {text!r}") from exc
    return tuple(networks)


def peer_host(peername: object) -> str:
    """The address part of a socket's peer name (IPv4-mapped IPv6 addresses as IPv4)."""
    host = peername[0] if isinstance(peername, tuple) and peername else str(peername)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return str(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@dataclass(slots=True)
class Admission:
    """The allowlist and the open connections per peer address (event-loop side only)."""

    networks: tuple[Network, ...] = ()
    per_peer: int = 0  # 0: no cap
    open_by_peer: dict[str, int] = field(default_factory=dict)

    def allowed(self, host: str) -> bool:
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def admit(self, host: str) -> str:
        """`ALLOWED` (and the connection is counted for its peer: call `release` when it closes), `DENIED`
        (outside the allowlist) or `PEER_FULL` (the peer holds its cap)."""
        if not self.allowed(host):
            return DENIED
        held = self.open_by_peer.get(host, 0)
        if self.per_peer and held >= self.per_peer:
            return PEER_FULL
        self.open_by_peer[host] = held + 1
        return ALLOWED

    def release(self, host: str) -> None:
        held = self.open_by_peer.get(host, 0) - 1
        if held > 0:
            self.open_by_peer[host] = held
        else:
            self.open_by_peer.pop(host, None)


def sl651_password(raw: bytes) -> int | None:
    """The password in an SL 651 frame's header (HEX: bytes 8–9 after 7E 7E, centre and station; ASCII: hex
    characters 13–16 after SOH, centre and station), or None when the frame is too short to hold one."""
    if raw[:1] == b"\x01":
        try:
            return int(raw[13:17].decode("ascii"), 16) if len(raw) >= 17 else None
        except (UnicodeDecodeError, ValueError):
            return None
    return (raw[8] << 8) | raw[9] if len(raw) >= 10 else None
