# SPDX-License-Identifier: MIT
# test/lab/lab.sh - network-namespace lab for integration and interop tests.
# Source it from a test script (bash), then:
#
#   lab_require_root_and_tools [extra tools...]   # exit 77 when not possible
#   lab_init                                      # temp dir, names, cleanup trap
#   lab_topology cone|symmetric [cone|symmetric]  # NAT A type, NAT B type (default: same)
#   lab_in alice ping -c1 198.51.100.10           # run in a host: srv alice bob nata natb net
#   lab_capture_start NAME; lab_capture_stop NAME # tcpdump on the "internet" bridge
#   lab_wait SECONDS CMD...                       # poll CMD every 0.1 s until it succeeds
#   lab_keygen NAME                               # RSA key pair in $LAB_DIR/keys, prints KEY_ID
#   lab_charon_start HOST ROLE; lab_swanctl HOST --command [options]
#   lab_turn_start; lab_turn_stop                 # coturn on "relay" 198.51.100.40:3478
#   lab_assert_relayed_esp CAP; lab_assert_no_relay_esp CAP; lab_med_path_is alice relayed
#
# Topology (see docs/lab.md and ../shared/lab/README.md):
#   alice 10.1.0.10 -- 10.1.0.1 [NAT A] 198.51.100.21 --+
#                                                       +-- bridge br0 in ns "net" (198.51.100.0/24)
#   bob   10.2.0.10 -- 10.2.0.1 [NAT B] 198.51.100.22 --+
#                                                       |
#                                mediation server 198.51.100.10 (ns "srv")
#                                [TURN relay 198.51.100.40 (ns "relay"), after lab_turn_start]
#
# Every namespace is named "$LAB_PREFIX-<host>" (prefix = lab<PID>), so runs never
# collide; nothing is created in the host's own namespace (veth pairs are made
# inside the lab namespaces). lab_cleanup (installed on EXIT; INT/TERM exit
# through it) stops the processes the lab started, by PID, then every process
# left inside the lab namespaces, then deletes the namespaces and the temp dir
# (kept when LAB_KEEP=1, for debugging).

LAB_HOSTS="net srv nata natb alice bob"
LAB_SRV_IP=198.51.100.10
LAB_NATA_IP=198.51.100.21
LAB_NATB_IP=198.51.100.22
LAB_ALICE_IP=10.1.0.10
LAB_BOB_IP=10.2.0.10
LAB_TURN_IP=198.51.100.40
LAB_TURN_PORT=3478
LAB_ALICE_TUN=10.91.0.1
LAB_BOB_TUN=10.92.0.1
LAB_IKE_PROPOSAL=aes128gcm16-prfsha256-x25519
LAB_ESP_PROPOSAL=aes128gcm16
LAB_PLUGINS_CLIENT="random nonce openssl pem pkcs1 pkcs8 pubkey curve25519 sha1 sha2 hmac kdf aes gcm vici kernel-libipsec kernel-netlink socket-default"
LAB_PLUGINS_SERVER="random nonce openssl pem pkcs1 pkcs8 pubkey curve25519 sha1 sha2 hmac kdf aes gcm vici kernel-netlink socket-default"
LAB_CHARON=${LAB_CHARON:-/usr/lib/ipsec/charon}

LAB_PIDS=()
LAB_CLEANED=0

lab_log() {
	printf '%s lab: %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2
}

lab_fail() {
	lab_log "FAIL: $*"
	exit 1
}

lab_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Exits 77 unless run as root with the tools the lab needs (and any extra named).
lab_require_root_and_tools() {
	local t
	[ "$(id -u)" = 0 ] || lab_skip "lab tests need root (network namespaces)"
	for t in ip nft tcpdump unshare ping timeout "$@"; do
		command -v "$t" >/dev/null 2>&1 || lab_skip "missing tool: $t"
	done
	ip netns list >/dev/null 2>&1 || lab_skip "network namespaces not available"
}

# Exits 77 unless Debian's strongSwan (charon, swanctl, pki) is installed.
lab_require_strongswan() {
	lab_require_root_and_tools swanctl pki
	[ -x "$LAB_CHARON" ] || lab_skip "missing $LAB_CHARON (apt-get install strongswan-charon)"
	local p
	for p in kernel-libipsec:libcharon-extra-plugins openssl:libstrongswan-standard-plugins \
		gcm:libstrongswan-standard-plugins curve25519:libstrongswan-extra-plugins; do
		[ -e "/usr/lib/ipsec/plugins/libstrongswan-${p%%:*}.so" ] ||
			lab_skip "missing strongSwan plugin ${p%%:*} (apt-get install ${p#*:})"
	done
}

lab_init() {
	LAB_PREFIX=${LAB_PREFIX:-lab$$}
	LAB_DIR=$(mktemp -d "/tmp/$LAB_PREFIX.XXXXXX")
	mkdir -p "$LAB_DIR/keys" "$LAB_DIR/cap"
	# pki reads STRONGSWAN_CONF too: an explicit plugin list keeps it quiet.
	printf 'pki {\n\tload = random pem pkcs1 pkcs8 pubkey openssl sha1 sha2\n}\n' >"$LAB_DIR/pki.conf"
	trap lab_cleanup EXIT
	trap 'lab_log "interrupted"; exit 130' INT
	trap 'lab_log "terminated"; exit 143' TERM
	lab_log "prefix $LAB_PREFIX, files in $LAB_DIR"
}

lab_ns() {
	echo "$LAB_PREFIX-$1"
}

# Runs a command inside a lab host's namespace.
lab_in() {
	local host=$1
	shift
	ip netns exec "$(lab_ns "$host")" "$@"
}

# Starts a command in the background inside a host; remembers its PID for cleanup
# and stores it in LAB_LAST_PID. Output goes to $LAB_DIR/<logname>.log.
lab_bg() {
	local host=$1 logname=$2
	shift 2
	ip netns exec "$(lab_ns "$host")" "$@" >"$LAB_DIR/$logname.log" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
}

# Stops one process started with lab_bg (TERM, then KILL after 2 s).
lab_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 20); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

lab_cleanup() {
	local rc=$? pid host ns
	[ "$LAB_CLEANED" = 1 ] && return
	LAB_CLEANED=1
	trap - INT TERM
	for pid in "${LAB_PIDS[@]}"; do
		lab_stop_pid "$pid"
	done
	# Anything else still running inside our own namespaces was started by this test.
	for host in $LAB_HOSTS; do
		ns=$(lab_ns "$host")
		ip netns pids "$ns" 2>/dev/null | while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for host in $LAB_HOSTS; do
		ns=$(lab_ns "$host")
		ip netns del "$ns" 2>/dev/null
	done
	# Every daemon has exited now: a sanitizer report (ASan, LeakSanitizer at
	# exit, UBSan) in any log fails a test that passed otherwise.
	if [ "$rc" = 0 ] && [ -n "${LAB_DIR:-}" ] &&
		grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$LAB_DIR"/*.log >/dev/null 2>&1; then
		lab_log "FAIL: sanitizer report in $(grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$LAB_DIR"/*.log | tr '\n' ' ')"
		grep -h -A20 "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$LAB_DIR"/*.log | head -60 >&2
		rc=1
	fi
	if [ "${LAB_KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "${LAB_KEEP_ON_FAIL:-0}" = 1 ]; }; then
		lab_log "kept $LAB_DIR"
	elif [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ]; then
		if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
			lab_dump_logs
		fi
		rm -rf "$LAB_DIR"
	fi
	exit "$rc"
}

# On failure: the tail of every log, so the test output says what happened.
lab_dump_logs() {
	local f
	for f in "$LAB_DIR"/*.log "$LAB_DIR"/*/charon.log; do
		case $f in */pki.log | */load-*.log) [ -s "$f" ] && grep -q -i "fail\|error" "$f" || continue ;; esac
		[ -f "$f" ] || continue
		echo "----- ${f#"$LAB_DIR"/} (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
}

