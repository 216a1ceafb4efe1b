"""Isolated margin and leverage for one derivatives symbol, through ccxt.

``set_isolated_leverage`` is what ``CcxtExchangeClient.set_leverage`` runs before a symbol's
first order: the margin mode becomes isolated, then the leverage is set. Both changes are
idempotent, so they go through the client's retried, translated ``read`` (a temporary error is
retried, every other ccxt error is translated by ``ccxt_errors``). "Already isolated" (ccxt's
``MarginModeAlreadySet``, Binance -4046) is success. An exchange that refuses a change because
the symbol has an open position or orders (``ExchangeQuirks.position_locked``, Binance -4047,
-4048, -4161) keeps its current setting: the margin mode stays, and the leverage in force is read
back from the exchange's positions and returned, so the caller sizes with what is real.
"""

from __future__ import annotations

from typing import Any

import ccxt
import structlog

from core.errors import ExchangeError, UserError
from services.exchange.ccxt_quirks import ExchangeQuirks, Read

log = structlog.get_logger(__name__)

MAX_LEVERAGE = 125


async def set_isolated_leverage(
    ex: Any, quirks: ExchangeQuirks, read: Read, *, symbol: str, leverage: int, display: str
) -> int:
    """Isolated margin and ``leverage`` on ``symbol``; returns the leverage in force. Raises
    ``UserError`` for a leverage outside 1..125 and the translated error of any other
    refusal."""
    if not 1 <= leverage <= MAX_LEVERAGE:
        raise UserError(f"Leverage must be between 1x and {MAX_LEVERAGE}x, got {leverage}x.")

    async def isolate() -> None:
        try:
            await ex.set_margin_mode("isolated", symbol)
        except ccxt.MarginModeAlreadySet:
            return
        except ccxt.BaseError as exc:
            if not quirks.position_locked(exc):
                raise
            log.warning("margin_mode_kept", exchange=ex.id, symbol=symbol)

    async def change() -> Any:
        try:
            return await ex.set_leverage(leverage, symbol)
        except ccxt.BaseError as exc:
            if not quirks.position_locked(exc):
                raise
            return None

    await read(f"switch {symbol} to isolated margin on {display}", isolate)
    answer = await read(f"set {symbol} leverage to {leverage}x on {display}", change)
    if answer is not None:
        return _answered_leverage(answer, leverage)
    current = await _current_leverage(ex, read, symbol, display)
    log.info("leverage_kept", exchange=ex.id, symbol=symbol, wanted=leverage, current=current)
    return current


def _answered_leverage(answer: Any, wanted: int) -> int:
    """The leverage an exchange confirms (Binance answers ``{"leverage": 10, ...}``); the one
    asked for when the answer does not say."""
    value = answer.get("leverage") if isinstance(answer, dict) else None
    try:
        return int(value) if value is not None else wanted
    except (TypeError, ValueError):
        return wanted


async def _current_leverage(ex: Any, read: Read, symbol: str, display: str) -> int:
    """The leverage of the open position on ``symbol`` as the exchange reports it."""
    positions = await read(
        f"read the {symbol} leverage on {display}", lambda: ex.fetch_positions([symbol])
    )
    for entry in positions:
        if entry.get("symbol") == symbol and entry.get("leverage"):
            return int(entry["leverage"])
    raise ExchangeError(
        f"{display} kept the {symbol} leverage for the open position but did not say which it is."
    )
