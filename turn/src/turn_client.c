/* SPDX-License-Identifier: MIT */
/*
 * The TURN client: one allocation (RFC 8656 7), its Refresh (7.3), permissions
 * (9), channels (12) and data (10, 12.4), with the long-term credential mechanism
 * of RFC 8489 9.2 and the retransmission of RFC 8489 6.2.1.
 *
 * Each request is one transaction (tx). A 401 or 438 answer ends it and starts a
 * new one with a new transaction ID, credentials and the new nonce. Everything the
 * tick does is kept as a time in a tx, the allocation, a permission or a channel;
 * turn_client_next_deadline is the earliest of those, so a tick at the deadline
 * always sends, reports or moves that time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "turn/turn.h"

#define MAX_PERMS 16
#define MAX_CHANS 16
#define MAX_TX (1 + MAX_PERMS + MAX_CHANS)
#define TEXT_MAX 763      /* REALM, NONCE: fewer than 128 characters, 763 bytes */
#define USERNAME_MAX 513  /* RFC 8489 14.3 */
#define SOFTWARE_MAX 763  /* RFC 8489 14.14 */
#define SCRATCH_LEN 65536 /* the largest STUN message or ChannelData over UDP */
#define DEFAULT_LIFETIME 600

enum tx_kind { TX_ALLOCATE, TX_REFRESH, TX_PERMISSION, TX_CHANNEL };
enum { P_NONE, P_PENDING, P_INSTALLED };

typedef struct tx {
	bool used;
	uint8_t kind;
	uint8_t tid[STUN_TID_LEN];
	uint8_t *pkt;
	size_t len;
	uint32_t tries;    /* transmissions so far */
	ike_ms rto;        /* the current retransmission interval */
	ike_ms next_at;    /* next retransmission, or the give-up time after the last */
	bool authed;       /* carries MESSAGE-INTEGRITY */
	uint32_t stale;    /* 438 answers so far */
	int slot;          /* permission or channel index */
	uint32_t lifetime; /* REFRESH: LIFETIME asked (0 = release) */
} tx;

typedef struct perm {
	uint8_t state;
	ike_addr ip;       /* port 0 */
	bool asked;        /* turn_client_permit was called: report OK/FAILED */
	bool reported;     /* PERMISSION_OK reported */
	bool traffic;      /* data sent or received since the last (re)install */
	ike_ms refresh_at; /* INSTALLED, no tx in flight */
	int tx;            /* index or -1 */
} perm;

typedef struct chan {
	uint8_t state;
	ike_addr peer;
	uint16_t num;
	bool reported;
	ike_ms refresh_at;
	int tx;
} chan;

struct turn_client {
	const ike_mem *mem;
	turn_callbacks cb;
	void *user;
	turn_config cfg; /* string pointers below replace the caller's */
	char username[USERNAME_MAX + 1];
	char *password; /* heap copy, wiped on free; NULL when a key was given */
	char software[SOFTWARE_MAX + 1];
	char tag[40];

	turn_state state;
	uint8_t realm[TEXT_MAX], nonce[TEXT_MAX];
	size_t realm_len, nonce_len;
	uint8_t key[STUN_KEY_LEN];
	bool have_key;     /* from cfg->key or derived for realm */
	bool key_from_cfg; /* cfg->key: never derived */

	ike_addr relayed, mapped;
	uint32_t lifetime_s;
	ike_ms refresh_at; /* ALLOCATED and no allocation tx in flight; else IKE_NEVER */
	ike_ms expires_at; /* ALLOCATED */
	int alloc_tx;      /* Allocate or Refresh in flight, or -1 */

	tx txs[MAX_TX];
	perm perms[MAX_PERMS];
	chan chans[MAX_CHANS];
	uint16_t next_channel;
	turn_stats stats;
	char reason[384];
	uint8_t *scratch; /* SCRATCH_LEN */
};

