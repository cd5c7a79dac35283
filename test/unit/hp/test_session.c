/* SPDX-License-Identifier: MIT */
/* One session on its own: pair formation, order, pruning, limits, pacing, retransmission,
 * triggered checks and authentication of what arrives. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp_internal.h"

#define MAX_OUT 256

typedef struct capture {
	struct {
		ike_ms at;
		ike_path path;
		uint8_t pkt[HP_CHECK_MAX];
		size_t len;
	} out[MAX_OUT];
	size_t n;
	ike_ms now;
	hp_event last;
	unsigned events;
	char reason[200];
	size_t n_pairs;
} capture;

static int cap_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	capture *c = user;

	if (c->n < MAX_OUT) {
		c->out[c->n].at = c->now;
		c->out[c->n].path = *path;
		memcpy(c->out[c->n].pkt, pkt, len);
		c->out[c->n].len = len;
		c->n++;
	}
	return 0;
}

static void cap_event(void *user, const hp_event *ev)
{
	capture *c = user;

	c->last = *ev;
	c->last.pairs = NULL;
	c->n_pairs = ev->n_pairs;
	if (ev->reason)
		snprintf(c->reason, sizeof c->reason, "%s", ev->reason);
	c->events++;
}

static const uint8_t cid[4] = {1, 2, 3, 4};
static const uint8_t key_i[16] = "initiator-key-16";
static const uint8_t key_r[16] = "responder-key-16";

static hp_candidate cand(uint8_t type, const char *ip, uint16_t port, const char *base)
{
	hp_candidate c = {.type = type, .priority = hp_candidate_priority(type)};

	cr_assert(eq(int, ike_addr_parse(&c.addr, ip, port), IKE_OK));
	if (base)
		cr_assert(eq(int, ike_addr_parse(&c.base, base, 4500), IKE_OK));
	return c;
}

static hp_session *make(capture *c, hp_role role, const hp_candidate *l, size_t nl, const hp_candidate *r,
                        size_t nr, const hp_config *tweak)
{
	hp_config cfg;
	hp_callbacks cb = {.send = cap_send, .on_event = cap_event};
	hp_session *s = NULL;

	if (tweak)
		cfg = *tweak;
	else
		hp_config_defaults(&cfg);
	cfg.role = role;
	cfg.connect_id = cid;
	cfg.connect_id_len = sizeof cid;
	cfg.initiator_key = key_i;
	cfg.initiator_key_len = sizeof key_i;
	cfg.responder_key = key_r;
	cfg.responder_key_len = sizeof key_r;
	cfg.local = l;
	cfg.n_local = nl;
	cfg.remote = r;
	cfg.n_remote = nr;
	cr_assert(eq(int, hp_session_new(&s, &cfg, &cb, c, c->now), IKE_OK));
	return s;
}

static bool path_is(const ike_path *p, const char *l, uint16_t lp, const char *r, uint16_t rp)
{
	ike_addr a, b;

	cr_assert(eq(int, ike_addr_parse(&a, l, lp), IKE_OK));
	cr_assert(eq(int, ike_addr_parse(&b, r, rp), IKE_OK));
	return ike_addr_eq(&p->local, &a) && ike_addr_eq(&p->remote, &b);
}

/* alice: host 10.0.1.2, srflx 198.51.100.1:4500 (base 10.0.1.2), host [2001:db8:1::2];
 * bob: host 10.0.2.2, srflx 198.51.100.2:4600, host [2001:db8:2::2]. */
static void alice_bob(hp_candidate a[3], hp_candidate b[3])
{
	a[0] = cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL);
	a[1] = cand(HP_CAND_SERVER_REFLEXIVE, "198.51.100.1", 4500, "10.0.1.2");
	a[2] = cand(HP_CAND_HOST, "2001:db8:1::2", 4500, NULL);
	b[0] = cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL);
	b[1] = cand(HP_CAND_SERVER_REFLEXIVE, "198.51.100.2", 4600, "10.0.2.2");
	b[2] = cand(HP_CAND_HOST, "2001:db8:2::2", 4500, NULL);
}

