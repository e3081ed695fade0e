/* The monitors' board (GET /): the alerts of the signed-in person's area (or ?area=), most
   severe first and newest first within a severity, kept live by the alerts stream; counts by
   severity and rule and a chart of alerts raised per day; monitors acknowledge and resolve from
   here. Signed in by the session (docs/frontend.md): Pantau.api sends the cookie and the CSRF
   header, the stream (EventSource) sends the cookie, and a reconnecting stream resumes after
   the last change it showed (Last-Event-ID), so nothing is missed or shown twice. */
(function () {
  "use strict";
  const P = window.Pantau;
  const $ = (id) => document.getElementById(id);

  const SEVERITIES = ["critical", "warning", "info"];
  const RANK = { critical: 0, warning: 1, info: 2 };
  const COLOURS = { critical: "#b00020", warning: "#c26a00", info: "#0b5f86" };
  const RULES = ["illegal_fee", "fee_warning", "unlicensed_agency", "case_unassigned",
                 "case_deadline_near", "case_overdue", "agency_hotspot", "village_surge",
                 "return_overdue", "non_procedural"];
  const HIDDEN_DETAILS = new Set(["fee_id"]); // an id a person cannot use here
  const PAGE = 100;
  const DAYS = 30;

  P.i18n.add({
    id: {
      "board.title": "Papan peringatan",
      "board.unresolved": "Peringatan belum selesai",
      "board.per-day": "Peringatan muncul per hari (30 hari)",
      "board.list": "Peringatan",
      "board.show": "Tampilkan",
      "board.filter.unresolved": "belum selesai",
      "board.filter.resolved": "selesai",
      "board.filter.all": "semua",
      "board.empty": "Tidak ada peringatan.",
      "board.more": "Muat lebih banyak",
      "board.note": "Catatan penyelesaian",
      "board.comment": "Komentar (tidak wajib, hanya untuk pemantau)",
      "board.resolve": "Selesaikan…",
      "board.resolve.confirm": "Selesaikan",
      "board.acknowledge": "Tanggapi",
      "board.cancel": "Batal",
      "board.live": "Langsung: perubahan tampil seketika",
      "board.connecting": "Menyambung ke aliran peringatan…",
      "board.lost": "Aliran terputus; mencoba lagi…",
      "board.rule": "aturan",
      "board.count": "jumlah",
      "board.none": "tidak ada",
      "board.area": "wilayah",
      "board.level": "tingkat yang bertindak",
      "board.about": "tentang",
      "board.raised": "muncul",
      "board.acknowledged": "ditanggapi",
      "board.resolved": "diselesaikan",
      "board.by": "oleh {who}",
      "board.comment.shown": "komentar",
      "about.worker": "pekerja, id {id}",
      "about.case": "kasus, id {id}",
      "about.agency": "agensi, id {id}",
      "about.agency.named": "agensi {name}",
      "board.ids": "Pekerja dan kasus disebut dengan 8 karakter awal id acaknya di registri atau layanan kasus (bukan NIK atau nama): cari id itu di sana untuk membuka berkasnya.",
      "board.who-acts": "Yang menanggapi dan menyelesaikan: pemantau (peran monitor) tingkat {level} untuk {area} atau di atasnya. Anda dapat membaca peringatan ini, tidak bertindak atasnya.",
      "about.village": "desa {name}",
      "detail.component": "komponen biaya",
      "detail.charged_on": "tanggal biaya",
      "detail.due_on": "tenggat",
      "detail.due_clock": "jenis tenggat",
      "detail.contract_end": "akhir kontrak",
      "detail.departed_on": "berangkat",
      "detail.named_on": "disebut pada",
      "detail.unlicensed_since": "tanpa izin sejak",
      "detail.unassigned_since": "belum ada pendamping sejak",
      "detail.villages": "desa",
      "detail.window_days": "jangka (hari)",
      "detail.category": "kategori",
      "detail.agency_id": "agensi",
    },
    en: {
      "board.title": "Alert board",
      "board.unresolved": "Unresolved alerts",
      "board.per-day": "Alerts raised per day (30 days)",
      "board.list": "Alerts",
      "board.show": "Show",
      "board.filter.unresolved": "unresolved",
      "board.filter.resolved": "resolved",
      "board.filter.all": "all",
      "board.empty": "No alerts.",
      "board.more": "Load more",
      "board.note": "Resolution",
      "board.comment": "Comment (optional, for monitors only)",
      "board.resolve": "Resolve…",
      "board.resolve.confirm": "Resolve",
      "board.acknowledge": "Acknowledge",
      "board.cancel": "Cancel",
      "board.live": "Live: changes appear at once",
      "board.connecting": "Connecting to the alert stream…",
      "board.lost": "Stream interrupted; retrying…",
      "board.rule": "rule",
      "board.count": "count",
      "board.none": "none",
      "board.area": "area",
      "board.level": "level to act",
      "board.about": "about",
      "board.raised": "raised",
      "board.acknowledged": "acknowledged",
      "board.resolved": "resolved",
      "board.by": "by {who}",
      "board.comment.shown": "comment",
      "about.worker": "worker, id {id}",
      "about.case": "case, id {id}",
      "about.agency": "agency, id {id}",
      "about.agency.named": "agency {name}",
      "board.ids": "Workers and cases are named by the first 8 characters of their random id in the registry or the cases service (never a NIK or a name): look that id up there to open the file.",
      "board.who-acts": "Acknowledged and resolved by the monitors (role monitor) of the {level} level for {area} or above. You can read this alert, not act on it.",
      "about.village": "village {name}",
      "detail.component": "fee component",
      "detail.charged_on": "charged on",
      "detail.due_on": "deadline",
      "detail.due_clock": "deadline kind",
      "detail.contract_end": "contract end",
      "detail.departed_on": "departed",
      "detail.named_on": "named on",
      "detail.unlicensed_since": "unlicensed since",
      "detail.unassigned_since": "without a case worker since",
      "detail.villages": "villages",
      "detail.window_days": "window (days)",
      "detail.category": "category",
      "detail.agency_id": "agency",
    },
  });

  let session = null;
  let area = null;
  let filter = "unresolved";
  let nextOffset = null;
  let summary = null;
  let chart = null;
  let source = null;
  let lastId = null;
  let summaryTimer = null;
  let fresh = new Set();
  const alerts = new Map(); // id -> the alert as last seen (highest version)

  const monitor = () => session && session.role === "monitor";
  const short = (id) => String(id).slice(0, 8);
  const statusesOf = (f) => (f === "unresolved" ? ["open", "acknowledged"]
                             : f === "resolved" ? ["resolved"] : []);
  const shows = (a) => filter === "all" || (filter === "resolved") === (a.status === "resolved");

  function showError(error) {
    $("error").textContent = error ? P.errorText(error) : "";
  }

  /** Keep an alert as the newest version seen (a page, a step's answer or the stream). */
  function keep(alert) {
    const known = alerts.get(alert.id);
    if (!known || alert.version >= known.version) {
      alerts.set(alert.id, { ...(known || {}), ...alert });
      return true;
    }
    return false;
  }

  // -- the list ------------------------------------------------------------------------------
  function aboutText(a) {
    const kind = a.rule.startsWith("case_") ? "case"
      : ["unlicensed_agency", "agency_hotspot"].includes(a.rule) ? "agency"
      : a.rule === "non_procedural" && a.details && a.details.category ? "case" : "worker";
    // An agency by its registered name (public) when the service knows it.
    if (kind === "agency" && a.about_name) return P.t("about.agency.named", { name: a.about_name });
    if (a.about_name) {
      return P.t("about.village", { name: `${P.fmt.areaName(a.about_name)} (${a.about})` });
    }
    return P.t(`about.${kind}`, { id: short(a.about) });
  }

  // Details that are codes of a contract list, said as words.
  const DETAIL_LISTS = { component: "fee_component", category: "case_category",
                         due_clock: "due_clock" };

  function detailText(key, value) {
    if (DETAIL_LISTS[key]) return P.codes.label(DETAIL_LISTS[key], value);
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return P.fmt.date(value);
    if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return P.fmt.dateTime(value);
    if (/_id$/.test(key)) return short(value);
    if (key === "villages" || key === "window_days") return P.fmt.number(Number(value));
    return value;
  }

  function row(list, label, value) {
    list.append(P.element("dt", {}, label), P.element("dd", {}, value));
  }

  function item(a) {
    const li = P.element("li", { class: `alert ${a.severity} ${a.status}`, "data-testid": "alert",
                                 "data-id": a.id, "data-status": a.status, "data-rule": a.rule,
                                 "data-about": a.about });
    if (fresh.has(a.id)) li.classList.add("fresh");
    const title = P.element("h3");
    title.append(P.element("span", { class: `sev ${a.severity}` }, P.codes.label("severity", a.severity)),
                 P.element("span", { "data-testid": "rule" }, P.codes.label("alert_rule", a.rule)),
                 P.element("span", { class: "p-badge", "data-testid": "status" },
                           P.codes.label("alert_status", a.status)));
    li.append(title);
    const facts = P.element("dl");
    row(facts, P.t("board.area"), `${P.fmt.areaName(a.area_name) || a.area} (${a.area})`);
    row(facts, P.t("board.level"), P.codes.label("level", a.level));
    row(facts, P.t("board.about"), aboutText(a));
    row(facts, P.t("board.raised"), P.fmt.dateTime(a.raised_at));
    if (a.acknowledged_at) {
      const by = a.acknowledged_by ? ` · ${P.t("board.by", { who: a.acknowledged_by })}` : "";
      row(facts, P.t("board.acknowledged"), P.fmt.dateTime(a.acknowledged_at) + by);
    }
    if (a.resolved_at) {
      const how = a.resolution ? P.codes.label("alert_resolution", a.resolution) : "";
      const by = a.resolved_by ? ` · ${P.t("board.by", { who: a.resolved_by })}` : "";
      row(facts, P.t("board.resolved"), `${P.fmt.dateTime(a.resolved_at)} · ${how}${by}`);
    }
    if (a.comment) row(facts, P.t("board.comment.shown"), a.comment);
    for (const [key, value] of Object.entries(a.details || {})) {
      if (!HIDDEN_DETAILS.has(key)) row(facts, P.t(`detail.${key}`), detailText(key, value));
    }
    li.append(facts);
    if (monitor() && a.status !== "resolved") li.append(actions(li, a));
    if (!monitor() && a.status !== "resolved") {
      // Readers who may not act learn who does (monitors act within their area).
      li.append(P.element("p", { class: "p-note who-acts", "data-testid": "who-acts" },
        P.t("board.who-acts", { level: P.codes.label("level", a.level),
                                area: `${P.fmt.areaName(a.area_name) || a.area} (${a.area})` })));
    }
    return li;
  }

  function actions(li, a) {
    const bar = P.element("div", { class: "p-actions" });
    if (a.status === "open") {
      const ack = P.element("button", { type: "button", class: "p-button",
                                        "data-testid": "acknowledge" }, P.t("board.acknowledge"));
      ack.addEventListener("click", () => step(ack, `/v1/alerts/${a.id}/acknowledgement`));
      bar.append(ack);
    }
    const resolve = P.element("button", { type: "button", class: "p-button p-quiet",
                                          "data-testid": "resolve" }, P.t("board.resolve"));
    resolve.addEventListener("click", () => openResolution(li, bar, a));
    bar.append(resolve);
    return bar;
  }

  function openResolution(li, bar, a) {
    const form = $("resolve-form").content.firstElementChild.cloneNode(true);
    P.i18n.apply(form);
    form.elements.note.replaceChildren(...P.codes.list("alert_resolution")
      .filter((note) => note !== "condition_cleared") // the rules' own
      .map((note) => P.element("option", { value: note }, P.codes.label("alert_resolution", note))));
    form.querySelector("[data-cancel]").addEventListener("click", () => form.replaceWith(bar));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { note: form.elements.note.value };
      const comment = form.elements.comment.value.trim();
      if (comment) body.comment = comment;
      step(form.querySelector("button[type=submit]"), `/v1/alerts/${a.id}/resolution`, body);
    });
    bar.replaceWith(form);
    form.elements.note.focus();
  }

  async function step(button, path, body) {
    button.disabled = true;
    showError(null);
    try {
      const alert = await P.api(path, { method: "POST", body });
      keep(alert);
      render();
      refreshSummarySoon();
    } catch (error) {
      showError(error);
      button.disabled = false;
    }
  }

  function render() {
    const shown = [...alerts.values()].filter(shows).sort((a, b) =>
      RANK[a.severity] - RANK[b.severity] || b.raised_at.localeCompare(a.raised_at) ||
      b.id.localeCompare(a.id));
    $("alerts").replaceChildren(...shown.map(item));
    $("empty").hidden = shown.length > 0;
    $("more").hidden = nextOffset === null;
    fresh = new Set();
  }

  async function loadPage(offset) {
    const params = new URLSearchParams({ area, limit: String(PAGE), offset: String(offset) });
    statusesOf(filter).forEach((s) => params.append("status", s));
    const page = await P.api(`/v1/alerts?${params}`);
    page.items.forEach(keep);
    nextOffset = page.next_offset;
    return page.position;
  }

  // -- counts and the chart ---------------------------------------------------------------------
  function renderSummary() {
    if (!summary) return;
    $("area-name").textContent =
      `${P.fmt.areaName(summary.area_name) || summary.area} (${summary.area})`;
    const counts = summary.unresolved;
    const totals = $("by-severity");
    totals.replaceChildren(...SEVERITIES.map((s) => {
      const box = P.element("div", { class: `total ${s}`, "data-severity": s });
      box.append(P.element("strong", {}, P.fmt.number(counts.by_severity[s] || 0)),
                 P.element("span", {}, P.codes.label("severity", s)));
      return box;
    }));
    const table = $("by-rule");
    const head = P.element("tr");
    head.append(P.element("th", {}, P.t("board.rule")),
                P.element("th", { class: "n" }, P.t("board.count")));
    const rows = RULES.filter((r) => counts.by_rule[r]).map((r) => {
      const tr = P.element("tr", { "data-rule": r });
      tr.append(P.element("td", {}, P.codes.label("alert_rule", r)),
                P.element("td", { class: "n" }, P.fmt.number(counts.by_rule[r])));
      return tr;
    });
    if (!rows.length) {
      const tr = P.element("tr");
      tr.append(P.element("td", { colspan: "2", class: "p-note" }, P.t("board.none")));
      rows.push(tr);
    }
    table.replaceChildren(head, ...rows);
    renderChart();
  }

  function dayLabel(day) {
    return new Intl.DateTimeFormat(P.i18n.lang === "en" ? "en-GB" : "id-ID",
      { day: "numeric", month: "short", timeZone: "UTC" }).format(new Date(`${day}T00:00:00Z`));
  }

  function renderChart() {
    if (typeof window.Chart !== "function") return;
    const days = summary.raised_per_day;
    const labels = days.map((d) => dayLabel(d.day));
    const datasets = SEVERITIES.map((s) => ({
      label: P.codes.label("severity", s), backgroundColor: COLOURS[s],
      data: days.map((d) => d.by_severity[s] || 0),
    }));
    if (!chart) {
      chart = new window.Chart($("chart"), {
        type: "bar",
        data: { labels, datasets },
        options: {
          animation: false, maintainAspectRatio: false, responsive: true,
          scales: { x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
                    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: "bottom" } },
        },
      });
    } else {
      chart.data.labels = labels;
      chart.data.datasets.forEach((set, i) => {
        set.label = datasets[i].label;
        set.data = datasets[i].data;
      });
      chart.update();
    }
  }

  async function refreshSummary() {
    const params = new URLSearchParams({ area, days: String(DAYS) });
    summary = await P.api(`/v1/alerts/summary?${params}`);
    renderSummary();
  }

  function refreshSummarySoon() {
    clearTimeout(summaryTimer);
    summaryTimer = setTimeout(() => refreshSummary().catch(showError), 300);
  }

  // -- the live stream --------------------------------------------------------------------------
  function setLive(state) {
    const live = $("live");
    live.dataset.state = state;
    live.textContent = P.t(`board.${state}`);
  }

  function connect(after) {
    const params = new URLSearchParams({ area });
    if (after !== null && after !== undefined) params.set("after", String(after));
    setLive("connecting");
    source = new EventSource(`/v1/alerts/stream?${params}`);
    source.addEventListener("open", () => setLive("live"));
    for (const type of ["alert-raised", "alert-acknowledged", "alert-resolved"]) {
      source.addEventListener(type, (event) => {
        lastId = event.lastEventId || lastId;
        const alert = JSON.parse(event.data);
        if (keep(alert)) {
          if (type === "alert-raised") fresh.add(alert.id);
          render();
          refreshSummarySoon();
        }
      });
    }
    source.addEventListener("error", async () => {
      if (source.readyState !== EventSource.CLOSED) {
        setLive("connecting"); // the browser reconnects by itself, with Last-Event-ID
        return;
      }
      // Refused (a signed-out session, a limit): ask who is signed in (a 401 goes to the
      // sign-in page), then try again after the last change shown.
      setLive("lost");
      try {
        await P.session();
      } catch (error) {
        if (error.status === 401) return;
      }
      setTimeout(() => connect(lastId), 5000);
    });
  }

  // -- start ----------------------------------------------------------------------------------
  async function load() {
    if (source) source.close();
    alerts.clear();
    const position = await loadPage(0);
    lastId = position;
    render();
    await refreshSummary();
    connect(position);
  }

  async function start() {
    try {
      session = await P.session();
    } catch (error) {
      if (error.status !== 401) showError(error);
      return; // 401: on the way to the sign-in page
    }
    P.bar(session);
    area = new URLSearchParams(location.search).get("area") || session.area;
    $("filter").addEventListener("change", (event) => {
      filter = event.target.value;
      load().catch(showError);
    });
    $("more").addEventListener("click", () => {
      loadPage(nextOffset).then(render).catch(showError);
    });
    document.addEventListener("pantau:lang", () => {
      render();
      renderSummary();
      if (source) setLive($("live").dataset.state);
    });
    try {
      await load();
    } catch (error) {
      showError(error);
      setLive("lost");
    }
  }

  start();
})();
