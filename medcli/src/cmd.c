/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/cmd.c - the command line: init, keygen, server set, peer add|list|del,
 * run, up, down, status (see usage()). Configuration lives in DIR/medcli.db (the
 * web manager writes the same tables); the running daemon is reached through
 * DIR/medcli.ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "db/db.h"
#include "ike/crypto_key.h"
#include "ike/engine.h"
#include "ikeio/ctl.h"
#include "medcli/medcli.h"
#include "web/app.h"

#define CTL_TIMEOUT_MS 3000
#define MC_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: medcli init [--dir DIR]                      (env MEDCLI_PASSWORD or --password-file "
	    "FILE)\n"
	    "       medcli keygen [--dir DIR] [--import FILE] [--force]\n"
	    "       medcli server set [--dir DIR] --address IP[:PORT] (--pubkey FILE | --keyid HEX) [--port "
	    "N]\n"
	    "       medcli peer add [--dir DIR] --alias NAME (--pubkey FILE | --keyid HEX) --local-ts CIDR "
	    "--remote-ts CIDR [--start manual|always|on-demand]\n"
	    "       medcli peer list [--dir DIR] [--json]\n"
	    "       medcli peer del [--dir DIR] NAME\n"
	    "       medcli run [--dir DIR] [--port N] [--natt-port N] [--log-level LVL] [--ifname NAME] "
	    "[--dataplane tun|xfrm] [--dpd S] [--server-dpd S] [--up-timeout S]\n"
	    "       medcli up [--dir DIR] [--timeout S] NAME\n"
	    "       medcli down [--dir DIR] NAME\n"
	    "       medcli status [--dir DIR] [--json]\n"
	    "       medcli web [--dir DIR] [--fcgi] [--listen ADDR] [--port N] [other medweb options]\n"
	    "Every subcommand takes --dir DIR (default " MC_DEFAULT_DIR ").\n");
}

/* ---- a small option parser: --name value / --flag, and positionals ---- */

typedef struct opt {
	const char *name;
	bool has_value;
	const char *value; /* flag: "1" when given */
} opt;

#define POS_MAX 4

typedef struct args {
	opt *opts;
	size_t n;
	const char *pos[POS_MAX];
	size_t npos;
} args;

static int parse(args *a, int argc, char **argv, int start, const char *cmd)
{
	for (int i = start; i < argc; i++) {
		const char *s = argv[i];
		bool found = false;

		if (strncmp(s, "--", 2) != 0 || s[2] == '\0') {
			if (a->npos == POS_MAX) {
				fprintf(stderr, "medcli %s: too many arguments\n", cmd);
				return -1;
			}
			a->pos[a->npos++] = s;
			continue;
		}
		for (size_t k = 0; k < a->n; k++) {
			if (strcmp(s + 2, a->opts[k].name) != 0)
				continue;
			found = true;
			if (!a->opts[k].has_value) {
				a->opts[k].value = "1";
			} else if (i + 1 >= argc) {
				fprintf(stderr, "medcli %s: %s needs a value\n", cmd, s);
				return -1;
			} else {
				a->opts[k].value = argv[++i];
			}
		}
		if (!found) {
			fprintf(stderr, "medcli %s: unknown option %s (see medcli --help)\n", cmd, s);
			return -1;
		}
	}
	return 0;
}

static const char *get(const args *a, const char *name)
{
	for (size_t k = 0; k < a->n; k++)
		if (strcmp(a->opts[k].name, name) == 0)
			return a->opts[k].value;
	return NULL;
}

static const char *dir_of(const args *a)
{
	const char *d = get(a, "dir");
	return d ? d : MC_DEFAULT_DIR;
}

static int path_in(char *out, size_t cap, const char *dir, const char *file)
{
	int n = snprintf(out, cap, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "medcli: the directory name is too long\n");
		return -1;
	}
	return 0;
}

