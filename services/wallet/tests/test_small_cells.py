"""No figure about fewer than five people (wallet.small_cells): cells under five
merged into "other", "other" itself never under five (the subtraction attack), a
table under five in all withheld whole. Pure: no database."""

from __future__ import annotations

import itertools
import random

import pytest
from wallet.small_cells import MIN_PEOPLE, OTHER, Cell, table

MONEY = ("granted_cents", "spent_cents")


def cell(key: str, people: range | list[int], spent: int, granted: int = 0) -> Cell:
    c = Cell(key)
    for n, person in enumerate(people):
        # each person's share, so that a cell's amount is the sum of its people's
        c.add(f"p{person}", spent_cents=spent // len(people) + (spent % len(people) if n == 0
                                                                else 0),
              granted_cents=granted // len(people) + (granted % len(people) if n == 0
                                                      else 0))
    return c


def check_no_small_cell(shaped: dict, cells: list[Cell]) -> None:
    """Every row shown describes at least five people; the total less the rows shown
    is exactly "other", which describes at least five too (or nothing was merged)."""
    if shaped["withheld"]:
        assert shaped["rows"] == [] and shaped["total"] is None and shaped["other"] is None
        return
    for row in shaped["rows"]:
        assert row["people"] >= MIN_PEOPLE, row
    other = shaped["other"]
    for measure in MONEY:
        left = shaped["total"][measure] - sum(r[measure] for r in shaped["rows"])
        assert left == (other[measure] if other else 0)
    if other is not None:
        assert other["people"] >= MIN_PEOPLE, other
        # what "other" holds is every cell not shown, and no more
        hidden = {c.key for c in cells} - {r["key"] for r in shaped["rows"]}
        assert other["people"] == len(set().union(*(c.people for c in cells
                                                    if c.key in hidden)))


def test_a_cell_of_fewer_than_five_is_merged_into_other() -> None:
    cells = [cell("education", range(0, 10), 5_000), cell("wellbeing", range(10, 20), 3_000),
             cell("transport", range(20, 26), 900), cell("fringe", range(26, 28), 700),
             cell("family_care", range(28, 31), 400)]
    shaped = table(cells, MONEY)
    assert [r["key"] for r in shaped["rows"]] == ["education", "wellbeing", "transport"]
    assert shaped["other"]["key"] == OTHER
    assert (shaped["other"]["people"], shaped["other"]["spent_cents"]) == (5, 1_100)
    assert shaped["total"]["spent_cents"] == 10_000 and shaped["total"]["people"] == 31
    check_no_small_cell(shaped, cells)


def test_the_subtraction_attack_finds_no_small_cell() -> None:
    """One small cell alone would be "other" itself: total less the cells shown would
    be that cell (two people's spending). The smallest cell shown joins it."""
    cells = [cell("education", range(0, 40), 40_000), cell("wellbeing", range(40, 47), 7_000),
             cell("fringe", range(47, 49), 2_500)]
    shaped = table(cells, MONEY)
    assert [r["key"] for r in shaped["rows"]] == ["education"]
    other = shaped["other"]
    assert other["people"] == 9 and other["spent_cents"] == 9_500
    # the attack: the total less every row shown
    assert shaped["total"]["spent_cents"] - sum(r["spent_cents"] for r in shaped["rows"]) == (
        other["spent_cents"])
    assert other["people"] >= MIN_PEOPLE  # so it describes nine people, not the two
    check_no_small_cell(shaped, cells)


def test_a_table_of_fewer_than_five_people_is_withheld_whole() -> None:
    shaped = table([cell("education", range(0, 3), 900), cell("fringe", [3], 100)], MONEY)
    assert shaped == {"rows": [], "other": None, "total": None, "withheld": True}


def test_cells_sharing_people_count_them_once_in_other() -> None:
    """An employee who spent in two small categories is one person in "other"."""
    cells = [cell("education", range(0, 8), 800), cell("fringe", [1, 2, 3], 300),
             cell("transport", [2, 3, 9], 300)]
    shaped = table(cells, MONEY)
    # fringe ∪ transport = {1,2,3,9}: four, so education joins them
    assert shaped["rows"] == [] and shaped["other"]["people"] == 9
    check_no_small_cell(shaped, cells)


def test_exactly_five_people_is_shown() -> None:
    shaped = table([cell("education", range(0, 5), 500)], MONEY)
    assert shaped["rows"][0]["people"] == 5 and shaped["other"] is None


@pytest.mark.parametrize("seed", range(200))
def test_no_arrangement_shows_a_small_cell(seed: int) -> None:
    """Random tables (people shared across cells or not): the rule always holds."""
    rng = random.Random(seed)
    people = list(range(rng.randint(0, 40)))
    cells = []
    for n in range(rng.randint(1, 8)):
        chosen = rng.sample(people, min(len(people), rng.randint(1, 9))) if people else []
        if chosen:
            cells.append(cell(f"k{n}", chosen, rng.randint(1, 10_000), rng.randint(0, 5_000)))
    check_no_small_cell(table(cells, MONEY), cells)


def test_every_pair_of_rows_shown_leaves_other_above_the_threshold() -> None:
    """Subtracting any subset of the rows shown from the total never isolates fewer
    than five people's money: the rest always contains "other"."""
    cells = [cell(f"m{n}", range(n * 10, n * 10 + size), 1_000 * size)
             for n, size in enumerate((12, 7, 5, 4, 2, 1))]
    shaped = table(cells, MONEY)
    check_no_small_cell(shaped, cells)
    rows = shaped["rows"]
    for k in range(len(rows) + 1):
        for subset in itertools.combinations(rows, k):
            rest_people = shaped["total"]["people"] - sum(r["people"] for r in subset)
            assert rest_people >= MIN_PEOPLE
