/*
 * writer_fsm_witness.c - the witness's key, part of the writer's state
 * machine (writer_fsm.h): pure, time in, actions out.
 *
 * Without a witness a pair cannot tell a dead peer from one behind a
 * partition, so a writer that loses its standby without proof waits
 * (standby_loss_policy). With one (ZooKeeper, a majority of its own), the
 * service's key "writer=NAME state=sync|async", an ephemeral znode of the
 * xvipd session that manages the writer, decides:
 *  - a promotion takes the key before it detaches and opens (WF_WITNESS):
 *    it creates it, or replaces one whose writer is synchronous, in one
 *    compare-and-swap on its version; a key naming another writer that is
 *    asynchronous refuses the promotion (that writer acknowledges alone);
 *    with the witness out of reach, only a promotion that can fence every
 *    other node goes on;
 *  - the writer whose xvipd holds the key goes asynchronous when its
 *    standby is lost by first setting state=async, compare-and-swap: if a
 *    candidate took the key meanwhile, that fails and the writer keeps
 *    waiting. Writes resume within a witness round trip, no proof needed;
 *  - semi-sync on again (a standby is back): state=sync after the switch;
 *  - the owner of the VIP keeps the key naming its writer (it creates it,
 *    takes over the other xvipd's key naming the same writer, or corrects
 *    its own), and says when it names another writer.
 * The shell (service.c, witness.c) reads the key, watches it and runs the
 * operations; every operation comes back through writer_fsm_op_done.
 */
#include <stdio.h>
#include <string.h>

#include "writer_fsm.h"
#include "writer_fsm_int.h"

void writer_fsm_witness_data(const struct writer_fsm *fsm, int node, bool async, char *buf,
			     size_t len)
{
	snprintf(buf, len, "writer=%s state=%s", node >= 0 ? wf_name(fsm, node) : "-",
		 async ? "async" : "sync");
}

void writer_fsm_witness_parse(const struct writer_fsm *fsm, const char *data, int *writer,
			      bool *async)
{
	const char *w = data ? strstr(data, "writer=") : NULL;
	size_t n;

	*writer = -1;
	*async = data && strstr(data, " state=async") != NULL;
	if (!w)
		return;
	w += strlen("writer=");
	n = strcspn(w, " ");
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
		if (strlen(wf_name(fsm, (int)i)) == n && !strncmp(w, wf_name(fsm, (int)i), n))
			*writer = (int)i;
}

bool wf_witness_usable(const struct writer_fsm *fsm)
{
	return fsm->cfg.witness && fsm->wit.connected && fsm->wit.known;
}

/* The key names another writer that acknowledges alone (and is not
 * stopped): nobody else may be promoted. */
bool wf_witness_forbids(const struct writer_fsm *fsm, int c, char *why, size_t len)
{
	const struct wf_witness *k = &fsm->wit;

	if (!fsm->cfg.witness)
		return false;
	if (wf_witness_usable(fsm) && k->exists && k->async && k->writer != c &&
	    !(k->writer >= 0 && wf_stopped(fsm, k->writer))) {
		snprintf(why, len, "the witness says %s is the writer and acknowledges writes alone "
			 "(asynchronous)", k->writer >= 0 ? wf_name(fsm, k->writer) : "another node");
		return true;
	}
	return false;
}

static struct wf_action *witness_op(struct writer_fsm *fsm, struct wf_result *out, int node,
				    bool claim, bool async)
{
	struct wf_action *a = wf_op(fsm, out, WF_ACT_WITNESS, node);

	if (!a)
		return NULL;
	a->claim = claim;
	a->on = async;
	a->version = fsm->wit.exists ? fsm->wit.version : -1;
	fsm->wit_async_wanted = async;
	return a;
}

/* The promotion's WITNESS phase. true: go on to DETACH now; false: the
 * claim is in flight, or the promotion was refused. */
bool wf_witness_step(struct writer_fsm *fsm, uint64_t now, struct wf_result *out)
{
	int c = fsm->candidate;
	char why[WF_WHY_LEN];
	struct wf_action *a;
	bool async;

	if (!fsm->cfg.witness)
		return true;
	if (!wf_witness_usable(fsm)) {
		if (fsm->detach && !fsm->cand_writable) {
			wf_promo_fail(fsm, now, out, "the witness cannot be reached, and a node that "
				   "cannot be reached is not promoted over without it");
			return false;
		}
		wf_say(out, WF_LOG_NOTICE, "the witness cannot be reached: %s without its key",
		    fsm->detach ? "keeping the writer that already takes writes"
				: "promoting (every other node is fenced)");
		return true;
	}
	if (wf_witness_forbids(fsm, c, why, sizeof(why))) {
		wf_promo_fail(fsm, now, out, "%s", why);
		return false;
	}
	/* A key that vanished (its holder's session expired) says nothing of
	 * what that holder acknowledged alone before: a read-only candidate
	 * that cannot reach a node does not start a fresh one. Unless it saw
	 * the key deleted straight after a version naming a synchronous
	 * writer: that writer could go asynchronous only by setting the key
	 * first (with standby_loss_policy block; async may go without it) */
	if (!fsm->wit.exists && fsm->detach && !fsm->cand_writable &&
	    !(fsm->wit.vanished_sync && !fsm->cfg.standby_loss_async)) {
		wf_promo_fail(fsm, now, out, "the witness holds no key for this service and a node "
			   "cannot be reached: its last writer may have acknowledged writes alone "
			   "that %s does not have", wf_name(fsm, c));
		return false;
	}
	async = !fsm->cand_writable && !wf_standby_up(fsm, c);
	if (fsm->wit.exists && fsm->wit.mine && fsm->wit.writer == c && fsm->wit.async == async)
		return true; /* ours already, naming it */
	if (!(a = witness_op(fsm, out, c, true, async))) {
		wf_promo_fail(fsm, now, out, "too many actions at once");
		return false;
	}
	fsm->step_gen = a->gen;
	fsm->wit_for_promo = true;
	return false;
}