Test(hp_pairs, forms_same_family_pairs_ordered_and_pruned_as_initiator)
{
	capture c = {.now = 100};
	hp_candidate a[3], b[3];
	hp_pair_info p[8];
	hp_session *s;

	alice_bob(a, b);
	s = make(&c, HP_INITIATOR, a, 3, b, 3, NULL);
	/* 5 IPv4 combinations + 1 IPv6; both srflx-based IPv4 pairs duplicate host-based ones. */
	cr_assert(eq(sz, hp_session_pairs(s, p, 8), 3));
	cr_assert(path_is(&p[0].path, "10.0.1.2", 4500, "10.0.2.2", 4500));
	cr_assert(eq(u64, p[0].priority, 72057589776515070ull));
	cr_assert(eq(u32, p[0].id, 1));
	cr_assert(path_is(&p[1].path, "2001:db8:1::2", 4500, "2001:db8:2::2", 4500));
	cr_assert(eq(u64, p[1].priority, 72057589776515070ull)); /* tie: creation order kept */
	cr_assert(eq(u32, p[1].id, 2));
	cr_assert(path_is(&p[2].path, "10.0.1.2", 4500, "198.51.100.2", 4600));
	cr_assert(eq(u64, p[2].priority, 18295869224779775ull)); /* G = host > D = srflx: +1 */
	cr_assert(eq(u32, p[2].id, 3));
	for (int i = 0; i < 3; i++)
		cr_assert(eq(u8, p[i].state, HP_PAIR_WAITING));
	hp_session_free(s);
}

Test(hp_pairs, responder_uses_initiator_priority_as_g)
{
	capture c = {.now = 100};
	hp_candidate a[3], b[3];
	hp_pair_info p[8];
	hp_session *s;

	alice_bob(a, b);
	s = make(&c, HP_RESPONDER, b, 3, a, 3, NULL);
	cr_assert(eq(sz, hp_session_pairs(s, p, 8), 3));
	cr_assert(path_is(&p[0].path, "10.0.2.2", 4500, "10.0.1.2", 4500));
	cr_assert(path_is(&p[1].path, "2001:db8:2::2", 4500, "2001:db8:1::2", 4500));
	cr_assert(path_is(&p[2].path, "10.0.2.2", 4500, "198.51.100.1", 4500));
	cr_assert(eq(u64, p[2].priority, 18295869224779774ull)); /* G = srflx < D = host: no +1 */
	hp_session_free(s);
}

Test(hp_pairs, prunes_duplicate_remote_and_pairs_added_later)
{
	capture c = {.now = 100};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[3] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL),
	                     cand(HP_CAND_RELAYED, "10.0.2.2", 4500, NULL),
	                     cand(HP_CAND_HOST, "10.0.2.3", 4500, NULL)};
	hp_pair_info p[8];
	hp_session *s = make(&c, HP_INITIATOR, a, 1, b, 2, NULL);

	cr_assert(eq(sz, hp_session_pairs(s, p, 8), 1));
	cr_assert(eq(u64, p[0].priority, hp_pair_priority(0x00ffffff, 0x00ffffff)));
	/* Adding the same address again adds nothing; a new one gets the next number. */
	cr_assert(eq(int, hp_session_add_remote(s, b, 3, c.now), IKE_OK));
	cr_assert(eq(sz, hp_session_pairs(s, p, 8), 2));
	cr_assert(eq(u32, p[0].id, 1));
	cr_assert(eq(u32, p[1].id, 2));
	cr_assert(path_is(&p[1].path, "10.0.1.2", 4500, "10.0.2.3", 4500));
	hp_session_free(s);
}

