"""HR's people: the employees' table, adding one, an employee's page (departure,
invitation sent again), the CSV import with its preview, and HR colleagues (invited,
their access removed). Every page is a client of /api/v1 as the signed-in HR manager."""

from __future__ import annotations

import base64
import binascii
import gzip
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from wecare_common.languages import DEFAULT as DEFAULT_LANGUAGE
from wecare_common.languages import LANGUAGES
from wecare_common.spreadsheet import write_csv
from werkzeug.wrappers import Response

from web import refusals
from web.client import ApiError
from web.pages.hr import HR, HR_TEXTS, refused, today, whole
from web.routing import Page, page
from web.views import N_, Errors

PAGE_SIZE = 25
# the import file's columns, as the template HR downloads names them
IMPORT_COLUMNS = ("codice_fiscale", "nome", "cognome", "email", "gruppo", "fascia_reddito",
                  "figli_a_carico", "data_assunzione")
COLLEAGUE_FIELDS = ("first_name", "last_name", "email")
EMPLOYEE_FIELDS = ("first_name", "last_name", "email", "fiscal_code", "dependent_children",
                   "group", "hire_date", "income_band", "language")
SORTS = {"name": N_("name"), "email": N_("email"), "fiscal_code": N_("tax code"),
         "group": N_("group"), "status": N_("status")}
INCOME_BANDS = {"up_to_80k": N_("Up to 80,000 €"), "over_80k": N_("Over 80,000 €")}
MAX_CARRIED_CSV = 450_000  # a form field's limit is 500 kB: bigger files are chosen again


# -- the CSV carried from the preview to the import, without any server-side state --------
def pack_csv(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 6, mtime=0)).decode()


def unpack_csv(packed: str) -> str | None:
    try:
        return gzip.decompress(base64.b64decode(packed, validate=True)).decode("utf-8")
    except (binascii.Error, OSError, EOFError, UnicodeDecodeError, ValueError):
        return None


def _table_link(query: dict[str, Any]) -> Callable[..., str]:
    """link(**changes) → the employees table's address with those changes."""
    def link(**changes: Any) -> str:
        merged = {**query, **changes}
        return "/hr/employees?" + urlencode({k: v for k, v in merged.items()
                                             if v not in (None, "")})
    return link


