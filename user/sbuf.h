/* A growing string, for replies and status pages. */
#ifndef XVIP_SBUF_H
#define XVIP_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char *s; /* NUL-terminated once anything was written; caller frees */
	size_t len, cap;
	bool oom; /* something was not written: out of memory */
};

void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal, quotes included; NULL prints "" */
void sb_json_str(struct sbuf *b, const char *s);

#endif