Test(hp_pairs, refuses_endpoints_and_pairs_over_limits_keeping_the_best)
{
	capture c = {.now = 100};
	hp_candidate l[20], r[20];
	hp_pair_info p[64];
	char ip[32];
	hp_session *s;

	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof ip, "10.0.1.%d", i + 1);
		l[i] = cand(HP_CAND_HOST, ip, 4500, NULL);
		l[i].priority = 0x00ffffffu - (uint32_t)i * 7;
		snprintf(ip, sizeof ip, "10.0.2.%d", i + 1);
		r[i] = cand(HP_CAND_HOST, ip, 4500, NULL);
		r[i].priority = 0x00ffffffu - (uint32_t)i * 11;
	}
	s = make(&c, HP_INITIATOR, l, 20, r, 20, NULL);
	cr_assert(eq(u64, hp_session_stats(s)->refused_endpoints, 8)); /* 4 local + 4 remote over 16 */
	cr_assert(eq(sz, hp_session_pairs(s, p, 64), 64));
	cr_assert(eq(u64, hp_session_stats(s)->refused_pairs, 16 * 16 - 64));
	for (int i = 1; i < 64; i++)
		cr_assert(ge(u64, p[i - 1].priority, p[i].priority));
	/* The kept 64 are the best: the lowest kept beats every pair of the 16x16 not kept. */
	{
		uint64_t all[256];
		size_t n = 0, above = 0;
		for (int i = 0; i < 16; i++)
			for (int j = 0; j < 16; j++)
				all[n++] = hp_pair_priority(l[i].priority, r[j].priority);
		for (size_t k = 0; k < n; k++)
			above += all[k] >= p[63].priority;
		cr_assert(eq(sz, above, 64));
	}
	hp_session_free(s);
}

Test(hp_pairs, ignores_candidates_without_address)
{
	capture c = {.now = 100};
	hp_candidate a[2] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL),
	                     {.type = HP_CAND_SERVER_REFLEXIVE, .priority = 1}};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_INITIATOR, a, 2, b, 1, NULL);

	cr_assert(eq(u64, hp_session_stats(s)->refused_endpoints, 1));
	cr_assert(eq(sz, hp_session_pairs(s, NULL, 0), 1));
	hp_session_free(s);
}

Test(hp_session, rejects_missing_keys_and_callbacks)
{
	hp_config cfg;
	hp_callbacks cb = {.send = cap_send, .on_event = cap_event};
	hp_session *s = (hp_session *)1;

	hp_config_defaults(&cfg);
	cr_assert(eq(int, hp_session_new(&s, &cfg, &cb, NULL, 0), IKE_ERR_INVAL));
	cr_assert(eq(ptr, s, NULL));
	cfg.connect_id = cid;
	cfg.connect_id_len = 4;
	cfg.initiator_key = key_i;
	cfg.initiator_key_len = 16;
	cfg.responder_key = key_r;
	cfg.responder_key_len = HP_CONNECT_KEY_MAX + 1;
	cr_assert(eq(int, hp_session_new(&s, &cfg, &cb, NULL, 0), IKE_ERR_INVAL));
	cfg.responder_key_len = 16;
	cb.on_event = NULL;
	cr_assert(eq(int, hp_session_new(&s, &cfg, &cb, NULL, 0), IKE_ERR_INVAL));
}

/* Drives s with exact deadlines until `until`. */
static void run(hp_session *s, capture *c, ike_ms until)
{
	for (int guard = 0; guard < 100000; guard++) {
		ike_ms t = hp_session_next_deadline(s);
		if (t > until)
			return;
		c->now = t;
		cr_assert(eq(int, hp_session_tick(s, t), IKE_OK));
	}
	cr_assert(false, "no progress");
}

