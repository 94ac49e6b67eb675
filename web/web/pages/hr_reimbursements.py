"""Reimbursements: what employees paid themselves and ask back, with the receipt,
approved or refused with a reason."""

from __future__ import annotations

from werkzeug.wrappers import Response

from web.client import ApiError
from web.pages.hr import HR, employees_by_id, refused
from web.routing import Page, page
from web.views import N_, Errors

REIMBURSEMENT_STATES = {"requested": N_("Waiting"), "approved": N_("Approved"),
                        "rejected": N_("Refused")}


class HrReimbursementPages:
    # -- reimbursements -----------------------------------------------------------------------
    @page("GET", "/hr/reimbursements", roles=HR)
    def hr_reimbursements(self, page: Page) -> Response:
        return self._reimbursements_page(page)

    def _reimbursements_page(self, page: Page, errors: Errors | None = None,
                             status: int = 200, failed: str = "",
                             reason: str = "") -> Response:
        args = page.request.args
        state = args.get("status") if args.get("status") in REIMBURSEMENT_STATES else (
            "requested")
        listing = page.api("GET", f"/companies/{page.company_id}/reimbursements", params={
            "status": state, "limit": 20, "cursor": args.get("cursor")})
        people = employees_by_id(page, sorted({r["employee_id"] for r in listing["items"]}))
        return page.render("hr/reimbursements.html", status=status, listing=listing,
                           people=people, state=state, states=REIMBURSEMENT_STATES,
                           errors=errors, failed_rid=failed, reason=reason,
                           done=args.get("done"))

    @page("GET", "/hr/reimbursements/<rid>/receipt", roles=HR)
    def hr_receipt(self, page: Page, rid: str) -> Response:
        answer = page.api("GET", f"/companies/{page.company_id}/reimbursements/{rid}/receipt",
                          raw=True)
        headers = {k: v for k, v in answer.headers.items() if k.lower() in (
            "content-disposition", "content-security-policy")}
        response = Response(answer.content, mimetype=answer.headers.get(
            "Content-Type", "application/octet-stream"), headers={
            **headers, "Cache-Control": "private, no-store"})
        return page.finish(response)

    @page("POST", "/hr/reimbursements/<rid>/decision", roles=HR)
    def hr_decide(self, page: Page, rid: str) -> Response:
        _ = page.lang.gettext
        approved = page.form.get("decision") == "approve"
        reason = page.form.get("reason", "").strip()
        key = page.form.get("idempotency_key", "")
        errors = Errors(page.lang)
        if not approved and not reason:
            errors.add(f"reason-{rid}", _("Say why you refuse it: the employee reads it."))
        elif not key:
            errors.message = _("Reload the page and try again.")
        if not errors:
            try:
                page.api("POST", f"/reimbursements/{rid}/decision", key=key,
                         json={"approved": approved, "reason": reason})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = refused(page.lang, exc, {"reason": f"reason-{rid}"})
            else:
                return page.redirect("/hr/reimbursements?done=" + (
                    "approved" if approved else "rejected"))
        return self._reimbursements_page(page, errors=errors, status=400, failed=rid,
                                         reason=reason)
