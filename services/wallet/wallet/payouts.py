"""How providers are paid: by which way (`method_for`: Stripe Connect when the
provider has an account there and Stripe is configured, else SEPA to its IBAN, else
not yet), and from which account SEPA payouts leave (`debtor`). A settlement run
pays by this choice and the operators' preview shows the same."""

from __future__ import annotations

from typing import Any, Protocol

from wecare_common.config import MissingSetting, dev_mode, env

# a demo account for development mode only; a deployment must name its own
DEMO_DEBTOR = {"WECARE_SEPA_DEBTOR_NAME": "WeCare Welfare Platform (demo)",
               "WECARE_SEPA_DEBTOR_IBAN": "IT60X0542811101000000123456",
               "WECARE_SEPA_DEBTOR_BIC": "BPMOIT22XXX"}


class Payee(Protocol):
    stripe_account_id: str | None
    iban: str | None


def method_for(provider: Payee | None, *, with_stripe: bool) -> str | None:
    """"stripe", "sepa", or None when there is nowhere to pay yet."""
    if provider is not None and provider.stripe_account_id and with_stripe:
        return "stripe"
    if provider is not None and provider.iban:
        return "sepa"
    return None


def _debtor_setting(name: str) -> str:
    value = env(name)
    if value is None and not dev_mode():  # the wallet checked this at start
        raise MissingSetting(f"{name} is not set (the account SEPA payouts leave from)")
    return value or DEMO_DEBTOR[name]


def debtor() -> dict[str, Any]:
    """The platform's own account, from which SEPA payouts leave."""
    return {"name": _debtor_setting("WECARE_SEPA_DEBTOR_NAME"),
            "IBAN": _debtor_setting("WECARE_SEPA_DEBTOR_IBAN"),
            "BIC": _debtor_setting("WECARE_SEPA_DEBTOR_BIC"),
            "batch": True, "currency": "EUR"}
