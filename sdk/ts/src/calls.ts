// Ordinary instructions compiled into one `Execute` (or `OwnerExecute`): one shared account
// list after the fixed accounts, deduplicated with privileges merged; a call's `signer` flag
// is kept only for the vault, for which the program signs (docs/program.md, "Instructions").
// The same compilation as the Rust builders' `compile_calls`.
import { AccountRole, type AccountMeta, type Address, type Instruction, type TransactionSigner } from '@solana/kit';

import { getExecuteInstructionDataEncoder } from './generated/instructions/execute.js';
import { getOwnerExecuteInstructionDataEncoder } from './generated/instructions/ownerExecute.js';
import type { CallArgs } from './generated/types/index.js';
import { DEFAULT_PROGRAM_ADDRESS, sessionAddress, vaultAddress } from './pda.js';

/** The most accounts one instruction can name by a u8 index. */
const MAX_ACCOUNTS = 256;

type Fixed = AccountMeta & { signer?: TransactionSigner };

export function compileCalls(fixed: Fixed[], instructions: readonly Instruction[]): { accounts: Fixed[]; calls: CallArgs[] } {
    const metas: Fixed[] = fixed.map(m => ({ ...m }));
    const vault = metas.at(-1)?.address;
    const indexOf = (addr: Address, writable: boolean): number => {
        let i = metas.findIndex(m => m.address === addr);
        if (i < 0) {
            metas.push({ address: addr, role: AccountRole.READONLY });
            i = metas.length - 1;
        }
        if (i >= MAX_ACCOUNTS) {
            throw new RangeError(`the calls name more than ${MAX_ACCOUNTS} accounts; split them over several transactions`);
        }
        if (writable) {
            const m = metas[i]!;
            const signer = m.role === AccountRole.READONLY_SIGNER || m.role === AccountRole.WRITABLE_SIGNER;
            metas[i] = { ...m, role: signer ? AccountRole.WRITABLE_SIGNER : AccountRole.WRITABLE };
        }
        return i;
    };
    const calls = instructions.map(ix => {
        const program = indexOf(ix.programAddress, false);
        const accounts = (ix.accounts ?? []).map(a => {
            const writable = a.role === AccountRole.WRITABLE || a.role === AccountRole.WRITABLE_SIGNER;
            const signer = a.role === AccountRole.READONLY_SIGNER || a.role === AccountRole.WRITABLE_SIGNER;
            return { index: indexOf(a.address, writable), writable, signer: signer && a.address === vault };
        });
        return { program, accounts, data: ix.data ?? new Uint8Array() };
    });
    return { accounts: metas, calls };
}

/** `Execute` running `instructions` with the vault as signer, signed by the session key. */
export async function buildExecute(args: {
    sessionKey: TransactionSigner;
    wallet: Address;
    instructions: readonly Instruction[];
    /** Binds the transaction to the session's current nonce (replay and ordering). */
    expectedNonce?: bigint | null;
    programAddress?: Address;
}): Promise<Instruction> {
    const programAddress = args.programAddress ?? DEFAULT_PROGRAM_ADDRESS;
    const [session] = await sessionAddress(args.wallet, args.sessionKey.address, { programAddress });
    const [vault] = await vaultAddress(args.wallet, { programAddress });
    const { accounts, calls } = compileCalls(
        [
            { address: args.sessionKey.address, role: AccountRole.READONLY_SIGNER, signer: args.sessionKey },
            { address: args.wallet, role: AccountRole.READONLY },
            { address: session, role: AccountRole.WRITABLE },
            { address: vault, role: AccountRole.WRITABLE },
        ],
        args.instructions,
    );
    const data = getExecuteInstructionDataEncoder().encode({ expectedNonce: args.expectedNonce ?? null, calls });
    return { programAddress, accounts, data } as Instruction;
}

/** `OwnerExecute`: the owner runs `instructions` with the vault signing, outside any policy. */
export async function buildOwnerExecute(args: {
    owner: TransactionSigner;
    wallet: Address;
    instructions: readonly Instruction[];
    programAddress?: Address;
}): Promise<Instruction> {
    const programAddress = args.programAddress ?? DEFAULT_PROGRAM_ADDRESS;
    const [vault] = await vaultAddress(args.wallet, { programAddress });
    const { accounts, calls } = compileCalls(
        [
            { address: args.owner.address, role: AccountRole.READONLY_SIGNER, signer: args.owner },
            { address: args.wallet, role: AccountRole.READONLY },
            { address: vault, role: AccountRole.WRITABLE },
        ],
        args.instructions,
    );
    const data = getOwnerExecuteInstructionDataEncoder().encode({ calls });
    return { programAddress, accounts, data } as Instruction;
}
