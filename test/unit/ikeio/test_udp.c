/* SPDX-License-Identifier: MIT */
/* test_udp.c - ike/io UDP sockets through a real libuv loop on loopback. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "ikeio/addr.h"
#include "ikeio/udp.h"

#define MAXREC 8

typedef struct rec {
	int n_ike, n_esp;
	ike_path path[MAXREC];
	uint8_t data[MAXREC][64];
	size_t len[MAXREC];
	bool esp[MAXREC];
	int want; /* stop the loop after this many deliveries */
	bool reply; /* answer each IKE message with "pong" on the path it came on */
	uv_loop_t *loop;
} rec;

static void record(rec *r, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len, bool esp)
{
	int i = r->n_ike + r->n_esp;

	if (i < MAXREC) {
		r->path[i] = *path;
		r->len[i] = len < 64 ? len : 64;
		memcpy(r->data[i], pkt, r->len[i]);
		r->esp[i] = esp;
	}
	if (esp)
		r->n_esp++;
	else
		r->n_ike++;
	if (r->reply && !esp)
		cr_assert(eq(int, ikeio_udp_send_ike(s, path, (const uint8_t *)"pong", 4), IKE_OK));
	if (r->n_ike + r->n_esp >= r->want)
		uv_stop(r->loop);
}

static void on_ike(void *user, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	record(user, s, path, pkt, len, false);
}

static void on_esp(void *user, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	record(user, s, path, pkt, len, true);
}

static const ikeio_udp_cbs cbs = { .on_ike = on_ike, .on_esp = on_esp };

static void on_guard(uv_timer_t *t)
{
	*(bool *)t->data = true;
	uv_stop(t->loop);
}

/* Runs the loop until a callback stops it, or 2 s pass (then fails). */
static void run_until_stopped(uv_loop_t *loop)
{
	uv_timer_t guard;
	bool expired = false;

	uv_timer_init(loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, 2000, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	cr_assert(not(expired), "timed out waiting for datagrams");
}

static void close_loop(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, uv_loop_close(loop), 0), "handles left open");
}

static ike_addr v4(const char *ip, uint16_t port)
{
	ike_addr a;

	cr_assert(eq(int, ike_addr_parse(&a, ip, port), IKE_OK));
	return a;
}

static ikeio_udp *open_sock(uv_loop_t *loop, ike_addr bind, bool natt, rec *r)
{
	ikeio_udp_cfg cfg = { .bind = bind, .natt = natt };
	ikeio_udp *s = NULL;

	r->loop = loop;
	cr_assert(eq(int, ikeio_udp_open(loop, &cfg, &cbs, r, &s), IKE_OK));
	cr_assert(ne(ptr, s, NULL));
	return s;
}

static ike_path path_to(ikeio_udp *from, ike_addr to)
{
	ike_path p = { .local = ikeio_udp_local(from), .remote = to };

	return p;
}

Test(ikeio_udp, reports_destination_and_source_addresses_and_replies_from_destination)
{
	uv_loop_t loop;
	rec ra = { .want = 1 }, rb = { .want = 1, .reply = true };
	ikeio_udp *a, *b;
	ike_addr b_on_2;
	char s1[IKE_ADDR_STRLEN], s2[IKE_ADDR_STRLEN];

	uv_loop_init(&loop);
	a = open_sock(&loop, v4("127.0.0.1", 0), false, &ra);
	b = open_sock(&loop, v4("0.0.0.0", 0), false, &rb); /* wildcard: only PKTINFO tells the destination */
	b_on_2 = v4("127.0.0.2", ikeio_udp_local(b).port);
	cr_assert(ne(int, ikeio_udp_local(a).port, 0), "ephemeral port not reported");

	ike_path p = path_to(a, b_on_2);
	cr_assert(eq(int, ikeio_udp_send_ike(a, &p, (const uint8_t *)"ping", 4), IKE_OK));
	run_until_stopped(&loop); /* b gets ping and answers */
	if (ra.n_ike == 0)
		run_until_stopped(&loop); /* a gets pong */

	cr_assert(eq(int, rb.n_ike, 1));
	cr_assert(eq(sz, rb.len[0], 4));
	cr_assert(eq(int, memcmp(rb.data[0], "ping", 4), 0));
	cr_assert(ike_addr_eq(&rb.path[0].local, &b_on_2), "local %s, want 127.0.0.2",
		  ike_addr_str(&rb.path[0].local, s1, sizeof s1));
	ike_addr a_local = ikeio_udp_local(a);
	cr_assert(ike_addr_eq(&rb.path[0].remote, &a_local), "remote %s",
		  ike_addr_str(&rb.path[0].remote, s2, sizeof s2));
	/* The reply left from 127.0.0.2, the address the request was sent to. */
	cr_assert(eq(int, ra.n_ike, 1));
	cr_assert(ike_addr_eq(&ra.path[0].remote, &b_on_2), "reply came from %s",
		  ike_addr_str(&ra.path[0].remote, s1, sizeof s1));
	cr_assert(eq(int, memcmp(ra.data[0], "pong", 4), 0));

	ikeio_udp_close(a);
	ikeio_udp_close(b);
	close_loop(&loop);
}

