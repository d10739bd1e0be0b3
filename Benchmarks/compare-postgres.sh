#!/usr/bin/env bash
# Side by side: the seed's PostgreSQL function (deduct_credits_and_log_email, driven by pgbench)
# against this ledger (`ledger bench`), at the same concurrencies, users and body size, on
# this machine, in one run. Prints one table, writes docs/compare-postgres.md and
# docs/throughput.svg, and removes everything it started.
#
#   Benchmarks/compare-postgres.sh            # 10 s per point
#   DURATION=30 Benchmarks/compare-postgres.sh
#
# Needs root (it installs postgresql from Debian's packages when missing, and runs the
# throwaway server as the postgres user). Both sides are durable: PostgreSQL with fsync and
# synchronous_commit on, the ledger with synchronous=FULL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
duration="${DURATION:-10}"
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
  echo "measuring $callers callers, $mode…" >&2
  settle
  pg=$(pgbench_point "$callers" "$mode")
  settle
  read -r ours p99 < <(ledger_point "$callers" "$mode")
  printf '%s\t%s\t%s\t%s\t%s\n' "$callers" "$mode" "$pg" "$ours" "$p99" >>"$results"
done

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
mkdir -p "$root/docs"
python3 - "$results" "$root/docs" "$duration" "$machine" "$pgversion" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
docs, duration, machine, pgversion = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
header = ["callers", "users", "PostgreSQL (seed function) /s", "ledger /s", "ratio", "ledger p99 ms"]
lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
for callers, mode, pg, ours, p99 in rows:
    ratio = float(ours) / float(pg) if float(pg) else float("inf")
    who = "10,000" if mode == "uniform" else "1 (hot)"
    lines.append(f"| {callers} | {who} | {int(pg):,} | {int(ours):,} | {ratio:.1f}× | {p99} |")
table = "\n".join(lines)
print(table)
with open(f"{docs}/compare-postgres.md", "w") as out:
    out.write(f"Durable deductions per second, 1 KiB bodies, {duration} s per point, one run.\n")
    out.write(f"Machine: {machine}; {pgversion}.\nCommand: `Benchmarks/compare-postgres.sh`\n\n{table}\n")

# The chart: deductions/s against callers (log scale), uniform load, both systems.
uniform = [(int(c), float(pg), float(o)) for c, m, pg, o, _ in rows if m == "uniform"]
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
