"""Configuration, read from the environment in one place (docs/architecture.md#configuration)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import overload

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672//"
# Where `make run` keeps its SQLite files when DATABASE_URL is not set.
DEFAULT_DATA_DIR = Path(os.environ.get("WECARE_DATA_DIR", "var"))


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None) -> str | None: ...


def env(name: str, default: str | None = None) -> str | None:
    """An environment variable's value; unset or empty, `default`."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def database_url(service: str) -> str:
    """The URL a service's engine connects to.

    PostgreSQL: one server, a schema per service (the schema is chosen by
    `db.make_engine`). SQLite (the embedded default): a file per service.
    """
    url = env("DATABASE_URL")
    if url is None:
        DEFAULT_DATA_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_DATA_DIR / (service + '.db')}"
    if url.startswith("sqlite"):
        # A single SQLite URL names a folder's worth of files, one per service.
        path = Path(url.split("///", 1)[1]) if "///" in url else DEFAULT_DATA_DIR
        folder = path.parent if path.suffix else path
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / (service + '.db')}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


def service_url(service: str) -> str | None:
    """`<SERVICE>_URL`: the service's web address, when calls to it go over HTTP."""
    return env(f"{service.upper()}_URL")


# -- settings a deployment must give (fail closed) ------------------------------------
# Outside development mode a missing secret or account stops the service at start,
# naming the variable; no built-in default secret is ever used. `make run`, the test
# harnesses and CI set WECARE_DEV_MODE=1 (make run keeps random secrets per data dir).
DEV_MODE = "WECARE_DEV_MODE"
log = logging.getLogger(__name__)


class MissingSetting(RuntimeError):
    """A variable a deployment must set is missing (outside development mode), or is
    too weak to use (in any mode)."""


# Keys whose strength is their length: HS256 wants a key at least as long as its
# 32-byte hash (RFC 7518 §3.2); a shorter one can be guessed offline from any token.
# The same for the key of one-time links (wecare_common.links, HMAC-SHA256).
MIN_BYTES = {"JWT_SECRET": 32, "WECARE_LINK_SECRET": 32}


def weak(name: str, value: str) -> str | None:
    """Why `value` may not be used for `name`, or None."""
    least = MIN_BYTES.get(name)
    if least is not None and len(value.encode()) < least:
        return f"{name} is shorter than {least} bytes"
    return None


def dev_mode() -> bool:
    """`WECARE_DEV_MODE=1`: a developer's machine or a test run, never a deployment."""
    return (env(DEV_MODE) or "").lower() in ("1", "true", "yes", "on")


# In development mode a secret nobody set is random, once per process: nothing
# outside this process can know it (processes that must share one get it from
# their environment, as `make run` and the harnesses give it).
_dev_secrets: dict[str, str] = {}


def secret(name: str) -> str:
    """A secret from the environment; never a built-in default."""
    value = env(name)
    if value is not None:
        if (why := weak(name, value)) is not None:
            raise MissingSetting(f"{why}: set a longer one (e.g. 48 random bytes, base64)")
        return value
    if not dev_mode():
        raise MissingSetting(f"{name} is not set: set it (from the cluster's Secret), or set "
                             f"{DEV_MODE}=1 on a development machine")
    if name not in _dev_secrets:
        log.warning("%s is not set: a random one for this process (development mode)", name)
        _dev_secrets[name] = secrets.token_urlsafe(32)
    return _dev_secrets[name]


def internal_token() -> str:
    """`WECARE_INTERNAL_TOKEN`: what a service-to-service HTTP call must carry."""
    return secret("WECARE_INTERNAL_TOKEN")


# A test's moved clock (wecare_common.clock): development mode only.
MOVED_CLOCK = "WECARE_CLOCK_FILE"

# What each service needs at start: (variable, what it is for).
INTERNAL_TOKEN = ("WECARE_INTERNAL_TOKEN", "the token calls between services carry")
SEPA_DEBTOR = [("WECARE_SEPA_DEBTOR_NAME", "the platform account's holder payouts leave from"),
               ("WECARE_SEPA_DEBTOR_IBAN", "the platform account's IBAN payouts leave from"),
               ("WECARE_SEPA_DEBTOR_BIC", "the platform account's BIC")]


def requirements(service: str) -> list[tuple[str, str]]:
    """The variables `service` cannot start without (outside development mode)."""
    needed = [INTERNAL_TOKEN]
    if service == "gateway":
        needed.append(("JWT_SECRET", "the key that signs sign-in tokens"))
    if service in ("gateway", "notifications"):
        needed.append(("WECARE_LINK_SECRET",
                       "the key of emailed one-time links (invitations, password resets)"))
    if service == "wallet":
        if env("STRIPE_API_KEY"):
            needed.append(("STRIPE_WEBHOOK_SECRET",
                           "verifies Stripe's webhooks (STRIPE_API_KEY is set)"))
        needed += SEPA_DEBTOR
        needed.append(("WECARE_VOUCHER_KEYS",
                       "the keys that sign vouchers' QR codes (docs/offline.md)"))
    return needed


def check_settings(service: str) -> None:
    """Stop `service` at start when a setting it needs is missing, naming each one, or
    is set too weak (in development mode too: a key someone chose is used as given), or
    when a test's moved clock (wecare_common.clock) is set outside development mode."""
    if env(MOVED_CLOCK) is not None and not dev_mode():
        message = (f"{service} cannot start: {MOVED_CLOCK} is set outside development mode "
                   "(a deployment runs on the machine's clock); unset it")
        log.critical(message)
        raise MissingSetting(message)
    needed = requirements(service)
    too_weak = [why for name, _ in needed
                if (value := env(name)) is not None and (why := weak(name, value))]
    if too_weak:
        message = f"{service} cannot start: {'; '.join(too_weak)}. Set a longer one."
        log.critical(message)
        raise MissingSetting(message)
    missing = [(name, why) for name, why in needed if env(name) is None]
    if not missing or dev_mode():
        return
    names = ", ".join(name for name, _ in missing)
    message = (f"{service} cannot start: {names} not set (" +
               "; ".join(f"{name}: {why}" for name, why in missing) +
               f"). Set each, or {DEV_MODE}=1 on a development machine.")
    log.critical(message)
    raise MissingSetting(message)
