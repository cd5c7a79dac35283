/* SPDX-License-Identifier: MIT */
/* web/core/src/ctl.c - control socket client: the daemons' own protocol client
 * (ikeio_ctl_call), with the manager's timeout. */
#include "ikeio/ctl.h"

#include "ctl.h"

int web__ctl_call(const char *path, json_t *req, json_t **reply)
{
	return ikeio_ctl_call(path, req, WEB_CTL_TIMEOUT_MS, reply);
}
