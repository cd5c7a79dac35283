/* SPDX-License-Identifier: MIT */
/* The subcommands: init, peer add|list|del, run, status. See medsrv/cmd.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "db/db.h"
#include "ike/crypto_key.h"
#include "ikeio/ctl.h"
#include "medsrv/cmd.h"
#include "medsrv/server.h"
#include "medsrv/status.h"

typedef struct opts {
	const char *dir, *alias, *pubkey, *keyid, *ctl;
	const char *turn_uri, *turn_secret_file;
	bool json;
	ms_run_opts run;
	ms_turn_config turn; /* run.turn points here with --turn */
} opts;

void ms_usage(void)
{
	fputs("usage: medsrv init [--dir DIR]\n"
	      "       medsrv peer add [--dir DIR] --alias NAME --pubkey FILE   (PEM or DER RSA public key)\n"
	      "       medsrv peer list [--dir DIR] [--json]\n"
	      "       medsrv peer del [--dir DIR] (--alias NAME | --keyid HEX)\n"
	      "       medsrv run [--dir DIR] [--listen ADDR]... [--port N] [--natt-port N]\n"
	      "                  [--log-level error|warn|info|debug|trace] [--workers N] [--dpd SECONDS] "
	      "[--ctl PATH]\n"
	      "                  [--turn turn:IP:PORT --turn-secret-file FILE [--turn-ttl SECONDS]]\n"
	      "       medsrv status [--dir DIR] [--json] [--ctl PATH]\n"
	      "       medsrv web [--dir DIR] [--fcgi] [--listen ADDR] [--port N] [other medweb options]\n"
	      "DIR defaults to " MS_DEFAULT_DIR ".\n",
	      stderr);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* Parses the options after the subcommand words. Returns false after printing why. */
static bool parse_opts(int argc, char **argv, int first, opts *o)
{
	memset(o, 0, sizeof *o);
	o->dir = MS_DEFAULT_DIR;
	o->run.port = 500;
	o->run.natt_port = 4500;
	o->run.log_level = IKE_LOG_INFO;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long n;
		bool takes = true;

		if (strcmp(a, "--json") == 0) {
			o->json = true;
			takes = false;
		} else if (!v) {
			fprintf(stderr, "medsrv: %s needs a value (or is unknown)\n", a);
			return false;
		} else if (strcmp(a, "--dir") == 0) {
			o->dir = v;
		} else if (strcmp(a, "--alias") == 0) {
			o->alias = v;
		} else if (strcmp(a, "--pubkey") == 0) {
			o->pubkey = v;
		} else if (strcmp(a, "--keyid") == 0) {
			o->keyid = v;
		} else if (strcmp(a, "--ctl") == 0) {
			o->ctl = v;
		} else if (strcmp(a, "--listen") == 0) {
			if (o->run.nlisten >= MS_LISTEN_MAX) {
				fprintf(stderr, "medsrv: at most %d --listen addresses\n", MS_LISTEN_MAX);
				return false;
			}
			o->run.listen[o->run.nlisten++] = v;
		} else if (strcmp(a, "--port") == 0 || strcmp(a, "--natt-port") == 0) {
			if (!parse_uint(v, 65535, &n) || n == 0) {
				fprintf(stderr, "medsrv: %s %s: not a port number\n", a, v);
				return false;
			}
			if (a[2] == 'p')
				o->run.port = (uint16_t)n;
			else
				o->run.natt_port = (uint16_t)n;
		} else if (strcmp(a, "--workers") == 0) {
			if (!parse_uint(v, MS_WORKERS_MAX, &n)) {
				fprintf(stderr, "medsrv: --workers %s: 0 (one per CPU) .. %d\n", v,
				        MS_WORKERS_MAX);
				return false;
			}
			o->run.workers = (unsigned)n;
		} else if (strcmp(a, "--dpd") == 0) {
			if (!parse_uint(v, 86400, &n) || n == 0) {
				fprintf(stderr, "medsrv: --dpd %s: seconds, 1 .. 86400\n", v);
				return false;
			}
			o->run.dpd_s = (unsigned)n;
		} else if (strcmp(a, "--turn") == 0) {
			char why[256];
			if (ms_turn_parse_uri(v, &o->turn.server, why, sizeof why) != IKE_OK) {
				fprintf(stderr, "medsrv: --turn %s: %s\n", v, why);
				return false;
			}
			o->turn_uri = v;
		} else if (strcmp(a, "--turn-secret-file") == 0) {
			o->turn_secret_file = v;
		} else if (strcmp(a, "--turn-ttl") == 0) {
			if (!parse_uint(v, MS_TURN_TTL_MAX, &n) || n < MS_TURN_TTL_MIN) {
				fprintf(stderr, "medsrv: --turn-ttl %s: seconds, %d .. %d\n", v,
				        MS_TURN_TTL_MIN, MS_TURN_TTL_MAX);
				return false;
			}
			o->turn.ttl_s = (unsigned)n;
		} else if (strcmp(a, "--log-level") == 0) {
			if (ike_log_level_parse(v, &o->run.log_level) != IKE_OK) {
				fprintf(stderr, "medsrv: --log-level %s: error, warn, info, debug or trace\n",
				        v);
				return false;
			}
		} else {
			fprintf(stderr, "medsrv: unknown option %s\n", a);
			return false;
		}
		if (takes)
			i++;
	}
	if (o->run.port == o->run.natt_port) {
		fprintf(stderr, "medsrv: --port and --natt-port must differ\n");
		return false;
	}
	if (!o->turn_uri != !o->turn_secret_file) {
		fprintf(stderr, "medsrv: --turn and --turn-secret-file go together (the relay and coturn's "
		                "static-auth-secret)\n");
		return false;
	}
	if (o->turn.ttl_s && !o->turn_uri) {
		fprintf(stderr, "medsrv: --turn-ttl needs --turn and --turn-secret-file\n");
		return false;
	}
	o->run.dir = o->dir;
	o->run.ctl = o->ctl;
	return true;
}

