#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/lab/bench_relay.sh - the TURN relay of last resort (issue 10), in one run
# (test/lab/lab.sh; coturn on the "internet" at 198.51.100.40, lab_turn_start):
#   1. two symmetric NAT routers (masquerade random-fully), where no direct pair
#      works: ours (medcli, medsrv --turn) from `medcli up bob` to the first ping
#      reply through the tunnel, ROUNDS times (`medcli down` between rounds,
#      registrations and allocations stay), min / median / max and the path;
#      strongSwan 5.9.8 (lab_sw_med_setup: charon with kernel-libipsec on alice
#      and bob, charon as the mediation server; it has no TURN client) trying the
#      same from `swanctl --initiate --child peer`, BOUND s at most;
#   2. iperf3 TCP throughput alice -> bob (SECONDS s) through our tunnel when it
#      is relayed (the symmetric lab above) and when it is direct (two cone NATs,
#      relay available), and without a tunnel as the physical reference: alice's
#      iperf3 to NAT B's public address, forwarded to bob by a DNAT rule on NAT B,
#      so the same routers, bridge and masquerade, no IPsec, no relay.
# Prints one table. Usage (root):
#   BUILD_DIR=build-rel bash bench/lab/bench_relay.sh [ROUNDS] [BOUND] [SECONDS]
# Build Release first for figures worth recording (docs/BENCHMARKS.md).
set -u
ROUNDS=${1:-5}
BOUND=${2:-40}
SECS=${3:-5}
. "$(dirname "$0")/../../test/lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 iperf3 turnserver
lab_require_strongswan

stats() { # prints min median max of the numbers on stdin
	sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "- - -"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; print a[1], m, a[NR]}'
}

# mbits FILE: the receiver's Mbit/s in an iperf3 -J report
mbits() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' \
		"$1" 2>/dev/null || echo "-"
}

# iperf_tunnel TAG: TCP alice -> bob through the tunnel, prints Mbit/s
iperf_tunnel() {
	lab_bg bob "iperf3-$1" iperf3 -s -1 -B "$LAB_BOB_TUN"
	local pid=$LAB_LAST_PID
	lab_wait 5 sh -c "ip netns exec $(lab_ns bob) ss -Hltn 'sport = :5201' | grep -q ." || true
	lab_in alice iperf3 -c "$LAB_BOB_TUN" -B "$LAB_ALICE_TUN" -t "$SECS" -J >"$LAB_DIR/iperf-$1.json" 2>&1
	wait "$pid" 2>/dev/null
	mbits "$LAB_DIR/iperf-$1.json"
}

# iperf_bare: TCP alice -> NAT B's public address port 5201, which NAT B forwards
# to bob (a DNAT rule, and its forward chain lets DNATed flows in); prints Mbit/s
iperf_bare() {
	lab_in natb nft -f - <<NFT || lab_fail "DNAT on NAT B"
table ip labdnat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" tcp dport 5201 dnat to $LAB_BOB_IP:5201
	}
}
NFT
	lab_in natb nft insert rule ip labnat forward ct status dnat accept || lab_fail "NAT B forward rule"
	lab_bg bob iperf3-bare iperf3 -s -1 -B "$LAB_BOB_IP"
	local pid=$LAB_LAST_PID
	lab_wait 5 sh -c "ip netns exec $(lab_ns bob) ss -Hltn 'sport = :5201' | grep -q ." || true
	lab_in alice iperf3 -c "$LAB_NATB_IP" -t "$SECS" -J >"$LAB_DIR/iperf-bare.json" 2>&1
	wait "$pid" 2>/dev/null
	mbits "$LAB_DIR/iperf-bare.json"
}


