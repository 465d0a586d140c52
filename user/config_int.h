/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of the configuration parser share; config.h is the API.
 *
 *   config.c        config_load(): lex, parse, validate; config_free()
 *   config_lex.c    memory, diagnostics, tokenizer, includes, block walking
 *   config_args.c   arguments (numbers, durations, addresses, commands) and
 *                   the keyword table's field setter
 *   config_vrrp.c   global_defs, vrrp_script, vrrp_instance, vrrp_sync_group
 *   config_lvs.c    virtual_server, real_server, the checkers
 *   config_check.c  whole-file checks and inherited defaults
 *   config_dump.c   the normalized dump (xvipd -t) and what compares by it
 *
 * Three passes, each simple on its own:
 *   1. lex: every file (main file first, `include`s expanded where they
 *      appear) is cut into statements. A statement is the words of one line up
 *      to a `{` (which it then "opens"), or a lone `}`. Each file ends with an
 *      EOF statement so that a block left open is closed at the end of the
 *      file it was opened in, not at the end of everything.
 *   2. parse: a descent over statements driven by one keyword table per
 *      block; a keyword either names a handler that checks its own arguments
 *      or says which field of the block it sets and in which range.
 *   3. validate: what needs the whole file (VRRP version vs advert_int,
 *      track_script names, duplicate VRIDs, defaults that inherit from a
 *      parent block) is checked and filled in once everything is read.
 *
 * All three keep going after an error so that one run reports every problem.
 */
#ifndef XVIP_CONFIG_INT_H
#define XVIP_CONFIG_INT_H

#include "config.h"

#include <stdarg.h>
#include <stddef.h>

#define MAX_INCLUDE_DEPTH 32
#define SEC 1000u /* milliseconds */
#define DAY_MS (86400u * SEC)

/* ---- memory (config_lex.c) -------------------------------------------- */

void out_of_memory(void);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
void *push_zeroed(void *array, size_t *count, size_t elem_size);

/* Appends one zeroed element to a dynamic array and returns it. Arrays are
 * only appended to while the block that owns them is being parsed, so a
 * pointer to an element of an outer array stays valid. */
#define PUSH(array, count) \
	((array) = push_zeroed((array), &(count), sizeof(*(array))), &(array)[(count) - 1])

/* ---- diagnostics (config_lex.c) --------------------------------------- */

__attribute__((format(printf, 5, 0)))
void diag_vadd(struct config_diag *diag, enum config_severity severity, const char *file,
	       unsigned line, const char *fmt, va_list ap);
__attribute__((format(printf, 5, 6)))
void diag_add(struct config_diag *diag, enum config_severity severity, const char *file,
	      unsigned line, const char *fmt, ...);

/* ---- lexer (config_lex.c) --------------------------------------------- */

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

/* Reads one file into statements. from_file/from_line: the include directive
 * (NULL for the main file), which is where open failures are reported. */
void lex_file(struct lexer *lx, const char *path, const char *from_file, unsigned from_line);
void free_stmts(struct stmt *stmts, size_t n);

/* ---- block walking (config_lex.c) ------------------------------------- */

struct parser {
	const struct stmt *stmts;
	size_t n_stmts;
	size_t pos;
	struct xvip_config *cfg;
	struct config_diag *diag;
};

typedef void (*keyword_fn)(struct parser *p, const struct stmt *st, void *ctx);

/* A keyword with a handler, or one that only sets a field of the block's
 * target (see struct block_def) from its one argument. */
enum keyword_kind {
	KEY_HANDLER,  /* handle() does it all */
	KEY_STRING,   /* char *, one word */
	KEY_UINT,     /* unsigned in [min, max] */
	KEY_INT,      /* int in [min, max] */
	KEY_DURATION, /* uint32_t milliseconds in [min, max] */
	KEY_BOOL,     /* bool: on|off, the keyword alone means on */
	KEY_FLAG,     /* bool set to true; no argument */
	KEY_COMMAND,  /* struct config_command *: a script and its arguments */
};

struct keyword {
	const char *name;
	bool block; /* takes a { ... } body; the handler parses it */
	keyword_fn handle;
	enum keyword_kind kind;
	size_t off; /* of the field in the block's target */
	long long min, max;
};

/* The field's type is checked at compile time: comparing pointers of
 * distinct types does not compile with -Werror. */
#define KEY_OFF(T, field, ctype) \
	(offsetof(T, field) + 0 * sizeof((ctype *)0 == &((T *)0)->field))
#define KEY(name, fn) { name, false, fn, KEY_HANDLER, 0, 0, 0 }
#define KEY_BLOCK(name, fn) { name, true, fn, KEY_HANDLER, 0, 0, 0 }
#define KEY_SET_STRING(name, T, field) \
	{ name, false, NULL, KEY_STRING, KEY_OFF(T, field, char *), 0, 0 }
#define KEY_SET_UINT(name, T, field, min, max) \
	{ name, false, NULL, KEY_UINT, KEY_OFF(T, field, unsigned), min, max }
#define KEY_SET_INT(name, T, field, min, max) \
	{ name, false, NULL, KEY_INT, KEY_OFF(T, field, int), min, max }
#define KEY_SET_DURATION(name, T, field, min, max) \
	{ name, false, NULL, KEY_DURATION, KEY_OFF(T, field, uint32_t), min, max }
#define KEY_SET_BOOL(name, T, field) \
	{ name, false, NULL, KEY_BOOL, KEY_OFF(T, field, bool), 0, 0 }
#define KEY_SET_FLAG(name, T, field) \
	{ name, false, NULL, KEY_FLAG, KEY_OFF(T, field, bool), 0, 0 }