static uint64_t unix_now(void *user)
{
	(void)user;
	return (uint64_t)time(NULL);
}

/* --turn-secret-file: the secret is read before the daemon starts (--turn and
 * --turn-ttl were checked with the options). Returns false after printing why
 * (never the secret). */
static bool turn_setup(opts *o)
{
	char why[256];
	int rc;

	if (!o->turn_uri)
		return true;
	rc = ms_turn_read_secret(o->turn_secret_file, o->turn.secret, sizeof o->turn.secret,
	                         &o->turn.secret_len, why, sizeof why);
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: --turn-secret-file %s: %s\n", o->turn_secret_file, why);
		return false;
	}
	if (!o->turn.ttl_s)
		o->turn.ttl_s = MS_TURN_TTL_DEFAULT;
	o->turn.unix_now = unix_now;
	o->run.turn = &o->turn;
	return true;
}

static int open_db(const char *dir, bool must_exist, db **out)
{
	char path[4200], err[256];
	db_opts dbo = {0};
	int rc;

	dbo.must_exist = must_exist;
	snprintf(path, sizeof path, "%s/medsrv.db", dir);
	rc = db_open(out, path, DB_KIND_SERVER, &dbo, err, sizeof err);
	if (rc != IKE_OK)
		fprintf(stderr, "medsrv: %s: %s%s\n", path, err,
		        rc == IKE_ERR_NOT_FOUND ? " (run `medsrv init` first)" : "");
	return rc;
}

/* ---- init ---- */

