// Reading the program's accounts: wallets, sessions in either layout, and the cluster's clock.
import { type Address, getBase64Encoder, getI64Decoder, getU64Decoder } from '@solana/kit';

import { getSessionDecoder, getSessionV1Decoder, getWalletDecoder, type Session, type SessionV1, type Wallet } from './generated/accounts/index.js';
import type { LeashContext } from './send.js';
import { programOf } from './send.js';

const SESSION_ACCOUNT_TYPE = 2;
const CLOCK_SYSVAR = 'SysvarC1ock11111111111111111111111111111111' as Address;

/** A session as stored, with its layout version (1: created before policy v3; no recipients or rules). */
export type AnySession = (Session & { layout: 2 }) | (SessionV1 & { layout: 1 });

async function fetchOwned(ctx: LeashContext, account: Address): Promise<Uint8Array | undefined> {
    const { value } = await ctx.rpc.getAccountInfo(account, { encoding: 'base64', commitment: 'confirmed' }).send();
    if (!value) return undefined;
    if (value.owner !== programOf(ctx)) {
        throw new Error(`${account} is not a Leash account of program ${programOf(ctx)} (owned by ${value.owner})`);
    }
    return new Uint8Array(getBase64Encoder().encode(value.data[0]));
}

/** Decodes a session account's data, whichever layout it has; undefined if it is not a session. */
export function decodeAnySession(data: Uint8Array): AnySession | undefined {
    if (data[0] !== SESSION_ACCOUNT_TYPE) return undefined;
    try {
        if (data[1] === 2) return { ...getSessionDecoder().decode(data), layout: 2 };
        if (data[1] === 1) return { ...getSessionV1Decoder().decode(data), layout: 1 };
    } catch {
        return undefined;
    }
    return undefined;
}

export async function fetchLeashSession(ctx: LeashContext, session: Address): Promise<AnySession | undefined> {
    const data = await fetchOwned(ctx, session);
    if (!data) return undefined;
    const decoded = decodeAnySession(data);
    if (!decoded) throw new Error(`${session} is not a session account`);
    return decoded;
}

export async function fetchLeashWallet(ctx: LeashContext, wallet: Address): Promise<Wallet | undefined> {
    const data = await fetchOwned(ctx, wallet);
    if (!data) return undefined;
    if (data[0] !== 1) throw new Error(`${wallet} is not a wallet account`);
    return getWalletDecoder().decode(data);
}

/** The cluster's clock, as the program sees it (the Clock sysvar): slot and unix time. */
export async function fetchClock(ctx: LeashContext): Promise<{ slot: bigint; unixTimestamp: bigint }> {
    const { value } = await ctx.rpc.getAccountInfo(CLOCK_SYSVAR, { encoding: 'base64', commitment: 'confirmed' }).send();
    if (!value) throw new Error('the cluster has no Clock sysvar');
    const data = new Uint8Array(getBase64Encoder().encode(value.data[0]));
    return { slot: getU64Decoder().decode(data.subarray(0, 8)), unixTimestamp: getI64Decoder().decode(data.subarray(32, 40)) };
}
