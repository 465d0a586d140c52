/*
 * test_vrrp_fsm.c - VRRP state machine: unit checks of single transitions,
 * and scenarios with two instances wired together by a tiny deterministic
 * simulator (synthetic clock, fixed link latency, no packet loss).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "vrrp_fsm.h"
#include "vrrp_pkt.h"

#define SEC 1000000ull
#define MS 1000ull

static uint32_t addr_a(void) { return htonl(0x0a000001); } /* 10.0.0.1 */
static uint32_t addr_b(void) { return htonl(0x0a000002); } /* 10.0.0.2 */

static struct vrrp_fsm_config cfg_v2(uint8_t prio, uint32_t addr)
{
	struct vrrp_fsm_config c = {
		.vrid = 51,
		.version = 2,
		.base_priority = prio,
		.advert_int_us = 1 * SEC,
		.preempt = true,
		.preempt_delay_us = 0,
		.primary_addr = addr,
	};
	return c;
}

static struct vrrp_fsm_config cfg_v3(uint8_t prio, uint32_t addr, uint64_t ival)
{
	struct vrrp_fsm_config c = cfg_v2(prio, addr);

	c.version = 3;
	c.advert_int_us = ival;
	return c;
}

/* ---------------------------------------------------------------------------
 * Simulator: two nodes on one link.  A SEND_ADVERT reaches the other node
 * LATENCY later if both run; BECOME_* actions move the VIP.
 */
#define LATENCY (100ull)          /* 100 us */
#define QMAX 64

struct node {
	struct vrrp_instance_fsm fsm;
	bool running;              /* false: crashed / not started */
	bool has_vip;
	unsigned times_master;     /* BECOME_MASTER count */
	uint64_t became_master_at; /* last BECOME_MASTER */
	uint64_t last_advert_at;   /* last SEND_ADVERT */
	uint8_t last_advert_prio;
};

struct pkt {
	uint64_t at;
	int to;
	uint8_t prio;
	uint32_t src;
	uint64_t adver_int;
};

struct sim {
	uint64_t now;
	struct node n[2];
	struct pkt q[QMAX];
	size_t nq;
	uint64_t dual_master_us;   /* time both held the VIP */
};

static void sim_apply(struct sim *s, int i, const struct fsm_result *r)
{
	struct node *me = &s->n[i];

	for (unsigned k = 0; k < r->n; k++) {
		const struct fsm_action *a = &r->act[k];

		switch (a->type) {
		case FSM_ACT_SEND_ADVERT:
			me->last_advert_at = s->now;
			me->last_advert_prio = a->priority;
			if (s->n[1 - i].running) {
				assert_true(s->nq < QMAX);
				s->q[s->nq++] = (struct pkt){
					.at = s->now + LATENCY,
					.to = 1 - i,
					.prio = a->priority,
					.src = me->fsm.cfg.primary_addr,
					.adver_int = me->fsm.cfg.advert_int_us,
				};
			}
			break;
		case FSM_ACT_BECOME_MASTER:
			me->has_vip = true;
			me->times_master++;
			me->became_master_at = s->now;
			break;
		case FSM_ACT_BECOME_BACKUP:
		case FSM_ACT_BECOME_FAULT:
		case FSM_ACT_BECOME_STOP:
			me->has_vip = false;
			break;
		}
	}
}

static void sim_init(struct sim *s, const struct vrrp_fsm_config *a,
		     const struct vrrp_fsm_config *b)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(fsm_init(&s->n[0].fsm, a), 0);
	assert_int_equal(fsm_init(&s->n[1].fsm, b), 0);
}

static void sim_start(struct sim *s, int i)
{
	struct fsm_result r;

	s->n[i].running = true;
	fsm_start(&s->n[i].fsm, s->now, &r);
	sim_apply(s, i, &r);
}

/* Crash: the process is gone, nothing is sent, the VIP goes with the box. */
static void sim_kill(struct sim *s, int i)
{
	s->n[i].running = false;
	s->n[i].has_vip = false;
}

/* Restart after a crash: a fresh instance with the same configuration. */
static void sim_restart(struct sim *s, int i)
{
	struct vrrp_fsm_config c = s->n[i].fsm.cfg;

	assert_int_equal(fsm_init(&s->n[i].fsm, &c), 0);
	sim_start(s, i);
}

static uint64_t sim_next_event(const struct sim *s)
{
	uint64_t t = FSM_NO_DEADLINE;

	for (size_t k = 0; k < s->nq; k++)
		if (s->q[k].at < t)
			t = s->q[k].at;
	for (int i = 0; i < 2; i++) {
		uint64_t d;

		if (!s->n[i].running)
			continue;
		d = fsm_next_deadline(&s->n[i].fsm);
		if (d < t)
			t = d;
	}
	return t;
}

static void sim_step_to(struct sim *s, uint64_t t)
{
	if (s->n[0].has_vip && s->n[1].has_vip)
		s->dual_master_us += t - s->now;
	s->now = t;
}

/* Run the event loop until time `end`: packets due first, then timers. */
static void sim_run_until(struct sim *s, uint64_t end)
{
	for (;;) {
		uint64_t t = sim_next_event(s);
		struct fsm_result r;

		if (t > end) {
			sim_step_to(s, end);
			return;
		}
		sim_step_to(s, t);
		for (size_t k = 0; k < s->nq;) {
			struct pkt p = s->q[k];

			if (p.at > s->now) {
				k++;
				continue;
			}
			s->q[k] = s->q[--s->nq]; /* order among same-time packets
						  * does not matter: one per node */
			if (!s->n[p.to].running)
				continue;
			fsm_advert_received(&s->n[p.to].fsm, s->now, p.prio, p.src,
					    p.adver_int, &r);
			sim_apply(s, p.to, &r);
		}
		for (int i = 0; i < 2; i++) {
			if (!s->n[i].running)
				continue;
			fsm_timer(&s->n[i].fsm, s->now, &r);
			sim_apply(s, i, &r);
		}
	}
}

