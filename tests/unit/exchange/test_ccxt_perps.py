"""Perps in the ccxt adapter without sockets: Binance USDⓈ-M error codes through ccxt's own
error handling and our table, and ``set_leverage`` over a stub exchange (what is success,
what keeps the current leverage, what is raised, what is retried)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from core.errors import ExchangeError, OrderRejected, TemporaryExchangeError
from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.ccxt_errors import translate_error
from services.exchange.ccxt_quirks import BinanceUsdmQuirks, quirks_for
from tests.fakes.exchange_fapi import load_saved_fapi_markets

BTC = "BTC/USDT:USDT"

# Binance futures code, its message, our error, whether it means "a position/orders lock the
# setting" (the current margin mode or leverage stays in force).
FAPI_ERRORS: list[tuple[int, str, type[Exception], bool]] = [
    (-2019, "Margin is insufficient.", OrderRejected, False),
    (-2021, "Order would immediately trigger.", OrderRejected, False),
    (-2022, "ReduceOnly Order is rejected.", OrderRejected, False),
    (-4028, "Leverage 0 is not valid", OrderRejected, False),
    (-4116, "ClientOrderId is duplicated.", OrderRejected, False),
    (
        -4164,
        "Order's notional must be no smaller than 100 (unless you choose reduce only).",
        OrderRejected,
        False,
    ),
    (-4047, "Margin type cannot be changed if there exists open orders.", OrderRejected, True),
    (-4048, "Margin type cannot be changed if there exists position.", OrderRejected, True),
    (
        -4161,
        "Leverage reduction is not supported in Isolated Margin Mode with open positions.",
        ExchangeError,
        True,
    ),
]
HOSTS = ["https://fapi.binance.com", "http://127.0.0.1:9000"]


def ccxt_error(ex: Any, host: str, code: int, msg: str) -> ccxt.BaseError:
    """The exception ccxt's binance raises for this HTTP 400 answer from ``host``."""
    body = json.dumps({"code": code, "msg": msg})
    url = f"{host}/fapi/v1/order"
    with pytest.raises(ccxt.BaseError) as caught:
        ex.handle_errors(400, "Bad Request", url, "POST", {}, body, json.loads(body), {}, "")
    return caught.value


@pytest.mark.parametrize("host", HOSTS, ids=["fapi.binance.com", "urls_override"])
@pytest.mark.parametrize(
    ("code", "msg", "expected", "locked"), FAPI_ERRORS, ids=[str(r[0]) for r in FAPI_ERRORS]
)
def test_binance_futures_codes_translate_the_same_on_any_host(
    host: str, code: int, msg: str, expected: type[Exception], locked: bool
) -> None:
    ex = ccxt.binance()
    quirks = quirks_for("binance", derivatives=True)
    quirks.prepare(ex)
    exc = ccxt_error(ex, host, code, msg)
    error = translate_error(exc, "Binance", "set BTC/USDT:USDT leverage to 5x on Binance")
    assert type(error) is expected
    assert "set BTC/USDT:USDT leverage to 5x" in str(error)
    assert msg not in str(error)  # ccxt's / Binance's wording stays in __cause__ only
    assert quirks.position_locked(exc) is locked


def test_no_need_to_change_margin_type_is_margin_mode_already_set() -> None:
    ex = ccxt.binance()
    quirks_for("binance", derivatives=True).prepare(ex)
    exc = ccxt_error(ex, HOSTS[1], -4046, "No need to change margin type.")
    assert isinstance(exc, ccxt.MarginModeAlreadySet)


def test_spot_and_unknown_exchanges_never_keep_a_setting() -> None:
    exc = ccxt.ExchangeError('binance {"code":-4161,"msg":"..."}')
    assert quirks_for("binance").position_locked(exc) is False
    assert quirks_for("bybit", derivatives=True).position_locked(exc) is False
    assert isinstance(quirks_for("binance", derivatives=True), BinanceUsdmQuirks)


