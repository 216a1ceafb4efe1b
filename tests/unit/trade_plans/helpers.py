"""Builders shared by the trade-plan table tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.domain import MarketType, Side
from services.trade_plans.build import MarketRules, SignalInput, build_plan
from services.trade_plans.dto import Refusal
from services.trade_plans.model import Plan
from services.trade_plans.risk import GuardInput
from services.trade_plans.settings import FollowSettings, TraderRisk

D = Decimal
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
RULES = MarketRules(
    amount_step=D("0.001"), price_step=D("0.1"), min_amount=D("0.001"), min_cost=D(5)
)


def liquidation(side: Side, qty: Decimal, entry: Decimal, leverage: int) -> Decimal:
    """Binance isolated, one tier: MMR 0.4 %, cum 0 (the worked example's figures)."""
    sign = 1 if side is Side.LONG else -1
    wallet = qty * entry / leverage
    return (wallet - sign * qty * entry) / (qty * D("0.004") - sign * qty)


def signal(**changes: Any) -> SignalInput:
    base = SignalInput(
        symbol="BTC/USDT:USDT",
        side=Side.LONG,
        market_type=MarketType.PERP,
        entry_low=D(64000),
        entry_high=D(65000),
        entry_is_market=False,
        targets=(D(66000), D(67000), D(68000)),
        stop=D(62000),
        leverage=5,
        posted_at=NOW,
    )
    return dataclasses.replace(base, **changes)


def short_signal(**changes: Any) -> SignalInput:
    values: dict[str, Any] = {
        "side": Side.SHORT,
        "targets": (D(63000), D(62000), D(61000)),
        "stop": D(67000),
    }
    return signal(**(values | changes))


def guard(**changes: Any) -> GuardInput:
    base = GuardInput(
        price=D(65500),
        balance_free=D(10000),
        exposure_quote=D(0),
        daily_realized_pnl=D(0),
        duplicate=False,
        paused=False,
        source_paused=False,
        maintenance=False,
        risk=TraderRisk(),
    )
    return dataclasses.replace(base, **changes)


def build(
    sig: SignalInput | None = None,
    g: GuardInput | None = None,
    rules: MarketRules = RULES,
    **settings: Any,
) -> Plan | Refusal:
    follow = dataclasses.replace(FollowSettings(), **settings)
    return build_plan(sig or signal(), follow, rules, g or guard(), liquidation, NOW)


def plan_of(*args: Any, **kwargs: Any) -> Plan:
    result = build(*args, **kwargs)
    assert isinstance(result, Plan), result
    return result


def refusal_of(*args: Any, **kwargs: Any) -> Refusal:
    result = build(*args, **kwargs)
    assert isinstance(result, Refusal), result
    return result
