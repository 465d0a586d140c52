/*
 * test_writer_fsm.c - the MySQL writer's state machine, driven by a small
 * deterministic simulator: two or three MySQL nodes (their servers, a
 * MYSQL_CHECK each as check.c keeps it, an admin connection each that runs
 * one operation at a time, in order), a synthetic clock, and the fsm's
 * actions carried out as writer.c does. Every promotion-safety rule has a
 * case that fails when the rule is taken out of writer_fsm.c.
 *
 * Two invariants are checked on every run:
 *  - fence before open: when OPEN is asked for, every other node the fsm
 *    can reach is read-only (its FENCE result is in, or it was read-only);
 *  - one writer: when an OPEN lands, no other live node is writable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writer_fsm.h"

#define MS 1000ull
#define SEC 1000000ull
#define NONE UINT64_MAX

#define NMAX 3
enum { A, B, C };

#define INTERVAL (100 * MS)  /* between two probes */
#define RISE 2
#define FALL 3
#define TIMEOUT (200 * MS)   /* connect + read: a dead host's probe and op */
#define PROMOTE_TIMEOUT_MS 2000

/* ---------------------------------------------------------------------------
 * Simulator
 */

struct sop {
	enum wf_action_type type;
	uint64_t gen;
	bool on;
	uint32_t timeout_ms;
	bool detach, semi_off; /* PROMOTE */
};

struct snode {
	/* the server */
	bool host_up;        /* false: the host is gone (no FIN, no answer) */
	bool mysqld_up;      /* false: killed (the check sees EOF at once) */
	bool refusing;       /* probes and operations fail fast, no EOF seen */
	bool probe_fails;    /* alive, but its probes time out (a loaded host) */
	int read_only, semi;
	bool is_replica, sql_running, io_running;
	bool io_stopped;     /* STOP SLAVE IO_THREAD (a detach) */
	bool semi_fallback;  /* a short rpl_semi_sync_master_timeout: no fence */
	char gtid[64];       /* its @@gtid_binlog_state */
	long long server_id;
	unsigned sql_errno;
	uint64_t applied_at; /* it has applied all it received from then on */
	bool refuse_ro;      /* SET read_only=ON fails */
	bool refuse_detach;  /* STOP SLAVE IO_THREAD fails */
	bool refuse_semi;    /* SET GLOBAL rpl_semi_sync_master_enabled fails */
	bool ack_stuck;      /* its SQL thread's commit waits for an ACK that
			      * never comes; released when semi-sync goes off */
	bool client_waits;   /* a client's commit waits for an ACK too */
	uint64_t op_delay, probe_dur;
	uint64_t probe_timeout; /* what a probe of a dead host takes */
	/* its check */
	bool up, decided, probing;
	unsigned ok_run, bad_run;
	uint64_t probe_start, probe_done_at, next_probe_at;
	bool probe_ok;
	uint64_t last_end, last_dur;
	struct wf_mysql facts, reading;
	char last_error[64], why[64];
	uint64_t down_at, up_at;
	bool last_refused;   /* its last failed probe's connect was refused */
	/* its admin connection */
	struct sop q[32];
	unsigned nq;
	uint64_t op_done_at; /* the head's end, 0: none running */
	int op_rc;
	char op_msg[64];
};

enum rec_kind { R_ACT, R_DONE };

struct rec {
	enum rec_kind kind;
	uint64_t at;
	enum wf_action_type type;
	int node;
	bool on;
	int rc;
	uint64_t gen;
	uint32_t timeout_ms;
	bool detach, semi_off;
	enum wf_event ev;
	char text[WF_TEXT_LEN];
};

struct sim {
	uint64_t now;
	struct writer_fsm fsm;
	struct wf_result res;
	struct snode n[NMAX];
	size_t nn;
	int steered;           /* the STEER target; -2: the service dropped */
	uint64_t timer_at;
	struct rec log[16384];
	size_t nlog;
	unsigned fence_violations, two_writers;
	bool verbose;
	/* the witness: one key; "mine" is the session of the xvipd under test */
	struct {
		bool connected, exists, mine, async, vanished_sync;
		int32_t version;
		int writer;
		bool busy;              /* an operation in flight */
		uint64_t done_at;
		struct wf_action op;
	} wit;
};

static struct sim S;

static const char *const NAMES[NMAX] = { "10.0.0.1:3306", "10.0.0.2:3306", "10.0.0.3:3306" };

static bool alive(const struct snode *n)
{
	return n->host_up && n->mysqld_up && !n->refusing;
}

static void record(struct sim *s, const struct rec *r)
{
	assert_true(s->nlog < sizeof(s->log) / sizeof(s->log[0]));
	s->log[s->nlog] = *r;
	s->log[s->nlog].at = s->now;
	s->nlog++;
}

static void op_start(struct sim *s, int i);

/* what the shell's watch reports */
static void sim_witness_feed(struct sim *s)
{
	struct wf_witness w = {
		.connected = s->wit.connected, .known = s->wit.connected,
		.exists = s->wit.exists, .mine = s->wit.mine, .version = s->wit.version,
		.writer = s->wit.writer, .async = s->wit.async,
		.vanished_sync = s->wit.vanished_sync,
	};
	void sim_apply(struct sim *s);

	if (!w.exists)
		w.version = -1, w.writer = -1, w.async = false;
	writer_fsm_witness(&s->fsm, s->now, &w, &s->res);
	sim_apply(s);
}

/* the key as another xvipd's session holds it */
static void sim_witness_other(struct sim *s, int writer, bool async)
{
	s->wit.exists = true;
	s->wit.mine = false;
	s->wit.writer = writer;
	s->wit.async = async;
	s->wit.version++;
	sim_witness_feed(s);
}

void sim_apply(struct sim *s)
{
	const struct wf_result *r = &s->res;

	assert_false(r->overflow);
	for (unsigned k = 0; k < r->n; k++) {
		const struct wf_action *a = &r->act[k];
		struct rec rc = { .kind = R_ACT, .type = a->type, .node = a->node, .on = a->on,
				  .gen = a->gen, .timeout_ms = a->timeout_ms, .ev = a->event,
				  .detach = a->detach, .semi_off = a->semi_off };
		struct snode *n = a->node >= 0 ? &s->n[a->node] : NULL;
		char why[WF_WHY_LEN];

		snprintf(rc.text, sizeof(rc.text), "%s", a->text);
		record(s, &rc);
		if (s->verbose)
			printf("%8.3f ms %-12s %d %s\n", (double)s->now / 1000, wf_action_str(a->type),
			       a->node, a->text);
		switch (a->type) {
		case WF_ACT_OPEN:
		case WF_ACT_PROMOTE:
			/* fence before open */
			for (size_t j = 0; j < s->nn; j++)
				if ((int)j != a->node && writer_fsm_reachable(&s->fsm, (int)j, why, sizeof(why)) &&
				    alive(&s->n[j]) && s->n[j].read_only != 1)
					s->fence_violations++;
			/* fall through */
		case WF_ACT_FENCE:
		case WF_ACT_SEMISYNC:
		case WF_ACT_WAIT_APPLIED:
		case WF_ACT_DETACH:
		case WF_ACT_ATTACH:
			assert_non_null(n);
			assert_true(n->nq < 32);
			n->q[n->nq++] = (struct sop){ a->type, a->gen, a->on, a->timeout_ms, a->detach,
						      a->semi_off };
			if (n->nq == 1)
				op_start(s, a->node);
			break;
		case WF_ACT_WITNESS:
			assert_false(s->wit.busy); /* one at a time */
			s->wit.busy = true;
			s->wit.op = *a;
			s->wit.done_at = s->now + 1 * MS;
			break;
		case WF_ACT_STEER:
			s->steered = a->on ? a->node : -2;
			break;
		case WF_ACT_PROBE:
			for (size_t j = 0; j < s->nn; j++)
				if ((a->node < 0 || (int)j == a->node) && !s->n[j].probing)
					s->n[j].next_probe_at = s->now;
			break;
		case WF_ACT_TIMER:
			s->timer_at = a->at;
			break;
		case WF_ACT_EVENT:
		case WF_ACT_LOG:
			break;
		}
	}
}

static struct wf_node snap(const struct snode *n)
{
	struct wf_node w;

	memset(&w, 0, sizeof(w));
	w.up = n->up;
	w.decided = n->decided;
	snprintf(w.why, sizeof(w.why), "%s", n->why);
	w.down_at_us = n->down_at;
	w.up_at_us = n->up_at;
	w.refused = !n->up && n->last_refused;
	w.timed_out = !n->up && !strncmp(n->last_error, "timeout", 7);
	w.probes_ok = n->bad_run == 0;
	snprintf(w.probe_error, sizeof(w.probe_error), "%s", n->last_error);
	w.probe_start_max_us = n->last_end - n->last_dur;
	w.probe_end_min_us = n->last_end;
	w.probe_us_max = n->last_dur;
	w.mysql = n->facts;
	return w;
}

static struct wf_mysql server_facts(const struct snode *n)
{
	struct wf_mysql f;

	memset(&f, 0, sizeof(f));
	f.valid = true;
	f.read_only = n->read_only;
	f.is_replica = n->is_replica;
	f.sql_running = n->sql_running;
	f.last_sql_errno = n->sql_errno;
	if (n->sql_errno)
		snprintf(f.last_sql_error, sizeof(f.last_sql_error), "Duplicate entry");
	f.io_running = n->io_running && !n->io_stopped;
	f.io_stopped = n->io_stopped;
	f.semi_sync_master_enabled = n->semi;
	f.semi_sync_wait_no_slave = 1;
	f.ack_waits_repl = n->ack_stuck && n->semi ? 1 : 0;
	f.ack_waits_client = n->client_waits && n->semi ? 1 : 0;
	f.server_id = n->server_id;
	f.semi_sync_timeout_ms = n->semi_fallback ? 10000 : 4294967295ll;
	snprintf(f.gtid_binlog_state, sizeof(f.gtid_binlog_state), "%s", n->gtid);
	return f;
}

/* check.c's report(): the first decision and every change of state */
static void report(struct sim *s, int i, bool up)
{
	struct snode *n = &s->n[i];
	struct wf_node w;

	n->up = up;
	n->decided = true;
	if (!up) {
		memcpy(n->why, n->last_error, sizeof(n->why));
		n->down_at = s->now;
	} else {
		n->up_at = s->now;
	}
	w = snap(n);
	writer_fsm_changed(&s->fsm, s->now, i, &w, &s->res);
	sim_apply(s);
}

static void probe_start(struct sim *s, int i)
{
	struct snode *n = &s->n[i];

	n->probing = true;
	n->probe_start = s->now;
	n->reading = server_facts(n); /* what it reads, as it starts */
	if (alive(n) && n->probe_fails) {
		n->probe_ok = false;
		n->probe_done_at = s->now + 5 * MS;
	} else if (alive(n)) {
		n->probe_ok = true;
		n->probe_done_at = s->now + n->probe_dur;
	} else {
		n->probe_ok = false;
		n->probe_done_at = s->now + (n->host_up ? 1 * MS : n->probe_timeout);
	}
}

static void probe_end(struct sim *s, int i)
{
	struct snode *n = &s->n[i];
	struct wf_probe p = { .ok = n->probe_ok, .started_us = n->probe_start, .mysql = true };
	bool was = n->up, first = !n->decided;
	struct wf_node w;

	n->probing = false;
	n->last_dur = s->now - n->probe_start;
	n->last_end = s->now;
	n->next_probe_at = s->now + INTERVAL;
	if (p.ok) {
		n->ok_run++;
		n->bad_run = 0;
		n->facts = n->reading;
		n->facts.at_us = s->now;
		n->last_refused = false;
	} else {
		n->ok_run = 0;
		n->bad_run++;
		n->last_refused = !alive(n) && n->host_up;
		snprintf(n->last_error, sizeof(n->last_error), "%s",
			 alive(n) ? "timeout after 100 ms (query)"
			 : n->host_up ? "connect: Connection refused" : "timeout after 100 ms (connect)");
	}
	if (p.ok && n->ok_run >= RISE && (!was || first))
		report(s, i, true);
	else if (!p.ok && n->bad_run >= FALL && (was || first))
		report(s, i, false);
	w = snap(n);
	writer_fsm_probed(&s->fsm, s->now, i, &w, &p, &s->res);
	sim_apply(s);
}

