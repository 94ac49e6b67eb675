"""make bench-wallet: voucher purchases per second and latency with 16
concurrent clients, (a) through the gateway over HTTP and (b) calling the
wallet directly (over HTTP, as the gateway does, and over nameko's AMQP RPC),
next to pgbench's TPC-B TPS on the same PostgreSQL in the same run; then each
transport's bare round trip, wallet.health (one SELECT 1) over (c) AMQP and
(d) HTTP. A second table
shows where the time goes: CPU milliseconds per operation, by process (the
whole system shares the machine's cores), counted until the stack is idle again
after each path (so the voucher emails a path caused count for it, not for the
next). Then (a) again as an open loop:
purchases arrive on a schedule (25, 50 and 100 a second), whether or not the
earlier ones were answered, and each latency counts from its scheduled arrival
(a slow answer cannot hold back the next arrivals and so hide its own cost).
Last, issue 15's targets beside the figures of this run. Prints tables; asserts
nothing.

Needs PostgreSQL (BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432)
and RabbitMQ (AMQP_URI, default local) and pgbench on the PATH.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # nameko's RPC client is green; so are the clients here

import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import requests  # noqa: E402
from harness import ADMIN, PG, cpu_seconds, psql, stack, vat  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
OPEN_RATES = (25, 50, 100)  # purchases/s offered in the open loop
OPEN_SECONDS = float(os.environ.get("BENCH_OPEN_SECONDS", "10"))
# issue 15's targets: ratios to (d) of the same run (absolute rates swing with the machine)
CPU_TARGET = 3.5  # total CPU per purchase of (a) ≤ 3.5 × (d)'s per round trip
RATE_TARGET = 0.25  # purchases/s of (a) ≥ 0.25 × (d)'s round trips/s
P99_TARGET_MS, P99_TARGET_RATE = 50.0, 50  # open loop: p99 ≤ 50 ms at 50 purchases/s


def pgbench_tps(db: str) -> float:
    url = f"{PG}/{db}"
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    out = subprocess.run(["pgbench", "-c", str(CLIENTS), "-j", "2", "-T", str(int(SECONDS)),
                          url], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def seed(api) -> tuple[str, list[tuple[str, str, str]]]:  # type: ignore[no-untyped-def]
    """A company whose employees each hold plenty of credit, and one offering."""
    from stdnum.it import codicefiscale

    admin = api.token(*ADMIN)
    hr_email = "hr@bench.test"
    company = api("POST", "/companies", admin, name="Bench", vat_number=vat(1234567),
                  hr_manager={"email": hr_email, "first_name": "H", "last_name": "R",
                              "password": "bench-hr-password"})
    hr = api.token(hr_email, "bench-hr-password")
    employees = []
    for n in range(CLIENTS):
        base = f"BNCMRA80A{n + 1:02d}L219"
        email = f"e{n}@bench.test"
        e = api("POST", f"/companies/{company['id']}/employees", hr, email=email,
                first_name="E", last_name=str(n), password="bench-employee-password",
                fiscal_code=base + codicefiscale.calc_check_digit(base))
        employees.append((e["id"], email))
    per_employee = 100_000_00
    topup = api("POST", f"/companies/{company['id']}/topups", hr, key="bench-topup",
                amount_cents=per_employee * CLIENTS, method="bank_transfer")
    api("POST", f"/topups/{topup['id']}/confirmation", admin)
    year = time.gmtime().tm_year
    plan = api("POST", f"/companies/{company['id']}/plans", hr, name="Bench", fiscal_year=year,
               valid_from=f"{year}-01-01", valid_until=f"{year}-12-31",
               categories=["education"], leftover_policy="return_to_fund")
    api("POST", f"/plans/{plan['id']}/grants", hr, key="bench-grant",
        amount_cents=per_employee, employee_ids=[e for e, _ in employees])
    provider = api("POST", "/providers/enrolment", admin, name="Bench Nido",
                   vat_number=vat(7654321),
                   categories=["education"], address="Torino", lat=45.0, lon=7.6,
                   email="p@bench.test", password="bench-provider-pw",
                   iban="IT60X0542811101000000123456")
    api("POST", f"/providers/{provider['id']}/approval", admin, status="approved",
        commission_bps=200)
    offering = api("POST", f"/providers/{provider['id']}/offerings",
                   api.token("p@bench.test", "bench-provider-pw"), title="Retta",
                   category="education", price_cents=100)
    tokens = [(e, email, api.token(email, "bench-employee-password")) for e, email in employees]
    return offering["id"], tokens


def purchases_through_gateway(url: str, offering: str,
                              employees: list[tuple[str, str, str]]):  # type: ignore[no-untyped-def]
    """Path (a): `worker(i)` is employee i's client (its own kept-alive connection)."""
    def via_gateway(i: int):  # type: ignore[no-untyped-def]
        http = requests.Session()
        http.trust_env = False  # no proxy look-up in the environment per request
        _, _, token = employees[i % len(employees)]
        headers = {"Authorization": f"Bearer {token}"}

        def buy() -> None:
            r = http.post(f"{url}/api/v1/me/vouchers", json={"offering_id": offering},
                          headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                          timeout=30)
            if r.status_code != 201:
                raise RuntimeError(r.text)
        return buy
    return via_gateway


