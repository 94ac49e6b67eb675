"""No figure about fewer than five people (docs/domain.md#what-a-network-sees).

A table of figures (money by category, by month, by municipality, …) is a list of
cells, each describing a set of people. A cell describing fewer than `MIN_PEOPLE` is
merged into the table's "other" row. That alone is not enough: when "other" holds a
single small cell, the total less the cells shown gives it away (the subtraction
attack), so while "other" describes fewer than `MIN_PEOPLE`, the smallest cell still
shown joins it too. A table whose people are fewer than `MIN_PEOPLE` in all is
withheld whole: no row, no total.

So every row shown, "other" included, describes at least `MIN_PEOPLE` people, and the
total less the rows shown is exactly "other" (it describes at least `MIN_PEOPLE` too).
Cells may share people (an employee spends in two categories): each count is of
distinct people, "other" counted over the union of what it merged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MIN_PEOPLE = 5
OTHER = "other"


@dataclass
class Cell:
    key: str
    people: set[str] = field(default_factory=set)
    sums: dict[str, int] = field(default_factory=dict)
    counts: dict[str, set[str]] = field(default_factory=dict)  # e.g. firms: distinct ids

    def add(self, person: str | None, **amounts: int) -> None:
        if person is not None:
            self.people.add(person)
        for name, cents in amounts.items():
            self.sums[name] = self.sums.get(name, 0) + cents

    def count(self, name: str, member: str) -> None:
        self.counts.setdefault(name, set()).add(member)

    def merge(self, other: Cell) -> None:
        self.people |= other.people
        for name, cents in other.sums.items():
            self.sums[name] = self.sums.get(name, 0) + cents
        for name, members in other.counts.items():
            self.counts.setdefault(name, set()).update(members)

    def row(self, measures: Iterable[str]) -> dict[str, Any]:
        return {"key": self.key, "people": len(self.people),
                **{m: self.sums.get(m, 0) for m in measures},
                **{name: len(members) for name, members in self.counts.items()}}


def _size(cell: Cell) -> tuple[int, int, str]:
    return len(cell.people), sum(cell.sums.values()), cell.key


def table(cells: Iterable[Cell], measures: tuple[str, ...],
          min_people: int = MIN_PEOPLE) -> dict[str, Any]:
    """The cells as a table people may see: `rows` (in the order given), `other`
    (None when nothing was merged), `total`, and `withheld` (True: nothing shown)."""
    cells = [c for c in cells if c.people]
    total = Cell("total")
    for cell in cells:
        total.merge(cell)
    if len(total.people) < min_people:
        return {"rows": [], "other": None, "total": None, "withheld": True}
    shown = [c for c in cells if len(c.people) >= min_people]
    other = Cell(OTHER)
    for cell in cells:
        if len(cell.people) < min_people:
            other.merge(cell)
    while other.people and len(other.people) < min_people and shown:
        smallest = min(shown, key=_size)  # the subtraction attack: "other" grows
        shown.remove(smallest)
        other.merge(smallest)
    return {"rows": [c.row(measures) for c in shown],
            "other": other.row(measures) if other.people else None,
            "total": total.row(measures), "withheld": False}
