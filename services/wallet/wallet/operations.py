"""What WeCare's operators look at: bank transfers waiting to be confirmed, what
a settlement run would pay before it runs, past runs with their payouts and
their SEPA file. Reads only: the changes are funding.confirm_topup and
settlement.run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wecare_common.contract import refusals
from wecare_common.db import aware

from wallet import keyset, settlement
from wallet.commission import commission_of
from wallet.funding import topup_view
from wallet.models import (
    Account,
    OfflineRedemption,
    Payout,
    Provider,
    RedemptionRefusal,
    SettlementRun,
    Topup,
    Voucher,
)
from wallet.payouts import method_for


# -- money in: transfers waiting -----------------------------------------------------------
def topups(session: Session, *, status: str, method: str | None, limit: int,
           cursor: str | None) -> dict[str, Any]:
    """Top-ups in one state, oldest first (the queue an operator works through)."""
    query = (select(Topup).where(Topup.status == status)
             .order_by(Topup.created_at, Topup.id).limit(limit + 1))
    if method:
        query = query.where(Topup.method == method)
    if cursor:
        query = query.where(keyset.after(Topup.created_at, Topup.id, cursor,
                                         newest_first=False))
    rows = session.scalars(query).all()
    return {"items": [topup_view(t) for t in rows[:limit]],
            "next_cursor": (keyset.cursor_of(rows[limit - 1].created_at, rows[limit - 1].id)
                            if len(rows) > limit else None)}


# -- money out: settlements ----------------------------------------------------------------
def settlement_preview(session: Session, *, stripe_configured: bool) -> dict[str, Any]:
    """What `settlement.run` would pay now, provider by provider, writing nothing:
    the face value of the redeemed vouchers not yet settled (gross), the platform's
    commission on them, and the payable balance a run moves (net); a provider with
    nowhere to pay it (no IBAN, no Stripe account) is listed as waiting."""
    owed = session.execute(
        select(Account.owner_id, Account.balance_cents)
        .where(Account.kind == "provider", Account.balance_cents > 0)
        .order_by(Account.id)).all()
    ids = [provider_id for provider_id, _ in owed]
    providers = {p.id: p for p in session.scalars(select(Provider).where(
        Provider.id.in_(ids)))} if ids else {}
    gross: dict[str, int] = {}
    commission: dict[str, int] = {}
    vouchers: dict[str, int] = {}
    if ids:  # one row per provider and (price, rate): commission is rounded per voucher
        for provider_id, amount, bps, count in session.execute(
                select(Voucher.provider_id, Voucher.amount_cents, Voucher.commission_bps,
                       func.count())
                .where(Voucher.provider_id.in_(ids), Voucher.status == "redeemed",
                       Voucher.settled_at.is_(None))
                .group_by(Voucher.provider_id, Voucher.amount_cents, Voucher.commission_bps)):
            gross[provider_id] = gross.get(provider_id, 0) + amount * count
            commission[provider_id] = (commission.get(provider_id, 0)
                                       + commission_of(amount, bps) * count)
            vouchers[provider_id] = vouchers.get(provider_id, 0) + count
    items = []
    for provider_id, net in owed:
        provider = providers.get(provider_id)
        method = method_for(provider, with_stripe=stripe_configured)  # as settlement.run
        items.append({
            "provider_id": provider_id, "provider_name": provider.name if provider else None,
            "vouchers": vouchers.get(provider_id, 0), "gross_cents": gross.get(provider_id, 0),
            "commission_cents": commission.get(provider_id, 0), "net_cents": net,
            "method": method, "payable": method is not None})
    paid = [i for i in items if i["payable"]]
    return {"items": items,
            "total_gross_cents": sum(i["gross_cents"] for i in paid),
            "total_commission_cents": sum(i["commission_cents"] for i in paid),
            "total_net_cents": sum(i["net_cents"] for i in paid),
            "waiting_cents": sum(i["net_cents"] for i in items if not i["payable"])}


def runs(session: Session, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """Settlement runs, newest first, each with its payouts' count and total."""
    query = (select(SettlementRun.id, SettlementRun.created_at,
                    SettlementRun.sepa_xml.is_not(None))
             .order_by(SettlementRun.created_at.desc(), SettlementRun.id.desc())
             .limit(limit + 1))
    if cursor:
        query = query.where(keyset.after(SettlementRun.created_at, SettlementRun.id, cursor,
                                         newest_first=True))
    rows = session.execute(query).all()
    page = rows[:limit]
    totals = {run_id: (count, total) for run_id, count, total in session.execute(
        select(Payout.run_id, func.count(), func.coalesce(func.sum(Payout.amount_cents), 0))
        .where(Payout.run_id.in_([r[0] for r in page])).group_by(Payout.run_id))} if page else {}
    return {"items": [{"id": run_id, "created_at": aware(created_at).isoformat(),
                       "payouts": totals.get(run_id, (0, 0))[0],
                       "total_cents": int(totals.get(run_id, (0, 0))[1]),
                       "has_sepa": bool(has_sepa)}
                      for run_id, created_at, has_sepa in page],
            "next_cursor": (keyset.cursor_of(page[-1][1], page[-1][0]) if len(rows) > limit
                            else None)}


