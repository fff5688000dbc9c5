// The Leash dashboard (docs/dashboard.md): one page, routes in the URL's hash, every figure from the
// API. Owners sign in their browser wallet (Wallet Standard) or with the server's local signer;
// session keys are made here and their token is shown once.

import { api, ApiError, setCsrfToken } from "./api.js";
import { fromBase64, newSessionKey, sessionToken, ed25519Supported } from "./keys.js";
import { connect, onWalletsChanged, solanaWallets } from "./wallet.js";

// ---------------------------------------------------------------------------------------------
// State.

const state = {
  /** GET /v1/dashboard/session: key, csrf_token, cluster, signer… */
  me: null,
  /** The owner's signer: a connected wallet or the server's local signer. */
  signer: null,
};

/** Things a page started (polls, debounces) that end when the page changes. */
let pageCleanups = [];

function onLeave(fn) {
  pageCleanups.push(fn);
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: elements built with text nodes only (no HTML strings, nothing to inject).

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const main = () => document.getElementById("main");

function short(address) {
  return address && address.length > 12 ? `${address.slice(0, 4)}…${address.slice(-4)}` : address;
}

function addressText(address) {
  return h("code", { class: "address", title: address }, address);
}

function errorBox(error) {
  const box = h(
    "div",
    { class: "error", role: "alert", "data-code": error.code || "error" },
    h("p", { class: "error-message" }, h("strong", {}, "Refused: "), error.message),
    error.hint ? h("p", { class: "error-hint" }, "Hint: ", error.hint) : null,
    error.code ? h("p", { class: "error-code" }, `code ${error.code}${error.requestId ? ` · ${error.requestId}` : ""}`) : null,
  );
  return box;
}

function page(title, ...children) {
  const root = main();
  root.replaceChildren(h("h1", { tabindex: "-1", id: "page-title" }, title), ...children);
  document.title = `${title} · Leash`;
  return root;
}

function focusTitle() {
  const title = document.getElementById("page-title");
  if (title) title.focus({ preventScroll: false });
}

function timeLeft(validUntil) {
  const end = Date.parse(validUntil);
  if (Number.isNaN(end)) return "";
  let seconds = Math.floor((end - Date.now()) / 1000);
  if (seconds <= 0) return "ended";
  const d = Math.floor(seconds / 86400);
  seconds %= 86400;
  const hrs = Math.floor(seconds / 3600);
  seconds %= 3600;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${hrs}h left`;
  if (hrs > 0) return `${hrs}h ${m}m left`;
  if (m > 0) return `${m}m ${s}s left`;
  return `${s}s left`;
}

function statusBadge(status) {
  return h("span", { class: `badge status-${status.replace(/\s+/g, "-")}` }, status);
}

function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  onLeave(() => clearTimeout(timer));
  return run;
}

/** Polls `fn` every `ms` while the page stays. */
function every(ms, fn) {
  const timer = setInterval(fn, ms);
  onLeave(() => clearInterval(timer));
}

// ---------------------------------------------------------------------------------------------
// Signing: prepare → sign (wallet or local signer) → submit, with progress.

function progressPanel() {
  return h("div", { class: "progress", role: "status", "aria-live": "polite", hidden: true });
}

/**
 * Signs and submits every transaction of a prepared operation, showing progress in `panel`.
 * Resolves to the submits' answers; throws an ApiError (or the wallet's error).
 */
async function signAndSubmit(prepared, panel) {
  const signer = state.signer;
  if (!signer) {
    throw new ApiError(0, {
      code: "no_signer",
      message: "connect a wallet (or choose the server's signer) first",
      hint: "Wallets page → Owner",
    });
  }
  const results = [];
  const total = prepared.transactions.length;
  const show = (text, busy = true) => {
    panel.hidden = false;
    panel.replaceChildren(...(busy ? [h("span", { class: "spinner", "aria-hidden": "true" })] : []), h("span", {}, text));
  };
  for (let i = 0; i < total; i++) {
    const tx = prepared.transactions[i];
    const step = total > 1 ? ` (${i + 1} of ${total})` : "";
    let body;
    if (signer.kind === "local") {
      body = { transaction: tx.transaction, sign_with_local_signer: true };
    } else {
      show(`Approve in ${signer.name}${step}: ${tx.summary}`);
      let signed;
      try {
        signed = await signer.sign(fromBase64(tx.transaction));
      } catch (e) {
        throw new ApiError(0, {
          code: "wallet_refused",
          message: `${signer.name} did not sign: ${e.message || e}`,
          hint: "approve the request in the wallet, or try again",
        });
      }
      body = { transaction: toBase64(signed) };
    }
    show(`Confirming on ${state.me.cluster}${step}…`);
    const submitted = await api("POST", "/v1/transactions/submit", body, {
      idempotencyKey: crypto.randomUUID(),
    });
    results.push(submitted);
  }
  show(`Confirmed: ${results.map((r) => short(r.signature)).join(", ") || "nothing to send"}`, false);
  panel.dataset.done = "true";
  return results;
}

function toBase64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * A button that runs `prepare()` (→ a prepared answer), signs and submits it, then `done()`.
 * Errors go to `out`.
 */
function actionButton(label, { prepare, done, confirmText, danger, id, name, primary }) {
  const out = h("div", { class: "action-out" });
  const panel = progressPanel();
  const button = h("button", { type: "button", class: [danger ? "danger" : "", primary ? "primary" : "", name].filter(Boolean).join(" ") || null, id }, label);
  button.addEventListener("click", async () => {
    if (confirmText && !(await confirmDialog(confirmText, label))) return;
    out.replaceChildren();
    button.disabled = true;
    try {
      panel.hidden = false;
      panel.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), "Preparing…");
      const prepared = await prepare();
      const submitted = await signAndSubmit(prepared, panel);
      notice(`${label}: confirmed${submitted.length ? ` (${submitted.map((r) => short(r.signature)).join(", ")})` : ""}`);
      if (done) await done(prepared);
    } catch (e) {
      panel.hidden = true;
      out.replaceChildren(errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "action" }, button, panel, out);
}

/** Says what just happened in the page-wide status line (it outlives page re-renders). */
function notice(text) {
  const line = document.getElementById("notice");
  line.textContent = text;
  line.hidden = false;
  document.body.dataset.confirmed = String(Number(document.body.dataset.confirmed || 0) + 1);
}

/** A modal confirmation; resolves true if confirmed. */
function confirmDialog(text, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-text" },
      h("p", { id: "confirm-text" }, text),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", value: "cancel", onclick: () => dialog.close("cancel") }, "Cancel"),
        h("button", { type: "button", class: "danger", value: "confirm", onclick: () => dialog.close("confirm") }, confirmLabel),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    // Cancel has the focus first: a destructive action takes a deliberate second step.
    dialog.querySelector("button").focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Header: who is signed in, the owner's signer, navigation.

function renderHeader() {
  const nav = document.getElementById("nav");
  const me = state.me;
  if (!me) {
    nav.replaceChildren();
    return;
  }
  nav.replaceChildren(
    h("a", { href: "#/wallets" }, "Wallets"),
    h("a", { href: "#/requests" }, "Requests"),
    h("a", { href: "#/audit" }, "Audit log"),
    h("span", { class: "who" }, h("span", { class: "badge" }, me.cluster), ` ${me.key.name} (${me.key.scopes.join(", ")})`),
    h("button", { type: "button", id: "sign-out", class: "link", onclick: signOut }, "Sign out"),
  );
}

async function signOut() {
  try {
    await api("POST", "/v1/dashboard/sign-out", {});
  } catch {
    // Signed out or not, the page forgets the sign-in.
  }
  state.me = null;
  state.signer = null;
  setCsrfToken(null);
  document.getElementById("notice").hidden = true;
  sessionStorage.removeItem("leash.wallet");
  location.hash = "#/sign-in";
  renderHeader();
}

// ---------------------------------------------------------------------------------------------
// Pages.

function signInPage() {
  const input = h("input", {
    id: "api-key",
    name: "api_key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "lk_…",
  });
  const out = h("div", { class: "action-out" });
  const form = h(
    "form",
    { class: "card narrow", id: "sign-in-form" },
    h("p", {}, "Sign in with an API key: ", h("code", {}, "leash up"), " (or ", h("code", {}, "leash serve"), ") printed an admin key on its first start; ", h("code", {}, "leash api-key create"), " makes more."),
    h("label", { for: "api-key" }, "API key"),
    input,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    out,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.replaceChildren();
    try {
      const me = await api("POST", "/v1/dashboard/sign-in", { api_key: input.value.trim() });
      input.value = "";
      signedIn(me);
      location.hash = "#/wallets";
    } catch (e) {
      out.replaceChildren(errorBox(e));
      input.focus();
    }
  });
  page("Sign in", form);
  input.focus();
}

function signedIn(me) {
  state.me = me;
  setCsrfToken(me.csrf_token);
  renderHeader();
}

/** The owner panel: choose a wallet (or the local signer), airdrop on a local node. */
function ownerPanel(onChange) {
  const box = h("section", { class: "card", "aria-labelledby": "owner-title" });
  const render = () => {
    const s = state.signer;
    const children = [h("h2", { id: "owner-title" }, "Owner")];
    if (s) {
      children.push(
        h(
          "p",
          { id: "owner-address" },
          s.kind === "local" ? "Signing with the server's local signer " : `Signing with ${s.name} `,
          addressText(s.address),
        ),
        h("button", { type: "button", class: "link", onclick: () => { state.signer = null; sessionStorage.removeItem("leash.wallet"); render(); onChange(); } }, "Switch signer"),
      );
      if (state.me.airdrop && state.me.key.scopes.some((x) => x === "write" || x === "admin")) {
        const out = h("div", { class: "action-out" });
        const button = h("button", { type: "button", id: "airdrop" }, "Airdrop 10 SOL to the owner");
        button.addEventListener("click", async () => {
          out.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), "Asking the local faucet…");
          button.disabled = true;
          try {
            const r = await api("POST", "/v1/dev/airdrop", { to: s.address, amount: "10" });
            out.replaceChildren(h("p", { class: "ok", role: "status" }, `Airdropped ${r.amount} ${r.token} (local node)`));
          } catch (e) {
            out.replaceChildren(errorBox(e));
          } finally {
            button.disabled = false;
          }
        });
        children.push(h("div", { class: "action" }, button, out));
      }
    } else {
      const wallets = solanaWallets();
      children.push(h("p", {}, "Who signs as the owner? The key never reaches the server."));
      const list = h("div", { class: "row wrap", id: "wallet-choices" });
      for (const wallet of wallets) {
        list.append(
          h(
            "button",
            {
              type: "button",
              class: "wallet-choice",
              onclick: async () => {
                try {
                  state.signer = await connect(wallet, state.me.cluster);
                  sessionStorage.setItem("leash.wallet", wallet.name);
                  render();
                  onChange();
                } catch (e) {
                  box.append(errorBox({ code: "wallet_refused", message: `${wallet.name} did not connect: ${e.message || e}` }));
                }
              },
            },
            wallet.icon ? h("img", { src: wallet.icon, alt: "", width: 20, height: 20 }) : null,
            `Connect ${wallet.name}`,
          ),
        );
      }
      if (state.me.signer) {
        list.append(
          h(
            "button",
            {
              type: "button",
              id: "use-local-signer",
              onclick: () => {
                state.signer = { kind: "local", name: "local signer", address: state.me.signer };
                sessionStorage.setItem("leash.wallet", "local");
                render();
                onChange();
              },
            },
            `Use the server's signer ${short(state.me.signer)}`,
          ),
        );
      }
      if (list.childElementCount === 0) {
        children.push(
          h("p", { class: "muted" }, "No Solana wallet found in this browser. Install one that supports the Wallet Standard, or start the server with `leash serve --signer KEYPAIR` (admin keys only)."),
        );
      } else {
        children.push(list);
      }
    }
    box.replaceChildren(...children);
  };
  render();
  onLeave(onWalletsChanged(() => { if (!state.signer) render(); }));
  return box;
}

