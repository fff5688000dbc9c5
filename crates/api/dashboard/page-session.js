// One session: its status, used / limit per token, activity, update, revoke, close.

import { api } from "./api.js";
import { initialFrom, livePreview, policyEditor, previewPanel } from "./policy-editor.js";
import { actionButton, addressText, debounce, errorBox, every, h, page, short, statusBadge, timeLeft } from "./ui.js";

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
  const refresh = async () => {
    try {
      if (closed) return;
      view = await api("GET", `/v1/sessions/${session}`);
      details.replaceChildren(sessionDetails(view));
    } catch (e) {
      details.replaceChildren(errorBox(e));
    }
    try {
      const activity = await api("GET", `/v1/sessions/${session}/events`);
      events.replaceChildren(eventsTable(activity.events));
    } catch (e) {
      events.replaceChildren(errorBox(e));
    }
  };
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
    h("section", { "aria-labelledby": "events-title" }, h("h2", { id: "events-title" }, "Activity"), events),
  );
  await refresh();
  every(5000, async () => {
    // Keep the editor's inputs alone while the owner types; refresh the figures only.
    if (closed) return;
    try {
      view = await api("GET", `/v1/sessions/${session}`);
      details.replaceChildren(sessionDetails(view));
    } catch {
      // The next refresh or action shows the error.
    }
  });
}
function sessionDetails(view) {
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
                  h("td", {}, `${l.used ?? "0"} / ${l.total}`),
                  h("td", {}, l.per_tx),
                  h("td", {}, l.period ? `${l.used_in_period ?? "0"} / ${l.per_period} per ${l.period}` : "—"),
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
