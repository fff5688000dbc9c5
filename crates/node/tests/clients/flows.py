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
import struct

from solders.address_lookup_table_account import (
    ID as LOOKUP_TABLE_PROGRAM,
    AddressLookupTableAccount,
    derive_lookup_table_address,
)
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.rpc.responses import SignatureNotification
from solders.system_program import (
    ID as SYSTEM_PROGRAM,
    AdvanceNonceAccountParams,
    TransferParams,
    advance_nonce_account,
    create_nonce_account,
    transfer,
)
from solders.transaction import Transaction, VersionedTransaction

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


def lookup_table_instructions(authority, recent_slot, addresses):
    """CreateLookupTable and ExtendLookupTable, as the program's bincode encodes them (solders has
    the table's state and address derivation, not its instruction builders)."""
    table, bump = derive_lookup_table_address(authority, recent_slot)
    create = Instruction(
        LOOKUP_TABLE_PROGRAM,
        struct.pack("<IQB", 0, recent_slot, bump),
        [
            AccountMeta(table, False, True),
            AccountMeta(authority, False, False),
            AccountMeta(authority, True, True),
            AccountMeta(SYSTEM_PROGRAM, False, False),
        ],
    )
    extend = Instruction(
        LOOKUP_TABLE_PROGRAM,
        struct.pack("<IQ", 2, len(addresses)) + b"".join(bytes(a) for a in addresses),
        [
            AccountMeta(table, False, True),
            AccountMeta(authority, True, False),
            AccountMeta(authority, True, True),
            AccountMeta(SYSTEM_PROGRAM, False, False),
        ],
    )
    return table, [create, extend]


async def next_slot(client):
    """A table's new addresses, and a nonce's next advance, need a new slot."""
    slot = (await client.get_slot(Confirmed)).value
    while (await client.get_slot(Confirmed)).value <= slot:
        await asyncio.sleep(0.02)


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

    async def lookup_table_v0():
        if not funded:
            raise RuntimeError("payer not funded (airdrop failed)")
        table_recipient = Keypair().pubkey()
        recent_slot = (await client.get_slot(Confirmed)).value - 1
        table, ixs = lookup_table_instructions(payer.pubkey(), recent_slot, [table_recipient])
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        created = (await client.send_transaction(Transaction([payer], Message(ixs, payer.pubkey()), blockhash))).value
        await client.confirm_transaction(created, Confirmed)
        await next_slot(client)
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=table_recipient, lamports=LAMPORTS_PER_SOL // 10))
        message = MessageV0.try_compile(
            payer.pubkey(), [ix], [AddressLookupTableAccount(table, [table_recipient])], blockhash
        )
        if len(message.address_table_lookups) != 1:
            raise RuntimeError("the recipient was not taken from the table")
        tx = VersionedTransaction(message, [payer])
        signature = (await client.send_transaction(tx)).value
        await client.confirm_transaction(signature, Confirmed)
        balance = (await client.get_balance(table_recipient)).value
        if balance != LAMPORTS_PER_SOL // 10:
            raise RuntimeError(f"recipient balance {balance}")
        return str(signature)

    await run("lookup table + v0 transfer (MessageV0.try_compile)", lookup_table_v0)

    async def durable_nonce():
        if not funded:
            raise RuntimeError("payer not funded (airdrop failed)")
        nonce = Keypair()
        rent = (await client.get_minimum_balance_for_rent_exemption(80)).value
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        create = create_nonce_account(payer.pubkey(), nonce.pubkey(), payer.pubkey(), rent)
        created = (await client.send_transaction(Transaction([payer, nonce], Message(list(create), payer.pubkey()), blockhash))).value
        await client.confirm_transaction(created, Confirmed)
        await next_slot(client)
        # The durable nonce sits at bytes 40..72 of the nonce account (after version, state
        # and authority).
        data = (await client.get_account_info(nonce.pubkey(), Confirmed)).value.data
        durable = Hash(bytes(data[40:72]))
        ixs = [
            advance_nonce_account(AdvanceNonceAccountParams(nonce_pubkey=nonce.pubkey(), authorized_pubkey=payer.pubkey())),
            transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=LAMPORTS_PER_SOL // 100)),
        ]
        tx = Transaction([payer], Message(ixs, payer.pubkey()), durable)
        signature = (await client.send_transaction(tx)).value
        await client.confirm_transaction(signature, Confirmed)
        advanced = (await client.get_account_info(nonce.pubkey(), Confirmed)).value.data
        if bytes(advanced[40:72]) == bytes(data[40:72]):
            raise RuntimeError("the nonce did not advance")
        return str(signature)

    await run("durable nonce: create_nonce_account, advance_nonce_account, send", durable_nonce)
    await client.close()


asyncio.run(main())
sys.exit(0 if failures == 0 else 1)
