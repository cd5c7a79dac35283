/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/mc_int.h - private to the medcli daemon: its state (mc_daemon, one
 * conn per configured peer) and the functions its files share:
 *   daemon.c   the loop: sockets, timer, datagrams, housekeeping, start and stop
 *   conn.c     logging helpers, connection lookup and reset, loading the configuration
 *   mediate.c  registration at the server, ME_CONNECT both ways, checks, the direct IKE_SA
 *   events.c   the engine's callbacks (events, peer lookup, sending)
 *   status.c   the control socket: status object, up, down, reload
 * A connection (one configured peer) goes
 *   down -> mediating -> checking -> connecting -> up
 * through ME_CONNECT at the mediation server, ICE-style checks on the candidate
 * pairs, and the direct IKE_SA on the chosen pair; "waiting" when the peer is not
 * online at the server (it calls us back when the peer registers), "retrying"
 * after a failed attempt. Its policy (what is wanted, when to try again, when to
 * probe) is the sans-IO supervisor in medcli/sup; these files carry out its
 * actions. The registration at the server is kept up and retried.
 * See docs/medcli.md.
 */
#ifndef MEDCLI_MC_INT_H
#define MEDCLI_MC_INT_H
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "turn/turn.h"
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <uv.h>

#include "db/db.h"
#include "holepunch/hp.h"
#include "ike/crypto_key.h"
#include "ike/engine.h"
#include "ike/iana.h"
#include "ikeio/addr.h"
#include "ikeio/ctl.h"
#include "ikeio/driver.h"
#include "ikeio/log.h"
#include "ikeio/signal.h"
#include "ikeio/udp.h"
#include "medcli/medcli.h"
#ifdef MEDCLI_HAVE_DP
#include "dp.h"
#endif
#include "sup.h"

/* For calls whose failure changes nothing here (the SA is gone already, a
 * datagram is lost and retransmitted): IKE_MUST_CHECK is satisfied explicitly. */
#define IGNORE_RC(x)                                                                                         \
	do {                                                                                                 \
		if ((x) != IKE_OK) {                                                                         \
		}                                                                                            \
	} while (0)

#define MAX_CONNS 64
#define REG_BACKOFF_MAX_S 30          /* the server refused us: retry at most this far apart */
#define REG_RETRY_UNREACHABLE_MS 1000 /* the server did not answer: try again soon */
#define ME_RETRY_MS 20                /* ME_CONNECT blocked by another exchange: try again */
#define ME_RELAY_WAIT_MS 1000         /* an ME_CONNECT request waits this long for the relayed candidate */
#define MC_RECHECK_FIRST_MS 5000      /* a relayed tunnel checks the direct pairs again after */
#define MC_RECHECK_MAX_MS 60000       /* ... doubling up to this */

struct mc_daemon;

typedef struct conn {
	struct mc_daemon *d;
	bool used;    /* slot in use (slots never move: sessions point to them) */
	bool present; /* still in the database */
	char alias[DB_ALIAS_MAX + 1];
	uint8_t keyid[IKE_KEYID_LEN];
	uint8_t *pubkey;
	size_t pubkey_len;
	char lts_text[DB_CIDR_MAX + 1], rts_text[DB_CIDR_MAX + 1];
	ike_tsel_list lts, rts;
	int64_t db_id; /* the peer's row, for the user's up/down */
	bool trapped;  /* on-demand: its trap is in the data plane (for trap_ts) */
	char trap_ts[2 * DB_CIDR_MAX + 2];

	sup sup;            /* the policy: state, intent, attempts, retries (medcli/sup) */
	bool probe_pending; /* the supervisor asked for a liveness check */
	bool me_pending;    /* our ME_CONNECT (request or response) still has to go out */
	ike_ms me_retry_at;
	ike_ms me_relay_until; /* a request waits for the allocation on the relay until then */
	uint8_t cid[HP_CONNECT_ID_LEN];
	uint8_t key_i[HP_CONNECT_KEY_LEN], key_r[HP_CONNECT_KEY_LEN];
	hp_candidate local[MC_MAX_CAND];
	size_t n_local;
	hp_candidate remote[IKE_ME_EP_MAX];
	size_t n_remote;
	hp_session *hp;
	bool hp_done; /* outcome reported: free once the tunnel is up or failed */
	bool hp_free; /* free at the next housekeeping (asked from inside an hp callback) */
	uint64_t checks;
	ike_sa_ref sa;
	uint32_t spi_in;
	ike_path path;
	bool have_path;
	/* the path in use: through a TURN relay or direct, since when, the check's round
	 * trip; for a relayed one why no direct pair worked, and the background checks
	 * that may move it to a direct pair (make-before-break) */
	bool relayed;
	ike_ms path_since;
	uint32_t rtt_ms; /* 0 = not measured */
	char direct_error[320];
	unsigned upgrades;
	ike_ms recheck_at, recheck_ms; /* the next background check of the direct pairs */
	ike_path direct_found;         /* a direct pair that worked while connecting */
	bool have_direct_found;
} conn;