static void sim_shutdown(struct sim *s, int i)
{
	struct fsm_result r;

	fsm_shutdown(&s->n[i].fsm, s->now, &r);
	sim_apply(s, i, &r);
	s->n[i].running = false;
}

static void sim_fault(struct sim *s, int i, bool fault)
{
	struct fsm_result r;

	fsm_set_fault(&s->n[i].fsm, s->now, fault, &r);
	sim_apply(s, i, &r);
}

static void sim_set_priority(struct sim *s, int i, uint8_t prio)
{
	struct fsm_result r;

	fsm_set_priority(&s->n[i].fsm, s->now, prio, &r);
	sim_apply(s, i, &r);
}

static void assert_master_backup(const struct sim *s, int m)
{
	assert_int_equal(s->n[m].fsm.state, VRRP_STATE_MASTER);
	assert_int_equal(s->n[1 - m].fsm.state, VRRP_STATE_BACKUP);
	assert_true(s->n[m].has_vip);
	assert_false(s->n[1 - m].has_vip);
}

/* Standard pair: A = 10.0.0.1 prio 100, B = 10.0.0.2 prio 90, v2 1 s,
 * both started at t = 0 and run for 10 s. */
static void elect_pair(struct sim *s, bool preempt)
{
	struct vrrp_fsm_config a = cfg_v2(100, addr_a());
	struct vrrp_fsm_config b = cfg_v2(90, addr_b());

	a.preempt = b.preempt = preempt;
	sim_init(s, &a, &b);
	sim_start(s, 0);
	sim_start(s, 1);
	sim_run_until(s, 10 * SEC);
}

/* ---------------------------------------------------------------------------
 * Scenarios
 */

static void test_initial_election(void **state)
{
	struct sim s;

	(void)state;
	elect_pair(&s, true);
	assert_master_backup(&s, 0);
	/* A's master down interval ran out first: 3 s + 156/256 s */
	assert_int_equal(s.n[0].became_master_at, 3609375);
	assert_int_equal(s.n[0].times_master, 1);
	assert_int_equal(s.n[1].times_master, 0);
	assert_int_equal(s.dual_master_us, 0);
	/* B knows who the master is */
	assert_int_equal(s.n[1].fsm.master_addr, addr_a());
	assert_int_equal(s.n[1].fsm.master_priority, 100);
	/* adverts every second */
	assert_int_equal(s.n[0].fsm.advert_at, 10609375);
}

static void test_master_dies_backup_takes_over(void **state)
{
	struct sim s;
	uint64_t last;

	(void)state;
	elect_pair(&s, true);
	last = s.n[0].last_advert_at;
	sim_kill(&s, 0);
	sim_run_until(&s, 20 * SEC);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);
	assert_true(s.n[1].has_vip);
	/* exactly Master_Down_Interval (3 s + 166/256 s) after A's last advert
	 * arrived */
	assert_int_equal(s.n[1].became_master_at, last + LATENCY + 3648437);
}

static void test_priority_zero_takeover_at_skew(void **state)
{
	struct sim s;

	(void)state;
	elect_pair(&s, true);
	sim_shutdown(&s, 0);
	assert_int_equal(s.n[0].last_advert_prio, 0);
	assert_int_equal(s.n[0].fsm.state, VRRP_STATE_STOP);
	assert_false(s.n[0].has_vip);
	sim_run_until(&s, 20 * SEC);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);
	/* Skew_Time (166/256 s) after the priority 0 advert */
	assert_int_equal(s.n[1].became_master_at, 10 * SEC + LATENCY + 648437);
}

static void test_nopreempt_returning_node_stays_backup(void **state)
{
	struct sim s;

	(void)state;
	elect_pair(&s, false);
	assert_master_backup(&s, 0);
	sim_kill(&s, 0);
	sim_run_until(&s, 20 * SEC);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);
	sim_restart(&s, 0);
	sim_run_until(&s, 120 * SEC);
	/* the higher priority node came back but does not take over */
	assert_master_backup(&s, 1);
	assert_int_equal(s.n[0].times_master, 1); /* the initial election only */
	assert_int_equal(s.n[1].times_master, 1);
	assert_int_equal(s.dual_master_us, 0);
}

static void test_preempt_returning_node_takes_over(void **state)
{
	struct sim s;

	(void)state;
	elect_pair(&s, true);
	sim_kill(&s, 0);
	sim_run_until(&s, 20 * SEC);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);
	sim_restart(&s, 0);
	sim_run_until(&s, 40 * SEC);
	assert_master_backup(&s, 0);
	/* A ignored B's lower adverts and its master down timer, armed at
	 * restart, fired */
	assert_int_equal(s.n[0].became_master_at, 20 * SEC + 3609375);
	/* B stepped back as soon as it heard A */
	assert_int_equal(s.dual_master_us, LATENCY);
	assert_int_equal(s.n[1].times_master, 1);
}

static void test_preempt_delay(void **state)
{
	struct vrrp_fsm_config a = cfg_v2(100, addr_a());
	struct vrrp_fsm_config b = cfg_v2(90, addr_b());
	struct sim s;
	uint64_t t0 = 20 * SEC, delay = 30 * SEC;

	(void)state;
	a.preempt_delay_us = delay;
	sim_init(&s, &a, &b);
	sim_start(&s, 1);                      /* B alone becomes master */
	sim_run_until(&s, t0);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);

	sim_start(&s, 0);                      /* A joins at t0 */
	sim_run_until(&s, t0 + delay - 1);
	/* still accepting the lower priority master during the delay */
	assert_master_backup(&s, 1);

	sim_run_until(&s, t0 + delay + 10 * SEC);
	assert_master_backup(&s, 0);
	/* B's adverts reach A at x.6093 s (B became master at 3648437 and
	 * adverts every second, +100 us); the last one accepted arrived just
	 * before t0 + delay, the next ones were ignored, so A took over one
	 * master down interval after that last accepted advert. */
	assert_true(s.n[0].became_master_at >= t0 + delay);
	assert_true(s.n[0].became_master_at <= t0 + delay + 1 * SEC + 3609375);
	assert_int_equal(s.n[0].became_master_at, 49648537 + 3609375);
}

