#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_relay_upgrade.sh
#
# TURN relay (issue 10): a relayed tunnel moves to the direct path once one
# works, make-before-break, and survives the relay's death. Our alice and bob
# behind two cone NATs, our medsrv with --turn, coturn on the "internet"
# (lab_turn_start); a firewall rule on NAT B blocks everything between the two NAT
# routers' public addresses (lab_block_direct_b) before `up`:
#   1. `medcli up bob` on alice comes up relayed (status "relayed" on both sides;
#      the capture shows ESP only via the relay); time to the first ping printed;
#   2. with alice pinging bob every 0.1 s, the block is removed: within 90 s both
#      sides say path "direct" and count the upgrade (upgrades >= 1), a capture
#      taken after the move shows direct ESP between the NAT routers and none via
#      the relay, and the ping stream never went more than 2 s without a reply
#      (the move is make-before-break); time to the move and the longest gap printed;
#   3. the relay dies while the direct path comes back: relayed again (`down`, the
#      block, `up`), then coturn is stopped and the block removed at the same
#      moment: alice's status shows the lost allocation (turn state no longer
#      "allocated", or an error) within 60 s, and the tunnel ends up direct with
#      pings passing within 60 s.
# Needs root, coturn and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip,
# else fail. About 40 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 turnserver
lab_init
lab_topology cone
lab_med_setup_turn

alice_pings() { lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -W 1 "$LAB_BOB_TUN" >/dev/null 2>&1; }
both_on() { lab_med_path_is alice "$1" && lab_med_path_is bob "$1"; }
up() {
	lab_in alice "$MEDCLI" up --dir "$A" --timeout 30 bob >"$LAB_DIR/up.log" 2>&1 ||
		lab_fail "$1: medcli up bob failed: $(cat "$LAB_DIR/up.log")"
}

# ---- 1. the direct path is blocked: relayed
lab_block_direct_b
t0=$(lab_now_ms)
up 1
lab_wait 10 alice_pings || lab_fail "1: no ping through the relayed tunnel"
t1=$(lab_now_ms)
lab_wait 5 both_on relayed || lab_fail "1: alice's path '$(lab_med_field alice connections.0.path)', bob's '$(lab_med_field bob connections.0.path)' (want relayed)"
lab_capture_start relayed udp
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 10 -w 5 "$LAB_BOB_TUN" >/dev/null 2>&1 || lab_fail "1: the relayed tunnel stopped carrying pings"
lab_capture_stop relayed
lab_assert_relayed_esp relayed "1: relayed"
T_UP=$((t1 - t0))
lab_log "1: up relayed (via $(lab_med_field alice connections.0.relay)), first ping $T_UP ms after up; direct_error: $(lab_med_field alice connections.0.direct_error)"

# ---- 2. the block goes: to direct, make-before-break
lab_ping_start alice
sleep 1
t0=$(lab_now_ms)
lab_unblock_direct_b
lab_wait 90 both_on direct || lab_fail "2: not direct 90 s after the block went: alice $(lab_med_field alice connections.0.state)/$(lab_med_field alice connections.0.path), bob $(lab_med_field bob connections.0.state)/$(lab_med_field bob connections.0.path)"
t1=$(lab_now_ms)
T_MOVE=$((t1 - t0))
for h in alice bob; do
	n=$(lab_med_field "$h" connections.0.upgrades)
	[ "${n:-0}" -ge 1 ] || lab_fail "2: $h is direct but counts ${n:-no} upgrades"
done
sleep 1
lab_capture_start direct udp
sleep 2
lab_capture_stop direct
GAP=$(lab_ping_max_gap alice "$t0")
lab_ping_stop alice
lab_assert_direct_esp direct "2: after the move"
lab_assert_no_relay_esp direct "2: after the move"
lab_log "2: direct $T_MOVE ms after the block went (pair $(lab_med_field alice connections.0.pair), upgrades alice $(lab_med_field alice connections.0.upgrades), bob $(lab_med_field bob connections.0.upgrades)); longest ping gap $GAP ms"
[ "$GAP" -ge 0 ] && [ "$GAP" -le 2000 ] || lab_fail "2: the ping stream went $GAP ms without a reply during the move (bound 2 s)"

# ---- 3. the relay dies while the direct path comes back
lab_in alice "$MEDCLI" down --dir "$A" bob >/dev/null || lab_fail "3: medcli down"
lab_wait 10 lab_med_state_is alice down || lab_fail "3: alice is $(lab_med_field alice connections.0.state) after down"
lab_block_direct_b
up 3
lab_wait 10 alice_pings || lab_fail "3: no ping through the relayed tunnel"
lab_wait 5 both_on relayed || lab_fail "3: alice's path '$(lab_med_field alice connections.0.path)', bob's '$(lab_med_field bob connections.0.path)' (want relayed)"
lab_log "3: relayed again via $(lab_med_field alice connections.0.relay)"
lab_ping_start alice
sleep 1
t0=$(lab_now_ms)
lab_turn_stop
lab_unblock_direct_b
# (an empty state is a status query that failed, not a lost allocation)
turn_failed() {
	local st
	st=$(lab_med_field alice turn.state)
	{ [ -n "$st" ] && [ "$st" != allocated ]; } || [ -n "$(lab_med_field alice turn.error)" ]
}
direct_pings() { both_on direct && alice_pings; }
# both watched at once, each time taken when first seen (60 s bound for each)
T_TURN=
T_BACK=
while [ -z "$T_TURN" ] || [ -z "$T_BACK" ]; do
	[ $(($(lab_now_ms) - t0)) -le 60000 ] || break
	if [ -z "$T_TURN" ] && turn_failed; then
		T_TURN=$(($(lab_now_ms) - t0))
		lab_log "3: alice's turn after $T_TURN ms: state $(lab_med_field alice turn.state), error: $(lab_med_field alice turn.error)"
	fi
	if [ -z "$T_BACK" ] && direct_pings; then
		T_BACK=$(($(lab_now_ms) - t0))
		lab_log "3: direct and pinging $T_BACK ms after the relay died and the block went (upgrades $(lab_med_field alice connections.0.upgrades))"
	fi
	sleep 0.2
done
[ -n "$T_TURN" ] || lab_fail "3: 60 s after the relay stopped alice's status still says: turn state $(lab_med_field alice turn.state), no error"
[ -n "$T_BACK" ] || lab_fail "3: not direct with pings 60 s after the relay died: alice $(lab_med_field alice connections.0.state)/$(lab_med_field alice connections.0.path), bob $(lab_med_field bob connections.0.state)/$(lab_med_field bob connections.0.path)"
alice_pings || lab_fail "3: the direct tunnel stopped carrying pings"
GAP3=$(lab_ping_max_gap alice "$t0")
lab_ping_stop alice
lab_log "3: longest ping gap from the relay's death on: $GAP3 ms"

echo "medcli relay upgrade: up relayed ${T_UP} ms; relayed -> direct ${T_MOVE} ms after the block went (longest ping gap ${GAP} ms); relay death: noticed ${T_TURN} ms, direct ${T_BACK} ms (longest ping gap ${GAP3} ms)"
echo "PASS: a relayed tunnel moves to the direct path make-before-break, and survives the relay's death"
exit 0
