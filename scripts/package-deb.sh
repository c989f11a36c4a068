#!/usr/bin/env bash
# Builds the desktop app's Debian package with the Tauri CLI from npm (ui/package.json, the
# lock file pins it): target/release/bundle/deb/Ayada_<version>_amd64.deb.
# A release build: ≈ 15 minutes on two cores from scratch. Run from anywhere.
# With --debug (as the test command runs it): the same package from a debug build, in
# target/debug/bundle/deb/, ≈ 5 minutes after the test build.
set -euo pipefail
cd "$(dirname "$0")/.."
# As in test.sh: installs the locked versions without rewriting the lock file.
(cd ui && npm install --no-save --no-audit --no-fund)
(cd ui && npm run build)
# The CLI reads tauri.conf.json here, at the root beside the `ayada` package. It would run
# beforeBuildCommand from ui/ (where it found package.json), so the interface is built just
# above and the hook is switched off for this run.
# The release profile keeps line tables for perf (238 MB binary); what is shipped to
# clinics is stripped of them and of symbols (cargo's environment overrides of the profile;
# the next plain `cargo build --release` rebuilds its own binary).
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=symbols
ui/node_modules/.bin/tauri build --bundles deb --config '{"build":{"beforeBuildCommand":""}}' "$@"
profile=release
for arg in "$@"; do [ "$arg" = --debug ] && profile=debug; done
deb=$(ls -t target/$profile/bundle/deb/*.deb | head -1)
echo "== $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
dpkg-deb --contents "$deb"
echo "== $(du -h "$deb" | cut -f1) package; /usr/bin/ayada $(dpkg-deb --contents "$deb" | awk '$NF ~ /usr\/bin\/ayada$/ {print $3}') bytes"
