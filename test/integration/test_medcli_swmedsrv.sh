#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_swmedsrv.sh
#
# Our alice and bob (medcli) behind two cone NATs, mediated by a strongSwan
# mediation server (Debian charon 5.9 with `mediation = yes`, raw RSA keys): both
# register (ME_ENDPOINT from charon), `medcli up bob` brings up the direct tunnel,
# pings pass, and the capture shows ESP-in-UDP directly between the NAT routers.
# Needs root, strongSwan and $BUILD_DIR/bin/medcli. Exit 0 pass, 77 skip, else fail.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medcli
lab_require_root_and_tools python3
lab_require_strongswan
lab_init
lab_topology cone

SRV_ID=$(lab_keygen srv)
for h in alice bob; do
	d=$LAB_DIR/$h
	MEDCLI_PASSWORD="password of $h" "$MEDCLI" init --dir "$d" >/dev/null || lab_fail "medcli init $h"
	"$MEDCLI" keygen --dir "$d" >"$LAB_DIR/$h.keygen" || lab_fail "medcli keygen $h"
	cp "$d/medcli.pub" "$LAB_DIR/keys/$h.pub"
	"$MEDCLI" server set --dir "$d" --address "$LAB_SRV_IP" --pubkey "$LAB_DIR/keys/srv.pub" || lab_fail "server set $h"
done
ALICE_ID=$(tail -1 "$LAB_DIR/alice.keygen")
BOB_ID=$(tail -1 "$LAB_DIR/bob.keygen")
"$MEDCLI" peer add --dir "$LAB_DIR/alice" --alias bob --pubkey "$LAB_DIR/keys/bob.pub" --local-ts "$LAB_ALICE_TUN/32" \
	--remote-ts "$LAB_BOB_TUN/32" >/dev/null || lab_fail "peer add on alice"
"$MEDCLI" peer add --dir "$LAB_DIR/bob" --alias alice --pubkey "$LAB_DIR/keys/alice.pub" --local-ts "$LAB_BOB_TUN/32" \
	--remote-ts "$LAB_ALICE_TUN/32" >/dev/null || lab_fail "peer add on bob"
lab_log "KEY_IDs: srv (strongSwan) $SRV_ID alice $ALICE_ID bob $BOB_ID"

lab_swanctl_medsrv srv srv "$SRV_ID" "$LAB_SRV_IP" alice bob
lab_charon_start srv server
lab_swanctl_load srv
lab_bg alice medcli-alice "$MEDCLI" run --dir "$LAB_DIR/alice" --log-level debug
lab_bg bob medcli-bob "$MEDCLI" run --dir "$LAB_DIR/bob" --log-level debug
lab_wait 15 lab_med_registered alice || lab_fail "alice did not register at charon: $(tail -3 "$LAB_DIR/medcli-alice.log")"
lab_wait 15 lab_med_registered bob || lab_fail "bob did not register at charon"
lab_wait 5 lab_med_has_endpoint alice "$LAB_NATA_IP" || lab_fail "charon told alice no endpoint"
lab_wait 5 lab_med_has_endpoint bob "$LAB_NATB_IP" || lab_fail "charon told bob no endpoint"
lab_wait 5 lab_sw_has_sas srv 2 || lab_fail "charon does not list two registrations"
lab_log "registered at charon: alice $(lab_med_field alice endpoint), bob $(lab_med_field bob endpoint)"

lab_capture_start main udp
t0=$(lab_now_ms)
lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob >"$LAB_DIR/up.log" 2>&1 ||
	lab_fail "medcli up bob: $(cat "$LAB_DIR/up.log")"
lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 5 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 || lab_fail "no ping reply"
t1=$(lab_now_ms)
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 5 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "the tunnel stopped carrying pings"
lab_capture_stop main
lab_assert_direct_esp main
echo "medcli pair through a strongSwan mediation server: first ping $((t1 - t0)) ms after medcli up"
echo "PASS: our alice and bob mediated by strongSwan's charon, direct ESP-in-UDP"
exit 0