static void took(struct writer_fsm *fsm, uint64_t now, int node, bool async, bool claim)
{
	if (!(fsm->wit.exists && fsm->wit.mine && fsm->wit.writer == node) || !fsm->wit_mine_since_us)
		fsm->wit_mine_since_us = now;
	fsm->wit.exists = true;
	fsm->wit.mine = true;
	fsm->wit.writer = node;
	fsm->wit.async = async;
	fsm->wit.version = claim ? 0 : fsm->wit.version + 1;
}

/* The writer without a standby and without proof: with the key ours and
 * naming it, state=async first (the compare-and-swap a candidate's claim
 * would make fail), then semi-sync off. true when that is under way or
 * done (no alarm needed). */
bool wf_witness_standby(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int wi)
{
	const struct wf_witness *k = &fsm->wit;
	uint64_t lost = fsm->standby_lost_at_us ? fsm->standby_lost_at_us : now;
	struct wf_action *a;

	/* Only a key held since before the standby was lost: one taken
	 * after (a fresh key, the last one's holder expired) says nothing of
	 * a candidate that took the writes meanwhile. */
	if (!wf_witness_usable(fsm) || !k->exists || !k->mine || k->writer != wi ||
	    !fsm->wit_mine_since_us || fsm->wit_mine_since_us >= lost)
		return false;
	if (fsm->wit_gen)
		return true; /* its result continues */
	if (k->async) {
		wf_say(out, WF_LOG_WARNING, "the writer %s has no standby; the witness holds its key "
		    "(asynchronous): semi-sync off, writes resume", wf_name(fsm, wi));
		wf_semisync_set(fsm, out, wi, false);
		return true;
	}
	a = witness_op(fsm, out, wi, false, true);
	if (a) {
		fsm->wit_gen = a->gen;
		fsm->wit_for_promo = false;
	}
	return true;
}

/* May the key say state=sync for writer w? Only while w cannot acknowledge
 * alone (semi-sync on, no switch in flight) and a standby replicates from
 * it: what w acknowledged alone while the key said async is then on its way
 * to that standby, and nothing new is acknowledged before the standby has
 * everything before it. Semi-sync on again without a standby (the session
 * was lost, say) is not enough: a candidate reading "sync" would take the
 * key without the writes w acknowledged alone. */
static bool sync_promise(const struct writer_fsm *fsm, int w)
{
	if (fsm->node[w].semisync_off || fsm->node[w].semisync_gen)
		return false;
	for (size_t i = 0; i < fsm->cfg.n_nodes; i++) {
		const struct wf_mysql *f = wf_facts(fsm, (int)i);

		if ((int)i != w && !wf_gone(fsm, (int)i) && wf_reachable(fsm, (int)i) && f &&
		    f->valid && f->io_running)
			return true;
	}
	return false;
}

/* Semi-sync is on again on the writer: the key says so, once a standby
 * replicates from it (sync_promise). */
void wf_witness_synced(struct writer_fsm *fsm, struct wf_result *out, int node)
{
	const struct wf_witness *k = &fsm->wit;
	struct wf_action *a;

	if (!wf_witness_usable(fsm) || !k->exists || !k->mine || k->writer != node || !k->async ||
	    fsm->wit_gen || !sync_promise(fsm, node))
		return;
	a = witness_op(fsm, out, node, false, false);
	if (a) {
		fsm->wit_gen = a->gen;
		fsm->wit_for_promo = false;
	}
}

