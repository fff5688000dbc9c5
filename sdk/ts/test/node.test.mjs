// @leash/sdk against a real `leash node` started here: an owner (a kit key pair, and a signer
// that signs and sends by itself, as a wallet-standard wallet does) creates a wallet, funds it
// and opens a session; the holder pays under it, reads its status, is refused with figures
// (simulated and sent: the same answer), and the owner updates, revokes and closes. Then the
// same at another program id, with the committed ELF deployed there by `leash program deploy`.
// The package README's examples run here too.
//
// Run: LEASH_BIN=/path/to/leash npm test   (after `npm ci && npm run build`)
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import {
    address,
    createKeyPairSignerFromBytes,
    createSolanaRpc,
    createSolanaRpcSubscriptions,
    generateKeyPairSigner,
    getAddressEncoder,
    getBase64EncodedWireTransaction,
    getSignatureFromTransaction,
    getBase58Encoder,
    lamports,
} from '@solana/kit';

import * as sdk from '../dist/index.js';

const LEASH_BIN = process.env.LEASH_BIN;
if (!LEASH_BIN) throw new Error('LEASH_BIN is not set: point it at a built `leash` binary (LEASH_BIN=target/debug/leash npm test)');
const SOL = 1_000_000_000n;
const USDC = 1_000_000n;
const run = promisify(execFile);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

let child;
let dir;
let rpcUrl;
let wsUrl;
let rpc;
let rpcSubscriptions;
let usdc;

async function raw(method, params) {
    const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = await response.json();
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
}

async function confirmed(signature) {
    for (let i = 0; i < 300; i++) {
        const { value } = await rpc.getSignatureStatuses([signature]).send();
        if (value[0]?.confirmationStatus === 'confirmed' || value[0]?.confirmationStatus === 'finalized') return value[0];
        await sleep(100);
    }
    throw new Error(`${signature} not confirmed`);
}

async function funded(sol = 10n) {
    const signer = await generateKeyPairSigner();
    await confirmed(await rpc.requestAirdrop(signer.address, lamports(sol * SOL)).send());
    return signer;
}

async function usdcBalance(owner) {
    const ata = await sdk.associatedTokenAddress(owner, usdc, sdk.TOKEN_PROGRAM_ADDRESS);
    const { value } = await rpc.getTokenAccountBalance(ata).send();
    return BigInt(value.amount);
}

/** A signer that signs and sends by itself, as a wallet-standard wallet's sending signer does. */
function sendingSigner(keyPair) {
    return {
        address: keyPair.address,
        async signAndSendTransactions(transactions) {
            const out = [];
            for (const tx of transactions) {
                const [signatures] = await keyPair.signTransactions([tx]);
                const signed = { ...tx, signatures: { ...tx.signatures, ...signatures } };
                await rpc.sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: 'base64' }).send();
                out.push(getBase58Encoder().encode(getSignatureFromTransaction(signed)));
            }
            return out;
        },
    };
}

before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'leash-sdk-'));
    child = spawn(LEASH_BIN, ['node', '--rpc-port', '0', '--ledger', path.join(dir, 'ledger'), '--slot-ms', '100'], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', d => (output += d));
    child.stderr.on('data', d => (output += d));
    const deadline = Date.now() + 60_000;
    while (!rpcUrl || !wsUrl) {
        if (child.exitCode !== null) throw new Error(`leash node exited: ${output}`);
        if (Date.now() > deadline) throw new Error(`leash node printed no URLs: ${output}`);
        rpcUrl = /^RPC URL:\s*(\S+)/m.exec(output)?.[1];
        wsUrl = /^WebSocket PubSub URL:\s*(\S+)/m.exec(output)?.[1];
        await sleep(100);
    }
    rpc = createSolanaRpc(rpcUrl);
    rpcSubscriptions = createSolanaRpcSubscriptions(wsUrl);
    for (;;) {
        try {
            if ((await rpc.getHealth().send()) === 'ok') break;
        } catch {
            // not listening yet
        }
        await sleep(100);
    }
    const tokens = await raw('leash_getTokenList', []);
    usdc = address(tokens.find(t => t.symbol === 'USDC').mint);
});

after(async () => {
    child?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
});

