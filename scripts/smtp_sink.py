"""The local SMTP server of `make run`, the tests and the benchmarks: aiosmtpd,
filing each message it accepts into a Maildir byte for byte.

aiosmtpd's own Mailbox handler parses every message and writes it back out
through the email package; at thousands of messages that costs the server more
CPU than the sender spends composing them, on the same cores."""

from __future__ import annotations

import mailbox
import sys
from pathlib import Path
from typing import Any


class RawMaildir:
    """aiosmtpd handler: `-c smtp_sink.RawMaildir <folder>`."""

    def __init__(self, folder: str) -> None:
        self.box = mailbox.Maildir(folder, create=True)

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
        self.box.add(envelope.original_content)
        return "250 OK"


def command(port: int, folder: Path, host: str = "127.0.0.1") -> list[str]:
    """The command line that starts the server on host:port, filing into folder."""
    return [sys.executable, __file__, "-n", "-l", f"{host}:{port}",
            "-c", "smtp_sink.RawMaildir", str(folder)]


if __name__ == "__main__":  # aiosmtpd's own command line; this folder is on sys.path
    from aiosmtpd.main import main

    main(sys.argv[1:])
