#!/usr/bin/env bash
# scripts/demo.sh - the demo (README's first command), as root on Debian 12:
#   installs what it needs (scripts/setup.sh), builds into build/, then in network
#   namespaces (test/lab/lab.sh): a mediation server (medsrv, 198.51.100.10) with
#   its web manager, two clients (medcli alice 10.1.0.10 and bob 10.2.0.10) behind
#   two NAT routers (nftables masquerade, unsolicited inbound dropped), keys made
#   with `medcli keygen` and registered with `medsrv peer add`; alice runs
#   `medcli up bob`, pings bob through the direct tunnel, and a capture on the
#   "internet" proves the ESP-in-UDP goes straight between the two NAT routers.
#   The TURN relay of last resort (issue 10): coturn on the "internet"
#   (198.51.100.40:3478), medsrv hands out credentials (--turn); a third client,
#   carol 10.3.0.10, sits behind a symmetric NAT C (198.51.100.23, a new public
#   port per destination), where no direct pair with alice works: alice's
#   `medcli up carol` comes up through the relay, and alice's status shows both
#   tunnels, "path direct" to bob and "path relayed via ..." to carol.
# Options: --keep  leave everything running (web managers on 127.0.0.1:8080 and
#                  :8081) until Ctrl-C.
# Stops by itself otherwise and removes everything it created.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces)"; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing packages (idempotent) and building"
bash scripts/setup.sh || { echo "demo: setup failed"; exit 1; }
mkdir -p build-logs
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >build-logs/demo-configure.log 2>&1 &&
	ninja -C build medsrv medcli >build-logs/demo-build.log 2>&1 ||
	{ tail -20 build-logs/demo-build.log; echo "demo: build failed"; exit 1; }

. test/lab/lab.sh
MEDSRV=$ROOT/build/bin/medsrv
MEDCLI=$ROOT/build/bin/medcli
lab_require_root_and_tools python3
LAB_PREFIX=demo$$
lab_init

NATC_IP=198.51.100.23
CAROL_IP=10.3.0.10
CAROL_TUN=10.93.0.1

say "network: 'internet' 198.51.100.0/24, NAT A 198.51.100.21 (alice 10.1.0.10), NAT B 198.51.100.22 (bob 10.2.0.10), cone NATs"
lab_topology cone

say "a third site: symmetric NAT C $NATC_IP (carol $CAROL_IP), and a TURN relay (coturn) at $LAB_TURN_IP:$LAB_TURN_PORT"
LAB_HOSTS="$LAB_HOSTS natc carol"
for h in natc carol; do
	ip netns add "$(lab_ns "$h")" || lab_fail "cannot create namespace $(lab_ns "$h")"
	lab_in "$h" ip link set lo up
done
lab_link net p-natc natc wan
lab_in net ip link set p-natc master br0
lab_in net ip link set p-natc type bridge_slave learning off flood on
lab_in natc ip addr add "$NATC_IP/24" dev wan
lab_link natc lan carol eth0
lab_in natc ip addr add 10.3.0.1/24 dev lan
lab_in carol ip addr add "$CAROL_IP/24" dev eth0
lab_in carol ip route add default via 10.3.0.1
lab_in natc sysctl -qw net.ipv4.ip_forward=1
lab_nat_rules natc symmetric
lab_in carol ip addr add "$CAROL_TUN/32" dev lo
lab_wait 5 lab_in carol ping -c1 -W1 "$LAB_SRV_IP" || lab_fail "carol cannot reach the server"
lab_turn_start

say "keys, accounts and daemons (medsrv init / peer add, medcli init / keygen / server set / peer add / run)"
lab_med_config
C=$LAB_DIR/carol
MEDCLI_PASSWORD="password of carol" "$MEDCLI" init --dir "$C" >/dev/null || lab_fail "medcli init carol"
"$MEDCLI" keygen --dir "$C" >"$LAB_DIR/carol.keygen" || lab_fail "medcli keygen carol"
CAROL_ID=$(tail -1 "$LAB_DIR/carol.keygen")
"$MEDCLI" server set --dir "$C" --address "$LAB_SRV_IP" --pubkey "$SRV/medsrv.pub" || lab_fail "server set carol"
"$MEDSRV" peer add --dir "$SRV" --alias carol --pubkey "$C/medcli.pub" >/dev/null || lab_fail "medsrv peer add carol"
"$MEDCLI" peer add --dir "$A" --alias carol --pubkey "$C/medcli.pub" --local-ts "$LAB_ALICE_TUN/32" \
	--remote-ts "$CAROL_TUN/32" >/dev/null || lab_fail "peer add carol on alice"
"$MEDCLI" peer add --dir "$C" --alias alice --pubkey "$A/medcli.pub" --local-ts "$CAROL_TUN/32" \
	--remote-ts "$LAB_ALICE_TUN/32" >/dev/null || lab_fail "peer add alice on carol"
lab_bg srv medsrv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level debug \
	--turn "turn:$LAB_TURN_IP:$LAB_TURN_PORT" --turn-secret-file "$LAB_TURN_SECRET_FILE"
LAB_MEDSRV_PID=$LAB_LAST_PID
lab_med_start_clients
lab_bg carol medcli-carol "$MEDCLI" run --dir "$C" --log-level debug
lab_wait 15 lab_med_registered carol || lab_fail "carol did not register: $(tail -5 "$LAB_DIR/medcli-carol.log")"
for h in alice bob carol; do
	lab_wait 10 lab_med_turn_allocated "$h" || lab_fail "$h has no TURN allocation: $(lab_med_field "$h" turn.error)"