async function walletsPage() {
  const list = h("div", { id: "wallet-list", "aria-live": "polite" });
  const refresh = async () => {
    const s = state.signer;
    if (!s) {
      list.replaceChildren(h("p", { class: "muted" }, "Choose the owner above to see their wallets."));
      return;
    }
    try {
      const owned = await api("GET", `/v1/owners/${s.address}/wallets`);
      const reports = await Promise.all(owned.wallets.map((w) => api("GET", `/v1/wallets/${w.wallet}`)));
      list.replaceChildren(
        ...reports.map((r) => walletCard(r, refresh)),
        createWalletForm(refresh, reports.length === 0),
      );
    } catch (e) {
      list.replaceChildren(errorBox(e));
    }
  };
  page("Wallets", ownerPanel(refresh), h("section", { "aria-labelledby": "wallets-title" }, h("h2", { id: "wallets-title" }, "Wallets"), list));
  await refresh();
}

function createWalletForm(refresh, first) {
  const name = h("input", { id: "new-wallet-name", value: first ? "default" : "", required: true, maxlength: 64 });
  return h(
    "section",
    { class: "card", "aria-labelledby": "create-wallet-title" },
    h("h3", { id: "create-wallet-title" }, first ? "Create your first wallet" : "Create another wallet"),
    h("p", { class: "muted" }, "A Leash wallet is a vault your sessions spend from, within their policies."),
    h("label", { for: "new-wallet-name" }, "Name"),
    name,
    actionButton("Create wallet", {
      id: "create-wallet",
      primary: true,
      prepare: () => api("POST", "/v1/wallets/prepare", { owner: state.signer.address, name: name.value.trim() }),
      done: refresh,
    }),
  );
}

