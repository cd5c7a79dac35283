/* SPDX-License-Identifier: MIT */
/*
 * ike/iana.h - IKEv2 numbers (RFC 7296 and the IANA "IKEv2 Parameters" registry),
 * plus the private-use numbers of the mediation extension as strongSwan 5.9 uses them
 * (../shared/mediation-protocol.md). One X-macro list per registry gives the enum and
 * the *_name() used in logs. Append numbers; never renumber.
 */
#ifndef IKE_IANA_H
#define IKE_IANA_H
#include <stdint.h>

/* Exchange types (RFC 7296 3.1). */
#define IKE_EXCHANGES(X)                 \
	X(IKE_SA_INIT, 34)               \
	X(IKE_AUTH, 35)                  \
	X(CREATE_CHILD_SA, 36)           \
	X(INFORMATIONAL, 37)             \
	X(IKE_SESSION_RESUME, 38)        \
	X(IKE_INTERMEDIATE, 43)          \
	X(ME_CONNECT, 240)

/* Payload types (RFC 7296 3.2). */
#define IKE_PAYLOADS(X)                  \
	X(NONE, 0)                       \
	X(SA, 33)                        \
	X(KE, 34)                        \
	X(IDI, 35)                       \
	X(IDR, 36)                       \
	X(CERT, 37)                      \
	X(CERTREQ, 38)                   \
	X(AUTH, 39)                      \
	X(NONCE, 40)                     \
	X(NOTIFY, 41)                    \
	X(DELETE, 42)                    \
	X(VENDOR, 43)                    \
	X(TSI, 44)                       \
	X(TSR, 45)                       \
	X(SK, 46)                        \
	X(CP, 47)                        \
	X(EAP, 48)                       \
	X(GSPM, 49)                      \
	X(IDG, 50)                       \
	X(GSA, 51)                       \
	X(KD, 52)                        \
	X(SKF, 53)                       \
	X(PS, 54)

/* Notify message types (RFC 7296 3.10.1; RFC 7427; RFC 5685; mediation draft as strongSwan). */
#define IKE_NOTIFIES(X)                                  \
	X(UNSUPPORTED_CRITICAL_PAYLOAD, 1)               \
	X(INVALID_IKE_SPI, 4)                            \
	X(INVALID_MAJOR_VERSION, 5)                      \
	X(INVALID_SYNTAX, 7)                             \
	X(INVALID_MESSAGE_ID, 9)                         \
	X(INVALID_SPI, 11)                               \
	X(NO_PROPOSAL_CHOSEN, 14)                        \
	X(INVALID_KE_PAYLOAD, 17)                        \
	X(AUTHENTICATION_FAILED, 24)                     \
	X(SINGLE_PAIR_REQUIRED, 34)                      \
	X(NO_ADDITIONAL_SAS, 35)                         \
	X(INTERNAL_ADDRESS_FAILURE, 36)                  \
	X(FAILED_CP_REQUIRED, 37)                        \
	X(TS_UNACCEPTABLE, 38)                           \
	X(INVALID_SELECTORS, 39)                         \
	X(TEMPORARY_FAILURE, 43)                         \
	X(CHILD_SA_NOT_FOUND, 44)                        \
	X(ME_CONNECT_FAILED, 8192)                       \
	X(INITIAL_CONTACT, 16384)                        \
	X(SET_WINDOW_SIZE, 16385)                        \
	X(ADDITIONAL_TS_POSSIBLE, 16386)                 \
	X(IPCOMP_SUPPORTED, 16387)                       \
	X(NAT_DETECTION_SOURCE_IP, 16388)                \
	X(NAT_DETECTION_DESTINATION_IP, 16389)           \
	X(COOKIE, 16390)                                 \
	X(USE_TRANSPORT_MODE, 16391)                     \
	X(HTTP_CERT_LOOKUP_SUPPORTED, 16392)             \
	X(REKEY_SA, 16393)                               \
	X(ESP_TFC_PADDING_NOT_SUPPORTED, 16394)          \
	X(NON_FIRST_FRAGMENTS_ALSO, 16395)               \
	X(MOBIKE_SUPPORTED, 16396)                       \
	X(MULTIPLE_AUTH_SUPPORTED, 16404)                \
	X(REDIRECT_SUPPORTED, 16406)                     \
	X(IKEV2_FRAGMENTATION_SUPPORTED, 16430)          \
	X(SIGNATURE_HASH_ALGORITHMS, 16431)              \
	X(ME_MEDIATION, 40962)                           \
	X(ME_ENDPOINT, 40963)                            \
	X(ME_CALLBACK, 40964)                            \
	X(ME_CONNECTID, 40965)                           \
	X(ME_CONNECTKEY, 40966)                          \
	X(ME_CONNECTAUTH, 40967)                         \
	X(ME_RESPONSE, 40968)                            \
	X(ME_TURN, 40970)

