"""What every visitor gets: static files (fingerprinted, cached for a year), the
service worker and manifest at the root, the language switch, the health probe."""

from __future__ import annotations

import mimetypes

from werkzeug.wrappers import Response

from web import views
from web.routing import Page, page, safe_next

YEAR = 365 * 24 * 3600
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


def static_response(path: str, *, immutable: bool = True) -> Response:
    root = views.STATIC.resolve()
    file = (root / path).resolve()
    if root not in file.parents or not file.is_file():
        return Response("not found", status=404, mimetype="text/plain")
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    cache = f"public, max-age={YEAR}, immutable" if immutable else "no-cache"
    response = Response(file.read_bytes(), mimetype=mimetype,
                        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})
    return response


class CommonPages:
    @page("GET", "/static/<path:path>", csrf=False)
    def static_file(self, page: Page, path: str) -> Response:
        return static_response(path)

    @page("GET", "/sw.js", csrf=False)
    def service_worker(self, page: Page) -> Response:
        response = static_response("js/sw.js", immutable=False)
        response.headers["Service-Worker-Allowed"] = "/"
        return response

    @page("GET", "/manifest.webmanifest", csrf=False)
    def manifest(self, page: Page) -> Response:
        return static_response("manifest.webmanifest", immutable=False)

    @page("GET", "/favicon.ico", csrf=False)
    def favicon(self, page: Page) -> Response:
        return static_response("img/icon.svg", immutable=False)

    @page("GET", "/health", csrf=False)
    def web_health(self, page: Page) -> Response:
        return Response('{"status": "ok"}', mimetype="application/json")

    @page("GET", "/lang/<code>")
    def language(self, page: Page, code: str) -> Response:
        """The visible language switch: a plain link, remembered in a cookie."""
        page.set_language(code)
        return page.redirect(safe_next(page.request.args.get("next")))

    @page("GET", "/offline")
    def offline(self, page: Page) -> Response:
        return page.render("offline.html")
