"""A person's language: the one given, else the best match of their Accept-Language
among ours, else Italian."""

import pytest
from wecare_common.languages import DEFAULT, LANGUAGES, best_match, chosen


@pytest.mark.parametrize("header, expected", [
    (None, None), ("", None), ("de-DE,fr", None), ("*", None),
    ("en", "en"), ("en-GB,en;q=0.9", "en"), ("it-IT,it;q=0.9,en;q=0.8", "it"),
    ("de-DE,en-US;q=0.7,it;q=0.5", "en"),  # the first of ours, past one we lack
    ("it;q=0.4, en;q=0.8", "en"),  # the q-values, not the order
    ("EN-gb", "en"), ("en;q=0, it;q=0.1", "it"),  # q=0: not acceptable
    ("en;q=0", None), ("en;q=x,it", "it"), (" en ; q=0.5 , it ; q=0.5 ", "en"),
])
def test_the_best_match_of_a_request_s_accept_language(header, expected) -> None:
    assert best_match(header) == expected


def test_the_language_given_first_then_the_request_s_then_italian() -> None:
    assert chosen("en", "it-IT") == "en"
    assert chosen(None, "en-GB,en;q=0.9") == "en"
    assert chosen(None, "de-DE") == chosen(None, None) == DEFAULT == "it"
    assert LANGUAGES == ("it", "en")
