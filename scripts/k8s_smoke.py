"""`make k8s-smoke` (docs/operations.md#kubernetes-on-podman-make-k8s-smoke): the manifests run.

deploy/overlays/local is rendered by kustomize and played by `podman kube play` on a network of
its own: PostgreSQL, RabbitMQ and the SMTP sink first, then the migration Job, then every
service, the gateway and the web app, each with its Deployment's own command, env, probes,
security context and resources. Then, through the gateway's published port: the demo seeded
through the public API, an employee signs in and buys a voucher, the provider redeems it, the
emails arrive in the sink, the ledger audit balances. Figures printed: the image's size, the
seconds from `kube play` to the first healthy answer.

podman 4.3 is not Kubernetes. What it does not do as a cluster does is bridged here, in
`bridge()` and `Kubelet`, and nowhere else (each listed, with how it is checked instead, in the
docs): the Secret, the Job, Services' names, the probes, the published port.

    python -m scripts.k8s_smoke [--keep]     (--keep: leave the pods running, say how to stop them)
"""

from __future__ import annotations

import argparse
import base64
import copy
import fcntl
import json
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import image  # noqa: E402
from scripts.broker import free_port  # noqa: E402

OVERLAY = ROOT / "deploy/overlays/local"
NETWORK = "wecare-k8s-smoke"
LOCK = Path(tempfile.gettempdir()) / "wecare-k8s-smoke.lock"
INFRA = ("postgres", "rabbitmq", "smtp-sink")  # deploy/overlays/local/infra.yaml, played first
STARTUP_TIMEOUT = 600.0  # seconds for every pod to become ready, on a slow shared machine


class SmokeFailure(RuntimeError):
    """What did not work, with what to look at."""


# -- the bridges: the rendered manifests as podman 4.3 can play them ------------------------
@dataclass
class Workload:
    """One Deployment (or the Job) as podman plays it: its own YAML with the ConfigMaps it
    reads, the Service names its pod answers to, and its containers as rendered (their
    readiness and startup probes are the Kubelet's to run)."""

    name: str
    kind: str  # Deployment, or Job (played as a Pod)
    pod: str  # the pod podman makes
    document: dict[str, Any]
    aliases: list[str]
    containers: list[dict[str, Any]]
    published: int | None = None  # the host port of the gateway

    def yaml(self, config_maps: list[dict[str, Any]]) -> str:
        return yaml.safe_dump_all([*config_maps, self.document], sort_keys=False)

    def container(self, name: str) -> str:
        return f"{self.pod}-{name}"


@dataclass
class Plan:
    secrets: dict[str, bytes]  # podman secret name → what podman 4.3 reads from it
    config_maps: list[dict[str, Any]]
    infra: list[Workload]
    job: Workload
    wecare: list[Workload]
    ignored: list[str] = field(default_factory=list)  # kinds podman does not play


def podman_secret(secret: dict[str, Any]) -> bytes:
    """Bridge 1, the Secret. podman 4.3 reads a Secret for `envFrom`/`secretKeyRef` from its
    own secret store as a JSON object of base64 values (the Secret's `data`), but stores the
    Secrets it plays as YAML, which it then fails to read ("is not valid JSON"): the Secret
    goes into the store in the form podman reads."""
    data = dict(secret.get("data") or {})
    for key, value in (secret.get("stringData") or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    return json.dumps(data, sort_keys=True).encode()


def job_as_pod(job: dict[str, Any]) -> dict[str, Any]:
    """Bridge 2, the Job. podman plays no Job: its pod template becomes a Pod of the Job's name
    with the template's restartPolicy; the Kubelet waits for it to end with 0 before anything
    else is played (as the migration Job runs before the Deployments roll out)."""
    template = copy.deepcopy(job["spec"]["template"])
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": job["metadata"]["name"],
                         "labels": template.get("metadata", {}).get("labels", {})},
            "spec": template["spec"]}


def port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    return int(number)


