// An independent client for the leash node: the official Solana JS SDK, @solana/kit, which no one
// on this project wrote. If kit can airdrop, transfer and read back errors against `leash node`,
// the node speaks the real JSON-RPC protocol and not just what our own Rust client expects.
//
// Run: LEASH_BIN=/path/to/leash node --test   (in this directory, after `npm ci`)

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
    SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
    SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
    appendTransactionMessageInstruction,
    createSolanaRpc,
    createTransactionMessage,
    generateKeyPairSigner,
    getBase64EncodedWireTransaction,
    getSignatureFromTransaction,
    isSolanaError,
    lamports,
    pipe,
    setTransactionMessageFeePayerSigner,
    setTransactionMessageLifetimeUsingBlockhash,
    signTransactionMessageWithSigners,
} from '@solana/kit';
import { SYSTEM_PROGRAM_ADDRESS, getTransferSolInstruction } from '@solana-program/system';

const LAMPORTS_PER_SOL = 1_000_000_000n;
const LAMPORTS_PER_SIGNATURE = 5_000n;
const STARTUP_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 30_000;

const LEASH_BIN = process.env.LEASH_BIN;
if (!LEASH_BIN) {
    throw new Error(
        'LEASH_BIN is not set: point it at a built `leash` binary, e.g. ' +
            'LEASH_BIN=target/debug/leash node --test',
    );
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Polls `fn` until it returns a non-undefined value, or throws after `timeoutMs`. */
async function poll(what, fn, timeoutMs = STEP_TIMEOUT_MS, intervalMs = 100) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    for (;;) {
        try {
            const value = await fn();
            if (value !== undefined) return value;
        } catch (e) {
            lastError = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
        }
        await sleep(intervalMs);
    }
}

/** Waits until the node reports a status for `signature`, and returns that status. */
function waitForStatus(rpc, signature) {
    return poll(`a status for ${signature}`, async () => {
        const { value } = await rpc.getSignatureStatuses([signature]).send();
        return value[0] ?? undefined;
    });
}

