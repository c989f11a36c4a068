#!/usr/bin/env bash
# Desktop app: cold start to the first interactive screen, and idle memory.
# Release build, a clinic with 30 generated days, under Xvfb. Each run launches the app,
# waits for its UI to report the login screen drawn with data (AYADA_BENCH_STARTUP), sums
# the memory (PSS) of the app and its WebKit processes after 10 s idle there; then logs in
# from the keyboard as a person would (xdotool: the owner's login, Tab, password, Enter) and
# sums it again after 10 s idle on the Today screen with the day's queue. Then, for scale, the
# same for examples/webview_floor.rs: the same Tauri and WebKitGTK with the app's settings,
# a window of the same size showing one word, no clinic: what the stack takes before the app
# draws anything.
# Usage: bash scripts/bench-desktop.sh [runs]   (prints one JSON object)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
# What it drives the window with; installed like the test command installs its packages.
missing=()
for tool in xvfb-run:xvfb xdotool:xdotool; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
(cd ui && npm install --no-save --no-audit --no-fund >/dev/null && npm run build >/dev/null)
cargo build --release -q -p ayada -p ayada-cli
cargo build --release -q -p ayada --example webview_floor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AYADA_PASSWORD=bench-pass-1 AYADA_NEW_PASSWORD=bench-pass-1
cli=(target/release/ayada-cli --data "$work/clinic" --key-file "$work/clinic.key")
"${cli[@]}" init --clinic "عيادة" --owner-login owner >/dev/null
"${cli[@]}" --user owner demo --days 30 >/dev/null

# Proportional set size of the app and every process it started (WebKit's web and network
# processes): RSS would count the shared WebKit libraries once per process.
pss_mb() {
  local kb=0 pid
  for pid in "$@"; do
    kb=$((kb + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")))
  done
  echo $((kb / 1024))
}
# Waits until the app has printed that a screen ("login", "session") is drawn.
wait_screen() {
  for _ in $(seq 300); do grep -q "\"screen\":\"$2\"" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "the app never showed its $2 screen" >&2; return 1
}

# Stops what xvfb-run started, then waits until every process in the arguments is gone:
# PSS divides a page among the processes that map it, so a web process of the last run
# still alive would make the next one look smaller.
stop() {
  local runner=$1 pid alive; shift
  kill -TERM -- "-$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  for _ in $(seq 100); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null || true
}

starts=() ; mems=() ; day_mems=() ; floor_mems=()
for i in $(seq "$runs"); do
  out="$work/run-$i.out"
  launched=$(date +%s%3N)
  HOME="$work/home" AYADA_DATA="$work/clinic" AYADA_KEY_FILE="$work/clinic.key" AYADA_BENCH_STARTUP=1 \
    setsid xvfb-run -a -s "-screen 0 1280x800x24" target/release/ayada >"$out" 2>/dev/null &
  runner=$!
  wait_screen "$out" login
  ready=$(grep '"screen":"login"' "$out" | grep -o '[0-9]\{13\}' | head -1)
  starts+=($((ready - launched)))
  sleep 10
  app=$(pgrep -n -f "^target/release/ayada$")
  pids=("$app" $(ps -o pid= --ppid "$app"))
  mems+=($(pss_mb "${pids[@]}"))
  xvfb=$(ps -o pid=,args= --ppid "$runner" | awk '/Xvfb/ {print $1}')
  display=$(tr '\0' ' ' <"/proc/$xvfb/cmdline" | grep -o ' :[0-9]*' | tr -d ' ')
  auth=$(tr '\0' ' ' <"/proc/$xvfb/cmdline" | grep -o -- '-auth [^ ]*' | cut -d' ' -f2)
  DISPLAY=$display XAUTHORITY=$auth xdotool type --delay 20 owner
  DISPLAY=$display XAUTHORITY=$auth xdotool key Tab
  DISPLAY=$display XAUTHORITY=$auth xdotool type --delay 20 "$AYADA_PASSWORD"
  DISPLAY=$display XAUTHORITY=$auth xdotool key Return
  wait_screen "$out" session
  sleep 10
  pids=("$app" $(ps -o pid= --ppid "$app"))
  day_mems+=($(pss_mb "${pids[@]}"))
  stop "$runner" "${pids[@]}"

  HOME="$work/home" setsid xvfb-run -a -s "-screen 0 1280x800x24" \
    target/release/examples/webview_floor >/dev/null 2>&1 &
  runner=$!
  for _ in $(seq 300); do
    floor=$(pgrep -n -f "^target/release/examples/webview_floor$" || true)
    [ -n "$floor" ] && ps -o comm= --ppid "$floor" | grep -q WebKitWebProces && break
    sleep 0.05
  done
  sleep 10
  pids=("$floor" $(ps -o pid= --ppid "$floor"))
  [ "${#pids[@]}" = 3 ] || { echo "the floor window did not start its two WebKit processes" >&2; exit 1; }
  floor_mems+=($(pss_mb "${pids[@]}"))
  stop "$runner" "${pids[@]}"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '{"runs": %d, "cold_start_ms": [%s], "cold_start_p50_ms": %d, "idle_pss_mb": [%s], "idle_pss_p50_mb": %d, "idle_today_pss_mb": [%s], "idle_today_pss_p50_mb": %d, "floor_pss_mb": [%s], "floor_pss_p50_mb": %d}\n' \
  "$runs" "$(IFS=,; echo "${starts[*]}")" "$(median "${starts[@]}")" \
  "$(IFS=,; echo "${mems[*]}")" "$(median "${mems[@]}")" \
  "$(IFS=,; echo "${day_mems[*]}")" "$(median "${day_mems[@]}")" \
  "$(IFS=,; echo "${floor_mems[*]}")" "$(median "${floor_mems[@]}")"