static int open_db(const char *dir, bool must_exist, db **out)
{
	char path[4096], err[256] = "";
	db_opts o = {.must_exist = must_exist};
	int rc;

	if (path_in(path, sizeof path, dir, "medcli.db"))
		return -1;
	rc = db_open(out, path, DB_KIND_CLIENT, &o, err, sizeof err);
	if (rc == IKE_ERR_NOT_FOUND) {
		fprintf(stderr, "medcli: %s does not exist: run 'medcli init --dir %s' first\n", path, dir);
		return -1;
	}
	if (rc != IKE_OK) {
		fprintf(stderr, "medcli: cannot open %s: %s\n", path, err[0] ? err : ike_strerror(rc));
		return -1;
	}
	return 0;
}

/* ---- init ---- */

static int read_password(const args *a, char *pw, size_t cap, bool *generated)
{
	const char *env = getenv("MEDCLI_PASSWORD"), *file = get(a, "password-file");

	*generated = false;
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f || !fgets(pw, (int)cap, f)) {
			fprintf(stderr, "medcli init: cannot read %s: %s\n", file,
			        f ? "empty" : strerror(errno));
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		pw[strcspn(pw, "\r\n")] = '\0';
		return 0;
	}
	if (env && env[0]) {
		snprintf(pw, cap, "%s", env);
		return 0;
	}
	/* No password given: make one (16 random letters and digits) and print it once. */
	{
		static const char set[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
		unsigned char r[16];
		if (cap < sizeof r + 1 || RAND_bytes(r, sizeof r) != 1)
			return -1;
		for (size_t i = 0; i < sizeof r; i++)
			pw[i] = set[r[i] % (sizeof set - 1)];
		pw[sizeof r] = '\0';
		*generated = true;
	}
	return 0;
}

static int cmd_init(const args *a)
{
	const char *dir = dir_of(a);
	char pw[256];
	bool generated;
	db *d;
	int rc;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "medcli init: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (open_db(dir, false, &d))
		return 1;
	db_close(d);
	if (read_password(a, pw, sizeof pw, &generated))
		return 1;
	rc = web_client_set_password(dir, pw, 10);
	if (rc != IKE_OK) {
		fprintf(stderr, "medcli init: the manager password was not set: %s\n",
		        rc == IKE_ERR_INVAL ? "it must have at least 10 characters" : ike_strerror(rc));
		return 1;
	}
	printf("initialized %s\n", dir);
	if (generated)
		printf("web manager password: %s\n", pw);
	OPENSSL_cleanse(pw, sizeof pw);
	return 0;
}

/* Why a file could not be written into dir (errno as the write left it). */
static const char *write_error(int rc, int err, const char *dir, char *buf, size_t cap)
{
	if (rc != IKE_ERR_IO)
		return ike_strerror(rc);
	if (err == EROFS || err == EACCES || err == EPERM) {
		snprintf(buf, cap, "directory %s is read-only%s", dir,
		         err == EROFS ? " (a read-only file system)" : " for this user");
		return buf;
	}
	if (err == ENOENT) {
		snprintf(buf, cap, "directory %s does not exist (run 'medcli init --dir %s' first)", dir,
		         dir);
		return buf;
	}
	return strerror(err);
}

/* ---- keygen ---- */

static int print_key(const ike_key *key)
{
	uint8_t keyid[IKE_KEYID_LEN];
	char hex[IKE_KEYID_HEX_LEN + 1], pem[8192];
	size_t len;

	if (ike_key_keyid(key, IKE_KEYID_SPK, keyid) != IKE_OK ||
	    ike_key_public_pem(key, pem, sizeof pem, &len) != IKE_OK)
		return -1;
	fputs(pem, stdout);
	printf("%s\n", ike_keyid_format(keyid, hex));
	return 0;
}

