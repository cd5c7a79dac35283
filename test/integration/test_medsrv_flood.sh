#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medsrv_flood.sh
#
# Registration under attack (issue 9). Our medsrv (log level info, as deployed)
# is hit at once by
#   - a spoofed IKE_SA_INIT flood: random source addresses in the lab's
#     "internet" 198.51.100.100-250. As on the internet, answers to spoofed
#     sources are either delivered to a host that ignores them (.100-.191: host
#     atk owns these addresses and drops what medsrv sends them) or cannot be
#     sent at all (.192/26: an unreachable route on the server, so every send
#     fails at once and medsrv's failed-send lines are exercised),
#   - a cookie echoer: one real address (198.51.100.31) that sends IKE_SA_INITs
#     with new SPIs and answers every COOKIE, but never authenticates,
# both from a host "atk" on the lab's internet bridge (ike_flood.py). Meanwhile
# alice's medcli starts and must register within 3 s (measured, printed); the
# echoer must hold no more half-open SAs than the per-source limit (5 per
# worker); medsrv's log must stay small (lines counted and printed); the
# counters show the cookies and the per-source drops.
# Spoofed sources on the server's own link that answer no ARP are left out on
# purpose: the kernel queues the answers to them until ARP gives up (seconds),
# charging the socket's send buffer, so every send fails for the
# flood's length, to legitimate clients too (docs/medsrv.md, "Floods").
# Traffic goes only to addresses of the namespaces this test creates. Needs root,
# python3 and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip, else fail.
# About 40 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
FLOOD=$(readlink -f "$(dirname "$0")/ike_flood.py")
ATK_IP=198.51.100.30  # the flooder's own address
ECHO_IP=198.51.100.31 # the cookie echoer
FLOOD_S=14            # length of both floods
SPOOF_RATE=2000       # spoofed IKE_SA_INITs per second
ECHO_COUNT=1800       # the echoer's IKE_SA_INITs (about 130 per second)
REG_BOUND_MS=3000     # issue 9: a legitimate client registers within 3 s
LOG_BOUND=400         # medsrv log lines during the flood (it wrote 17,624 in 10 s before)
LIMIT_PER_SRC=5       # the engine's default half_open_per_src

lab_init
lab_topology cone
lab_internet_host atk "$ATK_IP"
lab_in atk ip addr add "$ECHO_IP/24" dev eth0
for i in $(seq 100 191); do echo "addr add 198.51.100.$i/32 dev eth0"; done | lab_in atk ip -batch - ||
	lab_fail "cannot give atk the spoofed addresses"
lab_in atk nft -f - <<EOF || lab_fail "cannot set atk's firewall"
table ip atk {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr $LAB_SRV_IP ip daddr 198.51.100.100-198.51.100.191 drop
	}
}
EOF
lab_in srv ip route add unreachable 198.51.100.192/26 || lab_fail "cannot add the unreachable route"
lab_wait 5 lab_in atk ping -c1 -W1 "$LAB_SRV_IP" || lab_fail "atk cannot reach the server"
lab_med_setup

srv_json() { lab_in srv "$MEDSRV" status --dir "$SRV" --json 2>/dev/null; }
# shard_sum FIELD: FIELD summed over medsrv's shards
shard_sum() {
	srv_json | python3 -c 'import json, sys; print(sum(s.get(sys.argv[1], 0) for s in json.load(sys.stdin).get("shards", [])))' "$1"
}
workers() { srv_json | python3 -c 'import json, sys; print(json.load(sys.stdin)["server"]["workers"])'; }
alice_online() {
	srv_json | python3 -c '
import json, sys
sys.exit(0 if any(p.get("online") and p["keyid"] == sys.argv[1] for p in json.load(sys.stdin)["peers"]) else 1)' "$ALICE_ID"
}
lines() { wc -l <"$LAB_DIR/medsrv-flood.log"; }
count() { grep -c -- "$1" "$LAB_DIR/medsrv-flood.log"; }

# alice away; medsrv again at the deployed log level
lab_stop_pid "$LAB_MEDCLI_PID_alice"
lab_stop_pid "$LAB_MEDSRV_PID"
lab_bg srv medsrv-flood "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level info
LAB_MEDSRV_PID=$LAB_LAST_PID
lab_wait 10 srv_json || lab_fail "medsrv does not answer on its control socket"
NW=$(workers)
lab_wait 20 lab_med_registered bob || lab_fail "bob did not register again"

# ---- the floods
L0=$(lines)
lab_bg atk spoof python3 "$FLOOD" spoof --dst "$LAB_SRV_IP" --net 198.51.100 --lo 100 --hi 250 \
	--rate "$SPOOF_RATE" --seconds "$FLOOD_S"
SPOOF_PID=$LAB_LAST_PID
lab_bg atk echo python3 "$FLOOD" echo --dst "$LAB_SRV_IP" --bind "$ECHO_IP" --count "$ECHO_COUNT" \
	--rate 130 --seconds "$FLOOD_S"
