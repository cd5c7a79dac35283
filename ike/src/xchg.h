/* SPDX-License-Identifier: MIT */
/* xchg.h - private: the entry points of the exchange files, called by engine.c. */
#ifndef IKE_XCHG_H
#define IKE_XCHG_H
#include "engine_int.h"

enum { INFO_DPD, INFO_DELETE_IKE, INFO_DELETE_CHILD };

/* sa.c */
int ike__cred_load(ike_engine *e, ike_slice private_key);
void ike__cred_free(ike_engine *e);
void ike__xchg_free(ike_engine *e, ike_sa *sa);
void ike__keys_free(ike_engine *e, ike_sa *sa);
int ike__sa_on_timer(ike_engine *e, ike_sa *sa, tmr_kind kind, ike_ms now);
void ike__sa_terminate(ike_engine *e, ike_sa *sa, ike_ms now);

/* xchg_init.c */
int ike__init_start(ike_engine *e, ike_sa *sa, ike_ms now);
/* msg.c: the datagram entry point */
int ike__msg_recv(ike_engine *e, const ike_path *path, const uint8_t *pkt, size_t len, ike_ms now);
/* xchg_info.c */
int ike__info_start(ike_engine *e, ike_sa *sa, int what, uint32_t child_spi, ike_ms now);
/* xchg_me.c */
int ike__me_connect_start(ike_engine *e, ike_sa *sa, const ike_me_connect *req, ike_ms now);
/* xchg_child.c */
int ike__child_rekey_start(ike_engine *e, ike_sa *sa, uint32_t child_spi_in, ike_ms now);

#endif