static int cmd_keygen(const args *a)
{
	const char *dir = dir_of(a), *import = get(a, "import"), *failed;
	char kpath[4096], ppath[4096], ktmp[4100], ptmp[4100];
	ike_key *key = NULL;
	int rc;

	if (path_in(kpath, sizeof kpath, dir, "medcli.key") ||
	    path_in(ppath, sizeof ppath, dir, "medcli.pub"))
		return 1;
	if (access(kpath, F_OK) == 0 && !get(a, "force")) {
		fprintf(stderr,
		        "medcli keygen: %s exists; --force replaces it (peers must then be given the new "
		        "public key)\n",
		        kpath);
		return 1;
	}
	if (import) {
		char why[IKE_KEY_WHY_MAX];
		rc = ike_key_load_file(&key, NULL, import);
		if (rc != IKE_OK) {
			fprintf(stderr, "medcli keygen: %s: %s\n", import,
			        ike_key_load_error(rc, errno, "not a PEM or DER RSA private key"));
			return 1;
		}
		if (!ike_key_is_private(key)) {
			fprintf(stderr,
			        "medcli keygen: %s holds a public key; --import needs the private key\n",
			        import);
			ike_key_free(key);
			return 1;
		}
		if (ike_key_check_public(key, why, sizeof why) != IKE_OK) {
			fprintf(stderr, "medcli keygen: %s: refused: %s\n", import, why);
			ike_key_free(key);
			return 1;
		}
	} else {
		rc = ike_key_generate(&key, NULL, 2048);
	}
	if (rc != IKE_OK) {
		fprintf(stderr, "medcli keygen: key generation: %s\n", ike_strerror(rc));
		return 1;
	}
	/* Both files are written as *.new and renamed over the old ones (--force, or a
	 * medcli.pub left without its key): the key files never refuse to be replaced. */
	snprintf(ktmp, sizeof ktmp, "%s.new", kpath);
	snprintf(ptmp, sizeof ptmp, "%s.new", ppath);
	unlink(ktmp);
	unlink(ptmp);
	failed = kpath;
	rc = ike_key_write_private_file(key, NULL, ktmp);
	if (rc == IKE_OK) {
		failed = ppath;
		rc = ike_key_write_public_file(key, ptmp);
	}
	if (rc == IKE_OK && (rename(ktmp, kpath) != 0 || rename(ptmp, ppath) != 0))
		rc = IKE_ERR_IO;
	if (rc != IKE_OK) {
		char buf[4200];
		int err = errno;
		unlink(ktmp);
		unlink(ptmp);
		fprintf(stderr, "medcli keygen: cannot write %s: %s\n", failed,
		        write_error(rc, err, dir, buf, sizeof buf));
		ike_key_free(key);
		return 1;
	}
	rc = print_key(key);
	ike_key_free(key);
	return rc ? 1 : 0;
}

/* ---- server set / peer add: identities from a key file or a KEY_ID ---- */

/* Reads --pubkey FILE (RSA public key, PEM or DER, or a private key: its public
 * half) or --keyid HEX. Fills keyid and, from a file, the DER SPKI. */
static int read_identity(const args *a, const char *cmd, uint8_t keyid[IKE_KEYID_LEN], uint8_t *der,
                         size_t cap, size_t *der_len)
{
	const char *file = get(a, "pubkey"), *hex = get(a, "keyid");
	char why[IKE_KEY_WHY_MAX];
	ike_key *key = NULL;
	int rc;

	*der_len = 0;
	if (!!file == !!hex) {
		fprintf(stderr, "medcli %s: give exactly one of --pubkey FILE and --keyid HEX\n", cmd);
		return -1;
	}
	if (hex) {
		if (ike_keyid_parse(hex, keyid) != IKE_OK) {
			fprintf(stderr, "medcli %s: --keyid must be 40 hex digits (colons allowed)\n", cmd);
			return -1;
		}
		return 0;
	}
	rc = ike_key_load_file(&key, NULL, file);
	if (rc != IKE_OK) {
		fprintf(stderr, "medcli %s: %s: %s\n", cmd, file,
		        ike_key_load_error(rc, errno, "not a PEM or DER RSA key"));
		return -1;
	}
	if (ike_key_check_public(key, why, sizeof why) != IKE_OK) {
		fprintf(stderr, "medcli %s: %s: refused: %s\n", cmd, file, why);
		ike_key_free(key);
		return -1;
	}
	rc = ike_key_keyid(key, IKE_KEYID_SPK, keyid);
	if (rc == IKE_OK)
		rc = ike_key_public_der(key, IKE_KEY_PUB_SPKI, der, cap, der_len);
	ike_key_free(key);
	if (rc != IKE_OK) {
		fprintf(stderr, "medcli %s: %s: %s\n", cmd, file, ike_strerror(rc));
		return -1;
	}
	return 0;
}