static void op_start(struct sim *s, int i)
{
	struct snode *n = &s->n[i];
	const struct sop *o = &n->q[0];
	uint64_t t = s->now, timeout = o->timeout_ms ? o->timeout_ms * MS : TIMEOUT;

	n->op_rc = 0;
	snprintf(n->op_msg, sizeof(n->op_msg), "done");
	if (!n->host_up) {
		n->op_done_at = t + timeout +
				(o->type == WF_ACT_WAIT_APPLIED || o->type == WF_ACT_PROMOTE ? TIMEOUT : 0);
		n->op_rc = -EIO;
		snprintf(n->op_msg, sizeof(n->op_msg), "timeout after 200 ms");
	} else if (!n->mysqld_up || n->refusing) {
		n->op_done_at = t + 1 * MS;
		n->op_rc = -EIO;
		snprintf(n->op_msg, sizeof(n->op_msg), "connect: Connection refused");
	} else if (o->type == WF_ACT_PROMOTE && o->detach && n->refuse_detach) {
		n->op_done_at = t + n->op_delay;
		n->op_rc = -EIO;
		snprintf(n->op_msg, sizeof(n->op_msg), "STOP SLAVE IO_THREAD: Access denied");
	} else if (o->type == WF_ACT_WAIT_APPLIED || o->type == WF_ACT_PROMOTE) {
		uint64_t ready = t + n->op_delay > n->applied_at ? t + n->op_delay : n->applied_at;

		if (ready <= t + timeout) {
			n->op_done_at = ready;
		} else {
			n->op_done_at = t + timeout;
			n->op_rc = 1;
			snprintf(n->op_msg, sizeof(n->op_msg), "not applied within %u ms", o->timeout_ms);
		}
	} else {
		n->op_done_at = t + n->op_delay;
		if (o->type == WF_ACT_FENCE && n->refuse_ro) {
			n->op_rc = -EIO;
			snprintf(n->op_msg, sizeof(n->op_msg), "Access denied");
		}
	}
}

static void op_end(struct sim *s, int i)
{
	struct snode *n = &s->n[i];
	struct sop o = n->q[0];
	static const enum wf_op kind[] = {
		[WF_ACT_FENCE] = WF_OP_FENCE, [WF_ACT_SEMISYNC] = WF_OP_SEMISYNC,
		[WF_ACT_WAIT_APPLIED] = WF_OP_WAIT_APPLIED, [WF_ACT_OPEN] = WF_OP_OPEN,
		[WF_ACT_DETACH] = WF_OP_DETACH, [WF_ACT_ATTACH] = WF_OP_ATTACH,
		[WF_ACT_PROMOTE] = WF_OP_PROMOTE,
	};
	struct wf_op_result r = { .op = kind[o.type], .node = i, .gen = o.gen, .rc = n->op_rc,
				  .err = n->op_msg };
	struct rec rc = { .kind = R_DONE, .type = o.type, .node = i, .rc = n->op_rc, .gen = o.gen };

	if (o.type == WF_ACT_PROMOTE) {
		/* a dead or silent node did nothing; a refused detach stops it */
		bool ran = alive(n) && !(o.detach && n->refuse_detach);

		r.detached = ran && o.detach;
		r.semi_switched = ran && o.semi_off && !n->refuse_semi;
		r.semi_err = ran && o.semi_off && n->refuse_semi ? "Access denied" : NULL;
		r.applied = ran && n->op_rc == 0;
		r.opened = r.applied;
		r.detach_us = o.detach ? 300 : 0;
		r.semi_us = o.semi_off ? 50 : 0;
		r.apply_us = 40;
		r.open_us = 20;
		if (r.detached)
			n->io_stopped = true;
		if (r.semi_switched)
			n->semi = 0;
		if (r.opened) {
			n->read_only = 0;
			for (size_t j = 0; j < s->nn; j++)
				if ((int)j != i && alive(&s->n[j]) && s->n[j].read_only == 0)
					s->two_writers++;
		}
	}

	if (n->op_rc == 0) {
		if (o.type == WF_ACT_FENCE)
			n->read_only = 1;
		if (o.type == WF_ACT_OPEN) {
			n->read_only = 0;
			for (size_t j = 0; j < s->nn; j++)
				if ((int)j != i && alive(&s->n[j]) && s->n[j].read_only == 0)
					s->two_writers++;
		}
		if (o.type == WF_ACT_SEMISYNC) {
			n->semi = o.on;
			if (!o.on)
				n->ack_stuck = false; /* the waiting commit proceeds */
		}
		if (o.type == WF_ACT_DETACH)
			n->io_stopped = true;
		if (o.type == WF_ACT_ATTACH)
			n->io_stopped = false;
	}
	memmove(&n->q[0], &n->q[1], --n->nq * sizeof(n->q[0]));
	n->op_done_at = 0;
	record(s, &rc);
	if (s->verbose)
		printf("%8.3f ms   done %-12s %d rc %d\n", (double)s->now / 1000,
		       wf_action_str(o.type), i, r.rc);
	writer_fsm_op_done(&s->fsm, s->now, &r, &s->res);
	sim_apply(s);
	if (n->nq && !n->op_done_at)
		op_start(s, i);
}

/* The next thing to happen: kind 0 op end, 1 probe end, 2 probe start,
 * 3 the fsm's timer. */
static uint64_t next_event(const struct sim *s, int *kind, int *node)
{
	uint64_t t = NONE;

	for (size_t i = 0; i < s->nn; i++) {
		const struct snode *n = &s->n[i];
		uint64_t c[3] = { n->op_done_at ? n->op_done_at : NONE,
				  n->probing ? n->probe_done_at : NONE,
				  n->probing ? NONE : n->next_probe_at };

		for (int k = 0; k < 3; k++)
			if (c[k] < t) {
				t = c[k];
				*kind = k;
				*node = (int)i;
			}
	}
	if (s->timer_at < t) {
		t = s->timer_at;
		*kind = 3;
	}
	if (s->wit.busy && s->wit.done_at < t) {
		t = s->wit.done_at;
		*kind = 4;
	}
	return t;
}

/* ZooKeeper's answer: create, multi(delete(version) + create), or
 * setData(version) */
static void witness_end(struct sim *s)
{
	const struct wf_action *a = &s->wit.op;
	struct wf_op_result r = { .op = WF_OP_WITNESS, .node = a->node, .gen = a->gen, .err = "" };
	struct rec rc = { .kind = R_DONE, .type = WF_ACT_WITNESS, .node = a->node, .gen = a->gen };

	s->wit.busy = false;
	if (!s->wit.connected)
		r.rc = -ENOTCONN, r.err = "no session";
	else if (a->claim && a->version < 0 && s->wit.exists)
		r.rc = -EEXIST, r.err = "the key exists";
	else if ((a->claim && a->version >= 0) || !a->claim) {
		if (!s->wit.exists)
			r.rc = -ENOENT, r.err = "the key is gone";
		else if (s->wit.version != a->version)
			r.rc = -ESTALE, r.err = "its version moved";
	}
	if (r.rc == 0) {
		s->wit.exists = true;
		s->wit.writer = a->node;
		s->wit.async = a->on;
		if (a->claim) {
			s->wit.mine = true;
			s->wit.version = 0;
		} else {
			s->wit.version++;
		}
	}
	rc.rc = r.rc;
	record(s, &rc);
	if (s->verbose)
		printf("%8.3f ms   done WITNESS %d rc %d\n", (double)s->now / 1000, a->node, r.rc);
	writer_fsm_op_done(&s->fsm, s->now, &r, &s->res);
	sim_apply(s);
	if (r.rc == 0)
		sim_witness_feed(s);
}

static void sim_run_until(struct sim *s, uint64_t end)
{
	for (;;) {
		int kind = -1, node = -1;
		uint64_t t = next_event(s, &kind, &node);

		if (t > end) {
			s->now = end;
			return;
		}
		s->now = t > s->now ? t : s->now;
		switch (kind) {
		case 0:
			op_end(s, node);
			break;
		case 1:
			probe_end(s, node);
			break;
		case 2:
			probe_start(s, node);
			break;
		case 3:
			s->timer_at = NONE;
			writer_fsm_timer(&s->fsm, s->now, &s->res);
			sim_apply(s);
			break;
		case 4:
			witness_end(s);
			break;
		}
	}
}

static void sim_run(struct sim *s, uint64_t d)
{
	sim_run_until(s, s->now + d);
}

/* Run in 100 us steps while cond holds, for at most 10 s (a rule broken
 * must fail the test, not hang it). */
#define RUN_WHILE(s, cond)                                  \
	for (unsigned _steps = 0; (cond); _steps++) {       \
		assert_true(_steps < 100000);               \
		sim_run((s), 100);                          \
	}

/* A, B (and C): weights 3, 2, 1, dual-master replicas with semi-sync on,
 * A writable, the others read-only, manage_read_only, fo, promote_timeout
 * 2 s. Nothing runs yet; t = 1 s. */
static void sim_init(struct sim *s, size_t nn)
{
	struct writer_fsm_config cfg = {
		.fo = true,
		.manage_read_only = true,
		.promote_timeout_ms = PROMOTE_TIMEOUT_MS,
		.n_nodes = nn,
	};

	memset(s, 0, sizeof(*s));
	s->verbose = getenv("WF_VERBOSE") != NULL;
	s->nn = nn;
	s->now = 1 * SEC;
	s->steered = -1;
	s->timer_at = NONE;
	for (size_t i = 0; i < nn; i++) {
		struct snode *n = &s->n[i];

		snprintf(cfg.node[i].name, sizeof(cfg.node[i].name), "%s", NAMES[i]);
		cfg.node[i].weight = 3 - (unsigned)i;
		cfg.node[i].has_mysql = true;
		n->host_up = n->mysqld_up = true;
		n->read_only = i == A ? 0 : 1;
		n->semi = 1;
		n->server_id = (long long)i + 1;
		n->is_replica = n->sql_running = n->io_running = true;
		n->op_delay = 1 * MS;
		n->probe_dur = 1 * MS;
		n->probe_timeout = TIMEOUT;
		n->next_probe_at = NONE;
		n->facts.read_only = n->facts.semi_sync_master_enabled = -1;
	}
	assert_int_equal(writer_fsm_init(&s->fsm, &cfg), 0);
	s->fsm.semisync = true;
	for (size_t i = 0; i < nn; i++) {
		struct wf_node w = snap(&s->n[i]);

		writer_fsm_set_node(&s->fsm, (int)i, &w);
	}
}

static void sim_start_checks(struct sim *s)
{
	for (size_t i = 0; i < s->nn; i++)
		s->n[i].next_probe_at = s->now;
}

static void sim_owner(struct sim *s, bool owner, uint32_t silent)
{
	writer_fsm_owner(&s->fsm, s->now, owner, silent, &s->res);
	sim_apply(s);
}

static void sim_request(struct sim *s, int node)
{
	writer_fsm_request(&s->fsm, s->now, node, &s->res);
	sim_apply(s);
}

/* mysqld killed: the check's idle connection sees EOF, DOWN at once */
static void sim_kill_mysqld(struct sim *s, int i)
{
	struct snode *n = &s->n[i];

	n->mysqld_up = false;
	n->ok_run = 0;
	n->bad_run = n->bad_run > FALL ? n->bad_run : FALL;
	snprintf(n->last_error, sizeof(n->last_error), "connection to mysqld lost (EOF)");
	if (n->probing)
		n->probe_ok = false, n->probe_done_at = s->now + 1 * MS;
	if (n->up || !n->decided)
		report(s, i, false);
}

/* the whole host gone: nothing answers, nothing says so */
static void sim_host_down(struct sim *s, int i)
{
	struct snode *n = &s->n[i];

	n->host_up = false;
	if (n->probing)
		n->probe_ok = false, n->probe_done_at = n->probe_start + n->probe_timeout;
}

/* mysqld back after a crash: writable (my.cnf has no read_only), replicating */
static void sim_restart_mysqld(struct sim *s, int i)
{
	s->n[i].mysqld_up = true;
	s->n[i].read_only = 0;
}

/* The standard start: checks run, this node owns the VIP, A adopted. */
static void sim_pair_running(struct sim *s, size_t nn)
{
	sim_init(s, nn);
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, A);
	assert_int_equal(s->steered, A);
	assert_false(writer_fsm_busy(&s->fsm));
}

/* --- what happened ------------------------------------------------------ */

static size_t mark(const struct sim *s)
{
	return s->nlog;
}

static unsigned count_act(const struct sim *s, size_t from, enum wf_action_type t, int node)
{
	unsigned c = 0;

	for (size_t k = from; k < s->nlog; k++)
		if (s->log[k].kind == R_ACT && s->log[k].type == t && (node < 0 || s->log[k].node == node))
			c++;
	return c;
}

