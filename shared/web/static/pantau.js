/* Pantau's shared page helpers (docs/frontend.md), one global: window.Pantau.

   Pantau.api(path, {method, body, signIn})  JSON to and from the service. The session cookie
       goes along by itself (HttpOnly: scripts never see it); unsafe methods send the
       X-Pantau-CSRF header the service requires. A 401 sends the browser to the sign-in page
       and back (signIn: false to handle it yourself); other refusals throw Pantau.ApiError.
   Pantau.session()    who is signed in: {role, area, area_name, level, name, expires_at}.
   Pantau.signOut()    ends the session and shows the sign-in page.
   Pantau.t(key, params), Pantau.i18n.add({id: {...}, en: {...}}), Pantau.i18n.apply(root),
   Pantau.i18n.lang, Pantau.i18n.set("en")  texts in Bahasa Indonesia first, English as a choice;
       elements with data-i18n="key" (text), data-i18n-placeholder, data-i18n-aria-label and
       data-i18n-title are filled in, again whenever the language changes ("pantau:lang" event).
   Pantau.fmt.number, percent, rupiah, money, date, dateTime, month  Indonesian formats (Intl,
       id-ID); fmt.country("MY") a country's name in the page's language; fmt.areaName(name)
       an official area name as people write it ("KABUPATEN KUPANG" -> "Kabupaten Kupang").
   Pantau.codes.add(lists), Pantau.codes.label(list, code), Pantau.codes.list(list)  the
       contract's codes said as words in the page's language (codes.js adds every list once:
       Pantau.codes.label("case_category", "unpaid_wages") -> "Gaji tidak dibayar").
   Pantau.bar(session)  fills the page's <header class="p-bar">: who, language, sign-out.
   Pantau.errorText(error)  a refusal said for people, in the page's language.
*/
(function () {
  "use strict";

  const CSRF_HEADER = "X-Pantau-CSRF";
  const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
  const LANG_KEY = "pantau-lang";
  const LANGS = ["id", "en"];

  const messages = {
    id: {
      "app.name": "Pantau",
      "lang.switch": "English",
      "lang.switch.label": "Ganti bahasa ke English",
      "session.sign-out": "Keluar",
      "session.as": "{role} · {area}",
      "error.401": "Sesi Anda sudah berakhir. Silakan masuk lagi.",
      "error.403": "Anda tidak berwenang untuk ini.",
      "error.404": "Tidak ditemukan.",
      "error.409": "Tidak dapat dilakukan pada keadaan ini.",
      "error.422": "Isian belum benar.",
      "error.429": "Terlalu banyak permintaan. Coba lagi dalam {seconds} detik.",
      "error.5xx": "Layanan sedang bermasalah. Coba lagi sebentar lagi.",
      "error.network": "Tidak dapat menghubungi layanan. Periksa sambungan Anda.",
      "error.other": "Layanan menolak permintaan ini.",
      "role.village-officer": "Petugas desa",
      "role.regency-officer": "Petugas kabupaten/kota",
      "role.province-officer": "Petugas provinsi",
      "role.ministry": "Kementerian",
      "role.case-worker": "Pendamping kasus",
      "role.supervisor": "Penyelia",
      "role.monitor": "Pemantau",
      "role.operator": "Operator",
      "level.national": "Nasional",
      "level.province": "Provinsi",
      "level.regency": "Kabupaten/kota",
      "level.district": "Kecamatan",
      "level.village": "Desa/kelurahan",
      "sex.female": "Perempuan",
      "sex.male": "Laki-laki",
    },
    en: {
      "app.name": "Pantau",
      "lang.switch": "Bahasa Indonesia",
      "lang.switch.label": "Switch the language to Bahasa Indonesia",
      "session.sign-out": "Sign out",
      "session.as": "{role} · {area}",
      "error.401": "Your session has ended. Please sign in again.",
      "error.403": "You may not do this.",
      "error.404": "Not found.",
      "error.409": "This cannot be done in the current state.",
      "error.422": "Something entered is not right.",
      "error.429": "Too many requests. Try again in {seconds} seconds.",
      "error.5xx": "The service has a problem. Try again shortly.",
      "error.network": "The service cannot be reached. Check your connection.",
      "error.other": "The service refused this request.",
      "role.village-officer": "Village officer",
      "role.regency-officer": "Regency officer",
      "role.province-officer": "Province officer",
      "role.ministry": "Ministry",
      "role.case-worker": "Case worker",
      "role.supervisor": "Supervisor",
      "role.monitor": "Monitor",
      "role.operator": "Operator",
      "level.national": "National",
      "level.province": "Province",
      "level.regency": "Regency/city",
      "level.district": "District",
      "level.village": "Village",
      "sex.female": "Women",
      "sex.male": "Men",
    },
  };

  function storedLang() {
    try {
      const kept = localStorage.getItem(LANG_KEY);
      return LANGS.includes(kept) ? kept : "id";
    } catch (e) {
      return "id";
    }
  }

  let lang = storedLang();

  /** The text of `key` in the page's language (Bahasa Indonesia when English lacks it),
      with {name} replaced by params.name. */
  function t(key, params) {
    const text = messages[lang][key] ?? messages.id[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      params && params[name] !== undefined ? String(params[name]) : whole);
  }

  const ATTRIBUTES = [["i18nPlaceholder", "placeholder"], ["i18nAriaLabel", "aria-label"],
                      ["i18nTitle", "title"]];

  const known = (key) => key in messages[lang] || key in messages.id;

  /** Put the page's language into every data-i18n* element under root (the whole page by
      default). An element whose key no script has added yet keeps the text it has. */
  function apply(root) {
    const scope = root || document;
    scope.querySelectorAll("[data-i18n]").forEach((el) => {
      if (known(el.dataset.i18n)) el.textContent = t(el.dataset.i18n);
    });
    for (const [data, attribute] of ATTRIBUTES) {
      const selector = `[data-${data.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}]`;
      scope.querySelectorAll(selector).forEach((el) => {
        if (known(el.dataset[data])) el.setAttribute(attribute, t(el.dataset[data]));
      });
    }
    if (!root) document.documentElement.lang = lang;
  }

  const i18n = {
    get lang() { return lang; },
    /** Add a page's own texts: {id: {key: text}, en: {key: text}}. */
    add(more) {
      for (const code of LANGS) Object.assign(messages[code], (more && more[code]) || {});
      if (document.readyState !== "loading") apply();
    },
    apply,
    set(code) {
      if (!LANGS.includes(code)) return;
      lang = code;
      try { localStorage.setItem(LANG_KEY, code); } catch (e) { /* private mode: not kept */ }
      apply();
      document.dispatchEvent(new CustomEvent("pantau:lang", { detail: code }));
    },
  };

  // Numbers are always Indonesian (1.234,5): the same figure reads the same to every official.
  // Dates follow the page's language, day before month in both.
  const NUMBER_LOCALE = "id-ID";
  const dateLocale = () => (lang === "en" ? "en-GB" : "id-ID");

  function asDate(value) {
    if (value instanceof Date) return value;
    // A bare day (2026-03-10) is a calendar day, not a UTC midnight shown in local time.
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(`${value}T00:00:00Z`);
    if (/^\d{4}-\d{2}$/.test(value)) return new Date(`${value}-01T00:00:00Z`);
    return new Date(value);
  }
  const calendarDay = (value) => typeof value === "string" && /^\d{4}-\d{2}(-\d{2})?$/.test(value);

  const fmt = {
    number: (n, options) => new Intl.NumberFormat(NUMBER_LOCALE, options).format(n),
    percent: (ratio, digits = 1) => new Intl.NumberFormat(NUMBER_LOCALE,
      { style: "percent", maximumFractionDigits: digits }).format(ratio),
    rupiah: (amount) => new Intl.NumberFormat(NUMBER_LOCALE,
      { style: "currency", currency: "IDR", maximumFractionDigits: 0 }).format(amount),
    date: (value) => new Intl.DateTimeFormat(dateLocale(), {
      day: "numeric", month: "long", year: "numeric",
      timeZone: calendarDay(value) ? "UTC" : undefined,
    }).format(asDate(value)),
    dateTime: (value) => new Intl.DateTimeFormat(dateLocale(), {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      timeZoneName: "short",
    }).format(asDate(value)),
    month: (value) => new Intl.DateTimeFormat(dateLocale(),
      { month: "short", year: "numeric", timeZone: "UTC" }).format(asDate(value)),
    /** An amount in any currency, Indonesian digits: money(1200, "USD") -> "US$1.200,00". */
    money: (amount, currency) => {
      if (currency === "IDR") return fmt.rupiah(amount);
      try {
        return new Intl.NumberFormat(NUMBER_LOCALE, { style: "currency", currency }).format(amount);
      } catch (e) {
        return `${currency} ${fmt.number(amount)}`; // not an ISO 4217 code the browser knows
      }
    },
    /** A country's name from its ISO 3166 code, in the page's language ("MY" -> "Malaysia"). */
    country: (code) => {
      try {
        return new Intl.DisplayNames([lang], { type: "region", fallback: "code" }).of(code) || code;
      } catch (e) {
        return code;
      }
    },
    /** Province and regency names are upper case in the official list; people write them in
        title case. Names already in mixed case (districts, villages) are kept. */
    areaName: (name) => {
      if (!name || name !== name.toUpperCase()) return name;
      return name.toLowerCase()
        .replace(/(^|[\s(\-\/])(\p{L})/gu, (all, before, letter) => before + letter.toUpperCase())
        .replace(/\b(Dki|Di)\b/g, (word) => word.toUpperCase());
    },
  };

  // The contract's code lists said as words: {list: {code: {id: "…", en: "…"}}}, in the order
  // the lists were added (shared/web/static/codes.js holds every list of the contract).
  const codeLists = {};
  const codes = Object.freeze({
    add(lists) {
      for (const [list, entries] of Object.entries(lists || {})) {
        codeLists[list] = Object.assign(codeLists[list] || {}, entries);
      }
    },
    /** `code` of `list` as words in the page's language; the code itself when unknown. */
    label(list, code) {
      const entry = codeLists[list] && codeLists[list][code];
      if (!entry) return code;
      return entry[lang] ?? entry.id ?? code;
    },
    /** The codes of `list`, in their declared order. */
    list(list) {
      return Object.keys(codeLists[list] || {});
    },
  });

  class ApiError extends Error {
    constructor(status, detail, retryAfter) {
      super(detail || `HTTP ${status}`);
      this.name = "ApiError";
      this.status = status;
      this.detail = detail || "";
      this.retryAfter = retryAfter;
    }
  }

  function detailOf(body) {
    if (!body || body.detail === undefined) return "";
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    return "";
  }

  function signInUrl() {
    const here = location.pathname + location.search;
    return `/sign-in?next=${encodeURIComponent(here)}`;
  }

  /** JSON from the service; see the header comment. */
  async function api(path, options) {
    const { method = "GET", body, headers = {}, signal, signIn = true } = options || {};
    const init = { method, credentials: "same-origin", signal,
                   headers: { Accept: "application/json", ...headers } };
    if (!SAFE.has(method.toUpperCase())) init.headers[CSRF_HEADER] = "1";
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      throw new ApiError(0, t("error.network"));
    }
    if (!response.ok) {
      let parsed = null;
      try { parsed = await response.json(); } catch (e) { /* not JSON */ }
      const error = new ApiError(response.status, detailOf(parsed) || response.statusText,
                                 Number(response.headers.get("Retry-After")) || undefined);
      if (response.status === 401 && signIn) location.assign(signInUrl());
      throw error;
    }
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  /** A refusal said for people: a sentence in the page's language. The service's own detail
      (in English: the field or rule at fault) follows only on the English page, as a sentence
      of its own; a Bahasa page never mixes in English (a page says more in its own words). */
  function errorText(error) {
    if (!(error instanceof ApiError)) return t("error.5xx");
    if (error.status === 0) return t("error.network");
    const status = error.status >= 500 ? "5xx" : String(error.status);
    const key = `error.${status}`;
    const known = t(key, { seconds: error.retryAfter || 60 });
    const sentence = known === key ? t("error.other") : known;
    if (lang !== "en" || !error.detail || status === "5xx") return sentence;
    // A validation error's detail starts with the field ("day: must not be after today …").
    const detail = error.detail.trim().replace(/[.\s]+$/, "");
    return `${sentence} ${detail.charAt(0).toUpperCase()}${detail.slice(1)}.`;
  }

  function session() {
    return api("/auth/session");
  }

  async function signOut() {
    try {
      await api("/auth/session", { method: "DELETE", signIn: false });
    } finally {
      location.assign("/sign-in");
    }
  }

  function element(tag, attributes, text) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) el.setAttribute(name, value);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /** The language switch: a button offering the other language. */
  function languageButton() {
    const button = element("button", { type: "button", class: "p-link", lang: lang === "id" ? "en" : "id",
                                       "data-i18n": "lang.switch",
                                       "data-i18n-aria-label": "lang.switch.label" });
    button.addEventListener("click", () => {
      i18n.set(lang === "id" ? "en" : "id");
      button.lang = lang === "id" ? "en" : "id";
    });
    return button;
  }

  /** Fill the page's header bar's end: who is signed in (when given), language, sign-out. */
  function bar(current) {
    const header = document.querySelector(".p-bar");
    if (!header) return;
    let end = header.querySelector(".p-bar-end");
    if (!end) { end = element("div", { class: "p-bar-end" }); header.append(end); }
    end.replaceChildren();
    if (current) {
      const who = element("span", { class: "p-who", "data-testid": "who" });
      const render = () => {
        who.textContent = t("session.as", { role: t(`role.${current.role}`), area: current.area_name });
        who.title = `${current.name} · ${current.area}`;
      };
      render();
      document.addEventListener("pantau:lang", render);
      end.append(who);
    }
    end.append(languageButton());
    if (current) {
      const out = element("button", { type: "button", class: "p-link", "data-i18n": "session.sign-out",
                                      "data-testid": "sign-out" });
      out.addEventListener("click", signOut);
      end.append(out);
    }
    apply(end);
  }

  window.Pantau = Object.freeze({ api, ApiError, session, signOut, signInUrl, t, i18n, fmt, bar,
                                  errorText, element, codes });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => apply());
  } else {
    apply();
  }
})();