typedef struct mc_daemon {
	const mc_run_opts *o;
	uv_loop_t loop;
	ikeio_log_sink log;
	db *db;
	uint8_t *key_pem;
	size_t key_pem_len;
	uint8_t keyid[IKE_KEYID_LEN];
	ike_engine *eng;
	ikeio_driver *drv;
	ikeio_udp_pair socks;
	ikeio_ctl *ctl;
	ikeio_signals *sigs;
#ifdef MEDCLI_HAVE_DP
	dp *dp;
#endif
	bool in_engine; /* inside an engine call: defer ME_CONNECT sends */
	bool in_hp;     /* inside an hp_session call: defer freeing sessions */

	/* the mediation server and our registration */
	bool have_server;
	ike_addr srv;
	ike_id srv_id;
	uint8_t *srv_pubkey;
	size_t srv_pubkey_len;
	ike_sa_ref reg_sa;
	ike_sa_ref reg_next; /* a fresh registration started after a hint that the server lost reg_sa */
	bool registered;
	ike_addr srflx, reg_local;
	bool have_srflx;
	ike_ms reg_retry_at, reg_since;
	unsigned reg_backoff_s;
	char reg_error[512];
	conn *me_inflight; /* whose ME_CONNECT awaits the server's answer */
	/* the TURN relay and credential the server handed us (N(ME_TURN)); kept in
	 * memory only, the password is never logged nor shown */
	ike_me_turn turn;
	bool have_turn;
	/* our allocation on that relay (relay.c); its state is the client's own */
	struct {
		turn_client *c;
		ike_addr server;           /* the relay the allocation is on */
		ike_addr mapped;           /* where the relay sees us, once allocated */
		ike_addr relayed;          /* our relayed address, once allocated */
		bool lost;                 /* the allocation failed or was lost: tunnels through it end */
		bool parked;               /* released after `down` left nothing that needs it */
		ike_ms retry_at, retry_ms; /* the next allocation after a failure (0 = none) */
		char error[256];           /* the last failure, for status */
		/* what the relay delivered from a peer (Data indication or ChannelData),
		 * kept until turn_client_recv returns, then handed to the NAT-T socket's
		 * demultiplexing as if received on (relayed address, peer) */
		bool rx_pending;
		ike_addr rx_peer;
		size_t rx_len;
		uint8_t rx[65536];
		uint8_t tx[65540]; /* an IKE message with its non-ESP marker, to the relay */
	} relay;

	conn conns[MAX_CONNS];
	size_t nconns;
} mc_daemon;

/* conn.c: one log line tagged with a peer or subsystem; the error text of a
 * connection; the engine's log sink; an address as text; the loop's time. */
