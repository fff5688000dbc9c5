// A Solana wallet for the test, registered in the page through the Wallet Standard exactly as a
// browser extension does (`wallet-standard:register-wallet`, and answering
// `wallet-standard:app-ready`). It signs with a real Ed25519 key (WebCrypto) that the test
// funded as the owner. Run in the page before its scripts (Playwright's addInitScript).
//
// `window.__testWallet.reject = true` makes it refuse the next signature, like a person
// pressing "Reject".

export function installTestWallet({ seedHex, publicKeyHex, address, name }) {
  const hex = (text) => Uint8Array.from(text.match(/../g).map((b) => parseInt(b, 16)));
  const seed = hex(seedHex);
  const publicKey = hex(publicKeyHex);
  // PKCS#8 wrapping of an Ed25519 seed (RFC 8410).
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...seed]);
  const keyPromise = crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  const control = { reject: false, signatures: 0, connects: 0 };
  window.__testWallet = control;

  const shortvec = (bytes, offset) => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[offset++];
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return [value, offset];
      shift += 7;
    }
  };
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  const chains = ["solana:localnet", "solana:devnet", "solana:mainnet"];
  const account = Object.freeze({
    address,
    publicKey,
    chains,
    features: ["solana:signTransaction"],
  });
  const wallet = {
    version: "1.0.0",
    name,
    icon: "data:image/svg+xml;base64," + btoa('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#7c3aed"/></svg>'),
    chains,
    accounts: [],
    features: {
      "standard:connect": {
        version: "1.0.0",
        async connect() {
          control.connects++;
          wallet.accounts = [account];
          return { accounts: wallet.accounts };
        },
      },
      "standard:events": { version: "1.0.0", on: () => () => {} },
      "solana:signTransaction": {
        version: "1.0.0",
        supportedTransactionVersions: ["legacy", 0],
        async signTransaction(...inputs) {
          return Promise.all(
            inputs.map(async ({ transaction, account: who }) => {
              if (control.reject) {
                control.reject = false;
                throw new Error("User rejected the request.");
              }
              if (who.address !== address) throw new Error("unknown account");
              const tx = new Uint8Array(transaction);
              const [count, sigStart] = shortvec(tx, 0);
              const message = tx.slice(sigStart + 64 * count);
              // Legacy or v0 (0x80 | version) message: header (3 bytes), then the keys.
              let p = message[0] & 0x80 ? 1 : 0;
              p += 3;
              const [keys, keysStart] = shortvec(message, p);
              let index = -1;
              for (let i = 0; i < keys && i < count; i++) {
                if (same(message.slice(keysStart + 32 * i, keysStart + 32 * i + 32), publicKey)) index = i;
              }
              if (index < 0) throw new Error("this account is not a signer of the transaction");
              const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", await keyPromise, message));
              tx.set(signature, sigStart + 64 * index);
              control.signatures++;
              return { signedTransaction: tx };
            }),
          );
        },
      },
    },
  };

  class RegisterWalletEvent extends Event {
    #detail;
    constructor(callback) {
      super("wallet-standard:register-wallet", { bubbles: false, cancelable: false, composed: false });
      this.#detail = callback;
    }
    get detail() {
      return this.#detail;
    }
  }
  const callback = ({ register }) => register(wallet);
  try {
    window.dispatchEvent(new RegisterWalletEvent(callback));
  } catch (e) {
    console.error("wallet registration failed", e);
  }
  try {
    window.addEventListener("wallet-standard:app-ready", ({ detail: api }) => callback(api));
  } catch (e) {
    console.error("wallet registration failed", e);
  }
}
