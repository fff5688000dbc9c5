// A policy from friendly input, checked against the program's rules before anything is sent
// (docs/program.md, "Accounts": at most 16 programs, never Leash; 8 limits on distinct mints;
// 8 recipients per limit and 16 in all; one instruction rule per allowed program, 1-8 prefixes
// of 1-8 bytes). The program checks the same rules and refuses with `InvalidPolicy`.
import type { Address } from '@solana/kit';

import type { PolicyArgs } from './generated/types/index.js';
import { UNLIMITED } from './status.js';

export type LimitInput = {
    /** The mint; NATIVE_SOL_MINT (the all-zero address) for SOL, in lamports. */
    mint: Address;
    /** Most per transaction, base units (default: no bound). */
    perTx?: bigint;
    /** Most over the session's life, base units (default: no bound). */
    total?: bigint;
    /** A periodic allowance: at most `amount` per window of `secs` seconds. */
    period?: { secs: number; amount: bigint };
    /** Where value of this mint may go: token-account owners (for SOL: accounts). Empty = anywhere. */
    recipients?: Address[];
};

export type PolicyInput = {
    /** Unix seconds or a Date; default: a minute ago (clock skew). */
    validAfter?: bigint | number | Date;
    /** Unix seconds or a Date; or give `validForSecs` (counted from now). */
    validUntil?: bigint | number | Date;
    validForSecs?: number;
    /** Unusable from this slot on; default none. */
    expirySlot?: bigint;
    /** Default: unlimited. */
    maxUses?: bigint;
    /** Default 1. */
    maxCallsPerTx?: number;
    programs: Address[];
    limits?: LimitInput[];
    /** Instruction rules: calls of `program` must start with one of `prefixes`. */
    programRules?: { program: Address; prefixes: Uint8Array[] }[];
};

/** How far back `validAfter` is set when none is given (clock skew), as the Rust SDK does. */
export const VALID_AFTER_SLACK_SECS = 60n;

const seconds = (t: bigint | number | Date): bigint =>
    t instanceof Date ? BigInt(Math.floor(t.getTime() / 1000)) : BigInt(t);

/** Builds and checks a policy; throws a RangeError naming the broken rule and how to fix it. */
export function policy(input: PolicyInput, { programAddress }: { programAddress?: Address } = {}): PolicyArgs {
    const now = BigInt(Math.floor(Date.now() / 1000));
    // As the Rust SDK's policy files: a minute back, so a cluster clock a little behind this
    // machine's does not refuse the first use as "not yet active".
    const validAfter = input.validAfter === undefined ? now - VALID_AFTER_SLACK_SECS : seconds(input.validAfter);
    const validUntil =
        input.validUntil !== undefined
            ? seconds(input.validUntil)
            : input.validForSecs !== undefined
              ? now + BigInt(input.validForSecs)
              : undefined;
    if (validUntil === undefined) throw new RangeError('a policy needs an end: give validUntil or validForSecs');
    if (validUntil <= validAfter) throw new RangeError('the policy ends before it starts: validUntil must be after validAfter');
    const maxCallsPerTx = input.maxCallsPerTx ?? 1;
    if (!Number.isInteger(maxCallsPerTx) || maxCallsPerTx < 1 || maxCallsPerTx > 255) {
        throw new RangeError('maxCallsPerTx must be 1-255');
    }
    const programs = input.programs;
    if (programs.length > 16) throw new RangeError(`a policy allows at most 16 programs, got ${programs.length}`);
    if (new Set(programs).size !== programs.length) throw new RangeError('a program is listed twice');
    if (programAddress && programs.includes(programAddress)) {
        throw new RangeError('a session may never call the Leash program itself');
    }
    const limits = input.limits ?? [];
    if (limits.length > 8) throw new RangeError(`a policy has at most 8 limits, got ${limits.length}`);
    if (new Set(limits.map(l => l.mint)).size !== limits.length) throw new RangeError('two limits name the same mint');
    let recipients = 0;
    for (const l of limits) {
        const r = l.recipients ?? [];
        if (r.length > 8) throw new RangeError(`the limit on ${l.mint} lists more than 8 recipients`);
        if (new Set(r).size !== r.length) throw new RangeError(`the limit on ${l.mint} lists a recipient twice`);
        recipients += r.length;
    }
    if (recipients > 16) throw new RangeError(`a policy lists at most 16 recipients in all, got ${recipients}`);
    const rules = input.programRules ?? [];
    for (const [i, rule] of rules.entries()) {
        if (!programs.includes(rule.program)) throw new RangeError(`instruction rule ${i} is for ${rule.program}, which the policy does not allow`);
        if (rules.findIndex(r => r.program === rule.program) !== i) throw new RangeError(`two instruction rules for ${rule.program}`);
        if (rule.prefixes.length < 1 || rule.prefixes.length > 8 || rule.prefixes.some(p => p.length < 1 || p.length > 8)) {
            throw new RangeError(`instruction rule ${i} needs 1-8 prefixes of 1-8 bytes each`);
        }
    }
    return {
        validAfter,
        validUntil,
        expirySlot: input.expirySlot ?? 0n,
        maxUses: input.maxUses ?? UNLIMITED,
        maxCallsPerTx,
        allowedPrograms: programs,
        limits: limits.map(l => ({
            mint: l.mint,
            perTx: l.perTx ?? UNLIMITED,
            total: l.total ?? UNLIMITED,
            periodSecs: l.period?.secs ?? 0,
            perPeriod: l.period?.amount ?? UNLIMITED,
            recipients: l.recipients ?? [],
        })),
        programRules: rules.map(r => ({ program: r.program, prefixes: r.prefixes })),
    };
}
