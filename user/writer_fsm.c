/*
 * writer_fsm.c - the single MySQL writer of a virtual server: what a node
 * is worth, deciding who is promoted, the inputs. The promotion itself is
 * writer_fsm_promote.c's. See writer_fsm.h.
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
#include "writer_fsm_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *wf_phase_str(enum wf_phase p)
{
	switch (p) {
	case WF_IDLE: return "idle";
	case WF_FENCE: return "fencing";
	case WF_WITNESS: return "witness";
	case WF_DETACH: return "detaching";
	case WF_SEMISYNC: return "semi-sync";
	case WF_APPLY: return "waiting for apply";
	case WF_OPEN: return "opening";
	case WF_NPHASES: break;
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
	case WF_EV_BLOCKED: return "blocked";
	case WF_EV_ASYNC: return "async";
	case WF_EV_ERRANT: return "errant";
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
	case WF_ACT_DETACH: return "DETACH";
	case WF_ACT_ATTACH: return "ATTACH";
	case WF_ACT_WITNESS: return "WITNESS";
	case WF_ACT_PROMOTE: return "PROMOTE";
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

void wf_begin(struct wf_result *out)
{
	out->n = 0;
	out->overflow = false;
	out->reason[0] = 0;
	out->refused = false;
}

struct wf_action *wf_push(struct wf_result *out, enum wf_action_type t, int node)
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
void wf_say(struct wf_result *out, enum wf_level level, const char *fmt, ...)
{
	struct wf_action *a = wf_push(out, WF_ACT_LOG, -1);
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

void wf_event(struct wf_result *out, uint64_t now, enum wf_event e, int node,
	      const char *text, uint64_t since)
{
	struct wf_action *a = wf_push(out, WF_ACT_EVENT, node);

	if (!a)
		return;
	a->event = e;
	a->took_us = since ? (uint32_t)(now - since) : 0;
	snprintf(a->text, sizeof(a->text), "%s", text);
}

/* An operation: the shell hands its result back with this generation. */
struct wf_action *wf_op(struct writer_fsm *fsm, struct wf_result *out,
			enum wf_action_type t, int node)
{
	struct wf_action *a = wf_push(out, t, node);

	if (!a)
		return NULL;
	a->gen = ++fsm->next_gen;
	fsm->ops_out++;
	return a;
}

const char *wf_name(const struct writer_fsm *fsm, int i)
{
	return fsm->cfg.node[i].name;
}

const struct wf_mysql *wf_facts(const struct writer_fsm *fsm, int i)
{
	return fsm->cfg.node[i].has_mysql ? &fsm->node[i].s.mysql : NULL;
}

/* The DR maps follow the writer (only the owner steers). */
void wf_steer(struct writer_fsm *fsm, struct wf_result *out, bool fresh)
{
	struct wf_action *a;

	if (!fsm->owner || !(a = wf_push(out, WF_ACT_STEER, fsm->writer)))
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
		snprintf(why, len, "%s is down (%.200s)", wf_name(fsm, i), n->s.why);
		return false;
	}
	if (n->silent_at_us) {
		snprintf(why, len, "%s did not answer since its host went silent (its VRRP adverts "
			 "stopped)", wf_name(fsm, i));
		return false;
	}
	if (!n->s.probes_ok) {
		snprintf(why, len, "%s: its last probe failed: %.200s", wf_name(fsm, i), n->s.probe_error);
		return false;
	}
	return true;
}

bool wf_reachable(const struct writer_fsm *fsm, int i)
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
		snprintf(why, len, "%s is down (%.200s)", wf_name(fsm, i), n->s.why);
		return true;
	}
	if (n->silent_at_us) {
		snprintf(why, len, "%s did not answer since its host went silent (its VRRP adverts "
			 "stopped)", wf_name(fsm, i));
		return true;
	}
	return false;
}

bool wf_gone(const struct writer_fsm *fsm, int i)
{
	char why[WF_WHY_LEN];

	return writer_fsm_gone(fsm, i, why, sizeof(why));
}