def _run(session: Session, run_id: str) -> SettlementRun:
    run = session.get(SettlementRun, run_id)
    if run is None:
        raise refusals.RUN_UNKNOWN(field="run_id")
    return run


def run_detail(session: Session, run_id: str) -> dict[str, Any]:
    """One run: its payouts, each with the provider's name, and whether a SEPA file
    goes with it (downloaded on its own: `sepa_xml`)."""
    run = _run(session, run_id)
    summary = settlement._summary(session, run)
    sepa = summary.pop("sepa_xml")
    ids = {p["provider_id"] for p in summary["payouts"]}
    names = dict(session.execute(select(Provider.id, Provider.name).where(
        Provider.id.in_(ids))).tuples().all()) if ids else {}
    for payout in summary["payouts"]:
        payout["provider_name"] = names.get(payout["provider_id"])
    summary["created_at"] = aware(run.created_at).isoformat()
    summary["has_sepa"] = sepa is not None
    return summary


def sepa_xml(session: Session, run_id: str) -> str:
    """The run's pain.001 credit-transfer file, for the platform's bank."""
    run = _run(session, run_id)
    if run.sepa_xml is None:
        raise refusals.RUN_HAS_NO_SEPA(field="run_id")
    return run.sepa_xml


# -- providers out of the circuit ---------------------------------------------------------
def provider_standing(session: Session, provider_ids: list[str]) -> dict[str, Any]:
    """Per provider: what the wallet still owes it (paid by the next settlement run,
    suspended or not) and the redemptions refused since its latest change of status
    (the copy's `as_of`), with the last one's moment."""
    ids = list(dict.fromkeys(provider_ids))[:500]
    if not ids:
        return {}
    owed = dict(session.execute(select(Account.owner_id, Account.balance_cents).where(
        Account.kind == "provider", Account.owner_id.in_(ids))).tuples().all())
    # one grouped query each (the circuit's list asks for hundreds of providers at once):
    # refusals since the copy's latest change of status, and offline duplicates
    refusals = {provider_id: (count, last) for provider_id, count, last in session.execute(
        select(RedemptionRefusal.provider_id, func.count(), func.max(RedemptionRefusal.refused_at))
        .select_from(RedemptionRefusal)
        .outerjoin(Provider, Provider.id == RedemptionRefusal.provider_id)
        .where(RedemptionRefusal.provider_id.in_(ids),
               (Provider.as_of.is_(None)) | (RedemptionRefusal.refused_at >= Provider.as_of))
        .group_by(RedemptionRefusal.provider_id)).tuples().all()}
    duplicates = dict(session.execute(
        select(OfflineRedemption.provider_id, func.count())
        .where(OfflineRedemption.provider_id.in_(ids), OfflineRedemption.outcome == "duplicate")
        .group_by(OfflineRedemption.provider_id)).tuples().all())
    standing: dict[str, Any] = {}
    for provider_id in ids:
        count, last = refusals.get(provider_id, (0, None))
        standing[provider_id] = {"offline_duplicates": int(duplicates.get(provider_id) or 0),
                                 "owed_cents": int(owed.get(provider_id) or 0),
                                 "refused_redemptions": int(count or 0),
                                 "last_refused_at": aware(last).isoformat() if last else None}
    return standing
