"""make k8s-smoke's bridges (scripts/k8s_smoke.py): the rendered local overlay as podman 4.3
plays it changes only what podman cannot take as Kubernetes does, and each bridge gives podman
what it reads. In memory; the smoke itself is `make k8s-smoke`."""

from __future__ import annotations

import base64
import copy
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import k8s_smoke  # noqa: E402

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None,
                                   reason="kubectl renders the overlay")
WECARE = {"wecare-gateway", "wecare-web", "wecare-catalog", "wecare-benefits", "wecare-wallet",
          "wecare-notifications"}
BRIDGED = {"ports", "livenessProbe", "readinessProbe", "startupProbe"}


def as_podman_runs(command: list[str]) -> list[str]:
    """podman 4.3's health check from an exec probe: the words joined with spaces, then
    `sh -c` (what sh makes of it, by the same rules)."""
    return shlex.split(" ".join(command))


def test_the_secret_is_stored_as_podman_reads_it() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s"},
              "data": {"A": base64.b64encode(b"one two").decode()}, "stringData": {"B": "x=y"}}
    read = json.loads(k8s_smoke.podman_secret(secret))  # map[string][]byte in podman's Go
    assert {k: base64.b64decode(v).decode() for k, v in read.items()} == {"A": "one two",
                                                                          "B": "x=y"}


def test_a_job_becomes_a_pod_of_its_name_with_its_template() -> None:
    job = {"kind": "Job", "metadata": {"name": "wecare-migrate-0-1-0"}, "spec": {
        "backoffLimit": 3, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "migrate", "image": "i"}]}}}}
    pod = k8s_smoke.job_as_pod(job)
    assert (pod["kind"], pod["metadata"]["name"]) == ("Pod", "wecare-migrate-0-1-0")
    assert pod["spec"] == job["spec"]["template"]["spec"]
    assert pod["metadata"]["labels"] == {"a": "b"}


def test_liveness_probes_become_commands_sh_reads_back_word_for_word() -> None:
    container = {"ports": [{"name": "http", "containerPort": 8080}], "livenessProbe": {
        "httpGet": {"path": "/live", "port": "http"}, "periodSeconds": 20, "timeoutSeconds": 5}}
    probe = k8s_smoke.podman_liveness(container)
    assert probe is not None and probe["periodSeconds"] == 20 and "httpGet" not in probe
    words = as_podman_runs(probe["exec"]["command"])
    assert words[:2] == ["python", "-c"]
    assert "'http://127.0.0.1:8080/live'" in words[2] and "timeout=5" in words[2]
    compile(words[2], "probe", "exec")  # the named port became its number, in valid Python

    spaced = ["pg_isready", "--host=127.0.0.1", "a b", "it's"]
    probe = k8s_smoke.podman_liveness({"livenessProbe": {"exec": {"command": spaced}}})
    assert probe is not None and as_podman_runs(probe["exec"]["command"]) == spaced

    tcp = k8s_smoke.podman_liveness({"ports": [{"name": "smtp", "containerPort": 1025}],
                                     "livenessProbe": {"tcpSocket": {"port": "smtp"}}})
    assert tcp is not None
    assert "('127.0.0.1', 1025)" in as_podman_runs(tcp["exec"]["command"])[2]


def test_a_service_whose_port_is_not_its_pods_is_refused() -> None:
    docs: list[dict[str, Any]] = [
        {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {
            "metadata": {"labels": {"app": "d"}},
            "spec": {"containers": [{"name": "c", "ports": [{"name": "http",
                                                             "containerPort": 8000}]}]}}}},
        {"kind": "Service", "metadata": {"name": "svc"},
         "spec": {"selector": {"app": "d"}, "ports": [{"port": 80, "targetPort": "http"}]}}]
    with pytest.raises(k8s_smoke.SmokeFailure, match="svc maps port 80"):
        k8s_smoke.services_by_selector(docs)
    docs[1]["spec"]["ports"][0]["port"] = 8000
    assert k8s_smoke.services_by_selector(docs) == {"d": ["svc"]}


