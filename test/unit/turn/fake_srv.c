/* SPDX-License-Identifier: MIT */
/* The fake TURN server of the client tests (see fake_srv.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fake_srv.h"

static ike_slice sl(const char *s)
{
	return (ike_slice){(const uint8_t *)s, strlen(s)};
}

void fs_init(fake_srv *s)
{
	memset(s, 0, sizeof *s);
	cr_assert(ike_addr_parse(&s->addr, "192.0.2.10", 3478) == IKE_OK);
	cr_assert(ike_addr_parse(&s->relayed, "192.0.2.10", 49152) == IKE_OK);
	cr_assert(ike_addr_parse(&s->mapped, "198.51.100.20", 61000) == IKE_OK);
	snprintf(s->username, sizeof s->username, "1700000000:alice");
	snprintf(s->password, sizeof s->password, "s3cr3t-pa55");
	snprintf(s->realm, sizeof s->realm, "example.org");
	snprintf(s->nonce, sizeof s->nonce, "nonce-0");
	cr_assert(stun_long_term_key(s->username, sl(s->realm), s->password, s->key) == IKE_OK);
	s->lifetime_max = 600;
	s->echo = true;
}

static void q_push(fake_srv *s, const uint8_t *b, size_t len)
{
	cr_assert(s->qn < FS_QUEUE && len <= sizeof s->q[0].b);
	memcpy(s->q[s->qn].b, b, len);
	s->q[s->qn].len = len;
	s->qn++;
}

/* Starts a response to m; the caller adds attributes and calls finish. */
static void start(stun_enc *e, uint8_t *buf, size_t cap, const stun_msg *m, uint8_t cls)
{
	cr_assert(stun_enc_init(e, buf, cap, m->method, cls, m->tid) == IKE_OK);
}

static void finish(fake_srv *s, stun_enc *e, bool integrity)
{
	if (integrity)
		cr_assert(stun_enc_integrity(e, s->key, sizeof s->key) == IKE_OK);
	cr_assert(stun_enc_fingerprint(e) == IKE_OK);
	q_push(s, e->buf, e->len);
}

static void answer_error(fake_srv *s, const stun_msg *m, int code, bool auth_attrs, bool integrity)
{
	uint8_t buf[512];
	stun_enc e;

	start(&e, buf, sizeof buf, m, STUN_ERROR);
	cr_assert(stun_enc_error_code(&e, code, stun_error_text(code)) == IKE_OK);
	if (auth_attrs) {
		cr_assert(stun_enc_attr(&e, STUN_A_REALM, s->realm, strlen(s->realm)) == IKE_OK);
		cr_assert(stun_enc_attr(&e, STUN_A_NONCE, s->nonce, strlen(s->nonce)) == IKE_OK);
	}
	finish(s, &e, integrity && !s->forged_errors);
}

static bool has_perm(const fake_srv *s, const ike_addr *ip)
{
	for (size_t i = 0; i < s->n_perms; i++)
		if (ike_addr_ip_eq(&s->perms[i], ip))
			return true;
	return false;
}

static void add_perm(fake_srv *s, const ike_addr *ip)
{
	if (!has_perm(s, ip) && s->n_perms < FS_MAX)
		s->perms[s->n_perms++] = *ip;
}

static bool text_is(const stun_attr *a, const char *t)
{
	return a && a->value.len == strlen(t) && memcmp(a->value.ptr, t, a->value.len) == 0;
}