/** The whole story at one program id. */
function story(label, programAddressOf) {
    describe(label, () => {
        let ctx;
        let owner;
        let wallet;
        let vault;
        let token;
        let holder;
        const merchant = address('9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin');

        before(() => {
            ctx = { rpc, rpcSubscriptions, programAddress: programAddressOf(), describeMint: m => (m === usdc ? { decimals: 6, symbol: 'USDC' } : undefined) };
        });

        it('an owner creates a wallet, funds it and opens a session', async () => {
            owner = await funded();
            await raw('leash_mintTokens', [owner.address, 'USDC', Number(100n * USDC)]);
            const created = await sdk.createWallet(ctx, { owner });
            ({ wallet, vault } = created);
            assert.deepEqual(created.events.map(e => e.__kind), ['WalletCreated']);
            const stored = await sdk.fetchLeashWallet(ctx, wallet);
            assert.deepEqual(stored.owner, { __kind: 'Ed25519', fields: [owner.address] });
            const { value: info } = await rpc.getAccountInfo(wallet, { encoding: 'base64' }).send();
            assert.equal(info.owner, ctx.programAddress ?? sdk.DEFAULT_PROGRAM_ADDRESS);
            await sdk.deposit(ctx, { owner, wallet, amount: 2n * SOL });
            await sdk.deposit(ctx, { owner, wallet, amount: 20n * USDC, mint: usdc });
            assert.equal(await usdcBalance(vault), 20n * USDC);
            const made = await sdk.createSession(ctx, {
                owner,
                wallet,
                cluster: rpcUrl,
                label: 'invoice bot',
                policy: sdk.policy(
                    {
                        validForSecs: 3600,
                        maxCallsPerTx: 2,
                        programs: [sdk.TOKEN_PROGRAM_ADDRESS, sdk.ASSOCIATED_TOKEN_PROGRAM_ADDRESS],
                        limits: [{ mint: usdc, perTx: 5n * USDC, total: 8n * USDC }],
                    },
                    { programAddress: ctx.programAddress },
                ),
            });
            assert.deepEqual(made.events.map(e => e.__kind), ['SessionCreated']);
            token = made.token.encode();
            assert.ok(token.startsWith('lsk1_'));
            assert.equal((await sdk.parseSessionToken(token)).program, ctx.programAddress ?? sdk.DEFAULT_PROGRAM_ADDRESS);
        });

        it('the holder pays an invoice and reads the session status', async () => {
            holder = await sdk.Holder.open({ rpc, rpcSubscriptions, describeMint: ctx.describeMint }, token);
            await confirmed(await rpc.requestAirdrop(holder.sessionKey, lamports(SOL)).send());
            const before = await holder.status();
            assert.equal(before.state, 'active');
            assert.equal(before.limits[0].remaining, 8n * USDC);
            const dry = await holder.simulate({ to: merchant, amount: '4', mint: usdc });
            assert.equal(dry.ok, true, dry.error?.message);
            const paid = await holder.transfer({ to: merchant, amount: '4', mint: usdc });
            assert.equal(await usdcBalance(merchant) >= 4n * USDC, true);
            const used = paid.events.find(e => e.__kind === 'SessionUsed');
            assert.ok(used, 'SessionUsed decoded from the logs');
            assert.equal(used.session, holder.session);
            assert.deepEqual(used.outflows, [[usdc, 4n * USDC]]);
            const after = await holder.status();
            assert.equal(after.uses, 1n);
            assert.equal(after.nonce, 1n);
            assert.equal(after.limits[0].spent, 4n * USDC);
            assert.equal(after.limits[0].remaining, 4n * USDC);
        });

        it('a refusal is explained with its figures, simulated and sent alike', async () => {
            const over = { to: merchant, amount: '4.5', mint: usdc };
            const dry = await holder.simulate(over);
            assert.equal(dry.ok, false);
            const refusal = dry.error.refusal;
            assert.equal(refusal.name, 'SpendingLimitExceeded');
            assert.equal(refusal.code, 6008);
            assert.equal(refusal.summary, 'Spending limit exceeded (4 used, 8 limit; this transaction needs 4.5 USDC)');
            assert.deepEqual(refusal.figures, { kind: 'limit', bound: 'total', mint: usdc, amount: 4_500_000n, used: 4n * USDC, limit: 8n * USDC, overBy: 500_000n });
            assert.match(refusal.hint, /higher limit/);
            await assert.rejects(holder.transfer(over), e => {
                assert.ok(e instanceof sdk.LeashTransactionError, String(e));
                assert.deepEqual(e.refusal, refusal, 'the real send says what the dry run said');
                return true;
            });
            const perTx = await holder.simulate({ to: merchant, amount: '6', mint: usdc });
            assert.equal(perTx.error.refusal.name, 'PerTxLimitExceeded');
            assert.equal(perTx.error.refusal.summary, 'Per-transaction limit exceeded (6 USDC in this transaction, 5 limit)');
            // The System program is not in the policy: the program is named.
            const sol = await holder.simulate({ to: merchant, amount: '0.1' });
            assert.equal(sol.error.refusal.name, 'ProgramNotAllowed');
            assert.deepEqual(sol.error.refusal.figures, { kind: 'program', program: sdk.SYSTEM_PROGRAM_ADDRESS });
            assert.equal((await holder.status()).uses, 1n, 'refusals used nothing');
        });

        it('execute runs ordinary instructions through the vault', async () => {
            const source = await sdk.associatedTokenAddress(vault, usdc, sdk.TOKEN_PROGRAM_ADDRESS);
            const destination = await sdk.associatedTokenAddress(merchant, usdc, sdk.TOKEN_PROGRAM_ADDRESS);
            const transfer = sdk.transferChecked({ tokenProgram: sdk.TOKEN_PROGRAM_ADDRESS, source, mint: usdc, destination, authority: vault, amount: USDC, decimals: 6 });
            const done = await holder.execute([transfer], { expectedNonce: 1n });
            assert.deepEqual(done.events.find(e => e.__kind === 'SessionUsed').outflows, [[usdc, USDC]]);
            const again = sdk.transferChecked({ tokenProgram: sdk.TOKEN_PROGRAM_ADDRESS, source, mint: usdc, destination, authority: vault, amount: 2n, decimals: 6 });
            await assert.rejects(holder.execute([again], { expectedNonce: 1n }), e => e.refusal?.name === 'NonceMismatch');
        });

        it('the owner updates, revokes and closes; the holder is told', async () => {
            const updated = await sdk.updateSession(ctx, {
                owner,
                wallet,
                session: holder.session,
                expectedUses: 2n,
                policy: sdk.policy({ validForSecs: 3600, programs: [sdk.TOKEN_PROGRAM_ADDRESS], limits: [{ mint: usdc, total: 10n * USDC }] }),
            });
            assert.deepEqual(updated.events.map(e => e.__kind), ['SessionUpdated']);
            assert.equal((await holder.status()).limits[0].remaining, 5n * USDC, 'spent carried over by mint');
            await sdk.revokeSession(ctx, { authority: owner, wallet, session: holder.session });
            assert.equal((await holder.status()).state, 'revoked');
            const refused = await holder.simulate({ to: merchant, amount: '1', mint: usdc });
            assert.equal(refused.error.refusal.name, 'SessionRevoked');
            const closed = await sdk.closeSession(ctx, { authority: owner, wallet, session: holder.session });
            assert.deepEqual(closed.events.map(e => e.__kind), ['SessionClosed']);
            await assert.rejects(holder.status(), /does not exist/);
            const all = await sdk.revokeAllSessions(ctx, { owner, wallet });
            assert.deepEqual(all.events.map(e => e.__kind), ['AllSessionsRevoked']);
            assert.equal((await sdk.fetchLeashWallet(ctx, wallet)).epoch, 1);
        });
    });
}

