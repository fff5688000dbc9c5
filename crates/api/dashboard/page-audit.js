// The audit log and its verification.

import { api } from "./api.js";
import { errorBox, h, page } from "./ui.js";

export async function auditPage() {
  const verify = h("div", { id: "audit-verify", "aria-live": "polite" });
  const list = h("div", { class: "table-wrap", id: "audit-log" });
  page(
    "Audit log",
    h("p", { class: "help" }, "Every key change, prepare, submit and sign-in, hash-chained and signed by the server's audit key. Needs an admin key."),
    h("div", { class: "row wrap" }, h("button", { type: "button", id: "verify-audit", onclick: () => runVerify() }, "Verify the chain"), verify),
    list,
  );
  const runVerify = async () => {
    try {
      const v = await api("GET", "/v1/audit/verify");
      verify.replaceChildren(
        v.valid
          ? h("span", { class: "ok", id: "audit-valid" }, `✔ valid: ${v.entries} entries`)
          : h("span", { class: "error-inline" }, `✘ broken at entry ${v.first_invalid_seq}: ${v.reason}`),
      );
    } catch (e) {
      verify.replaceChildren(errorBox(e));
    }
  };
  try {
    // Only the end of the log, newest first; the full chain is in `leash audit export`.
    const log = await api("GET", "/v1/audit/log?newest=true&limit=100");
    const entries = log.entries.slice().reverse();
    // Key ids as the names people gave them (revoked keys keep their names).
    const names = new Map();
    try {
      for (const k of (await api("GET", "/v1/api-keys")).keys) names.set(k.id, k.name);
    } catch {
      // Without the list the ids stay.
    }
    const actor = (id) => (names.has(id) ? h("span", { title: id }, names.get(id), h("span", { class: "muted" }, ` (${id.slice(0, 10)}…)`)) : id);
    list.replaceChildren(
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ["#", "When", "Event and resource", "Actor", "Details"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          entries.map((e) =>
            h(
              "tr",
              { "data-event": e.event_type, class: e.event_type.endsWith("_failed") ? "failed" : null },
              h("td", {}, e.seq),
              h("td", { class: "nowrap" }, new Date(e.ts * 1000).toISOString().replace("T", " ").slice(0, 19)),
              h(
                "td",
                {},
                h("div", {}, e.event_type),
                h("code", { class: "muted", title: e.resource }, e.resource.length > 24 ? `${e.resource.slice(0, 24)}…` : e.resource),
              ),
              h("td", { class: "actor" }, actor(e.actor)),
              h("td", { class: "payload" }, payloadText(e.payload)),
            ),
          ),
        ),
      ),
    );
  } catch (e) {
    list.replaceChildren(errorBox(e));
  }
}
function payloadText(payload) {
  try {
    const p = JSON.parse(payload);
    const text = p.summary
      ? p.summary.split("\n")[0]
      : Object.entries(p).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
    return text.length > 70 ? `${text.slice(0, 70)}…` : text;
  } catch {
    return payload;
  }
}

// ---------------------------------------------------------------------------------------------
// Routing.
