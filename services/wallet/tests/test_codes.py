"""Voucher codes: unguessable, readable aloud, and typos caught."""

from wallet.codes import ALPHABET, check_character, new_code, normalize


def test_a_code_has_80_random_bits_in_four_groups_and_a_check_character() -> None:
    code = new_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4, 1]
    assert len(ALPHABET) ** 16 >= 2 ** 80
    assert normalize(code) == code
    assert len({new_code() for _ in range(1000)}) == 1000


def test_loose_typing_is_accepted_and_look_alikes_are_read_as_digits() -> None:
    code = new_code()
    assert normalize(code.lower().replace("-", " ")) == code
    body = "0000111122223333"
    typed = "OOOO-IIII-2222-3333-" + check_character(body)  # O for 0, I for 1
    assert normalize(typed) == "0000-1111-2222-3333-" + check_character(body)


def test_every_single_mistyped_character_is_caught() -> None:
    code = new_code().replace("-", "")
    for position in range(len(code)):
        for wrong in ALPHABET:
            if wrong != code[position]:
                assert normalize(code[:position] + wrong + code[position + 1:]) is None


def test_malformed_codes_are_not_ours() -> None:
    assert normalize("") is None
    assert normalize("ABCD-EFGH") is None
    assert normalize("UUUU-UUUU-UUUU-UUUU-U") is None  # U is not in the alphabet
