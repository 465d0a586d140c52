/* Preflight of a MySQL/MariaDB pair from what the checks learnt: keys that
 * cannot collide, distinct server ids, binary logs, replication both ways,
 * read_only as expected, semi-sync or not. Pure: facts in, findings out. */
#ifndef XVIP_PREFLIGHT_H
#define XVIP_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"

/* writer_fsm.h's WF_FENCE_MIN_TIMEOUT_MS */
#define PF_FENCE_MIN_TIMEOUT_MS 86400000ll

enum pf_level { PF_OK = 0, PF_WARN = 1, PF_ERROR = 2 };

struct pf_node {
	const char *name;              /* "10.0.0.1:3306" */
	const struct mysql_facts *f;   /* NULL or !valid: could not be read */
	const char *unreachable_why;   /* when f is unusable */
};

struct pf_finding {
	enum pf_level level;
	char text[480]; /* what is wrong, in plain words, and the fix */
};

/* writer: index of the node that should be writable, -1 if unknown.
 * Returns the number of findings written (at most max); *semisync tells
 * whether every node runs semi-synchronous replication. */
size_t preflight_mysql(const struct pf_node *nodes, size_t n, bool manage_read_only, int writer,
		       struct pf_finding *out, size_t max, bool *semisync);
const char *pf_level_str(enum pf_level l);

#endif
