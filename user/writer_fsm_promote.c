/*
 * writer_fsm_promote.c - the promotion of the MySQL writer, part of the
 * writer's state machine (writer_fsm.h): pure, time in, actions out.
 *
 * A promotion is a chain of phases, each waiting for operations' results:
 *   FENCE    every other reachable node gets read_only=ON (manage_read_only)
 *   SEMISYNC with no standby up, the candidate's semi-sync master side is
 *            switched off (nobody could acknowledge: every commit would
 *            hang for rpl_semi_sync_master_timeout); on again when one is.
 *            Before apply: with log_slave_updates, the transactions the
 *            candidate's SQL thread applies are commits of its own binlog,
 *            and in a dual-master pair each of them would wait for the dead
 *            peer's acknowledgement (state "Waiting for semi-sync ACK from
 *            slave") until that timeout, holding the promotion for seconds
 *   APPLY    the candidate applies what it received (MASTER_GTID_WAIT)
 *   OPEN     the candidate gets read_only=OFF
 * and then the DR maps send every flow to it (STEER). A step that fails
 * stops the chain: nobody is promoted and the operator is told why (log,
 * event).
 *
 * Also here: what the operations' results do (wf_op_result), and the
 * semi-sync switches outside a promotion.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "writer_fsm.h"
#include "writer_fsm_int.h"

void wf_promo_fail(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
		   const char *fmt, ...)
{
	int c = fsm->candidate;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fsm->refused, sizeof(fsm->refused), fmt, ap);
	va_end(ap);
	wf_say(out, WF_LOG_ERR, "NOT promoting %s: %s", c >= 0 ? wf_name(fsm, c) : "anyone", fsm->refused);
	wf_event(out, now, WF_EV_REFUSED, c, fsm->refused, fsm->promo_start_us);
	fsm->phase = WF_IDLE;
	fsm->candidate = -1;
	fsm->step_gen = 0;
	fsm->promo_gen++;
	wf_steer(fsm, out, false); /* no writer: nobody takes writes through the VIP */
}

/* read_only=ON on a node. count: the promotion's fence step waits for it
 * (also when a fence of it is already in flight). */
void wf_fence(struct writer_fsm *fsm, struct wf_result *out, int i, bool count)
{
	struct wf_node_state *n = &fsm->node[i];

	if (!fsm->cfg.node[i].has_mysql)
		return;
	if (!n->fence_gen) {
		struct wf_action *a = wf_op(fsm, out, WF_ACT_FENCE, i);

		if (!a)
			return;
		n->fence_gen = a->gen;
	}
	if (count && !n->fence_counted) {
		n->fence_counted = true;
		fsm->pending++;
	}
}

/* The step's operation on the candidate; false when there was no room for
 * it (the promotion is then refused). */
static bool step_op(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
		    enum wf_action_type t, bool on, uint32_t timeout_ms)
{
	struct wf_action *a = wf_op(fsm, out, t, fsm->candidate);

	if (!a) {
		wf_promo_fail(fsm, now, out, "too many actions at once");
		return false;
	}
	a->on = on;
	a->timeout_ms = timeout_ms;
	fsm->step_gen = a->gen;
	return true;
}

static void promoted(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	int w = fsm->candidate;
	char why[WF_WHY_LEN];
	uint64_t prev = fsm->promo_start_us;
	unsigned part[5];

	fsm->writer = w;
	fsm->candidate = -1;
	fsm->phase = WF_IDLE;
	fsm->step_gen = 0;
	fsm->lost_at_us = 0;
	fsm->opened_at_us = now;
	fsm->refused[0] = 0;
	wf_steer(fsm, out, true); /* its MAC read afresh: it may have changed */
	/* Re-assert read_only=ON on every standby (facts can be one probe
	 * old), which also opens the admin connection the next promotion of
	 * that standby will use: a failover then costs no connect. */
	if (fsm->cfg.manage_read_only)
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			if ((int)i != w && fsm->node[i].s.up)
				wf_fence(fsm, out, (int)i, false);
	/* where the time went: from the loss (or request) to our first step,
	 * then fence, semi-sync, apply and open; 0 for a step skipped */
	fsm->step_us[WF_OPEN] = now;
	for (int k = 0; k < 5; k++) {
		uint64_t end = fsm->step_us[k] ? fsm->step_us[k] : prev;

		part[k] = end > prev ? (unsigned)(end - prev) : 0;
		prev = end > prev ? end : prev;
	}
	snprintf(why, sizeof(why), "%s replication, applied all it received; detect->start %u, "
		 "fence %u, semi-sync %u, apply %u, open %u us",
		 fsm->semisync ? "semi-synchronous" : "asynchronous", part[0], part[1], part[2],
		 part[3], part[4]);
	wf_say(out, WF_LOG_NOTICE, "writer is now %s (%s; %u us after the decision)", wf_name(fsm, w), why,
	    (unsigned)(now - fsm->promo_start_us));
	wf_event(out, now, WF_EV_PROMOTED, w, why, fsm->promo_start_us);
}

