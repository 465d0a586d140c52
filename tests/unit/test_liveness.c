/*
 * test_liveness.c - the backup's echo schedule and judgement (liveness.c),
 * driven with synthetic time and a simulated data plane: a master that
 * answers (or not) each echo, and a loss model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <string.h>

#include "liveness.h"

#define MS 1000ull
#define MASTER 0x0200000a /* 10.0.0.2, network order on little endian */

/* The data plane's record: highest echo answered, any at all. */
struct world {
	struct liveness l;
	uint64_t now;
	bool alive;          /* the master answers */
	double loss;         /* each direction, per frame */
	uint64_t rng;
	bool answered;
	uint32_t last_seq;
	unsigned send_fail;  /* the next sends fail (ENOBUFS, say) */
	unsigned dead, established, dormant;
	uint64_t dead_at;
};

static double rnd(struct world *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (double)(w->rng >> 11) / 9007199254740992.0;
}

static void world_init(struct world *w, uint64_t interval, unsigned mult)
{
	memset(w, 0, sizeof(*w));
	liv_init(&w->l, interval, mult);
	w->alive = true;
	w->rng = 88172645463325252ull;
	liv_watch(&w->l, MASTER, 0);
}

/* One tick at w->now: judge, send (answers recorded at once: the round
 * trip is far shorter than an interval). */
static enum liv_verdict step(struct world *w)
{
	struct liv_step s;

	liv_tick(&w->l, w->now, w->answered, w->last_seq, &s);
	w->established += s.established;
	w->dormant += s.dormant;
	if (s.verdict == LIV_DEAD) {
		w->dead++;
		w->dead_at = w->now;
		return LIV_DEAD;
	}
	if (s.verdict != LIV_SEND)
		return s.verdict;
	if (w->send_fail) {
		w->send_fail--;
		liv_sent(&w->l, w->now, s.first, 0);
		return LIV_SEND;
	}
	for (unsigned i = 0; i < s.n; i++) {
		if (!w->alive || rnd(w) < w->loss || rnd(w) < w->loss)
			continue;
		w->answered = true;
		if ((int32_t)(s.first + i - w->last_seq) > 0)
			w->last_seq = s.first + i;
	}
	liv_sent(&w->l, w->now, s.first, s.n);
	return LIV_SEND;
}

/* Run ticks at their deadlines until `until`, or the master presumed dead. */
static void run_until(struct world *w, uint64_t until)
{
	while (liv_next_deadline(&w->l) <= until) {
		w->now = liv_next_deadline(&w->l);
		if (step(w) == LIV_DEAD)
			return;
	}
	w->now = until;
}

static void test_dead_after_multiplier_intervals(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 1 * MS, 3);
	run_until(&w, 100 * MS);
	assert_int_equal(w.established, 1);
	assert_int_equal(w.dead, 0);
	assert_int_equal(w.l.echoes_sent, 2 * 101);
	/* dies just after the echoes of 100 ms were answered */
	w.alive = false;
	run_until(&w, 200 * MS);
	assert_int_equal(w.dead, 1);
	/* unanswered: the echoes of 101, 102, 103 ms, judged at 102..104 */
	assert_int_equal(w.dead_at, 104 * MS);
	assert_int_equal(w.l.phase, LIV_IDLE);
	assert_int_equal(liv_next_deadline(&w.l), LIV_NO_DEADLINE);
}

static void test_one_answered_copy_is_enough(void **state)
{
	struct world w;
	struct liv_step s;

	(void)state;
	world_init(&w, 1 * MS, 3);
	run_until(&w, 10 * MS);
	for (int i = 0; i < 50; i++) {
		w.now = liv_next_deadline(&w.l);
		liv_tick(&w.l, w.now, w.answered, w.last_seq, &s);
		assert_int_equal(s.verdict, LIV_SEND);
		assert_int_equal(s.n, LIV_COPIES);
		w.last_seq = s.first + 1; /* only the second copy came back */
		liv_sent(&w.l, w.now, s.first, s.n);
	}
	assert_int_equal(w.l.intervals_missed, 0);
}

