// A bot pays an invoice under a session: check it would pass, pay, and show what is left.
//   LEASH_TOKEN=lsk1_… INVOICE_TO=<wallet> INVOICE_MINT=<mint> INVOICE_AMOUNT=1.5 node pay-invoice.mjs
import { address, createSolanaRpc, createSolanaRpcSubscriptions } from '@solana/kit';
import { formatAmount, Holder } from '@leash/sdk';

const rpc = createSolanaRpc(process.env.LEASH_RPC_URL ?? 'http://127.0.0.1:8899');
const rpcSubscriptions = createSolanaRpcSubscriptions(process.env.LEASH_WS_URL ?? 'ws://127.0.0.1:8900');
const holder = await Holder.open({ rpc, rpcSubscriptions }, process.env.LEASH_TOKEN);

const invoice = {
    to: address(process.env.INVOICE_TO),
    mint: address(process.env.INVOICE_MINT),
    amount: process.env.INVOICE_AMOUNT ?? '1.5',
};

// A dry run gives the same answer as the real send, without spending anything.
const check = await holder.simulate(invoice);
if (!check.ok) {
    const refusal = check.error.refusal;
    console.error(`cannot pay: ${refusal?.summary ?? check.error.message}`);
    if (refusal) console.error(`hint: ${refusal.hint}`);
    process.exit(2);
}

const paid = await holder.transfer(invoice);
console.log(`paid ${invoice.amount} to ${invoice.to}: ${paid.signature}`);

const status = await holder.status();
const limit = status.limits.find(l => l.mint === invoice.mint);
console.log(`session ${status.state}; uses ${status.uses}; ${formatAmount(limit.spent, 6)} spent, ${formatAmount(limit.remaining, 6)} left`);
