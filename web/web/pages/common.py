"""What every visitor gets: static files (fingerprinted, cached for a year), the
service worker and manifest at the root, the language switch, the health probe."""

from __future__ import annotations

import gzip
import mimetypes
from functools import cache

from wecare_common import lifecycle
from werkzeug.wrappers import Response

from web import views
from web.routing import Page, page, safe_next

YEAR = 365 * 24 * 3600
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


@cache
def _static_file(path: str) -> tuple[bytes, bytes | None, str] | None:
    """A static file's bytes, gzipped too when that helps, and its type (read once)."""
    root = views.STATIC.resolve()
    file = (root / path).resolve()
    if root not in file.parents or not file.is_file():
        return None
    data = file.read_bytes()
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    packed = gzip.compress(data, 9, mtime=0) if compressible(mimetype) else None
    return data, packed if packed and len(packed) < len(data) else None, mimetype


def compressible(mimetype: str) -> bool:
    return mimetype.startswith("text/") or mimetype in (
        "application/javascript", "image/svg+xml", "application/json",
        "application/manifest+json")


def static_response(page: Page, path: str, *, immutable: bool = True) -> Response:
    found = _static_file(path)
    if found is None:
        return Response("not found", status=404, mimetype="text/plain")
    data, packed, mimetype = found
    cache_control = f"public, max-age={YEAR}, immutable" if immutable else "no-cache"
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff",
               "Vary": "Accept-Encoding"}
    if packed is not None and page.accepts_gzip:
        data = packed
        headers["Content-Encoding"] = "gzip"
    return Response(data, mimetype=mimetype, headers=headers)


class CommonPages:
    @page("GET", "/static/<path:path>", csrf=False)
    def static_file(self, page: Page, path: str) -> Response:
        return static_response(page, path)

    @page("GET", "/sw.js", csrf=False)
    def service_worker(self, page: Page) -> Response:
        response = static_response(page, "js/sw.js", immutable=False)
        response.headers["Service-Worker-Allowed"] = "/"
        return response

    @page("GET", "/manifest.webmanifest", csrf=False)
    def manifest(self, page: Page) -> Response:
        return static_response(page, "manifest.webmanifest", immutable=False)

    @page("GET", "/favicon.ico", csrf=False)
    def favicon(self, page: Page) -> Response:
        return static_response(page, "img/icon.svg", immutable=False)

    @page("GET", "/health", csrf=False)
    def web_health(self, page: Page) -> Response:
        """Readiness: unready once told to stop (wecare_common.lifecycle), still serving."""
        if lifecycle.draining():
            return Response('{"status": "draining"}', status=503, mimetype="application/json")
        return Response('{"status": "ok"}', mimetype="application/json")

    @page("GET", "/live", csrf=False)
    def web_live(self, page: Page) -> Response:
        """Liveness: the process answers (a draining one too)."""
        return Response('{"status": "alive"}', mimetype="application/json")

    @page("GET", "/lang/<code>")
    def language(self, page: Page, code: str) -> Response:
        """The visible language switch: a plain link, remembered in a cookie."""
        page.set_language(code)
        return page.redirect(safe_next(page.request.args.get("next")))

    @page("GET", "/offline")
    def offline(self, page: Page) -> Response:
        return page.render("offline.html")
