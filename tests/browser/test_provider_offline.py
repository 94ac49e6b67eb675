"""The provider's phone at the counter with no network (issue 26.2, 26.5; docs/offline.md),
in a real Chromium at 360 px: once online it keeps WeCare's public keys, its limits and
the redeem page; then, offline (context.set_offline), it checks the employee's signed QR
itself (Ed25519 in WebCrypto): VALID — WILL BE RECORDED, then ALREADY REDEEMED HERE, a
forged QR INVALID, another provider's NOT YOURS, a typed code not checkable, one past each
limit (per voucher, waiting, hours offline) refused, one past its last day EXPIRED; back
online the queue drains with each redemption's Idempotency-Key and the voucher is
redeemed, in the provider's payments and in the next settlement; one the provider had
redeemed meanwhile on another phone is said so. In Italian and English, axe-clean; the
camera reads a QR offline too, and a form sent as the network goes is answered by the
phone. The offline VALID screen goes to docs/screenshots/provider-offline-valid.png."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from browser.camera import write_qr_y4m
from playwright.sync_api import expect
from support.browsing import Counter, buy, looks_right, open_counter, sign_in

PRICE = 4_550
WAITING_LIMIT = 5_000  # one voucher of 45,50 € may wait, not two


def _signed(stack: Any, token: str, voucher: dict) -> dict:
    full = stack.api("GET", f"/me/vouchers/{voucher['id']}", token)
    assert full["signed"].startswith("WC1."), full
    return full


@pytest.fixture(scope="module")
def counter(stack: Any) -> Counter:
    """The counter's provider with offline limits, and six of its vouchers and one of
    another provider's, each with its signed text ("signed")."""
    world = open_counter(stack, "offline", ("Bruno", "Cantina"), 40_000,
                         ("Palestra Sottosuolo", "Ingresso in palestra", PRICE),
                         ("Piscina Altrove", "Nuoto libero", 3_000))
    admin = stack.api.token(*stack.login("admin"))
    stack.api("PUT", f"/providers/{world.provider_id}/offline-limits", admin,
              voucher_cents=15_000, waiting_cents=WAITING_LIMIT, hours=48)
    token = stack.api.token(*world.employee)
    world.vouchers = [_signed(stack, token, buy(stack, token, world.offering["id"]))
                      for _ in range(6)]
    world.other = _signed(stack, token, buy(stack, token, world.elsewhere["id"]))
    return world


def forged(signed: str, **changes: Any) -> str:
    """The signed text with its payload changed and the signature kept (as a forger would)."""
    prefix, payload, signature = signed.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    body = json.dumps(data, separators=(",", ":")).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(body).decode().rstrip('=')}.{signature}"


# what the phone keeps, read from its IndexedDB and its service worker's cache
OPEN = """const db = await new Promise((ok, ko) => {
    const r = indexedDB.open('wecare-offline');
    r.onsuccess = () => ok(r.result);
    r.onerror = ko;
  });"""
KEPT = """async (pid) => {
  const names = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
  if (!names.includes('wecare-offline')) return false;
  """ + OPEN + """
  if (!db.objectStoreNames.contains('state')) { db.close(); return false; }
  const state = await new Promise(ok => {
    const r = db.transaction('state').objectStore('state').get('server:' + pid);
    r.onsuccess = () => ok(r.result); r.onerror = () => ok(null); });
  db.close();
  const page = await caches.match('/provider/redeem', {ignoreVary: true, ignoreSearch: true});
  return !!(state && state.keys.length && state.limits && page
            && navigator.serviceWorker.controller);
}"""

# what the phone believes, changed: its clock (as set right by the server's) moved by
# `skew` ms, its last contact with WeCare moved by `contact` ms, its limits replaced
ALTER = """async ([pid, change]) => {
  """ + OPEN + """
  const store = db.transaction('state', 'readwrite').objectStore('state');
  await new Promise(ok => {
    const r = store.get('server:' + pid);
    r.onsuccess = () => {
      const state = r.result;
      state.skew += change.skew || 0;
      state.contact += change.contact || 0;
      if (change.limits) state.limits = Object.assign({}, state.limits, change.limits);
      store.put(state, 'server:' + pid).onsuccess = ok;
    };
  });
  db.close();
}"""
HOUR = 3_600_000


