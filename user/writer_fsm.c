/*
 * writer_fsm.c - the single MySQL writer of a virtual server. See
 * writer_fsm.h.
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
 * "Reachable now" (writer_fsm_reachable): UP, the last probe of each of its
 * checks succeeded, and not silent. A node is silent from the moment this
 * node took the VIP because that node's VRRP adverts stopped (its host may
 * be gone: nothing it last reported counts) until a probe started since
 * then succeeds. Only a node reachable now is chosen or adopted. "Gone"
 * (writer_fsm_gone) is the stronger word: DOWN by its checks, or silent. A
 * gone node is not counted as a standby nor waited for (its fence is sent,
 * not awaited), and a candidate that is gone aborts its promotion at once;
 * a node that only failed its last probe (a loaded host) is still waited
 * for, since it may be alive and writable.
 *
 * Texts are the log's and the events' without the "[VIP:port] " the shell
 * puts in front.
 */
#include "writer_fsm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *wf_phase_str(enum wf_phase p)
{
	switch (p) {
	case WF_IDLE: return "idle";
	case WF_FENCE: return "fencing";
	case WF_SEMISYNC: return "semi-sync";
	case WF_APPLY: return "waiting for apply";
	case WF_OPEN: return "opening";
	}
	return "unknown";
}

const char *wf_event_str(enum wf_event e)
{
	switch (e) {
	case WF_EV_PROMOTED: return "promoted";
	case WF_EV_REFUSED: return "refused";
	case WF_EV_FENCED: return "fenced";
	case WF_EV_LOST: return "lost";
	}
	return "unknown";
}

const char *wf_action_str(enum wf_action_type t)
{
	switch (t) {
	case WF_ACT_FENCE: return "FENCE";
	case WF_ACT_SEMISYNC: return "SEMISYNC";
	case WF_ACT_WAIT_APPLIED: return "WAIT_APPLIED";
	case WF_ACT_OPEN: return "OPEN";
	case WF_ACT_STEER: return "STEER";
	case WF_ACT_PROBE: return "PROBE";
	case WF_ACT_EVENT: return "EVENT";
	case WF_ACT_LOG: return "LOG";
	case WF_ACT_TIMER: return "TIMER";
	}
	return "UNKNOWN";
}

int writer_fsm_init(struct writer_fsm *fsm, const struct writer_fsm_config *cfg)
{
	if (!fsm || !cfg || cfg->n_nodes > WF_MAX_NODES)
		return -1;
	memset(fsm, 0, sizeof(*fsm));
	fsm->cfg = *cfg;
	fsm->writer = fsm->candidate = -1;
	fsm->retry_at = WF_NO_DEADLINE;
	for (size_t i = 0; i < cfg->n_nodes; i++)
		fsm->node[i].s.probe_end_min_us = WF_NO_DEADLINE;
	return 0;
}

void writer_fsm_set_node(struct writer_fsm *fsm, int node, const struct wf_node *s)
{
	if (node >= 0 && (size_t)node < fsm->cfg.n_nodes)
		fsm->node[node].s = *s;
}

/* --- result helpers ----------------------------------------------------- */

static void begin(struct wf_result *out)
{
	out->n = 0;
	out->overflow = false;
	out->reason[0] = 0;
	out->refused = false;
}

static struct wf_action *push(struct wf_result *out, enum wf_action_type t, int node)
{
	struct wf_action *a;

	if (out->n >= WF_MAX_ACTIONS) {
		out->overflow = true;
		return NULL;
	}
	a = &out->act[out->n++];
	memset(a, 0, offsetof(struct wf_action, text));
	a->text[0] = 0;
	a->type = t;
	a->node = node;
	return a;
}