/* Notify types below this are errors (RFC 7296 3.10.1); strongSwan also treats ME_CONNECT_FAILED
 * (8192) as an error. */
#define IKE_NOTIFY_ERROR_MAX 16383

/* Transform types (RFC 7296 3.3.2). */
#define IKE_TRANSFORM_TYPES(X) \
	X(ENCR, 1)             \
	X(PRF, 2)              \
	X(INTEG, 3)            \
	X(DH, 4)               \
	X(ESN, 5)

/* Encryption algorithms (transform type 1). */
#define IKE_ENCRS(X)                   \
	X(ENCR_AES_CBC, 12)            \
	X(ENCR_AES_CTR, 13)            \
	X(ENCR_AES_GCM_8, 18)          \
	X(ENCR_AES_GCM_12, 19)         \
	X(ENCR_AES_GCM_16, 20)         \
	X(ENCR_CHACHA20_POLY1305, 28)

/* Pseudo-random functions (transform type 2). */
#define IKE_PRFS(X)                    \
	X(PRF_HMAC_SHA1, 2)            \
	X(PRF_HMAC_SHA2_256, 5)        \
	X(PRF_HMAC_SHA2_384, 6)        \
	X(PRF_HMAC_SHA2_512, 7)

/* Integrity algorithms (transform type 3). */
#define IKE_INTEGS(X)                        \
	X(AUTH_NONE, 0)                      \
	X(AUTH_HMAC_SHA1_96, 2)              \
	X(AUTH_HMAC_SHA2_256_128, 12)        \
	X(AUTH_HMAC_SHA2_384_192, 13)        \
	X(AUTH_HMAC_SHA2_512_256, 14)

/* Diffie-Hellman groups (transform type 4). */
#define IKE_DH_GROUPS(X)               \
	X(DH_NONE, 0)                  \
	X(MODP_2048, 14)               \
	X(MODP_3072, 15)               \
	X(MODP_4096, 16)               \
	X(ECP_256, 19)                 \
	X(ECP_384, 20)                 \
	X(ECP_521, 21)                 \
	X(CURVE25519, 31)              \
	X(CURVE448, 32)

/* Extended sequence numbers (transform type 5). */
#define IKE_ESNS(X) X(ESN_NO, 0) X(ESN_YES, 1)

/* Transform attribute (RFC 7296 3.3.5). */
#define IKE_ATTR_KEY_LENGTH 14

/* Protocol IDs (RFC 7296 3.3.1). */
#define IKE_PROTOCOLS(X) X(PROTO_NONE, 0) X(PROTO_IKE, 1) X(PROTO_AH, 2) X(PROTO_ESP, 3)

/* Authentication methods (RFC 7296 3.8, RFC 7427). */
#define IKE_AUTH_METHODS(X)              \
	X(AUTH_RSA_SIG, 1)               \
	X(AUTH_SHARED_KEY, 2)            \
	X(AUTH_DSS_SIG, 3)               \
	X(AUTH_ECDSA_256, 9)             \
	X(AUTH_ECDSA_384, 10)            \
	X(AUTH_ECDSA_521, 11)            \
	X(AUTH_DIGITAL_SIGNATURE, 14)

/* Hash algorithms for SIGNATURE_HASH_ALGORITHMS (RFC 7427 / IANA). */
#define IKE_HASHES(X) X(HASH_SHA1, 1) X(HASH_SHA2_256, 2) X(HASH_SHA2_384, 3) X(HASH_SHA2_512, 4) X(HASH_IDENTITY, 5)

/* Certificate encodings (RFC 7296 3.6); 15 = raw RSA key (RFC 7670 deprecates; strongSwan uses raw keys locally). */
#define IKE_CERT_ENCODINGS(X) X(CERT_X509_SIGNATURE, 4) X(CERT_RAW_RSA_KEY, 11) X(CERT_RAW_PUBLIC_KEY, 15)

