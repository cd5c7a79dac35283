/* SPDX-License-Identifier: MIT */
/* The pair fixture: alice and bob engines on an in-memory link with a fake clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "tst.h"

/* ---- link ---- */

void tst_link_push(tst_link *l, int from, const ike_path *path, const uint8_t *pkt, size_t len)
{
	unsigned copies = 1;
	uint64_t k = l->sent[from]++;

	if (l->blackhole[from] || (k < 32 && (l->drop_mask[from] >> k & 1)))
		return;
	if (l->drop_next[from]) {
		l->drop_next[from]--;
		return;
	}
	if (l->dup_next[from]) {
		l->dup_next[from]--;
		copies = 2;
	}
	while (copies--) {
		tst_dgram *d;
		if (l->n >= TST_QUEUE_MAX || len > TST_DGRAM_MAX)
			return;
		d = &l->q[l->n++];
		d->from = from;
		d->path = *path;
		d->len = len;
		memcpy(d->data, pkt, len);
		if (l->nat[from] && ike_addr_ip_eq(&d->path.local, &l->nat_private[from])) {
			uint16_t port = d->path.local.port;
			d->path.local = l->nat_public[from];
			d->path.local.port =
			    (uint16_t)(port + (l->nat_shift[from] ? l->nat_shift[from] : 20000));
		}
	}
}

bool tst_link_take(tst_link *l, size_t i, tst_dgram *out)
{
	if (i >= l->n)
		return false;
	*out = l->q[i];
	memmove(&l->q[i], &l->q[i + 1], (l->n - i - 1) * sizeof l->q[0]);
	l->n--;
	return true;
}

void tst_link_swap(tst_link *l, size_t i, size_t j)
{
	tst_dgram t;

	if (i >= l->n || j >= l->n)
		return;
	t = l->q[i];
	l->q[i] = l->q[j];
	l->q[j] = t;
}

/* ---- keys ---- */

static uint8_t priv_pem[2][4096], pub_der[2][1024];
static size_t priv_len[2], pub_len[2];
static uint8_t keyid[2][20];

static void make_key(int who)
{
	EVP_PKEY *pk;
	BIO *bio;
	unsigned char *p, *pkcs1 = NULL;
	char *data;
	long n;
	int len;

	if (priv_len[who])
		return;
	pk = EVP_RSA_gen(2048);
	if (!pk)
		abort();
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL))
		abort();
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || (size_t)n > sizeof priv_pem[who])
		abort();
	memcpy(priv_pem[who], data, (size_t)n);
	priv_len[who] = (size_t)n;
	BIO_free(bio);
	p = pub_der[who];
	len = i2d_PUBKEY(pk, NULL);
	if (len <= 0 || (size_t)len > sizeof pub_der[who])
		abort();
	pub_len[who] = (size_t)i2d_PUBKEY(pk, &p);
	len = i2d_PublicKey(pk, &pkcs1);
	if (len <= 0)
		abort();
	SHA1(pkcs1, (size_t)len, keyid[who]);
	OPENSSL_free(pkcs1);
	EVP_PKEY_free(pk);
}

ike_slice tst_key_private(int who)
{
	make_key(who);
	return (ike_slice){priv_pem[who], priv_len[who]};
}

ike_slice tst_key_public(int who)
{
	make_key(who);
	return (ike_slice){pub_der[who], pub_len[who]};
}

void tst_key_id(int who, ike_id *out)
{
	make_key(who);
	memset(out, 0, sizeof *out);
	out->type = IKE_ID_KEY_ID;
	out->len = 20;
	memcpy(out->data, keyid[who], 20);
}

/* ---- callbacks ---- */

static int cb_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	tst_side *s = user;

	if (s->fail_send)
		return -1;
	tst_link_push(&s->px->link, s->idx, path, pkt, len);
	return 0;
}

static int cb_lookup(void *user, const ike_id *id, const ike_path *path, ike_peer_cfg *out)
{
	tst_side *s = user;

	(void)path;
	s->lookups++;
	s->lookup_id = *id;
	if (!s->peer_known)
		return IKE_ERR_NOT_FOUND;
	*out = s->peer;
	return IKE_OK;
}