/* The owner keeps the key naming its writer. */
void wf_witness_ensure(struct writer_fsm *fsm, struct wf_result *out)
{
	const struct wf_witness *k = &fsm->wit;
	int w = fsm->writer;
	/* state=sync promises the writer cannot acknowledge alone: while a
	 * semi-sync switch is in flight (off, or on and not yet confirmed)
	 * that is not known, so the key says async; wf_witness_synced sets
	 * sync once semi-sync is on again */
	bool async = w >= 0 && (fsm->node[w].semisync_off || fsm->node[w].semisync_gen);
	struct wf_action *a = NULL;
	char said[WF_WHY_LEN];

	if (!fsm->cfg.fo || !fsm->owner || w < 0 || fsm->phase != WF_IDLE || fsm->wit_gen ||
	    !wf_witness_usable(fsm))
		return;
	/* our own key says async: it stays so until the promise holds again */
	if (k->exists && k->mine && k->writer == w && k->async && !sync_promise(fsm, w))
		async = true;
	if (!k->exists) {
		/* A fresh key only with the whole pair in view: one that
		 * vanished (its holder's session expired) may have named a
		 * writer that acknowledged alone what ours lacks. */
		for (size_t i = 0; i < fsm->cfg.n_nodes; i++)
			if ((int)i != w && fsm->cfg.node[i].has_mysql && !wf_reachable(fsm, (int)i))
				return;
		a = witness_op(fsm, out, w, true, async);
	}
	else if (!k->mine && k->writer == w)
		a = witness_op(fsm, out, w, true, k->async); /* the other xvipd's, same writer */
	else if (k->mine && (k->writer != w || k->async != async))
		a = witness_op(fsm, out, w, false, async);
	else if (!k->mine) {
		snprintf(said, sizeof(said), "the witness names %s as the writer (held by another "
			 "xvipd); this node's writer is %s",
			 k->writer >= 0 ? wf_name(fsm, k->writer) : "an unknown node", wf_name(fsm, w));
		if (strcmp(said, fsm->wit_said)) {
			snprintf(fsm->wit_said, sizeof(fsm->wit_said), "%s", said);
			wf_say(out, WF_LOG_WARNING, "%s", said);
		}
		return;
	}
	if (a) {
		fsm->wit_gen = a->gen;
		fsm->wit_for_promo = false;
	}
}

/* A WITNESS operation's result. */
void wf_witness_done(struct writer_fsm *fsm, uint64_t now, const struct wf_op_result *r,
		     struct wf_result *out)
{
	const char *err = r->err ? r->err : "";
	bool async = fsm->wit_async_wanted;

	if (fsm->wit_for_promo && fsm->phase == WF_WITNESS && fsm->step_gen == r->gen) {
		fsm->step_gen = 0;
		fsm->wit_for_promo = false;
		if (r->rc != 0) {
			wf_promo_fail(fsm, now, out, "cannot take the witness's key: %s", err);
			return;
		}
		took(fsm, now, r->node, fsm->wit_async_wanted, true);
		wf_say(out, WF_LOG_NOTICE, "took the witness's key for %s", wf_name(fsm, r->node));
		fsm->phase = WF_DETACH;
		wf_step(fsm, now, out);
		return;
	}
	if (r->gen != fsm->wit_gen)
		return;
	fsm->wit_gen = 0;
	if (r->rc != 0) {
		wf_say(out, WF_LOG_WARNING, "the witness's key for %s: %s%s", wf_name(fsm, r->node), err,
		    async ? " (the writer keeps waiting for a standby)" : "");
		return;
	}
	took(fsm, now, r->node, async, !fsm->wit.mine || !fsm->wit.exists);
	/* the standby lost, the key now says asynchronous: semi-sync off */
	if (async && r->node == fsm->writer && fsm->blocked_since_us && !fsm->node[r->node].semisync_off) {
		wf_say(out, WF_LOG_WARNING, "the writer %s has no standby; the witness holds its key "
		    "(state=async): semi-sync off, writes resume", wf_name(fsm, r->node));
		wf_event(out, now, WF_EV_ASYNC, r->node, "the witness holds the writer's key",
			 fsm->blocked_since_us);
		wf_semisync_set(fsm, out, r->node, false);
	}
}

/* The key is no longer surely ours (the session is lost, or someone took
 * it): a writer that is asynchronous by it goes back to waiting for a
 * standby now, before the session can expire and the key be taken. (One
 * asynchronous with proof, its standby stopped, stays.) */
void wf_witness_demote(struct writer_fsm *fsm, struct wf_result *out)
{
	int w = fsm->writer;

	if (!fsm->cfg.witness || !fsm->cfg.manage_read_only || w < 0 || fsm->wit_mine_since_us ||
	    !fsm->node[w].semisync_off || fsm->node[w].semisync_gen || wf_others_stopped(fsm, w) ||
	    wf_standby_up(fsm, w))
		return;
	wf_say(out, WF_LOG_WARNING, "the writer %s is asynchronous and the witness's key is no longer "
	    "surely held (%s): semi-sync on again, its commits wait for a standby", wf_name(fsm, w),
	    fsm->wit.connected ? "another xvipd holds it" : "no session");
	wf_semisync_set(fsm, out, w, true);
}

unsigned writer_fsm_witness(struct writer_fsm *fsm, uint64_t now, const struct wf_witness *w,
			    struct wf_result *out)
{
	wf_begin(out);
	fsm->wit = *w;
	if (!(w->connected && w->known && w->exists && w->mine && w->writer >= 0 &&
	      (w->writer == fsm->writer || w->writer == fsm->candidate)))
		fsm->wit_mine_since_us = 0;
	else if (!fsm->wit_mine_since_us)
		fsm->wit_mine_since_us = now;
	wf_witness_demote(fsm, out);
	wf_witness_ensure(fsm, out);
	wf_standby_check(fsm, now, out);
	wf_update(fsm, now, out);
	return out->n;
}
