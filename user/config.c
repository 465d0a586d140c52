// SPDX-License-Identifier: GPL-2.0
/*
 * The xvipd configuration parser: a keepalived.conf dialect.
 *
 * Three passes, each simple on its own:
 *   1. lex: every file (main file first, `include`s expanded where they
 *      appear) is cut into statements. A statement is the words of one line up
 *      to a `{` (which it then "opens"), or a lone `}`. Each file ends with an
 *      EOF statement so that a block left open is closed at the end of the
 *      file it was opened in, not at the end of everything.
 *   2. parse: a recursive descent over statements driven by one keyword table
 *      per block; every keyword handler checks its own arguments.
 *   3. validate: what needs the whole file (VRRP version vs advert_int,
 *      track_script names, duplicate VRIDs, defaults that inherit from a
 *      parent block) is checked and filled in once everything is read.
 *
 * All three keep going after an error so that one run reports every problem.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_INCLUDE_DEPTH 32
#define SEC 1000u /* milliseconds */
#define DAY_MS (86400u * SEC)

/* ---- small helpers ---------------------------------------------------- */

static void out_of_memory(void)
{
	/* A config file is small; running out of memory here means the host is
	 * in no state to run an HA daemon either. */
	fputs("xvipd: config: out of memory\n", stderr);
	abort();
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory();
	return p;
}

__attribute__((format(printf, 1, 0)))
static char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	return s;
}

/* Appends one zeroed element to a dynamic array and returns it. Arrays are
 * only appended to while the block that owns them is being parsed, so a
 * pointer to an element of an outer array stays valid. */
static void *push_zeroed(void *array, size_t *count, size_t elem_size)
{
	char *p = realloc(array, (*count + 1) * elem_size);

	if (!p)
		out_of_memory();
	memset(p + *count * elem_size, 0, elem_size);
	(*count)++;
	return p;
}

#define PUSH(array, count) \
	((array) = push_zeroed((array), &(count), sizeof(*(array))), &(array)[(count) - 1])

/* ---- diagnostics ------------------------------------------------------ */

__attribute__((format(printf, 5, 0)))
static void diag_vadd(struct config_diag *diag, enum config_severity severity, const char *file,
		      unsigned line, const char *fmt, va_list ap)
{
	struct config_diag_entry *e;

	if (diag->count == diag->capacity) {
		size_t cap = diag->capacity ? diag->capacity * 2 : 16;
		struct config_diag_entry *n = realloc(diag->entries, cap * sizeof(*n));

		if (!n)
			out_of_memory();
		diag->entries = n;
		diag->capacity = cap;
	}
	e = &diag->entries[diag->count++];
	e->severity = severity;
	e->file = xstrdup(file ? file : "(config)");
	e->line = line;
	e->message = xvasprintf(fmt, ap);
	if (severity == CONFIG_ERROR)
		diag->errors++;
	else
		diag->warnings++;
}

__attribute__((format(printf, 5, 6)))
static void diag_add(struct config_diag *diag, enum config_severity severity, const char *file,
		     unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(diag, severity, file, line, fmt, ap);
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

/* ---- lexer ------------------------------------------------------------ */

struct token {
	char *text;
	bool quoted; /* written as "..."; never a brace or a keyword */
};

enum stmt_kind {
	STMT_WORDS, /* words, maybe followed by `{` (opens); no words: a lone `{` */
	STMT_CLOSE, /* `}` */
	STMT_EOF,   /* end of one file */
};

struct stmt {
	enum stmt_kind kind;
	struct token *tok;
	size_t ntok;
	bool opens;
	const char *file; /* interned in cfg->files */
	unsigned line;
};

struct lexer {
	struct stmt *stmts;
	size_t n_stmts;
	struct xvip_config *cfg;
	struct config_diag *diag;
	char *open_files[MAX_INCLUDE_DEPTH]; /* realpaths being read: loop guard */
	size_t depth;
};

static const char *intern_file(struct xvip_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_files; i++)
		if (!strcmp(cfg->files[i], name))
			return cfg->files[i];
	*PUSH(cfg->files, cfg->n_files) = xstrdup(name);
	return cfg->files[cfg->n_files - 1];
}

static void free_tokens(struct token *tok, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(tok[i].text);
	free(tok);
}

/* Cuts one line into tokens. A comment starts with `!` or `#` at the start of
 * a word (like keepalived), so `pa#ss` stays one word but `1 #note` is `1`. */
static void tokenize_line(struct lexer *lx, const char *file, unsigned line_no, const char *s,
			  struct token **out, size_t *n_out)
{
	struct token *tok = NULL;
	size_t n = 0;

	while (*s) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v') {
			s++;
			continue;
		}
		if (*s == '!' || *s == '#')
			break;
		if (*s == '{' || *s == '}') {
			struct token *t = PUSH(tok, n);

			t->text = xstrdup(*s == '{' ? "{" : "}");
			s++;
			continue;
		}
		if (*s == '"') {
			/* "..." keeps spaces, braces and comment characters;
			 * \" and \\ are the only escapes. */
			size_t len = 0, cap = strlen(s) + 1;
			char *buf = xcalloc(cap, 1);
			struct token *t;

			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				buf[len++] = *s++;
			}
			if (*s == '"')
				s++;
			else
				diag_add(lx->diag, CONFIG_ERROR, file, line_no,
					 "unterminated quoted string \"%s", buf);
			t = PUSH(tok, n);
			t->text = buf;
			t->quoted = true;
			continue;
		}
		{
			const char *start = s;
			struct token *t;

			while (*s && !strchr(" \t\r\f\v{}\"", *s))
				s++;
			t = PUSH(tok, n);
			t->text = strndup(start, (size_t)(s - start));
			if (!t->text)
				out_of_memory();
		}
	}
	*out = tok;
	*n_out = n;
}

static struct stmt *new_stmt(struct lexer *lx, enum stmt_kind kind, const char *file,
			     unsigned line)
{
	struct stmt *st = PUSH(lx->stmts, lx->n_stmts);

	st->kind = kind;
	st->file = file;
	st->line = line;
	return st;
}

/* Splits a line's tokens into statements at `{` and `}`. Takes ownership. */
static void emit_statements(struct lexer *lx, const char *file, unsigned line, struct token *tok,
			    size_t n)
{
	struct stmt *cur = NULL;

	for (size_t i = 0; i < n; i++) {
		bool brace = !tok[i].quoted && (!strcmp(tok[i].text, "{") || !strcmp(tok[i].text, "}"));

		if (!brace) {
			if (!cur)
				cur = new_stmt(lx, STMT_WORDS, file, line);
			*PUSH(cur->tok, cur->ntok) = tok[i];
			continue;
		}
		if (tok[i].text[0] == '{') {
			if (!cur)
				cur = new_stmt(lx, STMT_WORDS, file, line);
			cur->opens = true;
			cur = NULL;
		} else {
			new_stmt(lx, STMT_CLOSE, file, line);
			cur = NULL;
		}
		free(tok[i].text);
	}
	free(tok);
}

static void lex_file(struct lexer *lx, const char *path, const char *from_file,
		     unsigned from_line);

/* `include PATTERN`: a glob, relative to the directory of the including file. */
static void lex_include(struct lexer *lx, const char *file, unsigned line, struct token *tok,
			size_t n)
{
	char *pattern;
	glob_t g;
	int rc;

	if (n < 2) {
		diag_add(lx->diag, CONFIG_ERROR, file, line, "missing argument for 'include'");
		return;
	}
	if (n > 2)
		diag_add(lx->diag, CONFIG_WARNING, file, line,
			 "extra argument '%s' after 'include %s' ignored", tok[2].text, tok[1].text);

	if (tok[1].text[0] == '/') {
		pattern = xstrdup(tok[1].text);
	} else {
		const char *slash = strrchr(file, '/');
		int dir_len = slash ? (int)(slash - file) : 1;

		if (asprintf(&pattern, "%.*s/%s", dir_len, slash ? file : ".", tok[1].text) < 0)
			out_of_memory();
	}

	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		/* An empty conf.d is normal; a named file that is missing is not. */
		if (strpbrk(tok[1].text, "*?["))
			diag_add(lx->diag, CONFIG_WARNING, file, line,
				 "include pattern '%s' matched no files", pattern);
		else
			diag_add(lx->diag, CONFIG_ERROR, file, line, "include file '%s' not found",
				 pattern);
	} else if (rc != 0) {
		diag_add(lx->diag, CONFIG_ERROR, file, line, "include '%s': cannot read: %s",
			 pattern, rc == GLOB_NOSPACE ? "out of memory" : strerror(errno));
	} else {
		for (size_t i = 0; i < g.gl_pathc; i++)
			lex_file(lx, g.gl_pathv[i], file, line);
	}
	globfree(&g); /* glibc leaves g valid (maybe empty) on every return */
	free(pattern);
}

/* Reads one file into statements. from_file/from_line: the include directive
 * (NULL for the main file), which is where open failures are reported. */
