#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_offline.sh
#
# Asking for a peer that is not online, and ME_CALLBACK with our own clients:
#   1. `medcli up nosuch` fails at once naming the problem;
#   2. bob's medcli stops (SIGTERM: it deletes its registration); `medcli up bob` on
#      alice fails within a second saying bob is not online and that alice waits for
#      him; her connection shows "waiting";
#   3. bob starts again and registers; medsrv calls alice back (ME_CALLBACK) and the
#      tunnel comes up without anybody typing anything; pings pass.
# Needs root and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip, else fail.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_init
lab_topology cone
lab_med_setup

if lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" nosuch >"$LAB_DIR/up0.log" 2>&1; then
	lab_fail "medcli up of an unknown peer succeeded"
fi
grep -q "no peer named nosuch" "$LAB_DIR/up0.log" || lab_fail "unclear message: $(cat "$LAB_DIR/up0.log")"

lab_stop_pid "$LAB_MEDCLI_PID_bob"
bob_offline() { # medsrv's status shows bob offline
	lab_in srv "$MEDSRV" status --dir "$LAB_DIR/srv" --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
sys.exit(0 if any(p["alias"] == "bob" and not p["online"] for p in st["peers"]) else 1)'
}
lab_wait 5 bob_offline || lab_fail "medsrv still shows bob online after his medcli stopped"
t0=$(lab_now_ms)
if lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob >"$LAB_DIR/up1.log" 2>&1; then
	lab_fail "medcli up succeeded while bob is offline"
fi
t1=$(lab_now_ms)
lab_log "up while bob is offline: $((t1 - t0)) ms: $(cat "$LAB_DIR/up1.log")"
grep -q "not online at the mediation server" "$LAB_DIR/up1.log" || lab_fail "the message does not say bob is offline"
[ $((t1 - t0)) -lt 2000 ] || lab_fail "the answer took $((t1 - t0)) ms"
lab_med_state_is alice waiting || lab_fail "alice's connection is $(lab_med_field alice connections.0.state)"

t0=$(lab_now_ms)
lab_bg bob medcli-bob-2 "$MEDCLI" run --dir "$LAB_DIR/bob" --log-level debug
lab_wait 20 lab_med_state_is alice up || lab_fail "alice was not called back: $(grep -i 'callback\|online' "$LAB_DIR/medcli-alice.log" | tail -3)"
t1=$(lab_now_ms)
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 3 -i 0.1 -w 5 "$LAB_BOB_TUN" >/dev/null 2>&1 || lab_fail "no ping after the callback"
grep -q "the peer came online: connecting" "$LAB_DIR/medcli-alice.log" || lab_fail "alice did not log the callback"
lab_log "tunnel up $((t1 - t0)) ms after bob was started again (callback)"
echo "PASS: offline peer reported at once, ME_CALLBACK brought the tunnel up when it came online"
exit 0
