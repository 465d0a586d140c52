/* Virtual servers, real servers and the single writer. See service.h.
 *
 * A promotion is a small chain of non-blocking steps on the loop:
 *   fence    every other reachable node gets read_only=ON (manage_read_only)
 *   semisync with no standby up, the candidate's semi-sync master side is
 *            switched off (nobody could acknowledge: every commit would
 *            hang for rpl_semi_sync_master_timeout); on again when one is.
 *            Before apply: with log_slave_updates, the transactions the
 *            candidate's SQL thread applies are commits of its own binlog,
 *            and in a dual-master pair each of them would wait for the dead
 *            peer's acknowledgement (state "Waiting for semi-sync ACK from
 *            slave") until that timeout, holding the promotion for seconds
 *   apply    the candidate applies what it received (MASTER_GTID_WAIT)
 *   open     the candidate gets read_only=OFF
 *   steer    the DR maps send every flow to it (new generation)
 * A step that fails stops the chain: nobody is promoted and the operator is
 * told why (log, status, notify_writer).
 *
 * "Reachable now" (rs_reachable): UP, the last probe of each of its checks
 * succeeded, and not silent. A node is silent from the moment this node
 * took the VIP because that node's VRRP adverts stopped (its host may be
 * gone: nothing it last reported counts) until a probe started since then
 * succeeds. Only a node reachable now is chosen or adopted. "Gone"
 * (rs_gone) is the stronger word: DOWN by its checks, or silent. A gone
 * node is not counted as a standby nor waited for (its fence is sent, not
 * awaited), and a candidate that is gone aborts its promotion at once; a
 * node that only failed its last probe (a loaded host) is still waited
 * for, since it may be alive and writable. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"
#include "log.h"
#include "preflight.h"
#include "sbuf.h"
#include "scripts.h"
#include "service.h"
#include "xvipd.h"

#define MAX_CHECKS 4
#define WRITER_HISTORY 8

enum promo_phase { PROMO_IDLE, PROMO_FENCE, PROMO_SEMISYNC, PROMO_APPLY, PROMO_OPEN };

struct rs_rt {
	struct vs_rt *vs;
	const struct config_real_server *cfg;
	struct check *checks[MAX_CHECKS];
	size_t n_checks;
	struct check *mysql; /* the MYSQL_CHECK, if any */
	bool up;
	bool decided;        /* every check has decided at least once */
	bool local;
	uint8_t mac[6];
	bool mac_known;
	bool fencing;        /* a read_only=ON is in flight (or waiting to start) */
	bool fence_counted;  /* the promotion's fence step waits for it */
	uint64_t fence_timer; /* retry of a fence that found the connection busy */
	unsigned fence_tries;
	bool semisync_off;   /* we switched its semi-sync master side off */
	bool semisync_pending; /* switching it on or off is in flight */
	bool semisync_want_on; /* what that switch asks for */
	uint64_t silent_at_us; /* its host went silent then; 0: not silent */
	uint64_t silent_grace_end_us; /* it holds a decision until then */
	uint64_t step_gen;   /* the promotion whose step runs on its admin connection */
	char why[256];
	uint64_t ups, downs, down_at_us;
};

struct writer_event {
	int64_t wall_ms;
	char what[16];         /* promoted, refused, fenced, lost */
	char addr[INET_ADDRSTRLEN];
	char reason[256];
	uint32_t took_us;      /* from the writer's loss (or the request) */
};

struct vs_rt {
	struct xvipd *d;
	const struct config_virtual_server *cfg;
	struct vrrp_rt *inst;
	struct svc_key key;
	char name[32];         /* "VIP:port" */
	struct rs_rt *rs;
	size_t n_rs;
	bool owner;
	uint64_t owner_since_us;
	int writer;            /* fo: index, -1 none */
	bool is_fo;

	enum promo_phase phase;
	int candidate;
	unsigned pending;      /* fence operations in flight */
	bool fence_error;      /* a fence of a reachable node could not start */
	uint64_t promo_gen;    /* stale callbacks compare this */
	uint64_t promo_start_us;
	uint64_t lost_at_us;   /* the writer was lost then, none since (0: no loss) */
	uint64_t step_us[5];   /* when each phase ended (PROMO_* index) */
	uint64_t retry_timer;
	uint64_t retry_at_us;
	uint64_t opened_at_us; /* the writer was opened then */
	uint64_t step_timer;   /* a step that found the candidate's connection busy */
	char refused[256];     /* why the last promotion did not happen */
	bool semisync;
	bool preflight_logged;

	struct writer_event hist[WRITER_HISTORY];
	unsigned nhist;
};

struct svc_state {
	struct vs_rt *vs;
	size_t n_vs;
};

static struct svc_state S;

static const char *ipstr(uint32_t be, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { .s_addr = be };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *rs_name(const struct rs_rt *r)
{
	static char buf[4][32];
	static int k;
	char a[INET_ADDRSTRLEN];

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s:%u", ipstr(r->cfg->addr.s_addr, a), r->cfg->port);
	return buf[k];
}

static bool addr_is_local(uint32_t addr)
{
	struct ifaddrs *ifa, *p;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (p = ifa; p && !found; p = p->ifa_next) {
		if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET || !strcmp(p->ifa_name, "lo"))
			continue;
		found = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr == addr;
	}
	freeifaddrs(ifa);
	return found;
}

/* The peer's MAC from the kernel's neighbour table (the checks talk to it,
 * so the entry is there once they have run). */
static bool neigh_mac(uint32_t addr, uint8_t mac[6])
{
	FILE *f = fopen("/proc/net/arp", "r");
	char line[256], a[INET_ADDRSTRLEN], want[INET_ADDRSTRLEN];
	unsigned m[6], flags;
	bool ok = false;

	if (!f)
		return false;
	ipstr(addr, want);
	while (!ok && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %*s %x %x:%x:%x:%x:%x:%x", a, &flags, &m[0], &m[1], &m[2],
			   &m[3], &m[4], &m[5]) != 8 || strcmp(a, want) || !(flags & 0x2))
			continue;
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)m[i];
		ok = true;
	}
	fclose(f);
	return ok;
}

static int64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* self-contained: a reload may rebuild the services before it runs */
struct deferred_notify {
	char name[32];
	char *cmd;
	struct writer_event e;
};

