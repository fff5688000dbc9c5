// The dashboard's token writer (crates/api/dashboard/keys.js) against the shared vector that
// leash-sdk is tested against too (crates/sdk/testdata/session_token_v1.json): the browser and
// Rust make the same `lsk1_` bytes from the same inputs. Run by crates/api/tests/keys_js.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..", "..");
const { sessionToken, fromBase58, base58 } = await import(join(root, "crates/api/dashboard/keys.js"));
const vector = JSON.parse(readFileSync(join(root, "crates/sdk/testdata/session_token_v1.json"), "utf8"));

test("keys.js writes the token leash-sdk writes", () => {
  const token = sessionToken({
    secret: fromBase58(vector.secret),
    wallet: vector.wallet,
    session: vector.session,
    program: vector.program,
    cluster: vector.cluster,
    label: vector.label,
    policy: vector.policy,
  });
  assert.equal(token, vector.token);
});

test("base58 round-trips the vector's key and its public half is the session key", () => {
  const secret = fromBase58(vector.secret);
  assert.equal(secret.length, 64);
  assert.equal(base58(secret), vector.secret);
  assert.equal(base58(secret.slice(32)), vector.session_key);
});