__attribute__((format(printf, 3, 4)))
static void say(struct wf_result *out, enum wf_level level, const char *fmt, ...)
{
	struct wf_action *a = push(out, WF_ACT_LOG, -1);
	va_list ap;

	if (!a)
		return;
	a->level = level;
	va_start(ap, fmt);
	vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void reply(struct wf_result *out, bool refused, const char *fmt, ...)
{
	va_list ap;

	out->refused = refused;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static void event(struct wf_result *out, uint64_t now, enum wf_event e, int node,
		  const char *text, uint64_t since)
{
	struct wf_action *a = push(out, WF_ACT_EVENT, node);

	if (!a)
		return;
	a->event = e;
	a->took_us = since ? (uint32_t)(now - since) : 0;
	snprintf(a->text, sizeof(a->text), "%s", text);
}

/* An operation: the shell hands its result back with this generation. */
static struct wf_action *op(struct writer_fsm *fsm, struct wf_result *out,
			    enum wf_action_type t, int node)
{
	struct wf_action *a = push(out, t, node);

	if (!a)
		return NULL;
	a->gen = ++fsm->next_gen;
	fsm->ops_out++;
	return a;
}

static const char *nm(const struct writer_fsm *fsm, int i)
{
	return fsm->cfg.node[i].name;
}

static const struct wf_mysql *facts(const struct writer_fsm *fsm, int i)
{
	return fsm->cfg.node[i].has_mysql ? &fsm->node[i].s.mysql : NULL;
}

/* The DR maps follow the writer (only the owner steers). */
static void steer(struct writer_fsm *fsm, struct wf_result *out, bool fresh)
{
	struct wf_action *a;

	if (!fsm->owner || !(a = push(out, WF_ACT_STEER, fsm->writer)))
		return;
	a->on = true;
	a->fresh = fresh;
}

/* --- what a node is worth ----------------------------------------------- */

/* Can we count on this node now? UP, its last probes succeeded, and it has
 * answered since its host went silent. Whatever it reported before does not
 * make a node that cannot be reached now a writer, a standby, or worth
 * waiting for. */
bool writer_fsm_reachable(const struct writer_fsm *fsm, int i, char *why, size_t len)
{
	const struct wf_node_state *n = &fsm->node[i];

	if (!n->s.up) {
		snprintf(why, len, "%s is down (%.200s)", nm(fsm, i), n->s.why);
		return false;
	}
	if (n->silent_at_us) {
		snprintf(why, len, "%s did not answer since its host went silent (its VRRP adverts "
			 "stopped)", nm(fsm, i));
		return false;
	}
	if (!n->s.probes_ok) {
		snprintf(why, len, "%s: its last probe failed: %.200s", nm(fsm, i), n->s.probe_error);
		return false;
	}
	return true;
}

static bool reachable(const struct writer_fsm *fsm, int i)
{
	char why[WF_WHY_LEN];

	return writer_fsm_reachable(fsm, i, why, sizeof(why));
}

/* Gone: DOWN by its checks (fall, or the death watch), or its host silent
 * since the VIP moved here. Stronger than "not reachable now": one probe
 * that timed out on a loaded host is not enough to stop waiting for a node
 * (its fence in flight, its promotion), or a live, writable node would be
 * left writable while another opens. Says why in why. */
bool writer_fsm_gone(const struct writer_fsm *fsm, int i, char *why, size_t len)
{
	const struct wf_node_state *n = &fsm->node[i];

	if (!n->s.up) {
		snprintf(why, len, "%s is down (%.200s)", nm(fsm, i), n->s.why);
		return true;
	}
	if (n->silent_at_us) {
		snprintf(why, len, "%s did not answer since its host went silent (its VRRP adverts "
			 "stopped)", nm(fsm, i));
		return true;
	}
	return false;
}

static bool gone(const struct writer_fsm *fsm, int i)
{
	char why[WF_WHY_LEN];

	return writer_fsm_gone(fsm, i, why, sizeof(why));
}

/* Can it apply what it received, from what its check knows? */
static bool replication_ok(const struct writer_fsm *fsm, int i, char *why, size_t len)
{
	const struct wf_mysql *f = facts(fsm, i);

	if (!f)
		return true;
	if (!f->valid) {
		snprintf(why, len, "%s: its replication state is not known yet", nm(fsm, i));
		return false;
	}
	if (f->is_replica && f->last_sql_errno) {
		snprintf(why, len, "%s: replication SQL thread stopped with error %u: %.160s",
			 nm(fsm, i), f->last_sql_errno, f->last_sql_error);
		return false;
	}
	if (f->is_replica && !f->sql_running) {
		snprintf(why, len, "%s: replication SQL thread is not running: it cannot apply what "
			 "it received", nm(fsm, i));
		return false;
	}
	return true;
}

/* Is this node safe to make the writer? Reachable now, and its replication
 * can apply what it received. */
static bool candidate_ok(const struct writer_fsm *fsm, int i, char *why, size_t len)
{
	return writer_fsm_reachable(fsm, i, why, len) && replication_ok(fsm, i, why, len);
}

/* A standby that could acknowledge the writer's commits: not gone (a node
 * whose host went silent is still UP for a while, and still a semi-sync
 * client in the writer's eyes, but will never acknowledge). */
static bool standby_up(const struct writer_fsm *fsm, int writer)
{
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
		if ((int)i != writer && !gone(fsm, (int)i))
			return true;
	return false;
}

bool writer_fsm_semisync_off(const struct writer_fsm *fsm)
{
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
		if (fsm->node[i].semisync_off)
			return true;
	return false;
}

/* The best node to become the writer: highest weight among the safe ones.
 * Returns -1 and says why when none is. */
static int pick(const struct writer_fsm *fsm, int exclude, char *why, size_t len)
{
	int best = -1;
	bool why_up = false;
	char one[WF_WHY_LEN] = "";

	why[0] = 0;
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		if ((int)i == exclude)
			continue;
		if (!candidate_ok(fsm, (int)i, one, sizeof(one))) {
			/* why a live node is unsafe tells more than "the dead
			 * writer is down" */
			if (!why[0] || (fsm->node[i].s.up && !why_up)) {
				snprintf(why, len, "%s", one);
				why_up = fsm->node[i].s.up;
			}
			continue;
		}
		if (best < 0 || fsm->cfg.node[i].weight > fsm->cfg.node[best].weight)
			best = (int)i;
	}
	if (best < 0 && !why[0])
		snprintf(why, len, "no real server is up");
	return best;
}

/* --- promotion ----------------------------------------------------------- */

static void step(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);
static void decide(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);

__attribute__((format(printf, 4, 5)))
static void promo_fail(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
		       const char *fmt, ...)
{
	int c = fsm->candidate;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fsm->refused, sizeof(fsm->refused), fmt, ap);
	va_end(ap);
	say(out, WF_LOG_ERR, "NOT promoting %s: %s", c >= 0 ? nm(fsm, c) : "anyone", fsm->refused);
	event(out, now, WF_EV_REFUSED, c, fsm->refused, fsm->promo_start_us);
	fsm->phase = WF_IDLE;
	fsm->candidate = -1;
	fsm->step_gen = 0;
	fsm->promo_gen++;
	steer(fsm, out, false); /* no writer: nobody takes writes through the VIP */
}