static void on_request(fake_srv *s, const stun_msg *m)
{
	uint8_t buf[512];
	stun_enc e;
	ike_addr peer;
	uint32_t lt = 0;

	if (m->method < 16)
		s->n_req[m->method]++;
	if (m->mi_off == SIZE_MAX) {
		s->n_unauth++;
		answer_error(s, m, 401, true, false);
		return;
	}
	if (!text_is(stun_msg_find(m, STUN_A_USERNAME), s->username) ||
	    !text_is(stun_msg_find(m, STUN_A_REALM), s->realm) ||
	    stun_check_integrity(m, s->key, 16) != IKE_OK) {
		answer_error(s, m, 401, true, false);
		return;
	}
	if (s->stale_next || s->always_stale) {
		s->stale_next = false;
		snprintf(s->nonce, sizeof s->nonce, "nonce-%u", ++s->nonce_gen);
	}
	if (!text_is(stun_msg_find(m, STUN_A_NONCE), s->nonce)) {
		answer_error(s, m, 438, true, false);
		return;
	}
	switch (m->method) {
	case STUN_ALLOCATE:
		if (s->alloc_error) {
			answer_error(s, m, s->alloc_error, false, true);
			return;
		}
		if (s->allocated) {
			answer_error(s, m, 437, false, true);
			return;
		}
		if (stun_attr_u32(stun_msg_find(m, STUN_A_LIFETIME), &lt) != IKE_OK || lt > s->lifetime_max)
			lt = s->lifetime_max;
		s->allocated = true;
		start(&e, buf, sizeof buf, m, STUN_SUCCESS);
		cr_assert(stun_enc_xor_addr(&e, STUN_A_XOR_RELAYED_ADDRESS, &s->relayed) == IKE_OK);
		cr_assert(stun_enc_u32(&e, STUN_A_LIFETIME, lt) == IKE_OK);
		cr_assert(stun_enc_xor_addr(&e, STUN_A_XOR_MAPPED_ADDRESS, &s->mapped) == IKE_OK);
		finish(s, &e, !s->no_integrity);
		return;
	case STUN_REFRESH:
		if (!s->allocated) {
			answer_error(s, m, 437, false, true);
			return;
		}
		if (stun_attr_u32(stun_msg_find(m, STUN_A_LIFETIME), &lt) != IKE_OK)
			lt = s->lifetime_max;
		s->last_lifetime_req = lt;
		if (lt && s->refresh_error) {
			answer_error(s, m, s->refresh_error, false, true);
			return;
		}
		if (lt > s->lifetime_max)
			lt = s->lifetime_max;
		if (lt == 0) {
			s->allocated = false;
			s->n_perms = s->n_chans = 0;
		}
		start(&e, buf, sizeof buf, m, STUN_SUCCESS);
		cr_assert(stun_enc_u32(&e, STUN_A_LIFETIME, lt) == IKE_OK);
		finish(s, &e, !s->no_integrity);
		return;
	case STUN_CREATE_PERMISSION:
	case STUN_CHANNEL_BIND:
		if (!s->allocated) {
			answer_error(s, m, 437, false, true);
			return;
		}
		if (stun_attr_xor_addr(m, stun_msg_find(m, STUN_A_XOR_PEER_ADDRESS), &peer) != IKE_OK) {
			answer_error(s, m, 400, false, true);
			return;
		}
		if (m->method == STUN_CREATE_PERMISSION && s->perm_error) {
			answer_error(s, m, s->perm_error, false, true);
			return;
		}
		add_perm(s, &peer);
		if (m->method == STUN_CHANNEL_BIND) {
			uint16_t num;
			bool known = false;
			cr_assert(stun_attr_channel(stun_msg_find(m, STUN_A_CHANNEL_NUMBER), &num) == IKE_OK);
			for (size_t i = 0; i < s->n_chans; i++)
				known |= s->chans[i].num == num;
			if (!known && s->n_chans < FS_MAX) {
				s->chans[s->n_chans].num = num;
				s->chans[s->n_chans].peer = peer;
				s->n_chans++;
			}
		}
		start(&e, buf, sizeof buf, m, STUN_SUCCESS);
		finish(s, &e, !s->no_integrity);
		return;
	default:
		answer_error(s, m, 400, false, true);
	}
}

void fs_data_indication(fake_srv *s, const ike_addr *peer, const void *data, size_t len)
{
	uint8_t buf[1024], tid[STUN_TID_LEN] = {0xd, 0xa, 0x7, 0xa};
	stun_enc e;

	cr_assert(stun_enc_init(&e, buf, sizeof buf, STUN_DATA, STUN_INDICATION, tid) == IKE_OK);
	cr_assert(stun_enc_xor_addr(&e, STUN_A_XOR_PEER_ADDRESS, peer) == IKE_OK);
	cr_assert(stun_enc_attr(&e, STUN_A_DATA, data, len) == IKE_OK);
	q_push(s, buf, e.len);
}