/* index of the first action (or result) from `from`, or SIZE_MAX */
static size_t find(const struct sim *s, size_t from, enum rec_kind kind, enum wf_action_type t,
		   int node)
{
	for (size_t k = from; k < s->nlog; k++)
		if (s->log[k].kind == kind && s->log[k].type == t && s->log[k].node == node)
			return k;
	return SIZE_MAX;
}

static size_t find_text(const struct sim *s, size_t from, const char *text)
{
	for (size_t k = from; k < s->nlog; k++)
		if (s->log[k].kind == R_ACT && strstr(s->log[k].text, text))
			return k;
	return SIZE_MAX;
}

static size_t find_event(const struct sim *s, size_t from, enum wf_event e, int node)
{
	for (size_t k = from; k < s->nlog; k++)
		if (s->log[k].kind == R_ACT && s->log[k].type == WF_ACT_EVENT && s->log[k].ev == e &&
		    s->log[k].node == node)
			return k;
	return SIZE_MAX;
}

static void assert_safe(const struct sim *s)
{
	assert_int_equal(s->fence_violations, 0);
	assert_int_equal(s->two_writers, 0);
}

/* ---------------------------------------------------------------------------
 * Choosing a writer
 */

static void test_adopts_the_writable_node(void **state)
{
	struct sim *s = &S;
	size_t k;

	(void)state;
	sim_pair_running(s, 2);
	/* a restarted xvipd keeps the running writer: never read-only */
	assert_int_equal(count_act(s, 0, WF_ACT_FENCE, A), 0);
	assert_int_equal(s->n[A].read_only, 0);
	k = find_text(s, 0, "promoting 10.0.0.1:3306: it already takes writes (read_only=OFF)");
	assert_true(k != SIZE_MAX);
	assert_true(find_event(s, k, WF_EV_PROMOTED, A) != SIZE_MAX);
	/* no writer was chosen before both checks had decided */
	assert_true(s->log[k].at >= 1 * SEC + (RISE - 1) * INTERVAL);
	/* the standby's read_only is re-asserted once A is open */
	assert_true(find(s, k, R_ACT, WF_ACT_FENCE, B) > find(s, k, R_ACT, WF_ACT_OPEN, A));
	assert_safe(s);
}

/* Rule: weight 0 drains (keepalived): such a node is never chosen as the
 * writer, even as the only one left; an operator's promote still can. */
static void test_weight_zero_never_chosen(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_init(s, 2);
	s->n[A].read_only = 1;
	s->fsm.cfg.node[A].weight = 0; /* would weigh most otherwise */
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[A].read_only, 1);
	/* B's host goes: A, drained, stays a standby */
	sim_host_down(s, B);
	sim_run(s, 3 * SEC);
	assert_int_not_equal(s->fsm.writer, A);
	assert_int_equal(s->n[A].read_only, 1);
	assert_true(find_text(s, 0, "10.0.0.1:3306 has weight 0 (drained)") != SIZE_MAX);
	assert_safe(s);
}

static void test_highest_weight_when_none_writable(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_init(s, 3);
	s->n[A].read_only = 1;
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, A);
	assert_true(find_text(s, 0, "promoting 10.0.0.1:3306: no writer yet: highest weight "
			      "safe node") != SIZE_MAX);
	assert_safe(s);

	/* B weighs most now */
	sim_init(s, 3);
	s->n[A].read_only = 1;
	s->fsm.cfg.node[B].weight = 5;
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[B].read_only, 0);
	assert_safe(s);
}

/* The decision waits for every check (or promote_timeout). */
static void test_waits_for_every_check(void **state)
{
	struct sim *s = &S;
	uint64_t t0;
	size_t k;

	(void)state;
	sim_init(s, 2);
	s->n[B].host_up = false; /* B's check does not decide within promote_timeout */
	s->n[B].probe_timeout = 1 * SEC;
	t0 = s->now;
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(count_act(s, 0, WF_ACT_OPEN, -1), 0);
	assert_int_equal(writer_fsm_next_deadline(&s->fsm), t0 + PROMOTE_TIMEOUT_MS * MS);
	sim_run(s, 2 * SEC);
	assert_int_equal(s->fsm.writer, A);
	k = find_text(s, 0, "promoting 10.0.0.1:3306");
	assert_int_equal(s->log[k].at, t0 + PROMOTE_TIMEOUT_MS * MS);
	assert_safe(s);
}

/* ---------------------------------------------------------------------------
 * Promotion
 */

static void test_writer_dies_standby_promoted(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, sem, wait, open;

	(void)state;
	sim_pair_running(s, 2);
	m = mark(s);
	t = s->now;
	sim_kill_mysqld(s, A);
	assert_true(find_event(s, m, WF_EV_LOST, A) != SIZE_MAX);
	assert_int_equal(s->steered, -1); /* nobody writes meanwhile */
	sim_run(s, 100 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->steered, B);
	assert_int_equal(s->n[B].read_only, 0);
	/* a dead node is not waited for */
	assert_int_equal(count_act(s, m, WF_ACT_FENCE, A), 0);
	/* no standby left: semi-sync off before the apply, open after it */
	sem = find(s, m, R_ACT, WF_ACT_SEMISYNC, B);
	wait = find(s, m, R_ACT, WF_ACT_WAIT_APPLIED, B);
	open = find(s, m, R_ACT, WF_ACT_OPEN, B);
	assert_true(sem < wait && wait < open && open != SIZE_MAX);
	assert_false(s->log[sem].on);
	/* an EOF alone proves nothing yet: the IO connection is killed
	 * first (test_writer_killed_seen_by_kernel: the plain STOP) */
	assert_true(find(s, m, R_ACT, WF_ACT_DETACH, B) != SIZE_MAX);
	assert_true(s->log[find(s, m, R_ACT, WF_ACT_DETACH, B)].on);
	assert_true(find(s, m, R_DONE, WF_ACT_SEMISYNC, B) < wait);
	assert_true(find(s, m, R_DONE, WF_ACT_WAIT_APPLIED, B) < open);
	assert_int_equal(s->log[wait].timeout_ms, PROMOTE_TIMEOUT_MS);
	assert_true(s->fsm.node[B].semisync_off);
	assert_true(writer_fsm_semisync_off(&s->fsm));
	assert_true(find_text(s, m, "10.0.0.2:3306: no standby is up, semi-sync master side "
			      "switched off") != SIZE_MAX);
	/* the time counts from the loss */
	m = find_event(s, m, WF_EV_PROMOTED, B);
	assert_true(m != SIZE_MAX);
	assert_int_equal(s->log[m].at - t, s->log[m].at - s->fsm.promo_start_us);
	assert_false(writer_fsm_busy(&s->fsm));
	assert_safe(s);
}

/* The local xvipd's death watch saw the kill (stats.dead, given to the
 * fsm as "refused"): the dead node is proven stopped from the first
 * moment, so nothing learned between the steps could change them: the
 * detach (without the kill and its grace), the semi-sync switch, the apply
 * and the opening go to the candidate as one PROMOTE (two round trips), and
 * the breakdown still shows each step. */
static void test_writer_killed_seen_by_kernel(void **state)
{
	struct sim *s = &S;
	size_t m, p;

	(void)state;
	sim_pair_running(s, 2);
	m = mark(s);
	s->n[A].last_refused = true; /* before the DOWN, as check_mysql_watch.c does */
	sim_kill_mysqld(s, A);
	sim_run(s, 100 * MS);
	assert_int_equal(s->fsm.writer, B);
	p = find(s, m, R_ACT, WF_ACT_PROMOTE, B);
	assert_true(p != SIZE_MAX);
	assert_true(s->log[p].detach);
	assert_true(s->log[p].semi_off); /* no standby left */
	assert_int_equal(s->log[p].timeout_ms, PROMOTE_TIMEOUT_MS);
	assert_int_equal(count_act(s, m, WF_ACT_DETACH, B), 0);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, B), 0);
	assert_int_equal(count_act(s, m, WF_ACT_WAIT_APPLIED, B), 0);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, B), 0);
	assert_true(s->fsm.node[B].semisync_off);
	assert_true(find_text(s, m, "10.0.0.2:3306 stopped replicating from the node it cannot "
			      "reach") != SIZE_MAX);
	assert_true(find_text(s, m, "10.0.0.2:3306: no standby is up, semi-sync master side "
			      "switched off") != SIZE_MAX);
	assert_true(find_text(s, m, "detach 300, semi-sync 50, apply 40, open 20 us on the server, "
			      "in 2 round trips") != SIZE_MAX);
	assert_true(find_event(s, m, WF_EV_PROMOTED, B) != SIZE_MAX);
	assert_false(writer_fsm_busy(&s->fsm));
	assert_safe(s);
}

/* Seen by the kernel, but the candidate cannot stop its IO thread: nobody
 * is promoted (as with the DETACH alone), and the candidate is not opened. */
static void test_fast_promote_detach_refused(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 2);
	s->n[B].refuse_detach = true;
	m = mark(s);
	s->n[A].last_refused = true;
	sim_kill_mysqld(s, A);
	sim_run(s, 100 * MS);
	assert_true(find(s, m, R_ACT, WF_ACT_PROMOTE, B) != SIZE_MAX);
	assert_true(find_text(s, m, "NOT promoting 10.0.0.2:3306: 10.0.0.2:3306: cannot stop its "
			      "replication from the node it cannot reach") != SIZE_MAX);
	assert_true(find_event(s, m, WF_EV_REFUSED, B) != SIZE_MAX);
	assert_int_equal(s->n[B].read_only, 1);
	assert_true(s->fsm.writer != B);
	assert_safe(s);
}

/* The wait of the PROMOTE runs out: not opened (the server decides), and
 * the promotion is refused with the apply rule's words. */
static void test_fast_promote_not_applied(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 2);
	s->n[B].applied_at = s->now + 5 * SEC;
	m = mark(s);
	s->n[A].last_refused = true;
	sim_kill_mysqld(s, A);
	sim_run(s, 3 * SEC);
	assert_true(find(s, m, R_ACT, WF_ACT_PROMOTE, B) != SIZE_MAX);
	assert_true(find_text(s, m, "NOT promoting 10.0.0.2:3306: 10.0.0.2:3306 has not applied "
			      "everything it received within 2000 ms") != SIZE_MAX);
	assert_int_equal(s->n[B].read_only, 1);
	assert_safe(s);
}

/* The semi-sync switch fails inside the PROMOTE: a warning, as alone, and
 * the promotion goes on. */
static void test_fast_promote_semi_failure_not_fatal(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 2);
	s->n[B].refuse_semi = true;
	m = mark(s);
	s->n[A].last_refused = true;
	sim_kill_mysqld(s, A);
	sim_run(s, 100 * MS);
	assert_true(find_text(s, m, "cannot switch semi-sync off on 10.0.0.2:3306: Access denied") !=
		    SIZE_MAX);
	/* (the writer's standby check switches it off again afterwards) */
	assert_true(find_event(s, m, WF_EV_PROMOTED, B) != SIZE_MAX);
	assert_int_equal(s->fsm.writer, B);
	assert_safe(s);
}

/* Three nodes, the third alive: a standby stays, and it could answer during
 * the promotion, so the steps go one by one (fences waited for). */
static void test_fast_promote_not_with_a_live_node(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 3);
	m = mark(s);
	s->n[A].last_refused = true;
	sim_kill_mysqld(s, A);
	sim_run(s, 200 * MS);
	assert_true(s->fsm.writer == B || s->fsm.writer == C);
	assert_int_equal(count_act(s, m, WF_ACT_PROMOTE, -1), 0);
	assert_true(count_act(s, m, WF_ACT_OPEN, s->fsm.writer) == 1);
	assert_safe(s);
}

/* A writer that hangs (SIGSTOP: its probes time out, its host answers
 * nothing) and is replaced: its fence is sent anyway, on the connection
 * that is open, to be the first thing it reads when it wakes (else it is
 * writable from its wake-up to its next good probe). */
static void test_hung_writer_fenced_for_wakeup(void **state)
{
	struct sim *s = &S;
	size_t m, lost, fence;

	(void)state;
	sim_pair_running(s, 2);
	m = mark(s);
	sim_host_down(s, A);
	sim_run(s, 2000 * MS);
	lost = find_event(s, m, WF_EV_LOST, A);
	assert_true(lost != SIZE_MAX);
	assert_int_equal(s->fsm.writer, B);
	fence = find(s, lost, R_ACT, WF_ACT_FENCE, A);
	assert_true(fence != SIZE_MAX);
	assert_true(fence < find(s, lost, R_ACT, WF_ACT_OPEN, B));
	assert_true(find_text(s, lost, "for the moment it wakes") != SIZE_MAX);
	assert_safe(s);
}

