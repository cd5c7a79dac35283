/* SPDX-License-Identifier: MIT */
/* The client manager: local password, device key, server and peer validation, and the
 * control socket (absent, and a fake daemon answering one request). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "app_int.h"
#include "harness.h"

#define PW "device password"

static void login(th *t, th_client *c)
{
	th_resp r;

	th_prime(t, c);
	th_send(t, c, "POST", "/api/login", NULL, "{\"password\":\"" PW "\"}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200), "login: %d %s", r.status, th_error(&r));
	th_resp_clear(&r);
}

static void open_with_password(th *t)
{
	th_open(t, WEB_ROLE_CLIENT);
	cr_assert(eq(int, web_client_set_password(t->dir, PW, 10), IKE_OK));
}

Test(web_client, refuses_login_until_a_password_is_set)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_CLIENT);
	th_prime(&t, &c);
	th_send(&t, &c, "POST", "/api/login", NULL, "{\"password\":\"anything at all\"}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 409));
	cr_assert(not(eq(ptr, strstr(th_error(&r), "--init-password"), NULL)));
	th_resp_clear(&r);
	cr_assert(eq(int, web_client_set_password(t.dir, "short", 10), IKE_ERR_INVAL));
	th_close(&t);
}

Test(web_client, wrong_password_is_refused_and_throttled)
{
	th t;
	th_client c = {0};
	th_resp r;

	open_with_password(&t);
	th_prime(&t, &c);
	for (int i = 0; i < WEB_THROTTLE_FREE; i++) {
		th_send(&t, &c, "POST", "/api/login", NULL, "{\"password\":\"not the password\"}", NULL, NULL,
		        &r);
		cr_assert(eq(int, r.status, 401));
		cr_assert(eq(str, (char *)th_field(&r), "password"));
		th_resp_clear(&r);
	}
	th_send(&t, &c, "POST", "/api/login", NULL, "{\"password\":\"" PW "\"}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 429));
	th_resp_clear(&r);
	t.now += 1;
	th_send(&t, &c, "POST", "/api/login", NULL, "{\"password\":\"" PW "\"}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_client, needs_login_for_the_key)
{
	th t;
	th_client c = {0};
	th_resp r;

	open_with_password(&t);
	th_send(&t, &c, "GET", "/api/key", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 401));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_client, generates_key_0600_and_replaces_only_when_confirmed)
{
	th t;
	th_client c = {0};
	th_resp r;
	char path[128], first[41];
	struct stat st;

	open_with_password(&t);
	login(&t, &c);
	th_send(&t, &c, "GET", "/api/key", NULL, NULL, NULL, NULL, &r);
	bool no_key = json_is_null(json_object_get(r.json, "key"));
	cr_assert(no_key);
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/key", NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201));
	json_t *k = json_object_get(r.json, "key");
	snprintf(first, sizeof first, "%s", json_string_value(json_object_get(k, "keyid")));
	cr_assert(eq(sz, strlen(first), 40));
	cr_assert(eq(ptr, strstr(json_string_value(json_object_get(k, "pem")), "PRIVATE"), NULL));
	th_resp_clear(&r);
	snprintf(path, sizeof path, "%s/medcli.key", t.dir);
	cr_assert(eq(int, stat(path, &st), 0));
	cr_assert(eq(int, (int)(st.st_mode & 0777), 0600));
	th_send(&t, &c, "POST", "/api/key", NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 409), "replacing needs confirmation");
	cr_assert(eq(str, (char *)th_field(&r), "confirm"));
	th_resp_clear(&r);
	th_send(&t, &c, "GET", "/api/key", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(str, (char *)json_string_value(json_object_get(json_object_get(r.json, "key"), "keyid")),
	             first));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/key", NULL, "{\"confirm\":\"replace\"}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201));
	cr_assert(
	    not(eq(str, (char *)json_string_value(json_object_get(json_object_get(r.json, "key"), "keyid")),
	           first)));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_client, validates_server_and_peer_fields)
{
	th t;
	th_client c = {0};
	th_resp r;
	const char *kid = "e4:a4:5a:b0:c3:fa:5c:f3:eb:28:cb:be:c9:55:b0:31:d8:f3:ab:9b";
	char body[512];

	open_with_password(&t);
	login(&t, &c);
	th_send(&t, &c, "PUT", "/api/server", NULL, "{\"address\":\"bad host!\",\"identity\":\"x\"}", NULL,
	        NULL, &r);
	cr_assert(eq(str, (char *)th_field(&r), "address"));
	th_resp_clear(&r);
	th_send(&t, &c, "PUT", "/api/server", NULL,
	        "{\"address\":\"198.51.100.7\",\"port\":\"70000\",\"identity\":\"x\"}", NULL, NULL, &r);
	cr_assert(eq(str, (char *)th_field(&r), "port"));
	th_resp_clear(&r);
	th_send(&t, &c, "PUT", "/api/server", NULL, "{\"address\":\"198.51.100.7\",\"identity\":\"abc\"}",
	        NULL, NULL, &r);
	cr_assert(eq(str, (char *)th_field(&r), "identity"));
	th_resp_clear(&r);
	snprintf(body, sizeof body, "{\"address\":\"198.51.100.7\",\"identity\":\"%s\"}", kid);
	th_send(&t, &c, "PUT", "/api/server", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200), "%s", th_error(&r));
	json_t *s = json_object_get(r.json, "server");
	cr_assert(eq(str, (char *)json_string_value(json_object_get(s, "keyid_pretty")), (char *)kid));
	cr_assert(eq(int, (int)json_integer_value(json_object_get(s, "port")), 500));
	th_resp_clear(&r);

	const char *bad[][3] = {
	    {"10.9.0.1/33", "10.9.0.2/32", "local_ts"},        {"10.9.0.1", "10.9.0.2/32", "local_ts"},
	    {"10.9.0.1/32", "10.9.0.256/32", "remote_ts"},     {"10.9.0.1/32", "fe80::1/129", "remote_ts"},
	    {"10.9.0.1/32", "2001:db8::/48", "remote_ts"}, /* two families */
	    {"2001:db8:1::1/128", "10.9.0.0/24", "remote_ts"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(body, sizeof body,
		         "{\"alias\":\"office\",\"peer\":\"%s\",\"local_ts\":\"%s\",\"remote_ts\":\"%s\"}",
		         kid, bad[i][0], bad[i][1]);
		th_send(&t, &c, "POST", "/api/peers", NULL, body, NULL, NULL, &r);
		cr_assert(eq(int, r.status, 400), "case %zu", i);
		cr_assert(eq(str, (char *)th_field(&r), (char *)bad[i][2]), "case %zu", i);
		th_resp_clear(&r);
	}
	snprintf(body, sizeof body,
	         "{\"alias\":\"office\",\"peer\":\"%s\",\"local_ts\":\"2001:db8:1::1/"
	         "128\",\"remote_ts\":\"2001:db8::/48\"}",
	         kid);
	th_send(&t, &c, "POST", "/api/peers", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201), "%s", th_error(&r));
	cr_assert(eq(str,
	             (char *)json_string_value(json_object_get(json_object_get(r.json, "peer"), "start")),
	             "manual"));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/peers", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 409));
	th_resp_clear(&r);
	/* the start action: a known one is kept, another refused next to its field */
	snprintf(body, sizeof body,
	         "{\"alias\":\"home\",\"peer\":\"%s\",\"local_ts\":\"10.9.0.1/32\",\"remote_ts\":"
	         "\"10.9.1.0/24\",\"start\":\"sometimes\"}",
	         "00112233445566778899aabbccddeeff00112233");
	th_send(&t, &c, "POST", "/api/peers", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 400));
	cr_assert(eq(str, (char *)th_field(&r), "start"));
	th_resp_clear(&r);
	snprintf(body, sizeof body,
	         "{\"alias\":\"home\",\"peer\":\"%s\",\"local_ts\":\"10.9.0.1/32\",\"remote_ts\":"
	         "\"10.9.1.0/24\",\"start\":\"on-demand\"}",
	         "00112233445566778899aabbccddeeff00112233");
	th_send(&t, &c, "POST", "/api/peers", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201), "%s", th_error(&r));
	cr_assert(eq(str,
	             (char *)json_string_value(json_object_get(json_object_get(r.json, "peer"), "start")),
	             "on-demand"));
	th_resp_clear(&r);
	th_send(&t, &c, "GET", "/api/peers", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(sz, json_array_size(json_object_get(r.json, "peers")), 2));
	th_resp_clear(&r);
	th_close(&t);
}

