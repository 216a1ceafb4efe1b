"""A trader's figures through the real dispatcher: /status priced by each plan's own account
(paper from the feed, live from the fake Binance), /profit, /daily in Tokyo across midnight,
/weekly, /monthly, /performance and /trades, paper apart from live, only the caller's own plans,
and bad numbers answered without a report. The fake Bot API refuses any bad HTML."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from core.db.models import User
from core.domain import PlanStatus, Role, Side
from tests.bot.conftest import TRADER_ID, VIEWER_ID, feed
from tests.bot.reports.conftest import NOW
from tests.bot.reports.helpers import D, add_plan, closed, reply, tables, trader
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.fakes.telegram_api import FakeTelegramAPI

OTHER_ID = 2902


async def test_status_prices_each_plan_on_its_own_account(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    ids = await trader(app, telegram_api, TRADER_ID)
    paper_btc = await add_plan(
        app,
        ids,
        status=PlanStatus.ACTIVE,
        avg_entry=D(60000),
        filled_qty=D("0.01"),
        stop_price=D(58000),
        initial_stop=D(58000),
        created_at=NOW - timedelta(hours=3),
    )
    waiting = await add_plan(
        app,
        ids,
        status=PlanStatus.OPEN,
        symbol="ETH/USDT",
        entry_low=D(2900),
        entry_high=D(2950),
        stop_price=D(2800),
        targets=["3100"],
    )
    live_eth = await add_plan(
        app,
        ids,
        account="live",
        status=PlanStatus.ACTIVE,
        symbol="ETH/USDT",
        side=Side.SHORT,
        avg_entry=D(3200),
        filled_qty=D(1),
        closed_qty=D("0.5"),
        realized_pnl=D(100),
        targets=["3000", "2800"],
        targets_hit=1,
        stop_price=D(3200),
        initial_stop=D(3300),
    )

    text = await reply(app, telegram_api, TRADER_ID, "/status")

    assert text.index("<b>Paper · USDT</b>") < text.index("<b>Live · USDT</b>")
    paper, live = text.split("<b>Live · USDT</b>")
    assert f"<b>#{paper_btc}</b> LONG BTC/USDT · from @alpha · since 2026-12-07 13:00" in paper
    assert "Entry 60,000 · now 61,500 · held 0.01 BTC" in paper
    # +15 USDT on 600 put in; 15 / (|60,000 - 58,000| x 0.01) = 0.75 R
    assert "P/L +15.00 USDT (+2.50%) · +0.75 R" in paper
    assert "Next TP1 62,000 · stop 58,000" in paper
    assert f"<b>#{waiting}</b> LONG ETH/USDT" in paper
    assert "Entry 2,900 – 2,950 · now 3,000 · waiting for the entry" in paper
    # live: 100 realised + (3,200 - 3,150) x 0.5 held = 125 on 3,200; 125 / 100 = 1.25 R
    assert f"<b>#{live_eth}</b> SHORT ETH/USDT" in live
    assert "Entry 3,200 · now 3,150 · held 0.5 ETH" in live
    assert "P/L +125.00 USDT (+3.91%) · +1.25 R" in live
    assert "Next TP2 2,800 · stop 3,200" in live
    assert exchange_api.count("GET", "/api/v3/ticker/24hr") == 1  # the live price only


async def test_status_of_a_live_plan_whose_exchange_is_down_says_so(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    ids = await trader(app, telegram_api, TRADER_ID)
    await add_plan(
        app,
        ids,
        account="live",
        status=PlanStatus.ACTIVE,
        symbol="ETH/USDT",
        avg_entry=D(3000),
        filled_qty=D(1),
        stop_price=D(2900),
        initial_stop=D(2900),
    )
    exchange_api.fail_next("GET /api/v3/ticker/24hr", status=503, times=5)

    text = await reply(app, telegram_api, TRADER_ID, "/status")

    assert "now price unavailable" in text
    assert "P/L: not known without a price" in text


async def test_profit_per_book_with_win_rate_expectancy_best_and_worst(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    ids = await trader(app, telegram_api, TRADER_ID)
    best = await closed(app, ids, "50", NOW - timedelta(days=2), r="2.5")
    worst = await closed(app, ids, "-20", NOW - timedelta(days=3), r="-1")
    await closed(app, ids, "10", NOW - timedelta(hours=5), r="0.5", symbol="ETH/USDT")
    await closed(app, ids, "-30", NOW - timedelta(days=40), r="-1.5", account="live")
    await add_plan(app, ids, status=PlanStatus.CANCELLED)  # never filled: not a trade
    await add_plan(
        app,
        ids,
        status=PlanStatus.ACTIVE,
        avg_entry=D(61000),
        filled_qty=D("0.02"),
        initial_stop=D(59000),
        stop_price=D(59000),
    )  # +10 USDT unrealised at 61,500 (0.02 x 500)

    text = await reply(app, telegram_api, TRADER_ID, "/profit")

    paper, live = text.split("<b>Live · USDT</b>")
    assert "<b>Profit</b> · all trades" in paper
    assert "Realised: +40.00 USDT from 3 trades" in paper
    assert "Unrealised: +10.00 USDT on 1 open plan" in paper
    assert "Total: +50.00 USDT" in paper
    assert "Win rate: 66.7% (2 won, 1 lost)" in paper
    assert "Expectancy: +13.33 USDT per trade · +0.67 R" in paper
    assert f"Best: #{best} BTC/USDT +50.00 USDT (+8.33%) · 2026-12-05" in paper
    assert f"Worst: #{worst} BTC/USDT -20.00 USDT (-3.33%) · 2026-12-04" in paper
    assert "Realised: -30.00 USDT from 1 trade" in live
    assert "Win rate: 0.0% (0 won, 1 lost)" in live

    recent = await reply(app, telegram_api, TRADER_ID, "/profit 1")
    assert "the last 1 day (since 2026-12-06 16:00 UTC)" in recent
    assert "Realised: +10.00 USDT from 1 trade" in recent
    assert "Live · USDT" not in recent  # its only trade is older


async def test_daily_in_tokyo_splits_at_local_midnight(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """16:00 UTC is 01:00 the next day in Tokyo: a trade at 14:30 UTC is yesterday there, one
    at 15:30 UTC today; in UTC both are today."""
    ids = await trader(app, telegram_api, TRADER_ID)
    await closed(app, ids, "10", NOW.replace(hour=14, minute=30))
    await closed(app, ids, "-4", NOW.replace(hour=15, minute=30))
    await closed(app, ids, "7", NOW.replace(hour=15, minute=45), account="live")

    utc = await reply(app, telegram_api, TRADER_ID, "/daily 2")
    paper_utc, live_utc = tables(utc)
    assert paper_utc == [
        ["Day", "P/L", "USDT", "Trades", "Won"],
        ["2026-12-07", "+6.00", "2", "50%"],
        ["2026-12-06", "0.00", "0", "-"],
        ["Total", "+6.00", "2", "50%"],
    ]
    assert live_utc[1] == ["2026-12-07", "+7.00", "1", "100%"]

    assert "Saved" in await reply(app, telegram_api, TRADER_ID, "/settings tz asia/tokyo")
    tokyo = await reply(app, telegram_api, TRADER_ID, "/daily 2")
    assert "<b>Daily P/L</b> · Asia/Tokyo" in tokyo
    assert tokyo.index("<b>Paper · USDT</b>") < tokyo.index("<b>Live · USDT</b>")
    paper, live = tables(tokyo)
    assert paper[1:] == [
        ["2026-12-08", "-4.00", "1", "0%"],
        ["2026-12-07", "+10.00", "1", "100%"],
        ["Total", "+6.00", "2", "50%"],
    ]
    assert live[1:] == [
        ["2026-12-08", "+7.00", "1", "100%"],
        ["2026-12-07", "0.00", "0", "-"],
        ["Total", "+7.00", "1", "100%"],
    ]


async def test_weekly_and_monthly(app: App, telegram_api: FakeTelegramAPI) -> None:
    ids = await trader(app, telegram_api, TRADER_ID)
    await closed(app, ids, "10", NOW - timedelta(days=1))  # Sunday 6 December
    await closed(app, ids, "5", NOW - timedelta(days=8))  # Sunday 29 November
    weekly = await reply(app, telegram_api, TRADER_ID, "/weekly 3")
    assert "<b>Weekly P/L</b>" in weekly
    assert tables(weekly) == [
        [
            ["Week", "of", "P/L", "USDT", "Trades", "Won"],
            ["2026-12-07", "0.00", "0", "-"],  # this week (from Monday): nothing yet
            ["2026-11-30", "+10.00", "1", "100%"],
            ["2026-11-23", "+5.00", "1", "100%"],
            ["Total", "+15.00", "2", "100%"],
        ]
    ]
    [monthly] = tables(await reply(app, telegram_api, TRADER_ID, "/monthly"))
    assert [row[0] for row in monthly[1:]] == [  # six months by default
        "2026-12",
        "2026-11",
        "2026-10",
        "2026-09",
        "2026-08",
        "2026-07",
        "Total",
    ]
    assert monthly[1:3] == [["2026-12", "+10.00", "1", "100%"], ["2026-11", "+5.00", "1", "100%"]]


async def test_performance_per_pair_and_per_source(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    ids = await trader(app, telegram_api, TRADER_ID)
    await closed(app, ids, "50", NOW - timedelta(days=2), r="2")
    await closed(app, ids, "-20", NOW - timedelta(days=3), r="-1")
    await closed(app, ids, "12", NOW - timedelta(days=1), r="1", symbol="ETH/USDT", source=None)

    text = await reply(app, telegram_api, TRADER_ID, "/performance")

    pairs, sources = tables(text)
    assert pairs == [
        ["Pair", "Trades", "Won", "P/L", "USDT", "Avg", "R"],
        ["BTC/USDT", "2", "50%", "+30.00", "+0.50"],
        ["ETH/USDT", "1", "100%", "+12.00", "+1.00"],
    ]
    assert sources[1:] == [
        ["@alpha", "2", "50%", "+30.00", "+0.50"],
        ["by", "hand", "1", "100%", "+12.00", "+1.00"],
    ]


async def test_trades_newest_first_and_only_the_callers(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    ids = await trader(app, telegram_api, TRADER_ID)
    other = await trader(app, telegram_api, OTHER_ID)
    old = await closed(app, ids, "-20", NOW - timedelta(days=3), r="-1")
    new = await closed(app, ids, "50", NOW - timedelta(days=1), r="2.5")
    foreign = await closed(app, other, "999", NOW - timedelta(hours=1))

    text = await reply(app, telegram_api, TRADER_ID, "/trades")
    assert text.index(f"#{new}") < text.index(f"#{old}")
    assert f"#{foreign}</b>" not in text and "999" not in text
    assert (
        f"<b>#{new}</b> LONG BTC/USDT @ 60,000 · closed 2026-12-06 16:00 · "
        "+50.00 USDT (+8.33%) · +2.50 R · the last take-profit was hit"
    ) in text
    one = await reply(app, telegram_api, TRADER_ID, "/trades 1")
    assert f"#{new}" in one and f"#{old}" not in one


async def test_bad_numbers_get_what_to_send_and_no_report(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await trader(app, telegram_api, TRADER_ID)
    for typed, answer in [
        ("/daily 0", "Give a number of days from 1 to 92, e.g. 7."),
        ("/weekly 1000", "Give a number of weeks from 1 to 104, e.g. 8."),
        ("/monthly two", "Give a number of months from 1 to 60, e.g. 6."),
        ("/trades -3", "Give a number of trades from 1 to 50, e.g. 10."),
        ("/profit 12 btc", "Give a number of days from 1 to 3650, e.g. 30."),
    ]:
        assert await reply(app, telegram_api, TRADER_ID, typed) == answer


async def test_empty_reports_say_what_to_do(app: App, telegram_api: FakeTelegramAPI) -> None:
    await trader(app, telegram_api, TRADER_ID)
    assert "No open plans" in await reply(app, telegram_api, TRADER_ID, "/status")
    assert "No trades and no open plans" in await reply(app, telegram_api, TRADER_ID, "/profit")
    assert "No trades in the last 7 days" in await reply(app, telegram_api, TRADER_ID, "/daily")
    assert "No trades yet" in await reply(app, telegram_api, TRADER_ID, "/performance")
    assert "No closed trades yet" in await reply(app, telegram_api, TRADER_ID, "/trades")


async def test_settings_show_set_and_refuse(app: App, telegram_api: FakeTelegramAPI) -> None:
    shown = await reply(app, telegram_api, TRADER_ID, "/settings")
    assert "Time zone: UTC (your time now: 2026-12-07 16:00, UTC+00:00)" in shown

    refused = await reply(app, telegram_api, TRADER_ID, "/settings tz Mars/Olympus")
    assert "I don't know the time zone 'Mars/Olympus'" in refused
    assert "Europe/Berlin" in refused
    unknown = await reply(app, telegram_api, TRADER_ID, "/settings colour blue")
    assert "There is no setting 'colour' here" in unknown
    assert await _stored_zone(app, TRADER_ID) is None  # nothing changed

    saved = await reply(app, telegram_api, TRADER_ID, "/settings tz utc+5:30")
    assert "Saved. Time zone: UTC+05:30 (your time now: 2026-12-07 21:30, UTC+05:30)" in saved
    saved = await reply(app, telegram_api, TRADER_ID, "/settings tz America/New_York")
    assert "(your time now: 2026-12-07 11:00, UTC-05:00)" in saved
    assert await _stored_zone(app, TRADER_ID) == "America/New_York"
    assert "<script>" not in await reply(
        app, telegram_api, TRADER_ID, "/settings tz <script>x</script>"
    )


async def test_a_viewer_may_set_a_zone_but_has_no_reports(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/start"))
    async with app.db.transaction() as session:
        user = await session.scalar(select(User).where(User.telegram_id == VIEWER_ID))
        assert user is not None
        user.role = Role.VIEWER
    await app.services["user_service"].invalidate(VIEWER_ID)
    assert "Saved" in await reply(app, telegram_api, VIEWER_ID, "/settings tz Europe/Paris")
    assert "not allowed" in await reply(app, telegram_api, VIEWER_ID, "/profit")


async def _stored_zone(app: App, telegram_id: int) -> object:
    async with app.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert user is not None
        return (user.settings or {}).get("tz")
