/* SPDX-License-Identifier: MIT */
/*
 * ike/types.h - small value types shared by every module: time, byte views,
 * addresses, paths, identities and SA handles. No socket headers: ike/io
 * converts ike_addr to and from struct sockaddr.
 */
#ifndef IKE_TYPES_H
#define IKE_TYPES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds, given by the program (uv_now). The engine never reads a clock. */
typedef uint64_t ike_ms;
#define IKE_NEVER UINT64_MAX

/* A borrowed view of bytes. */
typedef struct ike_slice {
	const uint8_t *ptr;
	size_t len;
} ike_slice;

#define IKE_SLICE(p, n) ((ike_slice){ (const uint8_t *)(p), (n) })

/* Address families, as in ME_ENDPOINT (1 = IPv4, 2 = IPv6); 0 = unset. */
enum { IKE_AF_NONE = 0, IKE_AF_INET = 1, IKE_AF_INET6 = 2 };

/* An IP address and UDP port, in network byte order inside ip[]; port in host order. */
typedef struct ike_addr {
	uint8_t family; /* IKE_AF_* */
	uint8_t ip[16]; /* IPv4 uses ip[0..3] */
	uint16_t port;
} ike_addr;

/* Where a datagram came from and went to. natt = it arrived on or is sent to the
 * NAT-T port, so IKE carries the non-ESP marker there (ike/io adds and strips it). */
typedef struct ike_path {
	ike_addr local;
	ike_addr remote;
} ike_path;

/* A TURN relay (RFC 8656) and its short-lived credential, as a mediation
 * server hands it to a registered client in N(ME_TURN) (docs/wire.md). user and
 * pass are NUL-terminated printable ASCII (0x21..0x7e); pass is a secret: wipe
 * it after use and never log it. */
#define IKE_TURN_USER_MAX 128
#define IKE_TURN_PASS_MAX 64
typedef struct ike_me_turn {
	ike_addr server;  /* the TURN server's IP address and UDP port */
	uint64_t expires; /* when the credential expires, Unix time in seconds */
	char user[IKE_TURN_USER_MAX + 1];
	char pass[IKE_TURN_PASS_MAX + 1];
} ike_me_turn;

/* Identification types (RFC 7296 3.5). */
enum {
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_DER_ASN1_GN = 10,
	IKE_ID_KEY_ID = 11,
};

#define IKE_ID_MAX 255
/* An identity value (type and up to 255 bytes of data). */
typedef struct ike_id {
	uint8_t type; /* IKE_ID_*; 0 = none / any */
	uint8_t len;
	uint8_t data[IKE_ID_MAX];
} ike_id;

/* A generation-counted handle to an SA inside an engine. A stale handle makes
 * calls return IKE_ERR_STALE_SA instead of touching freed memory. {0,0} = none. */
typedef struct ike_sa_ref {
	uint32_t slot;
	uint32_t gen;
} ike_sa_ref;

static inline bool ike_sa_ref_valid(ike_sa_ref r)
{
	return r.gen != 0;
}

static inline bool ike_sa_ref_eq(ike_sa_ref a, ike_sa_ref b)
{
	return a.slot == b.slot && a.gen == b.gen;
}

bool ike_addr_eq(const ike_addr *a, const ike_addr *b);     /* family, ip and port */
bool ike_addr_ip_eq(const ike_addr *a, const ike_addr *b);  /* family and ip only */
bool ike_id_eq(const ike_id *a, const ike_id *b);
/* Formats an identity for a log line into buf (len bytes, always NUL terminated;
 * IKE_ID_STRLEN holds any identity whole): an ID_KEY_ID as lowercase hex (never
 * its raw bytes), an IP address as text, an FQDN or RFC822 name with bytes
 * outside printable ASCII escaped as \xNN (as ike_escape does), any other type as
 * "type N:" and hex. A type of 0 gives "(none)". Returns buf. */
#define IKE_ID_STRLEN (16 + 4 * IKE_ID_MAX)
const char *ike_id_str(const ike_id *id, char *buf, size_t len);
/* Formats "198.51.100.7:4500" or "[2001:db8::1]:500" into buf (at least IKE_ADDR_STRLEN). */
#define IKE_ADDR_STRLEN 64
const char *ike_addr_str(const ike_addr *a, char *buf, size_t len);
/* Parses "1.2.3.4" or "2001:db8::1" (no port) into a; returns IKE_OK or IKE_ERR_INVAL. */
int ike_addr_parse(ike_addr *a, const char *text, uint16_t port);

#endif /* IKE_TYPES_H */
