#!/usr/bin/env bash
# scripts/demo.sh - the demo (README's first command), as root on Debian 12:
#   installs what it needs (scripts/setup.sh), builds into build/, then in network
#   namespaces (test/lab/lab.sh): a mediation server (medsrv, 198.51.100.10) with
#   its web manager, two clients (medcli alice 10.1.0.10 and bob 10.2.0.10) behind
#   two NAT routers (nftables masquerade, unsolicited inbound dropped), keys made
#   with `medcli keygen` and registered with `medsrv peer add`; alice runs
#   `medcli up bob`, pings bob through the direct tunnel, and a capture on the
#   "internet" proves the ESP-in-UDP goes straight between the two NAT routers.
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

say "network: 'internet' 198.51.100.0/24, NAT A 198.51.100.21 (alice 10.1.0.10), NAT B 198.51.100.22 (bob 10.2.0.10)"
lab_topology cone

say "keys, accounts and daemons (medsrv init / peer add, medcli init / keygen / server set / peer add / run)"
lab_med_setup
echo "medsrv KEY_ID $SRV_ID"
echo "alice  KEY_ID $ALICE_ID  registered, public endpoint $(lab_med_field alice endpoint)"
echo "bob    KEY_ID $BOB_ID  registered, public endpoint $(lab_med_field bob endpoint)"

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

say "medcli status (alice)"
lab_in alice "$MEDCLI" status --dir "$LAB_DIR/alice"
say "medcli status (bob)"
lab_in bob "$MEDCLI" status --dir "$LAB_DIR/bob"
say "medsrv status"
lab_in srv "$MEDSRV" status --dir "$LAB_DIR/srv"

esp="udp port 4500 and udp[4:2] > 9 and udp[8:4] != 0"
direct=$(lab_capture_count demo "$esp and src host $LAB_NATA_IP and dst host $LAB_NATB_IP")
back=$(lab_capture_count demo "$esp and src host $LAB_NATB_IP and dst host $LAB_NATA_IP")
via=$(lab_capture_count demo "$esp and host $LAB_SRV_IP")
say "what the capture on the 'internet' shows"
echo "ESP-in-UDP $LAB_NATA_IP -> $LAB_NATB_IP: $direct packets, back: $back, through the server: $via"
[ "$direct" -gt 0 ] && [ "$back" -gt 0 ] && [ "$via" -eq 0 ] || lab_fail "the traffic did not flow directly"
echo
echo "Summary: alice and bob, each behind its own NAT router, found a direct path with the"
echo "mediation server's help and carried pings through a direct IPsec tunnel (ESP in UDP,"
echo "userspace data plane over TUN) that never touches the server."
if [ "$KEEP" = 1 ]; then
	say "running until Ctrl-C (web managers on 127.0.0.1:8080 and :8081)"
	while sleep 3600; do :; done
fi
say "cleaning up"
exit 0