def podman_liveness(container: dict[str, Any]) -> dict[str, Any] | None:
    """Bridge 4, the probes podman runs. podman 4.3 turns a livenessProbe into its health check
    and ignores readiness and startup probes (the Kubelet runs those). It runs an httpGet probe
    with curl (not in the image) on the port's number (a named port becomes 0), a tcpSocket one
    with nc (not in the image), and joins an exec probe's words with spaces for `sh -c`. So:
    httpGet and tcpSocket become the same request made by the image's Python, and every exec
    command is quoted into one word that sh reads back into the same words."""
    probe = copy.deepcopy(container.get("livenessProbe"))
    if probe is None:
        return None
    if "httpGet" in probe:
        get = probe.pop("httpGet")
        url = (f"{get.get('scheme', 'HTTP').lower()}://{get.get('host', '127.0.0.1')}:"
               f"{port_number(container, get['port'])}{get.get('path', '/')}")
        timeout = probe.get("timeoutSeconds", 1)
        command = ["python", "-c", "import urllib.request; "
                   f"urllib.request.urlopen({url!r}, timeout={timeout})"]
    elif "tcpSocket" in probe:
        tcp = probe.pop("tcpSocket")
        address = (tcp.get("host", "127.0.0.1"), port_number(container, tcp["port"]))
        command = ["python", "-c", f"import socket; socket.create_connection({address!r}, 5)"]
    else:
        command = probe.pop("exec")["command"]
    probe["exec"] = {"command": [shlex.join(command)]}
    return probe


def empty_dirs(workload: str, spec: dict[str, Any]) -> list[str]:
    """Bridge 6, emptyDir volumes. podman 4.3 makes an emptyDir a volume named as the
    manifest names it: every pod with a volume `tmp` (or `data`) shares the one volume, which
    outlives the pod when it is removed by force. Each is renamed `<workload>-<volume>` (in the
    pod's volumes and its containers' mounts), so each pod has its own, empty at start; the
    run removes them with the pods. → the new names."""
    renamed = {v["name"]: f"{workload}-{v['name']}" for v in spec.get("volumes", [])
               if "emptyDir" in v}
    for volume in spec.get("volumes", []):
        volume["name"] = renamed.get(volume["name"], volume["name"])
    for container in spec["containers"]:
        for mount in container.get("volumeMounts", []):
            mount["name"] = renamed.get(mount["name"], mount["name"])
    return list(renamed.values())


