// A new session: the key is made here and its token shown once.

import { api } from "./api.js";
import { ed25519Supported, newSessionKey, sessionToken } from "./keys.js";
import { labelOf } from "./page-session.js";
import { livePreview, policyEditor, previewPanel } from "./policy-editor.js";
import { actionButton, addressText, debounce, errorBox, focusTitle, h, onLeave, page, state } from "./ui.js";

export async function newSessionPage(wallet) {
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
