"""The Kubernetes manifests render and validate offline, with the safeguards
every Deployment must have."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from deploy_check import TARGETS, check

ROOT = Path(__file__).resolve().parent.parent
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None,
                                   reason="kubectl renders the Kustomize targets")


@needs_kubectl
@pytest.mark.parametrize("target", TARGETS)
def test_each_target_renders_and_validates(target: str) -> None:
    ok, output = check(target)
    assert ok, output


@needs_kubectl
def test_every_deployment_is_probed_limited_and_locked_down() -> None:
    rendered = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy/overlays/local")],
                              capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {
        "wecare-gateway", "wecare-catalog", "wecare-benefits", "wecare-wallet",
        "wecare-notifications", "wecare-web"}
    budgets = {d["metadata"]["name"] for d in docs if d["kind"] == "PodDisruptionBudget"}
    # liveness asks the process only; readiness its dependencies (a service's database;
    # the gateway's own: a service down fails its requests, not every gateway pod)
    readiness = {"wecare-gateway": "/ready", "wecare-web": "/health"}
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        (container,) = spec["containers"]
        name = d["metadata"]["name"]
        live = "/health" if name == "wecare-web" else "/live"  # the web app's is the process
        assert container["livenessProbe"]["httpGet"]["path"] == live
        assert container["startupProbe"]["httpGet"]["path"] == live
        assert container["readinessProbe"]["httpGet"]["path"] == readiness.get(name, "/health")
        assert container["resources"]["limits"] and container["resources"]["requests"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert d["metadata"]["name"] in budgets


@needs_kubectl
def test_the_local_secret_gives_every_setting_a_service_needs_to_start(monkeypatch) -> None:
    """Services fail closed without them (wecare_common.config); the cluster gives them
    from the Secret, never from development mode."""
    from wecare_common.config import requirements

    monkeypatch.delenv("STRIPE_API_KEY", raising=False)  # the local cluster has no Stripe

    rendered = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy/overlays/local")],
                              capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    (secret,) = [d for d in docs if d["kind"] == "Secret"
                 and d["metadata"]["name"] == "wecare-secrets"]
    given = set(secret.get("data", {})) | set(secret.get("stringData", {}))
    for service in ("gateway", "catalog", "benefits", "wallet", "notifications"):
        assert {name for name, _ in requirements(service)} <= given, service
    config_maps = [d for d in docs if d["kind"] == "ConfigMap"]
    assert all("WECARE_DEV_MODE" not in (d.get("data") or {}) for d in config_maps)


def test_the_migration_job_is_named_after_the_version_it_migrates_to() -> None:
    """A Job's template cannot change: each release applies a Job of its own."""
    base = yaml.safe_load((ROOT / "deploy/base/kustomization.yaml").read_text())
    (image,) = [i for i in base["images"] if i["name"] == "wecare"]
    job = yaml.safe_load((ROOT / "deploy/base/migrate-job.yaml").read_text())
    assert job["metadata"]["name"] == "wecare-migrate-" + image["newTag"].replace(".", "-")
    project = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{image["newTag"]}"' in project  # make image tags the same version


def test_the_image_build_leaves_out_local_state_and_ci_checks_lint_and_manifests() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    # at any depth: a bare `*.db` matches at the root of the context only (tests/containers
    # builds the image with such files planted and looks for them inside)
    for path in (".git", ".venv", "var/", "**/dev-secrets.json", "**/*.db", "**/.env"):
        assert path in ignored
    assert "\nimage:" in (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci/run").read_text()
    assert "make lint" in ci and "make deploy-check" in ci
    assert ci.index("make lint") < ci.index("make test")
