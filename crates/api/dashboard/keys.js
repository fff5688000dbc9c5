// Session keys made in the browser and the `lsk1_` token assembled here (docs/cli.md "Session token", docs/dashboard.md):
// the key's secret never leaves this page except inside the token shown once to the owner.
// Byte-compatible with leash-sdk's SessionToken::encode: the same field order, and the policy
// snapshot's keys sorted as serde_json writes a Value.

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export function base58(bytes) {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i];
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j] * 256;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  return "1".repeat(zeros) + digits.reverse().map((d) => ALPHABET[d]).join("");
}

export function fromBase58(text) {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;
  const bytes = [];
  for (let i = zeros; i < text.length; i++) {
    let carry = ALPHABET.indexOf(text[i]);
    if (carry < 0) throw new Error("not base58");
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j] * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  return new Uint8Array([...new Array(zeros).fill(0), ...bytes.reverse()]);
}

export function fromBase64(text) {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function base64url(bytes) {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Whether this browser has WebCrypto Ed25519 (Chromium 137+, Firefox 129+, Safari 17+). */
export async function ed25519Supported() {
  try {
    await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new session key: its address, and the 64-byte secret (seed ‖ public key, the layout of a
 * solana-keygen file) kept only in the returned object.
 */
export async function newSessionKey() {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  // PKCS#8 of an Ed25519 key ends with the 32-byte seed.
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const secret = new Uint8Array(64);
  secret.set(pkcs8.slice(pkcs8.length - 32), 0);
  secret.set(publicKey, 32);
  pkcs8.fill(0);
  return { address: base58(publicKey), secret };
}

/** A JSON value with object keys sorted at every level (serde_json's Value order). */
function sorted(value) {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sorted(value[key]);
    return out;
  }
  return value;
}

/** The `lsk1_` token, as leash-sdk encodes it. */
export function sessionToken({ secret, wallet, session, program, cluster, label, policy }) {
  const json = JSON.stringify({
    v: 1,
    secret: base58(secret),
    wallet,
    session,
    program,
    cluster,
    label: label || "",
    policy: sorted(policy ?? null),
  });
  return "lsk1_" + base64url(new TextEncoder().encode(json));
}