static void on_datagram(fake_srv *s, const uint8_t *pkt, size_t len)
{
	stun_msg m;
	ike_addr peer;
	uint16_t ch;
	ike_slice d;

	if (s->n_rx < FS_MAX)
		s->sent_at[s->n_rx] = s->now;
	s->n_rx++;
	if (s->offline)
		return;
	if (stun_classify(pkt, len) == STUN_KIND_CHANNEL_DATA) {
		cr_assert(stun_channel_data_decode(pkt, len, &ch, &d) == IKE_OK);
		s->n_chandata++;
		s->last_data_len = d.len < sizeof s->last_data ? d.len : sizeof s->last_data;
		memcpy(s->last_data, d.ptr, s->last_data_len);
		if (s->echo) {
			uint8_t buf[1024];
			size_t n;
			cr_assert(stun_channel_data_encode(buf, sizeof buf, ch, d.ptr, d.len, &n) == IKE_OK);
			q_push(s, buf, n);
		}
		return;
	}
	cr_assert(stun_decode(pkt, len, &m) == IKE_OK, "the client sent a malformed message");
	cr_assert(m.has_fingerprint || m.cls == STUN_INDICATION);
	if (m.cls == STUN_INDICATION) {
		const stun_attr *da = stun_msg_find(&m, STUN_A_DATA);
		cr_assert(m.method == STUN_SEND);
		cr_assert(stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_A_XOR_PEER_ADDRESS), &peer) ==
		          IKE_OK);
		cr_assert(da != NULL);
		s->n_send_ind++;
		s->last_peer = peer;
		s->last_data_len = da->value.len < sizeof s->last_data ? da->value.len : sizeof s->last_data;
		memcpy(s->last_data, da->value.ptr, s->last_data_len);
		if (s->echo && has_perm(s, &peer))
			fs_data_indication(s, &peer, da->value.ptr, da->value.len);
		return;
	}
	cr_assert(m.cls == STUN_REQUEST);
	if (s->drop_next > 0) {
		s->drop_next--;
		return;
	}
	on_request(s, &m);
}

static int cb_send(void *user, const ike_addr *to, const uint8_t *pkt, size_t len)
{
	fake_srv *s = user;

	cr_assert(ike_addr_eq(to, &s->addr));
	on_datagram(s, pkt, len);
	return 0;
}

static void cb_event(void *user, const turn_event *ev)
{
	fake_srv *s = user;
	fs_event *e;

	cr_assert(s->n_ev < FS_EVENTS);
	e = &s->ev[s->n_ev++];
	memset(e, 0, sizeof *e);
	e->type = ev->type;
	e->err = ev->err;
	e->code = ev->code;
	if (ev->reason)
		snprintf(e->reason, sizeof e->reason, "%s", ev->reason);
	e->peer = ev->peer;
	e->relayed = ev->relayed;
	e->mapped = ev->mapped;
	e->channel = ev->channel;
	e->lifetime_s = ev->lifetime_s;
	e->len = ev->len < sizeof e->data ? ev->len : sizeof e->data;
	if (e->len)
		memcpy(e->data, ev->data, e->len);
	e->at = s->now;
}

static void cb_rand(void *user, uint8_t *out, size_t len)
{
	fake_srv *s = user;

	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(s->rand_ctr * 131u + i * 7u + 1u);
	s->rand_ctr++;
}

static void cb_log(void *user, const ike_log_rec *rec)
{
	fake_srv *s = user;
	int n = snprintf(s->log + s->log_len, sizeof s->log - s->log_len, "%s\n", rec->msg);

	if (n > 0 && (size_t)n < sizeof s->log - s->log_len)
		s->log_len += (size_t)n;
}

const turn_callbacks fs_callbacks = {cb_send, cb_event, cb_rand, cb_log};

void fs_client_config(fake_srv *s, turn_config *cfg)
{
	turn_config_defaults(cfg);
	cfg->server = s->addr;
	cfg->username = s->username;
	cfg->password = s->password;
	cfg->software = "ikemed-test";
	cfg->log_max = IKE_LOG_TRACE;
}

turn_client *fs_client_new(fake_srv *s, const turn_config *cfg)
{
	cr_assert(turn_client_new(&s->c, cfg, &fs_callbacks, s, s->now) == IKE_OK);
	return s->c;
}

void fs_pump(fake_srv *s)
{
	size_t i = 0;

	/* Replies may queue more datagrams (echoes): take them in order. */
	while (i < s->qn) {
		(void)turn_client_recv(s->c, &s->addr, s->q[i].b, s->q[i].len, s->now);
		i++;
	}
	s->qn = 0;
}

void fs_run_until(fake_srv *s, ike_ms until)
{
	for (int guard = 0; guard < 100000; guard++) {
		ike_ms d = turn_client_next_deadline(s->c);
		if (d == IKE_NEVER || d > until)
			break;
		if (d > s->now)
			s->now = d;
		cr_assert(turn_client_tick(s->c, s->now) == IKE_OK);
		fs_pump(s);
	}
	s->now = until;
}

int fs_find_event(const fake_srv *s, turn_event_type type, int nth)
{
	for (size_t i = 0; i < s->n_ev; i++)
		if (s->ev[i].type == type && nth-- == 0)
			return (int)i;
	return -1;
}

size_t fs_count_events(const fake_srv *s, turn_event_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_ev; i++)
		n += s->ev[i].type == type;
	return n;
}
