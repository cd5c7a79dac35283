#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_turn_coturn.sh
#
# Our sans-IO TURN client (turn/, driven by test/interop/turncli.c on plain UDP
# sockets) against the real coturn (Debian package coturn, binary turnserver).
# Everything runs on the loopback of a network namespace of its own (turn<PID>),
# so nothing listens on the host and runs never collide. The test starts
# turnserver as a plain process (use-auth-secret + static-auth-secret, UDP only,
# no TLS/DTLS, relay ports 49152-49200, realm ikemed.test, its log in the test
# dir) and stops it by PID on exit, on failure and on interruption.
#   1. turncli computes the TURN REST API credential from the shared secret,
#      allocates (401, then with MESSAGE-INTEGRITY), creates a permission for its
#      own UDP echo peer (a second socket on 127.0.0.1), sends through the relay
#      as a Send indication and gets the echo back as a Data indication, binds a
#      channel and does the same with ChannelData, then releases the allocation.
#   2. the same with a wrong password: Allocate fails with a clear 401.
#   3. an allocation kept for TURN_HOLD_MS (7000) with ChannelData every second:
#      coturn grants 4 s (max-allocate-lifetime=4), so the client refreshes at half
#      life, and its nonces go stale after 2 s (stale-nonce=2), so at least one 438
#      is met and followed before the release succeeds.
#   4. neither the secret nor the username appears in turncli's output, and
#      coturn's log shows ALLOCATE, CREATE_PERMISSION, CHANNEL_BIND and REFRESH
#      processed with success.
# Prints the time of each step. Exit 0 pass, 77 skip (not root, no namespaces,
# turnserver missing), else fail. Runs in about 7 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lab/lab.sh" # lab_log, lab_fail, lab_skip only

BUILD_DIR=${BUILD_DIR:-$ROOT/build}
TURNCLI=$BUILD_DIR/bin/turncli
TURNSERVER=$(command -v turnserver || true)

[ -n "$TURNSERVER" ] || lab_skip "turnserver missing (apt-get install coturn)"
[ "$(id -u)" = 0 ] || lab_skip "needs root (a network namespace of its own)"
[ -x "$TURNCLI" ] || lab_fail "no $TURNCLI: build first (ninja -C $BUILD_DIR turncli)"

HOLD_MS=${TURN_HOLD_MS:-7000}
HOLD_LIFETIME=${TURN_HOLD_LIFETIME:-4}
NS=turn$$
DIR=$(mktemp -d "/tmp/turn$$.XXXXXX")
TS_PID=
NS_MADE=0

cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	if [ -n "$TS_PID" ] && kill -0 "$TS_PID" 2>/dev/null; then
		kill -TERM "$TS_PID" 2>/dev/null
		for i in $(seq 30); do
			kill -0 "$TS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TS_PID" 2>/dev/null
		wait "$TS_PID" 2>/dev/null
	fi
	[ "$NS_MADE" = 1 ] && ip netns del "$NS" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$DIR/turnserver.log" ]; then
		lab_log "last lines of the turnserver log:"
		tail -20 "$DIR/turnserver.log" >&2
	fi
	if [ "${TURN_KEEP:-0}" = 1 ]; then lab_log "kept $DIR"; else rm -rf "$DIR"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'lab_log "interrupted"; exit 130' INT
trap 'lab_log "terminated"; exit 143' TERM

ip netns add "$NS" 2>/dev/null || lab_skip "network namespaces not available"
NS_MADE=1
ip -n "$NS" link set lo up || lab_fail "loopback up in $NS"

SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
umask 077
printf '%s\n' "$SECRET" >"$DIR/secret"
cat >"$DIR/turnserver.conf" <<EOF
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port=3478
min-port=49152
max-port=49200
realm=ikemed.test
stale-nonce=2
max-allocate-lifetime=4
use-auth-secret
static-auth-secret=$SECRET
fingerprint
no-tls
no-dtls
no-tcp
no-tcp-relay
allow-loopback-peers
no-cli
no-rfc5780
no-stun-backward-compatibility
userdb=$DIR/turndb
pidfile=$DIR/turnserver.pid
log-file=$DIR/turnserver.log
simple-log
no-stdout-log
verbose
EOF

ms() { echo $(($(date +%s%N) / 1000000)); }