story('at the default program id', () => undefined);

let deployed;
describe('at a program id chosen at deploy time', () => {
    before(async () => {
        const home = path.join(dir, 'deployer');
        const programKey = await generateKeyPairSigner(true);
        const bytes = new Uint8Array(64);
        bytes.set(new Uint8Array(await crypto.subtle.exportKey('pkcs8', programKey.keyPair.privateKey)).slice(16), 0);
        bytes.set(getAddressEncoder().encode(programKey.address), 32);
        const keyFile = path.join(dir, 'program.json');
        await writeFile(keyFile, JSON.stringify([...bytes]), { mode: 0o600 });
        const env = { ...process.env, HOME: home, LEASH_HOME: path.join(home, 'leash'), LEASH_URL: rpcUrl };
        await run(LEASH_BIN, ['airdrop', '--amount', '20'], { env });
        const { stdout } = await run(LEASH_BIN, ['--json', 'program', 'deploy', '--program-keypair', keyFile], { env });
        deployed = address(JSON.parse(stdout).program_id);
        assert.equal(deployed, programKey.address);
        assert.notEqual(deployed, sdk.DEFAULT_PROGRAM_ADDRESS);
    });
    story('the same story', () => deployed);

    it("a holder refuses a program id the token does not name", async () => {
        const vector = JSON.parse(await readFile(new URL('../../../crates/sdk/testdata/session_token_v1.json', import.meta.url), 'utf8'));
        await assert.rejects(sdk.Holder.open({ rpc, programAddress: deployed }, vector.token), /lives under program LeashSessionKeys/);
    });
});

