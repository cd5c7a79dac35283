/* SPDX-License-Identifier: MIT */
/*
 * turn/stun.h - STUN (RFC 8489) and TURN (RFC 8656) message codec, ChannelData
 * framing (RFC 8656 section 12) and a classifier for a demultiplexer.
 *
 * Sans-IO and allocation-free: the decoder returns borrowed views into the
 * datagram, the encoder writes into a buffer the caller owns. Every length is
 * compared with the bytes left before it is used. Pointer arguments are borrowed
 * for the call.
 */
#ifndef TURN_STUN_H
#define TURN_STUN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/err.h"
#include "ike/types.h"

#define STUN_HDR_LEN 20
#define STUN_TID_LEN 12
#define STUN_COOKIE 0x2112A442u
#define STUN_FP_XOR 0x5354554Eu /* FINGERPRINT = CRC-32 ^ this (RFC 8489 14.7) */
#define STUN_MI_LEN 20          /* HMAC-SHA1 */
#define STUN_KEY_LEN 16         /* long-term key: MD5(username ":" realm ":" password) */
#define STUN_MAX_ATTRS 40       /* a message with more attributes is refused (IKE_ERR_LIMIT) */
#define STUN_MAX_UNKNOWN 8      /* unknown comprehension-required types remembered */
#define STUN_CHANNEL_MIN 0x4000 /* RFC 8656 12: channel numbers 0x4000..0x4FFF */
#define STUN_CHANNEL_MAX 0x4FFF
#define STUN_CHANNEL_HDR_LEN 4
#define STUN_PROTO_UDP 17 /* REQUESTED-TRANSPORT value */

/* X(name, value, text): the methods we know (IANA "STUN Methods"). */
#define STUN_METHODS(X)                                                                                      \
	X(BINDING, 0x001, "Binding")                                                                         \
	X(ALLOCATE, 0x003, "Allocate")                                                                       \
	X(REFRESH, 0x004, "Refresh")                                                                         \
	X(SEND, 0x006, "Send")                                                                               \
	X(DATA, 0x007, "Data")                                                                               \
	X(CREATE_PERMISSION, 0x008, "CreatePermission")                                                      \
	X(CHANNEL_BIND, 0x009, "ChannelBind")

enum stun_method {
#define STUN_METHOD_X(n, v, s) STUN_##n = v,
	STUN_METHODS(STUN_METHOD_X)
#undef STUN_METHOD_X
};

enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

/* X(name, value, text): the attributes we know (IANA "STUN Attributes"). Types below
 * 0x8000 are comprehension-required: one we do not know is reported in
 * stun_msg.unknown. */
#define STUN_ATTRS(X)                                                                                        \
	X(MAPPED_ADDRESS, 0x0001, "MAPPED-ADDRESS")                                                          \
	X(USERNAME, 0x0006, "USERNAME")                                                                      \
	X(MESSAGE_INTEGRITY, 0x0008, "MESSAGE-INTEGRITY")                                                    \
	X(ERROR_CODE, 0x0009, "ERROR-CODE")                                                                  \
	X(UNKNOWN_ATTRIBUTES, 0x000A, "UNKNOWN-ATTRIBUTES")                                                  \
	X(CHANNEL_NUMBER, 0x000C, "CHANNEL-NUMBER")                                                          \
	X(LIFETIME, 0x000D, "LIFETIME")                                                                      \
	X(XOR_PEER_ADDRESS, 0x0012, "XOR-PEER-ADDRESS")                                                      \
	X(DATA, 0x0013, "DATA")                                                                              \
	X(REALM, 0x0014, "REALM")                                                                            \
	X(NONCE, 0x0015, "NONCE")                                                                            \
	X(XOR_RELAYED_ADDRESS, 0x0016, "XOR-RELAYED-ADDRESS")                                                \
	X(REQUESTED_ADDRESS_FAMILY, 0x0017, "REQUESTED-ADDRESS-FAMILY")                                      \
	X(EVEN_PORT, 0x0018, "EVEN-PORT")                                                                    \
	X(REQUESTED_TRANSPORT, 0x0019, "REQUESTED-TRANSPORT")                                                \
	X(DONT_FRAGMENT, 0x001A, "DONT-FRAGMENT")                                                            \
	X(MESSAGE_INTEGRITY_SHA256, 0x001C, "MESSAGE-INTEGRITY-SHA256")                                      \
	X(PASSWORD_ALGORITHM, 0x001D, "PASSWORD-ALGORITHM")                                                  \
	X(USERHASH, 0x001E, "USERHASH")                                                                      \
	X(XOR_MAPPED_ADDRESS, 0x0020, "XOR-MAPPED-ADDRESS")                                                  \
	X(RESERVATION_TOKEN, 0x0022, "RESERVATION-TOKEN")                                                    \
	X(PRIORITY, 0x0024, "PRIORITY")                                                                      \
	X(USE_CANDIDATE, 0x0025, "USE-CANDIDATE")                                                            \
	X(ADDITIONAL_ADDRESS_FAMILY, 0x8000, "ADDITIONAL-ADDRESS-FAMILY")                                    \
	X(ADDRESS_ERROR_CODE, 0x8001, "ADDRESS-ERROR-CODE")                                                  \
	X(PASSWORD_ALGORITHMS, 0x8002, "PASSWORD-ALGORITHMS")                                                \
	X(ALTERNATE_DOMAIN, 0x8003, "ALTERNATE-DOMAIN")                                                      \
	X(ICMP, 0x8004, "ICMP")                                                                              \
	X(SOFTWARE, 0x8022, "SOFTWARE")                                                                      \
	X(ALTERNATE_SERVER, 0x8023, "ALTERNATE-SERVER")                                                      \
	X(FINGERPRINT, 0x8028, "FINGERPRINT")                                                                \
	X(ICE_CONTROLLED, 0x8029, "ICE-CONTROLLED")                                                          \
	X(ICE_CONTROLLING, 0x802A, "ICE-CONTROLLING")                                                        \
	X(RESPONSE_ORIGIN, 0x802B, "RESPONSE-ORIGIN")                                                        \
	X(OTHER_ADDRESS, 0x802C, "OTHER-ADDRESS")

