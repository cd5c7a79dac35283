#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_relay_cone.sh
#
# TURN relay (issue 10): the relay is the last resort, never the first choice.
# Our alice and bob behind two cone NATs, our medsrv with --turn, coturn on the
# "internet" (lab_turn_start); both hold a relayed candidate, yet:
#   1. `medcli up bob` on alice comes up on the direct path (status "direct" on
#      both sides, no relay in use); the time from `up` to the first ping reply is
#      printed (compare test_medcli_pair.sh: the relayed candidate must not slow
#      the direct case down);
#   2. the capture shows ESP directly between the two NAT routers in both
#      directions and no ESP to or from the relay (its STUN/TURN traffic on port
#      3478, allocations and refreshes, is fine).
# Needs root, coturn and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip,
# else fail. About 15 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 turnserver
lab_init
lab_topology cone
lab_med_setup_turn

lab_capture_start main udp
lab_med_up_and_ping "two cone NATs"
lab_capture_stop main

for h in alice bob; do
	lab_med_path_is "$h" direct || lab_fail "$h: state $(lab_med_field "$h" connections.0.state), path '$(lab_med_field "$h" connections.0.path)' (want direct)"
	[ -z "$(lab_med_field "$h" connections.0.relay)" ] || lab_fail "$h: a direct path with relay $(lab_med_field "$h" connections.0.relay)"
done
lab_log "path direct, pair $(lab_med_field alice connections.0.pair)"
lab_assert_direct_esp main
lab_assert_no_relay_esp main
lab_med_turn_allocated alice || lab_fail "alice's allocation is $(lab_med_field alice turn.state) (the relay was not available)"
echo "medcli relay available, two cone NATs: path direct; up returned after $LAB_T_UP ms, first ping reply $LAB_T_PING ms after up"
echo "PASS: two cone NATs with a relay: the tunnel takes the direct path, no ESP via the relay"
exit 0