/* Rule: applied everything it received, within promote_timeout. */
static void test_apply_timeout_refuses(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, k;

	(void)state;
	sim_pair_running(s, 2);
	t = s->now;
	s->n[B].applied_at = t + 5 * SEC; /* lagging by more than promote_timeout */
	m = mark(s);
	sim_kill_mysqld(s, A);
	sim_run(s, 3 * SEC);
	k = find_text(s, m, "NOT promoting 10.0.0.2:3306: 10.0.0.2:3306 has not applied "
		      "everything it received within 2000 ms");
	assert_true(k != SIZE_MAX);
	assert_true(find_event(s, m, WF_EV_REFUSED, B) != SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, -1), 0);
	assert_int_equal(s->n[B].read_only, 1);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(s->steered, -1);
	assert_string_equal(s->fsm.refused, "10.0.0.2:3306 has not applied everything it "
			    "received within 2000 ms: not applied within 2000 ms");
	/* the probes try again while there is no writer: promoted once applied
	 * (A's connects refused by then: proven stopped, one PROMOTE) */
	sim_run_until(s, t + 8 * SEC);
	assert_int_equal(s->fsm.writer, B);
	k = find_event(s, m, WF_EV_PROMOTED, B);
	assert_true(k != SIZE_MAX);
	assert_true(s->log[k].at >= t + 5 * SEC);
	assert_safe(s);
}

/* Rule: the lag is waited for, up to promote_timeout. */
static void test_lagging_standby_waited_for(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, k;

	(void)state;
	sim_pair_running(s, 2);
	t = s->now;
	s->n[B].applied_at = t + 1500 * MS;
	m = mark(s);
	sim_kill_mysqld(s, A);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(s->fsm.phase, WF_APPLY);
	assert_true(writer_fsm_busy(&s->fsm));
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	k = find_event(s, m, WF_EV_PROMOTED, B);
	assert_true(s->log[k].at >= t + 1500 * MS);
	assert_true(s->log[k].at < t + 1600 * MS);
	assert_int_equal(count_act(s, m, WF_ACT_WAIT_APPLIED, B), 1);
	assert_int_equal(find_event(s, m, WF_EV_REFUSED, B), SIZE_MAX);
	assert_safe(s);
}

static void refused_for(struct sim *s, const char *why)
{
	size_t m = mark(s);
	char line[WF_TEXT_LEN];

	sim_kill_mysqld(s, A);
	sim_run(s, 1 * SEC);
	/* nobody is safe: nobody is picked */
	snprintf(line, sizeof(line), "NOT promoting anyone: %s", why);
	assert_true(find_text(s, m, line) != SIZE_MAX);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(count_act(s, m, WF_ACT_WAIT_APPLIED, B), 0);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, B), 0);
	assert_int_equal(s->n[B].read_only, 1);
	assert_int_equal(s->steered, -1);
}

/* Rule: a replica whose SQL thread stopped with an error is not safe. */
static void test_sql_error_refuses(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_pair_running(s, 2);
	s->n[B].sql_running = false;
	s->n[B].sql_errno = 1062;
	sim_run(s, 200 * MS);
	refused_for(s, "10.0.0.2:3306: replication SQL thread stopped with error 1062: "
		    "Duplicate entry");
	/* fixed by the operator: promoted */
	s->n[B].sql_running = true;
	s->n[B].sql_errno = 0;
	sim_run(s, 300 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_safe(s);
}

/* Rule: a replica whose SQL thread is stopped cannot apply what it got. */
static void test_sql_stopped_refuses(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_pair_running(s, 2);
	s->n[B].sql_running = false;
	sim_run(s, 200 * MS);
	refused_for(s, "10.0.0.2:3306: replication SQL thread is not running: it cannot apply "
		    "what it received");
	s->n[B].sql_running = true;
	sim_run(s, 300 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_safe(s);
}

/* Rule: no OPEN before every reachable other node's FENCE result. */
static void test_fence_before_open(void **state)
{
	struct sim *s = &S;
	size_t m, fence_done, open;

	(void)state;
	sim_pair_running(s, 3);
	/* C is made writable behind our back; its fences are slow */
	s->n[C].op_delay = 40 * MS;
	s->n[C].read_only = 0;
	m = mark(s);
	RUN_WHILE(s, !count_act(s, m, WF_ACT_FENCE, C)); /* its probe sees it */
	assert_true(find_text(s, m, "10.0.0.3:3306 is writable but not the writer") != SIZE_MAX);
	/* the writer dies while that fence runs */
	m = mark(s);
	sim_kill_mysqld(s, A);
	sim_run(s, 500 * MS);
	assert_int_equal(s->fsm.writer, B);
	fence_done = find(s, m, R_DONE, WF_ACT_FENCE, C);
	open = find(s, m, R_ACT, WF_ACT_OPEN, B);
	assert_true(fence_done != SIZE_MAX && open != SIZE_MAX);
	assert_true(fence_done < open);
	assert_true(s->log[open].at - s->log[m].at >= 30 * MS);
	assert_int_equal(s->n[C].read_only, 1);
	assert_safe(s);
}

/* Rule: a reachable node that refuses read_only stops the promotion. */
static void test_fence_refused_by_reachable_node_refuses(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 3);
	s->n[C].refuse_ro = true;
	s->n[C].read_only = 0; /* writable, and SET read_only=ON is refused */
	sim_run(s, 150 * MS);
	assert_true(find_text(s, 0, "cannot set read_only=ON on 10.0.0.3:3306: Access denied") !=
		    SIZE_MAX);
	m = mark(s);
	sim_kill_mysqld(s, A);
	sim_run(s, 50 * MS);
	assert_true(find_text(s, m, "NOT promoting 10.0.0.2:3306: 10.0.0.3:3306 is reachable but "
			      "could not be set read-only (Access denied): two writers would be "
			      "possible") != SIZE_MAX);
	assert_true(find_event(s, m, WF_EV_REFUSED, B) != SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, -1), 0);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(s->steered, -1);
	assert_int_equal(s->n[B].read_only, 1);
	assert_safe(s);
}

/* Rule: no automatic fail-back. */
static void test_no_failback(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 2);
	sim_kill_mysqld(s, A);
	sim_run(s, 200 * MS);
	assert_int_equal(s->fsm.writer, B);
	m = mark(s);
	sim_restart_mysqld(s, A); /* back, writable, heavier than B */
	sim_run(s, 2 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->steered, B);
	assert_int_equal(find_event(s, m, WF_EV_PROMOTED, A), SIZE_MAX);
	assert_true(find_text(s, m, "10.0.0.1:3306 is writable but not the writer: setting "
			      "read_only=ON") != SIZE_MAX);
	assert_int_equal(s->n[A].read_only, 1);
	assert_int_equal(s->n[B].read_only, 0);
	assert_safe(s);
}

/* Rule: the operator moves the writer the same safe way; hand-back. */
static void test_operator_hand_back(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_pair_running(s, 2);
	sim_kill_mysqld(s, A);
	sim_run(s, 200 * MS);
	sim_restart_mysqld(s, A);
	s->n[B].op_delay = 30 * MS; /* B's fence takes a while */
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);

	m = mark(s);
	sim_request(s, A);
	assert_string_equal(s->res.reason, "promoting 10.0.0.1:3306");
	assert_false(s->res.refused);
	assert_true(find_text(s, m, "promoting 10.0.0.1:3306: operator request") != SIZE_MAX);
	/* one at a time */
	sim_request(s, B);
	assert_string_equal(s->res.reason, "a promotion is already running");
	assert_true(s->res.refused);
	sim_run(s, 200 * MS);
	assert_int_equal(s->fsm.writer, A);
	assert_int_equal(s->steered, A);
	/* the old writer was fenced first */
	k = find(s, m, R_DONE, WF_ACT_FENCE, B);
	assert_true(k != SIZE_MAX);
	assert_true(k < find(s, m, R_ACT, WF_ACT_OPEN, A));
	assert_int_equal(s->n[B].read_only, 1);
	assert_int_equal(s->n[A].read_only, 0);

	sim_request(s, A);
	assert_string_equal(s->res.reason, "10.0.0.1:3306 is already the writer");
	/* handover: to the best other node */
	sim_request(s, -1);
	assert_string_equal(s->res.reason, "promoting 10.0.0.2:3306");
	sim_run(s, 200 * MS);
	assert_int_equal(s->fsm.writer, B);
	/* an unsafe target is refused */
	s->n[A].sql_running = false;
	sim_run(s, 200 * MS);
	sim_request(s, A);
	assert_true(s->res.refused);
	assert_string_equal(s->res.reason, "refusing: 10.0.0.1:3306: replication SQL thread is "
			    "not running: it cannot apply what it received");
	/* only the owner moves it */
	sim_owner(s, false, 0);
	assert_int_equal(s->steered, -2);
	sim_request(s, -1);
	assert_string_equal(s->res.reason, "this node does not own the VIP: run it on the master");
	assert_safe(s);
}

/* ---------------------------------------------------------------------------
 * Semi-sync
 */

/* Rule: the standby lost while promoting: semi-sync off before the apply. */
static void test_standby_lost_while_promoting(void **state)
{
	struct sim *s = &S;
	size_t m, sem, wait;

	(void)state;
	sim_pair_running(s, 3);
	s->n[C].read_only = 0; /* to be fenced, slowly */
	s->n[C].op_delay = 50 * MS;
	s->fsm.node[C].s.mysql.read_only = 0;
	m = mark(s);
	sim_kill_mysqld(s, A);
	/* B's promotion waits for C's fence: C is a standby, no semi-sync off */
	assert_int_equal(s->fsm.phase, WF_FENCE);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, B), 0);
	sim_run(s, 10 * MS);
	sim_kill_mysqld(s, C); /* the last standby dies meanwhile */
	sim_run(s, 200 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_true(find_text(s, m, "not waiting for the fence of 10.0.0.3:3306 any longer") !=
		    SIZE_MAX);
	/* A and C proven stopped by then (their connects refused): the last
	 * steps are one PROMOTE, its semi-sync switch before its apply */
	sem = find(s, m, R_ACT, WF_ACT_SEMISYNC, B);
	wait = find(s, m, R_ACT, WF_ACT_PROMOTE, B);
	if (wait != SIZE_MAX) {
		assert_true(s->log[wait].semi_off);
	} else {
		wait = find(s, m, R_ACT, WF_ACT_WAIT_APPLIED, B);
		assert_true(sem != SIZE_MAX && sem < wait);
		assert_false(s->log[sem].on);
		assert_true(find(s, m, R_DONE, WF_ACT_SEMISYNC, B) < wait);
	}
	assert_int_equal(s->n[B].semi, 0);
	assert_safe(s);
}

/* Rule: the writer's last standby lost: semi-sync off; back on when a peer
 * replicates again. */
static void test_standby_lost_semisync_off_and_on(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_pair_running(s, 2);
	m = mark(s);
	sim_kill_mysqld(s, B);
	sim_run(s, 10 * MS);
	k = find(s, m, R_ACT, WF_ACT_SEMISYNC, A);
	assert_true(k != SIZE_MAX);
	assert_false(s->log[k].on);
	assert_int_equal(s->n[A].semi, 0);
	assert_true(s->fsm.node[A].semisync_off);
	assert_true(find_text(s, m, "no standby is up: the writer 10.0.0.1:3306's semi-sync "
			      "master side switched off") != SIZE_MAX);
	assert_int_equal(s->fsm.writer, A); /* nothing else moves */

	m = mark(s);
	s->n[B].mysqld_up = true; /* back, read-only, replicating */
	sim_run(s, 1 * SEC);
	k = find(s, m, R_ACT, WF_ACT_SEMISYNC, A);
	assert_true(k != SIZE_MAX);
	assert_true(s->log[k].on);
	assert_int_equal(s->n[A].semi, 1);
	assert_false(writer_fsm_semisync_off(&s->fsm));
	assert_int_equal(count_act(s, k + 1, WF_ACT_SEMISYNC, A), 0); /* once */
	assert_safe(s);
}

/* ---------------------------------------------------------------------------
 * Host death: reachable now, the silent node's grace
 */

/* B's view: A is the writer and the VRRP master; B a read-only standby. */
static void sim_backup_view(struct sim *s)
{
	sim_init(s, 2);
	sim_start_checks(s);
	sim_run(s, 1 * SEC);
	assert_false(s->fsm.owner);
	assert_int_equal(s->fsm.writer, -1);
	assert_true(s->fsm.node[A].s.up && s->fsm.node[B].s.up);
}