static void lex_file(struct lexer *lx, const char *path, const char *from_file,
		     unsigned from_line)
{
	const char *where_file = from_file ? from_file : path;
	const char *file;
	char *real, *line = NULL;
	size_t cap = 0;
	unsigned line_no = 0;
	FILE *f;

	real = realpath(path, NULL);
	if (!real) {
		if (from_file)
			diag_add(lx->diag, CONFIG_ERROR, where_file, from_line,
				 "cannot open include file '%s': %s", path, strerror(errno));
		else
			diag_add(lx->diag, CONFIG_ERROR, path, 0,
				 "cannot open configuration file: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < lx->depth; i++) {
		if (!strcmp(lx->open_files[i], real)) {
			diag_add(lx->diag, CONFIG_ERROR, where_file, from_line,
				 "include loop: '%s' is already being read; not included again",
				 path);
			free(real);
			return;
		}
	}
	if (lx->depth == MAX_INCLUDE_DEPTH) {
		diag_add(lx->diag, CONFIG_ERROR, where_file, from_line,
			 "include '%s': more than %d nested includes", path, MAX_INCLUDE_DEPTH);
		free(real);
		return;
	}
	f = fopen(path, "r");
	if (!f) {
		if (from_file)
			diag_add(lx->diag, CONFIG_ERROR, where_file, from_line,
				 "cannot open include file '%s': %s", path, strerror(errno));
		else
			diag_add(lx->diag, CONFIG_ERROR, path, 0,
				 "cannot open configuration file: %s", strerror(errno));
		free(real);
		return;
	}

	lx->open_files[lx->depth++] = real;
	file = intern_file(lx->cfg, path);

	while (getline(&line, &cap, f) != -1) {
		struct token *tok;
		size_t n;
		const char *s = line;

		line_no++;
		line[strcspn(line, "\n")] = '\0';
		if (line_no == 1 && !strncmp(s, "\xef\xbb\xbf", 3)) /* UTF-8 BOM */
			s += 3;
		tokenize_line(lx, file, line_no, s, &tok, &n);
		if (n && !tok[0].quoted && !strcmp(tok[0].text, "include")) {
			lex_include(lx, file, line_no, tok, n);
			free_tokens(tok, n);
			continue;
		}
		emit_statements(lx, file, line_no, tok, n);
	}
	if (ferror(f))
		diag_add(lx->diag, CONFIG_ERROR, file, line_no, "read error after this line: %s",
			 strerror(errno));
	free(line);
	fclose(f);
	new_stmt(lx, STMT_EOF, file, line_no);
	free(lx->open_files[--lx->depth]);
}

static void free_stmts(struct stmt *stmts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_tokens(stmts[i].tok, stmts[i].ntok);
	free(stmts);
}

/* ---- parser core ------------------------------------------------------ */

struct parser {
	const struct stmt *stmts;
	size_t n_stmts;
	size_t pos;
	struct xvip_config *cfg;
	struct config_diag *diag;
};

typedef void (*keyword_fn)(struct parser *p, const struct stmt *st, void *ctx);

struct keyword {
	const char *name;
	bool block; /* takes a { ... } body; the handler parses it */
	keyword_fn handle;
};

struct block_def {
	const char *name; /* for messages: "unknown keyword 'x' in <name>" */
	const struct keyword *keywords;
	/* keepalived keywords we recognise but do not implement: warned about
	 * by name instead of as unknown, so the operator knows it is not a typo */
	const char *const *unsupported;
};

__attribute__((format(printf, 3, 4)))
static void error_at(struct parser *p, const struct stmt *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->diag, CONFIG_ERROR, st->file, st->line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void warn_at(struct parser *p, const struct stmt *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->diag, CONFIG_WARNING, st->file, st->line, fmt, ap);
	va_end(ap);
}

static struct config_where where_of(const struct stmt *st)
{
	return (struct config_where){ .file = st->file, .line = st->line };
}

static const char *kw(const struct stmt *st)
{
	return st->tok[0].text;
}

/* True when `st` is followed by a `{`: glued/on the same line, or alone on the
 * next line (which is then consumed). */
static bool take_block_open(struct parser *p, const struct stmt *st)
{
	const struct stmt *next;

	if (st->opens)
		return true;
	if (p->pos >= p->n_stmts)
		return false;
	next = &p->stmts[p->pos];
	if (next->kind == STMT_WORDS && next->ntok == 0 && next->opens && next->file == st->file) {
		p->pos++;
		return true;
	}
	return false;
}

static void warn_unclosed(struct parser *p, const struct stmt *opener)
{
	warn_at(p, opener,
		"'%s' block opened here is not closed before the end of the file; accepted as if closed",
		opener->ntok ? kw(opener) : "{");
}

/* The next statement of the block opened by `opener`, or NULL at its end. An
 * EOF of the opener's file ends the block (with a warning) but is left for
 * the enclosing blocks, which are then unclosed too. */
static const struct stmt *next_in_block(struct parser *p, const struct stmt *opener)
{
	while (p->pos < p->n_stmts) {
		const struct stmt *st = &p->stmts[p->pos];

		if (st->kind == STMT_EOF) {
			if (st->file == opener->file) {
				warn_unclosed(p, opener);
				return NULL;
			}
			p->pos++; /* end of a file included inside this block */
			continue;
		}
		p->pos++;
		if (st->kind == STMT_CLOSE)
			return NULL;
		return st;
	}
	warn_unclosed(p, opener);
	return NULL;
}

/* Skips the body of a block we do not parse (unknown keyword, error). */
static void skip_block(struct parser *p, const struct stmt *opener)
{
	const struct stmt *st;

	while ((st = next_in_block(p, opener)))
		if (st->opens)
			skip_block(p, st);
}

static bool is_unsupported(const struct block_def *def, const char *name)
{
	for (const char *const *u = def->unsupported; u && *u; u++)
		if (!strcmp(*u, name))
			return true;
	return false;
}

static void handle_statement(struct parser *p, const struct block_def *def, void *ctx,
			     const struct stmt *st)
{
	const struct keyword *k;

	if (st->ntok == 0) {
		error_at(p, st, "'{' without a keyword before it in %s", def->name);
		skip_block(p, st);
		return;
	}
	for (k = def->keywords; k->name; k++)
		if (!st->tok[0].quoted && !strcmp(k->name, kw(st)))
			break;
	if (!k->name) {
		if (is_unsupported(def, kw(st)))
			warn_at(p, st, "keyword '%s' in %s is not supported by xvipd, ignored", kw(st),
				def->name);
		else if (!strcmp(def->name, "top level"))
			warn_at(p, st, "unknown keyword '%s' at top level, ignored", kw(st));
		else
			warn_at(p, st, "unknown keyword '%s' in %s, ignored", kw(st), def->name);
		if (take_block_open(p, st))
			skip_block(p, st);
		return;
	}
	if (k->block) {
		if (!take_block_open(p, st)) {
			error_at(p, st, "'%s' needs a { ... } block", k->name);
			return;
		}
	} else if (st->opens) {
		error_at(p, st, "'%s' does not take a { ... } block", k->name);
		skip_block(p, st);
		return;
	}
	k->handle(p, st, ctx);
}

/* Parses the body of the block opened by `opener` up to its `}`. */
static void parse_block(struct parser *p, const struct block_def *def, void *ctx,
			const struct stmt *opener)
{
	const struct stmt *st;

	while ((st = next_in_block(p, opener)))
		handle_statement(p, def, ctx, st);
}

static void parse_top_level(struct parser *p, const struct block_def *def, void *ctx)
{
	while (p->pos < p->n_stmts) {
		const struct stmt *st = &p->stmts[p->pos++];

		if (st->kind == STMT_EOF)
			continue;
		if (st->kind == STMT_CLOSE) {
			error_at(p, st, "'}' without an open block");
			continue;
		}
		handle_statement(p, def, ctx, st);
	}
}

typedef void (*item_fn)(struct parser *p, const struct stmt *st, void *ctx);

/* A block holding a list (virtual_ipaddress, unicast_peer, ...): every line
 * is one item, handed to `item`. */
static void parse_list(struct parser *p, const struct stmt *opener, item_fn item, void *ctx)
{
	const struct stmt *st;

	while ((st = next_in_block(p, opener))) {
		if (st->opens || st->ntok == 0) {
			error_at(p, st, "'%s' holds a list, not a nested block; did a '}' go missing?",
				 kw(opener));
			skip_block(p, st);
			continue;
		}
		item(p, st, ctx);
	}
}

/* ---- argument helpers ------------------------------------------------- */

/* Checks that `st` has between min and max arguments after the keyword.
 * Too few is an error, too many a warning (the rest is ignored). */
static bool want_args(struct parser *p, const struct stmt *st, size_t min, size_t max)
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
static bool parse_uint_tok(struct parser *p, const struct stmt *st, const char *name,
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

static bool parse_int_tok(struct parser *p, const struct stmt *st, const char *name,
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

static bool arg_uint(struct parser *p, const struct stmt *st, unsigned min, unsigned max,
		     unsigned *out)
{
	return want_args(p, st, 1, 1) &&
	       parse_uint_tok(p, st, kw(st), st->tok[1].text, min, max, out);
}

static bool arg_int(struct parser *p, const struct stmt *st, int min, int max, int *out)
{
	return want_args(p, st, 1, 1) && parse_int_tok(p, st, kw(st), st->tok[1].text, min, max, out);
}

/* "1.234" -> "1.234", 1000 -> "1", 500 -> "0.5": seconds, up to 3 decimals. */
static const char *fmt_seconds(uint32_t ms, char buf[16])
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
 * milliseconds with an "ms" suffix ("100ms"); "s" is accepted too. */
static bool parse_duration_text(const char *s, uint32_t *out_ms)
{
	unsigned long long whole = 0, frac = 0;
	unsigned frac_digits = 0;
	const char *c = s;
	bool ms_unit = false;

	if (!(*c >= '0' && *c <= '9'))
		return false;
	while (*c >= '0' && *c <= '9') {
		whole = whole * 10 + (unsigned)(*c++ - '0');
		if (whole > DAY_MS * 10ull)
			return false;
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
		*out_ms = (uint32_t)whole;
	} else {
		*out_ms = (uint32_t)(whole * SEC + frac);
	}
	return true;
}

static bool parse_duration_tok(struct parser *p, const struct stmt *st, const char *name,
			       const char *text, uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	char lo[16], hi[16];
	uint32_t ms;

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
	*out = ms;
	return true;
}

static bool arg_duration(struct parser *p, const struct stmt *st, uint32_t min_ms,
			 uint32_t max_ms, uint32_t *out)
{
	return want_args(p, st, 1, 1) &&
	       parse_duration_tok(p, st, kw(st), st->tok[1].text, min_ms, max_ms, out);
}

/* on|off (also yes/no, true/false, 1/0); the keyword alone means on. */
static bool arg_bool(struct parser *p, const struct stmt *st, bool *out)
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

static bool arg_flag(struct parser *p, const struct stmt *st)
{
	return want_args(p, st, 0, 0);
}

static bool arg_string(struct parser *p, const struct stmt *st, char **dst)
{
	if (!want_args(p, st, 1, 1))
		return false;
	free(*dst);
	*dst = xstrdup(st->tok[1].text);
	return true;
}

static bool parse_ipv4_tok(struct parser *p, const struct stmt *st, const char *name,
			   const char *text, struct in_addr *out)
{
	if (inet_pton(AF_INET, text, out) != 1) {
		error_at(p, st, "%s: '%s' is not an IPv4 address", name, text);
		return false;
	}
	return true;
}

static bool arg_ipv4(struct parser *p, const struct stmt *st, struct in_addr *out)
{
	return want_args(p, st, 1, 1) && parse_ipv4_tok(p, st, kw(st), st->tok[1].text, out);
}

static bool parse_ifname_tok(struct parser *p, const struct stmt *st, const char *text,
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

static bool parse_port_tok(struct parser *p, const struct stmt *st, const char *name,
			   const char *text, uint16_t *out)
{
	unsigned v;

	if (!parse_uint_tok(p, st, name, text, 1, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* ---- commands (scripts) ----------------------------------------------- */

static void free_command_fields(struct config_command *c)
{
	if (!c)
		return;
	free(c->text);
	for (size_t i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	memset(c, 0, sizeof(*c));
}

static void free_command(struct config_command *c)
{
	free_command_fields(c);
	free(c);
}

/* Splits a command line the way keepalived does before execve(): on blanks,
 * with '...' and "..." grouping words. Returns false on an unbalanced quote. */
static bool split_command(const char *text, struct config_command *c)
{
	const char *s = text;
	size_t slots = 0; /* argv entries, including the NULL terminator */

	c->argv = NULL;
	c->argc = 0;
	for (;;) {
		char *word, quote = 0;
		size_t len = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		word = xcalloc(strlen(s) + 1, 1);
		while (*s && (quote || (*s != ' ' && *s != '\t'))) {
			if (!quote && (*s == '\'' || *s == '"'))
				quote = *s;
			else if (quote && *s == quote)
				quote = 0;
			else
				word[len++] = *s;
			s++;
		}
		*PUSH(c->argv, slots) = word;
		c->argc = slots;
		if (quote)
			return false;
	}
	*PUSH(c->argv, slots) = NULL;
	return true;
}

/* The command is everything after the keyword: either one "quoted string"
 * (keepalived's way to pass arguments) or several words. */
static struct config_command *arg_command(struct parser *p, const struct stmt *st)
{
	struct config_command *c;
	size_t len = 0;

	if (!want_args(p, st, 1, SIZE_MAX))
		return NULL;
	for (size_t i = 1; i < st->ntok; i++)
		len += strlen(st->tok[i].text) + 3;
	c = xcalloc(1, sizeof(*c));
	c->text = xcalloc(len + 1, 1);
	for (size_t i = 1; i < st->ntok; i++) {
		/* keep a quoted word with blanks in it one argument */
		bool group = st->ntok > 2 && st->tok[i].quoted && strpbrk(st->tok[i].text, " \t");

		if (i > 1)
			strcat(c->text, " ");
		if (group)
			strcat(c->text, "'");
		strcat(c->text, st->tok[i].text);
		if (group)
			strcat(c->text, "'");
	}
	if (!split_command(c->text, c) || c->argc == 0) {
		error_at(p, st, "%s: cannot split '%s' into a program and its arguments "
			 "(empty, or unbalanced quote)", kw(st), c->text);
		free_command(c);
		return NULL;
	}
	return c;
}

static void set_command(struct parser *p, const struct stmt *st, struct config_command **dst)
{
	struct config_command *c = arg_command(p, st);

	if (!c)
		return;
	free_command(*dst);
	*dst = c;
}

/* ---- global_defs ------------------------------------------------------ */

static void email_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_global *g = ctx;

	(void)p;
	for (size_t i = 0; i < st->ntok; i++)
		*PUSH(g->notification_email, g->n_notification_email) = xstrdup(st->tok[i].text);
}

static void kw_notification_email(struct parser *p, const struct stmt *st, void *ctx)
{
	parse_list(p, st, email_item, ctx);
}

static void kw_router_id(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_string(p, st, &((struct config_global *)ctx)->router_id);
}

static void kw_notification_email_from(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_string(p, st, &((struct config_global *)ctx)->notification_email_from);
}

static void kw_smtp_server(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_global *g = ctx;
	uint16_t port = 25;

	if (!want_args(p, st, 1, 2))
		return;
	if (st->ntok > 2 && !parse_port_tok(p, st, "smtp_server port", st->tok[2].text, &port))
		return;
	free(g->smtp_server);
	g->smtp_server = xstrdup(st->tok[1].text);
	g->smtp_port = port;
}

static void kw_smtp_connect_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 1, 3600 * SEC, &((struct config_global *)ctx)->smtp_connect_timeout_ms);
}

static void kw_vrrp_version(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 2, 3, &((struct config_global *)ctx)->vrrp_version);
}

/* `user USER [GROUP]`, shared by script_user, vrrp_script and MISC_CHECK. */
static void set_user_group(struct parser *p, const struct stmt *st, char **user, char **group)
{
	if (!want_args(p, st, 1, 2))
		return;
	free(*user);
	free(*group);
	*user = xstrdup(st->tok[1].text);
	*group = st->ntok > 2 ? xstrdup(st->tok[2].text) : NULL;
}

static void kw_script_user(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_global *g = ctx;

	set_user_group(p, st, &g->script_user, &g->script_group);
}

static void kw_enable_script_security(struct parser *p, const struct stmt *st, void *ctx)
{
	if (arg_flag(p, st))
		((struct config_global *)ctx)->enable_script_security = true;
}

static void kw_vrrp_rt_priority(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 1, 99, &((struct config_global *)ctx)->rt_priority);
}

static void kw_vrrp_priority(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_int(p, st, -20, 19, &((struct config_global *)ctx)->nice);
}

static void kw_vrrp_no_swap(struct parser *p, const struct stmt *st, void *ctx)
{
	if (arg_flag(p, st))
		((struct config_global *)ctx)->no_swap = true;
}

static const struct keyword global_keywords[] = {
	{ "router_id", false, kw_router_id },
	{ "notification_email", true, kw_notification_email },
	{ "notification_email_from", false, kw_notification_email_from },
	{ "smtp_server", false, kw_smtp_server },
	{ "smtp_connect_timeout", false, kw_smtp_connect_timeout },
	{ "vrrp_version", false, kw_vrrp_version },
	{ "vrrp_rt_priority", false, kw_vrrp_rt_priority },
	{ "vrrp_priority", false, kw_vrrp_priority },
	{ "vrrp_no_swap", false, kw_vrrp_no_swap },
	{ "script_user", false, kw_script_user },
	{ "enable_script_security", false, kw_enable_script_security },
	{ NULL, false, NULL },
};

static const char *const global_unsupported[] = {
	"lvs_id", "vrrp_strict", "vrrp_skip_check_adv_addr", "vrrp_garp_interval",
	"vrrp_gna_interval", "vrrp_mcast_group4", "vrrp_mcast_group6", "enable_traps",
	"vrrp_iptables", "vrrp_check_unicast_src", "max_auto_priority", "lvs_sync_daemon",
	NULL,
};

static const struct block_def global_block = { "global_defs", global_keywords,
						global_unsupported };

static void kw_global_defs(struct parser *p, const struct stmt *st, void *ctx)
{
	struct xvip_config *cfg = ctx;

	want_args(p, st, 0, 0);
	parse_block(p, &global_block, &cfg->global, st);
}

/* ---- vrrp_script ------------------------------------------------------ */

static void kw_script_script(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_vrrp_script *s = ctx;
	struct config_command *c = arg_command(p, st);

	if (!c)
		return;
	free_command_fields(&s->script);
	s->script = *c;
	free(c);
}

static void kw_script_interval(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 10, DAY_MS, &((struct config_vrrp_script *)ctx)->interval_ms);
}

static void kw_script_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 10, DAY_MS, &((struct config_vrrp_script *)ctx)->timeout_ms);
}

