"""solana-py's documented flows against a running `leash node` (see client_flows.rs).

Run: LEASH_RPC_URL=http://127.0.0.1:8899 LEASH_WS_URL=ws://127.0.0.1:8900 python flows.py
with the pinned packages of requirements.txt. One line per flow on stdout, as flows.mjs prints:
    FLOW <tab> client <tab> flow <tab> ok|fail <tab> milliseconds <tab> detail
The exit status is 0 only when every flow passed.
"""

import asyncio
import os
import sys
import time
from importlib.metadata import version

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.websocket_api import SolanaWsClient
from solders.keypair import Keypair
from solders.message import Message
from solders.rpc.responses import SignatureNotification
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

RPC_URL = os.environ["LEASH_RPC_URL"]
WS_URL = os.environ["LEASH_WS_URL"]
TIMEOUT_S = float(os.environ.get("LEASH_FLOW_TIMEOUT_MS", "20000")) / 1000
CLIENT = f"solana-py {version('solana')}"
LAMPORTS_PER_SOL = 1_000_000_000

failures = 0


def report(flow, ok, ms, detail=""):
    detail = " ".join(str(detail).split())[:400]
    print("\t".join(["FLOW", CLIENT, flow, "ok" if ok else "fail", f"{ms:.0f}", detail]), flush=True)


async def run(flow, body):
    """Runs one flow, timed from its first call to its last answer."""
    global failures
    start = time.perf_counter()
    try:
        detail = await asyncio.wait_for(body(), TIMEOUT_S)
        report(flow, True, (time.perf_counter() - start) * 1000, detail or "")
        return True
    except Exception as e:  # noqa: BLE001 (any client error is the flow's failure)
        failures += 1
        report(flow, False, (time.perf_counter() - start) * 1000, f"{type(e).__name__}: {e!r}")
        return False


async def transfer_tx(client, payer, recipient, lamports):
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=lamports))
    return Transaction([payer], Message([ix], payer.pubkey()), blockhash)


async def main():
    # solana-py 0.41 is async only: AsyncClient for HTTP, SolanaWsClient for PubSub.
    client = AsyncClient(RPC_URL, commitment=Confirmed)
    payer = Keypair()
    recipient = Keypair().pubkey()

    async def airdrop():
        signature = (await client.request_airdrop(payer.pubkey(), 5 * LAMPORTS_PER_SOL)).value
        status = (await client.confirm_transaction(signature, Confirmed)).value[0]
        if status.err is not None:
            raise RuntimeError(f"airdrop failed: {status.err}")
        balance = (await client.get_balance(payer.pubkey())).value
        if balance != 5 * LAMPORTS_PER_SOL:
            raise RuntimeError(f"balance {balance}")

    funded = await run("AsyncClient.request_airdrop + confirm_transaction", airdrop)

    async def send_and_confirm():
        if not funded:
            raise RuntimeError("payer not funded (airdrop failed)")
        tx = await transfer_tx(client, payer, recipient, LAMPORTS_PER_SOL)
        signature = (await client.send_transaction(tx)).value
        await client.confirm_transaction(signature, Confirmed)
        balance = (await client.get_balance(recipient)).value
        if balance != LAMPORTS_PER_SOL:
            raise RuntimeError(f"recipient balance {balance}")
        return str(signature)

    await run("send_transaction (transfer) + confirm_transaction", send_and_confirm)

    async def signature_subscribe():
        if not funded:
            raise RuntimeError("payer not funded (airdrop failed)")
        tx = await transfer_tx(client, payer, recipient, 1_000)
        async with SolanaWsClient(WS_URL) as ws:
            await ws.signature_subscribe(signature=tx.signatures[0], commitment=Confirmed)
            await client.send_transaction(tx)
            async for message in ws:
                if isinstance(message, SignatureNotification):
                    if message.result.value.err is not None:
                        raise RuntimeError(f"err {message.result.value.err}")
                    return f"slot {message.result.context.slot}"
            raise RuntimeError("the socket closed without a notification")

    await run("websocket_api signature_subscribe", signature_subscribe)
    await client.close()


asyncio.run(main())
sys.exit(0 if failures == 0 else 1)