#define KEY_SET_COMMAND(name, T, field) \
	{ name, false, NULL, KEY_COMMAND, KEY_OFF(T, field, struct config_command *), 0, 0 }
#define KEY_END { NULL, false, NULL, KEY_HANDLER, 0, 0, 0 }

struct block_def {
	const char *name; /* for messages: "unknown keyword 'x' in <name>" */
	const struct keyword *keywords;
	/* keepalived keywords we recognise but do not implement: warned about
	 * by name instead of as unknown, so the operator knows it is not a typo */
	const char *const *unsupported;
	/* the struct that the KEY_SET_* offsets point into; NULL: ctx itself */
	void *(*target)(void *ctx);
};

__attribute__((format(printf, 3, 4)))
void error_at(struct parser *p, const struct stmt *st, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void warn_at(struct parser *p, const struct stmt *st, const char *fmt, ...);

static inline struct config_where where_of(const struct stmt *st)
{
	return (struct config_where){ .file = st->file, .line = st->line };
}

static inline const char *kw(const struct stmt *st)
{
	return st->tok[0].text;
}

/* True when `st` is followed by a `{`: glued/on the same line, or alone on the
 * next line (which is then consumed). */
bool take_block_open(struct parser *p, const struct stmt *st);
/* Skips the body of a block we do not parse (unknown keyword, error). */
void skip_block(struct parser *p, const struct stmt *opener);
/* Parses the body of the block opened by `opener` up to its `}`. */
void parse_block(struct parser *p, const struct block_def *def, void *ctx,
		 const struct stmt *opener);
void parse_top_level(struct parser *p, const struct block_def *def, void *ctx);

typedef void (*item_fn)(struct parser *p, const struct stmt *st, void *ctx);
/* A block holding a list (virtual_ipaddress, unicast_peer, ...): every line
 * is one item, handed to `item`. */
void parse_list(struct parser *p, const struct stmt *opener, item_fn item, void *ctx);

/* ---- arguments (config_args.c) ---------------------------------------- */

/* Checks that `st` has between min and max arguments after the keyword.
 * Too few is an error, too many a warning (the rest is ignored). */
bool want_args(struct parser *p, const struct stmt *st, size_t min, size_t max);
/* An unsigned number in [min, max]; `name` is what to call it in messages. */
bool parse_uint_tok(struct parser *p, const struct stmt *st, const char *name, const char *text,
		    unsigned min, unsigned max, unsigned *out);
bool parse_int_tok(struct parser *p, const struct stmt *st, const char *name, const char *text,
		   int min, int max, int *out);
bool arg_uint(struct parser *p, const struct stmt *st, unsigned min, unsigned max,
	      unsigned *out);
bool arg_int(struct parser *p, const struct stmt *st, int min, int max, int *out);
/* "1.234" -> "1.234", 1000 -> "1", 500 -> "0.5": seconds, up to 3 decimals. */
const char *fmt_seconds(uint32_t ms, char buf[16]);
bool arg_duration(struct parser *p, const struct stmt *st, uint32_t min_ms, uint32_t max_ms,
		  uint32_t *out);
bool arg_bool(struct parser *p, const struct stmt *st, bool *out);
bool arg_flag(struct parser *p, const struct stmt *st);
bool arg_string(struct parser *p, const struct stmt *st, char **dst);
bool parse_ipv4_tok(struct parser *p, const struct stmt *st, const char *name, const char *text,
		    struct in_addr *out);
bool arg_ipv4(struct parser *p, const struct stmt *st, struct in_addr *out);
bool parse_ifname_tok(struct parser *p, const struct stmt *st, const char *text,
		      char out[IF_NAMESIZE]);
bool parse_port_tok(struct parser *p, const struct stmt *st, const char *name, const char *text,
		    uint16_t *out);
/* `user USER [GROUP]`, shared by script_user, vrrp_script and MISC_CHECK. */
void set_user_group(struct parser *p, const struct stmt *st, char **user, char **group);

/* The command is everything after the keyword: either one "quoted string"
 * (keepalived's way to pass arguments) or several words. NULL on error. */
struct config_command *arg_command(struct parser *p, const struct stmt *st);
void set_command(struct parser *p, const struct stmt *st, struct config_command **dst);
void free_command_fields(struct config_command *c);
void free_command(struct config_command *c);

/* A KEY_SET_* keyword: its argument into its field of `target`. */
void set_keyword_field(struct parser *p, const struct stmt *st, const struct keyword *k,
		       void *target);

/* ---- blocks (config_vrrp.c, config_lvs.c) ----------------------------- */

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

/* Parse-time sidecar of cfg->instances (same index). */
struct parse_state {
	struct instance_src *instance_src;
	size_t n_instance_src;
};

/* The context of the top-level keywords. */
struct top_ctx {
	struct xvip_config *cfg;
	struct parse_state *ps;
};

void kw_global_defs(struct parser *p, const struct stmt *st, void *top_ctx);
void kw_vrrp_script(struct parser *p, const struct stmt *st, void *top_ctx);
void kw_vrrp_instance(struct parser *p, const struct stmt *st, void *top_ctx);
void kw_vrrp_sync_group(struct parser *p, const struct stmt *st, void *top_ctx);
void kw_virtual_server(struct parser *p, const struct stmt *st, void *top_ctx);

/* ---- whole-file checks (config_check.c) ------------------------------- */

void config_validate(struct xvip_config *cfg, struct config_diag *diag, struct parse_state *ps);

#endif /* XVIP_CONFIG_INT_H */