static void kw_script_weight(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_vrrp_script *s = ctx;

	if (st->ntok > 2 && !strcmp(st->tok[2].text, "reverse")) {
		error_at(p, st, "weight ... reverse is not supported by xvipd");
		return;
	}
	arg_int(p, st, -253, 253, &s->weight);
}

static void kw_script_rise(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 1, 1000000, &((struct config_vrrp_script *)ctx)->rise);
}

static void kw_script_fall(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 1, 1000000, &((struct config_vrrp_script *)ctx)->fall);
}

static void kw_script_user_inner(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_vrrp_script *s = ctx;

	set_user_group(p, st, &s->user, &s->group);
}

static const struct keyword script_keywords[] = {
	{ "script", false, kw_script_script },
	{ "interval", false, kw_script_interval },
	{ "timeout", false, kw_script_timeout },
	{ "weight", false, kw_script_weight },
	{ "rise", false, kw_script_rise },
	{ "fall", false, kw_script_fall },
	{ "user", false, kw_script_user_inner },
	{ NULL, false, NULL },
};

static const char *const script_unsupported[] = { "init_fail", NULL };

static const struct block_def script_block = { "vrrp_script", script_keywords,
						script_unsupported };

/* The name of a named block (vrrp_instance NAME {); NULL after an error. */
static const char *block_name(struct parser *p, const struct stmt *st)
{
	if (st->ntok < 2) {
		error_at(p, st, "missing argument for '%s': it needs a name", kw(st));
		return NULL;
	}
	if (st->ntok > 2)
		warn_at(p, st, "extra argument '%s' after '%s %s' ignored", st->tok[2].text, kw(st),
			st->tok[1].text);
	return st->tok[1].text;
}

static void kw_vrrp_script(struct parser *p, const struct stmt *st, void *ctx)
{
	struct xvip_config *cfg = ctx;
	const char *name = block_name(p, st);
	struct config_vrrp_script *s;

	if (!name) {
		skip_block(p, st);
		return;
	}
	for (size_t i = 0; i < cfg->n_scripts; i++) {
		if (!strcmp(cfg->scripts[i].name, name)) {
			error_at(p, st, "duplicate vrrp_script '%s' (first defined at %s:%u)", name,
				 cfg->scripts[i].where.file, cfg->scripts[i].where.line);
			break;
		}
	}
	s = PUSH(cfg->scripts, cfg->n_scripts);
	s->name = xstrdup(name);
	s->where = where_of(st);
	s->interval_ms = 1 * SEC;
	s->rise = 1;
	s->fall = 1;
	parse_block(p, &script_block, s, st);
}

/* ---- vrrp_instance ---------------------------------------------------- */

/* Per-instance parse state: where keywords were written, for the checks that
 * can only be made once the whole file is read. */
struct instance_src {
	/* interface and virtual_router_id are set even when their value was
	 * rejected, so that a bad value is not also reported as missing */
	struct config_where state, interface, virtual_router_id, advert_int, nopreempt;
	struct config_where virtual_ipaddress, version, authentication;
	size_t vip_items; /* lines in virtual_ipaddress, valid or not */
	bool auth_pass_set;
	bool auth_type_set;
};

struct instance_ctx {
	struct config_vrrp_instance *inst;
	struct instance_src *src;
};

static void kw_state(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "MASTER")) {
		ic->inst->configured_state = CONFIG_STATE_MASTER;
	} else if (!strcasecmp(st->tok[1].text, "BACKUP")) {
		ic->inst->configured_state = CONFIG_STATE_BACKUP;
	} else {
		error_at(p, st, "state: '%s' is neither MASTER nor BACKUP", st->tok[1].text);
		return;
	}
	ic->src->state = where_of(st);
}

static void kw_interface(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	ic->src->interface = where_of(st);
	if (want_args(p, st, 1, 1))
		parse_ifname_tok(p, st, st->tok[1].text, ic->inst->interface);
}

static void kw_virtual_router_id(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	unsigned v;

	ic->src->virtual_router_id = where_of(st);
	if (arg_uint(p, st, 1, 255, &v))
		ic->inst->virtual_router_id = (uint8_t)v;
}

static void kw_priority(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	unsigned v;

	/* 255 is the address owner's priority; accepted like keepalived does */
	if (arg_uint(p, st, 1, 255, &v))
		ic->inst->priority = (uint8_t)v;
}

static void kw_advert_int(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	/* the limits for the VRRP version in use are checked after parsing,
	 * since `version` may come after advert_int */
	if (arg_duration(p, st, 10, 255 * SEC, &ic->inst->advert_int_ms))
		ic->src->advert_int = where_of(st);
}

static void kw_version(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (arg_uint(p, st, 2, 3, &ic->inst->version))
		ic->src->version = where_of(st);
}

static void kw_nopreempt(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	arg_flag(p, st);
	ic->inst->nopreempt = true;
	ic->src->nopreempt = where_of(st);
}

static void kw_preempt(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	arg_flag(p, st);
	ic->inst->nopreempt = false;
	ic->src->nopreempt = (struct config_where){ 0 };
}

static void kw_preempt_delay(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 0, 1000 * SEC, &((struct instance_ctx *)ctx)->inst->preempt_delay_ms);
}

static void kw_auth_type(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "PASS")) {
		ic->inst->auth_type = CONFIG_AUTH_PASS;
		ic->src->auth_type_set = true;
	} else if (!strcasecmp(st->tok[1].text, "AH")) {
		error_at(p, st, "auth_type AH is not supported by xvipd (use PASS, or none)");
	} else {
		error_at(p, st, "auth_type: '%s' is neither PASS nor AH", st->tok[1].text);
	}
}

static void kw_auth_pass(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	char *pass = ic->inst->auth_pass;

	if (!want_args(p, st, 1, 1))
		return;
	if (strlen(st->tok[1].text) > 8)
		warn_at(p, st, "auth_pass is longer than 8 characters; only '%.8s' is used "
			"(as keepalived does)", st->tok[1].text);
	snprintf(pass, sizeof(ic->inst->auth_pass), "%.8s", st->tok[1].text);
	ic->src->auth_pass_set = true;
}

static const struct keyword auth_keywords[] = {
	{ "auth_type", false, kw_auth_type },
	{ "auth_pass", false, kw_auth_pass },
	{ NULL, false, NULL },
};

static const struct block_def auth_block = { "authentication", auth_keywords, NULL };

static void kw_authentication(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	ic->src->authentication = where_of(st);
	parse_block(p, &auth_block, ctx, st);
}