IKE_PRINTF(3, 4) static void slog(const turn_client *c, ike_log_level lvl, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	ike_log_rec rec;

	if (!c->cb.log || lvl > c->cfg.log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rec = (ike_log_rec){.lvl = lvl, .sub = IKE_SUB_NET, .tag = c->tag, .msg = msg};
	c->cb.log(c->user, &rec);
}

void turn_config_defaults(turn_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->rto_ms = 500;
	cfg->rto_max_ms = 16000;
	cfg->max_tries = 7;
	cfg->rm = 16;
	cfg->refresh_margin_s = 60;
	cfg->permission_refresh_ms = 240000;
	cfg->channel_refresh_ms = 540000;
	cfg->max_stale_nonce = 3;
	cfg->log_max = IKE_LOG_INFO;
}

const char *turn_state_name(turn_state st)
{
	static const char *const names[] = {"idle", "allocating", "allocated", "releasing", "closed"};
	return (unsigned)st < 5 ? names[st] : "(unknown)";
}

const char *turn_event_name(turn_event_type type)
{
	static const char *const names[] = {
	    "ALLOCATED",     "ALLOC_FAILED",      "REFRESHED",     "LOST",           "RELEASED",
	    "PERMISSION_OK", "PERMISSION_FAILED", "CHANNEL_BOUND", "CHANNEL_FAILED", "DATA"};
	return (unsigned)type < 10 ? names[type] : "(unknown)";
}

static const char *addr_str(const ike_addr *a, char *buf)
{
	return ike_addr_str(a, buf, IKE_ADDR_STRLEN);
}

static void emit(turn_client *c, turn_event *ev)
{
	c->cb.on_event(c->user, ev);
}

/* ---- lifecycle ---- */

int turn_client_new(turn_client **out, const turn_config *cfg, const turn_callbacks *cb, void *user,
                    ike_ms now)
{
	turn_client *c;

	if (!out || !cfg || !cb || !cb->send || !cb->on_event || !cb->rand)
		return IKE_ERR_INVAL;
	*out = NULL;
	if (cfg->server.family != IKE_AF_INET && cfg->server.family != IKE_AF_INET6)
		return IKE_ERR_INVAL;
	if (!cfg->username || !*cfg->username || strlen(cfg->username) > USERNAME_MAX)
		return IKE_ERR_INVAL;
	if (!cfg->password == !cfg->key)
		return IKE_ERR_INVAL;
	if (cfg->software && strlen(cfg->software) > SOFTWARE_MAX)
		return IKE_ERR_INVAL;
	/* every wait positive: a retransmission is never due at once */
	if (!cfg->rto_ms || !cfg->max_tries || cfg->rto_max_ms < cfg->rto_ms || !cfg->rm)
		return IKE_ERR_INVAL;
	c = ike_mem_calloc(cfg->mem, 1, sizeof *c);
	if (!c)
		return IKE_ERR_NOMEM;
	c->mem = cfg->mem;
	c->cb = *cb;
	c->user = user;
	c->cfg = *cfg;
	c->scratch = ike_mem_malloc(c->mem, SCRATCH_LEN);
	if (cfg->password)
		c->password = ike_mem_dup(c->mem, cfg->password, strlen(cfg->password) + 1);
	if (!c->scratch || (cfg->password && !c->password)) {
		turn_client_free(c);
		return IKE_ERR_NOMEM;
	}
	memcpy(c->username, cfg->username, strlen(cfg->username) + 1);
	if (cfg->software)
		memcpy(c->software, cfg->software, strlen(cfg->software) + 1);
	snprintf(c->tag, sizeof c->tag, "%s", cfg->tag ? cfg->tag : "turn");
	c->cfg.username = c->username;
	c->cfg.password = NULL;
	c->cfg.key = NULL;
	c->cfg.software = cfg->software ? c->software : NULL;
	c->cfg.tag = c->tag;
	if (cfg->key) {
		memcpy(c->key, cfg->key, STUN_KEY_LEN);
		c->have_key = c->key_from_cfg = true;
	}
	c->state = TURN_ST_IDLE;
	c->refresh_at = c->expires_at = IKE_NEVER;
	c->alloc_tx = -1;
	c->next_channel = STUN_CHANNEL_MIN;
	for (size_t i = 0; i < MAX_PERMS; i++)
		c->perms[i].tx = -1;
	for (size_t i = 0; i < MAX_CHANS; i++)
		c->chans[i].tx = -1;
	(void)now;
	*out = c;
	return IKE_OK;
}

static void tx_free(turn_client *c, int i)
{
	tx *t;

	if (i < 0)
		return;
	t = &c->txs[i];
	ike_mem_free(c->mem, t->pkt);
	memset(t, 0, sizeof *t);
}

void turn_client_free(turn_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < MAX_TX; i++)
		tx_free(c, i);
	if (c->password)
		ike_mem_freezero(c->mem, c->password, strlen(c->password) + 1);
	ike_mem_free(c->mem, c->scratch);
	OPENSSL_cleanse(c->key, sizeof c->key);
	ike_mem_freezero(c->mem, c, sizeof *c);
}

/* ---- transactions ---- */

static int tx_new(turn_client *c, uint8_t kind, int slot, uint32_t lifetime)
{
	for (int i = 0; i < MAX_TX; i++) {
		if (!c->txs[i].used) {
			tx *t = &c->txs[i];
			memset(t, 0, sizeof *t);
			t->used = true;
			t->kind = kind;
			t->slot = slot;
			t->lifetime = lifetime;
			return i;
		}
	}
	return -1;
}

static uint16_t tx_method(const tx *t)
{
	static const uint16_t m[] = {STUN_ALLOCATE, STUN_REFRESH, STUN_CREATE_PERMISSION, STUN_CHANNEL_BIND};
	return m[t->kind];
}

static const char *tx_what(const tx *t)
{
	if (t->kind == TX_REFRESH && t->lifetime == 0)
		return "Refresh (release)";
	return stun_method_name(tx_method(t));
}

/* Builds the request of t with a fresh transaction ID (and credentials when authed). */
static int tx_build(turn_client *c, tx *t)
{
	uint8_t *buf = c->scratch;
	stun_enc e;
	int rc;

	c->cb.rand(c->user, t->tid, STUN_TID_LEN);
	rc = stun_enc_init(&e, buf, SCRATCH_LEN, tx_method(t), STUN_REQUEST, t->tid);
	switch (t->kind) {
	case TX_ALLOCATE:
		rc = stun_enc_u32(&e, STUN_A_REQUESTED_TRANSPORT, (uint32_t)STUN_PROTO_UDP << 24);
		if (c->cfg.lifetime_s)
			rc = stun_enc_u32(&e, STUN_A_LIFETIME, c->cfg.lifetime_s);
		break;
	case TX_REFRESH:
		rc = stun_enc_u32(&e, STUN_A_LIFETIME, t->lifetime);
		break;
	case TX_PERMISSION:
		rc = stun_enc_xor_addr(&e, STUN_A_XOR_PEER_ADDRESS, &c->perms[t->slot].ip);
		break;
	case TX_CHANNEL:
		rc = stun_enc_channel(&e, c->chans[t->slot].num);
		rc = stun_enc_xor_addr(&e, STUN_A_XOR_PEER_ADDRESS, &c->chans[t->slot].peer);
		break;
	}
	if (c->cfg.software)
		rc = stun_enc_attr(&e, STUN_A_SOFTWARE, c->software, strlen(c->software));
	if (t->authed) {
		rc = stun_enc_attr(&e, STUN_A_USERNAME, c->username, strlen(c->username));
		rc = stun_enc_attr(&e, STUN_A_REALM, c->realm, c->realm_len);
		rc = stun_enc_attr(&e, STUN_A_NONCE, c->nonce, c->nonce_len);
		rc = stun_enc_integrity(&e, c->key, STUN_KEY_LEN);
	}
	rc = stun_enc_fingerprint(&e);
	if (rc != IKE_OK)
		return rc;
	ike_mem_free(c->mem, t->pkt);
	t->pkt = ike_mem_dup(c->mem, buf, e.len);
	if (!t->pkt)
		return IKE_ERR_NOMEM;
	t->len = e.len;
	return IKE_OK;
}