/* Before the candidate opens: a node that is not gone and may still take
 * writes is fenced first, and waited for. The fence step did not wait for
 * a node whose host was silent then; it may have answered since (alive,
 * writable by its fresh facts, its fence still in flight or failed). true
 * when the opening must wait for such fences (counted in pending). */
static bool open_must_wait(struct writer_fsm *fsm, struct wf_result *out)
{
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_node_state *n = &fsm->node[i];
		const struct wf_mysql *nf = wf_facts(fsm, (int)i);
		bool writable;

		if ((int)i == fsm->candidate || !nf || wf_gone(fsm, (int)i))
			continue;
		/* writable after our last fence of it, by a probe since */
		writable = nf->valid && nf->read_only == 0 &&
			   n->s.probe_start_max_us > n->fenced_at_us;
		if (n->fence_gen || writable)
			wf_fence(fsm, out, (int)i, true);
	}
	return fsm->pending != 0;
}

void wf_step(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	int c = fsm->candidate;
	bool manage = fsm->cfg.manage_read_only;
	const struct wf_mysql *f = c >= 0 ? wf_facts(fsm, c) : NULL;
	char why[WF_WHY_LEN];

	/* the previous phase ended now (for the breakdown in the log) */
	if (fsm->phase > WF_FENCE && fsm->phase <= WF_OPEN)
		fsm->step_us[fsm->phase - 1] = now;
	switch (fsm->phase) {
	case WF_FENCE:
		memset(fsm->step_us, 0, sizeof(fsm->step_us));
		fsm->step_us[WF_IDLE] = now; /* the decision's handling starts */
		fsm->pending = 0;
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			fsm->node[i].fence_counted = false;
		for (size_t i = 0; manage && i < fsm->cfg.n_nodes; i++) {
			const struct wf_node_state *n = &fsm->node[i];
			const struct wf_mysql *nf = wf_facts(fsm, (int)i);

			if ((int)i == c || !nf)
				continue;
			/* A dead node is not waited for: the data plane
			 * already sends it nothing; it is fenced when it comes
			 * back (see writer_fsm_probed). */
			if (!n->s.up)
				continue;
			if (nf->valid && nf->read_only == 1 && !n->fence_gen)
				continue;
			/* Nor one whose host went silent: its fence is
			 * started, best effort, and it is fenced when it
			 * answers again anyway. A node that merely failed a
			 * probe is waited for: it may be alive and writable. */
			if (writer_fsm_gone(fsm, (int)i, why, sizeof(why))) {
				wf_say(out, WF_LOG_NOTICE, "fencing %s without waiting for it: %s",
				    wf_name(fsm, (int)i), why);
				wf_fence(fsm, out, (int)i, false);
				continue;
			}
			wf_fence(fsm, out, (int)i, true);
		}
		if (fsm->pending)
			return; /* the fences' results continue */
		fsm->phase = WF_SEMISYNC;
		/* fall through */
	case WF_SEMISYNC:
		/* chosen as reachable a moment ago: now only its death (or its
		 * host's silence) or its replication stops it, not one slow
		 * probe on a loaded host */
		if (writer_fsm_gone(fsm, c, why, sizeof(why)) ||
		    !wf_replication_ok(fsm, c, why, sizeof(why))) {
			wf_promo_fail(fsm, now, out, "%s", why);
			return;
		}
		/* server settings are xvipd's to change only with manage_read_only */
		if (manage && f && f->valid && f->semi_sync_master_enabled == 1 &&
		    !wf_standby_up(fsm, c)) {
			step_op(fsm, now, out, WF_ACT_SEMISYNC, false, 0);
			return;
		}
		fsm->phase = WF_APPLY;
		/* fall through */
	case WF_APPLY:
		if (f) {
			step_op(fsm, now, out, WF_ACT_WAIT_APPLIED, false, fsm->cfg.promote_timeout_ms);
			return;
		}
		fsm->phase = WF_OPEN;
		/* fall through */
	case WF_OPEN:
		if (manage && f && open_must_wait(fsm, out)) {
			wf_say(out, WF_LOG_NOTICE, "not opening %s yet: a node that answered during the "
			    "promotion is fenced first", wf_name(fsm, c));
			fsm->phase = WF_FENCE; /* the fences' results run the chain again */
			return;
		}
		if (manage && f) {
			step_op(fsm, now, out, WF_ACT_OPEN, false, 0);
			return;
		}
		promoted(fsm, now, out);
		return;
	case WF_IDLE:
		return;
	}
}

