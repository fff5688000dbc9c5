// The few SPL and System instructions the helpers need, written out (no other dependency):
// System `Transfer`, Token / Token-2022 `TransferChecked`, and the Associated Token Account
// program's `CreateIdempotent`.
import {
    AccountRole,
    type Address,
    address,
    getAddressDecoder,
    getAddressEncoder,
    getProgramDerivedAddress,
    getU64Encoder,
    type Instruction,
    type Rpc,
    type GetAccountInfoApi,
    type TransactionSigner,
} from '@solana/kit';

export const SYSTEM_PROGRAM_ADDRESS = address('11111111111111111111111111111111');
export const TOKEN_PROGRAM_ADDRESS = address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA');
export const TOKEN_2022_PROGRAM_ADDRESS = address('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb');
export const ASSOCIATED_TOKEN_PROGRAM_ADDRESS = address('ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL');

type Meta = { address: Address; role: AccountRole; signer?: TransactionSigner };
const meta = (addr: Address, role: AccountRole, signer?: TransactionSigner) =>
    signer ? ({ address: addr, role, signer } as Meta) : ({ address: addr, role } as Meta);

/** System `Transfer` of `lamports` from `from` (a signer, or the vault inside an Execute). */
export function systemTransfer(from: Address | TransactionSigner, to: Address, lamports: bigint): Instruction {
    const data = new Uint8Array(12);
    data.set([2, 0, 0, 0]);
    data.set(getU64Encoder().encode(lamports), 4);
    const fromMeta =
        typeof from === 'string'
            ? meta(from, AccountRole.WRITABLE_SIGNER)
            : meta(from.address, AccountRole.WRITABLE_SIGNER, from);
    return { programAddress: SYSTEM_PROGRAM_ADDRESS, accounts: [fromMeta, meta(to, AccountRole.WRITABLE)], data };
}

export async function associatedTokenAddress(owner: Address, mint: Address, tokenProgram: Address): Promise<Address> {
    const e = getAddressEncoder();
    const [ata] = await getProgramDerivedAddress({
        programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
        seeds: [e.encode(owner), e.encode(tokenProgram), e.encode(mint)],
    });
    return ata;
}

/** Creates `owner`'s associated token account of `mint` unless it exists, paid by `payer`. */
export async function createAssociatedTokenIdempotent(
    payer: TransactionSigner,
    owner: Address,
    mint: Address,
    tokenProgram: Address,
): Promise<Instruction> {
    const ata = await associatedTokenAddress(owner, mint, tokenProgram);
    return {
        programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
        accounts: [
            meta(payer.address, AccountRole.WRITABLE_SIGNER, payer),
            meta(ata, AccountRole.WRITABLE),
            meta(owner, AccountRole.READONLY),
            meta(mint, AccountRole.READONLY),
            meta(SYSTEM_PROGRAM_ADDRESS, AccountRole.READONLY),
            meta(tokenProgram, AccountRole.READONLY),
        ],
        data: new Uint8Array([1]),
    };
}

/** `TransferChecked` (instruction 12) of `amount` base units, `authority` signing. */
export function transferChecked(args: {
    tokenProgram: Address;
    source: Address;
    mint: Address;
    destination: Address;
    authority: Address | TransactionSigner;
    amount: bigint;
    decimals: number;
}): Instruction {
    const data = new Uint8Array(10);
    data[0] = 12;
    data.set(getU64Encoder().encode(args.amount), 1);
    data[9] = args.decimals;
    const authority =
        typeof args.authority === 'string'
            ? meta(args.authority, AccountRole.READONLY_SIGNER)
            : meta(args.authority.address, AccountRole.READONLY_SIGNER, args.authority);
    return {
        programAddress: args.tokenProgram,
        accounts: [
            meta(args.source, AccountRole.WRITABLE),
            meta(args.mint, AccountRole.READONLY),
            meta(args.destination, AccountRole.WRITABLE),
            authority,
        ],
        data,
    };
}

export type MintAccount = { mint: Address; tokenProgram: Address; decimals: number };

/** An account's owner and data, or undefined where there is none. */
async function accountData(rpc: Rpc<GetAccountInfoApi>, address: Address): Promise<{ owner: Address; data: Uint8Array } | undefined> {
    const { value } = await rpc.getAccountInfo(address, { encoding: 'base64' }).send();
    if (!value) return undefined;
    return { owner: value.owner, data: Uint8Array.from(atob(value.data[0]), c => c.charCodeAt(0)) };
}

const isTokenProgram = (owner: Address) => owner === TOKEN_PROGRAM_ADDRESS || owner === TOKEN_2022_PROGRAM_ADDRESS;

/** A mint's token program and decimals, read from the cluster. */
export async function fetchMint(rpc: Rpc<GetAccountInfoApi>, mint: Address): Promise<MintAccount> {
    const account = await accountData(rpc, mint);
    if (!account) throw new Error(`mint ${mint} does not exist on this cluster`);
    const { owner, data } = account;
    if (!isTokenProgram(owner)) throw new Error(`${mint} is not a token mint (owned by ${owner})`);
    if (data.length < 82 || data[45] !== 1) throw new Error(`${mint} is not an initialized mint`);
    return { mint, tokenProgram: owner, decimals: data[44]! };
}

/** The mint of a token account, or undefined when `account` is not one (a wallet address, say). */
export async function tokenAccountMint(rpc: Rpc<GetAccountInfoApi>, account: Address): Promise<Address | undefined> {
    const found = await accountData(rpc, account);
    if (!found || !isTokenProgram(found.owner)) return undefined;
    const { data } = found;
    if (data.length < 165 || (data.length > 165 && data[165] !== 2)) return undefined;
    return getAddressDecoder().decode(data.subarray(0, 32));
}
