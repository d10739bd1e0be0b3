#!/usr/bin/env bash
# Two or more `ledger` binaries measured in turns, in the same minutes: how this project
# compares code on a machine whose speed drifts by a quarter from one minute to the next.
# Each round runs every binary once with the same `ledger bench` settings and prints one
# line a run: deductions a second, p50 and p99 (ms), the average batch, the CPU time (user
# + system) a deduction costs in µs — the 10,000 signups counted with the deductions — and
# the projection lag's p99 (ms).
#
#   Benchmarks/alternate.sh BIN_A BIN_B                 # 32 callers, 5 s, 4 rounds
#   CALLERS=256 DURATION=5 ROUNDS=6 Benchmarks/alternate.sh /tmp/ledger-before .build/release/ledger
#
# Keep a binary to compare against by copying it (`cp .build/release/ledger
# /tmp/ledger-before`) before changing the code. Compare runs within one invocation only.
set -euo pipefail
[ $# -ge 1 ] || {
  sed -n '2,13p' "$0" >&2
  exit 2
}
callers="${CALLERS:-32}"
duration="${DURATION:-5}"
rounds="${ROUNDS:-4}"
users="${USERS:-10000}"
body="${BODY_BYTES:-1024}"

for round in $(seq 1 "$rounds"); do
  for binary in "$@"; do
    python3 - "$binary" "$callers" "$duration" "$users" "$body" "$round" <<'PY'
import json, resource, subprocess, sys

binary, callers, duration, users, body, round_ = sys.argv[1:]
output = subprocess.run(
    [binary, "bench", "--concurrency", callers, "--duration", duration,
     "--users", users, "--body-bytes", body],
    check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
run = json.loads(output)
cpu = (usage.ru_utime + usage.ru_stime) / (run["deductions"] + int(users)) * 1e6
print("round %s  %-28s %8d/s  p50 %.3f  p99 %.2f  batch %.1f  cpu %.1f µs  lag p99 %.1f" % (
    round_, binary[-28:], run["deductions_per_second"], run["p50_ms"], run["p99_ms"],
    run["average_batch_size"], cpu, run["projection_lag_p99_ms"]))
PY
  done
done
