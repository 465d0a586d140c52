/*
 * liveness.h - fast liveness, the backup's side: when to send echoes to the
 * master, how to judge their answers, when to presume the master dead
 * (docs/architecture.md, "Fast liveness").
 *
 * Pure: no sockets, no clock, no maps. The shell (vrrp_liveness.c) sends the
 * echoes this decides, reads the answers the data plane recorded (the highest
 * echo number answered) and passes them in with its monotonic time in
 * microseconds.
 *
 * Every interval the backup sends LIV_COPIES echoes. An interval is answered
 * when any of its echoes is; `multiplier` unanswered intervals in a row make
 * the master presumed dead. Only intervals whose echoes were actually sent
 * count (a send that failed, or a daemon that slept, judges nothing), and
 * nothing is presumed of a master that never answered (a keepalived peer, or
 * an xvipd without liveness): after LIV_DORMANT_AFTER_US without an answer
 * the watcher says so once and probes once a second, in case it starts.
 */
#ifndef XVIP_LIVENESS_H
#define XVIP_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

#define LIV_COPIES 2
#define LIV_DORMANT_AFTER_US 1000000ull
#define LIV_DORMANT_INTERVAL_US 1000000ull
#define LIV_NO_DEADLINE UINT64_MAX

enum liv_phase {
	LIV_IDLE = 0,     /* not watching (master, or no master known) */
	LIV_PROBING,      /* echoes sent, no answer from this master yet */
	LIV_ESTABLISHED,  /* it answers: misses count */
	LIV_DORMANT,      /* it never answered: one echo a second */
};

enum liv_verdict {
	LIV_WAIT = 0,     /* nothing to do before *next_at */
	LIV_SEND,         /* send n echoes numbered first.., then liv_sent() */
	LIV_DEAD,         /* presume the master dead (the watch stops) */
};

struct liveness {
	uint64_t interval_us;
	unsigned multiplier;

	enum liv_phase phase;
	uint32_t master;        /* network order; 0 when idle */
	uint32_t next_seq;      /* never 0 */
	uint32_t pending_first; /* first echo of the interval awaiting judgement, 0: none */
	unsigned pending_n;
	uint64_t pending_at;
	unsigned missed;        /* unanswered intervals in a row */
	uint64_t watch_since;
	uint64_t next_at;       /* next tick */

	/* after a LIV_DEAD verdict, until liv_postmortem() (see there) */
	struct {
		uint32_t master;      /* the master presumed dead; 0: none pending */
		uint64_t at;          /* the verdict */
		bool answered;        /* it had answered an echo of that watch */
		uint32_t last_seq;    /* the highest it had answered */
		uint32_t last_sent;   /* the highest echo number sent to it */
		unsigned missed;      /* intervals missed at the verdict */
	} pm;

	/* for status */
	uint64_t echoes_sent, intervals_judged, intervals_missed, presumed_dead;
	unsigned max_missed;    /* the longest run of misses that did not kill */
	uint64_t late_verdicts; /* presumed dead, then answered: spurious */
	uint64_t late_hold_max_us; /* the longest hold of those answers (hold_us) */
};

struct liv_step {
	enum liv_verdict verdict;
	uint32_t first;        /* LIV_SEND: echo numbers first..first+n-1 */
	unsigned n;
	bool established;      /* the first answer from this master */
	bool dormant;          /* it did not answer in LIV_DORMANT_AFTER_US */
	unsigned missed;       /* LIV_DEAD: intervals missed */
};

void liv_init(struct liveness *l, uint64_t interval_us, unsigned multiplier);
/* Watch master (network order), from now; 0 stops watching. Watching the
 * same master again changes nothing. Returns true when the watch changed
 * (the shell then resets the data plane's record before the next send). */
bool liv_watch(struct liveness *l, uint32_t master, uint64_t now);
/* A tick. answered: the data plane recorded at least one answer from the
 * watched master since the watch began; last_seq: the highest answered. */
void liv_tick(struct liveness *l, uint64_t now, bool answered, uint32_t last_seq,
	      struct liv_step *out);
/* After LIV_SEND: sent of the n echoes went out. */
void liv_sent(struct liveness *l, uint64_t now, uint32_t first, unsigned sent);
uint64_t liv_next_deadline(const struct liveness *l);

/*
 * The verdict's post-mortem. A master presumed dead that was alive after
 * all shows it by answering, late, the echoes sent before the verdict: the
 * answer path (softirq work deferred behind busy tasks, the host's
 * scheduling) held them longer than multiplier intervals. The shell keeps
 * the data plane's record of that master for LIV_PM_WINDOW_US after the
 * verdict (or until the watch changes) and then asks: with the record's
 * state (answered, last_seq: the highest echo answered; rtt_us: that
 * answer's round trip), did an answer come after the verdict? Each
 * verdict is judged once; the late ones are counted (late_verdicts,
 * late_hold_max_us), for the operator to see that a takeover was spurious
 * and why (docs/configuration.md, liveness_multiplier).
 */
#define LIV_PM_WINDOW_US 1000000ull /* a second: held answers drain; the old
					    * master's adverts usually settle it first */

enum liv_pm_verdict {
	LIV_PM_NONE = 0,  /* no verdict pending */
	LIV_PM_SILENT,    /* no answer after the verdict: dead, or cut off */
	LIV_PM_LATE,      /* answered after the verdict: a spurious takeover */
};

struct liv_pm_result {
	enum liv_pm_verdict verdict;
	uint32_t master;  /* the master of the verdict */
	uint32_t seq;     /* LIV_PM_LATE: the highest echo answered */
	unsigned late;    /* LIV_PM_LATE: echo numbers answered after the
			   * verdict (a span: up to that many echoes) */
	uint64_t rtt_us;  /* LIV_PM_LATE: the round trip of echo seq */
	uint64_t hold_us; /* and how long the answers were held, about:
			   * the first missed interval's round trip */
	unsigned cover;   /* the multiplier that would have waited it out */
};

/* the record (answered, last_seq, rtt_us) is the data plane's for the
 * verdict's master (the shell passes answered false for another one's) */
void liv_postmortem(struct liveness *l, bool answered, uint32_t last_seq, uint64_t rtt_us,
		    struct liv_pm_result *out);
/* when the shell must judge the pending verdict: LIV_NO_DEADLINE if none */
uint64_t liv_postmortem_due(const struct liveness *l);
const char *liv_phase_str(enum liv_phase p);

/* The master's lease on its VIPs in this mode: renewed every interval, it
 * outlives one late renewal and no more. */
static inline uint64_t liv_lease_us(uint64_t interval_us)
{
	return 2 * interval_us;
}

#endif
