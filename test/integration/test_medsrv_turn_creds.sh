#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medsrv_turn_creds.sh
#
# TURN credentials from the mediation server (N(ME_TURN), docs/medsrv.md):
# our medsrv on 198.51.100.10 runs with --turn turn:198.51.100.10:3478
# --turn-secret-file (mode 0600) --turn-ttl 60; coturn runs beside it with the
# same static-auth-secret (test/lab/lab.sh topology, cone NATs):
#   1. medsrv refuses a secret file readable by others, and never prints the secret;
#   2. our alice and bob (medcli) register; `medcli status --json` shows
#      "turn": the relay, user "<expiry>:<own KEY_ID>", expiry about 60 s ahead,
#      and no password; the text status shows the relay;
#   3. coturn accepts the credential (an Allocate with the password the test
#      computes from the secret: the same HMAC medsrv computed), and refuses a
#      wrong password;
#   4. a strongSwan client (carol, no NAT) registers at the same medsrv and stays
#      registered: it ignores N(ME_TURN) in IKE_AUTH and answers the refresh;
#   2b. medcli allocates a relayed candidate on coturn with it (status: state
#      allocated, the relayed address in coturn's range, seen at NAT A);
#   5. after half the lifetime medsrv refreshes both: alice's expiry moves on,
#      carol is still online; the secret and the passwords are in no log.
# Needs root, coturn, strongSwan and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0
# pass, 77 skip, else fail. About 45 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_strongswan
lab_require_root_and_tools python3 openssl turnserver turnutils_uclient
CAROL_IP=198.51.100.30
TURN_PORT=3478
TTL=60
lab_init
lab_topology cone
lab_internet_host carol "$CAROL_IP" # a strongSwan client without NAT

# base64(HMAC-SHA1(secret, user)): coturn's use-auth-secret password
turn_password() {
	printf %s "$2" | openssl dgst -sha1 -hmac "$1" -binary | base64
}

SECRET=$(openssl rand -hex 24)
SECRET_FILE=$LAB_DIR/turn.secret
(umask 077 && printf '%s\n' "$SECRET" >"$SECRET_FILE")

# --- our medsrv and medcli (lab_med_setup's steps, medsrv with --turn) --------
lab_med_config
CAROL_ID=$(lab_keygen carol)
"$MEDSRV" peer add --dir "$SRV" --alias carol --pubkey "$LAB_DIR/keys/carol.pub" >/dev/null || lab_fail "medsrv peer add carol"
cp "$SRV/medsrv.pub" "$LAB_DIR/keys/srv.pub"
lab_log "carol's KEY_ID $CAROL_ID"

# 1. a secret file others can read is refused, without the secret in the message
OPEN_FILE=$LAB_DIR/turn-open.secret
printf '%s\n' "$SECRET" >"$OPEN_FILE"
chmod 644 "$OPEN_FILE"
if lab_in srv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --turn "turn:$LAB_SRV_IP:$TURN_PORT" \
	--turn-secret-file "$OPEN_FILE" >"$LAB_DIR/refused.out" 2>&1; then
	lab_fail "medsrv started with a world-readable TURN secret file"
fi
grep -q "readable by others" "$LAB_DIR/refused.out" || lab_fail "no clear refusal: $(cat "$LAB_DIR/refused.out")"
grep -q "$SECRET" "$LAB_DIR/refused.out" && lab_fail "the refusal shows the secret"

lab_bg srv coturn turnserver -n --listening-ip="$LAB_SRV_IP" --relay-ip="$LAB_SRV_IP" \
	--listening-port="$TURN_PORT" --use-auth-secret --static-auth-secret="$SECRET" --realm=lab.example \
	--no-tls --no-dtls --no-tcp --no-cli --log-file=stdout --simple-log --min-port=49152 --max-port=49300
lab_bg srv medsrv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level debug \
	--turn "turn:$LAB_SRV_IP:$TURN_PORT" --turn-secret-file "$SECRET_FILE" --turn-ttl "$TTL"
MEDSRV_PID=$LAB_LAST_PID
lab_wait 10 lab_in srv "$MEDSRV" status --dir "$SRV" --json >/dev/null || lab_fail "medsrv does not answer"
grep -q "TURN relay $LAB_SRV_IP:$TURN_PORT for registered peers, credentials valid $TTL s" "$LAB_DIR/medsrv.log" ||
	lab_fail "medsrv did not log its TURN relay"
t_reg=$(date +%s)
lab_med_start_clients

