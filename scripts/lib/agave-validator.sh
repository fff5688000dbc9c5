# Shared by scripts/agave-check and scripts/conformance: finds (or builds, about half an hour
# on two cores) Agave's `solana-test-validator` and starts it on loopback with an empty ledger.
#
#   . scripts/lib/agave-validator.sh
#   find_agave_validator          # sets $validator
#   start_agave_validator          # sets $url, $work (removed on exit), $validator_pid
#
# Environment: AGAVE_VERSION (default 3.0.14), LEASH_AGAVE_DIR (default $HOME/.cache/leash-agave),
# SOLANA_TEST_VALIDATOR (a validator binary to use instead).

find_agave_validator() {
  version="${AGAVE_VERSION:-3.0.14}"
  cache="${LEASH_AGAVE_DIR:-$HOME/.cache/leash-agave}"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/leash-target}"

  validator="${SOLANA_TEST_VALIDATOR:-}"
  if [ -z "$validator" ] && [ -x "$cache/bin/solana-test-validator" ]; then
    validator="$cache/bin/solana-test-validator"
  fi
  if [ -z "$validator" ]; then
    echo "== building solana-test-validator $version from crates.io into $cache (about 30 minutes)"
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-dev libudev-dev \
        protobuf-compiler cmake pkg-config libssl-dev >/dev/null
    fi
    cargo install agave-validator --version "=$version" --locked --bin solana-test-validator \
      --root "$cache"
    validator="$cache/bin/solana-test-validator"
  fi
  agave_version=$("$validator" --version | head -1)
  echo "$agave_version"
}

start_agave_validator() {
  work=$(mktemp -d)
  validator_pid=""
  cleanup() {
    if [ -n "$validator_pid" ]; then kill "$validator_pid" 2>/dev/null || true; wait "$validator_pid" 2>/dev/null || true; fi
    rm -rf "$work"
  }
  trap cleanup EXIT

  # Free loopback ports for RPC (its PubSub takes the next one) and the faucet.
  read -r rpc_port faucet_port < <(python3 -c '
import socket
def free(pair=False):
    while True:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
        if not pair: return port
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port + 1)); t.close(); return port
        except OSError:
            t.close()
print(free(True), free())
')
  url="http://127.0.0.1:$rpc_port"
  echo "== starting $agave_version at $url (ledger in $work)"
  "$validator" --reset --ledger "$work/ledger" --bind-address 127.0.0.1 --rpc-port "$rpc_port" \
    --faucet-port "$faucet_port" --quiet >"$work/validator.log" 2>&1 &
  validator_pid=$!
  for _ in $(seq 1 120); do
    if curl -sf -H 'Content-Type: application/json' \
        -d '{"jsonrpc":"2.0","id":1,"method":"getHealth"}' "$url" | grep -q '"ok"'; then
      break
    fi
    if ! kill -0 "$validator_pid" 2>/dev/null; then
      echo "the validator stopped:" >&2; tail -20 "$work/validator.log" >&2; exit 1
    fi
    sleep 1
  done
}