static void send_raw(turn_client *c, const uint8_t *pkt, size_t len)
{
	if (c->cb.send(c->user, &c->cfg.server, pkt, len) != 0) {
		c->stats.send_errors++;
		slog(c, IKE_LOG_DEBUG, "send of %zu bytes failed", len);
	}
}

/* (Re)builds and sends the first transmission of t. */
static int tx_start(turn_client *c, int i, ike_ms now)
{
	tx *t = &c->txs[i];
	int rc = tx_build(c, t);

	if (rc != IKE_OK)
		return rc;
	t->tries = 1;
	t->rto = c->cfg.rto_ms;
	t->next_at = now + t->rto;
	c->stats.requests_sent++;
	slog(c, IKE_LOG_DEBUG, "send %s request%s (%zu bytes)", tx_what(t),
	     t->authed ? " with credentials" : "", t->len);
	send_raw(c, t->pkt, t->len);
	return IKE_OK;
}

static int tx_find(const turn_client *c, const uint8_t tid[STUN_TID_LEN], uint16_t method)
{
	for (int i = 0; i < MAX_TX; i++)
		if (c->txs[i].used && tx_method(&c->txs[i]) == method &&
		    memcmp(c->txs[i].tid, tid, STUN_TID_LEN) == 0)
			return i;
	return -1;
}

/* ---- outcomes ---- */

static int code_err(int code)
{
	switch (code) {
	case 401:
	case 441:
		return IKE_ERR_AUTH;
	case 403:
		return IKE_ERR_POLICY;
	case 437:
		return IKE_ERR_STATE;
	case 486:
	case 508:
		return IKE_ERR_LIMIT;
	case 420:
	case 440:
	case 442:
	case 443:
		return IKE_ERR_UNSUPPORTED;
	}
	return IKE_ERR_POLICY;
}

/* Writes c->reason for an error response; the server's phrase is escaped and left out
 * if it would show the username. */
static const char *error_reason(turn_client *c, const tx *t, int code, ike_slice phrase)
{
	char said[200];

	ike_escape(phrase.ptr, phrase.len < 120 ? phrase.len : 120, said, sizeof said);
	if (strstr(said, c->username) || (c->password && *c->password && strstr(said, c->password)))
		said[0] = 0;
	snprintf(c->reason, sizeof c->reason, "TURN server refused %s: %d %s%s%s%s", tx_what(t), code,
	         stun_error_text(code), said[0] ? " (server says \"" : "", said, said[0] ? "\")" : "");
	return c->reason;
}

static const char *timeout_reason(turn_client *c, const tx *t)
{
	snprintf(c->reason, sizeof c->reason, "no answer from the TURN server to %s after %u tries",
	         tx_what(t), t->tries);
	return c->reason;
}

/* A free permission slot taken for peer's IP, pending, no transaction yet; NULL
 * when all are in use. */
static perm *perm_new(turn_client *c, const ike_addr *peer)
{
	for (size_t i = 0; i < MAX_PERMS; i++) {
		perm *p = &c->perms[i];
		if (p->state != P_NONE)
			continue;
		memset(p, 0, sizeof *p);
		p->ip = *peer;
		p->ip.port = 0;
		p->state = P_PENDING;
		p->refresh_at = IKE_NEVER;
		p->tx = -1;
		return p;
	}
	return NULL;
}

static perm *perm_find(turn_client *c, const ike_addr *ip)
{
	for (size_t i = 0; i < MAX_PERMS; i++)
		if (c->perms[i].state != P_NONE && ike_addr_ip_eq(&c->perms[i].ip, ip))
			return &c->perms[i];
	return NULL;
}

static void close_all(turn_client *c)
{
	for (int i = 0; i < MAX_TX; i++)
		tx_free(c, i);
	for (size_t i = 0; i < MAX_PERMS; i++) {
		c->perms[i].state = P_NONE;
		c->perms[i].tx = -1;
	}
	for (size_t i = 0; i < MAX_CHANS; i++) {
		c->chans[i].state = P_NONE;
		c->chans[i].tx = -1;
	}
	c->alloc_tx = -1;
	c->refresh_at = c->expires_at = IKE_NEVER;
	c->state = TURN_ST_CLOSED;
}

