/*
 * writer_fsm_promote.c - the promotion of the MySQL writer, part of the
 * writer's state machine (writer_fsm.h): pure, time in, actions out.
 *
 * A promotion is a chain of phases, each waiting for operations' results:
 *   FENCE    every other reachable node gets read_only=ON (manage_read_only);
 *            one that cannot be reached must be proven unable to
 *            acknowledge a write (writer_fsm_fenced): its mysqld stopped, or
 *            it is the old writer held by semi-sync, else nobody is promoted
 *   DETACH   when a node could not be reached: the candidate's IO thread
 *            stops (STOP SLAVE IO_THREAD). Its acknowledgements were the old
 *            writer's only way to commit: from here the old writer cannot
 *            acknowledge anything, alive behind a partition or not
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
 * When every other node's mysqld is proven stopped (its death seen by the
 * kernel, or its connects refused: nobody can answer or take writes during
 * the promotion, so nothing learned between the steps could change them),
 * DETACH to OPEN run as one operation, PROMOTE, on the candidate: the
 * detach, the semi-sync switch and the read of what it received in one
 * round trip, the wait and the opening in a second one, where the server
 * opens only if the wait succeeded. Each step is still timed (on the
 * server) and judged as it would be alone.
 *
 * Also here: what the operations' results do (wf_op_result), and the
 * semi-sync switches outside a promotion.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gtid.h"
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
	unsigned part[WF_NPHASES];

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
	if (fsm->fast_done)
		fsm->step_us[WF_DETACH] = fsm->fast_start_us; /* the rest, below */
	for (int k = 0; k < WF_NPHASES; k++) {
		uint64_t end = fsm->step_us[k] ? fsm->step_us[k] : prev;

		part[k] = end > prev ? (unsigned)(end - prev) : 0;
		prev = end > prev ? end : prev;
	}
	if (fsm->fast_done) {
		/* one PROMOTE: the steps as the server timed them, and what
		 * is left of it, the two round trips and the loop */
		unsigned total = (unsigned)(now - fsm->fast_start_us), server = 0;

		part[WF_WITNESS] += part[WF_DETACH];
		part[WF_DETACH] = fsm->fast_us[0];
		part[WF_SEMISYNC] = fsm->fast_us[1];
		part[WF_APPLY] = fsm->fast_us[2];
		part[WF_OPEN] = fsm->fast_us[3];
		for (int k = 0; k < 4; k++)
			server += fsm->fast_us[k];
		snprintf(why, sizeof(why), "%s replication, applied all it received; detect->start %u, "
			 "fence %u, detach %u, semi-sync %u, apply %u, open %u us on the server, in 2 "
			 "round trips: %u us on the wire and in the loop (queued %u, round trips %u "
			 "and %u us)",
			 fsm->semisync ? "semi-synchronous" : "asynchronous", part[WF_IDLE],
			 part[WF_FENCE] + part[WF_WITNESS], part[WF_DETACH], part[WF_SEMISYNC],
			 part[WF_APPLY], part[WF_OPEN], total > server ? total - server : 0,
			 fsm->fast_rt[0], fsm->fast_rt[1], fsm->fast_rt[2]);
	} else
	snprintf(why, sizeof(why), "%s replication, applied all it received; detect->start %u, "
		 "fence %u, detach %u, semi-sync %u, apply %u, open %u us",
		 fsm->semisync ? "semi-synchronous" : "asynchronous", part[WF_IDLE], part[WF_FENCE],
		 part[WF_DETACH], part[WF_SEMISYNC], part[WF_APPLY], part[WF_OPEN]);
	fsm->fast_done = false;
	wf_say(out, WF_LOG_NOTICE, "writer is now %s (%s; %u us after the decision)", wf_name(fsm, w), why,
	    (unsigned)(now - fsm->promo_start_us));
	wf_event(out, now, WF_EV_PROMOTED, w, why, fsm->promo_start_us);
	wf_standby_check(fsm, now, out);
	wf_attach_check(fsm, now, out);
	wf_witness_ensure(fsm, out);
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
		/* its read_only=ON failed, but it cannot acknowledge */
		if (n->fence_failed_at_us && !n->fence_gen && wf_held(fsm, (int)i))
			continue;
		/* writable after our last fence of it, by a probe since */
		writable = nf->valid && nf->read_only == 0 &&
			   n->s.probe_start_max_us > n->fenced_at_us;
		if (n->fence_gen || writable)
			wf_fence(fsm, out, (int)i, true);
	}
	return fsm->pending != 0;
}

