// One session: its status, used / limit per token, activity, update, revoke, close.

import { api } from "./api.js";
import { initialFrom, livePreview, policyEditor, previewPanel } from "./policy-editor.js";
import { actionButton, addressText, debounce, errorBox, every, h, onLeave, page, short, statusBadge, timeLeft } from "./ui.js";

/** Where a revealed token was: it is gone, by design. */
export function tokenGonePage(wallet, session) {
  page(
    "Token shown once",
    h(
      "section",
      { class: "card" },
      h("p", {}, "The session's token was shown once, when it was created, and is not kept anywhere: not by this page, not by the server."),
      h("p", {}, "If it was not copied, revoke that session and create a new one."),
      h(
        "p",
        {},
        session ? h("a", { href: `#/sessions/${session}` }, "Open the session") : null,
        session ? " · " : null,
        h("a", { href: `#/wallets/${wallet}/new` }, "New session"),
      ),
    ),
  );
}
export function labelOf() {
  const input = document.getElementById("policy-label");
  return input ? input.value.trim() : "";
}
export async function sessionPage(session) {
  const details = h("div", { id: "session-details", "aria-live": "polite" });
  const events = h("div", { class: "table-wrap", id: "session-events" });
  let view = null;
  let closed = false;
  const chart = h("div", { id: "spend-chart" });
  let titleEl = null;
  // The largest single use per token so far, for the per-transaction bar.
  let largest = {};
  const showView = (fresh) => {
    // An answer that comes after the owner left this page changes nothing.
    if (titleEl && !titleEl.isConnected) return;
    view = fresh;
    // The label its owner gave it (kept by the API; the chain keeps none). This page's own
    // title only: an answer may arrive after the owner moved on to another page.
    if (titleEl && view.label) titleEl.textContent = `Session “${view.label}”`;
    details.replaceChildren(sessionDetails(view, largest));
    // A revoked session can no longer act or be changed: only closing it is left.
    const ended = view.status === "revoked";
    for (const id of ["open-update", "revoke-session"]) {
      const button = document.getElementById(id);
      const shown = button?.closest(".action") ?? button;
      if (shown) shown.hidden = ended;
    }
    endedNote.hidden = !ended;
    if (ended) updateBox.replaceChildren();
  };
  // A refresh started before a close may answer after it: once closed, answers are dropped
  // (the account is gone, and the "closed" note must stay).
  const refresh = async () => {
    try {
      if (closed) return;
      const fresh = await api("GET", `/v1/sessions/${session}`);
      if (closed) return;
      showView(fresh);
    } catch (e) {
      if (closed) return;
      details.replaceChildren(errorBox(e));
    }
    try {
      const activity = await api("GET", `/v1/sessions/${session}/events`);
      if (closed) return;
      largest = {};
      for (const e of activity.events) {
        for (const o of e.outflows ?? []) {
          const a = amount(o.amount) ?? 0;
          if (a > (amount(largest[o.token] ?? "0") ?? 0)) largest[o.token] = o.amount;
        }
      }
      if (view && titleEl?.isConnected) details.replaceChildren(sessionDetails(view, largest));
      events.replaceChildren(eventsTable(activity.events));
      chart.replaceChildren(spendChart(activity.events, view));
    } catch (e) {
      if (!closed) events.replaceChildren(errorBox(e));
    }
  };
  const endedNote = h("p", { class: "help", id: "ended-note", hidden: true }, "Revoked: this session can never act again. Close it to return its rent.");
  const updateBox = h("div", { id: "update-box" });
  const openUpdate = async () => {
    // The first figures may still be on their way.
    if (!view) await refresh();
    if (!view) return;
    const panel = previewPanel();
    let run = () => {};
    const editor = policyEditor(initialFrom(view), () => run(), { withLabel: false });
    run = debounce(livePreview(editor, panel, view.wallet, view.session_key), 250);
    updateBox.replaceChildren(
      h("h2", {}, "Update the policy"),
      h("p", { class: "help" }, "Spent amounts and uses carry over. The update is refused on chain if the session is used in between."),
      h("div", { class: "split" }, editor, panel),
      actionButton("Update session", {
        id: "update-session",
        primary: true,
        prepare: () => api("POST", `/v1/sessions/${session}/update/prepare`, { policy: editor.policy(), expected_uses: view.uses }),
        done: async () => {
          updateBox.replaceChildren(h("p", { class: "ok", role: "status", id: "update-done" }, "Policy updated."));
          await refresh();
        },
      }),
    );
    run();
    updateBox.querySelector("input")?.focus();
  };
  page(
    "Session",
    h("p", {}, addressText(session)),
    details,
    h(
      "section",
      { class: "card", "aria-labelledby": "actions-title" },
      h("h2", { id: "actions-title" }, "Actions"),
      h(
        "div",
        { class: "row wrap" },
        h("button", { type: "button", id: "open-update", onclick: openUpdate }, "Update policy…"),
        actionButton("Revoke", {
          id: "revoke-session",
          danger: true,
          confirmText: "Revoke this session? Its holder loses access at once.",
          prepare: () => api("POST", `/v1/sessions/${session}/revoke/prepare`, {}),
          done: refresh,
        }),
        endedNote,
        actionButton("Close", {
          id: "close-session",
          danger: true,
          confirmText: "Close this session? Its account is deleted and the rent returns to whoever paid it.",
          prepare: () => api("POST", `/v1/sessions/${session}/close/prepare`, {}),
          done: async () => {
            closed = true;
            details.replaceChildren(h("p", { class: "ok", role: "status", id: "closed" }, "Session closed: its account is gone and the rent returned."));
          },
        }),
      ),
      updateBox,
    ),
    h("section", { "aria-labelledby": "chart-title" }, h("h2", { id: "chart-title" }, "Spend over time"), chart),
    h("section", { "aria-labelledby": "events-title" }, h("h2", { id: "events-title" }, "Activity ", h("span", { class: "live", id: "live-state", title: "Updates as the chain reports them" }, "")), events),
  );
  titleEl = document.getElementById("page-title");
  await refresh();
  // Live: the API's event stream says when the session changed on chain; the page then reads
  // it again (activity and figures). The browser reconnects by itself, with Last-Event-ID.
  if (typeof EventSource !== "undefined") {
    const stream = new EventSource(`/v1/events?session=${encodeURIComponent(session)}`);
    const live = document.getElementById("live-state");
    stream.onopen = () => { if (live) live.textContent = "● live"; };
    stream.onerror = () => { if (live) live.textContent = "reconnecting…"; };
    for (const type of ["session.used", "session.limit_near", "session.revoked", "session.expired", "session.closed", "session.created"]) {
      stream.addEventListener(type, () => { if (!closed) refresh(); });
    }
    onLeave(() => stream.close());
  }
  every(5000, async () => {
    // Keep the editor's inputs alone while the owner types; refresh the figures only.
    if (closed) return;
    try {
      const fresh = await api("GET", `/v1/sessions/${session}`);
      if (!closed) showView(fresh);
    } catch {
      // The next refresh or action shows the error.
    }
  });
}

