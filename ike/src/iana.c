/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "ike/iana.h"

#define NAME_CASE(n, v) case v: return #n;
/* A static lookup returning NULL for numbers not in the list. */
#define DEFINE_LOOKUP(fn, LIST)               \
	static const char *fn(unsigned v)     \
	{                                     \
		switch (v) {                  \
			LIST(NAME_CASE)       \
		}                             \
		return NULL;                  \
	}

DEFINE_LOOKUP(exchange_lookup, IKE_EXCHANGES)
DEFINE_LOOKUP(payload_lookup, IKE_PAYLOADS)
DEFINE_LOOKUP(notify_lookup, IKE_NOTIFIES)
DEFINE_LOOKUP(transform_type_lookup, IKE_TRANSFORM_TYPES)
DEFINE_LOOKUP(auth_method_lookup, IKE_AUTH_METHODS)
DEFINE_LOOKUP(protocol_lookup, IKE_PROTOCOLS)
DEFINE_LOOKUP(me_endpoint_type_lookup, IKE_ME_ENDPOINT_TYPES)
DEFINE_LOOKUP(encr_lookup, IKE_ENCRS)
DEFINE_LOOKUP(prf_lookup, IKE_PRFS)
DEFINE_LOOKUP(integ_lookup, IKE_INTEGS)
DEFINE_LOOKUP(dh_lookup, IKE_DH_GROUPS)
DEFINE_LOOKUP(esn_lookup, IKE_ESNS)

static const char *or_unknown(const char *s)
{
	return s ? s : "(unknown)";
}

const char *ike_exchange_name(unsigned v) { return or_unknown(exchange_lookup(v)); }
const char *ike_payload_name(unsigned v) { return or_unknown(payload_lookup(v)); }
const char *ike_notify_name(unsigned v) { return or_unknown(notify_lookup(v)); }
const char *ike_notify_name_or_null(unsigned v) { return notify_lookup(v); }
const char *ike_transform_type_name(unsigned v) { return or_unknown(transform_type_lookup(v)); }
const char *ike_auth_method_name(unsigned v) { return or_unknown(auth_method_lookup(v)); }
const char *ike_protocol_name(unsigned v) { return or_unknown(protocol_lookup(v)); }
const char *ike_me_endpoint_type_name(unsigned v) { return or_unknown(me_endpoint_type_lookup(v)); }

const char *ike_transform_name(unsigned type, unsigned id)
{
	switch (type) {
	case IKE_ENCR: return or_unknown(encr_lookup(id));
	case IKE_PRF: return or_unknown(prf_lookup(id));
	case IKE_INTEG: return or_unknown(integ_lookup(id));
	case IKE_DH: return or_unknown(dh_lookup(id));
	case IKE_ESN: return or_unknown(esn_lookup(id));
	}
	return "(unknown)";
}