/* A fake daemon: accepts one connection, reads one line, answers `answer`. */
struct fake_ctl {
	char path[108];
	const char *answer;
	char got[512];
	int fd;
};

static void *serve_once(void *arg)
{
	struct fake_ctl *f = arg;
	int c = accept(f->fd, NULL, NULL);
	size_t n = 0;

	if (c < 0)
		return NULL;
	while (n < sizeof f->got - 1) {
		ssize_t r = read(c, f->got + n, 1);
		if (r <= 0 || f->got[n] == '\n')
			break;
		n++;
	}
	f->got[n] = '\0';
	if (write(c, f->answer, strlen(f->answer)) < 0)
		f->got[0] = '\0';
	close(c);
	return NULL;
}

static void fake_start(struct fake_ctl *f, const char *dir, const char *name, pthread_t *thr)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", f->path);
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert(eq(int, bind(f->fd, (struct sockaddr *)&sun, sizeof sun), 0));
	cr_assert(eq(int, listen(f->fd, 1), 0));
	cr_assert(eq(int, pthread_create(thr, NULL, serve_once, f), 0));
}

Test(web_client, up_reports_daemon_not_running_then_asks_the_daemon)
{
	th t;
	th_client c = {0};
	th_resp r;
	struct fake_ctl f = {.answer = "{\"ok\":true}\n"};
	pthread_t thr;
	char path[64];

	open_with_password(&t);
	login(&t, &c);
	th_send(&t, &c, "POST", "/api/peers", NULL,
	        "{\"alias\":\"office\",\"peer\":\"e4a45ab0c3fa5cf3eb28cbbec955b031d8f3ab9b\",\"local_ts\":"
	        "\"10.9.0.1/32\","
	        "\"remote_ts\":\"10.9.0.2/32\"}",
	        NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201));
	snprintf(path, sizeof path, "/api/peers/%lld/up",
	         (long long)json_integer_value(json_object_get(json_object_get(r.json, "peer"), "id")));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", path, NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 503));
	cr_assert(not(eq(ptr, strstr(th_error(&r), "not running"), NULL)));
	th_resp_clear(&r);
	th_send(&t, &c, "GET", "/api/status", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(str, (char *)json_string_value(json_object_get(r.json, "daemon")), "not running"));
	th_resp_clear(&r);
	fake_start(&f, t.dir, "medcli.ctl", &thr);
	th_send(&t, &c, "POST", path, NULL, "{}", NULL, NULL, &r);
	pthread_join(thr, NULL);
	close(f.fd);
	cr_assert(eq(int, r.status, 200), "%d %s", r.status, th_error(&r));
	cr_assert(eq(str, f.got, "{\"cmd\":\"up\",\"peer\":\"office\"}"));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, shows_own_peer_online_from_the_control_socket)
{
	th t;
	th_client c = {0};
	th_resp r;
	char *pem = th_rsa_pub_pem(2048), *body, answer[512];
	struct fake_ctl f;
	pthread_t thr;
	json_t *o;

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &c, "alice", "alice password");
	o = json_pack("{s:s, s:s}", "alias", "box", "pubkey", pem);
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	th_send(&t, &c, "POST", "/api/peers", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201));
	const char *kid = json_string_value(json_object_get(json_object_get(r.json, "peer"), "keyid_pretty"));
	snprintf(answer, sizeof answer,
	         "{\"peers\":[{\"keyid\":\"%s\",\"alias\":\"x\",\"online\":true,\"endpoint\":\"198.51.100.20:"
	         "4500\","
	         "\"since\":1700000000},{\"keyid\":\"0000000000000000000000000000000000000000\",\"online\":"
	         "true}]}\n",
	         kid);
	th_resp_clear(&r);
	f.answer = answer;
	fake_start(&f, t.dir, "medsrv.ctl", &thr);
	th_send(&t, &c, "GET", "/api/peers", NULL, NULL, NULL, NULL, &r);
	pthread_join(thr, NULL);
	close(f.fd);
	cr_assert(eq(str, f.got, "{\"cmd\":\"status\"}"));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(r.json, "server")), "running"));
	json_t *peers = json_object_get(r.json, "peers");
	cr_assert(eq(sz, json_array_size(peers), 1), "only the user's own peers");
	json_t *on = json_object_get(json_array_get(peers, 0), "online");
	cr_assert(eq(str, (char *)json_string_value(json_object_get(on, "endpoint")), "198.51.100.20:4500"));
	cr_assert(eq(i64, json_integer_value(json_object_get(on, "since")), 1700000000));
	th_resp_clear(&r);
	free(body);
	free(pem);
	th_close(&t);
}

Test(web_client, status_says_not_answering_when_the_daemon_talks_nonsense)
{
	th t;
	th_client c = {0};
	th_resp r;
	struct fake_ctl f = {.answer = "this is not json\n"};
	pthread_t thr;

	open_with_password(&t);
	login(&t, &c);
	fake_start(&f, t.dir, "medcli.ctl", &thr);
	th_send(&t, &c, "GET", "/api/status", NULL, NULL, NULL, NULL, &r);
	pthread_join(thr, NULL);
	close(f.fd);
	cr_assert(eq(int, r.status, 200));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(r.json, "daemon")), "not answering"));
	th_resp_clear(&r);
	th_close(&t);
}
