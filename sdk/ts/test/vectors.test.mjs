// The IDL against the Rust layouts: every vector of idl/vectors.json (the program's own borsh
// encodings, made by crates/sdk/tests/idl.rs) decodes with the code generated from the IDL to
// the same values, and those values encode back to the same bytes. Also the session token's
// shared vector, the PDAs at two program ids, the error table and the log readers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { getBase58Encoder, isOption, isSome } from '@solana/kit';

import * as sdk from '../dist/index.js';

const root = new URL('../../../', import.meta.url);
const vectors = JSON.parse(readFileSync(new URL('idl/vectors.json', root), 'utf8'));
const idl = JSON.parse(readFileSync(new URL('idl/leash.json', root), 'utf8'));

const hex = bytes => Buffer.from(bytes).toString('hex');
const unhex = text => new Uint8Array(Buffer.from(text, 'hex'));
const pascal = name => name[0].toUpperCase() + name.slice(1);

/** A decoded value in the vectors' JSON shape. */
function normalize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return { hex: hex(value) };
    if (Array.isArray(value)) return value.map(normalize);
    if (value && typeof value === 'object') {
        if (isOption(value)) return isSome(value) ? normalize(value.value) : null;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
    }
    return value;
}

/** A vector's value as encoder input: decimal strings to bigint, `{hex}` to bytes. */
function denormalize(value) {
    // Integers are at most 20 digits; addresses (even the all-ones SOL mint) at least 32.
    if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
    if (Array.isArray(value)) return value.map(denormalize);
    if (value && typeof value === 'object') {
        if ('hex' in value && Object.keys(value).length === 1) return unhex(value.hex);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, denormalize(v)]));
    }
    return value;
}

describe('the IDL decodes and encodes what the program does', () => {
    it('every instruction', () => {
        assert.ok(vectors.instructions.length >= 20);
        for (const v of vectors.instructions) {
            const name = pascal(v.instruction);
            const bytes = unhex(v.data);
            const decoded = sdk[`get${name}InstructionDataDecoder`]().decode(bytes);
            assert.deepEqual(normalize(decoded), v.args, `${v.instruction} decodes to the program's values`);
            const { discriminator, ...args } = denormalize(v.args);
            const encoded = sdk[`get${name}InstructionDataEncoder`]().encode(args);
            assert.equal(hex(encoded), v.data, `${v.instruction} encodes to the program's bytes`);
            assert.equal(encoded[0], sdk[`${v.instruction.replace(/[A-Z]/g, c => `_${c}`).toUpperCase()}_DISCRIMINATOR`]);
        }
    });

    it('every account, both session layouts', () => {
        const seen = new Set();
        for (const v of vectors.accounts) {
            seen.add(v.account);
            const name = pascal(v.account);
            const bytes = unhex(v.data);
            assert.deepEqual(normalize(sdk[`get${name}Decoder`]().decode(bytes)), v.value, v.account);
            assert.equal(hex(sdk[`get${name}Encoder`]().encode(denormalize(v.value))), v.data, v.account);
            if (v.account !== 'wallet') {
                const any = sdk.decodeAnySession(bytes);
                assert.equal(any.layout, v.account === 'session' ? 2 : 1);
            }
            assert.equal(sdk.identifyLeashAccount(bytes), sdk.LeashAccount[name], `${v.account} is identified by its discriminator`);
        }
        assert.deepEqual([...seen].sort(), ['session', 'sessionV1', 'wallet']);
    });

    it('every event', () => {
        const kinds = new Set();
        for (const v of vectors.events) {
            const decoded = sdk.getLeashEventDecoder().decode(unhex(v.data));
            assert.deepEqual(normalize(decoded), v.value);
            assert.equal(hex(sdk.getLeashEventEncoder().encode(denormalize(v.value))), v.data);
            kinds.add(decoded.__kind);
        }
        assert.equal(kinds.size, idl.program.events.length, 'one vector per event at least');
    });

    it('the PDAs, at the default id and at another', async () => {
        for (const v of vectors.pdas) {
            const programAddress = v.program;
            assert.equal(hex(await sdk.ownerHash(v.owner)), v.ownerHash);
            assert.deepEqual(await sdk.walletAddress(v.owner, unhex(v.salt), { programAddress }), v.wallet);
            assert.deepEqual(await sdk.vaultAddress(v.wallet[0], { programAddress }), v.vault);
            assert.deepEqual(await sdk.sessionAddress(v.wallet[0], v.sessionKey, { programAddress }), v.session);
        }
        assert.notEqual(vectors.pdas[0].wallet[0], vectors.pdas[1].wallet[0]);
    });

    it('the errors: codes, names, messages and hints of the IDL', () => {
        assert.deepEqual(
            sdk.LEASH_ERROR_TABLE.map(e => [e.code, e.name, e.message, e.hint]),
            idl.program.errors.map(e => [e.code, e.name, e.message, e.docs[0]]),
        );
        const info = sdk.leashErrorInfo(6008);
        assert.equal(info.name, 'SpendingLimitExceeded');
        assert.equal(sdk.leashErrorInfo(1), undefined, 'not a Leash code');
    });

    it('the generated code is what the IDL makes', () => {
        execFileSync(process.execPath, ['scripts/generate.mjs', '--check'], { cwd: new URL('..', import.meta.url), stdio: 'pipe' });
    });
});

