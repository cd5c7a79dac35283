#!/bin/bash
# SPDX-License-Identifier: MIT
# test/interop/test_engine_strongswan.sh - our engine (test/interop/ikedrv, built on
# ike/ + ike/io) against Debian's strongSwan charon in the namespace lab:
#   1. our initiator on NAT A's public address (no NAT) -> strongSwan responder on
#      198.51.100.10, RSA raw keys with ID_KEY_ID identities;
#   2. our initiator at alice behind NAT A (cone) -> strongSwan responder, RSA/KEY_ID
#      (both float to 4500);
#   3. the same with PSK and FQDN identities;
#   4. strongSwan initiator at alice behind NAT A -> our responder on 198.51.100.10;
#   5. the same with PSK;
#   6. our initiator directly with PSK; 7-8. a strongSwan initiator on NAT A's public
#      address (no NAT) -> our responder, RSA and PSK.
# Also: DELETE from strongSwan (case 2) and from us (cases 1, 3, 4); DPD from us (case 3,
# every second) and from strongSwan (case 4, dpd_delay 1s), each answered.
# Each case passes when `swanctl --list-sas` shows the IKE_SA ESTABLISHED and the
# CHILD_SA INSTALLED, and ikedrv reports SA_UP and CHILD_UP; then both sides stop.
# Needs BUILD_DIR/bin/ikedrv (BUILD_DIR defaults to build). Exit 0/77/1.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_require_strongswan
DRV=${BUILD_DIR:-$(dirname "$0")/../../build}/bin/ikedrv
[ -x "$DRV" ] || lab_skip "missing $DRV (build the ikedrv target)"
DRV=$(readlink -f "$DRV")
lab_init
lab_topology cone
# The server side's tunnel address, so strongSwan (kernel-libipsec) can install its route.
lab_in srv ip addr add "$LAB_BOB_TUN/32" dev lo

SRV_ID=$(lab_keygen srv)
ALICE_ID=$(lab_keygen alice)
K=$LAB_DIR/keys
TS_A=$LAB_ALICE_TUN/32
TS_B=$LAB_BOB_TUN/32
PASSED=0

# Waits for ikedrv's CHILD_UP line and strongSwan's listing of the SA on HOST.
check_up() {
	local case=$1 host=$2 log=$3
	lab_wait 15 grep -q '^CHILD_UP' "$LAB_DIR/$log.log" ||
		lab_fail "$case: ikedrv reported no CHILD_UP ($(grep -E '^(SA_|FAIL)' "$LAB_DIR/$log.log" | tr '\n' ' '))"
	lab_wait 5 sh -c "ip netns exec $(lab_ns "$host") env STRONGSWAN_CONF=$(lab_sw_dir "$host")/strongswan.conf \
		swanctl --list-sas --uri $(lab_vici_uri "$host") | grep -q INSTALLED" ||
		lab_fail "$case: strongSwan lists no INSTALLED CHILD_SA"
	lab_swanctl "$host" --list-sas >"$LAB_DIR/$log-sas.txt" 2>&1
	grep -q ESTABLISHED "$LAB_DIR/$log-sas.txt" || lab_fail "$case: strongSwan lists no ESTABLISHED IKE_SA"
	lab_log "$case: up; strongSwan says:"
	sed 's/^/    /' "$LAB_DIR/$log-sas.txt" >&2
	PASSED=$((PASSED + 1))
}

# Stops ikedrv (it sends DELETE) and strongSwan; checks the SA went away on both sides.
stop_case() {
	local case=$1 host=$2 log=$3 pid=$4
	kill -TERM "$pid"
	lab_wait 5 sh -c "! kill -0 $pid 2>/dev/null" || lab_fail "$case: ikedrv did not stop"
	wait "$pid" 2>/dev/null
	grep -q '^SA_DOWN' "$LAB_DIR/$log.log" || lab_fail "$case: ikedrv reported no SA_DOWN after DELETE"
	! grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$LAB_DIR/$log.log" ||
		lab_fail "$case: sanitizer report from ikedrv (ASan build)"
	lab_wait 5 sh -c "[ \$(ip netns exec $(lab_ns "$host") env STRONGSWAN_CONF=$(lab_sw_dir "$host")/strongswan.conf \
		swanctl --list-sas --uri $(lab_vici_uri "$host") | grep -c ESTABLISHED) = 0 ]" ||
		lab_fail "$case: strongSwan still lists the SA after our DELETE"
	lab_charon_stop "$host"
	mv "$(lab_sw_dir "$host")/charon.log" "$LAB_DIR/$log-charon.log" # kept for LAB_KEEP=1 debugging
	rm -rf "$(lab_sw_dir "$host")"
}