/* A.B.C.D[/len] [dev IF] [label X] */
static void vip_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct config_vip vip = { .prefix_len = 32, .where = where_of(st) };
	char *addr = xstrdup(st->tok[0].text);
	char *slash = strchr(addr, '/');
	bool ok = true;

	ic->src->vip_items++;
	if (slash) {
		unsigned len;

		*slash = '\0';
		if (parse_uint_tok(p, st, "prefix length", slash + 1, 0, 32, &len))
			vip.prefix_len = (uint8_t)len;
		else
			ok = false;
	}
	ok = parse_ipv4_tok(p, st, "virtual_ipaddress", addr, &vip.addr) && ok;
	free(addr);

	for (size_t i = 1; i < st->ntok; i++) {
		const char *opt = st->tok[i].text;

		if (i + 1 >= st->ntok &&
		    (!strcmp(opt, "dev") || !strcmp(opt, "label") || !strcmp(opt, "brd") ||
		     !strcmp(opt, "scope"))) {
			error_at(p, st, "missing argument for '%s' in virtual_ipaddress", opt);
			ok = false;
			break;
		}
		if (!strcmp(opt, "dev")) {
			ok = parse_ifname_tok(p, st, st->tok[++i].text, vip.dev) && ok;
		} else if (!strcmp(opt, "label")) {
			free(vip.label);
			vip.label = xstrdup(st->tok[++i].text);
		} else if (!strcmp(opt, "brd") || !strcmp(opt, "scope")) {
			warn_at(p, st, "virtual_ipaddress option '%s %s' is not supported by xvipd, ignored",
				opt, st->tok[i + 1].text);
			i++;
		} else {
			warn_at(p, st, "unknown virtual_ipaddress option '%s', ignored", opt);
		}
	}
	if (!ok) {
		free(vip.label);
		return;
	}
	*PUSH(ic->inst->vips, ic->inst->n_vips) = vip;
}

static void kw_virtual_ipaddress(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	want_args(p, st, 0, 0);
	ic->src->virtual_ipaddress = where_of(st);
	parse_list(p, st, vip_item, ctx);
}

static void kw_vip_mode(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcmp(st->tok[1].text, "lo"))
		ic->inst->vip_mode = CONFIG_VIP_MODE_LO;
	else if (!strcmp(st->tok[1].text, "interface"))
		ic->inst->vip_mode = CONFIG_VIP_MODE_INTERFACE;
	else
		error_at(p, st, "vip_mode: '%s' is neither lo nor interface", st->tok[1].text);
}

static void kw_unicast_src_ip(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;

	if (arg_ipv4(p, st, &ic->inst->unicast_src_ip))
		ic->inst->unicast_src_set = true;
}

static void peer_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct in_addr a;

	if (!parse_ipv4_tok(p, st, "unicast_peer", st->tok[0].text, &a))
		return;
	if (st->ntok > 1)
		warn_at(p, st, "unicast_peer option '%s' is not supported by xvipd, ignored",
			st->tok[1].text);
	for (size_t i = 0; i < ic->inst->n_unicast_peers; i++) {
		if (ic->inst->unicast_peers[i].s_addr == a.s_addr) {
			warn_at(p, st, "unicast_peer %s listed twice", st->tok[0].text);
			return;
		}
	}
	*PUSH(ic->inst->unicast_peers, ic->inst->n_unicast_peers) = a;
}

static void kw_unicast_peer(struct parser *p, const struct stmt *st, void *ctx)
{
	want_args(p, st, 0, 0);
	parse_list(p, st, peer_item, ctx);
}

/* `NAME [weight N]` for track_interface and track_script items. */
static bool parse_track_weight(struct parser *p, const struct stmt *st, bool *set, int *weight)
{
	if (st->ntok == 1)
		return true;
	if (strcmp(st->tok[1].text, "weight")) {
		error_at(p, st, "%s: expected 'weight N' after '%s', found '%s'", "track item",
			 st->tok[0].text, st->tok[1].text);
		return false;
	}
	if (st->ntok < 3) {
		error_at(p, st, "missing argument for 'weight' after '%s'", st->tok[0].text);
		return false;
	}
	if (st->ntok > 3)
		warn_at(p, st, "extra argument '%s' after 'weight %s' ignored", st->tok[3].text,
			st->tok[2].text);
	if (!parse_int_tok(p, st, "weight", st->tok[2].text, -253, 253, weight))
		return false;
	*set = true;
	return true;
}

static void track_if_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct config_track_interface t = { .where = where_of(st) };
	bool set = false;

	if (!parse_ifname_tok(p, st, st->tok[0].text, t.name) ||
	    !parse_track_weight(p, st, &set, &t.weight))
		return;
	*PUSH(ic->inst->track_interfaces, ic->inst->n_track_interfaces) = t;
}

static void kw_track_interface(struct parser *p, const struct stmt *st, void *ctx)
{
	want_args(p, st, 0, 0);
	parse_list(p, st, track_if_item, ctx);
}

static void track_script_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct instance_ctx *ic = ctx;
	struct config_track_script t = { .where = where_of(st) };

	if (!parse_track_weight(p, st, &t.weight_set, &t.weight))
		return;
	t.name = xstrdup(st->tok[0].text);
	*PUSH(ic->inst->track_scripts, ic->inst->n_track_scripts) = t;
}

static void kw_track_script(struct parser *p, const struct stmt *st, void *ctx)
{
	want_args(p, st, 0, 0);
	parse_list(p, st, track_script_item, ctx);
}

static void kw_notify_master(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct instance_ctx *)ctx)->inst->notify_master);
}

static void kw_notify_backup(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct instance_ctx *)ctx)->inst->notify_backup);
}

static void kw_notify_fault(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct instance_ctx *)ctx)->inst->notify_fault);
}

static void kw_notify_stop(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct instance_ctx *)ctx)->inst->notify_stop);
}

static void kw_notify(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct instance_ctx *)ctx)->inst->notify);
}

static void kw_garp_master_delay(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 0, 1000 * SEC, &((struct instance_ctx *)ctx)->inst->garp_master_delay_ms);
}

static void kw_garp_master_repeat(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 1, 255, &((struct instance_ctx *)ctx)->inst->garp_master_repeat);
}

static void kw_garp_master_refresh(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 0, DAY_MS, &((struct instance_ctx *)ctx)->inst->garp_master_refresh_ms);
}

static void kw_garp_master_refresh_repeat(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 1, 255, &((struct instance_ctx *)ctx)->inst->garp_master_refresh_repeat);
}

static const struct keyword instance_keywords[] = {
	{ "state", false, kw_state },
	{ "interface", false, kw_interface },
	{ "virtual_router_id", false, kw_virtual_router_id },
	{ "priority", false, kw_priority },
	{ "advert_int", false, kw_advert_int },
	{ "version", false, kw_version },
	{ "nopreempt", false, kw_nopreempt },
	{ "preempt", false, kw_preempt },
	{ "preempt_delay", false, kw_preempt_delay },
	{ "authentication", true, kw_authentication },
	{ "virtual_ipaddress", true, kw_virtual_ipaddress },
	{ "vip_mode", false, kw_vip_mode },
	{ "unicast_src_ip", false, kw_unicast_src_ip },
	{ "unicast_peer", true, kw_unicast_peer },
	{ "track_interface", true, kw_track_interface },
	{ "track_script", true, kw_track_script },
	{ "notify_master", false, kw_notify_master },
	{ "notify_backup", false, kw_notify_backup },
	{ "notify_fault", false, kw_notify_fault },
	{ "notify_stop", false, kw_notify_stop },
	{ "notify", false, kw_notify },
	{ "garp_master_delay", false, kw_garp_master_delay },
	{ "garp_master_repeat", false, kw_garp_master_repeat },
	{ "garp_master_refresh", false, kw_garp_master_refresh },
	{ "garp_master_refresh_repeat", false, kw_garp_master_refresh_repeat },
	{ NULL, false, NULL },
};

static const char *const instance_unsupported[] = {
	"mcast_src_ip", "dont_track_primary", "use_vmac", "vmac_xmit_base", "smtp_alert",
	"virtual_ipaddress_excluded", "virtual_routes", "virtual_rules", "track_process",
	"track_file", "track_bfd", "accept", "no_accept", "strict_mode", "lvs_sync_daemon_interface",
	"garp_lower_prio_delay", "garp_lower_prio_repeat", "debug", "notify_deleted",
	NULL,
};

static const struct block_def instance_block = { "vrrp_instance", instance_keywords,
						  instance_unsupported };

/* Parse-time sidecar of cfg->instances (same index). */
struct parse_state {
	struct instance_src *instance_src;
	size_t n_instance_src;
};

struct top_ctx {
	struct xvip_config *cfg;
	struct parse_state *ps;
};

static void kw_vrrp_instance(struct parser *p, const struct stmt *st, void *ctx)
{
	struct top_ctx *top = ctx;
	struct xvip_config *cfg = top->cfg;
	const char *name = block_name(p, st);
	struct config_vrrp_instance *inst;
	struct instance_ctx ic;

	if (!name) {
		skip_block(p, st);
		return;
	}
	for (size_t i = 0; i < cfg->n_instances; i++) {
		if (!strcmp(cfg->instances[i].name, name)) {
			error_at(p, st, "duplicate vrrp_instance '%s' (first defined at %s:%u)", name,
				 cfg->instances[i].where.file, cfg->instances[i].where.line);
			break;
		}
	}
	inst = PUSH(cfg->instances, cfg->n_instances);
	ic.src = PUSH(top->ps->instance_src, top->ps->n_instance_src);
	ic.inst = inst;
	inst->name = xstrdup(name);
	inst->where = where_of(st);
	inst->priority = 100;
	inst->advert_int_ms = 1 * SEC;
	inst->garp_master_delay_ms = 5 * SEC;
	inst->garp_master_repeat = 5;
	inst->garp_master_refresh_repeat = 1;
	parse_block(p, &instance_block, &ic, st);
}

/* ---- vrrp_sync_group -------------------------------------------------- */

static void group_item(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_sync_group *g = ctx;

	(void)p;
	for (size_t i = 0; i < st->ntok; i++)
		*PUSH(g->members, g->n_members) = xstrdup(st->tok[i].text);
}

static void kw_sync_group_group(struct parser *p, const struct stmt *st, void *ctx)
{
	parse_list(p, st, group_item, ctx);
}

static void kw_sync_group_ignored(struct parser *p, const struct stmt *st, void *ctx)
{
	(void)ctx;
	warn_at(p, st, "'%s' in vrrp_sync_group is ignored: set it on each vrrp_instance",
		kw(st));
}

static const struct keyword sync_group_keywords[] = {
	{ "group", true, kw_sync_group_group },
	{ "notify_master", false, kw_sync_group_ignored },
	{ "notify_backup", false, kw_sync_group_ignored },
	{ "notify_fault", false, kw_sync_group_ignored },
	{ "notify_stop", false, kw_sync_group_ignored },
	{ "notify", false, kw_sync_group_ignored },
	{ NULL, false, NULL },
};

static const struct block_def sync_group_block = { "vrrp_sync_group", sync_group_keywords,
						    NULL };

static void kw_vrrp_sync_group(struct parser *p, const struct stmt *st, void *ctx)
{
	struct top_ctx *top = ctx;
	const char *name = block_name(p, st);
	struct config_sync_group *g;

	if (!name) {
		skip_block(p, st);
		return;
	}
	warn_at(p, st, "vrrp_sync_group '%s' is accepted but its instances run independently "
		"(xvipd does not move them together)", name);
	g = PUSH(top->cfg->sync_groups, top->cfg->n_sync_groups);
	g->name = xstrdup(name);
	g->where = where_of(st);
	parse_block(p, &sync_group_block, g, st);
}

/* ---- checkers --------------------------------------------------------- */

static void kw_tcp_connect_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 1, 3600 * SEC, &((struct config_checker *)ctx)->u.tcp.connect_timeout_ms);
}

static void kw_tcp_connect_port(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (want_args(p, st, 1, 1) &&
	    parse_port_tok(p, st, kw(st), st->tok[1].text, &c->u.tcp.connect_port))
		c->connect_port_set = true;
}