enum stun_attr_type {
#define STUN_ATTR_X(n, v, s) STUN_A_##n = v,
	STUN_ATTRS(STUN_ATTR_X)
#undef STUN_ATTR_X
};

/* One attribute: its type and a borrowed view of its value (padding excluded). */
typedef struct stun_attr {
	uint16_t type;
	ike_slice value;
	size_t off; /* offset of the attribute header in the message */
} stun_attr;

/* A decoded message: borrowed views into the datagram, valid while it is. */
typedef struct stun_msg {
	uint16_t method; /* STUN_BINDING, ... (12 bits) */
	uint8_t cls;     /* STUN_REQUEST, ... */
	uint8_t tid[STUN_TID_LEN];
	ike_slice raw; /* the whole message */
	stun_attr attrs[STUN_MAX_ATTRS];
	size_t n_attrs;                     /* attributes up to MESSAGE-INTEGRITY included, and FINGERPRINT */
	uint16_t unknown[STUN_MAX_UNKNOWN]; /* unknown comprehension-required types */
	size_t n_unknown;
	size_t mi_off;        /* offset of MESSAGE-INTEGRITY's header, SIZE_MAX when absent */
	bool has_fingerprint; /* FINGERPRINT present (and verified by stun_decode) */
} stun_msg;

/* Which protocol a datagram from the TURN server carries (RFC 7983 first-byte ranges
 * refined by the length checks of each format). */
typedef enum stun_kind {
	STUN_KIND_OTHER = 0,
	STUN_KIND_STUN = 1,         /* a STUN message: header, cookie and length agree */
	STUN_KIND_CHANNEL_DATA = 2, /* channel 0x4000..0x4FFF and a length that fits */
} stun_kind;

/* ---- names ---- */
/* "Allocate", ...; "(unknown)" otherwise. */
const char *stun_method_name(uint16_t method);
/* "request", "indication", "success response", "error response". */
const char *stun_class_name(uint8_t cls);
/* "XOR-MAPPED-ADDRESS", ...; NULL for a type we do not know. */
const char *stun_attr_name(uint16_t type);
/* The RFC reason phrase of an error code with what it means for a TURN client, for
 * example "Unauthorized (wrong username or password, or missing credentials)";
 * "error" for codes not listed. */
const char *stun_error_text(int code);

/* ---- message type ---- */
uint16_t stun_msg_type(uint16_t method, uint8_t cls);
void stun_msg_type_split(uint16_t type, uint16_t *method, uint8_t *cls);

/* ---- decoding ---- */

/* Classifies a datagram without decoding it in full. */
stun_kind stun_classify(const uint8_t *pkt, size_t len);

/* Decodes a STUN message (RFC 8489 5, 14): the top two bits zero, the magic cookie,
 * a length that is a multiple of 4 and equals the bytes after the header exactly,
 * every attribute's padded length within the message. Attributes after
 * MESSAGE-INTEGRITY other than FINGERPRINT are skipped (RFC 8489 14.5); nothing may
 * follow FINGERPRINT, whose value is verified here. Duplicates are kept in order;
 * stun_msg_find returns the first. Unknown comprehension-required types are listed
 * in out->unknown (the caller answers 420 or drops the message).
 * Returns IKE_OK; IKE_ERR_TRUNCATED (shorter than a length field says),
 * IKE_ERR_MALFORMED (bad bits, cookie, length or attribute), IKE_ERR_INTEGRITY
 * (FINGERPRINT wrong), IKE_ERR_LIMIT (more than STUN_MAX_ATTRS attributes). */
IKE_MUST_CHECK int stun_decode(const uint8_t *pkt, size_t len, stun_msg *out);

/* The first attribute of type, or NULL. */
const stun_attr *stun_msg_find(const stun_msg *m, uint16_t type);

/* Attribute values. Each returns IKE_OK or IKE_ERR_MALFORMED (wrong length, family
 * or range); a NULL attribute gives IKE_ERR_NOT_FOUND. */
/* XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS (IPv4 8 or IPv6 20 bytes). */
IKE_MUST_CHECK int stun_attr_xor_addr(const stun_msg *m, const stun_attr *a, ike_addr *out);
/* MAPPED-ADDRESS, ALTERNATE-SERVER and the other plain addresses. */
IKE_MUST_CHECK int stun_attr_addr(const stun_attr *a, ike_addr *out);
/* A 4-byte value (LIFETIME, FINGERPRINT). */
IKE_MUST_CHECK int stun_attr_u32(const stun_attr *a, uint32_t *out);
/* CHANNEL-NUMBER: the number (0x4000..0x4FFF) and two bytes RFFU. */
IKE_MUST_CHECK int stun_attr_channel(const stun_attr *a, uint16_t *out);
/* ERROR-CODE: class 3..6 and number 0..99 give *code 300..699; reason is a view of
 * the UTF-8 phrase (untrusted: escape it before printing), at most 763 bytes. */
IKE_MUST_CHECK int stun_attr_error_code(const stun_attr *a, int *code, ike_slice *reason);

/* Verifies MESSAGE-INTEGRITY (HMAC-SHA1 keyed with key: the long-term key of
 * stun_long_term_key or the short-term password) in constant time. Returns IKE_OK,
 * IKE_ERR_NOT_FOUND (no MESSAGE-INTEGRITY), IKE_ERR_INTEGRITY (wrong) or
 * IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int stun_check_integrity(const stun_msg *m, const uint8_t *key, size_t key_len);

/* Long-term key (RFC 8489 9.2.2): MD5(username ":" realm ":" password), with the
 * strings used as given (no SASLprep / OpaqueString: pass it prepared). Returns
 * IKE_OK, IKE_ERR_INVAL (NULL or longer than 763 bytes) or IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int stun_long_term_key(const char *username, ike_slice realm, const char *password,
                                      uint8_t out[STUN_KEY_LEN]);

/* CRC-32 (ISO-HDLC, as zlib) of data; stun fingerprints xor it with STUN_FP_XOR. */
uint32_t stun_crc32(const uint8_t *data, size_t len);

/* ---- encoding ---- */

/* A writer that keeps the header's length field current after every attribute. */
typedef struct stun_enc {
	uint8_t *buf;
	size_t cap, len;
	uint8_t tid[STUN_TID_LEN];
	uint8_t pad; /* padding byte value (0; RFC 5769 samples use 0x20 in places) */
	int err;     /* sticky: the first error */
} stun_enc;

/* Starts a message in buf (cap bytes). Returns IKE_OK, IKE_ERR_NOBUF (cap < 20) or
 * IKE_ERR_INVAL (method over 12 bits or class over 3). */
IKE_MUST_CHECK int stun_enc_init(stun_enc *e, uint8_t *buf, size_t cap, uint16_t method, uint8_t cls,
                                 const uint8_t tid[STUN_TID_LEN]);
/* Appends an attribute with the value and e->pad padding. Each returns IKE_OK,
 * IKE_ERR_NOBUF or IKE_ERR_INVAL (value over 65535 bytes, bad address); after an
 * error every later call returns it too, so a builder can check once at the end. */
IKE_MUST_CHECK int stun_enc_attr(stun_enc *e, uint16_t type, const void *value, size_t len);
IKE_MUST_CHECK int stun_enc_u32(stun_enc *e, uint16_t type, uint32_t v);
IKE_MUST_CHECK int stun_enc_xor_addr(stun_enc *e, uint16_t type, const ike_addr *a);
IKE_MUST_CHECK int stun_enc_error_code(stun_enc *e, int code, const char *reason);
IKE_MUST_CHECK int stun_enc_channel(stun_enc *e, uint16_t channel);
/* MESSAGE-INTEGRITY over everything written so far (add it after the other
 * attributes, before FINGERPRINT). Also IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int stun_enc_integrity(stun_enc *e, const uint8_t *key, size_t key_len);
/* FINGERPRINT (last). */
IKE_MUST_CHECK int stun_enc_fingerprint(stun_enc *e);

/* ---- ChannelData (RFC 8656 12.4) ----
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Channel Number        |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * /                       Application Data                        /
 */
/* Writes a ChannelData message (no padding: UDP) into buf. Returns IKE_OK and
 * *out_len, IKE_ERR_INVAL (channel out of range, len over 65535) or IKE_ERR_NOBUF. */
IKE_MUST_CHECK int stun_channel_data_encode(uint8_t *buf, size_t cap, uint16_t channel, const uint8_t *data,
                                            size_t len, size_t *out_len);
/* Decodes a ChannelData datagram: a channel in range, the length within the
 * datagram, and at most 3 bytes after the data (padding, which UDP may carry).
 * Returns IKE_OK, IKE_ERR_TRUNCATED or IKE_ERR_MALFORMED. */
IKE_MUST_CHECK int stun_channel_data_decode(const uint8_t *pkt, size_t len, uint16_t *channel,
                                            ike_slice *data);

#endif /* TURN_STUN_H */