static void schedule_refresh(turn_client *c, uint32_t lifetime_s, ike_ms now)
{
	uint32_t m = c->cfg.refresh_margin_s;
	ike_ms in = lifetime_s >= 2 * m ? (ike_ms)(lifetime_s - m) * 1000 : (ike_ms)lifetime_s * 500;

	if (c->cfg.keepalive_ms && c->cfg.keepalive_ms < in)
		in = c->cfg.keepalive_ms;

	c->lifetime_s = lifetime_s;
	c->refresh_at = now + in;
	c->expires_at = now + (ike_ms)lifetime_s * 1000;
}

/* The transaction i failed with err (and code, reason): report and clean up. */
static void tx_failed(turn_client *c, int i, int err, int code, const char *reason, ike_ms now)
{
	tx t = c->txs[i];
	turn_event ev = {.err = err, .code = code, .reason = reason};

	c->txs[i].pkt = NULL;
	tx_free(c, i);
	ike_mem_free(c->mem, t.pkt);
	slog(c, IKE_LOG_WARN, "%s", reason);
	switch (t.kind) {
	case TX_ALLOCATE:
		close_all(c);
		ev.type = TURN_EV_ALLOC_FAILED;
		emit(c, &ev);
		break;
	case TX_REFRESH:
		close_all(c);
		if (t.lifetime == 0) {
			ev.type = TURN_EV_RELEASED;
			ev.reason = NULL;
			ev.err = code == 437 ? IKE_OK : err;
			ev.code = code;
		} else {
			ev.type = TURN_EV_LOST;
		}
		emit(c, &ev);
		break;
	case TX_PERMISSION: {
		perm *p = &c->perms[t.slot];
		ev.type = TURN_EV_PERMISSION_FAILED;
		ev.peer = p->ip;
		p->state = P_NONE;
		p->tx = -1;
		emit(c, &ev);
		break;
	}
	case TX_CHANNEL: {
		chan *ch = &c->chans[t.slot];
		perm *p = perm_find(c, &ch->peer);
		if (p && p->state == P_PENDING && p->tx < 0)
			p->state = P_NONE; /* it was to come with the channel */
		ev.type = TURN_EV_CHANNEL_FAILED;
		ev.peer = ch->peer;
		ev.channel = ch->num;
		ch->state = P_NONE;
		ch->tx = -1;
		emit(c, &ev);
		break;
	}
	}
	(void)now;
}

static chan *chan_find_peer(turn_client *c, const ike_addr *peer)
{
	for (size_t i = 0; i < MAX_CHANS; i++)
		if (c->chans[i].state != P_NONE && ike_addr_eq(&c->chans[i].peer, peer))
			return &c->chans[i];
	return NULL;
}

static chan *chan_find_num(turn_client *c, uint16_t num)
{
	for (size_t i = 0; i < MAX_CHANS; i++)
		if (c->chans[i].state != P_NONE && c->chans[i].num == num)
			return &c->chans[i];
	return NULL;
}

static void tx_succeeded(turn_client *c, int i, const stun_msg *m, ike_ms now)
{
	tx t = c->txs[i];
	turn_event ev = {0};
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
	uint32_t lifetime = DEFAULT_LIFETIME;

	c->txs[i].pkt = NULL;
	tx_free(c, i);
	ike_mem_free(c->mem, t.pkt);
	switch (t.kind) {
	case TX_ALLOCATE:
		c->alloc_tx = -1;
		if (stun_attr_u32(stun_msg_find(m, STUN_A_LIFETIME), &lifetime) != IKE_OK)
			lifetime = DEFAULT_LIFETIME;
		if (stun_attr_xor_addr(m, stun_msg_find(m, STUN_A_XOR_MAPPED_ADDRESS), &c->mapped) != IKE_OK)
			memset(&c->mapped, 0, sizeof c->mapped); /* optional in RFC 8656 7.3 terms */
		c->state = TURN_ST_ALLOCATED;
		schedule_refresh(c, lifetime, now);
		ev.type = TURN_EV_ALLOCATED;
		ev.relayed = c->relayed;
		ev.mapped = c->mapped;
		ev.lifetime_s = lifetime;
		slog(c, IKE_LOG_INFO, "allocated relay %s (mapped %s), lifetime %u s",
		     addr_str(&c->relayed, a), addr_str(&c->mapped, b), lifetime);
		emit(c, &ev);
		break;
	case TX_REFRESH:
		c->alloc_tx = -1;
		if (t.lifetime == 0) {
			close_all(c);
			slog(c, IKE_LOG_INFO, "allocation released");
			ev.type = TURN_EV_RELEASED;
			emit(c, &ev);
			break;
		}
		if (stun_attr_u32(stun_msg_find(m, STUN_A_LIFETIME), &lifetime) != IKE_OK)
			lifetime = t.lifetime;
		if (lifetime == 0) {
			close_all(c);
			ev.type = TURN_EV_LOST;
			ev.err = IKE_ERR_STATE;
			ev.reason = "TURN server answered Refresh with lifetime 0: allocation gone";
			emit(c, &ev);
			break;
		}
		schedule_refresh(c, lifetime, now);
		c->stats.refreshes++;
		slog(c, IKE_LOG_DEBUG, "allocation refreshed, lifetime %u s", lifetime);
		ev.type = TURN_EV_REFRESHED;
		ev.lifetime_s = lifetime;
		emit(c, &ev);
		break;
	case TX_PERMISSION: {
		perm *p = &c->perms[t.slot];
		p->tx = -1;
		p->state = P_INSTALLED;
		p->traffic = false;
		p->refresh_at = now + c->cfg.permission_refresh_ms;
		if (p->asked && !p->reported) {
			p->reported = true;
			slog(c, IKE_LOG_INFO, "permission for %s installed", addr_str(&p->ip, a));
			ev.type = TURN_EV_PERMISSION_OK;
			ev.peer = p->ip;
			emit(c, &ev);
		}
		break;
	}
	case TX_CHANNEL: {
		chan *ch = &c->chans[t.slot];
		perm *p = perm_find(c, &ch->peer);
		ch->tx = -1;
		ch->state = P_INSTALLED;
		ch->refresh_at = now + c->cfg.channel_refresh_ms;
		if (p && p->tx < 0) { /* ChannelBind installs or refreshes the permission too */
			p->state = P_INSTALLED;
			p->refresh_at = now + c->cfg.permission_refresh_ms;
		}
		if (!ch->reported) {
			ch->reported = true;
			slog(c, IKE_LOG_INFO, "channel 0x%04x bound to %s", ch->num, addr_str(&ch->peer, a));
			ev.type = TURN_EV_CHANNEL_BOUND;
			ev.peer = ch->peer;
			ev.channel = ch->num;
			emit(c, &ev);
		}
		break;
	}
	}
}

