#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_relay_symmetric.sh
#
# The TURN relay of last resort (issue 10): our alice and bob behind two
# symmetric NAT routers (masquerade random-fully), where no direct pair can work
# (test_medcli_symmetric.sh), mediated by our medsrv run with --turn; coturn on
# the "internet" (198.51.100.40:3478, lab_turn_start).
#   1. both register and allocate their relayed candidate on coturn;
#   2. `medcli up bob` on alice succeeds; pings pass alice -> bob and bob -> alice
#      through the tunnel; the time from `up` to the first ping reply is printed;
#   3. a capture on the "internet" shows ESP only between the NAT routers and the
#      relay, in both directions for each router, none directly between the two
#      NAT routers and none via the mediation server;
#   4. `medcli status --json` says path "relayed" on both sides, with the relayed
#      address that carries it (on the relay) and why there is no direct path;
#      the text status shows "path relayed via ..." and "direct path: ...".
# Needs root, coturn and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip,
# else fail. About 20 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 turnserver
lab_init
lab_topology symmetric

# 1. relayed candidates
lab_med_setup_turn
lab_log "relayed candidates: alice $(lab_med_field alice turn.relayed), bob $(lab_med_field bob turn.relayed)"

# 2. up, pings both ways
lab_capture_start main udp
lab_med_up_and_ping "two symmetric NATs with a relay"
lab_capture_stop main

# 3. the capture: via the relay only
lab_assert_relayed_esp main

# 4. status on both sides
for h in alice bob; do
	lab_med_path_is "$h" relayed || lab_fail "$h: state $(lab_med_field "$h" connections.0.state), path '$(lab_med_field "$h" connections.0.path)'"
	relay=$(lab_med_field "$h" connections.0.relay)
	case "$relay" in "$LAB_TURN_IP":*) ;; *) lab_fail "$h: the relayed path's relay is '$relay', not an address on $LAB_TURN_IP" ;; esac
	derr=$(lab_med_field "$h" connections.0.direct_error)
	[ -n "$derr" ] || lab_fail "$h: a relayed path without direct_error"
	lab_log "$h: path relayed via $relay, pair $(lab_med_field "$h" connections.0.pair); direct_error: $derr"
done
lab_in alice "$MEDCLI" status --dir "$A" >"$LAB_DIR/status-alice.txt"
grep -q "path relayed via $LAB_TURN_IP:" "$LAB_DIR/status-alice.txt" || lab_fail "text status: $(cat "$LAB_DIR/status-alice.txt")"
grep -q "direct path: " "$LAB_DIR/status-alice.txt" || lab_fail "text status has no 'direct path:' line: $(cat "$LAB_DIR/status-alice.txt")"
lab_log "alice's status:"
sed 's/^/    /' "$LAB_DIR/status-alice.txt" >&2

echo "medcli relay (two symmetric NATs): up returned after $LAB_T_UP ms, first ping reply $LAB_T_PING ms after up"
echo "PASS: two symmetric NATs: the tunnel comes up through the TURN relay, ESP only via the relay"
exit 0