void wf_promote(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int i,
		const char *why, uint64_t since)
{
	wf_say(out, WF_LOG_NOTICE, "promoting %s: %s", wf_name(fsm, i), why);
	fsm->promo_gen++;
	fsm->step_gen = 0;
	fsm->candidate = i;
	fsm->promo_start_us = since ? since : now;
	fsm->phase = WF_FENCE;
	wf_step(fsm, now, out);
}

/* --- operation results --------------------------------------------------- */

static void fence_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
		       const struct wf_op_result *r)
{
	struct wf_node_state *n = &fsm->node[r->node];
	bool counted = n->fence_counted;
	const char *err = r->err ? r->err : "";

	n->fence_gen = 0;
	n->fence_counted = false;
	if (r->rc == 0) {
		n->fenced_at_us = now;
		wf_say(out, WF_LOG_NOTICE, "%s set read_only=ON (fenced)", wf_name(fsm, r->node));
		wf_event(out, now, WF_EV_FENCED, r->node, "read_only=ON", 0);
	} else {
		wf_say(out, WF_LOG_WARNING, "cannot %s read_only=ON on %s: %s",
		    r->not_started ? "start" : "set", wf_name(fsm, r->node), err);
	}
	if (!counted || fsm->phase != WF_FENCE || !fsm->pending)
		return;
	/* A reachable node that refuses read_only could still take writes:
	 * do not open a second writer, whatever the other fences say. A dead
	 * one is fenced by being dead, and by the data plane, which no longer
	 * sends it anything. */
	if (r->rc != 0 && n->s.up) {
		wf_promo_fail(fsm, now, out, "%s is reachable but could not be set read-only (%s): two "
			   "writers would be possible", wf_name(fsm, r->node), err);
		return;
	}
	if (--fsm->pending)
		return;
	fsm->phase = WF_SEMISYNC;
	wf_step(fsm, now, out);
}

/* A step's operation ended: does it belong to the promotion in flight, in
 * this phase? (A promotion aborted while its statement ran leaves a late
 * result; the next one may be at the same phase, even of the same node.) */
static bool step_current(const struct writer_fsm *fsm, const struct wf_op_result *r,
			 enum wf_phase phase)
{
	return fsm->phase == phase && fsm->candidate == r->node && fsm->step_gen &&
	       fsm->step_gen == r->gen;
}

static void semisync_step_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
			       const struct wf_op_result *r)
{
	const char *err = r->err ? r->err : "";

	fsm->step_gen = 0;
	if (r->not_started) {
		/* without it the apply could wait for the dead peer's ack */
		wf_promo_fail(fsm, now, out, "%s: cannot switch its semi-sync master side off: %s",
			   wf_name(fsm, r->node), err);
		return;
	}
	if (r->rc != 0) {
		/* not fatal: commits wait for rpl_semi_sync_master_timeout, then
		 * the server goes asynchronous by itself */
		wf_say(out, WF_LOG_WARNING, "cannot switch semi-sync off on %s: %s", wf_name(fsm, r->node), err);
	} else {
		fsm->node[r->node].semisync_off = true;
		wf_say(out, WF_LOG_WARNING, "%s: no standby is up, semi-sync master side switched off: "
		    "writes are asynchronous until a standby returns", wf_name(fsm, r->node));
	}
	fsm->phase = WF_APPLY;
	wf_step(fsm, now, out);
}

static void applied_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
			 const struct wf_op_result *r)
{
	const char *err = r->err ? r->err : "";

	fsm->step_gen = 0;
	if (r->not_started) {
		wf_promo_fail(fsm, now, out, "%s: cannot check what it applied: %s", wf_name(fsm, r->node), err);
		return;
	}
	if (r->rc != 0) {
		wf_promo_fail(fsm, now, out, "%s has not applied everything it received within %u ms: %s",
			   wf_name(fsm, r->node), fsm->cfg.promote_timeout_ms, *err ? err : "still behind");
		return;
	}
	fsm->phase = WF_OPEN;
	wf_step(fsm, now, out);
}

static void open_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
		      const struct wf_op_result *r)
{
	fsm->step_gen = 0;
	if (r->rc != 0) {
		wf_promo_fail(fsm, now, out, "%s: cannot set read_only=OFF: %s", wf_name(fsm, r->node),
			   r->err ? r->err : "");
		return;
	}
	promoted(fsm, now, out);
}

/* --- semi-sync outside a promotion --------------------------------------- */

/* Switches one node's semi-sync master side outside a promotion: off on the
 * writer when its last standby is lost, on again once a peer replicates. */