Test(ikeio_udp, natt_socket_demultiplexes_keepalive_ike_and_esp)
{
	static const uint8_t keepalive[1] = { 0xff };
	static const uint8_t ike_marked[8] = { 0, 0, 0, 0, 'I', 'K', 'E', '!' };
	static const uint8_t esp[8] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1 };
	static const uint8_t runt[3] = { 1, 2, 3 };
	uv_loop_t loop;
	rec ra = { .want = 99 }, rb = { .want = 2 };
	ikeio_udp *a, *b;
	ikeio_udp_stats st;

	uv_loop_init(&loop);
	a = open_sock(&loop, v4("127.0.0.1", 0), false, &ra);
	b = open_sock(&loop, v4("127.0.0.1", 0), true, &rb);
	ike_path p = path_to(a, ikeio_udp_local(b));

	cr_assert(eq(int, ikeio_udp_send_raw(a, &p, keepalive, sizeof keepalive), IKE_OK));
	cr_assert(eq(int, ikeio_udp_send_raw(a, &p, runt, sizeof runt), IKE_OK));
	cr_assert(eq(int, ikeio_udp_send_raw(a, &p, ike_marked, sizeof ike_marked), IKE_OK));
	cr_assert(eq(int, ikeio_udp_send_raw(a, &p, esp, sizeof esp), IKE_OK));
	run_until_stopped(&loop);

	cr_assert(eq(int, rb.n_ike, 1));
	cr_assert(eq(int, rb.n_esp, 1));
	cr_assert(not(rb.esp[0]));
	cr_assert(eq(sz, rb.len[0], 4), "marker not stripped");
	cr_assert(eq(int, memcmp(rb.data[0], "IKE!", 4), 0));
	cr_assert(rb.esp[1]);
	cr_assert(eq(sz, rb.len[1], sizeof esp), "ESP must keep its SPI");
	cr_assert(eq(int, memcmp(rb.data[1], esp, sizeof esp), 0));
	ikeio_udp_get_stats(b, &st);
	cr_assert(eq(u64, st.rx_keepalive, 1));
	cr_assert(eq(u64, st.rx_dropped, 1));
	cr_assert(eq(u64, st.rx_ike, 1));
	cr_assert(eq(u64, st.rx_esp, 1));

	ikeio_udp_close(a);
	ikeio_udp_close(b);
	close_loop(&loop);
}

/* The claim callback sees every datagram first: what it takes (here: what one
 * sender sends, as medcli takes its TURN server's) is not demultiplexed. */
static ike_addr claim_from;
static int claimed;

static bool claim_one_sender(void *user, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	(void)s;
	(void)pkt;
	(void)len;
	if (!ike_addr_eq(&path->remote, &claim_from))
		return false;
	if (++claimed >= 2)
		uv_stop(((rec *)user)->loop);
	return true;
}

