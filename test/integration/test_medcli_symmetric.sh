#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_symmetric.sh
#
# Our alice and bob behind two symmetric NAT routers (masquerade random-fully: a
# new public port for every destination), mediated by our medsrv. No candidate
# pair can work; `medcli up bob` must fail within 10 s, say so, and name the
# candidate pairs it tried (strongSwan checks for ~36 s and never reports it); the daemon keeps
# retrying (state retrying) until `medcli down`, after which it rests.
# Both registrations stay up. Needs root and $BUILD_DIR/bin/{medsrv,medcli}.
# Exit 0 pass, 77 skip, else fail.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_init
lab_topology symmetric
lab_med_setup

t0=$(lab_now_ms)
if lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" --timeout 30 bob >"$LAB_DIR/up.log" 2>&1; then
	lab_fail "medcli up succeeded through two symmetric NATs: $(cat "$LAB_DIR/up.log")"
fi
t1=$(lab_now_ms)
msg=$(cat "$LAB_DIR/up.log")
lab_log "up failed after $((t1 - t0)) ms: $msg"
[ $((t1 - t0)) -le 10000 ] || lab_fail "the failure took $((t1 - t0)) ms (bound: 10 s)"
echo "$msg" | grep -q "no path through the NATs" || lab_fail "the message does not say that no path was found"
echo "$msg" | grep -q "tried" || lab_fail "the message does not name the tried candidates"
echo "$msg" | grep -q "$LAB_NATB_IP" || lab_fail "the message does not name bob's public address"
lab_med_state_is alice retrying || lab_fail "alice's connection state is $(lab_med_field alice connections.0.state)"
echo "$msg" | grep -q "medcli keeps trying" || lab_fail "the message does not say that medcli keeps trying"
# The want is the user's: it is retried until 'down', then rests.
lab_in alice "$MEDCLI" down --dir "$LAB_DIR/alice" bob >/dev/null || lab_fail "medcli down failed"
lab_med_state_is alice down || lab_fail "after down the state is $(lab_med_field alice connections.0.state)"
n1=$(grep -c 'ME_CONNECT request sent' "$LAB_DIR/medcli-alice.log")
sleep 3
n2=$(grep -c 'ME_CONNECT request sent' "$LAB_DIR/medcli-alice.log")
[ "$n1" = "$n2" ] || lab_fail "alice mediated again after down ($n1 -> $n2 requests)"
lab_med_registered alice && lab_med_registered bob || lab_fail "a registration was lost"
if lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -c 1 -w 1 "$LAB_BOB_TUN" >/dev/null 2>&1; then
	lab_fail "a ping passed although no tunnel exists"
fi
echo "medcli pair through medsrv (symmetric NATs): up failed after $((t1 - t0)) ms"
echo "PASS: two symmetric NATs give a clear, bounded failure"
exit 0
