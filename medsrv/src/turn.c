/* SPDX-License-Identifier: MIT */
/* TURN relay credentials (coturn's TURN REST API scheme). See medsrv/turn.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "medsrv/turn.h"

static int why_set(char *why, size_t len, int rc, const char *fmt, ...) IKE_PRINTF(4, 5);

static int why_set(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int ms_turn_parse_uri(const char *uri, ike_addr *out, char *why, size_t why_len)
{
	char host[64];
	const char *h, *colon, *end;
	unsigned long port;
	char *pend;
	size_t hl;

	memset(out, 0, sizeof *out);
	if (strncmp(uri, "turns:", 6) == 0)
		return why_set(why, why_len, IKE_ERR_INVAL,
		               "TURN over TLS (turns:) is not supported: use turn:IP:PORT");
	if (strncmp(uri, "turn:", 5) != 0)
		return why_set(why, why_len, IKE_ERR_INVAL, "not a turn: URI (turn:IP:PORT)");
	h = uri + 5;
	if (strchr(h, '?'))
		return why_set(why, why_len, IKE_ERR_INVAL,
		               "URI parameters are not supported (UDP only): turn:IP:PORT");
	if (*h == '[') { /* [IPv6]:port */
		end = strchr(h, ']');
		if (!end || end[1] != ':')
			return why_set(why, why_len, IKE_ERR_INVAL,
			               "an IPv6 address needs brackets and a port: turn:[IPv6]:PORT");
		h++;
		colon = end + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon)
			return why_set(why, why_len, IKE_ERR_INVAL,
			               "no port: turn:IP:PORT (coturn listens on 3478)");
		end = colon;
		if (memchr(h, ':', (size_t)(colon - h)))
			return why_set(why, why_len, IKE_ERR_INVAL,
			               "an IPv6 address needs brackets: turn:[IPv6]:PORT");
	}
	hl = (size_t)(end - h);
	if (hl == 0 || hl >= sizeof host)
		return why_set(why, why_len, IKE_ERR_INVAL, "no IP address: turn:IP:PORT");
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = colon[1] >= '0' && colon[1] <= '9' ? strtoul(colon + 1, &pend, 10) : 0;
	if (colon[1] < '0' || colon[1] > '9' || errno || *pend || port == 0 || port > 65535)
		return why_set(why, why_len, IKE_ERR_INVAL, "not a port number: \"%s\" (1..65535)",
		               colon + 1);
	if (ike_addr_parse(out, host, (uint16_t)port) != IKE_OK ||
	    (out->family == IKE_AF_INET6) != (*end == ']')) {
		memset(out, 0, sizeof *out);
		return why_set(
		    why, why_len, IKE_ERR_INVAL,
		    "\"%s\" is not an IP address (host names are not supported: give the relay's address)",
		    host);
	}
	return IKE_OK;
}

int ms_turn_read_secret(const char *path, uint8_t *out, size_t cap, size_t *len, char *why, size_t why_len)
{
	uint8_t buf[MS_TURN_SECRET_MAX + 3];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc = IKE_OK;

	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return why_set(why, why_len, IKE_ERR_IO, "%s",
		               errno == ENOENT   ? "no such file"
		               : errno == EACCES ? "no permission to read it"
		               : errno == ELOOP  ? "a symbolic link (give the file itself)"
		                                 : strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = why_set(why, why_len, IKE_ERR_IO, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = why_set(why, why_len, IKE_ERR_INVAL, "not a regular file");
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = why_set(why, why_len, IKE_ERR_POLICY,
		             "readable by others (mode %03o): it holds the TURN secret, chmod 600 it",
		             (unsigned)(st.st_mode & 0777));
		goto out;
	}
	while (got < sizeof buf && (n = read(fd, buf + got, sizeof buf - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = why_set(why, why_len, IKE_ERR_IO, "%s", strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	if (got && buf[got - 1] == '\n')
		got--;
	if (got && buf[got - 1] == '\r')
		got--;
	if (got == 0) {
		rc = why_set(why, why_len, IKE_ERR_INVAL,
		             "empty: put the secret coturn has as static-auth-secret in it");
		goto out;
	}
	if (got > MS_TURN_SECRET_MAX || got > cap) {
		rc = why_set(why, why_len, IKE_ERR_INVAL, "longer than %u bytes", MS_TURN_SECRET_MAX);
		goto out;
	}
	memcpy(out, buf, got);
	*len = got;
out:
	OPENSSL_cleanse(buf, sizeof buf);
	close(fd);
	return rc;
}

int ms_turn_credential(const ms_turn_config *c, const uint8_t keyid[IKE_KEYID_LEN], uint64_t now_unix,
                       ike_me_turn *out)
{
	char hex[IKE_KEYID_HEX_LEN + 1];
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	int n;

	memset(out, 0, sizeof *out);
	if (!c->server.family || !c->secret_len)
		return IKE_ERR_INVAL;
	out->server = c->server;
	out->expires = now_unix + c->ttl_s;
	n = snprintf(out->user, sizeof out->user, "%llu:%s", (unsigned long long)out->expires,
	             ike_keyid_format(keyid, hex));
	if (n < 0 || (size_t)n >= sizeof out->user)
		return IKE_ERR_INVAL;
	if (!HMAC(EVP_sha1(), c->secret, (int)c->secret_len, (const unsigned char *)out->user, (size_t)n, mac,
	          &mac_len))
		return IKE_ERR_CRYPTO;
	/* 20 bytes -> 28 base64 characters and a NUL */
	if (EVP_EncodeBlock((unsigned char *)out->pass, mac, (int)mac_len) <= 0) {
		OPENSSL_cleanse(mac, sizeof mac);
		memset(out, 0, sizeof *out);
		return IKE_ERR_CRYPTO;
	}
	OPENSSL_cleanse(mac, sizeof mac);
	return IKE_OK;
}
