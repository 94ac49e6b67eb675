"""`make image` / `make base-image` (scripts/image.py): which engine builds, and how."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import image  # noqa: E402


def test_docker_builds_only_when_its_client_reaches_an_engine_else_podman() -> None:
    both = {"docker": "/usr/bin/docker", "podman": "/usr/bin/podman"}.get
    assert image.choose_engine(None, lambda: True, both) == "docker"
    # a docker client with nothing behind it (these machines): podman
    assert image.choose_engine(None, lambda: False, both) == "podman"
    assert image.choose_engine(None, lambda: False, {"docker": "/usr/bin/docker"}.get) is None
    assert image.choose_engine(None, lambda: True, {"podman": "/usr/bin/podman"}.get) == "podman"
    assert image.choose_engine(None, lambda: True, lambda name: None) is None
    # CONTAINER_ENGINE chooses, without asking docker
    def never() -> bool:
        raise AssertionError("docker asked")
    assert image.choose_engine("/opt/podman", never, both) == "/opt/podman"


def test_podman_gets_the_projects_containers_conf_unless_one_is_named() -> None:
    assert image.engine_env("podman", {})["CONTAINERS_CONF"] == str(image.PODMAN_CONF)
    assert image.engine_env("/usr/bin/podman", {"CONTAINERS_CONF": "/etc/mine.conf"}) == {
        "CONTAINERS_CONF": "/etc/mine.conf"}
    assert "CONTAINERS_CONF" not in image.engine_env("docker", {})
    conf = image.PODMAN_CONF.read_text()
    assert "default_ulimits = []" in conf and 'runtime = "runc"' in conf


def test_the_build_names_its_base_tags_the_version_and_passes_the_ca_bundle_as_a_secret(
        tmp_path: Path) -> None:
    bundle = tmp_path / "ca.crt"
    without = image.build_args("podman", "localhost/wecare-base:bookworm", bundle)
    assert "--secret" not in without  # no bundle on this machine: nothing passed
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    args = image.build_args("podman", "python:3.11-slim", bundle)
    assert args[args.index("--build-arg") + 1] == "BASE_IMAGE=python:3.11-slim"
    tags = [args[i + 1] for i, a in enumerate(args) if a == "-t"]
    assert tags == [f"wecare:{image.version()}", "wecare:dev"]
    assert args[args.index("--secret") + 1] == f"id=ca_bundle,src={bundle}"
    assert args[-1] == "." and args[args.index("-f") + 1] == "deploy/Dockerfile"
    # the Dockerfile mounts that secret where it downloads, and its default base is the public one
    dockerfile = (image.ROOT / "deploy/Dockerfile").read_text()
    assert dockerfile.count("--mount=type=secret,id=ca_bundle") == 2
    assert f"ARG BASE_IMAGE={image.DEFAULT_BASE}" in dockerfile


def test_the_base_image_is_debian_bookworm_with_python_and_without_manuals() -> None:
    args = image.mmdebstrap_args(Path("/tmp/rootfs.tar"))
    assert args[0] == "mmdebstrap" and "bookworm" in args and "--variant=minbase" in args
    assert "--include=python3,python3-venv,ca-certificates" in args
    assert "--dpkgopt=path-exclude=/usr/share/man/*" in args
    assert "--dpkgopt=path-include=/usr/share/doc/*/copyright" in args  # licences stay
