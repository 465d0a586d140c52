/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of the configuration parser share; config.h is the API.
 *
 *   config.c        config_load(): lex, parse, validate; config_free()
 *   config_diag.c   a load's memory (failures reported, never an abort) and
 *                   diagnostics (counted, capped, escaped)
 *   config_lex.c    files within the limits, tokenizer, includes, block walking
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

#define SEC 1000u /* milliseconds */
#define DAY_MS (86400u * SEC)

/* Nesting that no configuration needs (keepalived's deepest block is 4
 * levels); fixed, so that walking them needs no allocation. */
#define MAX_INCLUDE_DEPTH 32
#define MAX_BLOCK_DEPTH 32

/* What one load may read: a file that is over a cap is an error at its
 * file:line, never a crash, a hang or an exhausted host. The defaults
 * (config_default_limits, documented in docs/configuration.md "Limits")
 * are far above any real configuration; tests lower or raise them. */
struct config_limits {
	size_t line_bytes;  /* one line, without its newline */
	size_t line_words;  /* words and braces on one line */
	size_t load_words;  /* words and braces in the main file and its includes */
	size_t total_bytes; /* the main file and every included file together */
	size_t includes;    /* files included, the main file not counted */
	size_t diagnostics; /* kept in the report; more are counted, summarized */
	size_t fail_alloc;  /* tests: this allocation (1-based) fails; 0: none */
};

extern const struct config_limits config_default_limits;

/* config_load() with other limits. */
struct xvip_config *config_load_limited(const char *path, struct config_diag *diag,
					const struct config_limits *lim);

/* One load: what every pass shares. */
struct load {
	struct xvip_config *cfg;
	struct config_diag *diag;
	const struct config_limits *lim;
	size_t first_diag;       /* this load's first entry in diag */
	size_t dropped_errors;   /* diagnostics over lim->diagnostics */
	size_t dropped_warnings;
	size_t allocs;           /* made so far, for lim->fail_alloc */
	size_t bytes;            /* read so far, for lim->total_bytes */
	/* An allocation failed: the load fails with an error saying so, and
	 * the passes stop. Whatever was built is still reachable from cfg and
	 * freed by config_free(); nothing aborts (a reload keeps running). */
	bool oom;
};

/* ---- memory (config_diag.c) ------------------------------------------- */

/* Each returns NULL and sets ld->oom when the allocation fails. */
void *cfg_alloc(struct load *ld, size_t n, size_t size); /* zeroed */
void *cfg_realloc(struct load *ld, void *p, size_t size); /* p stays valid on failure */
char *cfg_strdup(struct load *ld, const char *s);
char *cfg_strndup(struct load *ld, const char *s, size_t len);
__attribute__((format(printf, 2, 3)))
char *cfg_asprintf(struct load *ld, const char *fmt, ...);
__attribute__((format(printf, 2, 0)))
char *cfg_vasprintf(struct load *ld, const char *fmt, va_list ap);
void *push_grow(struct load *ld, void *array, size_t count, size_t elem_size);

/* Appends one zeroed element to a dynamic array and returns it, or NULL
 * (the array unchanged) when memory runs out. Arrays grow only through
 * PUSH, by doubling. They are only appended to while the block that owns
 * them is being parsed, so a pointer to an element of an outer array stays
 * valid. */
#define PUSH(ld, array, count) ({                                               \
	__typeof__(array) push_new_ = push_grow((ld), (array), (count), sizeof(*(array))); \
	push_new_ ? ((array) = push_new_, &(array)[(count)++]) : NULL;          \
})

/* A copy of s appended to a string array; false when memory runs out. */
bool push_string(struct load *ld, char ***array, size_t *count, const char *s);

/* ---- diagnostics (config_diag.c) --------------------------------------- */

/* Counts the diagnostic and keeps it (up to lim->diagnostics), with every
 * byte that is not printable UTF-8 shown as \xHH. */
__attribute__((format(printf, 5, 0)))
void diag_vadd(struct load *ld, enum config_severity severity, const char *file,
	       unsigned line, const char *fmt, va_list ap);
__attribute__((format(printf, 5, 6)))
void diag_add(struct load *ld, enum config_severity severity, const char *file,
	      unsigned line, const char *fmt, ...);
/* After the load: one line for the diagnostics over the cap, not counted
 * again. */
void diag_summary(struct load *ld, const char *path);
/* s with every byte that is not printable UTF-8 written as \xHH. */
char *escape_text(struct load *ld, const char *s);

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

/* A file read in this load, by its real path: each is read once. */
struct read_file {
	char *real;
	const char *from_file; /* the include directive; NULL: the main file */
	unsigned from_line;
};

struct lexer {
	struct stmt *stmts;
	size_t n_stmts;
	struct load *ld;
	struct read_file *read;  /* every file read, main file first */
	size_t n_read;
	size_t n_included;       /* files the includes named, for lim->includes */
	size_t words;            /* tokens so far, for lim->load_words */
	bool full;               /* over lim->load_words: nothing more is read */
	size_t open[MAX_INCLUDE_DEPTH]; /* indexes in read[] of the include chain */
	size_t depth;
	/* blocks left open, per file of the chain, and in all */
	size_t blocks_of[MAX_INCLUDE_DEPTH];
	size_t blocks;
};

/* Reads the main file and what it includes into lx->stmts; lx starts
 * zeroed but for ld. */
void lex_main_file(struct lexer *lx, const char *path);
void lex_free(struct lexer *lx);

/* ---- block walking (config_lex.c) ------------------------------------- */

struct parser {
	const struct stmt *stmts;
	size_t n_stmts;
	size_t pos;
	struct load *ld;
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
/* `smtp_alert [on|off]` into an enum config_tristate */
void arg_alert(struct parser *p, const struct stmt *st, uint8_t *out);
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
	struct config_where liveness_interval, liveness_multiplier, auth_key_file;
	size_t vip_items; /* lines in virtual_ipaddress, valid or not */
	bool auth_pass_set;
	bool auth_type_set;
};

/* A string -> index map (config_check.c). Every check of a name against
 * those before it goes through one: done by comparing with each, a file of
 * a few hundred thousand instances (well within the limits) would take
 * minutes to load. */
struct name_slot {
	char *key;
	size_t index;
};

struct name_map {
	struct name_slot *slots; /* open addressing; cap is a power of two */
	size_t cap, n;
};

/* The index stored for key; when key is new, `index` is stored for it and
 * returned (also when memory ran out: ld->oom). */
size_t name_map_first(struct load *ld, struct name_map *m, const char *key, size_t index);
/* SIZE_MAX when key is not in the map. */
size_t name_map_find(const struct name_map *m, const char *key);
void name_map_free(struct name_map *m);

/* Parse-time sidecar of cfg->instances (same index), and the names so far. */
struct parse_state {
	struct instance_src *instance_src;
	size_t n_instance_src;
	struct name_map instance_names;
	struct name_map script_names;
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

void config_validate(struct load *ld, struct parse_state *ps);

#endif /* XVIP_CONFIG_INT_H */