static void test_short_runs_of_misses_forgiven(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 1 * MS, 3);
	run_until(&w, 10 * MS);
	w.alive = false;
	run_until(&w, 12 * MS + 500); /* the echoes of 11 and 12 ms lost */
	assert_int_equal(w.l.missed, 1);
	w.alive = true;
	run_until(&w, 13 * MS); /* judged at 13 ms: two in a row */
	assert_int_equal(w.dead, 0);
	assert_int_equal(w.l.missed, 2);
	run_until(&w, 50 * MS);
	assert_int_equal(w.dead, 0);
	assert_int_equal(w.l.missed, 0);
	assert_int_equal(w.l.max_missed, 2);
	assert_int_equal(w.l.intervals_missed, 2);
}

/* A keepalived master never answers: never presumed dead, one warning,
 * then one echo a second; when it starts answering, full rate. */
static void test_never_answering_master_goes_dormant(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 1 * MS, 3);
	w.alive = false;
	run_until(&w, 999 * MS);
	assert_int_equal(w.dormant, 0);
	assert_int_equal(w.l.phase, LIV_PROBING);
	run_until(&w, 10000 * MS);
	assert_int_equal(w.dead, 0);
	assert_int_equal(w.dormant, 1);
	assert_int_equal(w.l.phase, LIV_DORMANT);
	/* 1000 intervals of 2 echoes, then one a second */
	assert_in_range(w.l.echoes_sent, 2000, 2000 + 10);
	w.alive = true;
	run_until(&w, 12000 * MS);
	assert_int_equal(w.l.phase, LIV_ESTABLISHED);
	assert_int_equal(w.established, 1);
	assert_int_equal(liv_next_deadline(&w.l) - w.l.next_at, 0);
	assert_true(liv_next_deadline(&w.l) <= w.now + 1 * MS);
}

/* Echoes that could not be sent judge nothing: a backup whose sends fail
 * does not presume a master dead for it. */
static void test_failed_sends_not_counted(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 1 * MS, 3);
	run_until(&w, 10 * MS);
	w.send_fail = 20;
	w.alive = false;
	run_until(&w, 30 * MS);
	assert_int_equal(w.dead, 0);
	assert_int_equal(w.l.missed, 0);
	run_until(&w, 40 * MS);
	assert_int_equal(w.dead, 1);
	assert_int_equal(w.dead_at, 34 * MS);
}

/* A backup that slept 50 ms: the answers the data plane recorded meanwhile
 * count; no burst of judgements when it wakes. */
static void test_sleeping_backup_judges_one_interval(void **state)
{
	struct world w;
	struct liv_step s;

	(void)state;
	world_init(&w, 1 * MS, 3);
	run_until(&w, 10 * MS);
	w.now = 60 * MS;
	liv_tick(&w.l, w.now, w.answered, w.last_seq, &s);
	assert_int_equal(s.verdict, LIV_SEND);
	assert_int_equal(w.l.missed, 0);
	assert_int_equal(w.l.next_at, 61 * MS);
	liv_sent(&w.l, w.now, s.first, s.n);
	/* and it died while we slept: three more intervals, not less */
	w.alive = false;
	run_until(&w, 100 * MS);
	assert_int_equal(w.dead_at, 63 * MS);
}

/* An old interval's answer arriving late does not answer a newer one. */
static void test_late_answer_counts_for_its_own_interval(void **state)
{
	struct liveness l;
	struct liv_step s;
	uint32_t first_old;

	(void)state;
	liv_init(&l, 1 * MS, 3);
	liv_watch(&l, MASTER, 0);
	liv_tick(&l, 0, false, 0, &s);
	liv_sent(&l, 0, s.first, s.n);
	liv_tick(&l, 1 * MS, true, s.first, &s); /* established */
	first_old = s.first;
	liv_sent(&l, 1 * MS, s.first, s.n);
	/* at 2 ms nothing came back for the echoes of 1 ms... */
	liv_tick(&l, 2 * MS, true, first_old - 1, &s);
	assert_int_equal(l.missed, 1);
	liv_sent(&l, 2 * MS, s.first, s.n);
	/* ...then they come back late, after the next were sent: the interval
	 * of 2 ms stays unanswered */
	liv_tick(&l, 3 * MS, true, first_old + 1, &s);
	assert_int_equal(l.missed, 2);
}

