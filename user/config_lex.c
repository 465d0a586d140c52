// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration's lexer and block walker: memory and diagnostics for the
 * whole parser, the tokenizer, `include`, and the walk over { ... } blocks
 * that hands each statement to its block's keyword table. The passes are
 * described in config_int.h.
 */
#include "config_int.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- small helpers ---------------------------------------------------- */

void out_of_memory(void)
{
	/* A config file is small; running out of memory here means the host is
	 * in no state to run an HA daemon either. */
	fputs("xvipd: config: out of memory\n", stderr);
	abort();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
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

void *push_zeroed(void *array, size_t *count, size_t elem_size)
{
	char *p = realloc(array, (*count + 1) * elem_size);

	if (!p)
		out_of_memory();
	memset(p + *count * elem_size, 0, elem_size);
	(*count)++;
	return p;
}

/* ---- diagnostics ------------------------------------------------------ */

__attribute__((format(printf, 5, 0)))
void diag_vadd(struct config_diag *diag, enum config_severity severity, const char *file,
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
void diag_add(struct config_diag *diag, enum config_severity severity, const char *file,
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

void lex_file(struct lexer *lx, const char *path, const char *from_file, unsigned from_line)
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

void free_stmts(struct stmt *stmts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_tokens(stmts[i].tok, stmts[i].ntok);
	free(stmts);
}

/* ---- parser core ------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
void error_at(struct parser *p, const struct stmt *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->diag, CONFIG_ERROR, st->file, st->line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
void warn_at(struct parser *p, const struct stmt *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->diag, CONFIG_WARNING, st->file, st->line, fmt, ap);
	va_end(ap);
}

/* True when `st` is followed by a `{`: glued/on the same line, or alone on the
 * next line (which is then consumed). */
bool take_block_open(struct parser *p, const struct stmt *st)
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
void skip_block(struct parser *p, const struct stmt *opener)
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
	if (k->handle)
		k->handle(p, st, ctx);
	else
		set_keyword_field(p, st, k, def->target ? def->target(ctx) : ctx);
}

/* Parses the body of the block opened by `opener` up to its `}`. */
void parse_block(struct parser *p, const struct block_def *def, void *ctx,
			const struct stmt *opener)
{
	const struct stmt *st;

	while ((st = next_in_block(p, opener)))
		handle_statement(p, def, ctx, st);
}

void parse_top_level(struct parser *p, const struct block_def *def, void *ctx)
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

/* A block holding a list (virtual_ipaddress, unicast_peer, ...): every line
 * is one item, handed to `item`. */
void parse_list(struct parser *p, const struct stmt *opener, item_fn item, void *ctx)
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
