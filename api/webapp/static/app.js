// The Mini App: signs in with Telegram's initData, then reads and acts through /api/v1.
// Every text from the API goes into the page as text (textContent / append of strings), never
// as HTML; the page's Content-Security-Policy allows nothing but this file and app.css.
"use strict";

(() => {
  const API = new URL("../api/v1/", window.location.href);
  const tg = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  const launch = launchParams();
  const session = { access: null, refresh: null, stack: [], urls: [], dark: false };
  const $ = (id) => document.getElementById(id);

  // the sign-in refused: 401 for initData that is forged, stale or missing; 403 for someone
  // the bot does not let in (banned, waiting for approval, registration closed)
  class SignInRefused extends Error {
    constructor(message, status = 401) {
      super(message);
      this.status = status;
    }
  }

  // Without Telegram's script the clients still take its documented web events
  // (core.telegram.org/api/web-events): sent through TelegramWebviewProxy (phones, desktop) or
  // to the parent window (Telegram Web's iframe); answered through
  // window.Telegram.WebView.receiveEvent, or a message from the parent.
  const bridge = tg ? null : webEvents();

  function webEvents() {
    const proxy = window.TelegramWebviewProxy;
    const framed = window.parent !== window;
    if (!proxy && !framed) return null; // a plain browser tab
    const waiting = {}; // one-off handlers, by event type
    const always = {};
    const receive = (type, data) => {
      (always[type] || []).forEach((handler) => handler(data));
      (waiting[type] || []).splice(0).forEach((handler) => handler(data));
    };
    window.Telegram = Object.assign(window.Telegram || {}, { WebView: { receiveEvent: receive } });
    if (!proxy) {
      window.addEventListener("message", (event) => {
        if (event.source !== window.parent) return;
        try {
          const message = JSON.parse(event.data);
          if (message && message.eventType) receive(message.eventType, message.eventData);
        } catch (error) {
          // not one of Telegram's messages
        }
      });
    }
    return {
      post(type, data = {}) {
        if (proxy) proxy.postEvent(type, JSON.stringify(data));
        else window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data }), "*");
      },
      next(type) {
        return new Promise((resolve) => (waiting[type] = waiting[type] || []).push(resolve));
      },
      on(type, handler) {
        (always[type] = always[type] || []).push(handler);
      },
    };
  }

  // popups came with Bot API 6.2
  function versionAtLeast(wanted) {
    const have = String(launch.get("tgWebAppVersion") || "0").split(".").map(Number);
    const want = wanted.split(".").map(Number);
    for (let i = 0; i < want.length; i += 1) {
      if ((have[i] || 0) !== want[i]) return (have[i] || 0) > want[i];
    }
    return true;
  }

  // Telegram passes its launch parameters in the URL fragment:
  // #tgWebAppData=<urlencoded initData>&tgWebAppVersion=...&tgWebAppThemeParams=...
  function launchParams() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    if ([...fragment.keys()].some((key) => key.startsWith("tgWebApp"))) return fragment;
    return new URLSearchParams(window.location.search);
  }

  function initData() {
    if (tg && tg.initData) return tg.initData;
    return launch.get("tgWebAppData") || "";
  }

  // Telegram's script sets the --tg-theme-* variables itself; without it they come from the
  // launch fragment's theme parameters (as the script would read them).
  function applyTheme() {
    let params = tg ? tg.themeParams : null;
    if (!tg) {
      try {
        params = JSON.parse(launch.get("tgWebAppThemeParams") || "null");
      } catch (error) {
        params = null;
      }
      if (params && typeof params === "object") {
        for (const [key, value] of Object.entries(params)) {
          if (/^[a-z_]+$/.test(key) && /^#[0-9a-f]{3,8}$/i.test(String(value))) {
            document.documentElement.style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, value);
          }
        }
      }
    }
    if (tg && tg.colorScheme) session.dark = tg.colorScheme === "dark";
    else if (params && typeof params.bg_color === "string") session.dark = darkColor(params.bg_color);
    else session.dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function darkColor(hex) {
    const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex);
    if (!match) return false;
    const [r, g, b] = match.slice(1).map((part) => parseInt(part, 16));
    return 0.299 * r + 0.587 * g + 0.114 * b < 128;
  }

  // -- the API ---------------------------------------------------------------------------------

  // fetch, with a network failure told in words
  async function request(url, options) {
    try {
      return await fetch(url, options);
    } catch (error) {
      throw new Error("Can't reach the bot's server: check the connection and try again.");
    }
  }

  async function signIn() {
    const data = initData();
    if (!data) throw new SignInRefused("no initData");
    const response = await request(new URL("auth/webapp", API), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ init_data: data }),
    });
    if (response.status === 401 || response.status === 403) {
      throw new SignInRefused(await failureText(response), response.status);
    }
    if (!response.ok) throw await failure(response);
    keep(await response.json());
  }

  function keep(tokens) {
    session.access = tokens.access_token;
    session.refresh = tokens.refresh_token || session.refresh;
  }

  // After a 401: the refresh token once, else a new sign-in with the same initData.
  async function renew() {
    if (session.refresh) {
      const response = await request(new URL("auth/refresh", API), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh_token: session.refresh }),
      });
      if (response.ok) {
        keep(await response.json());
        return;
      }
      session.refresh = null;
    }
    await signIn();
  }

  async function api(path, options = {}, renewed = false) {
    const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    if (session.access) headers.Authorization = `Bearer ${session.access}`;
    const response = await request(new URL(path, API), Object.assign({}, options, { headers }));
    if (response.status === 401 && !renewed) {
      await renew();
      return api(path, options, true);
    }
    if (!response.ok) throw await failure(response);
    return response;
  }

  const json = async (path) => (await api(path)).json();

  async function failureText(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return String(body.error.message);
    } catch (error) {
      // not JSON: the status says enough
    }
    return `The server answered ${response.status}.`;
  }

  async function failure(response) {
    const error = new Error(await failureText(response));
    error.status = response.status;
    return error;
  }

  // -- building the page -----------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child)); // strings become text nodes
    }
    return node;
  }

  const text = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));

  function when(value) {
    const date = new Date(value);
    if (!value || Number.isNaN(date.getTime())) return text(value);
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  // Figures arrive as decimal strings; they are only shown here, never computed with.
  const missing = (value) => value === null || value === undefined || value === "";

  function number(value, digits) {
    const parsed = Number(value);
    if (missing(value) || !Number.isFinite(parsed)) return text(value);
    return parsed.toFixed(digits).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  }

  // win rates arrive as a fraction ("0.6") and are shown as a percentage
  const percent = (value) => (missing(value) ? "—" : `${number(Number(value) * 100, 1)}%`);
  const rValue = (value) => (missing(value) ? "—" : `${Number(value) > 0 ? "+" : ""}${number(value, 2)} R`);
  const amount = (value) => number(value, 8);

  // the chat's words for a tracked result (handlers/tracking_render.py)
  const RESULTS = {
    open: "open",
    tp_all: "all targets hit",
    tp_partial_then_sl: "targets, then the stop",
    sl: "stopped out",
    expired: "expired",
    not_filled: "entry never filled",
    no_data: "no price data",
    closed: "closed by the channel",
    cancelled: "cancelled by the channel",
  };
  const words = (value) => String(value === null || value === undefined ? "" : value).replace(/_/g, " ");

  function outcomeText(outcome) {
    if (!outcome) return null;
    const result = Object.prototype.hasOwnProperty.call(RESULTS, outcome.result) ? RESULTS[outcome.result] : words(outcome.result);
    return missing(outcome.r) ? result : `${result} · ${rValue(outcome.r)}`;
  }

  function sideClass(side) {
    const value = String(side || "").toLowerCase();
    if (value === "long" || value === "buy") return "up";
    if (value === "short" || value === "sell") return "down";
    return "";
  }

  // replaceChildren without the parts left out (null): they would show as "null"
  const fill = (box, ...children) => box.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));

  function stats(pairs) {
    return el("dl", { class: "stats" }, ...pairs.map(([label, value]) => el("div", {}, el("dt", {}, label), el("dd", {}, text(value)))));
  }

  function show(name, title, content) {
    for (const url of session.urls.splice(0)) URL.revokeObjectURL(url);
    const view = $("view");
    view.dataset.view = name;
    view.replaceChildren(content);
    $("title").textContent = title;
    const canGoBack = session.stack.length > 1;
    $("back").hidden = !canGoBack;
    // Telegram's own Back button in its header, beside ours
    if (tg && tg.BackButton) canGoBack ? tg.BackButton.show() : tg.BackButton.hide();
    if (bridge && versionAtLeast("6.1")) bridge.post("web_app_setup_back_button", { is_visible: canGoBack });
    window.scrollTo(0, 0);
  }

  // a view is a function that fills a fresh container; the stack makes Back work
  function open(view) {
    session.stack.push(view);
    view();
  }

  function back() {
    if (session.stack.length > 1) session.stack.pop();
    session.stack[session.stack.length - 1]();
  }

  function home(tab) {
    session.stack = [];
    for (const button of $("tabs").querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.tab === tab));
    }
    open(tab === "trades" ? trades : leaderboard);
  }

  function loading(name, title) {
    const box = el("section", {}, el("p", { class: "hint" }, "Loading…"));
    show(name, title, box);
    return box;
  }

  function failed(box, error) {
    if (error instanceof SignInRefused) return refused(error);
    // a refusal (403, 404) stays one; anything else may pass on a second try
    const final = error.status === 403 || error.status === 404;
    const again = () => session.stack[session.stack.length - 1]();
    fill(
      box,
      el("p", { class: "notice", role: "alert" }, error.message || "Something went wrong."),
      final ? null : el("button", { type: "button", onclick: again }, "Try again"),
    );
    return undefined;
  }

  function refused(error) {
    session.stack = [];
    $("tabs").hidden = true;
    $("who").textContent = "";
    const why =
      error.status === 403
        ? [el("h2", {}, "The bot doesn't let you in"), el("p", { class: "notice" }, error.message)]
        : [
            el("h2", {}, "This link can't sign you in"),
            el("p", {}, "It has expired, or it did not come from Telegram."),
            el("p", { class: "notice" }, "Open this from the bot's Dashboard button."),
          ];
    show("error", "Dashboard", el("section", { class: "error-screen", role: "alert" }, ...why));
  }

  // the chart comes with the token, so it is fetched and shown from a blob: URL
  function chart(path, alt) {
    const img = el("img", { class: "chart", alt });
    const note = el("p", { class: "hint" }, "Loading chart…");
    img.hidden = true;
    img.addEventListener("load", () => {
      img.hidden = false;
      note.remove();
    });
    api(`${path}?theme=${session.dark ? "dark" : "light"}`, { headers: { Accept: "image/png" } })
      .then((response) => response.blob())
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        session.urls.push(url);
        img.src = url;
      })
      .catch((error) => {
        note.textContent = `No chart: ${error.message}`;
      });
    return el("figure", {}, img, note);
  }

  // -- views -----------------------------------------------------------------------------------

  async function leaderboard() {
    const box = loading("leaderboard", "Top sources");
    try {
      const body = await json("sources/top");
      const list = el("ol", { class: "list", id: "sources" }, ...body.items.map(sourceRow));
      const none = `No source has ${text(body.min_signals)} tracked signals yet.`;
      fill(box, body.items.length ? list : el("p", { class: "notice" }, none));
    } catch (error) {
      failed(box, error);
    }
  }

  function sourceRow(source, index) {
    return el(
      "li",
      { class: "row link source-row", "data-id": String(source.id), onclick: () => open(() => sourcePage(source.id)) },
      el("span", { class: "rank" }, index + 1),
      el("div", { class: "main" }, el("div", { class: "name" }, text(source.title || source.name)), el("div", { class: "hint" }, `${text(source.signals)} signals · win ${percent(source.win_rate)}`)),
      el("div", { class: "figure" }, el("div", {}, rValue(source.expectancy)), el("div", { class: "hint" }, "per signal")),
    );
  }

  async function sourcePage(id) {
    const box = loading("source", "Source");
    try {
      const [source, signals] = await Promise.all([
        json(`sources/${encodeURIComponent(id)}`),
        json(`signals?source_id=${encodeURIComponent(id)}&limit=20`),
      ]);
      $("title").textContent = text(source.title || source.name);
      fill(box,
        el("h2", {}, "Equity"),
        chart(`sources/${encodeURIComponent(id)}/chart.png`, "Equity curve in R"),
        ...(source.windows || []).map(windowStats),
        el("h2", {}, "Recent signals"),
        signals.items.length
          ? el("ul", { class: "list", id: "signals" }, ...signals.items.map(signalRow))
          : el("p", { class: "notice" }, "No signals yet."),
      );
    } catch (error) {
      failed(box, error);
    }
  }

  // the 30 days, 90 days and all-time scores
  function windowStats(window) {
    return el(
      "section",
      { class: "window" },
      el("h2", {}, missing(window.days) ? "All time" : `Last ${text(window.days)} days`),
      stats([
        ["Signals", window.signals],
        ["Win rate", percent(window.win_rate)],
        ["Expectancy", rValue(window.expectancy)],
        ["Total", rValue(window.total_r)],
        ["Avg R per trade", rValue(window.avg_r)],
        ["Max drawdown", missing(window.max_drawdown) ? "—" : `${number(window.max_drawdown, 2)} R`],
      ]),
    );
  }

  function signalRow(signal) {
    return el(
      "li",
      { class: "row link signal-row", "data-id": String(signal.id), onclick: () => open(() => signalPage(signal.id)) },
      el("div", { class: "main" }, el("div", { class: "name" }, el("span", { class: sideClass(signal.side) }, text(signal.side)), " ", text(signal.pair)), el("div", { class: "hint" }, when(signal.posted_at))),
      el("div", { class: "figure wrap" }, el("div", {}, outcomeText(signal.outcome) || words(signal.status))),
    );
  }

  async function signalPage(id) {
    const box = loading("signal", "Signal");
    try {
      const signal = await json(`signals/${encodeURIComponent(id)}`);
      $("title").textContent = `${text(signal.pair)} ${text(signal.side)}`;
      const events = signal.events || [];
      fill(box,
        stats([
          ["Source", signal.source_name],
          ["Posted", when(signal.posted_at)],
          ["Entry", missing(signal.entry_high) || signal.entry_high === signal.entry_low ? amount(signal.entry_low) : `${amount(signal.entry_low)} – ${amount(signal.entry_high)}`],
          ["Stop", amount(signal.stop_loss)],
          ["Targets", (signal.targets || []).map(amount).join(" · ") || "—"],
          ["Outcome", outcomeText(signal.outcome) || text(signal.status)],
        ]),
        el("h2", {}, "Chart"),
        chart(`signals/${encodeURIComponent(id)}/chart.png`, "The signal on its candles"),
        events.length ? el("h2", {}, "Events") : null,
        events.length
          ? el("ul", { class: "list" }, ...events.map((event) => el("li", { class: "row" }, el("div", { class: "main" }, words(event.kind), missing(event.target_index) ? "" : ` ${event.target_index}`), el("div", { class: "hint" }, when(event.created_at)))))
          : null,
      );
    } catch (error) {
      failed(box, error);
    }
  }

  async function trades() {
    const box = loading("trades", "My trades");
    try {
      const [positions, plans] = await Promise.all([json("positions"), json("plans?status=open")]);
      fill(box,
        el("h2", {}, "Positions"),
        positions.items.length
          ? el("ul", { class: "list", id: "positions" }, ...positions.items.map(positionRow))
          : el("p", { class: "notice" }, "No open positions."),
        el("h2", {}, "Open plans"),
        plans.items.length
          ? el("ul", { class: "list", id: "plans" }, ...plans.items.map(planRow))
          : el("p", { class: "notice", id: "no-plans" }, "No open plans."),
      );
    } catch (error) {
      failed(box, error);
    }
  }

  function positionRow(position) {
    const pnl = missing(position.unrealized_pnl) ? null : el("div", { class: "hint" }, `P/L ${number(position.unrealized_pnl, 2)}`);
    return el(
      "li",
      { class: "row position-row" },
      el("div", { class: "main" }, el("div", { class: "name" }, position.side ? el("span", { class: sideClass(position.side) }, text(position.side), " ") : null, text(position.pair)), el("div", { class: "hint" }, position.is_paper && position.account !== "paper" ? `${text(position.account)} (paper)` : text(position.account))),
      el("div", { class: "figure" }, el("div", {}, amount(position.amount)), pnl),
    );
  }

  function planRow(plan) {
    const status = el("div", { class: "status" }, text(plan.status));
    const close = el("button", { type: "button", class: "close" }, "Close");
    const row = el(
      "li",
      { class: "row plan-row", "data-id": String(plan.id) },
      el("div", { class: "main" }, el("div", { class: "name" }, el("span", { class: sideClass(plan.side) }, text(plan.side)), " ", text(plan.pair)), el("div", { class: "hint" }, `Plan #${text(plan.id)} · ${text(plan.source_name || plan.account)} · held ${amount(plan.held)}`), status),
      close,
    );
    close.addEventListener("click", () => closePlan(plan, close, status, row));
    return row;
  }

  // Confirm first; one Idempotency-Key per press (reused only by this press's own retry after
  // a token renewal); the button stays disabled while it runs, so a double press closes once.
  async function closePlan(plan, button, status, row) {
    if (button.disabled) return;
    button.disabled = true;
    try {
      const sure = await confirmed(`Close plan #${plan.id} (${plan.pair} ${plan.side}) at market?`);
      if (!sure) {
        button.disabled = false;
        return;
      }
      status.textContent = "Closing…";
      const response = await api(`plans/${encodeURIComponent(plan.id)}/close`, {
        method: "POST",
        headers: { "Idempotency-Key": newKey() },
      });
      const result = await response.json();
      row.dataset.status = text(result.status);
      status.textContent = result.status === "closed" ? "Closed" : `Now ${words(result.status)}`;
      button.remove();
    } catch (error) {
      if (error instanceof SignInRefused) return refused(error);
      status.textContent = error.message || "Could not close it.";
      button.disabled = false;
    }
    return undefined;
  }

  // Telegram's own popup (its script's showConfirm, or the web event it sends), else the
  // browser's dialog
  function confirmed(message) {
    if (bridge && versionAtLeast("6.2")) {
      const closed = bridge.next("popup_closed");
      bridge.post("web_app_open_popup", {
        title: "",
        message,
        buttons: [
          { id: "ok", type: "ok" },
          { id: "cancel", type: "cancel" },
        ],
      });
      return closed.then((data) => Boolean(data && data.button_id === "ok"));
    }
    if (!tg || typeof tg.showConfirm !== "function") return Promise.resolve(window.confirm(message));
    return new Promise((resolve) => {
      try {
        tg.showConfirm(message, (ok) => resolve(Boolean(ok)));
      } catch (error) {
        resolve(window.confirm(message)); // an old Telegram client without popups
      }
    });
  }

  function newKey() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  // -- start -----------------------------------------------------------------------------------

  async function enter() {
    try {
      await signIn();
      const me = await json("me");
      $("who").textContent = me.username ? `@${me.username}` : text(me.first_name || me.telegram_id);
    } catch (error) {
      if (error instanceof SignInRefused) return refused(error);
      session.stack = [enter];
      return failed(loading("error", "Dashboard"), error);
    }
    $("tabs").hidden = false;
    home("sources");
    return undefined;
  }

  function start() {
    applyTheme();
    if (tg) {
      if (typeof tg.ready === "function") tg.ready();
      if (typeof tg.expand === "function") tg.expand();
      if (tg.BackButton) tg.BackButton.onClick(back);
    } else if (bridge) {
      bridge.post("web_app_ready");
      bridge.post("web_app_expand");
      bridge.on("back_button_pressed", back);
    }
    $("back").addEventListener("click", back);
    for (const button of $("tabs").querySelectorAll("button")) {
      button.addEventListener("click", () => home(button.dataset.tab));
    }
    enter();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
