// The dashboard's shared pieces: its state, DOM helpers (elements from text nodes only, nothing to
// inject), the progress panel that signs and submits, dialogs, and the header.

import { assertChallenge } from "./passkey.js";
import { ApiError, api, setCsrfToken } from "./api.js";
import { fromBase64 } from "./keys.js";

export const state = {
  /** GET /v1/dashboard/session: key, csrf_token, cluster, signer… */
  me: null,
  /** The owner's signer: a connected wallet or the server's local signer. */
  signer: null,
};
/** Things a page started (polls, debounces) that end when the page changes. */
export const pageCleanups = [];
export function onLeave(fn) {
  pageCleanups.push(fn);
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: elements built with text nodes only (no HTML strings, nothing to inject).
export function h(tag, attrs, ...children) {
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
export function short(address) {
  return address && address.length > 12 ? `${address.slice(0, 4)}…${address.slice(-4)}` : address;
}
export function addressText(address) {
  return h("code", { class: "address", title: address }, address);
}
export function errorBox(error) {
  // An error is the latest news: the page-wide line of an earlier success goes.
  clearNotice();
  const box = h(
    "div",
    { class: "error", role: "alert", "data-code": error.code || "error" },
    h("p", { class: "error-message" }, h("strong", {}, "Refused: "), error.message),
    error.hint ? h("p", { class: "error-hint" }, "Hint: ", error.hint) : null,
    error.code ? h("p", { class: "error-code" }, `code ${error.code}${error.requestId ? ` · ${error.requestId}` : ""}`) : null,
  );
  return box;
}
export function page(title, ...children) {
  const root = main();
  root.replaceChildren(h("h1", { tabindex: "-1", id: "page-title" }, title), ...children);
  document.title = `${title} · Leash`;
  return root;
}
export function focusTitle() {
  const title = document.getElementById("page-title");
  if (title) title.focus({ preventScroll: false });
}
export function timeLeft(validUntil) {
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
export function statusBadge(status) {
  return h("span", { class: `badge status-${status.replace(/\s+/g, "-")}` }, status);
}
export function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  onLeave(() => clearTimeout(timer));
  return run;
}
/** Polls `fn` every `ms` while the page stays. */
export function every(ms, fn) {
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
  // A passkey wallet: the API prepared challenges for its passkey (docs/dashboard.md).
  if (prepared.passkey && signer.kind !== "passkey") {
    throw new ApiError(0, {
      code: "passkey_wallet",
      message: "this wallet is owned by a passkey",
      hint: "Wallets page → Owner → use its passkey",
    });
  }
  for (let i = 0; i < total; i++) {
    const tx = prepared.transactions[i];
    const step = total > 1 ? ` (${i + 1} of ${total})` : "";
    let body;
    if (signer.kind === "passkey") {
      const assertions = [];
      for (const c of (prepared.passkey || []).filter((c) => c.transaction === i)) {
        show(`Touch your passkey${step}: ${tx.summary}`);
        assertions.push(await assertChallenge(c.challenge, signer.credential));
      }
      show(`Confirming on ${state.me.cluster}${step}…`);
      if (signer.feeKey) {
        // This browser's fee key pays: the assertions put in place, then signed here.
        const { transaction } = await api("POST", "/v1/passkey/complete", { transaction: tx.transaction, assertions });
        const signed = await signer.feeKey.signTransaction(transaction);
        results.push(await api("POST", "/v1/transactions/submit", { transaction: signed }, { idempotencyKey: crypto.randomUUID() }));
      } else {
        results.push(await api("POST", "/v1/passkey/submit", { transaction: tx.transaction, assertions }, { idempotencyKey: crypto.randomUUID() }));
      }
      continue;
    }
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
export function actionButton(label, { prepare, done, confirmText, danger, id, name, primary }) {
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
export function notice(text) {
  const line = document.getElementById("notice");
  line.textContent = text;
  line.hidden = false;
  document.body.dataset.confirmed = String(Number(document.body.dataset.confirmed || 0) + 1);
}
/** Hides the page-wide status line (an error now says something newer). */
export function clearNotice() {
  const line = document.getElementById("notice");
  if (line) {
    line.textContent = "";
    line.hidden = true;
  }
}
/** A modal confirmation; resolves true if confirmed. */
export function confirmDialog(text, confirmLabel) {
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
export function renderHeader() {
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
    me.key.scopes.includes("admin") ? h("a", { href: "#/webhooks" }, "Webhooks") : null,
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