/* read_only=ON on a node. count: the promotion's fence step waits for it
 * (also when a fence of it is already in flight). */
static void fence(struct writer_fsm *fsm, struct wf_result *out, int i, bool count)
{
	struct wf_node_state *n = &fsm->node[i];

	if (!fsm->cfg.node[i].has_mysql)
		return;
	if (!n->fence_gen) {
		struct wf_action *a = op(fsm, out, WF_ACT_FENCE, i);

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
	struct wf_action *a = op(fsm, out, t, fsm->candidate);

	if (!a) {
		promo_fail(fsm, now, out, "too many actions at once");
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
	steer(fsm, out, true); /* its MAC read afresh: it may have changed */
	/* Re-assert read_only=ON on every standby (facts can be one probe
	 * old), which also opens the admin connection the next promotion of
	 * that standby will use: a failover then costs no connect. */
	if (fsm->cfg.manage_read_only)
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			if ((int)i != w && fsm->node[i].s.up)
				fence(fsm, out, (int)i, false);
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
	say(out, WF_LOG_NOTICE, "writer is now %s (%s; %u us after the decision)", nm(fsm, w), why,
	    (unsigned)(now - fsm->promo_start_us));
	event(out, now, WF_EV_PROMOTED, w, why, fsm->promo_start_us);
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
		const struct wf_mysql *nf = facts(fsm, (int)i);
		bool writable;

		if ((int)i == fsm->candidate || !nf || gone(fsm, (int)i))
			continue;
		/* writable after our last fence of it, by a probe since */
		writable = nf->valid && nf->read_only == 0 &&
			   n->s.probe_start_max_us > n->fenced_at_us;
		if (n->fence_gen || writable)
			fence(fsm, out, (int)i, true);
	}
	return fsm->pending != 0;
}

static void step(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	int c = fsm->candidate;
	bool manage = fsm->cfg.manage_read_only;
	const struct wf_mysql *f = c >= 0 ? facts(fsm, c) : NULL;
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
			const struct wf_mysql *nf = facts(fsm, (int)i);

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
				say(out, WF_LOG_NOTICE, "fencing %s without waiting for it: %s",
				    nm(fsm, (int)i), why);
				fence(fsm, out, (int)i, false);
				continue;
			}
			fence(fsm, out, (int)i, true);
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
		    !replication_ok(fsm, c, why, sizeof(why))) {
			promo_fail(fsm, now, out, "%s", why);
			return;
		}
		/* server settings are xvipd's to change only with manage_read_only */
		if (manage && f && f->valid && f->semi_sync_master_enabled == 1 &&
		    !standby_up(fsm, c)) {
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
			say(out, WF_LOG_NOTICE, "not opening %s yet: a node that answered during the "
			    "promotion is fenced first", nm(fsm, c));
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

static void promote(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int i,
		    const char *why, uint64_t since)
{
	say(out, WF_LOG_NOTICE, "promoting %s: %s", nm(fsm, i), why);
	fsm->promo_gen++;
	fsm->step_gen = 0;
	fsm->candidate = i;
	fsm->promo_start_us = since ? since : now;
	fsm->phase = WF_FENCE;
	step(fsm, now, out);
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
		say(out, WF_LOG_NOTICE, "%s set read_only=ON (fenced)", nm(fsm, r->node));
		event(out, now, WF_EV_FENCED, r->node, "read_only=ON", 0);
	} else {
		say(out, WF_LOG_WARNING, "cannot %s read_only=ON on %s: %s",
		    r->not_started ? "start" : "set", nm(fsm, r->node), err);
	}
	if (!counted || fsm->phase != WF_FENCE || !fsm->pending)
		return;
	/* A reachable node that refuses read_only could still take writes:
	 * do not open a second writer, whatever the other fences say. A dead
	 * one is fenced by being dead, and by the data plane, which no longer
	 * sends it anything. */
	if (r->rc != 0 && n->s.up) {
		promo_fail(fsm, now, out, "%s is reachable but could not be set read-only (%s): two "
			   "writers would be possible", nm(fsm, r->node), err);
		return;
	}
	if (--fsm->pending)
		return;
	fsm->phase = WF_SEMISYNC;
	step(fsm, now, out);
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
		promo_fail(fsm, now, out, "%s: cannot switch its semi-sync master side off: %s",
			   nm(fsm, r->node), err);
		return;
	}
	if (r->rc != 0) {
		/* not fatal: commits wait for rpl_semi_sync_master_timeout, then
		 * the server goes asynchronous by itself */
		say(out, WF_LOG_WARNING, "cannot switch semi-sync off on %s: %s", nm(fsm, r->node), err);
	} else {
		fsm->node[r->node].semisync_off = true;
		say(out, WF_LOG_WARNING, "%s: no standby is up, semi-sync master side switched off: "
		    "writes are asynchronous until a standby returns", nm(fsm, r->node));
	}
	fsm->phase = WF_APPLY;
	step(fsm, now, out);
}