# 2. the credential in medcli's status
has_turn() {
	[ -n "$(lab_med_field "$1" turn.server)" ]
}
lab_wait 5 has_turn alice || lab_fail "alice's status has no turn: $(lab_in alice "$MEDCLI" status --dir "$A" --json)"
lab_wait 5 has_turn bob || lab_fail "bob's status has no turn"
[ "$(lab_med_field alice turn.server)" = "$LAB_SRV_IP:$TURN_PORT" ] || lab_fail "alice's turn server: $(lab_med_field alice turn.server)"
EXP_A=$(lab_med_field alice turn.expires)
USER_A=$(lab_med_field alice turn.user)
USER_B=$(lab_med_field bob turn.user)
[ "$USER_A" = "$EXP_A:$ALICE_ID" ] || lab_fail "alice's TURN user is '$USER_A', not '$EXP_A:$ALICE_ID'"
[ "$USER_B" = "$(lab_med_field bob turn.expires):$BOB_ID" ] || lab_fail "bob's TURN user is '$USER_B'"
[ "$EXP_A" -ge $((t_reg + TTL - 5)) ] && [ "$EXP_A" -le $((t_reg + TTL + 20)) ] ||
	lab_fail "alice's credential expires at $EXP_A, registered at $t_reg with a TTL of $TTL s"
PASS_A=$(turn_password "$SECRET" "$USER_A")
PASS_B=$(turn_password "$SECRET" "$USER_B")
lab_in alice "$MEDCLI" status --dir "$A" --json >"$LAB_DIR/status-alice.json"
grep -q "pass" "$LAB_DIR/status-alice.json" && lab_fail "medcli status --json shows a password field"
grep -qF "$PASS_A" "$LAB_DIR/status-alice.json" && lab_fail "medcli status --json shows the password"
lab_in alice "$MEDCLI" status --dir "$A" >"$LAB_DIR/status-alice.txt"
grep -q "^turn: relay $LAB_SRV_IP:$TURN_PORT, user $USER_A, expires " "$LAB_DIR/status-alice.txt" ||
	lab_fail "medcli status: $(cat "$LAB_DIR/status-alice.txt")"
lab_log "alice: $(grep '^turn:' "$LAB_DIR/status-alice.txt")"

# 2b. medcli allocates its relayed candidate on coturn with that credential
allocated() { [ "$(lab_med_field "$1" turn.state)" = allocated ]; }
lab_wait 10 allocated alice || lab_fail "alice has no TURN allocation: $(lab_med_field alice turn.state) $(lab_med_field alice turn.error)"
lab_wait 10 allocated bob || lab_fail "bob has no TURN allocation: $(lab_med_field bob turn.state) $(lab_med_field bob turn.error)"
RELAYED_A=$(lab_med_field alice turn.relayed)
case "$RELAYED_A" in "$LAB_SRV_IP":49[12][0-9][0-9] | "$LAB_SRV_IP":49300) ;; *) lab_fail "alice's relayed address $RELAYED_A is not in coturn's range" ;; esac
case "$(lab_med_field alice turn.mapped)" in "$LAB_NATA_IP":*) ;; *) lab_fail "the relay sees alice at $(lab_med_field alice turn.mapped), not at NAT A" ;; esac
[ "$(lab_med_field bob turn.relayed)" != "$RELAYED_A" ] || lab_fail "alice and bob got the same relayed address"
lab_log "alice's relayed candidate $RELAYED_A (seen at $(lab_med_field alice turn.mapped)), bob's $(lab_med_field bob turn.relayed)"

# 3. coturn takes the credential medsrv handed out (from behind alice's NAT)
lab_in alice timeout 20 turnutils_uclient -y -c -n 2 -m 1 -p "$TURN_PORT" -u "$USER_A" -w "$PASS_A" "$LAB_SRV_IP" \
	>"$LAB_DIR/uclient-ok.log" 2>&1
grep -q "tot_recv_msgs=[1-9]" "$LAB_DIR/uclient-ok.log" && ! grep -q "Cannot complete Allocation" "$LAB_DIR/uclient-ok.log" ||
	lab_fail "coturn refused alice's credential: $(tail -8 "$LAB_DIR/uclient-ok.log")"
lab_in alice timeout 20 turnutils_uclient -y -c -n 1 -m 1 -p "$TURN_PORT" -u "$USER_A" -w "not$PASS_A" "$LAB_SRV_IP" \
	>"$LAB_DIR/uclient-bad.log" 2>&1
