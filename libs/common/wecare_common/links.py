"""One-time links' tokens (an invitation, a password reset: docs/api.md#authentication),
made so that no stored copy of a link is a live one.

The gateway gives a link an id, keeps only the hash of its token, and publishes the id;
the notifications service writes the email with the id in the link and turns it into
the token only as the email leaves (`?link=<id>` → `?token=<token>`). The token is the
id and an HMAC of it under `WECARE_LINK_SECRET`, which only those two hold: the event in
the outbox, on the broker or parked, the stored email and the feed carry the id, which
opens nothing; the gateway's table carries the hash. An email sent again (a failed one
retried) makes the same token from the same id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from wecare_common import config

LINK_SECRET = "WECARE_LINK_SECRET"


def new_link_id() -> str:
    """A link's id: random, and of URL-safe characters (22 of them)."""
    return secrets.token_urlsafe(16)


def link_token(link_id: str) -> str:
    """The token an email carries for a link id: the id, then its HMAC (43 URL-safe
    characters), with no separator (links are matched as `[\\w-]+`)."""
    mac = hmac.new(config.secret(LINK_SECRET).encode(), b"wecare-link:" + link_id.encode(),
                   hashlib.sha256).digest()
    return link_id + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def stored(link_id: str) -> str:
    """What a link's query says where it is kept (`?link=<id>`): no token."""
    return f"?link={link_id}"


def live(text: str, link_id: str) -> str:
    """The text as it leaves: the kept link made a live one."""
    return text.replace(stored(link_id), f"?token={link_token(link_id)}")
