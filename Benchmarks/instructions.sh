#!/usr/bin/env bash
# What one deduction costs in instructions, counted by valgrind's callgrind: the same figure
# run after run (within ~0.5% on the writer's thread), where the wall clock on these machines drifts
# by a quarter from one minute to the next. User-space instructions only: the kernel's work
# (writes, fdatasync, wake-ups) is not in it.
#
#   Benchmarks/instructions.sh                    # 64 callers, 50 then 150 sends each
#   CALLERS=256 SMALL=20 LARGE=60 Benchmarks/instructions.sh
#   KEEP=/tmp/counts Benchmarks/instructions.sh        # keeps the two callgrind files there
#
# It builds `LedgerInstructions` with DWARF 4 debug info into .build-instructions (valgrind
# 3.19 cannot read Swift's default DWARF 5), runs it under callgrind twice, and divides the
# difference by the extra deductions, so start-up and signups cancel out. Prints the cost by
# thread and the functions that cost most. Valgrind's virtual CPU has no SHA extensions:
# BoringSSL's SHA-256 runs its AVX code there (~45 instructions a byte), where the real CPU
# runs SHA-NI; it is shown on a line of its own for that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
callers="${CALLERS:-64}"
small="${SMALL:-50}"
large="${LARGE:-150}"
if ! command -v valgrind >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q valgrind >/dev/null
fi
scratch=.build-instructions
swift build -c release --product LedgerInstructions --scratch-path "$scratch" \
  -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4 >&2
binary="$scratch/release/LedgerInstructions"
if [ -n "${KEEP:-}" ]; then
  work="$KEEP"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
for sends in "$small" "$large"; do
  valgrind --tool=callgrind --callgrind-out-file="$work/$sends.out" "$binary" "$callers" "$sends" \
    >"$work/$sends.json" 2>"$work/$sends.log" || {
    cat "$work/$sends.log" >&2
    exit 1
  }
done
python3 - "$work" "$small" "$large" "$callers" <<'PY'
import collections, json, re, subprocess, sys

work, small, large, callers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def costs(sends, inclusive):
    """Instructions by function name (all of a function's lines summed) and the total."""
    out = subprocess.run(
        ["callgrind_annotate", "--threshold=100", "--auto=no", "--inclusive=" + inclusive,
         f"{work}/{sends}.out"], capture_output=True, text=True, check=True).stdout
    by_function, total = collections.Counter(), 0
    for line in out.splitlines():
        match = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if not match:
            continue
        count, name = int(match.group(1).replace(",", "")), match.group(2)
        if "PROGRAM TOTALS" in name:
            total = count
            continue
        name = re.sub(r"\s*\[[^\]]*\]$", "", name).split(":", 1)[-1]
        by_function[name] += count
    return by_function, total

runs = {s: json.load(open(f"{work}/{s}.json")) for s in (small, large)}
deductions = runs[large]["deductions"] - runs[small]["deductions"]
batches = runs[large]["batches"] - runs[small]["batches"]
inclusive = {s: costs(s, "yes") for s in (small, large)}
own = {s: costs(s, "no") for s in (small, large)}

def per_deduction(table, name):
    return (table[large][0][name] - table[small][0][name]) / deductions

total = (inclusive[large][1] - inclusive[small][1]) / deductions
threads = [
    ("writer thread", "$s12CreditLedger6WriterC3run33_6578C47DEEEBB0A59CF1ED39E2EC6A19LLyyF"),
    ("projections thread", "$s12CreditLedger16ProjectionWriterC3run33_884E40CD985F766F39D75EDC5A2E6FA9LLyyF"),
    ("syncer threads", "$s12CreditLedger6SyncerC3run33_204D7929A866157326EBC0577A7FB810LLyyF"),
    ("checkpointer thread", "$s12CreditLedger12CheckpointerC3run33_953E632BD266ADD24645D17A726813CALLyyF"),
    ("callers' tasks", "swift_job_run"),
]
sha = sum(
    (own[large][0][name] - own[small][0][name]) / deductions
    for name in set(own[large][0]) if "sha256" in name.lower())
print(f"Instructions a deduction costs (callgrind, user space): {callers} callers, "
      f"{deductions:,} deductions in {batches:,} batches ({deductions / max(batches, 1):.1f} a batch)")
counted = 0.0
for label, name in threads:
    cost = per_deduction(inclusive, name)
    counted += cost
    print(f"  {label:<22} {cost:>9,.0f}")
print(f"  {'elsewhere':<22} {total - counted:>9,.0f}")
print(f"  {'total':<22} {total:>9,.0f}")
print(f"  {'  of it SHA-256':<22} {sha:>9,.0f}   (AVX code under valgrind; SHA-NI on the real CPU)")
print("The functions that cost most, their own instructions a deduction:")
own_costs = {name: per_deduction(own, name) for name in set(own[large][0]) | set(own[small][0])}
for name, cost in sorted(own_costs.items(), key=lambda item: -item[1])[:20]:
    print(f"  {cost:>9,.0f}  {name[:110]}")
PY
