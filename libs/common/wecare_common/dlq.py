"""Inspect and replay parked events: `python -m wecare_common.dlq list|replay [N]`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kombu import Connection

from wecare_common import config
from wecare_common.topology import dead_letter_queue


def _drain(conn: Connection, limit: int) -> list[Any]:
    queue = conn.SimpleQueue(dead_letter_queue, no_ack=False)
    messages = []
    try:
        while len(messages) < limit:
            messages.append(queue.get(block=True, timeout=0.5))
    except queue.Empty:
        pass
    return messages


def list_parked(amqp_uri: str, limit: int = 100) -> list[dict[str, Any]]:
    """The parked messages, left in place."""
    with Connection(amqp_uri) as conn:
        messages = _drain(conn, limit)
        out = [{
            "queue": m.headers.get("x-wecare-queue"),
            "error": m.headers.get("x-wecare-error"),
            "attempts": m.headers.get("x-wecare-attempts"),
            "body": m.payload,
        } for m in messages]
        for m in messages:
            m.requeue()
    return out


def replay(amqp_uri: str, limit: int = 100) -> int:
    """Send parked messages back to the queue they came from."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        messages = _drain(conn, limit)
        producer = conn.Producer()
        for m in messages:
            # a replayed message starts its tries afresh
            headers = {k: v for k, v in m.headers.items()
                       if not k.startswith("x-wecare-") and k != "x-delivery-count"}
            producer.publish(m.body, exchange="", routing_key=m.headers["x-wecare-queue"],
                             content_type=m.content_type,
                             content_encoding=m.content_encoding,
                             headers=headers, delivery_mode=2,
                             message_id=m.properties.get("message_id"))
            m.ack()
    return len(messages)


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
