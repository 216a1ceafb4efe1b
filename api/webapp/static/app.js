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

  class SignInRefused extends Error {}

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

  async function signIn() {
    const data = initData();
    if (!data) throw new SignInRefused("no initData");
    const response = await fetch(new URL("auth/webapp", API), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ init_data: data }),
    });
    if (response.status === 401 || response.status === 403) throw new SignInRefused(await failureText(response));
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
      const response = await fetch(new URL("auth/refresh", API), {
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
    const response = await fetch(new URL(path, API), Object.assign({}, options, { headers }));
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

  // win rates arrive as a fraction ("0.6") and are shown as a percentage
  function percent(value) {
    const number = Number(value);
    if (value === null || value === undefined || value === "" || !Number.isFinite(number)) return text(value);
    return `${(number * 100).toFixed(1).replace(/\.0$/, "")}%`;
  }

  function sideClass(side) {
    const value = String(side || "").toLowerCase();
    if (value === "long" || value === "buy") return "up";
    if (value === "short" || value === "sell") return "down";
    return "";
  }

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
    if (tg && tg.BackButton) canGoBack ? tg.BackButton.show() : tg.BackButton.hide();
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
    if (error instanceof SignInRefused) return refused();
    box.replaceChildren(
      el("p", { class: "notice", role: "alert" }, error.message || "Something went wrong."),
      el("button", { type: "button", onclick: () => session.stack[session.stack.length - 1]() }, "Try again"),
    );
    return undefined;
  }

  function refused() {
    session.stack = [];
    $("tabs").hidden = true;
    $("who").textContent = "";
    show(
      "error",
      "Dashboard",
      el(
        "section",
        { class: "error-screen", role: "alert" },
        el("h2", {}, "This link can't sign you in"),
        el("p", {}, "It has expired, or it did not come from Telegram."),
        el("p", { class: "notice" }, "Open this from the bot's Dashboard button."),
      ),
    );
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
    const list = el("ol", { class: "list", id: "sources" });
    let shown = 0;
    const more = el("button", { type: "button", class: "more", hidden: "" }, "More");
    async function page(cursor) {
      const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
      const body = await json(`sources/top${query}`);
      for (const source of body.items) {
        shown += 1;
        list.append(sourceRow(source, shown));
      }
      more.hidden = !body.next_cursor;
      more.onclick = () => page(body.next_cursor).catch((error) => failed(box, error));
    }
    try {
      await page(null);
      box.replaceChildren(shown ? list : el("p", { class: "notice" }, "No scored sources yet."), more);
    } catch (error) {
      failed(box, error);
    }
  }

  function sourceRow(source, rank) {
    return el(
      "li",
      { class: "row link source-row", "data-id": String(source.id), onclick: () => open(() => sourcePage(source.id)) },
      el("span", { class: "rank" }, rank),
      el("div", { class: "main" }, el("div", { class: "name" }, text(source.title || source.name)), el("div", { class: "hint" }, `${text(source.signals)} signals · avg R ${text(source.avg_r)}`)),
      el("div", { class: "figure" }, el("div", {}, percent(source.win_rate)), el("div", { class: "hint" }, `exp. ${text(source.expectancy)}`)),
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
      box.replaceChildren(
        stats([
          ["Signals", source.signals],
          ["Win rate", percent(source.win_rate)],
          ["Avg R", source.avg_r],
          ["Expectancy", source.expectancy],
        ]),
        ...windows(source.windows),
        el("h2", {}, "Equity"),
        chart(`sources/${encodeURIComponent(id)}/chart.png`, "Equity chart"),
        el("h2", {}, "Recent signals"),
        signals.items.length
          ? el("ul", { class: "list", id: "signals" }, ...signals.items.map(signalRow))
          : el("p", { class: "notice" }, "No signals yet."),
      );
    } catch (error) {
      failed(box, error);
    }
  }

  // a source's figures over several periods: {"7d": {...}} or [{"window": "7d", ...}]
  function windows(value) {
    if (!value || typeof value !== "object") return [];
    const entries = Array.isArray(value)
      ? value.map((item) => [item.window || item.name || item.label, item])
      : Object.entries(value);
    return entries.flatMap(([name, figures]) => [
      el("h2", {}, `Last ${text(name)}`),
      stats([
        ["Signals", figures && figures.signals],
        ["Win rate", percent(figures && figures.win_rate)],
        ["Avg R", figures && figures.avg_r],
        ["Expectancy", figures && figures.expectancy],
      ]),
    ]);
  }

  function signalRow(signal) {
    return el(
      "li",
      { class: "row link signal-row", "data-id": String(signal.id), onclick: () => open(() => signalPage(signal.id)) },
      el("div", { class: "main" }, el("div", { class: "name" }, el("span", { class: sideClass(signal.side) }, text(signal.side)), " ", text(signal.pair)), el("div", { class: "hint" }, when(signal.posted_at))),
      el("div", { class: "figure" }, el("div", {}, text(signal.outcome || signal.status))),
    );
  }

  async function signalPage(id) {
    const box = loading("signal", "Signal");
    try {
      const signal = await json(`signals/${encodeURIComponent(id)}`);
      $("title").textContent = `${text(signal.pair)} ${text(signal.side)}`;
      const events = Array.isArray(signal.events) ? signal.events : [];
      box.replaceChildren(
        stats([
          ["Status", signal.status],
          ["Outcome", signal.outcome],
          ["Posted", when(signal.posted_at)],
          ["Source", signal.source_title || signal.source_name || signal.source_id],
        ]),
        el("h2", {}, "Chart"),
        chart(`signals/${encodeURIComponent(id)}/chart.png`, "Signal chart"),
        events.length ? el("h2", {}, "Events") : null,
        events.length
          ? el("ul", { class: "list" }, ...events.map((event) => el("li", { class: "row" }, el("div", { class: "main" }, text(event.kind || event.type)), el("div", { class: "hint" }, when(event.at || event.created_at)))))
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
      box.replaceChildren(
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
    const pair = position.pair || position.symbol;
    const size = position.amount || position.quantity || position.size;
    const where = position.account || position.account_label || position.exchange;
    return el(
      "li",
      { class: "row position-row" },
      el("div", { class: "main" }, el("div", { class: "name" }, el("span", { class: sideClass(position.side) }, text(position.side)), " ", text(pair)), el("div", { class: "hint" }, text(where))),
      el("div", { class: "figure" }, el("div", {}, text(size)), position.pnl !== undefined ? el("div", { class: "hint" }, `P/L ${text(position.pnl)}`) : null),
    );
  }

  function planRow(plan) {
    const status = el("div", { class: "status" }, text(plan.status));
    const close = el("button", { type: "button", class: "close" }, "Close");
    const row = el(
      "li",
      { class: "row plan-row", "data-id": String(plan.id) },
      el("div", { class: "main" }, el("div", { class: "name" }, el("span", { class: sideClass(plan.side) }, text(plan.side)), " ", text(plan.pair)), el("div", { class: "hint" }, `Plan #${text(plan.id)}`), status),
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
      status.textContent = `Closed (${text(result.status)})`;
      button.remove();
    } catch (error) {
      if (error instanceof SignInRefused) return refused();
      status.textContent = error.message || "Could not close it.";
      button.disabled = false;
    }
    return undefined;
  }

  function confirmed(message) {
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
      $("who").textContent = me.username ? `@${me.username}` : `#${text(me.telegram_id)}`;
    } catch (error) {
      if (error instanceof SignInRefused) return refused();
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
    }
    $("back").addEventListener("click", back);
    for (const button of $("tabs").querySelectorAll("button")) {
      button.addEventListener("click", () => home(button.dataset.tab));
    }
    enter();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
