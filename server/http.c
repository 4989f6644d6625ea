/* http: an incremental, bounded parser for HTTP/1.x request heads. */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* Where the parser is in the grammar. */
enum {
	HTTP_S_START,		/* before the request line: empty lines skipped */
	HTTP_S_METHOD,		/* in the method */
	HTTP_S_TARGET,		/* in the request target */
	HTTP_S_PROTO,		/* in "HTTP/1.1" */
	HTTP_S_LINE_LF,		/* after the request line's CR */
	HTTP_S_FIELD,		/* at the start of a field line */
	HTTP_S_NAME,		/* in a field name */
	HTTP_S_OWS,		/* after the colon, before the value */
	HTTP_S_VALUE,		/* in a field value */
	HTTP_S_FIELD_LF,	/* after a field line's CR */
	HTTP_S_END_LF,		/* after the empty line's CR */
	HTTP_S_DONE,		/* complete, or failed */
};

/* The fields kept, by name. */
enum {
	HTTP_FIELD_NONE,
	HTTP_FIELD_HOST,
	HTTP_FIELD_ORIGIN,
	HTTP_FIELD_UPGRADE,
	HTTP_FIELD_CONNECTION,
	HTTP_FIELD_KEY,
	HTTP_FIELD_VERSION,
	HTTP_FIELD_LENGTH,
	HTTP_FIELD_TE,
};

static const struct {
	const char	*name;		/* lower case */
	unsigned char	 field;		/* HTTP_FIELD_* */
} http_fields[] = {
	{ "host", HTTP_FIELD_HOST },
	{ "origin", HTTP_FIELD_ORIGIN },
	{ "upgrade", HTTP_FIELD_UPGRADE },
	{ "connection", HTTP_FIELD_CONNECTION },
	{ "sec-websocket-key", HTTP_FIELD_KEY },
	{ "sec-websocket-version", HTTP_FIELD_VERSION },
	{ "content-length", HTTP_FIELD_LENGTH },
	{ "transfer-encoding", HTTP_FIELD_TE },
};

void
http_init(struct http_request *r)
{
	memset(r, 0, sizeof *r);
	r->state = HTTP_S_START;
}

/* Whether ch may appear in a token (RFC 9110 tchar). */
static bool
http_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Whether ch is a hexadecimal digit. */
static bool
http_hex(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

/* Whether ch is unreserved or a sub-delim (RFC 3986, 2.2 and 2.3). */
static bool
http_uchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	return ch != '\0' && strchr("-._~!$&'()*+,;=", ch) != NULL;
}

/*
 * Whether the IP-literal's inside, s[0..n), is an IPv6 address or an
 * IPvFuture (RFC 3986, 3.2.2).
 */
static bool
http_ip_literal(const char *s, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	struct in6_addr in6;
	size_t i;

	if (n > 0 && (s[0] == 'v' || s[0] == 'V')) {
		/* "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
		for (i = 1; i < n && http_hex((unsigned char)s[i]); i++)
			;
		if (i == 1 || i == n || s[i] != '.' || ++i == n)
			return false;
		for (; i < n; i++)
			if (s[i] != ':' && !http_uchar((unsigned char)s[i]))
				return false;
		return true;
	}
	if (n == 0 || n >= sizeof a)
		return false;
	memcpy(a, s, n);
	a[n] = '\0';
	return inet_pton(AF_INET6, a, &in6) == 1;
}

/*
 * Whether s is a Host field's value: uri-host [ ":" port ] (RFC 9110,
 * 7.2), the host an IP-literal in brackets or a reg-name (an IPv4
 * address is one), the port digits naming 0 to 65535. Empty is allowed:
 * it is what a client sends for a target with no authority.
 */
static bool
http_host_ok(const char *s)
{
	const char *end;
	unsigned long port = 0;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL ||
		    !http_ip_literal(s + 1, (size_t)(end - s - 1)))
			return false;
		s = end + 1;
	} else {
		/* reg-name: *( unreserved / pct-encoded / sub-delims ) */
		while (*s != '\0' && *s != ':') {
			if (*s == '%') {
				if (!http_hex((unsigned char)s[1]) ||
				    !http_hex((unsigned char)s[2]))
					return false;
				s += 3;
			} else if (http_uchar((unsigned char)*s)) {
				s++;
			} else {
				return false;
			}
		}
	}
	if (*s == '\0')
		return true;
	if (*s++ != ':')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		port = port * 10 + (unsigned long)(*s - '0');
		if (port > 65535)
			return false;
	}
	return true;
}

/* Fail with status and why; returns HTTP_ERROR. */
static enum http_result
http_fail(struct http_request *r, unsigned status, const char *why)
{
	r->status = status;
	r->why = why;
	r->state = HTTP_S_DONE;
	return HTTP_ERROR;
}

