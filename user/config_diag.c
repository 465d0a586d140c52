// SPDX-License-Identifier: GPL-2.0
/*
 * A load's memory and diagnostics. Every allocation of the parser comes
 * through here: a failure marks the load (it then fails with an error
 * saying so) instead of aborting the daemon in the middle of a reload.
 * Diagnostics are counted, capped, and have every non-printable byte
 * escaped, since the words they quote come from the file.
 */
#include "config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory ----------------------------------------------------------- */

/* Every allocation of a load comes through here: counted for the tests'
 * fail_alloc, and a failure marks the load instead of aborting. */
static bool may_alloc(struct load *ld)
{
	ld->allocs++;
	if (ld->lim->fail_alloc && ld->allocs == ld->lim->fail_alloc) {
		ld->oom = true;
		return false;
	}
	return true;
}

static void *failed(struct load *ld)
{
	ld->oom = true;
	return NULL;
}

void *cfg_alloc(struct load *ld, size_t n, size_t size)
{
	void *p;

	if (!may_alloc(ld))
		return NULL;
	p = calloc(n ? n : 1, size ? size : 1);
	return p ? p : failed(ld);
}

void *cfg_realloc(struct load *ld, void *p, size_t size)
{
	void *n = may_alloc(ld) ? realloc(p, size ? size : 1) : NULL;

	return n ? n : failed(ld);
}

char *cfg_strndup(struct load *ld, const char *s, size_t len)
{
	char *p = cfg_alloc(ld, len + 1, 1);

	if (p)
		memcpy(p, s, len);
	return p;
}

char *cfg_strdup(struct load *ld, const char *s)
{
	return cfg_strndup(ld, s, strlen(s));
}

char *cfg_vasprintf(struct load *ld, const char *fmt, va_list ap)
{
	va_list again;
	int len;
	char *s;

	va_copy(again, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	s = len < 0 ? failed(ld) : cfg_alloc(ld, (size_t)len + 1, 1);
	if (s)
		vsnprintf(s, (size_t)len + 1, fmt, again);
	va_end(again);
	return s;
}

char *cfg_asprintf(struct load *ld, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = cfg_vasprintf(ld, fmt, ap);
	va_end(ap);
	return s;
}

/* The array's capacity is the power of two at or above count, so it is
 * reallocated only when count is 0 or a power of two. */
void *push_grow(struct load *ld, void *array, size_t count, size_t elem_size)
{
	size_t cap = count ? count * 2 : 1;
	char *p = array;

	if (count & (count - 1)) {
		memset(p + count * elem_size, 0, elem_size);
		return p;
	}
	if (cap > SIZE_MAX / elem_size)
		return failed(ld);
	p = cfg_realloc(ld, array, cap * elem_size);
	if (!p)
		return NULL;
	memset(p + count * elem_size, 0, elem_size);
	return p;
}

bool push_string(struct load *ld, char ***array, size_t *count, const char *s)
{
	char *copy = cfg_strdup(ld, s);
	char **slot = copy ? PUSH(ld, *array, *count) : NULL;

	if (!slot) {
		free(copy);
		return false;
	}
	*slot = copy;
	return true;
}

/* ---- diagnostics ------------------------------------------------------ */

/* The length of the printable UTF-8 character at s (not a control, not a C1
 * control, not a surrogate, no overlong form), or 0. */
static size_t printable_len(const unsigned char *s)
{
	unsigned c = s[0], cp;
	size_t n;

	if (c >= 0x20 && c < 0x7f)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/* A configuration's words go into messages that end up on a terminal or in
 * the journal: an escape sequence or a newline in them must not act. */
char *escape_text(struct load *ld, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s), o = 0;
	char *out = len <= (SIZE_MAX - 1) / 4 ? cfg_alloc(ld, len * 4 + 1, 1) : failed(ld);

	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = printable_len(c);

		if (n) {
			memcpy(out + o, c, n);
			o += n;
			c += n;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*c >> 4];
		out[o++] = hex[*c & 15];
		c++;
	}
	out[o] = '\0';
	return out;
}

