/* SPDX-License-Identifier: MIT */
/* medcli/dp/dp_int.h - private to the data plane: rtnetlink message building
 * (pure, tested), the netlink request/ACK round trip, and traffic-selector maths. */
#ifndef MEDCLI_DP_INT_H
#define MEDCLI_DP_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/engine.h"

/* The prefix a traffic selector covers: true and addr/plen when lo..hi is exactly
 * one CIDR prefix (any protocol and port), false otherwise. */
bool dp_ts_prefix(const ike_tsel *ts, uint8_t addr[16], unsigned *plen);

/* True when the IP address (4 or 16 bytes by family) lies inside ts. */
bool dp_ts_contains(const ike_tsel *ts, uint8_t family, const uint8_t *ip);

/* Reads the source and destination of an IPv4 or IPv6 packet. False when the
 * packet is too short or of another version. family gets IKE_AF_INET/INET6. */
bool dp_ip_addrs(const uint8_t *pkt, size_t len, uint8_t *family, const uint8_t **src, const uint8_t **dst);

/* Builds RTM_NEWADDR (add = true) or RTM_DELADDR for addr/plen on ifindex into
 * buf (NLM_F_REQUEST|NLM_F_ACK, plus CREATE|REPLACE when adding). Returns the
 * message length, or 0 when cap is too small or the family is bad. */
size_t dp_nl_addr(uint8_t *buf, size_t cap, bool add, uint32_t seq, int ifindex, uint8_t family,
                  const uint8_t *addr, unsigned plen);

/* Builds RTM_NEWROUTE (add) or RTM_DELROUTE: dst/plen through ifindex in the main
 * table, scope link, with preferred source src (may be NULL). Returns the length
 * or 0. */
size_t dp_nl_route(uint8_t *buf, size_t cap, bool add, uint32_t seq, int ifindex, uint8_t family,
                   const uint8_t *dst, unsigned plen, const uint8_t *src);

/* Sends one request on a netlink socket of protocol proto and waits for its ACK.
 * Returns 0 or the negative errno the kernel answered (e.g. -EEXIST), or -EIO. */
int dp_nl_talk(int proto, const uint8_t *msg, size_t len, uint32_t seq);

#include "ike/esp_xfrm.h"

/* The XFRM policy of a CHILD_SA for direction dir: out covers local -> remote
 * selectors and leaves through path local -> remote; in and fwd the reverse.
 * reqid ties it to the SA pair. Selectors that are not prefixes become /0. */
void dp_xfrm_policy(ike_xfrm_policy *p, const ike_path *path, const ike_tsel *lts, const ike_tsel *rts,
                    ike_xfrm_dir dir, uint32_t reqid);

#endif /* MEDCLI_DP_INT_H */
