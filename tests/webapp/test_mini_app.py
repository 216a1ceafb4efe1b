"""The Mini App in headless chromium against the real API (uvicorn, PostgreSQL, Redis): it
opens with Telegram's signed initData and shows the leaderboard and the charts, refuses a
forged or stale initData with the Dashboard-button screen, and a Close pressed in it (even
twice, quickly) closes the plan exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest
from playwright.async_api import Browser, Dialog, Page, Route, expect

from core.domain import OrderSide, PlanStatus
from tests.bot.conftest import TRADER_ID, AppFactory
from tests.webapp.dashboard import TITLE, Dashboard, bare
from tests.webapp.harness import MiniApp, phone
from tests.webapp.initdata import THEMES, launch_url, sign_init_data, tamper

pytestmark = pytest.mark.browser

TRADER = {"id": TRADER_ID, "first_name": "Tess", "username": "tess_trades", "language_code": "en"}
MAX_AGE_S = 3600  # WEBAPP_MAX_AGE's default

CHART_LOADED = """(selector) => {
    const img = document.querySelector(selector);
    return img !== null && img.complete && img.naturalWidth > 0;
}"""


def signed(dashboard: Dashboard, user: dict[str, object] = TRADER, **kwargs: int) -> str:
    return sign_init_data(dashboard.bot_token, user, **kwargs)


async def open_app(mini: MiniApp, dashboard: Dashboard, init_data: str) -> None:
    await mini.page.goto(launch_url(dashboard.url, init_data))


async def wait_for_chart(page: Page, selector: str = "img.chart") -> dict[str, int]:
    await page.wait_for_function(CHART_LOADED, arg=selector)
    size: dict[str, int] = await page.eval_on_selector(
        selector, "img => ({width: img.naturalWidth, height: img.naturalHeight})"
    )
    return size


async def test_it_opens_with_initdata_and_shows_the_leaderboard_and_charts(
    browser: Browser, dashboard: Dashboard
) -> None:
    async with phone(browser) as mini:
        page = mini.page
        await open_app(mini, dashboard, signed(dashboard))
        row = page.locator("#sources .source-row")
        await expect(row).to_have_count(1)
        await expect(row.locator(".name")).to_have_text(TITLE)  # shown as text, not markup
        assert await page.locator("#sources calls").count() == 0
        await expect(page.locator("#who")).to_have_text("@tess_trades")

        await row.click()  # the source: its equity chart and its signals
        await expect(page.locator('#view[data-view="source"]')).to_be_visible()
        await expect(page.locator("#title")).to_have_text(TITLE)
        size = await wait_for_chart(page)
        assert size["width"] > 0 and size["height"] > 0
        await assert_fits_a_phone(page)
        signal = page.locator("#signals .signal-row")
        await expect(signal).to_have_count(1)
        await expect(signal).to_contain_text("BTC/USDT")
        await expect(signal).to_contain_text("targets, then the stop · -0.33 R")

        await signal.click()  # the signal: its chart on the candles
        await expect(page.locator('#view[data-view="signal"]')).to_be_visible()
        await expect(page.locator("#title")).to_have_text("BTC/USDT long")
        await wait_for_chart(page)
        await assert_fits_a_phone(page)

        await page.locator("#back").click()
        await expect(page.locator('#view[data-view="source"]')).to_be_visible()
        await wait_for_chart(page)  # drawn again: nothing left in flight when the test ends
        assert mini.errors == []
        # the light theme (from the launch parameters) asked for light charts
        charts = [r.url for r in mini.requests if "chart.png" in r.url]
        assert charts and all(url.endswith("?theme=light") for url in charts)


async def test_a_forged_or_stale_initdata_gets_the_dashboard_button_screen(
    browser: Browser, bare_dashboard: Dashboard
) -> None:
    """Each refused with 401, the Dashboard-button screen, nothing read and nobody registered
    (one bot for the three, to keep the browser run short)."""
    token = bare_dashboard.bot_token
    refused = {
        # the admin's id under the trader's signature
        "forged": tamper(sign_init_data(token, TRADER), user=json.dumps({"id": 1001})),
        # signed by Telegram, but longer ago than WEBAPP_MAX_AGE
        "stale": sign_init_data(token, TRADER, auth_date=int(time.time()) - MAX_AGE_S - 60),
        # signed with some other bot's token
        "other_bot": sign_init_data("654321:" + "X" * 35, TRADER),
    }
    for how, init_data in refused.items():
        async with phone(browser) as mini:
            await open_app(mini, bare_dashboard, init_data)
            screen = mini.page.locator('#view[data-view="error"]')
            await expect(screen).to_contain_text("Open this from the bot's Dashboard button")
            await expect(mini.page.locator("#tabs")).to_be_hidden()
            [sign_in] = mini.requests_to("POST", "/api/v1/auth/webapp")
            response = await sign_in.response()
            assert response is not None and response.status == 401, how
            assert not mini.requests_to("GET", "/api/v1/me"), how  # nothing read without a token
    assert await bare_dashboard.app.users.get(TRADER_ID) is None  # nobody registered


async def test_someone_the_bot_does_not_let_in_is_told_why(
    browser: Browser, make_app: AppFactory
) -> None:
    """Registration closed: a stranger's genuine initData gets 403 and the bot's reason, not
    the expired-link screen; nobody is registered."""
    async with bare(make_app, access={"registration": "closed"}) as closed, phone(browser) as mini:
        await open_app(mini, closed, signed(closed))
        screen = mini.page.locator('#view[data-view="error"]')
        await expect(screen).to_contain_text("The bot doesn't let you in")
        await expect(screen).to_contain_text("This bot takes no new users.")
        await expect(screen).not_to_contain_text("Dashboard button")
    assert await closed.app.users.get(TRADER_ID) is None


@pytest.mark.parametrize("role", ["trader", "viewer"])
async def test_someone_new_is_registered_on_first_open(
    browser: Browser, make_app: AppFactory, role: str
) -> None:
    """Opened before ever writing to the bot: registered as /start would (open registration,
    DEFAULT_ROLE), the leaderboard says there is nothing ranked yet; the trades tab is empty
    for a trader and says why not for a viewer (no Try again: it would be refused again)."""
    async with bare(make_app, access={"default_role": role}) as new, phone(browser) as mini:
        page = mini.page
        await open_app(mini, new, signed(new))
        await expect(page.locator('#view[data-view="leaderboard"]')).to_contain_text(
            "No source has 10 tracked signals yet."
        )
        await expect(page.locator("#who")).to_have_text("@tess_trades")
        await page.locator('#tabs [data-tab="trades"]').click()
        if role == "trader":
            await expect(page.locator("#no-plans")).to_have_text("No open plans.")
            assert mini.errors == []
        else:
            refusal = page.locator('#view[data-view="trades"] [role="alert"]')
            await expect(refusal).to_have_text("The viewer role may not do that.")
            await expect(page.locator('#view[data-view="trades"] button')).to_have_count(0)
        user = await new.app.users.get(TRADER_ID)
    assert user is not None and user.role.value == role


async def test_a_refused_access_token_is_renewed_once_and_the_view_shown(
    browser: Browser, bare_dashboard: Dashboard
) -> None:
    """The access token refused once (as when it expires): the app trades its refresh token
    for a new pair, asks again with the new token, and shows the view."""
    async with phone(browser) as mini:
        page = mini.page
        refused: list[str] = []

        async def expire_once(route: Route) -> None:
            if refused:
                await route.continue_()
                return
            refused.append(route.request.headers["authorization"])
            body = {"error": {"code": "unauthorized", "message": "The token has expired."}}
            await route.fulfill(status=401, json=body)

        await page.route("**/api/v1/positions", expire_once)
        await open_app(mini, bare_dashboard, signed(bare_dashboard))
        await expect(page.locator('#view[data-view="leaderboard"] .notice')).to_be_visible()
        await page.locator('#tabs [data-tab="trades"]').click()
        await expect(page.locator("#no-plans")).to_be_visible()
        assert len(mini.requests_to("POST", "/api/v1/auth/refresh")) == 1
        asked = mini.requests_to("GET", "/api/v1/positions")
        assert len(asked) == 2
        assert asked[1].headers["authorization"] != refused[0]  # the renewed token
        assert len(mini.requests_to("POST", "/api/v1/auth/webapp")) == 1  # no new sign-in
        assert all("status of 401" in e for e in mini.errors)  # the browser logs the refusal


async def test_close_pressed_twice_closes_the_plan_once(
    browser: Browser, dashboard: Dashboard
) -> None:
    """The browser's own confirm (no Telegram script): cancelled, nothing is sent and the
    button comes back; then a double press asks once, sends one close, and the plan is closed
    with one market sell."""
    dialogs: list[str] = []
    answers = [False, True]  # cancel the first confirmation, accept the next

    async def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await (dialog.accept() if answers.pop(0) else dialog.dismiss())

    async with phone(browser) as mini:
        page = mini.page
        page.on("dialog", answer)
        await open_app(mini, dashboard, signed(dashboard))
        await page.locator('#tabs [data-tab="trades"]').click()
        plan = page.locator(f'#plans .plan-row[data-id="{dashboard.plan_id}"]')
        await expect(plan).to_contain_text("BTC/USDT")
        await expect(page.locator("#positions .position-row")).to_contain_text("BTC/USDT")

        await plan.locator("button.close").click()  # cancelled
        await expect(plan.locator("button.close")).to_be_enabled()
        assert not mini.requests_to("POST", f"/api/v1/plans/{dashboard.plan_id}/close")
        await assert_open(dashboard)

        async with page.expect_response(lambda r: r.url.endswith("/close")) as closing:
            await plan.locator("button.close").dblclick()
        assert (await closing.value).status == 200
        await expect(plan.locator(".status")).to_have_text("Closed")
        await expect(plan.locator("button.close")).to_have_count(0)
        assert len(dialogs) == 2 and f"#{dashboard.plan_id}" in dialogs[1]
        [close] = mini.requests_to("POST", f"/api/v1/plans/{dashboard.plan_id}/close")
        assert close.headers.get("idempotency-key")
        assert mini.errors == []
    await assert_closed_once(dashboard)


async def test_close_pressed_on_two_phones_at_once_closes_once(
    browser: Browser, dashboard: Dashboard
) -> None:
    """The trader has the app open on two devices and presses Close on both at once: two
    requests with their own keys, one close (the second finds nothing left to close)."""
    async with phone(browser) as first, phone(browser) as second:
        plans = []
        for mini in (first, second):
            mini.page.on("dialog", lambda dialog: dialog.accept())
            await open_app(mini, dashboard, signed(dashboard))
            await mini.page.locator('#tabs [data-tab="trades"]').click()
            plan = mini.page.locator(f'#plans .plan-row[data-id="{dashboard.plan_id}"]')
            await expect(plan.locator("button.close")).to_be_enabled()
            plans.append(plan)
        await asyncio.gather(*(plan.locator("button.close").click() for plan in plans))
        for plan in plans:  # both told it is closed, whichever came second
            await expect(plan.locator(".status")).to_have_text("Closed")
        keys = {
            r.headers["idempotency-key"]
            for mini in (first, second)
            for r in mini.requests_to("POST", f"/api/v1/plans/{dashboard.plan_id}/close")
        }
        assert len(keys) == 2
    await assert_closed_once(dashboard)


@pytest.mark.parametrize("bridge", ["script", "web_events"])
async def test_close_through_telegrams_popup_pressed_twice_closes_once(
    browser: Browser, dashboard: Dashboard, bridge: str
) -> None:
    """Inside Telegram: with its script, initData from Telegram.WebApp and the confirmation
    through showConfirm; without it, Telegram's popup through its web events (the client's
    TelegramWebviewProxy, answered with popup_closed). Two presses in a row: one confirmation,
    one close."""
    async with phone(browser) as mini:
        page = mini.page
        if bridge == "script":
            await page.add_init_script(fake_telegram(signed(dashboard)))
            await page.goto(dashboard.url)  # no launch fragment: the script has the initData
        else:
            await page.add_init_script(FAKE_WEBVIEW)
            await page.goto(launch_url(dashboard.url, signed(dashboard), theme="dark"))
        await expect(page.locator("#sources .source-row")).to_have_count(1)
        await page.locator('#tabs [data-tab="trades"]').click()
        plan = page.locator(f'#plans .plan-row[data-id="{dashboard.plan_id}"]')
        async with page.expect_response(lambda r: r.url.endswith("/close")) as closing:
            await plan.locator("button.close").evaluate(
                "button => { button.click(); button.click(); }"
            )
        assert (await closing.value).status == 200
        await expect(plan.locator(".status")).to_have_text("Closed")
        confirmations = await page.evaluate("() => window.confirmations")
        assert len(confirmations) == 1 and f"#{dashboard.plan_id}" in confirmations[0]
        assert len(mini.requests_to("POST", f"/api/v1/plans/{dashboard.plan_id}/close")) == 1
        # Telegram's dark theme: the charts are asked for dark
        await page.locator('#tabs [data-tab="sources"]').click()
        await page.locator("#sources .source-row").click()
        await wait_for_chart(page)
        assert [r.url for r in mini.requests if "chart.png" in r.url][-1].endswith("theme=dark")
        if bridge == "web_events":
            sent = await page.evaluate("() => window.webEvents")
            assert sent[:2] == ["web_app_ready", "web_app_expand"]  # as Telegram's script would
            assert sent.count("web_app_setup_back_button") >= 1  # Telegram's Back shown here
            # Telegram's own Back button pressed: the leaderboard again
            await page.evaluate(
                "() => window.Telegram.WebView.receiveEvent('back_button_pressed')"
            )
            await expect(page.locator("#sources .source-row")).to_have_count(1)
        assert mini.errors == []
    await assert_closed_once(dashboard)


async def assert_fits_a_phone(page: Page) -> None:
    """Nothing wider than the 360-pixel screen, and no raw value shown as text."""
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 360
    shown = await page.locator("#view").inner_text()
    for raw in ("null", "undefined", "[object", "NaN"):
        assert raw not in shown, shown


async def assert_open(dashboard: Dashboard) -> None:
    trader = await dashboard.app.users.get(TRADER_ID)
    assert trader is not None
    plan = await dashboard.app.services["plan_service"].plan(trader, dashboard.plan_id)
    assert plan.status is PlanStatus.ACTIVE and plan.held > 0


async def assert_closed_once(dashboard: Dashboard) -> None:
    """Through the services: the plan is closed, nothing held, and sold with one order."""
    app = dashboard.app
    trader = await app.users.get(TRADER_ID)
    assert trader is not None
    plan = await app.services["plan_service"].plan(trader, dashboard.plan_id)
    assert plan.status is PlanStatus.CLOSED and plan.held == Decimal(0)
    assert plan.close_reason == "closed by you"
    orders = await app.services["trading_service"].history(trader, limit=50)
    sells = [o for o in orders if o.side is OrderSide.SELL]
    assert len(sells) == 1 and sells[0].filled == plan.filled_qty


def fake_telegram(init_data: str) -> str:
    """What Telegram's script provides, as much as the app uses, with a confirming popup."""
    return f"""
window.confirmations = [];
window.Telegram = {{
  WebApp: {{
    initData: {json.dumps(init_data)},
    colorScheme: "dark",
    themeParams: {json.dumps(THEMES["dark"])},
    ready() {{}},
    expand() {{}},
    BackButton: {{ show() {{}}, hide() {{}}, onClick() {{}} }},
    showConfirm(message, callback) {{
      window.confirmations.push(message);
      setTimeout(() => callback(true), 50);
    }},
  }},
}};
"""


# A Telegram client without its script: events go out through TelegramWebviewProxy and come
# back through window.Telegram.WebView.receiveEvent (core.telegram.org/api/web-events).
FAKE_WEBVIEW = """
window.confirmations = [];
window.webEvents = [];
window.TelegramWebviewProxy = {
  postEvent(type, data) {
    window.webEvents.push(type);
    if (type === "web_app_open_popup") {
      const popup = JSON.parse(data);
      window.confirmations.push(popup.message);
      const ok = popup.buttons.find((button) => button.type === "ok");
      const answer = () =>
        window.Telegram.WebView.receiveEvent("popup_closed", { button_id: ok.id });
      setTimeout(answer, 50);
    }
  },
};
"""
