/* SPDX-License-Identifier: MIT */
/*
 * A fake TURN server in memory for the client tests, built on the codec: long-term
 * credentials with a realm and a nonce it can rotate, Allocate, Refresh,
 * CreatePermission, ChannelBind, Send indications and ChannelData, which it echoes
 * back as if the peer answered. Knobs make it drop, refuse or go stale.
 */
#ifndef TEST_TURN_FAKE_SRV_H
#define TEST_TURN_FAKE_SRV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "turn/turn.h"

#define FS_QUEUE 64
#define FS_MAX 32
#define FS_EVENTS 128

typedef struct fs_dgram {
	uint8_t b[2048];
	size_t len;
} fs_dgram;

typedef struct fs_event {
	turn_event_type type;
	int err, code;
	char reason[400];
	ike_addr peer, relayed, mapped;
	uint16_t channel;
	uint32_t lifetime_s;
	uint8_t data[256];
	size_t len;
	ike_ms at;
} fs_event;

typedef struct fake_srv {
	ike_addr addr, relayed, mapped;
	char username[64], password[64], realm[64];
	char nonce[32];
	unsigned nonce_gen;
	uint8_t key[STUN_KEY_LEN];

	/* knobs */
	bool offline;          /* drop every datagram from the client */
	int drop_next;         /* drop this many next requests */
	bool stale_next;       /* rotate the nonce before the next authenticated request */
	bool always_stale;     /* ... before every authenticated request */
	int alloc_error;       /* answer the authenticated Allocate with this code */
	int perm_error;        /* answer CreatePermission with this code */
	int refresh_error;     /* answer Refresh (lifetime > 0) with this code */
	uint32_t lifetime_max; /* granted lifetime cap (600) */
	bool echo;             /* echo Send/ChannelData back as Data/ChannelData */
	bool no_integrity;     /* send success responses without MESSAGE-INTEGRITY */
	bool forged_errors;    /* send error responses without it (as someone on the path could) */

	/* state */
	bool allocated;
	ike_addr perms[FS_MAX];
	size_t n_perms;
	struct {
		uint16_t num;
		ike_addr peer;
	} chans[FS_MAX];
	size_t n_chans;

	/* what the client sent */
	unsigned n_rx;      /* every datagram */
	unsigned n_req[16]; /* requests by method, authenticated or not */
	unsigned n_unauth;  /* requests without MESSAGE-INTEGRITY */
	unsigned n_send_ind, n_chandata;
	ike_ms sent_at[FS_MAX]; /* times of the client's datagrams (first FS_MAX) */
	uint32_t last_lifetime_req;
	uint8_t last_data[256];
	size_t last_data_len;
	ike_addr last_peer;

	/* to the client */
	fs_dgram q[FS_QUEUE];
	size_t qn;

	/* the client and its outputs */
	turn_client *c;
	ike_ms now;
	fs_event ev[FS_EVENTS];
	size_t n_ev;
	char log[32768];
	size_t log_len;
	uint32_t rand_ctr;
} fake_srv;

/* Sets up the server at 192.0.2.10:3478 with the given credentials, and a client
 * configured with cfg_overrides applied by the caller through *cfg (pass a
 * turn_config from fs_client_config, edited). */
void fs_init(fake_srv *s);
void fs_client_config(fake_srv *s, turn_config *cfg);
turn_client *fs_client_new(fake_srv *s, const turn_config *cfg);
extern const turn_callbacks fs_callbacks;

/* Delivers the server's queued datagrams to the client until quiet. */
void fs_pump(fake_srv *s);
/* Ticks the client at each deadline up to `until` (pumping after each tick). */
void fs_run_until(fake_srv *s, ike_ms until);
/* Sends a Data indication from peer with data to the client (queued). */
void fs_data_indication(fake_srv *s, const ike_addr *peer, const void *data, size_t len);
/* Index of the nth (0-based) event of type, or -1. */
int fs_find_event(const fake_srv *s, turn_event_type type, int nth);
size_t fs_count_events(const fake_srv *s, turn_event_type type);

#endif /* TEST_TURN_FAKE_SRV_H */
