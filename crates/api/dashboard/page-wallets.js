// The wallets page and a wallet's sessions: the owner's signer, wallets, balances, sessions.

import { api, setFeePayer } from "./api.js";
import { connect, onWalletsChanged, solanaWallets } from "./wallet.js";
import { browserFeeKey, createPasskeyWallet, passkeySigner, passkeysAvailable, rememberedPasskeys } from "./passkey.js";
import { spendChart } from "./page-session.js";
import { actionButton, addressText, errorBox, every, h, onLeave, page, short, state, statusBadge, timeLeft } from "./ui.js";

/** The owner panel: choose a wallet (or the local signer), airdrop on a local node. */
function ownerPanel(onChange) {
  const box = h("section", { class: "card", "aria-labelledby": "owner-title" });
  // The owner's own SOL and tokens (what deposits come from), read again after each airdrop.
  const ownerBalances = h("p", { id: "owner-balances", class: "balances", "aria-live": "polite" });
  const showOwnerBalances = async (address) => {
    try {
      const r = await api("GET", `/v1/accounts/${address}/balances`);
      ownerBalances.replaceChildren(state.signer?.kind === "passkey" ? "The fee payer holds: " : "Owner holds: ", r.balances.map((b) => `${b.balance} ${b.token}`).join(", ") || "nothing");
    } catch (e) {
      ownerBalances.replaceChildren(errorBox(e));
    }
  };
  const render = () => {
    const s = state.signer;
    const children = [h("h2", { id: "owner-title" }, "Owner")];
    if (s) {
      children.push(
        h(
          "p",
          { id: "owner-address" },
          s.kind === "local"
            ? "Signing with the server's local signer "
            : s.kind === "passkey"
              ? `Signing with your passkey for wallet “${s.label}”; ${s.feeKey ? "this browser's fee key" : "the server's signer"} pays fees and deposits: `
              : `Signing with ${s.name} `,
          addressText(s.address),
        ),
        h("button", { type: "button", class: "link", onclick: () => { state.signer = null; setFeePayer(null); sessionStorage.removeItem("leash.wallet"); render(); onChange(); } }, "Switch signer"),
        ownerBalances,
      );
      showOwnerBalances(s.address);
      if (state.me.airdrop && state.me.key.scopes.some((x) => x === "write" || x === "admin")) {
        // The local node's faucet: SOL for fees and deposits, and test USDC to deposit.
        const out = h("div", { class: "action-out" });
        const drop = (id, label, body) => {
          const button = h("button", { type: "button", id }, label);
          button.addEventListener("click", async () => {
            out.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), "Asking the local faucet…");
            button.disabled = true;
            try {
              const r = await api("POST", "/v1/dev/airdrop", { to: s.address, ...body });
              out.replaceChildren(h("p", { class: "ok", role: "status" }, `Airdropped ${r.amount} ${r.token} to the ${s.kind === "passkey" ? "fee payer" : "owner"} (local node)`));
              showOwnerBalances(s.address);
            } catch (e) {
              out.replaceChildren(errorBox(e));
            } finally {
              button.disabled = false;
            }
          });
          return button;
        };
        children.push(
          h(
            "div",
            { class: "action" },
            h("div", { class: "row wrap" }, drop("airdrop", s.kind === "passkey" ? "Airdrop 10 SOL to the fee payer" : "Airdrop 10 SOL to the owner", { amount: "10" }), drop("airdrop-usdc", "Airdrop 1,000 test USDC", { amount: "1000", token: "USDC" })),
            out,
          ),
        );
      }
    } else {
      const wallets = solanaWallets();
      children.push(
        h("p", {}, "Who signs as the owner?"),
        h(
          "ul",
          { class: "help" },
          h("li", {}, "A browser wallet signs here, in the browser: its key never reaches the server."),
          state.me.signer ? h("li", {}, "The server's signer is a key the server itself holds (on a local node, the owner keypair `leash up` made): the server signs with it when you ask.") : null,
        ),
      );
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
      if (passkeysAvailable()) children.push(passkeyChoices(() => { render(); onChange(); }));
    }
    box.replaceChildren(...children);
  };
  render();
  onLeave(onWalletsChanged(() => { if (!state.signer) render(); }));
  // Read again by the page after anything it sends (deposits, withdrawals, new wallets).
  box.refreshBalances = () => { if (state.signer) showOwnerBalances(state.signer.address); };
  return box;
}
/** Passkey owners: make a wallet with a new passkey, or act for one made in this browser. */
function passkeyChoices(chosen) {
  const use = async (entry) => {
    state.signer = await passkeySigner(entry, state.me.signer);
    sessionStorage.setItem("leash.wallet", `passkey:${entry.wallet}`);
    chosen();
  };
  const name = h("input", { id: "passkey-wallet-name", value: "default", required: true, maxlength: 64, "aria-describedby": "passkey-help" });
  const out = h("div", { class: "action-out" });
  const create = h("button", { type: "button", id: "create-passkey-wallet", class: "primary" }, "Create a wallet with a passkey");
  create.addEventListener("click", async () => {
    create.disabled = true;
    out.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), "Touch your authenticator to make the passkey…");
    try {
      const entry = await createPasskeyWallet(name.value.trim(), state.me.signer);
      out.replaceChildren(h("p", { class: "ok", role: "status", id: "passkey-wallet-created" }, `Wallet “${entry.name}” created, owned by your passkey`));
      await use(entry);
    } catch (e) {
      out.replaceChildren(errorBox(e));
    } finally {
      create.disabled = false;
    }
  });
  // Who pays a passkey wallet's fees and rent: the server's signer, or without one this
  // browser's own fee key. On a local node it can be funded here.
  const payerName = state.me.signer ? "the server's signer" : "this browser's fee key";
  const fund = h("button", { type: "button", id: "airdrop-signer" }, `Airdrop 10 SOL to ${payerName}`);
  fund.addEventListener("click", async () => {
    fund.disabled = true;
    out.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), "Asking the local faucet…");
    try {
      const to = state.me.signer || (await browserFeeKey()).address;
      const r = await api("POST", "/v1/dev/airdrop", { to, amount: "10" });
      out.replaceChildren(h("p", { class: "ok", role: "status" }, `Airdropped ${r.amount} ${r.token} to ${payerName} (local node)`));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    } finally {
      fund.disabled = false;
    }
  });
  const remembered = rememberedPasskeys().map((entry) =>
    h("button", { type: "button", class: "passkey-choice", "data-wallet": entry.wallet, onclick: () => use(entry) }, `Use the passkey of wallet “${entry.name}” (${short(entry.wallet)})`),
  );
  return h(
    "div",
    { class: "passkey-owner" },
    h("h3", {}, "Or own a wallet with a passkey"),
    h("p", { class: "help", id: "passkey-help" }, `Touch ID, Windows Hello or a security key: no extension, no seed phrase. The passkey approves each owner action; ${payerName} pays the fees. Keep the passkey synced (iCloud Keychain, Google Password Manager) or keep a spare key: it is the wallet's only owner.`),
    remembered.length ? h("div", { class: "row wrap", id: "passkey-choices" }, ...remembered) : null,
    h("label", { for: "passkey-wallet-name" }, "New wallet's name"),
    h("div", { class: "row wrap" }, name, create, state.me.airdrop ? fund : null),
    out,
  );
}
export async function walletsPage() {
  const list = h("div", { id: "wallet-list", "aria-live": "polite" });
  let owner = null;
  const refresh = async () => {
    const s = state.signer;
    if (!s) {
      list.replaceChildren(h("p", { class: "muted" }, "Choose the owner above to see their wallets."));
      return;
    }
    try {
      owner?.refreshBalances?.();
      if (s.kind === "passkey") {
        // A passkey owns one wallet per registration: the one chosen.
        list.replaceChildren(walletCard(await api("GET", `/v1/wallets/${s.wallet}`), refresh));
        return;
      }
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
  owner = ownerPanel(refresh);
  page("Wallets", owner, h("section", { "aria-labelledby": "wallets-title" }, h("h2", { id: "wallets-title" }, "Wallets"), list));
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
export async function sessionsPage(wallet) {
  const table = h("div", { class: "table-wrap", id: "session-table", "aria-live": "polite" });
  const stamp = h("span", { class: "muted", id: "sessions-updated" });
  const out = h("div", {});
  let count = 0;
  const refresh = async () => {
    try {
      const list = await api("GET", `/v1/wallets/${wallet}/sessions`);
      count = list.sessions.filter((s) => s.status === "active").length;
      const uses = list.sessions.reduce((sum, s) => sum + s.uses, 0);
      if (uses !== drawnUses) {
        drawnUses = uses;
        drawChart(list.sessions);
      }
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
                    h("td", {}, h("a", { href: `#/sessions/${s.session}` }, s.label ? [h("span", { class: "label" }, s.label), " ", h("span", { class: "muted" }, short(s.session))] : short(s.session))),
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
  const walletLine = h("p", { id: "sessions-wallet" }, "Wallet ", addressText(wallet));
  // Spend over time across the wallet's sessions (the newest ten), drawn again when their uses
  // change: one activity read per session.
  const chart = h("div", { id: "wallet-spend-chart" });
  const drawChart = async (sessions) => {
    try {
      const reads = await Promise.all(sessions.slice(0, 10).map((s) => api("GET", `/v1/sessions/${s.session}/events`).catch(() => ({ events: [] }))));
      const uses = reads
        .flatMap((r) => r.events)
        .filter((e) => e.kind === "session_used")
        .sort((a, b) => (b.block_time ?? b.slot) - (a.block_time ?? a.slot));
      chart.replaceChildren(spendChart(uses, null));
    } catch (e) {
      chart.replaceChildren(errorBox(e));
    }
  };
  let drawnUses = null;
  page(
    "Sessions",
    walletLine,
    h(
      "div",
      { class: "row wrap" },
      h("a", { class: "button primary", href: `#/wallets/${wallet}/new` }, "New session"),
      h("button", { type: "button", onclick: refresh, id: "refresh-sessions" }, "Refresh"),
      stamp,
    ),
    table,
    h("section", { "aria-labelledby": "wallet-chart-title" }, h("h2", { id: "wallet-chart-title" }, "Spend over time, all sessions"), chart),
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
  // Its name, as the API knows it (checked against the address).
  api("GET", `/v1/wallets/${wallet}`)
    .then((r) => {
      if (r.name && r.name !== r.wallet) walletLine.replaceChildren(`Wallet “${r.name}” `, addressText(wallet));
    })
    .catch(() => {});
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
