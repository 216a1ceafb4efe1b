"""Orders as people write them, through the trading service: stop orders that wait for their
trigger (and are refused on the side the market already passed), sizes given as a share of a
holding, several prices at once, and the pairs paper trading lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import OrderSide, OrderStatus, OrderType
from core.errors import OrderRejected, UserError
from services.dto import UserView
from services.exchange.base import OrderRequest
from services.trading import PaperPairs
from services.trading_dto import OrderView
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.integration.trading.conftest import Trading

ONE = Decimal(1)


async def _place(trading: Trading, user: UserView, side: OrderSide, **kwargs: object) -> OrderView:
    plan = await trading.service.prepare_order(user, symbol="btc", side=side, **kwargs)  # type: ignore[arg-type]
    return await trading.service.execute_now(user, plan)


def _assets(balance: list[tuple[str, Decimal, Decimal]]) -> dict[str, tuple[Decimal, Decimal]]:
    return {asset: (free, used) for asset, free, used in balance}


# -- stop orders ---------------------------------------------------------------------------------


async def test_buy_stop_waits_until_the_price_rises_to_it(trading: Trading) -> None:
    user = await trading.user()
    stop = await _place(
        trading, user, OrderSide.BUY, amount=Decimal("0.01"), price=Decimal(70000),
        order_type=OrderType.STOP,
    )  # fmt: skip
    assert (stop.status, stop.type, stop.price) == (
        OrderStatus.OPEN,
        OrderType.STOP,
        Decimal(70000),
    )
    held = Decimal("0.01") * 70000 * Decimal("1.0005") * Decimal("1.001")  # slippage and fee
    assets = _assets((await trading.service.balance(user)).assets)
    assert assets["USDT"] == (Decimal(10000) - held, held)

    trading.feed.set_price("BTC/USDT", "69999.99")
    assert await trading.service.run_paper_pass() == []
    trading.feed.set_price("BTC/USDT", "70000")
    assert await trading.service.run_paper_pass() == [stop.id]
    [filled] = await trading.service.history(user)
    assert filled.status is OrderStatus.FILLED
    assert filled.average == Decimal(70035)  # triggered, then filled as market: 0.05 % worse
    assert _assets((await trading.service.balance(user)).assets)["BTC"] == (
        Decimal("0.01"),
        Decimal(0),
    )


async def test_sell_stop_waits_until_the_price_falls_to_it(trading: Trading) -> None:
    user = await trading.user()
    await _place(trading, user, OrderSide.BUY, amount=Decimal("0.02"))
    stop = await _place(
        trading, user, OrderSide.SELL, amount=Decimal("0.02"), price=Decimal(60000),
        order_type=OrderType.STOP,
    )  # fmt: skip
    assert stop.status is OrderStatus.OPEN
    trading.feed.set_price("BTC/USDT", "60000.01")
    assert await trading.service.run_paper_pass() == []
    trading.feed.set_price("BTC/USDT", "59000")
    assert await trading.service.run_paper_pass() == [stop.id]
    assert "BTC" not in _assets((await trading.service.balance(user)).assets)


WRONG_SIDE = [
    (OrderSide.BUY, 60000, "A buy stop at 60,000 USDT is at or below the market (64,000 USDT)"),
    (OrderSide.BUY, 64000, "A buy stop at 64,000 USDT is at or below the market (64,000 USDT)"),
    (OrderSide.SELL, 70000, "A sell stop at 70,000 USDT is at or above the market (64,000 USDT)"),
    (OrderSide.SELL, 64000, "A sell stop at 64,000 USDT is at or above the market (64,000 USDT)"),
]


@pytest.mark.parametrize(
    ("side", "trigger", "reason"), WRONG_SIDE, ids=["buy-below", "buy-at", "sell-above", "sell-at"]
)
async def test_stop_the_market_already_passed_is_refused_with_the_price(
    trading: Trading, side: OrderSide, trigger: int, reason: str
) -> None:
    user = await trading.user()
    await _place(trading, user, OrderSide.BUY, amount=Decimal("0.01"))
    with pytest.raises(UserError) as refused:
        await trading.service.prepare_order(
            user, symbol="btc", side=side, amount=Decimal("0.01"), price=Decimal(trigger),
            order_type=OrderType.STOP,
        )  # fmt: skip
    assert reason in refused.value.user_message
    assert "would fill at once" in refused.value.user_message
    assert await trading.count_orders() == 1  # the buy before; nothing for the stop


async def test_paper_engine_refuses_a_stop_that_would_trigger_at_once(trading: Trading) -> None:
    """The engine's own guard, for a stop whose price moved past it after it was planned."""
    user = await trading.user()
    account = await trading.service.ensure_paper_account(user)
    client = trading.paper.client(account.id)
    request = OrderRequest(
        symbol="BTC/USDT", side=OrderSide.BUY, type=OrderType.STOP, amount=Decimal("0.01"),
        client_order_id="tsb-stop-1", price=Decimal(63000),
    )  # fmt: skip
    with pytest.raises(OrderRejected, match="buy stop at 63,000 would trigger at once: the"):
        await client.create_order(request)
    [row] = await trading.orders()
    assert row.status is OrderStatus.REJECTED and "market is at 64,000" in (row.error or "")
    assert _assets((await trading.service.balance(user)).assets) == {
        "USDT": (Decimal(10000), Decimal(0))
    }