/* Node i cannot acknowledge a write: its semi-sync master side is on with
 * no fallback (wait_no_slave, a timeout of a day or more), and no other
 * node receives from it (every other MySQL node's IO thread is stopped, or
 * it is gone). */
bool wf_held(const struct writer_fsm *fsm, int i)
{
	const struct wf_mysql *f = wf_facts(fsm, i);

	if (!f || !f->valid || f->semi_sync_master_enabled != 1 || f->semi_sync_wait_no_slave == 0 ||
	    (f->semi_sync_timeout_ms >= 0 && f->semi_sync_timeout_ms < WF_FENCE_MIN_TIMEOUT_MS))
		return false;
	for (size_t k = 0; k < fsm->cfg.n_nodes; k++) {
		const struct wf_mysql *o = wf_facts(fsm, (int)k);

		if ((int)k == i || !o || wf_gone(fsm, (int)k))
			continue;
		if (!o->valid || !o->io_stopped)
			return false;
	}
	return true;
}

/* Every other MySQL node's mysqld is stopped. */
bool wf_others_stopped(const struct writer_fsm *fsm, int c)
{
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
		if ((int)i != c && fsm->cfg.node[i].has_mysql && !wf_stopped(fsm, (int)i))
			return false;
	return true;
}

/* Node i is gone during the fence step (gone says why): for a candidate
 * that was read-only, with a semi-sync pair, it must be proven unable to
 * acknowledge, else the promotion is refused (false), and the candidate
 * detaches from it. Its fence is started, best effort, when it is still UP
 * (its host silent). */
bool wf_gone_fenced(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int i,
		    const char *gone)
{
	char why[WF_WHY_LEN];

	/* A candidate that already takes writes (adopted) is not made a
	 * writer here, nor asynchronous (see WF_SEMISYNC): it needs no proof,
	 * and keeps receiving from the gone node, which may be the newer
	 * writer whose acknowledged writes it must not lose. */
	if (!fsm->cand_writable) {
		fsm->detach = true;
		if (!wf_stopped(fsm, i))
			fsm->detach_kill = true;
		if (fsm->semisync && !writer_fsm_fenced(fsm, fsm->candidate, i, why, sizeof(why))) {
			wf_promo_fail(fsm, now, out, "cannot prove %s cannot acknowledge writes (%s): %s",
				   wf_name(fsm, i), gone, why);
			return false;
		}
		if (!fsm->semisync)
			wf_say(out, WF_LOG_WARNING, "%s is not fenced: the pair replicates asynchronously, "
			    "so if it is alive behind a partition it keeps acknowledging writes",
			    wf_name(fsm, i));
	}
	if (fsm->node[i].s.up) {
		wf_say(out, WF_LOG_NOTICE, "fencing %s without waiting for it: %s", wf_name(fsm, i), gone);
		wf_fence(fsm, out, i, false);
	} else if (fsm->node[i].s.timed_out && !wf_stopped(fsm, i)) {
		/* Hung (SIGSTOP, a stall): the fence's statement waits in its
		 * socket on the connection already open, and is the first
		 * thing it reads when it wakes, before its next probe could
		 * tell us it is back (and it is writable meanwhile). */
		wf_say(out, WF_LOG_NOTICE, "fencing %s for the moment it wakes: %s", wf_name(fsm, i), gone);
		wf_fence(fsm, out, i, false);
	}
	return true;
}