bool
http_list_has(const char *s, const char *token)
{
	size_t n = strlen(token), k;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			return false;
		for (k = 0; s[k] != '\0' && s[k] != ',' && s[k] != ' ' &&
		    s[k] != '\t' && s[k] != ';' && s[k] != '/'; k++)
			;
		if (k == n && strncasecmp(s, token, n) == 0)
			return true;
		while (*s != '\0' && *s != ',')
			s++;
	}
}

/* Keep one field whose value must be seen once at most. */
static enum http_result
http_keep(struct http_request *r, char *dst, unsigned flag, unsigned dup,
    const char *why)
{
	if (r->flags & flag) {
		if (dup == 0)
			return http_fail(r, 400, why);
		r->flags |= dup;
		return HTTP_MORE;
	}
	r->flags |= flag;
	memcpy(dst, r->value, r->len + 1);
	return HTTP_MORE;
}

/* A field line is complete: act on it if it is one of ours. */
static enum http_result
http_field_done(struct http_request *r)
{
	const char *p;

	/* Trailing whitespace is not part of the value. */
	while (r->len > 0 && (r->value[r->len - 1] == ' ' ||
	    r->value[r->len - 1] == '\t'))
		r->len--;
	r->value[r->len] = '\0';
	switch (r->field) {
	case HTTP_FIELD_HOST:
		/* A bad value is a bad request, used or not (RFC 9112, 3.2). */
		if (http_keep(r, r->host, HTTP_F_HOST, 0,
		    "more than one Host") == HTTP_ERROR)
			return HTTP_ERROR;
		if (!http_host_ok(r->host))
			return http_fail(r, 400, "bad Host");
		break;
	case HTTP_FIELD_ORIGIN:
		return http_keep(r, r->origin, HTTP_F_ORIGIN, 0,
		    "more than one Origin");
	case HTTP_FIELD_KEY:
		return http_keep(r, r->key, HTTP_F_KEY, HTTP_F_KEYS, NULL);
	case HTTP_FIELD_VERSION:
		return http_keep(r, r->version, HTTP_F_VERSION,
		    HTTP_F_VERSIONS, NULL);
	case HTTP_FIELD_UPGRADE:
		if (http_list_has(r->value, "websocket"))
			r->flags |= HTTP_F_WEBSOCKET;
		break;
	case HTTP_FIELD_CONNECTION:
		if (http_list_has(r->value, "upgrade"))
			r->flags |= HTTP_F_UPGRADE;
		if (http_list_has(r->value, "close"))
			r->flags |= HTTP_F_CLOSE;
		break;
	case HTTP_FIELD_LENGTH:
		/* Two lengths make the framing invalid (RFC 9112, 6.3). */
		if (r->flags & HTTP_F_LENGTH)
			return http_fail(r, 400, "more than one Content-Length");
		r->flags |= HTTP_F_LENGTH;
		if (r->len == 0)
			return http_fail(r, 400, "bad Content-Length");
		for (p = r->value; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return http_fail(r, 400, "bad Content-Length");
			if (*p != '0')
				r->flags |= HTTP_F_BODY;
		}
		break;
	case HTTP_FIELD_TE:
		r->flags |= HTTP_F_BODY;
		break;
	default:
		break;
	}
	return HTTP_MORE;
}

