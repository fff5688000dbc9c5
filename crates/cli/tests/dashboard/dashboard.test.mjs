// The dashboard end to end in Debian's Chromium (playwright-core), against the real `leash
// node` and `leash serve` that crates/cli/tests/dashboard.rs started: every flow of DESIGN.md
// §9, with a test wallet registered through the Wallet Standard that signs with the owner's real
// Ed25519 key, and the real `leash` binary using the token the page made. A screenshot of each
// page goes to SCREENSHOT_DIR.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { act } from "./actions.js";
import { installTestWallet } from "./test-wallet.js";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (crates/cli/tests/dashboard.rs sets it)`);
  return value;
};
const BASE = env("LEASH_BASE");
const ADMIN = env("LEASH_ADMIN_KEY");
const LEASH = env("LEASH_BIN");
const NODE_URL = env("LEASH_NODE_URL");
const HOLDER_HOME = env("LEASH_HOLDER_HOME");
const SHOTS = env("SCREENSHOT_DIR");
const TOKEN_OUT = env("LEASH_TOKEN_OUT");
const LOCAL_BASE = env("LEASH_LOCAL_BASE");
const LOCAL_ADMIN = env("LEASH_LOCAL_ADMIN_KEY");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(SHOTS, { recursive: true });

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(bytes) {
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

/** A fresh owner: an Ed25519 key made here, given only to the test wallet in the page. */
function newOwner() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = Buffer.from(privateKey.export({ format: "jwk" }).d, "base64url");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
  return { seedHex: seed.toString("hex"), publicKeyHex: pub.toString("hex"), address: base58(pub) };
}

function leash(args, { ok = true, home = HOLDER_HOME, env = {} } = {}) {
  try {
    const stdout = execFileSync(LEASH, args, {
      env: { PATH: process.env.PATH, HOME: home, LEASH_HOME: join(home, "leash"), LEASH_URL: NODE_URL, ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (!ok) assert.fail(`leash ${args[0]} should have failed`);
    return { code: 0, stdout, stderr: "" };
  } catch (e) {
    if (ok || e.status === undefined) throw new Error(`leash ${args.join(" ").slice(0, 60)} failed: ${e.stderr || e.message}`);
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

async function shot(page, name, { fullPage = true } = {}) {
  // Let the spinners and live regions settle, then keep the whole page.
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, name), fullPage });
}

async function newPage(browser, owner, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, baseURL: BASE });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  await context.addInitScript(installTestWallet, { ...owner, name: "Leash Test Wallet" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.problems = problems;
  return { context, page };
}

async function signIn(page, key) {
  await page.goto("/");
  await page.locator("#api-key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("h1", { hasText: "Wallets" }).waitFor();
}


/** Sets the editor's first limit and waits for a preview that shows `expect`. */
async function previewShows(page, text) {
  await page.locator("#preview", { hasText: text }).waitFor({ timeout: 30000 });
}

const owner = newOwner();
let browser;
const state = {};

test("the dashboard, end to end", async (t) => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  const { context, page } = await newPage(browser, owner);
  t.after(async () => browser.close());
  // A failing step leaves a screenshot of where it stopped.
  const step = (name, fn) =>
    t.test(name, async () => {
      try {
        await fn();
      } catch (e) {
        // Every open page of every context (a step may open its own, as the phone's does).
        const pages = browser.contexts().flatMap((c) => c.pages());
        for (const [i, p] of pages.entries()) {
          const file = `FAILED-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 50)}-${i + 1}.png`;
          await p.screenshot({ path: join(SHOTS, file), fullPage: true }).catch(() => {});
        }
        throw e;
      }
    });

  await step("the page is served from the binary under a strict CSP", async () => {
    const response = await page.goto("/");
    assert.equal(response.status(), 200);
    const csp = response.headers()["content-security-policy"];
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(response.headers()["x-frame-options"], "DENY");
    const js = await page.request.get("/assets/app.js");
    assert.match(js.headers()["content-type"], /^text\/javascript/);
    const css = await page.request.get("/assets/style.css");
    assert.match(css.headers()["content-type"], /^text\/css/);
    assert.equal((await page.request.get("/assets/nope.js")).status(), 404);
  });

  await step("a wrong API key is refused with the API's message and hint", async () => {
    await page.locator("#api-key").waitFor();
    await shot(page, "01-sign-in.png");
    await page.locator("#api-key").fill("lk_not-a-real-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    const error = page.locator(".error[data-code=invalid_api_key]");
    await error.waitFor();
    assert.match(await error.innerText(), /unknown or revoked/);
    assert.match(await error.innerText(), /Hint: paste the whole key/);
    await shot(page, "02-sign-in-refused.png");
  });

  await step("sign-in sets an HttpOnly, SameSite=Strict cookie and the scripts never see it", async () => {
    await page.locator("#api-key").fill(ADMIN);
    await page.locator("#api-key").press("Enter");
    await page.locator("h1", { hasText: "Wallets" }).waitFor();
    const cookies = await context.cookies();
    const cookie = cookies.find((c) => c.name === "leash_dashboard");
    assert.ok(cookie, "the sign-in cookie");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.equal(cookie.path, "/");
    assert.equal(await page.evaluate(() => document.cookie.includes("leash_dashboard")), false);
    assert.ok(!(await page.content()).includes(ADMIN), "the API key is not kept in the page");
  });

  await step("the test wallet registers through the Wallet Standard and connects", async () => {
    // Who signs, said for what each choice is.
    await page.getByText("A browser wallet signs here, in the browser").waitFor();
    await shot(page, "02a-who-signs.png");
    await page.getByRole("button", { name: "Connect Leash Test Wallet" }).click();
    await page.locator("#owner-address", { hasText: owner.address }).waitFor();
    assert.equal(await page.evaluate(() => window.__testWallet.connects), 1);
  });

  await step("airdrop, create a wallet, deposit and withdraw (signed in the wallet)", async () => {
    await page.locator("#airdrop-usdc").click();
    await page.getByText("Airdropped 1000 USDC").waitFor({ timeout: 30000 });
    await page.locator("#airdrop").click();
    await page.getByText("Airdropped 10 SOL").waitFor({ timeout: 30000 });
    // The owner's own balances follow.
    await page.locator("#owner-balances", { hasText: "1000 USDC" }).waitFor({ timeout: 15000 });
    await page.locator("#owner-balances", { hasText: /\b10 SOL/ }).waitFor({ timeout: 15000 });
    await shot(page, "02b-airdrops.png");
    await page.locator("#new-wallet-name").fill("default");
    await act(page, "#create-wallet");
    const card = page.locator("section.wallet");
    await card.waitFor();
    state.wallet = await card.getAttribute("data-wallet");
    assert.ok(state.wallet);
    // Its name, not its address (the chain keeps only sha256 of it; the API checks the name
    // against the address).
    assert.match(await card.locator("h3").innerText(), /Wallet “default”/);

    await card.locator("summary", { hasText: "Deposit" }).click();
    // More USDC than the owner holds: said so, with where test tokens come from, and no
    // earlier success line left above it.
    await card.locator(".deposit-amount").fill("5000");
    await card.locator(`#deposit-token-${state.wallet}`).selectOption("USDC");
    await page.locator("section.wallet button.deposit").click();
    const short = card.locator(".error", { hasText: "not enough tokens" });
    await short.waitFor({ timeout: 30000 });
    assert.match(await short.innerText(), /Hint: .*airdrop --token USDC/);
    assert.equal(await page.locator("#notice").isVisible(), false, "no stale success line");
    await shot(page, "03a-not-enough-tokens.png");
    await card.locator(`#deposit-token-${state.wallet}`).selectOption("SOL");
    await card.locator(".deposit-amount").fill("2");
    await act(page, "section.wallet button.deposit");
    await page.locator("section.wallet .balances", { hasText: "2 SOL" }).waitFor();
    // The owner's own balance follows the deposit (10 SOL less 2, less fees and rent).
    await page.waitForFunction(() => {
      const text = document.getElementById("owner-balances")?.textContent ?? "";
      const sol = Number(/([\d.]+) SOL/.exec(text)?.[1]);
      return sol > 7 && sol < 8;
    }, null, { timeout: 15000 });

    const w = page.locator("section.wallet");
    await w.locator("summary", { hasText: "Withdraw" }).click();
    await w.locator(".withdraw-amount").fill("0.5");
    await act(page, "section.wallet button.withdraw");
    await page.locator("section.wallet .balances", { hasText: "1.5 SOL" }).waitFor();
    assert.ok((await page.evaluate(() => window.__testWallet.signatures)) >= 3);
    await shot(page, "03-wallets.png");
  });

  await step("a wallet's refusal shows a readable error", async () => {
    await page.evaluate(() => (window.__testWallet.reject = true));
    const w = page.locator("section.wallet");
    await w.locator("summary", { hasText: "Deposit" }).click();
    await w.locator(".deposit-amount").fill("0.1");
    await w.locator("button.deposit").click();
    const error = w.locator(".error[data-code=wallet_refused]");
    await error.waitFor();
    assert.match(await error.innerText(), /did not sign: User rejected the request/);
  });

  await step("the session editor previews as you type", async () => {
    await page.locator(`section.wallet a`, { hasText: "New session" }).click();
    await page.locator("h1", { hasText: "New session" }).waitFor();
    await previewShows(page, "Session");
    const first = await page.locator("#preview").getAttribute("data-session");
    assert.ok(first);
    // Type: the preview follows.
    await page.locator("#policy-label").fill("e2e-bot");
    await page.locator("#policy-max-uses").fill("10");
    await page.locator("#limit-0-per-tx").fill("0.2");
    await page.locator("#limit-0-total").fill("0.5");
    await previewShows(page, "SOL: per tx 0.2, total 0.5");
    await previewShows(page, "Max uses10");
    // No limits at all: the warning appears; a bad amount: the API's message.
    await page.getByRole("button", { name: "Remove limit 1" }).click();
    await previewShows(page, "no spending limits");
    await page.locator("#add-limit").click();
    await page.locator("#limit-1-token").fill("SOL");
    await page.locator("#limit-1-total").fill("abc");
    await page.locator("#preview .error").waitFor();
    assert.match(await page.locator("#preview .error").innerText(), /abc/);
    await page.locator("#limit-1-per-tx").fill("0.2");
    await page.locator("#limit-1-total").fill("0.5");
    await previewShows(page, "SOL: per tx 0.2, total 0.5, to anyone");
    await previewShows(page, "SOL may go to anyone");
    // Policy v3: where SOL may land, and only System transfers.
    state.to = newOwner().address;
    await page.locator("#limit-1-recipients").fill(state.to);
    await previewShows(page, `only to ${state.to.slice(0, 4)}`);
    await page.locator('details.instruction-picks[data-program="system"] summary').click();
    await page.locator('details.instruction-picks[data-program="system"] input[value="transfer"]').check();
    await previewShows(page, "system (only transfer)");
    // The one warning left: rent the vault pays is SOL sent to a new account.
    await previewShows(page, "rent the vault pays");
    assert.equal(await page.locator("#preview-warnings li").count(), 1, await page.locator("#preview").innerText());
    await previewShows(page, "Rent");
    await shot(page, "04-new-session-preview.png");
  });

  await step("create the session: the token is revealed once, with copy and the import line", async () => {
    await act(page, "#create-session");
    await page.locator("h1", { hasText: "Session created" }).waitFor();
    const token = await page.locator("#session-token").inputValue();
    assert.match(token, /^lsk1_[A-Za-z0-9_-]+$/);
    await page.locator("#copy-token").click();
    await page.getByText("Token copied.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    await page.locator("#copy-import").click();
    await page.getByText("Command copied.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `leash session import ${token}`);
    await shot(page, "05-token-reveal.png");
    state.token = token;
    state.session = (await page.locator("#open-session").getAttribute("href")).split("/").pop();
    writeFileSync(TOKEN_OUT, token, { mode: 0o600 });
    // Nothing of it is stored by the page.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href);
    assert.ok(!stored.includes(token.slice(5, 40)));
  });

  await step("the token is gone after navigating away, and after a reload", async () => {
    await page.locator("#open-session").click();
    await page.locator("h1", { hasText: "Session" }).waitFor();
    await page.goBack();
    await page.locator("h1", { hasText: "Token shown once" }).waitFor();
    assert.ok(!(await page.content()).includes(state.token.slice(5, 60)));
    await page.reload();
    await page.locator("h1", { hasText: "Token shown once" }).waitFor();
    assert.ok(!(await page.content()).includes(state.token.slice(5, 60)));
  });

  await step("the CLI uses the copied token: import, then a transfer within bounds", async () => {
    const imported = leash(["session", "import", state.token, "--json"]);
    assert.equal(JSON.parse(imported.stdout).session, state.session);
    const to = state.to;
    const sent = JSON.parse(leash(["transfer", "--to", to, "--amount", "0.1", "--json"]).stdout);
    assert.ok(sent.signature);
    // To anyone else: refused by the program, with the account and the listed recipient.
    const stranger = newOwner().address;
    const elsewhere = leash(["transfer", "--to", stranger, "--amount", "0.1", "--json"], { ok: false });
    assert.equal(elsewhere.code, 1);
    const answer = JSON.parse(elsewhere.stdout || elsewhere.stderr);
    assert.equal(answer.error?.code ?? answer.code, "RecipientNotAllowed", elsewhere.stdout + elsewhere.stderr);
    assert.match(elsewhere.stdout + elsewhere.stderr, new RegExp(stranger));
    assert.match(elsewhere.stdout + elsewhere.stderr, new RegExp(to));
    // Over the per-transaction bound: refused with the figures.
    const refused = leash(["transfer", "--to", to, "--amount", "0.3", "--json"], { ok: false });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /spending_limit_exceeded|per.?tx/i);
  });

  await step("the session page shows status, used / limit and the SessionUsed activity", async () => {
    await page.goto(`/#/sessions/${state.session}`);
    await page.locator("#session-uses", { hasText: "1 / 10" }).waitFor({ timeout: 30000 });
    await page.locator("h1", { hasText: "Session “e2e-bot”" }).waitFor();
    await page.locator("#session-limits", { hasText: "0.1 / 0.5" }).waitFor();
    const used = page.locator('#session-events tr[data-kind="session_used"]');
    await used.waitFor();
    assert.match(await used.innerText(), /use 1: −0\.1 SOL/);
    await page.locator('#session-events tr[data-kind="session_created"]').waitFor();
    // Pictures, not only text: a bar per bound (0.1 of 0.5 SOL: 20 %), the spend over time.
    const bar = page.locator('#session-limits .bar[role="meter"]').first();
    assert.equal(await bar.getAttribute("aria-valuenow"), "20");
    // Per transaction: the largest use so far (0.1) of the 0.2 allowed, 50 %.
    await page.locator('#session-limits .bar[aria-label^="SOL largest transaction"][aria-valuenow="50"]').waitFor();
    assert.match(await bar.getAttribute("aria-label"), /SOL used of total: 0\.1 of 0\.5/);
    assert.equal(await bar.locator("span").evaluate((s) => s.style.width), "20%", "the bar is drawn at 20 %");
    await page.locator('#spend-chart svg.spend[data-token="SOL"] polyline').waitFor();
    assert.match(await page.locator("#spend-chart svg.spend title").textContent(), /SOL spent over 1 use\(s\): 0\.1 of 0\.5/);
    // Live: the holder spends while the page is open; the activity follows without a reload.
    await page.locator("#live-state", { hasText: "live" }).waitFor({ timeout: 15000 });
    // (Amounts differ from the next step's: two equal transfers on one blockhash are one transaction.)
    leash(["transfer", "--to", state.to, "--amount", "0.04", "--json"]);
    await page.locator('#session-events tr[data-kind="session_used"]', { hasText: "use 2" }).waitFor({ timeout: 15000 });
    await page.locator("#session-limits", { hasText: "0.14 / 0.5" }).waitFor({ timeout: 15000 });
    await shot(page, "06-session.png");
  });

  await step("the session list shows live status, uses, used / limit and time left", async () => {
    await page.goto(`/#/wallets/${state.wallet}/sessions`);
    const row = page.locator(`tr[data-session="${state.session}"]`);
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /e2e-bot/, "the session's label, kept by the API");
    await page.locator("#sessions-wallet", { hasText: "Wallet “default”" }).waitFor();
    // The wallet's spend over time, across its sessions.
    await page.locator('#wallet-spend-chart svg.spend[data-token="SOL"] polyline').waitFor();
    assert.match(await page.locator("#wallet-spend-chart svg.spend title").textContent(), /SOL spent over 2 use\(s\): 0\.14/);
    assert.match(text, /active/);
    assert.match(text, /2 \/ 10/);
    assert.match(text, /0\.14 \/ 0\.5 SOL/);
    assert.match(text, /1h \d+m left/);
    // Live: the CLI spends again; the list follows without a reload.
    leash(["transfer", "--to", state.to, "--amount", "0.06", "--json"]);
    await page.locator(`tr[data-session="${state.session}"] .uses`, { hasText: "3 / 10" }).waitFor({ timeout: 30000 });
    await page.locator("#wallet-spend-chart svg.spend title", { hasText: "over 3 use(s): 0.2" }).waitFor({ state: "attached", timeout: 15000 });
    await shot(page, "07-sessions.png");
  });

  await step("an over-limit update is flagged in the preview; a valid one is applied", async () => {
    await page.goto(`/#/sessions/${state.session}`);
    await page.locator("#open-update").click();
    await previewShows(page, "this session exists already");
    await page.locator("#limit-0-total").fill("0.15");
    await previewShows(page, "over limit: SOL total 0.15 is not above the 0.2 already spent");
    await page.locator("#policy-max-uses").fill("3");
    await previewShows(page, "max_uses 3 is not above the 3 uses so far");
    await shot(page, "08-update-over-limit.png");
    await page.locator("#policy-max-uses").fill("20");
    await page.locator("#limit-0-total").fill("1");
    await page.locator("#preview", { hasText: "total 1" }).waitFor();
    assert.doesNotMatch(await page.locator("#preview").innerText(), /over limit/);
    await act(page, "#update-session");
    await page.locator("#update-done").waitFor();
    await page.locator("#session-limits", { hasText: "0.2 / 1" }).waitFor({ timeout: 30000 });
    await page.locator("#session-uses", { hasText: "3 / 20" }).waitFor();
    await page.locator('#session-events tr[data-kind="session_updated"]').waitFor({ timeout: 30000 });
  });

  await step("a change without the CSRF token is refused", async () => {
    const answers = await page.evaluate(async (session) => {
      const call = async (headers) => {
        const r = await fetch(`/v1/sessions/${session}/revoke/prepare`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: "{}",
        });
        return { status: r.status, body: await r.json() };
      };
      const read = await fetch(`/v1/sessions/${session}`);
      return {
        missing: await call({}),
        wrong: await call({ "x-csrf-token": "0".repeat(64) }),
        read: read.status,
      };
    }, state.session);
    assert.equal(answers.missing.status, 403);
    assert.equal(answers.missing.body.error.code, "csrf_token_missing");
    assert.ok(answers.missing.body.error.hint);
    assert.equal(answers.wrong.status, 403);
    assert.equal(answers.wrong.body.error.code, "csrf_token_invalid");
    assert.equal(answers.read, 200, "reads with the cookie need no CSRF token");
  });

  await step("revoke asks for confirmation, then revokes; the CLI is refused", async () => {
    await page.locator("#revoke-session").click();
    const dialog = page.locator("dialog.confirm");
    await dialog.waitFor();
    await shot(page, "09-confirm-revoke.png");
    // Cancel has the focus: Enter does not revoke.
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Cancel");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    assert.match(await page.locator("#session-status").innerText(), /active/);
    await act(page, "#revoke-session", { confirm: true });
    await page.locator("#session-status", { hasText: "revoked" }).waitFor({ timeout: 30000 });
    const refused = leash(["transfer", "--to", newOwner().address, "--amount", "0.1", "--json"], { ok: false });
    assert.match(refused.stderr, /revoked/i);
    await page.locator('#session-events tr[data-kind="session_revoked"]').waitFor({ timeout: 30000 });
    // A revoked session offers only what it can still do: close.
    await page.locator("#ended-note").waitFor();
    assert.equal(await page.locator("#revoke-session").isVisible(), false);
    assert.equal(await page.locator("#open-update").isVisible(), false);
    assert.equal(await page.locator("#close-session").isVisible(), true);
    await shot(page, "09b-revoked.png");
  });

  await step("close returns the rent", async () => {
    await act(page, "#close-session", { confirm: true });
    await page.locator("#closed").waitFor();
  });

  // A receiver for the Webhooks page: records what it is sent, answers 204.
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ id: req.headers["webhook-id"], signature: req.headers["webhook-signature"], body: JSON.parse(body || "{}") });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

  await step("the Webhooks page adds a webhook (its secret once) and tests it", async () => {
    await page.goto("/#/webhooks");
    await page.locator("#webhook-url").fill(hookUrl);
    await page.locator('input[name="webhook-event"][value="session.created"]').check();
    await page.locator('input[name="webhook-event"][value="session.revoked"]').check();
    await page.locator("#add-webhook-submit").click();
    const secret = await page.locator("#webhook-secret code.secret").innerText();
    assert.match(secret, /^whsec_/);
    const row = page.locator("#webhooks tbody tr").first();
    await row.waitFor();
    assert.match(await row.innerText(), /session\.created, session\.revoked/);
    await row.getByRole("button", { name: "Test" }).click();
    await row.getByText("accepted the test message (HTTP 204)").waitFor({ timeout: 15000 });
    assert.equal(received.at(-1).body.type, "webhook.test");
    assert.match(received.at(-1).signature, /^v1,/);
    await shot(page, "10a-webhooks.png");
    // A bad URL is refused with what to fix.
    await page.locator("#webhook-url").fill("ftp://example.com/x");
    await page.locator("#add-webhook-submit").click();
    await page.locator("#add-webhook .error", { hasText: "http or https" }).waitFor();
  });

  await step("revoke all behind a confirmation", async () => {
    // Two fresh sessions.
    for (const label of ["bot-a", "bot-b"]) {
      await page.goto(`/#/wallets/${state.wallet}/new`);
      await page.locator("#policy-label").fill(label);
      await previewShows(page, "Rent");
      await act(page, "#create-session");
      await page.locator("h1", { hasText: "Session created" }).waitFor();
    }
    await page.goto(`/#/wallets/${state.wallet}/sessions`);
    await page.locator("#session-table tbody tr").first().waitFor();
    assert.equal(await page.locator("#session-table .status-active").count(), 2);
    await page.locator("#revoke-all").click();
    await page.locator("dialog.confirm").waitFor();
    await page.locator("dialog.confirm").getByRole("button", { name: "Cancel" }).click();
    assert.equal(await page.locator("#session-table .status-active").count(), 2);
    await act(page, "#revoke-all", { confirm: true });
    await page.waitForFunction(() => document.querySelectorAll("#session-table .status-active").length === 0, null, { timeout: 30000 });
    assert.equal(await page.locator("#session-table .status-revoked").count(), 2);
    await shot(page, "10-revoke-all.png");
  });

  await step("the webhook received the sessions' creation and revocation; its deliveries and a redelivery", async () => {
    const deadline = Date.now() + 20000;
    const typed = (t) => received.filter((r) => r.body.type === t);
    while ((typed("session.created").length < 2 || typed("session.revoked").length < 1) && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 200));
    }
    assert.ok(typed("session.created").length >= 2, JSON.stringify(received.map((r) => r.body.type)));
    assert.ok(typed("session.revoked").some((r) => r.body.data.all === true && r.body.data.wallet === state.wallet));
    await page.goto("/#/webhooks");
    const row = page.locator("#webhooks tbody tr").first();
    await row.getByRole("button", { name: "Deliveries" }).click();
    const delivered = row.locator('.delivery-log tr[data-state="delivered"]');
    await delivered.first().waitFor();
    const before = received.length;
    await delivered.first().getByRole("button", { name: "Redeliver" }).click();
    await row.getByText("queued").waitFor();
    const until = Date.now() + 15000;
    while (received.length === before && Date.now() < until) await new Promise((ok) => setTimeout(ok, 200));
    assert.ok(received.length > before, "the redelivery arrived");
    await shot(page, "10b-webhook-deliveries.png");
    await row.getByRole("button", { name: "Disable" }).click();
    await page.locator("#webhooks td.state", { hasText: "disabled" }).waitFor();
    receiver.close();
  });

  await step("an agent's session request: approved narrower in the browser, another denied", async () => {
    // The agent: its own home, a `request` key, the real CLI.
    const made = await page.request.post("/v1/api-keys", {
      headers: { authorization: `Bearer ${ADMIN}` },
      data: { name: "agent", scopes: ["request"] },
    });
    assert.equal(made.status(), 201);
    const agent = { home: join(HOLDER_HOME, "agent"), env: { LEASH_API_URL: BASE, LEASH_API_KEY: (await made.json()).key } };
    mkdirSync(agent.home, { recursive: true });
    const policy = join(agent.home, "policy.toml");
    writeFileSync(policy, 'label = "e2e-agent"\nexpires_in = "1h"\nmax_uses = 5\nallowed_programs = ["system"]\n\n[[limits]]\ntoken = "SOL"\nper_tx = "0.1"\ntotal = "0.5"\n');
    const file = (reason) =>
      JSON.parse(leash(["session", "request", "--wallet", state.wallet, "--policy", policy, "--reason", reason, "--json"], agent).stdout).id;
    const approveId = file("pay for e2e API calls");
    const denyId = file("something the owner refuses");
    assert.ok(approveId && denyId);

    await page.goto("/#/requests");
    const card = page.locator(`section.request[data-request="${approveId}"]`);
    await card.waitFor();
    assert.match(await card.innerText(), /pay for e2e API calls/);
    assert.match(await card.innerText(), /SOL: per tx 0\.1, total 0\.5/);
    await page.locator(`#open-approve-${approveId}`).click();
    await previewShows(page, "SOL: per tx 0.1, total 0.5");
    await page.locator("#limit-0-total").fill("0.2");
    await previewShows(page, "SOL: per tx 0.1, total 0.2");
    await shot(page, "16-requests.png");
    await act(page, "#approve-request");
    await page.locator(`#decided-requests tr[data-request="${approveId}"]`, { hasText: "approved" }).waitFor({ timeout: 30000 });
    // The agent picks up the session it asked for, narrower, and acts within it.
    const status = JSON.parse(leash(["session", "request-status", approveId, "--json"], agent).stdout);
    assert.equal(status.status, "approved", JSON.stringify(status));
    leash(["transfer", "--to", newOwner().address, "--amount", "0.1", "--json"], agent);

    await page.locator(`#deny-note-${denyId}`).fill("not this week");
    await page.locator(`#deny-${denyId}`).click();
    await page.locator("dialog.confirm").getByRole("button", { name: "Deny" }).click();
    await page.locator(`#decided-requests tr[data-request="${denyId}"]`, { hasText: "denied" }).waitFor({ timeout: 30000 });
    const denied = JSON.parse(leash(["session", "request-status", denyId, "--json"], agent).stdout);
    assert.equal(denied.status, "denied");
    assert.match(JSON.stringify(denied), /not this week/);
    await page.locator("#no-pending").waitFor();
  });

  await step("the audit log lists the dashboard's actions and verifies", async () => {
    await page.goto("/#/audit");
    await page.locator('#audit-log tr[data-event="dashboard.sign_in"]').first().waitFor();
    // Key names, not ids; the refused sign-in is there too (nothing of the key it tried).
    assert.match(await page.locator('#audit-log tr[data-event="dashboard.sign_in"] td.actor').first().innerText(), /admin \(first start\)/);
    const failed = page.locator('#audit-log tr[data-event="dashboard.sign_in_failed"]');
    assert.ok((await failed.count()) > 0, "failed sign-ins are audited");
    assert.match(await failed.first().innerText(), /unknown or revoked key/);
    assert.doesNotMatch(await page.locator("#audit-log").innerText(), /not-a-real-key/);
    await failed.first().scrollIntoViewIfNeeded();
    await shot(page, "11b-audit-failed-sign-in.png", { fullPage: false });
    for (const event of ["wallet.prepare", "session.prepare", "transaction.submit", "session.update.prepare", "session.revoke.prepare", "wallet.revoke_all.prepare", "dev.airdrop"]) {
      assert.ok((await page.locator(`#audit-log tr[data-event="${event}"]`).count()) > 0, event);
    }
    await page.locator("#verify-audit").click();
    await page.locator("#audit-valid").waitFor();
    // The log is long: the first screen of it.
    await shot(page, "11-audit.png", { fullPage: false });
  });

  await step("at phone width (390px), by keyboard", async () => {
    const phone = await newPage(browser, owner, { width: 390, height: 844 });
    const p = phone.page;
    await p.goto("/");
    await p.locator("#api-key").waitFor();
    // The key field has the focus; Tab goes to the button; Enter signs in.
    assert.equal(await p.evaluate(() => document.activeElement.id), "api-key");
    await p.keyboard.type(ADMIN);
    await p.keyboard.press("Tab");
    assert.equal(await p.evaluate(() => document.activeElement.textContent), "Sign in");
    const outline = await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, "none", "the focused button shows its focus");
    await p.keyboard.press("Enter");
    await p.locator("h1", { hasText: "Wallets" }).waitFor();
    // Connect by keyboard.
    await p.getByRole("button", { name: "Connect Leash Test Wallet" }).focus();
    await p.keyboard.press("Enter");
    await p.locator("section.wallet").waitFor();
    // Nothing wider than the screen (tables scroll inside their own box).
    const fits = async (name, options) => {
      await shot(p, name, options);
      const o = await p.evaluate(() => ({
        px: document.documentElement.scrollWidth - window.innerWidth,
        wide: [...document.querySelectorAll("body *")]
          .filter((e) => !e.closest(".table-wrap") && (e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > e.clientWidth + 1))
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id}`),
      }));
      assert.ok(o.px <= 0 && o.wide.length === 0, `${name}: ${o.px}px sideways: ${o.wide.join(", ")}`);
    };
    await fits("12-phone-wallets.png");
    await p.goto(`/#/wallets/${state.wallet}/new`);
    await p.locator("#preview", { hasText: "Rent" }).waitFor();
    // The preview is below the editor here; its verdict stays in sight at the bottom.
    const peek = p.locator("#preview-peek");
    await peek.waitFor({ state: "visible" });
    const bar = await peek.boundingBox();
    assert.ok(bar && Math.abs(bar.y + bar.height - 844) <= 1, `the preview bar is fixed at the bottom: ${JSON.stringify(bar)}`);
    // The screen as the phone shows it, the bar at its bottom (a full-page capture would
    // draw the fixed bar mid-page).
    await fits("13-phone-new-session.png", { fullPage: false });
    await p.goto(`/#/wallets/${state.wallet}/sessions`);
    await p.locator("#session-table tbody tr").first().waitFor();
    await fits("14-phone-sessions.png");
    assert.deepEqual(p.problems, []);
    await phone.context.close();
  });

  await step("sign-out ends the sign-in on the server", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "leash_dashboard");
    await page.goto("/#/wallets");
    await page.locator("#sign-out").click();
    await page.locator("#api-key").waitFor();
    // The old cookie, sent again, is refused.
    const again = await page.request.get("/v1/dashboard/session", { headers: { cookie: `leash_dashboard=${cookie.value}` } });
    assert.equal(again.status(), 401);
    assert.equal((await again.json()).error.code, "sign_in_expired");
    assert.deepEqual(page.problems, []);
  });

  await step("with `leash serve --signer`, the server's local signer signs instead of a wallet", async () => {
    const local = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: LOCAL_BASE });
    const p = await local.newPage();
    await p.goto("/");
    await p.locator("#api-key").fill(LOCAL_ADMIN);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.locator("#use-local-signer").click();
    await p.locator("#owner-address").waitFor();
    await p.locator("#airdrop").click();
    await p.getByText("Airdropped 10 SOL").waitFor({ timeout: 30000 });
    await p.locator("#new-wallet-name").fill(`local-${Date.now()}`);
    await act(p, "#create-wallet");
    const card = p.locator("section.wallet").last();
    await card.waitFor();
    await card.locator("a", { hasText: "New session" }).click();
    await p.locator("#preview", { hasText: "Rent" }).waitFor();
    await act(p, "#create-session");
    await p.locator("#session-token").waitFor();
    assert.match(await p.locator("#session-token").inputValue(), /^lsk1_/);
    await shot(p, "15-local-signer-token.png");
    await local.close();
  });
});