def load(worker, seconds: float = SECONDS) -> tuple[float, list[float], int]:  # type: ignore[no-untyped-def]
    """Run `worker(i)` in CLIENTS green threads for `seconds`; (throughput, latencies ms,
    errors)."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors = [0] * CLIENTS
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        call = worker(i)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                call()
            except Exception:  # noqa: BLE001 - counted
                errors[i] += 1
                continue
            latencies[i].append((time.perf_counter() - t0) * 1000)

    pool = eventlet.GreenPool(CLIENTS)
    start = time.monotonic()
    for i in range(CLIENTS):
        pool.spawn(run, i)
    pool.waitall()
    elapsed = time.monotonic() - start
    flat = sorted(x for lane in latencies for x in lane)
    return len(flat) / elapsed, flat, sum(errors)


def open_loop(worker, rate: float, seconds: float = OPEN_SECONDS
              ) -> tuple[float, list[float], int]:  # type: ignore[no-untyped-def]
    """Offer `rate` calls a second for `seconds`, each arrival on its schedule whatever
    the earlier ones are doing (a client per arrival from a pool of idle ones, made as
    needed; arrivals take CLIENTS employees in turn); latency from the scheduled arrival
    to the answer. (answered/s, latencies ms, errors)."""
    idle: list = []  # clients free for the next arrival
    latencies: list[float] = []
    errors = [0]
    made = [0]

    def arrive(due: float) -> None:
        if idle:
            call = idle.pop()
        else:
            call = worker(made[0])
            made[0] += 1
        try:
            call()
            latencies.append((time.perf_counter() - due) * 1000)
        except Exception:  # noqa: BLE001 - counted
            errors[0] += 1
        idle.append(call)

    pool = eventlet.GreenPool(10_000)
    start = time.perf_counter()
    n = int(rate * seconds)
    for k in range(n):
        due = start + k / rate
        eventlet.sleep(max(0.0, due - time.perf_counter()))
        pool.spawn(arrive, due)
    pool.waitall()
    return len(latencies) / (time.perf_counter() - start), sorted(latencies), errors[0]


def settled(pids: dict[str, int], idle: float = 0.15, timeout: float = 120.0) -> float:
    """Wait until the stack's own processes are idle (together under `idle` of a core
    for a second): the events a path caused have been handled (the voucher emails
    sent), so their CPU counts for that path and not for the next. Seconds waited."""
    start = last_busy = time.monotonic()
    before = sum(cpu_seconds(pids).get(k, 0.0) for k in pids)
    while time.monotonic() - start < timeout:
        time.sleep(0.5)
        now = sum(cpu_seconds(pids).get(k, 0.0) for k in pids)
        if now - before > idle * 0.5:
            last_busy = time.monotonic()
        elif time.monotonic() - last_busy >= 1.0:
            break
        before = now
    return time.monotonic() - start


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def main() -> int:
    pgdb = "wecare_pgbench_" + uuid.uuid4().hex[:8]
    psql("postgres", f'CREATE DATABASE "{pgdb}"')
    try:
        with stack() as running:
            url, amqp_uri = running.url, running.amqp_uri
            print("· seeding", flush=True)
            offering, employees = seed(running.api)

            via_gateway = purchases_through_gateway(url, offering, employees)

            def amqp(i: int):  # type: ignore[no-untyped-def]
                from nameko.standalone.rpc import ServiceRpcClient

                return ServiceRpcClient("wallet", uri=amqp_uri, timeout=30).start()

            def over_http(i: int):  # type: ignore[no-untyped-def]
                from wecare_common.rpc import _HttpService, http_pool

                # the gateway's own client (its connections: one per client here)
                return _HttpService(http_pool(), running.urls["wallet"], "wallet", 30,
                                    running.env["WECARE_INTERNAL_TOKEN"])

            def buying(client):  # type: ignore[no-untyped-def]
                def worker(i: int):  # type: ignore[no-untyped-def]
                    wallet, employee_id = client(i), employees[i][0]
                    return lambda: wallet.purchase_voucher(
                        employee_id=employee_id, offering_id=offering,
                        idempotency_key=uuid.uuid4().hex)
                return worker

            results, cpu = {}, {}
            for label, what, worker in (
                    ("(a) gateway", "through the gateway (→ wallet over HTTP)", via_gateway),
                    ("(b) wallet, HTTP RPC", "straight to the wallet over HTTP",
                     buying(over_http)),
                    ("(b') wallet, AMQP RPC", "straight to the wallet over AMQP", buying(amqp)),
                    ("(c) bare AMQP RPC", "wallet.health over AMQP", lambda i: amqp(i).health),
                    ("(d) bare HTTP RPC", "wallet.health over HTTP",
                     lambda i: over_http(i).health)):
                print(f"· {label.split()[0]} {what}", flush=True)
                before = cpu_seconds(running.pids)
                results[label] = load(worker)
                settled(running.pids)  # its events handled too (the emails): its own CPU
                after = cpu_seconds(running.pids)
                done = len(results[label][1])
                # (a PostgreSQL backend that exits takes its CPU time along: never below 0)
                cpu[label] = {k: max(0.0, 1000 * (after[k] - before.get(k, 0.0)) / max(done, 1))
                              for k in after}
            curve = {}
            for rate in OPEN_RATES:
                settled(running.pids)
                print(f"· (a) open loop, {rate} purchases/s offered", flush=True)
                curve[rate] = open_loop(via_gateway, rate)
        print("· pgbench", flush=True)
        tps = pgbench_tps(pgdb)
    finally:
        psql("postgres", f'DROP DATABASE IF EXISTS "{pgdb}" WITH (FORCE)')

    print(f"\nvoucher purchases, {CLIENTS} concurrent clients, {SECONDS:g} s each, "
          f"PostgreSQL {PG.rsplit('@', 1)[-1]}, {os.cpu_count()} cores\n")
    print(f"{'path':<21} {'purchases/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
          f"{'÷ pgbench':>10}")
    for name, (rate, lat, errors) in results.items():
        print(f"{name:<20} {rate:>12.1f} {statistics.median(lat) if lat else float('nan'):>8.1f}"
              f" {pct(lat, 0.99):>8.1f} {errors:>7} {rate / tps:>10.3f}")
    print(f"{'pgbench TPC-B':<21} {tps:>12.1f}")
    print("\n(c) and (d): the bare round trip of each transport (wallet.health, one SELECT 1),\n"
          "the ceiling of any path through a nameko service on this machine.")
    names = sorted({k for c in cpu.values() for k, v in c.items() if v >= 0.05},
                   key=lambda k: -cpu["(a) gateway"].get(k, 0.0))
    print(f"\nCPU ms per operation, by process ({os.cpu_count()} cores: "
          f"{os.cpu_count()} × 1000 ms/s ÷ total = the most operations/s the machine can do)\n")
    print(f"{'path':<21}" + "".join(f"{n[:9]:>10}" for n in names) + f"{'total':>9}"
          + f"{'max/s':>8}")
    for label, c in cpu.items():
        total = sum(c.values())
        print(f"{label:<21}" + "".join(f"{c.get(n, 0.0):>10.2f}" for n in names)
              + f"{total:>9.2f}{1000 * (os.cpu_count() or 1) / total:>8.0f}")
    print(f"\n(a) as an open loop: purchases arriving on a schedule for {OPEN_SECONDS:g} s, "
          "latency from the scheduled arrival\n")
    print(f"{'offered/s':>9} {'answered/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for rate, (answered, lat, errors) in curve.items():
        print(f"{rate:>9} {answered:>11.1f} {statistics.median(lat) if lat else float('nan'):>8.1f}"
              f" {pct(lat, 0.99):>8.1f} {errors:>7}")

    a, d = "(a) gateway", "(d) bare HTTP RPC"
    cpu_ratio = sum(cpu[a].values()) / sum(cpu[d].values())
    rate_ratio = results[a][0] / results[d][0]
    p99 = pct(curve[P99_TARGET_RATE][1], 0.99) if P99_TARGET_RATE in curve else float("nan")
    print("\nissue 15's targets (ratios of this run)\n")
    for what, figure, target, met in (
            ("CPU per purchase (a) ÷ CPU per round trip (d)", f"{cpu_ratio:.2f}",
             f"≤ {CPU_TARGET:g}", cpu_ratio <= CPU_TARGET),
            ("purchases/s (a) ÷ round trips/s (d)", f"{rate_ratio:.3f}",
             f"≥ {RATE_TARGET:g}", rate_ratio >= RATE_TARGET),
            (f"p99 of (a) at {P99_TARGET_RATE}/s offered, ms", f"{p99:.1f}",
             f"≤ {P99_TARGET_MS:g}", p99 <= P99_TARGET_MS)):
        print(f"{what:<48} {figure:>8}  target {target:<7} {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
