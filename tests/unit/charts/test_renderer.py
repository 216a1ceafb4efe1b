"""ChartRenderer: one draw per key and UTC day, off the event loop, bounded, retried on error."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta

import pytest

from services.charts import ChartRenderer, Theme, equity_chart
from tests.fakes.clock import FakeClock
from tests.unit.charts.conftest import assert_phone_png


class CountingDraw:
    """Draw functions that count their calls per key and return distinct bytes."""

    def __init__(self) -> None:
        self.calls: Counter[Hashable] = Counter()
        self.threads: set[int] = set()

    def __call__(self, key: Hashable) -> Callable[[], bytes]:
        def draw() -> bytes:
            self.calls[key] += 1
            self.threads.add(threading.get_ident())
            return f"{key}:{self.calls[key]}".encode()

        return draw


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2030, 1, 1, 9, tzinfo=UTC))


async def test_same_key_same_day_draws_once(clock: FakeClock) -> None:
    renderer, draw = ChartRenderer(clock=clock), CountingDraw()
    key = ("source", 12, Theme.DARK)
    first = await renderer.render(key, draw(key))
    clock.advance(timedelta(hours=14, minutes=59))  # 23:59 UTC, same day
    second = await renderer.render(key, draw(key))
    assert first == second == b"('source', 12, <Theme.DARK: 'dark'>):1"
    assert draw.calls[key] == 1


async def test_a_new_utc_day_draws_again(clock: FakeClock) -> None:
    renderer, draw = ChartRenderer(clock=clock), CountingDraw()
    await renderer.render("k", draw("k"))
    clock.advance(timedelta(hours=15))  # 00:00 the next day
    assert await renderer.render("k", draw("k")) == b"k:2"
    assert draw.calls["k"] == 2


async def test_keys_are_apart(clock: FakeClock) -> None:
    renderer, draw = ChartRenderer(clock=clock), CountingDraw()
    keys = [("source", 1, Theme.DARK), ("source", 1, Theme.LIGHT), ("signal", 1, Theme.DARK)]
    for key in keys * 2:
        await renderer.render(key, draw(key))
    assert draw.calls == Counter(dict.fromkeys(keys, 1))


async def test_concurrent_requests_share_one_draw(clock: FakeClock) -> None:
    renderer = ChartRenderer(clock=clock)
    started, release = threading.Event(), threading.Event()
    calls = 0

    def slow_draw() -> bytes:
        nonlocal calls
        calls += 1
        started.set()
        release.wait(timeout=5)
        return b"png"

    first = asyncio.create_task(renderer.render("k", slow_draw))
    await asyncio.to_thread(started.wait, 5)  # the first draw is running in its thread
    others = [asyncio.create_task(renderer.render("k", slow_draw)) for _ in range(3)]
    release.set()
    assert await asyncio.gather(first, *others) == [b"png"] * 4
    assert calls == 1


async def test_draws_run_off_the_event_loop(clock: FakeClock) -> None:
    renderer, draw = ChartRenderer(clock=clock), CountingDraw()
    await renderer.render("k", draw("k"))
    assert draw.threads and threading.get_ident() not in draw.threads


async def test_a_failed_draw_is_not_kept(clock: FakeClock) -> None:
    renderer = ChartRenderer(clock=clock)

    def broken() -> bytes:
        raise ValueError("no candles")

    with pytest.raises(ValueError, match="no candles"):
        await renderer.render("k", broken)
    assert await renderer.render("k", lambda: b"png") == b"png"


async def test_a_cancelled_request_does_not_cancel_the_draw(clock: FakeClock) -> None:
    renderer = ChartRenderer(clock=clock)
    started, release = threading.Event(), threading.Event()
    calls = 0

    def slow_draw() -> bytes:
        nonlocal calls
        calls += 1
        started.set()
        release.wait(timeout=5)
        return b"png"

    impatient = asyncio.create_task(renderer.render("k", slow_draw))
    await asyncio.to_thread(started.wait, 5)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    release.set()
    assert await renderer.render("k", slow_draw) == b"png"
    assert calls == 1


async def test_least_recently_used_entries_go_first(clock: FakeClock) -> None:
    renderer, draw = ChartRenderer(clock=clock, max_entries=2), CountingDraw()
    for key in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" arrives
        await renderer.render(key, draw(key))
    await renderer.render("a", draw("a"))
    assert draw.calls == Counter({"a": 1, "b": 1, "c": 1})
    await renderer.render("b", draw("b"))
    assert draw.calls["b"] == 2


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ChartRenderer(max_entries=0)


async def test_renders_a_real_chart(clock: FakeClock) -> None:
    renderer = ChartRenderer(clock=clock)
    png = await renderer.render(
        ("source", 3, Theme.LIGHT), lambda: equity_chart([], title="New", theme=Theme.LIGHT)
    )
    assert_phone_png(png)
