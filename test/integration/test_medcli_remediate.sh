#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_remediate.sh
#
# The direct path dies and comes back by itself: our alice and bob (cone NATs, our
# medsrv, DPD every second) have a tunnel up; bob's medcli is killed (a crash or a
# reboot: no DELETE) and started again. bob re-registers, alice's DPD finds the
# direct IKE_SA dead, alice mediates again with nobody typing anything, and pings
# pass again through a new direct tunnel. Needs root and $BUILD_DIR/bin/{medsrv,medcli}.
# Exit 0 pass, 77 skip, else fail. About 30 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_init
lab_topology cone
LAB_MEDCLI_ARGS="--dpd 1" lab_med_setup

lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob >"$LAB_DIR/up.log" 2>&1 || lab_fail "medcli up: $(cat "$LAB_DIR/up.log")"
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 3 -w 5 "$LAB_BOB_TUN" >/dev/null 2>&1 || lab_fail "no ping before"

kill -KILL "$LAB_MEDCLI_PID_bob"
wait "$LAB_MEDCLI_PID_bob" 2>/dev/null
t0=$(lab_now_ms)
lab_log "bob's medcli killed; starting it again"
lab_bg bob medcli-bob-2 "$MEDCLI" run --dir "$LAB_DIR/bob" --log-level debug --dpd 1
lab_wait 15 lab_med_registered bob || lab_fail "bob did not register again"
lab_wait 60 lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -W 1 "$LAB_BOB_TUN" ||
	lab_fail "no ping within 60 s after bob's restart: $(grep -i 'down\|mediat' "$LAB_DIR/medcli-alice.log" | tail -5)"
t1=$(lab_now_ms)
lab_med_state_is alice up || lab_fail "alice's connection is $(lab_med_field alice connections.0.state)"
grep -q "the direct tunnel went down" "$LAB_DIR/medcli-alice.log" || lab_fail "alice did not log the lost tunnel"
[ "$(grep -c 'ME_CONNECT request sent' "$LAB_DIR/medcli-alice.log")" -ge 2 ] || lab_fail "alice did not mediate again"
lab_log "tunnel back $((t1 - t0)) ms after bob's restart"
echo "PASS: the tunnel came back by itself after the peer restarted ($((t1 - t0)) ms)"
exit 0
