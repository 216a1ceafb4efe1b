"""Engine sequences: spot and perp, long and short, fills, take-profits, breakeven, stop,
trailing, expiry, rejections, channel updates, repeated and partial fills, liquidation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.domain import LegKind, LegStatus, MarketType, OrderType, PlanStatus, UpdateType
from services.trade_plans.engine import on_event, realized_r, start
from services.trade_plans.model import (
    CancelLeg,
    ChannelUpdate,
    CloseNow,
    LegEnded,
    LegFilled,
    Liquidated,
    Notify,
    PlaceLeg,
    Plan,
    PriceTick,
)
from services.trade_plans.settings import TraderRisk
from tests.unit.trade_plans.helpers import NOW, D, guard, plan_of, short_signal, signal

_NO_CAP = TraderRisk(max_exposure_pct=D(1000))
SPOT = {"symbol": "BTC/USDT", "market_type": MarketType.SPOT, "leverage": None}


def _plan(market: MarketType, *, short: bool = False, **settings: object) -> Plan:
    changes = SPOT if market is MarketType.SPOT else {}
    sig = short_signal(**changes) if short else signal(**changes)
    price = D(63800) if short else D(65500)
    plan = plan_of(sig, guard(price=price, risk=_NO_CAP), **({"size": D(1300)} | settings))
    assert [type(a) for a in start(plan)] == [PlaceLeg]
    assert plan.status is PlanStatus.OPEN
    return plan


def _live(plan: Plan, kind: LegKind):
    return [leg for leg in plan.legs if leg.is_live and leg.kind is kind]


def _fill(
    plan: Plan, leg, price: Decimal, amount: Decimal | None = None, fee: Decimal | None = None
):
    return on_event(
        plan, LegFilled(leg.key, leg.amount if amount is None else amount, price, fee or D(0)), NOW
    )


def _kinds(actions) -> list[str]:
    return [a.kind for a in actions if isinstance(a, Notify)]


def test_perp_long_fill_tp1_breakeven_stop() -> None:
    plan = _plan(MarketType.PERP)  # 1,300 x 5x / 65,000 = 0.1 BTC
    entry = plan.legs[0]
    actions = _fill(plan, entry, D(65000), fee=D("3.25"))
    assert _kinds(actions) == ["entry_filled"]
    assert plan.status is PlanStatus.ACTIVE and plan.held == D("0.1")
    tps = _live(plan, LegKind.TAKE_PROFIT)
    assert [(t.idx, t.price, t.amount, t.reduce_only) for t in tps] == [
        (1, D(66000), D("0.033"), True),
        (2, D(67000), D("0.033"), True),
        (3, D(68000), D("0.034"), True),
    ]
    [stop] = _live(plan, LegKind.STOP)
    assert (stop.type, stop.price, stop.amount, stop.reduce_only) == (
        OrderType.STOP,
        D(62000),
        D("0.1"),
        True,
    )
    # the same order update twice changes nothing
    assert _fill(plan, entry, D(65000), fee=D("3.25")) == []
    actions = _fill(plan, tps[0], D(66000), fee=D("1.32"))
    assert _kinds(actions) == ["tp_hit", "stop_moved"]
    assert plan.targets_hit == 1
    # breakeven: 65,000 + 2 x 3.25 / 0.1 = 65,065
    assert plan.stop_price == D(65065)
    assert CancelLeg(stop.key) in actions
    [new_stop] = _live(plan, LegKind.STOP)
    assert (new_stop.gen, new_stop.amount, new_stop.price) == (1, D("0.067"), D(65065))
    actions = _fill(plan, new_stop, D(65065), fee=D("1.30"))
    assert plan.status is PlanStatus.CLOSED and plan.close_reason == "stop"
    assert all(CancelLeg(t.key) in actions for t in tps[1:])
    # 33 + 4.355 P/L minus 5.87 fees
    assert plan.realized_pnl == D("31.485")
    assert plan.realized_r == realized_r(plan) == D("0.10")  # 31.485 over 0.1 x 3,000 of risk
    assert _kinds(actions) == ["closed"]


def test_perp_short_stop_hit_loses_one_r() -> None:
    plan = _plan(MarketType.PERP, short=True)
    _fill(plan, plan.legs[0], D(64000))
    [stop] = _live(plan, LegKind.STOP)
    assert stop.side.value == "buy"
    _fill(plan, stop, D(67000))
    assert plan.status is PlanStatus.CLOSED
    assert plan.realized_r == D("-1.00")


def test_spot_long_ticks_take_profit_breakeven_stop() -> None:
    plan = _plan(MarketType.SPOT)  # 1,300 / 65,000 = 0.02 BTC
    _fill(plan, plan.legs[0], D(65000))
    assert _live(plan, LegKind.TAKE_PROFIT) == [] and _live(plan, LegKind.STOP) == []
    actions = on_event(plan, PriceTick(D(66010), NOW), NOW)
    [exit_leg] = _live(plan, LegKind.EXIT)
    assert (exit_leg.reason, exit_leg.amount, exit_leg.type) == (
        "tp1",
        D("0.006"),
        OrderType.MARKET,
    )
    assert actions == [PlaceLeg(exit_leg.key)]
    assert on_event(plan, PriceTick(D(66020), NOW), NOW) == []  # never twice while one works
    actions = _fill(plan, exit_leg, D(66010))
    assert _kinds(actions) == ["tp_hit", "stop_moved"] and plan.stop_price == D(65000)
    on_event(plan, PriceTick(D(64990), NOW), NOW)
    [stop_exit] = _live(plan, LegKind.EXIT)
    assert (stop_exit.reason, stop_exit.amount) == ("stop", D("0.014"))
    _fill(plan, stop_exit, D(64990))
    assert plan.status is PlanStatus.CLOSED and plan.close_reason == "stop"
    assert plan.held == 0


def test_spot_price_jump_past_every_target_sells_all() -> None:
    plan = _plan(MarketType.SPOT)
    _fill(plan, plan.legs[0], D(65000))
    on_event(plan, PriceTick(D(69000), NOW), NOW)
    [exit_leg] = _live(plan, LegKind.EXIT)
    assert (exit_leg.reason, exit_leg.amount) == ("tp3", D("0.02"))
    actions = _fill(plan, exit_leg, D(69000))
    assert plan.status is PlanStatus.CLOSED and plan.close_reason == "tp3"
    assert _kinds(actions) == ["tp_hit", "closed"]


def test_trailing_from_the_fill() -> None:
    plan = _plan(MarketType.SPOT, trailing_from=0, trailing_pct=D(2), breakeven_after=None)
    _fill(plan, plan.legs[0], D(65000))
    actions = on_event(plan, PriceTick(D(64000), NOW), NOW)
    assert actions == [
        Notify("stop_moved", {"old": D(62000), "new": D(63700), "reason": "trailing"})
    ]
    on_event(plan, PriceTick(D(65500), NOW), NOW)
    assert plan.stop_price == D(64190)
    assert on_event(plan, PriceTick(D(65000), NOW), NOW) == []  # no lower stop
    on_event(plan, PriceTick(D(64100), NOW), NOW)
    assert [leg.reason for leg in _live(plan, LegKind.EXIT)] == ["stop"]


def test_expiry_cancels_entries() -> None:
    plan = _plan(MarketType.PERP)
    later = NOW + timedelta(hours=48)
    actions = on_event(plan, PriceTick(D(65500), later), later)
    assert plan.status is PlanStatus.EXPIRED
    assert actions == [CancelLeg(plan.legs[0].key), Notify("expired", {"reason": "expired"})]


def test_partial_entry_fills_then_expiry_keeps_the_position() -> None:
    plan = _plan(MarketType.PERP)
    entry = plan.legs[0]
    _fill(plan, entry, D(65000), D("0.04"))
    _fill(plan, entry, D(64950), D("0.06"))  # totals: 0.06 at 64,950 average
    assert plan.held == D("0.06")
    assert plan.avg_entry == D(64950)
    assert sum(t.amount for t in _live(plan, LegKind.TAKE_PROFIT)) == D("0.06")
    assert [s.amount for s in _live(plan, LegKind.STOP)] == [D("0.06")]
    later = NOW + timedelta(hours=49)
    actions = on_event(plan, PriceTick(D(65100), later), later)
    assert plan.status is PlanStatus.ACTIVE and entry.status is LegStatus.CANCELLED
    assert _kinds(actions) == ["expired"]


def test_rejected_entry_fails_the_plan() -> None:
    plan = _plan(MarketType.PERP)
    actions = on_event(plan, LegEnded(plan.legs[0].key, LegStatus.REJECTED, "min notional"), NOW)
    assert plan.status is PlanStatus.FAILED
    assert actions == [Notify("rejected", {"reason": "min notional", "leg": "entry1"})]


@pytest.mark.parametrize(
    ("update", "status", "notes"),
    [
        (ChannelUpdate(UpdateType.MOVE_SL, price=D(63000)), PlanStatus.ACTIVE, ["stop_moved"]),
        (ChannelUpdate(UpdateType.MOVE_SL, to_entry=True), PlanStatus.ACTIVE, ["stop_moved"]),
        (ChannelUpdate(UpdateType.MOVE_SL, price=D(66000)), PlanStatus.ACTIVE, ["not_applied"]),
        (ChannelUpdate(UpdateType.MOVE_SL), PlanStatus.ACTIVE, ["not_applied"]),
        (ChannelUpdate(UpdateType.CANCEL), PlanStatus.ACTIVE, ["cancelled"]),
        (
            ChannelUpdate(UpdateType.TP_HIT, targets=(D(69000), D(70000))),
            PlanStatus.ACTIVE,
            ["targets_changed"],
        ),
        (ChannelUpdate(UpdateType.TP_HIT), PlanStatus.ACTIVE, []),
    ],
)
def test_channel_updates_on_a_held_perp(update, status, notes) -> None:
    plan = _plan(MarketType.PERP)
    _fill(plan, plan.legs[0], D(65000))
    on_event(plan, PriceTick(D(65500), NOW), NOW)
    actions = on_event(plan, update, NOW)
    assert plan.status is status
    assert _kinds(actions) == notes


def test_channel_new_targets_replace_the_ladder() -> None:
    plan = _plan(MarketType.PERP)
    _fill(plan, plan.legs[0], D(65000))
    on_event(plan, ChannelUpdate(UpdateType.TP_HIT, targets=(D(69000), D(70000))), NOW)
    assert plan.targets == [D(69000), D(70000)] and plan.tp_weights == [D("0.5"), D("0.5")]
    assert [(t.price, t.amount, t.gen) for t in _live(plan, LegKind.TAKE_PROFIT)] == [
        (D(69000), D("0.05"), 1),
        (D(70000), D("0.05"), 1),
    ]


def test_channel_close_and_partial_close() -> None:
    plan = _plan(MarketType.SPOT)
    _fill(plan, plan.legs[0], D(65000))
    on_event(plan, ChannelUpdate(UpdateType.PARTIAL_CLOSE), NOW)
    [half] = _live(plan, LegKind.EXIT)
    assert (half.reason, half.amount) == ("partial", D("0.01"))
    _fill(plan, half, D(65500))
    on_event(plan, ChannelUpdate(UpdateType.CLOSE), NOW)
    [rest] = _live(plan, LegKind.EXIT)
    assert (rest.reason, rest.amount) == ("close", D("0.01"))
    _fill(plan, rest, D(65500))
    assert plan.status is PlanStatus.CLOSED and plan.close_reason == "close"
    assert plan.realized_pnl == D(10)


def test_channel_cancel_and_close_with_nothing_held() -> None:
    plan = _plan(MarketType.SPOT)
    actions = on_event(plan, ChannelUpdate(UpdateType.CANCEL), NOW)
    assert plan.status is PlanStatus.CANCELLED and _kinds(actions) == ["cancelled"]
    plan = _plan(MarketType.SPOT)
    on_event(plan, CloseNow("panic"), NOW)
    assert plan.status is PlanStatus.CANCELLED and plan.close_reason == "panic"


def test_panic_closes_a_perp_position() -> None:
    plan = _plan(MarketType.PERP, short=True)
    _fill(plan, plan.legs[0], D(64000))
    actions = on_event(plan, CloseNow("panic"), NOW)
    [exit_leg] = _live(plan, LegKind.EXIT)
    assert exit_leg.reduce_only and exit_leg.amount == plan.held
    assert sum(isinstance(a, CancelLeg) for a in actions) == 4  # three TPs and the stop
    _fill(plan, exit_leg, D(63000))
    assert plan.status is PlanStatus.CLOSED and plan.close_reason == "panic"


def test_liquidation() -> None:
    plan = _plan(MarketType.PERP)
    _fill(plan, plan.legs[0], D(65000))
    actions = on_event(plan, Liquidated(D(52000)), NOW)
    assert plan.status is PlanStatus.LIQUIDATED and plan.held == 0
    assert plan.realized_pnl == D(-1300)
    assert plan.realized_r == D("-4.33")
    assert _kinds(actions) == ["liquidated"]


def test_a_fill_racing_the_close_is_not_counted_twice() -> None:
    plan = _plan(MarketType.PERP)
    _fill(plan, plan.legs[0], D(65000))
    [stop] = _live(plan, LegKind.STOP)
    tp3 = _live(plan, LegKind.TAKE_PROFIT)[2]
    _fill(plan, stop, D(62000))
    assert _fill(plan, tp3, D(68000)) == []
    assert plan.held == 0 and plan.close_reason == "stop"