describe('the session token', () => {
    const vector = JSON.parse(readFileSync(new URL('crates/sdk/testdata/session_token_v1.json', root), 'utf8'));

    it('parses the shared vector and encodes it back byte for byte', async () => {
        const token = await sdk.parseSessionToken(vector.token);
        assert.equal(token.sessionKey, vector.session_key);
        assert.equal(token.wallet, vector.wallet);
        assert.equal(token.session, vector.session);
        assert.equal(token.program, vector.program);
        assert.equal(token.cluster, vector.cluster);
        assert.equal(token.label, vector.label);
        assert.deepEqual(token.policy, vector.policy);
        assert.equal(token.encode(), vector.token);
        const made = await sdk.SessionToken.fromSecret(new Uint8Array(getBase58Encoder().encode(vector.secret)), {
            wallet: vector.wallet,
            program: vector.program,
            cluster: vector.cluster,
            label: vector.label,
            policy: vector.policy,
        });
        assert.equal(made.encode(), vector.token, 'the same bytes the Rust SDK writes');
    });

    it('never shows the secret', async () => {
        const token = await sdk.parseSessionToken(vector.token);
        const { inspect } = await import('node:util');
        for (const shown of [JSON.stringify(token), String(token), inspect(token, { depth: 5 })]) {
            assert.ok(!shown.includes(vector.secret), shown);
            assert.ok(!shown.includes(vector.secret.slice(0, 12)), shown);
        }
    });

    it('refuses bad tokens with what was wrong, and no part of the secret', async () => {
        const cases = [
            ['not-a-token', 'missing_prefix', 'starts with "lsk1_"'],
            ['lsk1_%%%', 'not_base64', 'not valid base64url'],
            ['lsk1_eyJ2IjoxfQ', 'not_json', 'not a Leash token'],
        ];
        const wrongSession = JSON.parse(Buffer.from(vector.token.slice(5), 'base64url').toString());
        wrongSession.session = vector.wallet;
        cases.push(['lsk1_' + Buffer.from(JSON.stringify(wrongSession)).toString('base64url'), 'session_mismatch', 'does not belong']);
        const v2 = { ...wrongSession, v: 2 };
        cases.push(['lsk1_' + Buffer.from(JSON.stringify(v2)).toString('base64url'), 'unsupported_version', 'version 2']);
        for (const [text, reason, words] of cases) {
            await assert.rejects(sdk.parseSessionToken(text), e => {
                assert.equal(e.reason, reason, text);
                assert.ok(e.message.includes(words), e.message);
                assert.ok(!e.message.includes(vector.secret.slice(0, 12)));
                return true;
            });
        }
    });
});

describe('refusals read from the logs', () => {
    it('limit, recipient, instruction and program figures', () => {
        const sol = sdk.NATIVE_SOL_MINT;
        const limit = sdk.explainRefusal(6008, [`Program log: SpendingLimitExceeded: mint ${sol} amount 600000000 used 500000000 limit 1000000000`]);
        assert.equal(limit.name, 'SpendingLimitExceeded');
        assert.equal(limit.summary, 'Spending limit exceeded (0.5 used, 1 limit; this transaction needs 0.6 SOL)');
        assert.deepEqual(limit.figures, { kind: 'limit', bound: 'total', mint: sol, amount: 600000000n, used: 500000000n, limit: 1000000000n, overBy: 100000000n });
        const mint = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
        const perTx = sdk.explainRefusal(6009, [`Program log: PerTxLimitExceeded: mint ${mint} amount 6000000 used 0 limit 5000000`], m =>
            m === mint ? { decimals: 6, symbol: 'USDC' } : undefined,
        );
        assert.equal(perTx.summary, 'Per-transaction limit exceeded (6 USDC in this transaction, 5 limit)');
        assert.equal(perTx.figures.overBy, 1000000n);
        const recipient = sdk.explainRefusal(6020, [
            `Program log: RecipientNotAllowed: mint ${sol} account ${mint} recipient ${mint} amount 5`,
            `Program log: listed recipient ${sol}`,
        ]);
        assert.deepEqual(recipient.figures.listed, [sol]);
        assert.match(recipient.summary, /0\.000000005 SOL to account EPj/);
        const ix = sdk.explainRefusal(6021, [`Program log: InstructionNotAllowed: program ${mint} data 0c01`, 'Program log: allowed prefix 03']);
        assert.deepEqual(ix.figures, { kind: 'instruction', program: mint, data: '0c01', allowedPrefixes: ['03'] });
        const program = sdk.explainRefusal(6006, [`Program log: program ${mint} is not allowed`]);
        assert.equal(program.summary, `Program not allowed by policy (${mint})`);
        assert.ok(program.hint.length > 10);
    });

    it('amounts: exact decimals both ways', () => {
        assert.equal(sdk.formatAmount(4500000n, 6), '4.5');
        assert.equal(sdk.formatAmount(1n, 9), '0.000000001');
        assert.equal(sdk.parseAmount('4.5', 6), 4500000n);
        assert.throws(() => sdk.parseAmount('0.0000001', 6), /more than 6 decimal places/);
        assert.throws(() => sdk.parseAmount('1e3', 6), /not an amount/);
    });
});

describe('events', () => {
    const event = vectors.events.find(v => v.value.__kind === 'SessionUsed');
    const data = `Program data: ${Buffer.from(event.data, 'hex').toString('base64')}`;
    const leash = sdk.DEFAULT_PROGRAM_ADDRESS;
    const token = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

    it("are read only where the Leash program logged them", () => {
        const logs = [
            `Program ${leash} invoke [1]`,
            `Program ${token} invoke [2]`,
            data, // logged by the called program: a forgery
            `Program ${token} success`,
            data,
            `Program ${leash} success`,
        ];
        const events = sdk.decodeLeashEvents(logs);
        assert.equal(events.length, 1);
        assert.equal(events[0].__kind, 'SessionUsed');
        assert.equal(sdk.decodeLeashEvents(logs, { programAddress: token }).length, 1, 'the other program\'s own line');
        assert.equal(sdk.decodeLeashEvents([data]).length, 0, 'outside any program');
    });
});
