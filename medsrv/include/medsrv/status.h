/* SPDX-License-Identifier: MIT */
/*
 * medsrv/status.h - the status object `medsrv status --json` prints and the
 * control socket answers to {"cmd":"status"} (docs/web.md, docs/medsrv.md):
 *
 *   {"server": {"keyid", "workers", "uptime", "online"},
 *    "shards": [{"registered", "sas", "half_open", "queued", "rx", "tx", "dropped", "retransmits",
 *                "cookies_sent", "half_open_limited", "src_limited", "tx_failed"}],
 *    "peers": [{"keyid", "keyid_spki", "alias", "owner", "online", "endpoint", "since"}],
 *    "callbacks": [{"requester", "target", "expires_in"}],
 *    "counters": {"registrations": n, "mediations_relayed": n, ...}}
 *
 * peers lists every peer in the database (online ones with endpoint and since,
 * Unix seconds) and, after them, registrations whose key was deleted from the
 * database meanwhile (alias ""). KEY_IDs are 40 lowercase hex digits, SPK form.
 */
#ifndef MEDSRV_STATUS_H
#define MEDSRV_STATUS_H
#include <jansson.h>
#include <stdint.h>

#include "db/db.h"
#include "ike/types.h"
#include "medsrv/registry.h"
#include "medsrv/shard.h"

/* What the status object says about the server itself. */
typedef struct ms_status_info {
	const uint8_t *server_keyid; /* IKE_KEYID_LEN bytes, or NULL */
	unsigned workers;
	int64_t uptime_s;
	const ms_shard_stats *shards; /* `workers` entries, or NULL: listed as "shards" */
} ms_status_info;

/* Builds the status object (a new reference) from the database d (the peers;
 * may be NULL: registrations only), the registry r, the monotonic time now_ms
 * the registry's times are in, and the wall clock wall_s (Unix seconds) to turn
 * them into Unix times. Returns NULL when out of memory or when the database
 * cannot be read (*err, if not NULL, gets the error code). */
json_t *ms_status_json(db *d, ms_registry *r, const ms_status_info *info, ike_ms now_ms, int64_t wall_s,
                       int *err);

/* An offline status (the daemon is not running): the database's peers, all
 * offline, with "running": false. NULL on error (*err as above). */
json_t *ms_status_offline_json(db *d, int *err);

#endif /* MEDSRV_STATUS_H */