/* Stores REALM and NONCE of a 401/438 answer; derives the key when the realm is new. */
static int learn_auth(turn_client *c, const stun_msg *m)
{
	const stun_attr *realm = stun_msg_find(m, STUN_A_REALM);
	const stun_attr *nonce = stun_msg_find(m, STUN_A_NONCE);

	if (!nonce || nonce->value.len > TEXT_MAX || !nonce->value.len)
		return IKE_ERR_MALFORMED;
	if (realm) {
		if (realm->value.len > TEXT_MAX)
			return IKE_ERR_MALFORMED;
		if (!c->key_from_cfg && (!c->have_key || realm->value.len != c->realm_len ||
		                         memcmp(realm->value.ptr, c->realm, c->realm_len) != 0)) {
			int rc = stun_long_term_key(c->username, realm->value, c->password, c->key);
			if (rc != IKE_OK)
				return rc;
			c->have_key = true;
		}
		memcpy(c->realm, realm->value.ptr, realm->value.len);
		c->realm_len = realm->value.len;
	} else if (!c->realm_len) {
		return IKE_ERR_MALFORMED;
	}
	memcpy(c->nonce, nonce->value.ptr, nonce->value.len);
	c->nonce_len = nonce->value.len;
	return c->have_key ? IKE_OK : IKE_ERR_MALFORMED;
}

static int on_response(turn_client *c, const stun_msg *m, ike_ms now)
{
	int i = tx_find(c, m->tid, m->method);
	tx *t;
	int code = 0, rc;
	ike_slice phrase = {NULL, 0};
	char realm[96];

	if (i < 0)
		return IKE_ERR_NOT_FOUND;
	t = &c->txs[i];
	if (m->n_unknown) {
		slog(c, IKE_LOG_WARN, "dropped %s %s with unknown comprehension-required attribute 0x%04x",
		     stun_method_name(m->method), stun_class_name(m->cls), m->unknown[0]);
		return IKE_ERR_UNSUPPORTED;
	}
	if (m->cls == STUN_ERROR &&
	    stun_attr_error_code(stun_msg_find(m, STUN_A_ERROR_CODE), &code, &phrase) != IKE_OK)
		return IKE_ERR_MALFORMED;
	/* RFC 8489 9.2.5: a response to a request with credentials must carry a valid
	 * MESSAGE-INTEGRITY, except the 401 and 438 that send a new nonce. */
	if (t->authed && c->have_key) {
		rc = stun_check_integrity(m, c->key, STUN_KEY_LEN);
		if (rc == IKE_ERR_NOT_FOUND && m->cls == STUN_ERROR && (code == 401 || code == 438))
			rc = IKE_OK;
		if (rc != IKE_OK) {
			slog(c, IKE_LOG_WARN, "dropped %s %s: MESSAGE-INTEGRITY %s",
			     stun_method_name(m->method), stun_class_name(m->cls),
			     rc == IKE_ERR_NOT_FOUND ? "missing" : "wrong");
			return rc == IKE_ERR_NOT_FOUND ? IKE_ERR_AUTH : rc;
		}
	}
	c->stats.responses++;
	if (m->cls == STUN_SUCCESS) {
		if (t->kind == TX_ALLOCATE &&
		    stun_attr_xor_addr(m, stun_msg_find(m, STUN_A_XOR_RELAYED_ADDRESS), &c->relayed) !=
		        IKE_OK) {
			tx_failed(c, i, IKE_ERR_MALFORMED, 0,
			          "TURN server answered Allocate without a valid XOR-RELAYED-ADDRESS", now);
			return IKE_OK;
		}
		tx_succeeded(c, i, m, now);
		return IKE_OK;
	}
	if (code == 401 && !t->authed) {
		rc = learn_auth(c, m);
		if (rc != IKE_OK) {
			tx_failed(c, i, IKE_ERR_AUTH, code,
			          "TURN server answered 401 without a usable REALM and NONCE", now);
			return IKE_OK;
		}
		ike_escape(c->realm, c->realm_len, realm, sizeof realm);
		slog(c, IKE_LOG_DEBUG, "%s: 401, realm \"%s\": retrying with credentials", tx_what(t), realm);
		t->authed = true;
		rc = tx_start(c, i, now);
		if (rc != IKE_OK)
			tx_failed(c, i, rc, 0, "could not build the authenticated request", now);
		return IKE_OK;
	}
	if (code == 438 && t->stale < c->cfg.max_stale_nonce) {
		rc = learn_auth(c, m);
		if (rc == IKE_OK) {
			slog(c, IKE_LOG_DEBUG, "%s: 438 stale nonce: retrying with the new nonce",
			     tx_what(t));
			t->stale++;
			t->authed = true;
			c->stats.stale_nonces++;
			rc = tx_start(c, i, now);
			if (rc != IKE_OK)
				tx_failed(c, i, rc, 0, "could not build the authenticated request", now);
			return IKE_OK;
		}
	}
	tx_failed(c, i, code_err(code), code, error_reason(c, t, code, phrase), now);
	return IKE_OK;
}

