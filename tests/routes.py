"""Every route of the URL conf with the HTTP methods its view answers: the permission matrix, the
deep-JSON and the filter-fuzz tests are generated from it, so a new endpoint is covered by itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    template: str  # "/api/v1/water/intakes/{pk}/"
    name: str
    methods: tuple[str, ...]
    params: tuple[str, ...]
    callback: Any

    def url(self, **values: Any) -> str:
        out = self.template
        for p in self.params:
            out = out.replace("{" + p + "}", str(values.get(p, 1)))
        return out


def _clean(regex: str) -> tuple[str, tuple[str, ...]]:
    params: list[str] = []

    def named(m: re.Match[str]) -> str:
        params.append(m.group(1))
        return "{" + m.group(1) + "}"

    out = regex.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    out = re.sub(r"\(\?P<(\w+)>[^)]*\)", named, out)
    out = re.sub(r"<(?:\w+:)?(\w+)>", named, out)
    out = out.replace("\\", "")
    return "/" + out, tuple(params)


def _methods(callback: Any) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:
        return tuple(m for m in HTTP_METHODS if m in actions)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:
        return tuple(m for m in HTTP_METHODS if hasattr(cls, m))
    return ("get",)


def all_routes(prefixes: tuple[str, ...] = ("/api/", "/ogc/", "/healthz")) -> list[Route]:
    def walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
        out: list[tuple[str, URLPattern]] = []
        for p in patterns:
            if isinstance(p, URLResolver):
                out += walk(
                    p.url_patterns, prefix + str(p.pattern.regex.pattern if hasattr(p.pattern, "regex") else p.pattern)
                )
            elif isinstance(p, URLPattern):
                out.append((prefix + str(p.pattern.regex.pattern), p))
        return out

    routes: dict[str, Route] = {}
    for raw, pattern in walk(get_resolver().url_patterns):
        template, params = _clean(raw)
        if not template.startswith(prefixes) or "format" in params:
            continue
        route = Route(template, pattern.name or "", _methods(pattern.callback), params, pattern.callback)
        if template in routes:  # the same path twice (e.g. a trailing-slash variant): merge the methods
            old = routes[template]
            route = Route(template, old.name, tuple(dict.fromkeys(old.methods + route.methods)), params, old.callback)
        routes[template] = route
    return sorted(routes.values(), key=lambda r: r.template)
