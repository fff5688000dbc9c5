// Sending and simulating: one message builder, confirmation through kit's subscriptions when the
// caller gives them (polling `getSignatureStatuses` otherwise), and every failure turned into a
// `LeashTransactionError` whose refusal is explained from the program's logs.
import {
    appendTransactionMessageInstructions,
    type Address,
    compileTransaction,
    createTransactionMessage,
    getBase64EncodedWireTransaction,
    getSignatureFromTransaction,
    type Instruction,
    isTransactionSendingSigner,
    pipe,
    type Rpc,
    type RpcSubscriptions,
    sendAndConfirmTransactionFactory,
    setTransactionMessageFeePayerSigner,
    setTransactionMessageLifetimeUsingBlockhash,
    type Signature,
    signAndSendTransactionMessageWithSigners,
    signTransactionMessageWithSigners,
    type SolanaRpcApi,
    type SolanaRpcSubscriptionsApi,
    type TransactionSigner,
    getBase58Decoder,
} from '@solana/kit';

import {
    customErrorCode,
    type DescribeMint,
    errorDetails,
    explainRefusal,
    failureLine,
    LeashTransactionError,
    type MintInfo,
    parseLimitLine,
    parseRecipientLines,
} from './errors.js';
import { DEFAULT_PROGRAM_ADDRESS, NATIVE_SOL_MINT } from './pda.js';
import { fetchMint } from './spl.js';

/** Where the SDK talks to: any cluster, the program at any address. */
export type LeashContext = {
    rpc: Rpc<SolanaRpcApi>;
    /** Kit's PubSub client; confirmation waits on it. Without it the SDK polls. */
    rpcSubscriptions?: RpcSubscriptions<SolanaRpcSubscriptionsApi>;
    /** The Leash program's address on this cluster (default: `LeashSessionKeys111…`). */
    programAddress?: Address;
    /** How long to wait for confirmation without subscriptions (ms, default 60 s). */
    timeoutMs?: number;
    /** Names and decimals of mints, for refusal summaries (SOL is known). */
    describeMint?: DescribeMint;
};

export const programOf = (ctx: LeashContext) => ctx.programAddress ?? DEFAULT_PROGRAM_ADDRESS;

export type Sent = { signature: Signature; logs: readonly string[] };

async function message(ctx: LeashContext, feePayer: TransactionSigner, instructions: readonly Instruction[]) {
    const { value: blockhash } = await ctx.rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
    return pipe(
        createTransactionMessage({ version: 0 }),
        m => setTransactionMessageFeePayerSigner(feePayer, m),
        m => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
        m => appendTransactionMessageInstructions(instructions, m),
    );
}

/**
 * How to show the mint a refusal names: the caller's names first, else its decimals read from
 * the cluster (shown with its address), else base units.
 */
async function describeFor(ctx: LeashContext, logs: readonly string[]): Promise<DescribeMint> {
    const known = new Map<string, MintInfo>();
    const mint = logs.map(parseLimitLine).find(l => l)?.mint ?? parseRecipientLines(logs)?.mint;
    if (mint && mint !== NATIVE_SOL_MINT && !ctx.describeMint?.(mint)) {
        try {
            known.set(mint, { decimals: (await fetchMint(ctx.rpc, mint)).decimals, symbol: mint });
        } catch {
            // Not readable: its amounts are shown in base units.
        }
    }
    return m => ctx.describeMint?.(m) ?? known.get(m);
}

