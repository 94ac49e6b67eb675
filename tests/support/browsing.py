"""What every browser test does the same way (tests/browser): sign in, move with the
keyboard alone, wait for what a loaded machine delivers late, look at a page (axe,
its width, its picture), make up the Italian identifiers a form checks, and set up a
provider's counter (open_counter: providers with an offering each, an employee with
credit to buy their vouchers) through the API.

Plain functions, imported by the test modules (`from support.browsing import …`);
the fixtures are tests/browser/conftest.py's."""

from __future__ import annotations

import random
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stdnum import luhn
from stdnum.it import codicefiscale

# what a check may raise while what it waits for is not there yet
NOT_YET = (RuntimeError, AssertionError, KeyError, IndexError)


# -- made-up people and firms, valid by their check digits ---------------------------------
def vat_number() -> str:
    """A partita IVA: 7 digits, a province office (001-100), a Luhn check digit."""
    body = "".join(random.choices(string.digits, k=7)) + f"{random.randint(1, 100):03d}"
    return body + luhn.calc_check_digit(body)


def fiscal_code(born: str = "85T10A562") -> str:
    """A codice fiscale: six random letters, then `born` (year, month, day and place)."""
    head = "".join(random.choices(string.ascii_uppercase.replace("O", ""), k=6)) + born
    return head + codicefiscale.calc_check_digit(head)


# -- signing in ----------------------------------------------------------------------------
def sign_in(page: Any, who: tuple[str, str]) -> None:
    """The sign-in form, filled and sent; waits for the page it leads to."""
    page.goto("/")
    page.fill("#f-email", who[0])
    page.fill("#f-password", who[1])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


# -- the keyboard --------------------------------------------------------------------------
def tab_to(page: Any, target: Any, presses: int = 200) -> None:
    """Move the focus with the Tab key alone until it reaches `target`: a locator, or a
    CSS selector that the focused element matches."""
    if isinstance(target, str):
        def there() -> bool:
            return page.evaluate("(s) => !!document.activeElement && "
                                 "document.activeElement.matches(s)", target)
    else:
        element = target.element_handle()

        def there() -> bool:
            return page.evaluate("(el) => document.activeElement === el", element)
    for _ in range(presses):
        if there():
            return
        page.keyboard.press("Tab")
    if not there():
        raise AssertionError(f"Tab never reached {target}")


# -- waiting -------------------------------------------------------------------------------
def wait_for(check: Callable[[], Any], timeout: float = 20) -> Any:
    """`check()`'s answer once it no longer raises (NOT_YET); its last error after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except NOT_YET:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wait_until(check: Callable[[], Any], what: str, timeout: float = 20) -> None:
    """Until `check()` is true (a RuntimeError counts as not yet); after `timeout`
    seconds an AssertionError that says `what` was waited for."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except RuntimeError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.2)


# -- looking -------------------------------------------------------------------------------
def looks_right(page: Any, axe: Any, shot: Any, name: str | None = None) -> None:
    """axe finds nothing; nothing sticks out sideways; a picture of it when named."""
    axe(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url}: {width} px wide in a {viewport} px screen"
    if name:
        shot(page, name)


def look(page: Any, axe: Any, shot: Any, name: str, tablet: Any = None) -> None:
    """axe on a desk's page as it is, its picture at 1280 px (`name` with its desk:
    "hr-plans"), and at 768 px on a tablet."""
    axe(page)
    shot(page, f"{name}-1280")
    if tablet is not None:
        tablet.goto(page.url)
        axe(tablet)
        shot(tablet, f"{name}-768")


# -- a provider's counter, set up through the API -------------------------------------------
PASSWORD = "counter-password-1"
IBAN = "IT60X0542811101000000123456"


@dataclass
class Counter:
    """A provider of the circuit with an offering, another provider with one of its
    own (`elsewhere`), and an employee with credit for both; the test module buys the
    vouchers it redeems (`vouchers`, the provider's; `other`, one of the other's)."""

    provider: tuple[str, str]  # (email, password) of the provider at the counter
    provider_id: str
    offering: dict
    elsewhere: dict
    employee: tuple[str, str]
    vouchers: list[dict] = field(default_factory=list)
    other: dict = field(default_factory=dict)


def enrol_provider(stack: Any, admin: str, name: str, title: str, price: int
                   ) -> tuple[str, str, dict]:
    """A provider enrolled by the operator and approved (3 % commission) with one
    education offering: (its email, its id, the offering)."""
    email = f"counter-{uuid.uuid4().hex[:8]}@provider.example"
    applied = stack.api("POST", "/providers/enrolment", admin,
                        name=name, vat_number=vat_number(),
                        categories=["education"], address="Via Po 12", city="Torino",
                        province="TO", lat=45.0686, lon=7.6934, email=email,
                        password=PASSWORD, iban=IBAN)
    stack.api("POST", f"/providers/{applied['id']}/approval", admin, status="approved",
              commission_bps=300)
    offering = stack.api("POST", f"/providers/{applied['id']}/offerings",
                         stack.api.token(email, PASSWORD), title=title,
                         category="education", price_cents=price)
    return email, applied["id"], offering


def buy(stack: Any, token: str, offering_id: str) -> dict:
    """Buy, waiting briefly for the wallet to hear of a new offering or grant."""
    return wait_for(lambda: stack.api("POST", "/me/vouchers", token, key=uuid.uuid4().hex,
                                      offering_id=offering_id))


def open_counter(stack: Any, label: str, employee: tuple[str, str], credit_cents: int,
                 provider: tuple[str, str, int], elsewhere: tuple[str, str, int]) -> Counter:
    """The demo firm's HR tops its fund up (50 € by a bank transfer the operator
    confirms), makes an education plan of this year named `label` and grants
    `credit_cents` to a new employee (`employee`: first and last name; signs in as
    <label>-…@employee.example with PASSWORD); `provider` and `elsewhere` (name, the
    offering's title, its price in cents) are enrolled with one offering each."""
    admin = stack.api.token(*stack.login("admin"))
    hr = stack.api.token(*stack.login("hr"))
    company = stack.api("GET", "/me", hr)["company_id"]
    topup = stack.api("POST", f"/companies/{company}/topups", hr, key=uuid.uuid4().hex,
                      amount_cents=50_000, method="bank_transfer")
    stack.api("POST", f"/topups/{topup['id']}/confirmation", admin)
    year = date.today().year
    plan = stack.api("POST", f"/companies/{company}/plans", hr,
                     name=f"{label.capitalize()} {uuid.uuid4().hex[:6]}", fiscal_year=year,
                     valid_from=f"{year}-01-01", valid_until=f"{year}-12-31",
                     categories=["education"], leftover_policy="return_to_fund")
    login = (f"{label}-{uuid.uuid4().hex[:8]}@employee.example", PASSWORD)
    person = stack.api("POST", f"/companies/{company}/employees", hr, email=login[0],
                       first_name=employee[0], last_name=employee[1],
                       fiscal_code=fiscal_code(), password=PASSWORD)
    stack.api("POST", f"/plans/{plan['id']}/grants", hr, key=uuid.uuid4().hex,
              amount_cents=credit_cents, employee_ids=[person["id"]])
    email, provider_id, offering = enrol_provider(stack, admin, *provider)
    _, _, other_offering = enrol_provider(stack, admin, *elsewhere)
    return Counter((email, PASSWORD), provider_id, offering, other_offering, login)
