// A passkey owner in Debian's Chromium (playwright-core) with the DevTools WebAuthn domain's
// virtual authenticator (a platform authenticator with user verification, as Touch ID is):
// a new owner creates a passkey wallet, funds it, creates a session and revokes it — each
// confirmed on chain, read back over JSON-RPC — with no extension, no local key of the owner's
// and no terminal. The server's signer (`leash serve --signer`) pays; the passkey authorizes.
// The page is opened at `localhost`: a WebAuthn relying party id is a domain, never an IP.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { act } from "./actions.js";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (crates/cli/tests/dashboard.rs sets it)`);
  return value;
};
// PASSKEY_PAYER: `browser` (the server has no signer: this browser's fee key pays) or
// `server` (`leash serve --signer` pays).
const PAYER = env("PASSKEY_PAYER");
const BASE = env("LEASH_LOCAL_BASE").replace("127.0.0.1", "localhost");
const ADMIN = env("LEASH_LOCAL_ADMIN_KEY");
const NODE_URL = env("LEASH_NODE_URL");
const SHOTS = env("SCREENSHOT_DIR");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(SHOTS, { recursive: true });

async function rpc(method, params) {
  const r = await fetch(NODE_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await r.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
async function accountData(address) {
  const r = await rpc("getAccountInfo", [address, { encoding: "base64", commitment: "confirmed" }]);
  return r.value ? Buffer.from(r.value.data[0], "base64") : null;
}


test(`a passkey owner (${PAYER} pays): wallet, session, revoke — in the browser only`, async (t) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: BASE });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const state = {};
  const step = (name, fn) =>
    t.test(name, async () => {
      try {
        await fn();
      } catch (e) {
        await page.screenshot({ path: join(SHOTS, `FAILED-passkey-${PAYER}-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}.png`), fullPage: true }).catch(() => {});
        throw e;
      }
    });

  await step("sign in; the owner panel offers a passkey", async () => {
    await page.goto("/");
    await page.locator("#api-key").fill(ADMIN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("h1", { hasText: "Wallets" }).waitFor();
    await page.locator("#create-passkey-wallet").waitFor();
    await page.screenshot({ path: join(SHOTS, `20-passkey-offer-${PAYER}.png`), fullPage: true });
  });

  await step("create a wallet with a passkey: registered, created on chain, owned by it", async () => {
    // The payer (the server's signer, or this browser's fee key) is funded from the local
    // faucet, on the page.
    assert.equal(await page.locator("#use-local-signer").count(), PAYER === "server" ? 1 : 0);
    await page.locator("#airdrop-signer").click();
    await page.getByText(/Airdropped 10 SOL to (the server's signer|this browser's fee key)/).waitFor({ timeout: 30000 });
    await page.locator("#passkey-wallet-name").fill("touch");
    await page.locator("#create-passkey-wallet").click();
    await page.locator("#owner-address", { hasText: "your passkey" }).waitFor({ timeout: 30000 });
    const card = page.locator("section.wallet");
    await card.waitFor();
    state.wallet = await card.getAttribute("data-wallet");
    const data = await accountData(state.wallet);
    assert.equal(data.length, 123, "a passkey wallet's account");
    assert.equal(data[4], 1, "owner kind: Secp256r1");
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert.equal(credentials.length, 1);
    // The wallet's key is the credential's: compressed P-256 (0x02/0x03) from the authenticator.
    assert.ok(data[5] === 2 || data[5] === 3);
    // Nothing secret of the owner's is kept by the page: only the credential's id.
    const stored = await page.evaluate(() => localStorage.getItem("leash.passkeys"));
    assert.ok(JSON.parse(stored).some((p) => p.wallet === state.wallet && p.credential));
  });

  await step("fund it: the server's signer deposits", async () => {
    const card = page.locator("section.wallet");
    await card.locator("summary", { hasText: "Deposit" }).click();
    await card.locator(`#deposit-token-${state.wallet}`).selectOption("SOL");
    await card.locator(".deposit-amount").fill("2");
    await act(page, "section.wallet button.deposit");
    await page.locator("section.wallet .balances", { hasText: "2 SOL" }).waitFor();
    await page.screenshot({ path: join(SHOTS, `21-passkey-wallet-${PAYER}.png`), fullPage: true });
  });

  await step("create a session, approved with the passkey", async () => {
    const before = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials[0].signCount;
    await page.locator("section.wallet a", { hasText: "New session" }).click();
    await page.locator("#preview", { hasText: "Rent" }).waitFor({ timeout: 30000 });
    await act(page, "#create-session");
    await page.locator("#session-token").waitFor();
    assert.match(await page.locator("#session-token").inputValue(), /^lsk1_/);
    state.session = (await page.locator("#open-session").getAttribute("href")).split("/").pop();
    const data = await accountData(state.session);
    assert.ok(data && data[0] === 2, "the session account is on chain");
    assert.equal(data[119], 0, "not revoked");
    const after = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials[0].signCount;
    assert.ok(after > before, "the passkey signed");
    const wallet = await accountData(state.wallet);
    assert.equal(wallet.readBigUInt64LE(115), 1n, "the owner nonce moved on once");
    await page.screenshot({ path: join(SHOTS, `22-passkey-session-${PAYER}.png`), fullPage: true });
  });

  await step("revoke it with the passkey: revoked on chain", async () => {
    await page.locator("#open-session").click();
    await page.locator("#revoke-session").waitFor();
    await act(page, "#revoke-session", { confirm: true });
    const data = await accountData(state.session);
    assert.equal(data[119], 1, "revoked on chain");
    const wallet = await accountData(state.wallet);
    assert.equal(wallet.readBigUInt64LE(115), 2n, "the owner nonce moved on again");
    await page.screenshot({ path: join(SHOTS, `23-passkey-revoked-${PAYER}.png`), fullPage: true });
  });

  assert.deepEqual(problems, []);
});
