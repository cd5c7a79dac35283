#!/usr/bin/env bash
# scripts/setup.sh - install every Debian package the build, the tests and the demo need.
# Idempotent: installs only what is missing. Run as root on Debian 12.
set -euo pipefail

PKGS=(
	# build
	build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
	# libraries
	libuv1-dev libssl-dev libsqlite3-dev sqlite3 libmicrohttpd-dev libfcgi-dev
	libcriterion-dev libsodium-dev libjansson-dev libinih-dev libmnl-dev
	# network lab
	iproute2 nftables conntrack tcpdump iputils-ping iperf3 procps util-linux psmisc python3 curl
	# the TURN relay of record (test/integration/test_turn_coturn.sh starts its own turnserver)
	coturn
	# the independent peer
	strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-extra-plugins strongswan-pki libstrongswan-standard-plugins
	# web tests
	lighttpd chromium
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node.js and npm (for playwright-core): the machine's own if present, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# Debian's strongswan-charon package starts a system charon; our tests run their own per namespace.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet strongswan-starter 2>/dev/null; then
	systemctl stop strongswan-starter || true
fi
# Debian's coturn package enables a system turnserver (coturn.service, or the init
# script where there is no systemd); the tests and the demo start their own.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now coturn >/dev/null 2>&1 || true
elif [ -x /etc/init.d/coturn ] && /etc/init.d/coturn status >/dev/null 2>&1; then
	/etc/init.d/coturn stop >/dev/null 2>&1 || true
fi
echo "setup: all packages present" >&2