static void mark_traffic(turn_client *c, const ike_addr *peer)
{
	perm *p = perm_find(c, peer);
	if (p)
		p->traffic = true;
}

static int on_data(turn_client *c, const ike_addr *peer, uint16_t channel, ike_slice data)
{
	turn_event ev = {
	    .type = TURN_EV_DATA, .peer = *peer, .channel = channel, .data = data.ptr, .len = data.len};

	mark_traffic(c, peer);
	c->stats.data_received++;
	emit(c, &ev);
	return IKE_OK;
}

static int recv_dropped(turn_client *c, int rc, const char *what)
{
	c->stats.dropped++;
	slog(c, IKE_LOG_DEBUG, "dropped datagram from the server: %s (%s)", what, ike_strerror(rc));
	return rc;
}

int turn_client_recv(turn_client *c, const ike_addr *from, const uint8_t *pkt, size_t len, ike_ms now)
{
	stun_msg m;
	int rc;

	if (!c || !from || !pkt)
		return IKE_ERR_INVAL;
	if (!ike_addr_eq(from, &c->cfg.server))
		return recv_dropped(c, IKE_ERR_NOT_FOUND, "not from the TURN server");
	switch (stun_classify(pkt, len)) {
	case STUN_KIND_CHANNEL_DATA: {
		uint16_t num;
		ike_slice data;
		chan *ch;
		rc = stun_channel_data_decode(pkt, len, &num, &data);
		if (rc != IKE_OK)
			return recv_dropped(c, rc, "ChannelData");
		/* A pending channel counts too: the server sends ChannelData only once it
		 * has bound the number, and its answer may come after the data. */
		ch = c->state == TURN_ST_ALLOCATED ? chan_find_num(c, num) : NULL;
		if (!ch)
			return recv_dropped(c, IKE_ERR_NOT_FOUND, "ChannelData on a channel not bound");
		return on_data(c, &ch->peer, num, data);
	}
	case STUN_KIND_STUN:
		break;
	default:
		return recv_dropped(c, IKE_ERR_MALFORMED, "neither STUN nor ChannelData");
	}
	rc = stun_decode(pkt, len, &m);
	if (rc != IKE_OK)
		return recv_dropped(c, rc, "STUN message");
	if (m.cls == STUN_INDICATION && m.method == STUN_DATA) {
		ike_addr peer;
		const stun_attr *d = stun_msg_find(&m, STUN_A_DATA);
		if (c->state != TURN_ST_ALLOCATED)
			return recv_dropped(c, IKE_ERR_STATE, "Data indication without allocation");
		rc = stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_A_XOR_PEER_ADDRESS), &peer);
		if (rc != IKE_OK || !d)
			return recv_dropped(c, IKE_ERR_MALFORMED, "Data indication without peer or data");
		return on_data(c, &peer, 0, d->value);
	}
	if (m.cls != STUN_SUCCESS && m.cls != STUN_ERROR)
		return recv_dropped(c, IKE_ERR_UNSUPPORTED, "request or indication we do not serve");
	rc = on_response(c, &m, now);
	if (rc != IKE_OK)
		return recv_dropped(c, rc, "response");
	return IKE_OK;
}

/* ---- requests from the program ---- */

int turn_client_allocate(turn_client *c, ike_ms now)
{
	int i, rc;

	if (!c || c->state != TURN_ST_IDLE)
		return IKE_ERR_STATE;
	i = tx_new(c, TX_ALLOCATE, -1, 0);
	if (i < 0)
		return IKE_ERR_LIMIT;
	/* The first Allocate goes without credentials unless a realm is unknown anyway;
	 * the server's 401 brings REALM and NONCE (RFC 8656 7.1, RFC 8489 9.2.3). */
	rc = tx_start(c, i, now);
	if (rc != IKE_OK) {
		tx_free(c, i);
		return rc;
	}
	c->alloc_tx = i;
	c->state = TURN_ST_ALLOCATING;
	slog(c, IKE_LOG_INFO, "allocating a UDP relay");
	return IKE_OK;
}

static int start_auth_tx(turn_client *c, uint8_t kind, int slot, uint32_t lifetime, ike_ms now, int *out)
{
	int i = tx_new(c, kind, slot, lifetime), rc;

	if (i < 0)
		return IKE_ERR_LIMIT;
	c->txs[i].authed = c->have_key;
	rc = tx_start(c, i, now);
	if (rc != IKE_OK) {
		tx_free(c, i);
		return rc;
	}
	*out = i;
	return IKE_OK;
}

static bool valid_addr(const ike_addr *a)
{
	return a && (a->family == IKE_AF_INET || a->family == IKE_AF_INET6);
}

