"""wecare_common.logs: what the redaction takes out of a line, and the JSON line's shape
(the whole system's lines are checked by tests/observability/test_logs.py)."""

from __future__ import annotations

import json
import logging

from wecare_common import logs


def test_an_access_log_line_loses_its_query_string() -> None:
    line = ('127.0.0.1 - - [07/Dec/2026 05:00:00] "GET /password/new?token=AbC-123_x HTTP/1.1"'
            ' 200 1234 0.012')
    assert logs.redact(line) == ('127.0.0.1 - - [07/Dec/2026 05:00:00] "GET /password/new '
                                 'HTTP/1.1" 200 1234 0.012')


def test_tokens_passwords_and_keys_are_masked_wherever_they_are() -> None:
    for line, secret in [
            ("link http://x/password/new?token=s3cr3t-t0ken sent", "s3cr3t-t0ken"),
            ("refresh_token=abcdef123&x=1", "abcdef123"),
            ('{"email": "a@b.it", "password": "hunter2-hunter2"}', "hunter2-hunter2"),
            ("{'client_secret': 'pi_123_secret_456'}", "pi_123_secret_456"),
            ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
            ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl seen", "eyJhbGci"),
            ("smtp://user:p4ssw0rd@mail.example.org:587", "p4ssw0rd")]:
        redacted = logs.redact(line)
        assert secret not in redacted, (line, redacted)
        assert logs.MASK in redacted
    assert logs.redact("grant of 100 cents to 3 employees") == (
        "grant of 100 cents to 3 employees")


def test_a_json_line_has_the_fields_a_log_store_indexes() -> None:
    formatter = logs.Formatter(service="wallet")
    formatter.json = True
    token = logs.REQUEST_ID.set("req-12345678")
    try:
        record = logging.LogRecord("wallet.x", logging.WARNING, __file__, 1,
                                   "paid %s with password=%s", ("ok", "pw-123456"), None)
        logs.Redact().filter(record)
        entry = json.loads(formatter.format(record))
    finally:
        logs.REQUEST_ID.reset(token)
    assert entry["level"] == "warning" and entry["service"] == "wallet"
    assert entry["request_id"] == "req-12345678"
    assert entry["time"].endswith("Z") and "trace_id" in entry and "span_id" in entry
    assert "pw-123456" not in entry["message"] and entry["message"].startswith("paid ok")


def test_a_callers_request_id_is_kept_only_when_it_looks_like_one() -> None:
    assert logs.request_id_from("abc-DEF_123.x") == "abc-DEF_123.x"
    for odd in (None, "", "short", "has spaces in it", "x" * 65, "quote\"d-value"):
        made = logs.request_id_from(odd)
        assert made != odd and len(made) == 32
