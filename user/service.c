/* Virtual servers and real servers: their life cycle, their checks and the
 * reload that keeps what runs. See service.h.
 *
 * The checks' callbacks turn what the checks saw into the writer's inputs
 * (a snapshot of the real server, struct wf_node): who may take writes is
 * writer_fsm.c's to decide, writer.c carries it out, and it steers the
 * DR maps (service_dp.c) through the hooks below. Status and preflight are
 * service_status.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fmt.h"
#include "alerts.h"
#include "log.h"
#include "netlink.h"
#include "sbuf.h"
#include "scripts.h"
#include "service.h"
#include "service_int.h"
#include "xvipd.h"

_Static_assert(WF_MAX_NODES >= XVIP_MAX_BACKENDS, "a service's real servers are the writer's nodes");

static int rs_index(const struct rs_rt *r)
{
	return (int)(r - r->vs->rs);
}

/* What the writer needs to know of a real server now. */
static void rs_snapshot(const struct rs_rt *r, struct wf_node *s)
{
	const struct mysql_facts *f = r->mysql ? check_mysql_facts(r->mysql) : NULL;

	memset(s, 0, sizeof(*s));
	s->up = r->up;
	s->decided = r->decided;
	snprintf(s->why, sizeof(s->why), "%s", r->why);
	s->down_at_us = r->down_at_us;
	s->up_at_us = r->up_at_us;
	s->probes_ok = true;
	s->probe_end_min_us = WF_NO_DEADLINE;
	for (size_t k = 0; k < r->n_checks; k++) {
		const struct check_stats *st = check_get_stats(r->checks[k]);
		uint64_t started = st->last_end_us - st->last_probe_us;

		if (st->bad_run && s->probes_ok) {
			s->probes_ok = false;
			snprintf(s->probe_error, sizeof(s->probe_error), "%s",
				 check_last_error(r->checks[k]));
		}
		s->probe_start_max_us = started > s->probe_start_max_us ? started : s->probe_start_max_us;
		s->probe_end_min_us = st->last_end_us < s->probe_end_min_us ? st->last_end_us
									 : s->probe_end_min_us;
		s->probe_us_max = st->last_probe_us > s->probe_us_max ? st->last_probe_us
								      : s->probe_us_max;
	}
	if (f) {
		s->mysql.valid = f->valid;
		s->mysql.read_only = f->read_only;
		s->mysql.is_replica = f->is_replica;
		s->mysql.sql_running = f->sql_running;
		s->mysql.last_sql_errno = f->last_sql_errno;
		snprintf(s->mysql.last_sql_error, sizeof(s->mysql.last_sql_error), "%s",
			 f->last_sql_error);
		s->mysql.io_running = f->io_running;
		s->mysql.io_stopped = f->io_stopped;
		s->mysql.semi_sync_master_enabled = f->semi_sync_master_enabled;
		s->mysql.semi_sync_wait_no_slave = f->semi_sync_wait_no_slave;
		s->mysql.ack_waits_repl = f->ack_waits_repl;
		s->mysql.ack_waits_client = f->ack_waits_client;
		s->mysql.semi_sync_timeout_ms = f->semi_sync_master_timeout;
		s->mysql.at_us = f->at_us;
		s->mysql.server_id = f->server_id;
		snprintf(s->mysql.gtid_binlog_state, sizeof(s->mysql.gtid_binlog_state), "%s",
			 f->gtid_binlog_state);
		/* stopped: its connects are refused, or the kernel saw its
		 * mysqld die (check_mysql_watch.c) */
		s->refused = check_get_stats(r->mysql)->refused || check_get_stats(r->mysql)->dead;
		s->timed_out = check_get_stats(r->mysql)->timed_out;
	}
}

/* ---- what the writer asks of the services ------------------------------- */

static void vs_steer(void *arg, bool owner, int writer, bool fresh)
{
	struct vs_rt *vs = arg;

	if (!owner) {
		dp_service_del(&vs->d->dp.maps, &vs->key);
		return;
	}
	if (fresh && writer >= 0)
		vs->rs[writer].mac_known = false; /* read its MAC afresh: it may have changed */
	svc_program(vs);
}

static void vs_probe(void *arg, int node)
{
	struct vs_rt *vs = arg;

	for (size_t r = 0; r < vs->n_rs; r++)
		for (size_t k = 0; (node < 0 || (int)r == node) && k < vs->rs[r].n_checks; k++)
			check_probe_now(vs->rs[r].checks[k]);
}

