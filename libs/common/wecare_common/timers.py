"""A nameko timer whose interval a variable may set when the service starts."""

from __future__ import annotations

from typing import Any

from nameko.timer import Timer

from wecare_common.config import env


class SettableTimer(Timer):
    """`@every(60, "WECARE_X_INTERVAL_SECONDS")`: every 60 s, or as often as the variable
    says when the service starts (read then, not when the module is imported). A test
    stack looks more often, so that work it waits for is done while it waits."""

    def __init__(self, interval: float, variable: str, **kwargs: Any) -> None:
        super().__init__(interval, **kwargs)
        self.default: float = interval
        self.variable = variable

    def start(self) -> None:
        self.interval = float(env(self.variable) or self.default)
        super().start()


every = SettableTimer.decorator