void mc__logc(mc_daemon *d, ike_log_level lvl, const char *tag, const char *fmt, ...) IKE_PRINTF(4, 5);
void mc__set_error(conn *c, const char *fmt, ...) IKE_PRINTF(2, 3);
void mc__log_rec(void *user, const ike_log_rec *rec);
const char *mc__addr_s(const ike_addr *a, char *buf, size_t len);
ike_ms mc__now(mc_daemon *d);
/* conn.c: lookups (NULL when none); feeding the supervisor an event and carrying
 * out its actions; ending what a connection runs (abort); the configuration. */
conn *mc__conn_by_alias(mc_daemon *d, const char *alias);
conn *mc__conn_by_id(mc_daemon *d, const ike_id *id);
conn *mc__conn_by_cid(mc_daemon *d, const uint8_t *cid, size_t len);
conn *mc__conn_by_sa(mc_daemon *d, ike_sa_ref sa);
void mc__conn_stop_checks(conn *c);
void mc__conn_abort(conn *c);
void mc__conn_event(conn *c, sup_ev_type ev, const char *why);
void mc__conn_apply(conn *c, unsigned actions);
void mc__conn_fail(conn *c, const char *why);
void mc__conn_keep_intent(conn *c);
void mc__conn_moved(conn *c, const ike_path *path, const char *what);
void mc__conn_upgrade(conn *c, const ike_path *path);
/* relay.c: the TURN allocation on the relay the server handed us; the one way
 * datagrams leave (mc__xmit: through the relay when the path's local end is our
 * relayed address, else from the socket); the relayed candidate and its permissions. */
typedef enum mc_xmit_kind { MC_XMIT_IKE, MC_XMIT_RAW, MC_XMIT_KEEPALIVE } mc_xmit_kind;
int mc__xmit(mc_daemon *d, const ike_path *path, mc_xmit_kind kind, const uint8_t *pkt, size_t len);
bool mc__relay_owns(const mc_daemon *d, const ike_addr *local);
bool mc__relay_candidate(const mc_daemon *d, hp_candidate *out);
void mc__relay_permit(mc_daemon *d, const hp_candidate *remote, size_t n);
void mc__relay_bind(mc_daemon *d, const ike_path *path);
void mc__relay_suspect(mc_daemon *d, const char *why);
void mc__relay_after_down(mc_daemon *d);
bool mc__relay_wait(mc_daemon *d);
bool mc__path_relayed(const conn *c, const ike_path *path);
void mc__relay_credential(mc_daemon *d);
bool mc__relay_claim(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt, size_t len);
ike_ms mc__relay_deadline(const mc_daemon *d);
void mc__relay_tick(mc_daemon *d, ike_ms now);
void mc__relay_stop(mc_daemon *d);
json_t *mc__relay_json(const mc_daemon *d);
void mc__conn_sync_trap(conn *c);
uint32_t mc__rand32(void);
int mc__load_conns(mc_daemon *d);
int mc__load_server(mc_daemon *d);
/* mediate.c: registration (start, and down with back-off), ME_CONNECT (send what is
 * pending, start as requester, handle requests and answers from the server). */
void mc__reg_start(mc_daemon *d);
void mc__reg_down(mc_daemon *d, const char *why, bool unreachable);
void mc__send_me_connect(conn *c);
void mc__mediate(conn *c);
void mc__reg_lost(mc_daemon *d);
void mc__reg_up(mc_daemon *d, ike_sa_ref sa);
void mc__endpoint(mc_daemon *d, const ike_addr *addr);
void mc__on_me_connect(mc_daemon *d, const ike_event *ev);
void mc__on_me_reply(mc_daemon *d, const ike_event *ev);
/* events.c: the engine's callbacks. */
int mc__eng_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len);
int mc__eng_lookup(void *user, const ike_id *peer_id, const ike_path *path, ike_peer_cfg *out);
void mc__eng_event(void *user, const ike_event *ev);
/* status.c: the control socket's handler. */
json_t *mc__on_ctl(void *user, json_t *req);

#endif /* MEDCLI_MC_INT_H */
