// Session requests from agents: approve (possibly narrower) or deny.

import { api } from "./api.js";
import { PROGRAMS, livePreview, policyEditor, previewPanel } from "./policy-editor.js";
import { actionButton, addressText, confirmDialog, debounce, errorBox, every, h, notice, page, short, statusBadge } from "./ui.js";

/** The editor's initial values from a policy file as an agent filed it. */
function initialFromFile(file) {
  const known = new Set(PROGRAMS.map(([n]) => n));
  const programs = [];
  const others = [];
  for (const p of file.allowed_programs ?? []) {
    const name = p === "token" ? "spl-token" : p;
    if (known.has(name)) programs.push(name);
    else others.push(p);
  }
  const instructions = {};
  for (const r of file.program_rules ?? []) {
    const name = r.program === "token" ? "spl-token" : r.program;
    instructions[name] = r.instructions;
  }
  const m = /^(\d+)\s*([mhd])$/.exec(file.expires_in ?? "");
  return {
    label: file.label ?? "",
    duration: m ? m[1] : "1",
    unit: m ? m[2] : "h",
    max_uses: file.max_uses ?? "",
    programs,
    instructions,
    other_programs: others,
    limits: (file.limits ?? []).map((l) => ({
      recipients: l.recipients ?? [],
      token: l.token,
      per_tx: l.per_tx ?? "",
      total: l.total ?? "",
      period: l.daily ? "1d" : l.period ?? "",
      per_period: l.daily ?? l.per_period ?? "",
    })),
  };
}
/** What an agent asked for, in one line per bound. */
function askedPolicy(policy) {
  if (!policy) return h("p", { class: "muted" }, "—");
  return h(
    "ul",
    { class: "limits" },
    h("li", {}, `Valid until ${policy.valid_until}`),
    h("li", {}, `Max uses ${policy.max_uses ?? "unlimited"}`),
    h("li", {}, `Programs: ${(policy.allowed_programs ?? []).map((p) => `${p.name ?? short(p.address)}${p.instructions?.length ? ` (only ${p.instructions.join(", ")})` : ""}`).join("; ") || "none"}`),
    (policy.limits ?? []).map((l) => h("li", {}, `${l.token}: per tx ${l.per_tx}, total ${l.total}${l.period ? `, ${l.per_period} per ${l.period}` : ""}${l.recipients?.length ? `, only to ${l.recipients.map(short).join(", ")}` : ""}`)),
  );
}
/** Session requests agents filed (docs/agents.md): approve (with edits) or deny. */
export async function requestsPage() {
  const pending = h("div", { id: "pending-requests", "aria-live": "polite" });
  const decided = h("div", { class: "table-wrap", id: "decided-requests" });
  const refresh = async () => {
    try {
      const all = (await api("GET", "/v1/session-requests")).requests;
      const open = all.filter((r) => r.status === "pending");
      pending.replaceChildren(
        open.length ? h("div", {}, open.map((r) => requestCard(r, refresh))) : h("p", { class: "muted", id: "no-pending" }, "No pending requests."),
      );
      const rest = all.filter((r) => r.status !== "pending");
      decided.replaceChildren(
        rest.length
          ? h(
              "table",
              {},
              h("thead", {}, h("tr", {}, ["Request", "Status", "Reason", "Session", "Note"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                {},
                rest.map((r) =>
                  h(
                    "tr",
                    { "data-request": r.id },
                    h("td", {}, h("code", {}, r.id)),
                    h("td", {}, statusBadge(r.status)),
                    h("td", {}, r.reason),
                    h("td", {}, r.status === "approved" ? h("a", { href: `#/sessions/${r.session}` }, short(r.session)) : "—"),
                    h("td", {}, r.note ?? ""),
                  ),
                ),
              ),
            )
          : h("p", { class: "muted" }, "None yet."),
      );
    } catch (e) {
      pending.replaceChildren(errorBox(e));
    }
  };
  page(
    "Session requests",
    h("p", { class: "help" }, "Agents ask for a session for a key they made (`leash session request`, or the MCP tool request_session). Approving registers that key with the policy you approve; its secret never leaves the agent."),
    h("section", { "aria-labelledby": "pending-title" }, h("h2", { id: "pending-title" }, "Pending"), pending),
    h("section", { "aria-labelledby": "decided-title" }, h("h2", { id: "decided-title" }, "Decided"), decided),
  );
  await refresh();
  every(10000, () => {
    // Leave an open approval editor alone.
    if (!pending.querySelector("#policy-editor")) refresh();
  });
}
function requestCard(request, refresh) {
  const editBox = h("div", { class: "approve-box" });
  const note = h("input", { id: `deny-note-${request.id}`, maxlength: 500, placeholder: "why (the agent sees it)" });
  const openApprove = () => {
    // One editor at a time: the editor's fields have fixed ids.
    for (const box of document.querySelectorAll(".approve-box")) box.replaceChildren();
    const panel = previewPanel();
    let run = () => {};
    const editor = policyEditor(initialFromFile(request.policy_file ?? {}), () => run(), { withLabel: false });
    run = debounce(livePreview(editor, panel, request.wallet, request.session_key), 250);
    const topUp = h("input", { id: "approve-top-up", value: "0.01", inputmode: "decimal" });
    editBox.replaceChildren(
      h("h4", {}, "Approve — edit the policy if you want it narrower"),
      h("div", { class: "split" }, editor, panel),
      h("div", { class: "field" }, h("label", { for: "approve-top-up" }, "SOL sent to the agent's key for its fees"), topUp),
      actionButton("Approve and sign", {
        id: "approve-request",
        primary: true,
        prepare: () => api("POST", `/v1/session-requests/${request.id}/approve/prepare`, { policy: editor.policy(), top_up: topUp.value.trim() }),
        done: refresh,
      }),
    );
    run();
  };
  const deny = h("button", { type: "button", class: "danger", id: `deny-${request.id}` }, "Deny");
  const denyOut = h("div", { class: "action-out" });
  deny.addEventListener("click", async () => {
    if (!(await confirmDialog("Deny this request? The agent is told, with your note.", "Deny"))) return;
    try {
      await api("POST", `/v1/session-requests/${request.id}/deny`, note.value.trim() ? { note: note.value.trim() } : {});
      notice(`Request ${request.id} denied`);
      await refresh();
    } catch (e) {
      denyOut.replaceChildren(errorBox(e));
    }
  });
  return h(
    "section",
    { class: "card request", "data-request": request.id },
    h("h3", {}, `“${request.reason}”`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Request"), h("dd", {}, h("code", {}, request.id)),
      h("dt", {}, "Wallet"), h("dd", {}, h("a", { href: `#/wallets/${request.wallet}/sessions` }, short(request.wallet))),
      h("dt", {}, "Agent's key"), h("dd", {}, addressText(request.session_key)),
      h("dt", {}, "Filed"), h("dd", {}, `${request.created_at} (decide before ${request.expires_at})`),
      h("dt", {}, "Asked for"), h("dd", {}, askedPolicy(request.policy)),
    ),
    h(
      "div",
      { class: "row wrap" },
      h("button", { type: "button", id: `open-approve-${request.id}`, onclick: openApprove }, "Approve…"),
      h("label", { for: note.id, class: "inline" }, "Note"),
      note,
      deny,
    ),
    denyOut,
    editBox,
  );
}
