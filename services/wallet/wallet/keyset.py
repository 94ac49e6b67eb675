"""Keyset pages: a page ends at a row's moment and key, and the next begins after
it. A cursor is `<microseconds since 1970>.<key>` (the contract's _MOMENT_CURSOR
checks its shape); every list the wallet pages by moment uses these two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from wecare_common.db import aware

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of(moment: datetime, key: str | int) -> str:
    """The cursor of the page that ends at this row."""
    micros = (aware(moment) - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{key}"


def after(column: Any, key_column: Any, cursor: str, *, newest_first: bool,
          key: type[str] | type[int] = str) -> Any:
    """The condition for the rows after `cursor` in (moment, key) order; `key` is the
    key column's type (an id, or a sequence number)."""
    micros, raw_key = cursor.split(".", 1)
    moment, row_key = EPOCH + timedelta(microseconds=int(micros)), key(raw_key)
    if newest_first:
        return or_(column < moment, and_(column == moment, key_column < row_key))
    return or_(column > moment, and_(column == moment, key_column > row_key))
