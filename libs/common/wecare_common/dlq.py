"""Inspect and replay parked events (docs/operations.md#dead-letters):
`python -m wecare_common.dlq list|replay [N]`."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from typing import Any

from kombu import Connection

from wecare_common import config
from wecare_common.topology import dead_letter_queue


def _drain(conn: Connection, limit: int) -> list[Any]:
    """Up to `limit` parked messages, taken (not acknowledged). The queue says how
    many are ready, so an empty one answers at once instead of after a wait. Taken one
    by one (basic.get), never by a consumer: a consumer would be handed back at once
    the messages it puts back, and the next look would find them still taken."""
    waiting = _ready(conn)
    queue = dead_letter_queue.bind(conn.default_channel)
    messages: list[Any] = []
    while len(messages) < min(waiting, limit):
        message = queue.get(no_ack=False)
        if message is None:
            break
        messages.append(message)
    return messages


def _ready(conn: Connection) -> int:
    """How many parked messages are ready to be taken."""
    return conn.default_channel.queue_declare(dead_letter_queue.name, passive=True)[1]


def _put_back(conn: Connection, messages: list[Any]) -> None:
    """Messages taken to be looked at go back, and are ready again before this
    returns (a requeue is not instant: the next look must see them all)."""
    for m in messages:
        m.requeue()
    deadline = time.monotonic() + 2
    while messages and _ready(conn) < len(messages) and time.monotonic() < deadline:
        time.sleep(0.01)


def _origin(m: Any) -> tuple[str | None, str | None]:
    """The queue a parked message failed in, and why: our consumer's headers, or
    the broker's own `x-death` when it dead-lettered the message itself."""
    headers = m.headers or {}
    queue, error = headers.get("x-wecare-queue"), headers.get("x-wecare-error")
    deaths = headers.get("x-death") or []
    if queue is None and deaths:
        queue = deaths[0].get("queue")
        error = error or f"dead-lettered by the broker ({deaths[0].get('reason')})"
    return queue, error


def key_of(m: Any) -> str:
    """A parked message's handle: its event id and the queue it failed in (one event
    that failed in two consumers is two parked messages)."""
    queue, _ = _origin(m)
    ident = m.properties.get("message_id")
    if not ident:
        body = m.body if isinstance(m.body, bytes) else str(m.body).encode()
        ident = hashlib.sha256(body).hexdigest()
    return hashlib.sha256(f"{queue}\n{ident}".encode()).hexdigest()[:24]


# What a listing never shows: one-time tokens and other secrets an event (or its error)
# may carry: a value under a key that names one, a `token=…` in a link, a bearer token.
MASK = "[masked]"
_SECRET_KEY = re.compile(r"token|password|passwd|secret|api_?key|authorization", re.I)
_SECRET_IN_TEXT = re.compile(
    r"(?P<lead>(?:token|password|secret|key)=|Bearer\s+)[^&\s\"'<>]+", re.I)


def masked(value: Any) -> Any:
    """`value` (an event, an error) with every secret in it replaced by MASK."""
    if isinstance(value, dict):
        return {k: MASK if isinstance(k, str) and _SECRET_KEY.search(k) and v not in (None, "")
                else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return _SECRET_IN_TEXT.sub(lambda m: m["lead"] + MASK, value)
    return value


def list_parked(amqp_uri: str, limit: int = 100) -> list[dict[str, Any]]:
    """The parked messages, left in place; what they carry shown with its secrets
    masked (`masked`): an operator sees why an event failed, not a live link."""
    with Connection(amqp_uri) as conn:
        messages = _drain(conn, limit)
        out = []
        for m in messages:
            queue, error = _origin(m)
            out.append({"id": key_of(m), "message_id": m.properties.get("message_id"),
                        "queue": queue, "error": masked(error),
                        "attempts": (m.headers or {}).get("x-wecare-attempts"),
                        "body": masked(m.payload)})
        _put_back(conn, messages)
    return out


def _send_back(producer: Any, m: Any) -> None:
    # a replayed message starts its tries afresh
    headers = {k: v for k, v in (m.headers or {}).items()
               if not k.startswith("x-wecare-") and k not in ("x-delivery-count", "x-death")}
    producer.publish(m.body, exchange="", routing_key=_origin(m)[0],
                     content_type=m.content_type,
                     content_encoding=m.content_encoding,
                     headers=headers, delivery_mode=2,
                     message_id=m.properties.get("message_id"))


def replay(amqp_uri: str, limit: int = 100) -> int:
    """Send parked messages back to the queue they came from."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        messages = _drain(conn, limit)
        producer = conn.Producer()
        for m in messages:
            _send_back(producer, m)
            m.ack()
    return len(messages)


def replay_one(amqp_uri: str, key: str, limit: int = 1000) -> bool:
    """Send the parked message with this key (`key_of`) back to its queue; the
    others stay parked. False when no such message is parked (replayed already)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        messages = _drain(conn, limit)
        found = next((m for m in messages if key_of(m) == key), None)
        if found is not None:
            _send_back(conn.Producer(), found)
            found.ack()
        _put_back(conn, [m for m in messages if m is not found])
    return found is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("limit", nargs="?", type=int, default=100)
    args = parser.parse_args()
    uri = config.amqp_uri()
    if args.action == "list":
        print(json.dumps(list_parked(uri, args.limit), indent=2, default=str))
    else:
        print(f"replayed {replay(uri, args.limit)} message(s)")


if __name__ == "__main__":
    main()