static void kw_tcp_connect_ip(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (arg_ipv4(p, st, &c->u.tcp.connect_ip))
		c->connect_ip_set = true;
}

static void kw_tcp_retry(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 0, 1000, &((struct config_checker *)ctx)->u.tcp.retry);
}

static void kw_tcp_nb_get_retry(struct parser *p, const struct stmt *st, void *ctx)
{
	warn_at(p, st, "'nb_get_retry' is deprecated, treated as 'retry'; write 'retry %s' instead",
		st->ntok > 1 ? st->tok[1].text : "N");
	kw_tcp_retry(p, st, ctx);
}

static void kw_tcp_delay_before_retry(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 0, 3600 * SEC,
		     &((struct config_checker *)ctx)->u.tcp.delay_before_retry_ms);
}

/* delay_loop inside a checker overrides the virtual server's. */
static void kw_checker_delay_loop(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;
	uint32_t *dst = c->type == CONFIG_CHECK_TCP ? &c->u.tcp.delay_loop_ms
						    : &c->u.misc.delay_loop_ms;

	if (arg_duration(p, st, 10, DAY_MS, dst))
		c->delay_loop_set = true;
}

static const struct keyword tcp_check_keywords[] = {
	{ "connect_timeout", false, kw_tcp_connect_timeout },
	{ "connect_port", false, kw_tcp_connect_port },
	{ "connect_ip", false, kw_tcp_connect_ip },
	{ "retry", false, kw_tcp_retry },
	{ "nb_get_retry", false, kw_tcp_nb_get_retry },
	{ "delay_before_retry", false, kw_tcp_delay_before_retry },
	{ "delay_loop", false, kw_checker_delay_loop },
	{ NULL, false, NULL },
};

static const char *const checker_unsupported[] = {
	"bindto", "bind_port", "bind_if", "fwmark", "warmup", "alpha", "log_all_failures",
	NULL,
};

static const struct block_def tcp_check_block = { "TCP_CHECK", tcp_check_keywords,
						   checker_unsupported };

static void kw_misc_path(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;
	struct config_command *cmd = arg_command(p, st);

	if (!cmd)
		return;
	free_command_fields(&c->u.misc.misc_path);
	c->u.misc.misc_path = *cmd;
	free(cmd);
}

static void kw_misc_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (arg_duration(p, st, 1, DAY_MS, &c->u.misc.misc_timeout_ms))
		c->misc_timeout_set = true;
}

static void kw_misc_dynamic(struct parser *p, const struct stmt *st, void *ctx)
{
	if (arg_flag(p, st))
		((struct config_checker *)ctx)->u.misc.misc_dynamic = true;
}

static void kw_misc_user(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	set_user_group(p, st, &c->u.misc.user, &c->u.misc.group);
}

static const struct keyword misc_check_keywords[] = {
	{ "misc_path", false, kw_misc_path },
	{ "misc_timeout", false, kw_misc_timeout },
	{ "misc_dynamic", false, kw_misc_dynamic },
	{ "user", false, kw_misc_user },
	{ "delay_loop", false, kw_checker_delay_loop },
	{ NULL, false, NULL },
};

static const struct block_def misc_check_block = { "MISC_CHECK", misc_check_keywords,
						    checker_unsupported };

#define MYSQL(ctx) (&((struct config_checker *)(ctx))->u.mysql)

static void kw_mysql_user(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_string(p, st, &MYSQL(ctx)->user);
}

static void kw_mysql_password(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_string(p, st, &MYSQL(ctx)->password);
}

static void kw_mysql_password_file(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_string(p, st, &MYSQL(ctx)->password_file);
}

static void kw_mysql_connect_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 1, 3600 * SEC, &MYSQL(ctx)->connect_timeout_ms);
}

static void kw_mysql_read_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 1, 3600 * SEC, &MYSQL(ctx)->read_timeout_ms);
}

static void kw_mysql_interval(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 10, DAY_MS, &MYSQL(ctx)->interval_ms);
}

static void kw_mysql_rise(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 1, 1000, &MYSQL(ctx)->rise);
}

static void kw_mysql_fall(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 1, 1000, &MYSQL(ctx)->fall);
}

static void kw_mysql_query(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_mysql_check *m = MYSQL(ctx);

	/* an unquoted query is its words joined by single spaces */
	if (!want_args(p, st, 1, SIZE_MAX))
		return;
	if (st->ntok == 2) {
		free(m->query);
		m->query = xstrdup(st->tok[1].text);
		return;
	}
	{
		size_t len = 0;

		for (size_t i = 1; i < st->ntok; i++)
			len += strlen(st->tok[i].text) + 1;
		free(m->query);
		m->query = xcalloc(len + 1, 1);
		for (size_t i = 1; i < st->ntok; i++) {
			if (i > 1)
				strcat(m->query, " ");
			strcat(m->query, st->tok[i].text);
		}
	}
}

static void kw_mysql_check_read_only(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_bool(p, st, &MYSQL(ctx)->check_read_only);
}

static void kw_mysql_check_replication(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_bool(p, st, &MYSQL(ctx)->check_replication);
}

static void kw_mysql_max_lag(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 0, DAY_MS, &MYSQL(ctx)->max_lag_ms);
}

static void kw_mysql_manage_read_only(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = ctx;

	if (arg_bool(p, st, &c->u.mysql.manage_read_only))
		c->manage_read_only_set = true;
}

static const struct keyword mysql_check_keywords[] = {
	{ "user", false, kw_mysql_user },
	{ "password", false, kw_mysql_password },
	{ "password_file", false, kw_mysql_password_file },
	{ "connect_timeout", false, kw_mysql_connect_timeout },
	{ "read_timeout", false, kw_mysql_read_timeout },
	{ "interval", false, kw_mysql_interval },
	{ "rise", false, kw_mysql_rise },
	{ "fall", false, kw_mysql_fall },
	{ "query", false, kw_mysql_query },
	{ "check_read_only", false, kw_mysql_check_read_only },
	{ "check_replication", false, kw_mysql_check_replication },
	{ "max_lag", false, kw_mysql_max_lag },
	{ "manage_read_only", false, kw_mysql_manage_read_only },
	{ NULL, false, NULL },
};

static const struct block_def mysql_check_block = { "MYSQL_CHECK", mysql_check_keywords, NULL };

/* ---- virtual_server / real_server ------------------------------------- */

static struct config_checker *new_checker(struct parser *p, const struct stmt *st,
					  struct config_real_server *rs,
					  enum config_checker_type type)
{
	struct config_checker *c = PUSH(rs->checkers, rs->n_checkers);

	want_args(p, st, 0, 0);
	c->type = type;
	c->where = where_of(st);
	return c;
}

static void kw_tcp_check(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = new_checker(p, st, ctx, CONFIG_CHECK_TCP);

	c->u.tcp.connect_timeout_ms = 5 * SEC;
	c->u.tcp.retry = 1;
	c->u.tcp.delay_before_retry_ms = 1 * SEC;
	parse_block(p, &tcp_check_block, c, st);
}

static void kw_misc_check(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = new_checker(p, st, ctx, CONFIG_CHECK_MISC);

	parse_block(p, &misc_check_block, c, st);
}

static void kw_mysql_check(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_checker *c = new_checker(p, st, ctx, CONFIG_CHECK_MYSQL);
	struct config_mysql_check *m = &c->u.mysql;

	/* defaults sized for "a hung mysqld is seen within 3 x 100 ms" */
	m->connect_timeout_ms = 100;
	m->read_timeout_ms = 100;
	m->interval_ms = 100;
	m->rise = 3;
	m->fall = 3;
	m->query = xstrdup("SELECT 1");
	parse_block(p, &mysql_check_block, c, st);
}

static void kw_rs_weight(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 0, 65535, &((struct config_real_server *)ctx)->weight);
}

static void kw_rs_notify_up(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct config_real_server *)ctx)->notify_up);
}

static void kw_rs_notify_down(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct config_real_server *)ctx)->notify_down);
}

static void kw_rs_inhibit_on_failure(struct parser *p, const struct stmt *st, void *ctx)
{
	if (arg_flag(p, st))
		((struct config_real_server *)ctx)->inhibit_on_failure = true;
}

static const struct keyword real_server_keywords[] = {
	{ "weight", false, kw_rs_weight },
	{ "notify_up", false, kw_rs_notify_up },
	{ "notify_down", false, kw_rs_notify_down },
	{ "inhibit_on_failure", false, kw_rs_inhibit_on_failure },
	{ "TCP_CHECK", true, kw_tcp_check },
	{ "MISC_CHECK", true, kw_misc_check },
	{ "MYSQL_CHECK", true, kw_mysql_check },
	{ NULL, false, NULL },
};

static const char *const real_server_unsupported[] = {
	"HTTP_GET", "SSL_GET", "SMTP_CHECK", "DNS_CHECK", "BFD_CHECK", "FILE_CHECK",
	"PING_CHECK", "UDP_CHECK", "uthreshold", "lthreshold", NULL,
};

static const struct block_def real_server_block = { "real_server", real_server_keywords,
						     real_server_unsupported };

/* IP PORT for virtual_server and real_server. */
static bool parse_ip_port(struct parser *p, const struct stmt *st, struct in_addr *addr,
			  uint16_t *port)
{
	if (st->ntok < 3) {
		error_at(p, st, "missing argument for '%s': it needs an IPv4 address and a port",
			 kw(st));
		return false;
	}
	if (st->ntok > 3)
		warn_at(p, st, "extra argument '%s' after '%s %s %s' ignored", st->tok[3].text,
			kw(st), st->tok[1].text, st->tok[2].text);
	if (!parse_ipv4_tok(p, st, kw(st), st->tok[1].text, addr))
		return false;
	return parse_port_tok(p, st, "port", st->tok[2].text, port);
}

static void kw_real_server(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_virtual_server *vs = ctx;
	struct config_real_server *rs;
	struct in_addr addr;
	uint16_t port;

	if (!parse_ip_port(p, st, &addr, &port)) {
		skip_block(p, st);
		return;
	}
	for (size_t i = 0; i < vs->n_real_servers; i++) {
		if (vs->real_servers[i].addr.s_addr == addr.s_addr &&
		    vs->real_servers[i].port == port) {
			error_at(p, st, "duplicate real_server %s %u (first at line %u)",
				 st->tok[1].text, port, vs->real_servers[i].where.line);
			break;
		}
	}
	rs = PUSH(vs->real_servers, vs->n_real_servers);
	rs->addr = addr;
	rs->port = port;
	rs->where = where_of(st);
	rs->weight = 1;
	parse_block(p, &real_server_block, rs, st);
}

static void kw_vs_delay_loop(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 10, DAY_MS, &((struct config_virtual_server *)ctx)->delay_loop_ms);
}

static void kw_vs_lb_algo(struct parser *p, const struct stmt *st, void *ctx)
{
	static const char *const like_wrr[] = { "wlc", "lc", "lblc", "lblcr", "dh", "sh",
						"sed", "nq", "mh", "ovf", "twos", NULL };
	struct config_virtual_server *vs = ctx;
	const char *v;

	if (!want_args(p, st, 1, 1))
		return;
	v = st->tok[1].text;
	if (!strcmp(v, "wrr")) {
		vs->lb_algo = CONFIG_LB_WRR;
	} else if (!strcmp(v, "rr")) {
		vs->lb_algo = CONFIG_LB_RR;
	} else if (!strcmp(v, "fo")) {
		vs->lb_algo = CONFIG_LB_FO;
	} else {
		for (size_t i = 0; like_wrr[i]; i++) {
			if (!strcmp(v, like_wrr[i])) {
				warn_at(p, st, "lb_algo %s is not implemented by xvipd; treated as wrr",
					v);
				vs->lb_algo = CONFIG_LB_WRR;
				return;
			}
		}
		error_at(p, st, "lb_algo: unknown scheduler '%s' (xvipd has wrr, rr and fo)", v);
	}
}

