/* The dashboard's tables: figures of one area split by sex, counts and amounts, and the child
   areas as sortable rows to drill into. Every figure cell carries what it shows for machines
   too: data-figure="workers.registered.female" (a leaf of the summary, the CSV's `figure`
   column) or data-derived="registered.female" (a sum of leaves, see DERIVED), and data-value. */
(function () {
  "use strict";
  const P = window.Pantau;
  const D = (window.PantauDashboard = window.PantauDashboard || {});

  /** The part of a totals tree at a dotted path ("workers.registered"), or undefined. */
  const at = (tree, path) =>
    path.split(".").reduce((node, part) => (node && typeof node === "object" ? node[part] : undefined), tree);
  /** The number at a dotted path; 0 when absent (objects keyed by the data leave zeros out). */
  const get = (tree, path) => (typeof at(tree, path) === "number" ? at(tree, path) : 0);
  /** The keys of the object at a dotted path (statuses, countries, currencies…). */
  const keysOf = (tree, path) => {
    const node = at(tree, path);
    return node && typeof node === "object" ? Object.keys(node) : [];
  };
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  /** The sum over the keys under `base`, of each one's `sex` when given. */
  const sumOver = (t, base, sex) =>
    sum(keysOf(t, base).map((k) => get(t, sex ? `${base}.${k}.${sex}` : `${base}.${k}`)));

  /** numerator / denominator, or null when there is nothing to divide (no departure: no
      share, which is not 0 %). */
  const ratio = (n, d) => (d > 0 ? n / d : null);
  /** The share `done` of `all` under `base` (departures.prepared of departures.all), of one
      sex or of both: counts add up level by level, shares are worked out here. */
  const share = (base, done, sex) => (t) => {
    const of = (leaf) => (sex ? get(t, `${base}.${leaf}.${sex}`)
      : get(t, `${base}.${leaf}.female`) + get(t, `${base}.${leaf}.male`));
    return ratio(of(done), of("all"));
  };

  /* Figures the page shows that are sums or shares of leaves (named as the cells'
     data-derived). */
  const DERIVED = {
    "registered.female": (t) => sumOver(t, "workers", "female"),
    "registered.male": (t) => sumOver(t, "workers", "male"),
    "non_procedural.female": (t) => sumOver(t, "workers_non_procedural", "female"),
    "non_procedural.male": (t) => sumOver(t, "workers_non_procedural", "male"),
    "non_procedural_abroad": (t) => sumOver(t, "workers_non_procedural.departed"),
    "alerts_open": (t) => sumOver(t, "alerts_open"),
    "departures_prepared_share": share("departures", "prepared"),
    "departures_prepared_share.female": share("departures", "prepared", "female"),
    "departures_prepared_share.male": share("departures", "prepared", "male"),
    "returns_reintegrated_share": share("returns", "reintegrated"),
    "returns_reintegrated_share.female": share("returns", "reintegrated", "female"),
    "returns_reintegrated_share.male": share("returns", "reintegrated", "male"),
  };
  /** A share as people read it: "64,3 %", or "—" when there is none. */
  const percent = (value) => (value === null ? P.t("dash.share.none") : P.fmt.percent(value));

  const cell = P.element;

  /** A number cell: the figure as people read it, its path and value for machines. */
  function figure(value, name, options) {
    const { tag = "td", derived = false, format = P.fmt.number } = options || {};
    // A share with nothing to divide is null: data-value "" and its format says so.
    const el = cell(tag, { class: "n", "data-value": value === null ? "" : String(value) }, format(value));
    if (name) el.setAttribute(derived ? "data-derived" : "data-figure", name);
    return el;
  }

  /** True when the leaf at a dotted path is withheld (null: a small cell, see the summary's
      `suppression`). */
  const withheld = (tree, path) => at(tree, path) === null;

  /** A cell saying the figure is withheld (instead of a number): "disembunyikan" / "withheld",
      the reason in its title and in the definitions. */
  function withheldCell(name) {
    const el = cell("td", { class: "n d-withheld", "data-withheld": "1", "data-value": "",
                            title: P.t("dash.withheld.why") }, P.t("dash.withheld"));
    if (name) el.setAttribute("data-figure", name);
    return el;
  }

  /** A cell saying there is no source for this figure yet (instead of a zero). */
  function noSource(tag) {
    return cell(tag || "td", { class: "n d-nosrc", "data-no-source": "1",
                               title: P.t("dash.no-source.short") }, "—");
  }

  /** Two bars, women's then men's, scaled to `max` (widths set through the DOM: the page's
      policy forbids style attributes). */
  function bars(values, max, classes) {
    const box = cell("div", { class: "d-bar", "aria-hidden": "true" });
    values.forEach((v, i) => {
      const part = cell("div", { class: classes[i] });
      part.style.width = `${max ? (100 * v) / max : 0}%`;
      box.append(part);
    });
    return box;
  }

  function headRow(labels) {
    const tr = cell("tr");
    labels.forEach(([text, cls, extra]) => {
      const th = cell("th", { scope: "col", class: cls || "" });
      if (extra) th.append(extra, " ");
      th.append(text);
      tr.append(th);
    });
    return tr;
  }

  /** A heading in full, or short on a phone ("Perempuan" / "P"); both read the full word. */
  function longShort(long, short) {
    const box = cell("span", { "aria-label": long });
    box.append(cell("span", { class: "d-long", "aria-hidden": "true" }, long),
               cell("span", { class: "d-short", "aria-hidden": "true" }, short));
    return box;
  }

  const swatch = (sex) => cell("span", { class: `p-swatch p-${sex}`, "aria-hidden": "true" });

  /** Rows [{label, path}] each split by sex (path + ".female"/".male"): label, women, men,
      total and bars. `hideZero` leaves out rows that are zero for both. */
  function sexTable(totals, rows, { head, hideZero = false, empty } = {}) {
    const shown = rows
      .map((r) => ({ ...r, f: get(totals, `${r.path}.female`), m: get(totals, `${r.path}.male`),
                     wf: withheld(totals, `${r.path}.female`), wm: withheld(totals, `${r.path}.male`) }))
      .filter((r) => !hideZero || r.f + r.m > 0 || r.wf || r.wm);
    if (!shown.length) return cell("p", { class: "p-note d-empty" }, empty || P.t("dash.none"));
    const table = cell("table", { class: "p-table d-sex" });
    const thead = cell("thead");
    thead.append(headRow([
      [head],
      [longShort(P.t("sex.female"), P.t("dash.col.female.short")), "n", swatch("female")],
      [longShort(P.t("sex.male"), P.t("dash.col.male.short")), "n", swatch("male")],
      [longShort(P.t("dash.total"), P.t("dash.total.short")), "n"],
      ["", "d-bar-cell"]]));
    const tbody = cell("tbody");
    const max = Math.max(1, ...shown.map((r) => r.f + r.m));
    for (const r of shown) {
      const tr = cell("tr", { "data-row": r.path });
      // A withheld figure is said as such, never as 0; the total beside it would give it away.
      tr.append(cell("th", { scope: "row" }, r.label),
                r.wf ? withheldCell(`${r.path}.female`) : figure(r.f, `${r.path}.female`),
                r.wm ? withheldCell(`${r.path}.male`) : figure(r.m, `${r.path}.male`),
                r.wf || r.wm ? withheldCell() : figure(r.f + r.m));
      const bar = cell("td", { class: "d-bar-cell" });
      bar.append(bars([r.f, r.m], max, ["f", "m"]));
      tr.append(bar);
      tbody.append(tr);
    }
    table.append(thead, tbody);
    if (hideZero && shown.length < rows.length) {
      const note = cell("caption", { class: "d-caption" }, P.t("dash.others-zero"));
      table.append(note);
    }
    return table;
  }

  /** Rows [{label, path}] of single counts: label, number and a bar. */
  function countTable(totals, rows, { head, hideZero = false, empty } = {}) {
    const shown = rows.map((r) => ({ ...r, n: get(totals, r.path) }))
      .filter((r) => !hideZero || r.n > 0);
    if (!shown.length) return cell("p", { class: "p-note d-empty" }, empty || P.t("dash.none"));
    const table = cell("table", { class: "p-table d-count" });
    const thead = cell("thead");
    thead.append(headRow([[head], [P.t("dash.count"), "n"], ["", "d-bar-cell"]]));
    const tbody = cell("tbody");
    const max = Math.max(1, ...shown.map((r) => r.n));
    for (const r of shown) {
      const tr = cell("tr", { "data-row": r.path });
      const bar = cell("td", { class: "d-bar-cell" });
      bar.append(bars([r.n], max, [r.barClass || "c"]));
      tr.append(cell("th", { scope: "row" }, r.label), figure(r.n, r.path), bar);
      tbody.append(tr);
    }
    table.append(thead, tbody);
    return table;
  }

  /** Amounts per currency (`path` is an object {IDR: n, USD: m}), rupiah first, one per line. */
  function amounts(totals, path) {
    const td = cell("td", { class: "n" });
    const rupiahFirst = (a, b) => (a === "IDR" ? -1 : b === "IDR" ? 1 : a.localeCompare(b));
    const currencies = keysOf(totals, path).sort(rupiahFirst);
    const shown = currencies.filter((c) => get(totals, `${path}.${c}`) !== 0);
    if (!shown.length) {
      td.append(figure(0, `${path}.IDR`, { tag: "span", format: P.fmt.rupiah }));
      return td;
    }
    shown.forEach((c, i) => {
      if (i) td.append(cell("br"));
      const value = get(totals, `${path}.${c}`);
      td.append(figure(value, `${path}.${c}`, { tag: "span", format: (v) => P.fmt.money(v, c) }));
    });
    return td;
  }

  /** Rows [{label, path}] of fees: label, number of fees, amounts (path.count, path.amount). */
  function feeTable(totals, rows, { head, hideZero = false, empty } = {}) {
    const shown = rows.filter((r) => !hideZero || get(totals, `${r.path}.count`) > 0);
    if (!shown.length) return cell("p", { class: "p-note d-empty" }, empty || P.t("dash.none"));
    const table = cell("table", { class: "p-table d-fees" });
    const thead = cell("thead");
    thead.append(headRow([[head], [P.t("dash.count"), "n"], [P.t("dash.amount"), "n"]]));
    const tbody = cell("tbody");
    for (const r of shown) {
      const tr = cell("tr", { "data-row": r.path });
      tr.append(cell("th", { scope: "row" }, r.label), figure(get(totals, `${r.path}.count`), `${r.path}.count`),
                amounts(totals, `${r.path}.amount`));
      tbody.append(tr);
    }
    table.append(thead, tbody);
    return table;
  }

  /* ---- the child areas ---- */

  /* The columns of the children's table: a figure per column, grouped under a heading. */
  const CHILD_COLUMNS = [
    { id: "registered.female", group: "dash.col.registered", sex: "female", derived: true },
    { id: "registered.male", group: "dash.col.registered", sex: "male", derived: true },
    { id: "workers.departed.female", group: "dash.col.departed", sex: "female" },
    { id: "workers.departed.male", group: "dash.col.departed", sex: "male" },
    { id: "non_procedural.female", group: "dash.col.non-procedural", sex: "female", derived: true },
    { id: "non_procedural.male", group: "dash.col.non-procedural", sex: "male", derived: true },
    { id: "fees.illegal.count", group: "dash.col.illegal-fees", short: "dash.col.count.short" },
    { id: "fees.illegal.amount.IDR", group: "dash.col.illegal-fees", short: "dash.col.amount.short",
      format: (v) => P.fmt.number(v) },
    { id: "cases.open.female", group: "dash.col.open-cases", sex: "female", topic: "cases.case.v1" },
    { id: "cases.open.male", group: "dash.col.open-cases", sex: "male", topic: "cases.case.v1" },
    { id: "alerts_open", group: "dash.col.open-alerts", derived: true, topic: "alerts.alert.v1" },
    // Which areas prepare their workers, which returnees are left alone: shares of both sexes.
    { id: "departures_prepared_share", group: "dash.col.prepared", derived: true, format: percent },
    { id: "returns_reintegrated_share", group: "dash.col.reintegrated", derived: true, format: percent },
  ];
  CHILD_COLUMNS.forEach((c) => {
    c.value = c.derived ? DERIVED[c.id] : (t) => get(t, c.id);
    c.topic = c.topic || "registry.worker.v1";
  });

  /** The children of `summary` as rows: name (a link to drill into), the CHILD_COLUMNS and a
      total row for the area itself. `view`: {sort: {column, descending}, showEmpty, sources,
      href(code), name(ref), onSort(column)}; answers {hidden, empties} (rows left out, empty rows). */
  function childrenTable(table, summary, view) {
    table.replaceChildren();
    const has = (c) => view.sources.has(c.topic);
    const thead = cell("thead");
    const groups = cell("tr");
    const subs = cell("tr");
    groups.append(sortable(cell("th", { scope: "col", rowspan: "2", class: "d-name" }),
                           P.t("dash.children.area"), "name", view));
    const members = (group) => CHILD_COLUMNS.filter((x) => x.group === group);
    for (const group of [...new Set(CHILD_COLUMNS.map((c) => c.group))]) {
      const of = members(group);
      if (of.length === 1) { // one figure: its heading spans both rows and sorts
        groups.append(sortable(cell("th", { scope: "col", rowspan: "2", class: "n" }),
                               P.t(group), of[0].id, view));
        continue;
      }
      groups.append(cell("th", { scope: "colgroup", colspan: String(of.length), class: "d-group" },
                         P.t(group)));
      for (const c of of) {
        const short = c.sex ? P.t(`dash.col.${c.sex}.short`) : P.t(c.short);
        const spoken = `${P.t(group)}, ${c.sex ? P.t(`sex.${c.sex}`) : P.t(c.short)}`;
        subs.append(sortable(cell("th", { scope: "col", class: `n${c.sex ? ` p-${c.sex}` : ""}` }),
                             short, c.id, view, spoken));
      }
    }
    thead.append(groups, subs);

    const rows = summary.children.map((child, index) => ({
      child, index,
      values: CHILD_COLUMNS.map((c) => c.value(child.totals)),
    }));
    // Unsorted, the "(not attributed …)" row comes after the areas (its code sorts first).
    const last = (r) => (view.plain && view.plain(r.child.area) ? 1 : 0);
    const isEmpty = (r) => r.values.every((v) => v === 0 || v === null);
    const empties = rows.filter(isEmpty).length;
    const hideEmpty = !view.showEmpty && empties > 0 && empties < rows.length;
    const { column, descending } = view.sort;
    if (column) {
      const index = CHILD_COLUMNS.findIndex((c) => c.id === column);
      rows.sort((a, b) => {
        const order = column === "name"
          ? view.name(a.child).localeCompare(view.name(b.child), "id")
          : (a.values[index] ?? -1) - (b.values[index] ?? -1); // no share: below 0 %
        return (descending ? -order : order) || a.index - b.index;
      });
    } else {
      rows.sort((a, b) => last(a) - last(b) || a.index - b.index);
    }
    const tbody = cell("tbody");
    for (const r of rows) {
      if (hideEmpty && isEmpty(r)) continue;
      // A "(not attributed below …)" row is no area: named, explained, not opened.
      const plain = view.plain && view.plain(r.child.area);
      const tr = cell("tr", { class: plain ? "d-plain" : "child", "data-area": r.child.area });
      const th = cell("th", { scope: "row", class: "d-name" });
      const link = plain ? cell("span", { class: "d-plain-name" }, view.name(r.child))
        : cell("a", { href: view.href(r.child.area), "data-nav": "1" }, view.name(r.child));
      th.append(link, cell("small", {}, r.child.area));
      if (plain) {
        th.append(cell("a", { class: "d-plain-what p-noprint", href: "#def-unattributed",
                              "data-testid": "unattributed-what" }, view.plainHint));
      }
      tr.append(th);
      CHILD_COLUMNS.forEach((c, i) => tr.append(has(c)
        ? figure(r.values[i], c.id, { derived: c.derived, format: c.format }) : noSource()));
      if (!plain) {
        tr.addEventListener("click", (event) => {
          if (event.target.closest("a")) return; // the link navigates by itself
          link.click();
        });
      }
      tbody.append(tr);
    }
    const tfoot = cell("tfoot");
    const total = cell("tr", { class: "d-total", "data-area": summary.area });
    total.append(cell("th", { scope: "row" }, P.t("dash.total")));
    CHILD_COLUMNS.forEach((c) => total.append(has(c)
      ? figure(c.value(summary.totals), c.id, { derived: c.derived, format: c.format }) : noSource()));
    tfoot.append(total);
    table.append(thead, tbody, tfoot);
    return { hidden: hideEmpty ? empties : 0, empties };
  }

  /** `th` with a button sorting by `column` (descending first for figures, then flipped). */
  function sortable(th, label, column, view, spoken) {
    const button = cell("button", { type: "button", class: "d-sort", "data-sort": column,
                                    "aria-label": P.t("dash.children.sort", { column: spoken || label }) });
    button.append(label);
    const { column: current, descending } = view.sort;
    if (current === column) {
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      button.append(cell("span", { class: "d-arrow", "aria-hidden": "true" }, descending ? "▼" : "▲"));
    }
    button.addEventListener("click", () => view.onSort(column));
    th.append(button);
    return th;
  }

  Object.assign(D, { get, keysOf, withheld, DERIVED, percent, figure, noSource, sexTable, countTable,
                     feeTable, childrenTable });
})();