/* The semi-sync step would switch the candidate's master side off: it is
 * on, and no standby is up (see WF_SEMISYNC). */
static bool semi_off_wanted(const struct writer_fsm *fsm)
{
	int c = fsm->candidate;
	const struct wf_mysql *f = wf_facts(fsm, c);

	return fsm->cfg.manage_read_only && f && f->valid && f->semi_sync_master_enabled == 1 &&
	       !wf_standby_up(fsm, c) && (!fsm->cand_writable || wf_others_stopped(fsm, c));
}

/* DETACH to OPEN can run as one PROMOTE: read_only is ours to manage, the
 * candidate's facts are known, and every other MySQL node is stopped and
 * gone (so the steps' decisions cannot change on the way: no fence to wait
 * for before the opening, no kill of a live master's IO connection). */
static bool fast_possible(const struct writer_fsm *fsm)
{
	int c = fsm->candidate;
	const struct wf_mysql *f = wf_facts(fsm, c);

	if (!fsm->cfg.manage_read_only || !f || !f->valid || fsm->detach_kill || fsm->pending)
		return false;
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
		if ((int)i != c && fsm->cfg.node[i].has_mysql &&
		    (!wf_stopped(fsm, (int)i) || !wf_gone(fsm, (int)i)))
			return false;
	return true;
}

