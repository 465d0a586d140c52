/* The writer's shell: runs writer_fsm's inputs with the time and carries
 * out its actions. See writer.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "sbuf.h"
#include "scripts.h"
#include "writer.h"

/* An operation in flight: its done hands the result back to the fsm. */
struct writer_op {
	struct writer_op *next, *prev;
	struct writer *w;
	enum wf_op op;
	int node;
	uint64_t gen;
	struct mysql_promote_result pr; /* PROMOTE: filled before op_done */
};

static void apply(struct writer *w, const struct wf_result *r);

int writer_init(struct writer *w, struct loop *l, const char *name,
		const struct writer_fsm_config *cfg, const uint32_t *addr, const struct script_cmd *notify,
		const struct writer_hooks *hooks)
{
	memset(w, 0, sizeof(*w));
	if (writer_fsm_init(&w->fsm, cfg) < 0)
		return -1;
	w->loop = l;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->notify = notify;
	w->hooks = *hooks;
	for (size_t i = 0; i < cfg->n_nodes; i++)
		ip4_str(addr[i], w->addr[i]);
	return 0;
}

void writer_fini(struct writer *w)
{
	if (w->timer)
		loop_cancel_timer(w->loop, w->timer);
	w->timer = 0;
	while (w->ops) {
		struct writer_op *o = w->ops;

		w->ops = o->next;
		free(o);
	}
}

/* ---- history and notify_writer ------------------------------------------ */

/* self-contained: a reload may rebuild the services before it runs; kept
 * on a list of their own so that those still due when the loop ends are
 * freed (writer_notify_drop) */
struct deferred_notify {
	struct deferred_notify *next, *prev;
	char name[32];
	struct script_cmd *cmd;
	struct writer_event e;
};

static struct deferred_notify *pending;

static void notify_unlink_free(struct deferred_notify *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		pending = n->next;
	if (n->next)
		n->next->prev = n->prev;
	script_cmd_free(n->cmd);
	free(n);
}

