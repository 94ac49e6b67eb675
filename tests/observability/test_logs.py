"""Issue 22's logs and issue 23's "no one-time token in a log line": with
WECARE_LOG_FORMAT=json every line every process writes is one JSON object with the time,
level, service, trace and span ids and the request id; and after signing in (and failing
to), asking for a password reset, opening the emailed link and setting a password with it,
and inviting an HR manager who opens theirs, no line of any process holds a password, a
link's token, or an access or refresh token."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from support import harness as harness_module

# a stack of processes (the fixture `observed`): never `make test-unit`
pytestmark = pytest.mark.integration

LINK = re.compile(r"/password/new\?token=([A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def link_token(mail: Path, to: str, timeout: float = 30) -> str:
    """The one-time token in the newest email to `to`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (mail / "new").exists():
            box = mailbox.Maildir(mail, create=False, factory=lambda f: (
                email.message_from_binary_file(f, policy=email.policy.default)))
            for message in box:
                if to in str(message["To"]):
                    found = LINK.search(message.get_body(("plain",)).get_content())
                    if found:
                        return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no email with a link reached {to}")


def browser_sign_in(url: str, email_address: str, password: str) -> requests.Session:
    http = requests.Session()
    page = http.get(url + "/", timeout=30)
    r = http.post(url + "/sign-in", allow_redirects=False, timeout=30, data={
        "csrf_token": CSRF.search(page.text)[1], "email": email_address, "password": password})
    assert r.status_code == 303, r.status_code
    return http


def test_no_secret_reaches_a_log_line_and_each_line_is_json(observed) -> None:  # type: ignore[no-untyped-def]
    s = observed.stack
    api, url = s.api, s.url
    secrets: dict[str, str] = {}
    harness = harness_module.load()
    admin = api.token(*harness.ADMIN)
    n = uuid.uuid4().int % 9_000_000 + 1_000_000
    hr_email, hr_password = f"hr{n}@logs.test", f"hr-password-{uuid.uuid4().hex[:12]}"
    secrets["HR's password"] = hr_password
    company = api("POST", "/companies", admin, name="Registrata", vat_number=harness.vat(n),
                  hr_manager={"email": hr_email, "first_name": "H", "last_name": "R",
                              "password": hr_password})
    # signing in: through the API, through the page's form, and a refused one
    tokens = api("POST", "/auth/token", email=hr_email, password=hr_password)
    secrets["an access token"] = tokens["access_token"]
    secrets["a refresh token"] = tokens["refresh_token"]
    browser_sign_in(url, hr_email, hr_password)
    wrong = f"wrong-password-{uuid.uuid4().hex[:12]}"
    secrets["a wrong password"] = wrong
    assert requests.post(f"{url}/api/v1/auth/token", timeout=10, json={
        "email": hr_email, "password": wrong}).status_code == 401
    # a reset: the emailed link opened (its token in the query string), a new password set
    assert requests.post(f"{url}/api/v1/auth/password-reset", timeout=10,
                         json={"email": hr_email}).status_code == 202
    reset = link_token(s.mail, hr_email)
    secrets["the reset link's token"] = reset
    browser = requests.Session()
    form = browser.get(f"{url}/password/new?token={reset}", timeout=30)
    assert form.status_code == 200
    new_password = f"new-password-{uuid.uuid4().hex[:12]}"
    secrets["the new password"] = new_password
    done = browser.post(f"{url}/password/new", allow_redirects=False, timeout=30, data={
        "csrf_token": CSRF.search(form.text)[1], "token": reset, "password": new_password,
        "password_again": new_password, "confirm": new_password})
    assert done.status_code in (200, 303), done.status_code
    hr = api.token(hr_email, new_password)
    # an invitation: HR invites a colleague, who opens the link (the old address too)
    colleague = f"collega{n}@logs.test"
    api("POST", f"/companies/{company['id']}/hr-invitations", hr, email=colleague,
        first_name="C", last_name="N")
    invitation = link_token(s.mail, colleague)
    secrets["the invitation's token"] = invitation
    assert requests.get(f"{url}/password/new?token={invitation}",
                        timeout=30).status_code == 200
    assert requests.get(f"{url}/set-password?token={invitation}", allow_redirects=False,
                        timeout=30).status_code == 301

    time.sleep(1.5)  # the last lines flushed (each process writes its own file)
    lines: list[tuple[str, dict[str, Any]]] = []
    for log in sorted(s.logs.glob("*.log")):
        if log.stem == "smtp":
            continue
        for raw in log.read_text(errors="replace").splitlines():
            if not raw.strip() or raw.startswith("---"):  # the supervisor's own notes
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                raise AssertionError(f"{log.name}: not a JSON line: {raw[:200]}") from None
            lines.append((log.stem, entry))
            for key in ("time", "level", "service", "trace_id", "span_id", "request_id",
                        "message"):
                assert key in entry, f"{log.name}: no {key}: {raw[:200]}"
            assert entry["service"] == log.stem, raw[:200]
            for what, secret in secrets.items():
                assert secret not in raw, f"{what} in {log.name}: {raw[:300]}"
    # the pages with the links were logged (and so were looked at), without their query
    opened = [e for name, e in lines if name in ("gateway", "web")
              and "/password/new" in e["message"]]
    assert opened, "no access-log line for the link's page: nothing was checked"
    assert all("token" not in e["message"] for e in opened), opened
    # lines of one request share its id across processes; traced lines carry the ids
    assert {e["request_id"] for name, e in lines if name == "web" and e["request_id"]} & \
        {e["request_id"] for name, e in lines if name == "gateway" and e["request_id"]}
    assert any(e["trace_id"] and e["span_id"] for _, e in lines), \
        "no line carries a trace id although tracing is on"
