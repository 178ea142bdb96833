#!/usr/bin/env bash
# Benchmarks: `/` and a bank page under wrk -c 64 on loopback, against `bankstatus demo`
# (12 banks, 90 days of history, live probes); then the probe engine with 10,000 probes,
# on SQLite and on PostgreSQL;
# then the scorecard with a week and with a year of history; then the storm (a failing
# bank, reports from thousands of addresses, readers on its page) and hostile connections
# (idle and half-sent heads: memory and `/` latency) and slow bodies (6,000 report requests
# from one address that never send their body: memory while they are held, then each second
# for a minute after they close, its peak and when it is under 60 MB); then the log (a
# million entries served as tiles, and `bankstatus verify` of a heavy year).
# `instr` counts the instructions `/` costs, under valgrind's callgrind: unlike requests a
# second, the count does not move with what else the machine is doing.
# Usage: scripts/bench.sh [home|nginx|instr|probes|probes-pg|scorecard|storm|conns|slowbodies|log|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
port=${BENCH_PORT:-18080}
duration=${BENCH_WRK_SECONDS:-30}

cargo build --release

bench_http() {
  if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  fi
  target/release/bankstatus demo --listen "127.0.0.1:$port" >/tmp/bankstatus-bench-demo.log 2>&1 &
  local demo=$!
  trap 'kill $demo 2>/dev/null || true' RETURN
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for path in / /banks/bmce; do
    wrk -t2 -c64 -d5s "http://127.0.0.1:$port$path" >/dev/null # warm-up
    out=$(wrk -t2 -c64 -d"${duration}s" --latency "http://127.0.0.1:$port$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    size=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$path")
    gz=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_download}' "http://127.0.0.1:$port$path")
    printf 'GET %-12s %10s req/s   p50 %8s   p99 %8s   %6s bytes (%s gzip)\n' "$path" "$rps" "$p50" "$p99" "$size" "$gz"
  done
}

# `/` against nginx serving the very same bytes from a file, same wrk load, same run,
# alternating three times. nginx's workers must be able to read the folder, or they answer
# 403 pages and the ratio means nothing: the bytes nginx serves are compared first.
bench_nginx() {
  if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nginx-light wrk >/dev/null
  fi
  local dir
  dir=$(mktemp -d /tmp/bankstatus-nginx.XXXXXX)
  chmod 755 "$dir"
  target/release/bankstatus demo --listen "127.0.0.1:$port" >/tmp/bankstatus-bench-demo.log 2>&1 &
  local demo=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$port/" -o "$dir/index.html"
  chmod 644 "$dir/index.html"
  local nport=$((port + 1))
  cat >"$dir/nginx.conf" <<CONF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nport;
    root $dir;
    location = / { default_type "text/html; charset=utf-8"; try_files /index.html =404; }
  }
}
CONF
  nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' &
  local web=$!
  trap 'kill $demo $web 2>/dev/null || true' RETURN
  for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:$nport/" -o "$dir/served.html" && break
    sleep 0.1
  done
  if ! cmp -s "$dir/index.html" "$dir/served.html"; then
    echo "nginx does not serve the same bytes as /: see $dir/error.log" >&2
    return 1
  fi
  printf '%s bytes each\n' "$(wc -c <"$dir/index.html")"
  for round in 1 2 3; do
    for who in bankstatus nginx; do
      local p=$port
      [ "$who" = nginx ] && p=$nport
      wrk -t2 -c64 -d5s "http://127.0.0.1:$p/" >/dev/null # warm-up
      out=$(wrk -t2 -c64 -d"${duration}s" --latency "http://127.0.0.1:$p/")
      printf 'round %s %-10s %10s req/s   p50 %8s   p99 %8s\n' "$round" "$who" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
    done
  done
}

# Instructions per `GET /` in user space under callgrind: 20 s of the demo alone (its
# probes, reports and scenarios), then 20 s of wrk with 4 connections; the first is taken
# from the second before dividing by the requests answered.
bench_instr() {
  if ! command -v valgrind >/dev/null || ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq valgrind wrk >/dev/null
  fi
  local out
  out=$(mktemp /tmp/bankstatus-callgrind.XXXXXX)
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    target/release/bankstatus demo --listen "127.0.0.1:$port" >/tmp/bankstatus-bench-demo.log 2>&1 &
  local demo=$!
  trap 'kill $demo 2>/dev/null || true; wait $demo 2>/dev/null; rm -f "$out" "$out".*' RETURN
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  wrk -t1 -c4 -d5s "http://127.0.0.1:$port/" >/dev/null # warm-up
  callgrind_control -z "$demo" >/dev/null
  sleep 20
  callgrind_control -d "$demo" >/dev/null # part 1: the demo alone; a dump starts counting afresh
  local requests
  requests=$(wrk -t1 -c4 -d20s "http://127.0.0.1:$port/" | awk '/requests in/ {print $1}')
  callgrind_control -d "$demo" >/dev/null # part 2: with the requests
  local idle busy
  idle=$(awk '/^totals:/ {print $2}' "$out.1")
  busy=$(awk '/^totals:/ {print $2}' "$out.2")
  printf 'GET / %s requests, %s instructions each (%s a second of the demo alone)\n' \
    "$requests" "$(((busy - idle) / requests))" "$((idle / 20))"
}

bench_probes() {
  cargo bench --bench probe_engine
}

# The same on PostgreSQL (127.0.0.1:5432, user postgres), in a database made afresh.
bench_probes_pg() {
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS bankstatus_bench WITH (FORCE)"
  BENCH_DATABASE=postgres://postgres@127.0.0.1:5432/bankstatus_bench cargo bench --bench probe_engine
}

bench_scorecard() {
  cargo bench --bench scorecard
}

# As fast as answered (the most reports the server takes), then paced at 1,200 reports/s
# (each report timed from when it was due, so stalls are counted whole).
bench_storm() {
  cargo bench --bench storm -- storm
  BENCH_REPORT_RATE=1200 cargo bench --bench storm -- storm
}

bench_conns() {
  cargo bench --bench storm -- conns
}

# With the default per-address cap, then with the caps raised so the server holds all 6,000:
# the worst case for memory.
bench_slowbodies() {
  cargo bench --bench storm -- slowbodies
  BENCH_PER_ADDRESS=10000 cargo bench --bench storm -- slowbodies
}

bench_log() {
  cargo bench --bench log -- tiles
  cargo bench --bench log -- verify
}

case "$what" in
  home) bench_http ;;
  nginx) bench_nginx ;;
  instr) bench_instr ;;
  probes) bench_probes ;;
  probes-pg) bench_probes_pg ;;
  scorecard) bench_scorecard ;;
  storm) bench_storm ;;
  conns) bench_conns ;;
  slowbodies) bench_slowbodies ;;
  log) bench_log ;;
  all) bench_http; bench_nginx; bench_instr; bench_probes; bench_probes_pg; bench_scorecard; bench_storm; bench_conns; bench_slowbodies; bench_log ;;
  *) echo "usage: $0 [home|nginx|instr|probes|probes-pg|scorecard|storm|conns|slowbodies|log|all]" >&2; exit 2 ;;
esac
