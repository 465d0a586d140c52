/*
 * gtid.h - MariaDB GTID sets, to find errant transactions after a partition
 * healed.
 *
 * An errant transaction is one a node holds in its binlog that the new
 * writer never received: the old writer went on committing while it was cut
 * off (its semi-sync ack timed out and it fell back to asynchronous), so no
 * client was promised those were safe anywhere else. Such a node cannot
 * simply replicate from the new writer: its data has diverged. Comparing
 * the two nodes' @@gtid_binlog_state says so, and names what diverged.
 *
 * The format is MariaDB's: a GTID is DOMAIN-SERVER-SEQ (domain_id and
 * server_id 32-bit, seq_no 64-bit, unsigned decimal), a list separates them
 * with ',' and may have whitespace (spaces, newlines) around each GTID; ""
 * is the empty set. @@gtid_binlog_state holds the last seq_no of every
 * (domain, server_id) pair in the binlog: "0-1-105,0-2-110,3-3-7".
 *
 * B covers A when B has every pair of A with a seq_no at least A's. What A
 * has beyond B is, per pair, seq_no b+1..a (b = 0 when B lacks the pair).
 * seq_no counts per domain, not per server, so such a range can include
 * numbers that other servers of the domain used: the count is an upper
 * bound, but zero is exact, and zero is the question that matters.
 *
 * Pure, like writer_fsm.h: no I/O, no allocation; the shell runs the
 * queries and acts on the answer.
 */
#ifndef XVIP_GTID_H
#define XVIP_GTID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One pair per server that ever wrote in a domain: far more than any
 * cluster xvip serves (WF_MAX_NODES), kept on the stack. */
#define GTID_MAX_ENTRIES 64

struct gtid_entry {
	uint32_t domain, server;
	uint64_t seq;
};

/* Each (domain, server) pair at most once, in the order of the text. */
struct gtid_set {
	size_t n;
	struct gtid_entry e[GTID_MAX_ENTRIES];
};

/* Parse a GTID list (NULL or "" or only whitespace: the empty set). A pair
 * given twice keeps its highest seq_no. 0, or -1 with err saying what is
 * wrong and at which byte offset: a missing part, a number that is not
 * unsigned decimal or too big for its field, text after a seq_no, an empty
 * GTID (",,", or a leading or trailing ',': a list cut short must not pass
 * for a whole one), more than GTID_MAX_ENTRIES pairs. On error *out is the
 * empty set, which covers nothing: never compare with it. */
int gtid_parse(const char *text, struct gtid_set *out, char *err, size_t errlen);

/* How many transactions of a b lacks (summed over pairs, saturating at
 * SIZE_MAX); 0: b covers a. When len > 0, out gets them as ranges,
 * "0-1-101..105,3-3-7" ("" for none). Text that does not fit is cut after
 * a whole range and ends in ",..." (or "..." alone): never half a GTID. */
size_t gtid_missing(const struct gtid_set *a, const struct gtid_set *b, char *out, size_t len);

/* b covers a: a has nothing b lacks. */
bool gtid_covers(const struct gtid_set *b, const struct gtid_set *a);

#endif /* XVIP_GTID_H */
