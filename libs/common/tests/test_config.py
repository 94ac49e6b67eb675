"""Fail closed: outside development mode a missing secret or account stops a
service at start, naming the variable; no built-in default secret is ever used."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from wecare_common import config, signed_vouchers

ROOT = Path(__file__).resolve().parents[3]
EVERY_SETTING = ["JWT_SECRET", "WECARE_INTERNAL_TOKEN", "WECARE_LINK_SECRET", "STRIPE_API_KEY",
                 "STRIPE_WEBHOOK_SECRET", "WECARE_SEPA_DEBTOR_NAME", "WECARE_SEPA_DEBTOR_IBAN",
                 "WECARE_SEPA_DEBTOR_BIC", "WECARE_VOUCHER_KEYS"]


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Not development mode, and none of the settings given."""
    monkeypatch.delenv(config.DEV_MODE, raising=False)
    for name in EVERY_SETTING:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "_dev_secrets", {})
    return monkeypatch


@pytest.mark.parametrize(("service", "named"), [
    ("gateway", ["JWT_SECRET", "WECARE_INTERNAL_TOKEN", "WECARE_LINK_SECRET"]),
    ("notifications", ["WECARE_INTERNAL_TOKEN", "WECARE_LINK_SECRET"]),
    ("catalog", ["WECARE_INTERNAL_TOKEN"]),
    ("wallet", ["WECARE_INTERNAL_TOKEN", "WECARE_SEPA_DEBTOR_IBAN", "WECARE_SEPA_DEBTOR_NAME",
                "WECARE_SEPA_DEBTOR_BIC", "WECARE_VOUCHER_KEYS"]),
])
def test_a_missing_setting_stops_the_start_naming_it(deployed, service, named) -> None:
    with pytest.raises(config.MissingSetting) as refused:
        config.check_settings(service)
    for name in named:
        assert name in str(refused.value)


def test_the_webhook_secret_is_needed_once_stripe_is_configured(deployed) -> None:
    for name in ["WECARE_INTERNAL_TOKEN", "WECARE_SEPA_DEBTOR_NAME", "WECARE_SEPA_DEBTOR_IBAN",
                 "WECARE_SEPA_DEBTOR_BIC"]:
        deployed.setenv(name, "given")
    deployed.setenv("WECARE_VOUCHER_KEYS", signed_vouchers.new_entry("k1", "2026-01-01",
                                                                      "2028-01-01"))
    config.check_settings("wallet")  # no Stripe: no webhook secret needed
    deployed.setenv("STRIPE_API_KEY", "sk_test_configured")
    with pytest.raises(config.MissingSetting, match="STRIPE_WEBHOOK_SECRET"):
        config.check_settings("wallet")
    deployed.setenv("STRIPE_WEBHOOK_SECRET", "whsec_given")
    config.check_settings("wallet")


def test_no_secret_has_a_built_in_default(deployed) -> None:
    from gateway import auth

    with pytest.raises(config.MissingSetting, match="JWT_SECRET"):
        auth.secret()
    with pytest.raises(config.MissingSetting, match="WECARE_INTERNAL_TOKEN"):
        config.internal_token()
    deployed.setenv("JWT_SECRET", "from-the-secret-store-" + "k" * 16)
    assert auth.secret() == "from-the-secret-store-" + "k" * 16


@pytest.mark.parametrize("dev", [False, True])
def test_a_jwt_secret_shorter_than_32_bytes_refuses_to_start(deployed, dev: bool) -> None:
    """HS256 with a short key can be brute-forced from one token (issue 23.9); a key
    someone set is never replaced, so a short one is refused even in development mode."""
    from gateway import auth

    if dev:
        deployed.setenv(config.DEV_MODE, "1")
    deployed.setenv("WECARE_INTERNAL_TOKEN", "given")
    deployed.setenv("WECARE_LINK_SECRET", "l" * 32)
    for short in ("s" * 31, "è" * 15 + "s"):  # 31 bytes, ASCII or not
        deployed.setenv("JWT_SECRET", short)
        with pytest.raises(config.MissingSetting, match="JWT_SECRET is shorter than 32 bytes"):
            config.check_settings("gateway")
        with pytest.raises(config.MissingSetting, match="shorter than 32 bytes"):
            auth.secret()  # nor can a token be signed or checked with it
    deployed.setenv("JWT_SECRET", "è" * 16)  # 32 bytes
    config.check_settings("gateway")
    assert auth.secret() == "è" * 16


def test_development_mode_makes_random_secrets_per_process(deployed) -> None:
    deployed.setenv(config.DEV_MODE, "1")
    config.check_settings("gateway")
    config.check_settings("wallet")
    token = config.internal_token()
    assert token == config.internal_token()  # one per process
    assert token not in ("wecare-dev-internal-token", "dev-only-change-me-wecare-jwt-secret")
    assert len(token) >= 32 and config.secret("JWT_SECRET") != token


@pytest.mark.slow  # a real `nameko run` start: ~3 s, left out of make test-unit
def test_a_service_without_its_secret_does_not_start() -> None:
    """The real start (`nameko run`): it exits at once, and says which variable."""
    env = {k: v for k, v in os.environ.items()
           if k not in EVERY_SETTING and k != config.DEV_MODE}
    env["WECARE_INTERNAL_TOKEN"] = "given"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "nameko", "run", "--config", "gateway/config.yaml",
         "gateway.service"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "JWT_SECRET" in done.stderr + done.stdout
    assert time.monotonic() - started < 60