int turn_client_permit(turn_client *c, const ike_addr *peer, ike_ms now)
{
	perm *p = NULL;
	int rc;

	if (!c || c->state != TURN_ST_ALLOCATED)
		return IKE_ERR_STATE;
	if (!valid_addr(peer))
		return IKE_ERR_INVAL;
	p = perm_find(c, peer);
	if (p) {
		p->asked = true;
		if (p->state == P_INSTALLED && !p->reported) {
			turn_event ev = {.type = TURN_EV_PERMISSION_OK, .peer = p->ip};
			p->reported = true;
			emit(c, &ev);
		}
		/* Pending under a ChannelBind: ask for it on its own, so that the
		 * outcome is reported whatever becomes of the channel. */
		if (p->state == P_PENDING && p->tx < 0) {
			rc = start_auth_tx(c, TX_PERMISSION, (int)(p - c->perms), 0, now, &p->tx);
			if (rc != IKE_OK)
				p->tx = -1;
			return rc;
		}
		return IKE_OK;
	}
	if (!(p = perm_new(c, peer)))
		return IKE_ERR_LIMIT;
	p->asked = true;
	rc = start_auth_tx(c, TX_PERMISSION, (int)(p - c->perms), 0, now, &p->tx);
	if (rc != IKE_OK) {
		p->state = P_NONE;
		p->tx = -1;
	}
	return rc;
}

int turn_client_bind_channel(turn_client *c, const ike_addr *peer, uint16_t *channel, ike_ms now)
{
	chan *ch = NULL;
	perm *p;
	int rc;

	if (!c || c->state != TURN_ST_ALLOCATED)
		return IKE_ERR_STATE;
	if (!valid_addr(peer) || !channel)
		return IKE_ERR_INVAL;
	ch = chan_find_peer(c, peer);
	if (ch) {
		*channel = ch->num;
		return IKE_OK;
	}
	if (c->next_channel > STUN_CHANNEL_MAX)
		return IKE_ERR_LIMIT;
	for (size_t i = 0; i < MAX_CHANS && !ch; i++)
		if (c->chans[i].state == P_NONE && !c->chans[i].num)
			ch = &c->chans[i];
	if (!ch)
		return IKE_ERR_LIMIT;
	/* The permission that the ChannelBind installs (RFC 8656 11.2) needs its own
	 * refresh: it lasts 300 s, the channel 600 s. */
	p = perm_find(c, peer);
	if (!p && !(p = perm_new(c, peer)))
		return IKE_ERR_LIMIT;
	memset(ch, 0, sizeof *ch);
	ch->peer = *peer;
	ch->num = c->next_channel;
	ch->state = P_PENDING;
	ch->refresh_at = IKE_NEVER;
	rc = start_auth_tx(c, TX_CHANNEL, (int)(ch - c->chans), 0, now, &ch->tx);
	if (rc != IKE_OK) {
		memset(ch, 0, sizeof *ch);
		ch->tx = -1;
		if (p->state == P_PENDING && p->tx < 0)
			p->state = P_NONE;
		return rc;
	}
	c->next_channel++;
	*channel = ch->num;
	return IKE_OK;
}

int turn_client_send(turn_client *c, const ike_addr *peer, const uint8_t *data, size_t len, ike_ms now)
{
	chan *ch;
	size_t n;
	int rc;
	uint8_t tid[STUN_TID_LEN];
	stun_enc e;

	(void)now;
	if (!c || c->state != TURN_ST_ALLOCATED)
		return IKE_ERR_STATE;
	if (!valid_addr(peer) || (!data && len))
		return IKE_ERR_INVAL;
	if (!perm_find(c, peer))
		return IKE_ERR_NOT_FOUND;
	mark_traffic(c, peer);
	ch = chan_find_peer(c, peer);
	if (ch && ch->state == P_INSTALLED) {
		rc = stun_channel_data_encode(c->scratch, SCRATCH_LEN, ch->num, data, len, &n);
		if (rc != IKE_OK)
			return rc;
		c->stats.channel_data_sent++;
	} else {
		c->cb.rand(c->user, tid, sizeof tid);
		rc = stun_enc_init(&e, c->scratch, SCRATCH_LEN, STUN_SEND, STUN_INDICATION, tid);
		rc = stun_enc_xor_addr(&e, STUN_A_XOR_PEER_ADDRESS, peer);
		rc = stun_enc_attr(&e, STUN_A_DATA, data, len);
		if (rc != IKE_OK)
			return rc;
		n = e.len;
		c->stats.indications_sent++;
	}
	if (c->cb.send(c->user, &c->cfg.server, c->scratch, n) != 0) {
		c->stats.send_errors++;
		return IKE_ERR_CALLBACK;
	}
	return IKE_OK;
}

int turn_client_release(turn_client *c, ike_ms now)
{
	int rc, i;

	if (!c || (c->state != TURN_ST_ALLOCATING && c->state != TURN_ST_ALLOCATED))
		return IKE_ERR_STATE;
	if (c->state == TURN_ST_ALLOCATING) {
		turn_event ev = {.type = TURN_EV_RELEASED};
		close_all(c);
		emit(c, &ev);
		return IKE_OK;
	}
	for (int k = 0; k < MAX_TX; k++)
		tx_free(c, k);
	for (size_t k = 0; k < MAX_PERMS; k++)
		c->perms[k].tx = -1;
	for (size_t k = 0; k < MAX_CHANS; k++)
		c->chans[k].tx = -1;
	c->alloc_tx = -1;
	c->refresh_at = IKE_NEVER;
	c->expires_at = IKE_NEVER;
	c->state = TURN_ST_RELEASING;
	rc = start_auth_tx(c, TX_REFRESH, -1, 0, now, &i);
	if (rc != IKE_OK) {
		turn_event ev = {.type = TURN_EV_RELEASED, .err = rc};
		close_all(c);
		emit(c, &ev);
		return IKE_OK;
	}
	c->alloc_tx = i;
	slog(c, IKE_LOG_INFO, "releasing the allocation");
	return IKE_OK;
}