static void test_equal_priority_tie_break_by_address(void **state)
{
	struct vrrp_fsm_config a = cfg_v2(100, addr_a());
	struct vrrp_fsm_config b = cfg_v2(100, addr_b());
	struct sim s;

	(void)state;
	sim_init(&s, &a, &b);
	sim_start(&s, 0);
	sim_start(&s, 1);
	sim_run_until(&s, 10 * SEC);
	/* both timers fired at the same time, both became master; on hearing
	 * each other the higher address (10.0.0.2) stayed */
	assert_master_backup(&s, 1);
	assert_int_equal(s.n[0].times_master, 1);
	assert_int_equal(s.n[1].times_master, 1);
	assert_int_equal(s.dual_master_us, LATENCY);
}

static void test_fault_enter_leave(void **state)
{
	struct sim s;

	(void)state;
	elect_pair(&s, true);
	/* the master's interface goes down: it steps down with priority 0 */
	sim_fault(&s, 0, true);
	assert_int_equal(s.n[0].fsm.state, VRRP_STATE_FAULT);
	assert_int_equal(s.n[0].last_advert_prio, 0);
	assert_false(s.n[0].has_vip);
	assert_int_equal(fsm_next_deadline(&s.n[0].fsm), FSM_NO_DEADLINE);
	sim_run_until(&s, 20 * SEC);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);
	assert_true(s.n[1].has_vip);
	assert_false(s.n[0].has_vip);
	assert_int_equal(s.n[1].became_master_at, 10 * SEC + LATENCY + 648437);
	/* in FAULT, A sent nothing since */
	assert_int_equal(s.n[0].last_advert_at, 10 * SEC);
	assert_int_equal(s.n[0].fsm.state, VRRP_STATE_FAULT);

	/* fault cleared: A goes to BACKUP, then preempts B */
	sim_fault(&s, 0, false);
	assert_int_equal(s.n[0].fsm.state, VRRP_STATE_BACKUP);
	sim_run_until(&s, 40 * SEC);
	assert_master_backup(&s, 0);
	assert_int_equal(s.n[0].became_master_at, 20 * SEC + 3609375);
}

static void test_tracked_priority_drop_hands_over(void **state)
{
	struct sim s;

	(void)state;
	elect_pair(&s, true);
	/* a track script with weight -20 fails on A: 100 -> 80 < B's 90 */
	sim_set_priority(&s, 0, vrrp_effective_priority(100, -20));
	assert_int_equal(s.n[0].last_advert_prio, 80);  /* announced at once */
	sim_run_until(&s, 20 * SEC);
	assert_master_backup(&s, 1);
	/* B ignores the 80 adverts; its timer from A's last 100 advert fires */
	assert_true(s.n[1].became_master_at < 10 * SEC + 4 * SEC);
	/* and recovers: back to 100, A preempts */
	sim_set_priority(&s, 0, vrrp_effective_priority(100, 0));
	sim_run_until(&s, 40 * SEC);
	assert_master_backup(&s, 0);
}

static void test_v3_learns_master_adver_int(void **state)
{
	struct vrrp_fsm_config a = cfg_v3(100, addr_a(), 500 * MS);
	struct vrrp_fsm_config b = cfg_v3(90, addr_b(), 1 * SEC);
	struct sim s;
	uint64_t last;

	(void)state;
	sim_init(&s, &a, &b);
	sim_start(&s, 0);
	sim_start(&s, 1);
	sim_run_until(&s, 10 * SEC);
	assert_master_backup(&s, 0);
	/* 3 * 0.5 s + 156 * 0.5 s / 256 */
	assert_int_equal(s.n[0].became_master_at, 1500000 + 304687);
	/* B adopted A's interval */
	assert_int_equal(s.n[1].fsm.master_adver_int_us, 500 * MS);

	last = s.n[0].last_advert_at;
	sim_kill(&s, 0);
	sim_run_until(&s, 20 * SEC);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);
	/* master down from the learnt 0.5 s: 1.5 s + 166 * 0.5 s / 256 */
	assert_int_equal(s.n[1].became_master_at, last + LATENCY + 1500000 + 324218);
	/* as master, B advertises at its own interval again */
	assert_int_equal(s.n[1].fsm.master_adver_int_us, 1 * SEC);
	assert_int_equal(s.n[1].fsm.advert_at - s.n[1].last_advert_at, 1 * SEC);
}

static void test_v3_10ms_failover(void **state)
{
	struct vrrp_fsm_config a = cfg_v3(100, addr_a(), 10 * MS);
	struct vrrp_fsm_config b = cfg_v3(90, addr_b(), 10 * MS);
	struct sim s;
	uint64_t last;

	(void)state;
	sim_init(&s, &a, &b);
	sim_start(&s, 0);
	sim_start(&s, 1);
	sim_run_until(&s, 1 * SEC);
	assert_master_backup(&s, 0);
	assert_int_equal(s.n[0].became_master_at, 36093);
	last = s.n[0].last_advert_at;
	sim_kill(&s, 0);
	sim_run_until(&s, 2 * SEC);
	assert_int_equal(s.n[1].fsm.state, VRRP_STATE_MASTER);
	assert_int_equal(s.n[1].became_master_at, last + LATENCY + 36484);
}

/* ---------------------------------------------------------------------------
 * Single-instance checks
 */