t0=$(ms)
ip netns exec "$NS" "$TURNSERVER" -c "$DIR/turnserver.conf" >"$DIR/turnserver.out" 2>&1 &
TS_PID=$!
ready=0
for _ in $(seq 100); do
	kill -0 "$TS_PID" 2>/dev/null || { cat "$DIR/turnserver.out" >&2; lab_fail "turnserver exited at start"; }
	if ip netns exec "$NS" ss -Huln 2>/dev/null | grep -q '127.0.0.1:3478'; then
		ready=1
		break
	fi
	sleep 0.05
done
[ "$ready" = 1 ] || lab_fail "turnserver did not listen on 127.0.0.1:3478 within 5 s"
lab_log "turnserver $("$TURNSERVER" --version 2>/dev/null | head -1) (pid $TS_PID) listening after $(($(ms) - t0)) ms"

# 1. allocate, permission, Send indication echo, channel, ChannelData echo, release
t1=$(ms)
ip netns exec "$NS" "$TURNCLI" --server 127.0.0.1:3478 --secret "$DIR/secret" --name alice \
	--timeout-ms 10000 >"$DIR/turncli.out" 2>&1
rc=$?
cat "$DIR/turncli.out"
[ "$rc" = 0 ] || lab_fail "turncli (rc $rc): relay round trip failed"
grep -q 'echo: .* in a Data indication' "$DIR/turncli.out" || lab_fail "no echo as a Data indication"
grep -q 'echo: .* over ChannelData' "$DIR/turncli.out" || lab_fail "no echo over ChannelData"
grep -q 'released$' "$DIR/turncli.out" || lab_fail "the allocation was not released"
lab_log "relay round trip passed in $(($(ms) - t1)) ms (Send indication and ChannelData)"

# 2. a wrong password: a clear 401 failure
t2=$(ms)
ip netns exec "$NS" "$TURNCLI" --server 127.0.0.1:3478 --secret "$DIR/secret" --name mallory \
	--wrong-password --timeout-ms 10000 >"$DIR/turncli-wrong.out" 2>&1
rc=$?
cat "$DIR/turncli-wrong.out"
[ "$rc" = 0 ] || lab_fail "turncli --wrong-password (rc $rc): expected a 401 failure"
lab_log "wrong password refused with 401 in $(($(ms) - t2)) ms"

# 3. the allocation kept past its lifetime: Refresh (asking for a short lifetime) and
#    438 Stale Nonce (coturn's nonces last 2 s here) against the real server
t3=$(ms)
ip netns exec "$NS" "$TURNCLI" --server 127.0.0.1:3478 --secret "$DIR/secret" --name bob \
	--lifetime "$HOLD_LIFETIME" --hold-ms "$HOLD_MS" --timeout-ms 10000 >"$DIR/turncli-hold.out" 2>&1
rc=$?
cat "$DIR/turncli-hold.out"
[ "$rc" = 0 ] || lab_fail "turncli --hold-ms (rc $rc): the allocation was not kept"
refreshes=$(grep -c 'refreshed, lifetime' "$DIR/turncli-hold.out")
stale=$(sed -n 's/.*stale nonces \([0-9]*\).*/\1/p' "$DIR/turncli-hold.out")
[ "$refreshes" -ge 1 ] || lab_fail "no Refresh succeeded while holding the allocation"
[ "${stale:-0}" -ge 1 ] || lab_fail "no 438 Stale Nonce was met and followed"
lab_log "allocation held $HOLD_MS ms: $refreshes refreshes, $stale stale nonces followed ($(($(ms) - t3)) ms)"

# 4. no credentials in our output
if grep -qF "$SECRET" "$DIR/turncli.out" "$DIR/turncli-wrong.out" "$DIR/turncli-hold.out"; then
	lab_fail "the shared secret appears in turncli's output"
fi
if grep -qE '[0-9]{9,}:(alice|mallory)' "$DIR/turncli.out" "$DIR/turncli-wrong.out" "$DIR/turncli-hold.out"; then
	lab_fail "a REST API username appears in turncli's output"
fi

# coturn's own account (verbose log): each request processed with success.
for what in ALLOCATE CREATE_PERMISSION CHANNEL_BIND REFRESH; do
	grep -q "incoming packet $what processed, success" "$DIR/turnserver.log" ||
		lab_fail "the turnserver log shows no successful $what"
done
lab_log "PASS: coturn interop in $(($(ms) - t0)) ms in all"
exit 0
