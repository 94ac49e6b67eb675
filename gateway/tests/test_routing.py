"""What the gateway's entrypoint refuses before any service hears of it."""

import pytest
from gateway.routing import refuse_nul
from wecare_common.errors import InvalidInput


def test_nul_characters_are_refused_naming_the_field() -> None:
    assert refuse_nul({"name": "Asilo", "tags": ["a", "b"]}) == {"name": "Asilo",
                                                                 "tags": ["a", "b"]}
    with pytest.raises(InvalidInput) as exc:
        refuse_nul({"city": "Tori\x00no"})
    assert exc.value.code == "nul_character" and set(exc.value.problems) == {"city"}
    with pytest.raises(InvalidInput):
        refuse_nul({"nested": {"deep": ["ok", "\x00"]}})
