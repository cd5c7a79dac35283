#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medsrv_strongswan.sh
#
# Our medsrv as the mediation server (198.51.100.10) for strongSwan clients:
# alice behind NAT A and bob behind NAT B (Debian charon with kernel-libipsec,
# cone NATs, see test/lab/lab.sh), plus mallory on 198.51.100.30 (no NAT) whose
# key is not in medsrv's database.
#   1. `medsrv init` / `medsrv peer add` (PEM, and DER while medsrv runs) print
#      the KEY_IDs pki computes;
#   2. alice and bob register; `medsrv status --json` shows both online at their
#      NAT routers' public addresses (port 4500);
#   3. mallory is refused (AUTHENTICATION_FAILED) and logged, the others stay;
#   4. alice's mediated connection to bob comes up, a ping 10.91.0.1 ->
#      10.92.0.1 passes, and the bridge capture shows ESP-in-UDP directly
#      between 198.51.100.21 and 198.51.100.22 and none via medsrv;
#   5. medsrv exits cleanly on SIGTERM (no sanitizer report with an ASan build).
# Needs root, strongSwan and $BUILD_DIR/bin/medsrv. Exit 0 pass, 77 skip, else
# fail. About 15 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv
lab_require_strongswan
command -v python3 >/dev/null || lab_skip "missing python3"
MAL_IP=198.51.100.30
lab_init
lab_topology cone
lab_internet_host mal "$MAL_IP" # mallory, without NAT

lab_medsrv_setup
MAL_ID=$(lab_keygen mallory)
lab_log "KEY_IDs: srv $SRV_ID alice $ALICE_ID bob $BOB_ID (added later) mallory $MAL_ID (never added)"

# --- strongSwan clients ------------------------------------------------------
lab_swanctl_medcli alice alice "$ALICE_ID" "$LAB_SRV_IP" srv "$SRV_ID" bob "$BOB_ID" \
	"$LAB_ALICE_TUN/32" "$LAB_BOB_TUN/32"
lab_swanctl_medcli bob bob "$BOB_ID" "$LAB_SRV_IP" srv "$SRV_ID" alice "$ALICE_ID" \
	"$LAB_BOB_TUN/32" "$LAB_ALICE_TUN/32"
lab_swanctl_medcli mal mallory "$MAL_ID" "$LAB_SRV_IP" srv "$SRV_ID" alice "$ALICE_ID" \
	10.93.0.1/32 "$LAB_ALICE_TUN/32"
for h in alice bob mal; do
	lab_charon_start "$h" client
	lab_swanctl_load "$h"
done

lab_capture_start main udp

for h in alice bob; do
	lab_swanctl "$h" --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-$h.log" 2>&1 ||
		lab_fail "$h could not register at medsrv"
done
lab_wait 5 online "$ALICE_ID" || lab_fail "medsrv status does not show alice online"
lab_wait 5 online "$BOB_ID" || lab_fail "medsrv status does not show bob online"
ep_a=$(peer_field "$ALICE_ID" endpoint)
ep_b=$(peer_field "$BOB_ID" endpoint)
[ "$ep_a" = "$LAB_NATA_IP:4500" ] || lab_fail "alice's endpoint is '$ep_a', not $LAB_NATA_IP:4500"
[ "$ep_b" = "$LAB_NATB_IP:4500" ] || lab_fail "bob's endpoint is '$ep_b', not $LAB_NATB_IP:4500"
[ -n "$(peer_field "$ALICE_ID" since)" ] || lab_fail "no 'since' for alice"
[ "$(peer_field "$ALICE_ID" alias)" = alice ] || lab_fail "alias of alice"
lab_log "registered: alice at $ep_a, bob at $ep_b"
# strongSwan asks for its server-reflexive endpoint with an ME_ENDPOINT of family 0
# followed by a zero port (8 bytes); the answer is what makes mediation work.
if grep -q "malformed ME_ENDPOINT request ignored" "$LAB_DIR/medsrv.log"; then
	lab_fail "the engine refused strongSwan's ME_ENDPOINT request (family 0 + 2-byte zero port, see endpoint_notify.c); no server-reflexive endpoint was sent (ike/src/wire_me.c: ike_me_endpoint_decode)"
fi

# --- an unregistered key is refused, the others stay ------------------------
if lab_swanctl mal --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-mal.log" 2>&1; then
	lab_fail "mallory (key not in the database) registered"
fi
grep -q "AUTHENTICATION_FAILED" "$(lab_sw_dir mal)/charon.log" ||
	lab_fail "mallory's charon did not get AUTHENTICATION_FAILED"
short=${MAL_ID:0:8}
grep -q "WARN  me .*\[\(w[0-9]* \)\?$short\] refused $MAL_IP:[0-9]*: KEY_ID $MAL_ID is not registered" "$LAB_DIR/medsrv.log" ||
	lab_fail "medsrv did not log mallory's refusal"
online "$ALICE_ID" && online "$BOB_ID" || lab_fail "alice or bob went offline after mallory's attempt"
lab_log "mallory refused: $(grep "refused $MAL_IP" "$LAB_DIR/medsrv.log" | head -1)"

# --- the mediated connection --------------------------------------------------
t0=$(lab_now_ms)
lab_bg alice initiate-peer "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri alice)" --child peer --timeout 20
lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.02 -c 1 -w 20 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "no ping reply through the mediated tunnel within 20 s"
t1=$(lab_now_ms)
lab_wait 10 lab_sw_has_sas bob 2 || lab_fail "bob does not list the direct IKE_SA"
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 5 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "the tunnel stopped carrying pings"
lab_capture_stop main

grep -q "ME_CONNECT to $BOB_ID .*relaying" "$LAB_DIR/medsrv.log" || lab_fail "medsrv did not log the relay to bob"
grep -q "ME_CONNECT response to $ALICE_ID .*relaying" "$LAB_DIR/medsrv.log" ||
	lab_fail "medsrv did not log bob's response relayed to alice"
counters=$(status_json | python3 -c 'import json,sys; st=json.load(sys.stdin); print(st["server"]["workers"], " ".join("%s=%s" % kv for kv in st["counters"].items()))')
lab_log "medsrv workers and counters: $counters"
relayed=$(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["mediations_relayed"])')
[ "$relayed" -ge 2 ] || lab_fail "counters show $relayed mediations relayed"

ike_srv=$(lab_capture_count main "udp and host $LAB_SRV_IP")
lab_log "medsrv saw $ike_srv IKE datagrams"
lab_assert_direct_esp main
online "$ALICE_ID" && online "$BOB_ID" || lab_fail "a registration was lost during the mediation"

# --- clean stop ------------------------------------------------------------------
kill -TERM "$MEDSRV_PID"
for _ in $(seq 50); do kill -0 "$MEDSRV_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$MEDSRV_PID" 2>/dev/null && lab_fail "medsrv did not exit within 5 s of SIGTERM"
wait "$MEDSRV_PID"
rc=$?
[ "$rc" = 0 ] || lab_fail "medsrv exited with $rc"
grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$LAB_DIR/medsrv.log" &&
	lab_fail "sanitizer report in medsrv's log"
grep -q "INFO  main stopped" "$LAB_DIR/medsrv.log" || lab_fail "medsrv did not log its clean stop"
echo "medsrv + strongSwan clients (cone NATs): initiate -> first ping reply $((t1 - t0)) ms"
echo "PASS: strongSwan alice and bob mediated by our medsrv, direct ESP-in-UDP between $LAB_NATA_IP and $LAB_NATB_IP"
exit 0
