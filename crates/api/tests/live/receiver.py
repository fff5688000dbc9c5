"""A webhook receiver for crates/api/tests/live.rs: verifies every delivery with the Standard
Webhooks reference library (standardwebhooks), not Leash's code.

Prints `PORT <n>` once listening, then reads the webhook's secret (`whsec_...`) as the first
line of stdin. Then serves; each POST is answered by the next word of the plan given as
argv[1] (`200`, `500`, `sleep` = no answer for 10 s; the last word repeats), and written to
stdout as one JSON line: {"n", "verified", "id", "type", "data", "answered", "at"}.
Lines read later on stdin replace the plan (a test switches the receiver to 200s).
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

plan = sys.argv[1].split(",") if len(sys.argv) > 1 else ["200"]
secret = None
count = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        global count
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        with lock:
            count += 1
            n = count
            action = plan[min(n - 1, len(plan) - 1)]
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = Webhook(secret).verify(body, headers)
            verified = True
        except Exception as e:  # noqa: BLE001 - any failure is "not verified"
            payload = {"error": str(e)}
            verified = False
        answered = None if action == "sleep" else int(action)
        record = {
            "n": n,
            "verified": verified,
            "id": headers.get("webhook-id"),
            "type": payload.get("type") if isinstance(payload, dict) else None,
            "data": payload.get("data") if isinstance(payload, dict) else None,
            "answered": answered,
            "at": time.time(),
        }
        # One write per record, under the lock: deliveries arrive concurrently, and two
        # threads' prints would interleave into lines nobody can read.
        with lock:
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()
        if answered is None:
            # No answer: the sender's time limit runs out.
            time.sleep(10)
            return
        self.send_response(answered)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def read_plans():
    global plan
    for line in sys.stdin:
        line = line.strip()
        if line:
            with lock:
                plan = line.split(",")
                # A new plan starts over at its first word.
                globals()["count"] = 0


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
secret = sys.stdin.readline().strip()
threading.Thread(target=read_plans, daemon=True).start()
server.serve_forever()