static int cmd_init(const opts *o)
{
	char keyp[4200], pubp[4200], hex[IKE_KEYID_HEX_LEN + 1];
	uint8_t keyid[IKE_KEYID_LEN];
	ike_key *key = NULL;
	db *d = NULL;
	int rc;

	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "medsrv: cannot create %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	if (open_db(o->dir, false, &d) != IKE_OK)
		return 1;
	db_close(d);
	snprintf(keyp, sizeof keyp, "%s/medsrv.key", o->dir);
	snprintf(pubp, sizeof pubp, "%s/medsrv.pub", o->dir);
	rc = ike_key_load_file(&key, NULL, keyp);
	if (rc == IKE_OK) {
		if (!ike_key_is_private(key)) {
			fprintf(stderr, "medsrv: %s holds no private key\n", keyp);
			ike_key_free(key);
			return 1;
		}
		fprintf(stderr, "medsrv: %s already initialized, keeping its key\n", o->dir);
	} else if (rc == IKE_ERR_IO && errno == ENOENT) {
		rc = ike_key_generate(&key, NULL, 2048);
		if (rc == IKE_OK)
			rc = ike_key_write_private_file(key, NULL, keyp);
		if (rc != IKE_OK) {
			fprintf(stderr, "medsrv: cannot create %s: %s\n", keyp,
			        rc == IKE_ERR_IO ? strerror(errno) : ike_strerror(rc));
			ike_key_free(key);
			return 1;
		}
	} else {
		fprintf(stderr, "medsrv: %s: %s\n", keyp,
		        ike_key_load_error(rc, errno, "not a PEM or DER RSA key"));
		return 1;
	}
	/* (Re)write the public key: it is derived, and scripts read it. */
	(void)remove(pubp);
	rc = ike_key_write_public_file(key, pubp);
	if (rc == IKE_OK)
		rc = ike_key_keyid(key, IKE_KEYID_SPK, keyid);
	ike_key_free(key);
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: %s: %s\n", pubp,
		        rc == IKE_ERR_IO ? strerror(errno) : ike_strerror(rc));
		return 1;
	}
	printf("%s\n", ike_keyid_format(keyid, hex));
	return 0;
}

/* ---- peer ---- */

static int cmd_peer_add(const opts *o)
{
	char hex[IKE_KEYID_HEX_LEN + 1], why[IKE_KEY_WHY_MAX];
	ike_key *key = NULL;
	db_peer *p;
	db_field clash = DB_FIELD_NONE;
	db *d = NULL;
	int rc, ret = 1;

	if (!o->alias || !o->pubkey) {
		fprintf(stderr, "medsrv: peer add needs --alias NAME and --pubkey FILE\n");
		return 2;
	}
	p = calloc(1, sizeof *p);
	if (!p)
		return 1;
	rc = ike_key_load_file(&key, NULL, o->pubkey);
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: %s: %s\n", o->pubkey,
		        ike_key_load_error(rc, errno, "not a PEM or DER RSA public key"));
		goto out;
	}
	if (ike_key_is_private(key)) {
		fprintf(
		    stderr,
		    "medsrv: %s is a private key: give the peer's public key (keep private keys private)\n",
		    o->pubkey);
		goto out;
	}
	if (ike_key_check_public(key, why, sizeof why) != IKE_OK) {
		fprintf(stderr, "medsrv: %s: refused: %s\n", o->pubkey, why);
		goto out;
	}
	p->user_id = DB_OWNER_OPERATOR;
	snprintf(p->alias, sizeof p->alias, "%s", o->alias);
	if (strlen(o->alias) > DB_ALIAS_MAX || !*o->alias) {
		fprintf(stderr, "medsrv: the alias must have 1 to %d bytes\n", DB_ALIAS_MAX);
		goto out;
	}
	if (ike_key_keyid(key, IKE_KEYID_SPK, p->keyid) != IKE_OK ||
	    ike_key_keyid(key, IKE_KEYID_SPKI, p->keyid_spki) != IKE_OK ||
	    ike_key_public_der(key, IKE_KEY_PUB_SPKI, p->pubkey, sizeof p->pubkey, &p->pubkey_len) !=
	        IKE_OK) {
		fprintf(stderr, "medsrv: %s: cannot encode the key\n", o->pubkey);
		goto out;
	}
	if (open_db(o->dir, true, &d) != IKE_OK)
		goto out;
	rc = db_peer_add(d, p, (int64_t)time(NULL), NULL, &clash);
	if (rc == IKE_ERR_EXISTS) {
		fprintf(stderr, "medsrv: %s\n",
		        clash == DB_FIELD_ALIAS ? "that alias is taken" : "that key is already registered");
		goto out;
	}
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: cannot add the peer: %s (%s)\n", ike_strerror(rc), db_errmsg(d));
		goto out;
	}
	printf("%s\n", ike_keyid_format(p->keyid, hex));
	ret = 0;
