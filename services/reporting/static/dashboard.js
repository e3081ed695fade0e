/* The officials' dashboard (GET /): an area's figures, women and men side by side, what each
   means, its child areas to sort and drill into, its monthly trends, the figures as they were
   on a past day, and downloads (CSV, print). Signed in by the session (Pantau.api sends the
   cookie; a 401 goes to the sign-in page and back). The address holds only what is shown
   (?area=53.71&as_of=2026-01-31&period=24&series=departed), never a token. */
(function () {
  "use strict";
  const P = window.Pantau;
  const D = window.PantauDashboard;
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const SEXES = ["female", "male"];
  // The topics the figures come from (the watermark tells, per topic, whether any was read).
  const WORKERS = "registry.worker.v1";
  const CASES = "cases.case.v1";
  const ALERTS = "alerts.alert.v1";

  const state = {
    session: null,
    place: null,     // GET /v1/areas/{code}: the area and the areas it lies in
    summary: null,   // its summary (or as of a day)
    asOf: null,
    future: null,    // a day in the address that has not come yet (the current figures shown)
    live: null,      // the live watermark: which topics have given this node any event
    months: null,    // the monthly series, from the regency up
    sort: { column: null, descending: false },
    showEmpty: false,
    trend: { period: null, series: null, from: null, to: null },
    refusal: null,
  };
  let loading = 0; // the latest load; answers of earlier ones are dropped

  /* ---- areas and names ---- */

  const within = (code, area) => area === "ID" || code === area || code.startsWith(`${area}.`);
  const allowed = (code) => within(code, state.session.area);
  const isPseudo = (code) => code !== "ID" && /^(00|0000)$/.test(code.split(".").pop());

  /** An area's name for people: title case, and the "(not attributed below …)" areas said in
      the page's language. */
  function nameOf(ref) {
    const unattributed = /^\(not attributed below (.*)\)$/.exec(ref.name);
    if (isPseudo(ref.area) && unattributed) {
      return P.t("dash.unattributed", { name: P.fmt.areaName(unattributed[1]) });
    }
    return P.fmt.areaName(ref.name);
  }

  /** The address of the page showing `code` (keeping the day and the trend's choices). */
  function href(code, extra) {
    const params = new URLSearchParams({ area: code });
    const keep = { as_of: state.asOf, period: state.trend.period, series: state.trend.series,
                   from: state.trend.from, to: state.trend.to, ...(extra || {}) };
    for (const [k, v] of Object.entries(keep)) if (v) params.set(k, v);
    return `?${params}`;
  }

  /** Which topics this node has read at least one event of (the live watermark). */
  function sources() {
    const positions = (state.live && state.live.positions) || {};
    return new Set(Object.entries(positions)
      .filter(([, parts]) => Object.values(parts).some((offset) => offset > 0))
      .map(([topic]) => topic));
  }

  /* ---- rendering ---- */

  function renderHead() {
    const crumbs = $("crumbs");
    crumbs.replaceChildren();
    const list = P.element("ol");
    const path = [...state.place.within, state.place];
    path.forEach((ref, i) => {
      const item = P.element("li");
      if (i === path.length - 1) {
        item.append(P.element("span", { "aria-current": "page" }, nameOf(ref)));
      } else if (allowed(ref.area)) {
        item.append(P.element("a", { href: href(ref.area), "data-nav": "1", "data-area": ref.area },
                              nameOf(ref)));
      } else {
        item.append(P.element("span", { class: "d-outside" }, nameOf(ref)));
      }
      list.append(item);
    });
    crumbs.append(list);
    const s = state.summary;
    $("area-name").textContent = nameOf(s);
    // A "(not attributed below …)" row is no area of its level: its badge says what it is.
    const level = isPseudo(s.area) ? P.t("dash.level.unattributed") : P.t(`level.${s.level}`);
    $("area-level").textContent = `${level} · ${s.area}`;
    $("unattributed-note").hidden = !isPseudo(s.area);
    if (isPseudo(s.area)) {
      const above = state.place.within.filter((r) => !isPseudo(r.area)).pop();
      $("unattributed-text").textContent = P.t("dash.unattributed.note",
        { name: above ? nameOf(above) : P.fmt.areaName("Indonesia") });
    }
    document.title = `Pantau — ${nameOf(s)}`;
    const w = state.live;
    $("watermark").hidden = Boolean(state.asOf); // the banner says which figures these are
    $("watermark").textContent = w && w.last_event_time
      ? P.t("dash.watermark", { time: P.fmt.dateTime(w.last_event_time),
                                events: P.fmt.number(w.events_applied || 0) })
      : P.t("dash.watermark.none");
    const banner = $("as-of-banner");
    banner.hidden = !state.asOf;
    if (state.asOf) {
      $("as-of-text").textContent = P.t("dash.as-of.banner", { date: P.fmt.date(state.asOf) });
      $("as-of-leave").setAttribute("href", href(s.area, { as_of: null }));
    }
    $("as-of").value = state.asOf || "";
    $("as-of").lang = P.i18n.lang === "en" ? "en-GB" : "id";
    hintDay();
    $("csv").setAttribute("href", `/v1/areas/${enc(s.area)}/export.csv${state.asOf ? `?as_of=${state.asOf}` : ""}`);
    $("csv").setAttribute("download", `pantau-${s.area}${state.asOf ? `-${state.asOf}` : ""}.csv`);
  }

  /** Under the day's field: its format, or the day chosen in words (a browser may show the
      field in another order, month first). */
  function hintDay() {
    const day = $("as-of").value;
    $("as-of-hint").textContent = /^\d{4}-\d{2}-\d{2}$/.test(day)
      ? P.t("dash.as-of.chosen", { date: P.fmt.date(day) }) : P.t("dash.as-of.hint");
  }

  /** True when no figure of the answer is other than 0: nothing recorded by that day. */
  function nothingRecorded(totals) {
    const values = (node) => (typeof node === "number" ? [node]
      : node && typeof node === "object" ? Object.values(node).flatMap(values) : []);
    return values(totals).every((v) => v === 0);
  }

  function definition(name) {
    const details = P.element("details", { class: "d-def" });
    details.append(P.element("summary", {}, P.t("dash.what")));
    details.append(P.element("p", {}, P.t(`def.${name}.text`)));
    details.append(P.element("p", { class: "d-src" }, `${P.t("dash.source")} ${P.t(`def.${name}.source`)}`));
    return details;
  }

  function noSourceNote(topic) {
    return P.element("p", { class: "p-note d-nosrc-note", "data-no-source": topic },
                     P.t("dash.no-source", { what: P.t(`dash.source.${topic}`) }));
  }

  /** A headline tile: women and men side by side (or one figure), a line more, a definition.
      `sexes`: [sex, value, name, derived, format]; `total`: what the line more starts with,
      when it is not their sum (a share of both sexes). */
  function tile({ key, def, topic, sexes, single, sub, total }) {
    const box = P.element("article", { class: `d-tile${total === undefined ? "" : " d-tile-share"}`,
                                       "data-tile": key });
    box.append(P.element("h2", { class: "d-tile-title" }, P.t(`dash.tile.${key}`)));
    if (!sources().has(topic)) {
      box.classList.add("d-tile-nosrc");
      box.append(P.element("p", { class: "d-tile-none", "data-no-source": topic },
                           P.t("dash.no-source.short")));
      box.append(P.element("p", { class: "p-note d-nosrc-note" },
                           P.t("dash.no-source.tile", { what: P.t(`dash.source.${topic}`) })));
    } else if (sexes) {
      const row = P.element("div", { class: "d-tile-figures" });
      for (const [sex, value, name, derived, format] of sexes) {
        const part = P.element("div", { class: `d-tile-sex p-${sex}` });
        const big = D.figure(value, name, { tag: "strong", derived, format });
        part.append(big, P.element("span", {}, P.t(`sex.${sex}`)));
        row.append(part);
      }
      box.append(row);
      const all = total === undefined ? P.fmt.number(sexes[0][1] + sexes[1][1]) : total;
      box.append(P.element("p", { class: "d-tile-sub" }, `${P.t("dash.total")} ${all} · ${sub}`));
    } else {
      const [value, name, derived, format] = single;
      const row = P.element("div", { class: "d-tile-figures" });
      const big = D.figure(value, name, { tag: "strong", derived, format });
      if (format === P.fmt.rupiah) {
        // "Rp" and the number may part between them on a phone, never inside the number.
        big.classList.add("d-money");
        const [unit, ...rest] = big.textContent.split(/\s+/);
        if (rest.length) {
          big.replaceChildren(P.element("span", {}, unit), " ",
                              P.element("span", { class: "d-nowrap" }, rest.join(" ")));
        }
      }
      row.append(big);
      box.append(row, P.element("p", { class: "d-tile-sub" }, sub));
    }
    box.append(definition(def));
    return box;
  }

  function renderHeadline() {
    const t = state.summary.totals;
    const g = (path) => D.get(t, path);
    const n = (value) => P.fmt.number(value);
    const both = (path) => g(`${path}.female`) + g(`${path}.male`);
    // [sex, value, name, derived] of a leaf split by sex, or of a sum of leaves (D.DERIVED).
    const leaf = (path) => SEXES.map((sex) => [sex, g(`${path}.${sex}`), `${path}.${sex}`, false]);
    const summed = (name) => SEXES.map((sex) => [sex, D.DERIVED[`${name}.${sex}`](t), `${name}.${sex}`, true]);
    const notBySex = P.t("dash.not-by-sex");
    $("headline").replaceChildren(
      tile({ key: "registered", def: "registered", topic: WORKERS, sexes: summed("registered"),
             sub: P.t("dash.tile.registered.sub", { n: n(both("workers.registered")) }) }),
      tile({ key: "departed", def: "departed", topic: WORKERS, sexes: leaf("workers.departed"),
             sub: P.t("dash.tile.departed.sub", { n: n(both("workers.returned")) }) }),
      tile({ key: "non-procedural", def: "non-procedural", topic: WORKERS, sexes: summed("non_procedural"),
             sub: P.t("dash.tile.non-procedural.sub", { n: n(D.DERIVED.non_procedural_abroad(t)) }) }),
      tile({ key: "illegal-fees", def: "illegal-fee", topic: WORKERS,
             single: [g("fees.illegal.amount.IDR"), "fees.illegal.amount.IDR", false, P.fmt.rupiah],
             sub: `${P.t("dash.tile.illegal-fees.sub", { n: n(g("fees.illegal.count")) })} · ${notBySex}` }),
      tile({ key: "open-cases", def: "cases", topic: CASES, sexes: leaf("cases.open"),
             sub: P.t("dash.tile.open-cases.sub", { n: n(g("cases_past_deadline")) }) }),
      tile({ key: "open-alerts", def: "open-alerts", topic: ALERTS,
             single: [D.DERIVED.alerts_open(t), "alerts_open", true],
             sub: `${P.t("dash.tile.open-alerts.sub", { n: n(g("alerts_open.critical")) })} · ${notBySex}` }),
      shareTile(t, "prepared", "departures", "prepared", "departures_prepared_share"),
      shareTile(t, "reintegrated", "returns", "reintegrated", "returns_reintegrated_share"),
      tile({ key: "parenting", def: "community-parenting", topic: WORKERS,
             sexes: leaf("children_in_community_parenting"), sub: P.t("dash.tile.parenting.sub") }),
    );
  }

  /** A tile of a share (departures prepared, returns followed by reintegration): women's and
      men's, and both together, worked out from the counts under `base`. */
  function shareTile(t, key, base, done, name) {
    const g = (path) => D.get(t, path);
    const both = (leaf) => g(`${base}.${leaf}.female`) + g(`${base}.${leaf}.male`);
    return tile({
      key, def: key, topic: WORKERS,
      sexes: SEXES.map((sex) => [sex, D.DERIVED[`${name}.${sex}`](t), `${name}.${sex}`, true, D.percent]),
      total: D.percent(D.DERIVED[name](t)),
      sub: P.t(`dash.tile.${key}.sub`, { n: P.fmt.number(both(done)), m: P.fmt.number(both("all")) }),
    });
  }

  function renderChildren() {
    const s = state.summary;
    const card = $("children-card");
    // A "(not attributed …)" row has only such rows below it: nothing to drill into.
    card.hidden = s.level === "village" || !s.children.length || isPseudo(s.area);
    $("jump-children").hidden = card.hidden;
    if (card.hidden) return;
    $("children-title").textContent = P.t("dash.children.title", { name: nameOf(s) });
    const result = D.childrenTable($("children"), s, {
      sort: state.sort, showEmpty: state.showEmpty, sources: sources(),
      href: (code) => href(code), name: nameOf, plain: isPseudo,
      plainHint: P.t("dash.children.unattributed"),
      onSort: (column) => {
        const same = state.sort.column === column;
        const descending = same ? !state.sort.descending : column !== "name";
        state.sort = { column, descending };
        renderChildren();
        document.querySelector(`#children [data-sort="${column}"]`)?.focus();
      },
    });
    const toggle = $("children-all");
    toggle.hidden = !result.empties || result.empties === s.children.length;
    toggle.textContent = state.showEmpty ? P.t("dash.children.hide-empty")
      : P.t("dash.children.show-all", { n: P.fmt.number(result.empties) });
    scrollHint();
  }

  /** Say so when the areas' table is wider than its card (it scrolls sideways). */
  function scrollHint() {
    const box = $("children-box");
    $("children-scroll").hidden = $("children-card").hidden || box.scrollWidth <= box.clientWidth + 1;
  }

  /** A detail card: its title, then what `build` makes, or a note when its topic has no source. */
  function card(id, title, def, build) {
    const box = $(id);
    box.replaceChildren(P.element("h2", {}, P.t(title)));
    if (!sources().has(box.dataset.topic)) {
      box.append(noSourceNote(box.dataset.topic));
      return;
    }
    for (const part of [].concat(build())) box.append(part);
    if (def) {
      const more = P.element("p", { class: "p-hint p-noprint" });
      more.append(P.element("a", { href: `#def-${def}` }, P.t("dash.what")));
      box.append(more);
    }
  }

  const scroll = (table) => {
    const box = P.element("div", { class: "p-scroll" });
    box.append(table);
    return box;
  };
  const subtitle = (key) => P.element("h3", {}, P.t(key));

  /** Rows of the keys under `base`, said as words of a code list: in the list's order, then
      any code the list lacks (shown as it is). */
  function rowsOf(list, tree, base) {
    const present = D.keysOf(tree, base);
    const codes = [...new Set([...P.codes.list(list), ...present])].filter((c) => present.includes(c));
    return codes.map((c) => ({ label: P.codes.label(list, c), path: `${base}.${c}` }));
  }
  const bySize = (t) => (a, b) => (D.get(t, `${b.path}.female`) + D.get(t, `${b.path}.male`))
    - (D.get(t, `${a.path}.female`) + D.get(t, `${a.path}.male`));

  function renderDetails() {
    const t = state.summary.totals;
    card("workers-card", "dash.card.workers", "registered", () => [
      scroll(D.sexTable(t, rowsOf("worker_status", t, "workers"), { head: P.t("dash.col.status") })),
      subtitle("dash.card.workers.non-procedural"),
      scroll(D.sexTable(t, rowsOf("worker_status", t, "workers_non_procedural"),
                        { head: P.t("dash.col.status") })),
    ]);
    card("occupation-card", "dash.card.occupation", "abroad", () => scroll(D.sexTable(t,
      rowsOf("occupation", t, "workers_abroad_by_occupation").sort(bySize(t)),
      { head: P.t("dash.col.occupation"), hideZero: true, empty: P.t("dash.empty.abroad") })));
    const countries = D.keysOf(t, "workers_abroad_by_destination")
      .map((c) => ({ label: c === "-" ? "—" : P.fmt.country(c), path: `workers_abroad_by_destination.${c}` }))
      .sort(bySize(t));
    card("destination-card", "dash.card.destination", "abroad", () => scroll(D.sexTable(t, countries,
      { head: P.t("dash.col.country"), hideZero: true, empty: P.t("dash.empty.abroad") })));
    card("fees-card", "dash.card.fees", "illegal-fee", () => scroll(D.feeTable(t,
      rowsOf("legality", t, "fees"), { head: P.t("dash.col.legality") })));
    const components = rowsOf("fee_component", t, "fees_by_component")
      .sort((a, b) => D.get(t, `${b.path}.count`) - D.get(t, `${a.path}.count`));
    card("components-card", "dash.card.components", "illegal-fee", () => scroll(D.feeTable(t, components,
      { head: P.t("dash.col.component"), hideZero: true, empty: P.t("dash.empty.fees") })));
    card("cases-card", "dash.card.cases", "cases", () => {
      const late = P.element("p", { class: "d-line" }, `${P.t("dash.card.cases.past-deadline")} `);
      late.append(D.figure(D.get(t, "cases_past_deadline"), "cases_past_deadline", { tag: "strong" }));
      return [
        scroll(D.sexTable(t, [{ label: P.t("dash.card.cases.open"), path: "cases.open" }],
                          { head: P.t("dash.col.cases") })),
        late,
        subtitle("dash.card.cases.by-category"),
        scroll(D.sexTable(t, rowsOf("case_category", t, "cases.by_category").sort(bySize(t)),
                          { head: P.t("dash.col.category"), hideZero: true, empty: P.t("dash.empty.cases") })),
      ];
    });
    card("gbv-card", "dash.card.gbv", "cases", () => scroll(D.sexTable(t,
      rowsOf("gbv_type", t, "cases.by_gbv_type"),
      { head: P.t("dash.col.gbv"), hideZero: true, empty: P.t("dash.empty.gbv") })));
    card("levels-card", "dash.card.levels", "cases", () => [
      scroll(D.sexTable(t, rowsOf("level", t, "cases.by_level"), { head: P.t("dash.col.level") })),
      subtitle("dash.card.statuses"),
      scroll(D.sexTable(t, rowsOf("case_status", t, "cases.by_status"), { head: P.t("dash.col.stage") })),
    ]);
    const severities = ["critical", "warning", "info"].filter((s) => D.keysOf(t, "alerts_open").includes(s))
      .map((s) => ({ label: P.codes.label("severity", s), path: `alerts_open.${s}`, barClass: `s-${s}` }));
    const rules = D.keysOf(t, "alerts_open_by_rule")
      .map((r) => ({ label: P.codes.label("alert_rule", r), path: `alerts_open_by_rule.${r}` }))
      .sort((a, b) => D.get(t, b.path) - D.get(t, a.path));
    card("alerts-card", "dash.card.alerts", "open-alerts", () => [
      scroll(D.countTable(t, severities, { head: P.t("dash.col.severity") })),
      subtitle("dash.card.alert-rules"),
      scroll(D.countTable(t, rules, { head: P.t("dash.col.rule"), hideZero: true,
                                      empty: P.t("dash.empty.alerts") })),
    ]);
    card("agencies-card", "dash.card.agencies", "agencies", () => scroll(D.countTable(t,
      rowsOf("agency_status", t, "agencies"),
      { head: P.t("dash.col.agency-status") })));
    renderServices(t);
  }

  /** A line saying a share: "Bagian …: 64,3 % (P 70 %, L 50 %)". */
  function shareLine(t, label, name) {
    const line = P.element("p", { class: "d-line" }, `${P.t(label)} `);
    line.append(D.figure(D.DERIVED[name](t), name, { tag: "strong", derived: true, format: D.percent }));
    SEXES.forEach((sex, i) => {
      line.append(i ? ", " : " (", `${P.t(`dash.col.${sex}.short`)} `);
      line.append(D.figure(D.DERIVED[`${name}.${sex}`](t), `${name}.${sex}`,
                           { tag: "span", derived: true, format: D.percent }));
    });
    line.append(")");
    return line;
  }

  /** Rows of the kinds of service in `kinds` (codes), at `base.<kind>` + `tail`. */
  function kindRows(kinds, base, tail) {
    return kinds.map((k) => ({ label: P.codes.label("service_kind", k), path: `${base}.${k}${tail || ""}` }));
  }

  /** A card of departures (returns) and how many were prepared (followed by reintegration):
      the share, the counts, and the counts by kind of service. */
  function programmeCard(t, key, base, done, head) {
    const kinds = P.codes.list("service_kind").filter((k) => D.keysOf(t, `${base}.${done}_by`).includes(k));
    card(`${key}-card`, `dash.card.${key}`, key, () => [
      shareLine(t, `dash.card.${key}.share`, `${base}_${done}_share`),
      scroll(D.sexTable(t, [{ label: P.t(`dash.card.${key}.all`), path: `${base}.all` },
                            { label: P.t(`dash.card.${key}.done`), path: `${base}.${done}` }],
                        { head: P.t(head) })),
      subtitle(`dash.card.${key}.by-kind`),
      scroll(D.sexTable(t, kindRows(kinds, `${base}.${done}_by`), { head: P.t("dash.col.service") })),
    ]);
  }

  function renderServices(t) {
    const kinds = P.codes.list("service_kind");
    programmeCard(t, "prepared", "departures", "prepared", "dash.col.departures");
    programmeCard(t, "reintegrated", "returns", "reintegrated", "dash.col.returns");
    card("services-card", "dash.card.services", "services", () => [
      subtitle("dash.card.services.worker"),
      scroll(D.sexTable(t, kindRows(kinds, "services", ".worker").sort(bySize(t)),
                        { head: P.t("dash.col.service"), hideZero: true, empty: P.t("dash.empty.services") })),
      subtitle("dash.card.services.family"),
      scroll(D.sexTable(t, kindRows(kinds, "services", ".family").sort(bySize(t)),
                        { head: P.t("dash.col.service"), hideZero: true,
                          empty: P.t("dash.empty.services.family") })),
      subtitle("dash.card.services.provider"),
      scroll(D.sexTable(t, rowsOf("service_provider", t, "services_by_provider"),
                        { head: P.t("dash.col.provider"), hideZero: true, empty: P.t("dash.empty.services") })),
    ]);
    card("people-card", "dash.card.people", "services", () => [
      scroll(D.sexTable(t, kindRows(kinds, "people_served").sort(bySize(t)),
                        { head: P.t("dash.col.service"), hideZero: true, empty: P.t("dash.empty.services") })),
      subtitle("dash.card.people.children"),
      scroll(D.sexTable(t, [{ label: P.codes.label("service_kind", "community_parenting"),
                              path: "children_in_community_parenting" }],
                        { head: P.t("dash.col.children") })),
    ]);
  }

  function renderGlossary() {
    const list = $("glossary");
    list.replaceChildren();
    for (const name of D.DEFINITIONS) {
      list.append(P.element("dt", { id: `def-${name}` }, P.t(`def.${name}.term`)));
      const dd = P.element("dd");
      dd.append(P.element("p", {}, P.t(`def.${name}.text`)),
                P.element("p", { class: "d-src" }, `${P.t("dash.source")} ${P.t(`def.${name}.source`)}`));
      list.append(dd);
    }
  }

  function renderTrends() {
    const s = state.summary;
    const regency = s.area.split(".").slice(0, 2).join(".");
    const above = [...state.place.within, state.place].find((r) => r.area === regency);
    D.trends.render($("trends-body"), {
      summary: s, months: state.months, sources: sources(), trend: state.trend,
      regency: above && above.level === "regency" && allowed(regency)
        ? { href: `${href(regency)}#trends`, name: nameOf(above) } : null,
      onChange: (trend) => {
        state.trend = trend;
        history.replaceState(null, "", href(s.area));
        renderTrends();
      },
    });
  }

  function render() {
    if (state.refusal) { renderRefusal(); return; }
    if (!state.summary) return;
    $("refused").hidden = true;
    const empty = Boolean(state.asOf) && nothingRecorded(state.summary.totals);
    $("as-of-empty").hidden = !empty;
    $("overview").hidden = empty;
    $("tools").hidden = false;
    $("jump").hidden = empty;
    renderHead();
    if (state.future) {
      $("error").textContent = P.t("dash.as-of.future", {
        today: P.fmt.date(todayUTC()), date: P.fmt.date(state.future) });
    }
    if (empty) {
      $("as-of-empty-text").textContent = P.t("dash.as-of.empty",
        { date: P.fmt.date(state.asOf), name: nameOf(state.summary) });
      return;
    }
    renderHeadline();
    renderChildren();
    renderTrends();
    renderDetails();
    renderGlossary();
  }

  function renderRefusal() {
    const { status, code, error, place } = state.refusal;
    $("overview").hidden = true;
    $("tools").hidden = $("jump").hidden = true;
    $("crumbs").replaceChildren();
    $("area-name").textContent = "";
    $("area-level").textContent = "";
    $("watermark").textContent = "";
    $("as-of-banner").hidden = true;
    $("as-of-empty").hidden = true;
    $("unattributed-note").hidden = true;
    const box = $("refused");
    box.hidden = false;
    const mine = state.session;
    const home = P.fmt.areaName(mine.area_name);
    $("refused-title").textContent = P.t(status === 403 ? "dash.refused.title" : "dash.missing.title");
    $("refused-text").textContent = P.t(status === 403 ? "dash.refused.text" : "dash.missing.text", {
      role: P.t(`role.${mine.role}`), area: home, code: place ? `${nameOf(place)} (${code})` : code,
    });
    // The page's own words say it; the service's (English) reason only on the English page.
    $("refused-detail").textContent = P.i18n.lang === "en" ? P.errorText(error) : "";
    $("refused-detail").hidden = P.i18n.lang !== "en";
    const link = $("refused-home");
    link.textContent = P.t("dash.refused.home", { area: home });
    link.setAttribute("href", `?area=${enc(mine.area)}`);
    link.dataset.nav = "1";
    document.title = `Pantau — ${P.t(status === 403 ? "dash.refused.title" : "dash.missing.title")}`;
  }

  /* ---- loading ---- */

  /** Today in UTC (the day the service's as-of figures end on). */
  const todayUTC = () => new Date().toISOString().slice(0, 10);

  function readAddress() {
    const params = new URLSearchParams(location.search);
    const day = params.get("as_of");
    state.asOf = day && /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : null;
    // A day that has not come yet (the service refuses it): the current figures, and a word.
    state.future = state.asOf && state.asOf > todayUTC() ? state.asOf : null;
    if (state.future) state.asOf = null;
    const month = (v) => (v && /^\d{4}-\d{2}$/.test(v) ? v : null);
    state.trend = { period: params.get("period"), series: params.get("series"),
                    from: month(params.get("from")), to: month(params.get("to")) };
    return params.get("area") || state.session.area;
  }

  async function load() {
    const mine = ++loading;
    const code = readAddress();
    let place = null;
    $("error").textContent = "";
    $("watermark").hidden = false;
    $("watermark").textContent = P.t(state.asOf ? "dash.rebuilding" : "dash.loading");
    document.querySelector("main").setAttribute("aria-busy", "true");
    try {
      place = await P.api(`/v1/areas/${enc(code)}`);
      const level = place.level;
      const [summary, live, months] = await Promise.all([
        P.api(state.asOf ? `/v1/areas/${enc(code)}/summary/as-of/${state.asOf}`
                         : `/v1/areas/${enc(code)}/summary`),
        state.asOf ? P.api("/v1/watermark") : null,
        // (Outside one's jurisdiction the summary alone says why: no other request is made.)
        D.trends.LEVELS_KEPT.has(level) && allowed(code)
          ? P.api(`/v1/areas/${enc(code)}/series`).then((s) => s.months) : null,
      ]);
      if (mine !== loading) return;
      Object.assign(state, { place, summary, live: live || summary.watermark, months, refusal: null });
      render();
    } catch (error) {
      if (mine !== loading || error.status === 401) return; // on the way to the sign-in page
      if (error.status === 403 || error.status === 404) {
        state.refusal = { status: error.status, code, error, place };
        state.summary = null;
        renderRefusal();
      } else {
        $("error").textContent = P.errorText(error);
        if (state.summary) renderHead(); else $("watermark").textContent = "";
      }
    } finally {
      if (mine === loading) document.querySelector("main").removeAttribute("aria-busy");
    }
  }

  function navigate(url) {
    history.pushState(null, "", url);
    state.showEmpty = false;
    state.sort = { column: null, descending: false };
    load().then(() => {
      const hash = new URL(url, location.href).hash;
      if (hash) document.querySelector(hash)?.scrollIntoView(); else window.scrollTo(0, 0);
    });
  }

  function wire() {
    // Links within the page (drill down, breadcrumbs, back to one's area) load in place.
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-nav]");
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(link.getAttribute("href"));
    });
    window.addEventListener("popstate", () => load());
    $("as-of-leave").dataset.nav = "1";
    $("as-of").max = todayUTC(); // no day that has not come yet
    $("as-of").addEventListener("input", hintDay);
    window.addEventListener("resize", scrollHint);
    $("as-of-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const day = $("as-of").value;
      const code = state.summary ? state.summary.area : readAddress();
      navigate(href(code, { as_of: day || null }));
    });
    $("print").addEventListener("click", () => window.print());
    $("refresh").addEventListener("click", () => load());
    $("children-all").addEventListener("click", () => { state.showEmpty = !state.showEmpty; renderChildren(); });
    let opened = [];
    window.addEventListener("beforeprint", () => {
      // The printed report carries the data tables and who printed it when.
      opened = [...document.querySelectorAll("details.d-table-details:not([open])")];
      opened.forEach((d) => { d.open = true; });
      $("printed").textContent = P.t("dash.printed", { time: P.fmt.dateTime(new Date()),
        who: `${state.session.name} (${P.t(`role.${state.session.role}`)})` });
    });
    window.addEventListener("afterprint", () => { opened.forEach((d) => { d.open = false; }); opened = []; });
    document.addEventListener("pantau:lang", render);
  }

  async function start() {
    try {
      state.session = await P.session();
    } catch (error) {
      if (error.status !== 401) $("error").textContent = P.errorText(error);
      return; // 401: on the way to the sign-in page
    }
    P.bar(state.session);
    // On a phone the figures come first: the tools fold away behind their summary.
    if (window.matchMedia("(max-width: 600px)").matches) $("tools").open = false;
    wire();
    await load();
  }

  start();
})();
