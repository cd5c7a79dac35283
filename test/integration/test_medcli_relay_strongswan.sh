#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_relay_strongswan.sh
#
# TURN relay (issue 10) against strongSwan: our alice (medcli) behind a symmetric
# NAT A, strongSwan's bob (Debian charon 5.9.8, kernel-libipsec, swanctl) behind
# a cone NAT B, mediated by our medsrv run with --turn; coturn on the "internet"
# (lab_turn_start). No direct pair works (NAT A maps per destination, NAT B drops
# what it did not ask for); alice holds a relayed candidate on coturn and sends it
# in ME_CONNECT as an ME_ENDPOINT of type RELAYED. strongSwan has no TURN client,
# but it pairs every endpoint it is given (connect_manager.c build_pairs), so
# bob checks alice's RELAYED candidate from his own socket, through NAT B, to the
# relayed address on coturn, which forwards it to alice.
#   1. alice registers and allocates; bob registers (charon ignores N(ME_TURN));
#   2. alice runs `medcli up bob`; the test logs what strongSwan did: the pairs
#      bob built, whether his checks went to alice's relayed address, whether he
#      took IKE_SA_INIT from it;
#   3. the tunnel comes up: pings pass both ways, alice's status says path
#      "relayed", bob lists the IKE_SA with alice at the relayed address, and the
#      capture shows ESP only between the NAT routers and the relay.
# What strongSwan 5.9.8 does (seen in its log, 2026-12-07): it lists alice's
# RELAYED endpoint in its checklist like any other (pairs 10.2.0.10[4500] -
# 198.51.100.40[492xx]), its check to the relayed address succeeds within about
# 50 ms (alice answers through coturn), it takes alice's IKE_SA_INIT from the
# relayed address ("198.51.100.40 is initiating an IKE_SA"), answers there, and
# its kernel-libipsec sends ESP-in-UDP to the relayed address. Nothing in it is
# relay-aware: to strongSwan the relayed address is just alice's address. Our
# side must send the IKE_SA from its own relayed address and keep it there (no
# NAT-T float to port 4500: fixed in d99268e, found by this test).
# Needs root, coturn, strongSwan and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass,
# 77 skip, else fail. About 20 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 turnserver
lab_require_strongswan
lab_init
lab_topology symmetric cone
lab_turn_start

lab_med_config_sw_bob

lab_bg srv medsrv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level debug \
	--turn "turn:$LAB_TURN_IP:$LAB_TURN_PORT" --turn-secret-file "$LAB_TURN_SECRET_FILE"
lab_bg alice medcli-alice "$MEDCLI" run --dir "$A" --log-level debug
lab_swanctl_medcli bob bob "$BOB_ID" "$LAB_SRV_IP" srv "$SRV_ID" alice "$ALICE_ID" "$LAB_BOB_TUN/32" "$LAB_ALICE_TUN/32"
lab_charon_start bob client
lab_swanctl_load bob
lab_wait 15 lab_med_registered alice || lab_fail "alice did not register"
lab_swanctl bob --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-bob.log" 2>&1 || lab_fail "bob could not register"
lab_wait 10 lab_med_turn_allocated alice || lab_fail "alice has no allocation: $(lab_med_field alice turn.state) $(lab_med_field alice turn.error)"
RELAYED=$(lab_med_field alice turn.relayed)
lab_log "both registered; alice at $(lab_med_field alice endpoint), her relayed candidate $RELAYED"
CHARON_LOG=$(lab_sw_dir bob)/charon.log

# ---- 2. alice asks for bob; what strongSwan does with the RELAYED candidate
lab_capture_start main udp
t0=$(lab_now_ms)
up_rc=0
lab_in alice "$MEDCLI" up --dir "$A" --timeout 30 bob >"$LAB_DIR/up.log" 2>&1 || up_rc=$?
t1=$(lab_now_ms)
ping_rc=1
if [ "$up_rc" = 0 ]; then
	lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 10 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 && ping_rc=0
fi
t2=$(lab_now_ms)
if [ "$ping_rc" = 0 ]; then
	lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 10 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "alice -> bob: the tunnel stopped carrying pings"
	lab_in bob ping -n -q -I "$LAB_BOB_TUN" -i 0.05 -c 10 -w 5 "$LAB_ALICE_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "bob -> alice: no ping through the tunnel"
fi
lab_capture_stop main

lab_log "medcli up: rc $up_rc after $((t1 - t0)) ms: $(cat "$LAB_DIR/up.log")"
lab_log "strongSwan's bob: pairs it built:"
grep -A12 "pairs on checklist" "$CHARON_LOG" | grep -E "pairs on checklist| \* " | sed 's/^/    /' >&2
checks_to_relay=$(lab_capture_count main "src host $LAB_NATB_IP and dst host $LAB_TURN_IP and not dst port $LAB_TURN_PORT")
from_relay=$(lab_capture_count main "src host $LAB_TURN_IP and not src port $LAB_TURN_PORT and dst host $LAB_NATB_IP")
lab_log "capture: NAT B -> relayed addresses $checks_to_relay datagrams, relayed addresses -> NAT B $from_relay"
grep -E "endpoint pair '[0-9]+' is valid|received packet: from ${LAB_TURN_IP//./\\.}|IKE_SA peer\[[0-9]+\] established|establishing mediated connection failed|no pairs in waiting state" \
	"$CHARON_LOG" | head -12 | sed 's/^/    bob: /' >&2

grep -E "relayed pair chosen|direct IKE_SA [0-9]|send of [0-9]+ bytes to .* failed|IKE_SA down" "$LAB_DIR/medcli-alice.log" |
	head -6 | sed 's/^/    alice: /' >&2

# ---- 3. the tunnel through the relay
[ "$up_rc" = 0 ] || lab_fail "medcli up bob failed against strongSwan through the relay: $(cat "$LAB_DIR/up.log")"
[ "$ping_rc" = 0 ] || lab_fail "no ping through the tunnel: $(cat "$LAB_DIR/ping.log")"
lab_med_path_is alice relayed || lab_fail "alice: state $(lab_med_field alice connections.0.state), path '$(lab_med_field alice connections.0.path)' (want relayed)"
lab_wait 5 lab_sw_has_sas bob 2 || lab_fail "strongSwan bob does not list the mediated IKE_SA"
lab_swanctl bob --list-sas >"$LAB_DIR/bob-sas.txt" 2>&1
grep -q "${LAB_TURN_IP}\[" "$LAB_DIR/bob-sas.txt" || lab_fail "bob's IKE_SA is not with the relayed address: $(cat "$LAB_DIR/bob-sas.txt")"
lab_assert_relayed_esp main
lab_log "alice: path relayed via $(lab_med_field alice connections.0.relay), pair $(lab_med_field alice connections.0.pair)"
lab_log "bob's SAs: $(grep -E "^peer:|remote" "$LAB_DIR/bob-sas.txt" | head -3 | tr -s ' ' | tr '\n' ' ')"
echo "medcli (symmetric NAT) + strongSwan (cone NAT) via the relay: up returned after $((t1 - t0)) ms, first ping reply $((t2 - t0)) ms after up"
echo "PASS: strongSwan checks our RELAYED candidate and takes the mediated IKE_SA and ESP through the relay"
exit 0