static void cb_event(void *user, const ike_event *ev)
{
	tst_side *s = user;
	tst_rec_event *r;

	if (ev->type == IKE_EV_SA_UP && !ike_sa_ref_valid(s->px->sa[s->idx]))
		s->px->sa[s->idx] = ev->sa;
	if (ev->type == IKE_EV_SA_UP && s->idx == BOB)
		s->px->sa[BOB] = ev->sa;
	if (ev->type == IKE_EV_ME_CONNECT) {
		s->last_me_connect = *ev->u.me_connect.req;
		*ev->u.me_connect.reply = s->me_reply;
	}
	if (ev->type == IKE_EV_ME_TURN_WANTED && s->turn_give.server.family) {
		*ev->u.me_turn_wanted.turn = s->turn_give;
		ev->u.me_turn_wanted.turn->expires += 100u * s->turn_asks;
		*ev->u.me_turn_wanted.refresh_in = s->turn_refresh_ms;
	}
	if (ev->type == IKE_EV_ME_TURN_WANTED)
		s->turn_asks++;
	if (ev->type == IKE_EV_SA_DOWN && s->initiate_on_down) {
		s->initiate_on_down = false;
		s->reentry_rc = ike_engine_initiate(s->e, &s->peer, s->px->clock.now, &s->px->sa[s->idx]);
	}
	if (ev->type == IKE_EV_SA_UP && s->terminate_on_up)
		s->reentry_rc = ike_engine_terminate(s->e, ev->sa, s->px->clock.now);
	if (s->events.n >= TST_EV_MAX)
		return;
	r = &s->events.ev[s->events.n++];
	r->ev = *ev;
	if ((ev->type == IKE_EV_CHILD_UP || ev->type == IKE_EV_CHILD_REKEYED) && ev->u.child.info) {
		r->child = *ev->u.child.info;
		r->ev.u.child.info = &r->child;
	}
	if (ev->type == IKE_EV_ME_CONNECTID) {
		memcpy(r->connect_id, ev->u.me_connectid.id, ev->u.me_connectid.len);
		r->ev.u.me_connectid.id = r->connect_id;
	}
	if (ev->type == IKE_EV_ME_TURN) {
		r->turn = *ev->u.me_turn.turn;
		r->ev.u.me_turn.turn = &r->turn;
	}
	if (ev->type == IKE_EV_ME_TURN_WANTED) {
		r->turn_peer = *ev->u.me_turn_wanted.peer;
		r->ev.u.me_turn_wanted.peer = &r->turn_peer;
		r->ev.u.me_turn_wanted.turn = NULL;
		r->ev.u.me_turn_wanted.refresh_in = NULL;
	}
	r->at = s->px->clock.now;
	r->ev.name = "";
}

static void cb_log(void *user, const ike_log_rec *rec)
{
	tst_side *s = user;

	s->log_lines++;
	if (strncmp(rec->msg, "drop", 4) == 0)
		s->drop_lines++;
	snprintf(s->last_log, sizeof s->last_log, "%s", rec->msg);
	if (getenv("TST_LOG"))
		fprintf(stderr, "%s %-5s [%s] %s\n", s->idx ? "bob  " : "alice", ike_log_level_name(rec->lvl),
		        rec->tag ? rec->tag : "", rec->msg);
}

static void cb_rand(void *user, uint8_t *out, size_t len)
{
	tst_side *s = user;
	uint32_t *st = &s->px->rand_state;

	for (size_t i = 0; i < len; i++) {
		*st ^= *st << 13;
		*st ^= *st >> 17;
		*st ^= *st << 5;
		out[i] = (uint8_t)(*st >> 7);
	}
}

static const ike_callbacks callbacks = {cb_send, cb_lookup, cb_event, cb_log, cb_rand};

/* ---- fixture ---- */

void tst_pair_init(tst_pair *px)
{
	memset(px, 0, sizeof *px);
	px->clock.now = 1000000;
	px->rand_state = 0x12345678;
	for (int i = 0; i < 2; i++) {
		tst_side *s = &px->side[i];
		s->px = px;
		s->idx = i;
		(void)ike_addr_parse(&s->addr, i ? "198.51.100.2" : "198.51.100.1", IKE_PORT);
		ike_config_defaults(&s->cfg);
		s->cfg.mem = tst_mem();
		s->cfg.name = i ? "bob" : "alice";
		s->cfg.log_level = IKE_LOG_DEBUG;
		s->cfg.private_key = tst_key_private(i);
		tst_key_id(i, &s->cfg.local_id);
		s->cfg.rekey_jitter_ms = 0;
		s->peer.name = i ? "alice" : "bob";
		s->peer.local = s->addr;
		s->peer.local_auth = IKE_AUTHBY_PUBKEY;
		s->peer.remote_auth = IKE_AUTHBY_PUBKEY;
		s->peer.remote_pubkey = tst_key_public(1 - i);
		tst_key_id(1 - i, &s->peer.remote_id);
		s->peer_known = true;
	}
	(void)ike_addr_parse(&px->side[ALICE].peer.remote, "198.51.100.2", IKE_PORT);
	(void)ike_addr_parse(&px->side[BOB].peer.remote, "198.51.100.1", IKE_PORT);
}