out:
	db_close(d);
	ike_key_free(key);
	free(p);
	return ret;
}

static int cmd_peer_list(const opts *o)
{
	char k[IKE_KEYID_HEX_LEN + 1];
	db_peer *list = NULL;
	size_t n = 0;
	db *d = NULL;
	int rc;

	if (open_db(o->dir, true, &d) != IKE_OK)
		return 1;
	rc = db_peer_list_all(d, &list, &n);
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: cannot list peers: %s (%s)\n", ike_strerror(rc), db_errmsg(d));
		db_close(d);
		return 1;
	}
	if (o->json) {
		json_t *arr = json_array();
		char *txt;
		for (size_t i = 0; arr && i < n; i++) {
			char ks[IKE_KEYID_HEX_LEN + 1];
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I}", "alias",
			                                     list[i].alias, "owner", list[i].owner, "keyid",
			                                     ike_keyid_format(list[i].keyid, k), "keyid_spki",
			                                     ike_keyid_format(list[i].keyid_spki, ks),
			                                     "created", (json_int_t)list[i].created));
		}
		txt = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
		if (txt)
			printf("%s\n", txt);
		free(txt);
		json_decref(arr);
	} else {
		printf("%-24s %-16s %s\n", "ALIAS", "OWNER", "KEY_ID");
		for (size_t i = 0; i < n; i++)
			printf("%-24s %-16s %s\n", list[i].alias,
			       list[i].owner[0] ? list[i].owner : "(operator)",
			       ike_keyid_format(list[i].keyid, k));
	}
	db_free(list);
	db_close(d);
	return 0;
}

static int cmd_peer_del(const opts *o)
{
	db_peer *p = calloc(1, sizeof *p);
	db *d = NULL;
	int rc, ret = 1;

	if (!p)
		return 1;
	if (!!o->alias == !!o->keyid) {
		fprintf(stderr, "medsrv: peer del needs --alias NAME or --keyid HEX\n");
		free(p);
		return 2;
	}
	if (open_db(o->dir, true, &d) != IKE_OK)
		goto out;
	if (o->alias) {
		rc = db_peer_get_by_alias(d, DB_OWNER_OPERATOR, o->alias, p);
	} else {
		uint8_t kid[IKE_KEYID_LEN];
		if (ike_keyid_parse(o->keyid, kid) != IKE_OK) {
			fprintf(stderr, "medsrv: --keyid %s: not a KEY_ID (40 hex digits)\n", o->keyid);
			goto out;
		}
		rc = db_peer_find_keyid(d, kid, sizeof kid, p);
	}
	if (rc == IKE_OK)
		rc = db_peer_delete(d, p->user_id, p->id);
	if (rc == IKE_ERR_NOT_FOUND) {
		fprintf(stderr, "medsrv: no such peer%s\n", o->alias ? " among the operator's peers" : "");
		goto out;
	}
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: cannot delete the peer: %s (%s)\n", ike_strerror(rc), db_errmsg(d));
		goto out;
	}
	ret = 0;
out:
	db_close(d);
	free(p);
	return ret;
}

/* ---- status ---- */