function tokenField(id) {
  return h(
    "select",
    { id },
    h("option", { value: "SOL" }, "SOL"),
    h("option", { value: "USDC" }, "USDC"),
    h("option", { value: "USDT" }, "USDT"),
  );
}

function walletCard(report, refresh) {
  const amountIn = h("input", { id: `deposit-amount-${report.wallet}`, inputmode: "decimal", placeholder: "1.5", class: "deposit-amount" });
  const tokenIn = tokenField(`deposit-token-${report.wallet}`);
  const amountOut = h("input", { id: `withdraw-amount-${report.wallet}`, inputmode: "decimal", placeholder: "0.5", class: "withdraw-amount" });
  const tokenOut = tokenField(`withdraw-token-${report.wallet}`);
  return h(
    "section",
    { class: "card wallet", "data-wallet": report.wallet, "aria-label": `Wallet ${report.name}` },
    // The chain keeps a wallet's name only as a hash: looked up by address, its name is the
    // address itself.
    h("h3", {}, report.name === report.wallet ? `Wallet ${short(report.wallet)}` : `Wallet “${report.name}”`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Address"), h("dd", {}, addressText(report.wallet)),
      h("dt", {}, "Vault"), h("dd", {}, addressText(report.vault)),
      h("dt", {}, "Sessions"), h("dd", {}, `${report.active_sessions} active of ${report.sessions}`),
    ),
    h("h4", {}, "Vault balances"),
    report.balances.length
      ? h("ul", { class: "balances" }, report.balances.map((b) => h("li", {}, h("strong", {}, b.amount), ` ${b.token}`)))
      : h("p", { class: "muted" }, "Empty: deposit below."),
    h(
      "div",
      { class: "row wrap" },
      h("a", { class: "button", href: `#/wallets/${report.wallet}/sessions` }, "Sessions"),
      h("a", { class: "button primary", href: `#/wallets/${report.wallet}/new` }, "New session"),
    ),
    h(
      "details",
      { class: "move" },
      h("summary", {}, "Deposit"),
      h("div", { class: "form-row" },
        h("label", { for: amountIn.id }, "Amount"), amountIn,
        h("label", { for: tokenIn.id }, "Token"), tokenIn),
      actionButton("Deposit", {
        name: "deposit",
        prepare: () => api("POST", `/v1/wallets/${report.wallet}/deposit/prepare`, { amount: amountIn.value.trim(), token: tokenIn.value }),
        done: refresh,
      }),
    ),
    h(
      "details",
      { class: "move" },
      h("summary", {}, "Withdraw"),
      h("div", { class: "form-row" },
        h("label", { for: amountOut.id }, "Amount"), amountOut,
        h("label", { for: tokenOut.id }, "Token"), tokenOut),
      actionButton("Withdraw", {
        name: "withdraw",
        prepare: () => api("POST", `/v1/wallets/${report.wallet}/withdraw/prepare`, { amount: amountOut.value.trim(), token: tokenOut.value }),
        done: refresh,
      }),
    ),
  );
}

