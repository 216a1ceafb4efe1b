"""A circuit breaker per exchange (threat F12): an exchange that keeps timing out or answering
5xx / rate limits is left alone for a while instead of being hammered by every follower.

States: *closed* (calls go through; each temporary failure in a row counts, any answer resets
the count), *open* after ``threshold`` failures in a row (every call fails at once, nothing is
sent, until ``cooldown_s`` has passed), then *half-open*: one call goes through as a probe; its
answer closes the circuit, its failure opens it again for another cooldown. An exchange's
refusal (a bad order, wrong keys) is an answer: it closes the circuit, it does not trip it.

One breaker per (exchange id, sandbox, spot or derivatives) per process, shared by every
client of that venue (``breaker_for``); the trips are logged and counted in metrics by the
caller, and told to the listeners added with ``on_open`` (the admins' e-mail alert).
Invariant: while open, no request reaches the exchange, so a refused order was never sent
(the client says so, ``OrderRejected``), and a refused read is temporary (retried later).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import structlog

log = structlog.get_logger(__name__)

DEFAULT_THRESHOLD: Final = 10  # requests in a row (a read retried 3 times counts 3)
DEFAULT_COOLDOWN_S: Final = 30.0

__all__ = ["CircuitBreaker", "breaker_for", "forget_breakers", "on_open"]


@dataclass
class CircuitBreaker:
    name: str
    threshold: int = DEFAULT_THRESHOLD
    cooldown_s: float = DEFAULT_COOLDOWN_S
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    _probe_at: float | None = field(default=None, repr=False)

    def wait_s(self) -> float | None:
        """Seconds until a call may go through again; None when one may now (and, half-open,
        this caller is the probe; a probe that never reported back is replaced after a
        cooldown)."""
        if self.opened_at is None:
            return None
        now = self.clock()
        left = self.opened_at + self.cooldown_s - now
        probing = self._probe_at is not None and now - self._probe_at < self.cooldown_s
        if left > 0 or probing:
            return max(left, 1.0)
        self._probe_at = now  # half-open: this caller probes, the others keep waiting
        return None

    def open_for_s(self) -> float | None:
        """Seconds the circuit stays open (no probe due yet), else None; takes no probe."""
        if self.opened_at is None:
            return None
        left = self.opened_at + self.cooldown_s - self.clock()
        return left if left > 0 else None

    def answered(self) -> None:
        if self.opened_at is not None:
            log.info("exchange_circuit_closed", exchange=self.name)
        self.failures, self.opened_at, self._probe_at = 0, None, None

    def failed(self) -> None:
        self.failures += 1
        probe_failed = self._probe_at is not None
        if probe_failed or self.failures >= self.threshold:
            if self.opened_at is None:
                log.warning("exchange_circuit_opened", exchange=self.name, failures=self.failures)
                for listener in tuple(_OPEN_LISTENERS):
                    listener(self.name, self.failures)
            self.opened_at, self._probe_at = self.clock(), None


_BREAKERS: dict[str, CircuitBreaker] = {}
_OPEN_LISTENERS: list[Callable[[str, int], None]] = []


def on_open(listener: Callable[[str, int], None]) -> Callable[[], None]:
    """Call ``listener(venue, failures)`` (synchronously: it must not block) whenever a closed
    circuit opens; returns the function that removes it again."""
    _OPEN_LISTENERS.append(listener)

    def remove() -> None:
        if listener in _OPEN_LISTENERS:
            _OPEN_LISTENERS.remove(listener)

    return remove


def breaker_for(key: str) -> CircuitBreaker:
    """The process's breaker for a venue (e.g. ``binance``, ``binance:swap:sandbox``)."""
    breaker = _BREAKERS.get(key)
    if breaker is None:
        breaker = _BREAKERS[key] = CircuitBreaker(key)
    return breaker


def forget_breakers() -> None:
    """Close every circuit (a test's fresh start; the exchange fakes differ per test)."""
    _BREAKERS.clear()
