"""The web app's HTTP entrypoint: the signed-in person (tokens in HttpOnly
cookies, refreshed silently), the language, the CSRF check on every form, the
security headers, and what happens when the API says no.

    @page("GET", "/vouchers/<vid>", roles=("employee",))
    def voucher(self, page: Page, vid: str) -> Response: ...
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

import eventlet
from eventlet.event import Event
from wecare_common import tracing
from wecare_common.telemetry import HttpEntrypoint
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from web import client, i18n, refusals, views
from web.client import ApiError

log = logging.getLogger(__name__)

ACCESS, REFRESH, CSRF, LANG = "wecare_at", "wecare_rt", "wecare_csrf", "wecare_lang"
# Which session this browser holds, and until when: no secret (a digest of the login
# session's id, and the refresh cookie's end), readable by the service worker (not
# HttpOnly) so that the vouchers it keeps for offline use are dropped when the session
# they were opened in ends, even with no network (static/js/sw.js). Every page also says
# it in SESSION_HEADER ("" when nobody is signed in).
SESSION, SESSION_HEADER = "wecare_session", "X-WeCare-Session"
REFRESH_MAX_AGE = 14 * 24 * 3600
REFRESH_EARLY = 60  # seconds before expiry when the access token is renewed
ROLE_HOME = {"employee": "/home", "provider": "/provider", "hr": "/hr", "admin": "/admin",
             "network": "/network"}


class SignInRequired(Exception):
    """No valid session: go to the sign-in page, then come back."""


class BadForm(Exception):
    """A form without its CSRF token (or a stale one)."""


def claims_of(token: str | None) -> dict[str, Any]:
    """The claims a token carries, read without checking its signature: the web
    app uses them only to choose which page to show, never to decide access
    (every API call is checked by the gateway)."""
    if not token or token.count(".") != 2:
        return {}
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return {}


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path of this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


class Page:
    """One request to a page: who asks, in which language, and the cookies to set."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.lang = i18n.Lang(i18n.negotiate(request.cookies.get(LANG),
                                             request.headers.get("Accept-Language")))
        self.token = request.cookies.get(ACCESS)
        self.refresh_token = request.cookies.get(REFRESH)
        self.csrf = request.cookies.get(CSRF) or ""
        self._new_cookies: dict[str, tuple[str, int | None]] = {}
        self._cleared: set[str] = set()
        # sources this page's Content-Security-Policy allows beyond 'self' (allow_stripe)
        self.csp_sources: dict[str, list[str]] = {}
        if not self.csrf:
            self.csrf = secrets.token_urlsafe(24)
            self._new_cookies[CSRF] = (self.csrf, None)
        self.claims = claims_of(self.token)
        self.read_only_until: str | None = None  # an employee who left: until when

    # -- who -----------------------------------------------------------------------
    @property
    def role(self) -> str | None:
        return self.claims.get("role")

    @property
    def signed_in(self) -> bool:
        return bool(self.token or self.refresh_token)

    @property
    def provider_id(self) -> str | None:
        return self.claims.get("provider_id")

    @property
    def company_id(self) -> str | None:
        return self.claims.get("company_id")

    @property
    def client_address(self) -> str:
        """The browser's address as the gateway forwarded it to us."""
        forwarded = self.request.headers.get("X-Forwarded-For", "")
        return forwarded or (self.request.remote_addr or "")

    def sign_in(self, tokens: dict[str, Any]) -> None:
        secure = self.request.scheme == "https" or self.request.headers.get(
            "X-Forwarded-Proto") == "https"
        self.token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")
        self.claims = claims_of(self.token)
        self._new_cookies[ACCESS] = (self.token, int(tokens.get("expires_in", 1800)))
        if self.refresh_token:
            self._new_cookies[REFRESH] = (self.refresh_token, REFRESH_MAX_AGE)
        sid = self.claims.get("sid")
        if sid:
            digest = hashlib.sha256(str(sid).encode()).hexdigest()[:16]
            self._new_cookies[SESSION] = (f"{digest}.{int(time.time()) + REFRESH_MAX_AGE}",
                                          REFRESH_MAX_AGE)
        self._secure = secure

    def sign_out(self) -> None:
        self.token = self.refresh_token = None
        self.claims = {}
        self._cleared |= {ACCESS, REFRESH, SESSION}
        for name in (ACCESS, REFRESH, SESSION):
            self._new_cookies.pop(name, None)

    def allow_stripe(self) -> str:
        """This page runs Stripe.js (the Payment Element): its policy lets Stripe's
        script, frames and API in, and only this page's. Returns the script's address."""
        for directive, sources in stripe_sources().items():
            self.csp_sources.setdefault(directive, []).extend(sources)
        return stripe_js_url()

    def set_language(self, code: str) -> None:
        if code in i18n.LANGUAGES:
            self.lang = i18n.Lang(code)
            self._new_cookies[LANG] = (code, 365 * 24 * 3600)

    # -- the API -------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API as this person; renew the session once when it has expired."""
        if self.token is None and self.refresh_token is None:
            raise SignInRequired()
        if self._expires_soon():
            self._renew()
        try:
            return self._call(method, path, **kwargs)
        except ApiError as exc:
            if exc.status != 401 or self.refresh_token is None:
                raise
        self._renew()
        return self._call(method, path, **kwargs)

    def api_all(self, *calls: tuple[str, str] | tuple[str, str, dict[str, Any]],
                soft: bool = False) -> list[Any]:
        """Several API calls at once (a page that needs the wallet and the statement
        waits for the slower, not for both): [(method, path, {kwargs}), …] → results.
        soft: a part that cannot answer now (an API error other than the session's
        own 401/403) gives None, and the rest of the page still shows."""
        if self.token is None and self.refresh_token is None:
            raise SignInRequired()
        if self._expires_soon():
            self._renew()  # once, before the calls fan out

        def one(spec: tuple) -> Any:
            method, path, kwargs = (*spec, {})[:3]
            try:
                return self._call(method, path, **kwargs)
            except Exception as exc:  # noqa: BLE001 - sorted out below, in order
                return exc

        # each call in a green thread of its own, in this one's context (span, request id)
        results = list(eventlet.GreenPool(len(calls)).imap(tracing.carried(one), calls))
        expired = [i for i, r in enumerate(results)
                   if isinstance(r, ApiError) and r.status == 401]
        if expired and self.refresh_token is not None:
            self._renew()
            for i in expired:
                results[i] = one(calls[i])
        for i, result in enumerate(results):
            if (soft and isinstance(result, ApiError)
                    and result.status not in (401, 403)):
                results[i] = None
            elif isinstance(result, Exception):
                raise result
        return results

    def api_anonymous(self, method: str, path: str, **kwargs: Any) -> Any:
        return client.call(method, path, client_address=self.client_address, **kwargs).data

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = client.call(method, path, token=self.token,
                                 client_address=self.client_address, **kwargs)
        except ApiError as exc:
            self._heard(exc.headers)
            if exc.status == 401 and self.refresh_token is None:
                self.sign_out()
                raise SignInRequired() from exc
            raise
        self._heard(answer.headers)
        return answer if kwargs.get("raw") else answer.data

    def _heard(self, headers: dict[str, str]) -> None:
        """What the gateway says of this person beside its answer: an employee who left
        reads until a day (every page then says so, and offers nothing to do)."""
        until = next((v for k, v in headers.items()
                      if k.lower() == client.READ_ONLY_HEADER.lower()), None)
        if until:
            self.read_only_until = until

    def _expires_soon(self) -> bool:
        exp = self.claims.get("exp")
        return self.refresh_token is not None and (
            self.token is None or not isinstance(exp, int) or exp - REFRESH_EARLY < time.time())

    def _renew(self) -> None:
        """Silent refresh: a spent refresh token buys a new pair."""
        if self.refresh_token is None:
            self.sign_out()
            raise SignInRequired()
        try:
            tokens = client.call("POST", "/auth/refresh", json={
                "refresh_token": self.refresh_token},
                client_address=self.client_address).data
        except ApiError as exc:
            self.sign_out()
            raise SignInRequired() from exc
        self.sign_in(tokens)

    # -- forms ----------------------------------------------------------------------
    @property
    def form(self) -> MultiDict:
        return self.request.form

    def check_csrf(self) -> None:
        sent = self.request.form.get("csrf_token", "") or self.request.headers.get(
            "X-CSRF-Token", "")
        cookie = self.request.cookies.get(CSRF, "")
        if not cookie or not sent or not hmac.compare_digest(sent, cookie):
            raise BadForm()

    # -- answers --------------------------------------------------------------------
    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        html = views.render(template, self, **context)
        return self.finish(Response(html, status=status, mimetype="text/html"))

    def redirect(self, location: str, status: int = 303) -> Response:
        return self.finish(Response("", status=status, headers={"Location": location}))

    def finish(self, response: Response) -> Response:
        secure = getattr(self, "_secure", False) or self.request.scheme == "https"
        for name, (value, max_age) in self._new_cookies.items():
            response.set_cookie(name, value, max_age=max_age, path="/",
                                httponly=name != SESSION, samesite="Lax", secure=secure)
        for name in self._cleared:
            response.delete_cookie(name, path="/", httponly=name != SESSION, samesite="Lax",
                                   secure=secure)
        response.headers[SESSION_HEADER] = self.session_marker
        security_headers(response, self.csp_sources)
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers["Vary"] = "Cookie, Accept-Language, HX-Request, Accept-Encoding"
            body = response.get_data()
            if self.accepts_gzip and len(body) > 1024:
                response.set_data(gzip.compress(body, 5))
                response.headers["Content-Encoding"] = "gzip"
        return response

    @property
    def session_marker(self) -> str:
        """The session this answer leaves the browser with ("" for none)."""
        if SESSION in self._new_cookies:
            return self._new_cookies[SESSION][0]
        if SESSION in self._cleared or not self.signed_in:
            return ""
        return self.request.cookies.get(SESSION, "")

    @property
    def accepts_gzip(self) -> bool:
        return "gzip" in self.request.headers.get("Accept-Encoding", "")

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"


