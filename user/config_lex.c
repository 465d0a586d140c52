// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration's lexer and block walker: files read whole within the
 * load's limits, the tokenizer, `include`, and the walk over { ... } blocks
 * that hands each statement to its block's keyword table. The passes are
 * described in config_int.h.
 */
#include "config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- lexer ------------------------------------------------------------ */

static const char *intern_file(struct load *ld, const char *name)
{
	struct xvip_config *cfg = ld->cfg;

	for (size_t i = 0; i < cfg->n_files; i++)
		if (!strcmp(cfg->files[i], name))
			return cfg->files[i];
	if (!push_string(ld, &cfg->files, &cfg->n_files, name))
		return NULL;
	return cfg->files[cfg->n_files - 1];
}

static void free_tokens(struct token *tok, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(tok[i].text);
	free(tok);
}

/* "..." keeps spaces, braces and comment characters; \" and \\ are the only
 * escapes. *sp is just after the opening quote and is moved past the word.
 * The text is allocated at its own length, not the rest of the line's. */
static char *quoted_word(struct load *ld, const char **sp, bool *closed)
{
	const char *s = *sp, *c;
	size_t len = 0;
	char *buf;

	for (c = s; *c && *c != '"'; c++, len++)
		if (*c == '\\' && (c[1] == '"' || c[1] == '\\'))
			c++;
	*closed = *c == '"';
	*sp = *closed ? c + 1 : c;
	buf = cfg_alloc(ld, len + 1, 1);
	if (!buf)
		return NULL;
	for (len = 0; s < c; s++) {
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		buf[len++] = *s;
	}
	return buf;
}

/* Cuts one line into tokens. A comment starts with `!` or `#` at the start of
 * a word (like keepalived), so `pa#ss` stays one word but `1 #note` is `1`.
 * False (nothing returned) when the line has too many words or memory ran
 * out. */
static bool tokenize_line(struct lexer *lx, const char *file, unsigned line_no, const char *s,
			  struct token **out, size_t *n_out)
{
	struct load *ld = lx->ld;
	struct token *tok = NULL, *t;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	while (*s) {
		bool quoted = false;
		char *text;

		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v') {
			s++;
			continue;
		}
		if (*s == '!' || *s == '#')
			break;
		if (n == ld->lim->line_words) {
			diag_add(ld, CONFIG_ERROR, file, line_no,
				 "more than %zu words on one line; the line is not read",
				 ld->lim->line_words);
			free_tokens(tok, n);
			return false;
		}
		if (lx->words + n == ld->lim->load_words) {
			diag_add(ld, CONFIG_ERROR, file, line_no,
				 "more than %zu words in the configuration; the rest is not read",
				 ld->lim->load_words);
			lx->full = true;
			free_tokens(tok, n);
			return false;
		}
		if (*s == '{' || *s == '}') {
			text = cfg_strndup(ld, s++, 1);
		} else if (*s == '"') {
			bool closed;

			s++;
			text = quoted_word(ld, &s, &closed);
			if (text && !closed)
				diag_add(ld, CONFIG_ERROR, file, line_no,
					 "unterminated quoted string \"%s", text);
			quoted = true;
		} else {
			const char *start = s;

			while (*s && !strchr(" \t\r\f\v{}\"", *s))
				s++;
			text = cfg_strndup(ld, start, (size_t)(s - start));
		}
		t = text ? PUSH(ld, tok, n) : NULL;
		if (!t) {
			free(text);
			free_tokens(tok, n);
			return false;
		}
		t->text = text;
		t->quoted = quoted;
	}
	lx->words += n;
	*out = tok;
	*n_out = n;
	return true;
}

static struct stmt *new_stmt(struct lexer *lx, enum stmt_kind kind, const char *file,
			     unsigned line)
{
	struct stmt *st = PUSH(lx->ld, lx->stmts, lx->n_stmts);

	if (st) {
		st->kind = kind;
		st->file = file;
		st->line = line;
	}
	return st;
}

/* The lexer counts the blocks left open as the parser will see them (a `}`
 * closes the innermost, whichever file opened it; the end of a file closes
 * those it opened), so that it can refuse nesting the parser would have to
 * follow deeper than MAX_BLOCK_DEPTH. */
static void block_closed(struct lexer *lx)
{
	if (!lx->blocks)
		return; /* a stray `}`: the parser reports it */
	lx->blocks--;
	for (size_t d = lx->depth; d-- > 0;) {
		if (lx->blocks_of[d]) {
			lx->blocks_of[d]--;
			break;
		}
	}
}

/* Splits a line's tokens into statements at `{` and `}`. Takes ownership.
 * False when the rest of the file must not be read (nesting too deep, or
 * memory ran out). */