Test(ikeio_udp, claim_takes_datagrams_before_the_demultiplexing)
{
	static const uint8_t stun[8] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	static const uint8_t esp[8] = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1};
	static const uint8_t ike_marked[8] = {0, 0, 0, 0, 'I', 'K', 'E', '!'};
	ikeio_udp_cbs with_claim = {.on_ike = on_ike, .on_esp = on_esp, .claim = claim_one_sender};
	ikeio_udp_cfg cfg = {.bind = v4("127.0.0.1", 0), .natt = true};
	uv_loop_t loop;
	rec ra = {.want = 99}, rc = {.want = 99}, rb = {.want = 99};
	ikeio_udp *a, *c, *b = NULL;
	ikeio_udp_stats st;

	uv_loop_init(&loop);
	a = open_sock(&loop, v4("127.0.0.1", 0), false, &ra);
	c = open_sock(&loop, v4("127.0.0.1", 0), false, &rc);
	rb.loop = &loop;
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &with_claim, &rb, &b), IKE_OK));
	claim_from = ikeio_udp_local(a);
	claimed = 0;
	ike_path pa = path_to(a, ikeio_udp_local(b)), pc = path_to(c, ikeio_udp_local(b));
	cr_assert(eq(int, ikeio_udp_send_raw(c, &pc, esp, sizeof esp), IKE_OK));
	cr_assert(eq(int, ikeio_udp_send_raw(c, &pc, ike_marked, sizeof ike_marked), IKE_OK));
	cr_assert(eq(int, ikeio_udp_send_raw(a, &pa, stun, sizeof stun), IKE_OK));
	cr_assert(eq(int, ikeio_udp_send_raw(a, &pa, esp, sizeof esp), IKE_OK));
	run_until_stopped(&loop);
	uv_run(&loop, UV_RUN_NOWAIT);

	cr_assert(eq(int, claimed, 2), "both of a's datagrams were offered and taken");
	cr_assert(eq(int, rb.n_esp, 1), "c's ESP is demultiplexed as before");
	cr_assert(eq(int, rb.n_ike, 1));
	ikeio_udp_get_stats(b, &st);
	cr_assert(eq(u64, st.rx_claimed, 2));
	cr_assert(eq(u64, st.rx_esp, 1));
	ikeio_udp_close(a);
	ikeio_udp_close(b);
	ikeio_udp_close(c);
	close_loop(&loop);
}

Test(ikeio_udp, natt_socket_prepends_marker_to_ike_and_port_500_socket_does_not)
{
	uv_loop_t loop;
	rec rplain = { .want = 1 }, rnatt = { .want = 99 }, rike = { .want = 99 };
	ikeio_udp *plain, *natt, *ike;

	uv_loop_init(&loop);
	plain = open_sock(&loop, v4("127.0.0.1", 0), false, &rplain); /* sees raw bytes */
	natt = open_sock(&loop, v4("127.0.0.1", 0), true, &rnatt);
	ike = open_sock(&loop, v4("127.0.0.1", 0), false, &rike);

	ike_path p = path_to(natt, ikeio_udp_local(plain));
	cr_assert(eq(int, ikeio_udp_send_ike(natt, &p, (const uint8_t *)"HDR", 3), IKE_OK));
	run_until_stopped(&loop);
	cr_assert(eq(sz, rplain.len[0], 7));
	cr_assert(eq(int, memcmp(rplain.data[0], "\0\0\0\0HDR", 7), 0));

	rplain.want = 2;
	p = path_to(ike, ikeio_udp_local(plain));
	cr_assert(eq(int, ikeio_udp_send_ike(ike, &p, (const uint8_t *)"HDR", 3), IKE_OK));
	run_until_stopped(&loop);
	cr_assert(eq(sz, rplain.len[1], 3));
	cr_assert(eq(int, memcmp(rplain.data[1], "HDR", 3), 0));

	ikeio_udp_close(plain);
	ikeio_udp_close(natt);
	ikeio_udp_close(ike);
	close_loop(&loop);
}

