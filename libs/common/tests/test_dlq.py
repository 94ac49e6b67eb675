"""The dead-letter queue as an operator works it, on a real broker: each parked
message listed with a handle, its queue and its reason, left in place however
often it is looked at; one replayed by its handle, the others kept."""

from __future__ import annotations

import json
import uuid

from kombu import Connection, Queue
from wecare_common.dlq import list_parked, replay_one
from wecare_common.events import make_envelope
from wecare_common.topology import dead_letter_exchange, declare_backbone


def park(amqp_uri: str, queue: str, event: dict, reason: str) -> None:
    """What the consumer does after the last try (consumer.park), by hand."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        declare_backbone(conn.channel())
        conn.Producer().publish(
            json.dumps(event), exchange=dead_letter_exchange, routing_key=queue,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            message_id=event["id"], headers={"x-wecare-queue": queue, "x-wecare-error": reason,
                                             "x-wecare-attempts": 5})


def received(amqp_uri: str, queue: str) -> list[dict]:
    with Connection(amqp_uri) as conn:
        q = conn.SimpleQueue(Queue(queue, durable=True), no_ack=True)
        out = []
        try:
            while True:
                out.append(q.get(block=True, timeout=1).payload)
        except q.Empty:
            return out


def test_list_then_replay_one_by_its_handle(amqp_uri: str) -> None:
    with Connection(amqp_uri) as conn:  # the consumers' queues, as topology declares them
        for name in ("wallet.on_thing", "notifications.on_thing"):
            Queue(name, durable=True).bind(conn.channel()).declare()
    event = make_envelope("thing.happened", {"n": 1}, producer="probe", company_id=None)
    other = make_envelope("thing.happened", {"n": 2}, producer="probe", company_id=None)
    park(amqp_uri, "wallet.on_thing", event, "RuntimeError: cannot handle 1")
    park(amqp_uri, "notifications.on_thing", event, "KeyError: 'x'")  # the same event, twice
    park(amqp_uri, "wallet.on_thing", other, "RuntimeError: cannot handle 2")

    for _ in range(3):  # looking changes nothing
        listed = list_parked(amqp_uri)
        assert len(listed) == 3
    by_id = {m["id"]: m for m in listed}
    assert len(by_id) == 3  # one event parked by two consumers: two handles
    first = next(m for m in listed if m["queue"] == "wallet.on_thing"
                 and m["message_id"] == event["id"])
    assert first["error"] == "RuntimeError: cannot handle 1" and first["attempts"] == 5
    assert first["body"]["type"] == "thing.happened" and first["body"]["payload"] == {"n": 1}

    assert replay_one(amqp_uri, first["id"]) is True
    assert replay_one(amqp_uri, first["id"]) is False  # replayed already: nothing twice
    assert replay_one(amqp_uri, uuid.uuid4().hex[:24]) is False
    left = list_parked(amqp_uri)
    assert sorted(m["id"] for m in left) == sorted(i for i in by_id if i != first["id"])
    back = received(amqp_uri, "wallet.on_thing")
    assert [json.loads(b)["id"] if isinstance(b, str) else b["id"] for b in back] == [
        event["id"]]
    assert received(amqp_uri, "notifications.on_thing") == []


def test_the_listing_masks_one_time_tokens_and_secrets(amqp_uri: str) -> None:
    """An event of an earlier version carried its link's token; a reason may quote one:
    the listing (the admin API, `make dlq`) shows neither (issue 23.4)."""
    from wecare_common.dlq import MASK

    token = "s3cr3t-Token_value-0123456789abcdefghij"
    event = make_envelope("user.invited", {
        "user_id": "u1", "email": "a@example.test", "role": "hr", "name": "Ada",
        "link": f"https://wecare.example/password/new?token={token}&lang=it",
        "refresh_token": token, "password": "hunter2-hunter2", "link_id": "kept-id",
        "nested": [{"client_secret": token}, "Authorization: Bearer " + token]},
        producer="gateway", company_id=None)
    park(amqp_uri, "notifications.on_event", event,
         f"ValidationError: {{'link': ['…/password/new?token={token}']}}")
    (listed,) = [m for m in list_parked(amqp_uri) if m["message_id"] == event["id"]]
    shown = json.dumps(listed)
    assert token not in shown and "hunter2" not in shown
    payload = listed["body"]["payload"]
    assert payload["link"] == f"https://wecare.example/password/new?token={MASK}&lang=it"
    assert payload["refresh_token"] == payload["password"] == MASK
    assert payload["link_id"] == "kept-id" and payload["email"] == "a@example.test"
    assert payload["nested"] == [{"client_secret": MASK}, f"Authorization: Bearer {MASK}"]
    assert listed["error"].startswith("ValidationError") and MASK in listed["error"]