def services_by_selector(documents: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Bridge 3, Services. podman has no Services: each pod joins the network with the names of
    the Services that select it as DNS aliases (`--network NET:alias=NAME`, aardvark-dns), so
    `http://wecare-wallet:8080` reaches the wallet's pod. That is all a Service does here: no
    load balancing (one replica each in the local overlay) and no port mapping, so each Service's
    port must be the port its target names (checked here, and in tests/test_deploy.py)."""
    workloads = [d for d in documents if d["kind"] in ("Deployment", "Job")]
    aliases: dict[str, list[str]] = {d["metadata"]["name"]: [] for d in workloads}
    for service in (d for d in documents if d["kind"] == "Service"):
        selector = service["spec"]["selector"]
        (target,) = [d for d in workloads if selector.items()
                     <= d["spec"]["template"]["metadata"]["labels"].items()]
        (container,) = target["spec"]["template"]["spec"]["containers"]
        for port in service["spec"]["ports"]:
            if port["port"] != port_number(container, port.get("targetPort", port["port"])):
                raise SmokeFailure(
                    f"Service {service['metadata']['name']} maps port {port['port']} to "
                    f"{port.get('targetPort')}: podman can only give the pod's own ports")
        aliases[target["metadata"]["name"]].append(service["metadata"]["name"])
    return aliases


def bridge(documents: list[dict[str, Any]], gateway_port: int) -> Plan:
    """The rendered overlay as podman plays it: the bridges above, and bridge 5, ports.
    podman 4.3 publishes every containerPort on the machine at the same number (each service's
    8080 would clash with the next, PostgreSQL's 5432 with the machine's own), where Kubernetes
    publishes none: the played containers declare no port (a pod's ports are open to the
    network all the same; probes and Services take their numbers from the rendered manifests),
    except the gateway's, published on 127.0.0.1:gateway_port (a hostPort), as
    `kubectl port-forward` would."""
    aliases = services_by_selector(documents)
    secrets = {d["metadata"]["name"]: podman_secret(d) for d in documents if d["kind"] == "Secret"}
    config_maps = [d for d in documents if d["kind"] == "ConfigMap"]
    infra, wecare, jobs = [], [], []
    for document in documents:
        kind, name = document["kind"], document["metadata"]["name"]
        if kind not in ("Deployment", "Job"):
            continue
        played = job_as_pod(document) if kind == "Job" else copy.deepcopy(document)
        if kind == "Deployment" and document["spec"].get("replicas", 1) != 1:
            raise SmokeFailure(f"{name} has {document['spec']['replicas']} replicas: the local "
                               "overlay runs one of each (podman names one pod per Service)")
        spec = played["spec"] if kind == "Job" else played["spec"]["template"]["spec"]
        empty_dirs(name, spec)
        containers = copy.deepcopy(spec["containers"])
        for container in spec["containers"]:
            container.pop("readinessProbe", None)  # the Kubelet's (podman ignores them)
            container.pop("startupProbe", None)
            liveness = podman_liveness(container)
            if liveness is not None:
                container["livenessProbe"] = liveness
        workload = Workload(name, kind, name if kind == "Job" else f"{name}-pod-0", played,
                            aliases[name], containers)
        for container in spec["containers"]:
            container.pop("ports", None)  # bridge 5: see bridge()'s docstring
        if name == "wecare-gateway":
            (port,) = [p for p in containers[0]["ports"] if p.get("name") == "http"]
            spec["containers"][0]["ports"] = [{**port, "hostPort": gateway_port,
                                               "hostIP": "127.0.0.1"}]
            workload.published = gateway_port
        (jobs if kind == "Job" else infra if name in INFRA else wecare).append(workload)
    (job,) = jobs
    ignored = sorted({d["kind"] for d in documents} - {"Deployment", "Job", "Secret", "ConfigMap"})
    return Plan(secrets, config_maps, infra, job, wecare, ignored)


def render() -> list[dict[str, Any]]:
    out = subprocess.run(["kubectl", "kustomize", str(OVERLAY)], check=True,
                         capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


# -- podman, and the Kubelet's part ---------------------------------------------------------
class Podman:
    def __init__(self) -> None:
        self.engine = image.engine()
        if Path(self.engine).name != "podman":
            raise SmokeFailure("make k8s-smoke plays the manifests with podman kube play: "
                               "install podman (apt-get install -y podman runc)")

    def __call__(self, *args: str, check: bool = True, input: bytes | None = None,
                 timeout: float = 600) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([self.engine, *args], env=image.engine_env(self.engine),
                              capture_output=True, timeout=timeout, input=input)
        result = subprocess.CompletedProcess(done.args, done.returncode,
                                             done.stdout.decode(errors="replace"),
                                             done.stderr.decode(errors="replace"))
        if check and result.returncode != 0:
            raise SmokeFailure(f"podman {' '.join(args[:3])}: {result.stderr.strip()[-800:]}")
        return result

    def inspect(self, name: str) -> dict[str, Any]:
        return json.loads(self("inspect", name).stdout)[0]


class Kubelet:
    """What the kubelet would do and podman does not: start a workload's pod on the network,
    run its startup and readiness probes (from this machine, at the pod's address, or as exec in
    the container), run podman's health check (its liveness probe) once ready, and wait for the
    Job's pod to end."""

    def __init__(self, podman: Podman, plan: Plan) -> None:
        self.podman, self.plan = podman, plan

    def play(self, workload: Workload) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(workload.yaml(self.plan.config_maps))
        network = NETWORK + "".join(f":alias={alias}" for alias in workload.aliases)
        try:
            self.podman("kube", "play", "--network", network, f.name)
        finally:
            Path(f.name).unlink()

    def address(self, workload: Workload) -> str:
        infra = self.podman("pod", "inspect", workload.pod, "--format",
                            "{{.InfraContainerID}}").stdout.strip()
        networks = self.podman.inspect(infra)["NetworkSettings"]["Networks"]
        return str(networks[NETWORK]["IPAddress"])

    def probe(self, workload: Workload, container: dict[str, Any], probe: dict[str, Any],
              address: str) -> bool:
        timeout = probe.get("timeoutSeconds", 1) + 2
        try:
            if "httpGet" in probe:
                get = probe["httpGet"]
                port = port_number(container, get["port"])
                r = requests.get(f"http://{address}:{port}{get.get('path', '/')}",
                                 timeout=timeout)
                return 200 <= r.status_code < 400
            if "tcpSocket" in probe:
                import socket
                port = port_number(container, probe["tcpSocket"]["port"])
                with socket.create_connection((address, port), timeout=timeout):
                    return True
            ran = self.podman("exec", workload.container(container["name"]),
                              *probe["exec"]["command"], check=False, timeout=timeout + 30)
            return ran.returncode == 0
        except (requests.RequestException, OSError, subprocess.TimeoutExpired):
            return False

    def running(self, workload: Workload, container: dict[str, Any]) -> None:
        """The container runs (podman starts again one that stops, as the restartPolicy says:
        three restarts is a crash loop)."""
        inspected = self.podman.inspect(workload.container(container["name"]))
        state = inspected["State"]
        if state["Status"] not in ("running", "created", "configured") or \
                inspected.get("RestartCount", 0) >= 3:
            logs = self.podman("logs", "--tail", "30", workload.container(container["name"]),
                               check=False)
            raise SmokeFailure(f"{workload.name}: {container['name']} is {state['Status']} "
                               f"(exit {state['ExitCode']}, restarted "
                               f"{inspected.get('RestartCount', 0)} times):\n"
                               f"{logs.stdout}{logs.stderr}")

    def ready(self, workloads: list[Workload], deadline: float) -> dict[str, float]:
        """Wait until every container of `workloads` passed its startup probe, then its
        readiness probe; then its liveness probe as podman runs it (`podman healthcheck run`).
        → seconds each took from now."""
        started = time.monotonic()
        waiting = {(w.name, c["name"]): (w, c) for w in workloads for c in w.containers}
        addresses = {w.name: self.address(w) for w in workloads}
        passed: set[tuple[str, str, str]] = set()
        took: dict[str, float] = {}
        while waiting:
            for key, (workload, container) in list(waiting.items()):
                self.running(workload, container)
                for kind in ("startupProbe", "readinessProbe"):
                    probe = container.get(kind)
                    if (*key, kind) in passed or probe is None:
                        continue
                    if not self.probe(workload, container, probe, addresses[workload.name]):
                        break
                    passed.add((*key, kind))
                else:
                    if container.get("livenessProbe"):
                        health = self.podman("healthcheck", "run",
                                             workload.container(container["name"]), check=False)
                        if health.returncode != 0:
                            raise SmokeFailure(f"{workload.name}: podman's health check (the "
                                               f"liveness probe) failed: {health.stdout}"
                                               f"{health.stderr}")
                    took[workload.name] = time.monotonic() - started
                    del waiting[key]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(sorted({w.name for w, _ in waiting.values()}))
                raise SmokeFailure(f"not ready in time: {names}")
            time.sleep(1)
        return took

    def finished(self, job: Workload, deadline: float) -> None:
        """The Job's pod: its container exits 0 (podman restarts it on failure, as the Job's
        restartPolicy says; backoffLimit is counted here)."""
        (container,) = job.containers
        name = job.container(container["name"])
        limit = self.plan.job.document["spec"].get("backoffLimit", 6) + 1
        while time.monotonic() < deadline:
            state = self.podman.inspect(name)
            status = state["State"]
            if status["Status"] == "exited" and status["ExitCode"] == 0:
                return
            if state.get("RestartCount", 0) >= limit:
                break
            time.sleep(1)
        logs = self.podman("logs", "--tail", "40", name, check=False)
        raise SmokeFailure(f"the migration Job did not finish:\n{logs.stdout}{logs.stderr}")


# -- the smoke through the published port ---------------------------------------------------
def smoke(url: str, secret: dict[str, str], kubelet: Kubelet, sink: Workload) -> dict[str, Any]:
    """The demo through the public API; an employee buys, the provider redeems, the emails
    arrive, the ledger balances. → what was seen."""
    from scripts.seed import EMPLOYEE_PASSWORD, EMPLOYEES, PROVIDER_PASSWORD, PROVIDERS, Api, seed

    api = Api(url)
    seed(url, secret["WECARE_ADMIN_EMAIL"], secret["WECARE_ADMIN_PASSWORD"])
    employee_email = EMPLOYEES[0][0]
    *_, provider_email, title, _price = PROVIDERS[0]  # (…, email, offering's title, price)
    employee = api.token(employee_email, EMPLOYEE_PASSWORD)
    if employee is None:
        raise SmokeFailure(f"{employee_email} cannot sign in")
    offerings = api.call("GET", "/offerings", employee)["items"]
    (offering,) = [o for o in offerings if o["title"] == title]
    deadline = time.monotonic() + 120
    key = uuid.uuid4().hex
    while True:  # the wallet hears of the offering and the grant through events
        try:
            voucher = api.call("POST", "/me/vouchers", employee, key=key,
                               offering_id=offering["id"])
            break
        except RuntimeError as refused:
            if time.monotonic() > deadline:
                raise SmokeFailure(f"buying: {refused}") from refused
            time.sleep(1)
    provider_token = api.token(provider_email, PROVIDER_PASSWORD)
    redeemed = api.call("POST", f"/providers/{voucher['provider_id']}/redemptions",
                        provider_token, key=uuid.uuid4().hex, code=voucher["code"])
    if redeemed["status"] != "redeemed":
        raise SmokeFailure(f"redeeming: {redeemed}")
    wanted = {f"Il tuo voucher: {title}", f"Voucher usato: {title}"}
    deadline = time.monotonic() + 120
    while True:
        mails = sink_mail(kubelet, sink)
        got = {subject for to, subject in mails if to == employee_email} & wanted
        if got == wanted:
            break
        if time.monotonic() > deadline:
            raise SmokeFailure(f"emails to {employee_email}: {sorted(got)} of {sorted(wanted)}; "
                               f"the sink holds {mails[-10:]}")
        time.sleep(1)
    admin = api.token(secret["WECARE_ADMIN_EMAIL"], secret["WECARE_ADMIN_PASSWORD"])
    audit = api.call("GET", "/ledger/audit", admin)
    if audit.get("balanced") is not True:
        raise SmokeFailure(f"the ledger audit: {audit}")
    return {"voucher": voucher["code"], "emails": len(mails), "audit": audit}


READ_MAILDIR = ("import email, email.policy, email.utils, json, pathlib; print(json.dumps(["
                "(email.utils.parseaddr(str(m['To']))[1], str(m['Subject'])) for m in ("
                "email.message_from_bytes(p.read_bytes(), policy=email.policy.default) "
                "for p in sorted(pathlib.Path('/mail/new').glob('*')))]))")


def sink_mail(kubelet: Kubelet, sink: Workload) -> list[tuple[str, str]]:
    """(To, Subject) of every email the SMTP sink filed (as `kubectl exec` would read them)."""
    (container,) = sink.containers
    out = kubelet.podman("exec", sink.container(container["name"]), "python", "-c",
                         READ_MAILDIR).stdout
    return [(to, subject) for to, subject in json.loads(out)]


def locked_down(kubelet: Kubelet, workload: Workload) -> str:
    """What the container runs as, read inside it: uid, capabilities, no_new_privs, seccomp,
    a write to the root file system refused, the memory limit podman set."""
    (container,) = workload.containers
    name = workload.container(container["name"])
    status = dict(line.split(":\t", 1) for line in kubelet.podman(
        "exec", name, "cat", "/proc/1/status").stdout.splitlines() if ":\t" in line)
    write = kubelet.podman("exec", "--user", "0", name, "touch", "/probe", check=False)
    memory = kubelet.podman.inspect(name)["HostConfig"]["Memory"]
    facts = {"uid": status["Uid"].split()[0], "CapEff": status["CapEff"],
             "NoNewPrivs": status["NoNewPrivs"], "Seccomp": status["Seccomp"],
             "root fs": "read-only" if "Read-only" in write.stderr else "WRITABLE",
             "memory": f"{memory // 2**20} MiB" if memory else "none"}
    expected = {"CapEff": "0000000000000000", "NoNewPrivs": "1", "Seccomp": "2",
                "root fs": "read-only"}
    wrong = {k: facts[k] for k, v in expected.items() if facts[k] != v}
    if facts["uid"] == "0" or wrong:
        raise SmokeFailure(f"{workload.name} is not locked down as its manifest says: {facts}")
    return ", ".join(f"{k} {v}" for k, v in facts.items())


# -- the run ---------------------------------------------------------------------------------
@contextmanager
def one_at_a_time() -> Iterator[None]:
    """podman's pods, secrets and networks are the machine's: one k8s-smoke at a time."""
    with open(LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"· another make k8s-smoke runs on this machine; waiting ({LOCK})", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def clean(podman: Podman, plan: Plan) -> None:
    """Remove what a run makes (and what an earlier run left): pods, secrets, the network."""
    workloads = (*plan.wecare, plan.job, *plan.infra)
    podman("pod", "rm", "--force", "--ignore", "--time", "10", *[w.pod for w in workloads],
           check=False, timeout=300)
    volumes = [v["name"] for w in workloads for v in (
        w.document["spec"] if w.kind == "Job" else w.document["spec"]["template"]["spec"]
    ).get("volumes", []) if "emptyDir" in v]
    podman("volume", "rm", "--force", *volumes, check=False)
    for name in plan.secrets:
        podman("secret", "rm", name, check=False)
    podman("network", "rm", "--force", NETWORK, check=False)


def run(keep: bool = False) -> int:
    podman = Podman()
    documents = render()
    gateway_port = free_port()
    plan = bridge(documents, gateway_port)
    (secret_doc,) = [d for d in documents if d["kind"] == "Secret"]
    secret = {k: base64.b64decode(v).decode() for k, v in secret_doc["data"].items()}
    size = image.size_bytes(podman.engine, "wecare:dev") / 1e6
    print(f"· wecare:dev {size:.0f} MB; {len(documents)} documents rendered from "
          f"{OVERLAY.relative_to(ROOT)}; podman plays no {', '.join(plan.ignored)}", flush=True)
    kubelet = Kubelet(podman, plan)
    with one_at_a_time():
        clean(podman, plan)
        try:
            podman("network", "create", NETWORK)
            for name, data in plan.secrets.items():
                podman("secret", "create", name, "-", input=data)
            started = time.monotonic()
            deadline = started + STARTUP_TIMEOUT
            for workload in plan.infra:
                kubelet.play(workload)
            infra = kubelet.ready(plan.infra, deadline)
            print("· ready: " + ", ".join(f"{n} {s:.0f} s" for n, s in infra.items()),
                  flush=True)
            wecare_started = time.monotonic()
            kubelet.play(plan.job)
            kubelet.finished(plan.job, deadline)
            migrated = time.monotonic() - wecare_started
            print(f"· {plan.job.name} finished in {migrated:.0f} s", flush=True)
            for workload in plan.wecare:
                kubelet.play(workload)
            url = f"http://127.0.0.1:{gateway_port}"
            first_healthy = None
            while first_healthy is None:
                try:
                    if requests.get(f"{url}/health", timeout=5).status_code == 200:
                        first_healthy = time.monotonic()
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    for workload in plan.wecare:
                        for container in workload.containers:
                            kubelet.running(workload, container)
                    raise SmokeFailure(f"{url}/health never answered 200")
                time.sleep(0.5)
            ready = kubelet.ready(plan.wecare, deadline)
            print(f"· first healthy answer through the published port {url}/health: "
                  f"{first_healthy - started:.0f} s after the first kube play, "
                  f"{first_healthy - wecare_started:.0f} s after the migration Job's", flush=True)
            for workload in plan.wecare:
                print(f"  {workload.name:<22} ready {ready[workload.name]:>4.0f} s; "
                      f"{locked_down(kubelet, workload)}", flush=True)
            (sink,) = [w for w in plan.infra if w.name == "smtp-sink"]
            seen = smoke(url, secret, kubelet, sink)
            print(f"· smoke through {url}: signed in, bought {seen['voucher']}, redeemed, "
                  f"{seen['emails']} emails in the sink, ledger audit balanced "
                  f"(sum {seen['audit'].get('sum_cents')})", flush=True)
            print(f"\nmake k8s-smoke: image {size:.0f} MB; kube play → first healthy answer "
                  f"{first_healthy - started:.0f} s ({first_healthy - wecare_started:.0f} s "
                  f"from the migration Job); {time.monotonic() - started:.0f} s in all")
            if keep:
                print(f"kept running: {url} (stop with: python -m scripts.k8s_smoke --clean)")
            return 0
        finally:
            if not keep:
                clean(podman, plan)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.k8s_smoke", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="leave the pods running")
    parser.add_argument("--clean", action="store_true", help="only remove what a run left")
    args = parser.parse_args(argv)
    try:
        if args.clean:
            with one_at_a_time():
                clean(Podman(), bridge(render(), 0))
            return 0
        return run(args.keep)
    except SmokeFailure as failure:
        print(f"make k8s-smoke failed: {failure}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