# Polls "$@" every 0.1 s until it succeeds or SECONDS pass. Returns 1 on timeout.
lab_wait() {
	local secs=$1 end
	shift
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.1
	done
	return 0
}

lab_now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Makes veth pair: end $2 in host $1, end $4 in host $3.
lab_link() {
	ip -n "$(lab_ns "$1")" link add "$2" type veth peer name "$4" netns "$(lab_ns "$3")"
	ip -n "$(lab_ns "$1")" link set "$2" up
	ip -n "$(lab_ns "$3")" link set "$4" up
}

# nftables for a NAT router: masquerade out of wan (cone: endpoint-independent
# mapping while the port is free; symmetric: fully-random ports per 5-tuple), and
# drop unsolicited inbound (ct state new arriving on wan), like a home router.
# The input chain matters for hole punching: a peer's check that arrives before
# our own went out would otherwise be accepted locally and leave a conntrack
# entry (peer:4500 -> router:4500) that makes masquerade pick another port for
# our outgoing check. Dropped in input, the entry is never confirmed.
lab_nat_rules() {
	local host=$1 kind=$2 masq
	case $kind in
	cone) masq="masquerade" ;;
	symmetric) masq="masquerade fully-random" ;;
	*) lab_fail "NAT type must be cone or symmetric, not '$kind'" ;;
	esac
	lab_in "$host" nft -f - <<EOF
table ip labnat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" $masq
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "wan" ct state new drop
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "wan" ct state new drop
	}
}
EOF
}

# Builds the whole topology. $1 = NAT A type, $2 = NAT B type (default: $1).
lab_topology() {
	local ka=${1:-cone} kb=${2:-${1:-cone}} host
	for host in $LAB_HOSTS; do
		ip netns add "$(lab_ns "$host")" || lab_fail "cannot create namespace $(lab_ns "$host")"
		lab_in "$host" ip link set lo up
	done
	# The "internet": a bridge in its own namespace. Its ports do not learn MAC
	# addresses, so it floods every frame like a hub, to br0 itself too: otherwise
	# a capture on br0 stops seeing unicast once the bridge has learned.
	lab_in net ip link add br0 type bridge
	lab_in net ip link set br0 up
	lab_link net p-srv srv eth0
	lab_link net p-nata nata wan
	lab_link net p-natb natb wan
	for host in srv nata natb; do
		lab_in net ip link set "p-$host" master br0
		lab_in net ip link set "p-$host" type bridge_slave learning off flood on
	done
	lab_in srv ip addr add "$LAB_SRV_IP/24" dev eth0
	lab_in nata ip addr add "$LAB_NATA_IP/24" dev wan
	lab_in natb ip addr add "$LAB_NATB_IP/24" dev wan
	# The LANs behind the NAT routers.
	lab_link nata lan alice eth0
	lab_link natb lan bob eth0
	lab_in nata ip addr add 10.1.0.1/24 dev lan
	lab_in natb ip addr add 10.2.0.1/24 dev lan
	lab_in alice ip addr add "$LAB_ALICE_IP/24" dev eth0
	lab_in bob ip addr add "$LAB_BOB_IP/24" dev eth0
	lab_in alice ip route add default via 10.1.0.1
	lab_in bob ip route add default via 10.2.0.1
	for host in nata natb; do
		lab_in "$host" sysctl -qw net.ipv4.ip_forward=1
	done
	lab_nat_rules nata "$ka"
	lab_nat_rules natb "$kb"
	# Tunnel addresses for traffic selectors.
	lab_in alice ip addr add "$LAB_ALICE_TUN/32" dev lo
	lab_in bob ip addr add "$LAB_BOB_TUN/32" dev lo
	lab_wait 5 lab_in alice ping -c1 -W1 "$LAB_SRV_IP" || lab_fail "alice cannot reach the server"
	lab_wait 5 lab_in bob ping -c1 -W1 "$LAB_SRV_IP" || lab_fail "bob cannot reach the server"
	lab_log "topology up: NAT A $ka, NAT B $kb"
}

# lab_internet_host NAME IP: one more host on the "internet" bridge (after
# lab_topology), e.g. a strongSwan client without NAT or an attacker; cleaned up
# with the others. Fails unless it reaches the server.
lab_internet_host() {
	local h=$1 ip=$2
	case " $LAB_HOSTS " in
	*" $h "*) ;;
	*)
		LAB_HOSTS="$LAB_HOSTS $h"
		ip netns add "$(lab_ns "$h")" || lab_fail "cannot create namespace $(lab_ns "$h")"
		lab_in "$h" ip link set lo up
		;;
	esac
	lab_link net "p-$h" "$h" eth0
	lab_in net ip link set "p-$h" master br0
	lab_in net ip link set "p-$h" type bridge_slave learning off flood on
	lab_in "$h" ip addr add "$ip/24" dev eth0
	lab_wait 5 lab_in "$h" ping -c1 -W1 "$LAB_SRV_IP" || lab_fail "$h cannot reach the server"
}

# Packet capture on the bridge: lab_capture_start NAME [filter] -> $LAB_DIR/cap/NAME.pcap
lab_capture_start() {
	local name=$1 filter=${2:-udp}
	lab_bg net "tcpdump-$name" tcpdump -i br0 -n -U --immediate-mode -w "$LAB_DIR/cap/$name.pcap" $filter
	eval "LAB_CAP_PID_$name=$LAB_LAST_PID"
	# tcpdump says "listening on" once the capture runs.
	lab_wait 5 grep -q "listening on" "$LAB_DIR/tcpdump-$name.log" || lab_fail "tcpdump did not start"
}

lab_capture_stop() {
	local name=$1 var="LAB_CAP_PID_$1"
	sleep 0.5 # let the last packets be written
	lab_stop_pid "${!var}"
}

# Counts packets of capture NAME matching a tcpdump filter.
lab_capture_count() {
	tcpdump -r "$LAB_DIR/cap/$1.pcap" -n "$2" 2>/dev/null | wc -l
}

# ---------------------------------------------------------------------------
# strongSwan: one charon per namespace (own strongswan.conf, vici socket,
# swanctl dir, private /run), as ../shared/lab/README.md describes.

