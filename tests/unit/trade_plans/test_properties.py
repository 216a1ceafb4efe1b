"""Random event sequences never make the held position negative nor an exit larger than it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain import LegKind, LegStatus, MarketType, UpdateType
from services.trade_plans.engine import on_event, start
from services.trade_plans.model import ChannelUpdate, CloseNow, LegEnded, LegFilled, PriceTick
from services.trade_plans.settings import EntryStrategy, TraderRisk
from tests.unit.trade_plans.helpers import NOW, D, guard, plan_of, signal

PRICES = st.integers(min_value=60000, max_value=70000).map(Decimal)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["fill", "part", "tick", "reject", "update", "panic"]),
        st.integers(0, 20),
        PRICES,
        st.sampled_from(list(UpdateType)),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(perp=st.booleans(), steps=STEPS)
def test_held_never_negative_and_exits_within_held(perp: bool, steps) -> None:
    changes = {} if perp else {"symbol": "BTC/USDT", "market_type": MarketType.SPOT}
    plan = plan_of(
        signal(**changes),
        guard(risk=TraderRisk(max_exposure_pct=D(1000))),
        entry=EntryStrategy.SPLIT,
        size=D(2000),
    )
    start(plan)
    for what, pick, price, kind in steps:
        live = [leg for leg in plan.legs if leg.is_live]
        leg = live[pick % len(live)] if live else None
        if what in {"fill", "part"} and leg is not None:
            amount = leg.amount if what == "fill" else leg.filled + (leg.amount - leg.filled) / 2
            event = LegFilled(leg.key, amount, price)
        elif what == "reject" and leg is not None:
            event = LegEnded(leg.key, LegStatus.REJECTED, "no")
        elif what == "update":
            event = ChannelUpdate(kind, price=price, targets=(price + 5000,))
        elif what == "panic":
            event = CloseNow("panic")
        else:
            event = PriceTick(price, NOW)
        before = {leg.key for leg in plan.legs}
        on_event(plan, event, NOW)
        assert plan.held >= 0
        for new in (leg for leg in plan.legs if leg.key not in before):
            if new.kind is not LegKind.ENTRY:
                assert new.amount <= plan.held
                assert new.amount > 0