/* Can it apply what it received, from what its check knows? */
bool wf_replication_ok(const struct writer_fsm *fsm, int i, char *why, size_t len)
{
	const struct wf_mysql *f = wf_facts(fsm, i);

	if (!f)
		return true;
	if (!f->valid) {
		snprintf(why, len, "%s: its replication state is not known yet", wf_name(fsm, i));
		return false;
	}
	if (f->is_replica && f->last_sql_errno) {
		snprintf(why, len, "%s: replication SQL thread stopped with error %u: %.160s",
			 wf_name(fsm, i), f->last_sql_errno, f->last_sql_error);
		return false;
	}
	if (f->is_replica && !f->sql_running) {
		snprintf(why, len, "%s: replication SQL thread is not running: it cannot apply what "
			 "it received", wf_name(fsm, i));
		return false;
	}
	return true;
}

/* Is this node safe to make the writer? Reachable now, and its replication
 * can apply what it received. */
bool wf_candidate_ok(const struct writer_fsm *fsm, int i, char *why, size_t len)
{
	const struct wf_node_state *n = &fsm->node[i];

	if (n->errant_n) {
		snprintf(why, len, "%s has %zu transaction(s) the writer never received (errant: "
			 "%.120s): resolve them first", wf_name(fsm, i), n->errant_n, n->errant);
		return false;
	}
	return writer_fsm_reachable(fsm, i, why, len) && wf_replication_ok(fsm, i, why, len);
}

/* Its mysqld is stopped: DOWN, and its last connect was refused. */
bool wf_stopped(const struct writer_fsm *fsm, int i)
{
	return !fsm->node[i].s.up && fsm->node[i].s.refused;
}

bool writer_fsm_fenced(const struct writer_fsm *fsm, int c, int i, char *why, size_t len)
{
	const struct wf_mysql *f = wf_facts(fsm, i);
	const char *name = wf_name(fsm, i);

	if (!f || wf_stopped(fsm, i))
		return true;
	if (!f->valid || f->at_us < fsm->node[c].s.up_at_us) {
		snprintf(why, len, "nothing %s said since %s came up shows it is semi-synchronous",
			 name, wf_name(fsm, c));
		return false;
	}
	/* a node that was read-only may be promoting itself right now, on
	 * the other side of a partition, and be asynchronous soon */
	if (f->read_only != 0) {
		snprintf(why, len, "%s was read-only when last seen: it may be promoting itself",
			 name);
		return false;
	}
	if (f->semi_sync_master_enabled != 1) {
		snprintf(why, len, "%s's semi-sync master side is off: it acknowledges writes "
			 "without a standby", name);
		return false;
	}
	if (f->semi_sync_wait_no_slave == 0) {
		snprintf(why, len, "%s has rpl_semi_sync_master_wait_no_slave=OFF: without a "
			 "standby it acknowledges writes", name);
		return false;
	}
	if (f->semi_sync_timeout_ms >= 0 && f->semi_sync_timeout_ms < WF_FENCE_MIN_TIMEOUT_MS) {
		snprintf(why, len, "%s goes asynchronous by itself after rpl_semi_sync_master_timeout "
			 "%lld ms (a fence needs at least %lld)", name, f->semi_sync_timeout_ms,
			 WF_FENCE_MIN_TIMEOUT_MS);
		return false;
	}
	return true;
}

/* A standby that could acknowledge the writer's commits: not gone (a node
 * whose host went silent is still UP for a while, and still a semi-sync
 * client in the writer's eyes, but will never acknowledge). */
