#!/usr/bin/env bash
# The tests that read "today" or "yesterday", run again with the clock fixed on the days a
# clinic's calendar makes hard: a Friday (the demo clinic's day off), a Saturday (its
# yesterday is that Friday), Cairo's spring daylight-saving day (midnight does not exist), its
# autumn one (an hour happens twice) and one minute before Cairo's midnight.
#
# The clock is faked from outside with libfaketime (LD_PRELOAD), for the test processes and
# every process they start (ayada-cli, ayada-server); no binary of ours has a way to fake it.
# Expects the test binaries built (scripts/test.sh builds them first) and Debian's faketime.
set -euo pipefail
cd "$(dirname "$0")/.."

lib=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT.so.1$' || true)
[ -n "$lib" ] || { echo "libfaketime is not installed (apt-get install faketime)" >&2; exit 1; }

# The test binaries of the date-sensitive tests, with the folder each runs in. Listed from
# the whole workspace, as `cargo test --workspace` built them: asking for some packages only
# would resolve their features anew and rebuild half the workspace.
binaries=$(cargo test --workspace --no-run --message-format=json -q |
  python3 -c '
import json, os, sys
wanted = {"ayada-core", "ayada-pdf", "ayada-cli"}
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("executable") or not m["profile"]["test"]:
        continue
    package = os.path.basename(os.path.dirname(m["manifest_path"]))
    if package in wanted or m["target"]["name"] == "owner_desk_e2e":
        print(os.path.dirname(m["manifest_path"]) + "\t" + m["executable"])
')
[ -n "$binaries" ] || { echo "no test binaries found" >&2; exit 1; }

# UTC instants: Fri 27 Nov 2026 12:00 Cairo; Sat 28 Nov 2026 12:00; Fri 30 Apr 2027 12:00
# (Cairo skips 00:00-01:00 that day); Thu 28 Oct 2027 23:30 (after 23:00-24:00 happened twice);
# Tue 1 Dec 2026 23:59.
moments=(
  "2026-11-27 10:00:00"
  "2026-11-28 10:00:00"
  "2027-04-30 09:00:00"
  "2027-10-28 21:30:00"
  "2026-12-01 21:59:00"
)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Every test binary under one fixed clock; its summary lines (or, on failure, everything) in
# the moment's log. Returns non-zero if a binary failed twice.
run_moment() {
  local moment=$1 log=$2 out
  out=$(mktemp -p "$logs")
  echo "== the clock at $moment UTC ($(TZ=Africa/Cairo date -d "$moment UTC" '+%A %d %b %Y %H:%M') in Cairo)" >"$log"
  while IFS=$'\t' read -r dir exe; do
    run() {
      (cd "$dir" && TZ=UTC FAKETIME="@$moment" FAKETIME_DONT_FAKE_MONOTONIC=1 \
        LD_PRELOAD="$lib" "$exe" -q >"$out" 2>&1)
    }
    # A date mistake fails every time; once in many runs a test binary under libfaketime
    # failed to find SQLCipher's own SQL functions and passed when run again (seen once in
    # ten runs of owner_desk, never without the preload). One second try tells them apart,
    # and says so.
    if ! run; then
      echo "  $(basename "$exe") failed once with the clock at $moment UTC; trying again:" >>"$log"
      grep -E '^(---- |thread )' "$out" | sed 's/^/    /' >>"$log" || true
      if ! run; then
        cat "$out" >>"$log"
        echo "FAILED with the clock at $moment UTC: $exe" >>"$log"
        return 1
      fi
    fi
    grep -E '^test result' "$out" | sed "s|^|  $(basename "$exe"): |" >>"$log"
  done <<< "$binaries"
}

# Two moments at a time (the machine has two cores and most of these binaries use one);
# their logs are printed in order once both are done.
status=0
for ((i = 0; i < ${#moments[@]}; i += 2)); do
  pids=()
  for j in $i $((i + 1)); do
    if [ "$j" -ge "${#moments[@]}" ]; then continue; fi
    run_moment "${moments[$j]}" "$logs/$j.log" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || status=1
  done
  for j in $i $((i + 1)); do
    if [ -f "$logs/$j.log" ]; then cat "$logs/$j.log"; fi
  done
  [ "$status" -eq 0 ] || { echo "FAILED: a date-sensitive test (above)" >&2; exit 1; }
done