/* Watching another master starts afresh: misses do not carry over, and
 * nothing is presumed of the new one before it answered. */
static void test_new_master_starts_afresh(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 1 * MS, 3);
	run_until(&w, 10 * MS);
	w.alive = false;
	run_until(&w, 13 * MS);
	assert_int_equal(w.l.missed, 2);
	assert_true(liv_watch(&w.l, MASTER + 1, w.now));
	assert_false(liv_watch(&w.l, MASTER + 1, w.now));
	assert_int_equal(w.l.phase, LIV_PROBING);
	w.answered = false; /* the shell reset the record */
	run_until(&w, 100 * MS);
	assert_int_equal(w.dead, 0);
	assert_true(liv_watch(&w.l, 0, w.now));
	assert_int_equal(liv_next_deadline(&w.l), LIV_NO_DEADLINE);
}

static void test_echo_numbers_skip_zero(void **state)
{
	struct liveness l;
	struct liv_step s;

	(void)state;
	liv_init(&l, 1 * MS, 3);
	liv_watch(&l, MASTER, 0);
	l.next_seq = UINT32_MAX;
	liv_tick(&l, 0, false, 0, &s);
	assert_int_equal(s.first, UINT32_MAX);
	liv_sent(&l, 0, s.first, s.n);
	assert_int_equal(l.next_seq, 2); /* UINT32_MAX, then 1 (0 skipped) */
	liv_tick(&l, 1 * MS, true, 1, &s);
	assert_int_equal(l.phase, LIV_ESTABLISHED);
}

/* The false-takeover rate of docs/configuration.md: with loss p each way,
 * an interval is missed with q = (1 - (1 - p)^2)^copies, and a run of m
 * misses starts at a given interval with (1 - q) q^m. Checked against the
 * simulation where it is large enough to count (10% loss). */
static void test_false_takeover_rate_matches_formula(void **state)
{
	const unsigned m = 3;
	const double p = 0.10;
	const unsigned intervals = 2000000;
	double rt = 1 - (1 - p) * (1 - p);
	double q = pow(rt, LIV_COPIES);
	double expect = intervals * (1 - q) * pow(q, m);
	struct world w;
	unsigned deaths = 0;

	(void)state;
	world_init(&w, 1 * MS, m);
	w.loss = p;
	for (unsigned i = 0; i < intervals; i++) {
		w.now = liv_next_deadline(&w.l);
		if (step(&w) == LIV_DEAD) {
			deaths++;
			liv_watch(&w.l, MASTER, w.now);
			w.answered = false;
		}
	}
	print_message("# 10%% loss, %u intervals: %u false takeovers, formula %.1f\n", intervals,
		      deaths, expect);
	assert_true(deaths > expect / 2 && deaths < expect * 2);

	/* 1%: the formula says one in ~1.6e10 intervals; none in 2e6 */
	world_init(&w, 1 * MS, m);
	w.loss = 0.01;
	deaths = 0;
	for (unsigned i = 0; i < intervals; i++) {
		w.now = liv_next_deadline(&w.l);
		deaths += step(&w) == LIV_DEAD;
	}
	assert_int_equal(deaths, 0);
}

/* A master that answers for 20 ms and then no more (dead, or its answers
 * held): presumed dead by 40 ms. The highest echo it answered before. */
static uint32_t presumed_dead(struct world *w)
{
	uint32_t seq;

	world_init(w, 1 * MS, 3);
	run_until(w, 20 * MS);
	assert_int_equal(liv_postmortem_due(&w->l), LIV_NO_DEADLINE);
	seq = w->last_seq;
	w->alive = false;
	run_until(w, 40 * MS);
	assert_int_equal(w->dead, 1);
	return seq;
}

/* The post-mortem of a verdict: the master was only slow. Its answers to
 * the echoes sent before the verdict come in after it: a spurious
 * takeover, counted with the round trip of the last one. */
