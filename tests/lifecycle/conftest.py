"""The lifecycle tests' cluster: two replicas of every service and of the gateway behind
Services, rolled as Kubernetes rolls them (tests/lifecycle/cluster.py), in
bench/harness.py's environment."""

from __future__ import annotations

from typing import Any

import pytest
from support import harness as harness_module


@pytest.fixture(scope="module")
def harness() -> Any:
    return harness_module.load()