Test(hp_sched, retransmits_on_strongswan_schedule_then_fails_pair)
{
	capture c = {.now = 1000};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_config cfg;
	hp_session *s;
	/* Cumulative times, computed independently with Python:
	 * t += 25 if n <= 2 else int(25 * 1.8 ** (n - 2)) for n = 1..14 */
	const ike_ms want[14] = {0, 25, 50, 95, 176, 321, 583, 1055, 1905, 3435, 6189, 11147, 20073, 36140};

	hp_config_defaults(&cfg);
	cfg.fail_after_ms = 0; /* no bound: the pair runs its whole strongSwan schedule */
	s = make(&c, HP_INITIATOR, a, 1, b, 1, &cfg);
	run(s, &c, 1000 + 70000);
	cr_assert(eq(sz, c.n, 14));
	for (int i = 0; i < 14; i++) {
		cr_assert(eq(u64, c.out[i].at, 1000 + want[i]), "send %d", i);
		cr_assert(eq(sz, c.out[i].len, c.out[0].len));
		cr_assert(eq(int, memcmp(c.out[i].pkt, c.out[0].pkt, c.out[0].len), 0),
		          "retransmission differs");
	}
	/* The pair fails one more interval (25 * 1.8^12 = 28920) after the 13th retransmission. */
	cr_assert(eq(u32, c.events, 1));
	cr_assert(eq(int, c.last.type, HP_EV_FAILED));
	cr_assert(eq(int, c.last.err, IKE_ERR_NOT_FOUND));
	cr_assert(eq(u64, c.now, 1000 + 65060));
	cr_assert(eq(u64, hp_session_stats(s)->checks_sent, 1));
	cr_assert(eq(u64, hp_session_stats(s)->checks_retransmitted, 13));
	cr_assert(eq(u64, hp_session_next_deadline(s), IKE_NEVER));
	hp_session_free(s);
}

Test(hp_sched, paces_one_new_check_every_25ms_in_priority_order)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[3] = {cand(HP_CAND_SERVER_REFLEXIVE, "198.51.100.2", 4600, "10.0.2.2"),
	                     cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL),
	                     cand(HP_CAND_PEER_REFLEXIVE, "198.51.100.9", 4500, NULL)};
	hp_session *s = make(&c, HP_INITIATOR, a, 1, b, 3, NULL);
	ike_ms first[4] = {IKE_NEVER, IKE_NEVER, IKE_NEVER, IKE_NEVER};
	const char *dst[4] = {NULL, "10.0.2.2", "198.51.100.9", "198.51.100.2"};

	run(s, &c, 60);
	for (size_t i = 0; i < c.n; i++) {
		hp__check k;
		const char *why;
		cr_assert(eq(int, hp__check_decode(c.out[i].pkt, c.out[i].len, &k, &why), IKE_OK));
		cr_assert(not(k.response));
		cr_assert(le(u32, k.mid, 3));
		if (first[k.mid] == IKE_NEVER) {
			ike_addr want;
			first[k.mid] = c.out[i].at;
			cr_assert(eq(int, ike_addr_parse(&want, dst[k.mid], 0), IKE_OK));
			cr_assert(ike_addr_ip_eq(&c.out[i].path.remote, &want), "pair %u goes elsewhere",
			          k.mid);
		}
	}
	/* host-host, then host-prflx, then host-srflx; one every 25 ms from creation. */
	cr_assert(eq(u64, first[1], 0));
	cr_assert(eq(u64, first[2], 25));
	cr_assert(eq(u64, first[3], 50));
	/* Sends at 0, 25 (pair 2 and a retransmission of 1), 50 (pair 3 + retransmissions of 1, 2). */
	cr_assert(eq(sz, c.n, 1 + 2 + 3));
	hp_session_free(s);
}

/* Builds the check the peer would send, signed with the peer's key. */
static size_t peer_check(uint8_t *buf, uint32_t mid, bool response, const hp_candidate *ep,
                         const uint8_t *key)
{
	size_t len = 0;

	cr_assert(eq(int,
	             hp__check_encode(buf, HP_CHECK_MAX, &len, mid, response, IKE_SLICE(cid, 4), ep,
	                              IKE_SLICE(key, 16)),
	             IKE_OK));
	return len;
}

