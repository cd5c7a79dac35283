#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medsrv_callback.sh
#
# ME_CALLBACK with strongSwan clients: our medsrv on 198.51.100.10, strongSwan
# alice behind NAT A and bob behind NAT B (cone NATs, see test/lab/lab.sh).
#   1. alice registers and asks for bob while bob is offline: medsrv answers
#      ME_CONNECT_FAILED and remembers alice's interest (strongSwan always sends
#      ME_CALLBACK); `medsrv status --json` lists the pending callback;
#   2. bob registers: medsrv calls alice back (ME_CONNECT with ME_CALLBACK), her
#      charon starts the mediation again, the tunnel comes up, a ping passes and
#      ESP-in-UDP flows directly between the NAT routers.
# Needs root, strongSwan and $BUILD_DIR/bin/medsrv. Exit 0 pass, 77 skip, else
# fail. About 10 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv
lab_require_strongswan
command -v python3 >/dev/null || lab_skip "missing python3"
lab_init
lab_topology cone
lab_medsrv_setup
lab_log "KEY_IDs: srv $SRV_ID alice $ALICE_ID bob $BOB_ID"

# --- strongSwan clients ------------------------------------------------------
lab_swanctl_medcli alice alice "$ALICE_ID" "$LAB_SRV_IP" srv "$SRV_ID" bob "$BOB_ID" \
	"$LAB_ALICE_TUN/32" "$LAB_BOB_TUN/32"
lab_swanctl_medcli bob bob "$BOB_ID" "$LAB_SRV_IP" srv "$SRV_ID" alice "$ALICE_ID" \
	"$LAB_BOB_TUN/32" "$LAB_ALICE_TUN/32"
for h in alice bob; do
	lab_charon_start "$h" client
	lab_swanctl_load "$h"
done
lab_capture_start main udp

lab_swanctl alice --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-alice.log" 2>&1 ||
	lab_fail "alice could not register at medsrv"
lab_wait 5 online "$ALICE_ID" || lab_fail "medsrv status does not show alice online"
online "$BOB_ID" && lab_fail "bob is online before he registered"
if grep -q "malformed ME_ENDPOINT request ignored" "$LAB_DIR/medsrv.log"; then
	lab_fail "the engine refused strongSwan's ME_ENDPOINT request (family 0 + 2-byte zero port); no server-reflexive endpoint was sent (ike/src/wire_me.c: ike_me_endpoint_decode)"
fi

# alice asks for bob, who is offline
lab_bg alice initiate-peer "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri alice)" --child peer --timeout 30
waiting() {
	status_json | python3 -c '
import json, sys
st = json.load(sys.stdin)
sys.exit(0 if any(c["requester"] == sys.argv[1] and c["target"] == sys.argv[2] for c in st["callbacks"]) else 1)
' "$ALICE_ID" "$BOB_ID"
}
lab_wait 10 waiting || lab_fail "medsrv does not list alice's callback for bob"
grep -q "ME_CONNECT to $BOB_ID: offline, ME_CONNECT_FAILED, callback remembered" "$LAB_DIR/medsrv.log" ||
	lab_fail "medsrv did not log the offline answer"
lab_log "alice waits for bob: $(grep "callback remembered" "$LAB_DIR/medsrv.log" | head -1)"

# bob comes online: alice is called back and mediates
t0=$(lab_now_ms)
lab_swanctl bob --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-bob.log" 2>&1 ||
	lab_fail "bob could not register at medsrv"
lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.05 -c 1 -w 25 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "no ping reply through the tunnel within 25 s of bob's registration"
t1=$(lab_now_ms)
grep -q "callback: ${BOB_ID:0:8} is online now" "$LAB_DIR/medsrv.log" || lab_fail "medsrv did not log the callback"
grep -q "received ME_CALLBACK" "$(lab_sw_dir alice)/charon.log" || lab_fail "alice's charon saw no ME_CALLBACK"
waiting && lab_fail "the callback is still pending after it fired"
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 5 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "the tunnel stopped carrying pings"
lab_capture_stop main
lab_assert_direct_esp main
cb=$(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["callbacks_fired"])')
[ "$cb" -ge 1 ] || lab_fail "counters show $cb callbacks fired"

kill -TERM "$MEDSRV_PID"
for _ in $(seq 50); do kill -0 "$MEDSRV_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$MEDSRV_PID" 2>/dev/null && lab_fail "medsrv did not exit within 5 s of SIGTERM"
wait "$MEDSRV_PID"
rc=$?
[ "$rc" = 0 ] || lab_fail "medsrv exited with $rc"
grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$LAB_DIR/medsrv.log" &&
	lab_fail "sanitizer report in medsrv's log"
echo "medsrv callback: bob registers -> first ping reply $((t1 - t0)) ms"
echo "PASS: alice called back by medsrv when bob came online, direct tunnel up"
exit 0
