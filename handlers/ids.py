"""Ids read from buttons: the one bound every id in callback data must pass.

Callback data comes back from the client and can be forged. An id field typed ``RowId`` is
refused while aiogram unpacks the data (pydantic raises, the filter does not match), so a
forged id never reaches a service or the database; the press falls through to the fallback
router's stale-button answer. Invariant: an accepted ``RowId`` is positive and fits a
PostgreSQL BIGINT (``1 .. 2**63-1``).
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

MAX_ROW_ID: Final = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