@needs_kubectl
def test_the_local_overlay_is_played_as_rendered_but_for_the_bridges() -> None:
    rendered = k8s_smoke.render()
    plan = k8s_smoke.bridge(rendered, 18080)
    assert {w.name for w in plan.infra} == {"postgres", "rabbitmq", "smtp-sink"}
    assert {w.name for w in plan.wecare} == WECARE
    assert plan.job.name.startswith("wecare-migrate-") and plan.job.document["kind"] == "Pod"
    # every Service is a DNS name of the one pod it selects
    services = {d["metadata"]["name"] for d in rendered if d["kind"] == "Service"}
    aliases = [a for w in (*plan.infra, *plan.wecare) for a in w.aliases]
    assert sorted(aliases) == sorted(services)
    # the Secret the pods read is the one stored for podman
    refs = {ref["secretRef"]["name"] for w in plan.wecare for c in w.containers
            for ref in c.get("envFrom", []) if "secretRef" in ref}
    assert refs <= set(plan.secrets)
    by_name = {d["metadata"]["name"]: d for d in rendered if d["kind"] in ("Deployment", "Job")}
    volumes = []
    for workload in (*plan.infra, plan.job, *plan.wecare):
        original = by_name[workload.name]
        spec = copy.deepcopy(original["spec"]["template"]["spec"])
        # each pod's emptyDir volumes are its own: named after it (podman shares one name)
        volumes += k8s_smoke.empty_dirs(workload.name, spec)
        played = (workload.document["spec"] if workload.kind == "Job"
                  else workload.document["spec"]["template"]["spec"])
        # the pod's security context, volumes, and each container's command, env, security
        # context and resources are the manifests' own
        assert {k: v for k, v in played.items() if k != "containers"} == \
            {k: v for k, v in spec.items() if k != "containers"}, workload.name
        for mine, theirs in zip(played["containers"], spec["containers"], strict=True):
            assert {k: v for k, v in mine.items() if k not in BRIDGED} == \
                {k: v for k, v in theirs.items() if k not in BRIDGED}, workload.name
            assert "readinessProbe" not in mine and "startupProbe" not in mine
            assert ("livenessProbe" in mine) == ("livenessProbe" in theirs)
            # no port is published but the gateway's, on the loopback only
            if workload.name == "wecare-gateway":
                assert mine["ports"] == [{"name": "http", "containerPort": 8000,
                                          "hostPort": 18080, "hostIP": "127.0.0.1"}]
            else:
                assert "ports" not in mine
        assert workload.containers == spec["containers"]  # the Kubelet probes as rendered
    assert len(volumes) == len(set(volumes)) and "wecare-gateway-tmp" in volumes
    assert {"Service", "NetworkPolicy", "PodDisruptionBudget"} <= set(plan.ignored)


@needs_kubectl
def test_the_gateway_answers_the_web_app_at_the_port_its_service_names() -> None:
    rendered = k8s_smoke.render()
    (web,) = [d for d in rendered if d["metadata"]["name"] == "wecare-web"
              and d["kind"] == "Deployment"]
    env = {e["name"]: e.get("value") for e in
           web["spec"]["template"]["spec"]["containers"][0]["env"]}
    (gateway,) = [d for d in rendered if d["metadata"]["name"] == "wecare-gateway"
                  and d["kind"] == "Service"]
    assert env["GATEWAY_URL"] == f"http://wecare-gateway:{gateway['spec']['ports'][0]['port']}"
    out = subprocess.run(["kubectl", "kustomize", str(k8s_smoke.OVERLAY)], capture_output=True,
                         text=True, check=True).stdout
    assert "mailpit" not in out and "smtp://smtp-sink:1025" in base64.b64decode(
        next(d for d in rendered if d["kind"] == "Secret")["data"]["SMTP_URL"]).decode()
