// The policy editor and its live preview (the API's preview: rent, warnings, the summary).

import { api } from "./api.js";
import { addressText, errorBox, every, h, onLeave, short } from "./ui.js";

export const PROGRAMS = [
  ["system", "System (SOL transfers)"],
  ["spl-token", "SPL Token"],
  ["token-2022", "Token-2022"],
  ["associated-token", "Associated token accounts"],
  ["memo", "Memo"],
];
/**
 * Instructions an owner may pick for the well-known programs (the names the SDK resolves:
 * docs/program.md, "Instruction rules"). None picked: every instruction of the program.
 */
export const INSTRUCTIONS = {
  system: ["transfer", "create_account", "transfer_with_seed", "advance_nonce_account"],
  "spl-token": ["transfer_checked", "transfer", "approve_checked", "revoke", "close_account", "burn_checked", "sync_native"],
  "token-2022": ["transfer_checked", "transfer_checked_with_fee", "transfer", "approve_checked", "revoke", "close_account", "burn_checked"],
  "associated-token": ["create_idempotent", "create"],
};
const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
export function policyEditor(initial, onInput, { withLabel = true } = {}) {
  const field = (id, label, input, help, cls = "field") =>
    h("div", { class: cls }, h("label", { for: id }, label), input, help ? h("p", { class: "help", id: `${id}-help` }, help) : null);
  const label = h("input", { id: "policy-label", value: initial.label ?? "", maxlength: 64 });
  const duration = h("input", { id: "policy-duration", type: "number", min: "1", value: initial.duration ?? "2", inputmode: "numeric" });
  const unit = h(
    "select",
    { id: "policy-unit", "aria-label": "Duration unit" },
    ["m", "h", "d"].map((u) => h("option", { value: u, selected: (initial.unit ?? "h") === u }, { m: "minutes", h: "hours", d: "days" }[u])),
  );
  const maxUses = h("input", { id: "policy-max-uses", type: "number", min: "0", value: initial.max_uses ?? "", placeholder: "unlimited", inputmode: "numeric" });
  const programs = h(
    "fieldset",
    { id: "policy-programs" },
    h("legend", {}, "Allowed programs"),
    PROGRAMS.map(([name, text]) => {
      const picked = initial.instructions?.[name] ?? [];
      const picks = INSTRUCTIONS[name]
        ? h(
            "details",
            { class: "instruction-picks", "data-program": name, open: picked.length > 0 },
            h("summary", {}, `Only some instructions`, h("span", { class: "muted" }, " (none picked: any)")),
            INSTRUCTIONS[name].map((ix) =>
              h("label", { class: "check" }, h("input", { type: "checkbox", class: "instruction", value: ix, checked: picked.includes(ix) }), " ", h("code", {}, ix)),
            ),
          )
        : null;
      return h(
        "div",
        { class: "program" },
        h("label", { class: "check" }, h("input", { type: "checkbox", class: "program-pick", value: name, checked: (initial.programs ?? ["system", "spl-token"]).includes(name) }), ` ${text} `, h("code", {}, name)),
        picks,
      );
    }),
    h("label", { for: "policy-other-programs" }, "Other program addresses (comma-separated)"),
    h("input", { id: "policy-other-programs", value: (initial.other_programs ?? []).join(", ") }),
  );
  const limitsBox = h("div", { id: "policy-limits" });
  let limitCount = 0;
  const addLimit = (l = {}) => {
    const n = limitCount++;
    const id = (x) => `limit-${n}-${x}`;
    const token = h("input", { id: id("token"), value: l.token ?? "SOL", list: "token-symbols", class: "limit-token" });
    const perTx = h("input", { id: id("per-tx"), value: l.per_tx ?? "", placeholder: "unlimited", inputmode: "decimal", class: "limit-per-tx" });
    const total = h("input", { id: id("total"), value: l.total ?? "", placeholder: "unlimited", inputmode: "decimal", class: "limit-total" });
    const period = h(
      "select",
      { id: id("period"), class: "limit-period" },
      [["", "no period"], ["1h", "per hour"], ["1d", "per day"], ["7d", "per week"], ["30d", "per 30 days"]].map(([v, t]) =>
        h("option", { value: v, selected: (l.period ?? "") === v }, t),
      ),
    );
    const perPeriod = h("input", { id: id("per-period"), value: l.per_period ?? "", placeholder: "amount per period", inputmode: "decimal", class: "limit-per-period" });
    const recipients = h("input", { id: id("recipients"), value: (l.recipients ?? []).join(", "), placeholder: "anyone", class: "limit-recipients", autocomplete: "off", spellcheck: "false" });
    const row = h(
      "fieldset",
      { class: "limit" },
      h("legend", {}, "Limit"),
      field(id("token"), "Token (symbol or mint)", token),
      field(id("per-tx"), "Per transaction", perTx),
      field(id("total"), "Total", total),
      field(id("period"), "Period", period),
      field(id("per-period"), "Per period", perPeriod),
      field(id("recipients"), "Only to (owner addresses, comma-separated)", recipients, "Blank: anyone. For SOL, the receiving accounts. A swap's pool counts as a recipient.", "field wide"),
      h("button", { type: "button", class: "link remove-limit", onclick: () => { row.remove(); renumber(); onInput(); } }, "Remove"),
    );
    limitsBox.append(row);
    renumber();
  };
  /** Limits are numbered as they stand, for the legend and the remove button's name. */
  const renumber = () => {
    [...limitsBox.querySelectorAll("fieldset.limit")].forEach((row, i) => {
      row.querySelector("legend").textContent = `Limit ${i + 1}`;
      row.querySelector(".remove-limit").textContent = `Remove limit ${i + 1}`;
    });
  };
  for (const l of initial.limits ?? [{ token: "SOL", per_tx: "0.1", total: "1" }]) addLimit(l);
  const editor = h(
    "form",
    { class: "card editor", id: "policy-editor", novalidate: true },
    h("datalist", { id: "token-symbols" }, ["SOL", "USDC", "USDT"].map((s) => h("option", { value: s }))),
    withLabel ? field("policy-label", "Label (who holds it, kept in the token)", label) : null,
    h("div", { class: "field" }, h("label", { for: "policy-duration" }, "Valid for"), h("div", { class: "row" }, duration, unit)),
    field("policy-max-uses", "Max uses", maxUses, "Blank: unlimited."),
    programs,
    h("h3", {}, "Spending limits"),
    h("p", { class: "help" }, "Amounts are exact decimals in the token's units. Blank: unlimited."),
    limitsBox,
    h("button", { type: "button", id: "add-limit", onclick: () => { addLimit({ token: "USDC" }); onInput(); } }, "Add a limit"),
  );
  editor.addEventListener("input", onInput);
  editor.addEventListener("change", onInput);
  editor.addEventListener("submit", (e) => e.preventDefault());
  /** The policy as the API's Policy schema. */
  editor.policy = () => {
    const policy = {};
    if (label.value.trim()) policy.label = label.value.trim();
    policy.expires_in = `${duration.value.trim() || "0"}${unit.value}`;
    if (maxUses.value.trim() !== "") policy.max_uses = Number(maxUses.value);
    const names = [...programs.querySelectorAll("input.program-pick:checked")].map((c) => c.value);
    const others = document.getElementById("policy-other-programs").value.split(",").map((s) => s.trim()).filter(Boolean);
    policy.allowed_programs = [...names, ...others];
    policy.limits = [...limitsBox.querySelectorAll("fieldset.limit")].map((row) => {
      const get = (cls) => row.querySelector(`.${cls}`).value.trim();
      const limit = { token: get("limit-token") };
      if (get("limit-per-tx")) limit.per_tx = get("limit-per-tx");
      if (get("limit-total")) limit.total = get("limit-total");
      if (get("limit-period")) {
        limit.period = get("limit-period");
        limit.per_period = get("limit-per-period") || "0";
      }
      const recipients = list(get("limit-recipients"));
      if (recipients.length) limit.recipients = recipients;
      return limit;
    });
    const rules = [...programs.querySelectorAll("details.instruction-picks")]
      .filter((d) => names.includes(d.dataset.program))
      .map((d) => ({ program: d.dataset.program, instructions: [...d.querySelectorAll("input.instruction:checked")].map((c) => c.value) }))
      .filter((r) => r.instructions.length);
    if (rules.length) policy.program_rules = rules;
    return policy;
  };
  return editor;
}
/** The editor's initial values from a session's policy summary (for an update). */
export function initialFrom(view) {
  const known = new Map(PROGRAMS.map(([n]) => [n, true]));
  const programs = [];
  const others = [];
  const instructions = {};
  for (const p of view.policy.allowed_programs) {
    const name = p.name === "token" ? "spl-token" : p.name;
    if (name && known.has(name)) {
      programs.push(name);
      if (p.instructions?.length) instructions[name] = p.instructions;
    } else others.push(p.address);
  }
  const seconds = Math.max(60, Math.floor((Date.parse(view.valid_until) - Date.now()) / 1000));
  const [duration, unit] = seconds % 86400 === 0 ? [seconds / 86400, "d"] : seconds >= 3600 ? [Math.ceil(seconds / 3600), "h"] : [Math.ceil(seconds / 60), "m"];
  const amount = (x) => (x === "unlimited" ? "" : x);
  return {
    duration,
    unit,
    max_uses: view.max_uses ?? "",
    programs,
    instructions,
    other_programs: others,
    limits: view.policy.limits.map((l) => ({
      recipients: l.recipients ?? [],
      token: l.token,
      per_tx: amount(l.per_tx),
      total: amount(l.total),
      period: l.period ?? "",
      per_period: l.per_period ?? "",
    })),
  };
}
export function previewPanel() {
  return h("section", { class: "card preview", id: "preview", "aria-live": "polite", "aria-labelledby": "preview-title" }, h("h2", { id: "preview-title" }, "Preview"));
}
function renderPreview(panel, preview) {
  const p = preview.policy;
  panel.replaceChildren(
    h("h2", { id: "preview-title" }, "Preview"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Session"), h("dd", { id: "preview-session" }, addressText(preview.session)),
      h("dt", {}, "Valid"), h("dd", {}, `${p.valid_after} → ${p.valid_until}`),
      h("dt", {}, "Max uses"), h("dd", {}, p.max_uses ?? "unlimited"),
      h("dt", {}, "Programs"), h("dd", { id: "preview-programs" }, p.allowed_programs.length ? p.allowed_programs.map((x) => `${x.name ?? short(x.address)}${x.instructions?.length ? ` (only ${x.instructions.join(", ")})` : ""}`).join("; ") : "none"),
      h("dt", {}, "Rent"), h("dd", { id: "preview-rent" }, `${preview.rent} SOL (returned on close)`),
    ),
    h("h3", {}, "Limits"),
    p.limits.length
      ? h("ul", { class: "limits", id: "preview-limits" }, p.limits.map((l) => h("li", {}, `${l.token}: per tx ${l.per_tx}, total ${l.total}${l.period ? `, ${l.per_period} per ${l.period}` : ""}${l.recipients?.length ? `, only to ${l.recipients.map(short).join(", ")}` : ", to anyone"}`)))
      : h("p", { class: "muted" }, "none"),
    preview.warnings.length
      ? h("ul", { class: "warnings", id: "preview-warnings" }, preview.warnings.map((w) => h("li", {}, "⚠ ", w)))
      : h("p", { class: "ok", id: "preview-warnings-none" }, "No warnings."),
  );
  panel.dataset.session = preview.session;
  panel.dataset.revision = String(Number(panel.dataset.revision || 0) + 1);
  // On a phone the panel sits below the editor: a bar fixed at the bottom keeps its verdict
  // in sight while typing, and jumps to it.
  panel.append(
    h(
      "div",
      { class: "preview-peek", id: "preview-peek" },
      preview.warnings.length
        ? h("span", { class: "warn" }, `⚠ ${preview.warnings.length} warning${preview.warnings.length > 1 ? "s" : ""}`)
        : h("span", { class: "ok" }, "No warnings"),
      h("span", { class: "muted" }, `rent ${preview.rent} SOL`),
      h("button", { type: "button", class: "link", onclick: () => panel.scrollIntoView({ block: "start" }) }, "See the preview"),
    ),
  );
}
/**
 * Previews `editor.policy()` for (wallet, session key) on every change, debounced; the latest
 * answer wins.
 */
export function livePreview(editor, panel, wallet, sessionKey) {
  let controller = null;
  const run = async () => {
    if (controller) controller.abort();
    controller = new AbortController();
    const status = h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Previewing…");
    panel.querySelector(".preview-status")?.remove();
    status.classList.add("preview-status");
    panel.append(status);
    try {
      const preview = await api("POST", "/v1/sessions/preview", { wallet, session_key: sessionKey, policy: editor.policy() }, { signal: controller.signal });
      renderPreview(panel, preview);
    } catch (e) {
      if (e.name === "AbortError") return;
      panel.replaceChildren(h("h2", { id: "preview-title" }, "Preview"), errorBox(e));
      panel.dataset.revision = String(Number(panel.dataset.revision || 0) + 1);
    }
  };
  onLeave(() => controller && controller.abort());
  return run;
}