# RSA 2048 key pair: $LAB_DIR/keys/NAME.pem (private, PEM), NAME.pub (PEM public key).
# Prints the KEY_ID (SHA-1 of the DER PKCS#1 RSAPublicKey, pki --keyid --id spk).
lab_keygen() {
	local name=$1 k="$LAB_DIR/keys/$1"
	local -x STRONGSWAN_CONF="$LAB_DIR/pki.conf"
	(umask 077 && pki --gen --type rsa --size 2048 --outform pem >"$k.pem" 2>>"$LAB_DIR/pki.log") || lab_fail "pki --gen"
	pki --pub --type rsa --in "$k.pem" --outform pem >"$k.pub" 2>>"$LAB_DIR/pki.log" || lab_fail "pki --pub"
	pki --keyid --type pub --in "$k.pub" --id spk --format hex 2>>"$LAB_DIR/pki.log" || lab_fail "pki --keyid"
}

# The charon state dir of a host.
lab_sw_dir() {
	echo "$LAB_DIR/sw-$1"
}

lab_vici_uri() {
	echo "unix://$(lab_sw_dir "$1")/charon.vici"
}

# Writes strongswan.conf for HOST. ROLE: client (kernel-libipsec first) or server.
lab_strongswan_conf() {
	local host=$1 role=$2 d plugins
	d=$(lab_sw_dir "$host")
	mkdir -p "$d/run" "$d/swanctl/pubkey" "$d/swanctl/private" "$d/swanctl/x509" "$d/swanctl/conf.d"
	if [ "$role" = server ]; then plugins=$LAB_PLUGINS_SERVER; else plugins=$LAB_PLUGINS_CLIENT; fi
	cat >"$d/strongswan.conf" <<EOF
charon {
	load_modular = no
	load = $plugins
	install_virtual_ip = no
	retransmit_tries = 3
	retransmit_timeout = 1.0
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
	}
	syslog {
		identifier = charon-$LAB_PREFIX-$host
	}
	filelog {
		charon {
			path = $d/charon.log
			time_format = %H:%M:%S
			time_add_ms = yes
			ike_name = yes
			flush_line = yes
			append = no
			default = 1
			ike = 2
			net = 1
			cfg = 1
		}
	}
}
swanctl {
	socket = unix://$d/charon.vici
	load = random nonce openssl pem pkcs1 pkcs8 pubkey sha1 sha2
}
EOF
}

# Starts charon in HOST (ROLE client|server) and waits for its vici socket.
lab_charon_start() {
	local host=$1 role=${2:-client} d
	d=$(lab_sw_dir "$host")
	[ -f "$d/strongswan.conf" ] || lab_strongswan_conf "$host" "$role"
	lab_bg "$host" "charon-$host" unshare --mount --propagation private \
		sh -c "mount --bind '$d/run' /run && exec env STRONGSWAN_CONF='$d/strongswan.conf' '$LAB_CHARON'"
	eval "LAB_CHARON_PID_$host=$LAB_LAST_PID"
	lab_wait 10 test -S "$d/charon.vici" || lab_fail "charon in $host did not open its vici socket"
	lab_wait 5 lab_swanctl "$host" --stats || lab_fail "charon in $host does not answer"
}

lab_charon_stop() {
	local var="LAB_CHARON_PID_$1"
	[ -n "${!var:-}" ] && lab_stop_pid "${!var}"
}

# swanctl against HOST's charon, with its config dir: lab_swanctl HOST --command [options]
# (swanctl takes its options after the command).
lab_swanctl() {
	local host=$1 cmd=$2 d
	shift 2
	d=$(lab_sw_dir "$host")
	lab_in "$host" env STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR="$d/swanctl" \
		swanctl "$cmd" --uri "$(lab_vici_uri "$host")" "$@"
}

# Loads swanctl.conf, keys and secrets into HOST's charon.
lab_swanctl_load() {
	lab_swanctl "$1" --load-all --noprompt >"$LAB_DIR/load-$1.log" 2>&1 ||
		{ cat "$LAB_DIR/load-$1.log" >&2; lab_fail "swanctl --load-all in $1"; }
}

# Installs key NAME's private key in HOST (its own) and public keys of the others.
lab_sw_keys() {
	local host=$1 own=$2 d k
	shift 2
	d=$(lab_sw_dir "$host")/swanctl
	cp "$LAB_DIR/keys/$own.pem" "$d/private/$own.pem"
	cp "$LAB_DIR/keys/$own.pub" "$d/pubkey/$own.pub"
	for k in "$@"; do
		cp "$LAB_DIR/keys/$k.pub" "$d/pubkey/$k.pub"
	done
}

# Mediation server: lab_swanctl_medsrv HOST OWNKEY OWNKEYID ADDR CLIENTKEY...
# (the clients' public keys are trusted raw keys; any of them may register).
lab_swanctl_medsrv() {
	local host=$1 key=$2 keyid=$3 addr=$4
	shift 4
	lab_strongswan_conf "$host" server
	lab_sw_keys "$host" "$key" "$@"
	cat >"$(lab_sw_dir "$host")/swanctl/swanctl.conf" <<EOF
connections {
	medsrv {
		local_addrs = $addr
		mediation = yes
		mobike = no
		proposals = $LAB_IKE_PROPOSAL
		${LAB_SW_SRV_OPTS:-}
		local {
			auth = pubkey
			pubkeys = $key.pub
			id = "@#$keyid"
		}
		remote {
			auth = pubkey
			id = %any
		}
	}
}
EOF
}

# Mediation client: lab_swanctl_medcli HOST OWNKEY OWNKEYID SRVADDR SRVKEY SRVKEYID PEERKEY PEERKEYID LOCAL_TS REMOTE_TS
# Connection "medsrv" registers; connection/child "peer" is mediated by it.
# LAB_SW_CONN_OPTS (both connections), LAB_SW_CHILD_OPTS (the child) and, for
# lab_swanctl_medsrv, LAB_SW_SRV_OPTS: extra swanctl.conf lines (e.g. DPD).
lab_swanctl_medcli() {
	local host=$1 key=$2 keyid=$3 srvaddr=$4 srvkey=$5 srvkeyid=$6 peerkey=$7 peerkeyid=$8 lts=$9 rts=${10}
	lab_strongswan_conf "$host" client
	lab_sw_keys "$host" "$key" "$srvkey" "$peerkey"
	cat >"$(lab_sw_dir "$host")/swanctl/swanctl.conf" <<EOF
connections {
	medsrv {
		remote_addrs = $srvaddr
		mediation = yes
		mobike = no
		proposals = $LAB_IKE_PROPOSAL
		${LAB_SW_CONN_OPTS:-}
		local {
			auth = pubkey
			pubkeys = $key.pub
			id = "@#$keyid"
		}
		remote {
			auth = pubkey
			id = "@#$srvkeyid"
		}
	}
	peer {
		mediated_by = medsrv
		mediation_peer = "@#$peerkeyid"
		proposals = $LAB_IKE_PROPOSAL
		${LAB_SW_CONN_OPTS:-}
		local {
			auth = pubkey
			pubkeys = $key.pub
			id = "@#$keyid"
		}
		remote {
			auth = pubkey
			id = "@#$peerkeyid"
		}
		children {
			peer {
				local_ts = $lts
				remote_ts = $rts
				esp_proposals = $LAB_ESP_PROPOSAL
				${LAB_SW_CHILD_OPTS:-}
			}
		}
	}
}
EOF
}

