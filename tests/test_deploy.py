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
    # WeCare's own (the local overlay adds PostgreSQL, RabbitMQ and an SMTP sink beside them)
    deployments = [d for d in docs if d["kind"] == "Deployment"
                   and d["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "wecare"]
    assert {d["metadata"]["name"] for d in deployments} == {
        "wecare-gateway", "wecare-catalog", "wecare-benefits", "wecare-wallet",
        "wecare-notifications", "wecare-web"}
    others = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"} - {
        d["metadata"]["name"] for d in deployments}
    assert others == {"postgres", "rabbitmq", "smtp-sink"}
    budgets = {d["metadata"]["name"] for d in docs if d["kind"] == "PodDisruptionBudget"}
    # liveness asks the process only; readiness its dependencies (a service's database;
    # the gateway's own: a service down fails its requests, not every gateway pod)
    readiness = {"wecare-gateway": "/ready", "wecare-web": "/health"}
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        (container,) = spec["containers"]
        name = d["metadata"]["name"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/live"
        assert container["startupProbe"]["httpGet"]["path"] == "/live"
        assert container["readinessProbe"]["httpGet"]["path"] == readiness.get(name, "/health")
        assert container["resources"]["limits"] and container["resources"]["requests"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert d["metadata"]["name"] in budgets


def test_every_deployment_stops_within_its_grace_period() -> None:
    """SIGTERM (docs/operations.md#stopping): a pod is unready at once and serves on for
    WECARE_DRAIN_SECONDS, which must outlast a balancer that follows the readiness probe
    (failureThreshold × periodSeconds, its timeout, and a second or two to propagate);
    then it has WECARE_STOP_SECONDS to finish, and both must fit in the grace period
    before Kubernetes' SIGKILL (with a few seconds to exit). No preStop hook: the process
    drains by itself, the same under `podman kube play` as in a cluster."""
    config = yaml.safe_load((ROOT / "deploy/base/config.yaml").read_text())["data"]
    drain, stop = float(config["WECARE_DRAIN_SECONDS"]), float(config["WECARE_STOP_SECONDS"])
    assert drain > 0
    deployments = [d for path in sorted((ROOT / "deploy/base").glob("*.yaml"))
                   for d in yaml.safe_load_all(path.read_text())
                   if d and d["kind"] == "Deployment"]
    assert len(deployments) == 6
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        name = d["metadata"]["name"]
        assert "lifecycle" not in container, name  # no preStop: the process drains itself
        assert {"configMapRef": {"name": "wecare-config"}} in container["envFrom"], name
        readiness = container["readinessProbe"]
        unready_within = (readiness.get("failureThreshold", 3) * readiness.get("periodSeconds", 10)
                          + readiness.get("timeoutSeconds", 1))
        assert unready_within + 2 <= drain, (name, unready_within, drain)
        assert drain + stop + 5 <= spec["terminationGracePeriodSeconds"], name
        assert d["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}


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


@needs_kubectl
@pytest.mark.parametrize("target", TARGETS)
def test_every_service_listens_on_its_pods_own_port(target: str) -> None:
    """A Service's port is the port its pods listen on: callers name one number, and
    make k8s-smoke (podman resolves a Service's name to its pod, with no port mapping) can play
    the manifests as they are."""
    rendered = subprocess.run(["kubectl", "kustomize", str(ROOT / target)],
                              capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    for service in (d for d in docs if d["kind"] == "Service"):
        (pod,) = [d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Deployment"
                  and service["spec"]["selector"].items()
                  <= d["spec"]["template"]["metadata"]["labels"].items()]
        ports = {p.get("name"): p["containerPort"] for c in pod["containers"]
                 for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            target_port = port.get("targetPort", port["port"])
            assert port["port"] == ports.get(target_port, target_port), service["metadata"]


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
    # the image and the manifests run where podman is, and a run without them says so
    assert "make test-image" in ci and "make k8s-smoke" in ci and "SKIPPED" in ci


# -- each workload's secrets, and who may talk to whom (issue 23.9) ---------------------------
def _rendered(target: str) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(ROOT / target)], capture_output=True,
                         text=True, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _workloads(docs: list[dict]) -> dict[str, dict]:
    """Each Deployment's and Job's container, by the pod's name label."""
    return {d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]:
            d["spec"]["template"]["spec"]["containers"][0]
            for d in docs if d["kind"] in ("Deployment", "Job")}


def _secret_keys(container: dict) -> dict[str, bool]:
    """The Secret keys a container is given → whether each is optional."""
    assert not any("secretRef" in source for source in container.get("envFrom", [])), \
        "a whole Secret given: every key of it, used or not"
    return {e["valueFrom"]["secretKeyRef"]["key"]: bool(e["valueFrom"]["secretKeyRef"].get(
        "optional")) for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})}


# What each workload reads (wecare_common.config.requirements, and what the code reads with
# env()); anything else it is given is a secret it does not need.
USES = {
    "wecare-gateway": {"AMQP_URI", "DATABASE_URL", "WECARE_INTERNAL_TOKEN", "JWT_SECRET",
                       "WECARE_LINK_SECRET", "WECARE_ADMIN_EMAIL", "WECARE_ADMIN_PASSWORD"},
    "wecare-catalog": {"AMQP_URI", "DATABASE_URL", "WECARE_INTERNAL_TOKEN"},
    "wecare-benefits": {"AMQP_URI", "DATABASE_URL", "WECARE_INTERNAL_TOKEN"},
    "wecare-wallet": {"AMQP_URI", "DATABASE_URL", "WECARE_INTERNAL_TOKEN",
                      "WECARE_SEPA_DEBTOR_NAME", "WECARE_SEPA_DEBTOR_IBAN",
                      "WECARE_SEPA_DEBTOR_BIC", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET",
                      "WECARE_VOUCHER_KEYS"},
    "wecare-notifications": {"AMQP_URI", "DATABASE_URL", "WECARE_INTERNAL_TOKEN",
                             "WECARE_LINK_SECRET", "SMTP_URL"},
    "wecare-web": set(),
    "wecare-migrate": {"AMQP_URI", "DATABASE_URL"},
}


@needs_kubectl
def test_each_workload_gets_only_the_secrets_it_uses(monkeypatch) -> None:
    """The JWT signing key only where tokens are signed and checked (the gateway), the
    link key where links are made (the gateway and notifications), Stripe's keys only in
    the wallet (the gateway's webhook room hands Stripe's payload to the wallet, which
    checks the signature), no secret in the web app."""
    from wecare_common.config import requirements

    # (without Stripe: with it the wallet needs STRIPE_WEBHOOK_SECRET too, given as an
    # optional key, so a wallet with STRIPE_API_KEY and no webhook secret stops naming it)
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    workloads = _workloads(_rendered("deploy/base"))
    assert set(workloads) == set(USES)
    for name, container in workloads.items():
        given = _secret_keys(container)
        assert set(given) == USES[name], name
        service = name.removeprefix("wecare-")
        if service in ("gateway", "catalog", "benefits", "wallet", "notifications"):
            needed = {key for key, _ in requirements(service)}
            assert needed <= set(given), (name, needed - set(given))
            assert not any(given[key] for key in needed), (name, "a needed key is optional")
    holders = {key: {n for n, c in workloads.items() if key in _secret_keys(c)}
               for key in ("JWT_SECRET", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET",
                           "WECARE_LINK_SECRET", "SMTP_URL", "WECARE_VOUCHER_KEYS")}
    assert holders == {"JWT_SECRET": {"wecare-gateway"},
                       "WECARE_VOUCHER_KEYS": {"wecare-wallet"},
                       "STRIPE_API_KEY": {"wecare-wallet"},
                       "STRIPE_WEBHOOK_SECRET": {"wecare-wallet"},
                       "WECARE_LINK_SECRET": {"wecare-gateway", "wecare-notifications"},
                       "SMTP_URL": {"wecare-notifications"}}


@needs_kubectl
def test_the_local_secret_gives_every_key_a_workload_needs() -> None:
    docs = _rendered("deploy/overlays/local")
    (secret,) = [d for d in docs if d["kind"] == "Secret"
                 and d["metadata"]["name"] == "wecare-secrets"]
    given = set(secret.get("data", {})) | set(secret.get("stringData", {}))
    for name, container in _workloads(docs).items():
        needed = {key for key, optional in _secret_keys(container).items() if not optional}
        assert needed <= given, (name, needed - given)


def _selects(selector: dict, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions In) against a pod's labels."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _port_ok(rule: dict, port: int, pod: dict | None) -> bool:
    if not rule.get("ports"):
        return True
    for p in rule["ports"]:
        if p["port"] == port:
            return True
        if isinstance(p["port"], str) and pod is not None and any(
                c.get("name") == p["port"] and c["containerPort"] == port
                for c in pod.get("ports", [])):
            return True
    return False


def _peer_ok(rule: dict, side: str, labels: dict[str, str] | None) -> bool:
    peers = rule.get(side)
    if not peers:
        return True  # any address
    return labels is not None and any(
        "podSelector" in peer and _selects(peer["podSelector"], labels) for peer in peers)


def _allowed(policies: list[dict], pods: dict[str, dict], source: str, target: str,
             port: int) -> bool:
    """Whether `source` may reach `target` on `port` under these policies (both pods of
    ours by name, or "outside" / "database" / "internet" for what is not)."""
    def labels(name: str) -> dict[str, str] | None:
        return pods[name]["labels"] if name in pods else None

    def side(pod: str, kind: str, rules_key: str, peer_key: str, other: str) -> bool:
        mine = labels(pod)
        if mine is None:
            return True  # not ours: its own network decides
        selecting = [p for p in policies if kind in p["spec"]["policyTypes"]
                     and _selects(p["spec"]["podSelector"], mine)]
        if not selecting:
            return True
        container = pods[target]["container"] if kind == "Ingress" else None
        return any(_peer_ok(rule, peer_key, labels(other)) and _port_ok(rule, port, container)
                   for p in selecting for rule in p["spec"].get(rules_key) or [])

    return (side(source, "Egress", "egress", "to", target)
            and side(target, "Ingress", "ingress", "from", source))


@needs_kubectl
def test_the_base_s_network_policies_deny_by_default_and_allow_each_workload_s_own() -> None:
    docs = _rendered("deploy/base")
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    pods = {d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]: {
        "labels": d["spec"]["template"]["metadata"]["labels"],
        "container": d["spec"]["template"]["spec"]["containers"][0]}
        for d in docs if d["kind"] in ("Deployment", "Job")}
    for name, pod in pods.items():  # every WeCare pod is under the default deny
        assert pod["labels"].get("app.kubernetes.io/part-of") == "wecare", name
    assert any(p["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/part-of":
                                                            "wecare"}}
               and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
               and not p["spec"].get("ingress") and not p["spec"].get("egress")
               for p in policies)
    allowed = [("outside", "wecare-gateway", 8000), ("wecare-gateway", "wecare-web", 8080),
               ("wecare-web", "wecare-gateway", 8000),
               *[("wecare-gateway", f"wecare-{s}", 8080)
                 for s in ("catalog", "benefits", "wallet", "notifications")],
               ("wecare-benefits", "wecare-wallet", 8080),
               ("wecare-wallet", "wecare-catalog", 8080),
               ("wecare-wallet", "wecare-benefits", 8080), ("wecare-wallet", "internet", 443),
               ("wecare-notifications", "internet", 587),
               *[(f"wecare-{w}", "database", port) for port in (5432, 5672)
                 for w in ("gateway", "catalog", "benefits", "wallet", "notifications",
                           "migrate")],
               ("wecare-web", "internet", 53)]
    refused = [("outside", "wecare-catalog", 8080), ("outside", "wecare-web", 8080),
               ("outside", "wecare-wallet", 8080), ("wecare-web", "wecare-wallet", 8080),
               ("wecare-web", "database", 5432), ("wecare-catalog", "wecare-wallet", 8080),
               ("wecare-notifications", "wecare-wallet", 8080),
               ("wecare-catalog", "internet", 443), ("wecare-gateway", "internet", 443),
               ("wecare-notifications", "wecare-benefits", 8080),
               ("wecare-benefits", "wecare-catalog", 8080), ("wecare-web", "internet", 443),
               ("outside", "wecare-wallet", 9090)]  # metrics: components/monitoring's
    for source, target, port in allowed:
        assert _allowed(policies, pods, source, target, port), (source, target, port)
    for source, target, port in refused:
        assert not _allowed(policies, pods, source, target, port), (source, target, port)