/* Traffic selector types (RFC 7296 3.13.1). */
#define IKE_TS_TYPES(X) X(TS_IPV4_ADDR_RANGE, 7) X(TS_IPV6_ADDR_RANGE, 8)

/* Configuration payload (RFC 7296 3.15). */
#define IKE_CFG_TYPES(X) X(CFG_REQUEST, 1) X(CFG_REPLY, 2) X(CFG_SET, 3) X(CFG_ACK, 4)
#define IKE_CFG_ATTRS(X)                      \
	X(INTERNAL_IP4_ADDRESS, 1)            \
	X(INTERNAL_IP4_NETMASK, 2)            \
	X(INTERNAL_IP4_DNS, 3)                \
	X(INTERNAL_IP6_ADDRESS, 8)            \
	X(INTERNAL_IP6_DNS, 10)               \
	X(INTERNAL_IP4_SUBNET, 13)            \
	X(SUPPORTED_ATTRIBUTES, 14)           \
	X(INTERNAL_IP6_SUBNET, 15)

/* ME_ENDPOINT endpoint types and their ICE type preferences (strongSwan endpoint_notify). */
#define IKE_ME_ENDPOINT_TYPES(X) X(ME_HOST, 1) X(ME_PEER_REFLEXIVE, 2) X(ME_SERVER_REFLEXIVE, 3) X(ME_RELAYED, 4)

/* IKE header flags (RFC 7296 3.1). */
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION 0x10
#define IKE_FLAG_RESPONSE 0x20
#define IKE_VERSION_2 0x20 /* major 2, minor 0 */
#define IKE_PAYLOAD_CRITICAL 0x80

/* UDP ports and RFC 3948 framing. */
#define IKE_PORT 500
#define IKE_NATT_PORT 4500
#define IKE_NON_ESP_MARKER_LEN 4
#define IKE_NATT_KEEPALIVE 0xff

#define IKE_ENUM_X(n, v) IKE_##n = v,
typedef enum { IKE_EXCHANGES(IKE_ENUM_X) } ike_exchange;
typedef enum { IKE_PAYLOADS(IKE_ENUM_X) } ike_payload_type;
typedef enum { IKE_NOTIFIES(IKE_ENUM_X) } ike_notify_type;
typedef enum { IKE_TRANSFORM_TYPES(IKE_ENUM_X) } ike_transform_type;
typedef enum { IKE_ENCRS(IKE_ENUM_X) } ike_encr_id;
typedef enum { IKE_PRFS(IKE_ENUM_X) } ike_prf_id;
typedef enum { IKE_INTEGS(IKE_ENUM_X) } ike_integ_id;
typedef enum { IKE_DH_GROUPS(IKE_ENUM_X) } ike_dh_id;
typedef enum { IKE_ESNS(IKE_ENUM_X) } ike_esn_id;
typedef enum { IKE_PROTOCOLS(IKE_ENUM_X) } ike_protocol_id;
typedef enum { IKE_AUTH_METHODS(IKE_ENUM_X) } ike_auth_method;
typedef enum { IKE_HASHES(IKE_ENUM_X) } ike_hash_id;
typedef enum { IKE_CERT_ENCODINGS(IKE_ENUM_X) } ike_cert_encoding;
typedef enum { IKE_TS_TYPES(IKE_ENUM_X) } ike_ts_type;
typedef enum { IKE_CFG_TYPES(IKE_ENUM_X) } ike_cfg_type;
typedef enum { IKE_CFG_ATTRS(IKE_ENUM_X) } ike_cfg_attr;
typedef enum { IKE_ME_ENDPOINT_TYPES(IKE_ENUM_X) } ike_me_endpoint_type;
#undef IKE_ENUM_X

/* Names for logs: "IKE_SA_INIT", "NOTIFY", "ME_ENDPOINT", ...; a number not in the list gives NULL
 * from the *_name_or_null() form and "(unknown)" from the plain form. */
const char *ike_exchange_name(unsigned v);
const char *ike_payload_name(unsigned v);
const char *ike_notify_name(unsigned v);
const char *ike_transform_type_name(unsigned v);
/* A transform ID's name within its transform type (ENCR, PRF, INTEG, DH, ESN). */
const char *ike_transform_name(unsigned type, unsigned id);
const char *ike_auth_method_name(unsigned v);
const char *ike_protocol_name(unsigned v);
const char *ike_me_endpoint_type_name(unsigned v);
const char *ike_notify_name_or_null(unsigned v);

#endif /* IKE_IANA_H */