static void print_status_text(json_t *st)
{
	json_t *peers = json_object_get(st, "peers"), *cbs = json_object_get(st, "callbacks"), *p;
	json_t *ctr = json_object_get(st, "counters"), *v;
	const char *key;
	size_t i;

	printf("medsrv %s\n", json_is_true(json_object_get(st, "running")) ? "running" : "not running");
	printf("%-24s %-40s %-7s %-28s %s\n", "ALIAS", "KEY_ID", "ONLINE", "ENDPOINT", "SINCE");
	json_array_foreach(peers, i, p)
	{
		char since[32] = "-";
		json_t *s = json_object_get(p, "since");
		if (json_is_integer(s)) {
			time_t t = (time_t)json_integer_value(s);
			struct tm tm;
			if (gmtime_r(&t, &tm))
				strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		printf("%-24s %-40s %-7s %-28s %s\n", json_string_value(json_object_get(p, "alias")),
		       json_string_value(json_object_get(p, "keyid")),
		       json_is_true(json_object_get(p, "online")) ? "yes" : "no",
		       json_string_value(json_object_get(p, "endpoint"))
		           ? json_string_value(json_object_get(p, "endpoint"))
		           : "-",
		       since);
	}
	if (json_array_size(cbs))
		printf("callbacks pending:\n");
	json_array_foreach(cbs, i, p) printf("  %s waits for %s (%" JSON_INTEGER_FORMAT " s left)\n",
	                                     json_string_value(json_object_get(p, "requester")),
	                                     json_string_value(json_object_get(p, "target")),
	                                     json_integer_value(json_object_get(p, "expires_in")));
	json_object_foreach(ctr, key, v) printf("%s %" JSON_INTEGER_FORMAT "\n", key, json_integer_value(v));
}

static int cmd_status(const opts *o)
{
	char ctl[4200];
	json_t *req, *reply = NULL;
	int rc, ret = 0;

	if (o->ctl)
		snprintf(ctl, sizeof ctl, "%s", o->ctl);
	else
		snprintf(ctl, sizeof ctl, "%s/medsrv.ctl", o->dir);
	req = json_pack("{s:s}", "cmd", "status");
	rc = req ? ikeio_ctl_call(ctl, req, 2000, &reply) : IKE_ERR_NOMEM;
	json_decref(req);
	if (rc == IKE_ERR_NOT_FOUND) {
		db *d = NULL;
		fprintf(stderr, "medsrv: not running (no answer on %s)\n", ctl);
		if (open_db(o->dir, true, &d) != IKE_OK)
			return 3;
		reply = ms_status_offline_json(d, &rc);
		db_close(d);
		if (!reply)
			return 3;
		ret = 3;
	} else if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: %s: %s\n", ctl, ike_strerror(rc));
		return 1;
	} else if (json_object_get(reply, "error")) {
		fprintf(stderr, "medsrv: %s\n", json_string_value(json_object_get(reply, "error")));
		json_decref(reply);
		return 1;
	}
	if (o->json) {
		char *txt = json_dumps(reply, JSON_COMPACT);
		if (txt)
			printf("%s\n", txt);
		free(txt);
	} else {
		print_status_text(reply);
	}
	json_decref(reply);
	return ret;
}

/* The control socket's directory must exist and be writable: said here in words,
 * since the socket layer only knows "input/output error". NULL (DIR/medsrv.ctl)
 * passes: the database check names a bad DIR first. */
static int check_ctl_dir(const char *ctl)
{
	char dir[4200];
	const char *slash = ctl ? strrchr(ctl, '/') : NULL;

	if (!ctl)
		return 0;
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == ctl ? 1 : (int)(slash - ctl), ctl);
	if (access(dir, W_OK) == 0)
		return 0;
	fprintf(stderr, "medsrv: --ctl %s: directory %s %s\n", ctl, dir,
	        errno == ENOENT   ? "does not exist"
	        : errno == EROFS  ? "is read-only (a read-only file system)"
	        : errno == EACCES ? "is read-only for this user"
	                          : strerror(errno));
	return -1;
}

int ms_main(int argc, char **argv)
{
	opts o;

	if (argc < 2) {
		ms_usage();
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		ms_usage();
		return 0;
	}
	if (strcmp(argv[1], "peer") == 0) {
		if (argc < 3) {
			ms_usage();
			return 2;
		}
		if (!parse_opts(argc, argv, 3, &o))
			return 2;
		if (strcmp(argv[2], "add") == 0)
			return cmd_peer_add(&o);
		if (strcmp(argv[2], "list") == 0)
			return cmd_peer_list(&o);
		if (strcmp(argv[2], "del") == 0)
			return cmd_peer_del(&o);
		ms_usage();
		return 2;
	}
	if (!parse_opts(argc, argv, 2, &o))
		return 2;
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(&o);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(&o);
	if (strcmp(argv[1], "run") == 0) {
		int ret = turn_setup(&o) && check_ctl_dir(o.ctl) == 0 && ms_run(&o.run) == IKE_OK ? 0 : 1;
		OPENSSL_cleanse(&o.turn, sizeof o.turn);
		return ret;
	}
	ms_usage();
	return 2;
}
