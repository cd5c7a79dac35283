#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_relay_mixed.sh
#
# TURN relay (issue 10), mixed NATs: one side behind a cone NAT, the other behind
# a symmetric one (masquerade random-fully), our medsrv with --turn, coturn on the
# "internet" (lab_turn_start). With the lab's routers (port-restricted: unsolicited
# inbound dropped) a direct pair needs luck or port prediction, so either path is
# right here; the test accepts both and logs which it got. Two labs in turn:
#   A. alice behind the cone NAT, bob behind the symmetric one;
#   B. alice behind the symmetric NAT, bob behind the cone one;
#   C. as B, but NAT B drops bob's traffic to the relay's TURN port, so bob has
#      no allocation (a relay he cannot use) and the only pair that can work is
#      alice's own relayed candidate -> bob's public address: the initiator sends
#      the IKE_SA and ESP from her relayed address, as she must with a peer that
#      has no TURN client (strongSwan, test_medcli_relay_strongswan.sh);
# in each:
#   1. `medcli up bob` on alice succeeds and pings pass both ways (time from `up`
#      to the first reply printed);
#   2. alice's and bob's status agree on the path ("direct" or "relayed");
#   3. the capture proves that path: relayed -> ESP only between the NAT routers
#      and the relay (lab_assert_relayed_esp); direct -> ESP directly between the
#      NAT routers and none via the relay.
# Needs root, coturn and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip,
# else fail. About 60 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 turnserver
OUT=$(mktemp -d /tmp/relay-mixed.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# scenario NAME NAT_A NAT_B: one lab; alice runs `medcli up bob`; pings both ways;
# the path both sides report, proven by a capture. Writes "PATH FIRST_PING_MS" to $OUT/NAME.
scenario() {
	local name=$1 path
	lab_init
	lab_topology "$2" "$3"
	lab_turn_start
	if [ "${4:-}" = bob_no_turn ]; then
		lab_in natb nft add table ip labnoturn
		lab_in natb nft "add chain ip labnoturn out { type filter hook postrouting priority 200; policy accept; }"
		lab_in natb nft add rule ip labnoturn out ip daddr "$LAB_TURN_IP" udp dport "$LAB_TURN_PORT" drop
	fi
	LAB_MEDSRV_ARGS="--turn turn:$LAB_TURN_IP:$LAB_TURN_PORT --turn-secret-file $LAB_TURN_SECRET_FILE" lab_med_setup
	lab_wait 10 lab_med_turn_allocated alice || lab_fail "$name: alice has no allocation: $(lab_med_field alice turn.state) $(lab_med_field alice turn.error)"
	if [ "${4:-}" = bob_no_turn ]; then
		sleep 2
		! lab_med_turn_allocated bob || lab_fail "$name: bob has an allocation although NAT B drops his TURN traffic"
		lab_log "$name: bob has no allocation (turn state $(lab_med_field bob turn.state))"
	else
		lab_wait 10 lab_med_turn_allocated bob || lab_fail "$name: bob has no allocation: $(lab_med_field bob turn.state) $(lab_med_field bob turn.error)"
	fi
	lab_capture_start main udp
	lab_med_up_and_ping "$name (NAT A $2, NAT B $3, with a relay)"
	lab_capture_stop main
	path=$(lab_med_field alice connections.0.path)
	case "$path" in direct | relayed) ;; *) lab_fail "$name: alice's path is '$path'" ;; esac
	lab_wait 5 lab_med_path_is bob "$path" ||
		lab_fail "$name: alice says $path, bob says '$(lab_med_field bob connections.0.path)' ($(lab_med_field bob connections.0.state))"
	lab_log "$name: path $path, pair $(lab_med_field alice connections.0.pair); up returned after $LAB_T_UP ms, first ping $LAB_T_PING ms after up"
	if [ "${4:-}" = bob_no_turn ] && [ "$path" = relayed ]; then
		case "$(lab_med_field alice connections.0.pair)" in
		"$LAB_TURN_IP":*) ;;
		*) lab_fail "$name: alice's relayed pair $(lab_med_field alice connections.0.pair) does not start at her relayed address" ;;
		esac
	fi
	if [ "$path" = relayed ]; then
		lab_assert_relayed_esp main "$name"
		lab_log "$name: relay $(lab_med_field alice connections.0.relay); direct_error: $(lab_med_field alice connections.0.direct_error)"
	else
		lab_assert_direct_esp main "$name"
		lab_assert_no_relay_esp main "$name"
	fi
	echo "$path $LAB_T_PING" >"$OUT/$name"
}

(LAB_PREFIX=rma$$; scenario A cone symmetric) || exit $?
(LAB_PREFIX=rmb$$; scenario B symmetric cone) || exit $?
(LAB_PREFIX=rmc$$; scenario C symmetric cone bob_no_turn) || exit $?
read -r PA TA <"$OUT/A"
read -r PB TB <"$OUT/B"
read -r PC TC <"$OUT/C"
echo "medcli relay, mixed NATs: alice cone/bob symmetric: path $PA, first ping $TA ms after up; alice symmetric/bob cone: path $PB, first ping $TB ms after up; the same, bob without an allocation: path $PC, first ping $TC ms after up"
echo "PASS: cone + symmetric NAT with a relay: the tunnel comes up and carries pings both ways, with either side behind the symmetric NAT"
exit 0