static int cmd_server_set(const args *a)
{
	const char *addr = get(a, "address"), *port = get(a, "port");
	db_medserver *s = calloc(1, sizeof *s);
	ike_addr ip;
	char host[DB_ADDRESS_MAX + 1];
	unsigned long p = 500;
	char *colon;
	db *d;
	int rc = 1;

	if (!s)
		return 1;
	if (!addr) {
		fprintf(stderr, "medcli server set: --address IP[:PORT] is required\n");
		goto out;
	}
	snprintf(host, sizeof host, "%s", addr);
	colon = strchr(host, ':');
	if (colon && !strchr(colon + 1, ':')) { /* IPv4:PORT (an IPv6 address has several colons) */
		*colon = '\0';
		port = colon + 1;
	}
	if (port) {
		char *end;
		p = strtoul(port, &end, 10);
		if (*end || p == 0 || p > 65535) {
			fprintf(stderr, "medcli server set: bad port %s\n", port);
			goto out;
		}
	}
	if (ike_addr_parse(&ip, host, (uint16_t)p) != IKE_OK) {
		fprintf(stderr, "medcli server set: %s is not an IP address\n", host);
		goto out;
	}
	if (read_identity(a, "server set", s->keyid, s->pubkey, sizeof s->pubkey, &s->pubkey_len))
		goto out;
	s->has_keyid = true;
	snprintf(s->address, sizeof s->address, "%s", host);
	s->port = (uint16_t)p;
	if (open_db(dir_of(a), true, &d))
		goto out;
	if ((rc = db_medserver_set(d, s, time(NULL))) != IKE_OK)
		fprintf(stderr, "medcli server set: %s\n", db_errmsg(d));
	db_close(d);
	rc = rc == IKE_OK ? 0 : 1;
out:
	free(s);
	return rc;
}

/* ---- peers ---- */

static int check_cidr(const char *cmd, const char *what, const char *text)
{
	ike_tsel ts;

	if (!text) {
		fprintf(stderr, "medcli %s: --%s CIDR is required\n", cmd, what);
		return -1;
	}
	if (strlen(text) > DB_CIDR_MAX || ike_tsel_parse(&ts, text) != IKE_OK) {
		fprintf(stderr, "medcli %s: --%s %s is not an address prefix such as 10.91.0.1/32\n", cmd,
		        what, text);
		return -1;
	}
	return 0;
}

/* Both selectors of a tunnel must be of one family: an IPv4 network cannot be
 * routed to an IPv6 one through one child SA. (Call after check_cidr.) */
