#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/lab/bench_heal.sh - how a mediated tunnel heals, side by side in one run:
# strongSwan 5.9 (charon with kernel-libipsec on alice and bob, charon as the
# mediation server, configured to heal as well as it can: DPD every 10 s on both
# connections and the server, dpd_action and close_action restart, keyingtries 0)
# and ours (medcli, medsrv, default options). Two cone NAT routers
# (test/lab/lab.sh); a fresh lab for each fault; alice pings bob's tunnel address
# every 0.1 s throughout. Faults:
#   nat      NAT A "reboots" onto a new public port range mid-tunnel
#   server   the mediation server is killed (-9) and started again at once
#   peer     bob's daemon is killed (-9) and started again 10 s later (as a boot
#            would: strongSwan loads its config and registers; medcli just runs)
# Measured: from the fault (the restart, for peer) to the first ping reply again
# (BOUND s at most, else "never"), the longest gap between replies, and for
# server the time until both clients are registered again.
# Usage (root): BUILD_DIR=build-rel bash bench/lab/bench_heal.sh [BOUND]
set -u
BOUND=${1:-90}
. "$(dirname "$0")/../../test/lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 conntrack
lab_require_strongswan

pings() { lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -W 1 "$LAB_BOB_TUN" >/dev/null 2>&1; }

# back_after T0: ms from T0 to the first reply after it (polling), or "never"
back_after() {
	local t0=$1
	if lab_wait "$BOUND" pings; then
		echo $(($(lab_now_ms) - t0))
	else
		echo never
	fi
}

# ---- strongSwan ----------------------------------------------------------------
sw_setup() {
	LAB_SW_SRV_OPTS="dpd_delay = 10s"
	LAB_SW_CONN_OPTS="dpd_delay = 10s
		keyingtries = 0"
	LAB_SW_CHILD_OPTS="dpd_action = restart
				close_action = restart"
	lab_sw_med_setup
	lab_bg alice initiate "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri alice)" --child peer --timeout 20
	lab_wait 20 pings || lab_fail "strongSwan: no tunnel"
}
sw_registered() { [ "$(lab_sw_established srv medsrv)" -ge 2 ]; }
sw_fault() {
	local t0
	case $1 in
	server)
		kill -KILL "$LAB_CHARON_PID_srv"
		wait "$LAB_CHARON_PID_srv" 2>/dev/null
		rm -f "$(lab_sw_dir srv)/run/"*.pid
		t0=$(lab_now_ms)
		lab_charon_start srv server
		lab_swanctl_load srv
		;;
	peer)
		kill -KILL "$LAB_CHARON_PID_bob"
		wait "$LAB_CHARON_PID_bob" 2>/dev/null
		rm -f "$(lab_sw_dir bob)/run/"*.pid
		sleep 10
		t0=$(lab_now_ms)
		lab_charon_start bob client
		lab_swanctl_load bob
		lab_swanctl bob --initiate --ike medsrv --timeout 10 >/dev/null 2>&1
		;;
	esac
	T0=$t0
}

# ---- ours ------------------------------------------------------------------------
our_setup() {
	lab_med_setup
	lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob >/dev/null 2>&1 || lab_fail "ours: medcli up"
	lab_wait 5 pings || lab_fail "ours: no tunnel"
}
our_registered() { [ "$(lab_medsrv_online)" = 2 ]; }
our_fault() {
	local t0
	case $1 in
	server)
		kill -KILL "$LAB_MEDSRV_PID"
		wait "$LAB_MEDSRV_PID" 2>/dev/null
		t0=$(lab_now_ms)
		lab_bg srv medsrv-2 "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP"
		LAB_MEDSRV_PID=$LAB_LAST_PID
		;;
	peer)
		kill -KILL "$LAB_MEDCLI_PID_bob"
		wait "$LAB_MEDCLI_PID_bob" 2>/dev/null
		sleep 10
		t0=$(lab_now_ms)
		lab_bg bob medcli-bob-2 "$MEDCLI" run --dir "$LAB_DIR/bob"
		;;
	esac
	T0=$t0
}

# run_one WHO FAULT: one lab, one fault; writes "back gap reg" to $OUT/WHO-FAULT
run_one() {
	local who=$1 fault=$2 t0 back gap reg=-
	lab_init
	lab_topology cone
	"${who}_setup"
	lab_ping_start alice
	sleep 2
	if [ "$fault" = nat ]; then # the same for both
		T0=$(lab_now_ms)
		lab_nat_renumber nata 20000 29999
	else
		"${who}_fault" "$fault"
	fi
	t0=$T0
	back=$(back_after "$t0")
	if [ "$fault" = server ]; then
		if lab_wait "$BOUND" "${who}_registered"; then reg=$(($(lab_now_ms) - t0)); else reg=never; fi
		sleep 2
	fi
	gap=$(lab_ping_max_gap alice "$t0")
	lab_ping_stop alice
	echo "$back $gap $reg" >"$OUT/$who-$fault"
}

OUT=$(mktemp -d /tmp/bench-heal.XXXXXX)
n=0
for fault in nat server peer; do
	for who in sw our; do
		n=$((n + 1))
		(LAB_PREFIX=bh$$x$n; run_one "$who" "$fault") || echo "$who $fault: run failed" >&2
	done
done
cell() { # WHO FAULT FIELD(1 back, 2 gap, 3 registered)
	local v
	v=$(awk -v f="$3" '{print $f}' "$OUT/$1-$2" 2>/dev/null)
	case "$v" in "" | -) echo "-" ;; never) echo "never (> ${BOUND} s)" ;; *) echo "$v ms" ;; esac
}
printf '\n%-52s %-24s %-24s\n' "two cone NATs, $(date -u +%F), pings every 0.1 s" "strongSwan 5.9.8" "ours (medcli + medsrv)"
printf '%-52s %-24s %-24s\n' "NAT A port change: pings again after" "$(cell sw nat 1)" "$(cell our nat 1)"
printf '%-52s %-24s %-24s\n' "server kill -9 + restart: both registered after" "$(cell sw server 3)" "$(cell our server 3)"
printf '%-52s %-24s %-24s\n' "  longest ping gap meanwhile" "$(cell sw server 2)" "$(cell our server 2)"
printf '%-52s %-24s %-24s\n' "peer daemon gone 10 s: pings again after its restart" "$(cell sw peer 1)" "$(cell our peer 1)"
rm -rf "$OUT"
