"""The tracker's table: ``signal_outcomes`` (issue 10). Imported by ``core.db.models``, so
``from core.db.models import SignalOutcome`` works and the table is on ``Base.metadata``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from core.db.base import PK, Base


class SignalOutcome(Base):
    """A tracked entry signal's outcome from candles (issue 10 rules): ``kind`` "price" (prices
    alone) or "followed" (the channel's own updates on top). One row per (signal, kind),
    recomputed while ``result`` is "open"; ``events`` are its steps in order (each with its
    stable ``key``), and a step is told to followers at most once (the outbox dedupe key holds
    the event key). ``source_id`` and ``posted_at`` are copied from the signal for the scores'
    queries. Prices are the tracker's (``Decimal``); ``r`` is to four places."""

    __tablename__ = "signal_outcomes"
    __table_args__ = (
        UniqueConstraint("signal_id", "kind"),
        Index("ix_signal_outcomes_source_kind_posted", "source_id", "kind", "posted_at"),
        Index("ix_signal_outcomes_result", "result"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))  # price | followed
    posted_at: Mapped[datetime]
    symbol: Mapped[str | None] = mapped_column(String(40))  # the candles' pair
    timeframe: Mapped[str | None] = mapped_column(String(8))
    result: Mapped[str] = mapped_column(String(24))
    filled_at: Mapped[datetime | None]
    fill_price: Mapped[Decimal | None]
    targets_hit: Mapped[int] = mapped_column(Integer, default=0)
    stop_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None]
    r: Mapped[Decimal | None]
    tp1_at: Mapped[datetime | None]
    events: Mapped[list[Any]] = mapped_column(default=list)
    checked_to: Mapped[datetime | None]  # close of the last candle read
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