/* Rule: a node unreachable when the VIP moves is never chosen. */
static void test_silent_node_never_chosen(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, k;

	(void)state;
	sim_backup_view(s);
	sim_host_down(s, A);
	sim_run(s, 40 * MS); /* master_down_interval */
	t = s->now;
	m = mark(s);
	sim_owner(s, true, 1u << A);
	assert_true(find_text(s, m, "10.0.0.1:3306: its host went silent (VRRP adverts stopped): "
			      "not counted on until it answers (a decision waits 5 ms for it)") !=
		    SIZE_MAX);
	sim_run(s, 100 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(find_text(s, m, "promoting 10.0.0.1:3306"), SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_WAIT_APPLIED, A), 0);
	/* its fence started, not waited for */
	assert_true(find_text(s, m, "fencing 10.0.0.1:3306 without waiting for it") != SIZE_MAX);
	assert_true(find(s, m, R_ACT, WF_ACT_FENCE, A) < find(s, m, R_ACT, WF_ACT_OPEN, B));
	assert_int_equal(find(s, m, R_DONE, WF_ACT_FENCE, A), SIZE_MAX);
	/* no standby it can count on: semi-sync off */
	assert_int_equal(s->n[B].semi, 0);
	/* a few ms after the VIP moved: the grace, then B's own steps */
	k = find_event(s, m, WF_EV_PROMOTED, B);
	assert_true(s->log[k].at - t < 15 * MS);
	assert_safe(s);
}

/* Rule: the silent node's grace: a live mysqld behind a late xvipd (a VRRP
 * flap) answers in it and keeps the writes. */
static void test_silent_node_answers_within_grace(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_backup_view(s);
	s->n[A].probe_dur = 2 * MS; /* answers the fresh probe in 2 ms: grace 5 ms */
	sim_run(s, 200 * MS);
	m = mark(s);
	sim_owner(s, true, 1u << A);
	sim_run(s, 100 * MS);
	assert_true(find_text(s, m, "10.0.0.1:3306 answers: its host is not gone") != SIZE_MAX);
	assert_true(find_text(s, m, "promoting 10.0.0.1:3306: it already takes writes") != SIZE_MAX);
	assert_int_equal(s->fsm.writer, A);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, B), 0);
	assert_int_equal(count_act(s, m, WF_ACT_FENCE, A), 0);
	assert_int_equal(s->n[A].read_only, 0);
	assert_safe(s);
}

/* A probe that was running when the host went silent proves nothing: the
 * next one starts at once. */
static void test_silent_probe_started_before_proves_nothing(void **state)
{
	struct sim *s = &S;
	uint64_t start;
	size_t m;

	(void)state;
	sim_backup_view(s);
	s->n[A].probe_dur = 3 * MS; /* grace 6 ms */
	sim_run(s, 200 * MS);
	RUN_WHILE(s, !s->n[A].probing);
	sim_run(s, 1);
	m = mark(s);
	sim_owner(s, true, 1u << A); /* A's probe started before */
	start = s->n[A].probe_start;
	RUN_WHILE(s, s->n[A].probing && s->n[A].probe_start == start); /* it ends, good */
	assert_true(s->fsm.node[A].silent_at_us != 0);
	assert_true(find(s, m, R_ACT, WF_ACT_PROBE, A) != SIZE_MAX);
	sim_run(s, 100 * MS);
	assert_int_equal(s->fsm.node[A].silent_at_us, 0);
	assert_int_equal(s->fsm.writer, A);
	assert_safe(s);
}

/* Rule: a silent node whose fresh probe already failed holds nothing. */
static void test_silent_failed_probe_holds_nothing(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, k;

	(void)state;
	sim_backup_view(s);
	s->n[A].probe_dur = 20 * MS; /* a slow mysqld: grace 40 ms */
	sim_run(s, 300 * MS);
	s->n[A].refusing = true;     /* gone, and its probes say so at once */
	t = s->now;
	m = mark(s);
	sim_owner(s, true, 1u << A);
	assert_true(find_text(s, m, "a decision waits 40 ms for it") != SIZE_MAX);
	sim_run(s, 100 * MS);
	assert_int_equal(s->fsm.writer, B);
	k = find_text(s, m, "promoting 10.0.0.2:3306");
	assert_true(s->log[k].at - t < 5 * MS);
	assert_safe(s);
}

/* ... and one whose last probe failed before the VIP moved gets no grace
 * (with slow adverts the probes see a dead host before VRRP does). */
static void test_silent_failing_node_no_grace(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, k;

	(void)state;
	sim_backup_view(s);
	sim_host_down(s, A);
	RUN_WHILE(s, s->n[A].bad_run == 0); /* one probe timed out: 200 ms */
	assert_true(s->fsm.node[A].s.up);   /* fall 3: still UP */
	t = s->now;
	m = mark(s);
	sim_owner(s, true, 1u << A);
	assert_true(find_text(s, m, "10.0.0.1:3306: its host went silent (VRRP adverts stopped) "
			      "and its last probe failed: not counted on until it answers") !=
		    SIZE_MAX);
	sim_run(s, 100 * MS);
	assert_int_equal(s->fsm.writer, B);
	/* at B's fresh probe (1 ms): no grace (else twice that 200 ms
	 * probe, 50 ms) */
	k = find_text(s, m, "promoting 10.0.0.2:3306");
	assert_true(s->log[k].at - t < 2 * MS);
	assert_safe(s);
}

/* Rule: a momentary owner (a VRRP flap) that promoted itself and switched
 * its own semi-sync off switches it on again once a peer replicates, though
 * it no longer owns the VIP. */
static void test_momentary_owner_undoes_semisync(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_backup_view(s);
	s->n[A].probe_dur = 60 * MS; /* A's mysqld answers, later than the grace */
	m = mark(s);
	sim_owner(s, true, 1u << A);
	sim_run(s, 30 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[B].semi, 0);
	assert_true(s->fsm.node[B].semisync_off);
	/* A's adverts are back: B steps down */
	sim_owner(s, false, 0);
	assert_int_equal(s->steered, -2);
	sim_run(s, 500 * MS);
	k = find(s, m, R_ACT, WF_ACT_SEMISYNC, B);
	k = find(s, k + 1, R_ACT, WF_ACT_SEMISYNC, B);
	assert_true(k != SIZE_MAX);
	assert_true(s->log[k].on);
	assert_int_equal(s->n[B].semi, 1);
	assert_false(s->fsm.node[B].semisync_off);
	assert_true(find_text(s, k, "a peer replicates from 10.0.0.2:3306 again") != SIZE_MAX);
}

/* Rule: a silent node that answers during the promotion, alive and
 * writable, is fenced before the candidate opens. The fence step did not
 * wait for it (silent then); its fence is slow (a fresh connect): opening
 * before it lands would make two writers. */
static void test_silent_node_answers_during_promotion(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_backup_view(s);
	s->n[A].probe_dur = 12 * MS; /* answers after the 5 ms grace */
	s->n[A].op_delay = 30 * MS;  /* its fence lands 30 ms after it is sent */
	s->n[B].op_delay = 5 * MS;   /* B's own steps: OPEN asked ~15 ms in */
	m = mark(s);
	sim_owner(s, true, 1u << A);
	sim_run(s, 300 * MS);
	assert_true(find_text(s, m, "fencing 10.0.0.1:3306 without waiting for it") != SIZE_MAX);
	assert_true(find_text(s, m, "10.0.0.1:3306 answers: its host is not gone") != SIZE_MAX);
	assert_true(find_text(s, m, "not opening 10.0.0.2:3306 yet") != SIZE_MAX);
	k = find(s, m, R_DONE, WF_ACT_FENCE, A);
	assert_true(k != SIZE_MAX);
	assert_true(k < find(s, m, R_ACT, WF_ACT_OPEN, B));
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[A].read_only, 1);
	assert_safe(s);
}

/* Rule: a promotion's semi-sync switch-off that lands after the VIP moved
 * on is still recorded, so that it is switched on again. */
static void test_late_semisync_off_recorded(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_backup_view(s);
	s->n[B].op_delay = 20 * MS;  /* the switch-off is in flight for 20 ms */
	sim_host_down(s, A);
	sim_run(s, 40 * MS);
	m = mark(s);
	sim_owner(s, true, 1u << A);
	RUN_WHILE(s, !count_act(s, m, WF_ACT_SEMISYNC, B));
	sim_owner(s, false, 0);       /* a flap: the VIP moves on meanwhile */
	sim_run(s, 50 * MS);
	assert_int_equal(s->n[B].semi, 0); /* it landed */
	assert_true(s->fsm.node[B].semisync_off);
	/* A returns and replicates from B: B switches it on again */
	sim_restart_mysqld(s, A);
	s->n[A].host_up = true;
	sim_run(s, 2 * SEC);
	k = find(s, m, R_ACT, WF_ACT_SEMISYNC, B);
	k = find(s, k + 1, R_ACT, WF_ACT_SEMISYNC, B);
	assert_true(k != SIZE_MAX);
	assert_true(s->log[k].on);
	assert_int_equal(s->n[B].semi, 1);
}

/* ---------------------------------------------------------------------------
 * Aborts and late results
 */

/* Rule: a candidate that is gone aborts its promotion at once. */
static void test_abort_when_candidate_gone(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, k;

	(void)state;
	sim_pair_running(s, 2);
	t = s->now;
	s->n[B].applied_at = t + 1 * SEC;
	m = mark(s);
	sim_kill_mysqld(s, A);
	sim_run(s, 50 * MS);
	assert_int_equal(s->fsm.phase, WF_APPLY);
	sim_kill_mysqld(s, B);
	k = find_text(s, m, "NOT promoting 10.0.0.2:3306: unreachable during its promotion: "
		      "10.0.0.2:3306 is down (connection to mysqld lost (EOF))");
	assert_true(k != SIZE_MAX);
	assert_int_equal(s->log[k].at, t + 50 * MS); /* at once, not at the apply's end */
	assert_int_equal(s->fsm.phase, WF_IDLE);
	sim_run(s, 2 * SEC);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, -1), 0);
	assert_int_equal(s->fsm.writer, -1);
	assert_safe(s);
}

/* Rule: one failed probe (a loaded host) is not gone: the candidate's
 * promotion goes on, and a live node's fence is still waited for. */
static void test_one_failed_probe_is_not_gone(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, k;

	(void)state;
	sim_pair_running(s, 3);
	t = s->now;
	/* C made writable: its (slow) fence is in flight when A dies */
	s->n[C].op_delay = 150 * MS;
	s->n[C].read_only = 0;
	m = mark(s);
	RUN_WHILE(s, !count_act(s, m, WF_ACT_FENCE, C));
	s->n[B].applied_at = s->now + 300 * MS;
	m = mark(s);
	sim_kill_mysqld(s, A);
	sim_run(s, 20 * MS);
	/* one probe of C and one of B time out */
	s->n[B].probe_fails = s->n[C].probe_fails = true;
	RUN_WHILE(s, s->n[B].bad_run == 0 || s->n[C].bad_run == 0);
	s->n[B].probe_fails = s->n[C].probe_fails = false;
	assert_true(s->fsm.phase == WF_FENCE || s->fsm.phase == WF_APPLY);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(find_text(s, m, "NOT promoting"), SIZE_MAX);
	assert_int_equal(find_text(s, m, "not waiting for the fence"), SIZE_MAX);
	k = find(s, m, R_DONE, WF_ACT_FENCE, C);
	assert_true(k != SIZE_MAX && k < find(s, m, R_ACT, WF_ACT_OPEN, B));
	/* C stayed a standby: no semi-sync off */
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, B), 0);
	(void)t;
	assert_safe(s);
}