Test(ikeio_udp, pair_send_uses_natt_socket_for_its_port)
{
	uv_loop_t loop;
	rec rx = { .want = 2 }, r1 = { .want = 99 }, r2 = { .want = 99 };
	ikeio_udp *rcv, *s500, *s4500;

	uv_loop_init(&loop);
	rcv = open_sock(&loop, v4("127.0.0.1", 0), false, &rx);
	s500 = open_sock(&loop, v4("127.0.0.1", 0), false, &r1);
	s4500 = open_sock(&loop, v4("127.0.0.1", 0), true, &r2);
	ikeio_udp_pair pair = { .ike = s500, .natt = s4500 };

	ike_path p = path_to(s4500, ikeio_udp_local(rcv));
	cr_assert(eq(int, ikeio_udp_pair_send(&pair, &p, (const uint8_t *)"A", 1), IKE_OK));
	p = path_to(s500, ikeio_udp_local(rcv));
	cr_assert(eq(int, ikeio_udp_pair_send(&pair, &p, (const uint8_t *)"B", 1), IKE_OK));
	run_until_stopped(&loop);

	ike_addr l4500 = ikeio_udp_local(s4500), l500 = ikeio_udp_local(s500);
	for (int i = 0; i < 2; i++) {
		if (rx.len[i] == 5) {
			cr_assert(eq(int, memcmp(rx.data[i], "\0\0\0\0A", 5), 0));
			cr_assert(ike_addr_eq(&rx.path[i].remote, &l4500));
		} else {
			cr_assert(eq(sz, rx.len[i], 1));
			cr_assert(eq(u8, rx.data[i][0], 'B'));
			cr_assert(ike_addr_eq(&rx.path[i].remote, &l500));
		}
	}
	p.remote.family = IKE_AF_INET6;
	p.local.family = IKE_AF_INET6;
	cr_assert(eq(int, ikeio_udp_pair_send(&pair, &p, (const uint8_t *)"C", 1), IKE_ERR_INVAL));

	ikeio_udp_close(rcv);
	ikeio_udp_close(s500);
	ikeio_udp_close(s4500);
	close_loop(&loop);
}

Test(ikeio_udp, exchanges_over_ipv6_with_destination_address)
{
	uv_loop_t loop;
	rec ra = { .want = 99 }, rb = { .want = 1 };
	ikeio_udp_cfg cfg = { .bind = { .family = IKE_AF_INET6 } };
	ikeio_udp *a = NULL, *b = NULL;
	ike_addr lo6;
	int rc;

	uv_loop_init(&loop);
	cr_assert(eq(int, ike_addr_parse(&lo6, "::1", 0), IKE_OK));
	cfg.bind = lo6;
	ra.loop = rb.loop = &loop;
	rc = ikeio_udp_open(&loop, &cfg, &cbs, &ra, &a);
	if (rc == IKE_ERR_INVAL || rc == IKE_ERR_ADDR_NOT_AVAIL) { /* no IPv6 on this host */
		close_loop(&loop);
		cr_skip_test("no IPv6 loopback");
	}
	cr_assert(eq(int, rc, IKE_OK));
	cfg.bind.ip[15] = 0; /* :: wildcard */
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &rb, &b), IKE_OK));
	lo6.port = ikeio_udp_local(b).port;
	ike_path p = path_to(a, lo6);
	cr_assert(eq(int, ikeio_udp_send_ike(a, &p, (const uint8_t *)"six", 3), IKE_OK));
	run_until_stopped(&loop);
	cr_assert(eq(int, rb.n_ike, 1));
	cr_assert(ike_addr_eq(&rb.path[0].local, &lo6), "destination not learned over IPv6");
	ike_addr al = ikeio_udp_local(a);
	cr_assert(ike_addr_eq(&rb.path[0].remote, &al));

	ikeio_udp_close(a);
	ikeio_udp_close(b);
	close_loop(&loop);
}

Test(ikeio_udp, bind_on_busy_port_fails_with_addr_in_use_unless_both_share_it)
{
	uv_loop_t loop;
	rec r = { .want = 99 };
	ikeio_udp_cfg cfg = { .bind = v4("127.0.0.1", 0) };
	ikeio_udp *a = NULL, *b = (ikeio_udp *)&cfg, *c = NULL, *d = NULL;

	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &r, &a), IKE_OK));
	cfg.bind.port = ikeio_udp_local(a).port;
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &r, &b), IKE_ERR_ADDR_IN_USE));
	cr_assert(eq(ptr, b, NULL), "*out must be NULL on error");
	cr_assert(eq(str, (char *)ike_strerror(IKE_ERR_ADDR_IN_USE), "address already in use"));

	/* With SO_REUSEPORT on both sockets (medsrv workers), the port is shared. */
	cfg.reuseport = true;
	cfg.bind.port = 0;
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &r, &c), IKE_OK));
	cfg.bind.port = ikeio_udp_local(c).port;
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &r, &d), IKE_OK));

	ikeio_udp_close(a);
	ikeio_udp_close(c);
	ikeio_udp_close(d);
	close_loop(&loop);
}