static void applied_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
			 const struct wf_op_result *r)
{
	const char *err = r->err ? r->err : "";

	fsm->step_gen = 0;
	if (r->not_started) {
		promo_fail(fsm, now, out, "%s: cannot check what it applied: %s", nm(fsm, r->node), err);
		return;
	}
	if (r->rc != 0) {
		promo_fail(fsm, now, out, "%s has not applied everything it received within %u ms: %s",
			   nm(fsm, r->node), fsm->cfg.promote_timeout_ms, *err ? err : "still behind");
		return;
	}
	fsm->phase = WF_OPEN;
	step(fsm, now, out);
}

static void open_done(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
		      const struct wf_op_result *r)
{
	fsm->step_gen = 0;
	if (r->rc != 0) {
		promo_fail(fsm, now, out, "%s: cannot set read_only=OFF: %s", nm(fsm, r->node),
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
	struct wf_action *a = op(fsm, out, WF_ACT_SEMISYNC, i);

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
		say(out, WF_LOG_WARNING, "cannot switch semi-sync %s on %s: %s%s",
		    on ? "on again" : "off", nm(fsm, r->node), r->err ? r->err : "",
		    on ? "" : " (its commits wait rpl_semi_sync_master_timeout)");
		return;
	}
	n->semisync_off = !on;
	if (on)
		say(out, WF_LOG_NOTICE, "a peer replicates from %s again: its semi-sync master side "
		    "is on again", nm(fsm, r->node));
	else
		say(out, WF_LOG_WARNING, "no standby is up: the writer %s's semi-sync master side "
		    "switched off, writes are asynchronous until a standby returns", nm(fsm, r->node));
}

/* Undo what the promotion did to semi-sync, node by node, once a peer
 * replicates from that node again (its IO thread runs): the writer then
 * waits for that standby's acknowledgement again, and a standby's applied
 * transactions for the writer's. Not while a promotion runs (it may just
 * have switched the candidate off). */
static void semisync_restore(struct writer_fsm *fsm, struct wf_result *out)
{
	if (fsm->phase != WF_IDLE)
		return;
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_node_state *n = &fsm->node[i];
		bool peer = false;

		if (!n->semisync_off || n->semisync_gen || !n->s.up || !fsm->cfg.node[i].has_mysql)
			continue;
		for (size_t k = 0; k < fsm->cfg.n_nodes && !peer; k++) {
			const struct wf_mysql *f = facts(fsm, (int)k);

			/* its facts are fresh: a silent one's io_running
			 * is what it said before it went */
			peer = k != i && reachable(fsm, (int)k) && f && f->valid && f->io_running;
		}
		if (peer)
			semisync_set(fsm, out, (int)i, true);
	}
}

