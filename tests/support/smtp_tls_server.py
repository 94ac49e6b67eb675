"""An SMTP server that insists on STARTTLS and a login, filing what it accepts
into a Maildir: the mailer's tests run it as a process.

    python smtp_tls_server.py PORT MAILDIR CERT KEY USER PASSWORD
"""

from __future__ import annotations

import asyncio
import mailbox
import ssl
import sys
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main(port: str, folder: str, cert: str, key: str, user: str, password: str) -> None:
    box = mailbox.Maildir(folder, create=True)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            box.add(envelope.original_content)
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)  # (handled=False: "535" is sent)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(loop.create_server(
        lambda: SMTP(Handler(), tls_context=context, require_starttls=True,
                     auth_required=True, auth_require_tls=True, authenticator=authenticate),
        "127.0.0.1", int(port)))
    loop.run_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
