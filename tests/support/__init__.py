"""Helpers the tests share: free ports, a real SMTP sink, valid test identities."""

from __future__ import annotations

import email
import email.policy
import mailbox
import random
import socket
import string
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import smtp_sink  # scripts/, on the tests' pythonpath


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port),
                                 timeout=2).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A real SMTP server (aiosmtpd, in its own process) writing to a Maildir."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "maildir"  # created when missing
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            smtp_sink.command(self.port, self.folder),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not reachable(self.url, self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.1)

    def messages(self) -> list:
        # The modern policy decodes headers (RFC 2047) and gives get_body().
        box = mailbox.Maildir(self.folder, create=False, factory=lambda f: (
            email.message_from_binary_file(f, policy=email.policy.default)))
        return list(box)

    def wait_for(self, predicate: Callable, timeout: float = 60) -> list:
        # 60 s: an email crosses the outbox, the broker and SMTP; on a loaded machine
        # (load 20+ on 2 cores) 20 s was seen to be too short
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages() if predicate(m)]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError("no such email arrived within the wait")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Fake:
    """Unique, check-digit-valid VAT numbers and tax codes, and names."""

    def vat_number(self) -> str:
        from stdnum import luhn

        base = "".join(random.choices(string.digits, k=7)) + f"{random.randint(1, 100):03d}"
        return base + luhn.calc_check_digit(base)

    def fiscal_code(self) -> str:
        from stdnum.it import codicefiscale

        letters = "".join(random.choices("BCDFGHLMNPRSTVZ", k=6))
        base = (letters + f"{random.randint(50, 99)}" + random.choice("ABCDEHLMPRST")
                + f"{random.randint(1, 28):02d}" + "L219")
        return base + codicefiscale.calc_check_digit(base)

    def email(self, who: str = "user") -> str:
        return f"{who}.{uuid.uuid4().hex[:10]}@example.test"