/** A decimal string as a number, for drawing only (the figures shown stay exact text). */
function amount(text) {
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** used / limit as a bar (no bar for an unbounded limit); amber from 80 %. */
function bar(used, limit, what) {
  const u = amount(used ?? "0");
  const l = amount(limit);
  if (u === null || l === null || l <= 0) return null;
  const percent = Math.min(100, Math.round((u / l) * 100));
  // Set through the CSSOM: the page's CSP allows no inline style attributes.
  const fill = h("span", {});
  fill.style.width = `${percent}%`;
  return h(
    "div",
    { class: `bar${percent >= 80 ? " near" : ""}`, role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(percent), "aria-label": `${what}: ${used ?? "0"} of ${limit} (${percent} %)` },
    fill,
  );
}

/**
 * Cumulative spend per token over this session's uses, as an inline SVG line chart, with the
 * total limit as a dashed line where there is one.
 */
export function spendChart(events, view) {
  const uses = events.filter((e) => e.kind === "session_used" && e.outflows?.length).reverse();
  if (!uses.length) return h("p", { class: "muted", id: "spend-chart-empty" }, "Nothing spent yet.");
  const tokens = [...new Set(uses.flatMap((e) => e.outflows.map((o) => o.token)))];
  const W = 560, H = 160, pad = 28;
  const svgNS = "http://www.w3.org/2000/svg";
  const el = (tag, attrs) => {
    const node = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };
  const figure = h("div", { class: "charts" });
  tokens.forEach((token, i) => {
    // Summed exactly (decimal strings as scaled integers): 0.1 + 0.05 is 0.15, not 0.15000000000000002.
    const amounts = uses.flatMap((e) => e.outflows.filter((o) => o.token === token).map((o) => o.amount));
    const places = Math.max(0, ...amounts.map((a) => (a.split(".")[1] ?? "").length));
    const scaled = (a) => BigInt(a.replace(".", "") + "0".repeat(places - (a.split(".")[1] ?? "").length));
    const text = (units) => {
      const digits = units.toString().padStart(places + 1, "0");
      const whole = digits.slice(0, digits.length - places);
      const fraction = digits.slice(digits.length - places).replace(/0+$/, "");
      return fraction ? `${whole}.${fraction}` : whole;
    };
    let units = 0n;
    const points = [{ x: 0, y: 0 }];
    uses.forEach((e, j) => {
      for (const o of e.outflows) if (o.token === token) units += scaled(o.amount);
      points.push({ x: j + 1, y: Number(text(units)) });
    });
    const sum = text(units);
    const limit = amount(view?.policy?.limits?.find((l) => l.token === token)?.total);
    const top = Math.max(Number(sum), limit ?? 0) || 1;
    const sx = (x) => pad + (x / Math.max(1, uses.length)) * (W - 2 * pad);
    const sy = (y) => H - pad - (y / top) * (H - 2 * pad);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", class: "spend", "data-token": token });
    const title = el("title", {});
    title.textContent = `${token} spent over ${uses.length} use(s): ${sum}${limit !== null ? ` of ${limit}` : ""}`;
    svg.append(title);
    svg.append(el("line", { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, class: "axis" }));
    if (limit !== null) {
      svg.append(el("line", { x1: pad, y1: sy(limit), x2: W - pad, y2: sy(limit), class: "limit" }));
      const label = el("text", { x: W - pad, y: sy(limit) - 4, "text-anchor": "end", class: "label" });
      label.textContent = `limit ${limit} ${token}`;
      svg.append(label);
    }
    svg.append(el("polyline", { points: points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" "), class: `line c${i % 4}` }));
    for (const p of points.slice(1)) svg.append(el("circle", { cx: sx(p.x), cy: sy(p.y), r: 3, class: `dot c${i % 4}` }));
    const total = el("text", { x: pad, y: pad - 10, class: "label" });
    total.textContent = `${token}: ${sum} spent`;
    svg.append(total);
    figure.append(svg);
  });
  return figure;
}
function sessionDetails(view, largest = {}) {
  const p = view.policy;
  return h(
    "section",
    { class: "card", "data-status": view.status },
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"), h("dd", { id: "session-status" }, statusBadge(view.status)),
      h("dt", {}, "Wallet"), h("dd", {}, h("a", { href: `#/wallets/${view.wallet}/sessions` }, short(view.wallet))),
      h("dt", {}, "Session key"), h("dd", {}, addressText(view.session_key)),
      h("dt", {}, "Valid"), h("dd", {}, `${view.valid_after} → ${view.valid_until}`),
      h("dt", {}, "Time left"), h("dd", {}, view.status === "active" ? timeLeft(view.valid_until) : "—"),
      h("dt", {}, "Uses"), h("dd", { id: "session-uses" }, `${view.uses} / ${view.max_uses ?? "unlimited"}`),
      h("dt", {}, "Programs"), h("dd", { id: "session-programs" }, p.allowed_programs.map((x) => `${x.name ?? x.address}${x.instructions?.length ? ` (only ${x.instructions.join(", ")})` : ""}`).join("; ") || "none"),
    ),
    h("h3", {}, "Spending"),
    p.limits.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "session-limits" },
            h("thead", {}, h("tr", {}, ["Token", "Used / total", "Per tx", "Period", "Only to"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              p.limits.map((l) =>
                h(
                  "tr",
                  {},
                  h("td", {}, l.token),
                  h("td", {}, `${l.used ?? "0"} / ${l.total}`, bar(l.used, l.total, `${l.token} used of total`)),
                  h("td", {}, l.per_tx, bar(largest[l.token], l.per_tx, `${l.token} largest transaction of the per-transaction limit`)),
                  h("td", {}, l.period ? [`${l.used_in_period ?? "0"} / ${l.per_period} per ${l.period}`, bar(l.used_in_period, l.per_period, `${l.token} used this ${l.period}`)] : "—"),
                  h("td", { class: "recipients" }, l.recipients?.length ? l.recipients.flatMap((r, i) => (i ? [", ", addressText(r)] : [addressText(r)])) : "anyone"),
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "No spending allowed."),
  );
}
const EVENT_NAMES = {
  session_created: "Created",
  session_used: "Used",
  session_updated: "Policy updated",
  session_revoked: "Revoked",
  session_closed: "Closed",
};
function eventsTable(events) {
  if (!events.length) return h("p", { class: "muted" }, "No activity yet.");
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ["Event", "Details", "When", "Transaction"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      events.map((e) =>
        h(
          "tr",
          { "data-kind": e.kind },
          h("td", {}, EVENT_NAMES[e.kind] ?? e.kind),
          h(
            "td",
            {},
            e.kind === "session_used"
              ? `use ${e.uses}${e.outflows.length ? ": " + e.outflows.map((o) => `−${o.amount} ${o.token}`).join(", ") : ""}`
              : e.by
                ? `by ${short(e.by)}`
                : "",
          ),
          h("td", {}, e.block_time ? new Date(e.block_time * 1000).toLocaleString() : `slot ${e.slot}`),
          h("td", {}, h("code", { title: e.signature }, short(e.signature))),
        ),
      ),
    ),
  );
}
