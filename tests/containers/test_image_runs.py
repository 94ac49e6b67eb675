"""The image (issue 21.1), built by `make image` and started as the manifests start it:
non-root, read-only root file system (only /tmp writable), no capabilities, and every
command deploy/base names (the migration Job's, each Deployment's) starts and answers its
probes. Nothing local or secret goes in. Slow (it builds the image): `make test-image`, not
part of `make test`; BASE_IMAGE names the base (make base-image's where no registry is
reachable)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from support import harness as harness_module
from wecare_common import signed_vouchers

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from scripts import image  # noqa: E402

IMAGE = "wecare:dev"
TOKEN = "canary-" + uuid.uuid4().hex
# what the build context holds on a developer's machine and the image must not
CANARIES = ["var/image-canary/dev-secrets.json", "gateway/dev-secrets.json",
            "services/catalog/image-canary.db", "web/image-canary.db-wal", ".env.image-canary",
            "tests/image-canary.txt", "bench/results/image-canary.txt"]
FORBIDDEN_NAMES = ["dev-secrets.json", "*.db", "*.db-wal", "*.db-shm", ".env", ".env.*"]
FORBIDDEN_DIRS = ["/app/var", "/app/.git", "/app/tests", "/app/bench", "/app/docs",
                  "/app/.pytest_cache", "/app/node_modules"]


def engine() -> str:
    return image.engine()


def podman(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([engine(), *args], env=image.engine_env(engine()), text=True,
                          capture_output=True, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def built() -> str:
    """`make image` with canaries planted in the build context (removed afterwards)."""
    planted = []
    try:
        for name in CANARIES:
            path = ROOT / name
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"JWT_SECRET": TOKEN}))
            planted.append(path)
        base = os.environ.get("BASE_IMAGE") or image.DEFAULT_BASE
        done = subprocess.run([sys.executable, "-m", "scripts.image", "build", base], cwd=ROOT,
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finally:
        for path in planted:
            path.unlink()
    size_line = done.stdout.strip().splitlines()[-1]
    print(f"\n{size_line}")
    assert "MB (goal ≤ 300 MB)" in size_line
    return size_line


def test_it_runs_as_a_user_that_is_not_root(built: str) -> None:
    config = json.loads(podman("image", "inspect", IMAGE).stdout)[0]["Config"]
    assert config["User"] == "10001"  # numeric: runAsNonRoot can check it
    assert podman("run", "--rm", IMAGE, "id", "-u").stdout.strip() == "10001"
    # the code belongs to root: the processes cannot change it, even on a writable disk
    touched = podman("run", "--rm", IMAGE, "sh", "-c", "touch /app/gateway/x", check=False)
    assert touched.returncode != 0


def test_nothing_local_or_secret_went_in(built: str) -> None:
    names = " -o ".join(f"-name '{n}'" for n in FORBIDDEN_NAMES)
    found = podman("run", "--rm", IMAGE, "sh", "-c",
                   f"find /app /tmp -xdev \\( {names} \\) -print; "
                   f"ls -d {' '.join(FORBIDDEN_DIRS)} 2>/dev/null; "
                   f"grep -rl {TOKEN} /app /tmp 2>/dev/null; true").stdout
    assert found.strip() == "", found
    # the virtualenv was made in the image, not copied from this machine
    cfg = podman("run", "--rm", IMAGE, "cat", "/app/.venv/pyvenv.cfg").stdout
    assert str(ROOT) not in cfg


# -- every entry point, started as the manifests start it ---------------------------------
def rendered_base() -> list[dict[str, Any]]:
    out = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy/base")], check=True,
                         capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="module")
def infrastructure() -> Iterator[dict[str, str]]:
    """A throwaway database and vhost on the machine's PostgreSQL and RabbitMQ."""
    harness = harness_module.load()
    name = "wecare_image_" + uuid.uuid4().hex[:8]
    harness.psql("postgres", f'CREATE DATABASE "{name}"')
    requests.put(f"{harness.RABBIT_API}/api/vhosts/{name}", timeout=10).raise_for_status()
    requests.put(f"{harness.RABBIT_API}/api/permissions/{name}/guest",
                 json={"configure": ".*", "write": ".*", "read": ".*"},
                 timeout=10).raise_for_status()
    try:
        yield {"DATABASE_URL": f"{harness.PG}/{name}",
               "AMQP_URI": f"{harness.AMQP.rstrip('/')}/{name}"}
    finally:
        harness.psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        requests.delete(f"{harness.RABBIT_API}/api/vhosts/{name}", timeout=10)


