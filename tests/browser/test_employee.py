"""The employee on a phone (360 px), in a real Chromium, in Italian and in English:
signs in, finds what is near (the browser's position: Turin), buys, shows the QR
at the counter, even with no network after a visit (and not once the session ends:
signed out, expired, ended elsewhere, someone else signed in);
a double tap buys once; a refused purchase says why in the person's language;
the keyboard alone buys; a refund goes out with a photo of the receipt. axe finds
nothing on any page; each page is photographed into docs/screenshots/employee-*.png.

Contexts are made here (one signed-in phone per person and language, kept for the
module) rather than with page_factory, which makes a context per test."""

from __future__ import annotations

import os
import re
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from support import browsing
from support.browsing import tab_to, wait_until

PASSWORD = "employee-password-1"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
TURIN = {"latitude": 45.07, "longitude": 7.69}
NURSERY = "Retta mensile asilo nido"  # the demo's: 450 €, education, 0.3 km from TURIN
GYM = "Abbonamento trimestrale"  # the demo's: 150 €, wellbeing, 3.5 km from TURIN
CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}-[0-9A-Z]$")
EVERYTHING = ["education", "family_care", "wellbeing", "transport", "fringe"]
TEXT = {
    "it": {"locale": "it-IT", "near": "Vicino a me", "sorted": "Ordinati per distanza da te.",
           "refused": "Credito insufficiente: costa 450,00\xa0€ e per questa spesa hai "
                      "350,00\xa0€.",
           "requested": "In attesa delle risorse umane", "offline": "Sei offline"},
    "en": {"locale": "en-GB", "near": "Near me", "sorted": "Sorted by distance from you.",
           "refused": "Not enough credit: this costs €450.00 and you have €350.00 for it.",
           "requested": "Waiting for HR", "offline": "You are offline"},
}


# -- the people ------------------------------------------------------------------------------
@dataclass
class Person:
    email: str
    fiscal_code: str
    id: str
    token: str

    @property
    def login(self) -> tuple[str, str]:
        return self.email, PASSWORD


class Company:
    """The demo company, as its HR office: plans and employees of this module's own."""

    def __init__(self, stack: Any, fake: Any) -> None:
        self.stack, self.fake = stack, fake
        self.admin = stack.api.token(*stack.login("admin"))
        self.hr = stack.api.token(*stack.login("hr"))
        self.id = stack.api("GET", "/me", self.hr)["company_id"]
        topup = stack.api("POST", f"/companies/{self.id}/topups", self.hr,
                          key=uuid.uuid4().hex, amount_cents=2_000_000, method="bank_transfer")
        stack.api("POST", f"/topups/{topup['id']}/confirmation", self.admin)
        self.plans: dict[tuple[str, ...], str] = {}

    def plan(self, categories: list[str]) -> str:
        wanted = tuple(categories)
        if wanted not in self.plans:
            year = date.today().year
            self.plans[wanted] = self.stack.api(
                "POST", f"/companies/{self.id}/plans", self.hr,
                name=f"Welfare {year} · {len(self.plans) + 1}", fiscal_year=year,
                valid_from=f"{year}-01-01", valid_until=f"{year}-12-31",
                categories=list(wanted), leftover_policy="return_to_fund")["id"]
        return self.plans[wanted]

    def employee(self, cents: int, categories: list[str] = EVERYTHING,
                 language: str = "it") -> Person:
        email = self.fake.email("employee")
        code = self.fake.fiscal_code()
        made = self.stack.api("POST", f"/companies/{self.id}/employees", self.hr, email=email,
                              first_name="Carla", last_name="Prova", fiscal_code=code,
                              language=language, password=PASSWORD)
        self.stack.api("POST", f"/plans/{self.plan(categories)}/grants", self.hr,
                       key=uuid.uuid4().hex, amount_cents=cents, employee_ids=[made["id"]])
        person = Person(email, code, made["id"], self.stack.api.token(email, PASSWORD))
        wait_until(lambda: self.stack.api("GET", "/me/wallet", person.token)["total_cents"]
                   == cents, "the wallet to show the grant")
        return person


@pytest.fixture(scope="module")
def company(stack: Any, fake: Any) -> Company:
    return Company(stack, fake)


@pytest.fixture(scope="module")
def offerings(stack: Any, company: Company) -> dict[str, dict]:
    found = stack.api("GET", "/offerings?limit=100", company.hr)["items"]
    return {o["title"]: o for o in found if o["title"] in (NURSERY, GYM)}


