"""`make bench-web`: how fast each page answers and how heavy it is, on the
demo data (scripts/seed.py) of a whole stack of processes on PostgreSQL.

For each page: the time from request to the last byte of its HTML on
loopback (browser → gateway → web app → the API's calls → back; ≈ the
server's time), p50 and p95 over ROUNDS requests after a warm-up; and its
weight: the first visit (the HTML and every file it links, gzipped as sent)
and a visit later (the HTML alone: static files are cached for a year under
their content hash). Targets (issue 11): p95 ≤ 50 ms, first visit ≤ 150 KB,
later ≤ 30 KB. Nothing is asserted: the table shows the target beside each figure.
"""

from __future__ import annotations

import gzip
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ADMIN, Ports, stack  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.seed import seed  # noqa: E402

ROUNDS = 60
TARGET_P95_MS, TARGET_FIRST_KB, TARGET_LATER_KB = 50, 150, 30
LINKED = re.compile(r'(?:href|src)="(/static/[^"#]+|/manifest\.webmanifest)')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser_for(url: str, email: str, password: str) -> requests.Session:
    http = requests.Session()
    http.headers["Accept-Encoding"] = "gzip"
    page = http.get(url + "/", timeout=30)
    r = http.post(url + "/sign-in", allow_redirects=False, timeout=30, data={
        "csrf_token": CSRF.search(page.text)[1], "email": email, "password": password})
    if r.status_code != 303:
        raise RuntimeError(f"sign-in as {email}: {r.status_code}")
    return http


def sent_bytes(http: requests.Session, url: str) -> tuple[int, bytes]:
    r = http.get(url, stream=True, timeout=30)
    raw = r.raw.read(decode_content=False)
    plain = gzip.decompress(raw) if r.headers.get("Content-Encoding") == "gzip" else raw
    return len(raw), plain


def measure(http: requests.Session, url: str) -> dict[str, float]:
    for _ in range(5):
        http.get(url, timeout=30)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        r = http.get(url, timeout=30)
        times.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code}")
    html_size, html = sent_bytes(http, url)
    linked = set(LINKED.findall(html.decode("utf-8", "replace")))
    first = html_size + sum(sent_bytes(http, urljoin(url, link))[0] for link in linked)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
            "first_kb": first / 1024, "later_kb": html_size / 1024, "files": len(linked) + 1}


def pages(url: str, logins: dict[str, tuple[str, str]]) -> list:
    """(role, label, path) for every page worth timing, with real ids from the demo."""
    email, password = logins["employee"]
    token = requests.post(url + "/api/v1/auth/token", timeout=30, json={
        "email": email, "password": password}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    offering = requests.get(url + "/api/v1/offerings", headers=auth, timeout=30).json()[
        "items"][0]["id"]
    voucher = requests.post(url + "/api/v1/me/vouchers", timeout=30, json={
        "offering_id": offering}, headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    voucher_id = voucher.json()["id"]
    return [
        ("anyone", "sign in", "/"),
        ("employee", "home", "/home"),
        ("employee", "catalogue", "/catalogue"),
        ("employee", "catalogue: words", "/catalogue?q=asilo"),
        ("employee", "catalogue: near me", "/catalogue?lat=45.07&lon=7.69"),
        ("employee", "offering", f"/offerings/{offering}"),
        ("employee", "my vouchers", "/vouchers"),
        ("employee", "voucher (QR)", f"/vouchers/{voucher_id}"),
        ("employee", "statement", "/statement"),
        ("employee", "reimbursements", "/reimbursements"),
        ("employee", "notifications", "/notifications"),
        ("provider", "home", "/provider"),
        ("provider", "redeem", "/provider/redeem"),
        ("provider", "offerings", "/provider/offerings"),
        ("provider", "settlements", "/provider/settlements"),
        ("hr", "dashboard", "/hr"),
        ("hr", "employees", "/hr/employees"),
        ("admin", "overview", "/admin"),
        ("admin", "providers", "/admin/providers"),
    ]


def main() -> None:
    with stack(Ports.free(), data_dir=ROOT / "var/bench-web",
               extra_env={"LOG_LEVEL": "WARNING"}) as s:
        logins = {}
        for role, email, password in seed(s.url, *ADMIN):
            logins.setdefault(role, (email, password))
        browsers = {role: browser_for(s.url, *login) for role, login in logins.items()}
        browsers["anyone"] = requests.Session()
        browsers["anyone"].headers["Accept-Encoding"] = "gzip"
        rows = []
        for role, label, path in pages(s.url, logins):
            try:
                rows.append((role, label, measure(browsers[role], s.url + path)))
            except RuntimeError as exc:
                rows.append((role, label, {"error": str(exc)}))
    print(f"\nbench-web: {ROUNDS} requests per page after a warm-up, one client, "
          "demo data, PostgreSQL; times on loopback through the gateway")
    print(f"| who | page | p50 ms | p95 ms (≤ {TARGET_P95_MS}) | first visit KB "
          f"(≤ {TARGET_FIRST_KB}) | later KB (≤ {TARGET_LATER_KB}) | files |")
    print("|---|---|---|---|---|---|---|")
    for role, label, m in rows:
        if "error" in m:
            print(f"| {role} | {label} | — | not measured: {m['error']} | | | |")
            continue
        ok = "" if m["p95"] <= TARGET_P95_MS else " ✗"
        ok_first = "" if m["first_kb"] <= TARGET_FIRST_KB else " ✗"
        ok_later = "" if m["later_kb"] <= TARGET_LATER_KB else " ✗"
        print(f"| {role} | {label} | {m['p50']:.1f} | {m['p95']:.1f}{ok} | "
              f"{m['first_kb']:.1f}{ok_first} | {m['later_kb']:.1f}{ok_later} | "
              f"{m['files']:.0f} |")


if __name__ == "__main__":
    main()