# lab_sw_med_setup: strongSwan all round: charon as the mediation server on srv,
# charon with kernel-libipsec on alice and bob (connections medsrv and peer, the
# tunnel addresses as selectors), both registered. Sets SW_SRV_ID SW_ALICE_ID
# SW_BOB_ID. LAB_SW_SRV_OPTS, LAB_SW_CONN_OPTS and LAB_SW_CHILD_OPTS apply.
lab_sw_med_setup() {
	local h
	SW_SRV_ID=$(lab_keygen srv)
	SW_ALICE_ID=$(lab_keygen alice)
	SW_BOB_ID=$(lab_keygen bob)
	lab_swanctl_medsrv srv srv "$SW_SRV_ID" "$LAB_SRV_IP" alice bob
	lab_swanctl_medcli alice alice "$SW_ALICE_ID" "$LAB_SRV_IP" srv "$SW_SRV_ID" bob "$SW_BOB_ID" \
		"$LAB_ALICE_TUN/32" "$LAB_BOB_TUN/32"
	lab_swanctl_medcli bob bob "$SW_BOB_ID" "$LAB_SRV_IP" srv "$SW_SRV_ID" alice "$SW_ALICE_ID" \
		"$LAB_BOB_TUN/32" "$LAB_ALICE_TUN/32"
	lab_charon_start srv server
	lab_swanctl_load srv
	for h in alice bob; do
		lab_charon_start "$h" client
		lab_swanctl_load "$h"
		lab_swanctl "$h" --initiate --ike medsrv --timeout 10 >/dev/null 2>&1 || lab_fail "$h could not register"
	done
}

# Plain site-to-site (for the engine interop tests), connection and child "s2s".
# lab_swanctl_s2s HOST ROLE(initiator|responder) AUTH(pubkey|psk) LOCAL_ADDR REMOTE_ADDR
#                 LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS [OWNKEY PEERKEY | PSK]
# IDs are swanctl identities: "@#<hex keyid>" for ID_KEY_ID, "@fqdn", an IP...
# The responder accepts any remote address (the initiator may be behind NAT).
# LAB_DPD_DELAY (default 10s) sets strongSwan's dpd_delay.
lab_swanctl_s2s() {
	local host=$1 role=$2 auth=$3 laddr=$4 raddr=$5 lid=$6 rid=$7 lts=$8 rts=$9 a=${10:-} b=${11:-}
	local d lauth rauth secrets=""
	lab_strongswan_conf "$host" client
	d=$(lab_sw_dir "$host")/swanctl
	if [ "$auth" = pubkey ]; then
		lab_sw_keys "$host" "$a" "$b"
		lauth="auth = pubkey
			pubkeys = $a.pub"
		rauth="auth = pubkey
			pubkeys = $b.pub"
	else
		lauth="auth = psk"
		rauth="auth = psk"
		secrets="secrets {
	ike-peer {
		id-1 = $lid
		id-2 = $rid
		secret = \"$a\"
	}
}"
	fi
	[ "$role" = responder ] && raddr=%any
	cat >"$d/swanctl.conf" <<EOF
connections {
	s2s {
		local_addrs = $laddr
		remote_addrs = $raddr
		proposals = $LAB_IKE_PROPOSAL
		mobike = no
		dpd_delay = ${LAB_DPD_DELAY:-10s}
		local {
			$lauth
			id = "$lid"
		}
		remote {
			$rauth
			id = "$rid"
		}
		children {
			s2s {
				local_ts = $lts
				remote_ts = $rts
				esp_proposals = $LAB_ESP_PROPOSAL
			}
		}
	}
}
$secrets
EOF
}

# Number of IKE_SAs HOST's charon lists as ESTABLISHED (optionally for connection $2).
lab_sw_established() {
	lab_swanctl "$1" --list-sas ${2:+--ike "$2"} 2>/dev/null | grep -c ESTABLISHED
}

# Succeeds when HOST has at least N established IKE_SAs.
lab_sw_has_sas() {
	[ "$(lab_sw_established "$1")" -ge "$2" ]
}

# ---------------------------------------------------------------------------
# Our programs: medsrv on the server, medcli on alice and bob (MEDSRV, MEDCLI
# must name the binaries). State dirs $LAB_DIR/srv, $LAB_DIR/alice, $LAB_DIR/bob.

# lab_med_field HOST JSON-PATH: a value from `medcli status --json` on HOST
lab_med_field() {
	lab_in "$1" "$MEDCLI" status --dir "$LAB_DIR/$1" --json 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
    if v is None:
        break
print("true" if v is True else "false" if v is False else ("" if v is None else v))' "$2"
}

lab_med_registered() {
	[ "$(lab_med_field "$1" registered)" = true ]
}

# lab_med_has_endpoint HOST IP: HOST learned a public endpoint at IP (any port)
lab_med_has_endpoint() {
	case "$(lab_med_field "$1" endpoint)" in
	"$2":*) return 0 ;;
	*) return 1 ;;
	esac
}

# lab_med_setup: keys (medcli keygen), medsrv peers, medcli server and peers
# (alice <-> bob with the tunnel addresses), daemons started, both registered.
# Sets SRV_ID ALICE_ID BOB_ID LAB_MEDSRV_PID LAB_MEDCLI_PID_alice LAB_MEDCLI_PID_bob.
# LAB_MEDSRV_ARGS: extra options for `medsrv run` (e.g. the TURN relay:
# "--turn turn:$LAB_TURN_IP:$LAB_TURN_PORT --turn-secret-file $LAB_TURN_SECRET_FILE"
# after lab_turn_start); LAB_MEDCLI_ARGS: extra options for both `medcli run` (e.g. "--dpd 1");
# LAB_PEER_ARGS_alice / LAB_PEER_ARGS_bob: extra options for that side's
# `medcli peer add` (e.g. "--start on-demand").
lab_med_setup() {
	lab_med_config
	lab_bg srv medsrv "$MEDSRV" run --dir "$SRV" --listen "$LAB_SRV_IP" --log-level debug ${LAB_MEDSRV_ARGS:-}
	LAB_MEDSRV_PID=$LAB_LAST_PID
	lab_med_start_clients
}