/** The error a failed transaction becomes: the Leash refusal explained, or what failed. */
async function failure(ctx: LeashContext, err: unknown, logs: readonly string[], cause?: unknown): Promise<LeashTransactionError> {
    const custom = customErrorCode(err);
    const refusal = custom ? explainRefusal(custom.code, logs, await describeFor(ctx, logs)) : undefined;
    if (refusal) return new LeashTransactionError(`${refusal.summary}. Hint: ${refusal.hint}`, refusal, logs, { cause });
    const line = failureLine(logs);
    return new LeashTransactionError(
        `the transaction failed: ${line ?? JSON.stringify(err, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
        undefined,
        logs,
        { cause },
    );
}

async function logsOf(ctx: LeashContext, signature: Signature): Promise<readonly string[]> {
    const tx = await ctx.rpc
        .getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0, encoding: 'json' })
        .send();
    return tx?.meta?.logMessages ?? [];
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Signs (with every signer the instructions carry), sends, and waits until confirmed. A wallet
 * that signs and sends by itself (a wallet-standard `TransactionSendingSigner`) does both.
 */
export async function send(ctx: LeashContext, feePayer: TransactionSigner, instructions: readonly Instruction[]): Promise<Sent> {
    const msg = await message(ctx, feePayer, instructions);
    let signature: Signature;
    try {
        if (isTransactionSendingSigner(feePayer)) {
            signature = getBase58Decoder().decode(await signAndSendTransactionMessageWithSigners(msg)) as Signature;
        } else {
            const tx = await signTransactionMessageWithSigners(msg);
            signature = getSignatureFromTransaction(tx);
            if (ctx.rpcSubscriptions) {
                await sendAndConfirmTransactionFactory({ rpc: ctx.rpc, rpcSubscriptions: ctx.rpcSubscriptions })(
                    tx as Parameters<ReturnType<typeof sendAndConfirmTransactionFactory>>[0],
                    { commitment: 'confirmed' },
                );
            } else {
                await ctx.rpc.sendTransaction(getBase64EncodedWireTransaction(tx), { encoding: 'base64' }).send();
            }
        }
    } catch (e) {
        const details = errorDetails(e);
        if (details.code !== undefined || details.logs.length) {
            throw await failure(ctx, details.code !== undefined ? { InstructionError: [details.index ?? 0, { Custom: details.code }] } : undefined, details.logs, e);
        }
        throw e;
    }
    const deadline = Date.now() + (ctx.timeoutMs ?? 60_000);
    for (;;) {
        const { value } = await ctx.rpc.getSignatureStatuses([signature]).send();
        const status = value[0];
        if (status && (status.confirmationStatus === 'confirmed' || status.confirmationStatus === 'finalized')) {
            const logs = await logsOf(ctx, signature);
            if (status.err) throw await failure(ctx, status.err, logs);
            return { signature, logs };
        }
        if (Date.now() > deadline) {
            throw new Error(`transaction ${signature} was not confirmed within ${(ctx.timeoutMs ?? 60_000) / 1000} s; look it up before sending again`);
        }
        await sleep(200);
    }
}

export type Simulation =
    | { ok: true; unitsConsumed: bigint | undefined; logs: readonly string[] }
    | { ok: false; error: LeashTransactionError; unitsConsumed: bigint | undefined; logs: readonly string[] };

/** Runs the transaction on the cluster without landing it: the same checks as a real send. */
export async function simulate(ctx: LeashContext, feePayer: TransactionSigner, instructions: readonly Instruction[]): Promise<Simulation> {
    const msg = await message(ctx, feePayer, instructions);
    let wire;
    try {
        wire = getBase64EncodedWireTransaction(await signTransactionMessageWithSigners(msg));
    } catch {
        // A signer that only sends (a browser wallet) cannot sign here: simulate unsigned.
        wire = getBase64EncodedWireTransaction(compileTransaction(msg));
    }
    const { value } = await ctx.rpc
        .simulateTransaction(wire, { encoding: 'base64', sigVerify: false, replaceRecentBlockhash: true, commitment: 'confirmed' })
        .send();
    const logs = value.logs ?? [];
    if (value.err) return { ok: false, error: await failure(ctx, value.err, logs), unitsConsumed: value.unitsConsumed, logs };
    return { ok: true, unitsConsumed: value.unitsConsumed, logs };
}
