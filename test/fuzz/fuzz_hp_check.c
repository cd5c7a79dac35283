/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a datagram as a connectivity check. Runs the demultiplexing
 * helper, then feeds the datagram to a responder and an initiator session (the seed
 * corpus in corpus/hp_check/ holds checks signed with the keys below, so mutations
 * get past ME_CONNECTAUTH only by luck; the decoder and the drop paths are the target).
 */
#include <stddef.h>
#include <stdint.h>

#include "holepunch/hp.h"

static const uint8_t cid[4] = {0xde, 0xad, 0xbe, 0xef};
static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static int fz_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	(void)user;
	(void)path;
	(void)pkt;
	(void)len;
	return 0;
}

static void fz_event(void *user, const hp_event *ev)
{
	(void)user;
	(void)ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hp_candidate l = {.type = HP_CAND_HOST, .priority = 0x00ffffff};
	hp_candidate r = {.type = HP_CAND_HOST, .priority = 0x00ffffff};
	hp_callbacks cb = {.send = fz_send, .on_event = fz_event};
	hp_config cfg;
	ike_slice id;
	ike_path path;

	(void)hp_check_connect_id(data, size, &id);
	if (ike_addr_parse(&l.addr, "10.0.2.2", 4500) != IKE_OK ||
	    ike_addr_parse(&r.addr, "10.0.1.2", 4500) != IKE_OK)
		return 0;
	path = (ike_path){l.addr, r.addr};
	for (int role = HP_INITIATOR; role <= HP_RESPONDER; role++) {
		hp_session *s = NULL;

		hp_config_defaults(&cfg);
		cfg.role = (hp_role)role;
		cfg.connect_id = cid;
		cfg.connect_id_len = sizeof cid;
		cfg.initiator_key = key; /* the same key both ways: seeds verify in either role */
		cfg.initiator_key_len = sizeof key;
		cfg.responder_key = key;
		cfg.responder_key_len = sizeof key;
		cfg.local = &l;
		cfg.n_local = 1;
		cfg.remote = &r;
		cfg.n_remote = 1;
		if (hp_session_new(&s, &cfg, &cb, NULL, 0) != IKE_OK)
			return 0;
		(void)hp_session_tick(s, 0);
		(void)hp_session_recv(s, &path, data, size, 1);
		(void)hp_session_recv(s, &path, data, size, 2);
		(void)hp_session_tick(s, hp_session_next_deadline(s));
		hp_session_free(s);
	}
	return 0;
}
