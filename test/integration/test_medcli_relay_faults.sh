#!/bin/bash
# SPDX-License-Identifier: MIT
# test/integration/test_medcli_relay_faults.sh
#
# A TURN relay that refuses or talks garbage (issue 10) gives a clear status and
# never blocks the direct path. Our alice and bob behind two cone NATs, coturn on
# the "internet" (lab_turn_start):
#   1. medsrv hands out credentials made with a secret coturn does not share:
#      coturn answers 401; alice's status says turn state "retrying" with the
#      401 in its error (text status: "no allocation: retrying, ... 401 ..."),
#      `medcli up bob` still comes up on the direct path and pings pass; no
#      password made with that secret appears in a log;
#   2. medsrv restarts with a "relay" that answers every datagram with garbage
#      (STUN-looking headers with bad lengths, a STUN error without integrity, a
#      ChannelData for no channel, random-looking bytes from a fixed seed): the
#      clients register again and take the new relay; `medcli up bob` (the
#      allocation was given back at the down before, so it is made again) comes
#      up on the direct path without waiting for the relay; the allocation fails
#      within 15 s with a clear reason (the garbage is dropped; the unsigned
#      "success" has no relayed address),
#      both daemons keep running and the tunnel keeps carrying pings;
#   3. `medcli down bob` then shows turn state "released" (the allocation is
#      given back when no connection needs it).
# Needs root, coturn and $BUILD_DIR/bin/{medsrv,medcli}. Exit 0 pass, 77 skip,
# else fail. About 40 s.
set -u
. "$(dirname "$0")/../lab/lab.sh"
lab_need_bins medsrv medcli
lab_require_root_and_tools python3 openssl turnserver
lab_init
lab_topology cone
lab_turn_start
GARBAGE_PORT=3479

WRONG_FILE=$LAB_DIR/wrong.secret
WRONG=$(openssl rand -hex 24)
(umask 077 && printf '%s\n' "$WRONG" >"$WRONG_FILE")
LAB_MEDSRV_ARGS="--turn turn:$LAB_TURN_IP:$LAB_TURN_PORT --turn-secret-file $WRONG_FILE" lab_med_setup

up_direct() {
	local what=$1
	lab_in alice "$MEDCLI" up --dir "$A" --timeout 20 bob >"$LAB_DIR/up.log" 2>&1 ||
		lab_fail "$what: medcli up bob failed: $(cat "$LAB_DIR/up.log")"
	lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 5 -w 5 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "$what: no ping through the tunnel: $(cat "$LAB_DIR/ping.log")"
	lab_med_path_is alice direct || lab_fail "$what: alice's path is '$(lab_med_field alice connections.0.path)'"
}

# 1. coturn refuses the credential
refused() {
	[ "$(lab_med_field alice turn.state)" = retrying ] && case "$(lab_med_field alice turn.error)" in *401*) true ;; *) false ;; esac
}
lab_wait 10 refused || lab_fail "1: alice's turn: state '$(lab_med_field alice turn.state)', error '$(lab_med_field alice turn.error)'"
lab_log "1: alice's turn: $(lab_med_field alice turn.state): $(lab_med_field alice turn.error)"
lab_in alice "$MEDCLI" status --dir "$A" >"$LAB_DIR/status1.txt"
grep -q "no allocation: retrying, TURN server refused Allocate: 401" "$LAB_DIR/status1.txt" ||
	lab_fail "1: the text status does not say why: $(cat "$LAB_DIR/status1.txt")"
up_direct 1
PASS_WRONG=$(printf %s "$(lab_med_field alice turn.user)" | openssl dgst -sha1 -hmac "$WRONG" -binary | base64)
for f in "$LAB_DIR"/medcli-*.log "$LAB_DIR"/medsrv.log; do
	grep -qF "$WRONG" "$f" && lab_fail "1: the secret is in $f"
	grep -qF "$PASS_WRONG" "$f" && lab_fail "1: alice's TURN password is in $f"
done
lab_in alice "$MEDCLI" down --dir "$A" bob >/dev/null || lab_fail "1: medcli down"

