// An owner creates a session for an agent from a browser wallet. `owner` is any kit
// TransactionSigner: in a page, the wallet-standard signer of the connected account, e.g.
//   const owner = useWalletAccountTransactionSendingSigner(account, 'solana:devnet'); // @solana/react
// (a wallet that signs and sends by itself); in a script, a key pair.
import { createSession, createWallet, deposit, NATIVE_SOL_MINT, policy } from '@leash/sdk';

/**
 * Creates the owner's wallet "default", funds it, and opens a session that may
 * send at most `budget` lamports of SOL in all, 0.1 SOL per transaction, for an hour.
 * Returns the `lsk1_` token to hand to the agent: it is a secret.
 */
export async function openAgentSession({ rpc, rpcSubscriptions, programAddress, owner, cluster, budget }) {
    const ctx = { rpc, rpcSubscriptions, programAddress };
    const { wallet } = await createWallet(ctx, { owner, name: 'default' });
    await deposit(ctx, { owner, wallet, amount: budget });
    const { session, token } = await createSession(ctx, {
        owner,
        wallet,
        cluster,
        label: 'agent',
        policy: policy({
            validForSecs: 3600,
            programs: ['11111111111111111111111111111111'],
            limits: [{ mint: NATIVE_SOL_MINT, total: budget, perTx: 100_000_000n }],
        }),
    });
    return { wallet, session, token: token.encode() };
}