Test(hp_check, answers_valid_request_with_reflexive_endpoint)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_RESPONDER, b, 1, a, 1, NULL);
	hp_candidate ep = {.type = HP_CAND_PEER_REFLEXIVE, .priority = 0x0080ffff};
	uint8_t pkt[HP_CHECK_MAX];
	size_t len = peer_check(pkt, 9, false, &ep, key_i);
	ike_path path;
	hp__check k;
	const char *why;
	uint8_t want[20];

	cr_assert(eq(int, ike_addr_parse(&path.local, "10.0.2.2", 4500), IKE_OK));
	cr_assert(eq(int, ike_addr_parse(&path.remote, "198.51.100.1", 40001), IKE_OK));
	cr_assert(eq(int, hp_session_recv(s, &path, pkt, len, 0), IKE_OK));
	cr_assert(eq(sz, c.n, 1));
	cr_assert(path_is(&c.out[0].path, "10.0.2.2", 4500, "198.51.100.1", 40001));
	cr_assert(eq(int, hp__check_decode(c.out[0].pkt, c.out[0].len, &k, &why), IKE_OK));
	cr_assert(k.response);
	cr_assert(eq(u32, k.mid, 9));
	cr_assert(eq(u8, k.endpoint.type, HP_CAND_PEER_REFLEXIVE));
	cr_assert(eq(u32, k.endpoint.priority, 0x0080ffff));
	cr_assert(ike_addr_eq(&k.endpoint.addr, &path.remote));
	/* Signed with the responder's own key. */
	cr_assert(
	    eq(int, hp__check_auth(want, 9, k.connect_id, k.endpoint_raw, IKE_SLICE(key_r, 16)), IKE_OK));
	cr_assert(eq(int, memcmp(want, k.auth.ptr, 20), 0));
	/* The unknown source became a peer-reflexive candidate and a new pair. */
	cr_assert(eq(u64, hp_session_stats(s)->peer_reflexive_learned, 1));
	cr_assert(eq(u64, hp_session_stats(s)->checks_received, 1));
	cr_assert(eq(sz, hp_session_pairs(s, NULL, 0), 2));
	hp_session_free(s);
}

Test(hp_check, drops_tampered_check_and_counts_it)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_RESPONDER, b, 1, a, 1, NULL);
	hp_candidate ep = {.type = HP_CAND_PEER_REFLEXIVE, .priority = 0x0080ffff};
	uint8_t pkt[HP_CHECK_MAX], bad[HP_CHECK_MAX];
	size_t len = peer_check(pkt, 9, false, &ep, key_i);
	ike_path path = {b[0].addr, a[0].addr};
	size_t flips = 0;

	/* Every bit of the signed fields: message ID (20..23), connect ID (36..39),
	 * endpoint data (48..55), ME_CONNECTAUTH (64..83). */
	for (size_t byte = 20; byte < len; byte++) {
		if (!((byte < 24) || (byte >= 36 && byte < 40) || (byte >= 48 && byte < 56) || byte >= 64))
			continue;
		for (int bit = 0; bit < 8; bit++) {
			memcpy(bad, pkt, len);
			bad[byte] ^= (uint8_t)(1u << bit);
			cr_assert(lt(int, hp_session_recv(s, &path, bad, len, 0), 0), "flip %zu.%d accepted",
			          byte, bit);
			flips++;
		}
	}
	cr_assert(eq(sz, c.n, 0));
	/* Flips in the connect ID are "another connect ID"; endpoint flips that break its syntax
	 * are malformed; the rest fail ME_CONNECTAUTH. */
	cr_assert(eq(u64,
	             hp_session_stats(s)->auth_failures + hp_session_stats(s)->dropped_other +
	                 hp_session_stats(s)->dropped_malformed,
	             flips));
	cr_assert(gt(u64, hp_session_stats(s)->auth_failures, 100));
	/* Signed with the wrong side's key. */
	len = peer_check(pkt, 9, false, &ep, key_r);
	cr_assert(eq(int, hp_session_recv(s, &path, pkt, len, 0), IKE_ERR_AUTH));
	cr_assert(eq(sz, c.n, 0));
	/* The genuine one still works. */
	len = peer_check(pkt, 9, false, &ep, key_i);
	cr_assert(eq(int, hp_session_recv(s, &path, pkt, len, 0), IKE_OK));
	cr_assert(eq(sz, c.n, 1));
	hp_session_free(s);
}