static void kw_vs_lb_kind(struct parser *p, const struct stmt *st, void *ctx)
{
	(void)ctx;
	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "DR"))
		return;
	if (!strcasecmp(st->tok[1].text, "NAT") || !strcasecmp(st->tok[1].text, "TUN"))
		error_at(p, st, "lb_kind %s is not supported: xvipd forwards in DR mode only",
			 st->tok[1].text);
	else
		error_at(p, st, "lb_kind: '%s' is not DR, NAT or TUN", st->tok[1].text);
}

static void kw_vs_persistence_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_uint(p, st, 0, 86400 * 31, &((struct config_virtual_server *)ctx)->persistence_timeout_s);
}

static void kw_vs_protocol(struct parser *p, const struct stmt *st, void *ctx)
{
	struct config_virtual_server *vs = ctx;

	if (!want_args(p, st, 1, 1))
		return;
	if (!strcasecmp(st->tok[1].text, "TCP"))
		vs->protocol = CONFIG_PROTO_TCP;
	else if (!strcasecmp(st->tok[1].text, "UDP"))
		vs->protocol = CONFIG_PROTO_UDP;
	else
		error_at(p, st, "protocol: '%s' is neither TCP nor UDP", st->tok[1].text);
}

static void kw_vs_manage_read_only(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_bool(p, st, &((struct config_virtual_server *)ctx)->manage_read_only);
}

static void kw_vs_promote_timeout(struct parser *p, const struct stmt *st, void *ctx)
{
	arg_duration(p, st, 1, DAY_MS, &((struct config_virtual_server *)ctx)->promote_timeout_ms);
}

static void kw_vs_notify_writer(struct parser *p, const struct stmt *st, void *ctx)
{
	set_command(p, st, &((struct config_virtual_server *)ctx)->notify_writer);
}

static const struct keyword virtual_server_keywords[] = {
	{ "delay_loop", false, kw_vs_delay_loop },
	{ "lb_algo", false, kw_vs_lb_algo },
	{ "lvs_sched", false, kw_vs_lb_algo },
	{ "lb_kind", false, kw_vs_lb_kind },
	{ "lvs_method", false, kw_vs_lb_kind },
	{ "persistence_timeout", false, kw_vs_persistence_timeout },
	{ "protocol", false, kw_vs_protocol },
	{ "manage_read_only", false, kw_vs_manage_read_only },
	{ "promote_timeout", false, kw_vs_promote_timeout },
	{ "notify_writer", false, kw_vs_notify_writer },
	{ "real_server", true, kw_real_server },
	{ NULL, false, NULL },
};

static const char *const virtual_server_unsupported[] = {
	"ha_suspend", "virtualhost", "sorry_server", "sorry_server_inhibit", "alpha", "omega",
	"quorum", "hysteresis", "quorum_up", "quorum_down", "persistence_granularity", "ops",
	"persistence_engine", "retry", "delay_before_retry", "warmup", NULL,
};

static const struct block_def virtual_server_block = { "virtual_server", virtual_server_keywords,
							virtual_server_unsupported };

static void kw_virtual_server(struct parser *p, const struct stmt *st, void *ctx)
{
	struct top_ctx *top = ctx;
	struct xvip_config *cfg = top->cfg;
	struct config_virtual_server *vs;
	struct in_addr addr;
	uint16_t port;

	if (!parse_ip_port(p, st, &addr, &port)) {
		skip_block(p, st);
		return;
	}
	vs = PUSH(cfg->virtual_servers, cfg->n_virtual_servers);
	vs->addr = addr;
	vs->port = port;
	vs->where = where_of(st);
	vs->delay_loop_ms = 60 * SEC;
	vs->promote_timeout_ms = 2 * SEC;
	parse_block(p, &virtual_server_block, vs, st);
}

static void kw_top_global_defs(struct parser *p, const struct stmt *st, void *ctx)
{
	kw_global_defs(p, st, ((struct top_ctx *)ctx)->cfg);
}

static void kw_top_vrrp_script(struct parser *p, const struct stmt *st, void *ctx)
{
	kw_vrrp_script(p, st, ((struct top_ctx *)ctx)->cfg);
}

static const struct keyword top_keywords[] = {
	{ "global_defs", true, kw_top_global_defs },
	{ "vrrp_script", true, kw_top_vrrp_script },
	{ "vrrp_instance", true, kw_vrrp_instance },
	{ "vrrp_sync_group", true, kw_vrrp_sync_group },
	{ "virtual_server", true, kw_virtual_server },
	{ NULL, false, NULL },
};

static const char *const top_unsupported[] = {
	"static_ipaddress", "static_routes", "static_rules", "virtual_server_group",
	"vrrp_track_process", "track_file", "vrrp_track_file", "linkbeat_use_polling",
	"net_namespace", "bfd_instance", NULL,
};

static const struct block_def top_block = { "top level", top_keywords, top_unsupported };

/* ---- whole-file checks and defaults ----------------------------------- */

__attribute__((format(printf, 4, 5)))
static void report_at(struct config_diag *diag, enum config_severity sev,
		      struct config_where w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(diag, sev, w.file, w.line, fmt, ap);
	va_end(ap);
}

static struct config_vrrp_script *find_script(struct xvip_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_scripts; i++)
		if (!strcmp(cfg->scripts[i].name, name))
			return &cfg->scripts[i];
	return NULL;
}

static void validate_instance(struct xvip_config *cfg, struct config_diag *diag, size_t idx,
			      struct instance_src *src)
{
	struct config_vrrp_instance *inst = &cfg->instances[idx];
	char buf[16];

	if (!src->interface.line)
		report_at(diag, CONFIG_ERROR, inst->where, "vrrp_instance '%s' has no interface",
			  inst->name);
	if (!src->virtual_router_id.line) {
		report_at(diag, CONFIG_ERROR, inst->where,
			  "vrrp_instance '%s' has no virtual_router_id", inst->name);
	} else if (inst->interface[0] && inst->virtual_router_id) {
		for (size_t j = 0; j < idx; j++) {
			const struct config_vrrp_instance *o = &cfg->instances[j];

			if (o->virtual_router_id == inst->virtual_router_id &&
			    !strcmp(o->interface, inst->interface)) {
				report_at(diag, CONFIG_ERROR, src->virtual_router_id,
					  "virtual_router_id %u on %s is already used by vrrp_instance '%s' (%s:%u)",
					  inst->virtual_router_id, inst->interface, o->name,
					  o->where.file, o->where.line);
				break;
			}
		}
	}

	if (!src->version.line)
		inst->version = cfg->global.vrrp_version;
	{
		struct config_where w = src->advert_int.line ? src->advert_int : inst->where;

		if (inst->version == 2 && inst->advert_int_ms % SEC) {
			report_at(diag, CONFIG_ERROR, w,
				  "advert_int %s: VRRPv2 advertises in whole seconds; fractional intervals need VRRP version 3 ('vrrp_version 3' in global_defs or 'version 3' in the instance)",
				  fmt_seconds(inst->advert_int_ms, buf));
		} else if (inst->version == 3 && inst->advert_int_ms > 40950) {
			report_at(diag, CONFIG_ERROR, w,
				  "advert_int %s is out of range for VRRPv3 (0.01..40.95 s)",
				  fmt_seconds(inst->advert_int_ms, buf));
		} else if (inst->version == 3 && inst->advert_int_ms % 10) {
			uint32_t rounded = (inst->advert_int_ms + 5) / 10 * 10;

			report_at(diag, CONFIG_WARNING, w,
				  "advert_int %s: VRRPv3 counts in centiseconds; rounded to %s",
				  fmt_seconds(inst->advert_int_ms, buf),
				  fmt_seconds(rounded, (char[16]){ 0 }));
			inst->advert_int_ms = rounded;
		}
	}

	if (src->authentication.line) {
		if (src->auth_pass_set && !src->auth_type_set) {
			report_at(diag, CONFIG_ERROR, src->authentication,
				  "authentication has auth_pass but no 'auth_type PASS'");
		} else if (inst->auth_type == CONFIG_AUTH_PASS && !src->auth_pass_set) {
			report_at(diag, CONFIG_ERROR, src->authentication,
				  "auth_type PASS needs an auth_pass");
		} else if (inst->version == 3 && inst->auth_type != CONFIG_AUTH_NONE) {
			report_at(diag, CONFIG_WARNING, src->authentication,
				  "VRRPv3 has no authentication; the authentication block of vrrp_instance '%s' is ignored",
				  inst->name);
			inst->auth_type = CONFIG_AUTH_NONE;
			memset(inst->auth_pass, 0, sizeof(inst->auth_pass));
		}
	}

	if (!src->virtual_ipaddress.line)
		report_at(diag, CONFIG_WARNING, inst->where,
			  "vrrp_instance '%s' has no virtual_ipaddress block; it will hold no address",
			  inst->name);
	else if (src->vip_items == 0)
		report_at(diag, CONFIG_ERROR, src->virtual_ipaddress,
			  "virtual_ipaddress block of vrrp_instance '%s' is empty", inst->name);
	for (size_t v = 0; v < inst->n_vips; v++) {
		struct config_vip *vip = &inst->vips[v];

		if (!vip->dev[0])
			memcpy(vip->dev, inst->interface, sizeof(vip->dev));
		for (size_t j = 0; j <= idx; j++) {
			const struct config_vrrp_instance *o = &cfg->instances[j];
			size_t end = j == idx ? v : o->n_vips;

			for (size_t k = 0; k < end; k++) {
				if (o->vips[k].addr.s_addr == vip->addr.s_addr) {
					report_at(diag, CONFIG_ERROR, vip->where,
						  "virtual_ipaddress %s is already held by vrrp_instance '%s' (%s:%u)",
						  inet_ntop(AF_INET, &vip->addr, buf, sizeof(buf)),
						  o->name, o->vips[k].where.file, o->vips[k].where.line);
					goto next_vip;
				}
			}
		}
next_vip:;
	}

	for (size_t t = 0; t < inst->n_track_scripts; t++) {
		struct config_track_script *ts = &inst->track_scripts[t];

		ts->script = find_script(cfg, ts->name);
		if (!ts->script) {
			report_at(diag, CONFIG_ERROR, ts->where,
				  "track_script '%s' in vrrp_instance '%s': no vrrp_script of that name is defined",
				  ts->name, inst->name);
		} else if (!ts->weight_set) {
			ts->weight = ts->script->weight;
		}
	}

	inst->initial_state = inst->configured_state;
	if (inst->nopreempt && inst->configured_state == CONFIG_STATE_MASTER) {
		report_at(diag, CONFIG_WARNING, src->nopreempt.line ? src->nopreempt : src->state,
			  "vrrp_instance '%s' has 'state MASTER' and 'nopreempt': xvipd honours nopreempt "
			  "(no automatic fail-back, the safe choice for MySQL) and starts as BACKUP, becoming "
			  "master only when no master is heard for master_down_interval (keepalived would "
			  "instead drop nopreempt here)",
			  inst->name);
		inst->initial_state = CONFIG_STATE_BACKUP;
	}
}

