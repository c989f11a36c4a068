#!/usr/bin/env bash
# Builds the desktop app's Debian package with the Tauri CLI from npm (ui/package.json, the
# lock file pins it): target/release/bundle/deb/Ayada_<version>_amd64.deb.
# A release build: several minutes on two cores. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
npm --prefix ui ci --no-audit --no-fund
# The CLI reads tauri.conf.json here, at the root beside the `ayada` package; its
# beforeBuildCommand builds the interface into ui/dist first.
ui/node_modules/.bin/tauri build --bundles deb "$@"
deb=$(ls -t target/release/bundle/deb/*.deb | head -1)
echo "== $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
dpkg-deb --contents "$deb"
