"""How a follower wants a source's signals traded (``FollowSettings``), and a trader's limits
across every source (``TraderRisk``).

Both are plain frozen dataclasses stored as JSON (``Subscription.settings``,
``User.settings["risk"]``): every field has a default, so ``/follow x auto`` works with one line
and an old row missing a newer field still loads. ``from_json`` never raises on a stored row (a
bad field falls back to its default); ``with_value`` checks one change a user asks for and raises
``UserError`` with the accepted range, so a setting is checked when it is given, never when a
signal arrives.

Defaults (the issue's "sensible defaults"): limit entries at the zone edge that wait for the
price until the signal expires (48 h); an even take-profit split; the signal's stop, signals
without one skipped; breakeven after TP1; entries more than 10 % from the market refused; paper
perps for futures signals and paper spot for the rest; 50 USDT per trade; at most 10x.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final

from core.domain import SubscriptionMode
from core.errors import UserError
from services.numbers import Ambiguous, AmbiguousNumber, Role, plain, read_number


class EntryStrategy(StrEnum):
    MARKET = "market"  # buy/sell at once
    EDGE = "edge"  # one limit at the zone edge nearest the market
    SPLIT = "split"  # limits spread evenly across the zone


class TpSplit(StrEnum):
    EVEN = "even"
    FIRST_HEAVY = "first_heavy"  # weights n, n-1, ..., 1 normalised
    CUSTOM = "custom"  # tp_weights, normalised; the last weight repeats for extra targets


class StopPolicy(StrEnum):
    SIGNAL = "signal"  # the signal's stop; signals without one get the default %
    SIGNAL_ONLY = "signal_only"  # the signal's stop; signals without one are skipped
    DEFAULT = "default"  # always default_stop_pct from the average entry


class Sizing(StrEnum):
    QUOTE = "quote"  # ``size`` quote units per signal (margin x leverage on perps)
    BALANCE_PCT = "balance_pct"  # ``size`` % of the account's free quote balance
    RISK_PCT = "risk_pct"  # lose ``size`` % of the free quote balance at the stop


class LiquidationRule(StrEnum):
    LOWER = "lower"  # lower the leverage to the highest whose liquidation is past the stop
    REFUSE = "refuse"


class DuplicateRule(StrEnum):
    SKIP = "skip"  # same pair and side from another source within the window: skip
    MERGE = "merge"  # ... count it towards the open plan (no second position)


ACCOUNT_AUTO: Final = "auto"  # paper perp for futures signals, paper spot otherwise
ACCOUNT_PAPER_SPOT: Final = "paper_spot"
ACCOUNT_PAPER_PERP: Final = "paper_perp"
MAX_LEVERAGE: Final = 125
MAX_QUOTE: Final = Decimal(1_000_000)
_STORED: Final = re.compile(r"\d+(?:\.\d+)?")  # how a Decimal setting is stored


@dataclass(frozen=True, slots=True)
class FollowSettings:
    """One subscription's trading settings (see the module docstring for the defaults)."""

    mode: SubscriptionMode = SubscriptionMode.NOTIFY
    account: str = ACCOUNT_AUTO  # auto | paper_spot | paper_perp | "<exchange account id>"
    sizing: Sizing = Sizing.QUOTE
    size: Decimal = Decimal(50)
    max_leverage: int = 10
    entry: EntryStrategy = EntryStrategy.EDGE
    entry_legs: int = 3  # split: how many limits across the zone
    tp_split: TpSplit = TpSplit.EVEN
    tp_weights: tuple[Decimal, ...] = ()
    stop: StopPolicy = StopPolicy.SIGNAL_ONLY
    default_stop_pct: Decimal = Decimal(5)
    breakeven_after: int | None = 1  # move the stop to the entry after TP n (None: never)
    trailing_from: int | None = None  # trail the stop from TP n (0: from the fill)
    trailing_pct: Decimal = Decimal(2)
    expiry_hours: int = 48
    max_age_minutes: int = 15
    max_entry_distance_pct: Decimal = Decimal(10)
    liquidation: LiquidationRule = LiquidationRule.LOWER
    duplicates: DuplicateRule = DuplicateRule.SKIP
    pairs_allowed: tuple[str, ...] = ()  # bases, upper case; empty = every pair
    pairs_denied: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = [str(v) for v in value]
            elif isinstance(value, StrEnum):
                value = value.value
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> FollowSettings:
        """A stored row; unknown keys are ignored and a bad value falls back to its default."""
        settings = cls()
        for key, raw in (data or {}).items():
            try:
                settings = settings.with_value(key, raw)
            except UserError:
                continue
        return settings

    def with_value(self, name: str, raw: object) -> FollowSettings:
        """A copy with ``name`` set from ``raw`` (text or a stored value); ``UserError`` with
        the accepted values when ``raw`` does not fit."""
        parse = _PARSERS.get(name)
        if parse is None:
            raise UserError(f"There is no setting called {name}.")
        value = parse(raw)
        updated = dataclasses.replace(self, **{name: value})
        updated.check()
        return updated

    def check(self) -> None:
        """Cross-field rules; ``UserError`` naming the one broken."""
        if self.sizing is Sizing.QUOTE and self.size > MAX_QUOTE:
            raise UserError(f"At most {MAX_QUOTE} USDT per trade.")
        if self.sizing is not Sizing.QUOTE and self.size > 100:
            raise UserError("A percentage of the balance is at most 100.")
        if self.sizing is Sizing.RISK_PCT and self.size > 10:
            raise UserError("Risking more than 10 % of the balance on one signal is refused.")