@pytest.fixture(scope="module")
def main_person(company: Company) -> Person:
    """The one most tests share: enough credit for everything they buy."""
    return company.employee(300_000)


def vouchers_of(stack: Any, person: Person) -> list[dict]:
    return stack.api("GET", "/me/vouchers?limit=100", person.token)["items"]


# -- phones ------------------------------------------------------------------------------------
class Phones:
    """Signed-in phone pages kept for the module, and the watch the harness's
    page_factory keeps: an uncaught script error or a CSP refusal fails the test."""

    def __init__(self, browser: Any, stack: Any) -> None:
        self.browser, self.stack = browser, stack
        self.kept: dict[tuple[str, str], Any] = {}
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    def new(self, lang: str = "it", **options: Any) -> Any:
        settings = {**PHONE, "locale": TEXT[lang]["locale"], "base_url": self.stack.url,
                    **options}
        context = self.browser.new_context(**settings)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: uncaught {exc}"))
        page.on("console", lambda msg: self.problems.append(f"{page.url}: {msg.text}")
                if msg.type == "error" and ("Content Security Policy" in msg.text
                                            or "Refused to" in msg.text) else None)
        return page

    def signed_in(self, person: Person, lang: str = "it") -> Any:
        """The person's phone, signed in, on their home page (made once per module)."""
        key = (person.email, lang)
        if key not in self.kept:
            page = self.new(lang, geolocation=TURIN, permissions=["geolocation"])
            sign_in(page, person)
            self.kept[key] = page
        page = self.kept[key]
        page.goto("/home")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="module")
def phones(browser: Any, stack: Any) -> Iterator[Phones]:
    kept = Phones(browser, stack)
    yield kept
    kept.close()


@pytest.fixture(autouse=True)
def _no_script_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "phones" in request.fixturenames:
        kept = request.getfixturevalue("phones")
        problems, kept.problems[:] = list(kept.problems), []
        if problems:
            pytest.fail("the browser reported:\n" + "\n".join(problems), pytrace=False)


def sign_in(page: Any, person: Person) -> None:
    browsing.sign_in(page, (person.email, PASSWORD))
    page.wait_for_url("**/home")


def phone_shot(page: Any, shot: Callable[..., Any], name: str) -> None:
    """The whole page at 360 px, the tab bar at its foot (as a phone shows it)."""
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 360, "height": max(740, height)})
    try:
        shot(page, name, full_page=False)
    finally:
        page.set_viewport_size(PHONE["viewport"])


def service_worker_ready(page: Any) -> None:
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.wait_for_function("() => !!navigator.serviceWorker.controller")