ECHO_PID=$LAB_LAST_PID
# under pressure: cookies demanded, the echoer over its limit
cookies() { [ "$(shard_sum cookies_sent)" -gt 0 ]; }
src_limited() { [ "$(shard_sum src_limited)" -gt 0 ]; }
lab_wait 10 cookies || lab_fail "medsrv demands no cookies: $(srv_json)"
lab_wait 10 src_limited || lab_fail "the echoer was never limited: $(srv_json)"
sleep 1
lab_log "under attack: $(shard_sum half_open) half-open SAs, $(shard_sum cookies_sent) cookies, $(shard_sum src_limited) per-source drops so far"

# ---- alice registers under attack
t0=$(lab_now_ms)
lab_bg alice medcli-alice-flood "$MEDCLI" run --dir "$A" --log-level debug
LAB_MEDCLI_PID_alice=$LAB_LAST_PID
lab_wait 20 lab_med_registered alice || lab_fail "alice did not register within 20 s under attack: $(tail -5 "$LAB_DIR/medcli-alice-flood.log")"
t1=$(lab_now_ms)
T_REG=$((t1 - t0))
alice_online || lab_fail "medsrv does not show alice online"
grep -q "asks for a COOKIE" "$LAB_DIR/medcli-alice-flood.log" || lab_log "note: alice was not asked for a cookie"

# ---- the floods end (each stops itself after FLOOD_S seconds)
done_flood() { ! kill -0 "$SPOOF_PID" 2>/dev/null && ! kill -0 "$ECHO_PID" 2>/dev/null; }
lab_wait $((FLOOD_S + 20)) done_flood || lab_fail "the flood tools did not stop"
sleep 1
L1=$(lines)
LOG_LINES=$((L1 - L0))
cat "$LAB_DIR/spoof.log" "$LAB_DIR/echo.log" >&2
SPOOF_SENT=$(sed -n 's/.*spoof sent=\([0-9]*\).*/\1/p' "$LAB_DIR/spoof.log")
ECHO_SA=$(sed -n 's/.*sa_answers=\([0-9]*\).*/\1/p' "$LAB_DIR/echo.log")
ECHO_COOKIES=$(sed -n 's/.*cookies_echoed=\([0-9]*\).*/\1/p' "$LAB_DIR/echo.log")
[ -n "$SPOOF_SENT" ] && [ -n "$ECHO_SA" ] || lab_fail "the flood tools did not report"
kill -0 "$LAB_MEDSRV_PID" 2>/dev/null || lab_fail "medsrv died"

lab_log "medsrv ($NW workers): $(shard_sum rx) datagrams in, $(shard_sum cookies_sent) cookies, $(shard_sum src_limited) per-source drops, $(shard_sum half_open_limited) half-open-limit drops, $(shard_sum tx_failed) failed sends, $(shard_sum half_open) half-open now"
lab_log "spoofed IKE_SA_INITs sent: $SPOOF_SENT; echoer: $ECHO_COOKIES cookies echoed, $ECHO_SA SAs answered"
lab_log "log during the flood: $LOG_LINES lines ($(count 'drop from') drop lines, $(count 'more in the last') summaries, $(count 'send of') failed-send lines)"
lab_log "RESULT: alice registered under attack in $T_REG ms (bound $REG_BOUND_MS ms); medsrv log: $LOG_LINES lines in $FLOOD_S s of flood (bound $LOG_BOUND)"

[ "$SPOOF_SENT" -ge $((SPOOF_RATE * FLOOD_S / 4)) ] || lab_fail "the spoofed flood was too weak ($SPOOF_SENT sent)"
[ "$ECHO_COOKIES" -gt 0 ] || lab_fail "the echoer never echoed a cookie"
[ "$ECHO_SA" -le $((LIMIT_PER_SRC * NW)) ] || lab_fail "the echoer got $ECHO_SA half-open SAs (limit $LIMIT_PER_SRC per worker, $NW workers)"
[ "$(shard_sum src_limited)" -gt 0 ] || lab_fail "no per-source drops counted"
[ "$T_REG" -le "$REG_BOUND_MS" ] || lab_fail "alice registered after $T_REG ms (bound $REG_BOUND_MS ms)"
[ "$LOG_LINES" -le "$LOG_BOUND" ] || lab_fail "medsrv wrote $LOG_LINES log lines during the flood (bound $LOG_BOUND)"

# both daemons stop cleanly (an ASan build reports leaks at exit)
for pid in "$LAB_MEDCLI_PID_alice" "$LAB_MEDSRV_PID"; do
	kill -TERM "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && lab_fail "a daemon did not stop within 5 s of SIGTERM"
	wait "$pid" || lab_fail "a daemon exited with status $?"
done
grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$LAB_DIR/medcli-alice-flood.log" \
	"$LAB_DIR/medsrv-flood.log" && lab_fail "sanitizer report in a daemon's log"
lab_log "PASS"
