"""`python bench/profiled.py OUT.prof -m nameko run …`: a service process under
cProfile (CPU time, not wall time: green threads wait a lot), switched on by
SIGUSR1 and written to OUT.prof by SIGUSR2, so a profile covers only the load
that `bench/profile_bench.py` sends between the two."""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
import time

out = sys.argv[1]
assert sys.argv[2] == "-m", "usage: profiled.py OUT.prof -m module args…"
module = sys.argv[3]
profile = cProfile.Profile(time.process_time)


def _start(*_: object) -> None:
    profile.enable()


def _dump(*_: object) -> None:
    profile.disable()
    profile.dump_stats(out)


signal.signal(signal.SIGUSR1, _start)
signal.signal(signal.SIGUSR2, _dump)
sys.argv = [module, *sys.argv[4:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