bool wf_standby_up(const struct writer_fsm *fsm, int writer)
{
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
		if ((int)i != writer && !wf_gone(fsm, (int)i))
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

/* A read-only node becomes the writer only when every other node that is
 * gone is proven unable to acknowledge (the fence step checks it again). */
bool wf_promotable(const struct writer_fsm *fsm, int c, char *why, size_t len)
{
	const struct wf_mysql *f = wf_facts(fsm, c);
	char one[WF_WHY_LEN];

	if (wf_witness_forbids(fsm, c, why, len))
		return false;
	if (!fsm->cfg.manage_read_only || !fsm->semisync || !f || (f->valid && f->read_only == 0))
		return true;
	for (size_t i = 0; fsm->cfg.witness && !wf_witness_usable(fsm) && i < fsm->cfg.n_nodes; i++)
		if ((int)i != c && wf_gone(fsm, (int)i) && !wf_stopped(fsm, (int)i)) {
			snprintf(why, len, "%s: the witness cannot be reached, and %s cannot be either",
				 wf_name(fsm, c), wf_name(fsm, (int)i));
			return false;
		}
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
		if ((int)i != c && wf_gone(fsm, (int)i) &&
		    !writer_fsm_fenced(fsm, c, (int)i, one, sizeof(one))) {
			snprintf(why, len, "%s: cannot prove %s cannot acknowledge writes: %s",
				 wf_name(fsm, c), wf_name(fsm, (int)i), one);
			return false;
		}
	return true;
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
		if (fsm->cfg.node[i].weight == 0) {
			/* drained (keepalived's weight 0): a standby, never
			 * chosen as the writer; xvipctl promote still can */
			if (!why[0])
				snprintf(why, len, "%s has weight 0 (drained)", wf_name(fsm, (int)i));
			continue;
		}
		if (!wf_candidate_ok(fsm, (int)i, one, sizeof(one)) ||
		    !wf_promotable(fsm, (int)i, one, sizeof(one))) {
			/* why a live node is unsafe tells more than "the dead
			 * writer is down" */
			if (!why[0] || (wf_reachable(fsm, (int)i) && !why_up)) {
				snprintf(why, len, "%s", one);
				why_up = wf_reachable(fsm, (int)i);
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

/* --- deciding ------------------------------------------------------------ */

/* The writer's commits no longer wait. */
void wf_unblock(struct writer_fsm *fsm)
{
	fsm->blocked_since_us = 0;
	fsm->blocked_timed_out = false;
	fsm->loss_at = 0;
	fsm->blocked_why[0] = 0;
}

/* Another writer, or not ours to say: its standby's loss is forgotten too. */
static void unblock(struct writer_fsm *fsm)
{
	wf_unblock(fsm);
	fsm->standby_lost_at_us = 0;
}

static void decide(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);

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
		wf_promo_fail(fsm, now, out, "unreachable during its promotion: %s", why);
		decide(fsm, now, out); /* a new pick, now */
		wf_steer(fsm, out, false);
		return true;
	}
	for (size_t i = 0; fsm->phase == WF_FENCE && i < fsm->cfg.n_nodes; i++) {
		struct wf_node_state *n = &fsm->node[i];

		if (!n->fence_counted || !writer_fsm_gone(fsm, (int)i, why, sizeof(why)))
			continue;
		n->fence_counted = false;
		wf_say(out, WF_LOG_NOTICE, "not waiting for the fence of %s any longer: %s",
		    wf_name(fsm, (int)i), why);
		fsm->pending--;
		if (!wf_gone_fenced(fsm, now, out, (int)i, why)) {
			decide(fsm, now, out);
			return true;
		}
		if (fsm->pending == 0) {
			fsm->phase = WF_WITNESS;
			wf_step(fsm, now, out);
		}
	}
	return false;
}

void wf_rearm(struct writer_fsm *fsm, struct wf_result *out)
{
	struct wf_action *a;

	if ((a = wf_push(out, WF_ACT_TIMER, -1)))
		a->at = writer_fsm_next_deadline(fsm);
}

static void arm(struct writer_fsm *fsm, struct wf_result *out, uint64_t at)
{
	fsm->retry_at = at;
	wf_rearm(fsm, out);
}

/* A node that takes writes and stopped replicating from the writer (its IO
 * thread stopped) while the writer still replicates from it: it
 * was promoted by a node that could not reach the writer (a partition),
 * and it is the one whose commits were acknowledged since (the writer's
 * waited for it). -1 when there is none. */
static int newer_writer(const struct writer_fsm *fsm, int w)
{
	const struct wf_mysql *wf = w >= 0 ? wf_facts(fsm, w) : NULL;
	char why[WF_WHY_LEN];

	if (wf && wf->valid && wf->io_stopped)
		return -1; /* the writer detached itself: it is the newer one */
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_mysql *f = wf_facts(fsm, (int)i);

		if ((int)i != w && f && f->valid && f->read_only == 0 && f->is_replica &&
		    f->io_stopped && wf_candidate_ok(fsm, (int)i, why, sizeof(why)))
			return (int)i;
	}
	return -1;
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

		wf_say(out, WF_LOG_WARNING, "writer %s lost: %s", wf_name(fsm, old), o->why);
		wf_event(out, now, WF_EV_LOST, old, o->why, 0);
		fsm->writer = -1;
		unblock(fsm);
		fsm->lost_at_us = o->down_at_us;
		wf_steer(fsm, out, false); /* nobody writes until a safe node is open */
		best = pick(fsm, -1, why, sizeof(why));
		if (best < 0) {
			fsm->candidate = -1;
			fsm->promo_start_us = o->down_at_us;
			wf_promo_fail(fsm, now, out, "%s", why);
			return;
		}
		wf_promote(fsm, now, out, best, "the writer is down", o->down_at_us);
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
	/* two writable nodes after a partition: the one promoted behind it */
	if ((best = newer_writer(fsm, -1)) >= 0) {
		wf_promote(fsm, now, out, best, "it takes writes and was promoted while its peer "
			   "could not be reached (its replication from it stopped)", fsm->lost_at_us);
		return;
	}
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_mysql *f = wf_facts(fsm, (int)i);

		if (fsm->node[i].s.up && f && f->valid && f->read_only == 0 &&
		    wf_candidate_ok(fsm, (int)i, why, sizeof(why))) {
			/* adopt it; wf_promote() fences any other writable node */
			wf_promote(fsm, now, out, (int)i, "it already takes writes (read_only=OFF)",
				fsm->lost_at_us);
			return;
		}
	}
	best = pick(fsm, -1, why, sizeof(why));
	if (best < 0) {
		if (strcmp(fsm->refused, why)) {
			fsm->candidate = -1;
			fsm->promo_start_us = fsm->lost_at_us;
			wf_promo_fail(fsm, now, out, "%s", why);
		}
		return;
	}
	/* after a loss, a retry's time counts from the loss: what the
	 * clients saw */
	wf_promote(fsm, now, out, best, fsm->lost_at_us ? "the writer was lost: highest weight safe node"
						     : "no writer yet: highest weight safe node",
		fsm->lost_at_us);
}

