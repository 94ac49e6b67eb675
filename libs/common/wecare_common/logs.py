"""Log lines (docs/operations.md#logs): one JSON object a line with
`WECARE_LOG_FORMAT=json` (time, level, service, logger, message, trace_id, span_id,
request_id, and the exception), readable text otherwise (`make run`). Every service's
config.yaml installs `Formatter` and `Redact` on its handler.

No secret reaches a line: `Redact` takes the query string off every access-log line
(a set-password link carries its one-time token there) and masks what looks like a
token, a password or a key anywhere else (`key=value` and `"key": "value"` pairs,
bearer tokens, JWTs)."""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from wecare_common import tracing

# the request a line belongs to: set by the HTTP entrypoint (X-Request-Id, checked, or a
# new one at the gateway) and by each worker from its context data (RPC, events)
REQUEST_ID: ContextVar[str | None] = ContextVar("wecare_request_id", default=None)
REQUEST_ID_HEADER = "X-Request-Id"
# the trace and span ids of the HTTP request this green thread serves, for its lines
# after the request's span has ended (the access log's)
REQUEST_TRACE: ContextVar[tuple[str | None, str | None]] = ContextVar(
    "wecare_request_trace", default=(None, None))
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(value: str | None) -> str:
    """A caller's request id when it looks like one (never free text into the logs),
    else a new one."""
    if value and _SANE_ID.match(value):
        return value
    return uuid.uuid4().hex


# -- redaction -------------------------------------------------------------------------------
SECRET_WORDS = ("token", "password", "passwd", "secret", "api_key", "apikey", "key",
                "authorization", "signature", "code", "jwt", "cookie", "session")
_WORDS = "|".join(sorted(SECRET_WORDS, key=len, reverse=True))
MASK = "[redacted]"
_PATTERNS = [
    # a request line's query string: "GET /password/new?token=… HTTP/1.1"
    (re.compile(r'("[A-Z]+ [^?" ]*)\?[^" ]*( HTTP/[0-9.]+")'), r"\1\2"),
    # key=value, as in a URL's query or a form (access_token=…, set-password?token=…)
    (re.compile(rf"(?i)([?&;\s]?[\w-]*(?:{_WORDS})[\w-]*=)[^&\s\"';,]+"), rf"\1{MASK}"),
    # "key": "value" and 'key': 'value', as in a JSON body or a dict's repr
    (re.compile(rf"(?i)([\"'][\w-]*(?:{_WORDS})[\w-]*[\"']\s*:\s*)([\"'])[^\"']*\2"),
     rf"\1\2{MASK}\2"),
    # Authorization: Bearer …
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {MASK}"),
    # a JWT anywhere
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    # a URL's user:password@
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"), rf"\1:{MASK}@"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redact(logging.Filter):
    """On a handler: the record's message (and its exception's text) redacted, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_wecare_redacted", False):
            return True
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None  # formatted (and redacted) above: not again
        record._wecare_redacted = True
        return True


# -- formatting ----------------------------------------------------------------------------------
def log_format() -> str:
    return (os.environ.get("WECARE_LOG_FORMAT") or "text").strip().lower()


class Formatter(logging.Formatter):
    """JSON lines with WECARE_LOG_FORMAT=json, else text; `service` names the process."""

    def __init__(self, service: str = "", fmt: str | None = None, **kwargs: Any) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)-7s %(name)s: %(message)s", **kwargs)
        self.service = service or os.environ.get("WECARE_SERVICE", "")
        self.json = log_format() == "json"

    def format(self, record: logging.LogRecord) -> str:
        trace_id, span_id = tracing.ids()
        if trace_id is None:
            trace_id, span_id = REQUEST_TRACE.get()
        request_id = REQUEST_ID.get()
        if not self.json:
            line = super().format(record)
            where = " ".join(f"{k}={v}" for k, v in (("request", request_id),
                                                     ("trace", trace_id)) if v)
            return f"{line} [{where}]" if where else line
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(), "service": self.service,
            "logger": record.name, "message": record.getMessage(),
            "trace_id": trace_id, "span_id": span_id, "request_id": request_id}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)
