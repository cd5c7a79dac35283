/* SPDX-License-Identifier: MIT */
/* Test harness for the web app: a temp state dir, a fake clock, a cookie jar and
 * requests built the way a browser on our own pages would send them. */
#ifndef WEB_TEST_HARNESS_H
#define WEB_TEST_HARNESS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "web/app.h"

#define TH_HOST "127.0.0.1:8080"
#define TH_ORIGIN "http://127.0.0.1:8080"

typedef struct th_client {
	char sid[80];
	char csrf[80];
	char addr[64];
} th_client;

typedef struct th {
	char dir[64];
	web_app *app;
	int64_t now;
	web_role role;
} th;

/* Creates a temp dir and an app of the given role; the clock starts at 1,000,000. */
void th_open(th *t, web_role role);
/* Frees the app and removes the dir. */
void th_close(th *t);

typedef struct th_resp {
	int status;
	json_t *json;       /* parsed body or NULL */
	char headers[2048]; /* "Name: value\n" lines */
} th_resp;

/* Sends a request. body may be NULL. ctype NULL = application/json. origin NULL = our
 * own origin; "" = no Origin header. csrf NULL = the client's token; "" = none.
 * Cookies of c are sent, Set-Cookie answers stored back into c. */
void th_send(th *t, th_client *c, const char *method, const char *path, const char *ctype, const char *body,
             const char *origin, const char *csrf, th_resp *out);
void th_resp_clear(th_resp *r);
/* GET /api/session to obtain a CSRF cookie and token. */
void th_prime(th *t, th_client *c);
/* Signs up (server role) and asserts 201. */
void th_signup(th *t, th_client *c, const char *login, const char *password);
/* The "error"/"field" strings of an error answer ("" if absent). */
const char *th_error(const th_resp *r);
const char *th_field(const th_resp *r);
/* A PEM public key of an RSA key of the given size (static buffer per call site: caller frees). */
char *th_rsa_pub_pem(unsigned bits);

#endif
