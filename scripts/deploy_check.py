"""Render every Kustomize target and validate it offline against the
Kubernetes schemas (`kubectl kustomize` + `kubernetes-validate --strict`); then the
alert rules (deploy/components/monitoring/prometheus-rules.yaml) with `promtool check
rules` and `promtool test rules` where promtool is installed (Debian's `prometheus`
package has it), saying so where it is not."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["deploy/base", "deploy/overlays/local", "deploy/overlays/local-monitored"]
MONITORING = ROOT / "deploy/components/monitoring"


def check(target: str) -> tuple[bool, str]:
    rendered = subprocess.run(["kubectl", "kustomize", str(ROOT / target)],
                              capture_output=True, text=True)
    if rendered.returncode != 0:
        return False, rendered.stderr
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(rendered.stdout)
    validator = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run([str(validator), "--strict", "--quiet", f.name],
                            capture_output=True, text=True)
    Path(f.name).unlink()
    return result.returncode == 0, result.stdout + result.stderr


def check_rules() -> tuple[bool | None, str]:
    """promtool on the PrometheusRule's groups (a plain rule file once taken out of the
    object) and on its unit tests; None when promtool is not installed."""
    import yaml

    promtool = shutil.which("promtool")
    if promtool is None:
        return None, ""
    rule = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "prometheus-rules.yaml"
        rules.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
        tests = Path(folder) / "prometheus-rules-test.yaml"
        tests.write_text((MONITORING / "prometheus-rules-test.yaml").read_text())
        output = ""
        for command in (["check", "rules", str(rules)], ["test", "rules", str(tests)]):
            done = subprocess.run([promtool, *command], capture_output=True, text=True,
                                  cwd=folder)
            output += done.stdout + done.stderr
            if done.returncode != 0:
                return False, output
    return True, output


def main() -> int:
    if shutil.which("kubectl") is None:
        print("kubectl is needed to render the manifests (kubectl kustomize)", file=sys.stderr)
        return 2
    failed = 0
    for target in TARGETS:
        ok, output = check(target)
        print(f"{'ok  ' if ok else 'FAIL'} {target}")
        if not ok:
            print(output)
            failed += 1
    ok, output = check_rules()
    if ok is None:
        print("skip deploy/components/monitoring/prometheus-rules.yaml: promtool is not "
              "installed (apt-get install prometheus), the alert rules are not checked")
    else:
        print(f"{'ok  ' if ok else 'FAIL'} deploy/components/monitoring/prometheus-rules.yaml "
              "(promtool check rules, promtool test rules)")
        if not ok:
            print(output)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