static void started(struct vrrp_instance_fsm *f, const struct vrrp_fsm_config *c,
		    uint64_t now)
{
	struct fsm_result r;

	assert_int_equal(fsm_init(f, c), 0);
	assert_int_equal(fsm_start(f, now, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_BACKUP);
}

/* start at 0 and let the master down timer make us master */
static void mastered(struct vrrp_instance_fsm *f, const struct vrrp_fsm_config *c)
{
	struct fsm_result r;

	started(f, c, 0);
	assert_int_equal(fsm_timer(f, fsm_next_deadline(f), &r), 2);
	assert_int_equal(f->state, VRRP_STATE_MASTER);
}

static void test_effective_priority_clamp(void **state)
{
	(void)state;
	assert_int_equal(vrrp_effective_priority(100, -10), 90);
	assert_int_equal(vrrp_effective_priority(100, 50), 150);
	assert_int_equal(vrrp_effective_priority(100, -150), 1);
	assert_int_equal(vrrp_effective_priority(100, -100), 1);
	assert_int_equal(vrrp_effective_priority(100, 200), 254);
	assert_int_equal(vrrp_effective_priority(254, 1), 254);
	assert_int_equal(vrrp_effective_priority(255, -50), 255);
	assert_int_equal(vrrp_effective_priority(255, 0), 255);
}

static void test_init_rejects_bad_config(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c;

	(void)state;
	c = cfg_v2(100, addr_a());
	assert_int_equal(fsm_init(&f, &c), 0);
	assert_int_equal(f.state, VRRP_STATE_INIT);
	assert_int_equal(fsm_next_deadline(&f), FSM_NO_DEADLINE);
	c.vrid = 0;
	assert_int_equal(fsm_init(&f, &c), -1);
	c = cfg_v2(0, addr_a());
	assert_int_equal(fsm_init(&f, &c), -1);
	c = cfg_v2(100, addr_a());
	c.advert_int_us = 10 * MS;             /* v2 needs whole seconds */
	assert_int_equal(fsm_init(&f, &c), -1);
	c.version = 4;
	assert_int_equal(fsm_init(&f, &c), -1);
	c = cfg_v3(100, addr_a(), 10 * MS);
	assert_int_equal(fsm_init(&f, &c), 0);
	c.advert_int_us = 15 * MS;
	assert_int_equal(fsm_init(&f, &c), -1);
	c.advert_int_us = 0;
	assert_int_equal(fsm_init(&f, &c), -1);
	assert_int_equal(fsm_init(NULL, &c), -1);
}

static void test_owner_starts_as_master(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(255, addr_a());
	struct fsm_result r;

	(void)state;
	assert_int_equal(fsm_init(&f, &c), 0);
	assert_int_equal(fsm_start(&f, 5, &r), 2);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[0].priority, 255);
	assert_int_equal(r.act[1].type, FSM_ACT_BECOME_MASTER);
	assert_int_equal(r.old_state, VRRP_STATE_INIT);
	assert_int_equal(r.new_state, VRRP_STATE_MASTER);
	assert_int_equal(fsm_next_deadline(&f), 5 + SEC);
	/* starting twice does nothing */
	assert_int_equal(fsm_start(&f, 6, &r), 0);
}

static void test_start_backup_arms_master_down(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;

	(void)state;
	started(&f, &c, 1000);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_int_equal(fsm_next_deadline(&f), 1000 + 3609375);
	/* an early wake-up fires nothing */
	assert_int_equal(fsm_timer(&f, 1000 + 3609374, &r), 0);
	assert_string_equal(r.reason, "");
	assert_int_equal(fsm_timer(&f, 1000 + 3609375, &r), 2);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[0].priority, 100);
	assert_int_equal(r.act[1].type, FSM_ACT_BECOME_MASTER);
	assert_string_equal(r.reason, "master down timer fired");
}

static void test_backup_accepts_higher_resets_timer(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(90, addr_a());
	struct fsm_result r;

	(void)state;
	started(&f, &c, 0);
	assert_int_equal(fsm_advert_received(&f, 2 * SEC, 100, addr_b(), SEC, &r), 0);
	assert_string_equal(r.reason, "master is 10.0.0.2 (prio 100)");
	assert_int_equal(fsm_next_deadline(&f), 2 * SEC + 3648437);
	/* the same master again is routine: no reason */
	assert_int_equal(fsm_advert_received(&f, 3 * SEC, 100, addr_b(), SEC, &r), 0);
	assert_string_equal(r.reason, "");
	assert_int_equal(fsm_next_deadline(&f), 3 * SEC + 3648437);
	/* equal priority is accepted too */
	fsm_advert_received(&f, 4 * SEC, 90, addr_b(), SEC, &r);
	assert_int_equal(fsm_next_deadline(&f), 4 * SEC + 3648437);
}

/* Masters that batch: an advert brought forward keeps the cadence, so the
 * instance sends in step with the one that woke it from then on; nothing
 * for a backup or an advert more than an interval away. */
static void test_advert_early(void **state)
{
	struct vrrp_instance_fsm a, b;
	struct vrrp_fsm_config c = cfg_v3(100, addr_a(), 10 * MS);
	struct fsm_result r;
	uint64_t t;

	(void)state;
	started(&b, &c, 0);
	assert_int_equal(fsm_advert_early(&b, 0, &r), 0); /* a backup */
	mastered(&a, &c);
	mastered(&b, &c);
	/* b's adverts are 4 ms behind a's */
	b.advert_at = a.advert_at + 4 * MS;
	for (int i = 0; i < 5; i++) {
		t = a.advert_at;
		assert_int_equal(fsm_timer(&a, t, &r), 1);
		assert_int_equal(fsm_advert_early(&b, t, &r), 1);
		assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
		assert_int_equal(r.act[0].priority, 100);
		/* next one still 10 ms after the one brought forward */
		assert_int_equal(b.advert_at, a.advert_at + 4 * MS);
	}
	/* not due within an interval: nothing */
	assert_int_equal(fsm_advert_early(&b, b.advert_at - 10 * MS - 1, &r), 0);
	assert_int_equal(fsm_advert_early(&b, b.advert_at - 10 * MS, &r), 1);
	/* late, not early: the next is an interval from now, no burst */
	t = b.advert_at + 35 * MS;
	assert_int_equal(fsm_advert_early(&b, t, &r), 1);
	assert_int_equal(b.advert_at, t + 10 * MS);
}