describe('leash node through @solana/kit', () => {
    let child;
    let ledger;
    let rpc;
    let output = '';
    let exited = null;

    // State handed from one step to the next: the steps run in order, as node:test runs them.
    let payer; // funded by the airdrop
    let recipient;

    before(async () => {
        ledger = await mkdtemp(path.join(tmpdir(), 'leash-kit-'));
        // `--rpc-port 0`: the node picks its own free ports (a port probed here and handed over
        // could be taken by another test, or its PubSub neighbour could) and prints its RPC URL.
        child = spawn(
            LEASH_BIN,
            ['node', '--rpc-port', '0', '--ledger', ledger, '--slot-ms', '100'],
            { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        child.stdout.on('data', d => (output += d));
        child.stderr.on('data', d => (output += d));
        child.on('error', e => (exited = `failed to spawn ${LEASH_BIN}: ${e.message}`));
        child.on('exit', (code, signal) => (exited ??= `exited early (code ${code}, signal ${signal})`));

        const deadline = Date.now() + STARTUP_TIMEOUT_MS;
        for (;;) {
            if (exited) throw new Error(`leash node ${exited}; output:\n${output}`);
            const url = /^RPC URL:[ \t]*(\S+)[ \t]*\r?\n/m.exec(output)?.[1];
            if (url && !rpc) rpc = createSolanaRpc(url);
            if (!rpc) {
                if (Date.now() > deadline) {
                    throw new Error(`leash node printed no RPC URL within ${STARTUP_TIMEOUT_MS} ms; output:\n${output}`);
                }
                await sleep(100);
                continue;
            }
            try {
                const health = await rpc.getHealth().send();
                if (health === 'ok') break;
            } catch {
                // Not listening yet.
            }
            if (Date.now() > deadline) {
                throw new Error(`leash node did not answer getHealth within ${STARTUP_TIMEOUT_MS} ms; output:\n${output}`);
            }
            await sleep(100);
        }
    });

    after(async () => {
        if (child && child.exitCode === null && child.signalCode === null) {
            const gone = once(child, 'exit');
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await gone;
            clearTimeout(timer);
        }
        if (ledger) await rm(ledger, { recursive: true, force: true });
    });

    /** Signs a one-instruction transaction paid for by `feePayer`, returns it with its signature. */
    async function signedTransaction(feePayer, instruction) {
        const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
        const message = pipe(
            createTransactionMessage({ version: 0 }),
            m => setTransactionMessageFeePayerSigner(feePayer, m),
            m => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
            m => appendTransactionMessageInstruction(instruction, m),
        );
        const transaction = await signTransactionMessageWithSigners(message);
        return { transaction, signature: getSignatureFromTransaction(transaction) };
    }

    it('answers getVersion in the shape kit expects', { timeout: STEP_TIMEOUT_MS }, async () => {
        const version = await rpc.getVersion().send();
        assert.equal(typeof version['solana-core'], 'string');
        const slot = await rpc.getSlot().send();
        assert.equal(typeof slot, 'bigint');
    });

    it('airdrops 2 SOL to a fresh signer', { timeout: STEP_TIMEOUT_MS }, async () => {
        payer = await generateKeyPairSigner();
        const { value: initial } = await rpc.getBalance(payer.address).send();
        assert.equal(initial, 0n, 'a fresh address starts empty');

        const signature = await rpc.requestAirdrop(payer.address, lamports(2n * LAMPORTS_PER_SOL)).send();
        const status = await waitForStatus(rpc, signature);
        assert.equal(status.err, null, `airdrop failed: ${JSON.stringify(status.err)}`);

        const { value: balance } = await rpc.getBalance(payer.address).send();
        assert.equal(balance, 2n * LAMPORTS_PER_SOL);
    });

    it('transfers 0.5 SOL with the system program and charges the fee', { timeout: STEP_TIMEOUT_MS }, async () => {
        assert.ok(payer, 'the airdrop step must have run');
        recipient = (await generateKeyPairSigner()).address;
        const amount = LAMPORTS_PER_SOL / 2n;
        const { value: payerBefore } = await rpc.getBalance(payer.address).send();

        const instruction = getTransferSolInstruction({
            source: payer,
            destination: recipient,
            amount: lamports(amount),
        });
        assert.equal(instruction.programAddress, SYSTEM_PROGRAM_ADDRESS);
        const { transaction, signature } = await signedTransaction(payer, instruction);

        const sent = await rpc
            .sendTransaction(getBase64EncodedWireTransaction(transaction), { encoding: 'base64' })
            .send();
        assert.equal(sent, signature, 'sendTransaction returns the transaction signature');

        const status = await waitForStatus(rpc, signature);
        assert.equal(status.err, null, `transfer failed: ${JSON.stringify(status.err)}`);

        // The fee as the node recorded it, checked against the protocol's 5000 lamports/signature.
        const tx = await poll(`getTransaction ${signature}`, async () =>
            (await rpc
                .getTransaction(signature, { encoding: 'json', maxSupportedTransactionVersion: 0 })
                .send()) ?? undefined,
        );
        assert.equal(tx.meta.err, null);
        const signatures = BigInt(Object.keys(transaction.signatures).length);
        assert.equal(signatures, 1n);
        assert.equal(tx.meta.fee, LAMPORTS_PER_SIGNATURE * signatures);
        assert.equal(tx.transaction.signatures[0], signature);

        const { value: payerAfter } = await rpc.getBalance(payer.address).send();
        const { value: recipientAfter } = await rpc.getBalance(recipient).send();
        assert.equal(recipientAfter, amount);
        assert.equal(payerAfter, payerBefore - amount - tx.meta.fee);
        assert.equal(payerAfter, 2n * LAMPORTS_PER_SOL - amount - 5_000n);
    });

    it('surfaces a failed preflight as a -32002 SolanaError with the instruction error and logs', { timeout: STEP_TIMEOUT_MS }, async () => {
        assert.ok(payer && recipient, 'the transfer step must have run');
        const { value: payerBefore } = await rpc.getBalance(payer.address).send();
        const tooMuch = payerBefore + LAMPORTS_PER_SOL; // more than the payer has

        const { transaction, signature } = await signedTransaction(
            payer,
            getTransferSolInstruction({ source: payer, destination: recipient, amount: lamports(tooMuch) }),
        );

        let error;
        try {
            await rpc.sendTransaction(getBase64EncodedWireTransaction(transaction), { encoding: 'base64' }).send();
        } catch (e) {
            error = e;
        }
        assert.ok(error, 'sendTransaction of an overdraft must be rejected');
        assert.ok(
            isSolanaError(error, SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE),
            `expected a preflight-failure SolanaError, got: ${error?.stack ?? error}`,
        );
        assert.equal(SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE, -32002);
        assert.equal(error.context.__code, -32002);

        // kit turns data.err = {"InstructionError":[0,{"Custom":1}]} into the cause: the system
        // program's SystemError::ResultWithNegativeLamports (1) in instruction 0.
        assert.ok(
            isSolanaError(error.cause, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM),
            `expected an InstructionError::Custom cause, got: ${error.cause?.stack ?? error.cause}`,
        );
        assert.equal(error.cause.context.index, 0);
        assert.equal(error.cause.context.code, 1);

        // The simulation's logs come through in the error's context.
        const logs = error.context.logs;
        assert.ok(Array.isArray(logs) && logs.length > 0, `expected simulation logs, got ${JSON.stringify(logs)}`);
        assert.ok(
            logs.some(l => l.includes(`Program ${SYSTEM_PROGRAM_ADDRESS} failed`)),
            `logs should say the system program failed:\n${logs.join('\n')}`,
        );
        assert.ok(
            logs.some(l => /insufficient lamports/i.test(l)),
            `logs should mention insufficient lamports:\n${logs.join('\n')}`,
        );

        // Rejected in preflight: never landed, nothing charged.
        const { value: statuses } = await rpc
            .getSignatureStatuses([signature], { searchTransactionHistory: true })
            .send();
        assert.equal(statuses[0], null, 'a transaction rejected in preflight has no status');
        const { value: payerAfter } = await rpc.getBalance(payer.address).send();
        assert.equal(payerAfter, payerBefore);
    });
});
