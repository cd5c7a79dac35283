#!/bin/bash
# SPDX-License-Identifier: MIT
# test/interop/test_strongswan_baseline.sh [cone|symmetric]
#
# strongSwan in every role: a strongSwan mediation server (198.51.100.10), strongSwan
# alice behind NAT A and bob behind NAT B (Debian charon with kernel-libipsec).
#   cone (default): both register, alice initiates the mediated connection, a ping
#     10.91.0.1 -> 10.92.0.1 passes, and the bridge capture shows ESP-in-UDP between
#     198.51.100.21 and 198.51.100.22, none via the server. Prints the time from
#     initiate to the first ping reply: the strongSwan baseline for our benchmark.
#   symmetric: both NATs `masquerade fully-random`: within a bounded time no tunnel
#     comes up and no ESP flows (strongSwan keeps checking for ~36 s and reports
#     nothing; we stop watching after LAB_SYM_WATCH seconds, 12 by default).
# Exit 0 pass, 77 skip (not root, tools missing), else fail. Runs in ~10-25 s.
set -u
KIND=${1:-cone}
case $KIND in cone | symmetric) ;; *) echo "usage: $0 [cone|symmetric]" >&2; exit 2 ;; esac

. "$(dirname "$0")/../lab/lab.sh"
lab_require_strongswan
lab_init
lab_topology "$KIND"

SRV_ID=$(lab_keygen srv)
ALICE_ID=$(lab_keygen alice)
BOB_ID=$(lab_keygen bob)
lab_log "KEY_IDs: srv $SRV_ID alice $ALICE_ID bob $BOB_ID"

lab_swanctl_medsrv srv srv "$SRV_ID" "$LAB_SRV_IP" alice bob
lab_swanctl_medcli alice alice "$ALICE_ID" "$LAB_SRV_IP" srv "$SRV_ID" bob "$BOB_ID" \
	"$LAB_ALICE_TUN/32" "$LAB_BOB_TUN/32"
lab_swanctl_medcli bob bob "$BOB_ID" "$LAB_SRV_IP" srv "$SRV_ID" alice "$ALICE_ID" \
	"$LAB_BOB_TUN/32" "$LAB_ALICE_TUN/32"

for h in srv alice bob; do
	if [ "$h" = srv ]; then lab_charon_start "$h" server; else lab_charon_start "$h" client; fi
	lab_swanctl_load "$h"
done

lab_capture_start main udp

# Registration: both clients bring up their mediation connection.
for h in alice bob; do
	lab_swanctl "$h" --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-$h.log" 2>&1 ||
		lab_fail "$h could not register at the mediation server"
done
lab_wait 5 lab_sw_has_sas srv 2 || lab_fail "the server does not list two registrations"
lab_log "alice and bob registered"

if [ "$KIND" = cone ]; then
	t0=$(lab_now_ms)
	lab_bg alice initiate-peer "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri alice)" --child peer --timeout 20
	# Keep pinging every 20 ms until the first reply (or 20 s).
	lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.02 -c 1 -w 20 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "no ping reply through the mediated tunnel within 20 s"
	t1=$(lab_now_ms)
	lab_wait 10 lab_sw_has_sas bob 2 || lab_fail "bob does not list the direct IKE_SA"
	# A few more packets so the capture has ESP in both directions.
	lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 5 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "the tunnel stopped carrying pings"
	lab_capture_stop main

	lab_swanctl alice --list-sas >"$LAB_DIR/alice-sas.log" 2>&1
	grep -q "peer: #.*ESTABLISHED" "$LAB_DIR/alice-sas.log" || lab_fail "alice lists no established 'peer' IKE_SA"
	# ESP-in-UDP: UDP 4500, longer than a keepalive, first 4 payload bytes (the SPI) non-zero.
	esp="udp port 4500 and udp[4:2] > 9 and udp[8:4] != 0"
	direct=$(lab_capture_count main "$esp and src host $LAB_NATA_IP and dst host $LAB_NATB_IP")
	back=$(lab_capture_count main "$esp and src host $LAB_NATB_IP and dst host $LAB_NATA_IP")
	via_srv=$(lab_capture_count main "$esp and host $LAB_SRV_IP")
	lab_log "ESP-in-UDP packets: A->B $direct, B->A $back, via server $via_srv"
	[ "$direct" -gt 0 ] && [ "$back" -gt 0 ] || lab_fail "no direct ESP-in-UDP between the NAT routers"
	[ "$via_srv" -eq 0 ] || lab_fail "ESP went through the mediation server"
	echo "strongSwan baseline (cone NATs): initiate -> first ping reply $((t1 - t0)) ms"
	echo "PASS: strongSwan mediated tunnel, direct ESP-in-UDP between $LAB_NATA_IP and $LAB_NATB_IP"
else
	watch=${LAB_SYM_WATCH:-12}
	t0=$(lab_now_ms)
	lab_bg alice initiate-peer "$(command -v swanctl)" --initiate --uri "$(lab_vici_uri alice)" --child peer --timeout "$watch"
	if lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.2 -c 1 -w "$watch" "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1; then
		lab_fail "a ping passed between two symmetric NATs: the NAT rules are not symmetric"
	fi
	t1=$(lab_now_ms)
	lab_capture_stop main
	# Fully-random NATs map port 4500 to random ports: count any UDP between them.
	checks=$(lab_capture_count main "udp and host $LAB_NATA_IP and host $LAB_NATB_IP")
	esp=$(lab_capture_count main "udp and udp[4:2] > 9 and udp[8:4] != 0 and host $LAB_NATA_IP and host $LAB_NATB_IP")
	established=$(lab_sw_established alice peer)
	lab_log "after $((t1 - t0)) ms: $checks datagrams between the NATs (connectivity checks), $esp ESP, 'peer' IKE_SAs established: $established"
	[ "$esp" -eq 0 ] || lab_fail "ESP flowed between two symmetric NATs"
	[ "$established" -eq 0 ] || lab_fail "an IKE_SA came up between two symmetric NATs"
	[ "$checks" -gt 0 ] || lab_fail "strongSwan sent no connectivity checks between the NATs"
	echo "strongSwan with symmetric NATs: no tunnel after $((t1 - t0)) ms, $checks check datagrams, no failure reported"
	echo "PASS: strongSwan behaviour with two symmetric NATs observed"
fi
exit 0
