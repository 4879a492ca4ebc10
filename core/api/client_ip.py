"""The client's address, taken safely behind reverse proxies (issue 14).

`X-Forwarded-For` is believed only when the peer that connected (REMOTE_ADDR) is itself a trusted proxy
(API_TRUSTED_PROXIES, networks) and only API_NUM_PROXIES hops deep: with one proxy the client is the
rightmost entry, the one that proxy wrote. A client that reaches gunicorn directly, or sends its own
rotating X-Forwarded-For through a proxy that appends, cannot choose the address it is counted under.
Used by the log-in lock-out (django-axes), the token endpoint's throttle and anything else that keys on
an address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def _is_trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.API_TRUSTED_PROXIES)))


def _valid(addr: str) -> str | None:
    addr = addr.strip()
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return None


def client_ip(request: Any) -> str:
    """The address to count a request under: REMOTE_ADDR, or the client address a trusted proxy wrote."""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "") or ""
    hops = settings.API_NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if hops <= 0 or not forwarded or not _is_trusted(remote):
        return remote
    entries = [e for e in (part.strip() for part in forwarded.split(",")) if e]
    if not entries:
        return remote
    # The proxies we trust appended (or wrote) the last `hops` entries; anything left of them came from
    # the client and proves nothing.
    chosen = entries[-min(hops, len(entries))]
    return _valid(chosen) or remote