/* The last standby is gone (its mysqld died or hangs): every commit on the
 * writer would now wait rpl_semi_sync_master_timeout for an acknowledgement
 * nobody sends, and then MariaDB goes asynchronous by itself. Do that at
 * once instead: the same durability, without the seconds of frozen writes.
 * semisync_restore switches it on again when a standby replicates. */
static void semisync_lost(struct writer_fsm *fsm, struct wf_result *out)
{
	const struct wf_node_state *w;
	const struct wf_mysql *f;

	if (!fsm->cfg.fo || !fsm->owner || !fsm->cfg.manage_read_only || fsm->writer < 0 ||
	    fsm->phase != WF_IDLE)
		return;
	w = &fsm->node[fsm->writer];
	f = facts(fsm, fsm->writer);
	if (!w->s.up || !f || !f->valid || f->semi_sync_master_enabled != 1 || w->semisync_off ||
	    w->semisync_gen || standby_up(fsm, fsm->writer))
		return;
	semisync_set(fsm, out, fsm->writer, false);
}

/* --- deciding ------------------------------------------------------------ */

/* Every check has decided, and has completed a probe since this node became
 * the VIP's owner: a new owner (perhaps only for a moment, in a VRRP flap)
 * must not choose a writer from facts gathered before. A node whose host
 * went silent does not hold the decision past its short grace (the others'
 * fresh probes are enough: nothing waits on a node that is gone); *due
 * becomes the end of the grace still running, if earlier. */
static bool all_decided(const struct writer_fsm *fsm, uint64_t now, uint64_t *due)
{
	bool all = true;

	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_node_state *n = &fsm->node[i];

		if (n->silent_at_us) {
			/* a probe asked since has failed already: it is gone */
			bool answered = n->s.probe_start_max_us >= n->silent_at_us;

			if (!answered && now < n->silent_grace_end_us) {
				*due = n->silent_grace_end_us < *due ? n->silent_grace_end_us : *due;
				all = false;
			}
			continue;
		}
		if (!n->s.decided || n->s.probe_end_min_us <= fsm->owner_since_us)
			return false;
	}
	return all;
}

/* During a promotion, a node that is gone (DOWN, or its host silent): the
 * candidate's promotion ends at once and another pick is made (nothing
 * waits for the candidate's statements to time out); a fence the promotion
 * waits for is no longer waited for. One failed probe is not enough (see
 * writer_fsm_gone). true when the promotion was aborted. */
static bool recheck(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	char why[WF_WHY_LEN];

	if (fsm->phase == WF_IDLE || fsm->candidate < 0)
		return false;
	if (writer_fsm_gone(fsm, fsm->candidate, why, sizeof(why))) {
		promo_fail(fsm, now, out, "unreachable during its promotion: %s", why);
		decide(fsm, now, out); /* a new pick, now */
		steer(fsm, out, false);
		return true;
	}
	for (size_t i = 0; fsm->phase == WF_FENCE && i < fsm->cfg.n_nodes; i++) {
		struct wf_node_state *n = &fsm->node[i];

		if (!n->fence_counted || !writer_fsm_gone(fsm, (int)i, why, sizeof(why)))
			continue;
		n->fence_counted = false;
		say(out, WF_LOG_NOTICE, "not waiting for the fence of %s any longer: %s",
		    nm(fsm, (int)i), why);
		if (--fsm->pending == 0) {
			fsm->phase = WF_SEMISYNC;
			step(fsm, now, out);
		}
	}
	return false;
}