Test(ikeio_udp, open_rejects_bad_arguments_and_send_rejects_family_mismatch)
{
	uv_loop_t loop;
	rec r = { .want = 99 };
	ikeio_udp_cfg cfg = { .bind = { .family = 7 } };
	ikeio_udp_cbs none = { 0 };
	ikeio_udp *s = NULL;
	uint8_t big[65001] = { 0 };

	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &r, &s), IKE_ERR_INVAL));
	cfg.bind = v4("127.0.0.1", 0);
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &none, &r, &s), IKE_ERR_INVAL));
	cfg.bind = v4("192.0.2.1", 0); /* not ours */
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &r, &s), IKE_ERR_ADDR_NOT_AVAIL));
	cr_assert(eq(str, (char *)ike_strerror(IKE_ERR_ADDR_NOT_AVAIL), "address not on this host"));
	cfg.bind = v4("127.0.0.1", 0);
	cr_assert(eq(int, ikeio_udp_open(&loop, &cfg, &cbs, &r, &s), IKE_OK));
	ike_path p = { .local = ikeio_udp_local(s) };
	cr_assert(eq(int, ike_addr_parse(&p.remote, "::1", 500), IKE_OK));
	cr_assert(eq(int, ikeio_udp_send_ike(s, &p, (const uint8_t *)"x", 1), IKE_ERR_INVAL));
	p.remote = ikeio_udp_local(s);
	cr_assert(eq(int, ikeio_udp_send_raw(s, &p, big, sizeof big), IKE_ERR_INVAL));
	ikeio_udp_close(s);
	ikeio_udp_close(s); /* harmless */
	cr_assert(eq(int, ikeio_udp_send_ike(s, &p, (const uint8_t *)"x", 1), IKE_ERR_STATE));
	close_loop(&loop);
}

Test(ikeio_addr, converts_both_families_both_ways)
{
	ike_addr a, b;
	struct sockaddr_storage ss;
	socklen_t len;

	cr_assert(eq(int, ike_addr_parse(&a, "198.51.100.7", 4500), IKE_OK));
	cr_assert(eq(int, ikeio_addr_to_sockaddr(&a, &ss, &len), IKE_OK));
	cr_assert(eq(int, ((struct sockaddr_in *)&ss)->sin_port, htons(4500)));
	cr_assert(eq(u32, ((struct sockaddr_in *)&ss)->sin_addr.s_addr, inet_addr("198.51.100.7")));
	cr_assert(eq(int, ikeio_addr_from_sockaddr(&b, (struct sockaddr *)&ss, len), IKE_OK));
	cr_assert(ike_addr_eq(&a, &b));
	cr_assert(eq(int, ikeio_addr_from_sockaddr(&b, (struct sockaddr *)&ss, len - 1), IKE_ERR_INVAL));

	cr_assert(eq(int, ike_addr_parse(&a, "2001:db8::7", 500), IKE_OK));
	cr_assert(eq(int, ikeio_addr_to_sockaddr(&a, &ss, &len), IKE_OK));
	cr_assert(eq(sz, (size_t)len, sizeof(struct sockaddr_in6)));
	cr_assert(eq(int, ikeio_addr_from_sockaddr(&b, (struct sockaddr *)&ss, len), IKE_OK));
	cr_assert(ike_addr_eq(&a, &b));
	cr_assert(not(ikeio_addr_is_any(&a)));
	a.family = 0;
	cr_assert(eq(int, ikeio_addr_to_sockaddr(&a, &ss, &len), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_addr_parse(&a, "0.0.0.0", 0), IKE_OK));
	cr_assert(ikeio_addr_is_any(&a));
}
