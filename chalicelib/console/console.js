/* Contact Resolver console: support and admin views over the API. No third-party code, no inline script, no
 * markup built from strings: every stored text reaches the page through textContent (el() below). The token arrives in the fragment
 * (#token=...), is kept in sessionStorage and leaves the address bar at once; every datum comes from the API with it. */
"use strict";

(function () {
  const TOKEN_KEY = "contact-resolver-console-token";
  const LANG_KEY = "contact-resolver-console-lang";
  const SELLER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
  const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,128}$/;
  const TOPICS = ["product_question", "order_status", "delivery", "return_refund", "payment", "other"];
  const CHANNELS = ["chat", "email", "phone", "support"];

  const STRINGS = {
    en: {
      home: "Overview", requests: "Requests", deflection: "Deflection", policy: "Policy", queue: "Queue",
      seller: "Seller", sellerLookup: "Seller id", open: "Open", loading: "Loading…",
      refusedTitle: "Support and admin only",
      refusedText: "This console is for the platform's support agents and admins. Your token's role is \"{role}\": it shows no data here.",
      signInTitle: "Sign in",
      signInText: "Open the console link with a support or admin token (#token=…), as `make run` prints it, or paste a token here.",
      token: "Token", signIn: "Sign in", signOut: "Sign out", expired: "The API refused the token (expired or not valid). Sign in again.",
      adminOnly: "This view is for admins.", role: "role", error: "Error",
      notAvailable: "Not available on this server yet.", notMeasured: "Not measured yet (no daily roll-up).",
      today: "today", last7: "last 7 days", last30: "last 30 days",
      deflectionToday: "Deflection today", requestsToday: "Contact requests today", buyerRequests: "from buyers",
      supportLookups: "support lookups", revealsToday: "Contacts revealed today", revealsWithheld: "withheld by the limit",
      conversationsByState: "Conversations by state", repliesAtRisk: "Replies at risk / past due",
      filterRemoved: "Removed by the contact filter today", channelSwitches: "Channels: platform switches",
      on: "on", off: "off", rollout: "rollout", pilots: "pilot sellers", queueDepth: "Support queue",
      dlqDepth: "Dead-letter queue", viewMore: "View", noChannel: "sent to support (seller offers no channel)",
      time: "Time", buyer: "Buyer", topic: "Topic", offered: "Offered", primary: "Primary", outcome: "Outcome",
      revealed: "Revealed", day: "Day (UTC)", any: "any", apply: "Apply", older: "Older", newest: "Newest",
      noRequests: "No requests match.", degraded: "degraded", supportReason: "support reason",
      shown: "Shown", notReported: "not reported", outcomeAnswered: "answered by {answer}", outcomeNotAnswered: "not answered by {answer}", outcomeChannel: "went on to {channel}",
      perTopic: "Per topic", perDay: "Per topic and day", answered: "answered by an answer", chosen: "went on to a channel",
      notAnswered: "not answered", weakAnswers: "Weak answers (most \"not answered\")", answer: "Answer",
      notRelated: "not related", relatedNotAnswered: "related, not answered", rate: "deflection", noOutcomes: "No outcomes reported.",
      window: "Window", channels: "Channels and hours", answers: "Published answers", history: "Settings history",
      restriction: "Restriction", notRestricted: "Not restricted.", restrict: "Restrict", lift: "Lift restriction",
      mode: "Mode", note: "Note", replyShare: "Replies within the due time (7 / 30 days)", replyTime: "Measured reply time",
      conversations: "Conversations", recentRequests: "Latest requests", noSettings: "No settings stored for this seller.",
      changedBy: "Changed by", change: "Change", version: "Version", none: "none", enabled: "enabled", disabled: "disabled",
      hours: "Hours", timezone: "Time zone", title: "Title", status: "Status", locale: "Language",
      transcript: "Transcript", reply: "Reply as support", send: "Send", sent: "Sent.", redacted: "removed by the filter",
      policyInForce: "Policy in force", editPolicy: "Edit (the whole document; what you change becomes a merge patch)",
      preview: "Preview", save: "Save", previewTitle: "What the change would have done to the last day's requests",
      considered: "requests considered", sampled: "sampled", gain: "gain", lose: "lose", buyers: "Buyers", sellers: "Sellers",
      saved: "Saved: version {version}.", conflict: "Someone saved version {version} first. Reload to see it, then edit again.",
      invalidJson: "The document is not valid JSON.", nothingChanged: "Nothing changed.",
      visible: "waiting", inFlight: "in flight", delayed: "delayed", oldest: "oldest", queueHelp: "Redrive or discard with your own operator credentials (the API never writes to the queues):",
      unknownView: "No such view.",
      waitingSeller: "waiting for the seller", upTo: "up to",
      revealLimit: "limit: {count} sellers a buyer a day", noRevealLimit: "no daily reveal limit", escalatedNow: "escalated to support", oldestWaiting: "oldest waiting",
      atRisk: "due within {hours} h", pastDue: "past due", overdueToday: "escalated as overdue today",
      messagesRedacted: "messages filtered today", ofMessages: "of {count} messages", nobodyWaits: "nobody waits",
      withheld: "withheld", replies: "replies", noReplies: "No replies to waiting buyers yet.",
      redactions30: "messages filtered (30 days)", medianReply: "median", outcomeNote: "Shown: contacts revealed, withheld by the limit, or why support. Outcome: what the buyer reported after (the latest, with its time).",
      oldestEscalated: "oldest escalated", nobodyEscalated: "none escalated", escalatedUnknown: "escalated before the time was recorded",
      conversationsEscalated: "Escalated to support", conversationsWaitingSeller: "Waiting for the seller",
      escalatedListNote: "Every conversation with support now, the longest-escalated first.",
      waitingListNote: "Every conversation waiting for the seller's reply, the earliest due first (past due ones are escalated by the sweep).",
      escalatedSince: "Escalated", dueAt: "Reply due", age: "For", lastMessage: "Last message", noConversations: "No conversations in this state.",
      next: "Next", first: "First", inTranscripts: "transcripts mark what was removed",
      ageNoDatapoint: "not available: CloudWatch has no ApproximateAgeOfOldestMessage datapoint in the last 15 minutes (SQS publishes it on AWS only; the local stack has none)",
      ageUnavailable: "not available: CloudWatch could not be read just now (the depth above is current)",
      measuredAt: "measured",
    },
    ru: {
      home: "Обзор", requests: "Запросы", deflection: "Ответы вместо каналов", policy: "Политика", queue: "Очередь",
      seller: "Продавец", sellerLookup: "ID продавца", open: "Открыть", loading: "Загрузка…",
      refusedTitle: "Только для поддержки и администраторов",
      refusedText: "Эта консоль — для сотрудников поддержки и администраторов платформы. Роль вашего токена — «{role}»: данных здесь нет.",
      signInTitle: "Вход",
      signInText: "Откройте ссылку на консоль с токеном поддержки или администратора (#token=…), как её печатает `make run`, или вставьте токен сюда.",
      token: "Токен", signIn: "Войти", signOut: "Выйти", expired: "API не принял токен (истёк или недействителен). Войдите снова.",
      adminOnly: "Этот раздел — для администраторов.", role: "роль", error: "Ошибка",
      notAvailable: "На этом сервере пока недоступно.", notMeasured: "Пока не считается (нет дневной сводки).",
      today: "сегодня", last7: "последние 7 дней", last30: "последние 30 дней",
      deflectionToday: "Решено ответами сегодня", requestsToday: "Запросов контакта сегодня", buyerRequests: "от покупателей",
      supportLookups: "просмотров поддержкой", revealsToday: "Раскрыто контактов сегодня", revealsWithheld: "скрыто лимитом",
      conversationsByState: "Переписки по состоянию", repliesAtRisk: "Ответы под угрозой / просрочены",
      filterRemoved: "Удалено фильтром контактов сегодня", channelSwitches: "Каналы: переключатели платформы",
      on: "вкл.", off: "выкл.", rollout: "раскатка", pilots: "пилотные продавцы", queueDepth: "Очередь поддержки",
      dlqDepth: "Очередь недоставленных", viewMore: "Подробнее", noChannel: "отправлены в поддержку (у продавца нет каналов)",
      time: "Время", buyer: "Покупатель", topic: "Тема", offered: "Предложено", primary: "Основной", outcome: "Итог",
      revealed: "Раскрыто", day: "День (UTC)", any: "любая", apply: "Применить", older: "Раньше", newest: "Сначала",
      noRequests: "Нет подходящих запросов.", degraded: "деградация", supportReason: "причина поддержки",
      shown: "Показано", notReported: "не сообщён", outcomeAnswered: "решено ответом {answer}", outcomeNotAnswered: "не помог ответ {answer}", outcomeChannel: "ушёл в канал {channel}",
      perTopic: "По темам", perDay: "По темам и дням", answered: "решено ответом", chosen: "ушли в канал",
      notAnswered: "не помогло", weakAnswers: "Слабые ответы (чаще всего «не помогло»)", answer: "Ответ",
      notRelated: "не по теме", relatedNotAnswered: "по теме, но не помогло", rate: "доля", noOutcomes: "Итогов пока нет.",
      window: "Период", channels: "Каналы и часы", answers: "Опубликованные ответы", history: "История настроек",
      restriction: "Ограничение", notRestricted: "Не ограничен.", restrict: "Ограничить", lift: "Снять ограничение",
      mode: "Режим", note: "Заметка", replyShare: "Ответы в срок (7 / 30 дней)", replyTime: "Измеренное время ответа",
      conversations: "Переписки", recentRequests: "Последние запросы", noSettings: "У продавца нет сохранённых настроек.",
      changedBy: "Кто изменил", change: "Изменение", version: "Версия", none: "нет", enabled: "включён", disabled: "выключен",
      hours: "Часы", timezone: "Часовой пояс", title: "Заголовок", status: "Статус", locale: "Язык",
      transcript: "Переписка", reply: "Ответ от поддержки", send: "Отправить", sent: "Отправлено.", redacted: "удалено фильтром",
      policyInForce: "Действующая политика", editPolicy: "Правка (весь документ; изменения станут merge patch)",
      preview: "Предпросмотр", save: "Сохранить", previewTitle: "Что изменение сделало бы с запросами за последние сутки",
      considered: "запросов рассмотрено", sampled: "в выборке", gain: "получат", lose: "потеряют", buyers: "Покупатели", sellers: "Продавцы",
      saved: "Сохранено: версия {version}.", conflict: "Кто-то раньше сохранил версию {version}. Обновите страницу и внесите правку снова.",
      invalidJson: "Документ — не корректный JSON.", nothingChanged: "Ничего не изменено.",
      visible: "ждут", inFlight: "в обработке", delayed: "отложено", oldest: "старейшее", queueHelp: "Переотправка и удаление — со своими учётными данными оператора (API в очереди не пишет):",
      unknownView: "Нет такого раздела.",
      waitingSeller: "ждут продавца", upTo: "до",
      revealLimit: "лимит: {count} продавцов на покупателя в день", noRevealLimit: "без дневного лимита раскрытий", escalatedNow: "переданы поддержке", oldestWaiting: "дольше всех ждёт",
      atRisk: "срок в ближайшие {hours} ч", pastDue: "просрочены", overdueToday: "переданы из-за просрочки сегодня",
      messagesRedacted: "сообщений отфильтровано сегодня", ofMessages: "из {count} сообщений", nobodyWaits: "никто не ждёт",
      withheld: "скрыто", replies: "ответов", noReplies: "Ответов ждущим покупателям пока нет.",
      redactions30: "сообщений отфильтровано (30 дней)", medianReply: "медиана", outcomeNote: "Показано: раскрытые контакты, скрытые лимитом или причина поддержки. Итог: что покупатель сообщил потом (последнее, со временем).",
      oldestEscalated: "дольше всех у поддержки", nobodyEscalated: "переданных нет", escalatedUnknown: "переданы до того, как время стало записываться",
      conversationsEscalated: "Переданы поддержке", conversationsWaitingSeller: "Ждут продавца",
      escalatedListNote: "Все переписки, которые сейчас у поддержки; сначала переданные раньше всех.",
      waitingListNote: "Все переписки, ждущие ответа продавца; сначала с самым ранним сроком (просроченные передаёт поддержке плановая проверка).",
      escalatedSince: "Передана", dueAt: "Срок ответа", age: "Уже", lastMessage: "Последнее сообщение", noConversations: "Переписок в этом состоянии нет.",
      next: "Дальше", first: "В начало", inTranscripts: "в переписках удалённое помечено",
      ageNoDatapoint: "недоступно: в CloudWatch нет точки ApproximateAgeOfOldestMessage за последние 15 минут (SQS публикует её только в AWS; в локальном стенде её нет)",
      ageUnavailable: "недоступно: CloudWatch сейчас не ответил (глубина выше — актуальная)",
      measuredAt: "измерено",
    },
  };

  const state = { lang: "en", token: null, claims: null, generation: 0 };

  // ------------------------------------------------------------------ helpers

  function t(key, values) {
    let text = (STRINGS[state.lang] && STRINGS[state.lang][key]) || STRINGS.en[key] || key;
    for (const name in values || {}) text = text.split("{" + name + "}").join(String(values[name]));
    return text;
  }

  /** An element with attributes and children; strings become text nodes (never markup). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const name in attrs || {}) {
      const value = attrs[name];
      if (value === null || value === undefined || value === false) continue;
      if (/^on/i.test(name)) throw new Error("event handlers are attached with addEventListener");
      if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {  // a cell may hold lists of tags: nested at any depth
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function on(node, event, handler) {
    node.addEventListener(event, handler);
    return node;
  }

  function fmtNumber(value) {
    return value === null || value === undefined ? "–" : new Intl.NumberFormat(state.lang).format(value);
  }

  function fmtPercent(value) {
    return value === null || value === undefined ? "–" : new Intl.NumberFormat(state.lang, { style: "percent", maximumFractionDigits: 0 }).format(value);
  }

  function fmtTime(value) {
    if (!value) return "–";
    const moment = new Date(value);
    return isNaN(moment) ? String(value) : moment.toLocaleString(state.lang, { dateStyle: "short", timeStyle: "medium" });
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 120) return Math.round(seconds) + " s";
    if (seconds < 7200) return Math.round(seconds / 60) + " min";
    return Math.round(seconds / 3600) + " h";
  }

  /** The path prefix the page was served under: "" locally, "/api" on an API Gateway stage. */
  function base() {
    const path = window.location.pathname;
    const at = path.lastIndexOf("/console");
    return at > 0 ? path.slice(0, at) : "";
  }

  function decodeClaims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const json = decodeURIComponent(Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
      const claims = JSON.parse(json);
      return claims && typeof claims === "object" ? claims : null;
    } catch (e) {
      return null;
    }
  }

  function isStaff() {
    return state.claims && (state.claims.role === "support" || state.claims.role === "admin");
  }

  function isAdmin() {
    return state.claims && state.claims.role === "admin";
  }

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || (body && (body.message || body.Message)) || "HTTP " + status);
      this.status = status;
      this.code = error.code || (status === 401 ? "unauthorized" : "http_" + status);
      this.details = error.details;
      this.gateway = !(body && body.error);  // answered by the gateway, not our code: no such route, or no valid token
    }
  }

  /** Call the API with the token; JSON in and out. Returns {status, body, etag}. */
  async function api(method, path, body, headers) {
    const options = {
      method,
      headers: Object.assign({ Authorization: "Bearer " + state.token, "Accept-Language": state.lang, Accept: "application/json" }, headers || {}),
      cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
    };
    if (body !== undefined) {
      options.body = JSON.stringify(body);
      if (!options.headers["Content-Type"]) options.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(base() + path, options);
    let parsed = null;
    const text = await response.text();
    try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
    if (!response.ok) throw new ApiError(response.status, parsed);
    return { status: response.status, body: parsed, etag: response.headers.get("ETag") };
  }

  function query(params) {
    const parts = [];
    for (const name in params) {
      if (params[name] !== null && params[name] !== undefined && params[name] !== "") parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(params[name]));
    }
    return parts.length ? "?" + parts.join("&") : "";
  }

  function errorBox(error) {
    if (error instanceof ApiError && (error.status === 401 || (error.status === 403 && error.code !== "wrong_role"))) {
      return el("div", { class: "error", role: "alert" }, t("expired"));
    }
    const code = error instanceof ApiError ? error.code + ": " : "";
    return el("div", { class: "error", role: "alert" }, t("error") + ": " + code + (error.message || String(error)));
  }

  function card(label, figure, extra, link) {
    return el("div", { class: "card" },
      el("div", { class: "label" }, label),
      el("div", { class: "figure" }, figure),
      extra ? el("div", { class: "label" }, extra) : null,
      link ? el("a", { class: "more", href: link }, t("viewMore") + " →") : null);
  }

  function missingCard(label, link) {
    return el("div", { class: "card" },
      el("div", { class: "label" }, label),
      el("div", { class: "missing" }, t("notMeasured")),
      link ? el("a", { class: "more", href: link }, t("viewMore") + " →") : null);
  }

  function table(columns, rows, numeric) {
    const isNumeric = new Set(numeric || []);
    return el("table", {},
      el("thead", {}, el("tr", {}, columns.map((c, i) => el("th", { class: isNumeric.has(i) ? "num" : null }, c)))),
      el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell, i) => el("td", { class: isNumeric.has(i) ? "num" : null }, cell))))));
  }

  function tags(values) {
    return (values || []).map((value) => el("span", { class: "tag" }, value));
  }

  // ------------------------------------------------------------------ routing

  function parseHash() {
    const hash = window.location.hash || "#/";
    const [path, search] = hash.slice(1).split("?");
    const params = new URLSearchParams(search || "");
    return { path: path || "/", params };
  }

  const ROUTES = [
    { pattern: /^\/$/, view: viewHome },
    { pattern: /^\/requests$/, view: viewRequests },
    { pattern: /^\/deflection$/, view: viewDeflection },
    { pattern: /^\/sellers\/([^/]+)$/, view: viewSeller },
    { pattern: /^\/conversations$/, view: viewConversations },
    { pattern: /^\/conversations\/([^/]+)$/, view: viewConversation },
    { pattern: /^\/policy$/, view: viewPolicy, admin: true },
    { pattern: /^\/queue$/, view: viewQueue, admin: true },
  ];

  async function render() {
    const generation = ++state.generation;
    const main = document.getElementById("main");
    renderChrome();
    if (!state.token) return replace(main, viewSignIn());
    if (!isStaff()) return replace(main, viewRefused());
    const { path, params } = parseHash();
    const route = ROUTES.find((r) => r.pattern.test(path));
    if (!route) return replace(main, el("p", { class: "error" }, t("unknownView")));
    if (route.admin && !isAdmin()) return replace(main, el("div", { class: "notice" }, t("adminOnly")));
    replace(main, el("p", { class: "muted" }, t("loading")));
    const match = path.match(route.pattern);
    let content;
    try {
      content = await route.view(params, ...match.slice(1).map(decodeURIComponent));
    } catch (error) {
      content = errorBox(error);
    }
    if (generation === state.generation) replace(main, content);
  }

  function replace(node, content) {
    node.replaceChildren(content);
    document.title = "Contact Resolver console";
  }

  function renderChrome() {
    const nav = document.getElementById("nav");
    const items = [["#/", "home"], ["#/requests", "requests"], ["#/deflection", "deflection"]];
    if (isAdmin()) items.push(["#/policy", "policy"], ["#/queue", "queue"]);
    const { path } = parseHash();
    nav.replaceChildren(...(isStaff() ? items : []).map(([href, key]) =>
      el("a", { href, class: (href.slice(1) === path ? "active" : null), "data-view": key }, t(key))));
    if (isStaff()) {
      const input = el("input", { type: "text", placeholder: t("sellerLookup"), "aria-label": t("sellerLookup"), size: 14, id: "seller-lookup" });
      const go = () => { if (SELLER_ID.test(input.value.trim())) window.location.hash = "#/sellers/" + encodeURIComponent(input.value.trim()); };
      on(input, "keydown", (e) => { if (e.key === "Enter") go(); });
      nav.append(input);
    }
    const who = document.getElementById("who");
    who.replaceChildren();
    if (state.claims) {
      who.append(String(state.claims.sub || "?") + " · " + t("role") + ": " + String(state.claims.role || "?") + " ");
      who.append(on(el("button", { class: "secondary", type: "button", id: "sign-out" }, t("signOut")), "click", signOut));
    }
    const lang = document.getElementById("lang");
    lang.value = state.lang;
    document.documentElement.lang = state.lang;
  }

  function signIn(token) {
    token = (token || "").trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.token = token;
    state.claims = decodeClaims(token);
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    state.claims = null;
    window.location.hash = "#/";
    render();
  }

  // ------------------------------------------------------------------ views

  function viewSignIn() {
    const input = el("input", { type: "password", id: "token-input", "aria-label": t("token"), autocomplete: "off", size: 50 });
    const button = on(el("button", { type: "button", id: "sign-in" }, t("signIn")), "click", () => { signIn(input.value); render(); });
    return el("section", { class: "refused" }, el("h1", {}, t("signInTitle")), el("p", {}, t("signInText")), el("p", {}, input, " ", button));
  }

  function viewRefused() {
    return el("section", { class: "refused", id: "refused" },
      el("h1", {}, t("refusedTitle")),
      el("p", {}, t("refusedText", { role: String((state.claims && state.claims.role) || "?") })),
      on(el("button", { type: "button" }, t("signOut")), "click", signOut));
  }

  /** The roll-up keeps when a buyer began waiting to the hour: the age is an upper bound. */
  function fmtAge(since) {
    if (!since) return t("nobodyWaits");
    return t("upTo") + " " + fmtDuration(Math.max(0, (Date.now() - new Date(since).getTime()) / 1000));
  }

  /** The time since an exact moment (an escalation is recorded to the microsecond, not to the hour). */
  function fmtSince(since) {
    return fmtDuration(Math.max(0, (Date.now() - new Date(since).getTime()) / 1000));
  }

  function escalatedAge(conversations) {
    if (conversations.oldest_escalated_since) return t("oldestEscalated") + ": " + fmtSince(conversations.oldest_escalated_since);
    return conversations.escalated ? t("escalatedUnknown") : t("nobodyEscalated");
  }

  async function viewHome() {
    const [stats, policy, queues] = await Promise.all([
      api("GET", "/v1/ops/stats" + query({ days: 1 })).then((r) => r.body),
      api("GET", "/v1/platform/policy").then((r) => r.body).catch(() => null),
      isAdmin() ? api("GET", "/v1/ops/queues").then((r) => r.body).catch(() => null) : Promise.resolve(null),
    ]);
    const today = stats.totals;
    const conversations = stats.conversations;
    const conversationsToday = stats.conversation_totals;
    const removed = Object.keys(conversationsToday.removed || {}).filter((kind) => conversationsToday.removed[kind])
      .map((kind) => kind + " " + fmtNumber(conversationsToday.removed[kind])).join(" · ");
    const cards = [
      el("div", { class: "card", id: "card-conversations" },
        el("div", { class: "label" }, t("conversationsByState")),
        el("div", { class: "figure" }, el("a", { href: "#/conversations?status=waiting_seller", id: "link-waiting" }, fmtNumber(conversations.waiting_seller))),
        el("div", { class: "label" }, t("waitingSeller") + " · " + t("oldestWaiting") + ": " + fmtAge(conversations.oldest_waiting_seller_since)),
        el("div", { class: "figure" }, el("a", { href: "#/conversations?status=escalated", id: "link-escalated" }, fmtNumber(conversations.escalated))),
        el("div", { class: "label", id: "escalated-age" }, t("escalatedNow") + " · " + escalatedAge(conversations))),
      el("div", { class: "card", id: "card-replies" },
        el("div", { class: "label" }, t("repliesAtRisk")),
        el("div", { class: "figure" }, fmtNumber(conversations.replies_at_risk) + " / " + fmtNumber(conversations.replies_past_due)),
        el("div", { class: "label" }, t("atRisk", { hours: conversations.at_risk_hours }) + " / " + t("pastDue")),
        el("div", { class: "label" }, fmtNumber(conversationsToday.reply_overdue) + " " + t("overdueToday")),
        el("a", { class: "more", href: "#/conversations?status=waiting_seller" }, t("viewMore") + " →")),
      card(t("deflectionToday"), fmtPercent(today.deflection_rate),
        fmtNumber(today.answered) + " " + t("answered") + " · " + fmtNumber(today.channel_chosen) + " " + t("chosen"), "#/deflection"),
      card(t("requestsToday"), fmtNumber(today.requests),
        fmtNumber(today.buyer_requests) + " " + t("buyerRequests") + " · " + fmtNumber(today.support_lookups) + " " + t("supportLookups") +
        " · " + fmtNumber(today.no_channel) + " " + t("noChannel"), "#/requests"),
      el("div", { class: "card", id: "card-reveals" },
        el("div", { class: "label" }, t("revealsToday")),
        el("div", { class: "figure" }, fmtNumber(today.reveals)),
        el("div", { class: "label" }, fmtNumber(today.reveals_withheld) + " " + t("revealsWithheld")),
        policy && policy.limits ? el("div", { class: "label", id: "reveal-limit" }, policy.limits.contact_reveals_per_buyer_per_day
          ? t("revealLimit", { count: policy.limits.contact_reveals_per_buyer_per_day }) : t("noRevealLimit")) : null,
        el("a", { class: "more", href: "#/requests" }, t("viewMore") + " →")),
      el("div", { class: "card", id: "card-filter" },
        el("div", { class: "label" }, t("filterRemoved")),
        el("div", { class: "figure" }, fmtNumber(conversationsToday.messages_redacted)),
        el("div", { class: "label" }, t("ofMessages", { count: fmtNumber(conversationsToday.messages) }) + (removed ? " · " + removed : "")),
        el("div", { class: "label" }, t("inTranscripts")),
        el("a", { class: "more", href: "#/conversations?status=escalated" }, t("viewMore") + " →")),
    ];
    if (policy) {
      cards.push(el("div", { class: "card", id: "switches" },
        el("div", { class: "label" }, t("channelSwitches") + " · v" + policy.version),
        ["chat", "email", "phone"].map((channel) => {
          const c = policy.channels[channel];
          return el("div", {}, el("strong", {}, channel + ": "), c.enabled ? t("on") : t("off"),
            !c.enabled ? " · " + t("rollout") + " " + c.rollout_percent + "% · " + t("pilots") + " " + c.allow_sellers.length : null);
        }),
        isAdmin() ? el("a", { class: "more", href: "#/policy" }, t("viewMore") + " →") : null));
    }
    if (queues) {
      const oldest = queues.queue.oldest_age_seconds === null || queues.queue.oldest_age_seconds === undefined
        ? "" : " · " + t("oldest") + ": " + fmtDuration(queues.queue.oldest_age_seconds);
      cards.push(card(t("queueDepth"), fmtNumber(queues.queue.visible), t("dlqDepth") + ": " + fmtNumber(queues.dlq.visible) + oldest, "#/queue"));
    }
    return el("section", { id: "view-home" }, el("h1", {}, t("home")), el("div", { class: "cards" }, cards));
  }

  /** A request's reported outcome as text (its answer id and channel are stored values: text only, never markup). */
  function outcomeText(outcome) {
    if (!outcome) return el("span", { class: "muted" }, t("notReported"));
    const values = { answer: outcome.answer_id || "–", channel: outcome.channel || "–" };
    const key = { answered: "outcomeAnswered", not_answered: "outcomeNotAnswered", channel_chosen: "outcomeChannel" }[outcome.kind];
    const label = key ? t(key, values) : outcome.kind;
    return el("span", { class: "outcome outcome-" + outcome.kind.replace(/[^a-z_]/g, "") }, label + " · " + fmtTime(outcome.at));
  }

  async function viewRequests(params) {
    const seller = params.get("seller") || "";
    const topic = params.get("topic") || "";
    const day = params.get("day") || "";
    const cursor = params.get("cursor") || "";
    const page = (await api("GET", "/v1/ops/requests" + query({ seller_id: seller, topic, day, cursor, limit: 25 }))).body;

    const sellerInput = el("input", { type: "text", name: "seller", value: seller, size: 16, id: "filter-seller" });
    const topicSelect = el("select", { name: "topic", id: "filter-topic" },
      el("option", { value: "" }, t("any")), TOPICS.map((name) => el("option", { value: name, selected: name === topic }, name)));
    const dayInput = el("input", { type: "date", name: "day", value: day, id: "filter-day" });
    const apply = on(el("button", { type: "button", id: "apply-filters" }, t("apply")), "click", () => {
      window.location.hash = "#/requests" + query({ seller: sellerInput.value.trim(), topic: topicSelect.value, day: dayInput.value });
    });
    const rows = page.items.map((item) => [
      fmtTime(item.occurred_at),
      item.buyer_id || "–",
      el("a", { href: "#/sellers/" + encodeURIComponent(item.seller_id) }, item.seller_id),
      item.topic,
      tags(item.offered),
      item.primary_channel || "–",
      [(item.revealed || []).length ? el("span", { class: "tag" }, t("revealed") + ": " + item.revealed.join(", ")) : null,
        (item.withheld || []).length ? el("span", { class: "tag warn" }, t("withheld") + ": " + item.withheld.join(", ")) : null,
        item.degraded ? el("span", { class: "tag" }, t("degraded")) : null,
        item.support_reason ? el("span", { class: "tag" }, t("supportReason") + ": " + item.support_reason) : null,
        item.caller_role === "support" ? el("span", { class: "tag" }, t("supportLookups")) : null],
      outcomeText(item.outcome),
    ]);
    const pager = el("div", { class: "pager" },
      cursor ? el("a", { href: "#/requests" + query({ seller, topic, day }) }, "« " + t("newest")) : null,
      page.next_cursor ? el("a", { href: "#/requests" + query({ seller, topic, day, cursor: page.next_cursor }), id: "older" }, t("older") + " »") : null);
    return el("section", { id: "view-requests" },
      el("h1", {}, t("requests")),
      el("div", { class: "filters" },
        el("label", {}, t("seller"), sellerInput), el("label", {}, t("topic"), topicSelect), el("label", {}, t("day"), dayInput), apply),
      page.items.length
        ? table([t("time"), t("buyer"), t("seller"), t("topic"), t("offered"), t("primary"), t("shown"), t("outcome")], rows)
        : el("p", { class: "muted", id: "no-requests" }, t("noRequests")),
      el("p", { class: "muted" }, t("outcomeNote")),
      pager);
  }

  /** Stacked bars per day: answered (green) under went-to-a-channel (blue). Built with DOM APIs, no library. */
  function dayChart(points, title) {
    const width = 560, height = 180, left = 34, bottom = 22, top = 8;
    const max = Math.max(1, ...points.map((p) => p.answered + p.channel_chosen));
    const step = (width - left) / Math.max(1, points.length);
    const bar = Math.max(2, step * 0.7);
    const y = (value) => top + (height - top - bottom) * (1 - value / max);
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": title, class: "day-chart" });
    chart.append(svg("title", { text: title }));
    for (const fraction of [0, 0.5, 1]) {
      const value = Math.round(max * fraction);
      chart.append(svg("line", { x1: left, x2: width, y1: y(value), y2: y(value), class: "grid" }),
        svg("text", { x: left - 4, y: y(value) + 3, "text-anchor": "end", class: "axis", text: String(value) }));
    }
    points.forEach((p, i) => {
      const x = left + i * step + (step - bar) / 2;
      const answeredTop = y(p.answered);
      chart.append(
        svg("rect", { x, y: answeredTop, width: bar, height: y(0) - answeredTop, class: "answered" },
          svg("title", { text: p.day + ": " + p.answered + " " + t("answered") })),
        svg("rect", { x, y: y(p.answered + p.channel_chosen), width: bar, height: answeredTop - y(p.answered + p.channel_chosen), class: "chosen" },
          svg("title", { text: p.day + ": " + p.channel_chosen + " " + t("chosen") })));
      if (points.length <= 10 || i % Math.ceil(points.length / 8) === 0) {
        chart.append(svg("text", { x: x + bar / 2, y: height - 6, "text-anchor": "middle", class: "axis", text: p.day.slice(5) }));
      }
    });
    return chart;
  }

  async function viewDeflection(params) {
    const days = params.get("days") === "30" ? 30 : 7;
    const data = (await api("GET", "/v1/ops/deflection" + query({ days, top: 10 }))).body;
    const legend = el("div", { class: "legend" },
      el("span", {}, el("span", { class: "swatch answered" }), t("answered")),
      el("span", {}, el("span", { class: "swatch chosen" }), t("chosen")));
    const charts = TOPICS.map((topic) => {
      const points = data.per_topic_day.filter((row) => row.topic === topic).sort((a, b) => (a.day < b.day ? -1 : 1));
      const summary = data.per_topic.find((row) => row.topic === topic) || {};
      return el("div", { class: "chart", "data-topic": topic },
        el("strong", {}, topic), " ", el("span", { class: "muted" },
          t("rate") + " " + fmtPercent(summary.deflection_rate) + " · " + fmtNumber(summary.requests) + " " + t("requests").toLowerCase()),
        dayChart(points, topic));
    });
    const weak = data.weak_answers.length
      ? table([t("answer"), t("notAnswered"), t("notRelated"), t("relatedNotAnswered"), t("answered")],
        data.weak_answers.map((a) => [a.answer_id, fmtNumber(a.not_answered), fmtNumber(a.not_related), fmtNumber(a.related_but_not_answered), fmtNumber(a.answered)]),
        [1, 2, 3, 4])
      : el("p", { class: "muted" }, t("noOutcomes"));
    const topicTable = table([t("topic"), t("requests"), t("answered"), t("chosen"), t("notAnswered"), t("rate")],
      data.per_topic.map((r) => [r.topic, fmtNumber(r.requests), fmtNumber(r.answered), fmtNumber(r.channel_chosen), fmtNumber(r.not_answered), fmtPercent(r.deflection_rate)]),
      [1, 2, 3, 4, 5]);
    return el("section", { id: "view-deflection" },
      el("h1", {}, t("deflection")),
      el("p", {}, t("window") + ": ",
        el("a", { href: "#/deflection?days=7", class: days === 7 ? "active" : null }, t("last7")), " · ",
        el("a", { href: "#/deflection?days=30", class: days === 30 ? "active" : null }, t("last30"))),
      el("div", { class: "row" },
        el("div", {}, el("h2", {}, t("perDay")), legend, el("div", { class: "cards charts" }, charts)),
        el("div", {}, el("h2", {}, t("perTopic")), topicTable, el("h2", {}, t("weakAnswers")), el("div", { id: "weak-answers" }, weak))));
  }

  function describeHours(hours) {
    if (!hours) return t("none");
    const weekly = hours.weekly || {};
    return Object.keys(weekly).map((day) => day + " " + (weekly[day] || []).join(", ")).join("; ") + " (" + (hours.timezone || "?") + ")";
  }

  async function viewSeller(params, sellerId) {
    if (!SELLER_ID.test(sellerId)) throw new Error(t("unknownView"));
    const id = encodeURIComponent(sellerId);
    // Each part on its own: one the caller's role may not read (an admin and the seller's channels) shows why, the rest shows.
    const part = (promise) => promise.then((r) => r.body).catch((e) => (e.status === 404 && !e.gateway ? null : { failed: e }));
    const [settings, answers, history, restriction, requests, conversations, replies] = await Promise.all([
      part(api("GET", "/v1/sellers/" + id + "/channels")),
      part(api("GET", "/v1/answers" + query({ owner: sellerId }))),
      part(api("GET", "/v1/sellers/" + id + "/settings/history" + query({ limit: 20 }))),
      part(api("GET", "/v1/sellers/" + id + "/restriction")),
      part(api("GET", "/v1/ops/requests" + query({ seller_id: sellerId, limit: 10 }))),
      part(api("GET", "/v1/conversations" + query({ seller_id: sellerId }))),
      part(api("GET", "/v1/sellers/" + id + "/replies")),
    ]);
    const failed = (value) => value && value.failed ? errorBox(value.failed) : null;
    const channelRows = settings && !settings.failed
      ? ["chat", "email", "phone"].map((channel) => {
        const c = settings[channel] || {};
        return [channel, c.enabled ? t("enabled") : t("disabled"), c.address || c.number || "", channel === "phone" ? describeHours(c.hours) : ""];
      })
      : [];
    const restrictionBox = el("div", { id: "restriction" });
    const mode = restriction && !restriction.failed && restriction.mode;
    if (restriction && restriction.failed) restrictionBox.append(failed(restriction));
    restrictionBox.append(el("p", {}, mode ? t("mode") + ": " + mode + (restriction.note ? " · " + t("note") + ": " + restriction.note : "") : t("notRestricted")));
    if (isAdmin()) restrictionBox.append(restrictionForm(sellerId, mode));
    const published = ((answers && answers.items) || []).filter((a) => a.status !== "draft");
    return el("section", { id: "view-seller" },
      el("h1", {}, t("seller") + " ", el("code", {}, sellerId)),
      el("div", { class: "row" },
        el("div", {},
          el("h2", {}, t("channels")),
          failed(settings) || (settings ? table([t("channels"), t("status"), "", t("hours")], channelRows) : el("p", { class: "muted" }, t("noSettings"))),
          el("h2", {}, t("restriction")), restrictionBox,
          el("h2", {}, t("replyShare")),
          failed(replies) || el("div", { id: "replies" }, replies && replies.last_30_days.replies
            ? [el("p", {}, fmtPercent(replies.last_7_days.on_time_share) + " (" + fmtNumber(replies.last_7_days.replies) + " " + t("replies") + ") / " +
                fmtPercent(replies.last_30_days.on_time_share) + " (" + fmtNumber(replies.last_30_days.replies) + " " + t("replies") + ")"),
              el("p", {}, t("replyTime") + ": " + (replies.last_30_days.median_reply_hours === null ? t("notMeasured") : "≤ " + replies.last_30_days.median_reply_hours + " h (" + t("medianReply") + ")")),
              el("p", { class: "muted" }, fmtNumber(replies.redactions_30_days) + " " + t("redactions30"))]
            : el("p", { class: "muted" }, t("noReplies")))),
        el("div", {},
          el("h2", {}, t("answers")),
          failed(answers) || (published.length
            ? table([t("title"), t("topic"), t("locale"), t("status")], published.map((a) => [el("span", { class: "answer-title" }, a.title), (a.topics || []).join(", "), a.locale, a.status]))
            : el("p", { class: "muted" }, t("none"))),
          el("h2", {}, t("history")),
          failed(history) || (history && history.items.length
            ? table([t("time"), t("change"), t("changedBy"), t("version")], history.items.map((c) => [
              fmtTime(c.occurred_at),
              c.type === "settings_changed"
                ? [t("enabled") + ": ", tags(c.enabled_channels), " · ", tags(c.changed_channels)]
                : c.type + (c.new_mode !== null || c.old_mode !== null ? ": " + (c.old_mode || t("none")) + " → " + (c.new_mode || t("none")) : "") + (c.note ? " · " + c.note : ""),
              c.changed_by || "–",
              c.old_version !== null && c.new_version !== null ? c.old_version + " → " + c.new_version : "–"]))
            : el("p", { class: "muted" }, t("none"))))),
      el("h2", {}, t("recentRequests")),
      failed(requests) || (requests && requests.items.length
        ? table([t("time"), t("buyer"), t("topic"), t("offered")], requests.items.map((r) => [fmtTime(r.occurred_at), r.buyer_id || "–", r.topic, tags(r.offered)]))
        : el("p", { class: "muted" }, t("noRequests"))),
      el("p", {}, el("a", { href: "#/requests" + query({ seller: sellerId }) }, t("requests") + " →")),
      el("h2", {}, t("conversations")),
      failed(conversations) || (conversations && conversations.conversations.length
        ? el("div", { id: "seller-conversations" }, table([t("status"), t("buyer"), t("topic"), t("time")], conversations.conversations.map((c) => [
          el("a", { href: "#/conversations/" + encodeURIComponent(c.conversation_id) }, c.status), c.buyer_id, c.topic || "–", fmtTime(c.last_message_at)])))
        : el("p", { class: "muted" }, t("none"))));
  }

  function restrictionForm(sellerId, mode) {
    const status = el("span", { role: "status" });
    const modeInput = el("input", { type: "text", value: mode || "support_only", size: 14, "aria-label": t("mode"), id: "restriction-mode" });
    const noteInput = el("input", { type: "text", size: 30, "aria-label": t("note"), id: "restriction-note" });
    const path = "/v1/sellers/" + encodeURIComponent(sellerId) + "/restriction";
    const act = (method, body) => api(method, path, body).then(() => render()).catch((e) => status.replaceChildren(errorBox(e)));
    return el("div", { class: "filters" },
      el("label", {}, t("mode"), modeInput), el("label", {}, t("note"), noteInput),
      on(el("button", { type: "button", id: "restrict" }, t("restrict")), "click", () => act("PUT", { mode: modeInput.value.trim(), note: noteInput.value })),
      mode ? on(el("button", { type: "button", class: "secondary", id: "lift" }, t("lift")), "click", () => act("DELETE")) : null,
      status);
  }

  /** Every conversation escalated (the longest-escalated first) or waiting for the seller (the earliest due first), paged. */
  async function viewConversations(params) {
    const status = params.get("status") === "waiting_seller" ? "waiting_seller" : "escalated";
    const cursor = params.get("cursor") || "";
    const page = (await api("GET", "/v1/conversations" + query({ status, cursor }))).body;
    const escalated = status === "escalated";
    const rows = page.conversations.map((c) => [
      el("a", { href: "#/conversations/" + encodeURIComponent(c.conversation_id) }, c.conversation_id),
      el("a", { href: "#/sellers/" + encodeURIComponent(c.seller_id) }, c.seller_id),
      c.buyer_id, c.topic || "–",
      fmtTime(escalated ? c.escalated_at : c.seller_reply_due_at),
      escalated ? (c.escalated_at ? fmtSince(c.escalated_at) : "–")
        : (c.seller_reply_due_at && new Date(c.seller_reply_due_at).getTime() < Date.now() ? t("pastDue") : "–"),
      fmtTime(c.last_message_at)]);
    return el("section", { id: "view-conversations", "data-status": status },
      el("h1", {}, t("conversations") + ": " + t(escalated ? "conversationsEscalated" : "conversationsWaitingSeller")),
      el("p", { class: "filters" },
        el("a", { href: "#/conversations?status=escalated", class: escalated ? "active" : null }, t("conversationsEscalated")), " · ",
        el("a", { href: "#/conversations?status=waiting_seller", class: escalated ? null : "active" }, t("conversationsWaitingSeller"))),
      el("p", { class: "muted" }, t(escalated ? "escalatedListNote" : "waitingListNote")),
      rows.length
        ? table(["ID", t("seller"), t("buyer"), t("topic"), t(escalated ? "escalatedSince" : "dueAt"), escalated ? t("age") : t("status"), t("lastMessage")], rows)
        : el("p", { class: "muted" }, t("noConversations")),
      el("p", { class: "pager" },
        cursor ? el("a", { href: "#/conversations" + query({ status }) }, "« " + t("first")) : null, " ",
        page.next_cursor ? el("a", { href: "#/conversations" + query({ status, cursor: page.next_cursor }), id: "next" }, t("next") + " »") : null));
  }

  async function viewConversation(params, conversationId) {
    if (!CONVERSATION_ID.test(conversationId)) throw new Error(t("unknownView"));
    const path = "/v1/conversations/" + encodeURIComponent(conversationId);
    const transcriptPage = (await api("GET", path)).body;
    const conversation = transcriptPage.conversation;
    const messages = (transcriptPage.messages || []).slice().sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
    const transcript = el("div", { class: "transcript" }, messages.map((m) => el("div", { class: "message " + (m.author_role || "") },
      el("div", { class: "meta" }, (m.author_role || "?") + " · " + (m.via || "app") + " · " + fmtTime(m.created_at) + (m.topic ? " · " + m.topic : "")),
      el("div", { class: "text" }, markRedactions(String(m.text || ""))),
      (m.redacted || []).length ? el("div", { class: "meta" }, t("redacted") + ": ", tags(m.redacted)) : null)));
    const text = el("textarea", { id: "reply-text", "aria-label": t("reply"), maxlength: 4000, rows: 4 });
    text.style.minHeight = "5rem";
    const status = el("div", { role: "status" });
    const send = on(el("button", { type: "button", id: "send-reply" }, t("send")), "click", async () => {
      send.disabled = true;
      try {
        await api("POST", path + "/messages", { text: text.value }, { "Idempotency-Key": crypto.randomUUID() });
        status.replaceChildren(el("span", { class: "ok" }, t("sent")));
        render();
      } catch (e) {
        status.replaceChildren(errorBox(e));
      } finally {
        send.disabled = false;
      }
    });
    return el("section", { id: "view-conversation" },
      el("h1", {}, t("transcript") + " ", el("code", {}, conversationId)),
      el("p", { class: "muted" }, (conversation.status || "") + " · " + t("buyer") + " " + (conversation.buyer_id || "?") + " · ",
        el("a", { href: "#/sellers/" + encodeURIComponent(conversation.seller_id || "") }, conversation.seller_id || "?")),
      transcript, isAdmin() ? null : [el("h2", {}, t("reply")), text, el("p", {}, send), status]);
  }

  /** The filter's placeholders ([contact removed] / [контакт скрыт]) shown as marks, the rest as text. */
  function markRedactions(text) {
    const parts = text.split(/(\[contact removed\]|\[контакт скрыт\])/);
    return parts.map((part, i) => (i % 2 ? el("mark", { class: "redacted" }, part) : part));
  }

  /** RFC 7396: the merge patch that turns `before` into `after` (arrays are replaced whole). */
  function mergePatch(before, after) {
    if (typeof before !== "object" || typeof after !== "object" || !before || !after || Array.isArray(before) || Array.isArray(after)) {
      return JSON.stringify(before) === JSON.stringify(after) ? undefined : after;
    }
    const patch = {};
    for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
    for (const key of Object.keys(after)) {
      const sub = key in before ? mergePatch(before[key], after[key]) : after[key];
      if (sub !== undefined) patch[key] = sub;
    }
    return Object.keys(patch).length ? patch : undefined;
  }

  async function viewPolicy() {
    const response = await api("GET", "/v1/platform/policy");
    const policy = response.body;
    const documentOnly = { channels: policy.channels, topics: policy.topics, limits: policy.limits };
    const editor = el("textarea", { id: "policy-editor", spellcheck: "false", "aria-label": t("editPolicy") });
    editor.value = JSON.stringify(documentOnly, null, 2);
    const result = el("div", { id: "policy-result", role: "status" });

    function patchOrNull() {
      let edited;
      try { edited = JSON.parse(editor.value); } catch (e) { result.replaceChildren(el("div", { class: "error" }, t("invalidJson"))); return null; }
      const patch = mergePatch(documentOnly, edited);
      if (patch === undefined) { result.replaceChildren(el("p", { class: "muted" }, t("nothingChanged"))); return null; }
      return patch;
    }

    const previewButton = on(el("button", { type: "button", id: "preview" }, t("preview")), "click", async () => {
      const patch = patchOrNull();
      if (!patch) return;
      try {
        const preview = (await api("POST", "/v1/platform/policy/preview", patch, { "Content-Type": "application/merge-patch+json" })).body;
        result.replaceChildren(previewTable(preview));
      } catch (e) {
        result.replaceChildren(errorBox(e));
      }
    });
    const saveButton = on(el("button", { type: "button", class: "secondary", id: "save" }, t("save")), "click", async () => {
      const patch = patchOrNull();
      if (!patch) return;
      try {
        const saved = (await api("PATCH", "/v1/platform/policy", patch, { "Content-Type": "application/merge-patch+json", "If-Match": '"' + policy.version + '"' })).body;
        result.replaceChildren(el("p", { class: "ok", id: "saved" }, t("saved", { version: saved.version })));
      } catch (e) {
        if (e.status === 409 || e.status === 412) {
          const newer = (e.details && (e.details.current_version || (e.details.in_force && e.details.in_force.version))) || "?";
          result.replaceChildren(el("div", { class: "error", id: "conflict" }, t("conflict", { version: newer })));
        } else {
          result.replaceChildren(errorBox(e));
        }
      }
    });
    return el("section", { id: "view-policy" },
      el("h1", {}, t("policyInForce") + " · v" + policy.version),
      el("p", { class: "muted" }, (policy.updated_by || "–") + " · " + fmtTime(policy.updated_at)),
      el("div", { class: "row" },
        el("div", {}, el("h2", {}, t("editPolicy")), editor, el("p", {}, previewButton, " ", saveButton)),
        el("div", {}, el("h2", {}, t("previewTitle")), result)));
  }

  function previewTable(preview) {
    const channels = preview.channels || {};
    return el("div", { id: "preview-result" },
      el("p", {}, fmtNumber(preview.requests_considered) + " " + t("considered") + " · " + fmtNumber(preview.sampled) + " " + t("sampled")),
      table(["", t("buyers") + " " + t("gain"), t("buyers") + " " + t("lose"), t("sellers") + " " + t("gain"), t("sellers") + " " + t("lose")],
        CHANNELS.filter((c) => channels[c]).map((c) => [c, fmtNumber(channels[c].buyers_gain), fmtNumber(channels[c].buyers_lose), fmtNumber(channels[c].sellers_gain), fmtNumber(channels[c].sellers_lose)]),
        [1, 2, 3, 4]));
  }

  /** The oldest message's age from CloudWatch, or why it is not shown (the depth never depends on it). */
  function queueAge(q) {
    if (q.oldest_age_seconds !== null && q.oldest_age_seconds !== undefined) {
      return fmtDuration(q.oldest_age_seconds) + (q.oldest_age_measured_at ? " (" + t("measuredAt") + " " + fmtTime(q.oldest_age_measured_at) + ")" : "");
    }
    return q.oldest_age_missing === "cloudwatch_unavailable" ? t("ageUnavailable") : t("ageNoDatapoint");
  }

  async function viewQueue() {
    const data = (await api("GET", "/v1/ops/queues")).body;
    const depth = (label, q, id) => el("div", { class: "card", id },
      el("div", { class: "label" }, label + " · " + q.name),
      el("div", { class: "figure" }, fmtNumber(q.visible)),
      el("div", { class: "label" }, t("visible") + " · " + fmtNumber(q.in_flight) + " " + t("inFlight") + " · " + fmtNumber(q.delayed) + " " + t("delayed")),
      el("div", { class: q.oldest_age_seconds === null ? "missing" : "label", "data-age": "oldest" }, t("oldest") + ": " + queueAge(q)));
    return el("section", { id: "view-queue" },
      el("h1", {}, t("queue")),
      el("div", { class: "cards" }, depth(t("queueDepth"), data.queue, "queue-main"), depth(t("dlqDepth"), data.dlq, "queue-dlq")),
      el("p", {}, t("queueHelp")),
      el("pre", { id: "queue-commands" }, data.commands.join("\n")));
  }

  // ------------------------------------------------------------------ start

  /** A #token=… fragment: out of the address bar (and the history entry) at once, into sessionStorage. */
  function takeTokenFromFragment() {
    const hash = window.location.hash;
    if (!hash.startsWith("#token=")) return false;
    history.replaceState(null, "", window.location.pathname + window.location.search + "#/");
    signIn(decodeURIComponent(hash.slice("#token=".length)));
    return true;
  }

  function start() {
    if (!takeTokenFromFragment()) {
      state.token = sessionStorage.getItem(TOKEN_KEY);
      state.claims = state.token ? decodeClaims(state.token) : null;
    }
    const stored = localStorage.getItem(LANG_KEY);
    state.lang = stored === "ru" || stored === "en" ? stored : (navigator.language || "en").toLowerCase().startsWith("ru") ? "ru" : "en";
    on(document.getElementById("lang"), "change", (e) => {
      state.lang = e.target.value === "ru" ? "ru" : "en";
      localStorage.setItem(LANG_KEY, state.lang);
      render();
    });
    // A link with another #token= pasted into this tab changes only the fragment: no reload, so it is taken here too.
    window.addEventListener("hashchange", () => { takeTokenFromFragment(); render(); });
    render();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
