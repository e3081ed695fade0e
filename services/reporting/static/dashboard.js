/* The reporting dashboard (GET /): an area's figures, women and men side by side, and its child
   areas to drill into. Signed in by the session (Pantau.api sends the cookie; a 401 goes to the
   sign-in page and back); the area shown is in the address (?area=53.71), never a token. */
(function () {
  "use strict";
  const P = window.Pantau;
  const $ = (id) => document.getElementById(id);

  P.i18n.add({
    id: {
      "dashboard.title": "Pelaporan",
      "dashboard.crumbs": "wilayah",
      "dashboard.workers": "Pekerja menurut status",
      "dashboard.children": "Wilayah di bawahnya (klik untuk membuka)",
      "dashboard.cases": "Kasus menurut kategori",
      "dashboard.other": "Biaya dan peringatan",
      "dashboard.status": "status",
      "dashboard.area": "wilayah",
      "dashboard.category": "kategori",
      "dashboard.female": "perempuan",
      "dashboard.male": "laki-laki",
      "dashboard.as-of": "angka per {time} · {records} catatan terbaca",
      "dashboard.no-events": "belum ada peristiwa",
      "dashboard.fees-illegal": "biaya, ilegal",
      "dashboard.fees-warning": "biaya, peringatan",
      "dashboard.past-deadline": "kasus lewat tenggat",
      "dashboard.open-alerts": "peringatan terbuka",
    },
    en: {
      "dashboard.title": "Reporting",
      "dashboard.crumbs": "areas",
      "dashboard.workers": "Workers by status",
      "dashboard.children": "Areas below (click to drill down)",
      "dashboard.cases": "Cases by category",
      "dashboard.other": "Fees and alerts",
      "dashboard.status": "status",
      "dashboard.area": "area",
      "dashboard.category": "category",
      "dashboard.female": "female",
      "dashboard.male": "male",
      "dashboard.as-of": "figures as of {time} · {records} records consumed",
      "dashboard.no-events": "no events yet",
      "dashboard.fees-illegal": "fees, illegal",
      "dashboard.fees-warning": "fees, warning",
      "dashboard.past-deadline": "cases past a deadline",
      "dashboard.open-alerts": "open alerts",
    },
  });

  let session = null;
  let shown = null;

  function ancestors(code) {
    if (code === "ID") return ["ID"];
    const parts = code.split("."), out = ["ID"];
    for (let i = 1; i <= parts.length; i++) out.push(parts.slice(0, i).join("."));
    return out;
  }

  function sexRow(label, f, m, max, attrs) {
    const tr = document.createElement("tr");
    const w = (v) => (max ? Math.max(0, (100 * v) / max) : 0);
    tr.append(P.element("td", {}, label), P.element("td", { class: "n" }, P.fmt.number(f)),
              P.element("td", { class: "n" }, P.fmt.number(m)));
    const cell = P.element("td", { class: "bar-cell" });
    const bar = P.element("div", { class: "bar" });
    const fb = P.element("div", { class: "f" }), mb = P.element("div", { class: "m" });
    // Widths through the DOM: the page's Content-Security-Policy forbids style attributes.
    fb.style.width = `${w(f)}%`;
    mb.style.width = `${w(m)}%`;
    bar.append(fb, mb);
    cell.append(bar);
    tr.append(cell);
    Object.entries(attrs || {}).forEach(([k, v]) => tr.setAttribute(k, v));
    return tr;
  }

  function header(table, first) {
    table.replaceChildren();
    const tr = document.createElement("tr");
    tr.append(P.element("th", {}, P.t(first)), P.element("th", { class: "n" }, P.t("dashboard.female")),
              P.element("th", { class: "n" }, P.t("dashboard.male")), P.element("th", {}));
    table.append(tr);
  }

  function workersOf(totals) {
    let f = 0, m = 0;
    for (const s of Object.values(totals.workers)) { f += s.female; m += s.male; }
    return [f, m];
  }

  function render(s) {
    $("area-name").textContent = `${s.name} (${s.area}, ${s.level})`;
    const w = s.watermark;
    const records = Object.values(w.positions)
      .reduce((a, p) => a + Object.values(p).reduce((x, y) => x + y, 0), 0);
    $("watermark").textContent = P.t("dashboard.as-of", {
      time: w.last_event_time || P.t("dashboard.no-events"), records: P.fmt.number(records),
    });
    const crumbs = $("crumbs");
    crumbs.replaceChildren();
    ancestors(s.area).forEach((c, i) => {
      if (i) crumbs.append(" \u203a ");
      const a = P.element("a", { tabindex: "0" }, c);
      a.addEventListener("click", () => show(c));
      crumbs.append(a);
    });
    const t = s.totals;
    const wk = $("workers");
    header(wk, "dashboard.status");
    const maxW = Math.max(1, ...Object.values(t.workers).map((v) => v.female + v.male));
    for (const [st, v] of Object.entries(t.workers)) wk.append(sexRow(st, v.female, v.male, maxW));
    const ch = $("children");
    header(ch, "dashboard.area");
    const totals = s.children.map((c) => workersOf(c.totals));
    const maxC = Math.max(1, ...totals.map(([f, m]) => f + m));
    s.children.forEach((c, i) => {
      const row = sexRow(`${c.name} (${c.area})`, totals[i][0], totals[i][1], maxC,
                         { class: "child", "data-area": c.area, tabindex: "0" });
      if (c.level !== "village" || s.level !== "village") {
        row.addEventListener("click", () => show(c.area));
        row.addEventListener("keydown", (e) => { if (e.key === "Enter") show(c.area); });
      }
      ch.append(row);
    });
    const cs = $("cases");
    header(cs, "dashboard.category");
    const cats = Object.entries(t.cases.by_category).filter(([, v]) => v.female + v.male > 0);
    const maxK = Math.max(1, ...cats.map(([, v]) => v.female + v.male));
    for (const [cat, v] of cats) cs.append(sexRow(cat, v.female, v.male, maxK));
    const other = $("other");
    other.replaceChildren();
    const sev = Object.entries(t.alerts_open).map(([k, v]) => `${k} ${P.fmt.number(v)}`).join(", ");
    for (const [key, value] of [
      ["dashboard.fees-illegal", P.fmt.number(t.fees.illegal.count)],
      ["dashboard.fees-warning", P.fmt.number(t.fees.warning.count)],
      ["dashboard.past-deadline", P.fmt.number(t.cases_past_deadline)],
      ["dashboard.open-alerts", sev],
    ]) {
      const tr = document.createElement("tr");
      tr.append(P.element("td", {}, P.t(key)), P.element("td", { class: "n" }, value));
      other.append(tr);
    }
  }

  async function show(code) {
    $("error").textContent = "";
    try {
      shown = await P.api(`/v1/areas/${encodeURIComponent(code)}/summary`);
    } catch (error) {
      $("error").textContent = P.errorText(error);
      return;
    }
    render(shown);
    history.replaceState(null, "", `?area=${encodeURIComponent(shown.area)}`);
  }

  async function start() {
    try {
      session = await P.session();
    } catch (error) {
      if (error.status !== 401) $("error").textContent = P.errorText(error);
      return; // 401: on the way to the sign-in page
    }
    P.bar(session);
    document.addEventListener("pantau:lang", () => { if (shown) render(shown); });
    show(new URLSearchParams(location.search).get("area") || session.area);
  }

  start();
})();
