#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_start.sh
#
# Start actions and the user's word across restarts (issue 9). Our alice and bob
# behind two cone NATs, our medsrv; alice's peer bob is `--start on-demand`.
#   1. nothing runs until alice sends traffic to bob's side; a ping brings the
#      tunnel up (time from the first packet to the first reply printed);
#   2. alice's medcli is killed (-9) and started again: on-demand again (the
#      route into the tunnel device is back, traffic brings the tunnel up);
#   3. `medcli down bob` on alice: traffic no longer brings it up, and that stays
#      so across a restart of alice's medcli (the down is kept in medcli.db);
#   4. `medcli up bob`, then alice's medcli is killed (-9) and started again: the
#      tunnel comes back by itself (the up is kept).
# Needs root and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip, else fail.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_init
lab_topology cone
LAB_PEER_ARGS_alice="--start on-demand"
lab_med_setup

pings() { lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -W 1 "$LAB_BOB_TUN" >/dev/null 2>&1; }
state() { lab_med_field alice connections.0.state; }
restart_alice() { # SIGNAL
	kill "-$1" "$LAB_MEDCLI_PID_alice"
	wait "$LAB_MEDCLI_PID_alice" 2>/dev/null
	lab_bg alice "medcli-alice-$RANDOM" "$MEDCLI" run --dir "$LAB_DIR/alice" --log-level debug
	LAB_MEDCLI_PID_alice=$LAB_LAST_PID
	lab_wait 15 lab_med_registered alice || lab_fail "alice did not register after her restart"
}
on_demand_up() { # STEP
	local t0 t1
	[ "$(lab_med_field alice connections.0.start)" = on-demand ] || lab_fail "$1: start is $(lab_med_field alice connections.0.start)"
	[ "$(state)" = down ] || lab_fail "$1: alice is $(state) before any traffic"
	[ "$(lab_med_field alice connections.0.wanted)" = false ] || lab_fail "$1: wanted before any traffic"
	t0=$(lab_now_ms)
	lab_wait 10 pings || lab_fail "$1: traffic did not bring the tunnel up: $(grep -v DEBUG "$LAB_DIR"/medcli-alice*.log | tail -4)"
	t1=$(lab_now_ms)
	[ "$(state)" = up ] || lab_fail "$1: pings pass but alice is $(state)"
	lab_log "$1: on-demand: first reply $((t1 - t0)) ms after the first packet"
}

# ---- 1. on-demand
sleep 2
[ "$(state)" = down ] || lab_fail "1: alice is $(state) without traffic"
on_demand_up 1

# ---- 2. after a crash, on-demand again
restart_alice KILL
on_demand_up 2

# ---- 3. down: traffic does not bring it back, not even after a restart
lab_in alice "$MEDCLI" down --dir "$LAB_DIR/alice" bob >/dev/null || lab_fail "3: medcli down"
sleep 1
! pings || lab_fail "3: a ping passed after down"
sleep 2
[ "$(state)" = down ] || lab_fail "3: alice is $(state) after down and traffic"
restart_alice TERM
grep -q "kept from before: the user wants it down" "$LAB_DIR"/medcli-alice-*.log || lab_fail "3: the down was not kept"
! pings || lab_fail "3: a ping passed after the restart"
sleep 2
[ "$(state)" = down ] || lab_fail "3: alice is $(state) after the restart"
lab_log "3: down stays down across traffic and a restart"

# ---- 4. up is kept too: after a crash the tunnel comes back by itself
lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob >"$LAB_DIR/up.log" 2>&1 || lab_fail "4: medcli up: $(cat "$LAB_DIR/up.log")"
lab_wait 5 pings || lab_fail "4: no ping after up"
t0=$(lab_now_ms)
restart_alice KILL
up_again() { [ "$(state)" = up ]; }
lab_wait 15 up_again || lab_fail "4: alice's tunnel did not come back after her restart: $(state)"
lab_wait 5 pings || lab_fail "4: no ping after the restart"
lab_log "4: up kept across a crash: pinging again $(($(lab_now_ms) - t0)) ms after the kill"
[ "$(lab_med_field alice connections.0.wanted)" = true ] || lab_fail "4: alice no longer wants it"
grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$LAB_DIR"/medcli-*.log "$LAB_DIR"/medsrv.log &&
	lab_fail "sanitizer report in a daemon's log"
echo "PASS: on-demand brings the tunnel up; the user's up and down survive restarts"
exit 0
