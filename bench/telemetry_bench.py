"""make bench-telemetry: what looking inside costs (issue 22, item 6). bench-wallet's
purchase path and bench-web's pages measured on a stack with tracing off and nothing
scraping it ("off"), and on one that exports every span over OTLP to a local collector
stand-in (tests/support/otlp_standin.py, a process of its own) while a scraper reads
every process's /metrics every 5 seconds ("on"); off, on, off, on (BENCH_ROUNDS pairs),
each on a fresh stack, the machine's load printed before each. Side by side with the
ratio on ÷ off, beside the target (within 10 %). Metrics are counted in both: they
cannot be turned off (a counter costs about a microsecond). Asserts nothing.

Figures: (a) purchases through the gateway, 16 clients for BENCH_SECONDS (purchases/s,
p50, p99); the open loop at 50 purchases/s (p50, p99: bench-wallet's p99 target); each
page's p95 on the demo data (bench-web's pages; their median and worst)."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # as bench-wallet: its clients are green threads

import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]
import wallet_bench  # noqa: E402
import web_bench  # noqa: E402
from harness import ADMIN, Ports, free_port, stack, vat  # noqa: E402

from scripts.seed import seed as seed_demo  # noqa: E402

# bench-wallet's company shares its VAT number with the demo's: one of its own here
wallet_bench.vat = lambda n: vat(n + 11)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
SCRAPE_EVERY = 5.0
TARGET = 1.10  # on ≤ 110 % of off
PAGES = [("employee", "home", "/home"), ("employee", "catalogue", "/catalogue"),
         ("employee", "my vouchers", "/vouchers"), ("employee", "statement", "/statement"),
         ("provider", "home", "/provider"), ("hr", "dashboard", "/hr"),
         ("hr", "employees", "/hr/employees"), ("admin", "overview", "/admin")]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Scraper:
    """Reads every process's metrics on a schedule, as Prometheus would."""

    def __init__(self, urls: list[str]) -> None:
        self.urls, self.running, self.scrapes = urls, True, 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        http = requests.Session()
        while self.running:
            for url in self.urls:
                try:
                    http.get(url, timeout=5).raise_for_status()
                    self.scrapes += 1
                except requests.RequestException:
                    pass
            time.sleep(SCRAPE_EVERY)

    def stop(self) -> None:
        self.running = False


def measure(on: bool) -> dict[str, float]:
    collector = None
    extra = {"LOG_LEVEL": "WARNING"}
    if on:
        port = free_port()
        collector = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/support/otlp_standin.py"), str(port)],
            stdout=subprocess.DEVNULL)
        extra["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{port}"
    figures: dict[str, float] = {}
    try:
        with stack(Ports.free(), data_dir=ROOT / "var/bench-telemetry",
                   prefix="wecare_bench_telemetry_", extra_env=extra) as s:
            scraper = Scraper([url for url in s.metrics.values()]) if on else None
            try:
                offering, employees = wallet_bench.seed(s.api)
                via_gateway = wallet_bench.purchases_through_gateway(s.url, offering, employees)
                wallet_bench.load(via_gateway, 5)  # warm-up
                wallet_bench.settled(s.pids)
                rate, lat, errors = wallet_bench.load(via_gateway)
                figures |= {"(a) purchases/s": rate, "(a) p50 ms": statistics.median(lat),
                            "(a) p99 ms": wallet_bench.pct(lat, 0.99), "(a) errors": errors}
                wallet_bench.settled(s.pids)
                _, lat, errors = wallet_bench.open_loop(via_gateway, 50)
                figures |= {"open loop 50/s p50 ms": statistics.median(lat),
                            "open loop 50/s p99 ms": wallet_bench.pct(lat, 0.99),
                            "open loop errors": errors}
                wallet_bench.settled(s.pids)
                logins: dict[str, tuple[str, str]] = {}
                for role, email, password in seed_demo(s.url, *ADMIN):
                    logins.setdefault(role, (email, password))
                browsers = {role: web_bench.browser_for(s.url, *login)
                            for role, login in logins.items()}
                p95 = []
                for role, label, path in PAGES:
                    m = web_bench.measure(browsers[role], s.url + path)
                    figures[f"page {label} ({role}) p95 ms"] = m["p95"]
                    p95.append(m["p95"])
                figures["pages: median p95 ms"] = statistics.median(p95)
                figures["pages: worst p95 ms"] = max(p95)
            finally:
                if scraper is not None:
                    scraper.stop()
                    figures["scrapes"] = scraper.scrapes
    finally:
        if collector is not None:
            collector.terminate()
            collector.wait()
    return figures


def main() -> int:
    runs: list[tuple[str, str, dict[str, float]]] = []
    for round_ in range(ROUNDS):
        for on in (False, True):
            load = load_average()
            print(f"· round {round_ + 1}: telemetry {'on' if on else 'off'} "
                  f"(load average {load})", flush=True)
            runs.append(("on" if on else "off", load, measure(on)))
    print(f"\nbench-telemetry: off = tracing off, nothing scraping; on = every span exported "
          f"over OTLP to a local collector stand-in, every /metrics scraped each "
          f"{SCRAPE_EVERY:g} s. {os.cpu_count()} cores, shared.\n")
    for round_ in range(ROUNDS):
        (_, load_off, off), (_, load_on, on) = runs[2 * round_], runs[2 * round_ + 1]
        print(f"round {round_ + 1} (load average before: off {load_off}; on {load_on})")
        print("| figure | off | on | on ÷ off | target |")
        print("|---|---|---|---|---|")
        for name, before in off.items():
            after = on.get(name, float("nan"))
            if "errors" in name:
                print(f"| {name} | {before:.0f} | {after:.0f} | | 0 |")
                continue
            ratio = after / before if before else float("nan")
            higher_is_better = name.endswith("/s")
            met = ratio >= 1 / TARGET if higher_is_better else ratio <= TARGET
            target = "≥ 0.91" if higher_is_better else "≤ 1.10"
            print(f"| {name} | {before:.1f} | {after:.1f} | {ratio:.2f} | {target} "
                  f"{'met' if met else 'NOT met'} |")
        print(f"| scrapes during on | | {on.get('scrapes', 0):.0f} | | |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
