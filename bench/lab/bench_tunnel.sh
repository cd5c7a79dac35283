#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/lab/bench_tunnel.sh - side by side, in the same lab and run: strongSwan
# 5.9 (charon with kernel-libipsec on alice and bob, charon as the mediation
# server) and ours (medcli on alice and bob, medsrv), two cone NAT routers
# (test/lab/lab.sh). Measures:
#   1. time from `swanctl --initiate` / `medcli up` to the first ping reply through
#      the direct tunnel (RUNS times each, min / median / max; between runs the
#      tunnel is taken down and set up again, registrations stay);
#   2. iperf3 TCP throughput through the tunnel (SECONDS s, alice -> bob).
# Prints one table. Usage (root): BUILD_DIR=build bash bench/lab/bench_tunnel.sh [RUNS] [SECONDS]
# Build Release first for figures worth recording (docs/BENCHMARKS.md).
set -u
RUNS=${1:-5}
SECS=${2:-5}
. "$(dirname "$0")/../../test/lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 iperf3
lab_require_strongswan

stats() { # prints min median max of the numbers on stdin
	sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "- - -"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; print a[1], m, a[NR]}'
}

iperf() { # iperf() HOST: TCP alice -> bob through the tunnel, prints Mbit/s
	lab_bg bob iperf3-server iperf3 -s -1 -B "$LAB_BOB_TUN"
	local pid=$LAB_LAST_PID
	sleep 0.5
	lab_in alice iperf3 -c "$LAB_BOB_TUN" -B "$LAB_ALICE_TUN" -t "$SECS" -J >"$LAB_DIR/iperf-$1.json" 2>&1
	wait "$pid" 2>/dev/null
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' \
		"$LAB_DIR/iperf-$1.json" 2>/dev/null || echo "-"
}

# ---- strongSwan ----------------------------------------------------------------
run_strongswan() {
	lab_init
	lab_topology cone
	local t0 t1 i
	lab_sw_med_setup
	for i in $(seq "$RUNS"); do
		t0=$(lab_now_ms)
		lab_bg alice "initiate-$i" "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri alice)" --child peer --timeout 20
		lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 20 "$LAB_BOB_TUN" >/dev/null 2>&1 || lab_fail "strongSwan: no ping"
		t1=$(lab_now_ms)
		echo $((t1 - t0)) >>"$LAB_DIR/sw-connect.txt"
		if [ "$i" -lt "$RUNS" ]; then
			lab_swanctl alice --terminate --ike peer --timeout 5 >/dev/null 2>&1
			sleep 1
		fi
	done
	stats <"$LAB_DIR/sw-connect.txt" >"$OUT/sw-connect"
	iperf sw >"$OUT/sw-iperf"
}

# ---- ours ------------------------------------------------------------------------
run_ours() {
	lab_init
	lab_topology cone
	lab_med_setup
	local i t0 t1
	for i in $(seq "$RUNS"); do
		t0=$(lab_now_ms)
		lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob >/dev/null 2>&1 || lab_fail "medcli up failed"
		lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 20 "$LAB_BOB_TUN" >/dev/null 2>&1 || lab_fail "ours: no ping"
		t1=$(lab_now_ms)
		echo $((t1 - t0)) >>"$LAB_DIR/our-connect.txt"
		if [ "$i" -lt "$RUNS" ]; then
			lab_in alice "$MEDCLI" down --dir "$LAB_DIR/alice" bob >/dev/null 2>&1
			sleep 1
		fi
	done
	stats <"$LAB_DIR/our-connect.txt" >"$OUT/our-connect"
	iperf ours >"$OUT/our-iperf"
}

OUT=$(mktemp -d /tmp/bench-tunnel.XXXXXX)
(LAB_PREFIX=bsw$$; run_strongswan) || echo "strongSwan run failed" >&2
(LAB_PREFIX=bmc$$; run_ours) || echo "our run failed" >&2
SW_CONNECT=$(cat "$OUT/sw-connect" 2>/dev/null || echo "- - -")
SW_IPERF=$(cat "$OUT/sw-iperf" 2>/dev/null || echo "-")
OUR_CONNECT=$(cat "$OUT/our-connect" 2>/dev/null || echo "- - -")
OUR_IPERF=$(cat "$OUT/our-iperf" 2>/dev/null || echo "-")
rm -rf "$OUT"
printf '\n%-34s %-28s %-28s\n' "two cone NATs, $(date -u +%F)" "strongSwan 5.9.8" "ours (medcli + medsrv)"
printf '%-34s %-28s %-28s\n' "initiate/up -> first ping, ms" "$(echo "$SW_CONNECT" | awk '{printf "%s / %s / %s", $1, $2, $3}')" \
	"$(echo "$OUR_CONNECT" | awk '{printf "%s / %s / %s", $1, $2, $3}')"
printf '%-34s %-28s %-28s\n' "  (min / median / max, $RUNS runs)" "" ""
printf '%-34s %-28s %-28s\n' "iperf3 TCP alice->bob, Mbit/s" "$SW_IPERF (kernel-libipsec)" "$OUR_IPERF (TUN + userspace ESP)"
