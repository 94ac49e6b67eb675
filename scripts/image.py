"""WeCare's container image, with docker or podman (docs/operations.md#the-image).

    python3 -m scripts.image build [BASE_IMAGE]   make image: deploy/Dockerfile → wecare:<version>
                                                  and wecare:dev, its size printed
    python3 -m scripts.image base                 make base-image: Debian bookworm with Python 3.11
                                                  from Debian's packages (mmdebstrap), imported as
                                                  localhost/wecare-base:bookworm
    python3 -m scripts.image local [BASE_IMAGE]   make k8s-images: the local overlay's PostgreSQL
                                                  and RabbitMQ, Debian's packages on BASE_IMAGE
    python3 -m scripts.image engine               the engine these use, or why there is none

docker when its client reaches an engine, else podman (with deploy/podman/containers.conf
unless CONTAINERS_CONF names another), else neither; CONTAINER_ENGINE chooses. Standard
library only: make image needs no virtualenv."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PODMAN_CONF = ROOT / "deploy/podman/containers.conf"
DEFAULT_BASE = "python:3.11-slim"
LOCAL_BASE = "localhost/wecare-base:bookworm"
IMAGE = "wecare"
SIZE_GOAL_MB = 300
# The host's trust store, handed to the build's download steps (never into a layer): on a
# machine behind a TLS-inspecting proxy it is the one that reaches PyPI.
CA_BUNDLE = Path(os.environ.get("WECARE_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
# make base-image: what the image needs besides Debian's minimal base (uv makes a venv of
# python3-venv's; ca-certificates for SMTP over TLS and Stripe), and what it leaves out
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
BASE_DPKG_OPTIONS = ("path-exclude=/usr/share/man/*", "path-exclude=/usr/share/info/*",
                     "path-exclude=/usr/share/locale/*",
                     "path-include=/usr/share/locale/locale.alias",
                     "path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright")
NO_ENGINE = """make image needs a container engine: docker (with an engine it reaches) or podman.
On Debian or Ubuntu: sudo apt-get install -y podman runc
(or name one with CONTAINER_ENGINE=...)"""


def choose_engine(requested: str | None, docker_answers: Callable[[], bool],
                  which: Callable[[str], str | None]) -> str | None:
    """CONTAINER_ENGINE when set; else docker when its client reaches an engine (the client
    alone, with no daemon behind it, builds nothing); else podman; else None."""
    if requested:
        return requested
    if which("docker") and docker_answers():
        return "docker"
    if which("podman"):
        return "podman"
    return None


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def engine() -> str:
    chosen = choose_engine(os.environ.get("CONTAINER_ENGINE"), docker_answers, shutil.which)
    if chosen is None:
        raise SystemExit(NO_ENGINE)
    return chosen


def engine_env(name: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment to run `name` in: podman gets the project's containers.conf unless
    CONTAINERS_CONF already names one."""
    env = dict(os.environ if environ is None else environ)
    if Path(name).name == "podman":
        env.setdefault("CONTAINERS_CONF", str(PODMAN_CONF))
    return env


def run(name: str, *args: str, capture: bool = False,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([name, *args], env=engine_env(name), cwd=ROOT, text=True,
                          capture_output=capture, check=check)


def version() -> str:
    """The project's version: the image's tag, as deploy/base/kustomization.yaml names it."""
    found = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    if found is None:
        raise SystemExit("pyproject.toml names no version")
    return found.group(1)


def build_args(name: str, base: str, ca_bundle: Path | None) -> list[str]:
    """The build command's arguments after the engine."""
    args = ["build", "-f", "deploy/Dockerfile", "--build-arg", f"BASE_IMAGE={base}",
            "-t", f"{IMAGE}:{version()}", "-t", f"{IMAGE}:dev"]
    if ca_bundle is not None and ca_bundle.is_file():
        args += ["--secret", f"id=ca_bundle,src={ca_bundle}"]
    return [*args, "."]


def size_bytes(name: str, ref: str) -> int:
    out = run(name, "image", "inspect", "--format", "{{.Size}}", ref, capture=True).stdout
    return int(out.split()[0])


def build(base: str) -> int:
    name = engine()
    started = time.monotonic()
    print(f"· {Path(name).name} build of {IMAGE}:{version()} and {IMAGE}:dev on {base}",
          flush=True)
    done = run(name, *build_args(name, base, CA_BUNDLE), check=False)
    if done.returncode != 0:
        if base == DEFAULT_BASE:
            print(f"\nThe build failed. Where {DEFAULT_BASE} cannot be pulled (no container "
                  f"registry reachable): make base-image, then make image "
                  f"BASE_IMAGE={LOCAL_BASE}", file=sys.stderr)
        return done.returncode
    size = size_bytes(name, f"{IMAGE}:dev") / 1e6
    print(f"{IMAGE}:{version()}: {size:.0f} MB (goal ≤ {SIZE_GOAL_MB} MB), built in "
          f"{time.monotonic() - started:.0f} s with {Path(name).name} on {base}")
    return 0


LOCAL_IMAGES = ROOT / "deploy/overlays/local/images"


def local_images(base: str) -> int:
    """make k8s-images: what the local overlay runs beside WeCare (PostgreSQL, RabbitMQ), from
    Debian's packages on `base`: wecare-<folder>:dev for each folder of LOCAL_IMAGES."""
    name = engine()
    for folder in sorted(p for p in LOCAL_IMAGES.iterdir() if (p / "Containerfile").exists()):
        tag = f"wecare-{folder.name}:dev"
        started = time.monotonic()
        print(f"· {tag} on {base}", flush=True)
        done = run(name, "build", "--build-arg", f"BASE_IMAGE={base}", "-t", tag, str(folder),
                   check=False)
        if done.returncode != 0:
            return done.returncode
        print(f"{tag}: {size_bytes(name, tag) / 1e6:.0f} MB, built in "
              f"{time.monotonic() - started:.0f} s")
    return 0


def mmdebstrap_args(tarball: Path) -> list[str]:
    return ["mmdebstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
            # /usr merged without the usrmerge package (and the perl it pulls in)
            "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
            *[f"--dpkgopt={option}" for option in BASE_DPKG_OPTIONS],
            "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*",
            "bookworm", str(tarball)]


def base_image(tag: str = LOCAL_BASE) -> int:
    if shutil.which("mmdebstrap") is None:
        raise SystemExit("make base-image needs mmdebstrap: sudo apt-get install -y mmdebstrap")
    name = engine()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wecare-base-") as folder:
        tarball = Path(folder) / "rootfs.tar"
        print(f"· Debian bookworm, {', '.join(BASE_PACKAGES)} (mmdebstrap)", flush=True)
        subprocess.run(mmdebstrap_args(tarball), check=True)
        run(name, "import", "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["python3"]',
            str(tarball), tag)
    print(f"{tag}: {size_bytes(name, tag) / 1e6:.0f} MB, made in "
          f"{time.monotonic() - started:.0f} s; now: make image BASE_IMAGE={tag}")
    return 0


def main(argv: Sequence[str]) -> int:
    command = argv[0] if argv else ""
    if command == "build":
        return build(argv[1] if len(argv) > 1 and argv[1] else DEFAULT_BASE)
    if command == "base":
        return base_image()
    if command == "local":
        return local_images(argv[1] if len(argv) > 1 and argv[1] else DEFAULT_BASE)
    if command == "engine":
        print(engine())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
