"""The demo, seeded through the public API (so it exercises what users use).
Run again, it finds the demo in place and changes nothing. Its providers are enrolled by
the operator (`POST /providers/enrolment`): a public application waits for the link
emailed to its address, which the demo's addresses do not read."""

from __future__ import annotations

from datetime import date

import requests

HR = ("hr@officinerossi.demo", "rossi-hr-demo")
EMPLOYEES = [
    ("mario.rossi@officinerossi.demo", "Mario", "Rossi", "RSSMRA85T10A562S", ["BNCFNC15M01L219C"]),
    ("laura.bianchi@officinerossi.demo", "Laura", "Bianchi", "BNCLRA90A41F205I", []),
    ("giuseppe.verdi@officinerossi.demo", "Giuseppe", "Verdi", "VRDGPP80C15L219E", []),
]
EMPLOYEE_PASSWORD = "employee-demo"
# name, partita IVA, category, street, municipality, province (a network's territory is
# provinces and municipalities: docs/domain.md#a-networks-circuit), lat, lon, email, the
# offering and its price
PROVIDERS = [
    ("Asilo Nido Il Girasole", "45678900049", "education", "Via Po 12", "Torino", "TO", 45.0686,
     7.6934, "nido@girasole.demo", "Retta mensile asilo nido", 45000),
    ("Palestra Movimento", "56789010057", "wellbeing", "Corso Francia 80", "Torino", "TO",
     45.0781, 7.6470, "info@movimento.demo", "Abbonamento trimestrale", 15000),
    ("Cooperativa Assistenza Langhe", "67890120065", "family_care", "Via Roma 3", "Alba", "CN",
     44.7003, 8.0350, "coop@langhe.demo", "Assistenza domiciliare, 10 ore", 25000),
]
PROVIDER_PASSWORD = "provider-demo"
# a network of firms (docs/domain.md#networks): its staff has invited the demo firm, whose
# HR manager accepts or declines on /hr/network; it approved the three providers of its
# territory, and two accepted its prices, which the demo firm's employees pay once it joins
NETWORK = ("rete@welfaretorino.demo", "network-demo")
AGREED = {"nido@girasole.demo": {"price_cents": 42000},  # 420,00 € instead of 450,00 €
          "info@movimento.demo": {"discount_bps": 1500}}  # 15 % off: 127,50 € of 150,00 €
IBAN = "IT60X0542811101000000123456"


class Api:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/api/v1"

    def token(self, email: str, password: str) -> str | None:
        r = requests.post(f"{self.url}/auth/token", json={"email": email, "password": password},
                          timeout=30)
        return r.json()["access_token"] if r.status_code == 200 else None

    def call(self, verb: str, path: str, token: str | None = None,
             key: str | None = None, **body: object) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key:
            headers["Idempotency-Key"] = key
        r = requests.request(verb, f"{self.url}{path}", json=body or None, headers=headers,
                             timeout=60)
        if r.status_code >= 400:
            raise RuntimeError(f"{verb} {path}: {r.status_code} {r.text}")
        return r.json()


def seed(url: str, admin_email: str, admin_password: str) -> list[tuple[str, str, str]]:
    api = Api(url)
    logins = [("admin", admin_email, admin_password), ("hr", *HR),
              *[("employee", e[0], EMPLOYEE_PASSWORD) for e in EMPLOYEES],
              *[("provider", p[8], PROVIDER_PASSWORD) for p in PROVIDERS],
              ("network", *NETWORK)]
    if api.token(*HR):
        return logins
    admin = api.token(admin_email, admin_password)
    if admin is None:
        raise RuntimeError("the admin cannot sign in: check WECARE_ADMIN_EMAIL/PASSWORD")
    company = api.call("POST", "/companies", admin, name="Officine Rossi S.r.l.",
                       vat_number="12345670017",
                       hr_manager={"email": HR[0], "first_name": "Giulia",
                                   "last_name": "Neri", "password": HR[1]})
    hr = api.token(*HR)
    ids = []
    for email, first, last, cf, children in EMPLOYEES:
        ids.append(api.call("POST", f"/companies/{company['id']}/employees", hr, email=email,
                            first_name=first, last_name=last, fiscal_code=cf,
                            dependent_children=children, password=EMPLOYEE_PASSWORD)["id"])
    topup = api.call("POST", f"/companies/{company['id']}/topups", hr, key="demo-topup",
                     amount_cents=500000, method="bank_transfer")
    api.call("POST", f"/topups/{topup['id']}/confirmation", admin)
    year = date.today().year
    plan = api.call("POST", f"/companies/{company['id']}/plans", hr,
                    name=f"Welfare {year}", fiscal_year=year, valid_from=f"{year}-01-01",
                    valid_until=f"{year}-12-31",
                    categories=["education", "family_care", "wellbeing", "fringe"],
                    leftover_policy="return_to_fund")
    api.call("POST", f"/plans/{plan['id']}/grants", hr, key="demo-grant",
             amount_cents=80000, employee_ids=ids)
    offerings = {}
    for (name, vat, category, address, city, province, lat, lon, email, title,
         price) in PROVIDERS:
        provider = api.call("POST", "/providers/enrolment", admin, name=name, vat_number=vat,
                            categories=[category], address=address, city=city,
                            province=province, lat=lat, lon=lon, email=email,
                            password=PROVIDER_PASSWORD, iban=IBAN)
        api.call("POST", f"/providers/{provider['id']}/approval", admin, status="approved",
                 commission_bps=300)
        offering = api.call("POST", f"/providers/{provider['id']}/offerings",
                            api.token(email, PROVIDER_PASSWORD), title=title,
                            category=category, price_cents=price)
        offerings[email] = (provider["id"], offering["id"])
    network = api.call("POST", "/networks", admin, name="Rete Welfare Torino",
                       kind="association", tax_id="97002310015",
                       territory={"provinces": ["TO", "CN"], "municipalities": []},
                       staff={"email": NETWORK[0], "first_name": "Rita",
                              "last_name": "Bosco", "password": NETWORK[1]})
    staff = api.token(*NETWORK)
    for email, (provider_id, offering_id) in offerings.items():
        api.call("POST", f"/networks/{network['id']}/providers/{provider_id}/approval", staff,
                 approved=True)
        if email in AGREED:
            agreement = api.call("POST", f"/networks/{network['id']}/agreements", staff,
                                 offering_id=offering_id, **AGREED[email])
            api.call("POST", f"/providers/{provider_id}/agreements/{agreement['id']}/answer",
                     api.token(email, PROVIDER_PASSWORD), accept=True)
    api.call("POST", f"/networks/{network['id']}/invitations", staff,
             vat_number="12345670017", municipality="Torino", province="TO")
    return logins