/* Keeps one diagnostic (already counted). */
__attribute__((format(printf, 5, 0)))
static void keep(struct load *ld, enum config_severity severity, const char *file,
		 unsigned line, const char *fmt, va_list ap)
{
	struct config_diag *diag = ld->diag;
	struct config_diag_entry *e;
	char *raw = cfg_vasprintf(ld, fmt, ap), *message = NULL, *name = NULL;

	if (raw)
		message = escape_text(ld, raw);
	free(raw);
	if (message)
		name = escape_text(ld, file ? file : "(config)");
	if (name && diag->count == diag->capacity) {
		size_t cap = diag->capacity ? diag->capacity * 2 : 16;
		struct config_diag_entry *n = cfg_realloc(ld, diag->entries, cap * sizeof(*n));

		if (n) {
			diag->entries = n;
			diag->capacity = cap;
		}
	}
	if (!name || diag->count == diag->capacity) {
		free(message);
		free(name);
		return;
	}
	e = &diag->entries[diag->count++];
	e->severity = severity;
	e->file = name;
	e->line = line;
	e->message = message;
}

void diag_vadd(struct load *ld, enum config_severity severity, const char *file,
	       unsigned line, const char *fmt, va_list ap)
{
	/* counted first: whatever happens below, an error fails the load */
	if (severity == CONFIG_ERROR)
		ld->diag->errors++;
	else
		ld->diag->warnings++;
	if (ld->diag->count - ld->first_diag < ld->lim->diagnostics)
		keep(ld, severity, file, line, fmt, ap);
	else if (severity == CONFIG_ERROR)
		ld->dropped_errors++;
	else
		ld->dropped_warnings++;
}

__attribute__((format(printf, 5, 6)))
static void keep_f(struct load *ld, enum config_severity severity, const char *file,
		   unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	keep(ld, severity, file, line, fmt, ap);
	va_end(ap);
}

void diag_summary(struct load *ld, const char *path)
{
	if (ld->dropped_errors || ld->dropped_warnings)
		keep_f(ld, ld->dropped_errors ? CONFIG_ERROR : CONFIG_WARNING, path, 0,
		       "%zu more diagnostics not shown (%zu errors, %zu warnings): only the first %zu are kept",
		       ld->dropped_errors + ld->dropped_warnings, ld->dropped_errors,
		       ld->dropped_warnings, ld->lim->diagnostics);
}

void diag_add(struct load *ld, enum config_severity severity, const char *file,
	      unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld, severity, file, line, fmt, ap);
	va_end(ap);
}

void config_diag_print(const struct config_diag *diag, FILE *out)
{
	for (size_t i = 0; diag && i < diag->count; i++) {
		const struct config_diag_entry *e = &diag->entries[i];
		const char *sev = e->severity == CONFIG_ERROR ? "error" : "warning";

		if (e->line)
			fprintf(out, "%s:%u: %s: %s\n", e->file, e->line, sev, e->message);
		else
			fprintf(out, "%s: %s: %s\n", e->file, sev, e->message);
	}
}

void config_diag_free(struct config_diag *diag)
{
	if (!diag)
		return;
	for (size_t i = 0; i < diag->count; i++) {
		free(diag->entries[i].file);
		free(diag->entries[i].message);
	}
	free(diag->entries);
	memset(diag, 0, sizeof(*diag));
}


/* For checks made after the load (script_sec.c): one more entry, counted. */
void config_diag_add(struct config_diag *diag, enum config_severity severity, const char *file,
		     unsigned line, const char *fmt, ...)
{
	struct config_diag_entry *e;
	char *message = NULL, *name;
	va_list ap;
	int n;

	if (!diag)
		return;
	if (severity == CONFIG_ERROR)
		diag->errors++;
	else
		diag->warnings++;
	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	name = strdup(file ? file : "(config)");
	if (n < 0 || !name)
		goto fail;
	for (char *p = message; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (diag->count == diag->capacity) {
		size_t cap = diag->capacity ? diag->capacity * 2 : 16;
		struct config_diag_entry *ne = realloc(diag->entries, cap * sizeof(*ne));

		if (!ne)
			goto fail;
		diag->entries = ne;
		diag->capacity = cap;
	}
	e = &diag->entries[diag->count++];
	e->severity = severity;
	e->file = name;
	e->line = line;
	e->message = message;
	return;
fail:
	if (n >= 0)
		free(message);
	free(name);
}
