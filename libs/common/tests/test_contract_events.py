"""The event registry (wecare_common.contract.events): every event published or
consumed anywhere is named by one of its constants, never spelled out or built
from pieces, and each name has its payload type. Read from the source with
`ast`; nothing is run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from wecare_common.contract import events
from wecare_common.events import ENVELOPE

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted(p for folder in ("services", "gateway", "libs/common/wecare_common")
                 for p in (ROOT / folder).rglob("*.py")
                 if "tests" not in p.parts and "migrations" not in p.parts)
NAMES = {value for key, value in vars(events).items()
         if key.isupper() and isinstance(value, str) and "." in value}


def _calls(name: str) -> list[tuple[str, int, ast.expr]]:
    """The event-naming argument of each call of `name` (record_event's first after
    the session, make_envelope's first, every one of handle_event's)."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(
                    node.func, "attr", None)) == name):
                continue
            args = {"record_event": node.args[1:2], "make_envelope": node.args[:1]}.get(
                name, node.args)
            found += [(str(path.relative_to(ROOT)), node.lineno, arg) for arg in args]
    return found


@pytest.mark.parametrize("function", ["record_event", "make_envelope", "handle_event"])
def test_events_are_named_by_the_registry_only(function: str) -> None:
    calls = _calls(function)
    assert calls
    spelled = [f"{path}:{line}" for path, line, arg in calls
               if isinstance(arg, (ast.Constant, ast.JoinedStr, ast.BinOp))]
    assert spelled == []


def test_every_name_has_its_payload_type_and_fits_the_envelope() -> None:
    assert NAMES == set(events.PAYLOADS) == set(events.EVENT_TYPES)
    pattern = ENVELOPE.fields["type"].validators[0]
    for name in NAMES:
        assert pattern(name) == name
    for outcomes in (events.PROVIDER_STATUS_CHANGED, events.REIMBURSEMENT_DECIDED,
                     events.VOUCHER_GIVEN_BACK):
        assert set(outcomes.values()) <= NAMES


def test_a_payload_is_checked_against_its_type() -> None:
    event = {"type": events.EMPLOYEE_LEFT, "payload": {"id": "e1", "company_id": "c1",
                                                       "left_on": "2026-05-01", "extra": 1}}
    assert events.load_payload(event)["extra"] == 1  # producers may send more
    with pytest.raises(Exception, match="company_id"):
        events.load_payload({**event, "payload": {"id": "e1", "left_on": "2026-05-01"}})
