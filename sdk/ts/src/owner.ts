// What a wallet's owner does, with any kit `TransactionSigner` as the owner: a key pair, or a
// browser wallet through wallet-standard (which may sign and send by itself). Each helper
// sends one transaction and waits until it is confirmed; the `…Instructions` forms return the
// instructions for callers that assemble transactions themselves.
import type { Address, Instruction, TransactionSigner } from '@solana/kit';

import { fetchLeashSession } from './accounts.js';
import { decodeLeashEvents } from './events.js';
import { getCloseSessionInstruction } from './generated/instructions/closeSession.js';
import { getCreateSessionInstruction } from './generated/instructions/createSession.js';
import { getCreateWalletInstruction } from './generated/instructions/createWallet.js';
import { getRevokeAllSessionsInstruction } from './generated/instructions/revokeAllSessions.js';
import { getRevokeSessionInstruction } from './generated/instructions/revokeSession.js';
import { getUpdateSessionInstruction } from './generated/instructions/updateSession.js';
import type { LeashEvent, PolicyArgs } from './generated/types/index.js';
import { NATIVE_SOL_MINT, sessionAddress, vaultAddress, walletAddress, walletSalt } from './pda.js';
import { type LeashContext, programOf, send, type Sent } from './send.js';
import { SessionToken } from './sessionToken.js';
import { associatedTokenAddress, createAssociatedTokenIdempotent, fetchMint, systemTransfer, transferChecked } from './spl.js';

export type OwnerSent = Sent & { events: LeashEvent[] };

async function land(ctx: LeashContext, payer: TransactionSigner, instructions: Instruction[]): Promise<OwnerSent> {
    const sent = await send(ctx, payer, instructions);
    return { ...sent, events: decodeLeashEvents(sent.logs, { programAddress: programOf(ctx) }) };
}

/** Creates the wallet `name` (default "default") of `owner`; returns it and its vault. */
export async function createWallet(
    ctx: LeashContext,
    { owner, name = 'default', payer = owner }: { owner: TransactionSigner; name?: string; payer?: TransactionSigner },
): Promise<OwnerSent & { wallet: Address; vault: Address }> {
    const programAddress = programOf(ctx);
    const salt = await walletSalt(name);
    const [wallet] = await walletAddress(owner.address, salt, { programAddress });
    const [vault] = await vaultAddress(wallet, { programAddress });
    const ix = getCreateWalletInstruction(
        { payer, owner, wallet, authority: { __kind: 'Ed25519', fields: [owner.address] }, salt },
        { programAddress },
    );
    return { ...(await land(ctx, payer, [ix])), wallet, vault };
}

/** Moves `amount` base units of SOL (lamports) or a token from `owner` into the wallet's vault. */
export async function deposit(
    ctx: LeashContext,
    { owner, wallet, amount, mint }: { owner: TransactionSigner; wallet: Address; amount: bigint; mint?: Address },
): Promise<OwnerSent> {
    const [vault] = await vaultAddress(wallet, { programAddress: programOf(ctx) });
    if (!mint || mint === NATIVE_SOL_MINT) return land(ctx, owner, [systemTransfer(owner, vault, amount)]);
    const info = await fetchMint(ctx.rpc, mint);
    return land(ctx, owner, [
        await createAssociatedTokenIdempotent(owner, vault, mint, info.tokenProgram),
        transferChecked({
            tokenProgram: info.tokenProgram,
            source: await associatedTokenAddress(owner.address, mint, info.tokenProgram),
            mint,
            destination: await associatedTokenAddress(vault, mint, info.tokenProgram),
            authority: owner,
            amount,
            decimals: info.decimals,
        }),
    ]);
}

/**
 * Creates a session under `policy` (see `policy()`) for a new session key, and returns the
 * `lsk1_` token to hand to the holder (a secret: it carries the key).
 */
export async function createSession(
    ctx: LeashContext,
    args: {
        owner: TransactionSigner;
        wallet: Address;
        policy: PolicyArgs;
        /** Where the holder will reach the cluster (in the token): an RPC URL or localnet/devnet/mainnet. */
        cluster: string;
        label?: string;
        payer?: TransactionSigner;
        /** A key made elsewhere; default: a new one. */
        sessionToken?: SessionToken;
    },
): Promise<OwnerSent & { session: Address; token: SessionToken }> {
    const programAddress = programOf(ctx);
    const token =
        args.sessionToken ??
        (await SessionToken.generate({
            wallet: args.wallet,
            program: programAddress,
            cluster: args.cluster,
            label: args.label,
            policy: null,
        }));
    const [session, bump] = await sessionAddress(args.wallet, token.sessionKey, { programAddress });
    const payer = args.payer ?? args.owner;
    const ix = getCreateSessionInstruction(
        { payer, owner: args.owner, wallet: args.wallet, session, sessionKey: token.sessionKey, policy: args.policy, bump },
        { programAddress },
    );
    return { ...(await land(ctx, payer, [ix])), session, token };
}

/** Replaces a session's policy; with `expectedUses`, refused if the session was used since. */
export async function updateSession(
    ctx: LeashContext,
    args: { owner: TransactionSigner; wallet: Address; session: Address; policy: PolicyArgs; expectedUses?: bigint; payer?: TransactionSigner },
): Promise<OwnerSent> {
    const payer = args.payer ?? args.owner;
    const ix = getUpdateSessionInstruction(
        { owner: args.owner, wallet: args.wallet, session: args.session, payer, policy: args.policy, expectedUses: args.expectedUses ?? null },
        { programAddress: programOf(ctx) },
    );
    return land(ctx, payer, [ix]);
}

/** Ends a session for good (the owner, or the session key itself, may). */
export async function revokeSession(
    ctx: LeashContext,
    args: { authority: TransactionSigner; wallet: Address; session: Address },
): Promise<OwnerSent> {
    const ix = getRevokeSessionInstruction(args, { programAddress: programOf(ctx) });
    return land(ctx, args.authority, [ix]);
}

/** Ends every session of the wallet at once. */
export async function revokeAllSessions(ctx: LeashContext, args: { owner: TransactionSigner; wallet: Address }): Promise<OwnerSent> {
    return land(ctx, args.owner, [getRevokeAllSessionsInstruction(args, { programAddress: programOf(ctx) })]);
}

/** Closes a session and returns its rent to whoever paid it (read from the session). */
export async function closeSession(
    ctx: LeashContext,
    args: { authority: TransactionSigner; wallet: Address; session: Address },
): Promise<OwnerSent> {
    const stored = await fetchLeashSession(ctx, args.session);
    if (!stored) throw new Error(`session ${args.session} does not exist (already closed?)`);
    const ix = getCloseSessionInstruction({ ...args, rentPayer: stored.rentPayer }, { programAddress: programOf(ctx) });
    return land(ctx, args.authority, [ix]);
}
