#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_pair.sh
#
# Our alice and our bob (medcli) behind two cone NAT routers, mediated by our
# medsrv on 198.51.100.10 (test/lab/lab.sh topology):
#   1. medcli init/keygen/server set/peer add as a user would run them; the KEY_IDs
#      medcli keygen prints are what medsrv peer add prints for the same key;
#   2. both register: `medcli status --json` shows registered and the NAT router's
#      public address as endpoint;
#   3. `medcli up bob` on alice returns 0 once the tunnel is up; a ping
#      10.91.0.1 -> 10.92.0.1 passes; the time from `up` to the first ping reply
#      is printed;
#   4. a capture on the "internet" bridge shows ESP-in-UDP directly between the
#      two NAT routers' public addresses, none via medsrv;
#   5. status shows the connection up with traffic counters; `medcli down bob`
#      takes it down; both daemons stop cleanly on SIGTERM.
# Needs root and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip, else fail.
set -u
. "$(dirname "$0")/../lab/lab.sh"
BIN=${BUILD_DIR:-build}/bin
for b in medsrv medcli; do
	[ -x "$BIN/$b" ] || lab_skip "no $BIN/$b (set BUILD_DIR)"
done
MEDSRV=$(readlink -f "$BIN/medsrv")
MEDCLI=$(readlink -f "$BIN/medcli")
lab_require_root_and_tools python3
lab_init
lab_topology cone

SRV=$LAB_DIR/srv
A=$LAB_DIR/alice
B=$LAB_DIR/bob
SRV_ID=$("$MEDSRV" init --dir "$SRV") || lab_fail "medsrv init"
for h in alice bob; do
	d=$LAB_DIR/$h
	MEDCLI_PASSWORD="password of $h" "$MEDCLI" init --dir "$d" >/dev/null || lab_fail "medcli init $h"
	"$MEDCLI" keygen --dir "$d" >"$LAB_DIR/$h.keygen" || lab_fail "medcli keygen $h"
	[ "$(stat -c %a "$d/medcli.key")" = 600 ] || lab_fail "$h's medcli.key is not mode 0600"
	"$MEDCLI" server set --dir "$d" --address "$LAB_SRV_IP" --pubkey "$SRV/medsrv.pub" || lab_fail "server set $h"
done
ALICE_ID=$(tail -1 "$LAB_DIR/alice.keygen")
BOB_ID=$(tail -1 "$LAB_DIR/bob.keygen")
got=$("$MEDSRV" peer add --dir "$SRV" --alias alice --pubkey "$A/medcli.pub") || lab_fail "medsrv peer add alice"
[ "$got" = "$ALICE_ID" ] || lab_fail "medsrv says alice is $got, medcli keygen said $ALICE_ID"
got=$("$MEDSRV" peer add --dir "$SRV" --alias bob --pubkey "$B/medcli.pub") || lab_fail "medsrv peer add bob"
[ "$got" = "$BOB_ID" ] || lab_fail "medsrv says bob is $got, medcli keygen said $BOB_ID"
"$MEDCLI" peer add --dir "$A" --alias bob --pubkey "$B/medcli.pub" --local-ts "$LAB_ALICE_TUN/32" \
	--remote-ts "$LAB_BOB_TUN/32" >/dev/null || lab_fail "peer add on alice"
"$MEDCLI" peer add --dir "$B" --alias alice --pubkey "$A/medcli.pub" --local-ts "$LAB_BOB_TUN/32" \
	--remote-ts "$LAB_ALICE_TUN/32" >/dev/null || lab_fail "peer add on bob"
lab_log "KEY_IDs: srv $SRV_ID alice $ALICE_ID bob $BOB_ID"

lab_bg srv medsrv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level debug
SRV_PID=$LAB_LAST_PID
lab_bg alice medcli-alice "$MEDCLI" run --dir "$A" --log-level debug
A_PID=$LAB_LAST_PID
lab_bg bob medcli-bob "$MEDCLI" run --dir "$B" --log-level debug
B_PID=$LAB_LAST_PID

