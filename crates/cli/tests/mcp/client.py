"""A real MCP client (the official Python SDK, `mcp`, pinned in requirements.txt) driving Leash's
MCP server over one transport, for crates/cli/tests/mcp.rs.

    client.py stdio --leash BIN --env JSON --to ADDRESS --out DIR --label NAME [--scenario loop|no_session]
    client.py http --url URL/mcp --key WRITE_KEY --read-key READ_KEY --to ADDRESS --out DIR --label NAME
    client.py stdio … --scenario request --wallet W --owner-env JSON --narrow-policy FILE
    client.py stdio … --scenario any_address [--token T --amount A] | program_mismatch
                                   (tests/any_address.rs, scripts/agave-check)

Every JSON-RPC message in both directions is recorded (DIR/NAME-traffic.jsonl) for the caller to
search for secrets, and the loop is written for people (DIR/NAME-transcript.md). Any failed
expectation raises, and the script exits non-zero with what differed.
"""

import argparse
import base64
import json
import os
import struct
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
from mcp.client import Client
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

TOOLS = {
    "whoami": "read",
    "balance": "read",
    "policy_show": "read",
    "session_status": "read",
    "simulate": "read",
    "transfer": "act",
    "execute": "act",
    "multicall": "act",
    "revoke": "act",
    "request_session": "ask",
    "request_status": "ask",
}


class Recorder:
    """Every message on the wire, and the transcript people read."""

    def __init__(self, out: Path, label: str):
        self.traffic = (out / f"{label}-traffic.jsonl").open("w")
        self.transcript = (out / f"{label}-transcript.md").open("w")
        self.label = label

    def message(self, direction: str, message) -> None:
        if isinstance(message, Exception):
            line = {"dir": direction, "exception": repr(message)}
        else:
            line = {"dir": direction, "message": json.loads(message.message.model_dump_json(by_alias=True, exclude_none=True))}
        self.traffic.write(json.dumps(line) + "\n")
        self.traffic.flush()

    def raw(self, direction: str, text: str) -> None:
        self.traffic.write(json.dumps({"dir": direction, "raw": text}) + "\n")
        self.traffic.flush()

    def say(self, text: str) -> None:
        self.transcript.write(text + "\n")
        self.transcript.flush()

    def call(self, name: str, arguments: dict, result) -> None:
        args = json.dumps(arguments) if arguments else "{}"
        status = "isError" if result.is_error else "ok"
        text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
        self.say(f"\n> tools/call {name} {args}\n< {status}")
        for line in text.splitlines():
            self.say(f"  | {line}")
        if result.structured_content is not None:
            shown = {k: v for k, v in result.structured_content.items() if k != "logs"}
            self.say(f"  structuredContent: {json.dumps(shown, sort_keys=True)}")


@asynccontextmanager
async def tapped(streams, recorder: Recorder):
    """The transport's streams with every message recorded on its way."""
    read, write = streams
    in_send, in_recv = anyio.create_memory_object_stream(100)
    out_send, out_recv = anyio.create_memory_object_stream(100)

    async def pump_in():
        async with in_send:
            async for message in read:
                recorder.message("server->client", message)
                await in_send.send(message)

    async def pump_out():
        async with out_recv:
            async for message in out_recv:
                recorder.message("client->server", message)
                await write.send(message)

    async with anyio.create_task_group() as tg:
        tg.start_soon(pump_in)
        tg.start_soon(pump_out)
        try:
            yield in_recv, out_send
        finally:
            tg.cancel_scope.cancel()


@asynccontextmanager
async def tapped_transport(inner, recorder: Recorder):
    """A transport for the SDK's high-level `Client`, recorded like the others."""
    async with inner as streams, tapped(streams, recorder) as recorded:
        yield recorded


# `/mcp` on leash serve offers no request tools: every agent there shares the server's token.
HTTP_TOOLS = {name: kind for name, kind in TOOLS.items() if kind != "ask"}


async def modern(transport, recorder: Recorder, to: str, tools: dict) -> None:
    """The SDK's default `Client` (mode "auto"): `server/discover`, then the stateless
    2026-07-28 protocol, every request carrying its own version and capabilities."""
    async with Client(transport) as client:
        recorder.say(f"\n## The SDK's default Client: protocol {client.protocol_version} (no initialize)")
        expect(client.protocol_version == "2026-07-28", "the modern protocol", client.protocol_version)
        listed = await client.list_tools()
        expect({t.name for t in listed.tools} == set(tools), "the same tools", [t.name for t in listed.tools])
        status = structured(await call(client, recorder, "session_status"))
        expect(status["status"] == "active", "active", status)
        sent = structured(await call(client, recorder, "transfer", {"to": to, "amount": "0.5", "token": "USDC"}))
        expect(next(l for l in sent["limits"] if l["token"] == "USDC")["used"] == "5", "5 of 8 used", sent)