/* Decide, then steer to whoever is the writer now. */
static void update(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	decide(fsm, now, out);
	wf_steer(fsm, out, false);
}

void wf_update(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	if (fsm->owner && fsm->cfg.fo && fsm->writer < 0 && fsm->phase == WF_IDLE)
		update(fsm, now, out);
}

/* --- inputs -------------------------------------------------------------- */

static bool node_ok(const struct writer_fsm *fsm, int i)
{
	return i >= 0 && (size_t)i < fsm->cfg.n_nodes;
}

unsigned writer_fsm_changed(struct writer_fsm *fsm, uint64_t now, int i, const struct wf_node *s,
			    struct wf_result *out)
{
	wf_begin(out);
	if (!node_ok(fsm, i))
		return 0;
	fsm->node[i].s = *s;
	if (fsm->owner && fsm->cfg.fo)
		recheck(fsm, now, out);
	update(fsm, now, out);
	wf_standby_check(fsm, now, out);
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

	wf_begin(out);
	if (!node_ok(fsm, i))
		return 0;
	n = &fsm->node[i];
	n->s = *s;
	f = wf_facts(fsm, i);
	/* A silent host answers: a good probe that started after it went
	 * silent ends that; one that was already running when it did proves
	 * nothing, so the next one starts at once. */
	if (n->silent_at_us && p->ok) {
		if (p->started_us >= n->silent_at_us) {
			n->silent_at_us = 0;
			wf_say(out, WF_LOG_NOTICE, "%s answers: its host is not gone", wf_name(fsm, i));
		} else {
			wf_push(out, WF_ACT_PROBE, i);
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
		bool adoptable = fo && fsm->writer < 0 && wf_candidate_ok(fsm, i, why, sizeof(why));

		/* After a partition: the writable node promoted behind it
		 * holds the acknowledged writes; ours could not get any
		 * acknowledged since. It becomes the writer, ours is fenced. */
		if (fo && fsm->writer >= 0 && i != fsm->writer && fsm->phase == WF_IDLE &&
		    wf_reachable(fsm, i) && newer_writer(fsm, fsm->writer) == i) {
			wf_say(out, WF_LOG_WARNING, "%s takes writes and stopped replicating from the "
			    "writer %s: it was promoted while this node could not reach it, and holds "
			    "the writes acknowledged since: it becomes the writer, %s is fenced",
			    wf_name(fsm, i), wf_name(fsm, fsm->writer), wf_name(fsm, fsm->writer));
			wf_promote(fsm, now, out, i, "promoted behind a partition", 0);
			return out->n;
		}

		/* a node the semi-sync fence holds whose read_only=ON failed
		 * (its commits that wait for an acknowledgement hold it) is
		 * tried again every few seconds, not at every probe */
		bool backoff = n->fence_failed_at_us && now < n->fence_failed_at_us + WF_REFENCE_US &&
			       wf_held(fsm, i);

		if (f->read_only == 0 && i != fsm->writer && i != fsm->candidate && !n->fence_gen &&
		    fsm->phase == WF_IDLE && wf_reachable(fsm, i) && !adoptable && !backoff) {
			wf_say(out, WF_LOG_WARNING, "%s is writable but not the writer: setting "
			    "read_only=ON", wf_name(fsm, i));
			wf_fence(fsm, out, i, false);
		}
		/* The writer read-only, by a probe that started after we
		 * opened it: another node fenced it (a momentary VIP owner in
		 * a VRRP flap, which took it for gone). This node decides:
		 * open it again, the safe way (the others fenced first). */
		if (fo && i == fsm->writer && fsm->phase == WF_IDLE && f->read_only == 1 &&
		    p->started_us > fsm->opened_at_us && wf_candidate_ok(fsm, i, why, sizeof(why)) &&
		    newer_writer(fsm, i) < 0) {
			wf_say(out, WF_LOG_WARNING, "the writer %s was set read-only by someone else: "
			    "opening it again", wf_name(fsm, i));
			wf_promote(fsm, now, out, i, "the writer was found read-only", 0);
			return out->n;
		}
	}
	if (fsm->owner && fo && fsm->writer < 0 && fsm->phase == WF_IDLE)
		decide(fsm, now, out);
	/* Also when not the owner: a momentary owner (a VRRP flap) may have
	 * switched its own node's semi-sync off in a promotion it made; what
	 * it switched off it switches on again once a peer replicates. */
	if (manage && p->mysql && f && f->valid)
		wf_semisync_restore(fsm, out);
	wf_standby_check(fsm, now, out);
	if (manage && p->mysql && f && f->valid)
		wf_standby_release(fsm, now, out);
	if (p->mysql && p->ok)
		wf_attach_check(fsm, now, out);
	wf_witness_ensure(fsm, out);
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
		wf_say(out, WF_LOG_NOTICE, "%s: its host went silent (VRRP adverts stopped) and its last "
		    "probe failed: not counted on until it answers", wf_name(fsm, i));
	else
		wf_say(out, WF_LOG_NOTICE, "%s: its host went silent (VRRP adverts stopped): not counted "
		    "on until it answers (a decision waits %llu ms for it)", wf_name(fsm, i),
		    (unsigned long long)(g / 1000));
}

unsigned writer_fsm_owner(struct writer_fsm *fsm, uint64_t now, bool owner, uint32_t silent_nodes,
			  struct wf_result *out)
{
	struct wf_action *a;

