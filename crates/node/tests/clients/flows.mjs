// Unmodified Solana JS clients running their own documented flows against a running `leash node`:
// @solana/web3.js v1 (+ @solana/spl-token) and @solana/kit's factories. Every confirmation goes
// through the clients' own WebSocket subscriptions (web3.js derives ws://host:rpc-port+1 itself;
// kit is given it, as its docs do), never through our polling.
//
// Run: LEASH_RPC_URL=http://127.0.0.1:8899 LEASH_WS_URL=ws://127.0.0.1:8900 node flows.mjs
// (crates/cli/tests/client_flows.rs starts the node and runs this). One line per flow on stdout:
//   FLOW <tab> client <tab> flow <tab> ok|fail <tab> milliseconds <tab> detail
// The exit status is 0 only when every flow passed.

import {
    AddressLookupTableProgram,
    Connection,
    Keypair,
    LAMPORTS_PER_SOL,
    NONCE_ACCOUNT_LENGTH,
    PublicKey,
    SystemProgram,
    Transaction,
    TransactionMessage,
    VersionedTransaction,
    sendAndConfirmTransaction,
} from '@solana/web3.js';
import {
    TOKEN_PROGRAM_ID,
    createMint,
    getAccount,
    getOrCreateAssociatedTokenAccount,
    mintTo,
    transfer,
} from '@solana/spl-token';
import {
    address,
    airdropFactory,
    appendTransactionMessageInstruction,
    compressTransactionMessageUsingAddressLookupTables,
    fetchAddressesForLookupTables,
    sendAndConfirmDurableNonceTransactionFactory,
    setTransactionMessageLifetimeUsingDurableNonce,
    createSolanaRpc,
    createSolanaRpcSubscriptions,
    createTransactionMessage,
    generateKeyPairSigner,
    getSignatureFromTransaction,
    lamports,
    pipe,
    sendAndConfirmTransactionFactory,
    setTransactionMessageFeePayerSigner,
    setTransactionMessageLifetimeUsingBlockhash,
    signTransactionMessageWithSigners,
} from '@solana/kit';
import {
    fetchNonce,
    getCreateAccountInstruction,
    getInitializeNonceAccountInstruction,
    getNonceSize,
    getTransferSolInstruction,
    SYSTEM_PROGRAM_ADDRESS,
} from '@solana-program/system';

const RPC_URL = process.env.LEASH_RPC_URL;
const WS_URL = process.env.LEASH_WS_URL;
if (!RPC_URL || !WS_URL) {
    throw new Error('set LEASH_RPC_URL and LEASH_WS_URL to a running `leash node` (see client_flows.rs)');
}
/** A flow that has not finished by then has failed (a missing notification would otherwise hang). */
const FLOW_TIMEOUT_MS = Number(process.env.LEASH_FLOW_TIMEOUT_MS ?? 20_000);

let failures = 0;

function report(client, flow, ok, ms, detail) {
    const clean = String(detail ?? '').replace(/\s+/g, ' ').slice(0, 400);
    console.log(['FLOW', client, flow, ok ? 'ok' : 'fail', ms.toFixed(0), clean].join('\t'));
}