def run_flags(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """The pod's and container's security context and volumes as podman flags."""
    security = container.get("securityContext", {})
    user = container.get("securityContext", {}).get("runAsUser") or \
        pod.get("securityContext", {}).get("runAsUser")
    flags = ["--network", "host", "--user", str(user)]
    if security.get("readOnlyRootFilesystem"):
        flags += ["--read-only", "--read-only-tmpfs=false"]
    if security.get("allowPrivilegeEscalation") is False:
        flags += ["--security-opt", "no-new-privileges"]
    for capability in security.get("capabilities", {}).get("drop", []):
        flags += ["--cap-drop", capability]
    for mount in container.get("volumeMounts", []):
        flags += ["--tmpfs", mount["mountPath"]]  # emptyDir: the one writable place
    return flags


def env_flags(container: dict[str, Any], config: dict[str, str], secret: dict[str, str],
              moved: dict[str, str]) -> list[str]:
    """The container's environment as the manifests give it: the ConfigMap, each key of the
    Secret it names (secretKeyRef; a whole Secret only through envFrom), its own values (with
    the addresses in `moved` replaced)."""
    given = dict(config)
    refs = [r for ref in container.get("envFrom", []) for r in ref]
    if "secretRef" in refs:
        given |= secret
    for e in container.get("env", []):
        if "value" in e:
            value = e["value"]
            for old, new in moved.items():
                value = value.replace(old, new)
            given[e["name"]] = value
        elif "secretKeyRef" in e.get("valueFrom", {}):
            key = e["valueFrom"]["secretKeyRef"]["key"]
            if key in secret:  # an optional key the Secret lacks is not set
                given[e["name"]] = secret[key]
    return [f"--env={k}={v}" for k, v in given.items()]


def test_every_command_of_the_manifests_starts_read_only_and_answers_its_probes(
        built: str, infrastructure: dict[str, str]) -> None:
    docs = rendered_base()
    (config,) = [d["data"] for d in docs if d["kind"] == "ConfigMap"]
    # what the operator's Secret holds (deploy/base/config.yaml): never development mode
    settings = {**infrastructure, "JWT_SECRET": secrets.token_urlsafe(32),
                "WECARE_INTERNAL_TOKEN": secrets.token_urlsafe(32),
                "WECARE_ADMIN_EMAIL": "admin@image.test", "WECARE_ADMIN_PASSWORD": "image-admin-1",
                "WECARE_SEPA_DEBTOR_NAME": "WeCare Image Test",
                "WECARE_SEPA_DEBTOR_IBAN": "IT60X0542811101000000123456",
                "WECARE_SEPA_DEBTOR_BIC": "BPMOIT22XXX", "SMTP_URL": "smtp://127.0.0.1:1",
                "WECARE_LINK_SECRET": secrets.token_urlsafe(32),
                "WECARE_VOUCHER_KEYS": signed_vouchers.new_entry("image", "2026-01-01",
                                                                 "2099-01-01")}
    (job,) = [d for d in docs if d["kind"] == "Job"]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = env_flags(container, config, settings, {})
    migrated = podman("run", "--rm", *run_flags(pod, container), *env, IMAGE,
                      *container["command"], check=False, timeout=600)
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    assert "declared" in migrated.stdout

    run_id = uuid.uuid4().hex[:6]
    started: dict[str, tuple[str, int, list[str]]] = {}  # name → (container, port, paths)
    try:
        for deployment in (d for d in docs if d["kind"] == "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            (container,) = pod["containers"]
            port = harness_module.load().free_port()
            (target,) = [p["containerPort"] for p in container["ports"] if p["name"] == "http"]
            # its addresses moved to free ports: every container is on the host's network
            metrics = config.get("WECARE_METRICS_ADDRESS", "0.0.0.0:9090")
            env = env_flags(container, config, settings,
                            {f"0.0.0.0:{target}": f"127.0.0.1:{port}"}) + [
                f"--env=WECARE_METRICS_ADDRESS=127.0.0.1:{harness_module.load().free_port()}"
                if metrics else "--env=WECARE_METRICS_ADDRESS="]
            name = f"wecare-image-{run_id}-{deployment['metadata']['name']}"
            podman("run", "-d", "--name", name, *run_flags(pod, container), *env, IMAGE,
                   *container["command"])
            paths = sorted({container[probe]["httpGet"]["path"] for probe in
                            ("startupProbe", "livenessProbe", "readinessProbe")})
            started[deployment["metadata"]["name"]] = (name, port, paths)
        assert set(started) == {"wecare-gateway", "wecare-web", "wecare-catalog",
                                "wecare-benefits", "wecare-wallet", "wecare-notifications"}
        deadline = time.monotonic() + 180
        waiting = {(deployment, path) for deployment, (_, _, paths) in started.items()
                   for path in paths}
        while waiting and time.monotonic() < deadline:
            for deployment, path in sorted(waiting):
                name, port, _ = started[deployment]
                try:
                    if requests.get(f"http://127.0.0.1:{port}{path}", timeout=3).ok:
                        waiting.discard((deployment, path))
                except requests.RequestException:
                    pass
            time.sleep(1)
        logs = {d: (lambda r: (r.stdout + r.stderr)[-1500:])(
                    podman("logs", "--tail", "20", started[d][0], check=False))
                for d, _ in waiting}
        assert not waiting, logs
        # they ran on a read-only root file system (even root cannot write there), /tmp apart
        for deployment, (name, _, _) in started.items():
            denied = podman("exec", "--user", "0", name, "touch", "/app/x", check=False)
            assert "Read-only file system" in denied.stderr, (deployment, denied.stderr)
            assert podman("exec", name, "touch", "/tmp/x").returncode == 0
    finally:
        for name, _, _ in started.values():
            podman("rm", "-f", "-t", "30", name, check=False)
