#!/usr/bin/env bash
# Desktop app: cold start to the first interactive screen, and idle memory.
# Release build, a clinic with 30 generated days, under Xvfb. Each run launches the app,
# waits for its UI to report the first screen drawn with data (AYADA_BENCH_STARTUP), then
# after 10 s idle sums the memory (PSS) of the app and its WebKit processes.
# Usage: bash scripts/bench-desktop.sh [runs]   (needs xvfb-run; prints one JSON object)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
(cd ui && npm install --no-save --no-audit --no-fund >/dev/null && npm run build >/dev/null)
cargo build --release -q -p ayada -p ayada-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AYADA_PASSWORD=bench-pass-1 AYADA_NEW_PASSWORD=bench-pass-1
cli=(target/release/ayada-cli --data "$work/clinic" --key-file "$work/clinic.key")
"${cli[@]}" init --clinic "عيادة" --owner-login owner >/dev/null
"${cli[@]}" --user owner demo --days 30 >/dev/null

starts=() ; mems=()
for i in $(seq "$runs"); do
  out="$work/run-$i.out"
  launched=$(date +%s%3N)
  HOME="$work/home" AYADA_DATA="$work/clinic" AYADA_KEY_FILE="$work/clinic.key" AYADA_BENCH_STARTUP=1 \
    setsid xvfb-run -a -s "-screen 0 1280x800x24" target/release/ayada >"$out" 2>/dev/null &
  runner=$!
  for _ in $(seq 300); do grep -q ready_unix_ms "$out" 2>/dev/null && break; sleep 0.05; done
  ready=$(grep -o '[0-9]\{13\}' "$out" | head -1)
  starts+=($((ready - launched)))
  sleep 10
  app=$(pgrep -n -f "^target/release/ayada$")
  # The app and every process it started (WebKit's web and network processes), by
  # proportional set size: RSS would count the shared WebKit libraries once per process.
  kb=0
  pids=("$app" $(ps -o pid= --ppid "$app"))
  for pid in "${pids[@]}"; do
    kb=$((kb + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")))
  done
  mems+=($((kb / 1024)))
  kill -TERM -- "-$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  # PSS divides a page among the processes that map it: a web process of the last run
  # still alive would make this run's look smaller. Wait until they are all gone.
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '{"runs": %d, "cold_start_ms": [%s], "cold_start_p50_ms": %d, "idle_pss_mb": [%s], "idle_pss_p50_mb": %d}\n' \
  "$runs" "$(IFS=,; echo "${starts[*]}")" "$(median "${starts[@]}")" \
  "$(IFS=,; echo "${mems[*]}")" "$(median "${mems[@]}")"
