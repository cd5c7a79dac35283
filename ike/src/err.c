/* SPDX-License-Identifier: MIT */
#include "ike/err.h"

const char *ike_strerror(int err)
{
	switch (err) {
#define IKE_ERR_X(n, v, s) case v: return s;
		IKE_ERRORS(IKE_ERR_X)
#undef IKE_ERR_X
	}
	return "unknown error";
}

const char *ike_err_name(int err)
{
	switch (err) {
#define IKE_ERR_X(n, v, s) case v: return "IKE_ERR_" #n;
		IKE_ERRORS(IKE_ERR_X)
#undef IKE_ERR_X
	}
	return "IKE_ERR_?";
}

bool ike_err_is_fatal(int err)
{
	return err == IKE_ERR_NOMEM || err == IKE_ERR_CALLBACK;
}
