// Refusals explained: the program's error code → name, message and hint (from the IDL), with the
// figures the program logs before it refuses (docs/program.md, "Errors"), in the same words the
// CLI, API and MCP use.
import { type Address, isSolanaError } from '@solana/kit';

import { LEASH_ERROR_TABLE } from './generated/errorTable.js';
import { NATIVE_SOL_MINT } from './pda.js';

/** How to show a mint's amounts: decimals and a symbol. SOL is known; pass others you know. */
export type MintInfo = { decimals: number; symbol: string };
export type DescribeMint = (mint: Address) => MintInfo | undefined;

export type LimitFigures = {
    kind: 'limit';
    bound: 'per_transaction' | 'total' | 'period';
    mint: Address;
    /** This transaction's outflow, base units (lamports for SOL). */
    amount: bigint;
    /** Already used of the bound (0 for per-transaction). */
    used: bigint;
    limit: bigint;
    overBy: bigint;
};
export type RecipientFigures = {
    kind: 'recipient';
    mint: Address;
    account: Address;
    recipient: Address;
    amount: bigint;
    listed: Address[];
};
export type InstructionFigures = { kind: 'instruction'; program: Address; data: string; allowedPrefixes: string[] };
export type ProgramFigures = { kind: 'program'; program: Address };

/** A refusal by the Leash program, explained. */
export type LeashRefusal = {
    code: number;
    /** The program's name for it, e.g. `SpendingLimitExceeded`. */
    name: string;
    message: string;
    hint: string;
    figures?: LimitFigures | RecipientFigures | InstructionFigures | ProgramFigures;
    /** One line for people: the message with its figures. */
    summary: string;
};

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** The error with this code, if it is one of the program's. */
export function leashErrorInfo(code: number) {
    const row = LEASH_ERROR_TABLE.find(e => e.code === code);
    return row && { ...row, name: pascal(row.name) };
}

const logText = (line: string) => line.replace(/^Program log: /, '');

/** `<Error>: mint <m> amount <a> used <u> limit <l>` */
export function parseLimitLine(line: string): Omit<LimitFigures, 'bound' | 'overBy' | 'kind'> & { name: string } | undefined {
    const m = /^(\w+): mint (\w+) amount (\d+) used (\d+) limit (\d+)$/.exec(logText(line).trim());
    if (!m) return undefined;
    return { name: m[1]!, mint: m[2] as Address, amount: BigInt(m[3]!), used: BigInt(m[4]!), limit: BigInt(m[5]!) };
}

/** `RecipientNotAllowed: mint <m> account <a> recipient <r> amount <n>`, then `listed recipient <k>` lines. */
export function parseRecipientLines(logs: readonly string[]): RecipientFigures | undefined {
    for (const line of logs) {
        const m = /^RecipientNotAllowed: mint (\w+) account (\w+) recipient (\w+) amount (\d+)$/.exec(logText(line).trim());
        if (!m) continue;
        const listed = logs
            .map(l => /^listed recipient (\w+)$/.exec(logText(l).trim())?.[1])
            .filter((k): k is string => !!k) as Address[];
        return {
            kind: 'recipient',
            mint: m[1] as Address,
            account: m[2] as Address,
            recipient: m[3] as Address,
            amount: BigInt(m[4]!),
            listed,
        };
    }
    return undefined;
}

/** `InstructionNotAllowed: program <p> data <hex>`, then `allowed prefix <hex>` lines. */
export function parseInstructionLines(logs: readonly string[]): InstructionFigures | undefined {
    for (const line of logs) {
        const m = /^InstructionNotAllowed: program (\w+) data ([0-9a-f]*)$/.exec(logText(line).trim());
        if (!m) continue;
        const allowedPrefixes = logs
            .map(l => /^allowed prefix ([0-9a-f]+)$/.exec(logText(l).trim())?.[1])
            .filter((p): p is string => !!p);
        return { kind: 'instruction', program: m[1] as Address, data: m[2]!, allowedPrefixes };
    }
    return undefined;
}

