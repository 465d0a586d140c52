/* liveness.c - the backup's echo schedule and judgement (liveness.h). */
#include <string.h>

#include "liveness.h"

void liv_init(struct liveness *l, uint64_t interval_us, unsigned multiplier)
{
	memset(l, 0, sizeof(*l));
	l->interval_us = interval_us;
	l->multiplier = multiplier ? multiplier : 3;
	l->next_seq = 1;
	l->next_at = LIV_NO_DEADLINE;
}

const char *liv_phase_str(enum liv_phase p)
{
	switch (p) {
	case LIV_IDLE: return "idle";
	case LIV_PROBING: return "probing";
	case LIV_ESTABLISHED: return "established";
	case LIV_DORMANT: return "dormant";
	}
	return "?";
}

bool liv_watch(struct liveness *l, uint32_t master, uint64_t now)
{
	if (master == l->master && (master == 0) == (l->phase == LIV_IDLE))
		return false;
	l->master = master;
	l->phase = master ? LIV_PROBING : LIV_IDLE;
	l->pending_first = 0;
	l->pending_n = 0;
	l->missed = 0;
	l->watch_since = now;
	l->next_at = master ? now : LIV_NO_DEADLINE;
	return true;
}

static uint32_t seq_after(uint32_t seq, unsigned n)
{
	uint32_t s = seq + n;

	return s < seq || s == 0 ? s + 1 : s; /* 0 means "none" */
}

void liv_tick(struct liveness *l, uint64_t now, bool answered, uint32_t last_seq,
	      struct liv_step *out)
{
	memset(out, 0, sizeof(*out));
	if (l->phase == LIV_IDLE || now < l->next_at)
		return;

	if (l->pending_first) {
		/* answered if any echo of the interval came back; echo numbers
		 * only grow, so the highest answered tells */
		bool ok = answered && (int32_t)(last_seq - l->pending_first) >= 0;

		l->pending_first = 0;
		l->intervals_judged++;
		if (ok) {
			if (l->phase != LIV_ESTABLISHED)
				out->established = true;
			l->phase = LIV_ESTABLISHED;
			if (l->missed > l->max_missed)
				l->max_missed = l->missed;
			l->missed = 0;
		} else if (l->phase == LIV_ESTABLISHED) {
			l->intervals_missed++;
			if (++l->missed >= l->multiplier) {
				out->verdict = LIV_DEAD;
				out->missed = l->missed;
				l->presumed_dead++;
				l->pm.master = l->master;
				l->pm.at = now;
				l->pm.answered = answered;
				l->pm.last_seq = last_seq;
				l->pm.missed = l->missed;
				l->pm.last_sent = l->next_seq - 1 ? l->next_seq - 1 : UINT32_MAX;
				liv_watch(l, 0, now);
				return;
			}
		}
	}
	if (l->phase == LIV_PROBING && now - l->watch_since >= LIV_DORMANT_AFTER_US) {
		l->phase = LIV_DORMANT;
		out->dormant = true;
	}
	out->verdict = LIV_SEND;
	out->first = l->next_seq;
	out->n = l->phase == LIV_DORMANT ? 1 : LIV_COPIES;
	l->next_at = now + (l->phase == LIV_DORMANT ? LIV_DORMANT_INTERVAL_US : l->interval_us);
}

void liv_sent(struct liveness *l, uint64_t now, uint32_t first, unsigned sent)
{
	if (l->phase == LIV_IDLE || first != l->next_seq)
		return;
	l->next_seq = seq_after(first, sent ? sent : 0);
	if (!sent)
		return; /* nothing went out: the next tick judges nothing */
	l->pending_first = first;
	l->pending_n = sent;
	l->pending_at = now;
	l->echoes_sent += sent;
}

uint64_t liv_next_deadline(const struct liveness *l)
{
	return l->phase == LIV_IDLE ? LIV_NO_DEADLINE : l->next_at;
}

void liv_postmortem(struct liveness *l, bool answered, uint32_t last_seq, uint64_t rtt_us,
		    struct liv_pm_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!l->pm.master)
		return;
	out->master = l->pm.master;
	out->verdict = LIV_PM_SILENT;
	/* an answer newer than the verdict's, to an echo sent before it (no
	 * echo goes to that master after it, and a new watch resets the
	 * record) */
	if (answered && (!l->pm.answered || (int32_t)(last_seq - l->pm.last_seq) > 0) &&
	    (int32_t)(l->pm.last_sent - last_seq) >= 0) {
		out->verdict = LIV_PM_LATE;
		out->seq = last_seq;
		out->late = l->pm.answered ? last_seq - l->pm.last_seq : 1;
		out->rtt_us = rtt_us;
		/* answers held together: the first missed interval's echo
		 * waited missed - 1 intervals more than the newest */
		out->hold_us = rtt_us + (uint64_t)(l->pm.missed ? l->pm.missed - 1 : 0) * l->interval_us;
		out->cover = l->interval_us ? (unsigned)(out->hold_us / l->interval_us) + 1 : 0;
		l->late_verdicts++;
		if (out->hold_us > l->late_hold_max_us)
			l->late_hold_max_us = out->hold_us;
	}
	l->pm.master = 0;
}

uint64_t liv_postmortem_due(const struct liveness *l)
{
	return l->pm.master ? l->pm.at + LIV_PM_WINDOW_US : LIV_NO_DEADLINE;
}