/* Rule: late results of an aborted promotion are ignored (generation). */
static void test_late_results_ignored(void **state)
{
	struct sim *s = &S;
	uint64_t t;
	size_t m, w1, w2, d1, d2, open;

	(void)state;
	sim_pair_running(s, 2);
	/* no DETACH (B shows no replica row): it would queue behind the late
	 * WAIT_APPLIED, and the second one would never overlap the first */
	s->n[B].is_replica = false;
	sim_run(s, 300 * MS);
	t = s->now;
	s->n[B].applied_at = t + 500 * MS;
	s->n[B].op_delay = 10 * MS;
	m = mark(s);
	s->n[A].last_refused = true; /* proven stopped: one PROMOTE */
	sim_kill_mysqld(s, A);
	sim_run(s, 50 * MS);
	assert_int_equal(s->fsm.phase, WF_DETACH);
	/* B's mysqld restarts under its WAIT_APPLIED: abort; back: again */
	sim_kill_mysqld(s, B);
	assert_int_equal(s->fsm.phase, WF_IDLE);
	s->n[B].mysqld_up = true;
	RUN_WHILE(s, s->fsm.phase != WF_DETACH);
	w1 = find(s, m, R_ACT, WF_ACT_PROMOTE, B);
	w2 = find(s, w1 + 1, R_ACT, WF_ACT_PROMOTE, B);
	assert_true(w2 != SIZE_MAX);
	assert_true(s->log[w1].gen != s->log[w2].gen);
	assert_true(s->now < t + 500 * MS);
	sim_run_until(s, t + 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	d1 = find(s, m, R_DONE, WF_ACT_PROMOTE, B);
	d2 = find(s, d1 + 1, R_DONE, WF_ACT_PROMOTE, B);
	open = find_event(s, m, WF_EV_PROMOTED, B);
	/* the first (late, rc 0) result opened nothing; the second did */
	assert_int_equal(s->log[d1].gen, s->log[w1].gen);
	assert_int_equal(s->log[d1].rc, 0);
	assert_true(d2 != SIZE_MAX);
	assert_true(open > d2);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, B), 0);
	assert_int_equal(count_act(s, m, WF_ACT_PROMOTE, B), 2);
	assert_true(s->log[w1].semi_off && s->log[w2].semi_off);
	/* promoted once: the late result opened nothing */
	assert_int_equal(find_event(s, open + 1, WF_EV_PROMOTED, B), SIZE_MAX);
	assert_safe(s);
}

/* Rule: the writer found read-only by a probe that started after it was
 * opened is opened again (the others fenced first); one that started
 * before proves nothing. */
static void test_reopen_writer_found_read_only(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_init(s, 2);
	s->n[A].read_only = 1;
	s->n[A].op_delay = 5 * MS;
	s->n[A].probe_dur = 10 * MS;
	sim_start_checks(s);
	sim_owner(s, true, 0);
	/* a probe of A starts while its OPEN is in flight and ends after it */
	RUN_WHILE(s, !(s->n[A].nq && s->n[A].q[0].type == WF_ACT_OPEN));
	assert_false(s->n[A].probing);
	s->n[A].next_probe_at = s->n[A].op_done_at - 2 * MS;
	m = mark(s);
	sim_run(s, 50 * MS);
	assert_int_equal(s->fsm.writer, A);
	assert_true(find(s, m, R_DONE, WF_ACT_OPEN, A) != SIZE_MAX);
	assert_int_equal(find_text(s, m, "set read-only by someone else"), SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, A), 0);

	/* someone sets the writer read-only: the owner opens it again */
	sim_run(s, 1 * SEC);
	m = mark(s);
	s->n[A].read_only = 1;
	sim_run(s, 200 * MS);
	k = find_text(s, m, "the writer 10.0.0.1:3306 was set read-only by someone else: "
		      "opening it again");
	assert_true(k != SIZE_MAX);
	assert_true(find_text(s, k, "promoting 10.0.0.1:3306: the writer was found read-only") !=
		    SIZE_MAX);
	assert_int_equal(s->n[A].read_only, 0);
	assert_int_equal(s->fsm.writer, A);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, A), 1);
	assert_safe(s);
}

/* ---------------------------------------------------------------------------
 * Reload
 */

/* Rule: a reload waits while a promotion runs or any operation is out (the
 * shell's operations point into the services); then the writer carries
 * over and nothing moves. */
static void test_reload_during_promotion(void **state)
{
	struct sim *s = &S;
	static struct writer_fsm next;
	struct writer_fsm_config cfg;
	int map[2] = { B, A }; /* the reload lists B first */
	uint64_t t;

	(void)state;
	sim_pair_running(s, 2);
	t = s->now;
	s->n[B].applied_at = t + 500 * MS;
	s->n[A].read_only = 1;
	sim_kill_mysqld(s, A);
	sim_run(s, 100 * MS);
	assert_int_equal(s->fsm.phase, WF_APPLY);
	assert_true(writer_fsm_busy(&s->fsm));
	/* promoted, its standby's fence re-asserted... */
	s->n[A].mysqld_up = true; /* A back (read-only): a fence of it follows the opening */
	s->n[A].op_delay = 200 * MS;
	sim_run_until(s, t + 600 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_true(s->fsm.node[A].fence_gen != 0);
	/* ... and until that fence is back, still busy */
	assert_true(writer_fsm_busy(&s->fsm));
	sim_run(s, 200 * MS);
	assert_false(writer_fsm_busy(&s->fsm));

	cfg = s->fsm.cfg;
	cfg.node[0] = s->fsm.cfg.node[B];
	cfg.node[1] = s->fsm.cfg.node[A];
	assert_int_equal(writer_fsm_init(&next, &cfg), 0);
	writer_fsm_carry(&next, &s->fsm, map, true, s->now);
	writer_fsm_set_node(&next, 0, &s->fsm.node[B].s);
	writer_fsm_set_node(&next, 1, &s->fsm.node[A].s);
	assert_int_equal(next.writer, 0);
	assert_true(next.semisync);
	assert_int_equal(next.node[0].semisync_off, s->fsm.node[B].semisync_off);
	assert_int_equal(next.opened_at_us, s->fsm.opened_at_us);
	assert_false(writer_fsm_busy(&next));
	writer_fsm_update(&next, s->now, &s->res);
	for (unsigned k = 0; k < s->res.n; k++) {
		assert_int_not_equal(s->res.act[k].type, WF_ACT_FENCE);
		assert_int_not_equal(s->res.act[k].type, WF_ACT_OPEN);
		assert_int_not_equal(s->res.act[k].type, WF_ACT_LOG);
	}
	assert_int_equal(s->res.n, 1);
	assert_int_equal(s->res.act[0].type, WF_ACT_STEER);
	assert_int_equal(s->res.act[0].node, 0);
	/* an operation's result from before the reload changes nothing */
	struct wf_op_result late = { .op = WF_OP_OPEN, .node = 0, .gen = s->fsm.next_gen, .rc = 0 };

	writer_fsm_op_done(&next, s->now, &late, &s->res);
	assert_int_equal(s->res.n, 0);
	assert_int_equal(next.writer, 0);
}

/* ---------------------------------------------------------------------------
 * One writer under partition (issue 13): the semi-sync fence
 */

/* Rule: the writer's standby lost without proof it is stopped (its host
 * gone, or behind a partition: probes time out): semi-sync stays on, the
 * commits wait, the operator is told after a short grace and again after
 * standby_loss_timeout (policy block); the standby back ends it. */
static void test_standby_lost_without_proof_blocks(void **state)
{
	struct sim *s = &S;
	size_t m, k;
	uint64_t t;

	(void)state;
	sim_pair_running(s, 2);
	s->fsm.cfg.standby_loss_timeout_ms = 2000;
	m = mark(s);
	t = s->now;
	sim_host_down(s, B);
	RUN_WHILE(s, s->fsm.node[B].s.up);
	sim_run(s, 100 * MS);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, A), 0);
	assert_int_equal(s->n[A].semi, 1);
	k = find_text(s, m, "writes wait: the writer 10.0.0.1:3306 has no standby");
	assert_true(k != SIZE_MAX);
	assert_true(find_event(s, m, WF_EV_BLOCKED, A) != SIZE_MAX);
	assert_true(s->fsm.blocked_since_us != 0);
	/* the timeout: said again, still no switch */
	sim_run_until(s, t + 4 * SEC);
	assert_true(find_text(s, k + 1, "writes still wait") != SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, A), 0);
	assert_int_equal(s->fsm.writer, A);
	/* the standby back: the wait ends */
	m = mark(s);
	s->n[B].host_up = true;
	sim_run(s, 1 * SEC);
	assert_true(find_text(s, m, "commits no longer wait: a standby is back") != SIZE_MAX);
	assert_int_equal(s->fsm.blocked_since_us, 0);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, A), 0);
	assert_safe(s);
}

/* Rule: proof that the standby is stopped (its connects refused: mysqld
 * killed or cleanly stopped, its host alive) makes the writer asynchronous
 * at once, without the alarm. */
static void test_standby_stopped_goes_async_quietly(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 2);
	m = mark(s);
	sim_kill_mysqld(s, B); /* EOF first: not yet a proof */
	sim_run(s, 200 * MS);
	assert_int_equal(s->n[A].semi, 0);
	assert_true(find_event(s, m, WF_EV_ASYNC, A) != SIZE_MAX);
	assert_int_equal(find_event(s, m, WF_EV_BLOCKED, A), SIZE_MAX);
	assert_int_equal(find_text(s, m, "writes wait"), SIZE_MAX);
	assert_safe(s);
}

/* Rule: standby_loss_policy async: after the timeout without proof, the
 * writer goes asynchronous, with the warning. */
static void test_standby_loss_policy_async(void **state)
{
	struct sim *s = &S;
	size_t m, k;
	uint64_t lost;

	(void)state;
	sim_pair_running(s, 2);
	s->fsm.cfg.standby_loss_timeout_ms = 1000;
	s->fsm.cfg.standby_loss_async = true;
	m = mark(s);
	sim_host_down(s, B);
	RUN_WHILE(s, s->fsm.node[B].s.up);
	lost = s->now;
	sim_run(s, 900 * MS);
	assert_int_equal(s->n[A].semi, 1);
	sim_run(s, 300 * MS);
	assert_int_equal(s->n[A].semi, 0);
	k = find_text(s, m, "standby_loss_policy async: the writer 10.0.0.1:3306 goes asynchronous");
	assert_true(k != SIZE_MAX);
	assert_true(s->log[k].at >= lost + 1000 * MS);
	assert_true(find_event(s, m, WF_EV_ASYNC, A) != SIZE_MAX);
	assert_int_equal(s->fsm.blocked_since_us, 0);
	assert_safe(s);
}

/* Rule: a read-only candidate promoted while the old writer cannot be
 * reached first stops its own replication from it (DETACH), then goes
 * asynchronous, applies, opens: the old writer, alive or not, can no
 * longer get a commit acknowledged before the candidate takes writes. */
static void test_partition_candidate_detaches_first(void **state)
{
	struct sim *s = &S;
	size_t m, det, dd, sem, open;

	(void)state;
	sim_backup_view(s);
	sim_host_down(s, A); /* from B: adverts and probes stop (a partition) */
	sim_run(s, 40 * MS);
	m = mark(s);
	sim_owner(s, true, 1u << A);
	sim_run(s, 300 * MS);
	assert_int_equal(s->fsm.writer, B);
	det = find(s, m, R_ACT, WF_ACT_DETACH, B);
	dd = find(s, m, R_DONE, WF_ACT_DETACH, B);
	sem = find(s, m, R_ACT, WF_ACT_SEMISYNC, B);
	open = find(s, m, R_ACT, WF_ACT_OPEN, B);
	assert_true(det != SIZE_MAX && dd != SIZE_MAX);
	assert_true(s->log[det].on); /* a silent host: its connection killed first */
	assert_true(dd < sem && sem < open);
	assert_true(s->n[B].io_stopped);
	assert_true(find_text(s, m, "detach ") != SIZE_MAX); /* in the breakdown */
	assert_safe(s);
}

/* Rule: no proof, no promotion: the old writer, unreachable, could go
 * asynchronous by itself (a short rpl_semi_sync_master_timeout) or was
 * read-only when last seen (it may be promoting itself). */
static void test_no_fence_no_promotion(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	for (int variant = 0; variant < 3; variant++) {
		sim_init(s, 2);
		if (variant == 0)
			s->n[A].semi_fallback = true;
		if (variant == 1)
			s->n[A].read_only = 1;
		if (variant == 2)
			s->n[A].semi = 0; /* asynchronous already: it acknowledges alone */
		sim_start_checks(s);
		sim_run(s, 1 * SEC);
		sim_host_down(s, A);
		sim_run(s, 40 * MS);
		m = mark(s);
		sim_owner(s, true, 1u << A);
		sim_run(s, 1 * SEC);
		assert_int_equal(s->fsm.writer, -1);
		assert_int_equal(count_act(s, m, WF_ACT_OPEN, B), 0);
		assert_int_equal(s->n[B].read_only, 1);
		assert_true(strstr(s->fsm.refused, "cannot prove 10.0.0.1:3306 cannot acknowledge") != NULL);
		assert_true(strstr(s->fsm.refused, variant == 0 ? "rpl_semi_sync_master_timeout"
					    : variant == 1 ? "was read-only when last seen"
					    : "semi-sync master side is off") != NULL);
		/* said once, not at every probe */
		assert_true(count_act(s, m, WF_ACT_EVENT, -1) <= 2);
		assert_safe(s);
	}
}