static void fast_start(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	int c = fsm->candidate;
	const struct wf_mysql *f = wf_facts(fsm, c);
	char why[WF_WHY_LEN];
	struct wf_action *a;

	/* what the semi-sync step checks first, and the apply step needs */
	if (writer_fsm_gone(fsm, c, why, sizeof(why)) || !wf_replication_ok(fsm, c, why, sizeof(why))) {
		wf_promo_fail(fsm, now, out, "%s", why);
		return;
	}
	a = wf_op(fsm, out, WF_ACT_PROMOTE, c);
	if (!a) {
		wf_promo_fail(fsm, now, out, "too many actions at once");
		return;
	}
	a->detach = fsm->detach && f->is_replica;
	a->semi_off = semi_off_wanted(fsm);
	a->timeout_ms = fsm->cfg.promote_timeout_ms;
	fsm->step_gen = a->gen;
	fsm->fast = true;
	fsm->fast_detach = a->detach;
	fsm->fast_semi = a->semi_off;
	fsm->fast_done = false;
	fsm->fast_start_us = now;
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
		fsm->detach = false;
		fsm->detach_kill = false;
		fsm->fast = false;
		fsm->fast_done = false;
		fsm->cand_writable = f && f->valid && f->read_only == 0;
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			fsm->node[i].fence_counted = false;
		for (size_t i = 0; manage && i < fsm->cfg.n_nodes; i++) {
			const struct wf_node_state *n = &fsm->node[i];
			const struct wf_mysql *nf = wf_facts(fsm, (int)i);

			if ((int)i == c || !nf)
				continue;
			/* A node that is gone is not waited for (the data
			 * plane sends it nothing; it is fenced when it answers
			 * again, see writer_fsm_probed), but it must be proven
			 * unable to acknowledge, and the candidate detaches
			 * from it. A node that merely failed a probe is waited
			 * for: it may be alive and writable. */
			if (writer_fsm_gone(fsm, (int)i, why, sizeof(why))) {
				if (!wf_gone_fenced(fsm, now, out, (int)i, why))
					return;
				continue;
			}
			if (nf->valid && nf->read_only == 1 && !n->fence_gen)
				continue;
			wf_fence(fsm, out, (int)i, true);
		}
		if (fsm->pending)
			return; /* the fences' results continue */
		fsm->phase = WF_WITNESS;
		/* fall through */
	case WF_WITNESS:
		if (!wf_witness_step(fsm, now, out))
			return;
		fsm->phase = WF_DETACH;
		/* fall through */
	case WF_DETACH:
		if (fast_possible(fsm)) {
			fast_start(fsm, now, out);
			return;
		}
		if (fsm->detach && manage && f && f->valid && f->is_replica) {
			step_op(fsm, now, out, WF_ACT_DETACH, fsm->detach_kill,
				fsm->cfg.promote_timeout_ms);
			return;
		}
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
			/* Going asynchronous is safe for a node that was
			 * read-only: the others were proven unable to
			 * acknowledge. One that already took writes is the old
			 * writer (adopted, or reopened): its peer may be the
			 * one promoting itself behind a partition. It keeps
			 * waiting for a standby (wf_standby_check), and is not
			 * made to apply anything more (its applied events
			 * would wait for an acknowledgement too). */
			if (!fsm->cand_writable || wf_others_stopped(fsm, c)) {
				step_op(fsm, now, out, WF_ACT_SEMISYNC, false, 0);
				return;
			}
			wf_say(out, WF_LOG_NOTICE, "%s keeps semi-sync on: it took writes before and no "
			    "standby is proven stopped; its commits wait for a standby",
			    wf_name(fsm, c));
			fsm->phase = WF_OPEN;
			wf_step(fsm, now, out);
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
	case WF_NPHASES:
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
	n->fence_failed_at_us = r->rc == 0 ? 0 : now;
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
	if (r->rc != 0 && n->s.up && wf_held(fsm, r->node)) {
		/* its commits that wait for an acknowledgement hold read_only
		 * (after a partition: the old writer); none can come */
		wf_say(out, WF_LOG_WARNING, "%s could not be set read-only (%s), but it cannot "
		    "acknowledge a write: it is semi-synchronous without fallback and no other node "
		    "replicates from it (tried again every %llu s)", wf_name(fsm, r->node), err,
		    WF_REFENCE_US / 1000000);
	} else if (r->rc != 0 && n->s.up) {
		wf_promo_fail(fsm, now, out, "%s is reachable but could not be set read-only (%s): two "
			   "writers would be possible", wf_name(fsm, r->node), err);
		return;
	}
	if (--fsm->pending)
		return;
	fsm->phase = WF_WITNESS;
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

static void detach_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
			const struct wf_op_result *r)
{
	const char *err = r->err ? r->err : "";

	fsm->step_gen = 0;
	if (r->rc != 0) {
		/* its IO thread may still acknowledge the old writer's commits */
		wf_promo_fail(fsm, now, out, "%s: cannot stop its replication from the node it cannot "
			   "reach (STOP SLAVE IO_THREAD): %s", wf_name(fsm, r->node), err);
		return;
	}
	fsm->detach = false;
	fsm->node[r->node].s.mysql.io_stopped = true; /* until the next probe says */
	wf_say(out, WF_LOG_NOTICE, "%s stopped replicating from the node it cannot reach (STOP SLAVE "
	    "IO_THREAD): that node can no longer get a commit acknowledged", wf_name(fsm, r->node));
	fsm->phase = WF_SEMISYNC;
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

/* The PROMOTE came back: each step judged as its own operation's result
 * would be (detach_done, semisync_step_done, applied_done, open_done). */
static void promote_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
			 const struct wf_op_result *r)
{
	const char *err = r->err ? r->err : "";
	const char *who = wf_name(fsm, r->node);

	fsm->step_gen = 0;
	fsm->fast = false;
	if (r->not_started) {
		wf_promo_fail(fsm, now, out, "%s: cannot start the promotion's statements: %s", who, err);
		return;
	}
	if (fsm->fast_detach) {
		if (!r->detached) {
			wf_promo_fail(fsm, now, out, "%s: cannot stop its replication from the node "
				   "it cannot reach (STOP SLAVE IO_THREAD): %s", who, err);
			return;
		}
		fsm->detach = false;
		fsm->node[r->node].s.mysql.io_stopped = true; /* until the next probe says */
		wf_say(out, WF_LOG_NOTICE, "%s stopped replicating from the node it cannot reach (STOP "
		    "SLAVE IO_THREAD): that node can no longer get a commit acknowledged", who);
	}
	if (fsm->fast_semi && r->semi_switched) {
		fsm->node[r->node].semisync_off = true;
		wf_say(out, WF_LOG_WARNING, "%s: no standby is up, semi-sync master side switched off: "
		    "writes are asynchronous until a standby returns", who);
	} else if (fsm->fast_semi && r->semi_err) {
		/* not fatal, as alone (semisync_step_done) */
		wf_say(out, WF_LOG_WARNING, "cannot switch semi-sync off on %s: %s", who, r->semi_err);
	}
	if (r->rc < 0) {
		wf_promo_fail(fsm, now, out, "%s: cannot check what it applied, or open it: %s", who, err);
		return;
	}
	if (r->rc != 0 || !r->applied) {
		wf_promo_fail(fsm, now, out, "%s has not applied everything it received within %u ms: %s",
			   who, fsm->cfg.promote_timeout_ms, *err ? err : "still behind");
		return;
	}
	if (!r->opened) {
		wf_promo_fail(fsm, now, out, "%s: cannot set read_only=OFF: %s", who, err);
		return;
	}
	fsm->fast_done = true;
	fsm->fast_us[0] = r->detach_us;
	fsm->fast_us[1] = r->semi_us;
	fsm->fast_us[2] = r->apply_us;
	fsm->fast_us[3] = r->open_us;
	fsm->fast_rt[0] = r->queued_us;
	fsm->fast_rt[1] = r->rt1_us;
	fsm->fast_rt[2] = r->rt2_us;
	fsm->phase = WF_OPEN;
	promoted(fsm, now, out);
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
void wf_semisync_set(struct writer_fsm *fsm, struct wf_result *out, int i, bool on)
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
	if (!on && r->node == fsm->writer)
		wf_unblock(fsm); /* its commits no longer wait */
	if (on) {
		wf_say(out, WF_LOG_NOTICE, "a peer replicates from %s again: its semi-sync master side "
		    "is on again", wf_name(fsm, r->node));
		wf_witness_synced(fsm, out, r->node);
	}
	else if (r->node == fsm->writer)
		wf_say(out, WF_LOG_WARNING, "no standby is up: the writer %s's semi-sync master side "
		    "switched off, writes are asynchronous until a standby returns", wf_name(fsm, r->node));
	else
		wf_say(out, WF_LOG_NOTICE, "%s's semi-sync master side is off: its replication "
		    "applies again", wf_name(fsm, r->node));
}

