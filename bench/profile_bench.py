"""make bench-profile [SERVICE=wallet] [SECONDS=15]: where one service's CPU goes
while the gateway sells vouchers, as in bench-wallet's path (a). The stack starts
as for the benchmarks; the service is started again under cProfile (CPU time,
bench/profiled.py), profiled over the load only, and the top functions printed by
own time and by cumulative time. The whole profile stays in var/bench/<service>.prof
(`python -m pstats` reads it)."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import pstats  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import requests  # noqa: E402
from harness import ROOT, stack  # noqa: E402
from wallet_bench import CLIENTS, SECONDS, load, pct, purchases_through_gateway, seed  # noqa: E402

from scripts.run import programs, spawn  # noqa: E402


def restart_profiled(running, service: str, out: str) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    """Stop the stack's `service` and start it again under bench/profiled.py."""
    os.kill(running.pids[service], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{running.pids[service]}") and time.monotonic() < deadline:
        try:  # a zombie until the harness reaps it: look at its state
            if open(f"/proc/{running.pids[service]}/stat").read().split(") ")[1][0] == "Z":
                break
        except OSError:
            break
        time.sleep(0.1)
    env = dict(running.env)
    command = next(c for name, c, _ in programs(env) if name == service)
    child = spawn([command[0], str(ROOT / "bench/profiled.py"), out, *command[1:]], env,
                  running.logs / f"{service}-profiled.log")
    url = (running.url if service == "gateway" else running.urls[service]) + "/health"
    while True:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                break
        except requests.RequestException:
            pass
        if child.poll() is not None:
            raise SystemExit(f"{service} did not start under the profiler; see {running.logs}")
        time.sleep(0.3)
    running.pids[service] = child.pid
    return child


def main() -> int:
    service = os.environ.get("SERVICE", "wallet")
    out = str(ROOT / f"var/bench/{service}.prof")
    with stack() as running:
        print("· seeding", flush=True)
        offering, employees = seed(running.api)
        child = restart_profiled(running, service, out)
        try:
            load(purchases_through_gateway(running.url, offering, employees), seconds=2)  # warm
            child.send_signal(signal.SIGUSR1)
            rate, latencies, errors = load(
                purchases_through_gateway(running.url, offering, employees))
            child.send_signal(signal.SIGUSR2)
            time.sleep(2)  # the dump
        finally:
            child.terminate()
            child.wait(timeout=30)
    print(f"\n{service} under cProfile (CPU time), {CLIENTS} clients buying for {SECONDS:g} s: "
          f"{rate:.1f} purchases/s, p99 {pct(latencies, 0.99):.0f} ms, {errors} errors "
          f"(the profiler slows the service: compare shares, not rates)\n")
    stats = pstats.Stats(out)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{total * 1000 / max(len(latencies), 1):.2f} ms CPU per purchase in {service} "
          "(profiler included)\n")
    for key in ("tottime", "cumulative"):
        stats.sort_stats(key).print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