# --- 1. our initiator (no NAT) -> strongSwan responder, RSA/KEY_ID
case1() {
	lab_swanctl_s2s srv responder pubkey "$LAB_SRV_IP" %any "@#$SRV_ID" "@#$ALICE_ID" "$TS_B" "$TS_A" srv alice
	lab_charon_start srv client
	lab_swanctl_load srv
	lab_bg nata drv1 "$DRV" --role initiator --local "$LAB_NATA_IP" --remote "$LAB_SRV_IP" \
		--key "$K/alice.pem" --peer-pubkey "$K/srv.pub" --local-ts "$TS_A" --remote-ts "$TS_B" --timeout 20 --name srv
	check_up "direct, RSA" srv drv1
	stop_case "direct, RSA" srv drv1 "$LAB_LAST_PID"
}

# --- 2. our initiator behind NAT A -> strongSwan responder, RSA/KEY_ID
case2() {
	lab_swanctl_s2s srv responder pubkey "$LAB_SRV_IP" %any "@#$SRV_ID" "@#$ALICE_ID" "$TS_B" "$TS_A" srv alice
	lab_charon_start srv client
	lab_swanctl_load srv
	lab_bg alice drv2 "$DRV" --role initiator --local "$LAB_ALICE_IP" --remote "$LAB_SRV_IP" \
		--key "$K/alice.pem" --peer-pubkey "$K/srv.pub" --local-ts "$TS_A" --remote-ts "$TS_B" --timeout 20 --name srv
	local pid=$LAB_LAST_PID
	check_up "behind NAT, RSA" srv drv2
	grep -q '^SA_UP .*:4500 .*:4500 .*nat_local=1' "$LAB_DIR/drv2.log" ||
		lab_fail "behind NAT, RSA: the SA did not float to 4500 with NAT detected ($(grep SA_UP "$LAB_DIR/drv2.log"))"
	# DELETE from strongSwan's side: our initiator reports SA_DOWN and exits 0.
	lab_swanctl srv --terminate --ike s2s --timeout 5 >"$LAB_DIR/terminate2.log" 2>&1 ||
		lab_fail "behind NAT, RSA: swanctl --terminate: $(tail -2 "$LAB_DIR/terminate2.log" | tr '\n' ' ')"
	lab_wait 5 grep -q '^SA_DOWN reason=IKE_ERR_OK' "$LAB_DIR/drv2.log" ||
		lab_fail "behind NAT, RSA: ikedrv did not see strongSwan's DELETE"
	lab_wait 5 sh -c "! kill -0 $pid 2>/dev/null" || lab_fail "behind NAT, RSA: ikedrv still runs after SA_DOWN"
	wait "$pid" || lab_fail "behind NAT, RSA: ikedrv exited non-zero after a normal DELETE"
	lab_log "behind NAT, RSA: strongSwan's DELETE reached us"
	lab_charon_stop srv
	rm -rf "$(lab_sw_dir srv)"
}

# --- 3. our initiator behind NAT A -> strongSwan responder, PSK
case3() {
	lab_swanctl_s2s srv responder psk "$LAB_SRV_IP" %any "@srv.lab" "@alice.lab" "$TS_B" "$TS_A" "lab-secret-$$"
	lab_charon_start srv client
	lab_swanctl_load srv
	lab_bg alice drv3 "$DRV" --role initiator --local "$LAB_ALICE_IP" --remote "$LAB_SRV_IP" \
		--psk "lab-secret-$$" --id "@alice.lab" --peer-id "@srv.lab" --local-ts "$TS_A" --remote-ts "$TS_B" \
		--timeout 20 --name srv --dpd 1
	check_up "behind NAT, PSK" srv drv3
	# Our DPD (an empty INFORMATIONAL every idle second) reaches strongSwan and is answered.
	lab_wait 5 grep -q -E 'parsed INFORMATIONAL request [0-9]+ \[ \]' "$(lab_sw_dir srv)/charon.log" ||
		lab_fail "behind NAT, PSK: strongSwan saw no DPD from us"
	sleep 1.2
	lab_sw_has_sas srv 1 || lab_fail "behind NAT, PSK: the SA did not survive DPD"
	stop_case "behind NAT, PSK" srv drv3 "$LAB_LAST_PID"
}

# --- 4. strongSwan initiator behind NAT A -> our responder
case4() {
	local pid
	lab_bg srv drv4 "$DRV" --role responder --local "$LAB_SRV_IP" \
		--key "$K/srv.pem" --peer-pubkey "$K/alice.pub" --local-ts "$TS_B" --remote-ts "$TS_A" --name alice
	pid=$LAB_LAST_PID
	LAB_DPD_DELAY=1s lab_swanctl_s2s alice initiator pubkey "$LAB_ALICE_IP" "$LAB_SRV_IP" "@#$ALICE_ID" "@#$SRV_ID" \
		"$TS_A" "$TS_B" alice srv
	lab_charon_start alice client
	lab_swanctl_load alice
	lab_swanctl alice --initiate --child s2s --timeout 15 >"$LAB_DIR/initiate4.log" 2>&1 ||
		lab_fail "strongSwan initiator: $(tail -3 "$LAB_DIR/initiate4.log" | tr '\n' ' ')"
	check_up "strongSwan initiator behind NAT, RSA" alice drv4
	# strongSwan's DPD (dpd_delay 1s) is answered by our responder.
	lab_wait 5 grep -q -E 'parsed INFORMATIONAL response [0-9]+ \[ \]' "$(lab_sw_dir alice)/charon.log" ||
		lab_fail "strongSwan initiator: no answer to its DPD"
	stop_case "strongSwan initiator behind NAT, RSA" alice drv4 "$pid"
}