Test(hp_check, drops_other_connect_id_and_unknown_response)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_INITIATOR, a, 1, b, 1, NULL);
	hp_candidate ep = {.type = HP_CAND_PEER_REFLEXIVE, .priority = 0x0080ffff, .addr = a[0].addr};
	uint8_t pkt[HP_CHECK_MAX];
	size_t len;
	ike_path path = {a[0].addr, b[0].addr};
	const uint8_t other[4] = {9, 9, 9, 9};

	cr_assert(eq(
	    int,
	    hp__check_encode(pkt, sizeof pkt, &len, 1, true, IKE_SLICE(other, 4), &ep, IKE_SLICE(key_r, 16)),
	    IKE_OK));
	cr_assert(eq(int, hp_session_recv(s, &path, pkt, len, 0), IKE_ERR_NOT_FOUND));
	len = peer_check(pkt, 77, true, &ep, key_r);
	cr_assert(eq(int, hp_session_recv(s, &path, pkt, len, 0), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, hp_session_recv(s, &path, pkt, 10, 0), IKE_ERR_TRUNCATED));
	cr_assert(eq(u64, hp_session_stats(s)->dropped_other, 2));
	cr_assert(eq(u64, hp_session_stats(s)->dropped_malformed, 1));
	hp_session_free(s);
}

Test(hp_check, response_on_exact_path_validates_pair_and_nominates_best)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_INITIATOR, a, 1, b, 1, NULL);
	hp_candidate ep = {.type = HP_CAND_PEER_REFLEXIVE, .priority = 0x0080ffff, .addr = a[0].addr};
	uint8_t pkt[HP_CHECK_MAX];
	size_t len = peer_check(pkt, 1, true, &ep, key_r);
	ike_path wrong = {a[0].addr, b[0].addr}, right = {a[0].addr, b[0].addr};

	cr_assert(eq(int, hp_session_tick(s, 0), IKE_OK)); /* sends pair 1 */
	wrong.remote.port = 4501;
	cr_assert(eq(int, hp_session_recv(s, &wrong, pkt, len, 3), IKE_OK));
	cr_assert(eq(u32, c.events, 0), "a response from elsewhere must not validate the pair");
	cr_assert(eq(int, hp_session_recv(s, &right, pkt, len, 4), IKE_OK));
	/* The only pair is the best one: valid, then chosen at once. */
	cr_assert(eq(u32, c.events, 2));
	cr_assert(eq(int, c.last.type, HP_EV_PAIR_CHOSEN));
	cr_assert(path_is(&c.last.path, "10.0.1.2", 4500, "10.0.2.2", 4500));
	cr_assert(hp_session_done(s));
	hp_session_free(s);
}

Test(hp_check, request_on_waiting_pair_is_checked_before_ordinary_ones)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[3] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL),
	                     cand(HP_CAND_HOST, "10.0.2.3", 4500, NULL),
	                     cand(HP_CAND_SERVER_REFLEXIVE, "198.51.100.2", 4600, "10.0.2.2")};
	hp_session *s = make(&c, HP_INITIATOR, a, 1, b, 3, NULL);
	hp_candidate ep = {.type = HP_CAND_PEER_REFLEXIVE, .priority = 0x0080ffff};
	uint8_t pkt[HP_CHECK_MAX];
	size_t len = peer_check(pkt, 5, false, &ep, key_r);
	ike_path path = {a[0].addr, b[2].addr};
	hp__check k;
	const char *why;

	cr_assert(eq(int, hp_session_tick(s, 0), IKE_OK));                   /* pair 1 */
	cr_assert(eq(int, hp_session_recv(s, &path, pkt, len, 10), IKE_OK)); /* a request on pair 3 */
	cr_assert(eq(sz, c.n, 2)); /* pair 1's request, our response */
	c.now = 25;
	cr_assert(eq(int, hp_session_tick(s, 25), IKE_OK));
	cr_assert(eq(int, hp__check_decode(c.out[c.n - 1].pkt, c.out[c.n - 1].len, &k, &why), IKE_OK));
	cr_assert(not(k.response));
	cr_assert(eq(u32, k.mid, 3), "the triggered pair 3 goes before pair 2");
	cr_assert(path_is(&c.out[c.n - 1].path, "10.0.1.2", 4500, "198.51.100.2", 4600));
	hp_session_free(s);
}

