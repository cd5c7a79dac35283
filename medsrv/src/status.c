/* SPDX-License-Identifier: MIT */
/* The status object: the database's peers joined with the registry. */
#include <stdlib.h>
#include <string.h>

#include "ike/crypto_key.h"
#include "medsrv/status.h"

static json_t *peer_json(const db_peer *p, const ms_reg *reg, ike_ms now_ms, int64_t wall_s)
{
	char k[IKE_KEYID_HEX_LEN + 1], ks[IKE_KEYID_HEX_LEN + 1];
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "keyid", ike_keyid_format(p->keyid, k), "keyid_spki",
	              ike_keyid_format(p->keyid_spki, ks), "alias", p->alias, "owner", p->owner, "online",
	              reg != NULL);
	if (!o)
		return NULL;
	if (reg) {
		char a[IKE_ADDR_STRLEN];
		int64_t age = now_ms >= reg->since ? (int64_t)((now_ms - reg->since) / 1000) : 0;
		if (json_object_set_new(o, "endpoint",
		                        json_string(ike_addr_str(&reg->endpoint, a, sizeof a))) ||
		    json_object_set_new(o, "since", json_integer(wall_s - age))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *counters_json(ms_registry *r)
{
	uint64_t v[MS_CTR_COUNT];
	json_t *o = json_object();

	if (!o)
		return NULL;
	ms_registry_counters(r, v);
	for (unsigned i = 0; i < MS_CTR_COUNT; i++)
		if (json_object_set_new(o, ms_counter_name((ms_counter)i), json_integer((json_int_t)v[i]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

json_t *ms_status_json(db *d, ms_registry *r, const ms_status_info *info, ike_ms now_ms, int64_t wall_s,
                       int *err)
{
	db_peer *peers = NULL;
	size_t np = 0, nr = 0, nw = 0;
	ms_reg *regs = NULL;
	ms_waiter *ws = NULL;
	bool *shown = NULL;
	json_t *root = NULL, *arr, *cbs, *srv;
	char k[IKE_KEYID_HEX_LEN + 1], k2[IKE_KEYID_HEX_LEN + 1];
	int rc;

	if ((d && (rc = db_peer_list_all(d, &peers, &np)) != IKE_OK) ||
	    (rc = ms_registry_list(r, &regs, &nr)) != IKE_OK ||
	    (rc = ms_registry_waiter_list(r, now_ms, &ws, &nw)) != IKE_OK)
		goto out;
	rc = IKE_ERR_NOMEM;
	if (nr && !(shown = calloc(nr, sizeof *shown)))
		goto out;
	root = json_object();
	arr = json_array();
	cbs = json_array();
	if (!root || json_object_set_new(root, "peers", arr) || json_object_set_new(root, "callbacks", cbs))
		goto fail;
	for (size_t i = 0; i < np; i++) {
		const ms_reg *reg = NULL;
		for (size_t j = 0; j < nr; j++)
			if (memcmp(regs[j].keyid, peers[i].keyid, IKE_KEYID_LEN) == 0) {
				reg = &regs[j];
				shown[j] = true;
			}
		if (json_array_append_new(arr, peer_json(&peers[i], reg, now_ms, wall_s)))
			goto fail;
	}
	for (size_t j = 0; j < nr; j++) {
		db_peer gone;
		if (shown[j])
			continue;
		memset(&gone, 0, sizeof gone);
		memcpy(gone.keyid, regs[j].keyid, IKE_KEYID_LEN);
		if (json_array_append_new(arr, peer_json(&gone, &regs[j], now_ms, wall_s)))
			goto fail;
		json_object_del(json_array_get(arr, json_array_size(arr) - 1), "keyid_spki");
	}
	for (size_t i = 0; i < nw; i++) {
		json_t *c = json_pack("{s:s, s:s, s:I}", "requester", ike_keyid_format(ws[i].requester, k),
		                      "target", ike_keyid_format(ws[i].target, k2), "expires_in",
		                      (json_int_t)((ws[i].expires - now_ms + 999) / 1000));
		if (json_array_append_new(cbs, c))
			goto fail;
	}
	srv = json_pack("{s:s?, s:i, s:I, s:I}", "keyid",
	                info && info->server_keyid ? ike_keyid_format(info->server_keyid, k) : NULL,
	                "workers", info ? (int)info->workers : 0, "uptime",
	                (json_int_t)(info ? info->uptime_s : 0), "online", (json_int_t)nr);
	if (info && info->shards) {
		json_t *sh = json_array();
		if (json_object_set_new(root, "shards", sh))
			goto fail;
		for (unsigned i = 0; i < info->workers; i++) {
			const ms_shard_stats *x = &info->shards[i];
			if (json_array_append_new(
			        sh,
			        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			                  "registered", (json_int_t)x->registered, "sas",
			                  (json_int_t)x->engine.sas, "half_open",
			                  (json_int_t)x->engine.half_open, "queued", (json_int_t)x->queued,
			                  "rx", (json_int_t)x->engine.rx, "tx", (json_int_t)x->engine.tx,
			                  "dropped", (json_int_t)x->engine.dropped, "retransmits",
			                  (json_int_t)x->engine.retransmits, "cookies_sent",
			                  (json_int_t)x->engine.cookies_sent, "half_open_limited",
			                  (json_int_t)x->engine.half_open_limited, "src_limited",
			                  (json_int_t)x->engine.src_limited, "tx_failed",
			                  (json_int_t)x->engine.tx_failed)))
				goto fail;
		}
	}
	if (json_object_set_new(root, "server", srv) ||
	    json_object_set_new(root, "counters", counters_json(r)) ||
	    json_object_set_new(root, "running", json_true()))
		goto fail;
	rc = IKE_OK;
	goto out;
fail:
	json_decref(root);
	root = NULL;
out:
	if (err)
		*err = rc;
	if (rc != IKE_OK && root) {
		json_decref(root);
		root = NULL;
	}
	db_free(peers);
	ms_registry_list_free(r, regs);
	ms_registry_list_free(r, ws);
	free(shown);
	return root;
}

json_t *ms_status_offline_json(db *d, int *err)
{
	db_peer *peers = NULL;
	size_t np = 0;
	json_t *root, *arr;
	int rc;

	if ((rc = db_peer_list_all(d, &peers, &np)) != IKE_OK) {
		if (err)
			*err = rc;
		return NULL;
	}
	root = json_pack("{s:b, s:[], s:[], s:{}}", "running", 0, "peers", "callbacks", "counters");
	arr = root ? json_object_get(root, "peers") : NULL;
	for (size_t i = 0; arr && i < np; i++)
		if (json_array_append_new(arr, peer_json(&peers[i], NULL, 0, 0))) {
			json_decref(root);
			root = NULL;
		}
	db_free(peers);
	if (err)
		*err = root ? IKE_OK : IKE_ERR_NOMEM;
	return root;
}