/* Backups that sleep: whenever fsm_advert_routine() says an advert is
 * routine, feeding it changes nothing but master_down_at (= t + the master
 * down interval) and says nothing; the kernel counts such adverts for the
 * daemon. Checked over priorities, preempt, preempt delay, v2/v3; and it
 * is not routine where the advert decides something. */
static void test_advert_routine(void **state)
{
	static const uint8_t prios[] = { 1, 89, 90, 91, 254 };
	unsigned routine = 0, not_routine = 0;

	(void)state;
	for (int v = 2; v <= 3; v++)
		for (int preempt = 0; preempt < 2; preempt++)
			for (int delay = 0; delay < 2; delay++)
				for (size_t p = 0; p < sizeof(prios); p++) {
					struct vrrp_fsm_config c = v == 2 ? cfg_v2(90, addr_a())
									  : cfg_v3(90, addr_a(), 10 * MS);
					struct vrrp_instance_fsm f, before;
					struct fsm_result r;
					uint64_t ival = c.advert_int_us, t = 5 * ival;

					c.preempt = preempt;
					c.preempt_delay_us = delay ? 50 * ival : 0;
					started(&f, &c, 0);
					fsm_advert_received(&f, ival, prios[p], addr_b(), ival, &r);
					if (!fsm_advert_routine(&f, prios[p], addr_b(), ival)) {
						not_routine++;
						continue;
					}
					routine++;
					before = f;
					assert_int_equal(fsm_advert_received(&f, t, prios[p], addr_b(),
									     ival, &r), 0);
					assert_string_equal(r.reason, "");
					before.master_down_at = t + fsm_master_down_us(&before);
					assert_memory_equal(&f, &before, sizeof(f));
				}
	/* both kinds occurred: the loop tested something */
	assert_true(routine >= 20);
	assert_true(not_routine >= 8);

	/* and never where the advert means something */
	struct vrrp_fsm_config c = cfg_v3(90, addr_a(), 10 * MS);
	struct vrrp_instance_fsm f;
	struct fsm_result r;

	started(&f, &c, 0);
	assert_false(fsm_advert_routine(&f, 100, addr_b(), 10 * MS)); /* no master yet */
	fsm_advert_received(&f, 10 * MS, 100, addr_b(), 10 * MS, &r);
	assert_true(fsm_advert_routine(&f, 100, addr_b(), 10 * MS));
	assert_false(fsm_advert_routine(&f, 101, addr_b(), 10 * MS)); /* priority */
	assert_false(fsm_advert_routine(&f, 0, addr_b(), 10 * MS));   /* stepping down */
	assert_false(fsm_advert_routine(&f, 100, htonl(0x0a000003), 10 * MS)); /* another */
	assert_false(fsm_advert_routine(&f, 100, addr_b(), 20 * MS)); /* v3 interval */
	assert_false(fsm_advert_routine(&f, 100, addr_a(), 10 * MS)); /* ourselves */
	fsm_set_priority(&f, 20 * MS, 110, &r); /* now we outrank it and preempt */
	assert_false(fsm_advert_routine(&f, 100, addr_b(), 10 * MS));
	fsm_set_priority(&f, 30 * MS, 90, &r);
	fsm_timer(&f, fsm_next_deadline(&f), &r); /* master now */
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_false(fsm_advert_routine(&f, 100, addr_b(), 10 * MS));
}

static void test_backup_ignores_lower_when_preempting(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;
	uint64_t before;

	(void)state;
	started(&f, &c, 0);
	before = fsm_next_deadline(&f);
	assert_int_equal(fsm_advert_received(&f, 2 * SEC, 90, addr_b(), SEC, &r), 0);
	assert_string_equal(r.reason,
			    "lower priority advert from 10.0.0.2 (prio 90) ignored, preempting");
	assert_int_equal(fsm_next_deadline(&f), before);

	/* nopreempt: the same advert resets the timer */
	c.preempt = false;
	started(&f, &c, 0);
	fsm_advert_received(&f, 2 * SEC, 90, addr_b(), SEC, &r);
	assert_int_equal(fsm_next_deadline(&f), 2 * SEC + 3609375);
}

static void test_backup_priority_zero_sets_skew(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(90, addr_a());
	struct fsm_result r;

	(void)state;
	started(&f, &c, 0);
	fsm_advert_received(&f, 1 * SEC, 100, addr_b(), SEC, &r);
	assert_int_equal(fsm_advert_received(&f, 2 * SEC, 0, addr_b(), SEC, &r), 0);
	assert_string_equal(r.reason, "priority 0 from master 10.0.0.2");
	assert_int_equal(fsm_next_deadline(&f), 2 * SEC + 648437);
	assert_int_equal(fsm_timer(&f, 2 * SEC + 648437, &r), 2);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	/* operators read why: this takeover came from the priority-0 advert */
	assert_string_equal(r.reason, "master down timer fired (skew after priority 0)");
}

/* The master down timer after a master's adverts stopped names it: the
 * daemon treats its host as silent (service.c). */
static void test_silent_master_on_master_down(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v3(90, addr_a(), 10 * MS);
	struct fsm_result r;

	(void)state;
	started(&f, &c, 0);
	fsm_advert_received(&f, 1 * SEC, 100, addr_b(), 10 * MS, &r);
	assert_int_equal(r.silent_master, 0);
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f) - 1, &r), 0);
	assert_int_equal(r.silent_master, 0);
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f), &r), 2);
	assert_int_equal(r.act[1].type, FSM_ACT_BECOME_MASTER);
	assert_int_equal(r.silent_master, addr_b());
	/* as master, the next timer is an advert: nobody went silent */
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f), &r), 1);
	assert_int_equal(r.silent_master, 0);
}

/* Fast liveness: a backup takes over at once from the master whose echoes
 * went unanswered, naming it silent; from nobody else, and not as master. */
