// Passkey owners (docs/dashboard.md, "Passkey owners"): a wallet owned by a passkey made on this
// page (WebAuthn registration), and owner actions signed with it (WebAuthn assertions over the
// challenges the API prepares). The server's signer pays; the passkey authorizes. No extension.

import { api, ApiError, setFeePayer } from "./api.js";
import { base58, fromBase58, fromBase64, newSessionKey, toBase64 } from "./keys.js";

const STORE = "leash.passkeys";
const FEE_KEY = "leash.feeKey";

/**
 * This browser's fee key: an Ed25519 key that pays a passkey wallet's fees and rent when the
 * server has no signer. It holds only what is sent to it for fees; made once, kept in this
 * browser (`localStorage`), never sent anywhere.
 */
export async function browserFeeKey() {
  let stored = localStorage.getItem(FEE_KEY);
  if (!stored) {
    const key = await newSessionKey();
    stored = base58(key.secret);
    key.secret.fill(0);
    localStorage.setItem(FEE_KEY, stored);
  }
  const secret = fromBase58(stored);
  const address = base58(secret.slice(32));
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...secret.slice(0, 32)]);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  pkcs8.fill(0);
  secret.fill(0);
  return {
    address,
    /** Signs an unsigned wire transaction (base64) as its fee payer, the first signer. */
    async signTransaction(base64) {
      const tx = fromBase64(base64);
      // One signature (the fee payer's): a 1-byte count, 64 bytes, then the message.
      if (tx[0] !== 1) throw new Error("expected a transaction with one signer, its fee payer");
      const message = tx.subarray(65);
      tx.set(new Uint8Array(await crypto.subtle.sign("Ed25519", key, message)), 1);
      return toBase64(tx);
    },
  };
}

/** base64url without padding, as WebAuthn and the API write it. */
export function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
export function fromBase64url(text) {
  const padded = text.replaceAll("-", "+").replaceAll("_", "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** Whether this browser can make and use passkeys (WebAuthn). */
export function passkeysAvailable() {
  return typeof window.PublicKeyCredential !== "undefined" && !!navigator.credentials;
}

/** The passkey wallets made in this browser: `{ wallet, vault, name, owner, credential, rp_id }`. */
export function rememberedPasskeys() {
  try {
    const list = JSON.parse(localStorage.getItem(STORE) || "[]");
    return Array.isArray(list) ? list.filter((p) => p && p.wallet && p.credential) : [];
  } catch {
    return [];
  }
}
function remember(entry) {
  const list = rememberedPasskeys().filter((p) => p.wallet !== entry.wallet);
  list.push(entry);
  localStorage.setItem(STORE, JSON.stringify(list));
}

/**
 * The owner signer of a remembered passkey wallet. Its fees are paid by the server's signer
 * when there is one, else by this browser's fee key (sent as `Leash-Fee-Payer`).
 */
export async function passkeySigner(entry, serverSigner) {
  const feeKey = serverSigner ? null : await browserFeeKey();
  setFeePayer(feeKey ? feeKey.address : null);
  return { kind: "passkey", name: "your passkey", address: feeKey ? feeKey.address : serverSigner, feeKey, wallet: entry.wallet, credential: entry.credential, label: entry.name };
}

/**
 * Registers a passkey on this site and creates its wallet `name` (the server's signer pays the
 * rent). Resolves to the remembered entry.
 */
export async function createPasskeyWallet(name, serverSigner) {
  let credential;
  try {
    credential = await navigator.credentials.create({
      publicKey: {
        rp: { id: location.hostname, name: "Leash" },
        user: { id: crypto.getRandomValues(new Uint8Array(16)), name: `leash-${name}`, displayName: `Leash wallet ${name}` },
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
        authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
        attestation: "none",
        timeout: 120000,
      },
    });
  } catch (e) {
    throw passkeyError("the passkey was not created", e);
  }
  const publicKey = credential.response.getPublicKey && credential.response.getPublicKey();
  if (!publicKey) {
    throw passkeyError("this browser does not give the passkey's public key (getPublicKey)");
  }
  const body = { name, public_key: toBase64url(publicKey), rp_id: location.hostname, user_verification: true };
  let created;
  if (serverSigner) {
    created = await api("POST", "/v1/passkey/wallets", body, { idempotencyKey: crypto.randomUUID() });
  } else {
    // The browser's fee key pays: prepared, signed here, submitted.
    const feeKey = await browserFeeKey();
    setFeePayer(feeKey.address);
    const prepared = await api("POST", "/v1/passkey/wallets/prepare", body);
    for (const tx of prepared.transactions) {
      await api("POST", "/v1/transactions/submit", { transaction: await feeKey.signTransaction(tx.transaction) }, { idempotencyKey: crypto.randomUUID() });
    }
    created = prepared.report;
  }
  const entry = { wallet: created.wallet, vault: created.vault, name, owner: created.owner, credential: toBase64url(credential.rawId), rp_id: location.hostname };
  remember(entry);
  return entry;
}

/** The passkey's assertion over `challenge` (base64url), as the API's submit takes it. */
export async function assertChallenge(challenge, credential) {
  let assertion;
  try {
    assertion = await navigator.credentials.get({
      publicKey: {
        challenge: fromBase64url(challenge),
        rpId: location.hostname,
        allowCredentials: [{ type: "public-key", id: fromBase64url(credential) }],
        userVerification: "required",
        timeout: 120000,
      },
    });
  } catch (e) {
    throw passkeyError("the passkey did not sign", e);
  }
  const r = assertion.response;
  return {
    authenticator_data: toBase64url(r.authenticatorData),
    client_data_json: toBase64url(r.clientDataJSON),
    signature: toBase64url(r.signature),
  };
}

function passkeyError(message, cause) {
  return new ApiError(0, {
    code: "passkey_refused",
    message: cause ? `${message}: ${cause.message || cause}` : message,
    hint: "touch the authenticator when the browser asks, or try again",
  });
}
