/* The services as the operator sees them: one walk over the virtual and
 * real servers feeding three printers (xvipctl status --json, status,
 * metrics), and the preflight of each MySQL pair (xvipctl check-mysql, and
 * once in the log). See service_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "log.h"
#include "preflight.h"
#include "sbuf.h"
#include "service.h"
#include "service_int.h"
#include "xvipd.h"

#define PF_FINDINGS 32

/* ---- preflight --------------------------------------------------------- */

static size_t vs_preflight(const struct vs_rt *vs, struct pf_finding *out, size_t max, bool *semi)
{
	struct pf_node nodes[XVIP_MAX_BACKENDS];
	size_t n = 0;

	for (size_t r = 0; r < vs->n_rs; r++) {
		if (!vs->rs[r].mysql)
			continue;
		nodes[n].name = vs->rs[r].name;
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
	struct services *S = d->svc;
	struct sbuf b = { 0 };
	struct pf_finding f[PF_FINDINGS];

	for (size_t i = 0; S && i < S->n_vs; i++) {
		bool semi = false;
		size_t n = vs_preflight(&S->vs[i], f, PF_FINDINGS, &semi);

		for (size_t k = 0; k < n; k++)
			sb_printf(&b, "[%s] %s: %s\n", S->vs[i].name, pf_level_str(f[k].level), f[k].text);
	}
	if (!b.s)
		sb_printf(&b, "no MYSQL_CHECK configured\n");
	return b.s;
}

void svc_log_preflight(struct vs_rt *vs)
{
	struct pf_finding f[PF_FINDINGS];
	size_t n;

	if (vs->preflight_logged)
		return;
	for (size_t r = 0; r < vs->n_rs; r++) {
		const struct mysql_facts *mf = vs->rs[r].mysql ? check_mysql_facts(vs->rs[r].mysql) : NULL;

		if (vs->rs[r].mysql && !(mf && mf->valid))
			return;
	}
	vs->preflight_logged = true;
	n = vs_preflight(vs, f, PF_FINDINGS, &vs->w.fsm.semisync);
	for (size_t k = 0; k < n; k++)
		xlog(f[k].level == PF_OK ? LOG_INFO : f[k].level == PF_WARN ? LOG_WARNING : LOG_ERR,
		     "[%s] preflight %s: %s", vs->name, pf_level_str(f[k].level), f[k].text);
	if (vs->is_fo && vs->cfg->manage_read_only)
		xlog(vs->cfg->standby_loss_async ? LOG_WARNING : LOG_NOTICE,
		     "[%s] one writer under partition: %s; a writer that loses its standby without "
		     "proof it is stopped %s (standby_loss_policy %s, standby_loss_timeout %u ms; %s)",
		     vs->name,
		     vs->w.fsm.semisync ? "semi-sync is the fence (a node that cannot be reached is "
					  "promoted only once it cannot acknowledge)"
					: "NO FENCE: the pair replicates asynchronously, a partition "
					  "can make two writers",
		     vs->cfg->standby_loss_async ? "goes asynchronous after the timeout: two writers "
						   "possible behind a partition"
						 : "keeps its commits waiting",
		     vs->cfg->standby_loss_async ? "async" : "block", vs->cfg->standby_loss_timeout_ms,
		     vs->d->witness ? "while the witness can be reached, it decides instead"
				    : "no witness configured: a witness would decide instead");
}

/* ---- one walk, three printers ------------------------------------------- */

/* What the walk reads once per virtual server and per real server. */
struct vs_row {
	const struct vs_rt *vs;
	const char *lb_algo;
	const char *writer;        /* its name, NULL: none */
	bool semi;                 /* the preflight says semi-synchronous */
	bool semisync_off;         /* we switched a node's semi-sync off */
	uint64_t wait_ms;          /* the writer's commits wait since, ms */
	struct pf_finding pf[PF_FINDINGS];
	size_t npf;
};

struct rs_row {
	const struct rs_rt *rs;
	const struct mysql_facts *mf; /* valid facts, else NULL */
	bool reachable;
	char unreachable_why[256];
};

/* metrics are printed by family, once every service was seen */
struct m_row {
	const struct vs_rt *vs;
};

struct status_out {
	struct sbuf *b;
	struct m_row *m;
	size_t nm;
};

struct status_printer {
	void (*vs)(struct status_out *o, const struct vs_row *v, bool first);
	void (*rs)(struct status_out *o, const struct vs_row *v, const struct rs_row *r, bool first);
	void (*vs_end)(struct status_out *o, const struct vs_row *v);
	void (*end)(struct status_out *o);
};

static void status_walk(const struct services *S, const struct status_printer *p,
			struct status_out *o)
{
	for (size_t i = 0; S && i < S->n_vs; i++) {
		const struct vs_rt *vs = &S->vs[i];
		const struct writer_fsm *fsm = &vs->w.fsm;
		struct vs_row v = {
			.vs = vs,
			.lb_algo = vs->is_fo ? "fo" : vs->cfg->lb_algo == CONFIG_LB_RR ? "rr" : "wrr",
			.writer = fsm->writer >= 0 ? vs->rs[fsm->writer].name : NULL,
			.semisync_off = writer_fsm_semisync_off(fsm),
		};

		if (fsm->blocked_since_us)
			v.wait_ms = (now_us() - fsm->blocked_since_us) / 1000;

		v.npf = vs_preflight(vs, v.pf, PF_FINDINGS, &v.semi);
		p->vs(o, &v, i == 0);
		for (size_t r = 0; r < vs->n_rs; r++) {
			const struct rs_rt *rs = &vs->rs[r];
			const struct mysql_facts *mf = rs->mysql ? check_mysql_facts(rs->mysql) : NULL;
			struct rs_row row = { .rs = rs, .mf = mf && mf->valid ? mf : NULL };

			row.reachable = writer_fsm_reachable(fsm, (int)r, row.unreachable_why,
							     sizeof(row.unreachable_why));
			if (row.reachable)
				row.unreachable_why[0] = 0;
			p->rs(o, &v, &row, r == 0);
		}
		p->vs_end(o, &v);
	}
	if (p->end)
		p->end(o);
}

/* JSON */

static void json_vs(struct status_out *o, const struct vs_row *v, bool first)
{
	const struct vs_rt *vs = v->vs;

	sb_printf(o->b, "%s{\"service\":\"%s\",\"lb_algo\":\"%s\",\"owner\":%s,\"writer\":",
		  first ? "" : ",", vs->name, v->lb_algo, vs_owner(vs) ? "true" : "false");
	if (v->writer)
		sb_json_str(o->b, v->writer);
	else
		sb_printf(o->b, "null");
	sb_printf(o->b, ",\"replication\":\"%s\",\"promotion\":\"%s\",\"refused\":",
		  v->semisync_off ? "asynchronous (no standby)"
		  : v->semi ? "semi-synchronous" : "asynchronous",
		  wf_phase_str(vs->w.fsm.phase));
	sb_json_str(o->b, vs->w.fsm.refused);
	sb_printf(o->b, ",\"standby_loss_policy\":\"%s\",\"writes_wait\":%s,\"writes_wait_ms\":%llu,"
		  "\"writes_wait_why\":", vs->cfg->standby_loss_async ? "async" : "block",
		  vs->w.fsm.blocked_since_us ? "true" : "false", (unsigned long long)v->wait_ms);
	sb_json_str(o->b, vs->w.fsm.blocked_since_us ? vs->w.fsm.blocked_why : "");
	if (vs->is_fo && vs->d->witness) {
		sb_printf(o->b, ",\"witness\":{\"connected\":%s,\"known\":%s,\"exists\":%s,"
			  "\"mine\":%s,\"version\":%d,\"data\":",
			  witness_connected(vs->d->witness) ? "true" : "false",
			  vs->wkey.known ? "true" : "false", vs->wkey.exists ? "true" : "false",
			  vs->wkey.mine ? "true" : "false", (int)vs->wkey.version);
		sb_json_str(o->b, vs->wkey.exists ? vs->wkey.data : "");
		sb_printf(o->b, "}");
	}
	sb_printf(o->b, ",\"real_servers\":[");
}

static void json_rs(struct status_out *o, const struct vs_row *v, const struct rs_row *r,
		    bool first)
{
	const struct rs_rt *rs = r->rs;
	const struct mysql_facts *mf = r->mf;
	struct sbuf *b = o->b;

	sb_printf(b, "%s{\"addr\":\"%s\",\"up\":%s,\"local\":%s,\"weight\":%u,\"why\":",
		  first ? "" : ",", rs->name, rs->up ? "true" : "false",
		  rs->local ? "true" : "false", rs->weight);
	sb_json_str(b, rs->up ? "" : rs->why);
	sb_printf(b, ",\"reachable\":%s,\"unreachable_why\":", r->reachable ? "true" : "false");
	sb_json_str(b, r->unreachable_why);
	sb_printf(b, ",\"errant\":");
	sb_json_str(b, v->vs->w.fsm.node[rs - v->vs->rs].errant);
	if (mf) {
		sb_printf(b, ",\"mysql\":{\"stale\":%s,\"read_only\":%d,\"server_id\":%lld,"
			  "\"io_running\":%s,\"sql_running\":%s,\"seconds_behind\":%lld,"
			  "\"last_sql_errno\":%u,\"semi_sync_master_status\":%d,"
			  "\"watched_pid\":%u,\"gtid_current_pos\":",
			  rs->up ? "false" : "true", mf->read_only, mf->server_id,
			  mf->io_running ? "true" : "false", mf->sql_running ? "true" : "false",
			  mf->seconds_behind, mf->last_sql_errno, mf->semi_sync_master_status,
			  rs->mysql ? check_mysql_pid(rs->mysql) : 0);
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

static void json_vs_end(struct status_out *o, const struct vs_row *v)
{
	const struct writer *w = &v->vs->w;
	struct sbuf *b = o->b;

	sb_printf(b, "],\"writer_events\":[");
	for (unsigned k = 0; k < writer_history_len(w); k++) {
		const struct writer_event *e = writer_history(w, k);

		sb_printf(b, "%s{\"wall_ms\":%lld,\"event\":\"%s\",\"addr\":\"%s\",\"took_us\":%u,"
			  "\"reason\":",
			  k ? "," : "", (long long)e->wall_ms, e->what, e->addr, e->took_us);
		sb_json_str(b, e->reason);
		sb_printf(b, "}");
	}
	sb_printf(b, "],\"preflight\":[");
	for (size_t k = 0; k < v->npf; k++) {
		sb_printf(b, "%s{\"level\":\"%s\",\"text\":", k ? "," : "", pf_level_str(v->pf[k].level));
		sb_json_str(b, v->pf[k].text);
		sb_printf(b, "}");
	}
	sb_printf(b, "]}");
}

static const struct status_printer json_printer = { json_vs, json_rs, json_vs_end, NULL };

void service_status_json(struct xvipd *d, struct sbuf *b)
{
	struct status_out o = { .b = b };

	sb_printf(b, "[");
	status_walk(d->svc, &json_printer, &o);
	sb_printf(b, "]");
}

/* text */

static void text_vs(struct status_out *o, const struct vs_row *v, bool first)
{
	const struct vs_rt *vs = v->vs;

	(void)first;
	sb_printf(o->b, "virtual_server %s: lb_algo %s, %s", vs->name, v->lb_algo,
		  vs_owner(vs) ? "steering (VIP owner)" : "not steering (VIP elsewhere)");
	if (vs->is_fo)
		sb_printf(o->b, ", writer %s, %s replication", v->writer ? v->writer : "NONE",
			  v->semisync_off ? "asynchronous (no standby up)"
			  : v->semi ? "semi-synchronous" : "asynchronous");
	sb_printf(o->b, "\n");
	if (vs->w.fsm.refused[0])
		sb_printf(o->b, "  NOT PROMOTED: %s\n", vs->w.fsm.refused);
	if (vs->is_fo && vs->d->witness) {
		const struct witness_key *k = &vs->wkey;

		sb_printf(o->b, "  witness: %s, key %s%s%s\n",
			  witness_connected(vs->d->witness) ? "connected" : "NOT CONNECTED",
			  !k->known ? "not read" : !k->exists ? "absent"
			  : k->mine ? "held by this xvipd" : "held by another xvipd",
			  k->known && k->exists ? ": " : "", k->known && k->exists ? k->data : "");
	}
	if (vs->w.fsm.blocked_since_us)
		sb_printf(o->b, "  WRITES WAIT for %llu ms: the writer has no standby (%s) and no proof "
			  "it is stopped; standby_loss_policy %s after %u ms\n",
			  (unsigned long long)v->wait_ms, vs->w.fsm.blocked_why,
			  vs->cfg->standby_loss_async ? "async" : "block",
			  vs->cfg->standby_loss_timeout_ms);
}

static void text_rs(struct status_out *o, const struct vs_row *v, const struct rs_row *r,
		    bool first)
{
	const struct rs_rt *rs = r->rs;
	const struct mysql_facts *mf = r->mf;

	(void)first;
	sb_printf(o->b, "  real_server %s%s weight %u: %s%s%s", rs->name,
		  rs->local ? " (this host)" : "", rs->weight, rs->up ? "UP" : "DOWN",
		  rs->up ? "" : " - ", rs->up ? "" : rs->why);
	if (mf)
		sb_printf(o->b, " [%sread_only=%s, replica IO %s SQL %s, lag %lld s%s%s]",
			  rs->up ? "" : "last known: ",
			  mf->read_only == 1 ? "ON" : mf->read_only == 0 ? "OFF" : "?",
			  mf->io_running ? "yes" : "no", mf->sql_running ? "yes" : "no",
			  mf->seconds_behind, mf->last_sql_errno ? ", SQL error: " : "",
			  mf->last_sql_errno ? mf->last_sql_error : "");
	if (v->vs->w.fsm.node[rs - v->vs->rs].errant_n)
		sb_printf(o->b, " ERRANT: %s", v->vs->w.fsm.node[rs - v->vs->rs].errant);
	sb_printf(o->b, "\n");
}

static void text_vs_end(struct status_out *o, const struct vs_row *v)
{
	const struct writer *w = &v->vs->w;

	for (unsigned k = 0; k < writer_history_len(w); k++) {
		const struct writer_event *e = writer_history(w, k);

		sb_printf(o->b, "  writer event: %s %s (%s)", e->what, e->addr, e->reason);
		if (e->took_us)
			sb_printf(o->b, " in %u us", e->took_us);
		sb_printf(o->b, "\n");
	}
	for (size_t k = 0; k < v->npf; k++)
		if (v->pf[k].level != PF_OK)
			sb_printf(o->b, "  preflight %s: %s\n", pf_level_str(v->pf[k].level),
				  v->pf[k].text);
}

static const struct status_printer text_printer = { text_vs, text_rs, text_vs_end, NULL };

void service_status_text(struct xvipd *d, struct sbuf *b)
{
	struct status_out o = { .b = b };

	status_walk(d->svc, &text_printer, &o);
}

/* Prometheus */

static void m_vs(struct status_out *o, const struct vs_row *v, bool first)
{
	struct m_row *m = realloc(o->m, (o->nm + 1) * sizeof(*m));

	(void)first;
	if (!m)
		return; /* that service is left out */
	o->m = m;
	o->m[o->nm++] = (struct m_row){ .vs = v->vs };
}

static void m_rs(struct status_out *o, const struct vs_row *v, const struct rs_row *r, bool first)
{
	(void)o;
	(void)v;
	(void)r;
	(void)first;
}

static void m_vs_end(struct status_out *o, const struct vs_row *v)
{
	(void)o;
	(void)v;
}

static void m_end(struct status_out *o)
{
	struct sbuf *b = o->b;

#define EACH_VS(vs) \
	for (size_t i_ = 0; i_ < o->nm; i_++) \
		for (const struct vs_rt *vs = o->m[i_].vs; vs; vs = NULL)
	sb_printf(b, "# HELP xvip_real_server_up 1 while the real server's checks say it is up.\n"
		     "# TYPE xvip_real_server_up gauge\n");
	EACH_VS(vs)
		for (size_t r = 0; r < vs->n_rs; r++)
			sb_printf(b, "xvip_real_server_up{service=\"%s\",real_server=\"%s\"} %d\n",
				  vs->name, vs->rs[r].name, vs->rs[r].up);
	sb_printf(b, "# HELP xvip_real_server_down_total Times the real server went down.\n"
		     "# TYPE xvip_real_server_down_total counter\n");
	EACH_VS(vs)
		for (size_t r = 0; r < vs->n_rs; r++)
			sb_printf(b, "xvip_real_server_down_total{service=\"%s\",real_server=\"%s\"} %llu\n",
				  vs->name, vs->rs[r].name, (unsigned long long)vs->rs[r].downs);
	sb_printf(b, "# HELP xvip_writer 1 for the MySQL writer of an fo service (as decided by "
		     "the VIP owner), 0 for the other real servers.\n"
		     "# TYPE xvip_writer gauge\n");
	EACH_VS(vs)
		for (size_t r = 0; vs->is_fo && vs_owner(vs) && r < vs->n_rs; r++)
			sb_printf(b, "xvip_writer{service=\"%s\",real_server=\"%s\"} %d\n", vs->name,
				  vs->rs[r].name, (int)r == vs->w.fsm.writer);
	sb_printf(b, "# HELP xvip_writer_refused 1 while the VIP owner has no writer because no "
		     "node could be proven safe (see xvipctl status).\n"
		     "# TYPE xvip_writer_refused gauge\n");
	EACH_VS(vs)
		if (vs->is_fo && vs_owner(vs))
			sb_printf(b, "xvip_writer_refused{service=\"%s\"} %d\n", vs->name,
				  vs->w.fsm.writer < 0 && vs->w.fsm.refused[0]);
	sb_printf(b, "# HELP xvip_writer_semisync 1 while writes are semi-synchronous, 0 when "
		     "asynchronous (configured so, or no standby up).\n"
		     "# TYPE xvip_writer_semisync gauge\n");
	EACH_VS(vs)
		if (vs->is_fo && vs_owner(vs) && vs->w.fsm.writer >= 0)
			sb_printf(b, "xvip_writer_semisync{service=\"%s\"} %d\n", vs->name,
				  vs->w.fsm.semisync && !writer_fsm_semisync_off(&vs->w.fsm));
	sb_printf(b, "# HELP xvip_writer_writes_wait 1 while the writer's commits wait for a "
		     "standby that is lost without proof it is stopped (standby_loss_policy).\n"
		     "# TYPE xvip_writer_writes_wait gauge\n");
	EACH_VS(vs)
		if (vs->is_fo && vs_owner(vs))
			sb_printf(b, "xvip_writer_writes_wait{service=\"%s\"} %d\n", vs->name,
				  vs->w.fsm.blocked_since_us != 0);
	sb_printf(b, "# HELP xvip_real_server_errant_transactions Transactions in the node's "
		     "binlog the writer never received (errant; 0: none known).\n"
		     "# TYPE xvip_real_server_errant_transactions gauge\n");
	EACH_VS(vs)
		for (size_t r = 0; vs->is_fo && r < vs->n_rs; r++)
			sb_printf(b, "xvip_real_server_errant_transactions{service=\"%s\","
				  "real_server=\"%s\"} %zu\n", vs->name, vs->rs[r].name,
				  vs->w.fsm.node[r].errant_n);
	sb_printf(b, "# HELP xvip_writer_last_promotion_seconds From the writer's loss (or the "
		     "request) to the new writer open, for the last promotion.\n"
		     "# TYPE xvip_writer_last_promotion_seconds gauge\n");
	EACH_VS(vs)
		for (unsigned k = 0; k < writer_history_len(&vs->w); k++) {
			const struct writer_event *e = writer_history(&vs->w, k);

			if (strcmp(e->what, "promoted"))
				continue;
			sb_printf(b, "xvip_writer_last_promotion_seconds{service=\"%s\"} %.6f\n",
				  vs->name, e->took_us / 1e6);
			break;
		}
#undef EACH_VS
	free(o->m);
	o->m = NULL;
	o->nm = 0;
}

static const struct status_printer metrics_printer = { m_vs, m_rs, m_vs_end, m_end };

void service_status_metrics(struct xvipd *d, struct sbuf *b)
{
	struct status_out o = { .b = b };

	status_walk(d->svc, &metrics_printer, &o);
}
