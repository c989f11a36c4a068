#!/usr/bin/env bash
# Every test of Ayada, from a fresh Debian machine: installs what it needs (Debian packages,
# the UI's npm packages from the lock file, tauri-driver), then checks formatting and lints, builds
# everything (the desktop app included) and runs the whole test suite, with a real keyring
# inside a private D-Bus session.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # Tauri / WebKitGTK and SQLCipher (OpenSSL) build dependencies
  build-essential pkg-config curl wget file libssl-dev libwebkit2gtk-4.1-dev libxdo-dev
  libayatana-appindicator3-dev librsvg2-dev
  # A real Secret Service keyring for the keyring test
  dbus gnome-keyring
  # Looking at what we render: the real window under Xvfb through WebDriver, PDFs as PNG
  xvfb xauth webkit2gtk-driver poppler-utils
  # The date-sensitive tests again with the clock fixed from outside (scripts/test-clock.sh)
  faketime
  # The booking portal as a phone shows it: headless Chromium through chromedriver
  chromium chromium-driver
  # The server's PostgreSQL backend and its replicas (scripts/postgres.sh starts a private one)
  postgresql
  # The clinic's LAN in network namespaces (crates/ayada-client/tests/lan_netns.rs)
  iproute2
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "== installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# One build, run once: incremental compilation's caches would only take disk (GBs) and time.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Said at the start and before the tests, so a run that dies of a full disk shows it.
df -h . | tail -n 1 | awk '{print "== disk: " $4 " free of " $2}'

echo "== $(date -u +%T) ui: npm install (from the lock file) && build"
# `npm install --no-save` installs the versions in package-lock.json without rewriting it.
# (`npm ci` refuses this lock file: the machines' npm config omits registry addresses from
# lock files, and npm then also leaves out the other platforms' optional rollup binaries.)
(cd ui && npm install --no-save --no-audit --no-fund && npm run build && npm test)

# tauri-driver bridges WebDriver to the app's WebKitWebDriver (the desktop end-to-end test).
if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "== installing tauri-driver"
  cargo install tauri-driver --locked
fi

# schemathesis tests the live server against its own OpenAPI description (tests/api_schema.rs);
# a venv of its own under target/, its version pinned.
if [ ! -x target/tools/schemathesis/bin/schemathesis ]; then
  echo "== installing schemathesis (PyPI) into target/tools/schemathesis"
  python3 -m venv target/tools/schemathesis
  target/tools/schemathesis/bin/pip install -q --disable-pip-version-check schemathesis==4.32.5
fi

echo "== $(date -u +%T) cargo fmt, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --features ayada-core/bench-plain -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -q -p ayada-model -p ayada-core -p ayada-sync -p ayada-pdf -p ayada-client

echo "== $(date -u +%T) cargo build (the cross-process tests run the binaries)"
cargo build --workspace

df -h . | tail -n 1 | awk '{print "== disk: " $4 " free of " $2 ", target/ " }' | tr -d '\n'
du -sh target | cut -f1

# A private PostgreSQL for the store story, the replicas and the PostgreSQL run below; a test
# that needs it fails rather than skips (AYADA_REQUIRE_POSTGRES).
pg_dir=$(mktemp -d /tmp/ayada-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
AYADA_TEST_POSTGRES=$(bash scripts/postgres.sh start "$pg_dir")
export AYADA_TEST_POSTGRES AYADA_REQUIRE_POSTGRES=1
echo "== $(date -u +%T) PostgreSQL $(psql "$AYADA_TEST_POSTGRES" -Atc 'SHOW server_version') for the tests"

echo "== $(date -u +%T) cargo test (inside a D-Bus session with an unlocked gnome-keyring)"
export HOME_FOR_KEYRING
HOME_FOR_KEYRING=$(mktemp -d)
dbus-run-session -- bash -c '
  set -euo pipefail
  export HOME="$HOME_FOR_KEYRING" CARGO_HOME="${CARGO_HOME:-'"$HOME"'/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-'"$HOME"'/.rustup}"
  export XDG_DATA_HOME="$HOME/.local/share" XDG_RUNTIME_DIR="$HOME/run"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  printf "ayada-test" | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
  # Every failing test binary is reported, not only the first.
  AYADA_REAL_KEYRING=1 cargo test --workspace --no-fail-fast
  # The server end-to-end tests again, every server keeping its data in PostgreSQL. (The
  # months-long bootstrap is left out: its 80 s are spent in the client, on either backend.)
  echo "== $(date -u +%T) the server end-to-end tests again on PostgreSQL"
  AYADA_TEST_BACKEND=postgres cargo test --workspace --test sync_e2e --test untrusted_peers \
    --test live_sync --test portal_e2e --test portal_attacks --test sync_convergence_e2e --test at_rest --test termination_e2e --test billing_clock_e2e \
    -- --skip a_new_machine_bootstraps_a_clinic_that_holds_months_of_data
'
rm -rf "$HOME_FOR_KEYRING"

echo "== $(date -u +%T) the date-sensitive tests on a Friday, a Saturday, both of Cairo's DST days and at 23:59"
bash scripts/test-clock.sh

# The Debian package as a clinic PC gets it, from a debug build (a release build from
# scratch would take CI ≈ 15 more minutes; the packaging, the menu entry, the dependencies and
# the packaged binary's start are the same).
echo "== $(date -u +%T) the .deb: built with the Tauri CLI, installed, started, removed"
bash scripts/package-deb.sh --debug >/dev/null
bash scripts/check-deb.sh target/debug/bundle/deb/Ayada_*_amd64.deb
echo "== $(date -u +%T) done"