grep -q "Cannot complete Allocation" "$LAB_DIR/uclient-bad.log" ||
	lab_fail "coturn did not refuse a wrong password: $(tail -8 "$LAB_DIR/uclient-bad.log")"
lab_log "coturn accepted alice's credential and refused a wrong password"

# 4. a strongSwan client registers and ignores N(ME_TURN)
cp "$A/medcli.pub" "$LAB_DIR/keys/alice.pub"
LAB_SW_CONN_OPTS="dpd_delay = 10s" lab_swanctl_medcli carol carol "$CAROL_ID" "$LAB_SRV_IP" srv "$SRV_ID" \
	alice "$ALICE_ID" 10.93.0.1/32 "$LAB_ALICE_TUN/32"
lab_charon_start carol client
lab_swanctl_load carol
lab_swanctl carol --initiate --ike medsrv --timeout 10 >"$LAB_DIR/register-carol.log" 2>&1 ||
	lab_fail "strongSwan (carol) could not register at medsrv with --turn: $(tail -5 "$LAB_DIR/register-carol.log")"
carol_online() {
	lab_in srv "$MEDSRV" status --dir "$SRV" --json | python3 -c '
import json, sys
sys.exit(0 if any(p.get("online") and p.get("keyid") == sys.argv[1] for p in json.load(sys.stdin)["peers"]) else 1)' "$CAROL_ID"
}
lab_wait 5 carol_online || lab_fail "medsrv does not show carol online"
grep -q "\[.*${CAROL_ID:0:8}\] handed a TURN credential" "$LAB_DIR/medsrv.log" ||
	lab_fail "medsrv did not offer carol a credential (she sent ME_MEDIATION)"

# 5. the refresh, after half the lifetime
refreshed() {
	[ "$(lab_med_field alice turn.expires)" -gt "$EXP_A" ]
}
lab_wait $((TTL / 2 + 15)) refreshed || lab_fail "alice's credential was not refreshed (expires $(lab_med_field alice turn.expires))"
t_ref=$(date +%s)
[ "$t_ref" -lt "$EXP_A" ] || lab_fail "the refresh came after the expiry"
lab_wait 15 grep -q "\[.*${CAROL_ID:0:8}\] refreshed the TURN credential" "$LAB_DIR/medsrv.log" ||
	lab_fail "medsrv did not refresh carol's credential"
sleep 2 # carol's answer to the refresh (an INFORMATIONAL request)
carol_online || lab_fail "carol went offline after the refresh"
[ "$(lab_sw_established carol medsrv)" -ge 1 ] || lab_fail "carol's registration is not established after the refresh"
grep -q "ERROR\|deleting IKE_SA\|unknown notify" "$(lab_sw_dir carol)/charon.log" &&
	lab_log "carol's charon: $(grep "ERROR\|deleting IKE_SA\|unknown notify" "$(lab_sw_dir carol)/charon.log" | head -3)"
lab_med_registered alice || lab_fail "alice is no longer registered"
EXP_A2=$(lab_med_field alice turn.expires)
allocated alice || lab_fail "alice's allocation is $(lab_med_field alice turn.state) after the refresh"
lab_log "refreshed: alice's expiry $EXP_A -> $EXP_A2 at $t_ref; carol still online"

for f in "$LAB_DIR"/medsrv.log "$LAB_DIR"/medcli-*.log "$(lab_sw_dir carol)/charon.log"; do
	grep -qF "$SECRET" "$f" && lab_fail "the TURN secret is in $f"
	grep -qF "$PASS_A" "$f" && lab_fail "alice's TURN password is in $f"
	grep -qF "$PASS_B" "$f" && lab_fail "bob's TURN password is in $f"
	grep -qF "$(turn_password "$SECRET" "$(lab_med_field alice turn.user)")" "$f" &&
		lab_fail "alice's refreshed TURN password is in $f"
done
lab_medcli_stop_all() {
	local pid
	for pid in "$@"; do
		kill -TERM "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && lab_fail "a daemon did not stop within 5 s of SIGTERM"
		wait "$pid" || lab_fail "a daemon exited with status $?"
	done
}
lab_medcli_stop_all "$MEDSRV_PID"
echo "PASS: medsrv --turn handed alice, bob and strongSwan's carol TURN credentials (coturn accepts them), refreshed after $((t_ref - t_reg)) s of a ${TTL} s lifetime"
exit 0