/* Rule: the old writer's mysqld stopped (refused) is proof too: B is
 * promoted even with a fence that would not hold. */
static void test_stopped_writer_needs_no_fence(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_pair_running(s, 2);
	s->n[A].semi_fallback = true;
	sim_run(s, 300 * MS);
	sim_kill_mysqld(s, A);
	sim_run(s, 500 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[B].read_only, 0);
	assert_safe(s);
}

/* Rule: a node that already takes writes, adopted while its peer cannot
 * be reached, does not go asynchronous (its peer may be the one promoting
 * itself) and does not detach: its commits wait for a standby. */
static void test_adopted_writer_keeps_semisync(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_init(s, 2);
	s->n[B].host_up = false;
	s->n[B].probe_timeout = 1 * SEC;
	m = mark(s);
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 4 * SEC);
	assert_int_equal(s->fsm.writer, A);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, A), 0);
	assert_int_equal(count_act(s, m, WF_ACT_DETACH, A), 0);
	assert_int_equal(s->n[A].semi, 1);
	assert_true(find_text(s, m, "keeps semi-sync on") != SIZE_MAX);
	assert_true(s->fsm.blocked_since_us != 0);
	assert_safe(s);
}

/* After a partition healed, as the old writer's xvipd sees it: B was
 * promoted behind it (writable, its IO thread stopped, transactions A
 * lacks); A has commits it could not get acknowledged. */
static void sim_healed(struct sim *s, bool a_errant)
{
	sim_pair_running(s, 2);
	snprintf(s->n[A].gtid, sizeof(s->n[A].gtid), "%s", a_errant ? "1-1-105,2-2-50" : "1-1-100,2-2-50");
	snprintf(s->n[B].gtid, sizeof(s->n[B].gtid), "1-1-100,2-2-90");
	s->n[B].read_only = 0;
	s->n[B].io_stopped = true;
}

/* Rule: the writable node that detached from our writer is the newer
 * writer: it becomes the writer, ours is fenced (not the other way round,
 * which loses what it acknowledged). Ours has errant transactions: said,
 * named, and the new writer does not replicate from it. */
static void test_heal_adopts_newer_writer_errant(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_healed(s, true);
	m = mark(s);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[A].read_only, 1);
	assert_int_equal(s->n[B].read_only, 0);
	assert_true(find_text(s, m, "10.0.0.2:3306 takes writes and stopped replicating from the "
			      "writer 10.0.0.1:3306") != SIZE_MAX);
	/* its commits waiting for an ack hold read_only=ON: it cannot
	 * acknowledge (B does not receive from it), so B opens anyway, and the
	 * fence is tried again later, not at every probe */
	k = find_text(s, m, "errant transactions on 10.0.0.1:3306");
	assert_true(k != SIZE_MAX);
	assert_true(strstr(s->log[k].text, "1-1-101..105") != NULL);
	assert_true(find_event(s, m, WF_EV_ERRANT, A) != SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_ATTACH, -1), 0);
	assert_true(s->n[B].io_stopped);
	assert_int_equal(s->fsm.node[A].errant_n, 5);
	/* not a candidate while errant */
	sim_request(s, A);
	assert_true(s->res.refused);
	assert_true(strstr(s->res.reason, "errant") != NULL);
	/* said once */
	assert_int_equal(find_text(s, k + 1, "errant transactions on"), SIZE_MAX);
	/* resolved by the operator: B replicates from A again */
	m = mark(s);
	snprintf(s->n[B].gtid, sizeof(s->n[B].gtid), "1-1-105,2-2-90");
	sim_run(s, 500 * MS);
	assert_true(find_text(s, m, "has no errant transactions any more") != SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_ATTACH, B), 1);
	assert_false(s->n[B].io_stopped);
	/* (A was writable beside B all along, held: the sim counts that as
	 * two writers; test_heal_held_old_writer_refuses_fence says why it
	 * cannot acknowledge) */
}

/* Rule: nothing errant: the new writer replicates from its peer again at
 * once (the pair is whole, semi-sync can come back). */
static void test_heal_clean_attaches(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_healed(s, false);
	m = mark(s);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(find_text(s, m, "errant"), SIZE_MAX);
	assert_int_equal(count_act(s, m, WF_ACT_ATTACH, B), 1);
	assert_false(s->n[B].io_stopped);
	assert_int_equal(s->n[A].read_only, 1);
	assert_safe(s);
}

/* Rule: the old writer's read_only=ON fails after the heal (its commits
 * that wait for an acknowledgement hold it): it cannot acknowledge (B does
 * not receive from it, it has no fallback), so B becomes the writer all the
 * same, and the fence is tried again every WF_REFENCE_US, not every probe. */
static void test_heal_held_old_writer_refuses_fence(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_healed(s, true);
	s->n[A].refuse_ro = true;
	m = mark(s);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[B].read_only, 0);
	assert_true(find_text(s, m, "but it cannot acknowledge a write") != SIZE_MAX);
	assert_true(count_act(s, m, WF_ACT_FENCE, A) <= 2);
	sim_run(s, 5 * SEC);
	assert_true(count_act(s, m, WF_ACT_FENCE, A) >= 2);
	assert_true(count_act(s, m, WF_ACT_FENCE, A) <= 4);
	s->n[A].refuse_ro = false;
	sim_run(s, 6 * SEC);
	assert_int_equal(s->n[A].read_only, 1);
}

/* Rule: the writer does not replicate again from an old writer that is
 * still writable (its fence held by commits waiting for an ACK), even with
 * nothing errant: that would let it acknowledge again (seen in
 * test_mysql_witness b: 30 s of two writable nodes). Once it is read-only,
 * it does. */
static void test_heal_no_attach_while_old_writer_writable(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_healed(s, false);
	s->n[A].refuse_ro = true;
	m = mark(s);
	sim_run(s, 3 * SEC);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[A].read_only, 0);
	assert_int_equal(count_act(s, m, WF_ACT_ATTACH, B), 0);
	assert_true(s->n[B].io_stopped);
	s->n[A].refuse_ro = false;
	sim_run(s, 6 * SEC);
	assert_int_equal(s->n[A].read_only, 1);
	assert_int_equal(count_act(s, m, WF_ACT_ATTACH, B), 1);
	assert_false(s->n[B].io_stopped);
	/* (A was writable beside B all along, held: the sim counts that as
	 * two writers; test_heal_held_old_writer_refuses_fence says why it
	 * cannot acknowledge) */
}

/* Rule: a peer's facts newer than the writer's (they hold the writer's own
 * latest commits) are not errant; nor is anything while the writer still
 * replicates from its peer. */
static void test_own_commits_not_errant(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_pair_running(s, 2);
	snprintf(s->n[A].gtid, sizeof(s->n[A].gtid), "1-1-100,2-2-50");
	snprintf(s->n[B].gtid, sizeof(s->n[B].gtid), "1-1-104,2-2-50");
	m = mark(s);
	sim_run(s, 500 * MS);
	s->n[A].io_stopped = true; /* detached, say by an earlier promotion */
	snprintf(s->n[B].gtid, sizeof(s->n[B].gtid), "1-1-108,2-2-40");
	sim_run(s, 500 * MS);
	assert_int_equal(find_text(s, m, "errant"), SIZE_MAX);
	assert_int_equal(s->fsm.node[B].errant_n, 0);
	assert_int_equal(count_act(s, m, WF_ACT_ATTACH, A), 1); /* nothing errant: attached */
	assert_safe(s);
}

/* Rule: a standby whose replicated commit waits for an acknowledgement that
 * no peer gives (seen after a healed partition: its peer reconnected past
 * the transaction, its own) gets its semi-sync master side switched off
 * once that has lasted WF_REPL_ACK_STUCK_US, and on again as soon as a peer
 * replicates from it; nothing while a client of it waits too (the held old
 * writer), and nothing for a moment's wait. */
static void test_standby_stuck_on_ack_released(void **state)
{
	struct sim *s = &S;
	size_t m, off, on;

	(void)state;
	sim_pair_running(s, 2);
	m = mark(s);
	s->n[B].ack_stuck = true;
	sim_run(s, 500 * MS); /* WF_REPL_ACK_STUCK_US is 1 s */
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, B), 0); /* not for a moment */
	sim_run(s, 2 * SEC);
	off = find(s, m, R_DONE, WF_ACT_SEMISYNC, B);
	assert_true(off != SIZE_MAX);
	assert_false(s->n[B].ack_stuck);
	assert_true(find_text(s, m, "replication waits for a semi-sync acknowledgement") != SIZE_MAX);
	/* on again: A replicates from B */
	on = find(s, off + 1, R_DONE, WF_ACT_SEMISYNC, B);
	assert_true(on != SIZE_MAX);
	assert_int_equal(s->n[B].semi, 1);
	assert_int_equal(s->fsm.writer, A);
	assert_int_equal(s->n[B].read_only, 1);
	assert_safe(s);

	/* a client waiting as well: left alone */
	sim_pair_running(s, 2);
	m = mark(s);
	s->n[B].ack_stuck = true;
	s->n[B].client_waits = true;
	sim_run(s, 3 * SEC);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, B), 0);
	assert_true(s->n[B].ack_stuck);
	assert_safe(s);
}

/* ---------------------------------------------------------------------------
 * With a witness (ZooKeeper's key, writer_fsm_witness.c)
 */

static void sim_witness_on(struct sim *s)
{
	s->fsm.cfg.witness = true;
	s->wit.connected = true;
	s->wit.version = -1;
	s->wit.writer = -1;
	sim_witness_feed(s);
}

/* Rule: the owner keeps the key naming its writer; the writer whose xvipd
 * holds it, its standby lost without proof, sets state=async (CAS) and
 * goes asynchronous at once, without the alarm. */
static void test_witness_writer_goes_async(void **state)
{
	struct sim *s = &S;
	size_t m, k;
	uint64_t lost;

	(void)state;
	sim_init(s, 2);
	sim_witness_on(s);
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, A);
	assert_true(s->wit.exists && s->wit.mine);
	assert_int_equal(s->wit.writer, A);
	assert_false(s->wit.async);
	m = mark(s);
	sim_host_down(s, B);
	RUN_WHILE(s, s->fsm.node[B].s.up);
	lost = s->now;
	sim_run(s, 20 * MS);
	assert_true(s->wit.async);
	assert_int_equal(s->n[A].semi, 0);
	k = find(s, m, R_DONE, WF_ACT_SEMISYNC, A);
	assert_true(k != SIZE_MAX && s->log[k].at < lost + 10 * MS);
	assert_true(find(s, m, R_DONE, WF_ACT_WITNESS, A) < k); /* the key first */
	assert_int_equal(find_event(s, m, WF_EV_BLOCKED, A), SIZE_MAX);
	assert_true(find_event(s, m, WF_EV_ASYNC, A) != SIZE_MAX);
	assert_int_equal(s->fsm.blocked_since_us, 0);
	/* the standby back: semi-sync on, then the key says sync */
	m = mark(s);
	s->n[B].host_up = true;
	sim_run(s, 1 * SEC);
	assert_int_equal(s->n[A].semi, 1);
	assert_false(s->wit.async);
	assert_true(find(s, m, R_DONE, WF_ACT_SEMISYNC, A) < find(s, m, R_DONE, WF_ACT_WITNESS, A));
	assert_safe(s);
}

/* Rule: state=sync is a promise that the writer cannot acknowledge alone:
 * while its semi-sync switch-off is in flight (the key already says async),
 * the probes that arrive meanwhile never set the key back to sync; a
 * candidate that saw "sync" then could take it from a writer that is
 * acknowledging alone (seen in test_mysql_witness.sh: 82 acknowledged
 * writes lost). */
static void test_witness_async_key_stays_while_semisync_goes_off(void **state)
{
	struct sim *s = &S;
	size_t m, k, off;

	(void)state;
	sim_init(s, 2);
	sim_witness_on(s);
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_int_equal(s->fsm.writer, A);
	assert_false(s->wit.async);
	s->n[A].op_delay = 350 * MS; /* several probes land meanwhile */
	m = mark(s);
	sim_host_down(s, B);
	sim_run(s, 2 * SEC);
	k = find(s, m, R_DONE, WF_ACT_WITNESS, A);
	off = find(s, m, R_DONE, WF_ACT_SEMISYNC, A);
	assert_true(k != SIZE_MAX && off != SIZE_MAX && k < off);
	for (size_t i = k; i < s->nlog; i++)
		if (s->log[i].kind == R_ACT && s->log[i].type == WF_ACT_WITNESS)
			assert_true(s->log[i].on); /* never "sync" again with B gone */
	assert_true(s->wit.async);
	assert_int_equal(s->n[A].semi, 0);
	assert_safe(s);
}