static void test_presumed_dead_takes_over(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v3(90, addr_a(), 10 * MS);
	struct fsm_result r;

	(void)state;
	started(&f, &c, 0);
	/* no master heard yet: nothing to presume dead */
	assert_int_equal(fsm_master_presumed_dead(&f, 1 * MS, addr_b(), &r), 0);
	fsm_advert_received(&f, 2 * MS, 100, addr_b(), 10 * MS, &r);
	/* another address than the master's: nothing */
	assert_int_equal(fsm_master_presumed_dead(&f, 3 * MS, htonl(0x0a000009), &r), 0);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	/* its master, 3 ms after its last advert: long before master_down */
	assert_int_equal(fsm_master_presumed_dead(&f, 5 * MS, addr_b(), &r), 2);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[1].type, FSM_ACT_BECOME_MASTER);
	assert_int_equal(r.silent_master, addr_b());
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_non_null(strstr(r.reason, "presumed dead"));
	/* as master: nothing more */
	assert_int_equal(fsm_master_presumed_dead(&f, 6 * MS, addr_b(), &r), 0);
}

/* A master that said goodbye (priority 0) is handled by the skew timer. */
static void test_presumed_dead_not_after_priority_zero(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v3(90, addr_a(), 10 * MS);
	struct fsm_result r;

	(void)state;
	started(&f, &c, 0);
	fsm_advert_received(&f, 2 * MS, 100, addr_b(), 10 * MS, &r);
	fsm_advert_received(&f, 3 * MS, 0, addr_b(), 10 * MS, &r);
	assert_int_equal(fsm_master_presumed_dead(&f, 4 * MS, addr_b(), &r), 0);
}

/* nopreempt: the presumed-dead master adverts again (its echoes were lost
 * one way): we step back, and say so; within the grace nothing changes. */
static void test_presumed_dead_refuted_by_advert(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v3(150, addr_a(), 10 * MS);
	struct fsm_result r;

	(void)state;
	c.preempt = false;
	started(&f, &c, 0);
	fsm_advert_received(&f, 2 * MS, 100, addr_b(), 10 * MS, &r);
	fsm_master_presumed_dead(&f, 5 * MS, addr_b(), &r);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	/* an advert sent before it died, still on the wire: ignored as any
	 * lower-priority advert (answered with ours) */
	fsm_advert_received(&f, 5 * MS + FSM_REFUTE_GRACE_US - 1, 100, addr_b(), 10 * MS, &r);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_false(r.liveness_refuted);
	fsm_advert_received(&f, 12 * MS, 100, addr_b(), 10 * MS, &r);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_true(r.liveness_refuted);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_BACKUP);
	assert_int_equal(f.master_addr, addr_b());
	assert_non_null(strstr(r.reason, "takeover undone"));
	/* and it is the master again: VRRP timing from here */
	assert_int_equal(fsm_next_deadline(&f), 12 * MS + vrrp_master_down_us(3, 150, 10 * MS));
}

/* With preempt and the better priority we would have taken over anyway:
 * its advert does not undo anything; another master's advert neither. */
static void test_presumed_dead_not_refuted_when_preempting(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v3(150, addr_a(), 10 * MS);
	struct fsm_result r;

	(void)state;
	started(&f, &c, 0);
	/* preempt_delay-free preempt: a lower master is discarded, so make
	 * it the master by a higher priority first, then lower it */
	fsm_advert_received(&f, 2 * MS, 200, addr_b(), 10 * MS, &r);
	fsm_master_presumed_dead(&f, 5 * MS, addr_b(), &r);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	fsm_advert_received(&f, 20 * MS, 100, addr_b(), 10 * MS, &r);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_false(r.liveness_refuted);
	/* with the better priority it takes the VIP back by VRRP's rule */
	fsm_advert_received(&f, 30 * MS, 200, addr_b(), 10 * MS, &r);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_false(r.liveness_refuted);
}

/* Every other way to become master names nobody. */
static void test_silent_master_only_for_silence(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(90, addr_a());
	struct fsm_result r;

	(void)state;
	/* no master ever heard */
	started(&f, &c, 0);
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f), &r), 2);
	assert_int_equal(r.silent_master, 0);
	/* the master said goodbye (priority 0): its host is not silent */
	started(&f, &c, 0);
	fsm_advert_received(&f, 1 * SEC, 100, addr_b(), SEC, &r);
	fsm_advert_received(&f, 2 * SEC, 0, addr_b(), SEC, &r);
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f), &r), 2);
	assert_int_equal(r.silent_master, 0);
	/* preempting a lower priority that still adverts */
	c = cfg_v2(100, addr_a());
	started(&f, &c, 0);
	fsm_advert_received(&f, 1 * SEC, 90, addr_b(), SEC, &r);
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f), &r), 2);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(r.silent_master, 0);
	/* back from FAULT that it entered as master: the last master heard is
	 * itself */
	mastered(&f, &c);
	fsm_set_fault(&f, 10 * SEC, true, &r);
	fsm_set_fault(&f, 11 * SEC, false, &r);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f), &r), 2);
	assert_int_equal(r.silent_master, 0);
	/* a higher priority advert makes it backup: no one became master */
	mastered(&f, &c);
	assert_int_equal(fsm_advert_received(&f, 12 * SEC, 200, addr_b(), SEC, &r), 1);
	assert_int_equal(r.silent_master, 0);
	/* ... and when that one falls silent, it is named */
	assert_int_equal(fsm_timer(&f, fsm_next_deadline(&f), &r), 2);
	assert_int_equal(r.silent_master, addr_b());
}