def _decimal(low: Decimal, high: Decimal, what: str) -> Any:
    """A number setting: a stored value (``str(Decimal)``: digits and one point) is read
    exactly; anything else a person typed goes through the one number reader as a sum
    (``1,000`` is a thousand, ``0,5`` a half; ``1.000`` asks back with ``AmbiguousNumber``)."""
    refused = f"{what} must be a number from {low} to {high}."

    def parse(raw: object) -> Decimal:
        text = str(raw).strip().rstrip("%").strip()
        stored = _STORED.fullmatch(text)
        value = Decimal(text) if stored else read_number(text, Role.PRICE)
        if isinstance(value, Ambiguous):
            raise AmbiguousNumber(
                f"{value.written} reads two ways ({plain(value.grouped)} or "
                f"{plain(value.decimal)}), so nothing was changed. Send it without the "
                f"separator, e.g. {plain(value.grouped)} or {plain(value.decimal)}."
            )
        if not isinstance(value, Decimal) or not value.is_finite():
            raise UserError(refused)
        if not low <= value <= high:
            raise UserError(refused)
        return value

    return parse


def _integer(low: int, high: int, what: str, *, allow_off: bool = False) -> Any:
    def parse(raw: object) -> int | None:
        text = str(raw).strip().lower().removeprefix("tp").rstrip("xh")
        if allow_off and text in {"", "off", "none", "no"}:
            return None
        if raw is None and allow_off:
            return None
        if not text.isdigit() or not low <= int(text) <= high:
            extra = " or off" if allow_off else ""
            raise UserError(f"{what} must be a whole number from {low} to {high}{extra}.")
        return int(text)

    return parse


def _choice(enum: type[StrEnum]) -> Any:
    def parse(raw: object) -> StrEnum:
        text = str(raw).strip().lower().replace("-", "_")
        try:
            return enum(text)
        except ValueError:
            names = ", ".join(m.value for m in enum)
            raise UserError(f"Choose one of: {names}.") from None

    return parse


def _account(raw: object) -> str:
    text = str(raw).strip().lower().replace(" ", "_")
    if text in {ACCOUNT_AUTO, ACCOUNT_PAPER_SPOT, ACCOUNT_PAPER_PERP} or text.isdigit():
        return text
    raise UserError("The account is auto, paper_spot, paper_perp or one of /accounts.")