	wf_begin(out);
	if (fsm->owner == owner)
		return 0;
	fsm->owner = owner;
	if (owner) {
		fsm->owner_since_us = now;
		wf_say(out, WF_LOG_INFO, "this node owns the VIP: steering");
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			if (silent_nodes & (1u << i))
				silent(fsm, now, out, (int)i);
		/* fresh facts within a round trip, not an interval */
		wf_push(out, WF_ACT_PROBE, -1);
		update(fsm, now, out);
	} else {
		/* The new owner decides; late results see WF_IDLE. */
		fsm->writer = fsm->candidate = -1;
		fsm->phase = WF_IDLE;
		fsm->step_gen = 0;
		fsm->promo_gen++;
		unblock(fsm);
		if ((a = wf_push(out, WF_ACT_STEER, -1)))
			a->on = false;
	}
	return out->n;
}

unsigned writer_fsm_op_done(struct writer_fsm *fsm, uint64_t now, const struct wf_op_result *r,
			    struct wf_result *out)
{
	wf_begin(out);
	if (fsm->ops_out)
		fsm->ops_out--;
	if (node_ok(fsm, r->node) && r->gen)
		wf_op_result(fsm, now, r, out);
	return out->n;
}

unsigned writer_fsm_timer(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	wf_begin(out);
	if (fsm->loss_at && now >= fsm->loss_at) {
		wf_standby_check(fsm, now, out);
		/* not judged now (a promotion runs): promoted() judges it */
		if (fsm->loss_at && now >= fsm->loss_at)
			fsm->loss_at = 0;
	}
	if (fsm->retry_at != WF_NO_DEADLINE && now >= fsm->retry_at) {
		fsm->retry_at = WF_NO_DEADLINE;
		update(fsm, now, out);
	}
	wf_rearm(fsm, out); /* what is left, or early: keep it */
	return out->n;
}

unsigned writer_fsm_update(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	wf_begin(out);
	update(fsm, now, out);
	return out->n;
}

unsigned writer_fsm_request(struct writer_fsm *fsm, uint64_t now, int i, struct wf_result *out)
{
	char why[WF_WHY_LEN];

	wf_begin(out);
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
		reply(out, false, "%s is already the writer", wf_name(fsm, i));
		return 0;
	}
	if (!wf_candidate_ok(fsm, i, why, sizeof(why))) {
		reply(out, true, "refusing: %s", why);
		return 0;
	}
	/* The old writer is reachable: wf_promote() fences it first. */
	wf_promote(fsm, now, out, i, "operator request", 0);
	reply(out, false, "promoting %s", wf_name(fsm, i));
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
		fsm->wit = old->wit;
		fsm->wit.writer = -1; /* mapped below */
		memcpy(fsm->wit_said, old->wit_said, sizeof(fsm->wit_said));
		fsm->blocked_since_us = old->blocked_since_us;
		fsm->blocked_timed_out = old->blocked_timed_out;
		fsm->loss_at = old->loss_at;
		memcpy(fsm->blocked_why, old->blocked_why, sizeof(fsm->blocked_why));
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
		fsm->node[i].errant_n = o->errant_n;
		if (old->wit.writer == j)
			fsm->wit.writer = (int)i;
		memcpy(fsm->node[i].errant, o->errant, sizeof(o->errant));
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
	uint64_t at = fsm->retry_at;

	if (fsm->loss_at && fsm->loss_at < at)
		at = fsm->loss_at;
	return at;
}
