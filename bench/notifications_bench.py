"""make bench-notifications: runs of `credits.granted` events published, one
employee each (2,000 then 10,000 by default, BENCH_SIZES: the path each event
takes, paid once per email) → the time until the local SMTP server has accepted
every email. Prints a table with issue 15's target beside the figure (10,000 emails
≤ 10 s), and the CPU each process spent per email. Then one event naming the
last run's number of employees: what a grant to all of them publishes (benefits
records one `credits.granted` per grant), the per-event path paid once.

The recipients are written straight into the notifications schema (what
employee.enrolled would have left there); the events go through RabbitMQ to
the running notifications service, which renders, records and sends each. The
SMTP server is aiosmtpd filing raw messages into a Maildir (scripts/smtp_sink.py),
on the same cores as everything else.

`make bench-notifications-profile` (BENCH_PROFILE=1): the notifications process
is started again under cProfile (CPU time, bench/profiled.py) and profiled over
the runs only; the top functions are printed and the whole profile stays in
var/bench-notifications/notifications.prof (`python -m pstats` reads it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from harness import ROOT, Ports, Stack, cpu_seconds, publish_confirmed, stack
from sqlalchemy import create_engine, insert

SIZES = [int(n) for n in os.environ.get(
    "BENCH_SIZES", os.environ.get("BENCH_EVENTS", "2000,10000")).split(",")]
# notifications replicas (services scale by replicas: docs/architecture.md#kubernetes)
REPLICAS = int(os.environ.get("BENCH_REPLICAS", "1"))
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
TARGET = (10_000, 10.0)  # issue 15: 10,000 grant emails accepted in ≤ 10 s
DATA = ROOT / "var/bench-notifications"  # its own mailbox: other benchmarks may run beside


def add_recipients(database_url: str, employees: list[str]) -> None:
    from notifications.models import Recipient

    engine = create_engine(database_url,
                           connect_args={"options": "-csearch_path=notifications"})
    with engine.begin() as conn:
        conn.execute(insert(Recipient), [
            {"key": f"employee:{e}", "email": f"{e}@bench.test", "name": "Ada",
             "language": "it", "company_id": "bench", "non_essential_email": True}
            for e in employees])
    engine.dispose()


def where_events_are(running: Stack) -> str:
    """What a run that waits in vain looks at: the consumer's queue, the parked events,
    the notifications recorded by status."""
    import requests
    from harness import RABBIT_API
    from sqlalchemy import text

    vhost = running.amqp_uri.rsplit("/", 1)[1]
    queues = {q["name"]: q for q in requests.get(f"{RABBIT_API}/api/queues/{vhost}",
                                                 timeout=10).json()}
    on_event = queues.get("notifications.on_event", {})
    engine = create_engine(running.database_url,
                           connect_args={"options": "-csearch_path=notifications"})
    with engine.connect() as conn:
        recorded = {status: count for status, count in conn.execute(text(
            "SELECT email_status, count(*) FROM notifications GROUP BY 1"))}
    engine.dispose()
    return (f"notifications.on_event: {on_event.get('messages_ready')} ready, "
            f"{on_event.get('messages_unacknowledged')} unacked, "
            f"{on_event.get('consumers')} consumers; parked: "
            f"{queues.get('wecare.dead-letter', {}).get('messages')}; "
            f"retrying: {queues.get('notifications.on_event.retry', {}).get('messages')}; "
            f"notifications recorded by email status: {recorded}")


def one_run(running: Stack, size: int, per_event: int = 1
            ) -> tuple[float, float, dict[str, float]]:
    """Publish grants to `size` employees, `per_event` in each (1: as many events as
    emails; `size`: one grant naming them all, as benefits publishes a grant);
    (publish s, all accepted s, CPU s by process)."""
    from wecare_common.events import make_envelope

    employees = [str(uuid.uuid4()) for _ in range(size)]
    add_recipients(running.database_url, employees)
    inbox = Path(running.mail) / "new"
    before = len(os.listdir(inbox)) if inbox.exists() else 0
    valid_until = date(date.today().year, 12, 31).isoformat()
    envelopes = [make_envelope("credits.granted", {
        "grant_id": str(uuid.uuid4()), "plan_id": "bench", "plan_name": "Welfare",
        "valid_until": valid_until, "source": "company", "amount_cents": 25_000,
        "employee_ids": employees[n:n + per_event]}, producer="benefits", company_id="bench")
        for n in range(0, size, per_event)]
    cpu_before = cpu_seconds(running.pids)
    start = time.perf_counter()
    # as fast as one connection goes, every one confirmed by RabbitMQ (all confirms
    # waited for together): unconfirmed, a few could be lost (harness.publish_confirmed)
    publish_confirmed(running.amqp_uri, envelopes)
    published = time.perf_counter() - start
    while (arrived := (len(os.listdir(inbox)) if inbox.exists() else 0) - before) < size:
        if time.perf_counter() - start > 600:
            raise SystemExit(f"gave up after 600 s: {arrived} of {size} emails; "
                             + where_events_are(running))
        time.sleep(0.1)
    done = time.perf_counter() - start
    cpu_after = cpu_seconds(running.pids)
    return published, done, {k: max(0.0, cpu_after[k] - cpu_before.get(k, 0.0))
                             for k in cpu_after}


def main() -> int:
    results = []
    with stack(ports=Ports.free(), data_dir=DATA) as running:
        extra = [subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config",
             "services/notifications/config.yaml", "notifications.service"], cwd=ROOT,
            env=dict(running.env, NOTIFICATIONS_HEALTH_ADDRESS=f"127.0.0.1:{Ports.free().web}"),
            stdout=open(DATA / "logs" / f"notifications-{n + 2}.log", "w"),
            stderr=subprocess.STDOUT) for n in range(REPLICAS - 1)]
        profiled = None
        out = str(DATA / "notifications.prof")
        if PROFILE:
            from profile_bench import restart_profiled

            profiled = restart_profiled(running, "notifications", out)
        time.sleep(3 if extra else 0)
        one_run(running, 200)  # warm: connections opened, templates compiled
        if profiled is not None:
            profiled.send_signal(signal.SIGUSR1)
        for size in SIZES:
            print(f"· {size} events", flush=True)
            results.append((size, *one_run(running, size)))
        print(f"· one event naming {SIZES[-1]} employees", flush=True)
        one_grant = one_run(running, SIZES[-1], per_event=SIZES[-1])
        if profiled is not None:
            profiled.send_signal(signal.SIGUSR2)
            time.sleep(2)  # the dump
            profiled.terminate()
            profiled.wait(timeout=30)
        for process in extra:
            process.terminate()
            process.wait(timeout=30)
    cores = os.cpu_count() or 1
    print(f"\ncredits.granted events (one employee each) → emails accepted by a local SMTP "
          f"server (aiosmtpd), {cores} cores, {REPLICAS} notifications process(es)"
          f"{' under cProfile (slower: compare shares, not times)' if PROFILE else ''}\n")
    print(f"{'emails':>7} {'published s':>12} {'all emails s':>13} {'emails/s':>9} "
          f"{'s per 10,000':>13} {'target':>8}")
    for size, published, done, _ in results:
        per = done * TARGET[0] / size
        print(f"{size:>7} {published:>12.1f} {done:>13.1f} {size / done:>9.0f} {per:>13.1f} "
              f"{'≤ ' + format(TARGET[1], 'g') + ' s':>8}")
    published, done, used_once = one_grant
    print(f"\none grant naming {SIZES[-1]} employees (one event, as benefits publishes a grant): "
          f"{done:.1f} s until every email was accepted, {SIZES[-1] / done:.0f} emails/s; CPU ms "
          "per email: " + ", ".join(f"{k} {v * 1000 / SIZES[-1]:.2f}" for k, v in sorted(
              used_once.items(), key=lambda kv: -kv[1]) if v >= 0.05)
          + f"; total {sum(used_once.values()) * 1000 / SIZES[-1]:.2f}")
    size, _, done, used = results[-1]
    busy = sorted((k for k in used if used[k] >= 0.05), key=lambda k: -used[k])
    print(f"\nCPU ms per email by process, the {size} run (the first notifications process; "
          f"{cores} cores × {done:.1f} s = {cores * done:.0f} s of CPU available)\n")
    print("".join(f"{k[:13]:>14}" for k in busy) + f"{'total':>10}")
    print("".join(f"{used[k] * 1000 / size:>14.2f}" for k in busy)
          + f"{sum(used.values()) * 1000 / size:>10.2f}")
    if PROFILE:
        import pstats

        stats = pstats.Stats(out)
        emails = sum(size for size, *_ in results)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"\n{total * 1000 / emails:.2f} ms CPU per email in notifications "
              "(profiler included)\n")
        for key in ("tottime", "cumulative"):
            stats.sort_stats(key).print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