static void test_postmortem_late_answers(void **state)
{
	struct world w;
	struct liv_pm_result r;
	uint32_t seq_at;

	(void)state;
	seq_at = presumed_dead(&w); /* held, not lost */
	assert_int_equal(liv_postmortem_due(&w.l), w.dead_at + LIV_PM_WINDOW_US);
	/* the 3 intervals' echoes (2 copies each) come back 3.5 ms late */
	liv_postmortem(&w.l, true, seq_at + 6, 3500, &r);
	assert_int_equal(r.verdict, LIV_PM_LATE);
	assert_int_equal(r.master, MASTER);
	assert_int_equal(r.seq, seq_at + 6);
	assert_int_equal(r.late, 6);
	assert_int_equal(r.rtt_us, 3500);
	/* the first missed interval's echoes waited 2 intervals more: 5.5
	 * ms, which a multiplier of 6 would have waited out */
	assert_int_equal(r.hold_us, 5500);
	assert_int_equal(r.cover, 6);
	assert_int_equal(w.l.late_verdicts, 1);
	assert_int_equal(w.l.late_hold_max_us, 5500);
	/* judged once */
	assert_int_equal(liv_postmortem_due(&w.l), LIV_NO_DEADLINE);
	liv_postmortem(&w.l, true, seq_at + 6, 3500, &r);
	assert_int_equal(r.verdict, LIV_PM_NONE);
	assert_int_equal(w.l.late_verdicts, 1);
}

/* A dead master: nothing after the verdict (the record as it was). */
static void test_postmortem_silent(void **state)
{
	struct world w;
	struct liv_pm_result r;

	(void)state;
	presumed_dead(&w);
	liv_postmortem(&w.l, w.answered, w.last_seq, 80, &r);
	assert_int_equal(r.verdict, LIV_PM_SILENT);
	assert_int_equal(r.master, MASTER);
	assert_int_equal(w.l.late_verdicts, 0);
	assert_int_equal(w.l.late_hold_max_us, 0);
	/* no record of that master at all (the shell's "not ours") */
	presumed_dead(&w);
	liv_postmortem(&w.l, false, 0, 0, &r);
	assert_int_equal(r.verdict, LIV_PM_SILENT);
}

/* Only echoes sent before the verdict count: a higher number is not an
 * answer to them, and a new watch of the same master does not settle the
 * verdict before it is judged. */
static void test_postmortem_only_echoes_before_verdict(void **state)
{
	struct world w;
	struct liv_pm_result r;
	uint32_t sent_last;

	(void)state;
	presumed_dead(&w);
	sent_last = w.l.next_seq - 1;
	assert_true(liv_watch(&w.l, MASTER, w.now)); /* stepped down: watched again */
	assert_int_equal(liv_postmortem_due(&w.l), w.dead_at + LIV_PM_WINDOW_US);
	liv_postmortem(&w.l, true, sent_last + 1, 100, &r);
	assert_int_equal(r.verdict, LIV_PM_SILENT);
	assert_int_equal(w.l.late_verdicts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dead_after_multiplier_intervals),
		cmocka_unit_test(test_one_answered_copy_is_enough),
		cmocka_unit_test(test_short_runs_of_misses_forgiven),
		cmocka_unit_test(test_never_answering_master_goes_dormant),
		cmocka_unit_test(test_failed_sends_not_counted),
		cmocka_unit_test(test_sleeping_backup_judges_one_interval),
		cmocka_unit_test(test_late_answer_counts_for_its_own_interval),
		cmocka_unit_test(test_new_master_starts_afresh),
		cmocka_unit_test(test_echo_numbers_skip_zero),
		cmocka_unit_test(test_false_takeover_rate_matches_formula),
		cmocka_unit_test(test_postmortem_late_answers),
		cmocka_unit_test(test_postmortem_silent),
		cmocka_unit_test(test_postmortem_only_echoes_before_verdict),
	};

	return cmocka_run_group_tests_name("liveness", tests, NULL, NULL);
}
