"""No scope means no access (docs/api.md#roles-and-tenants): a read or a change scoped by
a company, an employee or a provider refuses when that id is missing, never reading it
as "every company" (a query that drops its filter when the id is None would hand out
every tenant's rows)."""

from __future__ import annotations

from wecare_common.contract import refusals


def require_scope(**named: str | None) -> None:
    """Refuse (`scope_missing`, 403) when any of the named ids is missing or empty."""
    missing = sorted(name for name, value in named.items() if not value)
    if missing:
        raise refusals.SCOPE_MISSING(missing=missing, problems={
            name: [refusals.SCOPE_MISSING.said(missing=[name])] for name in missing})
