/* SPDX-License-Identifier: MIT */
/* ts.h - private: traffic selector arithmetic (RFC 7296 2.9). Pure functions. */
#ifndef IKE_TS_H
#define IKE_TS_H
#include <stdbool.h>

#include "ike/engine.h"

/* A TS covering exactly one host address (any protocol and port). */
void ike__ts_host(ike_tsel *ts, const ike_addr *a);
/* True when ts covers exactly one address. */
bool ike__ts_is_host(const ike_tsel *ts);
/* The intersection of a and b in *out; false when they do not overlap. */
bool ike__ts_intersect(const ike_tsel *a, const ike_tsel *b, ike_tsel *out);
/* True when inner lies entirely inside outer. */
bool ike__ts_within(const ike_tsel *inner, const ike_tsel *outer);
/* Responder narrowing: every non-empty intersection of a proposed TS with a
 * configured one, without duplicates. Returns false when none remains. */
bool ike__ts_narrow(const ike_tsel_list *proposed, const ike_tsel_list *configured, ike_tsel_list *out);
/* Initiator check: every TS in got lies within some TS in offered. */
bool ike__ts_list_within(const ike_tsel_list *got, const ike_tsel_list *offered);
/* A list from a config: the config's list, or the host address when it is empty. */
void ike__ts_or_host(ike_tsel_list *out, const ike_tsel_list *cfg, const ike_addr *host);

#endif