static void notify_fire(struct loop *l, uint64_t id, void *arg)
{
	struct deferred_notify *n = arg;
	const char *args[] = { "WRITER", n->name, n->e.what, n->e.addr, n->e.reason, NULL };
	char err[256];

	(void)id;
	if (script_notify(l, n->cmd, args, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "[%s] notify_writer: %s", n->name, err);
	free(n->cmd);
	free(n);
}

static void writer_event(struct vs_rt *vs, const char *what, const struct rs_rt *r,
			 const char *reason, uint64_t since_us)
{
	struct writer_event *e = &vs->hist[vs->nhist++ % WRITER_HISTORY];

	memset(e, 0, sizeof(*e));
	e->wall_ms = wall_ms();
	snprintf(e->what, sizeof(e->what), "%s", what);
	if (r)
		ipstr(r->cfg->addr.s_addr, e->addr);
	else
		strcpy(e->addr, "-");
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	e->took_us = since_us ? (uint32_t)(now_us() - since_us) : 0;
	if (vs->cfg->notify_writer) {
		struct deferred_notify *n = calloc(1, sizeof(*n));

		/* Never between a decision and its action: a fork costs
		 * milliseconds on a busy host. The script runs on the next turn
		 * of the loop, once the promotion's queries are on the wire. */
		if (n)
			n->cmd = strdup(vs->cfg->notify_writer->text);
		if (!n || !n->cmd || !loop_add_timer(vs->d->loop, now_us(), notify_fire, n)) {
			if (n)
				free(n->cmd);
			free(n);
			xlog(LOG_ERR, "[%s] notify_writer: out of memory", vs->name);
			return;
		}
		snprintf(n->name, sizeof(n->name), "%s", vs->name);
		n->e = *e;
	}
}

/* ---- the data plane ---------------------------------------------------- */

static void program(struct vs_rt *vs)
{
	struct backend b[XVIP_MAX_BACKENDS];
	char err[256];
	int n = 0;

	if (!vs->owner)
		return;
	for (size_t i = 0; i < vs->n_rs && n < XVIP_MAX_BACKENDS; i++, n++) {
		struct rs_rt *r = &vs->rs[i];

		memset(&b[n], 0, sizeof(b[n]));
		b[n].addr = r->cfg->addr.s_addr;
		b[n].weight = r->cfg->weight;
		b[n].local = r->local;
		if (!r->local && !r->mac_known)
			r->mac_known = neigh_mac(r->cfg->addr.s_addr, r->mac);
		memcpy(b[n].mac, r->mac, 6);
		/* fo: the data plane's "healthy" means "the writer": one node
		 * takes the writes, chosen here, never by weight alone. A
		 * remote one whose MAC we do not know would be a black hole:
		 * say so (its checks talk to it, so this should not last). */
		if (vs->is_fo) {
			b[n].healthy = (int)i == vs->writer && (r->local || r->mac_known);
			if ((int)i == vs->writer && !b[n].healthy)
				xlog(LOG_ERR, "[%s] writer %s: no MAC in the neighbour table, cannot "
				     "steer to it yet", vs->name, rs_name(r));
		} else
			b[n].healthy = r->up && (r->local || r->mac_known);
		if (b[n].weight == 0 && b[n].healthy)
			b[n].weight = 1;
	}
	if (dp_service_put(&vs->d->dp.maps, &vs->key,
			   vs->is_fo ? XVIP_SCHED_FO
			   : vs->cfg->lb_algo == CONFIG_LB_RR ? XVIP_SCHED_RR : XVIP_SCHED_WRR,
			   vs->cfg->persistence_timeout_s, b, n, NULL, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "[%s] cannot program the DR maps: %s", vs->name, err);
}

/* ---- promotion --------------------------------------------------------- */

static void promote_step(struct vs_rt *vs);
static void vs_update(struct vs_rt *vs);
static void log_preflight(struct vs_rt *vs);

static void promo_fail(struct vs_rt *vs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void promo_fail(struct vs_rt *vs, const char *fmt, ...)
{
	va_list ap;
	struct rs_rt *c = vs->candidate >= 0 ? &vs->rs[vs->candidate] : NULL;

	va_start(ap, fmt);
	vsnprintf(vs->refused, sizeof(vs->refused), fmt, ap);
	va_end(ap);
	xlog(LOG_ERR, "[%s] NOT promoting %s: %s", vs->name, c ? rs_name(c) : "anyone", vs->refused);
	writer_event(vs, "refused", c, vs->refused, vs->promo_start_us);
	if (vs->step_timer)
		loop_cancel_timer(vs->d->loop, vs->step_timer);
	vs->step_timer = 0;
	vs->phase = PROMO_IDLE;
	vs->candidate = -1;
	vs->promo_gen++;
	program(vs); /* no writer: nobody takes writes through the VIP */
}

/* When the last completed probe of c started. */
static uint64_t probe_started_us(const struct check *c)
{
	const struct check_stats *st = check_get_stats(c);

	return st->last_end_us - st->last_probe_us;
}

/* Can we count on this node now? UP, its last probes succeeded, and it has
 * answered since its host went silent. Whatever it reported before does not
 * make a node that cannot be reached now a writer, a standby, or worth
 * waiting for. */
static bool rs_reachable(const struct rs_rt *r, char *why, size_t len)
{
	if (!r->up) {
		snprintf(why, len, "%s is down (%.200s)", rs_name(r), r->why);
		return false;
	}
	if (r->silent_at_us) {
		snprintf(why, len, "%s did not answer since its host went silent (its VRRP adverts "
			 "stopped)", rs_name(r));
		return false;
	}
	for (size_t k = 0; k < r->n_checks; k++)
		if (check_get_stats(r->checks[k])->bad_run) {
			snprintf(why, len, "%s: its last probe failed: %.200s", rs_name(r),
				 check_last_error(r->checks[k]));
			return false;
		}
	return true;
}

static bool reachable(const struct rs_rt *r)
{
	char why[256];

	return rs_reachable(r, why, sizeof(why));
}

/* Gone: DOWN by its checks (fall, or the death watch), or its host silent
 * since the VIP moved here. Stronger than "not reachable now": one probe
 * that timed out on a loaded host is not enough to stop waiting for a node
 * (its fence in flight, its promotion), or a live, writable node would be
 * left writable while another opens. Says why in why. */
static bool rs_gone(const struct rs_rt *r, char *why, size_t len)
{
	if (!r->up) {
		snprintf(why, len, "%s is down (%.200s)", rs_name(r), r->why);
		return true;
	}
	if (r->silent_at_us) {
		snprintf(why, len, "%s did not answer since its host went silent (its VRRP adverts "
			 "stopped)", rs_name(r));
		return true;
	}
	return false;
}

static bool gone(const struct rs_rt *r)
{
	char why[256];

	return rs_gone(r, why, sizeof(why));
}

/* Can it apply what it received, from what its check knows? */
static bool replication_ok(const struct rs_rt *r, char *why, size_t len)
{
	const struct mysql_facts *f;

	if (!r->mysql)
		return true;
	f = check_mysql_facts(r->mysql);
	if (!f || !f->valid) {
		snprintf(why, len, "%s: its replication state is not known yet", rs_name(r));
		return false;
	}
	if (f->is_replica && f->last_sql_errno) {
		snprintf(why, len, "%s: replication SQL thread stopped with error %u: %.160s", rs_name(r),
			 f->last_sql_errno, f->last_sql_error);
		return false;
	}
	if (f->is_replica && !f->sql_running) {
		snprintf(why, len, "%s: replication SQL thread is not running: it cannot apply what "
			 "it received", rs_name(r));
		return false;
	}
	return true;
}

/* Is this node safe to make the writer? Reachable now, and its replication
 * can apply what it received. */
static bool candidate_ok(const struct rs_rt *r, char *why, size_t len)
{
	return rs_reachable(r, why, len) && replication_ok(r, why, len);
}

static void fence_done(void *arg, int rc, const char *err)
{
	struct rs_rt *r = arg;
	struct vs_rt *vs = r->vs;
	bool counted = r->fence_counted;

	r->fencing = false;
	r->fence_counted = false;
	if (rc == 0) {
		xlog(LOG_NOTICE, "[%s] %s set read_only=ON (fenced)", vs->name, rs_name(r));
		writer_event(vs, "fenced", r, "read_only=ON", 0);
	} else {
		xlog(LOG_WARNING, "[%s] cannot set read_only=ON on %s: %s", vs->name, rs_name(r), err);
	}
	if (!counted || vs->phase != PROMO_FENCE || !vs->pending)
		return;
	/* A reachable node that refuses read_only could still take writes:
	 * do not open a second writer, whatever the other fences say. A dead
	 * one is fenced by being dead, and by the data plane, which no longer
	 * sends it anything. */
	if (rc != 0 && r->up) {
		promo_fail(vs, "%s is reachable but could not be set read-only (%s): two writers "
			   "would be possible", rs_name(r), err);
		return;
	}
	if (--vs->pending)
		return;
	vs->phase = PROMO_SEMISYNC;
	promote_step(vs);
}

/* The node's admin connection was busy with another statement (a
 * semi-sync switch, an earlier fence): try again in 2 ms, for up to 1 s,
 * then report the failure like any other. */
static void fence_retry(struct loop *l, uint64_t id, void *arg)
{
	struct rs_rt *r = arg;
	int rc;

	(void)l;
	if (id != r->fence_timer)
		return;
	r->fence_timer = 0;
	rc = r->mysql ? mysql_set_read_only(r->mysql, true, 0, fence_done, r) : -EINVAL;
	if (rc == -EBUSY && ++r->fence_tries < 500)
		r->fence_timer = loop_add_timer(l, now_us() + 2000, fence_retry, r);
	if (rc < 0 && !r->fence_timer)
		fence_done(r, rc, strerror(-rc));
}

/* read_only=ON on a node. count_pending: the promotion's fence step waits
 * for it (also when a fence of it is already in flight). */
static void fence(struct rs_rt *r, bool count_pending)
{
	struct vs_rt *vs = r->vs;
	int rc;

	if (!r->mysql)
		return;
	if (!r->fencing) {
		rc = mysql_set_read_only(r->mysql, true, 0, fence_done, r);
		if (rc == -EBUSY) {
			r->fence_tries = 0;
			r->fence_timer = loop_add_timer(vs->d->loop, now_us() + 2000, fence_retry, r);
			rc = r->fence_timer ? 0 : -ENOMEM;
		}
		if (rc < 0) {
			xlog(LOG_WARNING, "[%s] cannot start read_only=ON on %s: %s", vs->name,
			     rs_name(r), strerror(-rc));
			/* the promotion must not take this node as fenced */
			if (count_pending && r->up)
				vs->fence_error = true;
			return;
		}
		r->fencing = true;
	}
	if (count_pending && !r->fence_counted) {
		r->fence_counted = true;
		vs->pending++;
	}
}

/* A step's statement on the candidate c ended: does it belong to the
 * promotion in flight, in this phase? (A promotion aborted while its
 * statement ran leaves a late callback; the next one may be at the same
 * phase, even of the same node.) */
static bool step_current(const struct rs_rt *c, enum promo_phase phase)
{
	const struct vs_rt *vs = c->vs;

	return vs->phase == phase && vs->candidate >= 0 && &vs->rs[vs->candidate] == c &&
	       c->step_gen == vs->promo_gen;
}

/* The step's statement started on c (rc 0): its callback is this promotion's. */
static int step_started(struct rs_rt *c, int rc)
{
	if (rc == 0)
		c->step_gen = c->vs->promo_gen;
	return rc;
}

static void applied_done(void *arg, int rc, const char *err)
{
	struct rs_rt *c = arg;
	struct vs_rt *vs = c->vs;

	if (!step_current(c, PROMO_APPLY))
		return;
	if (rc != 0) {
		promo_fail(vs, "%s has not applied everything it received within %u ms: %s",
			   rs_name(&vs->rs[vs->candidate]), vs->cfg->promote_timeout_ms,
			   err && *err ? err : "still behind");
		return;
	}
	vs->phase = PROMO_OPEN;
	promote_step(vs);
}

static void semisync_done(void *arg, int rc, const char *err)
{
	struct rs_rt *c = arg;
	struct vs_rt *vs = c->vs;

	if (!step_current(c, PROMO_SEMISYNC))
		return;
	if (rc != 0) {
		/* not fatal: commits wait for rpl_semi_sync_master_timeout, then
		 * the server goes asynchronous by itself */
		xlog(LOG_WARNING, "[%s] cannot switch semi-sync off on %s: %s", vs->name,
		     rs_name(&vs->rs[vs->candidate]), err);
	} else {
		vs->rs[vs->candidate].semisync_off = true;
		xlog(LOG_WARNING, "[%s] %s: no standby is up, semi-sync master side switched off: "
		     "writes are asynchronous until a standby returns", vs->name,
		     rs_name(&vs->rs[vs->candidate]));
	}
	vs->phase = PROMO_APPLY;
	promote_step(vs);
}

/* A standby that could acknowledge the writer's commits: not gone (a node
 * whose host went silent is still UP for a while, and still a semi-sync
 * client in the writer's eyes, but will never acknowledge). */
static bool standby_up(const struct vs_rt *vs, int writer)
{
	for (size_t i = 0; i < vs->n_rs; i++)
		if ((int)i != writer && !gone(&vs->rs[i]))
			return true;
	return false;
}

/* Switches one node's semi-sync master side outside a promotion: off on the
 * writer when its last standby is lost, on again once a peer replicates. */
static void semisync_set_done(void *arg, int rc, const char *err)
{
	struct rs_rt *r = arg;
	struct vs_rt *vs = r->vs;
	bool on = r->semisync_want_on;

	r->semisync_pending = false;
	if (rc != 0) {
		xlog(LOG_WARNING, "[%s] cannot switch semi-sync %s on %s: %s%s", vs->name,
		     on ? "on again" : "off", rs_name(r), err,
		     on ? "" : " (its commits wait rpl_semi_sync_master_timeout)");
		return;
	}
	r->semisync_off = !on;
	if (on)
		xlog(LOG_NOTICE, "[%s] a peer replicates from %s again: its semi-sync master side "
		     "is on again", vs->name, rs_name(r));
	else
		xlog(LOG_WARNING, "[%s] no standby is up: the writer %s's semi-sync master side "
		     "switched off, writes are asynchronous until a standby returns", vs->name,
		     rs_name(r));
}

static void semisync_set(struct rs_rt *r, bool on)
{
	if (mysql_admin_sql(r->mysql, on ? "SET GLOBAL rpl_semi_sync_master_enabled = ON"
					 : "SET GLOBAL rpl_semi_sync_master_enabled = OFF",
			    0, semisync_set_done, r) == 0) {
		r->semisync_pending = true;
		r->semisync_want_on = on;
	}
}

/* Undo what the promotion did to semi-sync, node by node, once a peer
 * replicates from that node again (its IO thread runs): the writer then
 * waits for that standby's acknowledgement again, and a standby's applied
 * transactions for the writer's. Not while a promotion runs (it may just
 * have switched the candidate off). */
static void semisync_restore(struct vs_rt *vs)
{
	if (vs->phase != PROMO_IDLE)
		return;
	for (size_t i = 0; i < vs->n_rs; i++) {
		struct rs_rt *r = &vs->rs[i];
		bool peer = false;

		if (!r->semisync_off || r->semisync_pending || !r->up || !r->mysql)
			continue;
		for (size_t k = 0; k < vs->n_rs && !peer; k++) {
			const struct mysql_facts *f =
				vs->rs[k].mysql ? check_mysql_facts(vs->rs[k].mysql) : NULL;

			/* its facts are fresh: a silent one's io_running
			 * is what it said before it went */
			peer = k != i && reachable(&vs->rs[k]) && f && f->valid && f->io_running;
		}
		if (peer)
			semisync_set(r, true);
	}
}

/* The last standby is gone (its mysqld died or hangs): every commit on the
 * writer would now wait rpl_semi_sync_master_timeout for an acknowledgement
 * nobody sends, and then MariaDB goes asynchronous by itself. Do that at
 * once instead: the same durability, without the seconds of frozen writes.
 * semisync_restore switches it on again when a standby replicates. */
static void semisync_standby_lost(struct vs_rt *vs)
{
	struct rs_rt *w;
	const struct mysql_facts *f;

	if (!vs->is_fo || !vs->owner || !vs->cfg->manage_read_only || vs->writer < 0 ||
	    vs->phase != PROMO_IDLE)
		return;
	w = &vs->rs[vs->writer];
	f = w->mysql ? check_mysql_facts(w->mysql) : NULL;
	if (!w->up || !f || !f->valid || f->semi_sync_master_enabled != 1 || w->semisync_off ||
	    w->semisync_pending || standby_up(vs, vs->writer))
		return;
	semisync_set(w, false);
}

static bool any_semisync_off(const struct vs_rt *vs)
{
	for (size_t i = 0; i < vs->n_rs; i++)
		if (vs->rs[i].semisync_off)
			return true;
	return false;
}

static void promoted(struct vs_rt *vs)
{
	struct rs_rt *r = &vs->rs[vs->candidate];
	char why[256];

	vs->writer = vs->candidate;
	vs->candidate = -1;
	vs->phase = PROMO_IDLE;
	vs->lost_at_us = 0;
	vs->opened_at_us = now_us();
	r->mac_known = false; /* read its MAC afresh: it may have changed */
	vs->refused[0] = 0;
	program(vs);
	/* Re-assert read_only=ON on every standby (facts can be one probe
	 * old), which also opens the admin connection the next promotion of
	 * that standby will use: a failover then costs no connect. */
	if (vs->cfg->manage_read_only)
		for (size_t i = 0; i < vs->n_rs; i++)
			if ((int)i != vs->writer && vs->rs[i].up)
				fence(&vs->rs[i], false);
	/* where the time went: from the loss (or request) to our first step,
	 * then fence, semi-sync, apply and open; 0 for a step skipped */
	uint64_t t = now_us(), prev = vs->promo_start_us;
	unsigned part[5];

	vs->step_us[PROMO_OPEN] = t;
	for (int k = 0; k < 5; k++) {
		uint64_t end = vs->step_us[k] ? vs->step_us[k] : prev;

		part[k] = end > prev ? (unsigned)(end - prev) : 0;
		prev = end > prev ? end : prev;
	}
	snprintf(why, sizeof(why), "%s replication, applied all it received; detect->start %u, "
		 "fence %u, semi-sync %u, apply %u, open %u us",
		 vs->semisync ? "semi-synchronous" : "asynchronous", part[0], part[1], part[2],
		 part[3], part[4]);
	xlog(LOG_NOTICE, "[%s] writer is now %s (%s; %u us after the decision)", vs->name,
	     rs_name(r), why, (unsigned)(t - vs->promo_start_us));
	writer_event(vs, "promoted", r, why, vs->promo_start_us);
}

static void open_done(void *arg, int rc, const char *err)
{
	struct rs_rt *c = arg;
	struct vs_rt *vs = c->vs;

	if (!step_current(c, PROMO_OPEN))
		return;
	if (rc != 0) {
		promo_fail(vs, "%s: cannot set read_only=OFF: %s", rs_name(&vs->rs[vs->candidate]),
			   err);
		return;
	}
	promoted(vs);
}

static void step_retry_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vs_rt *vs = arg;

	(void)l;
	if (id != vs->step_timer)
		return;
	vs->step_timer = 0;
	if (vs->phase != PROMO_IDLE)
		promote_step(vs);
}

/* A step's statement could not start: rc -EBUSY means the candidate's
 * admin connection still runs another one (a fence re-assert, a semi-sync
 * switch: milliseconds), so the step runs again in 2 ms, within
 * promote_timeout. Returns false when the caller must fail the promotion. */
static bool step_busy(struct vs_rt *vs, int rc)
{
	if (rc != -EBUSY ||
	    now_us() - vs->step_us[PROMO_IDLE] > vs->cfg->promote_timeout_ms * 1000ull)
		return false;
	if (!vs->step_timer)
		vs->step_timer = loop_add_timer(vs->d->loop, now_us() + 2000, step_retry_fire, vs);
	return vs->step_timer != 0;
}

static void promote_step(struct vs_rt *vs)
{
	struct rs_rt *c = &vs->rs[vs->candidate];

	/* the previous phase ended now (for the breakdown in the log) */
	if (vs->phase > PROMO_FENCE && vs->phase <= PROMO_OPEN)
		vs->step_us[vs->phase - 1] = now_us();
	bool manage = vs->cfg->manage_read_only;
	char why[256];
	int rc;

	switch (vs->phase) {
	case PROMO_FENCE:
		memset(vs->step_us, 0, sizeof(vs->step_us));
		vs->step_us[PROMO_IDLE] = now_us(); /* the decision's handling starts */
		vs->pending = 0;
		vs->fence_error = false;
		for (size_t i = 0; i < vs->n_rs; i++)
			vs->rs[i].fence_counted = false;
		if (manage)
			for (size_t i = 0; i < vs->n_rs; i++) {
				struct rs_rt *r = &vs->rs[i];
				const struct mysql_facts *f = r->mysql ? check_mysql_facts(r->mysql) : NULL;

				if ((int)i == vs->candidate || !r->mysql)
					continue;
				/* A dead node is not waited for: the data plane
				 * already sends it nothing; it is fenced when it
				 * comes back (see on_probe). */
				if (!r->up)
					continue;
				if (f && f->valid && f->read_only == 1 && !r->fencing)
					continue;
				/* Nor one whose host went silent: its fence is
				 * started, best effort, and it is fenced when it
				 * answers again anyway. A node that merely failed
				 * a probe is waited for: it may be alive and
				 * writable. */
				if (rs_gone(r, why, sizeof(why))) {
					xlog(LOG_NOTICE, "[%s] fencing %s without waiting for it: %s",
					     vs->name, rs_name(r), why);
					fence(r, false);
					continue;
				}
				fence(r, true);
			}
		if (vs->fence_error) {
			promo_fail(vs, "a reachable node could not be set read-only: two writers "
				   "would be possible");
			return;
		}
		if (vs->pending)
			return; /* fence_done continues */
		vs->phase = PROMO_SEMISYNC;
		/* fall through */
	case PROMO_SEMISYNC: {
		const struct mysql_facts *f = c->mysql ? check_mysql_facts(c->mysql) : NULL;

		/* chosen as reachable a moment ago: now only its death (or its
		 * host's silence) or its replication stops it, not one slow
		 * probe on a loaded host */
		if (rs_gone(c, why, sizeof(why)) || !replication_ok(c, why, sizeof(why))) {
			promo_fail(vs, "%s", why);
			return;
		}
		/* server settings are xvipd's to change only with manage_read_only */
		if (manage && f && f->valid && f->semi_sync_master_enabled == 1 &&
		    !standby_up(vs, vs->candidate)) {
			rc = step_started(c, mysql_admin_sql(c->mysql,
							     "SET GLOBAL rpl_semi_sync_master_enabled = OFF",
							     0, semisync_done, c));
			/* without it the apply could wait for the dead peer's
			 * ack: try again rather than stall */
			if (rc < 0 && !step_busy(vs, rc))
				promo_fail(vs, "%s: cannot switch its semi-sync master side off: %s",
					   rs_name(c), strerror(-rc));
			return;
		}
		vs->phase = PROMO_APPLY;
	}
		/* fall through */
	case PROMO_APPLY:
		if (c->mysql) {
			rc = step_started(c, mysql_wait_applied(c->mysql, vs->cfg->promote_timeout_ms,
								applied_done, c));
			if (rc < 0 && !step_busy(vs, rc))
				promo_fail(vs, "%s: cannot check what it applied: %s", rs_name(c),
					   strerror(-rc));
			return;
		}
		vs->phase = PROMO_OPEN;
		/* fall through */
	case PROMO_OPEN:
		if (manage && c->mysql) {
			rc = step_started(c, mysql_set_read_only(c->mysql, false, 0, open_done, c));
			if (rc < 0 && !step_busy(vs, rc))
				promo_fail(vs, "%s: cannot set read_only=OFF: %s", rs_name(c),
					   strerror(-rc));
			return;
		}
		promoted(vs);
		return;
	case PROMO_IDLE:
		return;
	}
}

static void promote(struct vs_rt *vs, int idx, const char *why, uint64_t since_us)
{
	xlog(LOG_NOTICE, "[%s] promoting %s: %s", vs->name, rs_name(&vs->rs[idx]), why);
	if (vs->step_timer)
		loop_cancel_timer(vs->d->loop, vs->step_timer);
	vs->step_timer = 0;
	vs->promo_gen++;
	vs->candidate = idx;
	vs->promo_start_us = since_us ? since_us : now_us();
	vs->phase = PROMO_FENCE;
	promote_step(vs);
}

/* The best node to become the writer: highest weight among the safe ones.
 * Returns -1 and says why when none is. */
static int pick_candidate(struct vs_rt *vs, int exclude, char *why, size_t len)
{
	int best = -1;
	bool why_up = false;
	char one[256] = "";

	why[0] = 0;
	for (size_t i = 0; i < vs->n_rs; i++) {
		if ((int)i == exclude)
			continue;
		if (!candidate_ok(&vs->rs[i], one, sizeof(one))) {
			/* why a live node is unsafe tells more than "the dead
			 * writer is down" */
			if (!why[0] || (vs->rs[i].up && !why_up)) {
				snprintf(why, len, "%s", one);
				why_up = vs->rs[i].up;
			}
			continue;
		}
		if (best < 0 || vs->rs[i].cfg->weight > vs->rs[best].cfg->weight)
			best = (int)i;
	}
	if (best < 0 && !why[0])
		snprintf(why, len, "no real server is up");
	return best;
}

/* Every check has decided, and has completed a probe since this node became
 * the VIP's owner: a new owner (perhaps only for a moment, in a VRRP flap)
 * must not choose a writer from facts gathered before. A node whose host
 * went silent does not hold the decision past its short grace (the others'
 * fresh probes are enough: nothing waits on a node that is gone); *due
 * becomes the end of the grace still running, if earlier. */
static bool all_decided(const struct vs_rt *vs, uint64_t *due)
{
	bool all = true;

	for (size_t i = 0; i < vs->n_rs; i++) {
		const struct rs_rt *r = &vs->rs[i];

		if (r->silent_at_us) {
			/* a probe asked since has failed already: it is gone */
			bool answered = false;

			for (size_t k = 0; k < r->n_checks; k++)
				answered |= probe_started_us(r->checks[k]) >= r->silent_at_us;
			if (!answered && now_us() < r->silent_grace_end_us) {
				*due = r->silent_grace_end_us < *due ? r->silent_grace_end_us : *due;
				all = false;
			}
			continue;
		}
		if (!r->decided)
			return false;
		for (size_t k = 0; k < r->n_checks; k++)
			if (check_get_stats(r->checks[k])->last_end_us <= vs->owner_since_us)
				return false;
	}
	return all;
}

/* During a promotion, a node that is gone (DOWN, or its host silent): the
 * candidate's promotion ends at once and another pick is made (nothing
 * waits for the candidate's statements to time out); a fence the promotion
 * waits for is no longer waited for. One failed probe is not enough (see
 * rs_gone). true when the promotion was aborted. */
static bool promo_recheck(struct vs_rt *vs)
{
	char why[256];

	if (vs->phase == PROMO_IDLE || vs->candidate < 0)
		return false;
	if (rs_gone(&vs->rs[vs->candidate], why, sizeof(why))) {
		promo_fail(vs, "unreachable during its promotion: %s", why);
		vs_update(vs); /* a new pick, now */
		return true;
	}
	for (size_t i = 0; vs->phase == PROMO_FENCE && i < vs->n_rs; i++) {
		struct rs_rt *r = &vs->rs[i];

		if (!r->fence_counted || !rs_gone(r, why, sizeof(why)))
			continue;
		r->fence_counted = false;
		xlog(LOG_NOTICE, "[%s] not waiting for the fence of %s any longer: %s", vs->name,
		     rs_name(r), why);
		if (--vs->pending == 0) {
			vs->phase = PROMO_SEMISYNC;
			promote_step(vs);
		}
	}
	return false;
}

static void retry_fire(struct loop *l, uint64_t id, void *arg)
{
	struct vs_rt *vs = arg;

	(void)l;
	if (id == vs->retry_timer) {
		vs->retry_timer = 0;
		vs_update(vs);
	}
}

/* fo: keep the writer while it is up (no automatic fail-back); choose one
 * when there is none. Only the owner of the VIP decides. */
static void writer_update(struct vs_rt *vs)
{
	char why[256];
	int best;

	if (!vs->owner || vs->phase != PROMO_IDLE)
		return;
	if (vs->writer >= 0 && vs->rs[vs->writer].up)
		return;
	if (vs->writer >= 0) {
		struct rs_rt *old = &vs->rs[vs->writer];

		xlog(LOG_WARNING, "[%s] writer %s lost: %s", vs->name, rs_name(old), old->why);
		writer_event(vs, "lost", old, old->why, 0);
		vs->writer = -1;
		vs->lost_at_us = old->down_at_us;
		program(vs); /* nobody writes until a safe node is open */
		best = pick_candidate(vs, -1, why, sizeof(why));
		if (best < 0) {
			vs->candidate = -1;
			vs->promo_start_us = old->down_at_us;
			promo_fail(vs, "%s", why);
			return;
		}
		promote(vs, best, "the writer is down", old->down_at_us);
		return;
	}
	/* No writer yet (start, or just became owner): wait until every check
	 * has spoken (or promote_timeout), then prefer a node that already
	 * takes writes, so that a VIP move does not move the writer. */
	uint64_t due = vs->owner_since_us + vs->cfg->promote_timeout_ms * 1000ull;

	if (!all_decided(vs, &due) && now_us() < vs->owner_since_us +
						   vs->cfg->promote_timeout_ms * 1000ull) {
		if (vs->retry_timer && vs->retry_at_us > due) {
			loop_cancel_timer(vs->d->loop, vs->retry_timer);
			vs->retry_timer = 0;
		}
		if (!vs->retry_timer) {
			vs->retry_timer = loop_add_timer(vs->d->loop, due, retry_fire, vs);
			vs->retry_at_us = due;
		}
		return;
	}
	for (size_t i = 0; i < vs->n_rs; i++) {
		struct rs_rt *r = &vs->rs[i];
		const struct mysql_facts *f = r->mysql ? check_mysql_facts(r->mysql) : NULL;

		if (r->up && f && f->valid && f->read_only == 0 &&
		    candidate_ok(r, why, sizeof(why)) &&
		    (best = (int)i, true)) {
			/* adopt it; promote() fences any other writable node */
			promote(vs, best, "it already takes writes (read_only=OFF)", vs->lost_at_us);
			return;
		}
	}
	best = pick_candidate(vs, -1, why, sizeof(why));
	if (best < 0) {
		if (strcmp(vs->refused, why)) {
			vs->candidate = -1;
			vs->promo_start_us = vs->lost_at_us;
			promo_fail(vs, "%s", why);
		}
		return;
	}
	/* after a loss, a retry's time counts from the loss: what the
	 * clients saw */
	promote(vs, best, vs->lost_at_us ? "the writer was lost: highest weight safe node"
					 : "no writer yet: highest weight safe node",
		vs->lost_at_us);
}

static void vs_update(struct vs_rt *vs)
{
	if (vs->is_fo)
		writer_update(vs);
	program(vs);
	if (vs->inst)
		vrrp_recompute(vs->d, vs->inst);
}

/* ---- check callbacks --------------------------------------------------- */

static void rs_changed(void *arg, struct check *c, bool up, const char *why)
{
	struct rs_rt *r = arg;
	struct vs_rt *vs = r->vs;
	bool all_up = true, decided = true, was = r->up, was_decided = r->decided;
	const struct config_command *notify = NULL;
	char err[256];

	for (size_t i = 0; i < r->n_checks; i++) {
		all_up &= check_is_up(r->checks[i]);
		decided &= check_decided(r->checks[i]);
	}
	if (!up)
		snprintf(r->why, sizeof(r->why), "%s", why && *why ? why : check_last_error(c));
	r->decided = decided;
	r->up = all_up;
	if (r->up && (!was || !was_decided)) {
		r->ups++;
		r->mac_known = false; /* read afresh: a node can come back with a new NIC */
		xlog(LOG_NOTICE, "[%s] real server %s is UP", vs->name, rs_name(r));
		notify = r->cfg->notify_up;
	} else if (!r->up && (was || !was_decided)) {
		r->downs++;
		r->down_at_us = now_us();
		xlog(LOG_WARNING, "[%s] real server %s is DOWN: %s", vs->name, rs_name(r), r->why);
		notify = r->cfg->notify_down;
	}
	/* act first (steer, promote, fault), tell the scripts after */
	if (vs->owner && vs->is_fo)
		promo_recheck(vs);
	vs_update(vs);
	if (!r->up)
		semisync_standby_lost(vs);
	if (notify && script_notify(vs->d->loop, notify->text, NULL, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "[%s] %s: %s", vs->name, r->up ? "notify_up" : "notify_down", err);
}

/* After every MySQL probe: a node that is not the writer must not be
 * writable (it came back after a crash with read_only=OFF, or someone set
 * it): fence it. And a pending decision may now be possible. */
static void rs_probed(void *arg, struct check *c)
{
	struct rs_rt *r = arg;
	struct vs_rt *vs = r->vs;
	const struct check_stats *st = check_get_stats(c);
	const struct mysql_facts *f = check_mysql_facts(c);
	int idx = (int)(r - vs->rs);
	char why[256];

	/* A silent host answers: a good probe that started after it went
	 * silent ends that; one that was already running when it did proves
	 * nothing, so the next one starts at once. */
	if (r->silent_at_us && !st->bad_run) {
		if (probe_started_us(c) >= r->silent_at_us) {
			r->silent_at_us = 0;
			xlog(LOG_NOTICE, "[%s] %s answers: its host is not gone", vs->name, rs_name(r));
		} else {
			check_probe_now(c);
		}
	}
	if (vs->owner && vs->is_fo && promo_recheck(vs))
		return;
	if (f && f->valid && !vs->preflight_logged)
		log_preflight(vs);
	if (vs->owner && vs->cfg->manage_read_only && f && f->valid && !st->bad_run) {
		/* With no writer chosen yet, a writable node that is safe is
		 * the one writer_update adopts once every check has spoken: a
		 * restarted xvipd must not make the running writer read-only
		 * for a moment. An unsafe one is fenced; one that cannot be
		 * reached now is judged once it answers. */
		bool adoptable = vs->is_fo && vs->writer < 0 && candidate_ok(r, why, sizeof(why));

		if (f->read_only == 0 && idx != vs->writer && idx != vs->candidate && !r->fencing &&
		    vs->phase == PROMO_IDLE && reachable(r) && !adoptable) {
			xlog(LOG_WARNING, "[%s] %s is writable but not the writer: setting read_only=ON",
			     vs->name, rs_name(r));
			fence(r, false);
		}
		/* The writer read-only, by a probe that started after we
		 * opened it: another node fenced it (a momentary VIP owner in
		 * a VRRP flap, which took it for gone). This node decides:
		 * open it again, the safe way (the others fenced first). */
		if (vs->is_fo && idx == vs->writer && vs->phase == PROMO_IDLE && f->read_only == 1 &&
		    probe_started_us(c) > vs->opened_at_us && candidate_ok(r, why, sizeof(why))) {
			xlog(LOG_WARNING, "[%s] the writer %s was set read-only by someone else: "
			     "opening it again", vs->name, rs_name(r));
			promote(vs, idx, "the writer was found read-only", 0);
			return;
		}
	}
	if (vs->owner && vs->is_fo && vs->writer < 0 && vs->phase == PROMO_IDLE)
		writer_update(vs);
	/* Also when not the owner: a momentary owner (a VRRP flap) may have
	 * switched its own node's semi-sync off in a promotion it made; what
	 * it switched off it switches on again once a peer replicates. */
	if (vs->cfg->manage_read_only && f && f->valid)
		semisync_restore(vs);
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
	vs->writer = vs->candidate = -1;
	vs->is_fo = c->lb_algo == CONFIG_LB_FO;
	vs->key.vip = c->addr.s_addr;
	vs->key.port = htons(c->port);
	vs->key.proto = c->protocol == CONFIG_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	snprintf(vs->name, sizeof(vs->name), "%s:%u", ipstr(c->addr.s_addr, a), c->port);
	vs->inst = instance_for_vip(d, c->addr.s_addr);
	if (!vs->inst)
		xlog(LOG_WARNING, "[%s] no vrrp_instance holds this VIP: its real servers are "
		     "checked but nothing is steered", vs->name);
	vs->n_rs = c->n_real_servers > XVIP_MAX_BACKENDS ? XVIP_MAX_BACKENDS : c->n_real_servers;
}

static void rs_init(struct vs_rt *vs, struct rs_rt *rs, const struct config_real_server *rc)
{
	rs->vs = vs;
	rs->cfg = rc;
	rs->local = addr_is_local(rc->addr.s_addr);
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

	for (size_t k = 0; k < rc->n_checkers && k < MAX_CHECKS; k++) {
		struct check *ck = check_new(rs->vs->d->loop, &rc->checkers[k], rc->addr, rc->port,
					     rs_changed, rs);

		if (!ck) {
			snprintf(err, errlen, "[%s] cannot create the checks of %s", rs->vs->name,
				 rs_name(rs));
			return -ENOMEM;
		}
		rs->checks[rs->n_checks++] = ck;
		check_set_probe_cb(ck, rs_probed, rs);
		if (check_type(ck) == CONFIG_CHECK_MYSQL)
			rs->mysql = ck;
	}
	return 0;
}

int service_setup(struct xvipd *d, char *err, size_t errlen)
{
	const struct xvip_config *cfg = d->cfg;

	S.vs = calloc(cfg->n_virtual_servers ? cfg->n_virtual_servers : 1, sizeof(*S.vs));
	if (!S.vs) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_virtual_servers; i++) {
		struct vs_rt *vs = &S.vs[S.n_vs];

		vs_init(d, vs, &cfg->virtual_servers[i]);
		vs->rs = calloc(vs->n_rs ? vs->n_rs : 1, sizeof(*vs->rs));
		if (!vs->rs) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		S.n_vs++;
		for (size_t r = 0; r < vs->n_rs; r++) {
			struct rs_rt *rs = &vs->rs[r];

			rs_init(vs, rs, &vs->cfg->real_servers[r]);
			if (rs_new_checks(rs, err, errlen) < 0)
				return -ENOMEM;
			xlog(LOG_INFO, "[%s] real server %s%s, weight %u, %zu check(s)", vs->name,
			     rs_name(rs), rs->local ? " (this host)" : "", rs->cfg->weight, rs->n_checks);
		}
	}
	for (size_t i = 0; i < S.n_vs; i++)
		for (size_t r = 0; r < S.vs[i].n_rs; r++)
			for (size_t k = 0; k < S.vs[i].rs[r].n_checks; k++)
				check_start(S.vs[i].rs[r].checks[k]);
	return 0;
}

/* Anything in flight whose callback holds a pointer into S (a promotion
 * step, a fence, a semi-sync switch): a rebuild must wait for it. */
static bool services_busy(void)
{
	for (size_t i = 0; i < S.n_vs; i++) {
		const struct vs_rt *vs = &S.vs[i];

		if (vs->phase != PROMO_IDLE || vs->step_timer)
			return true;
		for (size_t r = 0; r < vs->n_rs; r++) {
			const struct rs_rt *rs = &vs->rs[r];

			if (rs->fencing || rs->semisync_pending || mysql_admin_busy(rs->mysql))
				return true;
		}
	}
	return false;
}

static struct vs_rt *find_vs(const struct svc_key *k)
{
	for (size_t i = 0; i < S.n_vs; i++)
		if (!memcmp(&S.vs[i].key, k, sizeof(*k)))
			return &S.vs[i];
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
	memcpy(rs->mac, old->mac, sizeof(rs->mac));
	rs->mac_known = old->mac_known;
	rs->semisync_off = old->semisync_off;
	rs->silent_at_us = old->silent_at_us;
	rs->silent_grace_end_us = old->silent_grace_end_us;
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
	xlog(LOG_NOTICE, "[%s] real server %s: checks changed, restarted", rs->vs->name,
	     rs_name(rs));
}

int service_reconfigure(struct xvipd *d, char *err, size_t errlen)
{
	const struct xvip_config *cfg = d->cfg;
	size_t n = cfg->n_virtual_servers;
	struct vs_rt *nv;
	bool *fresh;
	size_t nrs = 0;

	if (services_busy())
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
	size_t fk = 0;

	for (size_t i = 0; i < n; i++) {
		struct vs_rt *vs = &nv[i], *old = find_vs(&vs->key);

		if (old) {
			vs->owner_since_us = old->owner_since_us;
			vs->promo_gen = old->promo_gen + 1;
			vs->lost_at_us = old->lost_at_us;
			vs->opened_at_us = old->opened_at_us;
			memcpy(vs->refused, old->refused, sizeof(vs->refused));
			vs->semisync = old->semisync;
			vs->preflight_logged = old->preflight_logged;
			memcpy(vs->hist, old->hist, sizeof(vs->hist));
			vs->nhist = old->nhist;
		}
		vs->owner = vs->inst && vs->inst->fsm.state == VRRP_STATE_MASTER;
		if (vs->owner && !(old && old->owner))
			vs->owner_since_us = now_us();
		for (size_t r = 0; r < vs->n_rs; r++, fk++) {
			struct rs_rt *rs = &vs->rs[r];
			struct rs_rt *ors = find_rs(old, &vs->cfg->real_servers[r]);

			rs_init(vs, rs, &vs->cfg->real_servers[r]);
			if (ors) {
				rs_carry(rs, ors, &fresh[fk], err, errlen);
				if (vs->owner && old->owner && old->writer == (int)(ors - old->rs))
					vs->writer = (int)r;
			} else {
				fresh[fk] = rs_new_checks(rs, err, errlen) == 0;
				xlog(LOG_NOTICE, "[%s] real server %s added by the reload", vs->name,
				     rs_name(rs));
			}
		}
		if (old && old->owner && old->writer >= 0 && vs->writer < 0 && vs->owner)
			xlog(LOG_WARNING, "[%s] the reload removed the writer %s from the service: "
			     "choosing another; xvipd no longer fences %s", vs->name,
			     rs_name(&old->rs[old->writer]), rs_name(&old->rs[old->writer]));
	}
	/* what the reload removed: out of the data plane, checks stopped */
	for (size_t i = 0; i < S.n_vs; i++) {
		struct vs_rt *old = &S.vs[i];
		bool kept = false;

		for (size_t k = 0; k < n && !kept; k++)
			kept = !memcmp(&nv[k].key, &old->key, sizeof(old->key));
		if (!kept) {
			xlog(LOG_NOTICE, "[%s] virtual_server removed by the reload", old->name);
			if (old->owner)
				dp_service_del(&d->dp.maps, &old->key);
		}
		if (old->retry_timer)
			loop_cancel_timer(d->loop, old->retry_timer);
		for (size_t r = 0; r < old->n_rs; r++) {
			bool rs_kept = false;

			for (size_t k = 0; k < n && !rs_kept; k++)
				rs_kept = !memcmp(&nv[k].key, &old->key, sizeof(old->key)) &&
					  find_rs(&nv[k], old->rs[r].cfg);
			if (kept && !rs_kept)
				xlog(LOG_NOTICE, "[%s] real server %s removed by the reload", old->name,
				     rs_name(&old->rs[r]));
			for (size_t k = 0; k < old->rs[r].n_checks; k++)
				check_free(old->rs[r].checks[k]);
		}
		free(old->rs);
	}
	free(S.vs);
	S.vs = nv;
	S.n_vs = n;
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
	for (size_t i = 0; i < S.n_vs; i++) {
		struct vs_rt *vs = &S.vs[i];

		if (vs->retry_timer)
			loop_cancel_timer(d->loop, vs->retry_timer);
		if (vs->owner)
			dp_service_del(&d->dp.maps, &vs->key);
		for (size_t r = 0; r < vs->n_rs; r++)
			for (size_t k = 0; k < vs->rs[r].n_checks; k++)
				check_free(vs->rs[r].checks[k]);
		free(vs->rs);
	}
	free(S.vs);
	S.vs = NULL;
	S.n_vs = 0;
}

void service_rebind(struct xvipd *d)
{
	for (size_t i = 0; i < S.n_vs; i++) {
		struct vs_rt *vs = &S.vs[i];
		struct vrrp_rt *in = instance_for_vip(d, vs->key.vip);

		vs->inst = in;
		/* an instance the reload removed took its services down with it */
		if (vs->owner && !(in && in->fsm.state == VRRP_STATE_MASTER)) {
			vs->owner = false;
			vs->writer = vs->candidate = -1;
			vs->phase = PROMO_IDLE;
			vs->promo_gen++;
			dp_service_del(&d->dp.maps, &vs->key);
		}
	}
}

/* How long a node whose host went silent still holds the decision: enough
 * for the fresh probe asked for now to come back if only its xvipd stopped
 * or its adverts came late (a VRRP flap: then it keeps the writes and
 * nothing moves), far less than a probe's deadline (which is what it costs
 * to find a node gone). Twice the time its last probe took, 5 to 50 ms;
 * none when its last probe failed already (with slow adverts the probes
 * see a dead host before VRRP does). */
#define SILENT_GRACE_MIN_US 5000ull
#define SILENT_GRACE_MAX_US 50000ull

static void rs_silent(struct rs_rt *r, uint64_t now)
{
	uint64_t g = 0;
	bool failing = false;

	for (size_t k = 0; k < r->n_checks; k++) {
		const struct check_stats *st = check_get_stats(r->checks[k]);
		uint64_t p = 2 * st->last_probe_us;

		failing |= st->bad_run > 0;
		g = p > g ? p : g;
	}
	g = failing ? 0 : g < SILENT_GRACE_MIN_US ? SILENT_GRACE_MIN_US
	    : g > SILENT_GRACE_MAX_US ? SILENT_GRACE_MAX_US : g;
	r->silent_at_us = now;
	r->silent_grace_end_us = now + g;
	if (failing)
		xlog(LOG_NOTICE, "[%s] %s: its host went silent (VRRP adverts stopped) and its last "
		     "probe failed: not counted on until it answers", r->vs->name, rs_name(r));
	else
		xlog(LOG_NOTICE, "[%s] %s: its host went silent (VRRP adverts stopped): not counted "
		     "on until it answers (a decision waits %llu ms for it)", r->vs->name,
		     rs_name(r), (unsigned long long)(g / 1000));
}

void service_owner_changed(struct xvipd *d, struct vrrp_rt *in, bool owner, uint32_t silent_peer)
{
	for (size_t i = 0; i < S.n_vs; i++) {
		struct vs_rt *vs = &S.vs[i];

		if (vs->inst != in || vs->owner == owner)
			continue;
		vs->owner = owner;
		if (owner) {
			vs->owner_since_us = now_us();
			xlog(LOG_INFO, "[%s] this node owns the VIP: steering", vs->name);
			/* The previous master fell silent: what its real servers
			 * last reported may be from a host that is gone. */
			for (size_t r = 0; silent_peer && r < vs->n_rs; r++)
				if (vs->rs[r].cfg->addr.s_addr == silent_peer)
					rs_silent(&vs->rs[r], vs->owner_since_us);
			/* fresh facts within a round trip, not an interval */
			for (size_t r = 0; r < vs->n_rs; r++)
				for (size_t k = 0; k < vs->rs[r].n_checks; k++)
					check_probe_now(vs->rs[r].checks[k]);
			vs_update(vs);
		} else {
			/* The new owner decides; stale callbacks see PROMO_IDLE. */
			vs->writer = vs->candidate = -1;
			vs->phase = PROMO_IDLE;
			vs->promo_gen++;
			dp_service_del(&d->dp.maps, &vs->key);
		}
	}
}

bool service_instance_fault(struct xvipd *d, const struct vrrp_rt *in)
{
	(void)d;
	for (size_t i = 0; i < S.n_vs; i++) {
		const struct vs_rt *vs = &S.vs[i];
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
	struct sbuf b = { 0 };
	char why[256];

	(void)d;
	for (size_t i = 0; i < S.n_vs; i++) {
		struct vs_rt *vs = &S.vs[i];
		int idx = -1;

		if (!vs->is_fo)
			continue;
		if (!vs->owner) {
			sb_printf(&b, "error: [%s] this node does not own the VIP: run it on the master\n",
				  vs->name);
			continue;
		}
		if (vs->phase != PROMO_IDLE) {
			sb_printf(&b, "error: [%s] a promotion is already running\n", vs->name);
			continue;
		}
		if (target) {
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
		} else {
			idx = pick_candidate(vs, vs->writer, why, sizeof(why));
			if (idx < 0) {
				sb_printf(&b, "error: [%s] no node to hand over to: %s\n", vs->name, why);
				continue;
			}
		}
		if (idx == vs->writer) {
			sb_printf(&b, "[%s] %s is already the writer\n", vs->name, rs_name(&vs->rs[idx]));
			continue;
		}
		if (!candidate_ok(&vs->rs[idx], why, sizeof(why))) {
			sb_printf(&b, "error: [%s] refusing: %s\n", vs->name, why);
			continue;
		}
		/* The old writer is reachable: promote() fences it first. */
		promote(vs, idx, "operator request", 0);
		sb_printf(&b, "[%s] promoting %s\n", vs->name, rs_name(&vs->rs[idx]));
	}
	if (!b.s)
		sb_printf(&b, "error: no failover (lb_algo fo) virtual server\n");
	return b.s;
}

static size_t vs_preflight(struct vs_rt *vs, struct pf_finding *out, size_t max, bool *semi)
{
	struct pf_node nodes[XVIP_MAX_BACKENDS];
	size_t n = 0;

	for (size_t r = 0; r < vs->n_rs; r++) {
		if (!vs->rs[r].mysql)
			continue;
		nodes[n].name = rs_name(&vs->rs[r]);
		/* a node the checks found down: its facts are stale (a dead
		 * ex-writer would count as a second read_only=OFF node) */
		nodes[n].f = vs->rs[r].decided && !vs->rs[r].up ? NULL
			     : check_mysql_facts(vs->rs[r].mysql);
		nodes[n].unreachable_why = vs->rs[r].up ? "" : vs->rs[r].why;
		n++;
	}
	if (!n)
		return 0;
	return preflight_mysql(nodes, n, vs->cfg->manage_read_only, -1, out, max, semi);
}

char *service_check_mysql(struct xvipd *d)
{
	struct sbuf b = { 0 };
	struct pf_finding f[32];

	(void)d;
	for (size_t i = 0; i < S.n_vs; i++) {
		bool semi = false;
		size_t n = vs_preflight(&S.vs[i], f, 32, &semi);

		for (size_t k = 0; k < n; k++)
			sb_printf(&b, "[%s] %s: %s\n", S.vs[i].name, pf_level_str(f[k].level), f[k].text);
	}
	if (!b.s)
		sb_printf(&b, "no MYSQL_CHECK configured\n");
	return b.s;
}

/* Once every MySQL node of a service has been read: the preflight, as
 * warnings in the log (xvipctl check-mysql shows it on demand). */
static void log_preflight(struct vs_rt *vs)
{
	struct pf_finding f[32];
	size_t n;

	if (vs->preflight_logged)
		return;
	for (size_t r = 0; r < vs->n_rs; r++) {
		const struct mysql_facts *mf = vs->rs[r].mysql ? check_mysql_facts(vs->rs[r].mysql) : NULL;

		if (vs->rs[r].mysql && !(mf && mf->valid))
			return;
	}
	vs->preflight_logged = true;
	n = vs_preflight(vs, f, 32, &vs->semisync);
	for (size_t k = 0; k < n; k++)
		xlog(f[k].level == PF_OK ? LOG_INFO : f[k].level == PF_WARN ? LOG_WARNING : LOG_ERR,
		     "[%s] preflight %s: %s", vs->name, pf_level_str(f[k].level), f[k].text);
}

/* ---- status -------------------------------------------------------------- */

static const char *writer_name(const struct vs_rt *vs)
{
	return vs->writer >= 0 ? rs_name(&vs->rs[vs->writer]) : NULL;
}

void service_status_json(struct xvipd *d, struct sbuf *b)
{
	(void)d;
	sb_printf(b, "[");
	for (size_t i = 0; i < S.n_vs; i++) {
		struct vs_rt *vs = &S.vs[i];
		struct pf_finding f[32];
		bool semi = false;
		size_t nf = vs_preflight(vs, f, 32, &semi);

		sb_printf(b, "%s{\"service\":\"%s\",\"lb_algo\":\"%s\",\"owner\":%s,\"writer\":",
			  i ? "," : "", vs->name,
			  vs->is_fo ? "fo" : vs->cfg->lb_algo == CONFIG_LB_RR ? "rr" : "wrr",
			  vs->owner ? "true" : "false");
		if (writer_name(vs))
			sb_json_str(b, writer_name(vs));
		else
			sb_printf(b, "null");
		sb_printf(b, ",\"replication\":\"%s\",\"promotion\":\"%s\",\"refused\":",
			  any_semisync_off(vs) ? "asynchronous (no standby)"
			  : semi ? "semi-synchronous" : "asynchronous",
			  vs->phase == PROMO_IDLE ? "idle" : vs->phase == PROMO_FENCE ? "fencing"
			  : vs->phase == PROMO_APPLY ? "waiting for apply"
			  : vs->phase == PROMO_SEMISYNC ? "semi-sync" : "opening");
		sb_json_str(b, vs->refused);
		sb_printf(b, ",\"real_servers\":[");
		for (size_t r = 0; r < vs->n_rs; r++) {
			struct rs_rt *rs = &vs->rs[r];
			const struct mysql_facts *mf = rs->mysql ? check_mysql_facts(rs->mysql) : NULL;

			char unreach[256] = "";
			bool reach = rs_reachable(rs, unreach, sizeof(unreach));

			sb_printf(b, "%s{\"addr\":\"%s\",\"up\":%s,\"local\":%s,\"weight\":%u,\"why\":",
				  r ? "," : "", rs_name(rs), rs->up ? "true" : "false",
				  rs->local ? "true" : "false", rs->cfg->weight);
			sb_json_str(b, rs->up ? "" : rs->why);
			sb_printf(b, ",\"reachable\":%s,\"unreachable_why\":", reach ? "true" : "false");
			sb_json_str(b, reach ? "" : unreach);
			if (mf && mf->valid) {
				sb_printf(b, ",\"mysql\":{\"stale\":%s,\"read_only\":%d,\"server_id\":%lld,"
					  "\"io_running\":%s,\"sql_running\":%s,\"seconds_behind\":%lld,"
					  "\"last_sql_errno\":%u,\"semi_sync_master_status\":%d,"
					  "\"gtid_current_pos\":",
					  rs->up ? "false" : "true", mf->read_only, mf->server_id, mf->io_running ? "true" : "false",
					  mf->sql_running ? "true" : "false", mf->seconds_behind,
					  mf->last_sql_errno, mf->semi_sync_master_status);
				sb_json_str(b, mf->gtid_current_pos);
				sb_printf(b, ",\"last_sql_error\":");
				sb_json_str(b, mf->last_sql_error);
				sb_printf(b, "}");
			}
			for (size_t k = 0; k < rs->n_checks; k++) {
				const struct check_stats *st = check_get_stats(rs->checks[k]);

				sb_printf(b, "%s{\"check\":", k ? "," : ",\"checks\":[");
				sb_json_str(b, check_name(rs->checks[k]));
				sb_printf(b, ",\"up\":%s,\"probes\":%llu,\"failures\":%llu,"
					  "\"last_probe_us\":%llu,\"last_error\":",
					  check_is_up(rs->checks[k]) ? "true" : "false",
					  (unsigned long long)st->probes, (unsigned long long)st->failures,
					  (unsigned long long)st->last_probe_us);
				sb_json_str(b, check_last_error(rs->checks[k]));
				sb_printf(b, "}%s", k + 1 == rs->n_checks ? "]" : "");
			}
			sb_printf(b, "}");
		}
		sb_printf(b, "],\"writer_events\":[");
		unsigned n = vs->nhist < WRITER_HISTORY ? vs->nhist : WRITER_HISTORY;
		for (unsigned k = 0; k < n; k++) {
			const struct writer_event *e = &vs->hist[(vs->nhist - 1 - k) % WRITER_HISTORY];

			sb_printf(b, "%s{\"wall_ms\":%lld,\"event\":\"%s\",\"addr\":\"%s\",\"took_us\":%u,"
				  "\"reason\":",
				  k ? "," : "", (long long)e->wall_ms, e->what, e->addr, e->took_us);
			sb_json_str(b, e->reason);
			sb_printf(b, "}");
		}
		sb_printf(b, "],\"preflight\":[");
		for (size_t k = 0; k < nf; k++) {
			sb_printf(b, "%s{\"level\":\"%s\",\"text\":", k ? "," : "", pf_level_str(f[k].level));
			sb_json_str(b, f[k].text);
			sb_printf(b, "}");
		}
		sb_printf(b, "]}");
	}
	sb_printf(b, "]");
}

void service_status_metrics(struct xvipd *d, struct sbuf *b)
{
	(void)d;
	sb_printf(b, "# HELP xvip_real_server_up 1 while the real server's checks say it is up.\n"
		     "# TYPE xvip_real_server_up gauge\n");
	for (size_t i = 0; i < S.n_vs; i++)
		for (size_t r = 0; r < S.vs[i].n_rs; r++)
			sb_printf(b, "xvip_real_server_up{service=\"%s\",real_server=\"%s\"} %d\n",
				  S.vs[i].name, rs_name(&S.vs[i].rs[r]), S.vs[i].rs[r].up);
	sb_printf(b, "# HELP xvip_real_server_down_total Times the real server went down.\n"
		     "# TYPE xvip_real_server_down_total counter\n");
	for (size_t i = 0; i < S.n_vs; i++)
		for (size_t r = 0; r < S.vs[i].n_rs; r++)
			sb_printf(b, "xvip_real_server_down_total{service=\"%s\",real_server=\"%s\"} %llu\n",
				  S.vs[i].name, rs_name(&S.vs[i].rs[r]),
				  (unsigned long long)S.vs[i].rs[r].downs);
	sb_printf(b, "# HELP xvip_writer 1 for the MySQL writer of an fo service (as decided by "
		     "the VIP owner), 0 for the other real servers.\n"
		     "# TYPE xvip_writer gauge\n");
	for (size_t i = 0; i < S.n_vs; i++)
		for (size_t r = 0; S.vs[i].is_fo && S.vs[i].owner && r < S.vs[i].n_rs; r++)
			sb_printf(b, "xvip_writer{service=\"%s\",real_server=\"%s\"} %d\n", S.vs[i].name,
				  rs_name(&S.vs[i].rs[r]), (int)r == S.vs[i].writer);
	sb_printf(b, "# HELP xvip_writer_refused 1 while the VIP owner has no writer because no "
		     "node could be proven safe (see xvipctl status).\n"
		     "# TYPE xvip_writer_refused gauge\n");
	for (size_t i = 0; i < S.n_vs; i++)
		if (S.vs[i].is_fo && S.vs[i].owner)
			sb_printf(b, "xvip_writer_refused{service=\"%s\"} %d\n", S.vs[i].name,
				  S.vs[i].writer < 0 && S.vs[i].refused[0]);
	sb_printf(b, "# HELP xvip_writer_semisync 1 while writes are semi-synchronous, 0 when "
		     "asynchronous (configured so, or no standby up).\n"
		     "# TYPE xvip_writer_semisync gauge\n");
	for (size_t i = 0; i < S.n_vs; i++)
		if (S.vs[i].is_fo && S.vs[i].owner && S.vs[i].writer >= 0)
			sb_printf(b, "xvip_writer_semisync{service=\"%s\"} %d\n", S.vs[i].name,
				  S.vs[i].semisync && !any_semisync_off(&S.vs[i]));
	sb_printf(b, "# HELP xvip_writer_last_promotion_seconds From the writer's loss (or the "
		     "request) to the new writer open, for the last promotion.\n"
		     "# TYPE xvip_writer_last_promotion_seconds gauge\n");
	for (size_t i = 0; i < S.n_vs; i++) {
		const struct vs_rt *vs = &S.vs[i];
		unsigned n = vs->nhist < WRITER_HISTORY ? vs->nhist : WRITER_HISTORY;

		for (unsigned k = 0; k < n; k++) {
			const struct writer_event *e = &vs->hist[(vs->nhist - 1 - k) % WRITER_HISTORY];

			if (strcmp(e->what, "promoted"))
				continue;
			sb_printf(b, "xvip_writer_last_promotion_seconds{service=\"%s\"} %.6f\n",
				  vs->name, e->took_us / 1e6);
			break;
		}
	}
}

void service_status_text(struct xvipd *d, struct sbuf *b)
{
	(void)d;
	for (size_t i = 0; i < S.n_vs; i++) {
		struct vs_rt *vs = &S.vs[i];
		struct pf_finding f[32];
		bool semi = false;
		size_t nf = vs_preflight(vs, f, 32, &semi);

		sb_printf(b, "virtual_server %s: lb_algo %s, %s", vs->name,
			  vs->is_fo ? "fo" : vs->cfg->lb_algo == CONFIG_LB_RR ? "rr" : "wrr",
			  vs->owner ? "steering (VIP owner)" : "not steering (VIP elsewhere)");
		if (vs->is_fo)
			sb_printf(b, ", writer %s, %s replication", writer_name(vs) ? writer_name(vs) : "NONE",
				  any_semisync_off(vs) ? "asynchronous (no standby up)"
				  : semi ? "semi-synchronous" : "asynchronous");
		sb_printf(b, "\n");
		if (vs->refused[0])
			sb_printf(b, "  NOT PROMOTED: %s\n", vs->refused);
		for (size_t r = 0; r < vs->n_rs; r++) {
			struct rs_rt *rs = &vs->rs[r];
			const struct mysql_facts *mf = rs->mysql ? check_mysql_facts(rs->mysql) : NULL;

			sb_printf(b, "  real_server %s%s weight %u: %s%s%s", rs_name(rs),
				  rs->local ? " (this host)" : "", rs->cfg->weight, rs->up ? "UP" : "DOWN",
				  rs->up ? "" : " - ", rs->up ? "" : rs->why);
			if (mf && mf->valid)
				sb_printf(b, " [%sread_only=%s, replica IO %s SQL %s, lag %lld s%s%s]",
					  rs->up ? "" : "last known: ",
					  mf->read_only == 1 ? "ON" : mf->read_only == 0 ? "OFF" : "?",
					  mf->io_running ? "yes" : "no", mf->sql_running ? "yes" : "no",
					  mf->seconds_behind, mf->last_sql_errno ? ", SQL error: " : "",
					  mf->last_sql_errno ? mf->last_sql_error : "");
			sb_printf(b, "\n");
		}
		unsigned n = vs->nhist < WRITER_HISTORY ? vs->nhist : WRITER_HISTORY;
		for (unsigned k = 0; k < n; k++) {
			const struct writer_event *e = &vs->hist[(vs->nhist - 1 - k) % WRITER_HISTORY];

			sb_printf(b, "  writer event: %s %s (%s)", e->what, e->addr, e->reason);
			if (e->took_us)
				sb_printf(b, " in %u us", e->took_us);
			sb_printf(b, "\n");
		}
		for (size_t k = 0; k < nf; k++)
			if (f[k].level != PF_OK)
				sb_printf(b, "  preflight %s: %s\n", pf_level_str(f[k].level), f[k].text);
	}
}