# lab_med_config: lab_med_setup's keys, medsrv peers, medcli server and peers, and
# nothing started (for a test that runs medsrv with options of its own, then
# lab_med_start_clients). Sets SRV A B SRV_ID ALICE_ID BOB_ID.
lab_med_config() {
	local h d got
	SRV=$LAB_DIR/srv
	A=$LAB_DIR/alice
	B=$LAB_DIR/bob
	SRV_ID=$("$MEDSRV" init --dir "$SRV") || lab_fail "medsrv init"
	for h in alice bob; do
		d=$LAB_DIR/$h
		MEDCLI_PASSWORD="password of $h" "$MEDCLI" init --dir "$d" >/dev/null || lab_fail "medcli init $h"
		"$MEDCLI" keygen --dir "$d" >"$LAB_DIR/$h.keygen" || lab_fail "medcli keygen $h"
		[ "$(stat -c %a "$d/medcli.key")" = 600 ] || lab_fail "$h's medcli.key is not mode 0600"
		"$MEDCLI" server set --dir "$d" --address "$LAB_SRV_IP" --pubkey "$SRV/medsrv.pub" || lab_fail "server set $h"
	done
	ALICE_ID=$(tail -1 "$LAB_DIR/alice.keygen")
	BOB_ID=$(tail -1 "$LAB_DIR/bob.keygen")
	got=$("$MEDSRV" peer add --dir "$SRV" --alias alice --pubkey "$A/medcli.pub") || lab_fail "medsrv peer add alice"
	[ "$got" = "$ALICE_ID" ] || lab_fail "medsrv says alice is $got, medcli keygen said $ALICE_ID"
	got=$("$MEDSRV" peer add --dir "$SRV" --alias bob --pubkey "$B/medcli.pub") || lab_fail "medsrv peer add bob"
	[ "$got" = "$BOB_ID" ] || lab_fail "medsrv says bob is $got, medcli keygen said $BOB_ID"
	"$MEDCLI" peer add --dir "$A" --alias bob --pubkey "$B/medcli.pub" --local-ts "$LAB_ALICE_TUN/32" \
		--remote-ts "$LAB_BOB_TUN/32" ${LAB_PEER_ARGS_alice:-} >/dev/null || lab_fail "peer add on alice"
	"$MEDCLI" peer add --dir "$B" --alias alice --pubkey "$A/medcli.pub" --local-ts "$LAB_BOB_TUN/32" \
		--remote-ts "$LAB_ALICE_TUN/32" ${LAB_PEER_ARGS_bob:-} >/dev/null || lab_fail "peer add on bob"
	lab_log "KEY_IDs: srv $SRV_ID alice $ALICE_ID bob $BOB_ID"
}

# lab_med_start_clients: alice's and bob's medcli started, both registered with
# their NAT's address. Sets LAB_MEDCLI_PID_alice LAB_MEDCLI_PID_bob.
lab_med_start_clients() {
	lab_bg alice medcli-alice "$MEDCLI" run --dir "$A" --log-level debug ${LAB_MEDCLI_ARGS:-}
	LAB_MEDCLI_PID_alice=$LAB_LAST_PID
	lab_bg bob medcli-bob "$MEDCLI" run --dir "$B" --log-level debug ${LAB_MEDCLI_ARGS:-}
	LAB_MEDCLI_PID_bob=$LAB_LAST_PID

	lab_wait 15 lab_med_registered alice || lab_fail "alice did not register: $(tail -5 "$LAB_DIR/medcli-alice.log")"
	lab_wait 15 lab_med_registered bob || lab_fail "bob did not register: $(tail -5 "$LAB_DIR/medcli-bob.log")"
	lab_wait 5 lab_med_has_endpoint alice "$LAB_NATA_IP" || lab_fail "alice's endpoint: '$(lab_med_field alice endpoint)'"
	lab_wait 5 lab_med_has_endpoint bob "$LAB_NATB_IP" || lab_fail "bob's endpoint: '$(lab_med_field bob endpoint)'"
	lab_log "registered: alice at $(lab_med_field alice endpoint), bob at $(lab_med_field bob endpoint)"
}

# lab_nat_renumber HOST LO HI: the NAT router HOST "reboots": its masquerade takes
# ports LO..HI from now on and its conntrack table is flushed, so every flow
# behind it gets a new public port (what a home router reboot or an ISP's
# daily change does).
lab_nat_renumber() {
	lab_in "$1" nft flush chain ip labnat postrouting || lab_fail "cannot change $1's NAT"
	lab_in "$1" nft add rule ip labnat postrouting oifname "wan" meta l4proto "{ tcp, udp }" \
		masquerade to ":$2-$3" || lab_fail "cannot change $1's NAT ports"
	lab_in "$1" nft add rule ip labnat postrouting oifname "wan" masquerade || lab_fail "cannot change $1's NAT"
	lab_in "$1" conntrack -F >/dev/null 2>&1 || lab_fail "cannot flush $1's conntrack table"
}

# lab_block_direct [nata|natb] / lab_unblock_direct [nata|natb]: that NAT router
# (default NAT A) drops (or passes again) everything between the two NAT routers'
# public addresses: the direct path dies, the server (and a relay) stay.
lab_block_direct() {
	local h=${1:-nata} other=$LAB_NATB_IP
	[ "$h" = natb ] && other=$LAB_NATA_IP
	lab_in "$h" nft add table ip labblock
	lab_in "$h" nft "add chain ip labblock out { type filter hook postrouting priority 200; policy accept; }"
	lab_in "$h" nft "add chain ip labblock in { type filter hook prerouting priority -200; policy accept; }"
	lab_in "$h" nft add rule ip labblock out ip daddr "$other" drop
	lab_in "$h" nft add rule ip labblock in ip saddr "$other" drop
}
lab_unblock_direct() {
	lab_in "${1:-nata}" nft delete table ip labblock
}
# The firewall rule on NAT B that blocks the direct path (issue 10).
lab_block_direct_b() { lab_block_direct natb; }
lab_unblock_direct_b() { lab_unblock_direct natb; }

# lab_ping_start HOST: pings the peer's tunnel address every 0.1 s in the
# background (timestamped replies in $LAB_DIR/ping-HOST.log); lab_ping_stop HOST;
# lab_ping_max_gap HOST FROM_MS: the longest time between replies since FROM_MS
# (milliseconds since the epoch), the start of the window counting as a reply.
lab_ping_start() {
	local src dst
	if [ "$1" = alice ]; then src=$LAB_ALICE_TUN dst=$LAB_BOB_TUN; else src=$LAB_BOB_TUN dst=$LAB_ALICE_TUN; fi
	lab_bg "$1" "ping-$1" ping -n -D -O -i 0.1 -w 600 -I "$src" "$dst"
	eval "LAB_PING_PID_$1=\$LAB_LAST_PID"
}
lab_ping_stop() {
	local v="LAB_PING_PID_$1"
	[ -n "${!v:-}" ] && lab_stop_pid "${!v}"
	eval "LAB_PING_PID_$1="
}
lab_ping_max_gap() {
	python3 - "$LAB_DIR/ping-$1.log" "$2" <<'PY'
import re, sys
since = int(sys.argv[2]) / 1000.0
t = [since]
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from", line)
    if m and float(m.group(1)) >= since:
        t.append(float(m.group(1)))
print(int(max(b - a for a, b in zip(t, t[1:] + [t[-1]])) * 1000) if len(t) > 1 else -1)
PY
}
# lab_ping_replies_after HOST FROM_MS: replies received since FROM_MS
lab_ping_replies_after() {
	python3 - "$LAB_DIR/ping-$1.log" "$2" <<'PY'
import re, sys
since = int(sys.argv[2]) / 1000.0
n = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from", line)
    if m and float(m.group(1)) >= since:
        n += 1
print(n)
PY
}

