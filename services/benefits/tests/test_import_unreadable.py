"""A CSV file the csv module cannot read is refused naming the body, never a 500
(schemathesis found a lone carriage return in an unquoted header failing the
preview)."""

import pytest
from benefits import imports
from wecare_common.errors import InvalidInput


def test_a_carriage_return_inside_an_unquoted_field_is_read_or_refused() -> None:
    text = b"\xf2\x83\x99\xbaI\r\xc3\xbc\xc2\x87\xf3\x9b\xb1\xa7".decode()
    with pytest.raises(InvalidInput) as exc:
        imports.parse(text)
    assert "_header" in exc.value.fields or "_body" in exc.value.fields
    assert imports.parse('email,nome\n"a@b.it","An\rna"\n') == [
        {"email": "a@b.it", "first_name": "An\rna"}]