static void notify_fire(struct loop *l, uint64_t id, void *arg)
{
	struct deferred_notify *n = arg;
	const char *args[] = { "WRITER", n->name, n->e.what, n->e.addr, n->e.reason, NULL };
	char err[256];

	(void)id;
	if (script_notify(l, n->cmd, args, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "[%s] notify_writer: %s", n->name, err);
	notify_unlink_free(n);
}

void writer_notify_drop(void)
{
	while (pending)
		notify_unlink_free(pending);
}

static void event(struct writer *w, const struct wf_action *a)
{
	struct writer_event *e = RING_PUSH(w->hist, w->nhist, WRITER_HISTORY);
	struct deferred_notify *n;

	memset(e, 0, sizeof(*e));
	e->wall_ms = realtime_ms();
	snprintf(e->what, sizeof(e->what), "%s", wf_event_str(a->event));
	snprintf(e->addr, sizeof(e->addr), "%s", a->node >= 0 ? w->addr[a->node] : "-");
	snprintf(e->reason, sizeof(e->reason), "%s", a->text);
	e->took_us = a->took_us;
	if (w->hooks.event)
		w->hooks.event(w->hooks.arg, e);
	if (!w->notify)
		return;
	/* Never between a decision and its action: a fork costs milliseconds
	 * on a busy host. The script runs on the next turn of the loop, once
	 * the promotion's queries are on the wire. */
	n = calloc(1, sizeof(*n));
	if (n)
		n->cmd = script_cmd_dup(w->notify);
	if (!n || !n->cmd || !loop_add_timer(w->loop, now_us(), notify_fire, n)) {
		if (n)
			script_cmd_free(n->cmd);
		free(n);
		xlog(LOG_ERR, "[%s] notify_writer: out of memory", w->name);
		return;
	}
	snprintf(n->name, sizeof(n->name), "%s", w->name);
	n->e = *e;
	n->next = pending;
	if (pending)
		pending->prev = n;
	pending = n;
}

/* ---- operations ----------------------------------------------------------- */

static void op_done(void *arg, int rc, const char *err)
{
	struct writer_op *o = arg;
	struct writer *w = o->w;
	struct wf_op_result r = { .op = o->op, .node = o->node, .gen = o->gen, .rc = rc, .err = err };
	struct mysql_promote_result pr = o->pr;
	struct wf_result res;

	if (o->prev)
		o->prev->next = o->next;
	else
		w->ops = o->next;
	if (o->next)
		o->next->prev = o->prev;
	free(o);
	if (r.op == WF_OP_PROMOTE) {
		r.detached = pr.detached;
		r.semi_switched = pr.semi_switched;
		r.applied = pr.applied;
		r.opened = pr.opened;
		r.semi_err = pr.semi_err[0] ? pr.semi_err : NULL;
		r.detach_us = pr.detach_us;
		r.semi_us = pr.semi_us;
		r.apply_us = pr.apply_us;
		r.open_us = pr.open_us;
		r.queued_us = pr.queued_us;
		r.rt1_us = pr.rt1_us;
		r.rt2_us = pr.rt2_us;
	}
	writer_fsm_op_done(&w->fsm, now_us(), &r, &res);
	apply(w, &res);
}

/* Queues the operation a on its node's admin connection. 0, or -errno
 * when it could not be (its result is then handed back by the caller). */
static int op_start(struct writer *w, const struct wf_action *a, enum wf_op *op)
{
	struct mysql_admin_req req = { .timeout_ms = a->timeout_ms };
	struct check *c = a->node >= 0 ? w->mysql[a->node] : NULL;
	struct writer_op *o;
	int rc;

	switch (a->type) {
	case WF_ACT_FENCE:
		*op = WF_OP_FENCE;
		req.kind = MYSQL_ADMIN_READ_ONLY;
		req.read_only = true;
		break;
	case WF_ACT_OPEN:
		*op = WF_OP_OPEN;
		req.kind = MYSQL_ADMIN_READ_ONLY;
		req.read_only = false;
		break;
	case WF_ACT_SEMISYNC:
		*op = WF_OP_SEMISYNC;
		req.kind = MYSQL_ADMIN_SQL;
		req.sql = a->on ? "SET GLOBAL rpl_semi_sync_master_enabled = ON"
				: "SET GLOBAL rpl_semi_sync_master_enabled = OFF";
		break;
	case WF_ACT_DETACH:
		*op = WF_OP_DETACH;
		req.kind = MYSQL_ADMIN_SQL;
		/* STOP SLAVE alone takes 2 s when the master's host is gone
		 * (the IO thread, blocked in its read, misses the first wake-up
		 * and the semi-sync slave then tries to reach the master); its
		 * connection killed first, the IO thread stops within ms. From
		 * the KILL on it reads, so acknowledges, nothing more. */
		req.sql = "BEGIN NOT ATOMIC DECLARE i BIGINT DEFAULT NULL; SELECT id INTO i FROM "
			  "information_schema.processlist WHERE command='Slave_IO' LIMIT 1; IF i "
			  "IS NOT NULL THEN KILL i; DO SLEEP(0.005); END IF; STOP SLAVE IO_THREAD; END";
		/* Every gone node proven stopped (a refused connect, or its
		 * xvipd reset the connections of its dead mysqld): the IO
		 * thread already saw its connection end, STOP is quick (the
		 * kill and its 5 ms grace cost 8-22 ms there). */
		if (!a->on)
			req.sql = "STOP SLAVE IO_THREAD";
		break;
	case WF_ACT_ATTACH:
		*op = WF_OP_ATTACH;
		req.kind = MYSQL_ADMIN_SQL;
		req.sql = "START SLAVE IO_THREAD";
		break;
	case WF_ACT_PROMOTE:
		*op = WF_OP_PROMOTE;
		req.kind = MYSQL_ADMIN_PROMOTE;
		req.detach = a->detach;
		req.semi_off = a->semi_off;
		break;
	default:
		*op = WF_OP_WAIT_APPLIED;
		req.kind = MYSQL_ADMIN_WAIT_APPLIED;
		break;
	}
	if (a->type == WF_ACT_WITNESS) {
		*op = WF_OP_WITNESS;
		if (!w->hooks.witness)
			return -ENOTCONN;
		o = calloc(1, sizeof(*o));
		if (!o)
			return -ENOMEM;
		*o = (struct writer_op){ .w = w, .op = *op, .node = a->node, .gen = a->gen };
		rc = w->hooks.witness(w->hooks.arg, a, op_done, o);
		if (rc < 0) {
			free(o);
			return rc;
		}
		goto queued;
	}
	if (!c)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	*o = (struct writer_op){ .w = w, .op = *op, .node = a->node, .gen = a->gen };
	if (a->type == WF_ACT_PROMOTE)
		req.promote = &o->pr;
	rc = mysql_admin_queue(c, &req, op_done, o);
	if (rc < 0) {
		free(o);
		return rc;
	}
queued:
	o->next = w->ops;
	if (w->ops)
		w->ops->prev = o;
	w->ops = o;
	return 0;
}

/* ---- the timer ------------------------------------------------------------ */

static void timer_fire(struct loop *l, uint64_t id, void *arg)
{
	struct writer *w = arg;
	struct wf_result res;

	(void)l;
	if (id != w->timer)
		return;
	w->timer = 0;
	writer_fsm_timer(&w->fsm, now_us(), &res);
	apply(w, &res);
}

static void timer_set(struct writer *w, uint64_t at)
{
	if (w->timer)
		loop_cancel_timer(w->loop, w->timer);
	w->timer = 0;
	if (at == WF_NO_DEADLINE)
		return;
	w->timer = loop_add_timer(w->loop, at, timer_fire, w);
	if (!w->timer)
		xlog(LOG_ERR, "[%s] cannot arm the writer's timer (out of memory)", w->name);
}

/* ---- carrying out ----------------------------------------------------------- */

static const int log_level[] = {
	[WF_LOG_INFO] = LOG_INFO,
	[WF_LOG_NOTICE] = LOG_NOTICE,
	[WF_LOG_WARNING] = LOG_WARNING,
	[WF_LOG_ERR] = LOG_ERR,
};

static void apply(struct writer *w, const struct wf_result *r)
{
	struct wf_op_result failed[WF_MAX_ACTIONS];
	char why[WF_MAX_ACTIONS][64];
	unsigned nfailed = 0;

	if (r->overflow)
		xlog(LOG_ERR, "[%s] the writer's state machine dropped actions (more than %d)",
		     w->name, WF_MAX_ACTIONS);
	for (unsigned k = 0; k < r->n; k++) {
		const struct wf_action *a = &r->act[k];
		enum wf_op op;
		int rc;

		switch (a->type) {
		case WF_ACT_FENCE:
		case WF_ACT_SEMISYNC:
		case WF_ACT_WAIT_APPLIED:
		case WF_ACT_OPEN:
		case WF_ACT_DETACH:
		case WF_ACT_ATTACH:
		case WF_ACT_WITNESS:
		case WF_ACT_PROMOTE:
			rc = op_start(w, a, &op);
			if (rc < 0) {
				/* handed back once this result is carried out */
				snprintf(why[nfailed], sizeof(why[nfailed]), "%s", strerror(-rc));
				failed[nfailed] = (struct wf_op_result){
					.op = op, .node = a->node, .gen = a->gen, .rc = rc,
					.not_started = true, .err = why[nfailed],
				};
				nfailed++;
			}
			break;
		case WF_ACT_STEER:
			if (w->hooks.steer)
				w->hooks.steer(w->hooks.arg, a->on, a->node, a->fresh);
			break;
		case WF_ACT_PROBE:
			if (w->hooks.probe)
				w->hooks.probe(w->hooks.arg, a->node);
			break;
		case WF_ACT_EVENT:
			event(w, a);
			break;
		case WF_ACT_LOG:
			xlog(log_level[a->level], "[%s] %s", w->name, a->text);
			break;
		case WF_ACT_TIMER:
			timer_set(w, a->at);
			break;
		}
	}
	for (unsigned k = 0; k < nfailed; k++) {
		struct wf_result res;

		writer_fsm_op_done(&w->fsm, now_us(), &failed[k], &res);
		apply(w, &res);
	}
}

/* ---- inputs ------------------------------------------------------------------ */

void writer_changed(struct writer *w, int node, const struct wf_node *s)
{
	struct wf_result res;

	writer_fsm_changed(&w->fsm, now_us(), node, s, &res);
	apply(w, &res);
}

void writer_probed(struct writer *w, int node, const struct wf_node *s, const struct wf_probe *p)
{
	struct wf_result res;

	writer_fsm_probed(&w->fsm, now_us(), node, s, p, &res);
	apply(w, &res);
}

void writer_owner(struct writer *w, bool owner, uint32_t silent)
{
	struct wf_result res;

	writer_fsm_owner(&w->fsm, now_us(), owner, silent, &res);
	apply(w, &res);
}

void writer_witness(struct writer *w, const struct wf_witness *k)
{
	struct wf_result res;

	writer_fsm_witness(&w->fsm, now_us(), k, &res);
	apply(w, &res);
}

void writer_update(struct writer *w)
{
	struct wf_result res;

	writer_fsm_update(&w->fsm, now_us(), &res);
	apply(w, &res);
}

void writer_request(struct writer *w, int node, struct sbuf *b)
{
	struct wf_result res;

	writer_fsm_request(&w->fsm, now_us(), node, &res);
	apply(w, &res);
	if (res.reason[0])
		sb_printf(b, "%s[%s] %s\n", res.refused ? "error: " : "", w->name, res.reason);
}

void writer_carry(struct writer *w, const struct writer *old, const int *map, bool owner)
{
	writer_fsm_carry(&w->fsm, old ? &old->fsm : NULL, map, owner, now_us());
	if (old) {
		memcpy(w->hist, old->hist, sizeof(w->hist));
		w->nhist = old->nhist;
	}
}

bool writer_busy(const struct writer *w)
{
	return writer_fsm_busy(&w->fsm) || w->ops;
}
