"""The local SMTP server of `make run`, the tests and the benchmarks: aiosmtpd,
filing each message it accepts into a Maildir byte for byte.

aiosmtpd's own Mailbox handler parses every message and writes it back out
through the email package; at thousands of messages that costs the server more
CPU than the sender spends composing them, on the same cores. Each message is
written to tmp/ and renamed into new/ (Maildir's delivery) without the fsync
Python's mailbox does for each: a local sink keeps nothing worth a disk flush,
and the flush blocked the server's event loop (half its time in bench-notifications)."""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any


class RawMaildir:
    """aiosmtpd handler: `-c smtp_sink.RawMaildir <folder>`."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        # tmp/, new/ and cur/ (mailbox.Maildir makes them only where the folder itself is
        # missing, not in an empty one: a volume mounted there)
        for sub in ("tmp", "new", "cur"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        self.names = (f"{time.time_ns()}.P{os.getpid()}Q{n}.sink" for n in itertools.count())

    @classmethod
    def from_cli(cls, parser: Any, *args: str) -> RawMaildir:
        if len(args) != 1:
            parser.error("the Maildir folder is required")
        return cls(args[0])

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          hostname: str, responses: list[str]) -> list[str]:
        """PIPELINING offered, as mail servers do (RFC 2920): aiosmtpd reads a
        command at a time from a buffered stream, so commands sent together are
        answered in order."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        name = next(self.names)
        with open(self.folder / "tmp" / name, "wb") as out:
            out.write(envelope.original_content)
        os.rename(self.folder / "tmp" / name, self.folder / "new" / name)
        return "250 OK"


def command(port: int, folder: Path, host: str = "127.0.0.1") -> list[str]:
    """The command line that starts the server on host:port, filing into folder."""
    return [sys.executable, __file__, "-n", "-l", f"{host}:{port}",
            "-c", "smtp_sink.RawMaildir", str(folder)]


if __name__ == "__main__":  # aiosmtpd's own command line; this folder is on sys.path
    from aiosmtpd.main import main

    main(sys.argv[1:])
