/* The sign-in page (/sign-in). In development (PANTAU_DEV) a person picks a role and finds an
   area by name; the service sets the session cookie and the page goes back where it was sent
   from (?next=/path, local paths only). Outside development the page links to the identity
   provider, or says that signing in is not configured. */
(function () {
  "use strict";
  const P = window.Pantau;
  const $ = (id) => document.getElementById(id);

  P.i18n.add({
    id: {
      "sign-in.title": "Masuk",
      "sign-in.heading": "Masuk ke Pantau",
      "sign-in.dev-note": "Mode pengembangan: masuk sebagai peran apa pun di wilayah mana pun. " +
        "Di luar pengembangan, orang masuk melalui akun instansinya.",
      "sign-in.role": "Peran",
      "sign-in.area": "Wilayah",
      "sign-in.area.placeholder": "Ketik nama atau kode wilayah",
      "sign-in.area.results": "Wilayah yang cocok",
      "sign-in.area.any": "Wilayah tingkat apa pun.",
      "sign-in.area.level": "Peran ini masuk di tingkat {level}.",
      "sign-in.area.none": "Tidak ada wilayah yang cocok.",
      "sign-in.area.chosen": "Dipilih: {name} ({code})",
      "sign-in.area.missing": "Pilih wilayah dari daftar.",
      "sign-in.name": "Nama pengguna (boleh kosong)",
      "sign-in.name.hint": "Tanpa spasi; tercatat di jejak audit. Kosong: peran@wilayah.",
      "sign-in.name.invalid": "Nama pengguna: 1–128 huruf, angka atau tanda baca, tanpa spasi.",
      "sign-in.submit": "Masuk",
      "sign-in.signed-in": "Anda sudah masuk",
      "sign-in.signed-in-as": "Sebagai {role} di {area} ({code}), sampai {until}.",
      "sign-in.continue": "Lanjutkan",
      "sign-in.other": "Masuk sebagai orang lain",
      "sign-in.provider-note": "Masuk dengan akun instansi Anda.",
      "sign-in.provider": "Masuk dengan akun instansi",
      "sign-in.not-configured": "Cara masuk belum diatur di layanan ini. Hubungi administrator " +
        "sistem Anda.",
    },
    en: {
      "sign-in.title": "Sign in",
      "sign-in.heading": "Sign in to Pantau",
      "sign-in.dev-note": "Development mode: sign in as any role in any area. Outside " +
        "development, people sign in with their organisation's account.",
      "sign-in.role": "Role",
      "sign-in.area": "Area",
      "sign-in.area.placeholder": "Type an area's name or code",
      "sign-in.area.results": "Matching areas",
      "sign-in.area.any": "An area of any level.",
      "sign-in.area.level": "This role signs in at {level} level.",
      "sign-in.area.none": "No area matches.",
      "sign-in.area.chosen": "Chosen: {name} ({code})",
      "sign-in.area.missing": "Choose an area from the list.",
      "sign-in.name": "User name (optional)",
      "sign-in.name.hint": "No spaces; recorded in the audit trail. Empty: role@area.",
      "sign-in.name.invalid": "User name: 1–128 letters, digits or punctuation, no spaces.",
      "sign-in.submit": "Sign in",
      "sign-in.signed-in": "You are signed in",
      "sign-in.signed-in-as": "As {role} in {area} ({code}), until {until}.",
      "sign-in.continue": "Continue",
      "sign-in.other": "Sign in as someone else",
      "sign-in.provider-note": "Sign in with your organisation's account.",
      "sign-in.provider": "Sign in with your organisation's account",
      "sign-in.not-configured": "Signing in is not set up on this service. Ask your system " +
        "administrator.",
    },
  });

  /** Where to go after signing in: ?next= when it is a page of this service (same origin, not
   *  the sign-in page), else its home. ``next`` is resolved the way the browser will navigate to
   *  it (the URL parser drops tabs and line breaks and reads "\\" as "/"), so "/\t/evil.example"
   *  or "/\\evil.example" cannot pass for a path and lead off the site after signing in. */
  function destination() {
    const next = new URLSearchParams(location.search).get("next") || "";
    if (next.startsWith("/")) {
      let url = null;
      try { url = new URL(next, location.href); } catch (_) { url = null; }
      if (url && url.origin === location.origin && url.pathname !== "/sign-in" &&
          !url.pathname.startsWith("/sign-in/")) {
        return url.pathname + url.search + url.hash;
      }
    }
    return document.body.dataset.home || "";
  }

  let chosen = null; // {code, name, level}
  let searchTimer = 0;
  let searching = null;

  function roleLevel() {
    const option = $("role").selectedOptions[0];
    return (option && option.dataset.level) || "";
  }

  function showChosen() {
    $("area-chosen").textContent = chosen
      ? P.t("sign-in.area.chosen", { name: chosen.name, code: chosen.code }) : "";
  }

  function showHint() {
    const level = roleLevel();
    $("area-hint").textContent = level
      ? P.t("sign-in.area.level", { level: P.t(`level.${level}`).toLowerCase() })
      : P.t("sign-in.area.any");
  }

  function closeResults() {
    $("area-results").hidden = true;
    $("area-search").setAttribute("aria-expanded", "false");
  }

  function choose(area) {
    chosen = area;
    $("area-search").value = area.name;
    closeResults();
    showChosen();
    $("error").textContent = "";
  }

  function onRoleChange() {
    showHint();
    const level = roleLevel();
    if (level === "national") {
      choose({ code: "ID", name: "INDONESIA", level: "national" });
      $("area-search").disabled = true;
      return;
    }
    $("area-search").disabled = false;
    if (chosen && level && chosen.level !== level) {
      chosen = null;
      $("area-search").value = "";
      showChosen();
    }
  }

  function render(found) {
    const list = $("area-results");
    list.replaceChildren();
    if (!found.length) {
      list.append(P.element("li", { class: "p-hint" }, P.t("sign-in.area.none")));
    }
    for (const area of found) {
      const button = P.element("button", { type: "button", role: "option", "data-code": area.code });
      button.append(P.element("span", {}, `${area.name} (${area.code})`));
      const within = [P.t(`level.${area.level}`), area.within].filter(Boolean).join(" · ");
      button.append(P.element("small", {}, within));
      button.addEventListener("click", () => { choose(area); $("role").focus(); });
      button.addEventListener("keydown", (event) => moveFocus(event, button));
      list.append(P.element("li", {}, undefined));
      list.lastChild.append(button);
    }
    list.hidden = false;
    $("area-search").setAttribute("aria-expanded", "true");
  }

  function moveFocus(event, button) {
    const item = button.parentElement;
    if (event.key === "ArrowDown" && item.nextElementSibling) {
      event.preventDefault();
      item.nextElementSibling.querySelector("button")?.focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      const before = item.previousElementSibling;
      (before ? before.querySelector("button") : $("area-search")).focus();
    } else if (event.key === "Escape") {
      closeResults();
      $("area-search").focus();
    }
  }

  async function search() {
    const q = $("area-search").value.trim();
    if (!q) { closeResults(); return; }
    if (searching) searching.abort();
    searching = new AbortController();
    const params = new URLSearchParams({ q, limit: "12" });
    if (roleLevel()) params.set("level", roleLevel());
    try {
      render(await P.api(`/auth/areas?${params}`, { signal: searching.signal, signIn: false }));
    } catch (error) {
      if (error.name !== "AbortError") $("error").textContent = P.errorText(error);
    }
  }

  async function signIn(event) {
    event.preventDefault();
    $("error").textContent = "";
    const name = $("name").value.trim();
    if (!chosen) { $("error").textContent = P.t("sign-in.area.missing"); $("area-search").focus(); return; }
    if (name && !/^[\x21-\x7e]{1,128}$/.test(name)) {
      $("error").textContent = P.t("sign-in.name.invalid");
      $("name").focus();
      return;
    }
    const body = { role: $("role").value, area: chosen.code };
    if (name) body.name = name;
    $("submit").disabled = true;
    try {
      const session = await P.api("/auth/session", { method: "POST", body, signIn: false });
      const next = destination();
      if (next) location.assign(next); else showSignedIn(session);
    } catch (error) {
      $("error").textContent = P.errorText(error);
    } finally {
      $("submit").disabled = false;
    }
  }

  function showSignedIn(session) {
    const text = () => P.t("sign-in.signed-in-as", {
      role: P.t(`role.${session.role}`), area: session.area_name, code: session.area,
      until: P.fmt.dateTime(session.expires_at),
    });
    $("signed-in-as").textContent = text();
    document.addEventListener("pantau:lang", () => { $("signed-in-as").textContent = text(); });
    const next = destination();
    $("continue").hidden = !next;
    if (next) $("continue").href = next;
    $("signed-in").hidden = false;
    // The form stays, for signing in as someone else.
    const heading = document.querySelector("#dev-form h1");
    heading.dataset.i18n = "sign-in.other";
    heading.textContent = P.t("sign-in.other");
    P.bar(session);
  }

  async function start() {
    P.bar(null);
    $("sign-out").addEventListener("click", P.signOut);
    if (document.body.dataset.mode !== "development") return;
    const form = $("dev-form");
    form.addEventListener("submit", signIn);
    $("role").addEventListener("change", onRoleChange);
    $("area-search").addEventListener("input", () => {
      chosen = null;
      showChosen();
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 150);
    });
    $("area-search").addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        $("area-results").querySelector("button")?.focus();
      } else if (event.key === "Escape") {
        closeResults();
      } else if (event.key === "Enter") {
        event.preventDefault();
        const first = $("area-results").querySelector("button");
        if (first && !$("area-results").hidden) first.click();
      }
    });
    document.addEventListener("pantau:lang", () => { showHint(); showChosen(); });
    onRoleChange();
    try {
      const session = await P.api("/auth/session", { signIn: false });
      showSignedIn(session);
    } catch (error) {
      // Not signed in: the form is what this page is for.
    }
  }

  start();
})();
