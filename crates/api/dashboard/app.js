// The Leash dashboard (docs/dashboard.md): one page, routes in the URL's hash, every figure from the
// API. Owners sign in their browser wallet (Wallet Standard) or with the server's local signer;
// session keys are made here and their token is shown once. This file routes; each page is its
// own module.

import { passkeySigner, rememberedPasskeys } from "./passkey.js";
import { api } from "./api.js";
import { connect, onWalletsChanged, solanaWallets } from "./wallet.js";
import { auditPage } from "./page-audit.js";
import { webhooksPage } from "./page-webhooks.js";
import { newSessionPage } from "./page-new-session.js";
import { requestsPage } from "./page-requests.js";
import { sessionPage, tokenGonePage } from "./page-session.js";
import { signInPage, signedIn } from "./page-sign-in.js";
import { sessionsPage, walletsPage } from "./page-wallets.js";
import { errorBox, focusTitle, h, page, pageCleanups, state } from "./ui.js";

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
    } else if (parts[0] === "webhooks") {
      await webhooksPage();
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
  if (state.me && remembered?.startsWith("passkey:")) {
    const entry = rememberedPasskeys().find((p) => `passkey:${p.wallet}` === remembered);
    if (entry) state.signer = await passkeySigner(entry, state.me.signer);
  }
  const tryReconnect = async () => {
    if (!state.me || state.signer || !remembered || remembered === "local" || remembered.startsWith("passkey:")) return;
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

start();