static void test_master_adverts_on_timer(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;
	uint64_t t;

	(void)state;
	mastered(&f, &c);
	t = fsm_next_deadline(&f);
	assert_int_equal(t, 3609375 + SEC);
	/* woken 300 us late: the next advert keeps the cadence */
	assert_int_equal(fsm_timer(&f, t + 300, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[0].priority, 100);
	assert_string_equal(r.reason, "");
	assert_int_equal(fsm_next_deadline(&f), t + SEC);
	/* stalled for 5 s: one advert, then a fresh interval, no burst */
	assert_int_equal(fsm_timer(&f, t + 6 * SEC, &r), 1);
	assert_int_equal(fsm_next_deadline(&f), t + 7 * SEC);
}

static void test_master_higher_priority_steps_down(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(90, addr_a());
	struct fsm_result r;

	(void)state;
	mastered(&f, &c);
	assert_int_equal(fsm_advert_received(&f, 10 * SEC, 100, addr_b(), SEC, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_BACKUP);
	assert_string_equal(r.reason, "higher priority advert from 10.0.0.2 (prio 100)");
	assert_int_equal(r.old_state, VRRP_STATE_MASTER);
	assert_int_equal(r.new_state, VRRP_STATE_BACKUP);
	assert_int_equal(fsm_next_deadline(&f), 10 * SEC + 3648437);
	assert_int_equal(f.master_addr, addr_b());
	assert_int_equal(f.master_priority, 100);
}

static void test_master_lower_priority_readvertises(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;
	uint64_t next;

	(void)state;
	mastered(&f, &c);
	next = fsm_next_deadline(&f);
	assert_int_equal(fsm_advert_received(&f, 4 * SEC, 90, addr_b(), SEC, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[0].priority, 100);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
	assert_int_equal(fsm_next_deadline(&f), next); /* cadence unchanged */

	/* equal priority from a lower address: same */
	c.primary_addr = addr_b();
	mastered(&f, &c);
	assert_int_equal(fsm_advert_received(&f, 4 * SEC, 100, addr_a(), SEC, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
}

static void test_master_priority_zero_readvertises_now(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;

	(void)state;
	mastered(&f, &c);
	assert_int_equal(fsm_advert_received(&f, 4 * SEC, 0, addr_b(), SEC, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[0].priority, 100);
	assert_int_equal(fsm_next_deadline(&f), 5 * SEC); /* timer reset */
}

/* Rule: a master answers adverts it outranks (lower priority, priority 0)
 * at most once per advert_int, however many arrive (a flood, forged or a
 * confused peer): 1000 in one interval cost one advert. */
static void test_master_extra_adverts_bounded(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v3(100, addr_a(), 10 * MS);
	struct fsm_result r;
	unsigned sent = 0;
	uint64_t t0;

	(void)state;
	mastered(&f, &c);
	t0 = fsm_next_deadline(&f) - 5 * MS; /* between two of our adverts */
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t now = t0 + i * 9; /* 1000 within 9 ms */

		fsm_advert_received(&f, now, i % 2 ? 90 : 0, addr_b(), 10 * MS, &r);
		for (unsigned k = 0; k < r.n; k++)
			sent += r.act[k].type == FSM_ACT_SEND_ADVERT;
		assert_int_equal(f.state, VRRP_STATE_MASTER);
	}
	assert_int_equal(sent, 1);
	assert_non_null(strstr(r.reason, "answered already within advert_int"));
	/* an interval later, answered again */
	assert_int_equal(fsm_advert_received(&f, t0 + 10 * MS, 90, addr_b(), 10 * MS, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
}

static void test_tie_break_compares_host_order(void **state)
{
	struct vrrp_instance_fsm f;
	/* 10.0.0.255 vs 11.0.0.1: in network order as a little-endian number
	 * the first would look bigger; in host order 11.0.0.1 wins */
	struct vrrp_fsm_config c = cfg_v2(100, htonl(0x0a0000ff));
	struct fsm_result r;

	(void)state;
	mastered(&f, &c);
	assert_int_equal(fsm_advert_received(&f, 4 * SEC, 100, htonl(0x0b000001),
					     SEC, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_BACKUP);
	assert_string_equal(r.reason,
			    "equal priority advert from higher address 11.0.0.1 (prio 100)");
}

static void test_own_advert_ignored(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(90, addr_a());
	struct fsm_result r;

	(void)state;
	mastered(&f, &c);
	assert_int_equal(fsm_advert_received(&f, 4 * SEC, 200, addr_a(), SEC, &r), 0);
	assert_int_equal(f.state, VRRP_STATE_MASTER);
}

static void test_fault_before_start_and_in_backup(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;

	(void)state;
	assert_int_equal(fsm_init(&f, &c), 0);
	assert_int_equal(fsm_set_fault(&f, 0, true, &r), 0); /* remembered */
	assert_int_equal(fsm_start(&f, 0, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_FAULT);
	assert_int_equal(f.state, VRRP_STATE_FAULT);
	/* adverts are not acted upon in FAULT */
	assert_int_equal(fsm_advert_received(&f, SEC, 50, addr_b(), SEC, &r), 0);
	assert_int_equal(fsm_timer(&f, 100 * SEC, &r), 0);
	/* setting the same fault again is a no-op */
	assert_int_equal(fsm_set_fault(&f, SEC, true, &r), 0);
	assert_int_equal(fsm_set_fault(&f, 2 * SEC, false, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_BACKUP);
	assert_string_equal(r.reason, "leaving fault");
	assert_int_equal(fsm_next_deadline(&f), 2 * SEC + 3609375);

	/* BACKUP -> FAULT sends nothing (we were not master) */
	assert_int_equal(fsm_set_fault(&f, 3 * SEC, true, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_FAULT);
	assert_string_equal(r.reason, "entering fault");

	/* an owner leaving fault goes straight to MASTER */
	c = cfg_v2(255, addr_a());
	assert_int_equal(fsm_init(&f, &c), 0);
	fsm_start(&f, 0, &r);
	assert_int_equal(fsm_set_fault(&f, SEC, true, &r), 2);
	assert_int_equal(r.act[0].priority, 0);
	assert_int_equal(fsm_set_fault(&f, 2 * SEC, false, &r), 2);
	assert_int_equal(r.act[1].type, FSM_ACT_BECOME_MASTER);
}

static void test_shutdown(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;

	(void)state;
	mastered(&f, &c);
	assert_int_equal(fsm_shutdown(&f, 10 * SEC, &r), 2);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[0].priority, 0);
	assert_int_equal(r.act[1].type, FSM_ACT_BECOME_STOP);
	assert_int_equal(r.new_state, VRRP_STATE_STOP);
	assert_int_equal(fsm_next_deadline(&f), FSM_NO_DEADLINE);
	/* dead afterwards */
	assert_int_equal(fsm_timer(&f, 100 * SEC, &r), 0);
	assert_int_equal(fsm_advert_received(&f, 100 * SEC, 0, addr_b(), SEC, &r), 0);
	assert_int_equal(fsm_shutdown(&f, 100 * SEC, &r), 0);

	/* a backup just stops, without a priority 0 advert */
	started(&f, &c, 0);
	assert_int_equal(fsm_shutdown(&f, SEC, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_BECOME_STOP);

	/* and can be started again (reload) */
	assert_int_equal(fsm_start(&f, 2 * SEC, &r), 1);
	assert_int_equal(f.state, VRRP_STATE_BACKUP);
}

static void test_set_priority(void **state)
{
	struct vrrp_instance_fsm f;
	struct vrrp_fsm_config c = cfg_v2(100, addr_a());
	struct fsm_result r;

	(void)state;
	started(&f, &c, 0);
	assert_int_equal(fsm_set_priority(&f, SEC, 80, &r), 0);
	assert_string_equal(r.reason, "priority changed 100 -> 80");
	assert_int_equal(f.effective_priority, 80);
	assert_int_equal(fsm_set_priority(&f, SEC, 80, &r), 0);
	assert_string_equal(r.reason, "");
	assert_int_equal(fsm_set_priority(&f, SEC, 0, &r), 0); /* 0 is reserved */
	assert_int_equal(f.effective_priority, 1);

	mastered(&f, &c);
	assert_int_equal(fsm_set_priority(&f, 5 * SEC, 70, &r), 1);
	assert_int_equal(r.act[0].type, FSM_ACT_SEND_ADVERT);
	assert_int_equal(r.act[0].priority, 70);
	assert_int_equal(fsm_next_deadline(&f), 6 * SEC);
	assert_int_equal(fsm_timer(&f, 6 * SEC, &r), 1);
	assert_int_equal(r.act[0].priority, 70);
}

static void test_state_and_action_names(void **state)
{
	(void)state;
	assert_string_equal(vrrp_state_str(VRRP_STATE_INIT), "INIT");
	assert_string_equal(vrrp_state_str(VRRP_STATE_BACKUP), "BACKUP");
	assert_string_equal(vrrp_state_str(VRRP_STATE_MASTER), "MASTER");
	assert_string_equal(vrrp_state_str(VRRP_STATE_FAULT), "FAULT");
	assert_string_equal(vrrp_state_str(VRRP_STATE_STOP), "STOP");
	assert_string_equal(fsm_action_str(FSM_ACT_SEND_ADVERT), "SEND_ADVERT");
	assert_string_equal(fsm_action_str(FSM_ACT_BECOME_MASTER), "BECOME_MASTER");
	assert_string_equal(fsm_action_str(FSM_ACT_BECOME_BACKUP), "BECOME_BACKUP");
	assert_string_equal(fsm_action_str(FSM_ACT_BECOME_FAULT), "BECOME_FAULT");
	assert_string_equal(fsm_action_str(FSM_ACT_BECOME_STOP), "BECOME_STOP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* two-node scenarios */
		cmocka_unit_test(test_initial_election),
		cmocka_unit_test(test_master_dies_backup_takes_over),
		cmocka_unit_test(test_priority_zero_takeover_at_skew),
		cmocka_unit_test(test_nopreempt_returning_node_stays_backup),
		cmocka_unit_test(test_preempt_returning_node_takes_over),
		cmocka_unit_test(test_preempt_delay),
		cmocka_unit_test(test_equal_priority_tie_break_by_address),
		cmocka_unit_test(test_fault_enter_leave),
		cmocka_unit_test(test_tracked_priority_drop_hands_over),
		cmocka_unit_test(test_v3_learns_master_adver_int),
		cmocka_unit_test(test_v3_10ms_failover),
		/* single instance */
		cmocka_unit_test(test_effective_priority_clamp),
		cmocka_unit_test(test_init_rejects_bad_config),
		cmocka_unit_test(test_owner_starts_as_master),
		cmocka_unit_test(test_start_backup_arms_master_down),
		cmocka_unit_test(test_backup_accepts_higher_resets_timer),
		cmocka_unit_test(test_backup_ignores_lower_when_preempting),
		cmocka_unit_test(test_backup_priority_zero_sets_skew),
		cmocka_unit_test(test_silent_master_on_master_down),
		cmocka_unit_test(test_silent_master_only_for_silence),
		cmocka_unit_test(test_presumed_dead_takes_over),
		cmocka_unit_test(test_presumed_dead_not_after_priority_zero),
		cmocka_unit_test(test_presumed_dead_refuted_by_advert),
		cmocka_unit_test(test_presumed_dead_not_refuted_when_preempting),
		cmocka_unit_test(test_master_adverts_on_timer),
		cmocka_unit_test(test_master_higher_priority_steps_down),
		cmocka_unit_test(test_master_lower_priority_readvertises),
		cmocka_unit_test(test_master_priority_zero_readvertises_now),
		cmocka_unit_test(test_master_extra_adverts_bounded),
		cmocka_unit_test(test_tie_break_compares_host_order),
		cmocka_unit_test(test_own_advert_ignored),
		cmocka_unit_test(test_fault_before_start_and_in_backup),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_advert_routine),
		cmocka_unit_test(test_advert_early),
		cmocka_unit_test(test_set_priority),
		cmocka_unit_test(test_state_and_action_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