static bool emit_statements(struct lexer *lx, const char *file, unsigned line, struct token *tok,
			    size_t n)
{
	struct stmt *cur = NULL;
	bool go_on = true;
	size_t i;

	for (i = 0; i < n; i++) {
		bool brace = !tok[i].quoted && (!strcmp(tok[i].text, "{") || !strcmp(tok[i].text, "}"));

		if (!brace) {
			struct token *slot;

			if (!cur && !(cur = new_stmt(lx, STMT_WORDS, file, line)))
				break;
			if (!(slot = PUSH(lx->ld, cur->tok, cur->ntok)))
				break;
			*slot = tok[i];
			continue;
		}
		if (tok[i].text[0] == '{') {
			if (lx->blocks == MAX_BLOCK_DEPTH) {
				diag_add(lx->ld, CONFIG_ERROR, file, line,
					 "blocks nested more than %d deep; the rest of this file is not read",
					 MAX_BLOCK_DEPTH);
				if (cur) { /* the statement this `{` opened goes too */
					lx->n_stmts--;
					free_tokens(cur->tok, cur->ntok);
				}
				go_on = false;
				break;
			}
			if (!cur && !(cur = new_stmt(lx, STMT_WORDS, file, line)))
				break;
			cur->opens = true;
			lx->blocks++;
			lx->blocks_of[lx->depth - 1]++;
			cur = NULL;
		} else {
			if (!new_stmt(lx, STMT_CLOSE, file, line))
				break;
			block_closed(lx);
			cur = NULL;
		}
		free(tok[i].text);
	}
	for (; i < n; i++) /* left after an error */
		free(tok[i].text);
	free(tok);
	return go_on && !lx->ld->oom;
}

/* "16 MiB", "64 KiB" or "100 bytes", for the limits in messages. */
static const char *fmt_size(size_t bytes, char buf[32])
{
	if (bytes && bytes % (1024 * 1024) == 0)
		snprintf(buf, 32, "%zu MiB", bytes / (1024 * 1024));
	else if (bytes && bytes % 1024 == 0)
		snprintf(buf, 32, "%zu KiB", bytes / 1024);
	else
		snprintf(buf, 32, "%zu bytes", bytes);
	return buf;
}

/* A problem with the file `path` itself: reported at the include directive
 * that names it, or for the main file at the file (line 0). */
__attribute__((format(printf, 5, 6)))
static void file_error(struct lexer *lx, const char *path, const char *from_file,
		       unsigned from_line, const char *fmt, ...)
{
	char *what;
	va_list ap;

	va_start(ap, fmt);
	what = cfg_vasprintf(lx->ld, fmt, ap);
	va_end(ap);
	if (!what)
		return;
	if (from_file)
		diag_add(lx->ld, CONFIG_ERROR, from_file, from_line, "include '%s': %s", path, what);
	else
		diag_add(lx->ld, CONFIG_ERROR, path, 0, "%s", what);
	free(what);
}

static void lex_file(struct lexer *lx, const char *path, const char *from_file,
		     unsigned from_line);

/* `include PATTERN`: a glob, relative to the directory of the including file. */
static void lex_include(struct lexer *lx, const char *file, unsigned line, struct token *tok,
			size_t n)
{
	struct load *ld = lx->ld;
	char *pattern;
	glob_t g;
	int rc;

	if (n < 2) {
		diag_add(ld, CONFIG_ERROR, file, line, "missing argument for 'include'");
		return;
	}
	if (n > 2)
		diag_add(ld, CONFIG_WARNING, file, line,
			 "extra argument '%s' after 'include %s' ignored", tok[2].text, tok[1].text);

	if (tok[1].text[0] == '/') {
		pattern = cfg_strdup(ld, tok[1].text);
	} else {
		const char *slash = strrchr(file, '/');
		int dir_len = slash ? (int)(slash - file) : 1;

		pattern = cfg_asprintf(ld, "%.*s/%s", dir_len, slash ? file : ".", tok[1].text);
	}
	if (!pattern)
		return;

	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		/* An empty conf.d is normal; a named file that is missing is not. */
		if (strpbrk(tok[1].text, "*?["))
			diag_add(ld, CONFIG_WARNING, file, line,
				 "include pattern '%s' matched no files", pattern);
		else
			diag_add(ld, CONFIG_ERROR, file, line, "include file '%s' not found",
				 pattern);
	} else if (rc != 0) {
		if (rc == GLOB_NOSPACE)
			ld->oom = true;
		diag_add(ld, CONFIG_ERROR, file, line, "include '%s': cannot read: %s",
			 pattern, rc == GLOB_NOSPACE ? "out of memory" : strerror(errno));
	} else {
		for (size_t i = 0; i < g.gl_pathc && !ld->oom && !lx->full; i++) {
			if (lx->n_included == ld->lim->includes) {
				diag_add(ld, CONFIG_ERROR, file, line,
					 "include '%s': more than %zu files included in one load; '%s' and what follows not read",
					 tok[1].text, ld->lim->includes, g.gl_pathv[i]);
				break;
			}
			lx->n_included++;
			lex_file(lx, g.gl_pathv[i], file, line);
		}
	}
	globfree(&g); /* glibc leaves g valid (maybe empty) on every return */
	free(pattern);
}

