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
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_init
lab_topology cone

lab_med_setup
[ "$(lab_med_field alice endpoint)" = "$LAB_NATA_IP:4500" ] || lab_fail "alice's endpoint is $(lab_med_field alice endpoint)"
[ "$(lab_med_field bob endpoint)" = "$LAB_NATB_IP:4500" ] || lab_fail "bob's endpoint is $(lab_med_field bob endpoint)"

lab_capture_start main udp
lab_med_up_and_ping "cone NATs"
lab_capture_stop main

lab_assert_direct_esp main

[ "$(lab_med_field alice connections.0.state)" = up ] || lab_fail "alice's status: $(lab_med_field alice connections.0.state)"
[ "$(lab_med_field bob connections.0.state)" = up ] || lab_fail "bob's status: $(lab_med_field bob connections.0.state)"
[ "$(lab_med_field alice connections.0.packets_out)" -ge 11 ] || lab_fail "alice counted $(lab_med_field alice connections.0.packets_out) packets out"
[ "$(lab_med_field bob connections.0.packets_in)" -ge 11 ] || lab_fail "bob counted $(lab_med_field bob connections.0.packets_in) packets in"
lab_log "alice: $(lab_in alice "$MEDCLI" status --dir "$LAB_DIR/alice" | tail -n +2)"

lab_in alice "$MEDCLI" down --dir "$LAB_DIR/alice" bob || lab_fail "medcli down bob"
lab_wait 5 lab_med_state_is alice down || lab_fail "alice's connection is not down"
if lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -w 1 "$LAB_BOB_TUN" >/dev/null 2>&1; then
	lab_fail "ping still passes after medcli down"
fi

for pid in $LAB_MEDCLI_PID_alice $LAB_MEDCLI_PID_bob $LAB_MEDSRV_PID; do
	kill -TERM "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && lab_fail "a daemon did not stop within 5 s of SIGTERM"
	wait "$pid" || lab_fail "a daemon exited with status $?"
done
grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$LAB_DIR"/medcli-*.log "$LAB_DIR/medsrv.log" &&
	lab_fail "sanitizer report in a daemon's log"
echo "medcli pair through medsrv (cone NATs): up returned after $LAB_T_UP ms, first ping reply $LAB_T_PING ms after up"
echo "PASS: our alice and bob mediated by our medsrv, direct ESP-in-UDP between $LAB_NATA_IP and $LAB_NATB_IP"
exit 0
