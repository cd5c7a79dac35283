#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_peer_away.sh
#
# A peer that is gone for long comes back to a working tunnel (issue 9): alice
# wants the tunnel to bob (cone NATs, our medsrv, default timers); bob's medcli is
# killed (a reboot: no DELETE) and stays away for ${PEER_AWAY_S:-100} s. alice
# notices, keeps the want, ends up waiting for bob's callback (never a final
# failure), uses no CPU meanwhile; bob starts again and the tunnel is back within
# seconds of his registration (the callback medsrv remembered). Needs root and
# $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip, else fail. About 2 minutes.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_init
lab_topology cone
lab_med_setup
AWAY=${PEER_AWAY_S:-100}

alice_pings() { lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -W 1 "$LAB_BOB_TUN" >/dev/null 2>&1; }
state() { lab_med_field alice connections.0.state; }

lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob >"$LAB_DIR/up.log" 2>&1 || lab_fail "medcli up: $(cat "$LAB_DIR/up.log")"
lab_wait 5 alice_pings || lab_fail "no ping before"

kill -KILL "$LAB_MEDCLI_PID_bob"
wait "$LAB_MEDCLI_PID_bob" 2>/dev/null
t0=$(lab_now_ms)
lab_log "bob's medcli killed; away for $AWAY s"
lab_ping_start alice # traffic makes alice notice at once (sending without receiving)
gone() { [ "$(state)" != up ]; }
lab_wait 30 gone || lab_fail "alice did not notice that bob is gone"
lab_log "alice noticed after $(($(lab_now_ms) - t0)) ms ($(state))"
lab_ping_stop alice
sleep $((AWAY / 2))
c0=$(lab_cpu_ticks "$LAB_MEDCLI_PID_alice")
s0=$(lab_cpu_ticks "$LAB_MEDSRV_PID")
sleep 10
c1=$(lab_cpu_ticks "$LAB_MEDCLI_PID_alice")
s1=$(lab_cpu_ticks "$LAB_MEDSRV_PID")
st=$(state)
lab_log "while bob is away: alice $st, CPU ticks in 10 s: medcli $((c1 - c0)), medsrv $((s1 - s0))"
case "$st" in waiting | retrying | mediating) ;; *) lab_fail "alice gave up: $st ($(lab_med_field alice connections.0.error))" ;; esac
[ "$(lab_med_field alice connections.0.wanted)" = true ] || lab_fail "alice no longer wants the tunnel"
[ $((c1 - c0)) -le 100 ] && [ $((s1 - s0)) -le 100 ] || lab_fail "busy while waiting"
left=$((AWAY - ($(lab_now_ms) - t0) / 1000))
[ "$left" -gt 0 ] && sleep "$left"

lab_log "starting bob again after $((($(lab_now_ms) - t0) / 1000)) s"
lab_bg bob medcli-bob-2 "$MEDCLI" run --dir "$LAB_DIR/bob" --log-level debug
lab_wait 15 lab_med_registered bob || lab_fail "bob did not register again"
t1=$(lab_now_ms)
lab_wait 30 alice_pings || lab_fail "no ping within 30 s after bob registered: $(grep -v DEBUG "$LAB_DIR/medcli-alice.log" | tail -5)"
t2=$(lab_now_ms)
[ "$(state)" = up ] || lab_fail "alice is $(state)"
grep -q "the peer came online" "$LAB_DIR/medcli-alice.log" || lab_fail "alice was not called back"
lab_log "tunnel back $((t2 - t1)) ms after bob registered again (bound 5 s)"
[ $((t2 - t1)) -le 5000 ] || lab_fail "the tunnel took $((t2 - t1)) ms after bob registered"
echo "medcli peer away ${AWAY} s: back $((t2 - t1)) ms after its registration"
echo "PASS: a peer gone for $AWAY s gets its tunnel back when it returns"
exit 0
