/* SPDX-License-Identifier: MIT */
/*
 * medsrv/turn.h - TURN relay credentials for registered peers (docs/medsrv.md):
 * coturn's `use-auth-secret` / `static-auth-secret` scheme (the "TURN REST
 * API"): username = "<Unix expiry>:<KEY_ID hex>", password =
 * base64(HMAC-SHA1(secret, username)). medsrv hands them out in N(ME_TURN)
 * (docs/wire.md); coturn checks them with the same secret, no state shared.
 *
 * The secret and the passwords are never logged. Pure functions except
 * ms_turn_read_secret (reads one file).
 */
#ifndef MEDSRV_TURN_H
#define MEDSRV_TURN_H
#include <stddef.h>
#include <stdint.h>

#include "ike/crypto_key.h"
#include "ike/err.h"
#include "ike/types.h"

#define MS_TURN_SECRET_MAX 256    /* bytes of the shared secret (trailing newline dropped) */
#define MS_TURN_TTL_DEFAULT 86400 /* seconds a credential is valid */
#define MS_TURN_TTL_MIN 60        /* shorter would mean a refresh every 30 s */
#define MS_TURN_TTL_MAX (7 * 86400)

/* The relay every registered peer is told about, and how to make credentials.
 * Borrowed by the shards: must outlive them. */
typedef struct ms_turn_config {
	ike_addr server; /* family 0: no TURN (nothing is handed out) */
	uint8_t secret[MS_TURN_SECRET_MAX];
	size_t secret_len;
	unsigned ttl_s; /* credential lifetime; refreshed after half of it */
	/* Unix time in seconds (the shards read no clock): time(NULL) in the
	 * daemon, a fake clock in tests. Required when server is set. */
	uint64_t (*unix_now)(void *user);
	void *user;
} ms_turn_config;

/* Parses "turn:IP:PORT" (IPv4 "turn:198.51.100.7:3478", IPv6 "turn:[2001:db8::7]:3478");
 * host names, a missing port, port 0, "turns:" (TLS) and URI parameters
 * ("?transport=tcp") are refused. Errors: IKE_ERR_INVAL with the reason in why. */
IKE_MUST_CHECK int ms_turn_parse_uri(const char *uri, ike_addr *out, char *why, size_t why_len);

/* Reads the shared secret from path: refused when missing or unreadable
 * (IKE_ERR_IO), readable by group or others (IKE_ERR_POLICY: chmod 600), not a
 * regular file, empty or longer than MS_TURN_SECRET_MAX (IKE_ERR_INVAL). One
 * trailing "\n" (or "\r\n") is dropped, as coturn's config takes the secret as
 * one line. The reason is in why (never the secret). */
IKE_MUST_CHECK int ms_turn_read_secret(const char *path, uint8_t *out, size_t cap, size_t *len, char *why,
                                       size_t why_len);

/* Fills *out with the relay and a credential for keyid valid until now_unix +
 * ttl_s. Errors: IKE_ERR_INVAL (no server or secret), IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ms_turn_credential(const ms_turn_config *c, const uint8_t keyid[IKE_KEYID_LEN],
                                      uint64_t now_unix, ike_me_turn *out);

#endif /* MEDSRV_TURN_H */
