"""The gateway's probes: /live (the process), /ready (its own database), and /health
(every service, asked at once)."""

from __future__ import annotations

import requests


def test_the_gateway_answers_its_probes(stack) -> None:
    live = requests.get(f"{stack.url}/live", timeout=5)
    assert live.status_code == 200 and live.json() == {"status": "alive"}
    ready = requests.get(f"{stack.url}/ready", timeout=5)
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    report = requests.get(f"{stack.url}/health", timeout=10).json()
    assert report["status"] == "ok"
    assert set(report["services"]) == {"gateway", "catalog", "benefits", "wallet",
                                       "notifications"}
