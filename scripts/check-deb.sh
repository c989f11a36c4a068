#!/usr/bin/env bash
# Installs the desktop app's Debian package as a clinic PC would (apt resolves its
# dependencies), checks what it put on the machine, starts the installed /usr/bin/ayada under
# Xvfb twice — on a fresh account (the first-run screen) and on an encrypted clinic made by
# ayada-cli (the login screen) — then removes the package again.
# Usage: bash scripts/check-deb.sh path/to/Ayada_<version>_amd64.deb
set -euo pipefail
deb=$(realpath "$1")
cd "$(dirname "$0")/.."
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo

fail() { echo "check-deb: $*" >&2; exit 1; }

dpkg-deb --field "$deb" Package | grep -qx ayada || fail "the package is not named ayada"
dpkg-deb --field "$deb" Depends | grep -q "libwebkit2gtk-4.1-0" \
  || fail "the package does not depend on WebKitGTK"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$deb" >/dev/null
work=$(mktemp -d)
cleanup() {
  pkill -TERM -f '^/usr/bin/ayada$' 2>/dev/null || true
  $sudo dpkg --remove ayada >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

for f in /usr/bin/ayada /usr/share/applications/Ayada.desktop; do
  [ -f "$f" ] || fail "$f was not installed"
done
grep -qx "Exec=ayada" /usr/share/applications/Ayada.desktop || fail "the menu entry does not start ayada"
ls /usr/share/icons/hicolor/*/apps/ayada.png >/dev/null 2>&1 || fail "no icon was installed"

# Starts the installed binary and waits (at most 90 s) for its UI to report the screen named.
expect_screen() {
  local screen=$1; shift
  local out="$work/$screen.out"
  env "$@" AYADA_BENCH_STARTUP=1 setsid xvfb-run -a -s "-screen 0 1280x800x24" /usr/bin/ayada \
    >"$out" 2>&1 &
  local runner=$!
  for _ in $(seq 900); do
    if grep -q "\"screen\":\"$screen\"" "$out"; then
      kill -TERM -- "-$runner" 2>/dev/null || true
      wait "$runner" 2>/dev/null || true
      echo "check-deb: the installed app opened on its $screen screen"
      return 0
    fi
    kill -0 "$runner" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM -- "-$runner" 2>/dev/null || true
  cat "$out" >&2
  fail "the installed app did not show its $screen screen"
}

mkdir -p "$work/fresh"
expect_screen first-run HOME="$work/fresh" XDG_DATA_HOME="$work/fresh/.local/share"

export AYADA_PASSWORD=check-deb-1
target/debug/ayada-cli --data "$work/clinic" --key-file "$work/clinic.key" \
  init --clinic "عيادة الفحص" --owner-login owner >/dev/null
expect_screen login HOME="$work/fresh" AYADA_DATA="$work/clinic" AYADA_KEY_FILE="$work/clinic.key"
