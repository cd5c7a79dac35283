/* SPDX-License-Identifier: MIT */
/* web/core/src/http.c - request and response model, cookies, form decoding. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "web/http.h"

static char *dup_str(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void web_request_init(web_request *req)
{
	memset(req, 0, sizeof *req);
	req->method = WEB_OTHER;
}

void web_request_clear(web_request *req)
{
	if (!req)
		return;
	free(req->path);
	free(req->query);
	for (size_t i = 0; i < req->n_headers; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	free(req->body);
	memset(req, 0, sizeof *req);
}

static const char *const method_names[] = {
    [WEB_GET] = "GET", [WEB_HEAD] = "HEAD",     [WEB_POST] = "POST",
    [WEB_PUT] = "PUT", [WEB_DELETE] = "DELETE", [WEB_OTHER] = "OTHER",
};

const char *web_method_name(web_method m)
{
	if ((unsigned)m > WEB_OTHER)
		return "OTHER";
	return method_names[m];
}

void web_request_set_method(web_request *req, const char *name)
{
	req->method = WEB_OTHER;
	for (int m = WEB_GET; m < WEB_OTHER; m++) {
		if (name && strcmp(name, method_names[m]) == 0) {
			req->method = (web_method)m;
			return;
		}
	}
}

int web_request_set_target(web_request *req, const char *target)
{
	size_t n, plen;
	const char *q;

	if (!target || target[0] != '/')
		return IKE_ERR_MALFORMED;
	n = strlen(target);
	if (n > WEB_FIELD_MAX)
		return IKE_ERR_LIMIT;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)target[i];
		if (c < 0x20 || c == 0x7f)
			return IKE_ERR_MALFORMED;
	}
	q = strchr(target, '?');
	plen = q ? (size_t)(q - target) : n;
	free(req->path);
	free(req->query);
	req->query = NULL;
	req->path = dup_str(target, plen);
	if (!req->path)
		return IKE_ERR_NOMEM;
	if (q) {
		req->query = dup_str(q + 1, n - plen - 1);
		if (!req->query)
			return IKE_ERR_NOMEM;
	}
	return IKE_OK;
}

int web_request_add_header(web_request *req, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	web_header *h;

	if (req->n_headers >= WEB_HEADERS_MAX || nl + vl > WEB_FIELD_MAX) {
		req->too_many_headers = true;
		return IKE_ERR_LIMIT;
	}
	h = &req->headers[req->n_headers];
	h->name = dup_str(name, nl);
	h->value = dup_str(value, vl);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		h->name = h->value = NULL;
		return IKE_ERR_NOMEM;
	}
	req->n_headers++;
	return IKE_OK;
}

int web_request_append_body(web_request *req, const void *data, size_t len)
{
	char *p;

	if (req->body_too_large)
		return IKE_ERR_LIMIT;
	if (len > WEB_BODY_MAX || req->body_len > WEB_BODY_MAX - len) {
		free(req->body);
		req->body = NULL;
		req->body_len = 0;
		req->body_too_large = true;
		return IKE_ERR_LIMIT;
	}
	p = realloc(req->body, req->body_len + len + 1);
	if (!p)
		return IKE_ERR_NOMEM;
	memcpy(p + req->body_len, data, len);
	req->body = p;
	req->body_len += len;
	req->body[req->body_len] = '\0';
	return IKE_OK;
}

const char *web_request_header(const web_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	}
	return NULL;
}

bool web_request_cookie(const web_request *req, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	/* Every Cookie header counts (HTTP/2 proxies may split them). */
	for (size_t i = 0; i < req->n_headers; i++) {
		const char *p;

		if (strcasecmp(req->headers[i].name, "Cookie") != 0)
			continue;
		p = req->headers[i].value;
		while (*p) {
			const char *end, *eq;
			size_t vl;

			while (*p == ' ' || *p == ';')
				p++;
			end = strchr(p, ';');
			if (!end)
				end = p + strlen(p);
			eq = memchr(p, '=', (size_t)(end - p));
			if (eq && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
				vl = (size_t)(end - eq - 1);
				while (vl > 0 && eq[vl] == ' ')
					vl--;
				if (vl + 1 > outlen)
					return false;
				memcpy(out, eq + 1, vl);
				out[vl] = '\0';
				return true;
			}
			p = end;
		}
	}
	return false;
}

void web_response_clear(web_response *resp)
{
	if (!resp)
		return;
	for (size_t i = 0; i < resp->n_headers; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->body);
	memset(resp, 0, sizeof *resp);
}

int web_response_add_header(web_response *resp, const char *name, const char *value)
{
	web_header *h;

	if (resp->n_headers >= WEB_RESP_HEADERS_MAX)
		return IKE_ERR_LIMIT;
	h = &resp->headers[resp->n_headers];
	h->name = dup_str(name, strlen(name));
	h->value = dup_str(value, strlen(value));
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		h->name = h->value = NULL;
		return IKE_ERR_NOMEM;
	}
	resp->n_headers++;
	return IKE_OK;
}

int web_response_set(web_response *resp, int status, const char *content_type, const void *data, size_t len)
{
	char *p = dup_str(data ? data : "", data ? len : 0);

	if (!p)
		return IKE_ERR_NOMEM;
	free(resp->body);
	resp->body = p;
	resp->body_len = data ? len : 0;
	resp->status = status;
	resp->content_type = content_type;
	return IKE_OK;
}

static int hex_value(char c)
{
	/* Locale-free on purpose (STYLE pitfall 11). */
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one %-encoded component into out (at least len + 1 bytes). */
static int decode_component(const char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+') {
			out[o++] = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return IKE_ERR_MALFORMED;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return IKE_ERR_MALFORMED;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '\0') {
			return IKE_ERR_MALFORMED;
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return IKE_OK;
}

int web_form_parse(const char *text, size_t len, void **out)
{
	json_t *obj = json_object();
	char *name = NULL, *value = NULL;
	size_t pos = 0;
	int rc = IKE_OK;

	if (!obj)
		return IKE_ERR_NOMEM;
	while (pos < len) {
		const char *start = text + pos, *amp, *eq;
		size_t plen, nlen;
		json_t *v;

		amp = memchr(start, '&', len - pos);
		plen = amp ? (size_t)(amp - start) : len - pos;
		pos += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(start, '=', plen);
		nlen = eq ? (size_t)(eq - start) : plen;
		name = malloc(nlen + 1);
		value = malloc(plen + 1);
		if (!name || !value) {
			rc = IKE_ERR_NOMEM;
			goto out;
		}
		rc = decode_component(start, nlen, name);
		if (rc == IKE_OK)
			rc = decode_component(eq ? eq + 1 : start + plen, eq ? plen - nlen - 1 : 0, value);
		if (rc != IKE_OK)
			goto out;
		if (name[0] == '\0' || json_object_get(obj, name)) {
			rc = IKE_ERR_MALFORMED;
			goto out;
		}
		v = json_string(value); /* NULL for invalid UTF-8 */
		if (!v) {
			rc = IKE_ERR_MALFORMED;
			goto out;
		}
		if (json_object_set_new(obj, name, v) != 0) {
			rc = IKE_ERR_MALFORMED;
			goto out;
		}
		free(name);
		free(value);
		name = value = NULL;
	}
out:
	free(name);
	free(value);
	if (rc != IKE_OK) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return IKE_OK;
}

bool web_str_equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	volatile unsigned char diff = (unsigned char)(la != lb);
	size_t n = la < lb ? la : lb;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}