def alter(page: Any, provider_id: str, **change: Any) -> None:
    page.evaluate(ALTER, [provider_id, change])


def keeps_what_it_needs(page: Any, provider_id: str, timeout: float = 60) -> None:
    """Online, the phone has kept the keys, the limits and the redeem page."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(KEPT, provider_id):
        if time.monotonic() > deadline:
            pytest.fail("the phone did not keep the keys, limits and redeem page in "
                        f"{timeout:.0f} s")
        page.wait_for_timeout(300)


def offer(page: Any, text: str) -> Any:
    """Scan-or-type: the text goes into the redeem form and is sent; the answer."""
    if page.locator("#verdict").count():
        page.locator("[data-offline-next]").click()
    page.fill("#f-code", text)
    page.locator("form[data-redeem-form] button[type=submit]").click()
    box = page.locator("#verdict")
    expect(box).to_be_visible()
    expect(box).to_be_focused()  # announced, and the next Tab is the way on
    return box


def waiting(page: Any) -> Any:
    return page.locator("[data-offline-queue]")


def test_offline_the_phone_checks_signed_vouchers_and_sends_them_when_back_online(
        counter, stack, page_factory, axe, shot) -> None:
    page = page_factory("phone", base_url=stack.url)
    sign_in(page, counter.provider)  # the provider's home: the phone keeps what it needs
    expect(page).to_have_url(re.compile(r"/provider$"))
    keeps_what_it_needs(page, counter.provider_id)
    first, second, other = counter.vouchers[0], counter.vouchers[1], counter.other

    page.context.set_offline(True)
    page.get_by_role("link", name="Riscuoti").first.click()  # kept by the service worker
    expect(page.locator("h1")).to_have_text("Riscuoti un buono")
    expect(page.locator("[data-offline-banner]")).to_contain_text("Nessuna rete.")

    box = offer(page, first["signed"])
    expect(box).to_have_attribute("data-verdict", "offline_valid")
    expect(box).to_have_attribute("role", "status")
    expect(box.locator("h2")).to_have_text("Valido — sarà registrato")
    expect(box).to_contain_text("45,50\xa0€")
    expect(box).to_contain_text("Istruzione")
    expect(box).to_contain_text(first["code"])
    expect(box.locator("svg use")).to_have_attribute("href", re.compile("#check$"))
    expect(waiting(page)).to_have_text("1 riscossione aspetta di essere inviata a WeCare.")
    looks_right(page, axe, shot, "provider-offline-valid")

    box = offer(page, first["signed"])  # shown again at this counter
    expect(box.locator("h2")).to_have_text("Già riscosso qui")
    expect(box).to_contain_text(re.compile(r"Questo telefono l'ha riscosso il \d\d/\d\d/\d{4}"))
    looks_right(page, axe, shot)

    box = offer(page, forged(second["signed"], a=100))  # an altered amount
    expect(box.locator("h2")).to_have_text("Non valido")
    expect(box).to_have_attribute("role", "alert")
    expect(box.locator("svg use")).to_have_attribute("href", re.compile("#cross$"))
    expect(box.locator(".verdict__code")).to_have_count(0)  # a forger's code is not shown
    looks_right(page, axe, shot, "provider-offline-invalid")
    expect(offer(page, forged(other["signed"], p=counter.provider_id)).locator("h2")
           ).to_have_text("Non valido")  # made ours by a forger

    box = offer(page, other["signed"])
    expect(box.locator("h2")).to_have_text("Non è un tuo buono")
    looks_right(page, axe, shot, "provider-offline-not-yours")

    box = offer(page, second["code"])  # typed: no signature to check
    expect(box.locator("h2")).to_have_text("Non verificabile senza rete")
    expect(box).to_contain_text("solo il codice QR porta la firma di WeCare")
    looks_right(page, axe, shot)

    box = offer(page, second["signed"])  # a second 45,50 € would pass the 50 € waiting
    expect(box.locator("h2")).to_have_text("Non senza rete")
    expect(box).to_contain_text("45,50\xa0€ aspettano già di essere inviati")
    expect(box).to_contain_text("al massimo 50,00\xa0€")
    looks_right(page, axe, shot)

    alter(page, counter.provider_id, limits={"voucher_cents": 4_000})
    box = offer(page, second["signed"])
    expect(box.locator("h2")).to_have_text("Non senza rete")
    expect(box).to_contain_text("fino a 40,00\xa0€; questo è di 45,50\xa0€")
    alter(page, counter.provider_id, limits={"voucher_cents": 15_000}, contact=-49 * HOUR)
    box = offer(page, second["signed"])
    expect(box).to_contain_text("non raggiunge WeCare da più di 48 ore")
    looks_right(page, axe, shot)

    alter(page, counter.provider_id, contact=49 * HOUR, skew=2 * 365 * 24 * HOUR)
    box = offer(page, second["signed"])  # a phone two years on
    expect(box.locator("h2")).to_have_text("Buono scaduto")
    expect(box).to_contain_text(re.compile(r"Il suo ultimo giorno era il \d\d/\d\d/\d{4}"))
    expect(waiting(page)).to_have_text("1 riscossione aspetta di essere inviata a WeCare.")

    page.context.set_offline(False)  # the network returns: the queue drains by itself
    expect(waiting(page)).to_have_text(
        "Tutte le riscossioni fatte senza rete sono arrivate a WeCare.", timeout=30_000)
    expect(page.locator("[data-offline-banner]")).to_be_hidden()

    employee = stack.api.token(*counter.employee)
    assert stack.api("GET", f"/me/vouchers/{first['id']}", employee)["status"] == "redeemed"
    assert stack.api("GET", f"/me/vouchers/{second['id']}", employee)["status"] == "issued"
    page.goto("/provider/settlements")  # in the provider's payments, to be paid
    line = page.locator("ul.ledger li", has_text=first["code"])
    expect(line).to_contain_text("Buono 45,50\xa0€")
    expect(line).to_contain_text("Da pagare")
    admin = stack.api.token(*stack.login("admin"))
    preview = stack.api("GET", "/settlements/preview", admin)  # and in the next settlement
    ours = next(i for i in preview["items"] if i["provider_id"] == counter.provider_id)
    assert ours["gross_cents"] == PRICE

    mine = page_factory("phone", base_url=stack.url)  # the employee sees it redeemed
    sign_in(mine, counter.employee)
    mine.goto(f"/vouchers/{first['id']}")
    expect(mine.locator(".voucher-state")).to_have_class(re.compile("voucher-state--redeemed"))
    expect(mine.locator(".qr-box")).to_have_count(0)


def test_in_english_and_through_the_camera(counter, stack, camera_browser, page_factory,
                                          axe, shot, tmp_path) -> None:
    voucher = counter.vouchers[2]
    video = write_qr_y4m(voucher["signed"], Path(tmp_path) / "signed.y4m")
    page = page_factory("phone", base_url=stack.url, browser=camera_browser(video),
                        locale="en-GB")
    sign_in(page, counter.provider)
    expect(page).to_have_url(re.compile(r"/provider$"))
    keeps_what_it_needs(page, counter.provider_id)

    page.context.set_offline(True)
    page.get_by_role("link", name="Redeem").first.click()
    # the camera reads the signed QR and the phone answers by itself
    box = page.locator("#verdict")
    expect(box).to_be_visible(timeout=20_000)
    expect(box.locator("h2")).to_have_text("Valid — will be recorded")
    expect(box).to_contain_text("€45.50")
    expect(box).to_contain_text(voucher["code"])
    expect(waiting(page)).to_have_text("1 redemption waits to be sent to WeCare.")
    looks_right(page, axe, shot)

    page.locator("[data-offline-next]").click()  # the camera sees it again
    box = page.locator("#verdict")
    expect(box.locator("h2")).to_have_text("Already redeemed here", timeout=20_000)
    looks_right(page, axe, shot)

    page.context.set_offline(False)
    expect(waiting(page)).to_have_text(
        "Every redemption made without network has reached WeCare.", timeout=30_000)
    employee = stack.api.token(*counter.employee)
    assert stack.api("GET", f"/me/vouchers/{voucher['id']}", employee)["status"] == "redeemed"


def test_in_english_a_forged_qr_and_another_provider_s(counter, stack, page_factory,
                                                      axe) -> None:
    page = page_factory("phone", base_url=stack.url, locale="en-GB")
    sign_in(page, counter.provider)
    keeps_what_it_needs(page, counter.provider_id)
    page.context.set_offline(True)
    page.goto("/")  # the installed app, opened with no network: the counter
    expect(page.locator("h1")).to_have_text("Redeem a voucher")
    expect(page.locator("[data-offline-banner]")).to_contain_text("No network.")
    box = offer(page, forged(counter.vouchers[3]["signed"], e="2099-12-31"))
    expect(box.locator("h2")).to_have_text("Not valid")
    axe(page)
    expect(offer(page, counter.other["signed"]).locator("h2")).to_have_text("Not your voucher")
    box = offer(page, counter.vouchers[3]["code"])
    expect(box.locator("h2")).to_have_text("Cannot check without network")
    axe(page)
    expect(waiting(page)).to_be_hidden()  # nothing accepted, nothing waits


def test_a_form_sent_as_the_network_goes_is_answered_by_the_phone(counter, stack,
                                                                   page_factory) -> None:
    """The phone believed it had a network, and the redeem form's request failed: the
    service worker brings the code back to the kept page, which checks it itself (and
    sends it at once, as the rest of the network still answers)."""
    page = page_factory("phone", base_url=stack.url)
    sign_in(page, counter.provider)
    keeps_what_it_needs(page, counter.provider_id)
    page.goto("/provider/redeem")
    page.context.route("**/provider/redeem", lambda route: route.abort()
                       if route.request.method == "POST" else route.continue_())
    voucher = counter.vouchers[3]
    page.fill("#f-code", voucher["signed"])
    page.locator("form[data-redeem-form] button[type=submit]").click()
    box = page.locator("#verdict")
    expect(box.locator("h2")).to_have_text("Valido — sarà registrato", timeout=20_000)
    expect(page).to_have_url(re.compile(r"/provider/redeem$"))  # the code not left in it
    expect(waiting(page)).to_have_text(
        "Tutte le riscossioni fatte senza rete sono arrivate a WeCare.", timeout=30_000)
    employee = stack.api.token(*counter.employee)
    assert stack.api("GET", f"/me/vouchers/{voucher['id']}", employee)["status"] == "redeemed"


def test_one_redeemed_meanwhile_on_another_phone_is_said_and_paid_once(
        counter, stack, page_factory, axe) -> None:
    page = page_factory("phone", base_url=stack.url, locale="en-GB")
    sign_in(page, counter.provider)
    keeps_what_it_needs(page, counter.provider_id)
    page.context.set_offline(True)
    page.goto("/provider/redeem")
    voucher = counter.vouchers[4]
    expect(offer(page, voucher["signed"]).locator("h2")).to_have_text("Valid — will be recorded")
    asked: list[str] = []  # signing out now is asked about: what waits stays on the phone
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#verdict h2")).to_have_text("Valid — will be recorded")
    assert asked and "still wait to be sent" in asked[0], asked
    provider = stack.api.token(*counter.provider)  # the provider's other phone, online
    stack.api("POST", f"/providers/{counter.provider_id}/redemptions", provider,
              key=uuid.uuid4().hex, code=voucher["code"])

    page.context.set_offline(False)
    refused = page.locator("[data-offline-refused]")
    expect(refused).to_be_visible(timeout=30_000)
    expect(refused.locator("h2")).to_have_text("Not accepted by WeCare")
    expect(refused.locator("li")).to_contain_text(voucher["code"])
    expect(refused.locator("li")).to_contain_text(
        re.compile(r"You had already redeemed it on \d{1,2} \w{3} \d{4}, \d\d:\d\d"))
    expect(waiting(page)).to_be_hidden()  # nothing waits: it was not sent for nothing
    axe(page)
    page.get_by_role("button", name="I have read this").click()
    expect(refused).to_be_hidden()
    page.reload()
    expect(refused).to_be_hidden()
    admin = stack.api.token(*stack.login("admin"))
    preview = stack.api("GET", "/settlements/preview", admin)
    ours = next(i for i in preview["items"] if i["provider_id"] == counter.provider_id)
    assert ours["vouchers"] == ours["gross_cents"] // PRICE  # each voucher once
