#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis against openapi.yaml and a live `ledger serve` on
# loopback (a throwaway ledger in a temporary folder), with a service-role token.
#   scripts/fuzz-http.sh                 # 50 examples per operation
#   EXAMPLES=500 scripts/fuzz-http.sh    # the long run
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
examples="${EXAMPLES:-50}"
port="${PORT:-18089}"
command -v st >/dev/null 2>&1 || pip install -q schemathesis >&2
swift build --package-path "$root" --product ledger >&2
ledger="$root/.build/debug/ledger"
work="$(mktemp -d)"
export LEDGER_JWT_SECRET="fuzz-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$ledger" serve --port "$port" --db "$work/ledger.sqlite" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
st run "$root/Sources/LedgerHTTP/openapi.yaml" --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $("$ledger" token)" --max-examples "$examples" --checks all