/* The writer of a virtual server whose real servers are set up (checks
 * created). */
/* smtp_alert: the writer's events by mail (a writer change, a refused
 * promotion above all) */
static void vs_writer_event(void *arg, const struct writer_event *e)
{
	struct vs_rt *vs = arg;

	alert_writer(vs->d, vs->cfg, vs->name, e);
}

static void vs_writer_init(struct vs_rt *vs)
{
	struct writer_fsm_config c = {
		.fo = vs->is_fo,
		.manage_read_only = vs->cfg->manage_read_only,
		.promote_timeout_ms = vs->cfg->promote_timeout_ms,
		.standby_loss_timeout_ms = vs->cfg->standby_loss_timeout_ms,
		.standby_loss_async = vs->cfg->standby_loss_async,
		.witness = vs->d->witness != NULL,
		.n_nodes = vs->n_rs,
	};
	const struct writer_hooks hooks = { vs_steer, vs_probe, svc_witness_op, vs_writer_event, vs };
	uint32_t addr[WF_MAX_NODES];

	for (size_t r = 0; r < vs->n_rs; r++) {
		snprintf(c.node[r].name, sizeof(c.node[r].name), "%s", vs->rs[r].name);
		c.node[r].weight = vs->rs[r].cfg->weight;
		c.node[r].has_mysql = vs->rs[r].mysql != NULL;
		addr[r] = vs->rs[r].cfg->addr.s_addr;
	}
	writer_init(&vs->w, vs->d->loop, vs->name, &c, addr,
		    vs->cfg->notify_writer ? vs->cfg->notify_writer->run : NULL, &hooks);
	for (size_t r = 0; r < vs->n_rs; r++) {
		struct wf_node s;

		vs->w.mysql[r] = vs->rs[r].mysql;
		rs_snapshot(&vs->rs[r], &s);
		writer_fsm_set_node(&vs->w.fsm, (int)r, &s);
	}
}

/* Decide again, then tell VRRP (a service with nothing to serve with
 * faults its instance). */
static void vs_update(struct vs_rt *vs)
{
	writer_update(&vs->w);
	if (vs->inst)
		vrrp_recompute(vs->d, vs->inst);
}

/* ---- check callbacks --------------------------------------------------- */

/* keepalived's misc_dynamic: an exit status 2..255 sets the weight to
 * status - 2 (0 drains), 0 gives the configured one back; with several
 * such checks, the lowest. */
static unsigned rs_weight(const struct rs_rt *r)
{
	unsigned w = r->cfg->weight;
	bool dynamic = false;

	for (size_t i = 0; i < r->n_checks; i++) {
		int cw = check_weight(r->checks[i]);

		if (cw >= 0 && (!dynamic || (unsigned)cw < w)) {
			w = (unsigned)cw;
			dynamic = true;
		}
	}
	return w;
}

