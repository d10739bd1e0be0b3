#!/usr/bin/env bash
# Side by side: the seed's PostgreSQL function (deduct_credits_and_log_email, driven by pgbench)
# against this ledger (`ledger bench`), at the same concurrencies, users and body size, on
# this machine, in one run. Prints one table, writes docs/compare-postgres.md and
# docs/throughput.svg, and removes everything it started.
#
#   Benchmarks/compare-postgres.sh            # 10 s per point
#   DURATION=30 Benchmarks/compare-postgres.sh
#   ROUNDS=3 Benchmarks/compare-postgres.sh   # each point 3 times, in turns: medians
#
# With ROUNDS, each point is measured that many times, PostgreSQL and the ledger in turns, and
# the table gives the medians: the ledger's and PostgreSQL's rates, and the ratio as the
# median of each round's ratio (two figures from the same minute), with the rounds' range.
# This machine's speed drifts by a quarter within minutes; one pair can land on either side
# of a close target.
#
# Needs root (it installs postgresql from Debian's packages when missing, and runs the
# throwaway server as the postgres user). Both sides are durable: PostgreSQL with fsync and
# synchronous_commit on, the ledger with synchronous=FULL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
duration="${DURATION:-10}"
rounds="${ROUNDS:-1}"
for setting in "DURATION=$duration" "ROUNDS=$rounds"; do
  [[ "${setting#*=}" =~ ^[1-9][0-9]*$ ]] || {
    echo "compare-postgres.sh: ${setting%%=*} must be a whole number of 1 or more, not '${setting#*=}'" >&2
    exit 2
  }
done
users=10000
body=1024
port="${PGPORT_BENCH:-54329}"
points=("1 uniform" "8 uniform" "32 uniform" "256 uniform" "8 hot" "32 hot")

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q postgresql >&2
fi
pgbin="$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")"
pgversion="$("$pgbin/postgres" --version)"

work="$(mktemp -d /tmp/compare-postgres.XXXXXX)"
chown postgres "$work"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the ledger (release)…" >&2
swift build -c release --package-path "$root" --product ledger >&2
ledger="$root/.build/release/ledger"

echo "starting $pgversion on 127.0.0.1:$port…" >&2
as_pg "$pgbin/initdb" -D "$work/data" -A trust -U postgres >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w start -o \
  "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on -c synchronous_commit=on -c shared_buffers=256MB" >/dev/null