/** An exact decimal of `units` with `decimals` places: 4500000, 6 → "4.5". */
export function formatAmount(units: bigint, decimals: number): string {
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0');
    const whole = digits.slice(0, digits.length - decimals);
    const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
    return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** "4.5" of a mint with 6 decimals → 4500000n; refuses more places than the mint has. */
export function parseAmount(text: string, decimals: number): bigint {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
    if (!m) throw new RangeError(`"${text}" is not an amount: write a decimal number like 1.5`);
    const fraction = m[2] ?? '';
    if (fraction.length > decimals) {
        throw new RangeError(`"${text}" has more than ${decimals} decimal places, which this token does not have`);
    }
    return BigInt(m[1]! + fraction.padEnd(decimals, '0'));
}

const describeDefault: DescribeMint = mint => (mint === NATIVE_SOL_MINT ? { decimals: 9, symbol: 'SOL' } : undefined);

/**
 * Explains a Leash error code with the figures in `logs`. `describe` names mints and gives
 * their decimals (SOL is known; unknown mints are shown in base units with their address).
 */
export function explainRefusal(code: number, logs: readonly string[] = [], describe?: DescribeMint): LeashRefusal | undefined {
    const info = leashErrorInfo(code);
    if (!info) return undefined;
    const mintInfo = (mint: Address): MintInfo => describe?.(mint) ?? describeDefault(mint) ?? { decimals: 0, symbol: mint };
    let summary = info.message;
    let figures: LeashRefusal['figures'];
    const bound = ({ PerTxLimitExceeded: 'per_transaction', SpendingLimitExceeded: 'total', PeriodLimitExceeded: 'period' } as const)[
        info.name as 'PerTxLimitExceeded'
    ];
    const limit = logs.map(parseLimitLine).find(l => l !== undefined);
    if (limit) {
        const { decimals, symbol } = mintInfo(limit.mint);
        const show = (v: bigint) => formatAmount(v, decimals);
        summary =
            info.name === 'PerTxLimitExceeded'
                ? `${info.message} (${show(limit.amount)} ${symbol} in this transaction, ${show(limit.limit)} limit)`
                : `${info.message} (${show(limit.used)} used, ${show(limit.limit)} limit; this transaction needs ${show(limit.amount)} ${symbol})`;
        if (bound) {
            const over = bound === 'per_transaction' ? limit.amount - limit.limit : limit.used + limit.amount - limit.limit;
            figures = { kind: 'limit', bound, mint: limit.mint, amount: limit.amount, used: limit.used, limit: limit.limit, overBy: over > 0n ? over : 0n };
        }
    }
    const recipient = info.name === 'RecipientNotAllowed' ? parseRecipientLines(logs) : undefined;
    if (recipient) {
        const { decimals, symbol } = mintInfo(recipient.mint);
        const whose = recipient.recipient === recipient.account ? '' : `, owned by ${recipient.recipient}`;
        summary = `${info.message} (${formatAmount(recipient.amount, decimals)} ${symbol} to account ${recipient.account}${whose}; listed: ${recipient.listed.join(', ')})`;
        figures = recipient;
    }
    const instruction = info.name === 'InstructionNotAllowed' ? parseInstructionLines(logs) : undefined;
    if (instruction) {
        summary = `${info.message} (data ${instruction.data} on ${instruction.program}; allowed prefixes: ${instruction.allowedPrefixes.join(', ')})`;
        figures = instruction;
    }
    if (info.name === 'ProgramNotAllowed') {
        const program = logs.map(l => /^program (\w+) is not allowed$/.exec(logText(l).trim())?.[1]).find(p => p);
        if (program) {
            summary = `${info.message} (${program})`;
            figures = { kind: 'program', program: program as Address };
        }
    }
    if (info.name === 'InvalidAccount') {
        const what = logs.map(l => /^wrong or unexpected account: (.*)$/.exec(logText(l).trim())?.[1]).find(w => w);
        if (what) summary = `${info.message} (${what})`;
    }
    return { code, name: info.name, message: info.message, hint: info.hint, figures, summary };
}

/** A transaction error as the RPC reports it: `{ InstructionError: [index, { Custom: code }] }`. */
export function customErrorCode(err: unknown): { index: number; code: number } | undefined {
    if (!err || typeof err !== 'object') return undefined;
    const ie = (err as { InstructionError?: unknown }).InstructionError;
    if (!Array.isArray(ie) || ie.length !== 2) return undefined;
    const custom = (ie[1] as { Custom?: unknown } | null)?.Custom;
    if (typeof custom !== 'number' && typeof custom !== 'bigint') return undefined;
    return { index: Number(ie[0]), code: Number(custom) };
}

/**
 * Thrown by the SDK's senders when a transaction fails: the Leash refusal explained when the
 * program refused, else what failed (another program's error, with its logs).
 */
export class LeashTransactionError extends Error {
    constructor(
        message: string,
        readonly refusal: LeashRefusal | undefined,
        readonly logs: readonly string[],
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = 'LeashTransactionError';
    }
}

/** The custom error code and logs of a kit error from sending or simulating, if it carries them. */
export function errorDetails(error: unknown): { code?: number; index?: number; logs: string[] } {
    let logs: string[] = [];
    let code: number | undefined;
    let index: number | undefined;
    for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
        if (isSolanaError(e)) {
            const context = e.context as Record<string, unknown>;
            if (Array.isArray(context.logs) && logs.length === 0) logs = context.logs as string[];
            if (typeof context.code === 'number' && code === undefined && 'index' in context) {
                code = context.code;
                index = Number(context.index);
            }
        }
    }
    return { code, index, logs };
}

/** The failing program's own words from the logs (`Program X failed: …`), for non-Leash errors. */
export function failureLine(logs: readonly string[]): string | undefined {
    return [...logs].reverse().find(l => / failed: /.test(l));
}
