"""The project's OpenAPI AutoSchema: operation descriptions come from the view's own docstrings only.

drf-spectacular describes an operation with the docstring of its action method, else of its view class,
both found through inheritance (inspect.getdoc). A view without a docstring of its own therefore showed
the docstring of whichever mixin came first in its bases: 81 operations read "Mix into every API view
that writes…" (core.api.idempotency), a dozen the generic map-layer base's. Here a docstring counts only
when it is written on the view class or the action itself, in an app's own views; the kernel's mixins
and bases (core.api) and the frameworks' classes never describe an operation.
"""

from __future__ import annotations

import inspect
from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

# Modules whose classes and functions are machinery, not an operation's meaning.
_GENERIC_MODULES = ("core.api.", "rest_framework.", "rest_framework_gis.", "django.", "drf_spectacular.")


def _own_doc(obj: Any) -> str:
    """The docstring written on `obj` itself (a class or a function), cleaned; "" when it has none or
    comes from generic machinery."""
    if obj is None:
        return ""
    module = getattr(obj, "__module__", "") or ""
    if module.startswith(_GENERIC_MODULES):
        return ""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if doc else ""


class AutoSchema(SpectacularAutoSchema):
    def get_description(self) -> str:  # type: ignore[override]
        action = getattr(self.view, "action", None) or self.method.lower()
        method = getattr(self.view, action, None)
        return _own_doc(getattr(method, "__func__", method)) or _own_doc(self.view.__class__)