function withTimeout(promise, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer after ${FLOW_TIMEOUT_MS} ms`)), FLOW_TIMEOUT_MS);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one flow, timed from its first call to its last answer; returns its value or undefined. */
async function flow(client, name, body) {
    const start = performance.now();
    try {
        const { value, detail } = (await withTimeout(body(), name)) ?? {};
        report(client, name, true, performance.now() - start, detail);
        return value;
    } catch (e) {
        failures += 1;
        const cause = e?.cause ? ` (cause: ${e.cause?.message ?? e.cause})` : '';
        const logs = e?.logs ? ` logs: ${JSON.stringify(e.logs)}` : '';
        report(client, name, false, performance.now() - start, `${e?.name ?? 'Error'}: ${e?.message ?? e}${cause}${logs}`);
        return undefined;
    }
}

/** Resolves with the first callback value for which `accept` holds; unsubscribes. */
function firstNotification(subscribe, unsubscribe, accept = () => true) {
    return new Promise((resolve, reject) => {
        let id;
        let done = false;
        try {
            id = subscribe((...args) => {
                if (done || !accept(...args)) return;
                done = true;
                Promise.resolve(unsubscribe(id)).catch(() => {});
                resolve(args);
            });
        } catch (e) {
            reject(e);
        }
    });
}

/**
 * Waits until web3.js has its subscriptions acknowledged by the node (web3.js subscribes lazily
 * and offers no promise for it), so a transaction sent next cannot beat its own subscription.
 * Reads web3.js's internal `_subscriptionsByHash`; without it, waits 200 ms.
 */
/** Waits until the node's confirmed slot is past the current one (a lookup table's new
 * addresses, and a nonce's next advance, need a new slot, as on a validator). */
async function nextSlot(connection) {
    const slot = await connection.getSlot('confirmed');
    while ((await connection.getSlot('confirmed')) <= slot) await new Promise(r => setTimeout(r, 20));
}

/** A lookup table holding `addresses`, made with web3.js' AddressLookupTableProgram. */
async function createTable(connection, payer, addresses) {
    const recentSlot = (await connection.getSlot('confirmed')) - 1;
    const [create, table] = AddressLookupTableProgram.createLookupTable({
        authority: payer.publicKey,
        payer: payer.publicKey,
        recentSlot,
    });
    const extend = AddressLookupTableProgram.extendLookupTable({
        lookupTable: table,
        authority: payer.publicKey,
        payer: payer.publicKey,
        addresses,
    });
    await sendAndConfirmTransaction(connection, new Transaction().add(create, extend), [payer]);
    await nextSlot(connection);
    return table;
}

async function subscribed(connection) {
    const byHash = connection._subscriptionsByHash;
    if (!byHash) return new Promise(r => setTimeout(r, 200));
    const deadline = Date.now() + 5_000;
    while (Object.values(byHash).some(s => s.state !== 'subscribed')) {
        if (Date.now() > deadline) throw new Error('web3.js subscription never acknowledged');
        await new Promise(r => setTimeout(r, 5));
    }
}

async function web3js() {
    const C = 'web3.js 1.98.4';
    // The documented setup: an HTTP URL and a commitment; web3.js opens ws://host:port+1 itself.
    const connection = new Connection(RPC_URL, 'confirmed');
    const payer = Keypair.generate();
    const recipient = Keypair.generate().publicKey;

    await flow(C, 'requestAirdrop + confirmTransaction (blockhash strategy)', async () => {
        const signature = await connection.requestAirdrop(payer.publicKey, 10 * LAMPORTS_PER_SOL);
        const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
        const { value } = await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight });
        if (value.err) throw new Error(`airdrop failed: ${JSON.stringify(value.err)}`);
        const balance = await connection.getBalance(payer.publicKey);
        if (balance !== 10 * LAMPORTS_PER_SOL) throw new Error(`balance ${balance}`);
    });

    const transferTx = lamportsToSend =>
        new Transaction().add(
            SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: recipient, lamports: lamportsToSend }),
        );

    const transferSignature = await flow(C, 'sendAndConfirmTransaction (SOL transfer)', async () => {
        const signature = await sendAndConfirmTransaction(connection, transferTx(LAMPORTS_PER_SOL), [payer]);
        const balance = await connection.getBalance(recipient);
        if (balance !== LAMPORTS_PER_SOL) throw new Error(`recipient balance ${balance}`);
        return { value: signature };
    });

    await flow(C, 'sendAndConfirmTransaction, no commitment given (finalized)', async () => {
        // `new Connection(url)` as many READMEs write it: the server default, finalized.
        const plain = new Connection(RPC_URL);
        await sendAndConfirmTransaction(plain, transferTx(5_000), [payer]);
        const { value } = await plain.getSignatureStatuses([
            (await plain.getSignaturesForAddress(recipient, { limit: 1 }))[0].signature,
        ]);
        if (value[0]?.confirmationStatus !== 'finalized') throw new Error(JSON.stringify(value));
        plain._rpcWebSocket?.close?.();
    });

    await flow(C, 'AddressLookupTableProgram + v0 transfer (compileToV0Message)', async () => {
        const tableRecipient = Keypair.generate().publicKey;
        const table = await createTable(connection, payer, [tableRecipient]);
        const { value: lookup } = await connection.getAddressLookupTable(table);
        if (!lookup || lookup.state.addresses.length !== 1) throw new Error(`table ${JSON.stringify(lookup)}`);
        const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
        const message = new TransactionMessage({
            payerKey: payer.publicKey,
            recentBlockhash: blockhash,
            instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: tableRecipient, lamports: LAMPORTS_PER_SOL / 10 })],
        }).compileToV0Message([lookup]);
        if (message.addressTableLookups.length !== 1) throw new Error('the recipient was not taken from the table');
        const tx = new VersionedTransaction(message);
        tx.sign([payer]);
        const signature = await connection.sendTransaction(tx);
        const { value } = await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight });
        if (value.err) throw new Error(JSON.stringify(value.err));
        const landed = await connection.getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
        const loaded = landed?.meta?.loadedAddresses?.writable?.map(k => k.toBase58());
        if (loaded?.[0] !== tableRecipient.toBase58()) throw new Error(`loadedAddresses ${JSON.stringify(landed?.meta?.loadedAddresses)}`);
        const balance = await connection.getBalance(tableRecipient);
        if (balance !== LAMPORTS_PER_SOL / 10) throw new Error(`recipient balance ${balance}`);
        return { detail: signature };
    });

    await flow(C, 'durable nonce: createNonceAccount, nonceAdvance, confirmTransaction (nonce strategy)', async () => {
        const nonceAccount = Keypair.generate();
        const rent = await connection.getMinimumBalanceForRentExemption(NONCE_ACCOUNT_LENGTH);
        await sendAndConfirmTransaction(
            connection,
            new Transaction().add(SystemProgram.createNonceAccount({
                fromPubkey: payer.publicKey,
                noncePubkey: nonceAccount.publicKey,
                authorizedPubkey: payer.publicKey,
                lamports: rent,
            })),
            [payer, nonceAccount],
        );
        await nextSlot(connection);
        const minContextSlot = await connection.getSlot('confirmed');
        const nonce = await connection.getNonce(nonceAccount.publicKey, 'confirmed');
        const tx = new Transaction({
            feePayer: payer.publicKey,
            nonceInfo: {
                nonce: nonce.nonce,
                nonceInstruction: SystemProgram.nonceAdvance({ noncePubkey: nonceAccount.publicKey, authorizedPubkey: payer.publicKey }),
            },
        }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: LAMPORTS_PER_SOL / 100 }));
        tx.sign(payer);
        const signature = await connection.sendRawTransaction(tx.serialize());
        const { value } = await connection.confirmTransaction({
            signature,
            nonceAccountPubkey: nonceAccount.publicKey,
            nonceValue: nonce.nonce,
            minContextSlot,
        }, 'confirmed');
        if (value.err) throw new Error(JSON.stringify(value.err));
        const advanced = await connection.getNonce(nonceAccount.publicKey, 'confirmed');
        if (advanced.nonce === nonce.nonce) throw new Error('the nonce did not advance');
        const parsed = await connection.getParsedAccountInfo(nonceAccount.publicKey, 'confirmed');
        if (parsed.value?.data?.program !== 'nonce') throw new Error(`jsonParsed ${JSON.stringify(parsed.value?.data)}`);
        return { detail: signature };
    });

    await flow(C, 'onAccountChange', async () => {
        const notified = firstNotification(
            cb => connection.onAccountChange(recipient, cb, { commitment: 'confirmed' }),
            id => connection.removeAccountChangeListener(id),
        );
        await subscribed(connection);
        await connection.sendTransaction(transferTx(1_000_000), [payer]);
        const [info, context] = await notified;
        if (info.lamports !== LAMPORTS_PER_SOL + 5_000 + 1_000_000) throw new Error(`lamports ${info.lamports}`);
        return { detail: `slot ${context.slot}` };
    });

    await flow(C, 'onSignature', async () => {
        const signature = await connection.sendTransaction(transferTx(1_000), [payer]);
        const [result] = await firstNotification(
            cb => connection.onSignature(signature, cb, 'confirmed'),
            () => {}, // one-shot: web3.js removes it on notification
        );
        if (result.err) throw new Error(`err ${JSON.stringify(result.err)}`);
    });

    await flow(C, 'onSlotChange', async () => {
        const [info] = await firstNotification(
            cb => connection.onSlotChange(cb),
            id => connection.removeSlotChangeListener(id),
        );
        if (typeof info.slot !== 'number') throw new Error(`slot ${JSON.stringify(info)}`);
        return { detail: `slot ${info.slot}` };
    });

    await flow(C, 'onLogs (mentions)', async () => {
        // The notification may arrive before sendTransaction's answer: keep them all, match after.
        const seen = [];
        let wake = () => {};
        const id = connection.onLogs(recipient, logs => { seen.push(logs); wake(); }, 'confirmed');
        try {
            await subscribed(connection);
            const signature = await connection.sendTransaction(transferTx(2_000), [payer]);
            for (;;) {
                const logs = seen.find(l => l.signature === signature);
                if (logs) {
                    if (logs.err) throw new Error(`err ${JSON.stringify(logs.err)}`);
                    if (!logs.logs.some(line => line.includes('11111111111111111111111111111111')))
                        throw new Error(`logs ${JSON.stringify(logs.logs)}`);
                    return { detail: `${seen.length} notification(s)` };
                }
                await new Promise(resolve => (wake = resolve));
            }
        } finally {
            await connection.removeOnLogsListener(id);
        }
    });

    await flow(C, 'onProgramAccountChange', async () => {
        const notified = firstNotification(
            cb => connection.onProgramAccountChange(SystemProgram.programId, cb, { commitment: 'confirmed' }),
            id => connection.removeProgramAccountChangeListener(id),
            keyed => keyed.accountId.equals(recipient),
        );
        await subscribed(connection);
        await connection.sendTransaction(transferTx(3_000), [payer]);
        const [keyed] = await notified;
        if (!keyed.accountInfo.owner.equals(SystemProgram.programId)) throw new Error('owner');
    });

    await flow(C, 'getParsedTransaction (system transfer)', async () => {
        if (!transferSignature) throw new Error('no transfer to read (sendAndConfirmTransaction failed)');
        const tx = await connection.getParsedTransaction(transferSignature, { maxSupportedTransactionVersion: 0 });
        if (!tx) throw new Error('null');
        const ix = tx.transaction.message.instructions[0];
        if (ix.program !== 'system' || ix.parsed?.type !== 'transfer')
            throw new Error(`instruction ${JSON.stringify(ix)}`);
        if (ix.parsed.info.lamports !== LAMPORTS_PER_SOL) throw new Error(`info ${JSON.stringify(ix.parsed.info)}`);
        if (!tx.transaction.message.accountKeys[0].signer) throw new Error('accountKeys[0] not a signer');
    });

    // @solana/spl-token's documented flow: each call sends and confirms through web3.js.
    const T = 'spl-token 0.4.15';
    const owner = Keypair.generate();
    const mint = await flow(T, 'createMint', async () => ({
        value: await createMint(connection, payer, payer.publicKey, null, 6),
    }));
    const from = mint && (await flow(T, 'getOrCreateAssociatedTokenAccount', async () => ({
        value: await getOrCreateAssociatedTokenAccount(connection, payer, mint, payer.publicKey),
    })));
    const to = mint && (await getOrCreateAssociatedTokenAccount(connection, payer, mint, owner.publicKey).catch(() => undefined));
    await flow(T, 'mintTo', async () => {
        if (!from) throw new Error('no token account (earlier step failed)');
        await mintTo(connection, payer, mint, from.address, payer, 1_000_000n);
    });
    const tokenTransfer = await flow(T, 'transfer', async () => {
        if (!from || !to) throw new Error('no token accounts (earlier step failed)');
        return { value: await transfer(connection, payer, from.address, to.address, payer, 250_000n) };
    });
    await flow(T, 'getAccount', async () => {
        if (!to) throw new Error('no token account (earlier step failed)');
        const account = await getAccount(connection, to.address);
        if (account.amount !== 250_000n || !account.owner.equals(owner.publicKey))
            throw new Error(`amount ${account.amount} owner ${account.owner}`);
    });
    await flow(T, 'getParsedTransaction (token transfer)', async () => {
        if (!tokenTransfer) throw new Error('no token transfer to read');
        const tx = await connection.getParsedTransaction(tokenTransfer, { maxSupportedTransactionVersion: 0 });
        const ix = tx?.transaction.message.instructions[0];
        if (ix?.program !== 'spl-token' || ix.parsed?.type !== 'transfer')
            throw new Error(`instruction ${JSON.stringify(ix)}`);
        const post = tx.meta.postTokenBalances?.find(b => b.owner === owner.publicKey.toBase58());
        if (post?.uiTokenAmount.amount !== '250000') throw new Error(`postTokenBalances ${JSON.stringify(tx.meta.postTokenBalances)}`);
        if (!ix.programId.equals(TOKEN_PROGRAM_ID)) throw new Error('programId');
    });

    await flow(T, 'getParsedTransaction (ATA create: parsed inner instructions)', async () => {
        if (!from) throw new Error('no token account (earlier step failed)');
        const signatures = await connection.getSignaturesForAddress(from.address);
        const create = signatures[signatures.length - 1].signature; // the oldest: its creation
        const tx = await connection.getParsedTransaction(create, { maxSupportedTransactionVersion: 0 });
        const outer = tx?.transaction.message.instructions[0];
        if (outer?.program !== 'spl-associated-token-account') throw new Error(`instruction ${JSON.stringify(outer)}`);
        const inner = tx.meta.innerInstructions?.[0]?.instructions ?? [];
        const types = inner.map(ix => `${ix.program}.${ix.parsed?.type}`);
        if (!types.includes('spl-token.initializeImmutableOwner') || !types.includes('system.createAccount'))
            throw new Error(`inner ${JSON.stringify(types)}`);
        return { detail: types.join(' ') };
    });

    // Everyday reads, each through web3.js's own response validation (a wrong shape throws).
    const R = 'web3.js 1.98.4 reads';
    const slot = await connection.getSlot();
    const txSlot = transferSignature && (await connection.getTransaction(transferSignature, { maxSupportedTransactionVersion: 0 }))?.slot;
    const reads = {
        getParsedTokenAccountsByOwner: async () => {
            const { value } = await connection.getParsedTokenAccountsByOwner(owner.publicKey, { mint });
            if (value[0]?.account.data.parsed.info.tokenAmount.amount !== '250000') throw new Error(JSON.stringify(value));
        },
        getParsedAccountInfo: async () => {
            const { value } = await connection.getParsedAccountInfo(mint);
            if (value?.data.parsed?.type !== 'mint') throw new Error(JSON.stringify(value));
        },
        getParsedProgramAccounts: async () => {
            const accounts = await connection.getParsedProgramAccounts(TOKEN_PROGRAM_ID, {
                filters: [{ dataSize: 165 }, { memcmp: { offset: 0, bytes: mint.toBase58() } }],
            });
            if (accounts.length !== 2) throw new Error(`${accounts.length} accounts`);
        },
        getTokenAccountBalance: () => connection.getTokenAccountBalance(to.address),
        getTokenSupply: () => connection.getTokenSupply(mint),
        getTokenLargestAccounts: () => connection.getTokenLargestAccounts(mint),
        getSignaturesForAddress: async () => {
            const list = await connection.getSignaturesForAddress(payer.publicKey);
            if (!list.some(s => s.signature === transferSignature)) throw new Error('transfer not listed');
        },
        getBlock: () => connection.getBlock(txSlot, { maxSupportedTransactionVersion: 0 }),
        getParsedBlock: () => connection.getParsedBlock(txSlot, { maxSupportedTransactionVersion: 0 }),
        getBlocks: () => connection.getBlocks(Math.max(0, slot - 5), slot),
        getBlockTime: () => connection.getBlockTime(txSlot),
        getRecentPrioritizationFees: () => connection.getRecentPrioritizationFees(),
        getEpochInfo: () => connection.getEpochInfo(),
        getEpochSchedule: () => connection.getEpochSchedule(),
        getSupply: () => connection.getSupply(),
        getVersion: () => connection.getVersion(),
        getClusterNodes: () => connection.getClusterNodes(),
        getVoteAccounts: () => connection.getVoteAccounts(),
        getSlotLeaders: () => connection.getSlotLeaders(slot, 3),
        getRecentPerformanceSamples: () => connection.getRecentPerformanceSamples(5),
        getStakeMinimumDelegation: () => connection.getStakeMinimumDelegation(),
        getFeeForMessage: async () => {
            const { blockhash } = await connection.getLatestBlockhash();
            const message = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash })
                .add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: recipient, lamports: 1 }))
                .compileMessage();
            const { value } = await connection.getFeeForMessage(message);
            if (value !== 5000) throw new Error(`fee ${value}`);
        },
        simulateTransaction: async () => {
            const { value } = await connection.simulateTransaction(transferTx(1), [payer]);
            if (value.err) throw new Error(JSON.stringify(value));
        },
        'minContextSlot ahead (-32016)': async () => {
            const error = await connection.getBalance(payer.publicKey, { minContextSlot: slot + 1_000_000 }).then(
                () => undefined,
                e => e,
            );
            if (!/Minimum context slot has not been reached/.test(error?.message)) throw new Error(`got ${error}`);
        },
        onRootChange: () =>
            firstNotification(
                cb => connection.onRootChange(cb),
                id => connection.removeRootChangeListener(id),
            ),
    };
    for (const [name, read] of Object.entries(reads)) {
        await flow(R, name, async () => {
            if (!mint || !to || !transferSignature) throw new Error('an earlier flow failed');
            await read();
        });
    }
}

async function kit() {
    const C = 'kit 8.4.0';
    const rpc = createSolanaRpc(RPC_URL);
    const rpcSubscriptions = createSolanaRpcSubscriptions(WS_URL);
    const airdrop = airdropFactory({ rpc, rpcSubscriptions });
    const sendAndConfirm = sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions });
    const payer = await generateKeyPairSigner();
    const recipient = address(Keypair.generate().publicKey.toBase58());

    const funded = await flow(C, 'airdropFactory', async () => {
        await airdrop({ recipientAddress: payer.address, lamports: lamports(2n * BigInt(LAMPORTS_PER_SOL)), commitment: 'confirmed' });
        const { value } = await rpc.getBalance(payer.address, { commitment: 'confirmed' }).send();
        if (value !== 2n * BigInt(LAMPORTS_PER_SOL)) throw new Error(`balance ${value}`);
        return { value: true };
    });

    await flow(C, 'sendAndConfirmTransactionFactory (SOL transfer)', async () => {
        if (!funded) throw new Error('payer not funded (airdropFactory failed)');
        const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
        const message = pipe(
            createTransactionMessage({ version: 0 }),
            m => setTransactionMessageFeePayerSigner(payer, m),
            m => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
            m => appendTransactionMessageInstruction(
                getTransferSolInstruction({ source: payer, destination: recipient, amount: lamports(1_000_000n) }),
                m,
            ),
        );
        const signed = await signTransactionMessageWithSigners(message);
        await sendAndConfirm(signed, { commitment: 'confirmed' });
        const { value } = await rpc.getBalance(recipient, { commitment: 'confirmed' }).send();
        if (value !== 1_000_000n) throw new Error(`recipient balance ${value}`);
        return { detail: getSignatureFromTransaction(signed) };
    });

    await flow(C, 'compressTransactionMessageUsingAddressLookupTables (v0 transfer through a table)', async () => {
        if (!funded) throw new Error('payer not funded (airdropFactory failed)');
        // The table is made with web3.js (kit has no lookup-table program client in this
        // lockfile); kit reads it and compresses its own message with it.
        const connection = new Connection(RPC_URL, 'confirmed');
        const owner = Keypair.generate();
        await connection.confirmTransaction(await connection.requestAirdrop(owner.publicKey, LAMPORTS_PER_SOL), 'confirmed');
        const tableRecipient = Keypair.generate().publicKey;
        const table = await createTable(connection, owner, [tableRecipient]);
        const addressesByLookupTableAddress = await fetchAddressesForLookupTables([address(table.toBase58())], rpc);
        const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
        const message = pipe(
            createTransactionMessage({ version: 0 }),
            m => setTransactionMessageFeePayerSigner(payer, m),
            m => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
            m => appendTransactionMessageInstruction(
                getTransferSolInstruction({ source: payer, destination: address(tableRecipient.toBase58()), amount: lamports(2_000_000n) }),
                m,
            ),
            m => compressTransactionMessageUsingAddressLookupTables(m, addressesByLookupTableAddress),
        );
        const signed = await signTransactionMessageWithSigners(message);
        await sendAndConfirm(signed, { commitment: 'confirmed' });
        const { value } = await rpc.getBalance(address(tableRecipient.toBase58()), { commitment: 'confirmed' }).send();
        if (value !== 2_000_000n) throw new Error(`recipient balance ${value}`);
        connection._rpcWebSocket?.close?.();
        return { detail: getSignatureFromTransaction(signed) };
    });

    await flow(C, 'sendAndConfirmDurableNonceTransactionFactory', async () => {
        if (!funded) throw new Error('payer not funded (airdropFactory failed)');
        const nonceAccount = await generateKeyPairSigner();
        const space = BigInt(getNonceSize());
        const rent = await rpc.getMinimumBalanceForRentExemption(space).send();
        const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
        const create = pipe(
            createTransactionMessage({ version: 0 }),
            m => setTransactionMessageFeePayerSigner(payer, m),
            m => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
            m => appendTransactionMessageInstruction(
                getCreateAccountInstruction({ payer, newAccount: nonceAccount, lamports: rent, space, programAddress: SYSTEM_PROGRAM_ADDRESS }),
                m,
            ),
            m => appendTransactionMessageInstruction(
                getInitializeNonceAccountInstruction({ nonceAccount: nonceAccount.address, nonceAuthority: payer.address }),
                m,
            ),
        );
        await sendAndConfirm(await signTransactionMessageWithSigners(create), { commitment: 'confirmed' });
        const connection = new Connection(RPC_URL, 'confirmed');
        await nextSlot(connection);
        connection._rpcWebSocket?.close?.();
        const { data } = await fetchNonce(rpc, nonceAccount.address, { commitment: 'confirmed' });
        const message = pipe(
            createTransactionMessage({ version: 0 }),
            m => setTransactionMessageFeePayerSigner(payer, m),
            m => setTransactionMessageLifetimeUsingDurableNonce({
                nonce: data.blockhash,
                nonceAccountAddress: nonceAccount.address,
                nonceAuthorityAddress: payer.address,
            }, m),
            m => appendTransactionMessageInstruction(
                getTransferSolInstruction({ source: payer, destination: recipient, amount: lamports(9_000n) }),
                m,
            ),
        );
        const signed = await signTransactionMessageWithSigners(message);
        const sendAndConfirmNonce = sendAndConfirmDurableNonceTransactionFactory({ rpc, rpcSubscriptions });
        await sendAndConfirmNonce(signed, { commitment: 'confirmed' });
        const { data: advanced } = await fetchNonce(rpc, nonceAccount.address, { commitment: 'confirmed' });
        if (advanced.blockhash === data.blockhash) throw new Error('the nonce did not advance');
        return { detail: getSignatureFromTransaction(signed) };
    });

    await flow(C, 'slotNotifications', async () => {
        const abort = new AbortController();
        const notifications = await rpcSubscriptions.slotNotifications().subscribe({ abortSignal: abort.signal });
        for await (const n of notifications) {
            abort.abort();
            return { detail: `slot ${n.slot}` };
        }
        throw new Error('the subscription ended without a notification');
    });
}

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'web3') await web3js();
if (which === 'all' || which === 'kit') await kit();
// Open WebSockets would keep the process alive.
process.exit(failures === 0 ? 0 : 1);
