/* The dashboard's trends: an area's monthly series (GET /v1/areas/{code}/series) as a chart,
   with a period picker and the same figures as a table. Series are kept from the regency up. */
(function () {
  "use strict";
  const P = window.Pantau;
  const D = (window.PantauDashboard = window.PantauDashboard || {});

  const BY_SEX = ["registered", "departed", "returned", "cases_opened", "cases_closed",
                  "departures_prepared", "returns_reintegrated", "services_delivered"];
  const SERIES = [...BY_SEX.slice(0, 3), "fees", ...BY_SEX.slice(3, 5), "alerts_raised",
                  ...BY_SEX.slice(5)];
  const TOPIC = { cases_opened: "cases.case.v1", cases_closed: "cases.case.v1",
                  alerts_raised: "alerts.alert.v1" };
  const topicOf = (name) => TOPIC[name] || "registry.worker.v1";
  const PERIODS = ["12", "24", "60", "all", "custom"];
  const LEVELS_KEPT = new Set(["national", "province", "regency"]);

  /* ---- months as "YYYY-MM" ---- */
  function addMonths(month, n) {
    const [y, m] = month.split("-").map(Number);
    const i = y * 12 + (m - 1) + n;
    return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
  }
  function thisMonth() {
    const now = new Date();
    return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  }
  function monthsBetween(from, to) {
    const out = [];
    for (let m = from; m <= to && out.length < 1200; m = addMonths(m, 1)) out.push(m);
    return out;
  }

  /** The months a period shows: {from, to} (inclusive). */
  function range(period, months, custom) {
    const last = months.length ? months[months.length - 1].month : null;
    const to = last && last > thisMonth() ? last : thisMonth();
    if (period === "custom" && custom.from && custom.to) {
      return custom.from <= custom.to ? { ...custom } : { from: custom.to, to: custom.from };
    }
    if (period === "all" || period === "custom") {
      // At least a year, so that a few months of figures read against the months around them.
      const year = addMonths(to, -11);
      return { from: months.length && months[0].month < year ? months[0].month : year, to };
    }
    return { from: addMonths(to, -(Number(period) - 1)), to };
  }

  /** The period shown at first: every month with figures, or the last 24 when that is long. */
  function defaultPeriod(months) {
    if (!months.length) return "12";
    const span = monthsBetween(months[0].month, range("all", months, {}).to).length;
    return span <= 36 ? "all" : "24";
  }

  const color = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function values(byMonth, months, name, part) {
    return months.map((m) => {
      const entry = byMonth.get(m);
      if (!entry) return 0;
      if (name === "fees") return part === "count" ? entry.fees.count : (entry.fees.amount.IDR || 0);
      if (name === "alerts_raised") return entry.alerts_raised;
      return entry[name][part];
    });
  }

  function chartConfig(name, labels, byMonth, months) {
    const number = (v) => P.fmt.number(v);
    const tooltip = { callbacks: { label: (c) => `${c.dataset.label}: ${c.dataset.yAxisID === "amount"
      ? P.fmt.rupiah(c.parsed.y) : number(c.parsed.y)}` } };
    const scale = { beginAtZero: true, ticks: { precision: 0, callback: number } };
    const bar = { maxBarThickness: 48 };
    if (BY_SEX.includes(name)) {
      return {
        type: "bar",
        data: { labels, datasets: ["female", "male"].map((sex) => ({
          ...bar, label: P.t(`sex.${sex}`), data: values(byMonth, months, name, sex),
          backgroundColor: color(`--p-${sex}`), stack: "people" })) },
        options: { scales: { x: { stacked: true }, y: { ...scale, stacked: true } },
                   plugins: { tooltip } },
      };
    }
    if (name === "fees") {
      return {
        type: "bar",
        data: { labels, datasets: [
          { ...bar, label: P.t("dash.trends.count"), data: values(byMonth, months, name, "count"),
            backgroundColor: color("--p-accent"), yAxisID: "y", order: 2 },
          { type: "line", label: P.t("dash.trends.amount"), data: values(byMonth, months, name, "amount"),
            borderColor: color("--p-warn"), backgroundColor: color("--p-warn"), yAxisID: "amount",
            order: 1, pointRadius: 2 },
        ] },
        options: { scales: { y: scale, amount: { position: "right", beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: { callback: (v) => P.fmt.number(v, { notation: "compact" }) } } },
                   plugins: { tooltip } },
      };
    }
    return {
      type: "bar",
      data: { labels, datasets: [{ ...bar, label: P.t(`series.${name}`), data: values(byMonth, months, name),
                                   backgroundColor: color("--p-warn") }] },
      options: { scales: { y: scale }, plugins: { tooltip, legend: { display: false } } },
    };
  }

  /** The data table of every series, month by month (what the chart draws, and more). */
  function dataTable(byMonth, months, sources) {
    const table = P.element("table", { class: "p-table d-series", "data-testid": "series-table" });
    const head = P.element("thead");
    const top = P.element("tr");
    const sub = P.element("tr");
    top.append(P.element("th", { scope: "col", rowspan: "2" }, P.t("dash.trends.month")));
    for (const name of SERIES) {
      const parts = BY_SEX.includes(name) ? 2 : name === "fees" ? 2 : 1;
      const th = P.element("th", { scope: parts > 1 ? "colgroup" : "col", colspan: String(parts),
                                   class: parts > 1 ? "d-group" : "n" }, P.t(`series.${name}`));
      if (parts === 1) th.setAttribute("rowspan", "2");
      top.append(th);
      if (BY_SEX.includes(name)) {
        sub.append(P.element("th", { scope: "col", class: "n p-female" }, P.t("dash.col.female.short")),
                   P.element("th", { scope: "col", class: "n p-male" }, P.t("dash.col.male.short")));
      } else if (name === "fees") {
        sub.append(P.element("th", { scope: "col", class: "n" }, P.t("dash.col.count.short")),
                   P.element("th", { scope: "col", class: "n" }, P.t("dash.col.amount.short")));
      }
    }
    head.append(top, sub);
    const body = P.element("tbody");
    for (const month of months) {
      const tr = P.element("tr", { "data-month": month });
      tr.append(P.element("th", { scope: "row" }, P.fmt.month(month)));
      for (const name of SERIES) {
        const parts = BY_SEX.includes(name) ? ["female", "male"] : name === "fees" ? ["count", "amount"] : [null];
        for (const part of parts) {
          if (!sources.has(topicOf(name))) { tr.append(D.noSource()); continue; }
          const [v] = values(byMonth, [month], name, part);
          const td = D.figure(v, null, { format: (x) => P.fmt.number(x) });
          td.dataset.series = part ? `${name}.${part === "amount" ? "amount.IDR" : part}` : name;
          tr.append(td);
        }
      }
      body.append(tr);
    }
    table.append(head, body);
    return table;
  }

  function select(id, label, options, chosen) {
    const wrap = P.element("div", { class: "d-field" });
    const sel = P.element("select", { id });
    options.forEach(([value, text]) => {
      const option = P.element("option", { value }, text);
      if (value === chosen) option.selected = true;
      sel.append(option);
    });
    wrap.append(P.element("label", { for: id }, label), sel);
    return [wrap, sel];
  }

  function monthInput(id, label, value) {
    const wrap = P.element("div", { class: "d-field" });
    const input = P.element("input", { type: "month", id, min: "2017-01", max: "2100-12",
                                       lang: P.i18n.lang === "en" ? "en-GB" : "id" });
    input.value = value || "";
    wrap.append(P.element("label", { for: id }, label), input);
    return [wrap, input];
  }

  /** Draw the trends of `view` into `box`. view: {summary, months (the API's, or null when not
      kept at this level), sources, trend: {period, series, from, to}, regency: {href, name} or
      null, onChange(trend)}. */
  function render(box, view) {
    const old = box.querySelector("canvas");
    if (old && window.Chart) window.Chart.getChart(old)?.destroy();
    box.replaceChildren();
    if (!LEVELS_KEPT.has(view.summary.level)) {
      box.append(P.element("p", { class: "p-note", "data-testid": "trends-not-kept" },
                           P.t("dash.trends.kept-from-regency")));
      if (view.regency) {
        const p = P.element("p");
        p.append(P.element("a", { href: view.regency.href, "data-nav": "1" },
                           P.t("dash.trends.see", { name: view.regency.name })));
        box.append(p);
      }
      return;
    }
    const months = view.months || [];
    const trend = view.trend;
    const period = PERIODS.includes(trend.period) ? trend.period : defaultPeriod(months);
    const shown = range(period, months, { from: trend.from, to: trend.to });
    const labels = monthsBetween(shown.from, shown.to);
    const byMonth = new Map(months.map((m) => [m.month, m]));
    const name = SERIES.includes(trend.series) ? trend.series : "registered";

    const controls = P.element("div", { class: "d-controls p-noprint" });
    const [periodField, periodSelect] = select("period", P.t("dash.trends.period"),
      PERIODS.map((p) => [p, P.t(`dash.trends.period.${p}`)]), period);
    const [seriesField, seriesSelect] = select("series", P.t("dash.trends.series"),
      SERIES.map((s) => [s, view.sources.has(topicOf(s)) ? P.t(`series.${s}`)
        : `${P.t(`series.${s}`)} (${P.t("dash.no-source.short")})`]), name);
    controls.append(periodField);
    const [fromField, fromInput] = monthInput("from", P.t("dash.trends.from"), shown.from);
    const [toField, toInput] = monthInput("to", P.t("dash.trends.to"), shown.to);
    fromField.hidden = toField.hidden = period !== "custom";
    controls.append(fromField, toField, seriesField);
    periodSelect.addEventListener("change", () => view.onChange({ ...trend, period: periodSelect.value,
      from: periodSelect.value === "custom" ? shown.from : null,
      to: periodSelect.value === "custom" ? shown.to : null }));
    const custom = () => { if (fromInput.value && toInput.value) {
      view.onChange({ ...trend, period: "custom", from: fromInput.value, to: toInput.value }); } };
    fromInput.addEventListener("change", custom);
    toInput.addEventListener("change", custom);
    seriesSelect.addEventListener("change", () => view.onChange({ ...trend, series: seriesSelect.value }));
    box.append(controls);

    const title = P.element("h3", { class: "d-chart-title", id: "chart-title" },
                            `${P.t(`series.${name}`)} · ${P.fmt.month(shown.from)} – ${P.fmt.month(shown.to)}`);
    box.append(title);
    if (!view.sources.has(topicOf(name))) {
      box.append(P.element("p", { class: "p-note d-nosrc-note", "data-testid": "chart-no-source" },
        P.t("dash.no-source", { what: P.t(`dash.source.${topicOf(name)}`) })));
    } else {
      const inPeriod = months.filter((m) => m.month >= shown.from && m.month <= shown.to);
      if (!inPeriod.length) box.append(P.element("p", { class: "p-note" }, P.t("dash.trends.empty")));
      const frame = P.element("div", { class: "p-chart d-chart" });
      const canvas = P.element("canvas", { id: "chart", role: "img", "data-testid": "chart",
        "aria-label": P.t("dash.trends.chart", { series: P.t(`series.${name}`),
          from: P.fmt.month(shown.from), to: P.fmt.month(shown.to) }) });
      canvas.dataset.series = name;
      frame.append(canvas);
      box.append(frame);
      if (window.Chart) {
        const config = chartConfig(name, labels.map((m) => P.fmt.month(m)), byMonth, labels);
        config.options = { ...config.options, locale: "id-ID", animation: false,
                           responsive: true, maintainAspectRatio: false };
        new window.Chart(canvas, config);
      }
    }
    box.append(P.element("p", { class: "p-hint" }, P.t("dash.trends.by-event-date")));
    const details = P.element("details", { class: "d-table-details" });
    details.append(P.element("summary", {}, P.t("dash.trends.table")));
    const scroll = P.element("div", { class: "p-scroll d-sticky" });
    scroll.append(dataTable(byMonth, labels, view.sources));
    details.append(scroll);
    box.append(details);
  }

  Object.assign(D, { trends: { render, LEVELS_KEPT, SERIES, addMonths, range } });
})();
