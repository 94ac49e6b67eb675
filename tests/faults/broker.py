"""The fault tests' RabbitMQ node of their own: scripts/broker.py's OwnBroker (make run starts
one, too, where RabbitMQ is installed but not running)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from scripts.broker import BIN, OwnBroker, available  # noqa: E402

__all__ = ["BIN", "OwnBroker", "available"]