/* A standby (read-only, not the writer) whose slave SQL thread waits for a
 * semi-sync acknowledgement, with no client waiting, for WF_REPL_ACK_STUCK_US:
 * with log_slave_updates its replicated commits are commits of its own
 * binlog, and in a dual-master pair the only one who could acknowledge
 * them is the peer they came from, which never does once it reconnects
 * past them (a peer skips its own transactions). Seen after a partition
 * healed: the standby stopped applying, for good. Its semi-sync master side
 * goes off (the waiting commit proceeds: it holds only what the writer
 * already has) and wf_semisync_restore switches it on again. A client
 * waiting too is the held old writer's case: never released here. */
void wf_standby_release(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	if (!fsm->cfg.fo || !fsm->owner || !fsm->cfg.manage_read_only || fsm->phase != WF_IDLE)
		return;
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		struct wf_node_state *n = &fsm->node[i];
		const struct wf_mysql *f = wf_facts(fsm, (int)i);
		bool stuck = (int)i != fsm->writer && f && f->valid && f->read_only == 1 &&
			     f->semi_sync_master_enabled == 1 && f->ack_waits_repl > 0 &&
			     f->ack_waits_client == 0 && !n->semisync_off && !n->semisync_gen &&
			     wf_reachable(fsm, (int)i);

		if (!stuck) {
			n->repl_ack_wait_since_us = 0;
			continue;
		}
		if (!n->repl_ack_wait_since_us) {
			n->repl_ack_wait_since_us = now;
			continue;
		}
		if (now - n->repl_ack_wait_since_us < WF_REPL_ACK_STUCK_US)
			continue;
		n->repl_ack_wait_since_us = 0;
		wf_say(out, WF_LOG_WARNING, "%s's replication waits for a semi-sync acknowledgement "
		    "of a transaction its peer sent it, which no peer gives: its semi-sync master "
		    "side off, so that it applies again (read-only: only replicated commits waited), "
		    "and on again once a peer replicates from it", wf_name(fsm, (int)i));
		wf_semisync_set(fsm, out, (int)i, false);
	}
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
			wf_semisync_set(fsm, out, (int)i, true);
	}
}