def _weights(raw: object) -> tuple[Decimal, ...]:
    items = raw if isinstance(raw, list | tuple) else str(raw).replace(",", " ").split()
    parse = _decimal(Decimal("0.01"), Decimal(100), "Each weight")
    weights = tuple(parse(item) for item in items)
    if not 1 <= len(weights) <= 10:
        raise UserError("Give from 1 to 10 weights, e.g. 50 30 20.")
    return weights


def _pairs(raw: object) -> tuple[str, ...]:
    items = raw if isinstance(raw, list | tuple) else str(raw).replace(",", " ").split()
    bases = []
    for item in items:
        base = str(item).strip().upper().lstrip("#$").split("/")[0].removesuffix("USDT")
        if not base.isalnum() or len(base) > 20:
            raise UserError(f"{item} is not a coin name.")
        bases.append(base)
    return tuple(dict.fromkeys(bases))


_PARSERS: Final[dict[str, Any]] = {
    "mode": _choice(SubscriptionMode),
    "account": _account,
    "sizing": _choice(Sizing),
    "size": _decimal(Decimal("0.01"), MAX_QUOTE, "The size"),
    "max_leverage": _integer(1, MAX_LEVERAGE, "The leverage"),
    "entry": _choice(EntryStrategy),
    "entry_legs": _integer(2, 10, "The number of entries"),
    "tp_split": _choice(TpSplit),
    "tp_weights": _weights,
    "stop": _choice(StopPolicy),
    "default_stop_pct": _decimal(Decimal("0.1"), Decimal(50), "The default stop %"),
    "breakeven_after": _integer(1, 10, "Breakeven after TP", allow_off=True),
    "trailing_from": _integer(0, 10, "Trailing from TP", allow_off=True),
    "trailing_pct": _decimal(Decimal("0.1"), Decimal(50), "The trailing distance %"),
    "expiry_hours": _integer(1, 720, "The expiry in hours"),
    "max_age_minutes": _integer(1, 1440, "The maximum signal age in minutes"),
    "max_entry_distance_pct": _decimal(Decimal("0.1"), Decimal(100), "The entry distance %"),
    "liquidation": _choice(LiquidationRule),
    "duplicates": _choice(DuplicateRule),
    "pairs_allowed": _pairs,
    "pairs_denied": _pairs,
}


@dataclass(frozen=True, slots=True)
class TraderRisk:
    """A trader's limits over every source (``User.settings["risk"]``)."""

    auto_paused: bool = False  # /pause: no new plans from any source
    daily_loss_pct: Decimal = Decimal(5)  # realised loss today above this % of balance: stop
    max_exposure_pct: Decimal = Decimal(50)  # open notional per base asset, % of balance
    exposure_rule: str = "shrink"  # shrink | refuse
    duplicate_window_minutes: int = 60
    live_auto_ack: bool = False  # said yes once to the live auto-trading warning

    def to_json(self) -> dict[str, Any]:
        return {
            "auto_paused": self.auto_paused,
            "daily_loss_pct": str(self.daily_loss_pct),
            "max_exposure_pct": str(self.max_exposure_pct),
            "exposure_rule": self.exposure_rule,
            "duplicate_window_minutes": self.duplicate_window_minutes,
            "live_auto_ack": self.live_auto_ack,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TraderRisk:
        data = data or {}
        base = cls()
        try:
            return cls(
                auto_paused=bool(data.get("auto_paused", base.auto_paused)),
                daily_loss_pct=Decimal(str(data.get("daily_loss_pct", base.daily_loss_pct))),
                max_exposure_pct=Decimal(str(data.get("max_exposure_pct", base.max_exposure_pct))),
                exposure_rule=str(data.get("exposure_rule", base.exposure_rule)),
                duplicate_window_minutes=int(
                    data.get("duplicate_window_minutes", base.duplicate_window_minutes)
                ),
                live_auto_ack=bool(data.get("live_auto_ack", base.live_auto_ack)),
            )
        except (InvalidOperation, ValueError, TypeError):
            return base
