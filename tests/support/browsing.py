"""What every browser test does the same way (tests/browser): sign in, move with the
keyboard alone, wait for what a loaded machine delivers late, look at a page (axe,
its width, its picture), and make up the Italian identifiers a form checks.

Plain functions, imported by the test modules (`from support.browsing import …`);
the fixtures are tests/browser/conftest.py's."""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable
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
