"""Plain views for the render tests: every DTO a renderer takes, with harmless defaults.

Each builder takes keyword overrides, so a test names only the field it puts hostile text in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.domain import (
    Market,
    OrderSide,
    OrderStatus,
    OrderType,
    Role,
    Side,
    SignalKind,
    SignalStatus,
    SubscriptionMode,
)
from services.dto import UserView
from services.signal_dto import EventView, FieldOrigin, SignalView, SourceView, SubscriptionView
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView

D = Decimal
FIELDS = ("pair", "side", "market", "entry", "targets", "stop_loss", "leverage")
AT = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


def user(**fields: Any) -> UserView:
    base: dict[str, Any] = {
        "id": 1,
        "telegram_id": 1001,
        "username": None,
        "first_name": "Ann",
        "role": Role.TRADER,
        "is_banned": False,
    }
    return UserView(**{**base, **fields})


def signal(**fields: Any) -> SignalView:
    base: dict[str, Any] = {
        "id": 7,
        "source_id": 3,
        "source_name": "@calls",
        "is_tracked": True,
        "kind": SignalKind.ENTRY,
        "base": "BTC",
        "quote": "USDT",
        "side": Side.LONG,
        "market": Market.SPOT,
        "entry_low": D(60000),
        "entry_high": D(61000),
        "entry_is_market": False,
        "targets": (D(62000), D(64000)),
        "stop_loss": D(58000),
        "leverage": None,
        "confidence": 0.9,
        "parser": "rules",
        "status": SignalStatus.ACTIVE,
        "targets_hit": 0,
        "edit_count": 0,
        "first_seen_at": AT,
        "origins": dict.fromkeys(FIELDS, FieldOrigin.TEXT),
    }
    return SignalView(**{**base, **fields})


def event(**fields: Any) -> EventView:
    base: dict[str, Any] = {
        "id": 11,
        "signal_id": 7,
        "kind": "tp_hit",
        "target_index": 1,
        "linked_by": None,
        "created_at": AT,
    }
    return EventView(**{**base, **fields})


def source(**fields: Any) -> SourceView:
    base: dict[str, Any] = {
        "id": 3,
        "chat_id": -100123,
        "title": "Calls",
        "username": None,
        "verified": True,
        "is_active": True,
        "followers": 2,
        "signals": 5,
    }
    return SourceView(**{**base, **fields})


def subscription(**fields: Any) -> SubscriptionView:
    base: dict[str, Any] = {
        "source": source(),
        "mode": SubscriptionMode.NOTIFY,
        "order_size_quote": None,
    }
    return SubscriptionView(**{**base, **fields})


def account(**fields: Any) -> AccountView:
    base: dict[str, Any] = {
        "id": 2,
        "label": "main",
        "exchange_id": "binance",
        "is_paper": False,
        "sandbox": False,
        "key_hint": "ab…12",
    }
    return AccountView(**{**base, **fields})


def order(**fields: Any) -> OrderView:
    base: dict[str, Any] = {
        "id": 9,
        "account_label": "main",
        "is_paper": False,
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "type": OrderType.LIMIT,
        "amount": D("0.01"),
        "price": D(60000),
        "filled": D(0),
        "average": None,
        "status": OrderStatus.OPEN,
        "fee": D(0),
        "priced_by": None,
        "created_at": AT,
        "client_order_id": "c-9",
    }
    return OrderView(**{**base, **fields})


def order_plan(**fields: Any) -> OrderPlan:
    base: dict[str, Any] = {
        "token": "t0k",
        "account": account(),
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "type": OrderType.LIMIT,
        "amount": D("0.01"),
        "price": D(60000),
        "est_cost": D(600),
        "quote": "USDT",
        "expires_at": AT,
    }
    return OrderPlan(**{**base, **fields})


def balance(**fields: Any) -> BalanceView:
    base: dict[str, Any] = {
        "account": account(),
        "assets": [("BTC", D("0.5"), D("0.1")), ("USDT", D(100), D(0))],
    }
    return BalanceView(**{**base, **fields})


def price(**fields: Any) -> PriceView:
    base: dict[str, Any] = {"symbol": "BTC/USDT", "price": D(60000), "source": "binance"}
    return PriceView(**{**base, **fields})