# 2. a relay that answers with garbage
cat >"$LAB_DIR/garbage.py" <<'PY'
import random, socket, struct, sys
rng = random.Random(7)  # fixed seed: the same garbage every run
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("garbage relay listening", flush=True)
while True:
    data, peer = s.recvfrom(65535)
    tid = data[8:20] if len(data) >= 20 else bytes(12)
    answers = [
        struct.pack("!HHI", 0x0113, 400, 0x2112A442) + tid,                 # Allocate error, length beyond the end
        struct.pack("!HHI", 0x0113, 8, 0x2112A442) + tid + struct.pack("!HHI", 0x0009, 4, 401),  # 401 without REALM/NONCE
        struct.pack("!HHI", 0x0103, 0, 0x2112A442) + tid,                   # Allocate success, no attributes, no integrity
        struct.pack("!HH", 0x4000, 60) + bytes(8),                          # ChannelData, no such channel, truncated
        bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 120))),
        b"\x00\x01",
    ]
    for a in answers:
        s.sendto(a, peer)
PY
lab_bg srv garbage python3 "$LAB_DIR/garbage.py" "$LAB_SRV_IP" "$GARBAGE_PORT"
GARBAGE_PID=$LAB_LAST_PID
lab_wait 5 grep -q "garbage relay listening" "$LAB_DIR/garbage.log" || lab_fail "2: the garbage relay did not start"
lab_stop_pid "$LAB_MEDSRV_PID"
lab_bg srv medsrv2 "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level debug \
	--turn "turn:$LAB_SRV_IP:$GARBAGE_PORT" --turn-secret-file "$LAB_TURN_SECRET_FILE"
MEDSRV2_PID=$LAB_LAST_PID
on_garbage() { [ "$(lab_med_field "$1" turn.server)" = "$LAB_SRV_IP:$GARBAGE_PORT" ]; }
lab_wait 20 on_garbage alice || lab_fail "2: alice did not take the new relay: $(lab_med_field alice turn.server)"
lab_wait 20 on_garbage bob || lab_fail "2: bob did not take the new relay: $(lab_med_field bob turn.server)"
lab_wait 10 lab_med_registered alice || lab_fail "2: alice is not registered again"
lab_wait 10 lab_med_registered bob || lab_fail "2: bob is not registered again"
# the allocation was given back at the down above: the next up allocates again
# (on the garbage relay) and does not wait more than 1 s for it
t0=$(lab_now_ms)
up_direct 2
lab_log "2: up direct $(($(lab_now_ms) - t0)) ms after the up, with the relay still allocating"
# garbage is dropped; the unsigned "success" to the first Allocate (a server
# without authentication may answer so) has no relayed address: either way a
# clear error, never the old relay's 401
gave_up() {
	[ "$(lab_med_field alice turn.state)" = retrying ] || return 1
	case "$(lab_med_field alice turn.error)" in
	*"no answer from the TURN server to Allocate after 6 tries"* | *"answered Allocate without a valid XOR-RELAYED-ADDRESS"*) true ;;
	*) false ;;
	esac
}
lab_wait 15 gave_up || lab_fail "2: alice's turn: state '$(lab_med_field alice turn.state)', error '$(lab_med_field alice turn.error)'"
lab_log "2: alice gave up on the garbage relay after $(($(lab_now_ms) - t0)) ms: $(lab_med_field alice turn.error)"
grep -q "dropped datagram from the server" "$LAB_DIR/medcli-alice.log" || lab_fail "2: alice's log shows no dropped garbage"
kill -0 "$LAB_MEDCLI_PID_alice" && kill -0 "$LAB_MEDCLI_PID_bob" || lab_fail "2: a daemon died on the garbage"
lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 5 -w 5 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 ||
	lab_fail "2: the direct tunnel stopped carrying pings: $(cat "$LAB_DIR/ping.log")"

# 3. down: nothing needs the relay, the allocation is given back
lab_in alice "$MEDCLI" down --dir "$A" bob >/dev/null || lab_fail "3: medcli down"
lab_wait 5 lab_med_state_is alice down || lab_fail "3: alice is $(lab_med_field alice connections.0.state)"
case "$(lab_med_field alice turn.state)" in released) ;; *) lab_fail "3: after down alice's turn state is '$(lab_med_field alice turn.state)'" ;; esac
lab_stop_pid "$MEDSRV2_PID"
lab_stop_pid "$GARBAGE_PID"
echo "PASS: a refusing relay (401) and a garbage-talking relay give clear status lines and leave the direct path working"
exit 0
