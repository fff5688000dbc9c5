// The program's addresses: wallet, vault and session PDAs under any program id
// (docs/sdk-ts.md, "Addresses"). The seeds are the IDL's; the wallet's owner hash is computed
// here because Codama's seeds cannot say "sha256".
import { type Address, getAddressEncoder, getUtf8Encoder, type ProgramDerivedAddress } from '@solana/kit';

import { findSessionPda, findVaultPda, findWalletPda } from './generated/pdas/index.js';
import { LEASH_PROGRAM_ADDRESS } from './generated/programs/index.js';

/** The all-zero address a spending limit uses for native SOL (amounts in lamports). */
export const NATIVE_SOL_MINT = '11111111111111111111111111111111' as Address;

/** The program id used when the caller names none: where `leash node` runs the program. */
export const DEFAULT_PROGRAM_ADDRESS: Address = LEASH_PROGRAM_ADDRESS;

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as BufferSource));
}

/** sha256 of the owner's borsh `Authority` (variant 0, Ed25519, then the key): the wallet PDA's seed. */
export async function ownerHash(owner: Address): Promise<Uint8Array> {
    const authority = new Uint8Array(33);
    authority.set(getAddressEncoder().encode(owner), 1);
    return sha256(authority);
}

/** The salt the CLI, API and dashboard derive from a wallet's name: sha256(name). */
export async function walletSalt(name: string): Promise<Uint8Array> {
    return sha256(new Uint8Array(getUtf8Encoder().encode(name)));
}

export type ProgramOption = { programAddress?: Address };

/** The wallet PDA of `owner` with `salt` (32 bytes; see {@link walletSalt}). */
export async function walletAddress(
    owner: Address,
    salt: Uint8Array,
    { programAddress = DEFAULT_PROGRAM_ADDRESS }: ProgramOption = {},
): Promise<ProgramDerivedAddress> {
    if (salt.length !== 32) throw new RangeError(`a wallet salt is 32 bytes, got ${salt.length}`);
    return findWalletPda({ ownerHash: await ownerHash(owner), salt }, { programAddress });
}

export async function vaultAddress(
    wallet: Address,
    { programAddress = DEFAULT_PROGRAM_ADDRESS }: ProgramOption = {},
): Promise<ProgramDerivedAddress> {
    return findVaultPda({ wallet }, { programAddress });
}

export async function sessionAddress(
    wallet: Address,
    sessionKey: Address,
    { programAddress = DEFAULT_PROGRAM_ADDRESS }: ProgramOption = {},
): Promise<ProgramDerivedAddress> {
    return findSessionPda({ wallet, sessionKey }, { programAddress });
}