def receipt_png(width: int = 40, height: int = 20, noise: bool = False) -> bytes:
    """A real PNG: a photo of a receipt, as far as the checks can tell (noise: as large
    as its pixels, the way a camera's photo does not compress)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + (os.urandom(3 * width) if noise else b"\xff\xff\xff" * width)
                    for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


# -- the journeys ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["it", "en"])
def test_signs_in_finds_what_is_near_buys_and_shows_the_qr(
        lang: str, stack: Any, company: Company, main_person: Person, phones: Phones,
        axe: Callable, shot: Callable) -> None:
    person = main_person if lang == "it" else company.employee(100_000, language="en")
    text = TEXT[lang]
    page = phones.signed_in(person, lang)
    assert page.locator("html").get_attribute("lang") == lang
    axe(page)
    if lang == "it":
        phone_shot(page, shot, "employee-home")

    page.locator("nav.tabbar a[href='/catalogue']").click()
    page.wait_for_url("**/catalogue")
    near = page.get_by_role("button", name=text["near"])
    expect(near).to_be_visible()
    near.click()
    expect(page.locator("#results")).to_contain_text(text["sorted"])
    results = page.locator("#results .result")
    expect(results.first).to_be_visible()
    distances = [float(d.replace(",", ".").split()[0]) for d in
                 results.locator(".result__meta span", has_text=re.compile(r" km$"))
                 .all_inner_texts()]
    assert distances and distances == sorted(distances), distances
    assert len(distances) == results.count()  # every result says how far it is
    assert "lat=45.07" in page.url  # the search is a link: back and reload keep it
    axe(page)
    if lang == "it":
        phone_shot(page, shot, "employee-catalogue")

    page.locator("#results .result__link", has_text=NURSERY).first.click()
    page.wait_for_url("**/offerings/*")
    expect(page.locator("h1")).to_have_text(NURSERY)
    axe(page)
    if lang == "it":
        phone_shot(page, shot, "employee-offering")

    before = len(vouchers_of(stack, person))
    page.locator("form.buy button[type=submit]").click()
    page.wait_for_url(re.compile(r"/vouchers/[^/?]+\?new=1$"))
    qr = page.locator("figure.qr-box svg[role=img]")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 250, box  # big enough to scan at the counter
    code = page.locator(".qr-box .code--big").inner_text().strip()
    assert CODE.match(code), code
    mine = vouchers_of(stack, person)
    assert len(mine) == before + 1 and code in {v["code"] for v in mine}
    facts = page.locator("dl.facts").inner_text()
    assert "Asilo Nido Il Girasole" in facts and "Via Po 12, Torino" in facts, facts
    expect(page.get_by_role("status")).to_be_visible()  # "your voucher is ready"
    axe(page)
    if lang == "it":
        phone_shot(page, shot, "employee-voucher")
        page.locator("nav.tabbar a[href='/vouchers']").click()
        page.wait_for_url("**/vouchers")
        expect(page.locator("main")).to_contain_text(code)
        axe(page)
        phone_shot(page, shot, "employee-vouchers")


def test_a_double_submit_buys_once(stack: Any, main_person: Person, offerings: dict,
                                   phones: Phones) -> None:
    page = phones.signed_in(main_person)
    gym = offerings[GYM]
    page.goto(f"/offerings/{gym['id']}")
    form = page.locator("form.buy")
    fields = {name: form.locator(f"input[name={name}]").get_attribute("value")
              for name in ("csrf_token", "idempotency_key", "plan_id", "price_cents")}
    before = [v for v in vouchers_of(stack, main_person) if v["offering_id"] == gym["id"]]
    form.locator("button[type=submit]").dblclick()
    page.wait_for_url(re.compile(r"/vouchers/[^/?]+\?new=1$"))
    # the same form sent again (a retry, a second tap without JavaScript): the same voucher
    again = page.request.post(f"/offerings/{gym['id']}/buy", form=fields, max_redirects=0)
    assert again.status == 303
    assert again.headers["location"] == page.url.removeprefix(stack.url)
    after = [v for v in vouchers_of(stack, main_person) if v["offering_id"] == gym["id"]]
    assert len(after) == len(before) + 1


@pytest.mark.parametrize("lang", ["it", "en"])
def test_a_refused_purchase_says_why_in_the_person_s_language(
        lang: str, stack: Any, company: Company, offerings: dict, phones: Phones,
        axe: Callable, shot: Callable) -> None:
    person = company.employee(50_000, language=lang)
    page = phones.signed_in(person, lang)
    nursery, gym = offerings[NURSERY], offerings[GYM]
    page.goto(f"/offerings/{nursery['id']}")
    buy = page.locator("form.buy button[type=submit]")
    expect(buy).to_be_visible()  # 500 € for 450 €
    # meanwhile, on another device, 150 € go on the gym: 350 € left
    stack.api("POST", "/me/vouchers", person.token, key=uuid.uuid4().hex,
              offering_id=gym["id"])
    buy.click()
    page.wait_for_url(f"**/offerings/{nursery['id']}/buy")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(TEXT[lang]["refused"])
    assert [v["offering_id"] for v in vouchers_of(stack, person)] == [gym["id"]]
    axe(page)
    if lang == "it":
        phone_shot(page, shot, "employee-offering-refused")
    page.goto(f"/offerings/{nursery['id']}")  # said before trying, now
    expect(page.locator("main .notice--warn")).to_contain_text(TEXT[lang]["refused"])
    expect(page.locator("form.buy")).to_have_count(0)


def test_an_offering_no_plan_covers_says_so(company: Company, offerings: dict,
                                            phones: Phones, axe: Callable) -> None:
    person = company.employee(100_000, categories=["education"])
    page = phones.signed_in(person)
    page.goto(f"/offerings/{offerings[GYM]['id']}")
    expect(page.locator("main .notice--warn")).to_contain_text(
        "Nessuno dei tuoi piani copre questa categoria")
    expect(page.locator("form.buy")).to_have_count(0)
    axe(page)


def test_the_keyboard_alone_signs_in_and_buys(stack: Any, company: Company,
                                              offerings: dict, phones: Phones) -> None:
    person = company.employee(100_000)
    page = phones.new()
    page.goto("/")
    tab_to(page, "#f-email")
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")
    tab_to(page, "nav.tabbar a[href='/catalogue']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalogue")
    tab_to(page, "#f-q")
    page.keyboard.type("abbonamento")
    page.keyboard.press("Enter")
    expect(page.locator("#results .result__link", has_text=GYM).first).to_be_visible()
    tab_to(page, f"#results a[href='/offerings/{offerings[GYM]['id']}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/offerings/{offerings[GYM]['id']}")
    tab_to(page, "form.buy button[type=submit]")
    focused = page.locator("form.buy button[type=submit]")
    outline = focused.evaluate("(b) => getComputedStyle(b).outlineStyle")
    assert outline != "none", "the focus is visible"
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/vouchers/[^/?]+\?new=1$"))
    expect(page.locator("figure.qr-box svg[role=img]")).to_be_visible()
    assert [v["offering_id"] for v in vouchers_of(stack, person)] == [offerings[GYM]["id"]]


def test_the_voucher_opens_offline_after_a_visit_and_signing_out_forgets_it(
        stack: Any, company: Company, offerings: dict, phones: Phones,
        shot: Callable) -> None:
    person = company.employee(100_000)
    voucher = stack.api("POST", "/me/vouchers", person.token, key=uuid.uuid4().hex,
                        offering_id=offerings[GYM]["id"])
    page = phones.new()
    context = page.context
    sign_in(page, person)
    service_worker_ready(page)
    page.goto(f"/vouchers/{voucher['id']}")  # the visit
    expect(page.locator(".qr-box .code--big")).to_have_text(voucher["code"])
    wait_until(lambda: page.evaluate(
        "async (path) => !!(await (await caches.open('wecare-pages')).match(path))",
        f"/vouchers/{voucher['id']}"), "the service worker to keep the voucher")

    context.set_offline(True)
    try:
        page.goto(f"/vouchers/{voucher['id']}")
        expect(page.locator("figure.qr-box svg[role=img]")).to_be_visible()
        expect(page.locator(".qr-box .code--big")).to_have_text(voucher["code"])
        # styled from the cache too: the code is large, the QR box is white
        assert page.locator(".qr-box").evaluate(
            "(e) => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
        phone_shot(page, shot, "employee-voucher-offline")
        page.goto("/catalogue")  # a page that needs the network says so
        expect(page.locator("h1")).to_have_text(TEXT["it"]["offline"])
    finally:
        context.set_offline(False)

    page.goto("/more")
    page.locator("main form[action='/sign-out'] button[type=submit]").click()
    page.wait_for_url(f"{stack.url}/")
    wait_until(lambda: not page.evaluate(
        "async (path) => !!(await (await caches.open('wecare-pages')).match(path))",
        f"/vouchers/{voucher['id']}"), "signing out to forget the kept voucher")
    context.set_offline(True)
    try:
        page.goto(f"/vouchers/{voucher['id']}")
        expect(page.locator("body")).to_contain_text(TEXT["it"]["offline"])
        expect(page.locator(".code--big")).to_have_count(0)
    finally:
        context.set_offline(False)


KEPT = "async (path) => !!(await (await caches.open('wecare-pages')).match(path))"


def open_and_keep(page: Any, voucher: dict) -> None:
    """The visit that keeps a voucher on the phone for offline use."""
    service_worker_ready(page)
    page.goto(f"/vouchers/{voucher['id']}")
    expect(page.locator(".qr-box .code--big")).to_have_text(voucher["code"])
    wait_until(lambda: page.evaluate(KEPT, f"/vouchers/{voucher['id']}"),
               "the service worker to keep the voucher")


def shown_offline(page: Any, voucher: dict) -> bool:
    """Whether the voucher's page (its code) shows with no network."""
    page.context.set_offline(True)
    try:
        page.goto(f"/vouchers/{voucher['id']}")
        expect(page.locator("body")).to_be_visible()
        return page.locator(".code--big").count() > 0
    finally:
        page.context.set_offline(False)


