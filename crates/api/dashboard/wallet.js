// The Wallet Standard, app side, by hand (no npm at install time): the page announces itself
// with `wallet-standard:app-ready` and listens for `wallet-standard:register-wallet`, so wallets
// that loaded before or after it register. Wallets that can `standard:connect` and
// `solana:signTransaction` are offered; they sign the API's unsigned transactions.

const wallets = new Set();
const listeners = new Set();

function changed() {
  for (const listener of listeners) {
    try {
      listener();
    } catch (e) {
      console.error(e);
    }
  }
}

function register(...added) {
  for (const wallet of added) wallets.add(wallet);
  changed();
  return () => {
    for (const wallet of added) wallets.delete(wallet);
    changed();
  };
}

const registry = Object.freeze({ register });

class AppReadyEvent extends Event {
  #detail;
  constructor(api) {
    super("wallet-standard:app-ready", { bubbles: false, cancelable: false, composed: false });
    this.#detail = api;
  }
  get detail() {
    return this.#detail;
  }
}

window.addEventListener("wallet-standard:register-wallet", (event) => {
  try {
    event.detail(registry);
  } catch (e) {
    console.error("a wallet failed to register", e);
  }
});
window.dispatchEvent(new AppReadyEvent(registry));

/** Wallets that can sign Solana transactions. */
export function solanaWallets() {
  return [...wallets].filter(
    (w) => w.features && w.features["standard:connect"] && w.features["solana:signTransaction"],
  );
}

/** Calls `listener` whenever a wallet registers or leaves; returns the unsubscribe. */
export function onWalletsChanged(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The chain id a wallet knows for this cluster, if it lists one. */
function chainFor(wallet, cluster) {
  const id = `solana:${cluster}`;
  return Array.isArray(wallet.chains) && wallet.chains.includes(id) ? id : undefined;
}

/**
 * Connects `wallet` (silently when asked: only if it is already authorized) and returns a
 * signer: `{ kind, name, address, sign(bytes) }`.
 */
export async function connect(wallet, cluster, { silent = false } = {}) {
  const { accounts } = await wallet.features["standard:connect"].connect(silent ? { silent } : undefined);
  const account = (accounts && accounts[0]) || wallet.accounts[0];
  if (!account) throw new Error(`${wallet.name} shared no account`);
  const chain = chainFor(wallet, cluster);
  return {
    kind: "wallet",
    name: wallet.name,
    icon: wallet.icon,
    address: account.address,
    async sign(bytes) {
      const input = { account, transaction: bytes };
      if (chain) input.chain = chain;
      const [output] = await wallet.features["solana:signTransaction"].signTransaction(input);
      if (!output || !output.signedTransaction) throw new Error(`${wallet.name} returned no signed transaction`);
      return new Uint8Array(output.signedTransaction);
    },
    async disconnect() {
      const feature = wallet.features["standard:disconnect"];
      if (feature) await feature.disconnect();
    },
  };
}