/* Rule: a candidate takes the key (replacing a synchronous writer's, one
 * compare-and-swap) before it detaches and opens. */
static void test_witness_candidate_claims_first(void **state)
{
	struct sim *s = &S;
	size_t m, claim, det;

	(void)state;
	sim_backup_view(s);
	sim_witness_on(s);
	sim_witness_other(s, A, false);
	sim_host_down(s, A);
	sim_run(s, 40 * MS);
	m = mark(s);
	sim_owner(s, true, 1u << A);
	sim_run(s, 300 * MS);
	assert_int_equal(s->fsm.writer, B);
	claim = find(s, m, R_DONE, WF_ACT_WITNESS, B);
	det = find(s, m, R_ACT, WF_ACT_DETACH, B);
	assert_true(claim != SIZE_MAX && claim < det);
	assert_true(s->wit.mine);
	assert_int_equal(s->wit.writer, B);
	assert_safe(s);
}

/* Rule: the key names another writer that acknowledges alone: nobody is
 * promoted (the writer on the other side keeps the writes). */
static void test_witness_async_writer_forbids(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_backup_view(s);
	sim_witness_on(s);
	sim_witness_other(s, A, true);
	sim_host_down(s, A);
	sim_run(s, 40 * MS);
	m = mark(s);
	sim_owner(s, true, 1u << A);
	sim_run(s, 500 * MS);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(count_act(s, m, WF_ACT_OPEN, B), 0);
	assert_true(strstr(s->fsm.refused, "the witness says 10.0.0.1:3306 is the writer") != NULL);
	assert_safe(s);
}

/* Rule: with the witness configured but out of reach, a node that cannot
 * be reached is not promoted over. */
static void test_witness_unreachable_no_promotion(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_backup_view(s);
	sim_witness_on(s);
	s->wit.connected = false;
	sim_witness_feed(s);
	sim_host_down(s, A);
	sim_run(s, 40 * MS);
	sim_owner(s, true, 1u << A);
	sim_run(s, 500 * MS);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(s->n[B].read_only, 1);
	assert_true(strstr(s->fsm.refused, "the witness cannot be reached") != NULL);
	assert_safe(s);
}

/* Rule: a candidate took the key before our state=async landed: the CAS
 * fails and the writer keeps waiting (then the alarm). */
static void test_witness_cas_lost_keeps_waiting(void **state)
{
	struct sim *s = &S;
	size_t m;

	(void)state;
	sim_init(s, 2);
	sim_witness_on(s);
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	assert_true(s->wit.mine);
	m = mark(s);
	sim_host_down(s, B);
	RUN_WHILE(s, !s->wit.busy); /* our state=async is on its way */
	sim_witness_other(s, B, false); /* B's xvipd took the key first */
	sim_run(s, 500 * MS);
	assert_int_equal(s->n[A].semi, 1);
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, A), 0);
	assert_true(find_text(s, m, "writes wait") != SIZE_MAX);
	assert_safe(s);
}

/* Rule: the session lost (or the key taken) while the writer is
 * asynchronous by the key: semi-sync on again at once, before the session
 * can expire and someone else take the key and the writes. */
static void test_witness_session_lost_demotes(void **state)
{
	struct sim *s = &S;
	size_t m, k;

	(void)state;
	sim_init(s, 2);
	sim_witness_on(s);
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	sim_host_down(s, B);
	RUN_WHILE(s, s->fsm.node[B].s.up);
	sim_run(s, 20 * MS);
	assert_int_equal(s->n[A].semi, 0); /* asynchronous by the key */
	m = mark(s);
	s->wit.connected = false;
	sim_witness_feed(s);
	sim_run(s, 10 * MS);
	k = find(s, m, R_ACT, WF_ACT_SEMISYNC, A);
	assert_true(k != SIZE_MAX && s->log[k].on);
	assert_int_equal(s->n[A].semi, 1);
	assert_true(find_text(s, m, "no longer surely held") != SIZE_MAX);
	/* the session back, the key still ours from before: asynchronous again */
	m = mark(s);
	s->wit.connected = true;
	sim_witness_feed(s);
	sim_run(s, 100 * MS);
	assert_int_equal(s->n[A].semi, 1); /* a key held again only now proves nothing */
	/* and the key stays async: A acknowledged alone while it was, and B
	 * does not have those writes; "sync" would let B take the key and lose
	 * them (seen in test_mysql_witness.sh e) */
	assert_true(s->wit.async);
	for (size_t i = m; i < s->nlog; i++)
		if (s->log[i].kind == R_ACT && s->log[i].type == WF_ACT_WITNESS)
			assert_true(s->log[i].on);
	sim_run(s, 1 * SEC);
	assert_true(s->wit.async);
	/* B back and replicating: now the promise holds again */
	s->n[B].host_up = true;
	sim_run(s, 2 * SEC);
	assert_false(s->wit.async);
	assert_int_equal(s->n[A].semi, 1);
	assert_safe(s);
}

/* Rule: a key created after the standby was lost (the previous one's
 * holder expired, perhaps a candidate that took the writes) does not let
 * the writer go asynchronous. */
static void test_witness_fresh_key_no_async(void **state)
{
	struct sim *s = &S;
	char why[WF_WHY_LEN];
	size_t m;

	(void)state;
	sim_init(s, 2);
	sim_witness_on(s);
	sim_start_checks(s);
	sim_owner(s, true, 0);
	sim_run(s, 1 * SEC);
	m = mark(s);
	sim_host_down(s, B);            /* cut off, as A's xvipd sees within
					 * a probe, before B's key can expire */
	RUN_WHILE(s, writer_fsm_reachable(&s->fsm, B, why, sizeof(why)));
	sim_witness_other(s, B, true); /* B's xvipd took the key (B promoted) */
	s->wit.exists = false;          /* then its session expired */
	s->wit.version = -1;
	sim_witness_feed(s);
	sim_run(s, 1 * SEC);
	assert_false(s->wit.exists); /* no fresh key with B out of view */
	assert_int_equal(count_act(s, m, WF_ACT_SEMISYNC, A), 0);
	assert_int_equal(s->n[A].semi, 1);
	assert_true(find_text(s, m, "writes wait") != SIZE_MAX);
	assert_safe(s);
}

/* Rule: no key at all and a node that cannot be reached: a read-only
 * candidate does not start a fresh key (the vanished one's holder may have
 * acknowledged writes alone). */
static void test_witness_no_fresh_claim_over_gone(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_backup_view(s);
	sim_witness_on(s);
	sim_host_down(s, A);
	sim_run(s, 40 * MS);
	sim_owner(s, true, 1u << A);
	sim_run(s, 500 * MS);
	assert_int_equal(s->fsm.writer, -1);
	assert_int_equal(s->n[B].read_only, 1);
	assert_true(strstr(s->fsm.refused, "holds no key") != NULL);
	assert_safe(s);
}

/* Rule: a key seen deleted straight after a version naming a synchronous
 * writer (its session expired before the candidate decided: the writer's
 * host died, a loaded candidate) lets the candidate start a fresh key: the
 * writer could not acknowledge alone without setting state=async first.
 * Not with standby_loss_policy async (it may go without the key). */
static void test_witness_vanished_sync_key_claimed(void **state)
{
	struct sim *s = &S;

	(void)state;
	sim_backup_view(s);
	sim_witness_on(s);
	s->wit.vanished_sync = true; /* "writer=A state=sync", then deleted */
	sim_witness_feed(s);
	sim_host_down(s, A);
	sim_run(s, 40 * MS);
	sim_owner(s, true, 1u << A);
	sim_run(s, 500 * MS);
	assert_int_equal(s->fsm.writer, B);
	assert_int_equal(s->n[B].read_only, 0);
	assert_true(s->wit.exists && s->wit.mine);
	assert_int_equal(s->wit.writer, B);
	assert_safe(s);

	/* with standby_loss_policy async: refused as before */
	sim_backup_view(s);
	s->fsm.cfg.standby_loss_async = true;
	sim_witness_on(s);
	s->wit.vanished_sync = true;
	sim_witness_feed(s);
	sim_host_down(s, A);
	sim_run(s, 40 * MS);
	sim_owner(s, true, 1u << A);
	sim_run(s, 500 * MS);
	assert_int_equal(s->fsm.writer, -1);
	assert_true(strstr(s->fsm.refused, "holds no key") != NULL);
	assert_safe(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adopts_the_writable_node),
		cmocka_unit_test(test_highest_weight_when_none_writable),
		cmocka_unit_test(test_weight_zero_never_chosen),
		cmocka_unit_test(test_waits_for_every_check),
		cmocka_unit_test(test_writer_dies_standby_promoted),
		cmocka_unit_test(test_writer_killed_seen_by_kernel),
		cmocka_unit_test(test_fast_promote_detach_refused),
		cmocka_unit_test(test_fast_promote_not_applied),
		cmocka_unit_test(test_fast_promote_semi_failure_not_fatal),
		cmocka_unit_test(test_fast_promote_not_with_a_live_node),
		cmocka_unit_test(test_hung_writer_fenced_for_wakeup),
		cmocka_unit_test(test_apply_timeout_refuses),
		cmocka_unit_test(test_lagging_standby_waited_for),
		cmocka_unit_test(test_sql_error_refuses),
		cmocka_unit_test(test_sql_stopped_refuses),
		cmocka_unit_test(test_fence_before_open),
		cmocka_unit_test(test_fence_refused_by_reachable_node_refuses),
		cmocka_unit_test(test_no_failback),
		cmocka_unit_test(test_operator_hand_back),
		cmocka_unit_test(test_standby_lost_while_promoting),
		cmocka_unit_test(test_standby_lost_semisync_off_and_on),
		cmocka_unit_test(test_silent_node_never_chosen),
		cmocka_unit_test(test_silent_node_answers_within_grace),
		cmocka_unit_test(test_silent_probe_started_before_proves_nothing),
		cmocka_unit_test(test_silent_failed_probe_holds_nothing),
		cmocka_unit_test(test_silent_failing_node_no_grace),
		cmocka_unit_test(test_silent_node_answers_during_promotion),
		cmocka_unit_test(test_late_semisync_off_recorded),
		cmocka_unit_test(test_momentary_owner_undoes_semisync),
		cmocka_unit_test(test_abort_when_candidate_gone),
		cmocka_unit_test(test_one_failed_probe_is_not_gone),
		cmocka_unit_test(test_late_results_ignored),
		cmocka_unit_test(test_reopen_writer_found_read_only),
		cmocka_unit_test(test_reload_during_promotion),
		cmocka_unit_test(test_standby_lost_without_proof_blocks),
		cmocka_unit_test(test_standby_stopped_goes_async_quietly),
		cmocka_unit_test(test_standby_loss_policy_async),
		cmocka_unit_test(test_partition_candidate_detaches_first),
		cmocka_unit_test(test_no_fence_no_promotion),
		cmocka_unit_test(test_stopped_writer_needs_no_fence),
		cmocka_unit_test(test_adopted_writer_keeps_semisync),
		cmocka_unit_test(test_heal_adopts_newer_writer_errant),
		cmocka_unit_test(test_heal_clean_attaches),
		cmocka_unit_test(test_own_commits_not_errant),
		cmocka_unit_test(test_heal_held_old_writer_refuses_fence),
		cmocka_unit_test(test_heal_no_attach_while_old_writer_writable),
		cmocka_unit_test(test_standby_stuck_on_ack_released),
		cmocka_unit_test(test_witness_writer_goes_async),
		cmocka_unit_test(test_witness_async_key_stays_while_semisync_goes_off),
		cmocka_unit_test(test_witness_candidate_claims_first),
		cmocka_unit_test(test_witness_async_writer_forbids),
		cmocka_unit_test(test_witness_unreachable_no_promotion),
		cmocka_unit_test(test_witness_cas_lost_keeps_waiting),
		cmocka_unit_test(test_witness_session_lost_demotes),
		cmocka_unit_test(test_witness_fresh_key_no_async),
		cmocka_unit_test(test_witness_no_fresh_claim_over_gone),
		cmocka_unit_test(test_witness_vanished_sync_key_claimed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