static int check_ts_family(const char *cmd, const char *lts, const char *rts)
{
	ike_tsel l, r;

	if (ike_tsel_parse(&l, lts) != IKE_OK || ike_tsel_parse(&r, rts) != IKE_OK)
		return -1;
	if (l.family != r.family) {
		fprintf(stderr,
		        "medcli %s: --local-ts %s is %s but --remote-ts %s is %s: both must be IPv4 or both "
		        "IPv6\n",
		        cmd, lts, l.family == IKE_AF_INET ? "IPv4" : "IPv6", rts,
		        r.family == IKE_AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	return 0;
}

static int cmd_peer_add(const args *a)
{
	const char *alias = get(a, "alias"), *lts = get(a, "local-ts"), *rts = get(a, "remote-ts");
	const char *start = get(a, "start");
	db_cpeer *p = calloc(1, sizeof *p);
	db_field clash = DB_FIELD_NONE;
	db *d;
	int rc = 1;

	if (!p)
		return 1;
	if (!alias || !alias[0] || strlen(alias) > DB_ALIAS_MAX) {
		fprintf(stderr, "medcli peer add: --alias NAME (1..%d bytes) is required\n", DB_ALIAS_MAX);
		goto out;
	}
	if (check_cidr("peer add", "local-ts", lts) || check_cidr("peer add", "remote-ts", rts) ||
	    check_ts_family("peer add", lts, rts))
		goto out;
	p->start = DB_START_MANUAL;
	if (start && !db_start_parse(start, &p->start)) {
		fprintf(stderr,
		        "medcli peer add: --start manual|always|on-demand (always: the daemon keeps "
		        "the tunnel up from its start on; on-demand: traffic for --remote-ts brings it "
		        "up; manual: only 'medcli up')\n");
		goto out;
	}
	if (read_identity(a, "peer add", p->keyid, p->pubkey, sizeof p->pubkey, &p->pubkey_len))
		goto out;
	snprintf(p->alias, sizeof p->alias, "%s", alias);
	snprintf(p->local_ts, sizeof p->local_ts, "%s", lts);
	snprintf(p->remote_ts, sizeof p->remote_ts, "%s", rts);
	if (open_db(dir_of(a), true, &d))
		goto out;
	rc = db_cpeer_add(d, p, time(NULL), NULL, &clash);
	if (rc == IKE_ERR_EXISTS)
		fprintf(stderr, "medcli peer add: a peer with this %s exists already\n",
		        clash == DB_FIELD_ALIAS ? "alias" : "key");
	else if (rc != IKE_OK)
		fprintf(stderr, "medcli peer add: %s\n", db_errmsg(d));
	db_close(d);
	if (rc == IKE_OK) {
		char hex[IKE_KEYID_HEX_LEN + 1];
		printf("%s\n", ike_keyid_format(p->keyid, hex));
	}
	rc = rc == IKE_OK ? 0 : 1;
out:
	free(p);
	return rc;
}

static int cmd_peer_list(const args *a)
{
	db_cpeer *list = NULL;
	size_t n = 0;
	db *d;
	int rc;

	if (open_db(dir_of(a), true, &d))
		return 1;
	rc = db_cpeer_list(d, &list, &n);
	if (rc != IKE_OK) {
		fprintf(stderr, "medcli peer list: %s\n", db_errmsg(d));
		db_close(d);
		return 1;
	}
	if (get(a, "json")) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			char hex[IKE_KEYID_HEX_LEN + 1];
			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "alias", list[i].alias, "keyid",
			                   ike_keyid_format(list[i].keyid, hex), "local_ts", list[i].local_ts,
			                   "remote_ts", list[i].remote_ts, "pubkey", list[i].pubkey_len > 0,
			                   "start", db_start_name(list[i].start)));
		}
		json_dumpf(arr, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(arr);
	} else {
		for (size_t i = 0; i < n; i++) {
			char hex[IKE_KEYID_HEX_LEN + 1];
			printf("%-16s %s  %s <-> %s%s%s%s\n", list[i].alias,
			       ike_keyid_format(list[i].keyid, hex), list[i].local_ts, list[i].remote_ts,
			       list[i].start != DB_START_MANUAL ? "  start " : "",
			       list[i].start != DB_START_MANUAL ? db_start_name(list[i].start) : "",
			       list[i].pubkey_len ? "" : "  (no public key)");
		}
	}
	db_free(list);
	db_close(d);
	return 0;
}

static int cmd_peer_del(const args *a)
{
	const char *alias = a->npos ? a->pos[0] : get(a, "alias");
	db *d;
	int rc;

	if (!alias) {
		fprintf(stderr, "medcli peer del: which peer? (medcli peer del NAME)\n");
		return 2;
	}
	if (open_db(dir_of(a), true, &d))
		return 1;
	rc = db_cpeer_delete(d, alias);
	if (rc == IKE_ERR_NOT_FOUND)
		fprintf(stderr, "medcli peer del: no peer named %s\n", alias);
	else if (rc != IKE_OK)
		fprintf(stderr, "medcli peer del: %s\n", db_errmsg(d));
	db_close(d);
	return rc == IKE_OK ? 0 : 1;
}

/* ---- talking to the daemon ---- */

static int call(const char *dir, json_t *req, json_t **reply)
{
	char path[4096];
	int rc;

	if (path_in(path, sizeof path, dir, "medcli.ctl"))
		return IKE_ERR_INVAL;
	rc = ikeio_ctl_call(path, req, CTL_TIMEOUT_MS, reply);
	if (rc == IKE_ERR_NOT_FOUND)
		fprintf(stderr,
		        "medcli: the daemon is not running (no answer on %s): start 'medcli run --dir %s'\n",
		        path, dir);
	else if (rc != IKE_OK)
		fprintf(stderr, "medcli: the daemon did not answer on %s: %s\n", path, ike_strerror(rc));
	return rc;
}

