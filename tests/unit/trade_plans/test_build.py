"""Plan math as tables: zone split, TP weights, rounding to the market's steps, sizes, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain import LegKind, MarketType, OrderType, Side
from services.trade_plans.build import (
    MarketRules,
    floor_step,
    round_price,
    split_amount,
    tp_weights,
)
from services.trade_plans.risk import liquidation_safe
from services.trade_plans.settings import (
    DuplicateRule,
    EntryStrategy,
    LiquidationRule,
    Sizing,
    StopPolicy,
    TpSplit,
    TraderRisk,
)
from tests.unit.trade_plans.helpers import (
    NOW,
    D,
    guard,
    liquidation,
    plan_of,
    refusal_of,
    short_signal,
    signal,
)


@pytest.mark.parametrize(
    ("value", "step", "down", "up"),
    [
        (D("0.0077519"), D("0.001"), D("0.007"), D("0.008")),
        (D("65000.04"), D("0.1"), D("65000.0"), D("65000.1")),
        (D("12.5"), D("0.5"), D("12.5"), D("12.5")),
        (D("1.123456789"), None, D("1.12345678"), D("1.12345679")),
    ],
)
def test_steps(value, step, down, up) -> None:
    assert floor_step(value, step) == down
    assert round_price(value, step, up=False) == down
    assert round_price(value, step, up=True) == up


@pytest.mark.parametrize(
    ("total", "parts", "step", "expected"),
    [
        (D("0.077"), 3, D("0.001"), [D("0.025"), D("0.025"), D("0.027")]),
        (D("1"), 4, D("0.1"), [D("0.2"), D("0.2"), D("0.2"), D("0.4")]),
        (D("0.5"), 1, D("0.1"), [D("0.5")]),
    ],
)
def test_split_amount_dust_on_the_last(total, parts, step, expected) -> None:
    assert split_amount(total, parts, step) == expected
    assert sum(expected) == total


@pytest.mark.parametrize(
    ("split", "custom", "count", "expected"),
    [
        (TpSplit.EVEN, (), 3, ["0.3333", "0.3333", "0.3334"]),
        (TpSplit.EVEN, (), 1, ["1"]),
        (TpSplit.FIRST_HEAVY, (), 3, ["0.5", "0.3333", "0.1667"]),
        (TpSplit.CUSTOM, (D(50), D(30), D(20)), 3, ["0.5", "0.3", "0.2"]),
        (TpSplit.CUSTOM, (D(50), D(50)), 3, ["0.3333", "0.3333", "0.3334"]),  # last repeated
        (TpSplit.CUSTOM, (D(60), D(30), D(10)), 2, ["0.6667", "0.3333"]),  # extras dropped
        (TpSplit.CUSTOM, (), 2, ["0.5", "0.5"]),  # no weights: even
        (TpSplit.EVEN, (), 0, []),
    ],
)
def test_tp_weights(split, custom, count, expected) -> None:
    weights = tp_weights(split, custom, count)
    assert weights == [D(w) for w in expected]
    assert sum(weights) == (1 if count else 0)


def _entries(plan):
    return [(leg.type, leg.price, leg.amount) for leg in plan.legs if leg.kind is LegKind.ENTRY]


@pytest.mark.parametrize(
    ("sig", "price", "settings", "expected"),
    [
        # edge, long: price above the zone -> the zone high; inside -> at the price
        (signal(), D(65500), {}, [(OrderType.LIMIT, D(65000), D("0.038"))]),
        (signal(), D("64500.07"), {}, [(OrderType.LIMIT, D("64500.0"), D("0.038"))]),
        # edge, short: price below the zone -> the zone low
        (
            short_signal(),
            D(63800),
            {},
            [(OrderType.LIMIT, D(64000), D("0.039"))],
        ),
        # split across the zone, nearest the market first, dust on the last
        (
            signal(),
            D(65500),
            {"entry": EntryStrategy.SPLIT, "size": D(1000)},
            [
                (OrderType.LIMIT, D(65000), D("0.025")),
                (OrderType.LIMIT, D(64500), D("0.025")),
                (OrderType.LIMIT, D(64000), D("0.027")),
            ],
        ),
        # a single entry price is a zone of one price: one leg even when split
        (
            signal(entry_low=D(65000), entry_high=None),
            D(65500),
            {"entry": EntryStrategy.SPLIT},
            [(OrderType.LIMIT, D(65000), D("0.038"))],
        ),
        # market entry signal, and the market strategy
        (signal(entry_is_market=True), D(65500), {}, [(OrderType.MARKET, None, D("0.038"))]),
        (
            signal(),
            D(65500),
            {"entry": EntryStrategy.MARKET},
            [(OrderType.MARKET, None, D("0.038"))],
        ),
    ],
)
def test_entry_legs(sig, price, settings, expected) -> None:
    plan = plan_of(sig, guard(price=price), **{"size": D(500)} | settings)
    assert _entries(plan) == expected


@pytest.mark.parametrize(
    ("sig", "settings", "leverage", "quantity"),
    [
        # fixed quote = margin: 500 x 5x / 65,000 = 0.03846 -> 0.038
        (signal(), {"size": D(500)}, 5, D("0.038")),
        # the signal's leverage capped by the setting; 1x when the signal names none
        (signal(leverage=50), {"size": D(100), "max_leverage": 3}, 3, D("0.004")),
        (signal(leverage=None), {"size": D(650)}, 1, D("0.01")),
        # spot: no leverage
        (signal(symbol="BTC/USDT", market_type=MarketType.SPOT), {"size": D(650)}, 1, D("0.01")),
        # 2 % of 10,000 as margin at 5x = 1,000 notional
        (signal(), {"sizing": Sizing.BALANCE_PCT, "size": D(2)}, 5, D("0.015")),
        # risk 1 % of 10,000 = 100 at a 3,000 distance to the stop: 0.0333 -> 0.033
        (signal(), {"sizing": Sizing.RISK_PCT, "size": D(1)}, 5, D("0.033")),
    ],
)
def test_sizes(sig, settings, leverage, quantity) -> None:
    plan = plan_of(sig, **settings)
    assert (plan.leverage, plan.quantity) == (leverage, quantity)
    assert plan.expires_at == NOW + timedelta(hours=48)


@pytest.mark.parametrize(
    ("policy", "sig_stop", "expected"),
    [
        (StopPolicy.SIGNAL, D(62000), D(62000)),
        (StopPolicy.SIGNAL, None, D(61750)),  # 5 % under the 65,000 entry
        (StopPolicy.DEFAULT, D(62000), D(61750)),
    ],
)
def test_stop_policy(policy, sig_stop, expected) -> None:
    plan = plan_of(signal(stop=sig_stop), stop=policy)
    assert plan.stop_price == plan.initial_stop == expected


LONG_SPOT = signal(symbol="BTC/USDT", market_type=MarketType.SPOT, leverage=None)

REFUSALS = [
    ("maintenance", signal(), guard(maintenance=True), {}, "maintenance"),
    ("paused", signal(), guard(paused=True), {}, "/resume"),
    ("paused", signal(), guard(risk=TraderRisk(auto_paused=True)), {}, "paused"),
    ("paused", signal(), guard(source_paused=True), {}, "paused this source"),
    (
        "too_old",
        signal(posted_at=NOW - timedelta(minutes=20)),
        guard(),
        {},
        "The signal is 20 minutes old; your limit is 15 minutes.",
    ),
    ("pair_denied", signal(), guard(), {"pairs_denied": ("BTC",)}, "BTC is in your denied pairs."),
    (
        "pair_denied",
        signal(),
        guard(),
        {"pairs_allowed": ("ETH", "SOL")},
        "BTC is not in your allowed pairs (ETH, SOL).",
    ),
    ("market", short_signal(symbol="BTC/USDT", market_type=MarketType.SPOT), guard(), {}, "short"),
    ("no_stop", signal(stop=None), guard(), {}, "has no stop loss"),
    # BTC at 88,405 for a signal at 64,000 with targets at 65-66k
    (
        "past_target",
        signal(entry_low=D(64000), entry_high=None, targets=(D(65000), D(66000))),
        guard(price=D(88405)),
        {},
        "The price 88,405 is already past TP1 65,000 of this long.",
    ),
    # ETH at 2,979 for a long whose stop was 3,400
    (
        "past_stop",
        signal(
            symbol="ETH/USDT",
            entry_low=D(3500),
            entry_high=D(3550),
            targets=(D(3700),),
            stop=D(3400),
        ),
        guard(price=D(2979)),
        {},
        "The price 2,979 is already past the stop 3,400 of this long.",
    ),
    (
        "past_stop",
        short_signal(),
        guard(price=D(67100)),
        {},
        "The price 67,100 is already past the stop 67,000 of this short.",
    ),
    # SOL at 125.8 for a long at 150 with stop 140 is past its stop; at 160 it is too far
    (
        "too_far",
        signal(
            symbol="SOL/USDT", entry_low=D(150), entry_high=None, targets=(D(190),), stop=D(140)
        ),
        guard(price=D(170)),
        {},
        "The entry 150 is 11.76 % from the market price 170; your limit is 10 %.",
    ),
    (
        "daily_loss",
        signal(),
        guard(daily_realized_pnl=D(-600)),
        {},
        "Today's realised loss 600 USDT reached your daily limit of 500 USDT (5 % of 10,000 USDT)",
    ),
    (
        "liquidation",
        signal(leverage=50, stop=D(60000)),
        guard(),
        {"max_leverage": 50, "liquidation": LiquidationRule.REFUSE},
        "At 50x the liquidation price 63,955.82 comes before the stop 60,000; "
        "your setting refuses such signals.",
    ),
    (
        "exposure",
        signal(),
        guard(exposure_quote=D(4900), risk=TraderRisk(exposure_rule="refuse")),
        {"size": D(100)},
        "Your open BTC exposure 4,900 USDT plus this trade's 500 USDT would pass your cap of "
        "5,000 USDT (50 % of 10,000 USDT).",
    ),
    ("exposure", signal(), guard(exposure_quote=D(5000)), {}, "would pass your cap"),
    (
        "duplicate",
        signal(),
        guard(duplicate=True),
        {},
        "another source opened within 60 minutes; your duplicates setting skips this one.",
    ),
    (
        "duplicate",
        signal(),
        guard(duplicate=True),
        {"duplicates": DuplicateRule.MERGE},
        "this signal counts towards that open plan (no second position).",
    ),
    # /follow 1 auto 20000 on a 10,000 balance
    (
        "balance",
        LONG_SPOT,
        guard(risk=TraderRisk(max_exposure_pct=D(1000))),
        {"size": D(20000)},
        "This trade needs 19,955 USDT of margin but the account has 10,000 USDT free.",
    ),
    # /follow 1 auto 0.5 (under the minimum)
    (
        "min_notional",
        LONG_SPOT,
        guard(),
        {"size": D("0.5")},
        "The order size 0 BTC (0 USDT) is below the market's minimum of 0.001 BTC / 5 USDT.",
    ),
]


@pytest.mark.parametrize(("code", "sig", "g", "settings", "text"), REFUSALS)
def test_refusals(code, sig, g, settings, text) -> None:
    refusal = refusal_of(sig, g, **settings)
    assert refusal.code == code
    assert text in refusal.message


def test_refusal_figures() -> None:
    refusal = refusal_of(signal(posted_at=NOW - timedelta(minutes=20)))
    assert refusal.figures == {"age_minutes": 20, "max_age_minutes": 15}
    refusal = refusal_of(signal(), guard(daily_realized_pnl=D(-500)))
    assert refusal.figures["limit"] == D(500)


def test_liquidation_lowers_the_leverage_with_a_note() -> None:
    plan = plan_of(signal(leverage=50, stop=D(60000)), max_leverage=50, size=D(100))
    assert plan.leverage == 12
    assert liquidation_safe(Side.LONG, liquidation(Side.LONG, D(1), D(65000), 12), D(60000))
    assert not liquidation_safe(Side.LONG, liquidation(Side.LONG, D(1), D(65000), 13), D(60000))
    assert plan.notes == [
        "Leverage lowered from 50x to 12x: at 50x the liquidation price 63,955.82 comes before "
        "the stop 60,000."
    ]


def test_short_liquidation_lowers_the_leverage() -> None:
    plan = plan_of(short_signal(leverage=40, stop=D(70000)), max_leverage=40)
    assert liquidation_safe(
        Side.SHORT, liquidation(Side.SHORT, D(1), D(65500), plan.leverage), D(70000)
    )
    assert not liquidation_safe(
        Side.SHORT, liquidation(Side.SHORT, D(1), D(65500), plan.leverage + 1), D(70000)
    )
    assert plan.leverage < 40
    assert plan.notes[0].startswith("Leverage lowered from 40x to")


def test_exposure_shrinks_with_a_note() -> None:
    plan = plan_of(signal(), guard(exposure_quote=D(4800)), size=D(100))
    assert plan.quantity == D("0.003")  # 200 USDT of room / 65,000
    assert plan.notes == [
        "Size shrunk from 500 to 200 USDT: your open BTC exposure 4,800 USDT plus this trade's "
        "500 USDT would pass your cap of 5,000 USDT (50 % of 10,000 USDT)."
    ]


def test_split_entries_cut_to_the_market_minimum_with_a_note() -> None:
    rules = MarketRules(D("0.001"), D("0.1"), D("0.001"), D(50))
    plan = plan_of(signal(), entry=EntryStrategy.SPLIT, size=D(25), rules=rules)
    # 125 USDT notional: three legs of ~42 USDT are under 50, so one leg
    assert _entries(plan) == [(OrderType.LIMIT, D(65000), D("0.001"))]
    assert plan.notes == [
        "Entries cut from 3 to 1: smaller ones would be under the market's minimum order."
    ]


def test_plan_fields_from_settings() -> None:
    plan = plan_of(signal(targets=(D(68000), D(66000))), trailing_from=2, breakeven_after=None)
    assert plan.targets == [D(66000), D(68000)]  # in the order they are reached
    assert (plan.trailing_from, plan.breakeven_after) == (2, None)
    assert plan.last_price == D(65500)
    short = plan_of(short_signal(), guard(price=D(63800)))
    assert short.targets == [D(63000), D(62000), D(61000)]
