#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medsrv_peer_add_live.sh
#
# A peer added with `medsrv peer add` while medsrv runs can register at once, on
# whichever worker its IKE_SA lands, also when that worker has read the database
# before. Each of 6 rounds: medsrv starts (2 workers, one SQLite connection each,
# plus the main one), alice (known before the start) registers, bob's key is
# added by the CLI, bob starts and must register within 5 s; then bob is stopped
# and deleted again, medsrv stopped.
# The bug this guards against: db_open read the file header with open()/close()
# of its own, and closing any descriptor of a file drops every POSIX lock the
# process holds on it; opening the workers' connections thus dropped the locks
# of the connections opened before, the CLI's close could then checkpoint and
# reset the WAL under them, and a worker went on reading stale pages ("KEY_ID ...
# is not registered in the database"): 3 of 10 such rounds failed in a network
# namespace, 9 of 10 without one (docs/db.md).
# Needs root and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip, else fail.
# About 25 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_init
lab_topology cone
lab_med_config
"$MEDSRV" peer del --dir "$SRV" --alias bob >/dev/null || lab_fail "medsrv peer del bob"

for round in 1 2 3 4 5 6; do
	lab_bg srv "medsrv-$round" "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --workers 2 --log-level debug
	SRV_PID=$LAB_LAST_PID
	lab_wait 10 lab_in srv "$MEDSRV" status --dir "$SRV" --json >/dev/null || lab_fail "$round: medsrv does not answer"
	lab_bg alice "medcli-alice-$round" "$MEDCLI" run --dir "$A" --log-level debug
	ALICE_PID=$LAB_LAST_PID
	lab_wait 10 lab_med_registered alice || lab_fail "$round: alice did not register"
	"$MEDSRV" peer add --dir "$SRV" --alias bob --pubkey "$B/medcli.pub" >/dev/null || lab_fail "$round: peer add bob"
	lab_bg bob "medcli-bob-$round" "$MEDCLI" run --dir "$B" --log-level debug
	BOB_PID=$LAB_LAST_PID
	lab_wait 5 lab_med_registered bob ||
		lab_fail "$round: bob, added while medsrv ran, did not register: $(grep -h 'refused\|not registered' "$LAB_DIR/medsrv-$round.log" | head -2)"
	lab_stop_pid "$BOB_PID"
	lab_stop_pid "$ALICE_PID"
	lab_stop_pid "$SRV_PID"
	"$MEDSRV" peer del --dir "$SRV" --alias bob >/dev/null || lab_fail "$round: peer del bob"
	lab_log "round $round: bob registered after being added live"
done
echo "PASS: 6 rounds: a peer added while medsrv runs registers at once"
exit 0
