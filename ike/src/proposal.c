/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "ike/engine.h"
#include "ike/err.h"
#include "ike/iana.h"
#include "proposal.h"

/* Keywords as strongSwan writes them (swanctl.conf proposals). */
enum { K_ENCR, K_INTEG, K_PRF, K_DH, K_ESN, K_INTEG_PRF };
static const struct keyword {
	const char *word;
	uint8_t kind;
	uint16_t id, bits;
} keywords[] = {
    {"aes128", K_ENCR, IKE_ENCR_AES_CBC, 128},
    {"aes192", K_ENCR, IKE_ENCR_AES_CBC, 192},
    {"aes256", K_ENCR, IKE_ENCR_AES_CBC, 256},
    {"aes128gcm16", K_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {"aes128gcm128", K_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {"aes256gcm16", K_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {"aes256gcm128", K_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {"sha256", K_INTEG_PRF, IKE_AUTH_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256},
    {"sha384", K_INTEG_PRF, IKE_AUTH_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384},
    {"sha512", K_INTEG_PRF, IKE_AUTH_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512},
    {"prfsha256", K_PRF, IKE_PRF_HMAC_SHA2_256, 0},
    {"prfsha384", K_PRF, IKE_PRF_HMAC_SHA2_384, 0},
    {"prfsha512", K_PRF, IKE_PRF_HMAC_SHA2_512, 0},
    {"modp2048", K_DH, IKE_MODP_2048, 0},
    {"ecp256", K_DH, IKE_ECP_256, 0},
    {"ecp384", K_DH, IKE_ECP_384, 0},
    {"x25519", K_DH, IKE_CURVE25519, 0},
    {"curve25519", K_DH, IKE_CURVE25519, 0},
    {"esn", K_ESN, IKE_ESN_YES, 0},
    {"noesn", K_ESN, IKE_ESN_NO, 0},
};

bool ike__encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 || encr == IKE_ENCR_AES_GCM_12 || encr == IKE_ENCR_AES_GCM_8 ||
	       encr == IKE_ENCR_CHACHA20_POLY1305;
}

static int add_id(uint16_t *arr, uint8_t *n, uint16_t id)
{
	for (unsigned i = 0; i < *n; i++)
		if (arr[i] == id)
			return IKE_OK;
	if (*n >= PROP_XF_MAX)
		return IKE_ERR_INVAL;
	arr[(*n)++] = id;
	return IKE_OK;
}

static int add_encr(ike__prop *p, uint16_t id, uint16_t bits)
{
	for (unsigned i = 0; i < p->n_encr; i++)
		if (p->encr[i] == id && p->encr_bits[i] == bits)
			return IKE_OK;
	if (p->n_encr >= PROP_XF_MAX)
		return IKE_ERR_INVAL;
	p->encr[p->n_encr] = id;
	p->encr_bits[p->n_encr++] = bits;
	return IKE_OK;
}

static int add_keyword(ike__prop *p, const char *w, size_t len, bool esp)
{
	for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
		const struct keyword *kw = &keywords[k];
		if (strlen(kw->word) != len || memcmp(kw->word, w, len) != 0)
			continue;
		switch (kw->kind) {
		case K_ENCR:
			return add_encr(p, kw->id, kw->bits);
		case K_INTEG_PRF:
			if (add_id(p->integ, &p->n_integ, kw->id))
				return IKE_ERR_INVAL;
			/* strongSwan derives the IKE PRF from the integrity algorithm. */
			return esp ? IKE_OK : add_id(p->prf, &p->n_prf, kw->bits);
		case K_PRF:
			return esp ? IKE_ERR_INVAL : add_id(p->prf, &p->n_prf, kw->id);
		case K_DH:
			return add_id(p->dh, &p->n_dh, kw->id);
		case K_ESN:
			if (!esp || p->n_esn >= 2)
				return IKE_ERR_INVAL;
			p->esn[p->n_esn++] = (uint8_t)kw->id;
			return IKE_OK;
		default:
			return IKE_ERR_INVAL;
		}
	}
	return IKE_ERR_INVAL;
}

static int check_prop(ike__prop *p, bool esp)
{
	bool aead = false, plain = false;

	if (!p->n_encr)
		return IKE_ERR_INVAL;
	for (unsigned i = 0; i < p->n_encr; i++) {
		if (ike__encr_is_aead(p->encr[i]))
			aead = true;
		else
			plain = true;
	}
	/* RFC 7296 3.3: AEAD and non-AEAD algorithms go in separate proposals. */
	if (aead && plain)
		return IKE_ERR_INVAL;
	if (aead && p->n_integ)
		return IKE_ERR_INVAL;
	if (plain && !p->n_integ)
		return IKE_ERR_INVAL;
	if (!esp && (!p->n_prf || !p->n_dh))
		return IKE_ERR_INVAL;
	if (esp && !p->n_esn)
		p->esn[p->n_esn++] = IKE_ESN_NO;
	return IKE_OK;
}

int ike__prop_parse(ike__prop_list *out, const char *text, bool esp)
{
	const char *s;

	memset(out, 0, sizeof *out);
	if (!text)
		text = esp ? IKE_DEFAULT_ESP_PROPOSALS : IKE_DEFAULT_IKE_PROPOSALS;
	s = text;
	while (*s) {
		ike__prop *p;
		if (out->n >= PROP_MAX)
			return IKE_ERR_INVAL;
		p = &out->p[out->n++];
		for (;;) {
			size_t len = strcspn(s, "-,");
			if (len == 0 || add_keyword(p, s, len, esp))
				return IKE_ERR_INVAL;
			s += len;
			if (*s != '-')
				break;
			s++;
		}
		if (check_prop(p, esp))
			return IKE_ERR_INVAL;
		if (*s == ',') {
			s++;
			if (!*s)
				return IKE_ERR_INVAL;
		}
	}
	return out->n ? IKE_OK : IKE_ERR_INVAL;
}

int ike_proposals_check(const char *text, bool esp)
{
	ike__prop_list l;

	if (!text)
		return IKE_ERR_INVAL;
	return ike__prop_parse(&l, text, esp);
}

static bool pick(const uint16_t *ours, uint8_t n_ours, const uint16_t *theirs, uint8_t n_theirs,
                 uint16_t *out)
{
	for (unsigned i = 0; i < n_ours; i++)
		for (unsigned j = 0; j < n_theirs; j++)
			if (ours[i] == theirs[j]) {
				*out = ours[i];
				return true;
			}
	return false;
}

static bool match(const ike__prop *o, const ike__prop *t, bool esp, ike__suite *s)
{
	bool found = false;

	memset(s, 0, sizeof *s);
	for (unsigned i = 0; i < o->n_encr && !found; i++)
		for (unsigned j = 0; j < t->n_encr && !found; j++)
			if (o->encr[i] == t->encr[j] && o->encr_bits[i] == t->encr_bits[j]) {
				s->encr = o->encr[i];
				s->encr_bits = o->encr_bits[i];
				found = true;
			}
	if (!found)
		return false;
	if (ike__encr_is_aead(s->encr)) {
		if (t->n_integ && !(t->n_integ == 1 && t->integ[0] == IKE_AUTH_NONE))
			return false;
	} else if (!pick(o->integ, o->n_integ, t->integ, t->n_integ, &s->integ)) {
		return false;
	}
	if (!esp) {
		if (!pick(o->prf, o->n_prf, t->prf, t->n_prf, &s->prf))
			return false;
		if (!pick(o->dh, o->n_dh, t->dh, t->n_dh, &s->dh))
			return false;
	} else {
		uint16_t oe[2] = {o->esn[0], o->esn[1]}, te[2] = {t->esn[0], t->esn[1]}, e;
		uint8_t tn = t->n_esn;
		/* A peer that sends no ESN transform means "no ESN". */
		if (!tn)
			te[tn++] = IKE_ESN_NO;
		if (!pick(oe, o->n_esn, te, tn, &e))
			return false;
		s->esn = (uint8_t)e;
		/* ESP DH (PFS): both must agree on having one or none. */
		if (o->n_dh || t->n_dh) {
			if (!pick(o->dh, o->n_dh, t->dh, t->n_dh, &s->dh))
				return false;
		}
	}
	return true;
}

bool ike__prop_select(const ike__prop_list *ours, const ike__prop_list *theirs, bool esp, ike__suite *out,
                      uint8_t *their_num)
{
	for (unsigned i = 0; i < ours->n; i++)
		for (unsigned j = 0; j < theirs->n; j++)
			if (match(&ours->p[i], &theirs->p[j], esp, out)) {
				if (their_num)
					*their_num = (uint8_t)(j + 1);
				return true;
			}
	return false;
}

static bool has(const uint16_t *arr, uint8_t n, uint16_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (arr[i] == id)
			return true;
	return false;
}

bool ike__prop_contains(const ike__prop_list *ours, const ike__suite *s, bool esp)
{
	for (unsigned i = 0; i < ours->n; i++) {
		const ike__prop *p = &ours->p[i];
		bool enc = false;
		for (unsigned k = 0; k < p->n_encr; k++)
			if (p->encr[k] == s->encr && p->encr_bits[k] == s->encr_bits)
				enc = true;
		if (!enc)
			continue;
		if (!ike__encr_is_aead(s->encr) && !has(p->integ, p->n_integ, s->integ))
			continue;
		if (ike__encr_is_aead(s->encr) && s->integ)
			continue;
		if (!esp && (!has(p->prf, p->n_prf, s->prf) || !has(p->dh, p->n_dh, s->dh)))
			continue;
		if (esp && s->dh && !has(p->dh, p->n_dh, s->dh))
			continue;
		if (esp && !(p->esn[0] == s->esn || (p->n_esn > 1 && p->esn[1] == s->esn)))
			continue;
		return true;
	}
	return false;
}

uint16_t ike__prop_first_dh(const ike__prop_list *l)
{
	return l->n && l->p[0].n_dh ? l->p[0].dh[0] : 0;
}

bool ike__prop_has_dh(const ike__prop_list *l, uint16_t dh)
{
	for (unsigned i = 0; i < l->n; i++)
		if (has(l->p[i].dh, l->p[i].n_dh, dh))
			return true;
	return false;
}

const char *ike__suite_str(const ike__suite *s, char *buf, unsigned len)
{
	snprintf(buf, len, "%s_%u/%s/%s/%s", ike_transform_name(IKE_ENCR, s->encr), s->encr_bits,
	         s->integ ? ike_transform_name(IKE_INTEG, s->integ) : "-",
	         s->prf ? ike_transform_name(IKE_PRF, s->prf) : "-",
	         s->dh ? ike_transform_name(IKE_DH, s->dh) : "-");
	return buf;
}
