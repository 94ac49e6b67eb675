"""Signing in and out, passwords, and the signed-in person's own account whatever
their role: who they are, their notification feed and preferences."""

from __future__ import annotations

import time
from typing import Any

from wecare_common import metrics
from wecare_common.contract.notifications import PreferencesRequest
from wecare_common.contract.responses import MeOut, NotificationPage, PreferencesOut, TokenOut
from wecare_common.errors import RateLimited, ServiceUnavailable, Unauthenticated
from wecare_common.schemas import PageSchema

from gateway import limits, users
from gateway.auth import ROLES, issue_token
from gateway.clients import client_address
from gateway.rooms.base import Room, request_language
from gateway.routing import Call, SignedInCall, api
from gateway.schemas import NewPasswordIn, RefreshIn, ResetIn, TokenIn

SIGNED_IN = ROLES  # every role: whoever is signed in


class AuthRoom(Room):
    @api("POST", "/api/v1/auth/token", body=TokenIn, response=TokenOut,
         summary="sign in: a short-lived bearer token")
    def token(self, call: Call) -> dict[str, Any]:
        email, address = call.body["email"].lower(), client_address(call.request)
        # Each attempt is taken before the password is checked, in one statement per
        # counter (atomic across replicas): concurrent guesses cannot all slip under the
        # limit. Per account and address, and per address.
        now, both = time.time(), limits.pair(email, address)
        try:
            limits.take(self.db, limits.LOGIN_PER_ACCOUNT_AND_ADDRESS, both, now)
            limits.take(self.db, limits.LOGIN_PER_ADDRESS, address, now)
        except RateLimited:
            metrics.SIGNINS_FAILED.labels("rate_limited").inc()
            raise
        try:
            principal = users.authenticate(self.db, email, call.body["password"])
        except Unauthenticated:
            metrics.SIGNINS_FAILED.labels("wrong_credentials").inc()
            raise  # a failed attempt: it stays counted
        except Exception:
            self._attempt_did_not_count(both, address, now)  # the right password
            raise
        self._attempt_did_not_count(both, address, now)
        principal, refresh = users.start_session(self.db, principal)
        return {**issue_token(principal), "refresh_token": refresh}

    def _attempt_did_not_count(self, both: str, address: str, now: float) -> None:
        self.db.rollback()
        limits.give_back(self.db, limits.LOGIN_PER_ACCOUNT_AND_ADDRESS, both, now)
        limits.give_back(self.db, limits.LOGIN_PER_ADDRESS, address, now)

    @api("POST", "/api/v1/auth/password-reset", body=ResetIn, status=202,
         summary="email a one-time link to set a new password (answers the same either way)")
    def request_password_reset(self, call: Call) -> dict[str, Any]:
        address = client_address(call.request)
        limits.check(self.db, limits.RESET_PER_ADDRESS, address)
        limits.count(self.db, limits.RESET_PER_ADDRESS, address)
        # per account as well, counted for any address typed: the answer still says
        # nothing of whether the account exists
        limits.take(self.db, limits.RESET_PER_ACCOUNT, call.body["email"].lower())
        user = users.find_by_email(self.db, call.body["email"])
        # no link for a sign-up not done yet, nor for an account disabled or past its access
        if user is not None and users.linked(user) and not users.standing(user).ended:
            users.send_link(self.db, user, "reset", language=request_language(call))
            self.db.commit()
        # the same answer whether the account exists or not: no account discovery
        return {"accepted": True}

    @api("POST", "/api/v1/auth/password", body=NewPasswordIn, response=TokenOut,
         summary="set a password with an emailed one-time link's token; signs you in")
    def set_password(self, call: Call) -> dict[str, Any]:
        principal = users.set_password(self.db, call.body["token"], call.body["password"])
        principal, refresh = users.start_session(self.db, principal)
        return {**issue_token(principal), "refresh_token": refresh}

    @api("POST", "/api/v1/auth/refresh", body=RefreshIn, response=TokenOut,
         summary="a new access token for a refresh token (which is then spent)")
    def refresh(self, call: Call) -> dict[str, Any]:
        principal, refresh = users.refresh_session(self.db, call.body["refresh_token"])
        return {**issue_token(principal), "refresh_token": refresh}

    @api("POST", "/api/v1/auth/logout", roles=SIGNED_IN, open_to_leavers=True,
         summary="end this login session: its access and refresh tokens stop working")
    def logout(self, call: SignedInCall) -> tuple[int, dict[str, Any]]:
        users.end_session(self.db, call.principal.session_id)
        return 200, {"logged_out": True}

    @api("GET", "/api/v1/me", roles=SIGNED_IN, response=MeOut,
         summary="who is signed in: role, email, and the company, provider or network "
                 "they act for")
    def me(self, call: SignedInCall) -> dict[str, Any]:
        principal = call.principal
        assert principal is not None
        user = users.get(self.db, principal.user_id)
        provider = (self.catalog.get_provider(principal.provider_id)
                    if principal.provider_id else None)
        standing = users.standing(user)
        offline = None
        if principal.provider_id:
            try:  # a nicety for the phone, never a reason to fail who is signed in
                offline = self.wallet.offline_limits(principal.provider_id)
            except ServiceUnavailable:
                offline = None
        return {"user_id": principal.user_id, "email": user.email, "role": principal.role,
                "company_id": principal.company_id, "employee_id": principal.employee_id,
                "provider_id": principal.provider_id, "network_id": principal.network_id,
                "provider": provider, "offline_limits": offline,
                "read_only_until": standing.until if standing.read_only else None}

    @api("GET", "/api/v1/me/notifications", roles=SIGNED_IN,
         query=PageSchema, response=NotificationPage, summary="the signed-in person's feed")
    def my_notifications(self, call: SignedInCall) -> dict[str, Any]:
        return self.notifications.feed(call.principal.recipients, **call.query)

    @api("POST", "/api/v1/me/notifications/<nid>/read",
         roles=SIGNED_IN, open_to_leavers=True, summary="mark a notification as read")
    def mark_read(self, call: SignedInCall, nid: str) -> tuple[int, dict[str, Any]]:
        self.notifications.mark_read(call.principal.recipients, nid)
        return 200, {"id": nid, "read": True}

    @api("GET", "/api/v1/me/notification-preferences", roles=("hr", "employee", "provider"),
         response=PreferencesOut, summary="language and which emails you receive")
    def my_preferences(self, call: SignedInCall) -> dict[str, Any]:
        return self.notifications.preferences(call.principal.recipients[0])

    @api("PUT", "/api/v1/me/notification-preferences", roles=("hr", "employee", "provider"),
         body=PreferencesRequest, response=PreferencesOut, open_to_leavers=True,
         summary="turn non-essential emails off (or on), choose the language")
    def set_my_preferences(self, call: SignedInCall) -> dict[str, Any]:
        return self.notifications.set_preferences(
            call.principal.recipients[0], **call.body)
