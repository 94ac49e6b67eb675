"""Signing in and out, the first password from an invitation, password reset."""

from __future__ import annotations

from urllib.parse import urlencode

from wecare_common.contract import passwords
from werkzeug.wrappers import Response

from web import refusals
from web.client import ApiError
from web.routing import ROLE_HOME, Page, page, safe_next
from web.views import Errors


class AuthPages:
    @page("GET", "/")
    def index(self, page: Page) -> Response:
        """Signed in: the person's home. Otherwise: sign in."""
        if page.signed_in and page.role in ROLE_HOME:
            return page.redirect(ROLE_HOME[page.role])
        return page.render("auth/sign_in.html", email="",
                           next=safe_next(page.request.args.get("next"), ""))

    @page("POST", "/sign-in")
    def sign_in(self, page: Page) -> Response:
        _ = page.lang.gettext
        email = page.form.get("email", "").strip()
        password = page.form.get("password", "")
        target = safe_next(page.form.get("next"), "")
        errors = Errors(page.lang)
        if not email:
            errors.add("email", _("Enter your email address."))
        if not password:
            errors.add("password", _("Enter your password."))
        if not errors:
            try:
                tokens = page.api_anonymous("POST", "/auth/token",
                                            json={"email": email, "password": password})
            except ApiError as exc:
                if exc.status == 401:
                    errors.add("email", _("The email address or the password is not right."))
                elif exc.status == 429:
                    errors.message = _("Too many attempts. Wait a few minutes and try again.")
                else:  # e.g. a sign-up not finished yet: said by its code
                    errors = refusals.errors(page.lang, exc)
            else:
                page.sign_in(tokens)
                return page.redirect(target or ROLE_HOME.get(tokens["role"], "/"))
        return page.render("auth/sign_in.html", status=400, errors=errors, email=email,
                           next=target)

    @page("POST", "/sign-out")
    def sign_out(self, page: Page) -> Response:
        if page.signed_in:
            try:
                page.api("POST", "/auth/logout")
            except Exception:  # noqa: BLE001 - signing out locally is what matters
                pass
        page.sign_out()
        return page.redirect("/")

    @page("GET", "/password/reset")
    def reset_form(self, page: Page) -> Response:
        return page.render("auth/reset.html", email="", sent=False)

    @page("POST", "/password/reset")
    def reset(self, page: Page) -> Response:
        _ = page.lang.gettext
        email = page.form.get("email", "").strip()
        errors = Errors(page.lang)
        if "@" not in email:
            errors.add("email", _("Enter your email address, like name@example.com."))
            return page.render("auth/reset.html", status=400, errors=errors, email=email,
                               sent=False)
        try:
            page.api_anonymous("POST", "/auth/password-reset",
                               json={"email": email, "language": page.lang.code})
        except ApiError as exc:  # a few an hour, per address and per account
            return page.render("auth/reset.html", status=exc.status if exc.status < 500
                               else 400, errors=refusals.errors(page.lang, exc),
                               email=email, sent=False)
        return page.render("auth/reset.html", email=email, sent=True)

    @page("GET", "/password/new")
    def new_password_form(self, page: Page) -> Response:
        return page.render("auth/new_password.html", token=page.request.args.get("token", ""))

    @page("GET", "/set-password")
    def old_password_link(self, page: Page) -> Response:
        """Links emailed before the page had its name still open it."""
        return page.redirect("/password/new?" + urlencode(
            {"token": page.request.args.get("token", "")}), status=301)

    @page("POST", "/password/new")
    def new_password(self, page: Page) -> Response:
        _ = page.lang.gettext
        token = page.form.get("token", "")
        password, again = page.form.get("password", ""), page.form.get("password_again", "")
        errors = Errors(page.lang)
        if refusals.refused_by_contract(passwords.NewPassword, "password", password):
            errors.add("password", _("Use at least 10 characters."))
        elif password != again:
            errors.add("password_again", _("The two passwords are not the same."))
        if not errors:
            try:
                tokens = page.api_anonymous("POST", "/auth/password",
                                            json={"token": token, "password": password})
            except ApiError as exc:
                errors = refusals.errors(page.lang, exc)
                if "token" in exc.problems or exc.status in (401, 404):
                    errors = Errors(page.lang)
                    errors.message = _("This link has expired or was already used. Ask for "
                                       "a new one.")
            else:
                page.sign_in(tokens)
                return page.redirect(ROLE_HOME.get(tokens["role"], "/"))
        return page.render("auth/new_password.html", status=400, errors=errors, token=token)
