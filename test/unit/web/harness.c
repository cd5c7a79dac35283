/* SPDX-License-Identifier: MIT */
#define _XOPEN_SOURCE 700 /* nftw */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t fake_now(void *user)
{
	return ((th *)user)->now;
}

void th_open(th *t, web_role role)
{
	web_options o;

	memset(t, 0, sizeof *t);
	snprintf(t->dir, sizeof t->dir, "/tmp/test_web_XXXXXX");
	cr_assert(not(eq(ptr, mkdtemp(t->dir), NULL)));
	t->now = 1000000;
	t->role = role;
	web_options_defaults(&o);
	o.role = role;
	o.dir = t->dir;
	o.now = fake_now;
	o.now_user = t;
	o.session_ttl_s = 3600;
	o.max_peers = 3;
	cr_assert(eq(int, web_app_new(&t->app, &o), IKE_OK));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void th_close(th *t)
{
	web_app_free(t->app);
	t->app = NULL;
	nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void store_cookie(th_client *c, const char *line)
{
	char *dst = NULL;
	size_t cap = 0;
	const char *v;

	if (strncmp(line, "mw_sid=", 7) == 0) {
		dst = c->sid;
		cap = sizeof c->sid;
		v = line + 7;
	} else if (strncmp(line, "mw_csrf=", 8) == 0) {
		dst = c->csrf;
		cap = sizeof c->csrf;
		v = line + 8;
	} else {
		return;
	}
	size_t n = strcspn(v, ";");
	cr_assert(lt(sz, n, cap));
	memcpy(dst, v, n);
	dst[n] = '\0';
}

void th_send(th *t, th_client *c, const char *method, const char *path, const char *ctype, const char *body,
             const char *origin, const char *csrf, th_resp *out)
{
	web_request req;
	web_response resp = {0};
	char cookie[256];

	memset(out, 0, sizeof *out);
	web_request_init(&req);
	web_request_set_method(&req, method);
	cr_assert(eq(int, web_request_set_target(&req, path), IKE_OK));
	web_request_add_header(&req, "Host", TH_HOST);
	snprintf(req.client_addr, sizeof req.client_addr, "%s", c->addr[0] ? c->addr : "127.0.0.1");
	snprintf(cookie, sizeof cookie, "mw_sid=%s; mw_csrf=%s", c->sid, c->csrf);
	web_request_add_header(&req, "Cookie", cookie);
	if (!origin)
		origin = TH_ORIGIN;
	if (origin[0])
		web_request_add_header(&req, "Origin", origin);
	if (!csrf)
		csrf = c->csrf;
	if (csrf[0])
		web_request_add_header(&req, "X-CSRF-Token", csrf);
	if (body) {
		web_request_add_header(&req, "Content-Type", ctype ? ctype : "application/json");
		web_request_append_body(&req, body, strlen(body));
	}
	web_app_handle(t->app, &req, &resp);
	out->status = resp.status;
	if (resp.body_len)
		out->json = json_loadb(resp.body, resp.body_len, 0, NULL);
	for (size_t i = 0; i < resp.n_headers; i++) {
		size_t used = strlen(out->headers);
		snprintf(out->headers + used, sizeof out->headers - used, "%s: %s\n", resp.headers[i].name,
		         resp.headers[i].value);
		if (strcmp(resp.headers[i].name, "Set-Cookie") == 0)
			store_cookie(c, resp.headers[i].value);
	}
	web_response_clear(&resp);
	web_request_clear(&req);
}

void th_resp_clear(th_resp *r)
{
	json_decref(r->json);
	r->json = NULL;
}

void th_prime(th *t, th_client *c)
{
	th_resp r;

	th_send(t, c, "GET", "/api/session", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(sz, strlen(c->csrf), 64));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(r.json, "csrf")), c->csrf));
	th_resp_clear(&r);
}

void th_signup(th *t, th_client *c, const char *login, const char *password)
{
	char body[256];
	th_resp r;

	if (!c->csrf[0])
		th_prime(t, c);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, password);
	th_send(t, c, "POST", "/api/signup", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201), "signup %s: %d %s", login, r.status, th_error(&r));
	th_resp_clear(&r);
}

const char *th_error(const th_resp *r)
{
	const char *s = json_string_value(json_object_get(r->json, "error"));
	return s ? s : "";
}

const char *th_field(const th_resp *r)
{
	const char *s = json_string_value(json_object_get(r->json, "field"));
	return s ? s : "";
}

char *th_rsa_pub_pem(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *out;
	long n;

	cr_assert(k && b && PEM_write_bio_PUBKEY(b, k));
	n = BIO_get_mem_data(b, &mem);
	out = malloc((size_t)n + 1);
	memcpy(out, mem, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	EVP_PKEY_free(k);
	return out;
}