/* The writer without a standby (every other node gone): every commit now
 * waits for an acknowledgement nobody sends. That wait is the fence that
 * keeps a partition from making two writers (writer_fsm_fenced), so the
 * writer goes asynchronous only with proof that the standby is not being
 * promoted: its mysqld is stopped (its connects are refused). A clean stop
 * of the standby's mysqld, a reboot, a package upgrade all give it. Without
 * proof the commits wait, loudly; after standby_loss_timeout the policy
 * says whether they keep waiting (block) or the writer goes asynchronous
 * (async: if the standby is being promoted, both take writes). The standby
 * back ends the wait; wf_semisync_restore switches semi-sync on again. */
void wf_standby_check(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	const struct wf_node_state *w;
	const struct wf_mysql *f;
	char gone[WF_WHY_LEN] = "";
	int wi = fsm->writer;

	if (!fsm->cfg.fo || !fsm->owner || !fsm->cfg.manage_read_only || wi < 0 ||
	    fsm->phase != WF_IDLE)
		return;
	w = &fsm->node[wi];
	f = wf_facts(fsm, wi);
	if (wf_standby_up(fsm, wi))
		fsm->standby_lost_at_us = 0;
	else if (!fsm->standby_lost_at_us)
		fsm->standby_lost_at_us = now;
	if (!w->s.up || !f || !f->valid || f->semi_sync_master_enabled != 1 || w->semisync_off ||
	    w->semisync_gen || wf_standby_up(fsm, wi)) {
		if (fsm->blocked_since_us && (wf_standby_up(fsm, wi) || w->semisync_off)) {
			wf_say(out, WF_LOG_NOTICE, "the writer %s's commits no longer wait: %s after "
			    "%llu ms", wf_name(fsm, wi), w->semisync_off ? "it is asynchronous"
			    : "a standby is back", (unsigned long long)((now - fsm->blocked_since_us) / 1000));
			wf_unblock(fsm);
		}
		return;
	}
	if (wf_others_stopped(fsm, wi)) {
		wf_say(out, WF_LOG_WARNING, "the writer %s's standby is stopped (its mysqld refuses "
		    "connections: it cannot be promoted): semi-sync off, writes are asynchronous until "
		    "it returns", wf_name(fsm, wi));
		wf_event(out, now, WF_EV_ASYNC, wi, "standby stopped (connection refused)", 0);
		wf_semisync_set(fsm, out, wi, false);
		return;
	}
	/* a witness that holds our key decides at once */
	if (wf_witness_standby(fsm, now, out, wi)) {
		if (!fsm->blocked_since_us) {
			fsm->blocked_since_us = now;
			fsm->blocked_announced = false;
			fsm->loss_at = now + WF_SILENT_GRACE_MAX_US;
			snprintf(fsm->blocked_why, sizeof(fsm->blocked_why), "asking the witness");
		}
		return;
	}
	for (size_t i = 0; i < fsm->cfg.n_nodes && !gone[0]; i++)
		if ((int)i != wi && fsm->cfg.node[i].has_mysql && !wf_stopped(fsm, (int)i))
			writer_fsm_gone(fsm, (int)i, gone, sizeof(gone));
	if (!fsm->blocked_since_us) {
		/* A killed mysqld is seen first as a connection lost: ask
		 * every gone node again at once, and say nothing for a
		 * moment; a refused connect (the proof) comes back in a round
		 * trip. */
		fsm->blocked_since_us = now;
		fsm->blocked_timed_out = false;
		fsm->blocked_announced = false;
		fsm->loss_at = now + WF_SILENT_GRACE_MAX_US;
		snprintf(fsm->blocked_why, sizeof(fsm->blocked_why), "%s", gone);
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			if ((int)i != wi && fsm->cfg.node[i].has_mysql && !fsm->node[i].s.up)
				wf_push(out, WF_ACT_PROBE, (int)i);
		wf_rearm(fsm, out);
		return;
	}
	if (!fsm->blocked_announced) {
		if (now < fsm->loss_at)
			return;
		fsm->blocked_announced = true;
		fsm->loss_at = fsm->blocked_since_us + fsm->cfg.standby_loss_timeout_ms * 1000ull;
		snprintf(fsm->blocked_why, sizeof(fsm->blocked_why), "%s", gone);
		wf_say(out, WF_LOG_ERR, "writes wait: the writer %s has no standby (%s) and no proof that "
		    "it is not being promoted behind a partition; semi-sync stays on, commits wait for "
		    "an acknowledgement (standby_loss_policy %s after %u ms)", wf_name(fsm, wi), gone,
		    fsm->cfg.standby_loss_async ? "async" : "block", fsm->cfg.standby_loss_timeout_ms);
		wf_event(out, now, WF_EV_BLOCKED, wi, gone, fsm->blocked_since_us);
		wf_rearm(fsm, out);
		return;
	}
	if (fsm->blocked_timed_out || now < fsm->loss_at)
		return;
	fsm->blocked_timed_out = true;
	fsm->loss_at = 0;
	if (fsm->cfg.standby_loss_async) {
		wf_say(out, WF_LOG_WARNING, "standby_loss_policy async: the writer %s goes asynchronous "
		    "after %u ms without a standby and without proof it is stopped: if %s is being "
		    "promoted, both take writes", wf_name(fsm, wi), fsm->cfg.standby_loss_timeout_ms,
		    gone);
		wf_event(out, now, WF_EV_ASYNC, wi, "standby_loss_policy async", fsm->blocked_since_us);
		wf_semisync_set(fsm, out, wi, false);
		return;
	}
	wf_say(out, WF_LOG_ERR, "writes still wait: the writer %s has had no standby for %u ms "
	    "(standby_loss_policy block): bring the standby back, or stop its mysqld to prove it is "
	    "not promoting (a witness would decide this)", wf_name(fsm, wi),
	    fsm->cfg.standby_loss_timeout_ms);
	wf_event(out, now, WF_EV_BLOCKED, wi, "standby_loss_timeout passed", fsm->blocked_since_us);
}

