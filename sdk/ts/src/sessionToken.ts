// The `lsk1_` session token a holder imports: `lsk1_` + base64url (no padding) of UTF-8 JSON
// `{v, secret, wallet, session, program, cluster, label, policy}` (docs/cli.md, "Session
// token"); the same bytes the Rust SDK and the dashboard write, tested against the shared
// vector crates/sdk/testdata/session_token_v1.json. The secret never leaves this module in
// any printable form: not in errors, not in `JSON.stringify`, not in `console.log`.
import {
    type Address,
    address,
    createKeyPairSignerFromBytes,
    createKeyPairSignerFromPrivateKeyBytes,
    getAddressEncoder,
    getBase58Decoder,
    getBase58Encoder,
    isAddress,
    type KeyPairSigner,
} from '@solana/kit';

import { DEFAULT_PROGRAM_ADDRESS, sessionAddress } from './pda.js';

export const TOKEN_PREFIX = 'lsk1_';

/** Why a token was refused; the message never carries any part of the secret. */
export class SessionTokenError extends Error {
    constructor(
        readonly reason:
            | 'missing_prefix'
            | 'not_base64'
            | 'not_json'
            | 'unsupported_version'
            | 'bad_secret'
            | 'bad_address'
            | 'session_mismatch',
        message: string,
    ) {
        super(message);
        this.name = 'SessionTokenError';
    }
}

export type SessionTokenFields = {
    wallet: Address;
    program?: Address;
    /** RPC URL or `localnet` / `devnet` / `mainnet`. */
    cluster: string;
    label?: string;
    /** A human-readable snapshot of the policy when the token was made (the chain is authoritative). */
    policy?: unknown;
};

const secrets = new WeakMap<SessionToken, Uint8Array>();

/** A parsed session token: the session key as a kit signer, and where the session lives. */
export class SessionToken {
    readonly signer: KeyPairSigner;
    readonly wallet: Address;
    readonly session: Address;
    /** The program the session lives under: authoritative for the holder. */
    readonly program: Address;
    readonly cluster: string;
    readonly label: string;
    readonly policy: unknown;

    private constructor(signer: KeyPairSigner, secret: Uint8Array, session: Address, fields: SessionTokenFields) {
        this.signer = signer;
        this.wallet = fields.wallet;
        this.session = session;
        this.program = fields.program ?? DEFAULT_PROGRAM_ADDRESS;
        this.cluster = fields.cluster;
        this.label = fields.label ?? '';
        this.policy = fields.policy ?? null;
        secrets.set(this, secret);
    }

    /** The session key's address. */
    get sessionKey(): Address {
        return this.signer.address;
    }

    /** From the session key's 64 secret bytes (seed then public key) and where it acts. */
    static async fromSecret(secret: Uint8Array, fields: SessionTokenFields): Promise<SessionToken> {
        let signer: KeyPairSigner;
        try {
            signer = await createKeyPairSignerFromBytes(secret);
        } catch {
            throw new SessionTokenError('bad_secret', "the session token's key is not a valid 64-byte ed25519 keypair");
        }
        const [session] = await sessionAddress(fields.wallet, signer.address, {
            programAddress: fields.program ?? DEFAULT_PROGRAM_ADDRESS,
        });
        return new SessionToken(signer, new Uint8Array(secret), session, fields);
    }

    /** A new session key, for an owner about to create a session. */
    static async generate(fields: SessionTokenFields): Promise<SessionToken> {
        const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
        const signer = await createKeyPairSignerFromPrivateKeyBytes(seed);
        const secret = new Uint8Array(64);
        secret.set(seed);
        secret.set(getAddressEncoder().encode(signer.address), 32);
        seed.fill(0);
        return SessionToken.fromSecret(secret, fields);
    }