done
echo "medsrv KEY_ID $SRV_ID  (TURN credentials for coturn at $LAB_TURN_IP:$LAB_TURN_PORT)"
echo "alice  KEY_ID $ALICE_ID  registered, public endpoint $(lab_med_field alice endpoint), relayed candidate $(lab_med_field alice turn.relayed)"
echo "bob    KEY_ID $BOB_ID  registered, public endpoint $(lab_med_field bob endpoint), relayed candidate $(lab_med_field bob turn.relayed)"
echo "carol  KEY_ID $CAROL_ID  registered, public endpoint $(lab_med_field carol endpoint), relayed candidate $(lab_med_field carol turn.relayed)"

say "web managers (state shared through the databases and control sockets)"
"$MEDSRV" web --dir "$LAB_DIR/srv" --listen 127.0.0.1 --port 8080 >"$LAB_DIR/web-srv.log" 2>&1 &
WEB1=$!
LAB_PIDS+=("$WEB1")
"$MEDCLI" web --dir "$LAB_DIR/alice" --listen 127.0.0.1 --port 8081 >"$LAB_DIR/web-cli.log" 2>&1 &
WEB2=$!
LAB_PIDS+=("$WEB2")
lab_wait 5 curl -sf -o /dev/null http://127.0.0.1:8080/ || lab_fail "the server manager does not answer"
lab_wait 5 curl -sf -o /dev/null http://127.0.0.1:8081/ || lab_fail "the client manager does not answer"
echo "mediation server manager: http://127.0.0.1:8080/   (open an account, paste a public key)"
echo "alice's client manager:   http://127.0.0.1:8081/   (password: 'password of alice')"

say "alice: medcli up bob"
lab_capture_start demo udp
t0=$(lab_now_ms)
lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" bob || lab_fail "medcli up failed"
lab_in alice ping -n -I "$LAB_ALICE_TUN" -c 5 -i 0.2 "$LAB_BOB_TUN" || lab_fail "no ping through the tunnel"
t1=$(lab_now_ms)
lab_capture_stop demo

say "alice: medcli up carol (carol is behind a symmetric NAT: no direct pair works)"
lab_capture_start relay udp
t2=$(lab_now_ms)
lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" --timeout 30 carol || lab_fail "medcli up carol failed"
lab_in alice ping -n -I "$LAB_ALICE_TUN" -c 5 -i 0.2 "$CAROL_TUN" || lab_fail "no ping through the tunnel to carol"
t3=$(lab_now_ms)
lab_capture_stop relay

say "medcli status (alice: one tunnel direct, one relayed)"
lab_in alice "$MEDCLI" status --dir "$LAB_DIR/alice"
say "medcli status (bob)"
lab_in bob "$MEDCLI" status --dir "$LAB_DIR/bob"
say "medcli status (carol)"
lab_in carol "$MEDCLI" status --dir "$LAB_DIR/carol"
say "medsrv status"
lab_in srv "$MEDSRV" status --dir "$LAB_DIR/srv"

esp="udp port 4500 and udp[4:2] > 9 and udp[8:4] != 0"
direct=$(lab_capture_count demo "$esp and src host $LAB_NATA_IP and dst host $LAB_NATB_IP")
back=$(lab_capture_count demo "$esp and src host $LAB_NATB_IP and dst host $LAB_NATA_IP")
via=$(lab_capture_count demo "$esp and host $LAB_SRV_IP")
say "what the capture on the 'internet' shows"
echo "alice <-> bob: ESP-in-UDP $LAB_NATA_IP -> $LAB_NATB_IP: $direct packets, back: $back, through the server: $via"
[ "$direct" -gt 0 ] && [ "$back" -gt 0 ] && [ "$via" -eq 0 ] || lab_fail "the traffic did not flow directly"
path_bob=$(lab_med_conn_field alice bob path)
path_carol=$(lab_med_conn_field alice carol path)
LAB_NATB_IP_SAVED=$LAB_NATB_IP
LAB_NATB_IP=$NATC_IP # lab_esp_counts' "b" is carol's NAT here
read -r a2r r2a c2r r2c a2c c2a srvc _ < <(lab_esp_counts relay)
LAB_NATB_IP=$LAB_NATB_IP_SAVED
echo "alice <-> carol: ESP NAT A -> relay $a2r, relay -> NAT A $r2a, NAT C -> relay $c2r, relay -> NAT C $r2c;" \
	"directly between NAT A and NAT C $((a2c + c2a)), through the server $srvc"
[ "$path_bob" = direct ] || lab_fail "alice's tunnel to bob is '$path_bob', not direct"
[ "$path_carol" = relayed ] || lab_fail "alice's tunnel to carol is '$path_carol', not relayed"
[ $((a2r * r2a * c2r * r2c)) -gt 0 ] && [ $((a2c + c2a + srvc)) -eq 0 ] || lab_fail "the traffic to carol did not flow through the relay"
echo
echo "Summary: alice and bob, each behind its own NAT router, found a direct path with the"
echo "mediation server's help and carried pings through a direct IPsec tunnel (ESP in UDP,"
echo "userspace data plane over TUN) that never touches the server ($((t1 - t0)) ms from up to 5 pings)."
echo "carol's symmetric NAT leaves no direct path: alice's tunnel to carol runs through the TURN"
echo "relay (coturn), still end-to-end ESP that the relay cannot read ($((t3 - t2)) ms from up to 5 pings)."
if [ "$KEEP" = 1 ]; then
	say "running until Ctrl-C (web managers on 127.0.0.1:8080 and :8081)"
	while sleep 3600; do :; done
fi
say "cleaning up"
exit 0
