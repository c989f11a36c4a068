#!/usr/bin/env bash
# Runs Ayada on this machine: the sync server on its embedded database with the patients'
# booking portal, a demo clinic with a month of generated days, and the desktop app (when
# there is a display). Booking codes go by WhatsApp through the WAHA named in AYADA_WAHA_URL
# and AYADA_WAHA_KEY, if set (docs/OPERATIONS.md); without one the portal shows the clinic and
# its free times, and says that online booking waits. Data lives in
# ./demo-data (delete it to start over). Demo logins: owner, reception, dr.sara, dr.karim;
# every password is "demo-pass-1".
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pkg-config --exists webkit2gtk-4.1 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    build-essential pkg-config curl wget file libssl-dev libwebkit2gtk-4.1-dev libxdo-dev \
    libayatana-appindicator3-dev librsvg2-dev
fi
# `npm install --no-save` installs the versions in package-lock.json without rewriting it.
# (`npm ci` refuses this lock file: the machines' npm config omits registry addresses from
# lock files, and npm then also leaves out the other platforms' optional rollup binaries.)
(cd ui && npm install --no-save --no-audit --no-fund && npm run build)
cargo build --release -p ayada-server -p ayada-cli -p ayada

data="$PWD/demo-data"
cli=(target/release/ayada-cli --data "$data/clinic" --key-file "$data/clinic.key")
export AYADA_PASSWORD=demo-pass-1 AYADA_NEW_PASSWORD=demo-pass-1
mkdir -p "$data"
if [ ! -f "$data/clinic/clinic.db" ]; then
  "${cli[@]}" init --clinic "عيادة الشفاء — Al-Shifa Clinic" --owner-login owner --owner-name "د. هالة — Dr. Hala"
fi
# A month of generated days; on a demo made on an earlier day, the days since, so the desk
# never opens on an empty day.
"${cli[@]}" --user owner demo --days 30
# Patients book both doctors online on the server's portal (a demo made before it too).
"${cli[@]}" --user owner portal set --enabled true --doctors dr.sara,dr.karim \
  --visit-types examination,follow-up >/dev/null

server_url=http://127.0.0.1:8787
target/release/ayada-server serve --data "$data/server" --listen 127.0.0.1:8787 > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "$server_url/v1/health" >/dev/null && break; sleep 0.2; done

# The demo machine is enrolled into the server's demo clinic once, then syncs each run.
if ! "${cli[@]}" sync >/dev/null 2>&1; then
  target/release/ayada-server clinic create --data "$data/server" --name "Al-Shifa" \
    --slug alshifa --owner-email owner@alshifa.example >/dev/null
  "${cli[@]}" enroll --server "$server_url" --email owner@alshifa.example
  "${cli[@]}" sync
fi

echo
echo "== today at the front desk"
"${cli[@]}" --user reception appointment list | head -20
echo
echo "== today's cash (owner)"
"${cli[@]}" --user owner cash summary
echo
echo "Sync server: $server_url/v1/health"
echo "Booking portal (patients, Arabic; ?lang=en for English): $server_url/c/alshifa"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  AYADA_DATA="$data/clinic" AYADA_KEY_FILE="$data/clinic.key" target/release/ayada
else
  echo "No display: the desktop app was not started. Try the CLI: ${cli[*]} --user owner --help"
  wait $server
fi