psql=(as_pg psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
"${psql[@]}" -c "CREATE DATABASE mail_assist" >/dev/null
"${psql[@]}" -d mail_assist -f "$root/Benchmarks/postgres/auth-stand-in.sql" >/dev/null
"${psql[@]}" -d mail_assist -f "$root/Benchmarks/postgres/seed.sql" >/dev/null
# The seed's trigger creates each profile (300 credits); give them enough never to run out.
"${psql[@]}" -d mail_assist -c "
  INSERT INTO auth.users (id, email)
    SELECT ('10ad0000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'user' || n || '@example.com'
    FROM generate_series(0, $users - 1) AS n;
  UPDATE profiles SET credits = 1000000000;" >/dev/null
"${psql[@]}" -d mail_assist -c "VACUUM ANALYZE" >/dev/null

pgbench_point() {  # callers, uniform|hot → deductions per second
  local callers=$1 mode=$2 script="$work/deduct-$2.sql"
  if [ "$mode" = hot ]; then
    echo '\set uid 0' >"$script"
  else
    echo "\\set uid random(0, $((users - 1)))" >"$script"
  fi
  cat >>"$script" <<SQL
SELECT deduct_credits_and_log_email(('10ad0000-0000-4000-8000-' || lpad(to_hex(:uid), 12, '0'))::uuid,
  'bob@example.com', 'Your credits', repeat('x', $body), 'custom', 1);
SQL
  chown postgres "$script"
  local threads=$((callers < 2 ? callers : 2))
  as_pg "$pgbin/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c "$callers" -j "$threads" \
    -T "$duration" -f "$script" mail_assist 2>/dev/null |
    awk '/^tps = / { printf "%.0f\n", $3 }'
}

ledger_point() {  # callers, uniform|hot → deductions per second and p99
  local callers=$1 mode=$2 flags=()
  [ "$mode" = hot ] && flags+=(--hot)
  "$ledger" bench --concurrency "$callers" --duration "$duration" --users "$users" \
    --body-bytes "$body" "${flags[@]}" 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f %.2f" % (r["deductions_per_second"], r["p99_ms"]))'
}

# Each side starts with the other's dirty pages on disk, not still being flushed under it.
settle() { sync; sleep 3; }

results="$work/results.tsv"
for point in "${points[@]}"; do
  read -r callers mode <<<"$point"
  for round in $(seq 1 "$rounds"); do
    echo "measuring $callers callers, $mode (round $round of $rounds)…" >&2
    settle
    pg=$(pgbench_point "$callers" "$mode")
    settle
    read -r ours p99 < <(ledger_point "$callers" "$mode")
    printf '%s\t%s\t%s\t%s\t%s\n' "$callers" "$mode" "$pg" "$ours" "$p99" >>"$results"
  done
done

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
mkdir -p "$root/docs"
python3 - "$results" "$root/docs" "$duration" "$machine" "$pgversion" "$rounds" <<'PY'
import statistics, sys
docs, duration, machine, pgversion, rounds = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
measured = {}  # (callers, mode) → each round's (pg, ours, p99), in the order measured
for line in open(sys.argv[1]):
    callers, mode, pg, ours, p99 = line.rstrip("\n").split("\t")
    measured.setdefault((callers, mode), []).append((float(pg), float(ours), float(p99)))
rows = []  # callers, mode, median pg, median ours, median p99, median ratio, ratio range
for (callers, mode), runs in measured.items():
    ratios = [ours / pg if pg else float("inf") for pg, ours, _ in runs]
    rows.append((callers, mode, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                 statistics.median(r[2] for r in runs), statistics.median(ratios), (min(ratios), max(ratios))))
header = ["callers", "users", "PostgreSQL (seed function) /s", "ledger /s", "ratio", "ledger p99 ms"]
if rounds > 1:
    header.append("ratio, each round")
lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
for callers, mode, pg, ours, p99, ratio, (low, high) in rows:
    who = "10,000" if mode == "uniform" else "1 (hot)"
    line = f"| {callers} | {who} | {pg:,.0f} | {ours:,.0f} | {ratio:.1f}× | {p99:.2f} |"
    if rounds > 1:
        line += f" {low:.1f}–{high:.1f}× |"
    lines.append(line)
table = "\n".join(lines)
print(table)
with open(f"{docs}/compare-postgres.md", "w") as out:
    if rounds > 1:
        out.write(f"Durable deductions per second, 1 KiB bodies, {duration} s per point, {rounds} rounds a point "
                  "in turns, medians (the ratio: the median of each round's ratio).\n")
    else:
        out.write(f"Durable deductions per second, 1 KiB bodies, {duration} s per point, one run.\n")
    command = "Benchmarks/compare-postgres.sh" if rounds == 1 else f"ROUNDS={rounds} Benchmarks/compare-postgres.sh"
    out.write(f"Machine: {machine}; {pgversion}.\nCommand: `{command}`\n\n{table}\n")
    if rounds > 1:
        out.write("\nEach round, in the order measured (PostgreSQL /s, ledger /s, ledger p99 ms):\n\n")
        for (callers, mode), runs in measured.items():
            who = "10,000 users" if mode == "uniform" else "one hot user"
            each = "; ".join(f"{pg:,.0f}, {ours:,.0f}, {p99:.2f}" for pg, ours, p99 in runs)
            out.write(f"- {callers} callers, {who}: {each}\n")

# The chart: deductions/s against callers (log scale), uniform load, both systems.
uniform = [(int(c), pg, o) for c, m, pg, o, *_ in rows if m == "uniform"]
width, height, left, bottom, top, right = 640, 400, 80, 50, 40, 20
import math
xs = [math.log2(c) for c, _, _ in uniform]
ymax = max(max(pg, o) for _, pg, o in uniform) * 1.15
def x(c): return left + (math.log2(c) - min(xs)) / (max(xs) - min(xs)) * (width - left - right)
def y(v): return height - bottom - v / ymax * (height - bottom - top)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{width/2}" y="20" text-anchor="middle" font-size="14">Durable deductions per second, 10,000 users, 1 KiB bodies</text>',
       f'<line x1="{left}" y1="{height-bottom}" x2="{width-right}" y2="{height-bottom}" stroke="black"/>',
       f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height-bottom}" stroke="black"/>']
for c, _, _ in uniform:
    svg.append(f'<text x="{x(c)}" y="{height-bottom+18}" text-anchor="middle">{c}</text>')
svg.append(f'<text x="{width/2}" y="{height-10}" text-anchor="middle">concurrent callers</text>')
for i in range(6):
    v = ymax / 5 * i
    svg.append(f'<text x="{left-6}" y="{y(v)+4}" text-anchor="end">{int(v):,}</text>')
    svg.append(f'<line x1="{left}" y1="{y(v)}" x2="{width-right}" y2="{y(v)}" stroke="#ddd"/>')
for index, (name, colour) in enumerate([("PostgreSQL, seed function", "#336791"), ("credit ledger", "#e4572e")]):
    points = " ".join(f"{x(c)},{y(v[index])}" for c, *v in uniform)
    svg.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{points}"/>')
    for c, *v in uniform:
        svg.append(f'<circle cx="{x(c)}" cy="{y(v[index])}" r="4" fill="{colour}"/>')
    svg.append(f'<rect x="{left+20}" y="{top+10+index*18}" width="12" height="12" fill="{colour}"/>')
    svg.append(f'<text x="{left+38}" y="{top+20+index*18}">{name}</text>')
svg.append("</svg>")
open(f"{docs}/throughput.svg", "w").write("\n".join(svg) + "\n")
PY
echo "machine: $machine; $pgversion; ${duration} s per point" >&2
echo "wrote docs/compare-postgres.md and docs/throughput.svg" >&2