# lab_cpu_ticks PID: user + system CPU time of a process, in clock ticks
lab_cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# lab_medsrv_online: how many peers our medsrv has registered now
lab_medsrv_online() {
	lab_in srv "$MEDSRV" status --dir "$SRV" --json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin).get("peers", []) if p.get("online")))'
}

# lab_med_state_is HOST STATE: HOST's first connection is in STATE
lab_med_state_is() {
	[ "$(lab_med_field "$1" connections.0.state)" = "$2" ]
}

# lab_need_bins NAME...: sets MEDSRV / MEDCLI / ... (upper-case names) to the
# binaries in $BUILD_DIR/bin (default build/bin); exit 77 when one is missing.
lab_need_bins() {
	local b var
	for b in "$@"; do
		[ -x "${BUILD_DIR:-build}/bin/$b" ] || lab_skip "no ${BUILD_DIR:-build}/bin/$b (set BUILD_DIR)"
		var=$(echo "$b" | tr '[:lower:]' '[:upper:]')
		printf -v "$var" '%s' "$(readlink -f "${BUILD_DIR:-build}/bin/$b")"
	done
}

# lab_assert_direct_esp CAPTURE [LABEL]: the capture holds ESP-in-UDP (UDP 4500,
# longer than a keepalive, non-zero SPI) in both directions between the two NAT
# routers' public addresses and none to or from the server; logs the counts.
lab_assert_direct_esp() {
	local cap=$1 label=${2:-$1} esp="udp port 4500 and udp[4:2] > 9 and udp[8:4] != 0" direct back via
	direct=$(lab_capture_count "$cap" "$esp and src host $LAB_NATA_IP and dst host $LAB_NATB_IP")
	back=$(lab_capture_count "$cap" "$esp and src host $LAB_NATB_IP and dst host $LAB_NATA_IP")
	via=$(lab_capture_count "$cap" "$esp and host $LAB_SRV_IP")
	lab_log "$label: ESP-in-UDP packets A->B $direct, B->A $back, via the server $via"
	[ "$direct" -gt 0 ] && [ "$back" -gt 0 ] || lab_fail "$label: no direct ESP-in-UDP between the NAT routers"
	[ "$via" -eq 0 ] || lab_fail "$label: ESP went through the mediation server"
}

# lab_medsrv_setup: our medsrv on the server for strongSwan clients (MEDSRV set):
# medsrv init (server key 0600, its KEY_ID = pki's), pki keys for alice and bob,
# alice added as PEM before the start, bob as DER while medsrv runs (keys are read at
# authentication time). Sets SRV_DIR SRV_ID ALICE_ID BOB_ID MEDSRV_PID; then use
# status_json, peer_field and online (below).
lab_medsrv_setup() {
	local got
	SRV_DIR=$LAB_DIR/medsrv
	SRV_ID=$("$MEDSRV" init --dir "$SRV_DIR") || lab_fail "medsrv init"
	[ "$(stat -c %a "$SRV_DIR/medsrv.key")" = 600 ] || lab_fail "medsrv.key is not mode 0600"
	cp "$SRV_DIR/medsrv.pub" "$LAB_DIR/keys/srv.pub"
	PKI_SRV_ID=$(STRONGSWAN_CONF="$LAB_DIR/pki.conf" pki --keyid --type pub --in "$LAB_DIR/keys/srv.pub" --id spk --format hex)
	[ "$SRV_ID" = "$PKI_SRV_ID" ] || lab_fail "medsrv init printed $SRV_ID, pki says $PKI_SRV_ID"
	ALICE_ID=$(lab_keygen alice)
	BOB_ID=$(lab_keygen bob)
	got=$("$MEDSRV" peer add --dir "$SRV_DIR" --alias alice --pubkey "$LAB_DIR/keys/alice.pub") || lab_fail "peer add alice"
	[ "$got" = "$ALICE_ID" ] || lab_fail "peer add printed $got for alice, pki says $ALICE_ID"
	lab_bg srv medsrv "$MEDSRV" run --dir "$SRV_DIR" --listen "$LAB_SRV_IP" --log-level debug
	MEDSRV_PID=$LAB_LAST_PID
	lab_wait 10 lab_in srv "$MEDSRV" status --dir "$SRV_DIR" --json || lab_fail "medsrv does not answer on its control socket"
	# bob is added while medsrv runs, as DER, to cover both input formats
	STRONGSWAN_CONF="$LAB_DIR/pki.conf" pki --pub --type rsa --in "$LAB_DIR/keys/bob.pem" --outform der >"$LAB_DIR/keys/bob.der"
	got=$("$MEDSRV" peer add --dir "$SRV_DIR" --alias bob --pubkey "$LAB_DIR/keys/bob.der") || lab_fail "peer add bob"
	[ "$got" = "$BOB_ID" ] || lab_fail "peer add printed $got for bob, pki says $BOB_ID"
}

# status_json: medsrv's status object (after lab_medsrv_setup)
status_json() {
	lab_in srv "$MEDSRV" status --dir "$SRV_DIR" --json
}

# peer_field KEYID FIELD: prints the field of that peer in medsrv's status object
peer_field() {
	status_json | python3 -c '
import json, sys
st = json.load(sys.stdin)
for p in st["peers"]:
    if p["keyid"] == sys.argv[1]:
        v = p.get(sys.argv[2])
        print("true" if v is True else "false" if v is False else ("" if v is None else v))
' "$1" "$2"
}

# online KEYID: medsrv shows that peer online
online() {
	[ "$(peer_field "$1" online)" = true ]
}

# ---------------------------------------------------------------------------
# TURN relay (issue 10): coturn on one more "internet" host, and what a capture
# says about the path the ESP took.

