"""Registry of demo-data loaders. Each app registers its loader in AppConfig.ready(); the
`load_demo` command runs them in order. core imports no app, so the import order holds.

A loader takes (stdout writer, password) and must be idempotent: running `load_demo` twice leaves
the same data. Demo data describe the calendar year 2024 (the seed report's year), with 2023 as its
year-on-year (同比) base, and must never be loaded in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DemoLoader = Callable[..., Any]


@dataclass(order=True)
class _Entry:
    order: int
    name: str = field(compare=True)
    loader: DemoLoader = field(compare=False)


_REGISTRY: dict[str, _Entry] = {}


def register_demo(name: str, loader: DemoLoader, *, order: int) -> None:
    _REGISTRY[name] = _Entry(order, name, loader)


def demo_loaders() -> list[tuple[str, DemoLoader]]:
    return [(e.name, e.loader) for e in sorted(_REGISTRY.values())]
