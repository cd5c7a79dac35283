/* SPDX-License-Identifier: MIT */
/* web/core/src/ctl.h - private: one request/answer on a daemon's control socket
 * (Unix stream socket, one JSON object per line each way; see docs/web.md). */
#ifndef WEB_CTL_H
#define WEB_CTL_H
#include <jansson.h>

#include "ike/err.h"
#include "ikeio/ctl.h"

#define WEB_CTL_TIMEOUT_MS 2000

/* Sends req (borrowed) as one line to the socket at path and reads one line back into
 * *reply (a JSON object the caller json_decref's). Errors: IKE_ERR_NOT_FOUND (no socket
 * or nobody listening: the daemon is not running), IKE_ERR_TIMEOUT, IKE_ERR_IO,
 * IKE_ERR_MALFORMED (the answer is not a JSON object), IKE_ERR_LIMIT, IKE_ERR_NOMEM. */
int web__ctl_call(const char *path, json_t *req, json_t **reply);

#endif /* WEB_CTL_H */