static void validate_virtual_server(struct xvip_config *cfg, struct config_diag *diag,
				    size_t idx)
{
	struct config_virtual_server *vs = &cfg->virtual_servers[idx];
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &vs->addr, buf, sizeof(buf));
	for (size_t j = 0; j < idx; j++) {
		const struct config_virtual_server *o = &cfg->virtual_servers[j];

		if (o->addr.s_addr == vs->addr.s_addr && o->port == vs->port &&
		    o->protocol == vs->protocol) {
			report_at(diag, CONFIG_ERROR, vs->where,
				  "duplicate virtual_server %s %u (first defined at %s:%u)", buf,
				  vs->port, o->where.file, o->where.line);
			break;
		}
	}
	if (vs->n_real_servers == 0)
		report_at(diag, CONFIG_WARNING, vs->where,
			  "virtual_server %s %u has no real_server", buf, vs->port);

	for (size_t r = 0; r < vs->n_real_servers; r++) {
		struct config_real_server *rs = &vs->real_servers[r];

		for (size_t c = 0; c < rs->n_checkers; c++) {
			struct config_checker *ck = &rs->checkers[c];

			switch (ck->type) {
			case CONFIG_CHECK_TCP:
				if (!ck->delay_loop_set)
					ck->u.tcp.delay_loop_ms = vs->delay_loop_ms;
				if (!ck->connect_port_set)
					ck->u.tcp.connect_port = rs->port;
				if (!ck->connect_ip_set)
					ck->u.tcp.connect_ip = rs->addr;
				break;
			case CONFIG_CHECK_MISC:
				if (!ck->delay_loop_set)
					ck->u.misc.delay_loop_ms = vs->delay_loop_ms;
				if (!ck->misc_timeout_set)
					ck->u.misc.misc_timeout_ms = ck->u.misc.delay_loop_ms;
				if (!ck->u.misc.misc_path.text)
					report_at(diag, CONFIG_ERROR, ck->where,
						  "MISC_CHECK has no misc_path");
				break;
			case CONFIG_CHECK_MYSQL:
				if (!ck->manage_read_only_set)
					ck->u.mysql.manage_read_only = vs->manage_read_only;
				if (!ck->u.mysql.user)
					report_at(diag, CONFIG_ERROR, ck->where,
						  "MYSQL_CHECK has no user");
				if (ck->u.mysql.password && ck->u.mysql.password_file)
					report_at(diag, CONFIG_ERROR, ck->where,
						  "MYSQL_CHECK has both password and password_file; keep one");
				break;
			}
		}
	}
}

static void validate(struct xvip_config *cfg, struct config_diag *diag, struct parse_state *ps)
{
	if (!cfg->global.router_id) {
		char host[256] = "localhost";

		if (gethostname(host, sizeof(host) - 1) != 0)
			strcpy(host, "localhost");
		cfg->global.router_id = xstrdup(host);
	}
	for (size_t i = 0; i < cfg->n_scripts; i++) {
		struct config_vrrp_script *s = &cfg->scripts[i];

		if (!s->script.text)
			report_at(diag, CONFIG_ERROR, s->where, "vrrp_script '%s' has no script",
				  s->name);
		if (!s->timeout_ms)
			s->timeout_ms = s->interval_ms;
	}
	for (size_t i = 0; i < cfg->n_instances; i++)
		validate_instance(cfg, diag, i, &ps->instance_src[i]);
	for (size_t g = 0; g < cfg->n_sync_groups; g++) {
		const struct config_sync_group *sg = &cfg->sync_groups[g];

		for (size_t m = 0; m < sg->n_members; m++)
			if (!config_find_instance(cfg, sg->members[m]))
				report_at(diag, CONFIG_WARNING, sg->where,
					  "vrrp_sync_group '%s' names vrrp_instance '%s', which is not defined",
					  sg->name, sg->members[m]);
	}
	for (size_t i = 0; i < cfg->n_virtual_servers; i++)
		validate_virtual_server(cfg, diag, i);
}

/* ---- load / free ------------------------------------------------------ */

struct diag_rank {
	size_t file_rank; /* position of the file in cfg->files */
	unsigned line;
	size_t seq;       /* order found: keeps the sort stable */
	struct config_diag_entry entry;
};

static int cmp_diag_rank(const void *a, const void *b)
{
	const struct diag_rank *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whole-file checks run after parsing; sorting this load's diagnostics by
 * file (in the order files were read) and line lets the report read top to
 * bottom like the configuration itself. */
static void sort_diagnostics(struct config_diag *diag, size_t first,
			     const struct xvip_config *cfg)
{
	size_t n = diag->count - first;
	struct diag_rank *r;

	if (n < 2)
		return;
	r = xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r[i].entry = diag->entries[first + i];
		r[i].file_rank = SIZE_MAX;
		for (size_t f = 0; f < cfg->n_files; f++)
			if (!strcmp(cfg->files[f], r[i].entry.file))
				r[i].file_rank = f;
		r[i].line = r[i].entry.line;
		r[i].seq = i;
	}
	qsort(r, n, sizeof(*r), cmp_diag_rank);
	for (size_t i = 0; i < n; i++)
		diag->entries[first + i] = r[i].entry;
	free(r);
}

struct xvip_config *config_load(const char *path, struct config_diag *diag)
{
	struct config_diag local = CONFIG_DIAG_INIT;
	struct xvip_config *cfg = xcalloc(1, sizeof(*cfg));
	struct lexer lx = { 0 };
	struct parse_state ps = { 0 };
	struct top_ctx top = { .cfg = cfg, .ps = &ps };
	struct parser p = { 0 };
	size_t errors_before, first_entry;

	if (!diag)
		diag = &local;
	errors_before = diag->errors;
	first_entry = diag->count;

	cfg->global.smtp_port = 25;
	cfg->global.smtp_connect_timeout_ms = 30 * SEC;
	cfg->global.vrrp_version = 2;

	if (!path || !*path) {
		diag_add(diag, CONFIG_ERROR, "(config)", 0, "no configuration file given");
		config_free(cfg);
		config_diag_free(&local);
		return NULL;
	}

	lx.cfg = cfg;
	lx.diag = diag;
	lex_file(&lx, path, NULL, 0);

	p.stmts = lx.stmts;
	p.n_stmts = lx.n_stmts;
	p.cfg = cfg;
	p.diag = diag;
	parse_top_level(&p, &top_block, &top);
	free_stmts(lx.stmts, lx.n_stmts);

	if (cfg->n_files > 0)
		validate(cfg, diag, &ps);
	free(ps.instance_src);
	sort_diagnostics(diag, first_entry, cfg);

	if (diag->errors > errors_before || cfg->n_files == 0) {
		config_free(cfg);
		cfg = NULL;
	}
	config_diag_free(&local);
	return cfg;
}

static void free_checker(struct config_checker *c)
{
	switch (c->type) {
	case CONFIG_CHECK_TCP:
		break;
	case CONFIG_CHECK_MISC:
		free_command_fields(&c->u.misc.misc_path);
		free(c->u.misc.user);
		free(c->u.misc.group);
		break;
	case CONFIG_CHECK_MYSQL:
		free(c->u.mysql.user);
		free(c->u.mysql.password);
		free(c->u.mysql.password_file);
		free(c->u.mysql.query);
		break;
	}
}

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void config_free(struct xvip_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->global.router_id);
	free_strings(cfg->global.notification_email, cfg->global.n_notification_email);
	free(cfg->global.notification_email_from);
	free(cfg->global.smtp_server);
	free(cfg->global.script_user);
	free(cfg->global.script_group);

	for (size_t i = 0; i < cfg->n_scripts; i++) {
		struct config_vrrp_script *s = &cfg->scripts[i];

		free(s->name);
		free_command_fields(&s->script);
		free(s->user);
		free(s->group);
	}
	free(cfg->scripts);

	for (size_t i = 0; i < cfg->n_instances; i++) {
		struct config_vrrp_instance *inst = &cfg->instances[i];

		free(inst->name);
		for (size_t v = 0; v < inst->n_vips; v++)
			free(inst->vips[v].label);
		free(inst->vips);
		free(inst->unicast_peers);
		free(inst->track_interfaces);
		for (size_t t = 0; t < inst->n_track_scripts; t++)
			free(inst->track_scripts[t].name);
		free(inst->track_scripts);
		free_command(inst->notify_master);
		free_command(inst->notify_backup);
		free_command(inst->notify_fault);
		free_command(inst->notify_stop);
		free_command(inst->notify);
	}
	free(cfg->instances);

	for (size_t i = 0; i < cfg->n_sync_groups; i++) {
		free(cfg->sync_groups[i].name);
		free_strings(cfg->sync_groups[i].members, cfg->sync_groups[i].n_members);
	}
	free(cfg->sync_groups);

	for (size_t i = 0; i < cfg->n_virtual_servers; i++) {
		struct config_virtual_server *vs = &cfg->virtual_servers[i];

		for (size_t r = 0; r < vs->n_real_servers; r++) {
			struct config_real_server *rs = &vs->real_servers[r];

			free_command(rs->notify_up);
			free_command(rs->notify_down);
			for (size_t c = 0; c < rs->n_checkers; c++)
				free_checker(&rs->checkers[c]);
			free(rs->checkers);
		}
		free(vs->real_servers);
		free_command(vs->notify_writer);
	}
	free(cfg->virtual_servers);

	free_strings(cfg->files, cfg->n_files);
	free(cfg);
}

const struct config_vrrp_instance *config_find_instance(const struct xvip_config *cfg,
							 const char *name)
{
	for (size_t i = 0; cfg && i < cfg->n_instances; i++)
		if (!strcmp(cfg->instances[i].name, name))
			return &cfg->instances[i];
	return NULL;
}

const struct config_vrrp_script *config_find_script(const struct xvip_config *cfg,
						     const char *name)
{
	for (size_t i = 0; cfg && i < cfg->n_scripts; i++)
		if (!strcmp(cfg->scripts[i].name, name))
			return &cfg->scripts[i];
	return NULL;
}

/* ---- dump ------------------------------------------------------------- */