class HrPeoplePages:
    # -- employees ----------------------------------------------------------------------
    @page("GET", "/hr/employees", roles=HR)
    def hr_employees(self, page: Page) -> Response:
        args = page.request.args
        query: dict[str, Any] = {"q": args.get("q", "").strip()[:100] or None,
                 "sort": args.get("sort") if args.get("sort") in SORTS else "name",
                 "order": "desc" if args.get("order") == "desc" else "asc",
                 "status": args.get("status") if args.get("status") in ("active", "left")
                 else None,
                 "page": max(whole(args.get("page"), 1) or 1, 1)}
        table = page.api("GET", f"/companies/{page.company_id}/employees",
                         params={**query, "limit": PAGE_SIZE})
        if table["items"] == [] and query["page"] > 1 and table["total"]:
            query["page"] = table["pages"]
            table = page.api("GET", f"/companies/{page.company_id}/employees",
                             params={**query, "limit": PAGE_SIZE})
        template = "hr/_employee_table.html" if page.htmx else "hr/employees.html"
        return page.render(template, table=table, query=query, link=_table_link(query),
                           sort_names=SORTS,
                           done=args.get("done"), count=whole(args.get("n")),
                           who=args.get("who", "")[:200])

    @page("GET", "/hr/employees/new", roles=HR)
    def hr_new_employee(self, page: Page) -> Response:
        form = dict.fromkeys(EMPLOYEE_FIELDS, "")
        return page.render("hr/employee_new.html", form={**form, "language": page.lang.code})

    @page("POST", "/hr/employees/new", roles=HR)
    def hr_add_employee(self, page: Page) -> Response:
        _ = page.lang.gettext
        form = {k: page.form.get(k, "").strip() for k in EMPLOYEE_FIELDS}
        children = [c.upper() for c in re.split(r"[\s,;]+", form["dependent_children"]) if c]
        errors = Errors(page.lang)
        if form["income_band"] not in ("", *INCOME_BANDS):
            errors.add("income_band", _("Choose one of the options."))
        if not errors:
            try:
                page.api("POST", f"/companies/{page.company_id}/employees", json={
                    "first_name": form["first_name"], "last_name": form["last_name"],
                    "email": form["email"], "fiscal_code": form["fiscal_code"],
                    "dependent_children": children, "group": form["group"] or None,
                    "hire_date": form["hire_date"] or None,
                    "income_band": form["income_band"] or None,
                    "language": form["language"] if form["language"] in LANGUAGES
                    else DEFAULT_LANGUAGE})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = refused(page.lang, exc)
            else:
                who = f"{form['first_name']} {form['last_name']}"
                return page.redirect("/hr/employees?" + urlencode(
                    {"done": "added", "who": who, "q": form["fiscal_code"].upper()}))
        return page.render("hr/employee_new.html", status=400, errors=errors, form=form)

    @page("GET", "/hr/employees/<eid>", roles=HR)
    def hr_employee(self, page: Page, eid: str) -> Response:
        return self._employee_page(page, eid)

    def _employee_page(self, page: Page, eid: str, errors: Errors | None = None,
                       status: int = 200, left_on: str = "") -> Response:
        found = page.api("GET", f"/companies/{page.company_id}/employees",
                         params={"ids": eid, "limit": 1})["items"]
        if not found:
            raise ApiError(404, "not_found", "no such employee")
        return page.render("hr/employee.html", status=status, employee=found[0],
                           errors=errors, left_on=left_on or today().isoformat(),
                           done=page.request.args.get("done"),
                           income_bands=INCOME_BANDS)

    @page("POST", "/hr/employees/<eid>/departure", roles=HR)
    def hr_departure(self, page: Page, eid: str) -> Response:
        _ = page.lang.gettext
        left_on = page.form.get("left_on", "").strip()
        errors = Errors(page.lang)
        if not left_on:
            errors.add("left_on", _("Enter the last day of work."))
        else:
            try:
                page.api("POST", f"/companies/{page.company_id}/employees/{eid}/departure",
                         json={"left_on": left_on})
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = refused(page.lang, exc)
            else:
                return page.redirect(f"/hr/employees/{eid}?done=left")
        return self._employee_page(page, eid, errors=errors, status=400, left_on=left_on)

    @page("POST", "/hr/employees/<eid>/invitation", roles=HR)
    def hr_resend_invitation(self, page: Page, eid: str) -> Response:
        try:
            page.api("POST", f"/companies/{page.company_id}/employees/{eid}/invitation")
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._employee_page(page, eid, status=409, errors=Errors(
                page.lang, message=refusals.say(page.lang, exc, HR_TEXTS)))
        back = page.form.get("back", "")
        if back.startswith("/hr/employees?"):
            return page.redirect(back + "&done=invited")
        return page.redirect(f"/hr/employees/{eid}?done=invited")

    # -- the CSV import, with its preview ---------------------------------------------------
    @page("GET", "/hr/employees/import", roles=HR)
    def hr_import_form(self, page: Page) -> Response:
        return page.render("hr/import.html", preview=None, packed=None)

    @page("GET", "/hr/employees/import/template.csv", roles=HR)
    def hr_import_template(self, page: Page) -> Response:
        text = write_csv(IMPORT_COLUMNS, [dict(zip(IMPORT_COLUMNS, (
            "RSSMRA85T10A562S", "Mario", "Rossi", "mario.rossi@example.it", "impiegati",
            "up_to_80k", "BNCFNC15M01L219C", "2020-03-01"), strict=True))])
        return page.finish(Response("\ufeff" + text, mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="wecare-employees.csv"'}))

    @page("POST", "/hr/employees/import", roles=HR)
    def hr_import_preview(self, page: Page) -> Response:
        """The file checked by the API's dry run: every bad row with its reasons,
        or the rows to import; nothing is written."""
        _ = page.lang.gettext
        upload = page.request.files.get("file")
        errors = Errors(page.lang)
        raw = upload.read() if upload else b""
        if upload is None or not raw:
            errors.add("file", _("Choose a CSV file."))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.add("file", _("The file is not UTF-8 text: save it as “CSV UTF-8” and "
                                 "try again."))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        return self._preview(page, text, upload.filename or "")

    def _preview(self, page: Page, text: str, filename: str) -> Response:
        _ = page.lang.gettext
        try:
            preview = page.api("POST", f"/companies/{page.company_id}/employees/import/preview",
                               data=text.encode("utf-8"), headers={"Content-Type": "text/csv"})
        except ApiError as exc:
            if exc.status not in (400, 422):
                raise
            errors = Errors(page.lang)
            errors.add_text("file", refusals.say(page.lang, exc, HR_TEXTS))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        bad = [{"row": int(row), "problems": [
            (field, [refusals.text(page.lang, p.get("code", ""), p.get("params"), HR_TEXTS)
                     for p in found]) for field, found in problems.items()]}
            for row, problems in preview.get("problems", {}).items()]
        packed = pack_csv(text) if preview["valid"] else None
        if packed and len(packed) > MAX_CARRIED_CSV:
            packed = ""  # too big to carry in the form: the person chooses the file again
        return page.render("hr/import.html", status=200 if preview["valid"] else 400,
                           preview=preview, bad=bad, packed=packed, filename=filename)

    @page("POST", "/hr/employees/import/confirm", roles=HR)
    def hr_import(self, page: Page) -> Response:
        _ = page.lang.gettext
        upload = page.request.files.get("file")
        text = (upload.read().decode("utf-8", "replace") if upload and upload.filename
                else unpack_csv(page.form.get("csv", "")))
        if not text:
            errors = Errors(page.lang)
            errors.add("file", _("Choose the file again."))
            return page.render("hr/import.html", status=400, errors=errors, preview=None,
                               packed=None)
        try:
            result = page.api("POST", f"/companies/{page.company_id}/employees/import",
                              data=text.encode("utf-8"), headers={"Content-Type": "text/csv"})
        except ApiError as exc:
            if exc.status not in (400, 409, 422):
                raise
            return self._preview(page, text, "")  # changed since the preview: show why
        return page.redirect(f"/hr/employees?done=imported&n={result['imported']}")

    # -- HR colleagues -----------------------------------------------------------------------
    @page("GET", "/hr/colleagues", roles=HR)
    def hr_colleagues(self, page: Page) -> Response:
        return self._colleagues_page(page, dict.fromkeys(COLLEAGUE_FIELDS, ""))

    def _colleagues_page(self, page: Page, form: dict[str, str], errors: Errors | None = None,
                         status: int = 200) -> Response:
        """The company's HR managers (each but yourself with a button to remove their
        access), and the invitation of a new one."""
        colleagues = page.api("GET", f"/companies/{page.company_id}/hr-managers")["items"]
        args = page.request.args
        return page.render("hr/colleagues.html", status=status, form=form, errors=errors,
                           colleagues=colleagues, me=page.claims.get("sub"),
                           sent=args.get("sent") if status == 200 else None,
                           removed=args.get("removed") if status == 200 else None)

    @page("POST", "/hr/colleagues/<uid>/removal", roles=HR)
    def hr_remove_colleague(self, page: Page, uid: str) -> Response:
        """Their sessions end at once and they can no longer sign in."""
        try:
            removed = page.api("POST",
                               f"/companies/{page.company_id}/hr-managers/{uid}/removal")
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._colleagues_page(page, dict.fromkeys(COLLEAGUE_FIELDS, ""),
                                         errors=refusals.errors(page.lang, exc), status=409)
        return page.redirect("/hr/colleagues?" + urlencode({"removed": removed["email"]}))

    @page("POST", "/hr/colleagues", roles=HR)
    def hr_invite_colleague(self, page: Page) -> Response:
        form = {k: page.form.get(k, "").strip() for k in COLLEAGUE_FIELDS}
        try:
            # the colleague's email in the language of the page that invites them
            page.api("POST", f"/companies/{page.company_id}/hr-invitations",
                     json={**form, "language": page.lang.code})
        except ApiError as exc:
            if exc.status not in (400, 409, 422):
                raise
            return self._colleagues_page(page, form, errors=refused(page.lang, exc), status=400)
        return page.redirect("/hr/colleagues?" + urlencode({"sent": form["email"]}))