static void rs_changed(void *arg, struct check *c, bool up, const char *why)
{
	struct rs_rt *r = arg;
	struct vs_rt *vs = r->vs;
	bool all_up = true, decided = true, was = r->up, was_decided = r->decided;
	const struct config_command *notify = NULL;
	struct wf_node s;
	unsigned weight;
	char err[256];

	for (size_t i = 0; i < r->n_checks; i++) {
		all_up &= check_is_up(r->checks[i]);
		decided &= check_decided(r->checks[i]);
	}
	if (!up)
		snprintf(r->why, sizeof(r->why), "%s", why && *why ? why : check_last_error(c));
	weight = rs_weight(r);
	if (weight != r->weight) {
		xlog(LOG_NOTICE, "[%s] real server %s: weight %u -> %u (%s)%s", vs->name, r->name,
		     r->weight, weight, why && *why ? why : "MISC_CHECK misc_dynamic",
		     weight == 0 ? ": drained, no new connections" : "");
		r->weight = weight;
		svc_program(vs);
	}
	r->decided = decided;
	r->up = all_up;
	if (r->up && (!was || !was_decided)) {
		r->ups++;
		r->up_at_us = now_us();
		r->mac_known = false; /* read afresh: a node can come back with a new NIC */
		xlog(LOG_NOTICE, "[%s] real server %s is UP", vs->name, r->name);
		if (was_decided)
			alert_real_server(vs->d, vs->cfg, vs->name, r->name, true, NULL);
		notify = r->cfg->notify_up;
	} else if (!r->up && (was || !was_decided)) {
		r->downs++;
		r->down_at_us = now_us();
		xlog(LOG_WARNING, "[%s] real server %s is DOWN: %s", vs->name, r->name, r->why);
		alert_real_server(vs->d, vs->cfg, vs->name, r->name, false, r->why);
		notify = r->cfg->notify_down;
	}
	/* act first (steer, promote, fault), tell the scripts after */
	rs_snapshot(r, &s);
	writer_changed(&vs->w, rs_index(r), &s);
	if (vs->inst)
		vrrp_recompute(vs->d, vs->inst);
	if (notify && notify->run && script_notify(vs->d->loop, notify->run, NULL, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "[%s] %s: %s", vs->name, r->up ? "notify_up" : "notify_down", err);
}

/* After every probe: the writer fences a writable node that is not the
 * writer, may decide, and follows silent hosts answering. */
static void rs_probed(void *arg, struct check *c)
{
	struct rs_rt *r = arg;
	struct vs_rt *vs = r->vs;
	const struct check_stats *st = check_get_stats(c);
	const struct mysql_facts *f = check_mysql_facts(c);
	struct wf_probe p = {
		.ok = !st->bad_run,
		.started_us = st->last_end_us - st->last_probe_us,
		.mysql = f != NULL,
	};
	struct wf_node s;

	if (f && f->valid && !vs->preflight_logged)
		svc_log_preflight(vs);
	rs_snapshot(r, &s);
	writer_probed(&vs->w, rs_index(r), &s, &p);
}

/* ---- life cycle -------------------------------------------------------- */

static struct vrrp_rt *instance_for_vip(struct xvipd *d, uint32_t vip)
{
	for (size_t i = 0; i < d->n_inst; i++)
		for (size_t k = 0; k < d->inst[i].cfg->n_vips; k++)
			if (d->inst[i].cfg->vips[k].addr.s_addr == vip)
				return &d->inst[i];
	return NULL;
}

static void vs_init(struct xvipd *d, struct vs_rt *vs, const struct config_virtual_server *c)
{
	char a[INET_ADDRSTRLEN];

	vs->d = d;
	vs->cfg = c;
	vs->is_fo = c->lb_algo == CONFIG_LB_FO;
	vs->key.vip = c->addr.s_addr;
	vs->key.port = htons(c->port);
	vs->key.proto = c->protocol == CONFIG_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	ip4_str(c->addr.s_addr, a);
	snprintf(vs->name, sizeof(vs->name), "%s:%u", a, c->port);
	vs->inst = instance_for_vip(d, c->addr.s_addr);
	if (!vs->inst)
		xlog(LOG_WARNING, "[%s] no vrrp_instance holds this VIP: its real servers are "
		     "checked but nothing is steered", vs->name);
	vs->n_rs = c->n_real_servers > XVIP_MAX_BACKENDS ? XVIP_MAX_BACKENDS : c->n_real_servers;
}

static void rs_init(struct vs_rt *vs, struct rs_rt *rs, const struct config_real_server *rc)
{
	char a[INET_ADDRSTRLEN];

	rs->vs = vs;
	rs->cfg = rc;
	rs->weight = rc->weight;
	ip4_str(rc->addr.s_addr, a);
	snprintf(rs->name, sizeof(rs->name), "%s:%u", a, rc->port);
	rs->local = nl_addr_is_local(rc->addr.s_addr);
	rs->up = true; /* keepalived: alive until a check says otherwise */
	rs->decided = rc->n_checkers == 0;
	for (size_t k = 0; k < rc->n_checkers; k++)
		if (rc->checkers[k].type == CONFIG_CHECK_MYSQL)
			rs->up = false; /* proven healthy first */
}

/* The real server's checks, new (not started). */
static int rs_new_checks(struct rs_rt *rs, char *err, size_t errlen)
{
	const struct config_real_server *rc = rs->cfg;

	for (size_t k = 0; k < rc->n_checkers && k < SVC_MAX_CHECKS; k++) {
		struct check *ck = check_new(rs->vs->d->loop, &rc->checkers[k], rc->addr, rc->port,
					     rs_changed, rs);

		if (!ck) {
			snprintf(err, errlen, "[%s] cannot create the checks of %s", rs->vs->name,
				 rs->name);
			return -ENOMEM;
		}
		rs->checks[rs->n_checks++] = ck;
		check_set_probe_cb(ck, rs_probed, rs);
		if (check_type(ck) == CONFIG_CHECK_MYSQL) {
			rs->mysql = ck;
			/* applications come through the VIP */
			check_mysql_set_clients(ck, &rs->vs->cfg->addr, 1);
		}
	}
	return 0;
}

int service_setup(struct xvipd *d, char *err, size_t errlen)
{
	const struct xvip_config *cfg = d->cfg;
	struct services *S = calloc(1, sizeof(*S));

	if (S)
		S->vs = calloc(cfg->n_virtual_servers ? cfg->n_virtual_servers : 1, sizeof(*S->vs));
	if (!S || !S->vs) {
		free(S);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->svc = S;
	for (size_t i = 0; i < cfg->n_virtual_servers; i++) {
		struct vs_rt *vs = &S->vs[S->n_vs];

		vs_init(d, vs, &cfg->virtual_servers[i]);
		vs->rs = calloc(vs->n_rs ? vs->n_rs : 1, sizeof(*vs->rs));
		if (!vs->rs) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		S->n_vs++;
		for (size_t r = 0; r < vs->n_rs; r++) {
			struct rs_rt *rs = &vs->rs[r];

			rs_init(vs, rs, &vs->cfg->real_servers[r]);
			if (rs_new_checks(rs, err, errlen) < 0)
				return -ENOMEM; /* service_teardown frees what was made */
			xlog(LOG_INFO, "[%s] real server %s%s, weight %u, %zu check(s)", vs->name,
			     rs->name, rs->local ? " (this host)" : "", rs->cfg->weight, rs->n_checks);
		}
		vs_writer_init(vs);
		svc_witness_watch(vs);
	}
	for (size_t i = 0; i < S->n_vs; i++)
		for (size_t r = 0; r < S->vs[i].n_rs; r++)
			for (size_t k = 0; k < S->vs[i].rs[r].n_checks; k++)
				check_start(S->vs[i].rs[r].checks[k]);
	return 0;
}

/* Anything in flight whose callback holds a pointer into the services (a
 * promotion, a fence, a semi-sync switch: the writer's operations): a
 * rebuild must wait for it. */
static bool services_busy(const struct services *S)
{
	for (size_t i = 0; i < S->n_vs; i++) {
		const struct vs_rt *vs = &S->vs[i];

		if (writer_busy(&vs->w))
			return true;
		for (size_t r = 0; r < vs->n_rs; r++)
			if (mysql_admin_busy(vs->rs[r].mysql))
				return true;
	}
	return false;
}

static struct vs_rt *find_vs(struct services *S, const struct svc_key *k)
{
	for (size_t i = 0; i < S->n_vs; i++)
		if (!memcmp(&S->vs[i].key, k, sizeof(*k)))
			return &S->vs[i];
	return NULL;
}

static struct rs_rt *find_rs(struct vs_rt *vs, const struct config_real_server *rc)
{
	for (size_t r = 0; vs && r < vs->n_rs; r++)
		if (vs->rs[r].cfg->addr.s_addr == rc->addr.s_addr && vs->rs[r].cfg->port == rc->port)
			return &vs->rs[r];
	return NULL;
}

static bool same_checkers(const struct config_real_server *a, const struct config_real_server *b)
{
	if (a->n_checkers != b->n_checkers)
		return false;
	for (size_t k = 0; k < a->n_checkers; k++)
		if (!config_checker_equal(&a->checkers[k], &b->checkers[k]))
			return false;
	return true;
}

/* A real server the reload keeps: its state, and its checks (with their
 * connections and counters) when their configuration did not change. */
static void rs_carry(struct rs_rt *rs, struct rs_rt *old, bool *fresh_checks, char *err,
		     size_t errlen)
{
	rs->up = old->up;
	rs->decided = old->decided;
	snprintf(rs->why, sizeof(rs->why), "%s", old->why);
	rs->ups = old->ups;
	rs->downs = old->downs;
	rs->down_at_us = old->down_at_us;
	rs->up_at_us = old->up_at_us;
	memcpy(rs->mac, old->mac, sizeof(rs->mac));
	rs->mac_known = old->mac_known;
	if (same_checkers(rs->cfg, old->cfg) && old->n_checks == rs->cfg->n_checkers) {
		for (size_t k = 0; k < old->n_checks; k++) {
			rs->checks[k] = old->checks[k];
			check_rebind(rs->checks[k], rs_changed, rs);
		}
		rs->n_checks = old->n_checks;
		rs->mysql = old->mysql;
		for (size_t k = 0; k < rs->n_checks; k++)
			check_set_probe_cb(rs->checks[k], rs_probed, rs);
		old->n_checks = 0; /* moved */
		old->mysql = NULL;
		*fresh_checks = false;
		return;
	}
	/* New checks decide afresh; until they do, the node keeps the state
	 * the old ones gave it (a writer stays the writer). */
	*fresh_checks = rs_new_checks(rs, err, errlen) == 0;
	xlog(LOG_NOTICE, "[%s] real server %s: checks changed, restarted", rs->vs->name, rs->name);
}

/* The services of a config, new: what the old ones (S) knew carries over. */
static void vs_rebuild(struct vs_rt *vs, struct services *S, bool *fresh, char *err, size_t errlen)
{
	struct vs_rt *old = find_vs(S, &vs->key);
	bool owner = vs->inst && vs->inst->fsm.state == VRRP_STATE_MASTER;
	int map[WF_MAX_NODES];

	if (old)
		vs->preflight_logged = old->preflight_logged;
	for (size_t r = 0; r < vs->n_rs; r++) {
		struct rs_rt *rs = &vs->rs[r];
		struct rs_rt *ors = find_rs(old, &vs->cfg->real_servers[r]);

		rs_init(vs, rs, &vs->cfg->real_servers[r]);
		map[r] = ors ? (int)(ors - old->rs) : -1;
		if (ors) {
			rs_carry(rs, ors, &fresh[r], err, errlen);
		} else {
			fresh[r] = rs_new_checks(rs, err, errlen) == 0;
			xlog(LOG_NOTICE, "[%s] real server %s added by the reload", vs->name, rs->name);
		}
	}
	vs_writer_init(vs);
	writer_carry(&vs->w, old ? &old->w : NULL, map, owner);
	svc_witness_carry(vs, old);
	svc_witness_watch(vs);
	if (old && vs_owner(old) && old->w.fsm.writer >= 0 && vs->w.fsm.writer < 0 && owner)
		xlog(LOG_WARNING, "[%s] the reload removed the writer %s from the service: "
		     "choosing another; xvipd no longer fences %s", vs->name,
		     old->rs[old->w.fsm.writer].name, old->rs[old->w.fsm.writer].name);
}

/* What the reload removed: out of the data plane, checks stopped. */
static void vs_retire(struct xvipd *d, struct vs_rt *old, struct vs_rt *nv, size_t n)
{
	bool kept = false;

	for (size_t k = 0; k < n && !kept; k++)
		kept = !memcmp(&nv[k].key, &old->key, sizeof(old->key));
	if (!kept) {
		xlog(LOG_NOTICE, "[%s] virtual_server removed by the reload", old->name);
		if (vs_owner(old))
			dp_service_del(&d->dp.maps, &old->key);
	}
	for (size_t r = 0; r < old->n_rs; r++) {
		bool rs_kept = false;

		for (size_t k = 0; k < n && !rs_kept; k++)
			rs_kept = !memcmp(&nv[k].key, &old->key, sizeof(old->key)) &&
				  find_rs(&nv[k], old->rs[r].cfg);
		if (kept && !rs_kept)
			xlog(LOG_NOTICE, "[%s] real server %s removed by the reload", old->name,
			     old->rs[r].name);
		for (size_t k = 0; k < old->rs[r].n_checks; k++)
			check_free(old->rs[r].checks[k]);
	}
	writer_fini(&old->w);
	free(old->rs);
}

int service_reconfigure(struct xvipd *d, char *err, size_t errlen)
{
	struct services *S = d->svc;
	const struct xvip_config *cfg = d->cfg;
	size_t n = cfg->n_virtual_servers;
	struct vs_rt *nv;
	bool *fresh;
	size_t nrs = 0, fk = 0;

	if (services_busy(S))
		return -EBUSY;
	for (size_t i = 0; i < n; i++)
		nrs += cfg->virtual_servers[i].n_real_servers;
	nv = calloc(n ? n : 1, sizeof(*nv));
	fresh = calloc(nrs ? nrs : 1, sizeof(*fresh));
	if (!nv || !fresh) {
		free(nv);
		free(fresh);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		vs_init(d, &nv[i], &cfg->virtual_servers[i]);
		nv[i].rs = calloc(nv[i].n_rs ? nv[i].n_rs : 1, sizeof(*nv[i].rs));
		if (!nv[i].rs) {
			for (size_t k = 0; k <= i; k++)
				free(nv[k].rs);
			free(nv);
			free(fresh);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	/* From here on nothing fails as a whole: a check that cannot be
	 * created leaves its real server without it (logged). */
	for (size_t i = 0; i < n; fk += nv[i].n_rs, i++)
		vs_rebuild(&nv[i], S, fresh + fk, err, errlen);
	for (size_t i = 0; i < S->n_vs; i++)
		vs_retire(d, &S->vs[i], nv, n);
	free(S->vs);
	S->vs = nv;
	S->n_vs = n;
	fk = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < nv[i].n_rs; r++, fk++)
			if (fresh[fk])
				for (size_t k = 0; k < nv[i].rs[r].n_checks; k++)
					check_start(nv[i].rs[r].checks[k]);
	free(fresh);
	for (size_t i = 0; i < n; i++)
		vs_update(&nv[i]);
	xlog(LOG_NOTICE, "reload: %zu virtual server(s) rebuilt", n);
	return 0;
}

void service_teardown(struct xvipd *d)
{
	struct services *S = d->svc;

	for (size_t i = 0; S && i < S->n_vs; i++) {
		struct vs_rt *vs = &S->vs[i];

		if (vs_owner(vs))
			dp_service_del(&d->dp.maps, &vs->key);
		for (size_t r = 0; r < vs->n_rs; r++)
			for (size_t k = 0; k < vs->rs[r].n_checks; k++)
				check_free(vs->rs[r].checks[k]);
		writer_fini(&vs->w);
		free(vs->rs);
	}
	if (S)
		free(S->vs);
	free(S);
	d->svc = NULL;
}

void service_rebind(struct xvipd *d)
{
	struct services *S = d->svc;

	for (size_t i = 0; S && i < S->n_vs; i++) {
		struct vs_rt *vs = &S->vs[i];
		struct vrrp_rt *in = instance_for_vip(d, vs->key.vip);

		vs->inst = in;
		/* an instance the reload removed took its services down with it */
		if (vs_owner(vs) && !(in && in->fsm.state == VRRP_STATE_MASTER))
			writer_owner(&vs->w, false, 0);
	}
}

void service_owner_changed(struct xvipd *d, struct vrrp_rt *in, bool owner, uint32_t silent_peer)
{
	struct services *S = d->svc;

	for (size_t i = 0; S && i < S->n_vs; i++) {
		struct vs_rt *vs = &S->vs[i];
		uint32_t silent = 0;

		if (vs->inst != in || vs_owner(vs) == owner)
			continue;
		/* The previous master fell silent: what its real servers last
		 * reported may be from a host that is gone. */
		for (size_t r = 0; owner && silent_peer && r < vs->n_rs; r++)
			if (vs->rs[r].cfg->addr.s_addr == silent_peer)
				silent |= 1u << r;
		writer_owner(&vs->w, owner, silent);
		if (owner && vs->inst)
			vrrp_recompute(d, vs->inst);
	}
}

bool service_instance_fault(struct xvipd *d, const struct vrrp_rt *in)
{
	struct services *S = d->svc;

	for (size_t i = 0; S && i < S->n_vs; i++) {
		const struct vs_rt *vs = &S->vs[i];
		bool any_up = false, local_down = false;

		if (vs->inst != in)
			continue;
		for (size_t r = 0; r < vs->n_rs; r++) {
			any_up |= vs->rs[r].up;
			local_down |= vs->rs[r].local && !vs->rs[r].up && vs->rs[r].decided;
		}
		if (local_down && !any_up)
			return true;
	}
	return false;
}

/* ---- operator commands -------------------------------------------------- */

char *service_promote(struct xvipd *d, const char *target)
{
	struct services *S = d->svc;
	struct sbuf b = { 0 };

	for (size_t i = 0; S && i < S->n_vs; i++) {
		struct vs_rt *vs = &S->vs[i];
		int idx = -1;

		if (!vs->is_fo)
			continue;
		/* the writer says first why nothing can be asked of it now */
		if (target && vs_owner(vs) && vs->w.fsm.phase == WF_IDLE) {
			struct in_addr a;

			if (inet_pton(AF_INET, target, &a) != 1) {
				sb_printf(&b, "error: '%s' is not an IPv4 address\n", target);
				return b.s;
			}
			for (size_t r = 0; r < vs->n_rs; r++)
				if (vs->rs[r].cfg->addr.s_addr == a.s_addr)
					idx = (int)r;
			if (idx < 0) {
				sb_printf(&b, "error: [%s] %s is not one of its real servers\n", vs->name,
					  target);
				continue;
			}
		}
		writer_request(&vs->w, idx, &b);
	}
	if (!b.s)
		sb_printf(&b, "error: no failover (lb_algo fo) virtual server\n");
	return b.s;
}
