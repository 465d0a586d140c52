// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration's arguments: numbers, durations, booleans, addresses,
 * interface names and commands, each checked with its range and reported at
 * its line; and the setter behind the keyword tables' KEY_SET_* entries.
 */
#include "config_int.h"
#include "scripts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- argument helpers ------------------------------------------------- */

/* Checks that `st` has between min and max arguments after the keyword.
 * Too few is an error, too many a warning (the rest is ignored). */
bool want_args(struct parser *p, const struct stmt *st, size_t min, size_t max)
{
	size_t nargs = st->ntok - 1;

	if (nargs < min) {
		error_at(p, st, "missing argument for '%s'", kw(st));
		return false;
	}
	if (nargs > max)
		warn_at(p, st, "extra argument '%s' after '%s' ignored", st->tok[max + 1].text,
			kw(st));
	return true;
}

static bool parse_ull(const char *s, unsigned long long *out)
{
	char *end;

	if (!*s || !(*s >= '0' && *s <= '9'))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* An unsigned number in [min, max]; `name` is what to call it in messages. */
bool parse_uint_tok(struct parser *p, const struct stmt *st, const char *name,
			   const char *text, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v;

	if (!parse_ull(text, &v)) {
		error_at(p, st, "%s: '%s' is not a number", name, text);
		return false;
	}
	if (v < min || v > max) {
		error_at(p, st, "%s %s is out of range (%u..%u)", name, text, min, max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool parse_int_tok(struct parser *p, const struct stmt *st, const char *name,
			  const char *text, int min, int max, int *out)
{
	const char *digits = text + (*text == '-' || *text == '+');
	unsigned long long v;

	if (!parse_ull(digits, &v)) {
		error_at(p, st, "%s: '%s' is not a number", name, text);
		return false;
	}
	if (v > (unsigned long long)INT_MAX ||
	    (*text == '-' ? -(long long)v < min : (long long)v > max)) {
		error_at(p, st, "%s %s is out of range (%d..%d)", name, text, min, max);
		return false;
	}
	*out = *text == '-' ? -(int)v : (int)v;
	return true;
}

bool arg_uint(struct parser *p, const struct stmt *st, unsigned min, unsigned max,
		     unsigned *out)
{
	return want_args(p, st, 1, 1) &&
	       parse_uint_tok(p, st, kw(st), st->tok[1].text, min, max, out);
}

bool arg_int(struct parser *p, const struct stmt *st, int min, int max, int *out)
{
	return want_args(p, st, 1, 1) && parse_int_tok(p, st, kw(st), st->tok[1].text, min, max, out);
}

/* "1.234" -> "1.234", 1000 -> "1", 500 -> "0.5": seconds, up to 3 decimals. */
const char *fmt_seconds(uint32_t ms, char buf[16])
{
	if (ms % SEC == 0) {
		snprintf(buf, 16, "%u", ms / SEC);
	} else {
		size_t len;

		snprintf(buf, 16, "%u.%03u", ms / SEC, ms % SEC);
		len = strlen(buf);
		while (buf[len - 1] == '0')
			buf[--len] = '\0';
	}
	return buf;
}

/* Durations: seconds with up to 3 decimals ("2", "0.5", "0.01"), or whole
 * milliseconds with an "ms" suffix ("100ms"); "s" is accepted too. The value
 * is computed in 64 bits (saturating), so that a range check sees it as
 * written: 4294968.296 s must not wrap to 1 s in 32-bit milliseconds. */
static bool parse_duration_text(const char *s, uint64_t *out_ms)
{
	const uint64_t huge = UINT64_MAX / 10000; /* whole * SEC + frac still fits */
	uint64_t whole = 0, frac = 0;
	unsigned frac_digits = 0;
	const char *c = s;
	bool ms_unit = false;

	if (!(*c >= '0' && *c <= '9'))
		return false;
	while (*c >= '0' && *c <= '9') {
		whole = whole * 10 + (unsigned)(*c++ - '0');
		if (whole > huge)
			whole = huge;
	}
	if (*c == '.') {
		c++;
		if (!(*c >= '0' && *c <= '9'))
			return false;
		for (; *c >= '0' && *c <= '9'; c++) {
			if (frac_digits < 3) {
				frac = frac * 10 + (unsigned)(*c - '0');
				frac_digits++;
			} else if (*c != '0') {
				return false; /* finer than a millisecond */
			}
		}
		while (frac_digits < 3) {
			frac *= 10;
			frac_digits++;
		}
	}
	if (!strcmp(c, "ms"))
		ms_unit = true;
	else if (*c && strcmp(c, "s"))
		return false;

	if (ms_unit) {
		if (frac)
			return false;
		*out_ms = whole;
	} else {
		*out_ms = whole * SEC + frac;
	}
	return true;
}

static bool parse_duration_tok(struct parser *p, const struct stmt *st, const char *name,
			       const char *text, uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	char lo[16], hi[16];
	uint64_t ms;

	if (!parse_duration_text(text, &ms)) {
		error_at(p, st,
			 "%s: '%s' is not a duration (seconds with up to 3 decimals, or e.g. 100ms)",
			 name, text);
		return false;
	}
	if (ms < min_ms || ms > max_ms) {
		error_at(p, st, "%s %s is out of range (%s..%s s)", name, text,
			 fmt_seconds(min_ms, lo), fmt_seconds(max_ms, hi));
		return false;
	}
	*out = (uint32_t)ms;
	return true;
}

bool arg_duration(struct parser *p, const struct stmt *st, uint32_t min_ms,
			 uint32_t max_ms, uint32_t *out)
{
	return want_args(p, st, 1, 1) &&
	       parse_duration_tok(p, st, kw(st), st->tok[1].text, min_ms, max_ms, out);
}

void arg_alert(struct parser *p, const struct stmt *st, uint8_t *out)
{
	bool on;

	if (arg_bool(p, st, &on))
		*out = on ? CONFIG_ON : CONFIG_OFF;
}

/* on|off (also yes/no, true/false, 1/0); the keyword alone means on. */
bool arg_bool(struct parser *p, const struct stmt *st, bool *out)
{
	static const char *const on[] = { "on", "yes", "true", "1", NULL };
	static const char *const off[] = { "off", "no", "false", "0", NULL };

	if (st->ntok == 1) {
		*out = true;
		return true;
	}
	want_args(p, st, 1, 1);
	for (size_t i = 0; on[i]; i++) {
		if (!strcasecmp(st->tok[1].text, on[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(st->tok[1].text, off[i])) {
			*out = false;
			return true;
		}
	}
	error_at(p, st, "%s: '%s' is not on or off", kw(st), st->tok[1].text);
	return false;
}

bool arg_flag(struct parser *p, const struct stmt *st)
{
	return want_args(p, st, 0, 0);
}

bool arg_string(struct parser *p, const struct stmt *st, char **dst)
{
	if (!want_args(p, st, 1, 1))
		return false;
	free(*dst);
	*dst = cfg_strdup(p->ld, st->tok[1].text);
	return *dst != NULL;
}

bool parse_ipv4_tok(struct parser *p, const struct stmt *st, const char *name,
			   const char *text, struct in_addr *out)
{
	if (inet_pton(AF_INET, text, out) != 1) {
		error_at(p, st, "%s: '%s' is not an IPv4 address", name, text);
		return false;
	}
	return true;
}

bool arg_ipv4(struct parser *p, const struct stmt *st, struct in_addr *out)
{
	return want_args(p, st, 1, 1) && parse_ipv4_tok(p, st, kw(st), st->tok[1].text, out);
}

bool parse_ifname_tok(struct parser *p, const struct stmt *st, const char *text,
			     char out[IF_NAMESIZE])
{
	if (strlen(text) >= IF_NAMESIZE) {
		error_at(p, st, "interface name '%s' is longer than %d characters", text,
			 IF_NAMESIZE - 1);
		return false;
	}
	if (strpbrk(text, "/ ")) {
		error_at(p, st, "'%s' is not a valid interface name", text);
		return false;
	}
	strcpy(out, text);
	return true;
}

bool parse_port_tok(struct parser *p, const struct stmt *st, const char *name,
			   const char *text, uint16_t *out)
{
	unsigned v;

	if (!parse_uint_tok(p, st, name, text, 1, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* ---- commands (scripts) ----------------------------------------------- */

void free_command_fields(struct config_command *c)
{
	if (!c)
		return;
	free(c->text);
	for (size_t i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	script_cmd_free(c->run);
	memset(c, 0, sizeof(*c));
}

void free_command(struct config_command *c)
{
	free_command_fields(c);
	free(c);
}

/* The end of the argument that starts at s, and its length once its quotes
 * are removed; *quote is left set when a quote is not closed. */
static const char *argument_end(const char *s, size_t *len, char *quote)
{
	*len = 0;
	*quote = 0;
	for (; *s && (*quote || (*s != ' ' && *s != '\t')); s++) {
		if (!*quote && (*s == '\'' || *s == '"'))
			*quote = *s;
		else if (*quote && *s == *quote)
			*quote = 0;
		else
			(*len)++;
	}
	return s;
}

/* Splits a command line the way keepalived does before execve(): on blanks,
 * with '...' and "..." grouping words. Returns false on an unbalanced quote,
 * or when memory ran out (ld->oom). Each argument is allocated at its own
 * length. */
static bool split_command(struct load *ld, const char *text, struct config_command *c)
{
	const char *s = text;
	size_t slots = 0; /* argv entries, including the NULL terminator */
	char **slot;

	c->argv = NULL;
	c->argc = 0;
	for (;;) {
		const char *end;
		char *word, quote;
		size_t len;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		end = argument_end(s, &len, &quote);
		word = cfg_alloc(ld, len + 1, 1);
		slot = word ? PUSH(ld, c->argv, slots) : NULL;
		if (!slot) {
			free(word);
			return false;
		}
		for (len = 0, quote = 0; s < end; s++) {
			if (!quote && (*s == '\'' || *s == '"'))
				quote = *s;
			else if (quote && *s == quote)
				quote = 0;
			else
				word[len++] = *s;
		}
		*slot = word;
		c->argc = slots;
		if (quote)
			return false;
	}
	slot = PUSH(ld, c->argv, slots);
	if (slot)
		*slot = NULL;
	return slot != NULL;
}

/* The command is everything after the keyword: either one "quoted string"
 * (keepalived's way to pass arguments) or several words. */
struct config_command *arg_command(struct parser *p, const struct stmt *st)
{
	struct config_command *c;
	size_t len = 0;

	char *o;

	if (!want_args(p, st, 1, SIZE_MAX))
		return NULL;
	for (size_t i = 1; i < st->ntok; i++)
		len += strlen(st->tok[i].text) + 3;
	c = cfg_alloc(p->ld, 1, sizeof(*c));
	if (!c)
		return NULL;
	c->text = o = cfg_alloc(p->ld, len + 1, 1);
	if (!o) {
		free(c);
		return NULL;
	}
	for (size_t i = 1; i < st->ntok; i++) {
		/* keep a quoted word with blanks in it one argument */
		bool group = st->ntok > 2 && st->tok[i].quoted && strpbrk(st->tok[i].text, " \t");
		size_t n = strlen(st->tok[i].text);

		if (i > 1)
			*o++ = ' ';
		if (group)
			*o++ = '\'';
		memcpy(o, st->tok[i].text, n);
		o += n;
		if (group)
			*o++ = '\'';
	}
	c->where = where_of(st);
	if (!split_command(p->ld, c->text, c) || c->argc == 0) {
		if (!p->ld->oom)
			error_at(p, st, "%s: cannot split '%s' into a program and its arguments "
				 "(empty, or unbalanced quote)", kw(st), c->text);
		free_command(c);
		return NULL;
	}
	return c;
}

void set_command(struct parser *p, const struct stmt *st, struct config_command **dst)
{
	struct config_command *c = arg_command(p, st);

	if (!c)
		return;
	free_command(*dst);
	*dst = c;
}

/* `user USER [GROUP]`, shared by script_user, vrrp_script and MISC_CHECK. */
void set_user_group(struct parser *p, const struct stmt *st, char **user, char **group)
{
	if (!want_args(p, st, 1, 2))
		return;
	free(*user);
	free(*group);
	*user = cfg_strdup(p->ld, st->tok[1].text);
	*group = st->ntok > 2 ? cfg_strdup(p->ld, st->tok[2].text) : NULL;
}

/* ---- keyword table ---------------------------------------------------- */

void set_keyword_field(struct parser *p, const struct stmt *st, const struct keyword *k,
		       void *target)
{
	char *field = (char *)target + k->off;

	switch (k->kind) {
	case KEY_HANDLER:
		break;
	case KEY_STRING:
		arg_string(p, st, (char **)field);
		break;
	case KEY_UINT:
		arg_uint(p, st, (unsigned)k->min, (unsigned)k->max, (unsigned *)field);
		break;
	case KEY_INT:
		arg_int(p, st, (int)k->min, (int)k->max, (int *)field);
		break;
	case KEY_DURATION:
		arg_duration(p, st, (uint32_t)k->min, (uint32_t)k->max, (uint32_t *)field);
		break;
	case KEY_BOOL:
		arg_bool(p, st, (bool *)field);
		break;
	case KEY_FLAG:
		if (arg_flag(p, st))
			*(bool *)field = true;
		break;
	case KEY_COMMAND:
		set_command(p, st, (struct config_command **)field);
		break;
	}
}
