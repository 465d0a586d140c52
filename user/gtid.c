/*
 * gtid.c - MariaDB GTID sets.  See gtid.h.
 *
 * Numbers are read digit by digit rather than with strtoul(), which would
 * take leading spaces, a sign ("-1" wraps to a huge value) and the locale's
 * ideas; a GTID has none of those.
 */
#include "gtid.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum num_rc { NUM_OK, NUM_NOT_NUMBER, NUM_TOO_BIG };

static enum num_rc parse_num(const char **p, uint64_t max, uint64_t *v)
{
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return NUM_NOT_NUMBER;
	for (*v = 0; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*v > (max - d) / 10)
			return NUM_TOO_BIG;
		*v = *v * 10 + d;
	}
	*p = s;
	return NUM_OK;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* A parse error: *out is the empty set, err says why. */
__attribute__((format(printf, 4, 5)))
static int bad(struct gtid_set *out, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	out->n = 0;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The GTID at s as the message quotes it: up to the next ',', without
 * trailing whitespace, control bytes as '?', long ones cut with "...". */
struct quoted { char s[48]; };

static struct quoted quote(const char *s)
{
	struct quoted q;
	size_t n = strcspn(s, ","), i;
	const size_t max = sizeof(q.s) - 4;

	while (n > 0 && is_space(s[n - 1]))
		n--;
	for (i = 0; i < n && i < max; i++)
		q.s[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	q.s[i] = '\0';
	if (n > max)
		strcpy(q.s + i, "...");
	return q;
}

static const char *const field_name[] = { "domain", "server_id", "seq_no" };

/* One DOMAIN-SERVER-SEQ at *p; NULL, or why it is not one (why is the
 * caller's buffer). */
static const char *parse_gtid(const char **p, struct gtid_entry *e, char *why, size_t len)
{
	static const uint64_t max[] = { UINT32_MAX, UINT32_MAX, UINT64_MAX };
	uint64_t v[3];
	const char *next;

	for (int f = 0; f < 3; f++) {
		if (f > 0) {
			if (**p != '-') {
				snprintf(why, len, "missing '-' after the %s (DOMAIN-SERVER-SEQ)",
					 field_name[f - 1]);
				return why;
			}
			(*p)++;
		}
		switch (parse_num(p, max[f], &v[f])) {
		case NUM_OK:
			break;
		case NUM_NOT_NUMBER:
			snprintf(why, len, "the %s is not an unsigned decimal number",
				 field_name[f]);
			return why;
		case NUM_TOO_BIG:
			snprintf(why, len, "the %s is above %" PRIu64, field_name[f], max[f]);
			return why;
		}
	}
	next = skip_space(*p);
	if (*next != ',' && *next != '\0') {
		snprintf(why, len, "unexpected text after the seq_no");
		return why;
	}
	e->domain = (uint32_t)v[0];
	e->server = (uint32_t)v[1];
	e->seq = v[2];
	return NULL;
}

/* Add e, or raise the seq_no of its pair; -1 when the set is full. */
static int add(struct gtid_set *set, const struct gtid_entry *e)
{
	for (size_t i = 0; i < set->n; i++) {
		struct gtid_entry *x = &set->e[i];

		if (x->domain == e->domain && x->server == e->server) {
			if (e->seq > x->seq)
				x->seq = e->seq;
			return 0;
		}
	}
	if (set->n == GTID_MAX_ENTRIES)
		return -1;
	set->e[set->n++] = *e;
	return 0;
}

int gtid_parse(const char *text, struct gtid_set *out, char *err, size_t errlen)
{
	const char *p = skip_space(text ? text : "");
	char why[96];

	out->n = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!*p)
		return 0;
	for (;;) {
		const char *start = p, *comma;
		size_t off = (size_t)(p - text);
		struct gtid_entry e;

		if (*p == ',')
			return bad(out, err, errlen,
				   "empty GTID at offset %zu (a leading or doubled ',')", off);
		if (parse_gtid(&p, &e, why, sizeof(why)))
			return bad(out, err, errlen, "bad GTID '%s' at offset %zu: %s",
				   quote(start).s, off, why);
		if (add(out, &e) < 0)
			return bad(out, err, errlen,
				   "more than %d (domain, server) pairs: GTID '%s' at offset %zu",
				   GTID_MAX_ENTRIES, quote(start).s, off);
		p = skip_space(p);
		if (!*p)
			return 0;
		comma = p; /* parse_gtid() let nothing else through */
		p = skip_space(p + 1);
		if (!*p)
			return bad(out, err, errlen,
				   "trailing ',' at offset %zu (a list cut short?)",
				   (size_t)(comma - text));
	}
}

static uint64_t seq_of(const struct gtid_set *set, uint32_t domain, uint32_t server)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->e[i].domain == domain && set->e[i].server == server)
			return set->e[i].seq;
	return 0;
}

/* out[0..used) no longer has room for the next range: drop whole ranges
 * until ",..." fits, so that no number is left cut short. */
static void cut(char *out, size_t len, size_t used)
{
	while (used > 0 && used + sizeof(",...") > len) {
		while (used > 0 && out[used - 1] != ',')
			used--;
		if (used > 0)
			used--;
	}
	if (used > 0)
		memcpy(out + used, ",...", sizeof(",..."));
	else if (len >= sizeof("..."))
		memcpy(out, "...", sizeof("..."));
	else
		out[0] = '\0';
}

size_t gtid_missing(const struct gtid_set *a, const struct gtid_set *b, char *out, size_t len)
{
	size_t count = 0, used = 0;
	bool text = out && len > 0;

	if (text)
		out[0] = '\0';
	for (size_t i = 0; i < a->n; i++) {
		const struct gtid_entry *e = &a->e[i];
		uint64_t have = seq_of(b, e->domain, e->server);
		char range[96];
		int k;

		if (have >= e->seq)
			continue;
		if (e->seq - have > SIZE_MAX - count)
			count = SIZE_MAX;
		else
			count += (size_t)(e->seq - have);
		if (!text)
			continue;
		if (have + 1 == e->seq)
			k = snprintf(range, sizeof(range), "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64,
				     used ? "," : "", e->domain, e->server, e->seq);
		else
			k = snprintf(range, sizeof(range),
				     "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64 "..%" PRIu64,
				     used ? "," : "", e->domain, e->server, have + 1, e->seq);
		if (used + (size_t)k < len) {
			memcpy(out + used, range, (size_t)k + 1);
			used += (size_t)k;
		} else {
			cut(out, len, used);
			text = false; /* the count goes on */
		}
	}
	return count;
}

bool gtid_covers(const struct gtid_set *b, const struct gtid_set *a)
{
	return gtid_missing(a, b, NULL, 0) == 0;
}