# lab_turn_start: coturn (turnserver) on host "relay" ($LAB_TURN_IP, added with
# lab_internet_host on the first call), UDP port $LAB_TURN_PORT, TURN REST API
# credentials (use-auth-secret) with the secret in $LAB_TURN_SECRET_FILE (mode
# 0600, made on the first call, kept across a stop and start), relayed addresses
# on the same IP, ports 49152-49300. No peer address is denied (coturn denies none
# unless told; loopback peers stay refused), so an allocation may send to the lab's
# 198.51.100.x hosts and to another allocation on the same relay. The secret is in
# a config file (0600), not on the command line. Log: $LAB_DIR/coturn.log.
# Sets LAB_TURN_PID LAB_TURN_SECRET_FILE. LAB_TURN_ARGS: more turnserver options.
lab_turn_start() {
	local conf=$LAB_DIR/turnserver.conf
	command -v turnserver >/dev/null 2>&1 || lab_skip "missing tool: turnserver (apt-get install coturn)"
	if ! lab_in relay ip -4 addr show dev eth0 2>/dev/null | grep -q "inet $LAB_TURN_IP/"; then
		lab_internet_host relay "$LAB_TURN_IP"
	fi
	LAB_TURN_SECRET_FILE=$LAB_DIR/turn.secret
	if [ ! -s "$LAB_TURN_SECRET_FILE" ]; then
		(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB_TURN_SECRET_FILE" &&
			echo >>"$LAB_TURN_SECRET_FILE") || lab_fail "cannot write $LAB_TURN_SECRET_FILE"
	fi
	(umask 077 && cat >"$conf" <<CONF
listening-ip=$LAB_TURN_IP
relay-ip=$LAB_TURN_IP
listening-port=$LAB_TURN_PORT
use-auth-secret
static-auth-secret=$(head -1 "$LAB_TURN_SECRET_FILE")
realm=lab.example
no-tls
no-dtls
no-tcp
no-tcp-relay
no-cli
log-file=stdout
simple-log
min-port=49152
max-port=49300
pidfile=$LAB_DIR/turnserver.pid
CONF
	) || lab_fail "cannot write $conf"
	lab_bg relay coturn turnserver -c "$conf" ${LAB_TURN_ARGS:-}
	LAB_TURN_PID=$LAB_LAST_PID
	lab_wait 10 lab_turn_listening || lab_fail "coturn does not listen on $LAB_TURN_IP:$LAB_TURN_PORT: $(tail -5 "$LAB_DIR/coturn.log")"
	lab_log "coturn on $LAB_TURN_IP:$LAB_TURN_PORT (pid $LAB_TURN_PID)"
}
lab_turn_listening() {
	kill -0 "$LAB_TURN_PID" 2>/dev/null &&
		[ -n "$(lab_in relay ss -Hlun "sport = :$LAB_TURN_PORT" 2>/dev/null)" ]
}
# lab_turn_stop: coturn stops (every allocation on it is gone with it).
lab_turn_stop() {
	[ -n "${LAB_TURN_PID:-}" ] && lab_stop_pid "$LAB_TURN_PID"
	LAB_TURN_PID=
	lab_log "coturn stopped"
}