def map_tiles() -> str:
    return os.environ.get("WECARE_MAP_TILES_URL", "")


STRIPE_JS = "https://js.stripe.com/v3/"
# What Stripe.js with the Payment Element needs (Stripe's integration security guide):
# its script, its frames (the element, 3-D Secure), its API, its images.
STRIPE_SOURCES = {"script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
                  "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com",
                                "https://hooks.stripe.com"],
                  "connect-src": ["https://api.stripe.com"],
                  "img-src": ["https://*.stripe.com"]}


def stripe_js_url() -> str:
    """Stripe.js: Stripe's own by default; tests name a local stand-in of it."""
    return os.environ.get("WECARE_STRIPE_JS_URL", "").strip() or STRIPE_JS


def stripe_sources() -> dict[str, list[str]]:
    """The sources a page running Stripe.js adds to its policy: Stripe's, or, for a
    stand-in, its origin (which serves the script, the element's frame and the API)."""
    parts = urlsplit(stripe_js_url())
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin == "https://js.stripe.com":
        return {k: list(v) for k, v in STRIPE_SOURCES.items()}
    return {"script-src": [origin], "frame-src": [origin], "connect-src": [origin]}


def security_headers(response: Response, extra: dict[str, list[str]] | None = None) -> None:
    """The strict policy every page has; `extra` adds sources to a directive for one
    page (the card payment page lets Stripe.js in, no other page does)."""
    tiles = map_tiles()
    tile_origin = ""
    if tiles:
        parts = urlsplit(tiles.replace("{s}", "a"))
        tile_origin = " " + f"{parts.scheme}://{parts.netloc}".replace("//a.", "//*.")
    more = {k: "".join(f" {s}" for s in dict.fromkeys(v)) for k, v in (extra or {}).items()}
    frames = f"frame-src{more['frame-src']}; " if more.get("frame-src") else ""
    response.headers.setdefault("Content-Security-Policy", (
        f"default-src 'self'; script-src 'self'{more.get('script-src', '')}; style-src 'self'; "
        f"img-src 'self' data: blob:{tile_origin}{more.get('img-src', '')}; "
        f"connect-src 'self'{more.get('connect-src', '')}; {frames}font-src 'self'; "
        "media-src 'self' blob:; worker-src 'self'; manifest-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy",
                                "camera=(self), geolocation=(self), microphone=()")


class PageRoute(HttpEntrypoint):
    """A page: who may see it (roles), and whether a POST needs the CSRF token."""

    def __init__(self, method: str, url: str, *, roles: tuple[str, ...] | None = None,
                 csrf: bool = True, **kwargs: Any) -> None:
        self.roles = roles
        self.csrf = csrf
        kwargs.setdefault("expected_exceptions", (SignInRequired, BadForm, ApiError))
        super().__init__(method, url, **kwargs)

    def answer(self, request: Request, context_data: dict[str, Any]) -> Response:
        request.shallow = False
        page = Page(request)
        try:
            if self.roles is not None:
                if not page.signed_in:
                    raise SignInRequired()
                if page.role is not None and page.role not in self.roles:
                    raise ApiError(403, "forbidden", "this page is for another role")
            if self.method == "POST" and self.csrf:
                page.check_csrf()
            # the URL's variables, which nameko's web server sets on the request
            args, kwargs = (page,), dict(vars(request)["path_values"])
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            return event.wait()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a page
            return self.failure_page(page, exc)

    def failure_page(self, page: Page, exc: BaseException) -> Response:
        _ = page.lang.gettext
        if isinstance(exc, SignInRequired):
            target = page.request.full_path.rstrip("?")
            if page.request.method != "GET":
                target = urlsplit(page.request.referrer or "/").path or "/"
            page.sign_out()
            if page.htmx:  # a fragment request: send the whole page to sign-in
                response = page.finish(Response("", status=204))
                response.headers["HX-Redirect"] = "/?next=" + quote(safe_next(target), safe="/")
                return response
            return page.redirect("/?next=" + quote(safe_next(target), safe="/"))
        if isinstance(exc, BadForm):
            return page.render("error.html", status=400, title=_("This form has expired"),
                               message=_("For your safety, forms expire. Go back, reload the "
                                         "page and try again."))
        if isinstance(exc, ApiError):
            if exc.status == 404:
                return page.render("error.html", status=404, title=_("Not found"),
                                   message=_("What you are looking for does not exist, or is "
                                             "not yours to see."))
            if exc.status == 403:
                return page.render("error.html", status=403, title=_("Not for this account"),
                                   message=_("This page is not available to the account you "
                                             "signed in with."))
            log.warning("API error on %s: %s", page.request.path, exc)
            return page.render("error.html", status=502 if exc.status >= 500 else exc.status,
                               title=_("Something went wrong"),
                               message=refusals.say(page.lang, exc))
        log.error("page %s failed", page.request.path, exc_info=exc)
        return page.render("error.html", status=500, title=_("Something went wrong"),
                           message=_("Please try again in a moment."))


page = PageRoute.decorator