static void arm(struct writer_fsm *fsm, struct wf_result *out, uint64_t at)
{
	struct wf_action *a;

	fsm->retry_at = at;
	if ((a = push(out, WF_ACT_TIMER, -1)))
		a->at = at;
}

/* fo: keep the writer while it is up (no automatic fail-back); choose one
 * when there is none. Only the owner of the VIP decides. */
static void decide(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	uint64_t timeout = fsm->cfg.promote_timeout_ms * 1000ull, due;
	char why[WF_WHY_LEN];
	int best;

	if (!fsm->cfg.fo || !fsm->owner || fsm->phase != WF_IDLE)
		return;
	if (fsm->writer >= 0 && fsm->node[fsm->writer].s.up)
		return;
	if (fsm->writer >= 0) {
		int old = fsm->writer;
		const struct wf_node *o = &fsm->node[old].s;

		say(out, WF_LOG_WARNING, "writer %s lost: %s", nm(fsm, old), o->why);
		event(out, now, WF_EV_LOST, old, o->why, 0);
		fsm->writer = -1;
		fsm->lost_at_us = o->down_at_us;
		steer(fsm, out, false); /* nobody writes until a safe node is open */
		best = pick(fsm, -1, why, sizeof(why));
		if (best < 0) {
			fsm->candidate = -1;
			fsm->promo_start_us = o->down_at_us;
			promo_fail(fsm, now, out, "%s", why);
			return;
		}
		promote(fsm, now, out, best, "the writer is down", o->down_at_us);
		return;
	}
	/* No writer yet (start, or just became owner): wait until every check
	 * has spoken (or promote_timeout), then prefer a node that already
	 * takes writes, so that a VIP move does not move the writer. */
	due = fsm->owner_since_us + timeout;
	if (!all_decided(fsm, now, &due) && now < fsm->owner_since_us + timeout) {
		if (fsm->retry_at == WF_NO_DEADLINE || fsm->retry_at > due)
			arm(fsm, out, due);
		return;
	}
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_mysql *f = facts(fsm, (int)i);

		if (fsm->node[i].s.up && f && f->valid && f->read_only == 0 &&
		    candidate_ok(fsm, (int)i, why, sizeof(why))) {
			/* adopt it; promote() fences any other writable node */
			promote(fsm, now, out, (int)i, "it already takes writes (read_only=OFF)",
				fsm->lost_at_us);
			return;
		}
	}
	best = pick(fsm, -1, why, sizeof(why));
	if (best < 0) {
		if (strcmp(fsm->refused, why)) {
			fsm->candidate = -1;
			fsm->promo_start_us = fsm->lost_at_us;
			promo_fail(fsm, now, out, "%s", why);
		}
		return;
	}
	/* after a loss, a retry's time counts from the loss: what the
	 * clients saw */
	promote(fsm, now, out, best, fsm->lost_at_us ? "the writer was lost: highest weight safe node"
						     : "no writer yet: highest weight safe node",
		fsm->lost_at_us);
}

/* Decide, then steer to whoever is the writer now. */
static void update(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	decide(fsm, now, out);
	steer(fsm, out, false);
}

/* --- inputs -------------------------------------------------------------- */

static bool node_ok(const struct writer_fsm *fsm, int i)
{
	return i >= 0 && (size_t)i < fsm->cfg.n_nodes;
}

unsigned writer_fsm_changed(struct writer_fsm *fsm, uint64_t now, int i, const struct wf_node *s,
			    struct wf_result *out)
{
	begin(out);
	if (!node_ok(fsm, i))
		return 0;
	fsm->node[i].s = *s;
	if (fsm->owner && fsm->cfg.fo)
		recheck(fsm, now, out);
	update(fsm, now, out);
	if (!s->up)
		semisync_lost(fsm, out);
	return out->n;
}

/* After every probe: a node that is not the writer must not be writable (it
 * came back after a crash with read_only=OFF, or someone set it): fence it.
 * And a pending decision may now be possible. */
