"""An upgrade under load (issue 21.5; docs/operations.md#upgrades): two replicas of every
service and of the gateway run the previous version (the commit before the newest
migration, from git; WECARE_UPGRADE_FROM names another) at its schema while careful
clients grant and buy. The new version is applied as `kubectl apply` applies it: a new
replica of every Deployment starts at once (maxSurge 1) and, where the new version
migrates its schema, stays unready (its probe says `behind`) while the old replicas
serve; the new version's migration Job (its manifest's command) runs under the load;
then each RollingUpdate replaces the old replicas one at a time, the services first, the
gateway last. No request fails, nothing is lost (as tests/lifecycle/test_replicas.py
checks), and every schema is at the new version's head."""

from __future__ import annotations

import os
import subprocess
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import eventlet
import pytest
import requests
from faults.careful import GRANT, Load, clients, nothing_lost, seed
from lifecycle.cluster import DEPLOYMENTS, READY_WITHIN, ROOT, SOURCES, Cluster, cluster
from sqlalchemy import create_engine, text
from wecare_common.migrations import revisions_of

SERVICES = ("catalog", "benefits", "wallet", "notifications", "gateway")  # with a schema


def previous_version() -> str | None:
    """The commit to upgrade from: WECARE_UPGRADE_FROM, else the parent of the newest
    commit that added a migration; None without the git history to find it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                              text=True, check=True).stdout.strip()
    try:
        if os.environ.get("WECARE_UPGRADE_FROM"):
            return git("rev-parse", "--verify", os.environ["WECARE_UPGRADE_FROM"] + "^{commit}")
        newest = git("log", "-1", "--format=%H", "--diff-filter=A", "--",
                     "*/migrations/versions/*.py")
        return git("rev-parse", "--verify", newest + "^") if newest else None
    except (OSError, subprocess.CalledProcessError):
        return None


def source_of(commit: str, into: Path) -> Path:
    """That version's source (what its image would hold): git archive, unpacked."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit,
                              *SOURCES, "scripts", "deploy"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


@pytest.fixture(scope="module")
def old_version(harness: Any, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[str, Cluster]]:
    commit = previous_version()
    if commit is None:
        pytest.skip("no git history here to take the previous version from "
                    "(WECARE_UPGRADE_FROM names one)")
    code = source_of(commit, tmp_path_factory.mktemp("previous-version"))
    with cluster(harness, tmp_path_factory.mktemp("upgrade"), code=code) as running:
        yield commit, running


def schema_heads(stack: Cluster) -> dict[str, str]:
    engine = create_engine(stack.database_url)
    with engine.connect() as conn:
        heads = {s: conn.scalar(text(f"SELECT version_num FROM {s}.alembic_version"))
                 for s in SERVICES}
    engine.dispose()
    return heads


def readiness_of(url: str, path: str) -> tuple[int, dict[str, Any]]:
    """A new replica's first answer to its readiness probe (waiting while it starts)."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        try:
            r = requests.get(url + path, timeout=10)
            return r.status_code, r.json()
        except requests.RequestException:
            eventlet.sleep(0.5)
    raise AssertionError(f"{url}{path} did not answer in {READY_WITHIN:.0f} s")


@pytest.mark.slow
@pytest.mark.integration
def test_an_upgrade_under_load_fails_no_request(harness, old_version, fake) -> None:
    commit, stack = old_version
    world = seed(stack, harness, fake)
    for employee in world["employees"]:
        Load(stack.url).send("grant", employee, f"/plans/{world['plan']}/grants", world["hr"],
                             {"amount_cents": 3 * GRANT, "employee_ids": [employee],
                              "source": "company"})
    before = schema_heads(stack)
    needs = {s: revisions_of(s)[0] for s in SERVICES}  # type: ignore[index]
    migrating = sorted(s for s in SERVICES if before[s] != needs[s])
    assert migrating, f"{commit[:7]} is already at this version's schema: nothing to upgrade"

    load = Load(stack.url)
    workers = clients(load, world)
    phases: list[tuple[str, float, int, int, Counter]] = []

    def phase(name: str, step: Any) -> Any:
        answered, failures, started = len(load.answers), Counter(load.failures), time.monotonic()
        result = step()
        during = load.answers[answered:]
        phases.append((name, time.monotonic() - started, len(during),
                       sum(1 for a in during if a.tries > 1), load.failures - failures))
        return result

    try:
        eventlet.sleep(2)

        def apply() -> dict[str, Any]:
            """kubectl apply: one new replica of each Deployment (maxSurge 1), and the
            Job; a new replica whose schema is behind waits, unready."""
            surge = {name: stack.deployments[name].start(ROOT) for name in DEPLOYMENTS}
            for name, replica in surge.items():
                status, body = readiness_of(replica.url, stack.deployments[name].service.readiness)
                if name in migrating:
                    assert status == 503 and body["schema"].startswith("behind"), (name, body)
                else:
                    assert status == 200, (name, body)
            return surge

        surge = phase("new replicas started", apply)
        job = phase("migration Job", stack.job)

        def roll(name: str) -> None:
            deployment = stack.deployments[name]
            deployment.wait_ready(surge[name])
            olds = [r for r in deployment.replicas if r.code != ROOT]
            deployment.delete(olds[0])
            for old in olds[1:]:
                deployment.replace(old, ROOT)

        for name in DEPLOYMENTS:  # the services first, the gateway last
            phase(f"{name} rolled", lambda: roll(name))  # noqa: B023 - called at once
    finally:
        load.running = False
        for worker in workers:
            worker.wait()

    assert all(r.code == ROOT for d in stack.deployments.values() for r in d.replicas)
    assert schema_heads(stack) == needs
    print(f"\nupgrade from {commit[:7]} (schemas {', '.join(f'{s} {before[s]}' for s in migrating)}"
          f") to this version, migration Job {job:.1f} s under load")
    print(f"{'phase':<24}{'s':>6}{'served':>8}{'retried':>9}  tries met")
    for name, seconds, served, retried, met in phases:
        print(f"{name:<24}{seconds:>6.0f}{served:>8}{retried:>9}  {dict(met) or '-'}")
    summary = nothing_lost(stack, load, world, harness.RABBIT_API, granted_first=3 * GRANT)
    print(f"{summary['answered']} requests answered, 0 failed, {summary['retried']} after a "
          f"retry; {summary['vouchers']} vouchers, one email each; ledger balanced")
    assert stack.nothing_waits(harness.RABBIT_API) == {}
    assert set(load.failures) <= {"timeout"}, load.failures  # as a rolling restart's
