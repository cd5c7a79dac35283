/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the STUN/TURN decoder and the TURN client's receive path.
 * The whole input is decoded as a STUN message (every attribute accessor run on
 * what it holds) and as ChannelData; then a client that has sent its Allocate
 * receives the input as one datagram and, when the input is a list of records
 * (2-byte length, bytes), each record in turn: the seeds in corpus/turn/ include
 * such a list (401, Allocate success, Data indication, CreatePermission and
 * ChannelBind answers, ChannelData) made with the transaction ID and key below,
 * so mutations reach the allocated state. See gen_turn_corpus.py.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "turn/stun.h"
#include "turn/turn.h"

static const uint8_t key[STUN_KEY_LEN] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static int fz_send(void *user, const ike_addr *to, const uint8_t *pkt, size_t len)
{
	stun_msg m;

	(void)user;
	(void)to;
	(void)stun_decode(pkt, len, &m); /* what the client sends must decode */
	return 0;
}

static void fz_event(void *user, const turn_event *ev)
{
	(void)user;
	(void)ev;
}

/* Every transaction ID is twelve 0xA5 bytes, so the seeds can answer them. */
static void fz_rand(void *user, uint8_t *out, size_t len)
{
	(void)user;
	memset(out, 0xA5, len);
}

static void decode_all(const uint8_t *data, size_t size)
{
	stun_msg m;
	uint16_t ch;
	ike_slice d;

	(void)stun_classify(data, size);
	(void)stun_channel_data_decode(data, size, &ch, &d);
	if (stun_decode(data, size, &m) != IKE_OK)
		return;
	for (size_t i = 0; i < m.n_attrs; i++) {
		const stun_attr *a = &m.attrs[i];
		ike_addr addr;
		uint32_t v;
		int code;
		ike_slice reason;

		(void)stun_attr_xor_addr(&m, a, &addr);
		(void)stun_attr_addr(a, &addr);
		(void)stun_attr_u32(a, &v);
		(void)stun_attr_channel(a, &ch);
		(void)stun_attr_error_code(a, &code, &reason);
		(void)stun_attr_name(a->type);
	}
	(void)stun_check_integrity(&m, key, sizeof key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	turn_callbacks cb = {.send = fz_send, .on_event = fz_event, .rand = fz_rand};
	turn_config cfg;
	turn_client *c = NULL;
	ike_addr peer;
	uint16_t ch;
	size_t off = 0;
	ike_ms now = 0;

	decode_all(data, size);

	turn_config_defaults(&cfg);
	if (ike_addr_parse(&cfg.server, "192.0.2.10", 3478) != IKE_OK ||
	    ike_addr_parse(&peer, "203.0.113.5", 5000) != IKE_OK)
		return 0;
	cfg.username = "fuzz";
	cfg.key = key;
	if (turn_client_new(&c, &cfg, &cb, NULL, now) != IKE_OK)
		return 0;
	if (turn_client_allocate(c, now) != IKE_OK)
		goto out;
	(void)turn_client_recv(c, &cfg.server, data, size, now);
	while (size - off >= 2) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			break;
		(void)turn_client_recv(c, &cfg.server, data + off, n, now);
		off += n;
		now += 100;
		if (turn_client_state(c) == TURN_ST_ALLOCATED) {
			(void)turn_client_permit(c, &peer, now);
			(void)turn_client_bind_channel(c, &peer, &ch, now);
			(void)turn_client_send(c, &peer, data, size < 64 ? size : 64, now);
		}
		(void)turn_client_tick(c, now);
	}
	for (int k = 0; k < 8 && turn_client_next_deadline(c) != IKE_NEVER; k++)
		(void)turn_client_tick(c, turn_client_next_deadline(c));
	(void)turn_client_release(c, now);
out:
	turn_client_free(c);
	return 0;
}
