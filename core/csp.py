"""Content-Security-Policy (django-csp) with a few path-scoped relaxations.

The policy (settings.CONTENT_SECURITY_POLICY) is strict: scripts, styles, fonts and connections from
this origin only, images also as data:/blob: URLs (map tiles drawn on canvases, previews), no inline
script or style, no framing. The console renders on the server with no inline scripts or styles, so it
works under it. Three third-party UIs that the project serves but did not write need more, and get it
only on their own paths (settings.CSP_PATH_RELAXATIONS): the admin's map widget (inline start-up script,
OpenLayers), Swagger UI and Redoc (inline style blocks; Redoc runs its search in a blob: worker).
"""

from __future__ import annotations

from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class PathScopedCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request=request, response=response, report_only=report_only)
        if report_only:
            return parts
        relaxations: dict[str, dict[str, Any]] = getattr(settings, "CSP_PATH_RELAXATIONS", {})
        for prefix, extra in relaxations.items():
            if request.path_info.startswith(prefix):
                update = dict(parts.update or {})
                for directive, sources in extra.items():
                    update[directive] = [*update.get(directive, []), *sources]
                parts.update = update
                break
        return parts