static json_t *find_conn(json_t *status, const char *alias)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(status, "connections"), i, c)
	{
		if (json_is_string(json_object_get(c, "alias")) &&
		    strcmp(json_string_value(json_object_get(c, "alias")), alias) == 0)
			return c;
	}
	return NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* up: asks the daemon to connect, then follows the connection's state until it
 * is up (exit 0) or has failed (exit 1 with the daemon's reason). */
static int cmd_up(const args *a)
{
	const char *dir = dir_of(a), *alias = a->npos ? a->pos[0] : NULL, *t = get(a, "timeout");
	long long deadline = now_ms() + 1000LL * (t ? atoi(t) : 20);
	json_t *req, *reply = NULL;
	const char *err;
	long long start = now_ms();

	if (!alias) {
		fprintf(stderr, "medcli up: which peer? (medcli up NAME)\n");
		return 2;
	}
	req = json_pack("{s:s, s:s}", "cmd", "up", "peer", alias);
	if (call(dir, req, &reply) != IKE_OK) {
		json_decref(req);
		return 1;
	}
	json_decref(req);
	if ((err = json_string_value(json_object_get(reply, "error")))) {
		fprintf(stderr, "medcli up %s: %s\n", alias, err);
		json_decref(reply);
		return 1;
	}
	json_decref(reply);
	for (;;) {
		json_t *c;
		const char *state;

		req = json_pack("{s:s}", "cmd", "status");
		if (call(dir, req, &reply) != IKE_OK) {
			json_decref(req);
			return 1;
		}
		json_decref(req);
		c = find_conn(reply, alias);
		state = c ? json_string_value(json_object_get(c, "state")) : NULL;
		if (state && strcmp(state, "up") == 0) {
			const char *via = json_string_value(json_object_get(c, "path"));
			printf("%s: up via %s in %lld ms\n", alias, via ? via : "?", now_ms() - start);
			json_decref(reply);
			return 0;
		}
		if (state && strcmp(state, "down") == 0) {
			const char *why = json_string_value(json_object_get(c, "error"));
			fprintf(stderr, "medcli up %s: %s\n", alias, why ? why : "taken down");
			json_decref(reply);
			return 1;
		}
		if (state && (strcmp(state, "retrying") == 0 || strcmp(state, "waiting") == 0)) {
			/* The daemon keeps at it; this command reports the first setback. */
			const char *why = json_string_value(json_object_get(c, "error"));
			fprintf(stderr, "medcli up %s: %s (%s; 'medcli down %s' stops it)\n", alias,
			        why ? why : state,
			        strcmp(state, "waiting") == 0 ? "it comes up when the peer registers"
			                                      : "medcli keeps trying",
			        alias);
			json_decref(reply);
			return 1;
		}
		json_decref(reply);
		if (now_ms() > deadline) {
			fprintf(stderr, "medcli up %s: not up after %s s (state %s)\n", alias, t ? t : "20",
			        state ? state : "unknown");
			return 1;
		}
		usleep(5000);
	}
}

static int cmd_down(const args *a)
{
	const char *alias = a->npos ? a->pos[0] : NULL, *err;
	json_t *req, *reply = NULL;
	int rc;

	if (!alias) {
		fprintf(stderr, "medcli down: which peer? (medcli down NAME)\n");
		return 2;
	}
	req = json_pack("{s:s, s:s}", "cmd", "down", "peer", alias);
	rc = call(dir_of(a), req, &reply);
	json_decref(req);
	if (rc != IKE_OK)
		return 1;
	err = json_string_value(json_object_get(reply, "error"));
	if (err)
		fprintf(stderr, "medcli down %s: %s\n", alias, err);
	json_decref(reply);
	return err ? 1 : 0;
}

static int cmd_status(const args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *reply = NULL, *c;
	size_t i;
	int rc = call(dir_of(a), req, &reply);

	json_decref(req);
	if (rc != IKE_OK)
		return 1;
	if (get(a, "json")) {
		json_dumpf(reply, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(reply);
		return 0;
	}
	printf("registered: %s", json_is_true(json_object_get(reply, "registered")) ? "yes" : "no");
	if (json_string_value(json_object_get(reply, "endpoint")))
		printf(", public endpoint %s", json_string_value(json_object_get(reply, "endpoint")));
	if (json_string_value(json_object_get(reply, "server")))
		printf(", server %s", json_string_value(json_object_get(reply, "server")));
	putchar('\n');
	if ((c = json_object_get(reply, "turn")) != NULL) { /* the TURN relay medsrv handed us */
		time_t exp = (time_t)json_integer_value(json_object_get(c, "expires"));
		char when[40] = "?";
		struct tm tm;
		if (gmtime_r(&exp, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("turn: relay %s, user %s, expires %s\n",
		       json_string_value(json_object_get(c, "server")),
		       json_string_value(json_object_get(c, "user")), when);
		if (json_string_value(json_object_get(c, "relayed")))
			printf("      relayed candidate %s (the relay sees us at %s)\n",
			       json_string_value(json_object_get(c, "relayed")),
			       json_string_value(json_object_get(c, "mapped")));
		else
			printf("      no allocation: %s%s%s\n",
			       json_string_value(json_object_get(c, "state")),
			       json_string_value(json_object_get(c, "error")) ? ", " : "",
			       json_string_value(json_object_get(c, "error"))
			           ? json_string_value(json_object_get(c, "error"))
			           : "");
	}
	json_array_foreach(json_object_get(reply, "connections"), i, c)
	{
		printf("  %-16s %-10s %s <-> %s", json_string_value(json_object_get(c, "alias")),
		       json_string_value(json_object_get(c, "state")),
		       json_string_value(json_object_get(c, "local")),
		       json_string_value(json_object_get(c, "remote")));
		if (json_string_value(json_object_get(c, "path"))) {
			json_t *rtt = json_object_get(c, "rtt_ms");
			printf("\n    path %s", json_string_value(json_object_get(c, "path")));
			if (json_string_value(json_object_get(c, "relay")))
				printf(" via %s", json_string_value(json_object_get(c, "relay")));
			printf(" (%s, since %lld s", json_string_value(json_object_get(c, "pair")),
			       (long long)(json_integer_value(json_object_get(c, "path_since_ms")) / 1000));
			if (rtt)
				printf(", rtt %lld ms", (long long)json_integer_value(rtt));
			if (json_integer_value(json_object_get(c, "upgrades")))
				printf(", moved off the relay %lld times",
				       (long long)json_integer_value(json_object_get(c, "upgrades")));
			printf(")");
			if (json_string_value(json_object_get(c, "direct_error")))
				printf("\n    direct path: %s", json_string_value(json_object_get(c, "direct_error")));
			printf("\n   ");
		}
		printf("  in %lld B/%lld pkts, out %lld B/%lld pkts",
		       (long long)json_integer_value(json_object_get(c, "bytes_in")),
		       (long long)json_integer_value(json_object_get(c, "packets_in")),
		       (long long)json_integer_value(json_object_get(c, "bytes_out")),
		       (long long)json_integer_value(json_object_get(c, "packets_out")));
		if (json_string_value(json_object_get(c, "error")))
			printf("\n    last error: %s", json_string_value(json_object_get(c, "error")));
		putchar('\n');
	}
	json_decref(reply);
	return 0;
}

static int port_opt(const args *a, const char *name, uint16_t def, uint16_t *out)
{
	const char *v = get(a, name);
	char *end;
	unsigned long p;

	*out = def;
	if (!v)
		return 0;
	p = strtoul(v, &end, 10);
	if (*end || p == 0 || p > 65535) {
		fprintf(stderr, "medcli run: --%s must be 1..65535\n", name);
		return -1;
	}
	*out = (uint16_t)p;
	return 0;
}

/* A number of seconds, 1..3600. */
static int secs_opt(const args *a, const char *name, unsigned *out)
{
	const char *v = get(a, name);
	char *end;
	long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > 3600) {
		fprintf(stderr, "medcli run: --%s must be a number of seconds, 1..3600 (got '%s')\n", name,
		        v);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* A Linux interface name (the kernel's dev_valid_name): 1 to IFNAMSIZ - 1 bytes,
 * not "." or "..", no '/', ':' or white space. The kernel would cut a longer one. */
static int check_ifname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > MC_IFNAME_MAX) {
		fprintf(stderr,
		        "medcli run: --ifname %s: an interface name has 1 to %d characters (this has %zu)\n",
		        name, MC_IFNAME_MAX, len);
		return -1;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strpbrk(name, "/: \t\n\r\v\f")) {
		fprintf(stderr,
		        "medcli run: --ifname %s: an interface name cannot be . or .. nor contain '/', ':' "
		        "or spaces\n",
		        name);
		return -1;
	}
	return 0;
}

static int cmd_run(const args *a)
{
	mc_run_opts o = {.dir = dir_of(a),
	                 .log_level = IKE_LOG_INFO,
	                 .ifname = get(a, "ifname"),
	                 .dpd_s = 10,
	                 .server_dpd_s = 3,
	                 .up_timeout_s = 10};
	const char *lvl = get(a, "log-level"), *dp = get(a, "dataplane");

	if (port_opt(a, "port", 500, &o.port) || port_opt(a, "natt-port", 4500, &o.natt_port))
		return 2;
	if (lvl && ike_log_level_parse(lvl, &o.log_level) != IKE_OK) {
		fprintf(stderr, "medcli run: --log-level error|warn|info|debug|trace\n");
		return 2;
	}
	if (dp && strcmp(dp, "tun") != 0 && strcmp(dp, "xfrm") != 0) {
		fprintf(stderr, "medcli run: --dataplane tun|xfrm\n");
		return 2;
	}
	o.xfrm = dp && strcmp(dp, "xfrm") == 0;
	if (secs_opt(a, "dpd", &o.dpd_s) || secs_opt(a, "server-dpd", &o.server_dpd_s) ||
	    secs_opt(a, "up-timeout", &o.up_timeout_s))
		return 2;
	if (o.ifname && check_ifname(o.ifname))
		return 2;
	if (!o.ifname)
		o.ifname = MC_TUN_DEFAULT;
	return mc_run(&o);
}

int mc_main(int argc, char **argv)
{
	opt opts[] = {
	    {"dir", true, NULL},        {"import", true, NULL},        {"force", false, NULL},
	    {"address", true, NULL},    {"pubkey", true, NULL},        {"keyid", true, NULL},
	    {"port", true, NULL},       {"alias", true, NULL},         {"local-ts", true, NULL},
	    {"remote-ts", true, NULL},  {"json", false, NULL},         {"natt-port", true, NULL},
	    {"log-level", true, NULL},  {"ifname", true, NULL},        {"dataplane", true, NULL},
	    {"timeout", true, NULL},    {"password-file", true, NULL}, {"dpd", true, NULL},
	    {"up-timeout", true, NULL}, {"server-dpd", true, NULL},    {"start", true, NULL},
	};
	args a = {opts, sizeof opts / sizeof opts[0], {0}, 0};
	const char *cmd = argc > 1 ? argv[1] : NULL, *sub = argc > 2 ? argv[2] : "";
	bool two = cmd && (strcmp(cmd, "server") == 0 || strcmp(cmd, "peer") == 0);

	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (parse(&a, argc, argv, two ? 3 : 2, cmd))
		return 2;
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&a);
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen(&a);
	if (strcmp(cmd, "server") == 0 && strcmp(sub, "set") == 0)
		return cmd_server_set(&a);
	if (strcmp(cmd, "peer") == 0 && strcmp(sub, "add") == 0)
		return cmd_peer_add(&a);
	if (strcmp(cmd, "peer") == 0 && strcmp(sub, "list") == 0)
		return cmd_peer_list(&a);
	if (strcmp(cmd, "peer") == 0 && (strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0))
		return cmd_peer_del(&a);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&a);
	if (strcmp(cmd, "up") == 0)
		return cmd_up(&a);
	if (strcmp(cmd, "down") == 0)
		return cmd_down(&a);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&a);
	fprintf(stderr, "medcli: unknown command '%s%s%s' (see medcli --help)\n", cmd, two ? " " : "",
	        two ? sub : "");
	return 2;
}