async def test_live_accounts_take_no_stop_orders(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user = await live.user()
    await live.add_live_account(user, api_key=exchange_api.api_key)
    with pytest.raises(UserError, match="Stop orders work on your paper account only"):
        await live.service.prepare_order(
            user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.001"),
            price=Decimal(60000), order_type=OrderType.STOP, account_label="main",
        )  # fmt: skip
    assert exchange_api.orders == [] and await live.count_orders() == 0


# -- shares of a holding -------------------------------------------------------------------------


async def test_sell_all_and_a_share_of_the_free_coins(trading: Trading) -> None:
    user = await trading.user()
    await _place(trading, user, OrderSide.BUY, amount=Decimal("0.03"))
    half = await _place(trading, user, OrderSide.SELL, share=Decimal("0.5"))
    assert half.amount == Decimal("0.015") and half.status is OrderStatus.FILLED
    resting = await _place(
        trading, user, OrderSide.SELL, amount=Decimal("0.005"), price=Decimal(70000)
    )
    assert resting.status is OrderStatus.OPEN  # holds 0.005 BTC: not free
    everything = await _place(trading, user, OrderSide.SELL, share=Decimal(1))
    assert everything.amount == Decimal("0.01") and everything.status is OrderStatus.FILLED
    assert _assets((await trading.service.balance(user)).assets)["BTC"] == (
        Decimal(0),
        Decimal("0.005"),
    )
    with pytest.raises(UserError, match=r"no free BTC to sell on paper \(0.005 BTC is held by"):
        await _place(trading, user, OrderSide.SELL, share=Decimal(1))


async def test_buy_all_spends_the_free_quote_fee_and_slippage_included(trading: Trading) -> None:
    user = await trading.user()
    half = await _place(trading, user, OrderSide.BUY, share=Decimal("0.5"))
    assert half.status is OrderStatus.FILLED
    usdt_left = _assets((await trading.service.balance(user)).assets)["USDT"][0]
    assert Decimal(5000) <= usdt_left < Decimal("5000.01")  # half spent, to the coin step
    everything = await _place(trading, user, OrderSide.BUY, share=Decimal(1))
    assert everything.status is OrderStatus.FILLED
    assert Decimal(0) <= _assets((await trading.service.balance(user)).assets)["USDT"][0] < 1


async def test_a_share_of_nothing_is_refused(trading: Trading) -> None:
    user = await trading.user()
    with pytest.raises(UserError, match="You have no free BTC to sell on paper."):
        await trading.service.prepare_order(
            user, symbol="btc", side=OrderSide.SELL, share=Decimal(1)
        )
    for share in (Decimal(0), Decimal("1.5"), Decimal("NaN")):
        with pytest.raises(UserError, match="above 0% and at most 100%"):
            await trading.service.prepare_order(
                user, symbol="btc", side=OrderSide.BUY, share=share
            )
    with pytest.raises(UserError, match="Give one amount"):
        await trading.service.prepare_order(
            user, symbol="btc", side=OrderSide.BUY, amount=ONE, share=ONE
        )
    with pytest.raises(UserError, match="Give one amount"):
        await trading.service.prepare_order(user, symbol="btc", side=OrderSide.BUY)
    assert await trading.count_orders() == 0


# -- prices and pairs ----------------------------------------------------------------------------


async def test_several_prices_at_once_and_the_words_that_name_no_pair(trading: Trading) -> None:
    board = await trading.service.prices(["btc", "nope", "ETHUSDT", "doge/usdt"])
    assert [(p.symbol, p.price) for p in board.prices] == [
        ("BTC/USDT", Decimal(64000)),
        ("ETH/USDT", Decimal(3000)),
        ("DOGE/USDT", Decimal("0.2")),
    ]
    assert (board.missing, board.feed) == (["nope"], "static")


async def test_an_unknown_pair_is_answered_with_the_pairs_there_are(trading: Trading) -> None:
    user = await trading.user()
    expected = (
        "I don't know the pair 'link' on paper trading; it has BTC/USDT, DOGE/USDT, ETH/USDT "
        "(see /pairs)."
    )
    with pytest.raises(UserError) as unknown:
        await trading.service.prices(["link"])
    assert unknown.value.user_message == expected
    with pytest.raises(UserError) as unknown:
        await trading.service.prices(["link", "xyz"])
    assert unknown.value.user_message == expected  # the first word's error
    with pytest.raises(UserError) as unknown:
        await trading.service.prepare_order(user, symbol="link", side=OrderSide.BUY, amount=ONE)
    assert unknown.value.user_message == expected


async def test_pairs_lists_what_the_paper_feed_prices(trading: Trading) -> None:
    assert await trading.service.pairs() == PaperPairs(
        "static", ["BTC/USDT", "DOGE/USDT", "ETH/USDT"], None
    )
