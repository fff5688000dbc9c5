"""An SSE client for crates/api/tests/live.rs (httpx-sse, not Leash's code).

Usage: sse_client.py URL API_KEY COUNT [LAST_EVENT_ID]
Connects (with `Last-Event-ID` when given), prints `CONNECTED`, then one JSON line per event
({"id", "event", "data"}), and exits after COUNT events, or after 30 s.
"""

import json
import sys
import os
import threading

import httpx
from httpx_sse import connect_sse

url, key, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = {"authorization": f"Bearer {key}"}
if len(sys.argv) > 4:
    headers["last-event-id"] = sys.argv[4]

threading.Timer(30, lambda: (print("TIMEOUT", flush=True), os._exit(2))).start()
seen = 0
with httpx.Client(timeout=httpx.Timeout(40.0)) as client:
    with connect_sse(client, "GET", url, headers=headers) as source:
        source.response.raise_for_status()
        print("CONNECTED", flush=True)
        for sse in source.iter_sse():
            print(json.dumps({"id": sse.id, "event": sse.event, "data": json.loads(sse.data)}), flush=True)
            seen += 1
            if seen >= wanted:
                break
os._exit(0)