static void semisync_set(struct writer_fsm *fsm, struct wf_result *out, int i, bool on)
{
	struct wf_action *a = wf_op(fsm, out, WF_ACT_SEMISYNC, i);

	if (!a)
		return;
	a->on = on;
	fsm->node[i].semisync_gen = a->gen;
	fsm->node[i].semisync_want_on = on;
}

static void semisync_set_done(struct writer_fsm *fsm, struct wf_result *out,
			      const struct wf_op_result *r)
{
	struct wf_node_state *n = &fsm->node[r->node];
	bool on = n->semisync_want_on;

	n->semisync_gen = 0;
	if (r->not_started)
		return;
	if (r->rc != 0) {
		wf_say(out, WF_LOG_WARNING, "cannot switch semi-sync %s on %s: %s%s",
		    on ? "on again" : "off", wf_name(fsm, r->node), r->err ? r->err : "",
		    on ? "" : " (its commits wait rpl_semi_sync_master_timeout)");
		return;
	}
	n->semisync_off = !on;
	if (on)
		wf_say(out, WF_LOG_NOTICE, "a peer replicates from %s again: its semi-sync master side "
		    "is on again", wf_name(fsm, r->node));
	else
		wf_say(out, WF_LOG_WARNING, "no standby is up: the writer %s's semi-sync master side "
		    "switched off, writes are asynchronous until a standby returns", wf_name(fsm, r->node));
}

/* Undo what the promotion did to semi-sync, node by node, once a peer
 * replicates from that node again (its IO thread runs): the writer then
 * waits for that standby's acknowledgement again, and a standby's applied
 * transactions for the writer's. Not while a promotion runs (it may just
 * have switched the candidate off). */
void wf_semisync_restore(struct writer_fsm *fsm, struct wf_result *out)
{
	if (fsm->phase != WF_IDLE)
		return;
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_node_state *n = &fsm->node[i];
		bool peer = false;

		if (!n->semisync_off || n->semisync_gen || !n->s.up || !fsm->cfg.node[i].has_mysql)
			continue;
		for (size_t k = 0; k < fsm->cfg.n_nodes && !peer; k++) {
			const struct wf_mysql *f = wf_facts(fsm, (int)k);

			/* its facts are fresh: a silent one's io_running
			 * is what it said before it went */
			peer = k != i && wf_reachable(fsm, (int)k) && f && f->valid && f->io_running;
		}
		if (peer)
			semisync_set(fsm, out, (int)i, true);
	}
}

/* The last standby is gone (its mysqld died or hangs): every commit on the
 * writer would now wait rpl_semi_sync_master_timeout for an acknowledgement
 * nobody sends, and then MariaDB goes asynchronous by itself. Do that at
 * once instead: the same durability, without the seconds of frozen writes.
 * wf_semisync_restore switches it on again when a standby replicates. */
void wf_semisync_lost(struct writer_fsm *fsm, struct wf_result *out)
{
	const struct wf_node_state *w;
	const struct wf_mysql *f;

	if (!fsm->cfg.fo || !fsm->owner || !fsm->cfg.manage_read_only || fsm->writer < 0 ||
	    fsm->phase != WF_IDLE)
		return;
	w = &fsm->node[fsm->writer];
	f = wf_facts(fsm, fsm->writer);
	if (!w->s.up || !f || !f->valid || f->semi_sync_master_enabled != 1 || w->semisync_off ||
	    w->semisync_gen || wf_standby_up(fsm, fsm->writer))
		return;
	semisync_set(fsm, out, fsm->writer, false);
}

/* --- an operation's result ------------------------------------------------ */

/* Node r->node is valid. */
void wf_op_result(struct writer_fsm *fsm, uint64_t now, const struct wf_op_result *r,
		  struct wf_result *out)
{
	struct wf_node_state *n = &fsm->node[r->node];

	switch (r->op) {
	case WF_OP_FENCE:
		if (r->gen == n->fence_gen)
			fence_done(fsm, now, out, r);
		break;
	case WF_OP_SEMISYNC:
		if (r->gen == n->semisync_gen)
			semisync_set_done(fsm, out, r);
		else if (step_current(fsm, r, WF_SEMISYNC))
			semisync_step_done(fsm, now, out, r);
		else if (r->rc == 0 && !r->not_started)
			/* a promotion's switch-off that landed after the
			 * promotion ended (the VIP moved on meanwhile): it is
			 * off, and wf_semisync_restore must know to switch it on */
			n->semisync_off = true;
		break;
	case WF_OP_WAIT_APPLIED:
		if (step_current(fsm, r, WF_APPLY))
			applied_done(fsm, now, out, r);
		break;
	case WF_OP_OPEN:
		if (step_current(fsm, r, WF_OPEN))
			open_done(fsm, now, out, r);
		break;
	}
}
