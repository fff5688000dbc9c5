// Passkey owners (docs/dashboard.md, "Passkey owners"): a wallet owned by a passkey made on this
// page (WebAuthn registration), and owner actions signed with it (WebAuthn assertions over the
// challenges the API prepares). The server's signer pays; the passkey authorizes. No extension.

import { api, ApiError } from "./api.js";

const STORE = "leash.passkeys";

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

/** The owner signer of a remembered passkey wallet (the server's signer pays its fees). */
export function passkeySigner(entry, payer) {
  return { kind: "passkey", name: "your passkey", address: payer, wallet: entry.wallet, credential: entry.credential, label: entry.name };
}

/**
 * Registers a passkey on this site and creates its wallet `name` (the server's signer pays the
 * rent). Resolves to the remembered entry.
 */
export async function createPasskeyWallet(name) {
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
  const created = await api(
    "POST",
    "/v1/passkey/wallets",
    { name, public_key: toBase64url(publicKey), rp_id: location.hostname, user_verification: true },
    { idempotencyKey: crypto.randomUUID() },
  );
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
