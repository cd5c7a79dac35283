#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/medsrv/bench_medsrv.sh - registrations at a mediation server, side by side:
# our medsrv and strongSwan 5.9's charon (mediation = yes), each on 198.51.100.10 in
# the lab (test/lab/lab.sh), loaded by medload (bench/medsrv/medload.c) from NAT A's
# public address (no NAT in the way). Per server:
#   churn: CLIENTS clients register, delete and register again for SECONDS s;
#          the server's CPU time (utime+stime from /proc) per registration, and the
#          capacity that gives on 2 cores;
#   hold:  CLIENTS clients registered at once; the server's RSS growth per peer.
# The client side costs as much CPU as the server (an RSA signature each), and both
# share the machine's 2 cores, so the raw rate is lower than the capacity.
# Usage (root): BUILD_DIR=build-rel bash bench/medsrv/bench_medsrv.sh [CLIENTS] [SECONDS]
# Keys are cached in ${MEDLOAD_KEYS:-/var/tmp/medload-keys} (generated once).
set -u
CLIENTS=${1:-64}
SECS=${2:-10}
KEYS=${MEDLOAD_KEYS:-/var/tmp/medload-keys}
. "$(dirname "$0")/../../test/lab/lab.sh"
lab_need_bins medsrv medload
lab_require_root_and_tools python3
lab_require_strongswan
HZ=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

"$MEDLOAD" --genkeys -n "$CLIENTS" --keys "$KEYS" || { echo "key generation failed"; exit 1; }

# measure NAME TAG PID PUBKEY: hold first (fresh server: RSS growth per registered
# peer), then churn (CPU per registration)
measure() {
	local name=$1 tag=$2 pid=$3 pub=$4 c0 c1 out regs rss0 rss1 held hpid
	rss0=$(rss_kb "$pid")
	lab_bg nata "hold-$tag" "$MEDLOAD" --server "$LAB_SRV_IP" --local "$LAB_NATA_IP" --keys "$KEYS" \
		-n "$CLIENTS" --hold --server-pubkey "$pub"
	hpid=$LAB_LAST_PID
	lab_wait 60 grep -q "^held" "$LAB_DIR/hold-$tag.log" || { echo "$name: hold did not finish" >&2; held=0; }
	sleep 1
	rss1=$(rss_kb "$pid")
	held=${held:-$(awk '/^held/ {print $2}' "$LAB_DIR/hold-$tag.log")}
	echo "$name hold: $(cat "$LAB_DIR/hold-$tag.log"), RSS $rss0 -> $rss1 kB" >&2
	lab_stop_pid "$hpid"
	sleep 2
	c0=$(cpu_ticks "$pid")
	out=$(lab_in nata "$MEDLOAD" --server "$LAB_SRV_IP" --local "$LAB_NATA_IP" --keys "$KEYS" -n "$CLIENTS" \
		--seconds "$SECS" --server-pubkey "$pub")
	c1=$(cpu_ticks "$pid")
	regs=$(echo "$out" | awk '{print $2}')
	echo "$name churn: $out" >&2
	python3 - "$name" "$regs" "$((c1 - c0))" "$HZ" "$SECS" "$rss0" "$rss1" "$held" <<'PY'
import sys
name, regs, ticks, hz, secs, rss0, rss1, held = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
cpu_ms = ticks * 1000.0 / hz / regs if regs else float("nan")
cap = 2 * 1000.0 / cpu_ms if regs else 0
mem = "%.0f" % ((rss1 - rss0) * 1024.0 / held) if held else "-"
print("%-22s %8d %10.0f %12.2f %14.0f %12s" % (name, regs, regs / secs, cpu_ms, cap, mem))
PY
}

lab_init
lab_topology cone
for k in $(seq 0 $((CLIENTS - 1))); do cp "$KEYS/$(printf 'k%03d' "$k").pub" "$LAB_DIR/keys/$(printf 'k%03d' "$k").pub"; done

# ---- ours --------------------------------------------------------------------
SRV=$LAB_DIR/medsrv
"$MEDSRV" init --dir "$SRV" >/dev/null || lab_fail "medsrv init"
for k in $(seq 0 $((CLIENTS - 1))); do
	"$MEDSRV" peer add --dir "$SRV" --alias "c$k" --pubkey "$KEYS/$(printf 'k%03d' "$k").pub" >/dev/null ||
		lab_fail "peer add $k"
done
lab_bg srv medsrv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level warn
OUR_PID=$LAB_LAST_PID
lab_wait 10 lab_in srv "$MEDSRV" status --dir "$SRV" --json >/dev/null || lab_fail "medsrv does not answer"
OURS=$(measure "medsrv (ours)" ours "$OUR_PID" "$SRV/medsrv.pub")
lab_stop_pid "$OUR_PID"

# ---- strongSwan -----------------------------------------------------------------
SRV_ID=$(lab_keygen srv)
lab_swanctl_medsrv srv srv "$SRV_ID" "$LAB_SRV_IP" $(for k in $(seq 0 $((CLIENTS - 1))); do printf 'k%03d ' "$k"; done)
# quiet logs, as ours runs with --log-level warn; every client comes from one
# address, so lift charon's per-address and cookie limits (ours has none per address)
sed -i 's/default = 1/default = 0/; s/ike = 2/ike = 0/; s/net = 1/net = 0/; s/cfg = 1/cfg = 0/; s/flush_line = yes/flush_line = no/' \
	"$(lab_sw_dir srv)/strongswan.conf"
sed -i 's/^charon {/charon {\n\tblock_threshold = 100000\n\tcookie_threshold = 100000\n\tinit_limit_half_open = 0/' \
	"$(lab_sw_dir srv)/strongswan.conf"
lab_charon_start srv server
lab_swanctl_load srv
SW=$(measure "charon 5.9.8" charon "$LAB_CHARON_PID_srv" "$LAB_DIR/keys/srv.pub")

printf '\n%d clients, %s s churn, %s\n' "$CLIENTS" "$SECS" "$(date -u +%F)"
printf '%-22s %8s %10s %12s %14s %12s\n' server registr. "rate/s" "CPU ms/reg" "capacity/s(2c)" "B/peer held"
echo "$OURS"
echo "$SW"
