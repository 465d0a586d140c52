#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "preflight.h"

struct pf_out {
	struct pf_finding *f;
	size_t n, max;
};

static void add(struct pf_out *o, enum pf_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(struct pf_out *o, enum pf_level level, const char *fmt, ...)
{
	va_list ap;

	if (o->n == o->max)
		return;
	o->f[o->n].level = level;
	va_start(ap, fmt);
	vsnprintf(o->f[o->n].text, sizeof(o->f[o->n].text), fmt, ap);
	va_end(ap);
	o->n++;
}

const char *pf_level_str(enum pf_level l)
{
	return l == PF_ERROR ? "ERROR" : l == PF_WARN ? "WARNING" : "ok";
}

static bool usable(const struct pf_node *n)
{
	return n->f && n->f->valid;
}

size_t preflight_mysql(const struct pf_node *nodes, size_t n, bool manage_read_only, int writer,
		       struct pf_finding *out, size_t max, bool *semisync)
{
	struct pf_out o = { .f = out, .max = max };
	size_t readable = 0, writable = 0;
	bool all_semi = n > 0, all_slave_semi = n > 0;

	for (size_t i = 0; i < n; i++) {
		if (usable(&nodes[i])) {
			readable++;
			continue;
		}
		all_semi = all_slave_semi = false;
		add(&o, PF_ERROR, "%s: cannot read its settings (%s); the checks below leave it out",
		    nodes[i].name,
		    nodes[i].unreachable_why && *nodes[i].unreachable_why ? nodes[i].unreachable_why
									  : "not reachable");
	}
	for (size_t i = 0; i < n; i++) {
		const struct mysql_facts *a = nodes[i].f;

		if (!usable(&nodes[i]))
			continue;
		if (a->facts_error[0])
			add(&o, PF_WARN, "%s: some settings could not be read: %s (grant the check user "
			    "REPLICATION CLIENT / SLAVE MONITOR and BINLOG MONITOR)", nodes[i].name,
			    a->facts_error);
		if (a->log_bin == 0)
			add(&o, PF_ERROR, "%s: binary log is off, so its peer cannot replicate from it: "
			    "set log_bin (and log_slave_updates) in my.cnf and restart", nodes[i].name);
		if (a->auto_increment_increment >= 0 && (size_t)a->auto_increment_increment < n)
			add(&o, PF_ERROR, "%s: auto_increment_increment is %lld for %zu writers: keys "
			    "written on different nodes can collide; set auto_increment_increment=%zu "
			    "on every node", nodes[i].name, a->auto_increment_increment, n, n);
		if (a->is_replica) {
			if (a->last_sql_errno || !a->sql_running)
				add(&o, PF_ERROR, "%s: replication SQL thread is stopped%s%s%s: it will not "
				    "be promoted until it applies again (fix the cause, then START SLAVE)",
				    nodes[i].name, a->last_sql_errno ? " with error: " : "",
				    a->last_sql_errno ? a->last_sql_error : "", "");
			if (!a->io_running)
				add(&o, PF_WARN, "%s: replication IO thread is %s%s%s", nodes[i].name,
				    a->io_state[0] ? a->io_state : "not running",
				    a->last_io_errno ? ": " : "",
				    a->last_io_errno ? a->last_io_error : "");
			if (a->seconds_behind > 0)
				add(&o, PF_WARN, "%s: replication is %lld s behind", nodes[i].name,
				    a->seconds_behind);
		} else if (n > 1) {
			add(&o, PF_ERROR, "%s: does not replicate from its peer: a dual-master pair "
			    "replicates both ways (CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos; "
			    "START SLAVE)", nodes[i].name);
		}
		if (!(a->semi_sync_master_enabled == 1 && a->semi_sync_slave_enabled == 1))
			all_semi = false;
		/* the slave side is never switched by xvipd: it says what
		 * the pair is meant to be, also while a writer runs
		 * asynchronously for want of a standby */
		if (a->semi_sync_slave_enabled != 1)
			all_slave_semi = false;
		if (a->semi_sync_slave_enabled == 1 && a->semi_sync_master_timeout >= 0 &&
		    a->semi_sync_master_timeout < PF_FENCE_MIN_TIMEOUT_MS)
			add(&o, PF_WARN, "%s: rpl_semi_sync_master_timeout is %lld ms: behind a "
			    "partition longer than that it goes asynchronous by itself, so it is no "
			    "fence, and a node that cannot reach it is not promoted; set it to "
			    "4294967295 (xvipd switches semi-sync off itself when a standby is "
			    "proven stopped)", nodes[i].name, a->semi_sync_master_timeout);
		if (a->semi_sync_slave_enabled == 1 && a->semi_sync_wait_no_slave == 0)
			add(&o, PF_WARN, "%s: rpl_semi_sync_master_wait_no_slave=OFF: without a "
			    "connected standby it acknowledges writes at once, so it is no fence; set "
			    "it ON", nodes[i].name);
		if (a->semi_sync_slave_enabled == 1 && a->semi_sync_wait_point[0] &&
		    strcasecmp(a->semi_sync_wait_point, "AFTER_SYNC"))
			add(&o, PF_WARN, "%s: rpl_semi_sync_master_wait_point=%s: other sessions see "
			    "a commit before the standby has it; use AFTER_SYNC", nodes[i].name,
			    a->semi_sync_wait_point);
		for (size_t j = i + 1; j < n; j++) {
			const struct mysql_facts *b = nodes[j].f;

			if (!usable(&nodes[j]))
				continue;
			if (a->server_id >= 0 && a->server_id == b->server_id)
				add(&o, PF_ERROR, "%s and %s have the same server_id %lld: replication "
				    "between them cannot work; give each a distinct server_id",
				    nodes[i].name, nodes[j].name, a->server_id);
			if (strstr(a->version, "MariaDB") && a->gtid_domain_id >= 0 &&
			    a->gtid_domain_id == b->gtid_domain_id)
				add(&o, PF_WARN, "%s and %s share gtid_domain_id %lld: writes on both "
				    "sides interleave in one GTID stream; set gtid_domain_id to a distinct "
				    "value on each node", nodes[i].name, nodes[j].name, a->gtid_domain_id);
			if (a->auto_increment_increment > 0 &&
			    a->auto_increment_increment == b->auto_increment_increment &&
			    a->auto_increment_offset % a->auto_increment_increment ==
				    b->auto_increment_offset % b->auto_increment_increment)
				add(&o, PF_ERROR, "%s and %s both use auto_increment_offset %lld (increment "
				    "%lld): keys written on both can collide; give each node its own "
				    "offset (1, 2, ...)", nodes[i].name, nodes[j].name,
				    a->auto_increment_offset, a->auto_increment_increment);
			else if (a->auto_increment_increment > 0 && b->auto_increment_increment > 0 &&
				 a->auto_increment_increment != b->auto_increment_increment)
				add(&o, PF_WARN, "%s and %s have different auto_increment_increment (%lld, "
				    "%lld): use the same value everywhere", nodes[i].name, nodes[j].name,
				    a->auto_increment_increment, b->auto_increment_increment);
		}
		if (a->read_only == 0)
			writable++;
	}
	if (manage_read_only && readable) {
		if (writable > 1)
			add(&o, PF_ERROR, "%zu nodes have read_only=OFF: two writers; xvipd sets read_only "
			    "on all but the writer", writable);
		for (size_t i = 0; i < n; i++) {
			if (!usable(&nodes[i]) || writer < 0)
				continue;
			if ((int)i == writer && nodes[i].f->read_only == 1)
				add(&o, PF_WARN, "%s is the writer but read_only=ON", nodes[i].name);
			if ((int)i != writer && nodes[i].f->read_only == 0)
				add(&o, PF_ERROR, "%s is not the writer but read_only=OFF", nodes[i].name);
		}
	}
	if (readable && all_semi)
		add(&o, PF_OK, "semi-synchronous replication on every node: an acknowledged write "
		    "is in the standby's relay log before the client hears OK");
	else if (readable)
		add(&o, PF_WARN, "asynchronous replication: a writer that crashes can take "
		    "acknowledged writes with it; enable rpl_semi_sync_master_enabled and "
		    "rpl_semi_sync_slave_enabled (wait point AFTER_SYNC) on every node");
	if (semisync)
		*semisync = readable && all_slave_semi;
	return o.n;
}
