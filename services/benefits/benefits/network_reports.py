"""What a network sees of its members (docs/domain.md#what-a-network-sees): its
console's figures and the yearly report for funders (JSON, or CSV).

Benefits owns who was a member when; the wallet owns the money. The wallet is asked
(no transaction open here) with each member's time in the network within the year,
and answers tables in which no money figure describes fewer than five people
(`wallet.small_cells`). Firms are named; people never are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from wecare_common.spreadsheet import write_csv

from benefits import networks, shared_plans

Figures = Callable[..., dict[str, Any]]
TABLES = ("by_category", "by_month", "by_municipality", "by_member", "by_provider",
          "by_shared_plan")


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _figures(session: Session, network_id: str, year: int, figures: Figures
             ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    network = networks.get_network(session, network_id)
    start, end = _year_bounds(year)
    periods = networks.membership_periods(session, network_id, start, end)
    adopted = shared_plans.adopted_plans(session, network_id)
    names = {t["id"]: t["name"] for t in shared_plans.of_network(session, network_id)["items"]}
    session.commit()  # reads only: nothing stays open over the call
    seen = figures(periods=periods, year=year, shared_plans=adopted)
    for row in seen["by_shared_plan"]["rows"]:
        row["label"] = names.get(row["key"], row["label"])
    return networks.public_view(network), periods, seen


def dashboard(session: Session, network_id: str, year: int, figures: Figures
              ) -> dict[str, Any]:
    """The console: members now, the year's totals and tables."""
    network, _periods, seen = _figures(session, network_id, year, figures)
    return {"network": network, **seen}


def report(session: Session, network_id: str, year: int, figures: Figures) -> dict[str, Any]:
    """For funders: the member firms of the year (with their seats and dates),
    employees covered, credit granted and spent per category and per municipality,
    the providers used."""
    network, periods, seen = _figures(session, network_id, year, figures)
    firms: dict[str, dict[str, Any]] = {}
    for p in periods:  # a firm that left and came back is one firm, its periods joined
        firm = firms.setdefault(p["company_id"], {
            "name": p["name"], "municipality": p["municipality"], "province": p["province"],
            "from": p["joined_at"], "until": p["left_at"], "current": p["current"]})
        firm["from"], firm["until"] = min(firm["from"], p["joined_at"]), max(
            firm["until"], p["left_at"])
        firm["current"] = firm["current"] or p["current"]
    end = _year_bounds(year)[1].isoformat()
    return {"network": network, "year": year, "generated_at": datetime.now(UTC).isoformat(),
            "member_firms": [{**f, "until": None if f["until"] == end else f["until"]}
                             for f in sorted(firms.values(), key=lambda f: f["name"])],
            "firms": seen["firms"], "employees_covered": seen["employees_covered"],
            "withheld": seen["withheld"], "totals": seen["totals"],
            **{k: seen[k] for k in ("by_category", "by_municipality", "by_provider")}}


# -- CSV ------------------------------------------------------------------------------------
CSV_COLUMNS = ("section", "key", "label", "people", "firms", "granted_cents", "spent_cents")
WITHHELD = "withheld: fewer than 5 people"


def as_csv(doc: dict[str, Any]) -> str:
    """Semicolon-separated, one row a line: the totals, the member firms, then each
    table's rows and its "other" (money in cents); text a spreadsheet would run as a
    formula is kept as text (wecare_common.spreadsheet)."""
    rows: list[dict[str, Any]] = [
        {"section": "network", "key": doc["network"]["slug"], "label": doc["network"]["name"]},
        {"section": "year", "key": doc["year"]},
        {"section": "member_firms", "firms": doc["firms"]},
        {"section": "employees_covered", "people": doc["employees_covered"]},
        *({"section": "member_firm", "key": firm["municipality"], "label": firm["name"]}
          for firm in doc["member_firms"])]
    totals = doc["totals"]
    rows.append({"section": "totals", "label": WITHHELD} if totals is None else {
        "section": "totals", "people": totals["people"],
        "granted_cents": totals["granted_cents"], "spent_cents": totals["spent_cents"]})
    for name in ("by_category", "by_municipality", "by_provider"):
        table, section = doc[name], name.removeprefix("by_")
        if table["withheld"]:
            rows.append({"section": section, "label": WITHHELD})
            continue
        for r in [*table["rows"], *([table["other"]] if table["other"] else [])]:
            rows.append({"section": section, "key": r["key"],
                         "label": r.get("label", r["key"]), "people": r["people"],
                         "firms": r.get("firms", ""), "granted_cents": r["granted_cents"],
                         "spent_cents": r["spent_cents"]})
    return write_csv(CSV_COLUMNS, rows)