/* ---- time ---- */

ike_ms turn_client_next_deadline(const turn_client *c)
{
	ike_ms d = IKE_NEVER;

	if (!c || c->state == TURN_ST_CLOSED || c->state == TURN_ST_IDLE)
		return IKE_NEVER;
	for (int i = 0; i < MAX_TX; i++)
		if (c->txs[i].used && c->txs[i].next_at < d)
			d = c->txs[i].next_at;
	if (c->state != TURN_ST_ALLOCATED)
		return d;
	if (c->alloc_tx < 0 && c->refresh_at < d)
		d = c->refresh_at;
	if (c->expires_at < d)
		d = c->expires_at;
	for (size_t i = 0; i < MAX_PERMS; i++)
		if (c->perms[i].state == P_INSTALLED && c->perms[i].tx < 0 && c->perms[i].refresh_at < d)
			d = c->perms[i].refresh_at;
	for (size_t i = 0; i < MAX_CHANS; i++)
		if (c->chans[i].state == P_INSTALLED && c->chans[i].tx < 0 && c->chans[i].refresh_at < d)
			d = c->chans[i].refresh_at;
	return d;
}

static void tick_tx(turn_client *c, int i, ike_ms now)
{
	tx *t = &c->txs[i];

	if (t->tries >= c->cfg.max_tries) {
		tx_failed(c, i, IKE_ERR_TIMEOUT, 0, timeout_reason(c, t), now);
		return;
	}
	t->tries++;
	c->stats.retransmissions++;
	slog(c, IKE_LOG_DEBUG, "retransmit %s (try %u)", tx_what(t), t->tries);
	send_raw(c, t->pkt, t->len);
	if (t->tries >= c->cfg.max_tries) {
		t->next_at = now + (ike_ms)c->cfg.rm * c->cfg.rto_ms;
	} else {
		t->rto = t->rto * 2 > c->cfg.rto_max_ms ? c->cfg.rto_max_ms : t->rto * 2;
		t->next_at = now + t->rto;
	}
}

static bool chan_uses_ip(const turn_client *c, const ike_addr *ip)
{
	for (size_t i = 0; i < MAX_CHANS; i++)
		if (c->chans[i].state != P_NONE && ike_addr_ip_eq(&c->chans[i].peer, ip))
			return true;
	return false;
}

int turn_client_tick(turn_client *c, ike_ms now)
{
	char a[IKE_ADDR_STRLEN];

	if (!c)
		return IKE_ERR_INVAL;
	for (int i = 0; i < MAX_TX; i++)
		if (c->txs[i].used && c->txs[i].next_at <= now)
			tick_tx(c, i, now);
	if (c->state != TURN_ST_ALLOCATED)
		return IKE_OK;
	if (c->expires_at <= now) {
		turn_event ev = {.type = TURN_EV_LOST,
		                 .err = IKE_ERR_TIMEOUT,
		                 .reason = "TURN allocation expired before a Refresh succeeded"};
		slog(c, IKE_LOG_WARN, "%s", ev.reason);
		close_all(c);
		emit(c, &ev);
		return IKE_OK;
	}
	if (c->alloc_tx < 0 && c->refresh_at <= now) {
		uint32_t lt = c->cfg.lifetime_s ? c->cfg.lifetime_s : c->lifetime_s;
		int i;
		if (start_auth_tx(c, TX_REFRESH, -1, lt, now, &i) == IKE_OK) {
			c->alloc_tx = i;
			c->refresh_at = IKE_NEVER;
		} else {
			c->refresh_at = now + c->cfg.rto_ms; /* out of memory: try again soon */
		}
	}
	for (size_t k = 0; k < MAX_PERMS; k++) {
		perm *p = &c->perms[k];
		if (p->state != P_INSTALLED || p->tx >= 0 || p->refresh_at > now)
			continue;
		if (!p->traffic && !chan_uses_ip(c, &p->ip)) {
			slog(c, IKE_LOG_DEBUG, "permission for %s unused: left to expire",
			     addr_str(&p->ip, a));
			p->state = P_NONE;
			continue;
		}
		if (start_auth_tx(c, TX_PERMISSION, (int)k, 0, now, &p->tx) != IKE_OK) {
			p->tx = -1;
			p->refresh_at = now + c->cfg.rto_ms;
		} else {
			p->traffic = false;
		}
	}
	for (size_t k = 0; k < MAX_CHANS; k++) {
		chan *ch = &c->chans[k];
		if (ch->state != P_INSTALLED || ch->tx >= 0 || ch->refresh_at > now)
			continue;
		if (start_auth_tx(c, TX_CHANNEL, (int)k, 0, now, &ch->tx) != IKE_OK) {
			ch->tx = -1;
			ch->refresh_at = now + c->cfg.rto_ms;
		}
	}
	return IKE_OK;
}

turn_state turn_client_state(const turn_client *c)
{
	return c ? c->state : TURN_ST_CLOSED;
}

const ike_addr *turn_client_relayed(const turn_client *c)
{
	return &c->relayed;
}

const turn_stats *turn_client_stats(const turn_client *c)
{
	return &c->stats;
}