class StubUsdm(ccxt_async.binance):  # type: ignore[misc]
    """Real ccxt binance (swap markets) whose margin, leverage and position calls answer from
    the test: each call pops the next answer (an exception is raised)."""

    def __init__(self) -> None:
        super().__init__({"markets": load_saved_fapi_markets(), "enableRateLimit": False})
        self.timeout_on_exit = 0
        self.calls: list[str] = []
        self.answers: dict[str, list[Any]] = {"margin": [], "leverage": [], "positions": []}

    async def _answer(self, name: str) -> Any:
        self.calls.append(name)
        answer = self.answers[name].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def set_margin_mode(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("margin")

    async def set_leverage(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("leverage")

    async def fetch_positions(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("positions")


@pytest.fixture
async def stub() -> AsyncIterator[StubUsdm]:
    exchange = StubUsdm()
    yield exchange
    await exchange.close()


@pytest.fixture
def client(stub: StubUsdm) -> CcxtExchangeClient:
    async def no_sleep(_seconds: float) -> None:
        return None

    return CcxtExchangeClient("binance", exchange=stub, default_type="swap", sleep=no_sleep)


LOCKED = ccxt.ExchangeError('binance {"code":-4161,"msg":"Leverage reduction is not supported"}')
MARGIN_LOCKED = ccxt.OperationRejected('binance {"code":-4048,"msg":"exists position"}')
ALREADY = ccxt.MarginModeAlreadySet(
    'binance {"code":-4046,"msg":"No need to change margin type."}'
)
POSITION = {"symbol": BTC, "contracts": 0.01, "side": "long", "leverage": 10}


@pytest.mark.parametrize(
    ("margin", "leverage", "positions", "expected", "calls"),
    [
        ({"code": 200}, {"leverage": 5}, [], 5, ["margin", "leverage"]),
        (ALREADY, {"leverage": 5}, [], 5, ["margin", "leverage"]),
        (ALREADY, {"symbol": "BTCUSDT"}, [], 5, ["margin", "leverage"]),  # answer without it
        (ALREADY, LOCKED, [[POSITION]], 10, ["margin", "leverage", "positions"]),
        (MARGIN_LOCKED, {"leverage": 5}, [], 5, ["margin", "leverage"]),
        (
            ccxt.RequestTimeout("t"),
            {"leverage": 5},
            [],
            5,
            ["margin", "margin", "leverage"],
        ),
    ],
    ids=["set", "already-isolated", "unsaid", "position-keeps", "margin-locked", "retried"],
)
async def test_set_leverage_outcomes(
    client: CcxtExchangeClient,
    stub: StubUsdm,
    margin: Any,
    leverage: Any,
    positions: list[Any],
    expected: int,
    calls: list[str],
) -> None:
    stub.answers["margin"] = [margin, {"code": 200}]
    stub.answers["leverage"] = [leverage]
    stub.answers["positions"] = positions
    assert await client.set_leverage(BTC, 5) == expected
    assert stub.calls == calls


@pytest.mark.parametrize(
    ("margin", "leverage", "expected"),
    [
        (ccxt.BadRequest("binance -4028"), {"leverage": 5}, OrderRejected),
        (ALREADY, ccxt.BadRequest('binance {"code":-4028}'), OrderRejected),
        (ALREADY, ccxt.ExchangeError('binance {"code":-1000}'), ExchangeError),
        (ALREADY, ccxt.RequestTimeout("t"), TemporaryExchangeError),
    ],
    ids=["margin-refused", "leverage-refused", "leverage-unknown-error", "leverage-timeouts"],
)
async def test_set_leverage_raises_other_refusals_translated(
    client: CcxtExchangeClient,
    stub: StubUsdm,
    margin: Any,
    leverage: Any,
    expected: type[Exception],
) -> None:
    stub.answers["margin"] = [margin]
    stub.answers["leverage"] = [leverage] * 3
    with pytest.raises(expected) as caught:
        await client.set_leverage(BTC, 5)
    assert type(caught.value) is expected
    assert "positions" not in stub.calls


async def test_kept_leverage_the_exchange_does_not_report_is_an_error(
    client: CcxtExchangeClient, stub: StubUsdm
) -> None:
    stub.answers.update(margin=[ALREADY], leverage=[LOCKED], positions=[[]])
    with pytest.raises(ExchangeError, match="did not say which it is"):
        await client.set_leverage(BTC, 5)