Test(hp_check, responder_reports_chosen_pair_when_nominated)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_RESPONDER, b, 1, a, 1, NULL);
	ike_path path = {b[0].addr, a[0].addr};

	cr_assert(eq(int, hp_session_nominated(s, &path, 30), IKE_OK));
	cr_assert(eq(int, c.last.type, HP_EV_PAIR_CHOSEN));
	cr_assert(ike_addr_eq(&c.last.path.remote, &a[0].addr));
	cr_assert(eq(u64, hp_session_next_deadline(s), IKE_NEVER));
	cr_assert(eq(int, hp_session_nominated(s, &path, 31), IKE_ERR_STATE));
	cr_assert(eq(int, hp_session_add_remote(s, a, 1, 31), IKE_ERR_STATE));
	hp_session_free(s);
}

typedef struct logcap {
	unsigned lines, drops, suppressed_notes, pair_lines;
} logcap;

static void cap_log(void *user, const ike_log_rec *rec)
{
	logcap *l = user;

	cr_assert(eq(int, rec->sub, IKE_SUB_HP));
	cr_assert(not(eq(ptr, (void *)rec->tag, NULL)));
	l->lines++;
	l->drops += strncmp(rec->msg, "dropping", 8) == 0;
	l->suppressed_notes += strstr(rec->msg, "more dropped datagrams were not logged") != NULL;
	l->pair_lines += strncmp(rec->msg, "  pair ", 7) == 0;
}

static void noop_event(void *user, const hp_event *ev)
{
}

static int noop_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	return 0;
}

Test(hp_log, drop_lines_are_rate_limited_and_failure_lists_pairs)
{
	logcap l = {0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[2] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL),
	                     cand(HP_CAND_HOST, "10.0.2.3", 4500, NULL)};
	hp_config cfg;
	hp_callbacks cb = {.send = noop_send, .on_event = noop_event, .log = cap_log};
	hp_session *s;
	ike_path path = {a[0].addr, b[0].addr};
	const uint8_t junk[40] = {0};

	hp_config_defaults(&cfg);
	cfg.connect_id = cid;
	cfg.connect_id_len = 4;
	cfg.initiator_key = key_i;
	cfg.initiator_key_len = 16;
	cfg.responder_key = key_r;
	cfg.responder_key_len = 16;
	cfg.local = a;
	cfg.n_local = 1;
	cfg.remote = b;
	cfg.n_remote = 2;
	cfg.fail_after_ms = 2000;
	cr_assert(eq(int, hp_session_new(&s, &cfg, &cb, &l, 0), IKE_OK));
	for (int i = 0; i < 50; i++)
		cr_assert(lt(int, hp_session_recv(s, &path, junk, sizeof junk, 10 + (ike_ms)i), 0));
	cr_assert(eq(u32, l.drops, 10));
	cr_assert(eq(u64, hp_session_stats(s)->dropped_malformed, 50));
	cr_assert(lt(int, hp_session_recv(s, &path, junk, sizeof junk, 1500), 0));
	cr_assert(eq(u32, l.suppressed_notes, 1));
	cr_assert(eq(u32, l.drops, 11));
	for (ike_ms t = hp_session_next_deadline(s); t != IKE_NEVER; t = hp_session_next_deadline(s))
		cr_assert(eq(int, hp_session_tick(s, t), IKE_OK));
	cr_assert(eq(u32, l.pair_lines, 2));
	hp_session_free(s);
}

/* An allocator that fails after `budget` allocations and counts what is live. */
typedef struct failmem {
	int budget;
	long live;
} failmem;

static void *fm_malloc(void *user, size_t size)
{
	failmem *f = user;
	void *p;

	if (f->budget-- <= 0)
		return NULL;
	p = malloc(size);
	f->live += p != NULL;
	return p;
}

static void *fm_calloc(void *user, size_t n, size_t size)
{
	failmem *f = user;
	void *p;

	if (f->budget-- <= 0)
		return NULL;
	p = calloc(n, size);
	f->live += p != NULL;
	return p;
}

static void *fm_realloc(void *user, void *ptr, size_t size)
{
	(void)user;
	return realloc(ptr, size);
}

static void fm_free(void *user, void *ptr)
{
	failmem *f = user;

	f->live -= ptr != NULL;
	free(ptr);
}

