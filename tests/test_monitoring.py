"""What deploy/components/monitoring ships (issue 22): the alert rules pass promtool's
check and their unit tests where promtool is installed; the rules and the dashboard name
only metrics WeCare exports (wecare_common.metrics) or the broker's own; every Deployment
serves its metrics on a port of its own, annotated for scraping and picked by the
PodMonitor; and each alert has its runbook line in docs/operations.md."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from deploy_check import check, check_rules

ROOT = Path(__file__).resolve().parent.parent
MONITORING = ROOT / "deploy/components/monitoring"
NAME = re.compile(r"\b(wecare_[a-z_]+|rabbitmq_[a-z_]+)\b")


def declared() -> set[str]:
    """Every series name the processes export (counters' and histograms' too)."""
    from prometheus_client import REGISTRY
    from wecare_common import metrics  # noqa: F401 - declares them in the registry

    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        for sample in family.samples:
            names.add(sample.name)
    names |= {f"{n}_bucket" for n in names} | {f"{n}_total" for n in names}
    return names | {"wecare_outbox_oldest_unsent_age_seconds", "wecare_outbox_unsent_events"}


def rules() -> list[dict]:
    rule = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def dashboard_exprs() -> list[str]:
    board = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool (apt-get install prometheus) checks the rules")
def test_the_alert_rules_pass_promtool_and_their_unit_tests() -> None:
    ok, output = check_rules()
    assert ok, output


def test_rules_and_dashboard_name_only_metrics_that_exist() -> None:
    exported = declared()
    exprs = [r["expr"] for r in rules()] + dashboard_exprs()
    assert len(exprs) > 20
    unknown = {name for expr in exprs for name in NAME.findall(expr)
               if name.startswith("wecare_") and name not in exported}
    assert not unknown, unknown
    broker = {name for expr in exprs for name in NAME.findall(expr)
              if name.startswith("rabbitmq_")}
    assert broker <= {"rabbitmq_detailed_queue_messages",
                      "rabbitmq_detailed_queue_messages_ready"}, broker


def test_every_alert_has_a_runbook_line() -> None:
    operations = (ROOT / "docs/operations.md").read_text()
    for rule in rules():
        assert rule["annotations"]["runbook"] == "docs/operations.md#alerts"
        assert f"`{rule['alert']}`" in operations, rule["alert"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl renders the manifests")
def test_every_deployment_serves_metrics_on_its_own_port_and_is_scraped() -> None:
    ok, output = check("deploy/overlays/local-monitored")
    assert ok, output
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "deploy/overlays/local-monitored")],
        capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    config = next(d for d in docs if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "wecare-config")
    assert config["data"]["WECARE_METRICS_ADDRESS"] == "0.0.0.0:9090"
    monitor = next(d for d in docs if d["kind"] == "PodMonitor")
    monitored = set(monitor["spec"]["selector"]["matchExpressions"][0]["values"])
    # WeCare's own (the local overlay also runs PostgreSQL, RabbitMQ and an SMTP sink)
    deployments = [d for d in docs if d["kind"] == "Deployment"
                   and d["metadata"]["name"].startswith("wecare-")]
    assert len(deployments) == 6
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == "9090", name
        ports = {p["name"]: p["containerPort"] for c in pod["spec"]["containers"]
                 for p in c["ports"]}
        assert ports["metrics"] == 9090 and ports["http"] != 9090, name
        assert name in monitored, name
    # not through any Service: the metrics port is reached by Prometheus, pod by pod
    for service in (d for d in docs if d["kind"] == "Service"
                    and d["metadata"]["name"].startswith("wecare-")):
        assert all(p.get("targetPort") != "metrics" and p["port"] != 9090
                   for p in service["spec"]["ports"]), service["metadata"]["name"]
    assert any(d["kind"] == "ConfigMap" and d["metadata"]["name"] == "wecare-grafana-dashboard"
               for d in docs)
