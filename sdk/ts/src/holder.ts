// What a session's holder (a bot, an agent) does with an `lsk1_` token: read the session's
// standing, pay, run calls through the vault, and dry-run any of them first.
import type { Address, Instruction } from '@solana/kit';

import { fetchClock, fetchLeashSession, fetchLeashWallet } from './accounts.js';
import { buildExecute } from './calls.js';
import { parseAmount } from './errors.js';
import { decodeLeashEvents } from './events.js';
import type { LeashEvent } from './generated/types/index.js';
import { NATIVE_SOL_MINT, vaultAddress } from './pda.js';
import { type LeashContext, send, type Sent, simulate, type Simulation } from './send.js';
import { parseSessionToken, type SessionToken } from './sessionToken.js';
import {
    associatedTokenAddress,
    createAssociatedTokenIdempotent,
    fetchMint,
    systemTransfer,
    tokenAccountMint,
    transferChecked,
} from './spl.js';
import { type SessionStatus, sessionStatus } from './status.js';

export type TransferInput = {
    /** A wallet address (its associated token account receives; created if missing, paid by the session key) or a token account of the mint. */
    to: Address;
    /** Base units (bigint), or an exact decimal string of the token ("1.5"). */
    amount: bigint | string;
    /** The token; omitted or NATIVE_SOL_MINT for SOL. */
    mint?: Address;
};

export type Acted = Sent & { events: LeashEvent[] };

export class Holder {
    private constructor(
        readonly ctx: LeashContext,
        readonly token: SessionToken,
        readonly vault: Address,
    ) {}

    /**
     * A holder for `token` on the cluster of `ctx`. The token names the program its session
     * lives under; a different `ctx.programAddress` is refused rather than silently used.
     */
    static async open(ctx: LeashContext, token: string | SessionToken): Promise<Holder> {
        const parsed = typeof token === 'string' ? await parseSessionToken(token) : token;
        if (ctx.programAddress && ctx.programAddress !== parsed.program) {
            throw new Error(
                `the session token's session lives under program ${parsed.program}, not ${ctx.programAddress}; drop programAddress or use a token of that program`,
            );
        }
        const scoped = { ...ctx, programAddress: parsed.program };
        const [vault] = await vaultAddress(parsed.wallet, { programAddress: parsed.program });
        return new Holder(scoped, parsed, vault);
    }

    get session(): Address {
        return this.token.session;
    }
    get wallet(): Address {
        return this.token.wallet;
    }
    get sessionKey(): Address {
        return this.token.sessionKey;
    }

    /** The session's standing and what is left of each bound, judged at the cluster's clock. */
    async status(): Promise<SessionStatus> {
        const [session, wallet, clock] = await Promise.all([
            fetchLeashSession(this.ctx, this.session),
            fetchLeashWallet(this.ctx, this.wallet),
            fetchClock(this.ctx),
        ]);
        if (!session) throw new Error(`session ${this.session} does not exist (never created, or closed): ask the owner for a new session token`);
        if (!wallet) throw new Error(`wallet ${this.wallet} does not exist on this cluster: is the RPC URL the token's cluster (${this.token.cluster})?`);
        return sessionStatus(this.session, session, wallet.epoch, clock.unixTimestamp, clock.slot);
    }

    /** The instructions of a transfer from the vault: an `Execute`, preceded for tokens by the recipient's account creation when `to` is a wallet. */
    async transferInstructions({ to, amount, mint }: TransferInput): Promise<Instruction[]> {
        if (!mint || mint === NATIVE_SOL_MINT) {
            const lamports = typeof amount === 'string' ? parseAmount(amount, 9) : amount;
            if (lamports <= 0n) throw new RangeError('the amount must be more than 0');
            return [await this.executeInstruction([systemTransfer(this.vault, to, lamports)])];
        }
        const info = await fetchMint(this.ctx.rpc, mint);
        const units = typeof amount === 'string' ? parseAmount(amount, info.decimals) : amount;
        if (units <= 0n) throw new RangeError('the amount must be more than 0');
        const source = await associatedTokenAddress(this.vault, mint, info.tokenProgram);
        const direct = (await tokenAccountMint(this.ctx.rpc, to)) === mint;
        const instructions: Instruction[] = [];
        let destination = to;
        if (!direct) {
            instructions.push(await createAssociatedTokenIdempotent(this.token.signer, to, mint, info.tokenProgram));
            destination = await associatedTokenAddress(to, mint, info.tokenProgram);
        }
        const transfer = transferChecked({
            tokenProgram: info.tokenProgram,
            source,
            mint,
            destination,
            authority: this.vault,
            amount: units,
            decimals: info.decimals,
        });
        instructions.push(await this.executeInstruction([transfer]));
        return instructions;
    }

    /** One `Execute` running `instructions` with the vault signing (name the vault as their signer). */
    executeInstruction(instructions: readonly Instruction[], expectedNonce?: bigint): Promise<Instruction> {
        return buildExecute({
            sessionKey: this.token.signer,
            wallet: this.wallet,
            instructions,
            expectedNonce,
            programAddress: this.ctx.programAddress,
        });
    }

    /** Sends `amount` of SOL or a token from the vault to `to`, within the session's policy. */
    async transfer(input: TransferInput): Promise<Acted> {
        return this.land(await this.transferInstructions(input));
    }

    /** Runs ordinary instructions through the vault in one `Execute`. */
    async execute(instructions: readonly Instruction[], { expectedNonce }: { expectedNonce?: bigint } = {}): Promise<Acted> {
        return this.land([await this.executeInstruction(instructions, expectedNonce)]);
    }

    /** A dry run of a transfer or of instructions: would it pass, and if not, which bound stops it. */
    async simulate(what: TransferInput | readonly Instruction[]): Promise<Simulation> {
        const instructions = Array.isArray(what)
            ? [await this.executeInstruction(what as readonly Instruction[])]
            : await this.transferInstructions(what as TransferInput);
        return simulate(this.ctx, this.token.signer, instructions);
    }

    private async land(instructions: Instruction[]): Promise<Acted> {
        const sent = await send(this.ctx, this.token.signer, instructions);
        return { ...sent, events: decodeLeashEvents(sent.logs, { programAddress: this.ctx.programAddress }) };
    }
}