describe('the README examples', () => {
    it('are the files the tests run', async () => {
        const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
        for (const file of ['pay-invoice.mjs', 'owner-session.mjs']) {
            const code = await readFile(new URL(`../examples/${file}`, import.meta.url), 'utf8');
            assert.ok(readme.includes(code.trim()), `README.md shows examples/${file} as it is`);
        }
    });

    it('an owner opens a session from a wallet that signs and sends by itself; a bot pays an invoice with it', async () => {
        const { openAgentSession } = await import('../examples/owner-session.mjs');
        const owner = sendingSigner(await funded());
        const { token } = await openAgentSession({ rpc, rpcSubscriptions, owner, cluster: rpcUrl, budget: SOL / 2n });
        const holder = await sdk.Holder.open({ rpc }, token);
        await confirmed(await rpc.requestAirdrop(holder.sessionKey, lamports(SOL)).send());
        const paid = await holder.transfer({ to: address('9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin'), amount: '0.05' });
        assert.deepEqual(paid.events.find(e => e.__kind === 'SessionUsed').outflows, [[sdk.NATIVE_SOL_MINT, 50_000_000n]]);
        const over = await holder.simulate({ to: holder.sessionKey, amount: '0.2' });
        assert.equal(over.error.refusal.name, 'PerTxLimitExceeded');
    });

    it('the invoice bot pays, and explains a refusal', async () => {
        const owner = await funded();
        await raw('leash_mintTokens', [owner.address, 'USDC', Number(50n * USDC)]);
        const ctx = { rpc, rpcSubscriptions };
        const { wallet } = await sdk.createWallet(ctx, { owner, name: 'invoices' });
        await sdk.deposit(ctx, { owner, wallet, amount: 10n * USDC, mint: usdc });
        const { token } = await sdk.createSession(ctx, {
            owner,
            wallet,
            cluster: rpcUrl,
            policy: sdk.policy({ validForSecs: 600, maxCallsPerTx: 2, programs: [sdk.TOKEN_PROGRAM_ADDRESS, sdk.ASSOCIATED_TOKEN_PROGRAM_ADDRESS], limits: [{ mint: usdc, total: 2n * USDC }] }),
        });
        const parsed = await sdk.parseSessionToken(token.encode());
        await confirmed(await rpc.requestAirdrop(parsed.sessionKey, lamports(SOL)).send());
        const invoiceTo = (await generateKeyPairSigner()).address;
        const env = { ...process.env, LEASH_TOKEN: token.encode(), LEASH_RPC_URL: rpcUrl, LEASH_WS_URL: wsUrl, INVOICE_TO: invoiceTo, INVOICE_MINT: usdc };
        const example = new URL('../examples/pay-invoice.mjs', import.meta.url).pathname;
        const paid = await run(process.execPath, [example], { env: { ...env, INVOICE_AMOUNT: '1.5' } });
        assert.match(paid.stdout, /paid 1\.5 to .*\nsession active; uses 1; 1\.5 spent, 0\.5 left/);
        assert.equal(await usdcBalance(invoiceTo), 1_500_000n);
        const refused = await run(process.execPath, [example], { env: { ...env, INVOICE_AMOUNT: '1' } }).then(
            () => assert.fail('the over-limit invoice was paid'),
            e => e,
        );
        assert.equal(refused.code, 2);
        assert.ok(refused.stderr.includes(`cannot pay: Spending limit exceeded (1.5 used, 2 limit; this transaction needs 1 ${usdc})`), refused.stderr);
        assert.match(refused.stderr, /hint: /);
        assert.ok(!refused.stderr.includes(token.encode().slice(5, 40)), 'no part of the token in the output');

        // The same example from the package as `npm pack` makes it, installed into a scratch project.
        const scratch = path.join(dir, 'scratch');
        const pkgDir = new URL('..', import.meta.url).pathname;
        const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
        await run('mkdir', ['-p', scratch]);
        const packed = await run(npm, ['pack', '--silent', '--pack-destination', scratch], { cwd: pkgDir, maxBuffer: 1 << 24 });
        const tarball = path.join(scratch, packed.stdout.trim().split('\n').at(-1));
        await writeFile(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
        await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, '@solana/kit@6.9.0'], {
            cwd: scratch,
            maxBuffer: 1 << 24,
        });
        const installed = JSON.parse(await readFile(path.join(scratch, 'node_modules/@leash/sdk/package.json'), 'utf8'));
        assert.equal(installed.name, '@leash/sdk');
        await writeFile(path.join(scratch, 'pay.mjs'), await readFile(path.join(scratch, 'node_modules/@leash/sdk/examples/pay-invoice.mjs')));
        const other = (await generateKeyPairSigner()).address;
        const fromTarball = await run(process.execPath, ['pay.mjs'], { cwd: scratch, env: { ...env, INVOICE_TO: other, INVOICE_AMOUNT: '0.5' } });
        assert.match(fromTarball.stdout, /paid 0\.5 to .*\nsession active; uses 2; 2 spent, 0 left/);
        assert.equal(await usdcBalance(other), 500_000n);
    });
});
