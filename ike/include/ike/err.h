/* SPDX-License-Identifier: MIT */
/*
 * ike/err.h - one table of error codes for every library of the project.
 * Functions return int: 0 (IKE_OK) or one of the negative codes below.
 * Results come back through out-parameters, never through the sign.
 */
#ifndef IKE_ERR_H
#define IKE_ERR_H
#include <stdbool.h>

#if defined(__GNUC__)
#define IKE_MUST_CHECK __attribute__((warn_unused_result))
#define IKE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define IKE_MUST_CHECK
#define IKE_PRINTF(f, a)
#endif

/* X(name, value, text). Append only: values are logged and asserted on in tests. */
#define IKE_ERRORS(X)                                                         \
	X(OK, 0, "success")                                                   \
	X(NOMEM, -1, "out of memory")                                         \
	X(TRUNCATED, -2, "shorter than its length fields")                    \
	X(MALFORMED, -3, "malformed")                                         \
	X(NOBUF, -4, "output buffer too small")                               \
	X(CALLBACK, -5, "callback failed")                                    \
	X(STALE_SA, -6, "SA handle no longer valid")                          \
	X(INVAL, -7, "invalid argument")                                      \
	X(UNSUPPORTED, -8, "unsupported")                                     \
	X(UNKNOWN_SPI, -9, "no SA for this SPI")                              \
	X(CRYPTO, -10, "cryptographic operation failed")                      \
	X(AUTH, -11, "authentication failed")                                 \
	X(INTEGRITY, -12, "integrity check failed")                           \
	X(STATE, -13, "not valid in this state")                              \
	X(NO_PROPOSAL, -14, "no proposal chosen")                             \
	X(CRITICAL, -15, "unsupported critical payload")                      \
	X(VERSION, -16, "unsupported IKE version")                            \
	X(BAD_MID, -17, "message ID outside the window")                      \
	X(RETRANSMIT, -18, "retransmitted request, cached reply sent")        \
	X(TIMEOUT, -19, "peer did not answer")                                \
	X(LIMIT, -20, "limit reached")                                        \
	X(NOT_FOUND, -21, "not found")                                        \
	X(EXISTS, -22, "already exists")                                      \
	X(IO, -23, "input/output error")                                      \
	X(REPLAY, -24, "replayed packet")                                     \
	X(POLICY, -25, "refused by policy")                                   \
	X(TS_UNACCEPTABLE, -26, "traffic selectors unacceptable")             \
	X(INVALID_KE, -27, "peer wants another key exchange group")           \
	X(COOKIE, -28, "cookie required")                                     \
	X(DB, -29, "database error")                                        \
	X(BAD_PADDING, -30, "ESP padding check failed")                      \
	X(BAD_NEXT_HEADER, -31, "ESP next header not allowed")                \
	X(ADDR_IN_USE, -32, "address already in use")                        \
	X(WEAK_KEY, -33, "weak or unusable RSA public key")                   \
	X(ADDR_NOT_AVAIL, -34, "address not on this host")

typedef enum ike_err {
#define IKE_ERR_X(n, v, s) IKE_ERR_##n = v,
	IKE_ERRORS(IKE_ERR_X)
#undef IKE_ERR_X
} ike_err;

#define IKE_OK IKE_ERR_OK

/* A short sentence for err, or "unknown error" for a code not in the table. */
const char *ike_strerror(int err);
/* The symbolic name ("IKE_ERR_TRUNCATED"), for logs and test messages. */
const char *ike_err_name(int err);
/* True for errors after which the engine's state is unreliable (NOMEM, CALLBACK). */
bool ike_err_is_fatal(int err);

#endif /* IKE_ERR_H */