# ---- 1. ours, two symmetric NATs: connect time, then the relayed throughput
run_ours_symmetric() {
	local i t0 t1 path
	lab_init
	lab_topology symmetric
	lab_med_setup_turn
	for i in $(seq "$ROUNDS"); do
		t0=$(lab_now_ms)
		if lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" --timeout "$BOUND" bob >/dev/null 2>&1 &&
			lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w "$BOUND" "$LAB_BOB_TUN" >/dev/null 2>&1; then
			t1=$(lab_now_ms)
			echo $((t1 - t0)) >>"$LAB_DIR/our-connect.txt"
			path=$(lab_med_field alice connections.0.path)
			echo "$path" >>"$LAB_DIR/our-path.txt"
			lab_log "round $i: first ping $((t1 - t0)) ms after up, path $path"
		else
			lab_log "round $i: no tunnel within $BOUND s: $(lab_med_field alice connections.0.state)"
			echo never >>"$LAB_DIR/our-path.txt"
		fi
		if [ "$i" -lt "$ROUNDS" ]; then
			lab_in alice "$MEDCLI" down --dir "$LAB_DIR/alice" bob >/dev/null 2>&1
			lab_wait 10 lab_med_state_is bob down || lab_log "bob is still $(lab_med_field bob connections.0.state)"
			sleep 1
		fi
	done
	stats <"$LAB_DIR/our-connect.txt" >"$OUT/our-connect"
	sort "$LAB_DIR/our-path.txt" | uniq -c | awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1}' >"$OUT/our-path"
	if lab_med_path_is alice relayed; then
		iperf_tunnel relayed >"$OUT/iperf-relayed"
	else
		echo "- (path $(lab_med_field alice connections.0.path))" >"$OUT/iperf-relayed"
	fi
}

# ---- 1. strongSwan, two symmetric NATs
run_sw_symmetric() {
	local t0 t1
	lab_init
	lab_topology symmetric
	lab_sw_med_setup
	t0=$(lab_now_ms)
	lab_bg alice initiate "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri alice)" --child peer --timeout "$BOUND"
	if lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w "$BOUND" "$LAB_BOB_TUN" >/dev/null 2>&1; then
		t1=$(lab_now_ms)
		echo "$((t1 - t0)) ms" >"$OUT/sw-connect"
	else
		echo "never (> $BOUND s)" >"$OUT/sw-connect"
	fi
}

# ---- 2. ours, two cone NATs (relay available): direct throughput, bare path
run_ours_cone() {
	lab_init
	lab_topology cone
	lab_med_setup_turn
	lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" --timeout 20 bob >/dev/null 2>&1 || lab_fail "cone: medcli up"
	lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 10 "$LAB_BOB_TUN" >/dev/null 2>&1 || lab_fail "cone: no ping"
	if lab_med_path_is alice direct; then
		iperf_tunnel direct >"$OUT/iperf-direct"
	else
		echo "- (path $(lab_med_field alice connections.0.path))" >"$OUT/iperf-direct"
	fi
	iperf_bare >"$OUT/iperf-bare"
}

OUT=$(mktemp -d /tmp/bench-relay.XXXXXX)
(LAB_PREFIX=brs$$; run_ours_symmetric) || echo "our symmetric run failed" >&2
(LAB_PREFIX=bss$$; run_sw_symmetric) || echo "strongSwan symmetric run failed" >&2
(LAB_PREFIX=brc$$; run_ours_cone) || echo "our cone run failed" >&2

get() { cat "$OUT/$1" 2>/dev/null || echo "-"; }
read -r cmin cmed cmax < <(get our-connect)
RELAYED=$(get iperf-relayed)
DIRECT=$(get iperf-direct)
BARE=$(get iperf-bare)
ratio() { # A B: A / B as a percentage, or -
	case "$1$2" in *[!0-9]*) echo "-" ;; *) [ "$2" -gt 0 ] && echo "$((100 * $1 / $2)) %" || echo "-" ;; esac
}
printf '\n%-58s %-22s %-30s\n' "TURN relay, $(date -u +%F), coturn 4.6" "strongSwan 5.9.8" "ours (medcli + medsrv --turn)"
printf '%-58s %-22s %-30s\n' "two symmetric NATs: up -> first ping, ms (min/median/max)" "$(get sw-connect)" \
	"${cmin:--} / ${cmed:--} / ${cmax:--} ($ROUNDS rounds)"
printf '%-58s %-22s %-30s\n' "  path" "-" "$(get our-path)"
printf '%-58s %-22s %-30s\n' "iperf3 TCP alice -> bob, ${SECS} s, Mbit/s: tunnel relayed" "-" "$RELAYED"
printf '%-58s %-22s %-30s\n' "  tunnel direct (two cone NATs, relay available)" "-" "$DIRECT"
printf '%-58s %-22s %-30s\n' "  no tunnel: alice -> DNAT on NAT B -> bob (reference)" "-" "$BARE"
printf '%-58s %-22s %-30s\n' "  relayed / direct" "-" "$(ratio "$RELAYED" "$DIRECT")"
printf '%-58s %-22s %-30s\n' "  direct / no tunnel" "-" "$(ratio "$DIRECT" "$BARE")"
rm -rf "$OUT"