static void too_big(struct lexer *lx, const char *path, const char *from_file,
		    unsigned from_line)
{
	char size[32];

	file_error(lx, path, from_file, from_line,
		   "the configuration would be larger than %s (the main file and its includes together); not read",
		   fmt_size(lx->ld->lim->total_bytes, size));
}

/* The whole of `path`, a regular file, NUL-terminated, if it fits in what
 * is left of the load's byte budget; NULL after reporting why not. Opened
 * non-blocking: a FIFO must not hang the load (it is refused). */
static char *read_whole(struct lexer *lx, const char *path, const char *from_file,
			unsigned from_line, size_t *len_out)
{
	struct load *ld = lx->ld;
	size_t left = ld->lim->total_bytes - ld->bytes, len = 0, cap, limit;
	char *buf = NULL;
	struct stat sb;
	ssize_t r = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &sb) < 0) {
		if (from_file)
			diag_add(ld, CONFIG_ERROR, from_file, from_line,
				 "cannot open include file '%s': %s", path, strerror(errno));
		else
			diag_add(ld, CONFIG_ERROR, path, 0, "cannot open configuration file: %s",
				 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		file_error(lx, path, from_file, from_line, "not a regular file; not read");
		close(fd);
		return NULL;
	}
	if ((uint64_t)sb.st_size > left) {
		too_big(lx, path, from_file, from_line);
		close(fd);
		return NULL;
	}
	/* st_size can be 0 (procfs) or grow while read: the read decides, up to
	 * one byte over the budget, which is enough to know */
	limit = left < SIZE_MAX - 1 ? left + 1 : SIZE_MAX - 1;
	cap = (size_t)sb.st_size + 1;
	buf = cfg_alloc(ld, cap + 1, 1);
	while (buf) {
		if (len == cap) {
			size_t ncap = cap > limit / 2 ? limit : cap * 2;
			char *n;

			if (cap == limit)
				break;
			n = cfg_realloc(ld, buf, ncap + 1);
			if (!n) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (buf && r < 0) {
		file_error(lx, path, from_file, from_line, "read error: %s", strerror(errno));
		free(buf);
		buf = NULL;
	} else if (buf && len > left) {
		too_big(lx, path, from_file, from_line);
		free(buf);
		buf = NULL;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[len] = '\0';
	ld->bytes += len;
	*len_out = len;
	return buf;
}

/* Cuts a file's text into statements, line by line; the last line's number. */
static unsigned lex_lines(struct lexer *lx, const char *file, char *text, size_t len)
{
	struct load *ld = lx->ld;
	char *s = text, *end = text + len, size[32];
	unsigned line_no = 0;

	while (s < end && !ld->oom && !lx->full) {
		char *nl = memchr(s, '\n', (size_t)(end - s)), *line = s, *nul;
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		struct token *tok;
		size_t ntok;

		s = nl ? nl + 1 : end;
		line_no++;
		if (n > ld->lim->line_bytes) {
			diag_add(ld, CONFIG_ERROR, file, line_no,
				 "line is longer than %s; not read", fmt_size(ld->lim->line_bytes, size));
			continue;
		}
		line[n] = '\0'; /* its newline, or the byte after the text */
		nul = memchr(line, '\0', n);
		if (nul) {
			diag_add(ld, CONFIG_ERROR, file, line_no,
				 "NUL byte at column %zu; the line is not read", (size_t)(nul - line) + 1);
			continue;
		}
		if (line_no == 1 && !strncmp(line, "\xef\xbb\xbf", 3)) /* UTF-8 BOM */
			line += 3;
		if (!tokenize_line(lx, file, line_no, line, &tok, &ntok))
			continue;
		if (ntok && !tok[0].quoted && !strcmp(tok[0].text, "include")) {
			lex_include(lx, file, line_no, tok, ntok);
			free_tokens(tok, ntok);
			continue;
		}
		if (!emit_statements(lx, file, line_no, tok, ntok))
			break;
	}
	return line_no;
}

static bool on_chain(const struct lexer *lx, size_t read_index)
{
	for (size_t d = 0; d < lx->depth; d++)
		if (lx->open[d] == read_index)
			return true;
	return false;
}

/* Reads one file into statements. from_file/from_line: the include directive
 * (NULL for the main file), which is where problems with the file itself are
 * reported. */
static void lex_file(struct lexer *lx, const char *path, const char *from_file,
		     unsigned from_line)
{
	struct load *ld = lx->ld;
	const char *where_file = from_file ? from_file : path;
	char real[PATH_MAX], *real_copy, *text;
	struct read_file *rf;
	const char *file;
	unsigned last;
	size_t len;

	if (!realpath(path, real)) {
		if (from_file)
			diag_add(ld, CONFIG_ERROR, where_file, from_line,
				 "cannot open include file '%s': %s", path, strerror(errno));
		else
			diag_add(ld, CONFIG_ERROR, path, 0,
				 "cannot open configuration file: %s", strerror(errno));
		return;
	}
	/* Each file once per load: including a file twice would define its
	 * blocks twice, and re-reading lets a few includes fan out without end
	 * (a guard on the include chain alone lets 9 files that include each
	 * other be read 9! times). */
	for (size_t i = 0; i < lx->n_read; i++) {
		if (strcmp(lx->read[i].real, real))
			continue;
		if (on_chain(lx, i))
			diag_add(ld, CONFIG_ERROR, where_file, from_line,
				 "include loop: '%s' is already being read; not included again",
				 path);
		else /* not the main file: that one is always on the chain */
			diag_add(ld, CONFIG_ERROR, where_file, from_line,
				 "'%s' is already included (at %s:%u); a file is read once per load",
				 path, lx->read[i].from_file, lx->read[i].from_line);
		return;
	}
	if (lx->depth == MAX_INCLUDE_DEPTH) {
		diag_add(ld, CONFIG_ERROR, where_file, from_line,
			 "include '%s': more than %d nested includes", path, MAX_INCLUDE_DEPTH);
		return;
	}
	text = read_whole(lx, path, from_file, from_line, &len);
	if (!text)
		return;
	real_copy = cfg_strdup(ld, real);
	rf = real_copy ? PUSH(ld, lx->read, lx->n_read) : NULL;
	if (!rf) {
		free(real_copy);
		free(text);
		return;
	}
	rf->real = real_copy;
	rf->from_file = from_file;
	rf->from_line = from_line;
	file = intern_file(ld, path);
	if (!file) {
		free(text);
		return;
	}

	lx->open[lx->depth] = lx->n_read - 1;
	lx->blocks_of[lx->depth++] = 0;
	last = lex_lines(lx, file, text, len);
	free(text);
	new_stmt(lx, STMT_EOF, file, last);
	lx->blocks -= lx->blocks_of[--lx->depth];
}

void lex_main_file(struct lexer *lx, const char *path)
{
	lex_file(lx, path, NULL, 0);
}

void lex_free(struct lexer *lx)
{
	for (size_t i = 0; i < lx->n_stmts; i++)
		free_tokens(lx->stmts[i].tok, lx->stmts[i].ntok);
	free(lx->stmts);
	for (size_t i = 0; i < lx->n_read; i++)
		free(lx->read[i].real);
	free(lx->read);
}

/* ---- parser core ------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
void error_at(struct parser *p, const struct stmt *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->ld, CONFIG_ERROR, st->file, st->line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
void warn_at(struct parser *p, const struct stmt *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->ld, CONFIG_WARNING, st->file, st->line, fmt, ap);
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
	if (p->ld->oom) { /* the load fails: every block ends here, quietly */
		p->pos = p->n_stmts;
		return NULL;
	}
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

/* Skips the body of a block we do not parse (unknown keyword, error), and
 * the blocks inside it. Not recursive: the lexer keeps nesting within
 * MAX_BLOCK_DEPTH, so the openers fit in a fixed stack. */
void skip_block(struct parser *p, const struct stmt *opener)
{
	const struct stmt *open[MAX_BLOCK_DEPTH];
	size_t depth = 0;

	open[depth++] = opener;
	while (depth) {
		const struct stmt *st = next_in_block(p, open[depth - 1]);

		if (!st)
			depth--;
		else if (st->opens && depth < MAX_BLOCK_DEPTH)
			open[depth++] = st;
		else if (st->opens) { /* cannot happen (see above); never overflow */
			error_at(p, st, "blocks nested more than %d deep", MAX_BLOCK_DEPTH);
			return;
		}
	}
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
	while (p->pos < p->n_stmts && !p->ld->oom) {
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