def random_address() -> str:
    """A fresh address nobody listed: base58 of 32 random bytes."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, text = int.from_bytes(os.urandom(32), "big"), ""
    while n:
        n, r = divmod(n, 58)
        text = alphabet[r] + text
    return text


def expect(condition: bool, what: str, detail=None) -> None:
    if not condition:
        raise AssertionError(f"{what}: {json.dumps(detail, default=str) if detail is not None else ''}")


async def call(session, recorder: Recorder, name: str, arguments: dict | None = None):
    result = await session.call_tool(name, arguments or {})
    recorder.call(name, arguments or {}, result)
    return result


def structured(result) -> dict:
    expect(isinstance(result.structured_content, dict), "structuredContent is an object", result.model_dump())
    return result.structured_content


def check_error(result, code: str) -> dict:
    expect(result.is_error is True, f"an error ({code})", result.model_dump())
    error = structured(result)
    expect(error.get("code") == code, f"error code {code}", error)
    expect(bool(error.get("message")), "the error has a message", error)
    expect("hint" in error, "the error has a hint field", error)
    if code == "invalid_input":
        expect(bool(error.get("hint")), "every invalid_input says how to fix it", error)
    return error


async def handshake(session: ClientSession, recorder: Recorder, tools: dict) -> None:
    init = await session.initialize()
    recorder.say(f"> initialize\n< protocolVersion {init.protocol_version}, server {init.server_info.name} {init.server_info.version}")
    recorder.say(f"  instructions: {init.instructions}")
    expect(init.server_info.name == "leash", "server name", init.model_dump())
    expect(init.capabilities.tools is not None, "tools capability", init.model_dump())
    expect("session_status" in (init.instructions or "") and "simulate" in init.instructions, "instructions teach the safe loop", init.instructions)

    listed = await session.list_tools()
    names = {t.name for t in listed.tools}
    expect(names == set(tools), f"exactly the {len(tools)} tools", sorted(names))
    recorder.say("\n> tools/list")
    for tool in listed.tools:
        a = tool.annotations
        expect(a is not None, f"{tool.name} has annotations")
        expect(tool.input_schema.get("type") == "object", f"{tool.name} input schema", tool.input_schema)
        expect(tool.output_schema is not None and tool.output_schema.get("type") == "object", f"{tool.name} output schema", tool.output_schema)
        if TOOLS[tool.name] == "read":
            expect(a.read_only_hint is True, f"{tool.name} readOnlyHint", a.model_dump())
        elif TOOLS[tool.name] == "ask":
            expect(a.read_only_hint is False and a.destructive_hint is False, f"{tool.name} changes, destroys nothing", a.model_dump())
        else:
            expect(a.read_only_hint is False and a.destructive_hint is True, f"{tool.name} destructiveHint", a.model_dump())
        expect("session_status" in (tool.description or "") or TOOLS[tool.name] != "act" or tool.name == "revoke", f"{tool.name} teaches the safe loop", tool.description)
        hints = ", ".join(f"{k}={v}" for k, v in a.model_dump(by_alias=True, exclude_none=True).items() if k.endswith("Hint"))
        required = tool.input_schema.get("required", [])
        recorder.say(f"< {tool.name}({', '.join(tool.input_schema.get('properties', {}))}) required={required} [{hints}]")
    transfer = next(t for t in listed.tools if t.name == "transfer")
    expect(transfer.input_schema["required"] == ["to", "amount"], "transfer requires to and amount", transfer.input_schema)


async def safe_loop(session: ClientSession, recorder: Recorder, to: str) -> None:
    recorder.say("\n## The safe loop: session_status -> simulate -> transfer")
    status = structured(await call(session, recorder, "session_status"))
    expect(status["status"] == "active" and status["registered"] is True, "the session is active", status)
    usdc = next(l for l in status["policy"]["limits"] if l["token"] == "USDC")
    expect((usdc["total"], usdc["used"]) == ("8", "0"), "0 of 8 USDC used", usdc)

    whoami = structured(await call(session, recorder, "whoami"))
    expect(whoami["session"] == status["session"], "whoami names the session", whoami)
    balance = structured(await call(session, recorder, "balance", {"token": "USDC"}))
    held = balance["balances"][0]
    expect(held["token"] == "USDC" and int(held["base_units"]) >= 9_000_000, "the vault holds USDC for two transfers", balance)

    sim = structured(await call(session, recorder, "simulate", {"action": "transfer", "to": to, "amount": "4.5", "token": "USDC"}))
    expect(sim["would_succeed"] is True, "4.5 USDC would pass", sim)
    sent = await call(session, recorder, "transfer", {"to": to, "amount": "4.5", "token": "USDC"})
    expect(sent.is_error is not True, "the transfer succeeded", sent.model_dump())
    acted = structured(sent)
    expect(len(acted["signature"]) > 60 and acted["uses"] == 1, "a signature and one use", acted)
    policy = structured(await call(session, recorder, "policy_show"))
    expect(next(l for l in policy["limits"] if l["token"] == "USDC")["used"] == "4.5", "policy_show: 4.5 / 8", policy)
    used = next(l for l in acted["limits"] if l["token"] == "USDC")
    expect(used["used"] == "4.5", "4.5 of 8 USDC used after it", used)

    recorder.say("\n## Over the limit: simulate says so, the transfer is refused with the figures")
    sim = structured(await call(session, recorder, "simulate", {"action": "transfer", "to": to, "amount": "4.5", "token": "USDC"}))
    expect(sim["would_succeed"] is False and sim["code"] == "spending_limit_exceeded", "simulate refuses", sim)
    expect(sim["over_by"] == {"amount": "1", "token": "USDC"}, "over by 1 USDC", sim)
    expect("logs" not in sim, "simulate leaves the raw logs out unless asked", sim)
    with_logs = structured(await call(session, recorder, "simulate", {"action": "transfer", "to": to, "amount": "4.5", "token": "USDC", "include_logs": True}))
    expect(any("SpendingLimitExceeded" in line for line in with_logs.get("logs", [])), "include_logs gives the program's lines", with_logs)
    refused = check_error(await call(session, recorder, "transfer", {"to": to, "amount": "4.5", "token": "USDC"}), "spending_limit_exceeded")
    expect(sim.get("summary") and sim["summary"] == refused.get("summary"), "a simulated refusal has the real one's summary", [sim, refused])
    figures = refused.get("figures") or {}
    expect((figures.get("used"), figures.get("limit"), figures.get("needed"), figures.get("over_by"), figures.get("bound")) == ("4.5", "8", "4.5", "1", "total"), "the figures", refused)
    expect("4.5 of 8 USDC used" in refused.get("summary", ""), "the summary in words", refused)
    expect(refused.get("program_code") == 6008 and "owner" in (refused.get("hint") or ""), "program code and hint", refused)
    per_tx = check_error(await call(session, recorder, "transfer", {"to": to, "amount": "6", "token": "USDC"}), "per_tx_limit_exceeded")
    expect((per_tx.get("figures") or {}).get("bound") == "per_transaction", "per-transaction bound", per_tx)
    check_error(await call(session, recorder, "transfer", {"to": to, "amount": "-1"}), "invalid_input")

    recorder.say("\n## Policy v3: USDC may land only at the listed recipient")
    stranger = random_address()
    sim = structured(await call(session, recorder, "simulate", {"action": "transfer", "to": stranger, "amount": "1", "token": "USDC"}))
    expect(sim["would_succeed"] is False and sim["code"] == "recipient_not_allowed", "simulate refuses a stranger", sim)
    elsewhere = check_error(await call(session, recorder, "transfer", {"to": stranger, "amount": "1", "token": "USDC"}), "recipient_not_allowed")
    named = elsewhere.get("recipient") or {}
    expect((named.get("recipient"), named.get("listed"), named.get("token")) == (stranger, [to], "USDC"), "the refused owner and the listed one", elsewhere)
    expect(elsewhere.get("program_code") == 6020 and stranger in elsewhere["message"], "code 6020, the owner in the message", elsewhere)

    recorder.say("\n## Raw instructions: execute and multicall (System transfers out of the vault), a program the policy does not allow")
    def system_transfer(lamports: int) -> dict:
        data = base64.b64encode(struct.pack("<IQ", 2, lamports)).decode()
        return {"program": "system", "accounts": [{"pubkey": "vault", "is_signer": True, "is_writable": True}, {"pubkey": to, "is_writable": True}], "data": data}
    sim = structured(await call(session, recorder, "simulate", {"action": "execute", "instruction": system_transfer(1_000_000)}))
    expect(sim["would_succeed"] is True, "the execute would pass", sim)
    done = structured(await call(session, recorder, "execute", {"instruction": system_transfer(1_000_000)}))
    expect(next(l for l in done["limits"] if l["token"] == "SOL")["used"] == "0.001", "0.001 SOL used", done)
    sim = structured(await call(session, recorder, "simulate", {"action": "multicall", "instructions": [system_transfer(1_000_000), system_transfer(2_000_000)]}))
    expect(sim["would_succeed"] is True, "the multicall would pass", sim)
    done = structured(await call(session, recorder, "multicall", {"instructions": [system_transfer(1_000_000), system_transfer(2_000_000)]}))
    expect(next(l for l in done["limits"] if l["token"] == "SOL")["used"] == "0.004", "0.004 SOL used", done)
    memo = {"program": "memo", "data": base64.b64encode(b"hi").decode()}
    not_allowed = check_error(await call(session, recorder, "execute", {"instruction": memo}), "program_not_allowed")
    expect("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr" in not_allowed["message"], "program_not_allowed names the program", not_allowed)
    check_error(await call(session, recorder, "execute", {"instruction": {"program": "system", "data": "%%"}}), "invalid_input")
    shape = check_error(await call(session, recorder, "multicall", {"instructions": [{"program": "system", "accounts": "vault"}]}), "invalid_input")
    expect(shape["message"].startswith("instruction must be"), "the argument is named as the tool names it", shape)
    check_error(await call(session, recorder, "simulate", {"action": "transfer", "to": to}), "invalid_input")


async def revoked(session: ClientSession, recorder: Recorder, to: str) -> None:
    recorder.say("\n## Done: the session revokes itself, and is refused from then on")
    gone = structured(await call(session, recorder, "revoke"))
    expect(gone["revoked"] is True and gone.get("signature"), "revoked", gone)
    status = structured(await call(session, recorder, "session_status"))
    expect(status["status"] == "revoked", "status says revoked", status)
    sim = structured(await call(session, recorder, "simulate", {"action": "transfer", "to": to, "amount": "1", "token": "USDC"}))
    expect(sim["would_succeed"] is False and sim["code"] == "session_revoked", "simulate says revoked", sim)
    error = check_error(await call(session, recorder, "transfer", {"to": to, "amount": "1", "token": "USDC"}), "session_revoked")
    expect(error["message"] == "Session revoked", "the §3.4 message", error)


def owner_cli(args, recorder: Recorder, *cli: str) -> str:
    """The owner, at their terminal: the real `leash` binary, their own home and keys."""
    env = dict(os.environ, **json.loads(args.owner_env))
    done = subprocess.run([args.leash, *cli], env=env, capture_output=True, text=True, timeout=120)
    recorder.say(f"\n$ leash {' '.join(cli)}    # the owner")
    for line in (done.stdout + done.stderr).strip().splitlines():
        recorder.say(f"  | {line}")
    expect(done.returncode == 0, f"leash {' '.join(cli)}", done.stdout + done.stderr)
    return done.stdout


async def requested(session: ClientSession, recorder: Recorder, args) -> None:
    recorder.say("\n## No session yet: the agent asks the owner for one")
    check_error(await call(session, recorder, "session_status"), "no_session")
    asked = {
        "label": "invoice-agent",
        "expires_in": "1h",
        "allowed_programs": ["spl-token", "system"],
        "limits": [{"token": "USDC", "per_tx": "5", "total": "8"}],
    }
    filed = structured(await call(session, recorder, "request_session", {"wallet": args.wallet, "policy": asked, "reason": "pay this week's two invoices"}))
    expect(filed["status"] == "pending" and filed["id"].startswith("sreq_"), "filed, pending", filed)
    pending = structured(await call(session, recorder, "request_status", {"id": filed["id"]}))
    expect(pending["status"] == "pending", "still pending", pending)
    expect("call request_status again" in pending["next"].lower(), "the next step in MCP terms", pending)

    owner_cli(args, recorder, "session", "requests", "approve", filed["id"], "--policy", args.narrow_policy, "--top-up", "0.05")

    approved = structured(await call(session, recorder, "request_status", {"id": filed["id"]}))
    expect(approved["status"] == "approved" and approved.get("token_file"), "approved, token stored", approved)
    expect("call session_status" in approved["next"].lower() and "simulate" in approved["next"], "what to call next", approved)
    granted = next(l for l in approved["granted_policy"]["limits"] if l["token"] == "USDC")
    expect((granted["per_tx"], granted["total"]) == ("2", "3"), "the narrowed policy is what was granted", granted)
    token_file = Path(approved["token_file"])
    expect(token_file.stat().st_mode & 0o777 == 0o600, "the token file is 0600", oct(token_file.stat().st_mode))

    recorder.say("\n## The same server, no restart: the granted session, within its bounds")
    status = structured(await call(session, recorder, "session_status"))
    expect(status["status"] == "active" and status["session"] == approved["session"], "the new session is active", status)
    sim = structured(await call(session, recorder, "simulate", {"action": "transfer", "to": args.to, "amount": "2", "token": "USDC"}))
    expect(sim["would_succeed"] is True, "2 USDC would pass", sim)
    sent = structured(await call(session, recorder, "transfer", {"to": args.to, "amount": "2", "token": "USDC"}))
    expect(next(l for l in sent["limits"] if l["token"] == "USDC")["used"] == "2", "2 of 3 used", sent)
    over = check_error(await call(session, recorder, "transfer", {"to": args.to, "amount": "2", "token": "USDC"}), "spending_limit_exceeded")
    expect("2 of 3 USDC used" in over.get("summary", ""), "refused at the granted total, not the asked one", over)
    check_error(await call(session, recorder, "transfer", {"to": args.to, "amount": "2.5", "token": "USDC"}), "per_tx_limit_exceeded")

    recorder.say("\n## A request the owner denies (no wallet given: the current session's)")
    second = structured(await call(session, recorder, "request_session", {"policy": asked, "reason": "more invoices"}))
    expect(second["wallet"] == args.wallet, "the current session's wallet", second)
    owner_cli(args, recorder, "session", "requests", "deny", second["id"], "--note", "one session at a time")
    denied = structured(await call(session, recorder, "request_status", {"id": second["id"]}))
    expect(denied["status"] == "denied" and denied.get("note") == "one session at a time", "denied with the note", denied)
    expect("request_session" in denied["next"], "what a denial leaves open, in MCP terms", denied)
    status = structured(await call(session, recorder, "session_status"))
    expect(status["session"] == approved["session"], "a denial leaves the granted session in place", status)


async def run_stdio(args, recorder: Recorder) -> None:
    env = json.loads(args.env)
    params = StdioServerParameters(command=args.leash, args=["mcp"], env=env)
    with (Path(args.out) / f"{args.label}-server-stderr.log").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as streams, tapped(streams, recorder) as (read, write):
            async with ClientSession(read, write) as session:
                recorder.say(f"# MCP over stdio: `{Path(args.leash).name} mcp` (the official Python SDK as client)\n")
                if args.scenario == "no_session":
                    init = await session.initialize()
                    recorder.say(f"> initialize\n< server {init.server_info.name}: started without a token")
                    error = check_error(await call(session, recorder, "session_status"), "no_session")
                    expect("leash session import" in error["hint"], "the hint says how to get a token", error)
                    check_error(await call(session, recorder, "transfer", {"to": args.to, "amount": "1"}), "no_session")
                    return
                await handshake(session, recorder, TOOLS)
                if args.scenario == "request":
                    await requested(session, recorder, args)
                    return
                if args.scenario == "any_address":
                    status = structured(await call(session, recorder, "session_status"))
                    expect(status.get("status") == "active", "the session at the deployed address is active", status)
                    sent = await call(session, recorder, "transfer", {"to": args.to, "amount": args.amount, "token": args.token})
                    expect(sent.is_error is False, "a transfer at the deployed address lands", sent.model_dump())
                    return
                if args.scenario == "program_mismatch":
                    error = check_error(
                        await call(session, recorder, "transfer", {"to": args.to, "amount": "1", "token": "USDC"}),
                        "program_mismatch",
                    )
                    expect("LEASH_PROGRAM_ID" in error["message"], "the error names where the other id came from", error)
                    return
                await safe_loop(session, recorder, args.to)
        await modern(tapped_transport(stdio_client(params, errlog=errlog), recorder), recorder, args.to, TOOLS)
        async with stdio_client(params, errlog=errlog) as streams, tapped(streams, recorder) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await revoked(session, recorder, args.to)


def http_client(key: str | None) -> httpx2.AsyncClient:
    return create_mcp_http_client(headers={"Authorization": f"Bearer {key}"} if key else None)


async def run_http(args, recorder: Recorder) -> None:
    recorder.say(f"# MCP over streamable HTTP: POST /mcp on leash serve, API key in Authorization (the official Python SDK as client)\n")
    # A missing or unknown key is refused before MCP: the API's 401 envelope.
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx2.AsyncClient() as raw:
        for key, code in ((None, "missing_api_key"), ("lk_wrong", "invalid_api_key")):
            h = dict(headers, **({"Authorization": f"Bearer {key}"} if key else {}))
            r = await raw.post(args.url, headers=h, json=initialize)
            body = r.json()
            recorder.say(f"> POST /mcp initialize with {'no key' if key is None else 'a wrong key'}\n< HTTP {r.status_code} {body['error']['code']}")
            expect(r.status_code == 401 and body["error"]["code"] == code, f"refused: {code}", body)
            challenge = r.headers.get("www-authenticate", "")
            recorder.say(f"< WWW-Authenticate: {challenge}")
            expect(challenge.startswith('Bearer realm="leash"'), "a 401 says how to authenticate", dict(r.headers))
            expect(('error="invalid_token"' in challenge) == (key is not None), "a bad key is told from a missing one", challenge)
            recorder.raw("server->client (HTTP body)", r.text)
        # Stateless: no SSE stream to open, no MCP session to delete.
        for method in ("GET", "DELETE"):
            r = await raw.request(method, args.url, headers={"Authorization": f"Bearer {args.key}", "Accept": "text/event-stream"})
            recorder.say(f"> {method} /mcp\n< HTTP {r.status_code}")
            expect(r.status_code == 405, f"{method} /mcp is 405", r.text)

    # A read-only key reads but cannot act.
    async with http_client(args.read_key) as client:
        async with streamable_http_client(args.url, http_client=client) as streams, tapped(streams, recorder) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                recorder.say("\n## A `read` key: reads work, acting is refused")
                offered = {t.name for t in (await session.list_tools()).tools}
                recorder.say(f"> tools/list with a read key\n< {sorted(offered)}")
                expect(offered == {n for n, kind in HTTP_TOOLS.items() if kind == "read"}, "a read key is offered only what it may call", sorted(offered))
                status = structured(await call(session, recorder, "session_status"))
                expect(status["status"] == "active", "read key reads", status)
                check_error(await call(session, recorder, "transfer", {"to": args.to, "amount": "1", "token": "USDC"}), "scope_missing")
                check_error(await call(session, recorder, "revoke"), "scope_missing")
                # Not offered here at all: an unknown tool is a protocol error, not a result.
                try:
                    await session.call_tool("request_status", {"id": "sreq_0000000000000000"})
                    expect(False, "request_status is not a tool of /mcp on leash serve")
                except MCPError as e:
                    recorder.say(f"> request_status over HTTP\n< error {e.error.code}: {e.error.message}")
                    expect("no tool named" in e.error.message, "refused as unknown", e.error.message)

    async with http_client(args.key) as client:
        async with streamable_http_client(args.url, http_client=client) as streams, tapped(streams, recorder) as (read, write):
            async with ClientSession(read, write) as session:
                recorder.say("\n## A `write` key")
                await handshake(session, recorder, HTTP_TOOLS)
                await safe_loop(session, recorder, args.to)
                async with http_client(args.key) as modern_http:
                    await modern(tapped_transport(streamable_http_client(args.url, http_client=modern_http), recorder), recorder, args.to, HTTP_TOOLS)
                await revoked(session, recorder, args.to)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=["stdio", "http"])
    parser.add_argument("--leash")
    parser.add_argument("--env", default="{}")
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--read-key")
    parser.add_argument("--to", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--scenario", default="loop", choices=["loop", "no_session", "request", "any_address", "program_mismatch"])
    parser.add_argument("--wallet")
    parser.add_argument("--owner-env", default="{}")
    parser.add_argument("--narrow-policy")
    parser.add_argument("--token", default="USDC", help="any_address: what the transfer moves")
    parser.add_argument("--amount", default="1", help="any_address: how much")
    args = parser.parse_args()
    recorder = Recorder(Path(args.out), args.label)
    runner = run_stdio if args.transport == "stdio" else run_http
    try:
        anyio.run(runner, args, recorder)
    except BaseException as e:  # noqa: BLE001 - report whatever stopped the client
        recorder.say(f"\nFAILED: {e!r}")
        raise
    recorder.say("\nAll expectations held.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