# field HOST JSON-PATH: a value from `medcli status --json` on HOST
field() {
	lab_in "$1" "$MEDCLI" status --dir "$LAB_DIR/$1" --json 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
    if v is None:
        break
print("true" if v is True else "false" if v is False else ("" if v is None else v))' "$2"
}
registered() { [ "$(field "$1" registered)" = true ]; }
lab_wait 15 registered alice || lab_fail "alice did not register: $(tail -5 "$LAB_DIR/medcli-alice.log")"
lab_wait 15 registered bob || lab_fail "bob did not register: $(tail -5 "$LAB_DIR/medcli-bob.log")"
lab_wait 5 test -n "$(field alice endpoint)" || lab_fail "alice learned no public endpoint"
[ "$(field alice endpoint)" = "$LAB_NATA_IP:4500" ] || lab_fail "alice's endpoint is $(field alice endpoint)"
[ "$(field bob endpoint)" = "$LAB_NATB_IP:4500" ] || lab_fail "bob's endpoint is $(field bob endpoint)"
lab_log "registered: alice at $(field alice endpoint), bob at $(field bob endpoint)"

lab_capture_start main udp
t0=$(lab_now_ms)
lab_in alice "$MEDCLI" up --dir "$A" bob >"$LAB_DIR/up.log" 2>&1 || lab_fail "medcli up bob failed: $(cat "$LAB_DIR/up.log")"
t1=$(lab_now_ms)
lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 5 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "no ping reply through the tunnel: $(cat "$LAB_DIR/ping.log")"
t2=$(lab_now_ms)
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 10 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "the tunnel stopped carrying pings"
lab_capture_stop main
lab_log "$(cat "$LAB_DIR/up.log")"

esp="udp port 4500 and udp[4:2] > 9 and udp[8:4] != 0"
direct=$(lab_capture_count main "$esp and src host $LAB_NATA_IP and dst host $LAB_NATB_IP")
back=$(lab_capture_count main "$esp and src host $LAB_NATB_IP and dst host $LAB_NATA_IP")
via_srv=$(lab_capture_count main "$esp and host $LAB_SRV_IP")
lab_log "ESP-in-UDP packets: A->B $direct, B->A $back, via medsrv $via_srv"
[ "$direct" -gt 0 ] && [ "$back" -gt 0 ] || lab_fail "no direct ESP-in-UDP between the NAT routers"
[ "$via_srv" -eq 0 ] || lab_fail "ESP went through medsrv"

[ "$(field alice connections.0.state)" = up ] || lab_fail "alice's status: $(field alice connections.0.state)"
[ "$(field bob connections.0.state)" = up ] || lab_fail "bob's status: $(field bob connections.0.state)"
[ "$(field alice connections.0.packets_out)" -ge 11 ] || lab_fail "alice counted $(field alice connections.0.packets_out) packets out"
[ "$(field bob connections.0.packets_in)" -ge 11 ] || lab_fail "bob counted $(field bob connections.0.packets_in) packets in"
lab_log "alice: $(lab_in alice "$MEDCLI" status --dir "$A" | tail -n +2)"

lab_in alice "$MEDCLI" down --dir "$A" bob || lab_fail "medcli down bob"
lab_wait 5 test "$(field alice connections.0.state)" = down || lab_fail "alice's connection is not down"
if lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -w 1 "$LAB_BOB_TUN" >/dev/null 2>&1; then
	lab_fail "ping still passes after medcli down"
fi

for pid in $A_PID $B_PID $SRV_PID; do
	kill -TERM "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && lab_fail "a daemon did not stop within 5 s of SIGTERM"
	wait "$pid" || lab_fail "a daemon exited with status $?"
done
grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$LAB_DIR"/medcli-*.log "$LAB_DIR/medsrv.log" &&
	lab_fail "sanitizer report in a daemon's log"
echo "medcli pair through medsrv (cone NATs): up returned after $((t1 - t0)) ms, first ping reply $((t2 - t0)) ms after up"
echo "PASS: our alice and bob mediated by our medsrv, direct ESP-in-UDP between $LAB_NATA_IP and $LAB_NATB_IP"
exit 0