# --- 5. strongSwan initiator behind NAT A -> our responder, PSK
case5() {
	local pid
	lab_bg srv drv5 "$DRV" --role responder --local "$LAB_SRV_IP" --psk "lab-secret-$$" --id "@srv.lab" \
		--peer-id "@alice.lab" --local-ts "$TS_B" --remote-ts "$TS_A" --name alice
	pid=$LAB_LAST_PID
	lab_swanctl_s2s alice initiator psk "$LAB_ALICE_IP" "$LAB_SRV_IP" "@alice.lab" "@srv.lab" "$TS_A" "$TS_B" \
		"lab-secret-$$"
	lab_charon_start alice client
	lab_swanctl_load alice
	lab_swanctl alice --initiate --child s2s --timeout 15 >"$LAB_DIR/initiate5.log" 2>&1 ||
		lab_fail "strongSwan initiator, PSK: $(tail -3 "$LAB_DIR/initiate5.log" | tr '\n' ' ')"
	check_up "strongSwan initiator behind NAT, PSK" alice drv5
	stop_case "strongSwan initiator behind NAT, PSK" alice drv5 "$pid"
}

# --- 6-8. the rest of the matrix, generic: our initiator directly with PSK; a
# strongSwan initiator directly (on NAT A's public address) with RSA and PSK.
ours_init() {
	local case=$1 log=$2 host=$3 addr=$4 auth=$5
	if [ "$auth" = pubkey ]; then
		lab_swanctl_s2s srv responder pubkey "$LAB_SRV_IP" %any "@#$SRV_ID" "@#$ALICE_ID" "$TS_B" "$TS_A" srv alice
		set -- --key "$K/alice.pem" --peer-pubkey "$K/srv.pub"
	else
		lab_swanctl_s2s srv responder psk "$LAB_SRV_IP" %any "@srv.lab" "@alice.lab" "$TS_B" "$TS_A" "lab-secret-$$"
		set -- --psk "lab-secret-$$" --id "@alice.lab" --peer-id "@srv.lab"
	fi
	lab_charon_start srv client
	lab_swanctl_load srv
	lab_bg "$host" "$log" "$DRV" --role initiator --local "$addr" --remote "$LAB_SRV_IP" "$@" \
		--local-ts "$TS_A" --remote-ts "$TS_B" --timeout 20 --name srv
	check_up "$case" srv "$log"
	stop_case "$case" srv "$log" "$LAB_LAST_PID"
}

sw_init() {
	local case=$1 log=$2 host=$3 addr=$4 auth=$5 pid
	if [ "$auth" = pubkey ]; then
		lab_bg srv "$log" "$DRV" --role responder --local "$LAB_SRV_IP" --key "$K/srv.pem" \
			--peer-pubkey "$K/alice.pub" --local-ts "$TS_B" --remote-ts "$TS_A" --name alice
		pid=$LAB_LAST_PID
		lab_swanctl_s2s "$host" initiator pubkey "$addr" "$LAB_SRV_IP" "@#$ALICE_ID" "@#$SRV_ID" "$TS_A" "$TS_B" \
			alice srv
	else
		lab_bg srv "$log" "$DRV" --role responder --local "$LAB_SRV_IP" --psk "lab-secret-$$" --id "@srv.lab" \
			--peer-id "@alice.lab" --local-ts "$TS_B" --remote-ts "$TS_A" --name alice
		pid=$LAB_LAST_PID
		lab_swanctl_s2s "$host" initiator psk "$addr" "$LAB_SRV_IP" "@alice.lab" "@srv.lab" "$TS_A" "$TS_B" \
			"lab-secret-$$"
	fi
	lab_charon_start "$host" client
	lab_swanctl_load "$host"
	lab_swanctl "$host" --initiate --child s2s --timeout 15 >"$LAB_DIR/initiate-$log.log" 2>&1 ||
		lab_fail "$case: $(tail -3 "$LAB_DIR/initiate-$log.log" | tr '\n' ' ')"
	check_up "$case" "$host" "$log"
	stop_case "$case" "$host" "$log" "$pid"
}

# strongSwan on NAT A's own address routes its traffic selector from there.
lab_in nata ip addr add "$LAB_ALICE_TUN/32" dev lo

case1
case2
case3
case4
case5
ours_init "direct, PSK" drv6 nata "$LAB_NATA_IP" psk
sw_init "strongSwan initiator direct, RSA" drv7 nata "$LAB_NATA_IP" pubkey
sw_init "strongSwan initiator direct, PSK" drv8 nata "$LAB_NATA_IP" psk
echo "PASS: $PASSED interop cases (our engine with strongSwan 5.9 charon)"
exit 0