unsigned writer_fsm_probed(struct writer_fsm *fsm, uint64_t now, int i, const struct wf_node *s,
			   const struct wf_probe *p, struct wf_result *out)
{
	struct wf_node_state *n;
	const struct wf_mysql *f;
	bool fo = fsm->cfg.fo, manage = fsm->cfg.manage_read_only;
	char why[WF_WHY_LEN];

	begin(out);
	if (!node_ok(fsm, i))
		return 0;
	n = &fsm->node[i];
	n->s = *s;
	f = facts(fsm, i);
	/* A silent host answers: a good probe that started after it went
	 * silent ends that; one that was already running when it did proves
	 * nothing, so the next one starts at once. */
	if (n->silent_at_us && p->ok) {
		if (p->started_us >= n->silent_at_us) {
			n->silent_at_us = 0;
			say(out, WF_LOG_NOTICE, "%s answers: its host is not gone", nm(fsm, i));
		} else {
			push(out, WF_ACT_PROBE, i);
		}
	}
	if (fsm->owner && fo && recheck(fsm, now, out))
		return out->n;
	if (fsm->owner && manage && p->mysql && f && f->valid && p->ok) {
		/* With no writer chosen yet, a writable node that is safe is
		 * the one decide() adopts once every check has spoken: a
		 * restarted xvipd must not make the running writer read-only
		 * for a moment. An unsafe one is fenced; one that cannot be
		 * reached now is judged once it answers. */
		bool adoptable = fo && fsm->writer < 0 && candidate_ok(fsm, i, why, sizeof(why));

		if (f->read_only == 0 && i != fsm->writer && i != fsm->candidate && !n->fence_gen &&
		    fsm->phase == WF_IDLE && reachable(fsm, i) && !adoptable) {
			say(out, WF_LOG_WARNING, "%s is writable but not the writer: setting "
			    "read_only=ON", nm(fsm, i));
			fence(fsm, out, i, false);
		}
		/* The writer read-only, by a probe that started after we
		 * opened it: another node fenced it (a momentary VIP owner in
		 * a VRRP flap, which took it for gone). This node decides:
		 * open it again, the safe way (the others fenced first). */
		if (fo && i == fsm->writer && fsm->phase == WF_IDLE && f->read_only == 1 &&
		    p->started_us > fsm->opened_at_us && candidate_ok(fsm, i, why, sizeof(why))) {
			say(out, WF_LOG_WARNING, "the writer %s was set read-only by someone else: "
			    "opening it again", nm(fsm, i));
			promote(fsm, now, out, i, "the writer was found read-only", 0);
			return out->n;
		}
	}
	if (fsm->owner && fo && fsm->writer < 0 && fsm->phase == WF_IDLE)
		decide(fsm, now, out);
	/* Also when not the owner: a momentary owner (a VRRP flap) may have
	 * switched its own node's semi-sync off in a promotion it made; what
	 * it switched off it switches on again once a peer replicates. */
	if (manage && p->mysql && f && f->valid)
		semisync_restore(fsm, out);
	return out->n;
}

/* The previous master fell silent: what its real servers last reported may
 * be from a host that is gone. */
static void silent(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int i)
{
	struct wf_node_state *n = &fsm->node[i];
	uint64_t g = 2 * n->s.probe_us_max;
	bool failing = !n->s.probes_ok;

	g = failing ? 0 : g < WF_SILENT_GRACE_MIN_US ? WF_SILENT_GRACE_MIN_US
	    : g > WF_SILENT_GRACE_MAX_US ? WF_SILENT_GRACE_MAX_US : g;
	n->silent_at_us = now;
	n->silent_grace_end_us = now + g;
	if (failing)
		say(out, WF_LOG_NOTICE, "%s: its host went silent (VRRP adverts stopped) and its last "
		    "probe failed: not counted on until it answers", nm(fsm, i));
	else
		say(out, WF_LOG_NOTICE, "%s: its host went silent (VRRP adverts stopped): not counted "
		    "on until it answers (a decision waits %llu ms for it)", nm(fsm, i),
		    (unsigned long long)(g / 1000));
}

unsigned writer_fsm_owner(struct writer_fsm *fsm, uint64_t now, bool owner, uint32_t silent_nodes,
			  struct wf_result *out)
{
	struct wf_action *a;