def test_a_shared_phone_forgets_the_vouchers_when_the_session_ends_for_any_reason(
        stack: Any, company: Company, offerings: dict, phones: Phones) -> None:
    """Issue 23.7: the vouchers a person opened are removed when their session ends,
    whatever ends it: it expires (even with no network), it is ended elsewhere (signed
    out on another device, a new password), or someone else signs in on the phone; and
    no QR image is kept by the browser's HTTP cache."""
    anna, bruno = company.employee(100_000), company.employee(100_000)
    voucher = stack.api("POST", "/me/vouchers", anna.token, key=uuid.uuid4().hex,
                        offering_id=offerings[GYM]["id"])
    theirs = stack.api("POST", "/me/vouchers", bruno.token, key=uuid.uuid4().hex,
                       offering_id=offerings[GYM]["id"])
    path = f"/vouchers/{voucher['id']}"

    # the session expires with the phone offline: its cookies go, and so does the voucher
    page = phones.new()
    sign_in(page, anna)
    open_and_keep(page, voucher)
    assert shown_offline(page, voucher)  # while the session lasts, it shows
    soon = time.time() + 2
    page.context.add_cookies([{**c, "expires": soon} for c in page.context.cookies()])
    time.sleep(3)
    assert not shown_offline(page, voucher)
    assert not page.evaluate(KEPT, path)
    expect(page.locator("body")).to_contain_text(TEXT["it"]["offline"])

    # the session is ended elsewhere (signed out on another device): the next page the
    # phone opens finds it ended, and the voucher goes
    page = phones.new()
    sign_in(page, anna)
    open_and_keep(page, voucher)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "wecare_at")
    assert stack.api("POST", "/auth/logout", token)["logged_out"] is True
    page.goto("/home")
    page.wait_for_url(f"{stack.url}/?next=/home")  # the sign-in page: the session ended
    wait_until(lambda: not page.evaluate(KEPT, path), "the ended session's voucher to go")
    assert not shown_offline(page, voucher)

    # someone else signs in on the same phone, without Anna signing out
    page = phones.new()
    sign_in(page, anna)
    open_and_keep(page, voucher)
    page.context.clear_cookies()  # as on a phone handed over: the next person signs in
    sign_in(page, bruno)
    wait_until(lambda: not page.evaluate(KEPT, path), "Anna's voucher to go")
    open_and_keep(page, theirs)
    assert not shown_offline(page, voucher)
    assert shown_offline(page, theirs)  # Bruno's own, of his session, stays

    # no QR is kept by the HTTP cache: the page carrying it, nor the API's image
    response = page.request.get(path)
    assert response.headers["cache-control"] == "no-store"
    bearer = next(c["value"] for c in page.context.cookies() if c["name"] == "wecare_at")
    image = page.request.get(f"/api/v1/me/vouchers/{theirs['id']}/qr.png",
                             headers={"Authorization": f"Bearer {bearer}"})
    assert image.status == 200 and image.headers["cache-control"] == "no-store"