/* Writes a word so that it reads back as the same single token. */
static void put_word(FILE *out, const char *s)
{
	bool quote = !*s || s[0] == '!' || s[0] == '#' || strpbrk(s, " \t\"{}\\");

	if (!quote) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void put_kv(FILE *out, int indent, const char *key, const char *value)
{
	fprintf(out, "%*s%s ", indent, "", key);
	put_word(out, value);
	fputc('\n', out);
}

static void put_uint(FILE *out, int indent, const char *key, unsigned long v)
{
	fprintf(out, "%*s%s %lu\n", indent, "", key, v);
}

static void put_secs(FILE *out, int indent, const char *key, uint32_t ms)
{
	char buf[16];

	fprintf(out, "%*s%s %s\n", indent, "", key, fmt_seconds(ms, buf));
}

static void put_ip(FILE *out, int indent, const char *key, struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	fprintf(out, "%*s%s %s\n", indent, "", key, inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

static void put_onoff(FILE *out, int indent, const char *key, bool on)
{
	fprintf(out, "%*s%s %s\n", indent, "", key, on ? "on" : "off");
}

static void put_command(FILE *out, int indent, const char *key, const struct config_command *c)
{
	if (c && c->text)
		put_kv(out, indent, key, c->text);
}

static void dump_instance(const struct config_vrrp_instance *inst, FILE *out)
{
	char buf[INET_ADDRSTRLEN];

	fputs("\nvrrp_instance ", out);
	put_word(out, inst->name);
	fputs(" {\n", out);
	if (inst->configured_state != inst->initial_state)
		fputs("    ! configured as MASTER; starts as BACKUP because of nopreempt\n", out);
	put_kv(out, 4, "state", inst->initial_state == CONFIG_STATE_MASTER ? "MASTER" : "BACKUP");
	put_kv(out, 4, "interface", inst->interface);
	put_uint(out, 4, "virtual_router_id", inst->virtual_router_id);
	put_uint(out, 4, "priority", inst->priority);
	put_uint(out, 4, "version", inst->version);
	put_secs(out, 4, "advert_int", inst->advert_int_ms);
	fputs(inst->nopreempt ? "    nopreempt\n" : "    preempt\n", out);
	put_secs(out, 4, "preempt_delay", inst->preempt_delay_ms);
	if (inst->auth_type == CONFIG_AUTH_PASS) {
		fputs("    authentication {\n", out);
		put_kv(out, 8, "auth_type", "PASS");
		put_kv(out, 8, "auth_pass", inst->auth_pass);
		fputs("    }\n", out);
	}
	if (inst->n_vips) {
		fputs("    virtual_ipaddress {\n", out);
		for (size_t i = 0; i < inst->n_vips; i++) {
			const struct config_vip *v = &inst->vips[i];

			fprintf(out, "        %s/%u dev %s",
				inet_ntop(AF_INET, &v->addr, buf, sizeof(buf)), v->prefix_len, v->dev);
			if (v->label) {
				fputs(" label ", out);
				put_word(out, v->label);
			}
			fputc('\n', out);
		}
		fputs("    }\n", out);
	}
	put_kv(out, 4, "vip_mode", inst->vip_mode == CONFIG_VIP_MODE_LO ? "lo" : "interface");
	if (inst->unicast_src_set)
		put_ip(out, 4, "unicast_src_ip", inst->unicast_src_ip);
	if (inst->n_unicast_peers) {
		fputs("    unicast_peer {\n", out);
		for (size_t i = 0; i < inst->n_unicast_peers; i++)
			fprintf(out, "        %s\n",
				inet_ntop(AF_INET, &inst->unicast_peers[i], buf, sizeof(buf)));
		fputs("    }\n", out);
	}
	if (inst->n_track_interfaces) {
		fputs("    track_interface {\n", out);
		for (size_t i = 0; i < inst->n_track_interfaces; i++)
			fprintf(out, "        %s weight %d\n", inst->track_interfaces[i].name,
				inst->track_interfaces[i].weight);
		fputs("    }\n", out);
	}
	if (inst->n_track_scripts) {
		fputs("    track_script {\n", out);
		for (size_t i = 0; i < inst->n_track_scripts; i++) {
			fputs("        ", out);
			put_word(out, inst->track_scripts[i].name);
			fprintf(out, " weight %d\n", inst->track_scripts[i].weight);
		}
		fputs("    }\n", out);
	}
	put_command(out, 4, "notify_master", inst->notify_master);
	put_command(out, 4, "notify_backup", inst->notify_backup);
	put_command(out, 4, "notify_fault", inst->notify_fault);
	put_command(out, 4, "notify_stop", inst->notify_stop);
	put_command(out, 4, "notify", inst->notify);
	put_secs(out, 4, "garp_master_delay", inst->garp_master_delay_ms);
	put_uint(out, 4, "garp_master_repeat", inst->garp_master_repeat);
	put_secs(out, 4, "garp_master_refresh", inst->garp_master_refresh_ms);
	put_uint(out, 4, "garp_master_refresh_repeat", inst->garp_master_refresh_repeat);
	fputs("}\n", out);
}

static void dump_checker(const struct config_checker *c, FILE *out)
{
	switch (c->type) {
	case CONFIG_CHECK_TCP:
		fputs("        TCP_CHECK {\n", out);
		put_secs(out, 12, "connect_timeout", c->u.tcp.connect_timeout_ms);
		put_ip(out, 12, "connect_ip", c->u.tcp.connect_ip);
		put_uint(out, 12, "connect_port", c->u.tcp.connect_port);
		put_uint(out, 12, "retry", c->u.tcp.retry);
		put_secs(out, 12, "delay_before_retry", c->u.tcp.delay_before_retry_ms);
		put_secs(out, 12, "delay_loop", c->u.tcp.delay_loop_ms);
		break;
	case CONFIG_CHECK_MISC:
		fputs("        MISC_CHECK {\n", out);
		put_command(out, 12, "misc_path", &c->u.misc.misc_path);
		put_secs(out, 12, "misc_timeout", c->u.misc.misc_timeout_ms);
		if (c->u.misc.misc_dynamic)
			fputs("            misc_dynamic\n", out);
		if (c->u.misc.user) {
			fputs("            user ", out);
			put_word(out, c->u.misc.user);
			if (c->u.misc.group) {
				fputc(' ', out);
				put_word(out, c->u.misc.group);
			}
			fputc('\n', out);
		}
		put_secs(out, 12, "delay_loop", c->u.misc.delay_loop_ms);
		break;
	case CONFIG_CHECK_MYSQL: {
		const struct config_mysql_check *m = &c->u.mysql;

		fputs("        MYSQL_CHECK {\n", out);
		if (m->user)
			put_kv(out, 12, "user", m->user);
		if (m->password)
			put_kv(out, 12, "password", m->password);
		if (m->password_file)
			put_kv(out, 12, "password_file", m->password_file);
		put_secs(out, 12, "connect_timeout", m->connect_timeout_ms);
		put_secs(out, 12, "read_timeout", m->read_timeout_ms);
		put_secs(out, 12, "interval", m->interval_ms);
		put_uint(out, 12, "rise", m->rise);
		put_uint(out, 12, "fall", m->fall);
		put_kv(out, 12, "query", m->query);
		put_onoff(out, 12, "check_read_only", m->check_read_only);
		put_onoff(out, 12, "check_replication", m->check_replication);
		put_secs(out, 12, "max_lag", m->max_lag_ms);
		put_onoff(out, 12, "manage_read_only", m->manage_read_only);
		break;
	}
	}
	fputs("        }\n", out);
}

static void dump_virtual_server(const struct config_virtual_server *vs, FILE *out)
{
	static const char *const algo[] = { "wrr", "rr", "fo" };
	char buf[INET_ADDRSTRLEN];

	fprintf(out, "\nvirtual_server %s %u {\n", inet_ntop(AF_INET, &vs->addr, buf, sizeof(buf)),
		vs->port);
	put_secs(out, 4, "delay_loop", vs->delay_loop_ms);
	put_kv(out, 4, "lb_algo", algo[vs->lb_algo]);
	put_kv(out, 4, "lb_kind", "DR");
	put_uint(out, 4, "persistence_timeout", vs->persistence_timeout_s);
	put_kv(out, 4, "protocol", vs->protocol == CONFIG_PROTO_TCP ? "TCP" : "UDP");
	put_onoff(out, 4, "manage_read_only", vs->manage_read_only);
	put_secs(out, 4, "promote_timeout", vs->promote_timeout_ms);
	put_command(out, 4, "notify_writer", vs->notify_writer);
	for (size_t r = 0; r < vs->n_real_servers; r++) {
		const struct config_real_server *rs = &vs->real_servers[r];

		fprintf(out, "    real_server %s %u {\n",
			inet_ntop(AF_INET, &rs->addr, buf, sizeof(buf)), rs->port);
		put_uint(out, 8, "weight", rs->weight);
		if (rs->inhibit_on_failure)
			fputs("        inhibit_on_failure\n", out);
		put_command(out, 8, "notify_up", rs->notify_up);
		put_command(out, 8, "notify_down", rs->notify_down);
		for (size_t c = 0; c < rs->n_checkers; c++)
			dump_checker(&rs->checkers[c], out);
		fputs("    }\n", out);
	}
	fputs("}\n", out);
}

/* Two objects print the same normalized text (what -t prints). */
static bool same_dump(void (*dump)(const void *obj, FILE *out), const void *a, const void *b)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
	bool eq = false;

	if (fa && fb) {
		dump(a, fa);
		dump(b, fb);
		fclose(fa);
		fclose(fb);
		fa = fb = NULL;
		eq = la == lb && memcmp(ta, tb, la) == 0;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	free(ta);
	free(tb);
	return eq;
}

static void dump_checker_obj(const void *obj, FILE *out)
{
	dump_checker(obj, out);
}

static void dump_services_obj(const void *obj, FILE *out)
{
	const struct xvip_config *cfg = obj;

	for (size_t i = 0; i < cfg->n_virtual_servers; i++)
		dump_virtual_server(&cfg->virtual_servers[i], out);
}

bool config_checker_equal(const struct config_checker *a, const struct config_checker *b)
{
	return same_dump(dump_checker_obj, a, b);
}

bool config_services_equal(const struct xvip_config *a, const struct xvip_config *b)
{
	return same_dump(dump_services_obj, a, b);
}

void config_dump(const struct xvip_config *cfg, FILE *out)
{
	const struct config_global *g;

	if (!cfg)
		return;
	g = &cfg->global;
	fputs("! xvipd effective configuration: every default made explicit\n", out);
	fputs("global_defs {\n", out);
	put_kv(out, 4, "router_id", g->router_id);
	if (g->n_notification_email) {
		fputs("    notification_email {\n", out);
		for (size_t i = 0; i < g->n_notification_email; i++) {
			fputs("        ", out);
			put_word(out, g->notification_email[i]);
			fputc('\n', out);
		}
		fputs("    }\n", out);
	}
	if (g->notification_email_from)
		put_kv(out, 4, "notification_email_from", g->notification_email_from);
	if (g->smtp_server) {
		fputs("    smtp_server ", out);
		put_word(out, g->smtp_server);
		fprintf(out, " %u\n", g->smtp_port);
	}
	put_secs(out, 4, "smtp_connect_timeout", g->smtp_connect_timeout_ms);
	put_uint(out, 4, "vrrp_version", g->vrrp_version);
	if (g->rt_priority)
		put_uint(out, 4, "vrrp_rt_priority", g->rt_priority);
	if (g->nice)
		fprintf(out, "    vrrp_priority %d\n", g->nice);
	if (g->no_swap)
		fputs("    vrrp_no_swap\n", out);
	if (g->script_user) {
		fputs("    script_user ", out);
		put_word(out, g->script_user);
		if (g->script_group) {
			fputc(' ', out);
			put_word(out, g->script_group);
		}
		fputc('\n', out);
	}
	if (g->enable_script_security)
		fputs("    enable_script_security\n", out);
	fputs("}\n", out);

	for (size_t i = 0; i < cfg->n_scripts; i++) {
		const struct config_vrrp_script *s = &cfg->scripts[i];

		fputs("\nvrrp_script ", out);
		put_word(out, s->name);
		fputs(" {\n", out);
		put_command(out, 4, "script", &s->script);
		put_secs(out, 4, "interval", s->interval_ms);
		put_secs(out, 4, "timeout", s->timeout_ms);
		fprintf(out, "    weight %d\n", s->weight);
		put_uint(out, 4, "rise", s->rise);
		put_uint(out, 4, "fall", s->fall);
		if (s->user) {
			fputs("    user ", out);
			put_word(out, s->user);
			if (s->group) {
				fputc(' ', out);
				put_word(out, s->group);
			}
			fputc('\n', out);
		}
		fputs("}\n", out);
	}
	for (size_t i = 0; i < cfg->n_instances; i++)
		dump_instance(&cfg->instances[i], out);
	for (size_t i = 0; i < cfg->n_sync_groups; i++) {
		const struct config_sync_group *sg = &cfg->sync_groups[i];

		fputs("\nvrrp_sync_group ", out);
		put_word(out, sg->name);
		fputs(" {\n    group {\n", out);
		for (size_t m = 0; m < sg->n_members; m++) {
			fputs("        ", out);
			put_word(out, sg->members[m]);
			fputc('\n', out);
		}
		fputs("    }\n}\n", out);
	}
	for (size_t i = 0; i < cfg->n_virtual_servers; i++)
		dump_virtual_server(&cfg->virtual_servers[i], out);
}