# lab_esp_counts CAPTURE: ESP packets in the capture, by path. A datagram is ESP
# when, with any TURN framing taken off, it is longer than a keepalive and starts
# with a non-zero SPI (lab_assert_direct_esp's filter: udp[4:2] > 9 and
# udp[8:4] != 0). Framing: to or from the relay's port $LAB_TURN_PORT the payload
# is ChannelData or a Send/Data indication (the DATA attribute is the datagram);
# to or from the relay's other ports (the relayed addresses) it is the datagram.
# Prints one line: a>r r>a b>r r>b a>b b>a srv (a, b: NAT A's and NAT B's public
# addresses, r: the relay, srv: to or from the mediation server), then the
# relayed ones by kind: channel indication raw.
lab_esp_counts() {
	python3 - "$LAB_DIR/cap/$1.pcap" "$LAB_NATA_IP" "$LAB_NATB_IP" "$LAB_TURN_IP" "$LAB_SRV_IP" "$LAB_TURN_PORT" <<'PY'
import socket, struct, sys
path, nata, natb, relay, srv, tport = sys.argv[1:7]
tport = int(tport)
name = {nata: "a", natb: "b", relay: "r", srv: "s"}
keys = ["a>r", "r>a", "b>r", "r>b", "a>b", "b>a"]
n = dict.fromkeys(keys, 0)
n_srv = 0
kind = {"channel": 0, "indication": 0, "raw": 0}

def stun_data(p):
    # DATA (0x0013) of a Send (0x0016) or Data (0x0017) indication, else None
    if len(p) < 20 or p[0] & 0xC0 or p[4:8] != b"\x21\x12\xa4\x42":
        return None
    mtype, mlen = struct.unpack(">HH", p[:4])
    if mtype not in (0x0016, 0x0017):
        return None
    i, end = 20, min(len(p), 20 + mlen)
    while i + 4 <= end:
        at, al = struct.unpack(">HH", p[i:i + 4])
        if at == 0x0013:
            return p[i + 4:i + 4 + al]
        i += 4 + ((al + 3) & ~3)
    return None

def is_esp(q):
    return q is not None and len(q) >= 4 and q[:4] != b"\0\0\0\0"

with open(path, "rb") as f:
    gh = f.read(24)
    if len(gh) < 24:
        print(" ".join(["0"] * 7), 0, 0, 0)
        sys.exit(0)
    e = "<" if struct.unpack("<I", gh[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(e + "I", gh[20:24])[0]
    while True:
        rh = f.read(16)
        if len(rh) < 16:
            break
        incl = struct.unpack(e + "IIII", rh)[2]
        d = f.read(incl)
        if link == 1:
            off, et = 14, d[12:14]
            while et == b"\x81\x00":
                et, off = d[off + 2:off + 4], off + 4
            if et != b"\x08\x00":
                continue
        elif link == 113:
            off = 16
        else:
            continue
        ip = d[off:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        if struct.unpack(">H", ip[6:8])[0] & 0x1FFF:
            continue  # not the first fragment
        ihl = (ip[0] & 15) * 4
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        sport, dport, ulen = struct.unpack(">HHH", ip[ihl:ihl + 6])
        p = ip[ihl + 8:ihl + ulen]
        s, t = name.get(src, "o"), name.get(dst, "o")
        k = None
        if (src == relay and sport == tport) or (dst == relay and dport == tport):
            if len(p) >= 4 and 0x40 <= p[0] <= 0x4F:
                q, k = p[4:4 + struct.unpack(">H", p[2:4])[0]], "channel"
            else:
                q, k = stun_data(p), "indication"
        else:
            q = p
            if relay in (src, dst):
                k = "raw"
        if not is_esp(q):
            continue
        if "s" in (s, t):
            n_srv += 1
        key = s + ">" + t
        if key in n:
            n[key] += 1
            if k:
                kind[k] += 1
print(" ".join(str(n[x]) for x in keys), n_srv, kind["channel"], kind["indication"], kind["raw"])
PY
}

# lab_assert_relayed_esp CAPTURE [LABEL]: the capture holds ESP (lab_esp_counts)
# between each NAT router and the relay in both directions, none directly between
# the two NAT routers and none to or from the server; logs the counts.
lab_assert_relayed_esp() {
	local cap=$1 label=${2:-$1} a2r r2a b2r r2b a2b b2a srv ch ind raw
	read -r a2r r2a b2r r2b a2b b2a srv ch ind raw < <(lab_esp_counts "$cap")
	lab_log "$label: ESP A->relay $a2r, relay->A $r2a, B->relay $b2r, relay->B $r2b (as ChannelData $ch, in indications $ind, plain to/from relayed ports $raw); A->B $a2b, B->A $b2a; via the server $srv"
	[ "$a2r" -gt 0 ] && [ "$r2a" -gt 0 ] && [ "$b2r" -gt 0 ] && [ "$r2b" -gt 0 ] ||
		lab_fail "$label: no ESP between both NAT routers and the relay in both directions"
	[ "$a2b" -eq 0 ] && [ "$b2a" -eq 0 ] || lab_fail "$label: ESP went directly between the NAT routers"
	[ "$srv" -eq 0 ] || lab_fail "$label: ESP went through the mediation server"
	# the relayed end binds a channel for the chosen pair: its ESP goes as ChannelData
	[ "$ch" -gt 0 ] || lab_fail "$label: no ESP as ChannelData (the channel was never bound)"
}

# lab_assert_no_relay_esp CAPTURE [LABEL]: no ESP to or from the relay in the
# capture (its STUN/TURN control traffic on $LAB_TURN_PORT is fine).
lab_assert_no_relay_esp() {
	local cap=$1 label=${2:-$1} a2r r2a b2r r2b a2b b2a srv ch ind raw
	read -r a2r r2a b2r r2b a2b b2a srv ch ind raw < <(lab_esp_counts "$cap")
	lab_log "$label: ESP via the relay: A->relay $a2r, relay->A $r2a, B->relay $b2r, relay->B $r2b; direct A->B $a2b, B->A $b2a"
	[ $((a2r + r2a + b2r + r2b)) -eq 0 ] || lab_fail "$label: ESP went through the relay"
}

# lab_med_path_is HOST direct|relayed: HOST's first connection is up on that path
lab_med_path_is() {
	lab_med_state_is "$1" up && [ "$(lab_med_field "$1" connections.0.path)" = "$2" ]
}

# lab_med_turn_allocated HOST: HOST holds a relayed candidate on the relay
lab_med_turn_allocated() {
	[ "$(lab_med_field "$1" turn.state)" = allocated ]
}

# lab_med_up_and_ping LABEL: alice runs `medcli up bob`, then pings bob's tunnel
# address until the first reply, then 10 more each way. Sets LAB_T_UP (ms until
# up returned) and LAB_T_PING (ms from up to the first reply); fails with LABEL.
lab_med_up_and_ping() {
	local what=$1 t0 t1 t2
	t0=$(lab_now_ms)
	lab_in alice "$MEDCLI" up --dir "$LAB_DIR/alice" --timeout 30 bob >"$LAB_DIR/up.log" 2>&1 ||
		lab_fail "$what: medcli up bob failed: $(cat "$LAB_DIR/up.log")"
	t1=$(lab_now_ms)
	lab_in alice ping -n -I "$LAB_ALICE_TUN" -i 0.01 -c 1 -w 10 "$LAB_BOB_TUN" >"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "$what: no ping reply through the tunnel: $(cat "$LAB_DIR/ping.log")"
	t2=$(lab_now_ms)
	lab_in alice ping -n -q -I "$LAB_ALICE_TUN" -i 0.05 -c 10 -w 5 "$LAB_BOB_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "$what: alice -> bob: the tunnel stopped carrying pings"
	lab_in bob ping -n -q -I "$LAB_BOB_TUN" -i 0.05 -c 10 -w 5 "$LAB_ALICE_TUN" >>"$LAB_DIR/ping.log" 2>&1 ||
		lab_fail "$what: bob -> alice: no ping through the tunnel"
	LAB_T_UP=$((t1 - t0))
	LAB_T_PING=$((t2 - t0))
	lab_log "$what: up returned after $LAB_T_UP ms ($(cat "$LAB_DIR/up.log")); first ping reply $LAB_T_PING ms after up"
}

# lab_med_config_sw_bob: our medsrv and our alice (medcli) configured, bob a
# strongSwan key (lab_keygen) known to both; nothing started. Sets SRV A SRV_ID
# ALICE_ID BOB_ID and $LAB_DIR/keys/{srv,alice}.pub.
lab_med_config_sw_bob() {
	SRV=$LAB_DIR/srv
	A=$LAB_DIR/alice
	SRV_ID=$("$MEDSRV" init --dir "$SRV") || lab_fail "medsrv init"
	cp "$SRV/medsrv.pub" "$LAB_DIR/keys/srv.pub"
	MEDCLI_PASSWORD="password of alice" "$MEDCLI" init --dir "$A" >/dev/null || lab_fail "medcli init"
	"$MEDCLI" keygen --dir "$A" >"$LAB_DIR/alice.keygen" || lab_fail "medcli keygen"
	ALICE_ID=$(tail -1 "$LAB_DIR/alice.keygen")
	cp "$A/medcli.pub" "$LAB_DIR/keys/alice.pub"
	BOB_ID=$(lab_keygen bob)
	"$MEDSRV" peer add --dir "$SRV" --alias alice --pubkey "$A/medcli.pub" >/dev/null || lab_fail "peer add alice"
	"$MEDSRV" peer add --dir "$SRV" --alias bob --pubkey "$LAB_DIR/keys/bob.pub" >/dev/null || lab_fail "peer add bob"
	"$MEDCLI" server set --dir "$A" --address "$LAB_SRV_IP" --pubkey "$SRV/medsrv.pub" || lab_fail "server set"
	"$MEDCLI" peer add --dir "$A" --alias bob --pubkey "$LAB_DIR/keys/bob.pub" --local-ts "$LAB_ALICE_TUN/32" \
		--remote-ts "$LAB_BOB_TUN/32" >/dev/null || lab_fail "medcli peer add bob"
	lab_log "KEY_IDs: srv $SRV_ID alice (medcli) $ALICE_ID bob (strongSwan) $BOB_ID"
}

# lab_med_setup_turn [HOST...]: coturn (lab_turn_start), then lab_med_setup with
# medsrv handing out its credentials (--turn; more medsrv options in
# LAB_MEDSRV_ARGS), and each HOST (default: alice bob) holding its allocation.
lab_med_setup_turn() {
	local h
	lab_turn_start
	LAB_MEDSRV_ARGS="--turn turn:$LAB_TURN_IP:$LAB_TURN_PORT --turn-secret-file $LAB_TURN_SECRET_FILE ${LAB_MEDSRV_ARGS:-}" lab_med_setup
	[ $# -gt 0 ] || set -- alice bob
	for h in "$@"; do
		lab_wait 10 lab_med_turn_allocated "$h" ||
			lab_fail "$h has no allocation: $(lab_med_field "$h" turn.state) $(lab_med_field "$h" turn.error)"
	done
}

# lab_med_conn_field HOST ALIAS FIELD: a field of HOST's connection to ALIAS
# (for a client with more than one connection)
lab_med_conn_field() {
	lab_in "$1" "$MEDCLI" status --dir "$LAB_DIR/$1" --json 2>/dev/null | python3 -c '
import json, sys
for c in json.load(sys.stdin).get("connections", []):
    if c.get("alias") == sys.argv[1]:
        v = c.get(sys.argv[2])
        print("true" if v is True else "false" if v is False else ("" if v is None else v))' "$2" "$3"
}