def test_a_refund_with_a_photo_of_the_receipt_shows_up_as_requested(
        stack: Any, company: Company, main_person: Person, phones: Phones, axe: Callable,
        shot: Callable) -> None:
    page = phones.signed_in(main_person)
    page.locator("nav.tabbar a[href='/reimbursements']").click()
    page.wait_for_url("**/reimbursements")
    page.locator("main a[href='/reimbursements/new']").click()
    page.wait_for_url("**/reimbursements/new")
    file_input = page.locator("input[type=file][name=receipt]")
    assert file_input.get_attribute("accept") == "image/*,application/pdf"
    photo = page.locator("input[type=file][name=receipt_photo]")
    assert photo.get_attribute("capture") == "environment"
    axe(page)

    # a first try with a mistake: said beside the field, the rest kept, the file asked again
    page.locator("#cat-education").check()
    page.fill("#f-amount", "12,5x")
    page.fill("#f-spent_on", date.today().replace(day=1).isoformat())
    page.fill("#f-provider_tax_id", "45678900049")
    page.fill("#f-beneficiary_fiscal_code", main_person.fiscal_code)
    file_input.set_input_files(files=[{"name": "ricevuta.png", "mimeType": "image/png",
                                       "buffer": receipt_png()}])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary a[href='#f-amount']")).to_be_visible()
    expect(page.locator("#f-amount-error")).to_contain_text("120,50")
    expect(page.locator("#f-amount")).to_have_value("12,5x")
    expect(page.locator("#f-provider_tax_id")).to_have_value("45678900049")
    expect(page.locator("#cat-education")).to_be_checked()
    expect(page.locator("#receipt-again")).to_be_visible()
    axe(page)
    phone_shot(page, shot, "employee-reimbursement-form")

    page.fill("#f-amount", "120,50")
    # a photo over 5 MB: the phone makes it a smaller JPEG before it leaves
    big = receipt_png(1400, 1300, noise=True)
    assert len(big) > 5 * 1024 * 1024
    page.locator("input[type=file][name=receipt]").set_input_files(files=[{
        "name": "ricevuta.png", "mimeType": "image/png", "buffer": big}])
    expect(page.locator("#receipt-status")).to_contain_text("ridotta")
    assert page.locator("input[type=file][name=receipt]").evaluate(
        "(i) => [i.files[0].type, i.files[0].size < 5 * 1024 * 1024]") == ["image/jpeg", True]
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/reimbursements\?sent="))
    expect(page.get_by_role("status")).to_contain_text("120,50\xa0€")
    newest = page.locator("main .results .result").first
    expect(newest).to_contain_text(TEXT["it"]["requested"])
    expect(newest).to_contain_text("120,50\xa0€")
    axe(page)

    # HR refuses it, saying why: the list says so, with the reason, and the credit is back
    refund_id = page.url.split("sent=")[1]
    reason = "La ricevuta non riporta il codice fiscale del bambino."
    stack.api("POST", f"/reimbursements/{refund_id}/decision", company.hr,
              key=uuid.uuid4().hex, approved=False, reason=reason)
    page.goto("/reimbursements")
    expect(newest).to_contain_text("Rifiutato")
    expect(newest.locator(".refund__reason")).to_contain_text(reason)
    axe(page)
    phone_shot(page, shot, "employee-reimbursements")