    /** The `lsk1_…` text. Treat it as a secret: it carries the session key. */
    encode(): string {
        const secret = secrets.get(this);
        if (!secret) throw new Error('a SessionToken is made by parseSessionToken or SessionToken.fromSecret');
        const json = JSON.stringify({
            v: 1,
            secret: getBase58Decoder().decode(secret),
            wallet: this.wallet,
            session: this.session,
            program: this.program,
            cluster: this.cluster,
            label: this.label,
            policy: sortKeys(this.policy),
        });
        return TOKEN_PREFIX + base64UrlEncode(new TextEncoder().encode(json));
    }

    /** What is safe to show: everything but the secret. */
    toJSON() {
        return {
            sessionKey: this.sessionKey,
            wallet: this.wallet,
            session: this.session,
            program: this.program,
            cluster: this.cluster,
            label: this.label,
        };
    }

    toString(): string {
        return `SessionToken(${this.session}, key ${this.sessionKey}, secret <redacted>)`;
    }

    [Symbol.for('nodejs.util.inspect.custom')]() {
        return { ...this.toJSON(), secret: '<redacted>' };
    }
}

/** Parses and checks an `lsk1_` token: the session must be the PDA of its wallet and key. */
export async function parseSessionToken(text: string): Promise<SessionToken> {
    const trimmed = text.trim();
    if (!trimmed.startsWith(TOKEN_PREFIX)) {
        throw new SessionTokenError('missing_prefix', `a session token starts with "${TOKEN_PREFIX}"`);
    }
    const bytes = base64UrlDecode(trimmed.slice(TOKEN_PREFIX.length));
    if (!bytes) {
        throw new SessionTokenError(
            'not_base64',
            `the session token is not valid base64url after "${TOKEN_PREFIX}" (was it cut or wrapped?)`,
        );
    }
    let json: Record<string, unknown>;
    try {
        const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        json = parsed as Record<string, unknown>;
    } catch {
        throw new SessionTokenError('not_json', "the session token's contents are not a Leash token (not JSON)");
    }
    for (const field of ['v', 'secret', 'wallet', 'session', 'cluster']) {
        if (!(field in json)) {
            throw new SessionTokenError('not_json', `the session token's contents are not a Leash token (missing field \`${field}\`)`);
        }
    }
    if (json.v !== 1) {
        throw new SessionTokenError(
            'unsupported_version',
            `session token version ${String(json.v)} is not supported by this SDK (expected 1); upgrade @leash/sdk`,
        );
    }
    const addressField = (name: string, value: unknown): Address => {
        if (typeof value !== 'string' || !isAddress(value)) {
            throw new SessionTokenError('bad_address', `the session token's "${name}" is not a valid address`);
        }
        return address(value);
    };
    let secret: Uint8Array;
    try {
        secret = new Uint8Array(getBase58Encoder().encode(String(json.secret)));
    } catch {
        throw new SessionTokenError('bad_secret', "the session token's key is not a valid 64-byte ed25519 keypair");
    }
    if (secret.length !== 64) {
        throw new SessionTokenError('bad_secret', "the session token's key is not a valid 64-byte ed25519 keypair");
    }
    const wallet = addressField('wallet', json.wallet);
    const claimed = addressField('session', json.session);
    const program =
        typeof json.program === 'string' && json.program !== '' ? addressField('program', json.program) : undefined;
    const token = await SessionToken.fromSecret(secret, {
        wallet,
        program,
        cluster: String(json.cluster),
        label: typeof json.label === 'string' ? json.label : '',
        policy: json.policy ?? null,
    });
    secret.fill(0);
    if (token.session !== claimed) {
        throw new SessionTokenError(
            'session_mismatch',
            "the session token's session address does not belong to its key and wallet",
        );
    }
    return token;
}

/** serde_json writes objects with sorted keys; so does this, so both write the same token. */
function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === 'object') {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map(k => [k, sortKeys((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

function base64UrlEncode(bytes: Uint8Array): string {
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64UrlDecode(text: string): Uint8Array | undefined {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
    try {
        const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
        return Uint8Array.from(binary, c => c.charCodeAt(0));
    } catch {
        return undefined;
    }
}