/* After a promotion that detached the writer from a peer it could not
 * reach, the writer replicates from that peer again only once the peer's
 * binlog holds nothing the writer lacks: what it has beyond are commits it
 * made while it could no longer get them acknowledged (errant). A node with
 * errant transactions is not a candidate; the operator is told which. */
void wf_attach_check(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	const struct wf_mysql *wf;
	struct gtid_set ws, ns;
	char err[WF_WHY_LEN], text[WF_WHY_LEN];
	int wi = fsm->writer;

	if (!fsm->cfg.fo || !fsm->owner || !fsm->cfg.manage_read_only || wi < 0 ||
	    fsm->phase != WF_IDLE)
		return;
	wf = wf_facts(fsm, wi);
	/* The writer replicates from its peers again (someone started its IO
	 * thread): what they held flows to it, nothing is errant any more. */
	for (size_t i = 0; wf && wf->valid && wf->io_running && i < fsm->cfg.n_nodes; i++)
		if (fsm->node[i].errant_n) {
			wf_say(out, WF_LOG_NOTICE, "the writer %s replicates from %s again: its "
			    "transactions are no longer errant", wf_name(fsm, wi), wf_name(fsm, (int)i));
			fsm->node[i].errant_n = 0;
			fsm->node[i].errant[0] = 0;
		}
	/* Only a writer that does not replicate from its peers (a promotion
	 * detached it) can lack what they hold; the writer's own transactions
	 * are left out (its facts can be a moment older than a peer's). */
	if (!wf || !wf->valid || !wf->io_stopped ||
	    gtid_parse(wf->gtid_binlog_state, &ws, err, sizeof(err)) < 0)
		return;
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		struct wf_node_state *n = &fsm->node[i];
		const struct wf_mysql *f = wf_facts(fsm, (int)i);
		size_t missing;

		if ((int)i == wi || !f || !f->valid || !wf_reachable(fsm, (int)i) ||
		    gtid_parse(f->gtid_binlog_state, &ns, err, sizeof(err)) < 0)
			continue;
		for (size_t k = 0; k < ns.n;)
			if (wf->server_id >= 0 && ns.e[k].server == (uint64_t)wf->server_id)
				ns.e[k] = ns.e[--ns.n];
			else
				k++;
		missing = gtid_missing(&ns, &ws, text, sizeof(text));
		if (missing) {
			if (n->errant_n && !strcmp(n->errant, text))
				continue;
			n->errant_n = missing;
			snprintf(n->errant, sizeof(n->errant), "%s", text);
			wf_say(out, WF_LOG_ERR, "errant transactions on %s: its binlog holds %zu the "
			    "writer %s never received (%s): commits made while they could not be "
			    "acknowledged. It stays read-only and out of the writer's replication "
			    "until they are resolved (docs/operations.md)", wf_name(fsm, (int)i),
			    missing, wf_name(fsm, wi), text);
			wf_event(out, now, WF_EV_ERRANT, (int)i, text, 0);
			continue;
		}
		if (n->errant_n) {
			wf_say(out, WF_LOG_NOTICE, "%s has no errant transactions any more", wf_name(fsm, (int)i));
			n->errant_n = 0;
			n->errant[0] = 0;
		}
		/* and only from a peer that is read-only: one still writable
		 * (its commits waiting for an acknowledgement hold its fence)
		 * is held only because the writer does not replicate from it;
		 * attaching would let it acknowledge writes again */
		if (f->read_only != 1)
			continue;
		if (wf->is_replica && wf->io_stopped && !fsm->node[wi].attach_gen) {
			struct wf_action *a = wf_op(fsm, out, WF_ACT_ATTACH, wi);

			if (!a)
				return;
			fsm->node[wi].attach_gen = a->gen;
			wf_say(out, WF_LOG_NOTICE, "the writer %s replicates from %s again: %s's binlog "
			    "holds nothing the writer lacks", wf_name(fsm, wi), wf_name(fsm, (int)i),
			    wf_name(fsm, (int)i));
		}
	}
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
	case WF_OP_DETACH:
		if (step_current(fsm, r, WF_DETACH))
			detach_done(fsm, now, out, r);
		break;
	case WF_OP_PROMOTE:
		if (step_current(fsm, r, WF_DETACH) && fsm->fast)
			promote_done(fsm, now, out, r);
		else if (r->semi_switched)
			n->semisync_off = true; /* as a late SEMISYNC's (above) */
		break;
	case WF_OP_WITNESS:
		wf_witness_done(fsm, now, r, out);
		break;
	case WF_OP_ATTACH:
		if (r->gen != n->attach_gen)
			break;
		n->attach_gen = 0;
		if (r->rc == 0)
			n->s.mysql.io_stopped = false; /* until the next probe says */
		if (r->rc == 0)
			wf_say(out, WF_LOG_NOTICE, "%s replicates from its peer again (START SLAVE "
			    "IO_THREAD)", wf_name(fsm, r->node));
		else
			wf_say(out, WF_LOG_WARNING, "cannot start %s's replication from its peer again: %s",
			    wf_name(fsm, r->node), r->err ? r->err : "");
		break;
	}
}