void tst_pair_use_psk(tst_pair *px, const char *psk)
{
	for (int i = 0; i < 2; i++) {
		tst_side *s = &px->side[i];
		s->peer.local_auth = IKE_AUTHBY_PSK;
		s->peer.remote_auth = IKE_AUTHBY_PSK;
		s->peer.psk = (ike_slice){(const uint8_t *)psk, strlen(psk)};
		s->peer.remote_pubkey = (ike_slice){NULL, 0};
	}
}

void tst_pair_start(tst_pair *px)
{
	for (int i = 0; i < 2; i++) {
		tst_side *s = &px->side[i];
		if (s->e)
			continue;
		if (ike_engine_new(&s->e, &s->cfg, &callbacks, s, px->clock.now) != IKE_OK)
			abort();
	}
}

void tst_pair_free(tst_pair *px)
{
	for (int i = 0; i < 2; i++) {
		ike_engine_free(px->side[i].e);
		px->side[i].e = NULL;
	}
}

void tst_pair_initiate(tst_pair *px)
{
	tst_pair_start(px);
	if (ike_engine_initiate(px->side[ALICE].e, &px->side[ALICE].peer, px->clock.now, &px->sa[ALICE]) !=
	    IKE_OK)
		abort();
}

int tst_pair_deliver(tst_pair *px)
{
	tst_dgram d;
	ike_path p;
	int to;

	if (!tst_link_take(&px->link, 0, &d))
		return 1;
	to = 1 - d.from;
	p.local = d.path.remote;
	p.remote = d.path.local;
	if (px->link.nat[to] && ike_addr_ip_eq(&p.local, &px->link.nat_public[to])) {
		uint16_t port = p.local.port;
		p.local = px->link.nat_private[to];
		p.local.port = (uint16_t)(port - (px->link.nat_shift[to] ? px->link.nat_shift[to] : 20000));
	}
	return ike_engine_recv(px->side[to].e, &p, d.data, d.len, px->clock.now);
}

static ike_ms next_deadline(tst_pair *px)
{
	ike_ms a = px->side[0].e ? ike_engine_next_deadline(px->side[0].e) : IKE_NEVER;
	ike_ms b = px->side[1].e ? ike_engine_next_deadline(px->side[1].e) : IKE_NEVER;
	return a < b ? a : b;
}

static void tick_both(tst_pair *px)
{
	for (int i = 0; i < 2; i++)
		if (px->side[i].e)
			if (ike_engine_tick(px->side[i].e, px->clock.now) != IKE_OK)
				px->side[i].tick_errors++;
}

void tst_pair_run(tst_pair *px, ike_ms limit_ms)
{
	ike_ms end = px->clock.now + limit_ms;
	unsigned rounds = 0;

	for (;;) {
		ike_ms d;
		/* A bounded loop: an engine that never goes idle must fail the test, not hang it. */
		if (++rounds > 100000)
			abort();
		while (tst_pair_deliver(px) != 1)
			if (++rounds > 100000)
				abort();
		d = next_deadline(px);
		if (d == IKE_NEVER || d > end)
			break;
		if (d > px->clock.now)
			px->clock.now = d;
		tick_both(px);
	}
}

void tst_pair_advance(tst_pair *px, ike_ms ms)
{
	ike_ms end = px->clock.now + ms;
	unsigned rounds = 0;

	for (;;) {
		ike_ms d = next_deadline(px);
		if (++rounds > 100000)
			abort();
		if (d > end)
			break;
		if (d > px->clock.now)
			px->clock.now = d;
		tick_both(px);
	}
	px->clock.now = end;
	tick_both(px);
}

size_t tst_events_count(const tst_pair *px, int side, ike_event_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < px->side[side].events.n; i++)
		if (px->side[side].events.ev[i].ev.type == type)
			n++;
	return n;
}

const tst_rec_event *tst_events_last(const tst_pair *px, int side, ike_event_type type)
{
	for (size_t i = px->side[side].events.n; i-- > 0;)
		if (px->side[side].events.ev[i].ev.type == type)
			return &px->side[side].events.ev[i];
	return NULL;
}
