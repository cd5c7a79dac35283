#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_strongswan.sh
#
# Interop through our medsrv: our alice (medcli) behind NAT A and strongSwan's
# bob (Debian charon 5.9 with kernel-libipsec, swanctl) behind NAT B, two cone NATs.
#   1. bob initiates (`swanctl --initiate --child peer`): our alice, whose user
#      has said nothing about bob, answers the mediated connection as responder;
#      ping 10.92.0.1 -> 10.91.0.1 passes; bob terminates it and alice, who never
#      wanted it, does not bring it back;
#   2. alice initiates (`medcli up bob`): ping 10.91.0.1 -> 10.92.0.1 passes;
#      `medcli down bob` deletes it at bob too;
# each time a capture on the "internet" shows ESP-in-UDP directly between the two
# NAT routers and none via the server. Needs root, strongSwan and
# $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip, else fail.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3
lab_require_strongswan
lab_init
lab_topology cone

lab_med_config_sw_bob

lab_bg srv medsrv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level debug
lab_bg alice medcli-alice "$MEDCLI" run --dir "$A" --log-level debug
lab_swanctl_medcli bob bob "$BOB_ID" "$LAB_SRV_IP" srv "$SRV_ID" alice "$ALICE_ID" "$LAB_BOB_TUN/32" "$LAB_ALICE_TUN/32"
lab_charon_start bob client
lab_swanctl_load bob
lab_wait 15 lab_med_registered alice || lab_fail "alice did not register"
lab_swanctl bob --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-bob.log" 2>&1 || lab_fail "bob could not register"
lab_log "both registered; alice's endpoint $(lab_med_field alice endpoint)"

# --- 1. strongSwan's bob initiates; alice answers, not wanting it -------------
lab_capture_start bob_init udp
t0=$(lab_now_ms)
lab_bg bob initiate-peer "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri bob)" --child peer --timeout 20
lab_in bob ping -n -I "$LAB_BOB_TUN" -i 0.02 -c 1 -w 20 "$LAB_ALICE_TUN" >"$LAB_DIR/ping2.log" 2>&1 ||
	lab_fail "bob -> alice: no ping reply: $(tail -3 "$LAB_DIR/medcli-alice.log")"
t1=$(lab_now_ms)
lab_in bob ping -n -q -I "$LAB_BOB_TUN" -i 0.05 -c 5 -w 5 "$LAB_ALICE_TUN" >>"$LAB_DIR/ping2.log" 2>&1 ||
	lab_fail "bob -> alice: the tunnel stopped carrying pings"
lab_capture_stop bob_init
lab_assert_direct_esp bob_init
lab_log "bob initiated: first ping $((t1 - t0)) ms after swanctl --initiate"
lab_med_state_is alice up || lab_fail "alice's connection is $(lab_med_field alice connections.0.state)"
lab_swanctl bob --terminate --ike peer --timeout 10 >"$LAB_DIR/terminate-bob.log" 2>&1 || lab_fail "swanctl --terminate"
alice_down() { lab_med_state_is alice down; }
lab_wait 10 alice_down || lab_fail "alice's connection is $(lab_med_field alice connections.0.state) after bob's DELETE"
sleep 3
alice_down || lab_fail "alice brought back a tunnel only bob wanted: $(lab_med_field alice connections.0.state)"
lab_sw_has_sas bob 2 && lab_fail "bob lists a direct IKE_SA again after terminating it"

# --- 2. our alice initiates, then takes it down --------------------------------
lab_capture_start alice_init udp
t0=$(lab_now_ms)
lab_in alice "$MEDCLI" up --dir "$A" bob >"$LAB_DIR/up.log" 2>&1 || lab_fail "medcli up bob: $(cat "$LAB_DIR/up.log")"
lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 5 "$LAB_BOB_TUN" >"$LAB_DIR/ping1.log" 2>&1 ||
	lab_fail "alice -> bob: no ping reply"
t1=$(lab_now_ms)
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 5 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping1.log" 2>&1 ||
	lab_fail "alice -> bob: the tunnel stopped carrying pings"
lab_capture_stop alice_init
lab_assert_direct_esp alice_init
lab_wait 5 lab_sw_has_sas bob 2 || lab_fail "strongSwan bob does not list the direct IKE_SA"
lab_log "alice initiated: first ping $((t1 - t0)) ms after medcli up"
lab_in alice "$MEDCLI" down --dir "$A" bob || lab_fail "medcli down"
lab_wait 10 sh -c "! ip netns exec $(lab_ns bob) swanctl --list-sas --uri $(lab_vici_uri bob) | grep -q '^peer:'" ||
	lab_fail "bob kept the direct IKE_SA after alice's DELETE"

grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" "$LAB_DIR"/medcli-alice.log "$LAB_DIR/medsrv.log" &&
	lab_fail "sanitizer report in a daemon's log"
echo "PASS: our medcli and strongSwan's charon, mediated by our medsrv, each side initiating; direct ESP-in-UDP"
exit 0
