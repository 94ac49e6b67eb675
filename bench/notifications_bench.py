"""make bench-notifications: 10,000 `credits.granted` events published (one
employee each, as benefits' outbox relay publishes them) → the time until the
local SMTP server has accepted all 10,000 emails. Prints a table.

The recipients are written straight into the notifications schema (what
employee.enrolled would have left there); the events go through RabbitMQ to
the running notifications service, which renders, records and sends each. The
SMTP server is aiosmtpd filing raw messages into a Maildir (scripts/smtp_sink.py),
on the same cores as everything else."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from harness import ROOT, cpu_seconds, stack
from kombu import Connection
from sqlalchemy import create_engine, insert

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000"))
# notifications replicas (services scale by replicas: docs/architecture.md#kubernetes)
REPLICAS = int(os.environ.get("BENCH_REPLICAS", "1"))


def main() -> int:
    from notifications.models import Recipient
    from wecare_common.events import make_envelope
    from wecare_common.topology import declare_backbone, events_exchange

    with stack() as running:
        extra = [subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config",
             "services/notifications/config.yaml", "notifications.service"], cwd=ROOT,
            env=dict(os.environ, DATABASE_URL=running.database_url, AMQP_URI=running.amqp_uri,
                     SMTP_URL="smtp://127.0.0.1:8025", LOG_LEVEL="WARNING",
                     NOTIFICATIONS_HEALTH_ADDRESS=f"127.0.0.1:{8095 + n}"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in range(REPLICAS - 1)]
        time.sleep(3 if extra else 0)
        employees = [str(uuid.uuid4()) for _ in range(EVENTS)]
        engine = create_engine(running.database_url,
                               connect_args={"options": "-csearch_path=notifications"})
        with engine.begin() as conn:
            conn.execute(insert(Recipient), [
                {"key": f"employee:{e}", "email": f"{e}@bench.test", "name": "Ada",
                 "language": "it", "company_id": "bench", "non_essential_email": True}
                for e in employees])
        engine.dispose()
        inbox = Path(ROOT / "var/bench/mail/new")
        before = len(list(inbox.glob("*"))) if inbox.exists() else 0
        valid_until = date(date.today().year, 12, 31).isoformat()
        envelopes = [make_envelope("credits.granted", {
            "grant_id": str(uuid.uuid4()), "plan_id": "bench", "plan_name": "Welfare",
            "valid_until": valid_until, "source": "company", "amount_cents": 25_000,
            "employee_ids": [e]}, producer="benefits", company_id="bench") for e in employees]
        cpu_before = cpu_seconds(running.pids)
        start = time.perf_counter()
        with Connection(running.amqp_uri, transport_options={"confirm_publish": True}) as conn:
            declare_backbone(conn.channel())
            producer = conn.Producer()
            for envelope in envelopes:
                producer.publish(envelope, exchange=events_exchange,
                                 routing_key="credits.granted", serializer="json",
                                 delivery_mode=2)
        published = time.perf_counter() - start
        while (len(list(inbox.glob("*"))) - before) < EVENTS:
            if time.perf_counter() - start > 600:
                print("gave up after 600 s", file=sys.stderr)
                return 1
            time.sleep(0.25)
        done = time.perf_counter() - start
        cpu_after = cpu_seconds(running.pids)
        for process in extra:
            process.terminate()
            process.wait(timeout=30)
    print(f"\n{EVENTS} credits.granted events → emails accepted by a local SMTP server "
          f"(aiosmtpd), {os.cpu_count()} cores, {REPLICAS} notifications process(es)\n")
    print(f"{'published s':>12} {'all emails s':>13} {'emails/s':>9}")
    print(f"{published:>12.1f} {done:>13.1f} {EVENTS / done:>9.0f}")
    used = {k: max(0.0, cpu_after[k] - cpu_before.get(k, 0.0)) for k in cpu_after}
    busy = sorted((k for k in used if used[k] >= 0.05), key=lambda k: -used[k])
    print(f"\nCPU seconds during the run, by process (the first notifications process; "
          f"{os.cpu_count()} cores × {done:.1f} s = {(os.cpu_count() or 1) * done:.0f} s)\n")
    print("".join(f"{k[:13]:>14}" for k in busy) + f"{'total':>10}")
    print("".join(f"{used[k]:>14.1f}" for k in busy) + f"{sum(used.values()):>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