Test(hp_session, allocation_failures_return_nomem_without_leaks)
{
	hp_candidate a[2] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL),
	                     cand(HP_CAND_SERVER_REFLEXIVE, "198.51.100.1", 4500, "10.0.1.2")};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_callbacks cb = {.send = noop_send, .on_event = noop_event};
	bool succeeded = false;

	for (int budget = 0; budget < 12; budget++) {
		failmem f = {budget, 0};
		ike_mem mem = {&f, fm_malloc, fm_free, fm_calloc, fm_realloc};
		hp_config cfg;
		hp_session *s = NULL;
		int rc;

		hp_config_defaults(&cfg);
		cfg.mem = &mem;
		cfg.connect_id = cid;
		cfg.connect_id_len = 4;
		cfg.initiator_key = key_i;
		cfg.initiator_key_len = 16;
		cfg.responder_key = key_r;
		cfg.responder_key_len = 16;
		cfg.local = a;
		cfg.n_local = 2;
		cfg.remote = b;
		cfg.n_remote = 1;
		rc = hp_session_new(&s, &cfg, &cb, NULL, 0);
		if (rc == IKE_OK) {
			succeeded = true;
			cr_assert(eq(sz, hp_session_pairs(s, NULL, 0), 1));
			hp_session_free(s);
		} else {
			cr_assert(eq(int, rc, IKE_ERR_NOMEM), "budget %d", budget);
			cr_assert(eq(ptr, s, NULL));
		}
		cr_assert(eq(long, f.live, 0), "budget %d leaks %ld blocks", budget, f.live);
	}
	cr_assert(succeeded);
}

Test(hp_session, starts_checking_when_remote_candidates_arrive_later)
{
	capture c = {.now = 500};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_INITIATOR, a, 1, NULL, 0, NULL);

	cr_assert(eq(sz, hp_session_pairs(s, NULL, 0), 0));
	cr_assert(eq(u64, hp_session_next_deadline(s), 500 + 8000)); /* only the failure bound */
	c.now = 700;
	cr_assert(eq(int, hp_session_add_remote(s, b, 1, 700), IKE_OK));
	cr_assert(eq(u64, hp_session_next_deadline(s), 700));
	cr_assert(eq(int, hp_session_tick(s, 700), IKE_OK));
	cr_assert(eq(sz, c.n, 1));
	cr_assert(path_is(&c.out[0].path, "10.0.1.2", 4500, "10.0.2.2", 4500));
	cr_assert(eq(u64, hp_session_stats(s)->checks_sent, 1));
	hp_session_free(s);
}

Test(hp_check, single_bit_flips_anywhere_never_validate_signed_fields)
{
	capture c = {.now = 0};
	hp_candidate a[1] = {cand(HP_CAND_HOST, "10.0.1.2", 4500, NULL)};
	hp_candidate b[1] = {cand(HP_CAND_HOST, "10.0.2.2", 4500, NULL)};
	hp_session *s = make(&c, HP_RESPONDER, b, 1, a, 1, NULL);
	hp_candidate ep = {.type = HP_CAND_PEER_REFLEXIVE, .priority = 0x0080ffff};
	uint8_t pkt[HP_CHECK_MAX], bad[HP_CHECK_MAX];
	size_t len = peer_check(pkt, 9, false, &ep, key_i);
	ike_path path = {b[0].addr, a[0].addr};

	for (size_t byte = 0; byte < len; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			size_t before = c.n;
			int rc;

			memcpy(bad, pkt, len);
			bad[byte] ^= (uint8_t)(1u << bit);
			rc = hp_session_recv(s, &path, bad, len, 0);
			if (rc != IKE_OK) {
				cr_assert(eq(sz, c.n, before), "a dropped check was answered");
				continue;
			}
			/* Only unsigned framing may change: the version's minor bits (17), the flags
			 * (19), and in each notify header the flags byte and the protocol ID (29/32,
			 * 41/44, 57/60), none of which strongSwan looks at. */
			cr_assert(byte == 17 || byte == 19 || byte == 29 || byte == 32 || byte == 41 ||
			              byte == 44 || byte == 57 || byte == 60,
			          "flip %zu.%d accepted", byte, bit);
		}
	}
	hp_session_free(s);
}
