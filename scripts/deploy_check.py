"""Render every Kustomize target and validate it offline against the
Kubernetes schemas (`kubectl kustomize` + `kubernetes-validate --strict`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["deploy/base", "deploy/overlays/local"]


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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
