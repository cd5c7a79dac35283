#!/usr/bin/env bash
# test/web/run.sh - the browser tests of the web managers (Playwright + Debian chromium),
# against both front ends: medweb (libmicrohttpd) and medweb.fcgi behind lighttpd.
# Builds nothing: uses $BUILD_DIR/bin (default: <repo>/build). Installs playwright-core
# into test/web/node_modules when missing. Prints one "ok"/"not ok" line per test and
# exits non-zero on any failure. Servers run on 127.0.0.1 with temporary state dirs.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$ROOT/build}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

for need in node npm lighttpd openssl pki; do
	command -v "$need" >/dev/null || { echo "not ok - setup: $need is not installed (scripts/setup.sh)"; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "not ok - setup: $CHROMIUM is missing"; exit 1; }
for bin in medweb medweb.fcgi medsrv medcli; do
	[ -x "$BUILD_DIR/bin/$bin" ] || { echo "not ok - setup: $BUILD_DIR/bin/$bin is not built"; exit 1; }
done
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
	(cd "$HERE" && { npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; }) >&2 ||
		{ echo "not ok - setup: npm could not install playwright-core"; exit 1; }
fi
exec timeout --kill-after=10 600 node "$HERE/e2e.mjs" "$@"