/* The request line is complete: check the protocol version. */
static enum http_result
http_line_done(struct http_request *r)
{
	const char *v = r->proto;

	if (r->len != 8 || strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return http_fail(r, 400, "bad request line");
	if (v[5] != '1')
		return http_fail(r, 505, "HTTP version not supported");
	r->minor = (unsigned)(v[7] - '0');
	r->state = HTTP_S_FIELD;
	return HTTP_MORE;
}

/* The head is complete: the checks that need all of it. */
static enum http_result
http_head_done(struct http_request *r)
{
	r->state = HTTP_S_DONE;
	if (r->minor >= 1 && !(r->flags & HTTP_F_HOST))
		return http_fail(r, 400, "no Host");
	return HTTP_DONE;
}

/* Name the field whose name was just read, for the value to come. */
static void
http_name_done(struct http_request *r)
{
	size_t i;

	r->field = HTTP_FIELD_NONE;
	if (r->len > HTTP_NAME_MAX)
		return;
	r->name[r->len] = '\0';
	for (i = 0; i < sizeof http_fields / sizeof http_fields[0]; i++)
		if (strcmp(r->name, http_fields[i].name) == 0)
			r->field = http_fields[i].field;
}

/* One byte of the head. */
static enum http_result
http_byte(struct http_request *r, unsigned char ch)
{
	switch (r->state) {
	case HTTP_S_START:
		if (ch == '\r' || ch == '\n')
			return HTTP_MORE;
		r->state = HTTP_S_METHOD;
		/* FALLTHROUGH */
	case HTTP_S_METHOD:
		if (ch == ' ' && r->len == 0)
			return http_fail(r, 400, "bad request line");
		if (ch == ' ') {
			if (r->len == 3 && strncmp(r->name, "GET", 3) == 0)
				r->method = HTTP_GET;
			else if (r->len == 4 && strncmp(r->name, "HEAD", 4) == 0)
				r->method = HTTP_HEAD;
			else
				r->method = HTTP_OTHER;
			r->state = HTTP_S_TARGET;
			r->len = 0;
			return HTTP_MORE;
		}
		if (!http_tchar(ch))
			return http_fail(r, 400, "bad request line");
		if (r->len < HTTP_NAME_MAX)
			r->name[r->len] = (char)ch;
		r->len++;
		return HTTP_MORE;
	case HTTP_S_TARGET:
		if (ch == ' ' && r->len > 0) {
			r->target[r->len] = '\0';
			r->state = HTTP_S_PROTO;
			r->len = 0;
			return HTTP_MORE;
		}
		if (ch <= ' ' || ch >= 0x7f)
			return http_fail(r, 400, "bad request line");
		if (r->len == HTTP_TARGET_MAX)
			return http_fail(r, 414, "request target too long");
		r->target[r->len++] = (char)ch;
		return HTTP_MORE;
	case HTTP_S_PROTO:
		if (ch == '\r') {
			r->state = HTTP_S_LINE_LF;
			return HTTP_MORE;
		}
		if (ch == '\n')
			return http_line_done(r);
		if (r->len == sizeof r->proto - 1)
			return http_fail(r, 400, "bad request line");
		r->proto[r->len++] = (char)ch;
		return HTTP_MORE;
	case HTTP_S_LINE_LF:
		if (ch != '\n')
			return http_fail(r, 400, "CR without LF");
		return http_line_done(r);
	case HTTP_S_FIELD:
		if (ch == '\r') {
			r->state = HTTP_S_END_LF;
			return HTTP_MORE;
		}
		if (ch == '\n')
			return http_head_done(r);
		if (ch == ' ' || ch == '\t')
			return http_fail(r, 400, "obsolete line folding");
		r->state = HTTP_S_NAME;
		r->len = 0;
		/* FALLTHROUGH */
	case HTTP_S_NAME:
		if (ch == ':' && r->len > 0) {
			http_name_done(r);
			r->state = HTTP_S_OWS;
			r->len = 0;
			return HTTP_MORE;
		}
		if (!http_tchar(ch))
			return http_fail(r, 400, "bad header field name");
		if (r->len < HTTP_NAME_MAX)
			r->name[r->len] = (char)(ch >= 'A' && ch <= 'Z' ?
			    ch - 'A' + 'a' : ch);
		r->len++;
		return HTTP_MORE;
	case HTTP_S_OWS:
		if (ch == ' ' || ch == '\t')
			return HTTP_MORE;
		r->state = HTTP_S_VALUE;
		/* FALLTHROUGH */
	case HTTP_S_VALUE:
		if (ch == '\r') {
			r->state = HTTP_S_FIELD_LF;
			return HTTP_MORE;
		}
		if (ch == '\n') {
			r->state = HTTP_S_FIELD;
			return http_field_done(r);
		}
		if ((ch < ' ' && ch != '\t') || ch == 0x7f)
			return http_fail(r, 400, "control character in a "
			    "header field");
		if (r->field == HTTP_FIELD_NONE)
			return HTTP_MORE;
		if (r->len == HTTP_FIELD_MAX)
			return http_fail(r, 400, "header field too long");
		r->value[r->len++] = (char)ch;
		return HTTP_MORE;
	case HTTP_S_FIELD_LF:
		if (ch != '\n')
			return http_fail(r, 400, "CR without LF");
		r->state = HTTP_S_FIELD;
		return http_field_done(r);
	case HTTP_S_END_LF:
		if (ch != '\n')
			return http_fail(r, 400, "CR without LF");
		return http_head_done(r);
	default:
		return http_fail(r, 400, "request already complete");
	}
}

enum http_result
http_feed(struct http_request *r, const char *p, size_t n, size_t *used)
{
	enum http_result res = HTTP_MORE;
	size_t i;

	if (r->state == HTTP_S_DONE)
		return r->status != 0 ? HTTP_ERROR :
		    http_fail(r, 400, "request already complete");
	for (i = 0; i < n && res == HTTP_MORE; i++) {
		if (++r->total > HTTP_HEAD_MAX)
			return http_fail(r, 431, "request head too large");
		res = http_byte(r, (unsigned char)p[i]);
	}
	if (used != NULL)
		*used = i;
	return res;
}

const char *
http_path(const struct http_request *r, size_t *len)
{
	const char *p = r->target, *q;

	/* Absolute form: skip the scheme and the authority. */
	if (strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "//") + 2;
		p += strcspn(p, "/?");
		if (*p != '/') {
			*len = 1;
			return "/";
		}
	}
	q = p + strcspn(p, "?#");
	*len = (size_t)(q - p);
	return p;
}

const char *
http_reason(unsigned status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