function limitsCell(limits) {
  if (!limits.length) return h("span", { class: "muted" }, "no spending");
  return h(
    "ul",
    { class: "limits" },
    limits.map((l) => {
      const bound = l.total !== "unlimited" ? l.total : l.per_period ? `${l.per_period}/${l.period}` : "∞";
      const used = l.period && l.total === "unlimited" ? l.used_in_period ?? "0" : l.used ?? "0";
      return h("li", {}, h("strong", {}, `${used} / ${bound}`), ` ${l.token}`);
    }),
  );
}

async function sessionsPage(wallet) {
  const table = h("div", { class: "table-wrap", id: "session-table", "aria-live": "polite" });
  const stamp = h("span", { class: "muted", id: "sessions-updated" });
  const out = h("div", {});
  let count = 0;
  const refresh = async () => {
    try {
      const list = await api("GET", `/v1/wallets/${wallet}/sessions`);
      count = list.sessions.filter((s) => s.status === "active").length;
      table.replaceChildren(
        list.sessions.length === 0
          ? h("p", { class: "muted" }, "No sessions yet.")
          : h(
              "table",
              {},
              h("thead", {}, h("tr", {}, ["Session", "Status", "Uses", "Used / limit", "Time left"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                {},
                list.sessions.map((s) =>
                  h(
                    "tr",
                    { "data-session": s.session },
                    h("td", {}, h("a", { href: `#/sessions/${s.session}` }, short(s.session))),
                    h("td", {}, statusBadge(s.status)),
                    h("td", { class: "uses" }, `${s.uses} / ${s.max_uses ?? "∞"}`),
                    h("td", {}, limitsCell(s.policy.limits)),
                    h("td", { class: "time-left", "data-until": s.valid_until }, s.status === "active" ? timeLeft(s.valid_until) : "—"),
                  ),
                ),
              ),
            ),
      );
      stamp.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      table.replaceChildren(errorBox(e));
    }
  };
  page(
    "Sessions",
    h("p", {}, "Wallet ", addressText(wallet)),
    h(
      "div",
      { class: "row wrap" },
      h("a", { class: "button primary", href: `#/wallets/${wallet}/new` }, "New session"),
      h("button", { type: "button", onclick: refresh, id: "refresh-sessions" }, "Refresh"),
      stamp,
    ),
    table,
    h(
      "section",
      { class: "card danger-zone", "aria-labelledby": "revoke-all-title" },
      h("h2", { id: "revoke-all-title" }, "Revoke all"),
      h("p", {}, "Ends every session of this wallet at once (the wallet's epoch moves on). Tokens already given out stop working."),
      actionButton("Revoke all sessions", {
        id: "revoke-all",
        danger: true,
        confirmText: "Revoke every session of this wallet? Every holder loses access at once; this cannot be undone.",
        prepare: () => api("POST", `/v1/wallets/${wallet}/revoke-all/prepare`, {}),
        done: refresh,
      }),
    ),
    out,
  );
  await refresh();
  every(5000, refresh);
  every(1000, () => {
    for (const cell of table.querySelectorAll("td.time-left[data-until]")) {
      if (cell.textContent !== "—") cell.textContent = timeLeft(cell.dataset.until);
    }
  });
  void count;
}

// ---------------------------------------------------------------------------------------------
// The policy editor (create and update), previewed as you type.

const PROGRAMS = [
  ["system", "System (SOL transfers)"],
  ["spl-token", "SPL Token"],
  ["token-2022", "Token-2022"],
  ["associated-token", "Associated token accounts"],
  ["memo", "Memo"],
];

function policyEditor(initial, onInput, { withLabel = true } = {}) {
  const field = (id, label, input, help) =>
    h("div", { class: "field" }, h("label", { for: id }, label), input, help ? h("p", { class: "help", id: `${id}-help` }, help) : null);
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
    PROGRAMS.map(([name, text]) =>
      h("label", { class: "check" }, h("input", { type: "checkbox", value: name, checked: (initial.programs ?? ["system", "spl-token"]).includes(name) }), ` ${text} `, h("code", {}, name)),
    ),
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
    const row = h(
      "fieldset",
      { class: "limit" },
      h("legend", {}, "Limit"),
      field(id("token"), "Token (symbol or mint)", token),
      field(id("per-tx"), "Per transaction", perTx),
      field(id("total"), "Total", total),
      field(id("period"), "Period", period),
      field(id("per-period"), "Per period", perPeriod),
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
    const names = [...programs.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
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
      return limit;
    });
    return policy;
  };
  return editor;
}

/** The editor's initial values from a session's policy summary (for an update). */
function initialFrom(view) {
  const known = new Map(PROGRAMS.map(([n]) => [n, true]));
  const programs = [];
  const others = [];
  for (const p of view.policy.allowed_programs) {
    const name = p.name === "token" ? "spl-token" : p.name;
    if (name && known.has(name)) programs.push(name);
    else others.push(p.address);
  }
  const seconds = Math.max(60, Math.floor((Date.parse(view.valid_until) - Date.now()) / 1000));
  const [duration, unit] = seconds % 86400 === 0 ? [seconds / 86400, "d"] : seconds >= 3600 ? [Math.ceil(seconds / 3600), "h"] : [Math.ceil(seconds / 60), "m"];
  const amount = (x) => (x === "unlimited" ? "" : x);
  return {
    duration,
    unit,
    max_uses: view.max_uses ?? "",
    programs,
    other_programs: others,
    limits: view.policy.limits.map((l) => ({
      token: l.token,
      per_tx: amount(l.per_tx),
      total: amount(l.total),
      period: l.period ?? "",
      per_period: l.per_period ?? "",
    })),
  };
}

function previewPanel() {
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
      h("dt", {}, "Programs"), h("dd", {}, p.allowed_programs.length ? p.allowed_programs.map((x) => x.name ?? short(x.address)).join(", ") : "none"),
      h("dt", {}, "Rent"), h("dd", { id: "preview-rent" }, `${preview.rent} SOL (returned on close)`),
    ),
    h("h3", {}, "Limits"),
    p.limits.length
      ? h("ul", { class: "limits", id: "preview-limits" }, p.limits.map((l) => h("li", {}, `${l.token}: per tx ${l.per_tx}, total ${l.total}${l.period ? `, ${l.per_period} per ${l.period}` : ""}`)))
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
function livePreview(editor, panel, wallet, sessionKey) {
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

async function newSessionPage(wallet) {
  if (!(await ed25519Supported())) {
    page("New session", errorBox({ code: "no_ed25519", message: "this browser cannot make Ed25519 keys (WebCrypto)", hint: "use Chromium 137+, Firefox 129+ or Safari 17+" }));
    return;
  }
  // The session key lives in this page's closure only: leaving the page forgets it.
  const key = await newSessionKey();
  const panel = previewPanel();
  let run = () => {};
  const editor = policyEditor({}, () => run());
  run = debounce(livePreview(editor, panel, wallet, key.address), 250);
  const topUp = h("input", { id: "top-up", value: "0.01", inputmode: "decimal" });
  const create = actionButton("Create session", {
    id: "create-session",
    primary: true,
    prepare: () => api("POST", "/v1/sessions/prepare", { wallet, session_key: key.address, policy: editor.policy(), top_up: topUp.value.trim() }),
    done: (prepared) => revealToken(key, prepared),
  });
  page(
    "New session",
    h("p", {}, "Wallet ", addressText(wallet), h("br"), "Session key (made in this browser) ", addressText(key.address)),
    h("div", { class: "split" }, editor, panel),
    h("section", { class: "card" }, h("div", { class: "field" }, h("label", { for: "top-up" }, "SOL sent to the session key for its fees"), topUp), create),
  );
  run();
  onLeave(() => key.secret.fill(0));
}

/** The token, shown once: it exists only in this page's DOM until the page changes. */
function revealToken(key, prepared) {
  const report = prepared.report;
  const token = sessionToken({
    secret: key.secret,
    wallet: report.wallet,
    session: report.session,
    program: state.me.program_id,
    cluster: state.me.token_cluster,
    label: labelOf(),
    policy: report.policy,
  });
  key.secret.fill(0);
  // The address bar leaves the editor (so "New session" starts a new one) for a page that,
  // visited again, says the token is gone.
  history.replaceState(null, "", `#/wallets/${report.wallet}/created/${report.session}`);
  const tokenBox = h("textarea", { id: "session-token", readonly: true, rows: 4, spellcheck: "false", "aria-describedby": "token-warning" }, token);
  const importLine = `leash session import ${token}`;
  const copied = h("span", { role: "status", class: "ok", id: "copy-status" });
  const copy = (text, what) => async () => {
    try {
      await navigator.clipboard.writeText(text);
      copied.textContent = `${what} copied.`;
    } catch {
      tokenBox.select();
      copied.textContent = "Copy blocked by the browser: the token is selected, press Ctrl+C.";
    }
  };
  page(
    "Session created",
    h(
      "section",
      { class: "card reveal" },
      h("p", { id: "token-warning", class: "warning-text" }, "This token is shown once. It holds the session's key: anyone with it can act within the policy. It is not stored anywhere — leaving or reloading this page forgets it."),
      h("label", { for: "session-token" }, "Session token"),
      tokenBox,
      h("div", { class: "row wrap" },
        h("button", { type: "button", id: "copy-token", class: "primary", onclick: copy(token, "Token") }, "Copy token"),
        h("button", { type: "button", id: "copy-import", onclick: copy(importLine, "Command") }, "Copy import command"),
        copied),
      h("p", {}, "On the machine of the bot or agent:"),
      h("pre", { id: "import-line" }, h("code", {}, "leash session import ", h("span", { class: "token-inline" }, `${token.slice(0, 16)}…`))),
      h("p", {}, h("a", { href: `#/sessions/${report.session}`, id: "open-session" }, "Open the session"), " · ", h("a", { href: `#/wallets/${report.wallet}/sessions` }, "All sessions")),
    ),
  );
  focusTitle();
  onLeave(() => {
    tokenBox.value = "";
    tokenBox.textContent = "";
  });
}

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
  const m = /^(\d+)\s*([mhd])$/.exec(file.expires_in ?? "");
  return {
    label: file.label ?? "",
    duration: m ? m[1] : "1",
    unit: m ? m[2] : "h",
    max_uses: file.max_uses ?? "",
    programs,
    other_programs: others,
    limits: (file.limits ?? []).map((l) => ({
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
    h("li", {}, `Programs: ${(policy.allowed_programs ?? []).map((p) => p.name ?? short(p.address)).join(", ") || "none"}`),
    (policy.limits ?? []).map((l) => h("li", {}, `${l.token}: per tx ${l.per_tx}, total ${l.total}${l.period ? `, ${l.per_period} per ${l.period}` : ""}`)),
  );
}

/** Session requests agents filed (docs/agents.md): approve (with edits) or deny. */
async function requestsPage() {
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

/** Where a revealed token was: it is gone, by design. */
function tokenGonePage(wallet, session) {
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

function labelOf() {
  const input = document.getElementById("policy-label");
  return input ? input.value.trim() : "";
}

async function sessionPage(session) {
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
      h("dt", {}, "Programs"), h("dd", {}, p.allowed_programs.map((x) => x.name ?? x.address).join(", ") || "none"),
    ),
    h("h3", {}, "Spending"),
    p.limits.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "session-limits" },
            h("thead", {}, h("tr", {}, ["Token", "Used / total", "Per tx", "Period"].map((t) => h("th", { scope: "col" }, t)))),
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

async function auditPage() {
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
              { "data-event": e.event_type },
              h("td", {}, e.seq),
              h("td", { class: "nowrap" }, new Date(e.ts * 1000).toISOString().replace("T", " ").slice(0, 19)),
              h(
                "td",
                {},
                h("div", {}, e.event_type),
                h("code", { class: "muted", title: e.resource }, e.resource.length > 24 ? `${e.resource.slice(0, 24)}…` : e.resource),
              ),
              h("td", {}, e.actor),
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

async function route() {
  for (const fn of pageCleanups.splice(0)) {
    try {
      fn();
    } catch (e) {
      console.error(e);
    }
  }
  document.getElementById("notice").hidden = true;
  const path = location.hash.replace(/^#/, "") || "/wallets";
  if (!state.me) {
    signInPage();
    return;
  }
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts[0] === "sign-in") {
      location.hash = "#/wallets";
      return;
    } else if (parts[0] === "wallets" && parts.length === 1) {
      await walletsPage();
    } else if (parts[0] === "wallets" && parts[2] === "sessions") {
      await sessionsPage(parts[1]);
    } else if (parts[0] === "wallets" && parts[2] === "new") {
      await newSessionPage(parts[1]);
    } else if (parts[0] === "wallets" && parts[2] === "created") {
      tokenGonePage(parts[1], parts[3]);
    } else if (parts[0] === "sessions" && parts[1]) {
      await sessionPage(parts[1]);
    } else if (parts[0] === "requests") {
      await requestsPage();
    } else if (parts[0] === "audit") {
      await auditPage();
    } else {
      page("Not found", h("p", {}, "No such page. ", h("a", { href: "#/wallets" }, "Wallets")));
    }
  } catch (e) {
    page("Error", errorBox(e));
  }
  focusTitle();
}

async function start() {
  // Already signed in (the cookie survives a reload)? The session route says so, with the
  // CSRF token.
  try {
    signedIn(await api("GET", "/v1/dashboard/session"));
  } catch {
    state.me = null;
  }
  // Reconnect the wallet chosen earlier in this tab, silently.
  const remembered = sessionStorage.getItem("leash.wallet");
  if (state.me && remembered === "local" && state.me.signer) {
    state.signer = { kind: "local", name: "local signer", address: state.me.signer };
  }
  const tryReconnect = async () => {
    if (!state.me || state.signer || !remembered || remembered === "local") return;
    const wallet = solanaWallets().find((w) => w.name === remembered);
    if (!wallet) return;
    try {
      state.signer = await connect(wallet, state.me.cluster, { silent: true });
      route();
    } catch {
      // Not authorized any more: the owner picks again.
    }
  };
  onWalletsChanged(tryReconnect);
  await tryReconnect();
  window.addEventListener("hashchange", route);
  await route();
  document.body.dataset.ready = "true";
}

start();