	begin(out);
	if (fsm->owner == owner)
		return 0;
	fsm->owner = owner;
	if (owner) {
		fsm->owner_since_us = now;
		say(out, WF_LOG_INFO, "this node owns the VIP: steering");
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			if (silent_nodes & (1u << i))
				silent(fsm, now, out, (int)i);
		/* fresh facts within a round trip, not an interval */
		push(out, WF_ACT_PROBE, -1);
		update(fsm, now, out);
	} else {
		/* The new owner decides; late results see WF_IDLE. */
		fsm->writer = fsm->candidate = -1;
		fsm->phase = WF_IDLE;
		fsm->step_gen = 0;
		fsm->promo_gen++;
		if ((a = push(out, WF_ACT_STEER, -1)))
			a->on = false;
	}
	return out->n;
}

unsigned writer_fsm_op_done(struct writer_fsm *fsm, uint64_t now, const struct wf_op_result *r,
			    struct wf_result *out)
{
	struct wf_node_state *n;

	begin(out);
	if (fsm->ops_out)
		fsm->ops_out--;
	if (!node_ok(fsm, r->node) || !r->gen)
		return 0;
	n = &fsm->node[r->node];
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
			 * off, and semisync_restore must know to switch it on */
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
	return out->n;
}

unsigned writer_fsm_timer(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	begin(out);
	if (fsm->retry_at == WF_NO_DEADLINE)
		return 0;
	if (now < fsm->retry_at) {
		arm(fsm, out, fsm->retry_at); /* early: keep it */
		return out->n;
	}
	fsm->retry_at = WF_NO_DEADLINE;
	update(fsm, now, out);
	return out->n;
}

unsigned writer_fsm_update(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	begin(out);
	update(fsm, now, out);
	return out->n;
}

unsigned writer_fsm_request(struct writer_fsm *fsm, uint64_t now, int i, struct wf_result *out)
{
	char why[WF_WHY_LEN];

	begin(out);
	if (!fsm->cfg.fo)
		return 0;
	if (!fsm->owner) {
		reply(out, true, "this node does not own the VIP: run it on the master");
		return 0;
	}
	if (fsm->phase != WF_IDLE) {
		reply(out, true, "a promotion is already running");
		return 0;
	}
	if (i < 0) {
		i = pick(fsm, fsm->writer, why, sizeof(why));
		if (i < 0) {
			reply(out, true, "no node to hand over to: %s", why);
			return 0;
		}
	}
	if (!node_ok(fsm, i)) {
		reply(out, true, "no such real server");
		return 0;
	}
	if (i == fsm->writer) {
		reply(out, false, "%s is already the writer", nm(fsm, i));
		return 0;
	}
	if (!candidate_ok(fsm, i, why, sizeof(why))) {
		reply(out, true, "refusing: %s", why);
		return 0;
	}
	/* The old writer is reachable: promote() fences it first. */
	promote(fsm, now, out, i, "operator request", 0);
	reply(out, false, "promoting %s", nm(fsm, i));
	return out->n;
}

/* --- reload and status ---------------------------------------------------- */

void writer_fsm_carry(struct writer_fsm *fsm, const struct writer_fsm *old, const int *map,
		      bool owner, uint64_t now)
{
	if (old) {
		fsm->owner_since_us = old->owner_since_us;
		fsm->promo_gen = old->promo_gen + 1;
		fsm->next_gen = old->next_gen;
		fsm->lost_at_us = old->lost_at_us;
		fsm->opened_at_us = old->opened_at_us;
		memcpy(fsm->refused, old->refused, sizeof(fsm->refused));
		fsm->semisync = old->semisync;
	}
	fsm->owner = owner;
	if (owner && !(old && old->owner))
		fsm->owner_since_us = now;
	for (size_t i = 0; old && i < fsm->cfg.n_nodes; i++) {
		const struct wf_node_state *o;
		int j = map[i];

		if (j < 0 || (size_t)j >= old->cfg.n_nodes)
			continue;
		o = &old->node[j];
		fsm->node[i].semisync_off = o->semisync_off;
		fsm->node[i].silent_at_us = o->silent_at_us;
		fsm->node[i].silent_grace_end_us = o->silent_grace_end_us;
		if (owner && old->owner && old->writer == j)
			fsm->writer = (int)i;
	}
}

bool writer_fsm_busy(const struct writer_fsm *fsm)
{
	return fsm->phase != WF_IDLE || fsm->ops_out > 0;
}

uint64_t writer_fsm_next_deadline(const struct writer_fsm *fsm)
{
	return fsm->retry_at;
}
