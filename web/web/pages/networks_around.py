"""Networks as the rest of WeCare meets them (docs/domain.md#networks): the operators
create one with its first staff member; a firm's HR manager answers its invitation,
adopts its shared plans and may leave it; a provider answers its proposed prices; and
anyone, signed in or not, sees its circuit: the page `/networks/<slug>` with a map."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from wecare_common.categories import CATEGORIES
from werkzeug.wrappers import Response

from web import refusals
from web.client import ApiError
from web.pages.network import KINDS, form_errors
from web.routing import Page, map_tiles, page
from web.views import N_, Errors, category_name

# the circuit's category selector says the API's refusal of a category it does not know
CIRCUIT_REFUSALS = {"one_of": N_("Choose a category from the list.")}
NETWORK_FIELDS = ("name", "kind", "tax_id", "provinces", "municipalities", "email",
                  "first_name", "last_name")


def _places(text: str) -> list[str]:
    """Provinces or municipalities typed one a line or separated by commas."""
    return [p.strip() for p in text.replace("\n", ",").replace(";", ",").split(",")
            if p.strip()]


class NetworksAroundPages:
    # -- the operators: networks and their first staff member -----------------------------
    @page("GET", "/admin/networks", roles=("admin",))
    def admin_networks(self, page: Page) -> Response:
        return self._admin_networks_page(page, {"kind": "association"})

    def _admin_networks_page(self, page: Page, typed: dict[str, str],
                             errors: Errors | None = None, status: int = 200) -> Response:
        networks = page.api("GET", "/networks", params={"limit": 200})["items"]
        args = page.request.args
        return page.render("admin/networks.html", status=status, errors=errors,
                           networks=networks, typed=typed, KINDS=KINDS,
                           done=args.get("done"), who=args.get("who", ""))

    @page("POST", "/admin/networks", roles=("admin",))
    def admin_create_network(self, page: Page) -> Response:
        _ = page.lang.gettext
        typed = {k: page.form.get(k, "").strip() for k in NETWORK_FIELDS}
        errors = Errors(page.lang)
        for name, text in (("name", _("Enter the network's name.")),
                           ("tax_id", _("Enter the network's tax code or VAT number.")),
                           ("email", _("Enter the email address of the network's first "
                                       "staff member.")),
                           ("first_name", _("Enter the first name.")),
                           ("last_name", _("Enter the last name."))):
            if not typed[name]:
                errors.add(name, text)
        if typed["kind"] not in KINDS:
            errors.add("kind", _("Choose what kind of network it is."))
        if not typed["provinces"] and not typed["municipalities"]:
            errors.add("provinces", _("Name at least one province or municipality."))
        if not errors:
            try:
                network = page.api("POST", "/networks", json={
                    "name": typed["name"], "kind": typed["kind"], "tax_id": typed["tax_id"],
                    "territory": {"provinces": _places(typed["provinces"]),
                                  "municipalities": _places(typed["municipalities"])},
                    "staff": {"email": typed["email"], "first_name": typed["first_name"],
                              "last_name": typed["last_name"]}})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = form_errors(page.lang, exc, aliases={
                    "staff.email": "email", "staff.first_name": "first_name",
                    "staff.last_name": "last_name", "territory.provinces": "provinces",
                    "territory.municipalities": "municipalities", "territory": "provinces"})
            else:
                return page.redirect("/admin/networks?" + urlencode(
                    {"done": "created", "who": network["name"]}))
        return self._admin_networks_page(page, typed, errors, 400)

    # -- a firm's HR manager: the network's invitations and shared plans ------------------
    @page("GET", "/hr/network", roles=("hr",))
    def hr_network(self, page: Page) -> Response:
        return self._hr_network_page(page)

    def _hr_network_page(self, page: Page, errors: Errors | None = None,
                         status: int = 200) -> Response:
        cid = page.company_id
        mine, shared = page.api_all(("GET", f"/companies/{cid}/network"),
                                    ("GET", f"/companies/{cid}/shared-plans"))
        args = page.request.args
        return page.render("hr/network.html", status=status, errors=errors, mine=mine,
                           shared=shared["items"], done=args.get("done"),
                           who=args.get("who", ""), plan_id=args.get("plan", ""))

    @page("POST", "/hr/network/invitations/<iid>", roles=("hr",))
    def hr_answer_invitation(self, page: Page, iid: str) -> Response:
        accept = page.form.get("accept") == "true"
        try:
            membership = page.api(
                "POST", f"/companies/{page.company_id}/network-invitations/{iid}/answer",
                json={"accept": accept})
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            return self._hr_network_page(page, form_errors(page.lang, exc), exc.status)
        return page.redirect("/hr/network?" + urlencode({
            "done": "joined" if accept else "declined",
            "who": membership["network"]["name"]}))

    @page("POST", "/hr/network/departure", roles=("hr",))
    def hr_leave_network(self, page: Page) -> Response:
        try:
            membership = page.api("POST", f"/companies/{page.company_id}/network/departure")
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            return self._hr_network_page(page, form_errors(page.lang, exc), exc.status)
        return page.redirect("/hr/network?" + urlencode({
            "done": "left", "who": membership["network"]["name"]}))

    @page("POST", "/hr/network/shared-plans/<spid>/adopt", roles=("hr",))
    def hr_adopt_shared_plan(self, page: Page, spid: str) -> Response:
        try:
            plan = page.api("POST", f"/companies/{page.company_id}/shared-plans/{spid}/"
                            "adoption")
        except ApiError as exc:
            if exc.status not in (404, 409, 422):
                raise
            return self._hr_network_page(page, form_errors(page.lang, exc), exc.status)
        return page.redirect("/hr/network?" + urlencode({
            "done": "adopted", "who": plan["name"], "plan": plan["id"]}))

    # -- a provider: the networks' proposed prices -----------------------------------------
    @page("GET", "/provider/agreements", roles=("provider",))
    def provider_agreements(self, page: Page) -> Response:
        return self._provider_agreements_page(page)

    def _provider_agreements_page(self, page: Page, errors: Errors | None = None,
                                  status: int = 200) -> Response:
        found = page.api("GET", f"/providers/{page.provider_id}/agreements")["items"]
        args = page.request.args
        return page.render("provider/agreements.html", status=status, errors=errors,
                           agreements=found, done=args.get("done"), who=args.get("who", ""))

    @page("POST", "/provider/agreements/<aid>", roles=("provider",))
    def provider_answer_agreement(self, page: Page, aid: str) -> Response:
        accept = page.form.get("accept") == "true"
        try:
            agreement = page.api("POST", f"/providers/{page.provider_id}/agreements/{aid}/"
                                 "answer", json={"accept": accept})
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            return self._provider_agreements_page(page, form_errors(page.lang, exc),
                                                  exc.status)
        return page.redirect("/provider/agreements?" + urlencode({
            "done": "accepted" if accept else "declined",
            "who": agreement["network_name"]}))

    # -- anyone: a network's circuit, open to the territory ---------------------------------
    @page("GET", "/networks/<slug>")
    def network_circuit_page(self, page: Page, slug: str) -> Response:
        """All of the circuit, or one category's providers and offers (`?category=`, the
        API's own filter): a category the API does not know is said beside the
        selector, over the whole circuit."""
        category = page.request.args.get("category", "").strip()
        errors, path = Errors(page.lang), f"/networks/{slug}/circuit"
        try:
            circuit = page.api_anonymous("GET", path, params={"category": category})
        except ApiError as exc:
            if exc.status != 400:
                raise
            errors = refusals.errors(page.lang, exc, texts=CIRCUIT_REFUSALS)
            category, circuit = "", page.api_anonymous("GET", path)
        return page.render("public/network.html", status=400 if errors else 200,
                           errors=errors, circuit=circuit, slug=slug, category=category,
                           categories=[(c, category_name(page.lang, c)) for c in CATEGORIES],
                           tiles=map_tiles(), KINDS=KINDS, osm=_osm)


def _osm(provider: dict[str, Any]) -> str:
    return ("https://www.openstreetmap.org/?" + urlencode({
        "mlat": provider["lat"], "mlon": provider["lon"]}) + "#map=17/"
        f"{provider['lat']}/{provider['lon']}")