def test_statement_notifications_proposals_and_more(
        stack: Any, main_person: Person, offerings: dict, phones: Phones, axe: Callable,
        shot: Callable, company: Company) -> None:
    # the gym's phones accept nothing offline for a moment, so each cancellation takes
    # effect at once (docs/offline.md) and gives its credit back: two movements each
    gym = f"/providers/{offerings[GYM]['provider_id']}/offline-limits"
    limits = stack.api("GET", gym, company.admin)
    stack.api("PUT", gym, company.admin, **{**limits, "hours": 0})
    for _ in range(11):  # enough movements for a second page
        voucher = stack.api("POST", "/me/vouchers", main_person.token, key=uuid.uuid4().hex,
                            offering_id=offerings[GYM]["id"])
        stack.api("POST", f"/me/vouchers/{voucher['id']}/cancellation", main_person.token)
    stack.api("PUT", gym, company.admin, **limits)
    page = phones.signed_in(main_person)

    page.goto("/more")
    axe(page)
    phone_shot(page, shot, "employee-more")
    page.locator("main a[href='/statement']").click()
    page.wait_for_url("**/statement")
    moves = page.locator("main .moves li")
    expect(moves).to_have_count(20)
    axe(page)
    phone_shot(page, shot, "employee-statement")
    page.locator("#more-moves a").click()  # htmx appends the next page and moves the focus
    expect(moves).not_to_have_count(20)
    expect(page.locator(".moves[data-autofocus]")).to_be_focused()
    assert page.url.endswith("/statement")
    axe(page)

    page.goto("/notifications")
    feed = page.locator("main .feed__item")
    expect(feed.first).to_be_visible()  # at least the welcome and the credit
    unread = page.locator("main .feed__item--new")
    count = unread.count()
    assert count >= 1
    unread.first.locator("form button").click()
    page.wait_for_url("**/notifications?read=1*")
    expect(page.locator("main .feed__item--new")).to_have_count(count - 1)
    page.locator("#lang-en").check()
    page.locator("#f-non_essential_email").uncheck()
    page.locator("#preferences button[type=submit]").click()
    page.wait_for_url("**/notifications?saved=1*")
    assert stack.api("GET", "/me/notification-preferences", main_person.token) == {
        "language": "en", "non_essential_email": False}
    expect(page.locator("#lang-en")).to_be_checked()
    axe(page)
    phone_shot(page, shot, "employee-notifications")

    page.goto("/propose")
    page.locator("main form button[type=submit]").click()  # empty: each field says what
    expect(page.locator(".error-summary li")).to_have_count(4)
    page.fill("#f-name", "Piscina Comunale Sud")
    page.fill("#f-city", "Torino")
    page.fill("#f-email", f"piscina-{uuid.uuid4().hex[:6]}@example.test")
    page.select_option("#f-category", "wellbeing")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/propose?sent=1")
    proposal = page.locator("main .results .result", has_text="Piscina Comunale Sud")
    expect(proposal.locator("[aria-current=step]")).to_contain_text("Invitato")
    axe(page)
    phone_shot(page, shot, "employee-propose")
