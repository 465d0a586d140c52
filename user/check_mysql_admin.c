/*
 * MYSQL_CHECK's administrative operations (check.h: mysql_admin_queue,
 * mysql_set_read_only, mysql_wait_applied, mysql_admin_sql) on the check's
 * second connection, "admin", driven by the mconn engine of check_mysql.c.
 * One runs at a time: the others wait in a queue, in the order asked, and
 * the next one starts (from the loop) once the previous one's done has run.
 */
#define XVIP_CHECK_INTERNAL
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <mysql.h>

#include "check.h"
#include "check_mysql_int.h"
#include "log.h"

static void admin_end(struct check *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void admin_next(struct check *c);

/* The running operation ended: its done, then the next one in line. Called
 * with the check held (from the loop). */
static void admin_end(struct check *c, int rc, const char *fmt, ...)
{
	struct mysql_state *s = ms_of(c);
	struct admin_op *op = s->op;
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->op = NULL;
	free(s->gtid_io_pos);
	s->gtid_io_pos = NULL;
	mc_idle(&s->admin);
	if (rc < 0)
		xlog(LOG_WARNING, "%s: %s", c->name, msg);
	if (op && op->done && !c->zombie)
		op->done(op->arg, rc, msg);
	free(op);
	admin_next(c);
}

static void admin_fail(struct check *c, const char *what, const char *msg)
{
	admin_end(c, -EIO, "mysql %s:%u: %s: %s", c->addr_str, c->port, what, msg);
}

static void on_ro_super_set(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;

	mysql_free_result(res);
	if (err) {
		admin_fail(c, "SET GLOBAL super_read_only", msg);
		return;
	}
	admin_end(c, 0, "read_only and super_read_only set to %s", ms_of(c)->op->ro ? "ON" : "OFF");
}

static void on_ro_set(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_state *s = ms_of(c);

	mysql_free_result(res);
	if (err) {
		admin_fail(c, s->op->ro ? "SET GLOBAL read_only = ON" : "SET GLOBAL read_only = OFF",
			   msg);
		return;
	}
	/* On MySQL read_only = OFF also clears super_read_only; ON needs both. */
	if (s->super_ro_exists && s->op->ro) {
		mc_query(mc, "SET GLOBAL super_read_only = ON", on_ro_super_set);
		return;
	}
	admin_end(c, 0, "read_only set to %s", s->op->ro ? "ON" : "OFF");
}

static void on_ro_probe_var(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_state *s = ms_of(c);

	if (err) {
		mysql_free_result(res);
		admin_fail(c, "SHOW GLOBAL VARIABLES LIKE 'super_read_only'", msg);
		return;
	}
	s->super_ro_exists = res && mysql_num_rows(res) > 0;
	mysql_free_result(res);
	/* SET GLOBAL read_only waits for table locks and running commits. If
	 * we give up waiting, the server must give up too: a statement that
	 * ran later could close a node that has become the writer meanwhile,
	 * or open one that is not. MariaDB (no super_read_only) aborts it by
	 * itself after max_statement_time, set below our own deadline. */
	if (!s->super_ro_exists) {
		uint64_t now = now_us();
		double left = mc->deadline_at_us > now ? (double)(mc->deadline_at_us - now) : 0;
		double secs = left * 0.75 / 1e6;

		snprintf(s->admin_ro_sql, sizeof(s->admin_ro_sql),
			 "SET STATEMENT max_statement_time=%.3f FOR SET GLOBAL read_only = %s",
			 secs < 0.001 ? 0.001 : secs, s->op->ro ? "ON" : "OFF");
	} else {
		snprintf(s->admin_ro_sql, sizeof(s->admin_ro_sql), "SET GLOBAL read_only = %s",
			 s->op->ro ? "ON" : "OFF");
	}
	mc_query(mc, s->admin_ro_sql, on_ro_set);
}

static void on_gtid_wait(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_state *s = ms_of(c);
	MYSQL_ROW row;
	char v[32], slave_pos[MYSQL_FACT_STR];

	if (err) {
		mysql_free_result(res);
		admin_fail(c, "MASTER_GTID_WAIT", msg);
		return;
	}
	row = res ? mysql_fetch_row(res) : NULL;
	fact_copy(v, sizeof(v), row ? row[0] : NULL);
	fact_copy(slave_pos, sizeof(slave_pos), row && mysql_num_fields(res) > 1 ? row[1] : NULL);
	mysql_free_result(res);
	if (!strcmp(v, "0"))
		admin_end(c, 0, "applied up to Gtid_IO_Pos %s", s->gtid_io_pos);
	else if (!strcmp(v, "-1"))
		admin_end(c, 1, "not applied within %u ms: gtid_slave_pos %s, Gtid_IO_Pos %s",
			  s->op->timeout_ms, slave_pos, s->gtid_io_pos);
	else
		admin_end(c, -EIO, "mysql %s:%u: MASTER_GTID_WAIT returned %s", c->addr_str, c->port,
			  v[0] ? v : "NULL");
}

/* Gtid_IO_Pos (pos, from res) kept in s->gtid_io_pos, res freed; a
 * malformed one, or no memory, ends the operation: -1. */
static int take_io_pos(struct check *c, MYSQL_RES *res, const char *pos)
{
	struct mysql_state *s = ms_of(c);

	if (strspn(pos, "0123456789-, ") != strlen(pos)) {
		admin_end(c, -EINVAL, "mysql %s:%u: unexpected Gtid_IO_Pos '%.200s'", c->addr_str,
			  c->port, pos);
		mysql_free_result(res);
		return -1;
	}
	s->gtid_io_pos = strdup(pos);
	mysql_free_result(res);
	if (!s->gtid_io_pos) {
		admin_end(c, -ENOMEM, "mysql %s:%u: out of memory", c->addr_str, c->port);
		return -1;
	}
	return 0;
}

/* A statement built with printf's rules, malloc'd (NULL: no memory). */
static char *sql_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sql_printf(const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(sql = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(sql, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return sql;
}

static void on_wait_slave_status(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_state *s = ms_of(c);
	MYSQL_ROW row;
	const char *pos;
	char *sql;

	if (err) {
		mysql_free_result(res);
		admin_fail(c, MYSQL_SLAVE_SQL, msg);
		return;
	}
	row = res ? mysql_fetch_row(res) : NULL;
	if (!row) {
		mysql_free_result(res);
		admin_end(c, 0, "not a replica: nothing to apply");
		return;
	}
	pos = row_cell(row, res_col(res, "Gtid_IO_Pos"));
	if (!pos || !*pos) {
		mysql_free_result(res);
		admin_end(c, 0, "no GTID received (Gtid_IO_Pos empty): nothing to apply");
		return;
	}
	if (take_io_pos(c, res, pos) < 0)
		return;
	sql = sql_printf("SELECT MASTER_GTID_WAIT('%s', %u.%03u), @@GLOBAL.gtid_slave_pos",
			 s->gtid_io_pos, s->op->timeout_ms / 1000, s->op->timeout_ms % 1000);
	if (!sql) {
		admin_end(c, -ENOMEM, "mysql %s:%u: out of memory", c->addr_str, c->port);
		return;
	}
	mc_query(mc, sql, on_gtid_wait);
	free(sql);
}

/* ---- PROMOTE: the promotion's last steps in two round trips ---- */

/* 1: the detach and the semi-sync switch (each timed on the server, the
 * switch's failure kept, not raised), then what the replica received */
static const char PROMOTE_HEAD[] =
	"BEGIN NOT ATOMIC DECLARE t0 DATETIME(6) DEFAULT SYSDATE(6); "
	"SET @xvip_detach_us = 0, @xvip_semi_us = 0, @xvip_semi_err = NULL; ";
static const char PROMOTE_DETACH[] =
	"STOP SLAVE IO_THREAD; SET @xvip_detach_us = TIMESTAMPDIFF(MICROSECOND, t0, SYSDATE(6)); "
	"SET t0 = SYSDATE(6); ";
static const char PROMOTE_SEMI[] =
	"BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION GET DIAGNOSTICS CONDITION 1 "
	"@xvip_semi_err = MESSAGE_TEXT; SET GLOBAL rpl_semi_sync_master_enabled = OFF; END; "
	"SET @xvip_semi_us = TIMESTAMPDIFF(MICROSECOND, t0, SYSDATE(6)); ";
static const char PROMOTE_TAIL[] = "SHOW SLAVE STATUS; END";

static uint32_t cell_us(const char *v)
{
	long long n = v ? strtoll(v, NULL, 10) : 0;

	return n < 0 ? 0 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static void on_promote_done(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_state *s = ms_of(c);
	struct mysql_promote_result *pr = s->op->promote;
	const char *pos = s->gtid_io_pos && *s->gtid_io_pos ? s->gtid_io_pos : "(nothing received)";
	MYSQL_ROW row;
	char r[32], ro[8], slave_pos[MYSQL_FACT_STR];

	if (err) {
		mysql_free_result(res);
		admin_fail(c, "MASTER_GTID_WAIT and read_only=OFF", msg);
		return;
	}
	row = res && mysql_num_fields(res) >= 8 ? mysql_fetch_row(res) : NULL;
	if (!row) {
		mysql_free_result(res);
		admin_end(c, -EIO, "mysql %s:%u: the promotion's wait and opening returned no row",
			  c->addr_str, c->port);
		return;
	}
	fact_copy(r, sizeof(r), row[0]);
	fact_copy(ro, sizeof(ro), row[1]);
	fact_copy(slave_pos, sizeof(slave_pos), row[2]);
	if (pr) {
		pr->rt2_us = (uint32_t)(now_us() - s->op->sent_at_us);
		pr->detach_us = cell_us(row[3]);
		pr->semi_us = cell_us(row[4]);
		fact_copy(pr->semi_err, sizeof(pr->semi_err), row[5]);
		pr->semi_switched = s->op->semi_off && !row[5];
		pr->apply_us = cell_us(row[6]);
		pr->open_us = cell_us(row[7]);
		pr->applied = !strcmp(r, "0");
		pr->opened = pr->applied && !strcmp(ro, "0");
	}
	mysql_free_result(res);
	if (!strcmp(r, "0") && !strcmp(ro, "0"))
		admin_end(c, 0, "applied up to Gtid_IO_Pos %s, read_only=OFF", pos);
	else if (!strcmp(r, "0"))
		admin_end(c, -EIO, "mysql %s:%u: applied up to Gtid_IO_Pos %s, but read_only is still %s",
			  c->addr_str, c->port, pos, ro);
	else if (!strcmp(r, "-1"))
		admin_end(c, 1, "not applied within %u ms: gtid_slave_pos %s, Gtid_IO_Pos %s",
			  s->op->timeout_ms, slave_pos, pos);
	else
		admin_end(c, -EIO, "mysql %s:%u: MASTER_GTID_WAIT returned %s", c->addr_str, c->port,
			  r[0] ? r : "NULL");
}

static void on_promote_status(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_state *s = ms_of(c);
	struct admin_op *op = s->op;
	MYSQL_ROW row;
	const char *pos = "";
	char *sql, *wait;

	if (err) {
		mysql_free_result(res);
		admin_fail(c, op->detach ? "STOP SLAVE IO_THREAD" : MYSQL_SLAVE_SQL, msg);
		return;
	}
	if (op->promote) {
		uint64_t t = now_us();

		op->promote->detached = op->detach;
		op->promote->rt1_us = (uint32_t)(t - op->sent_at_us);
		op->sent_at_us = t; /* the second one is sent below */
	}
	row = res ? mysql_fetch_row(res) : NULL;
	if (row) {
		pos = row_cell(row, res_col(res, "Gtid_IO_Pos"));
		pos = pos ? pos : "";
	}
	if (take_io_pos(c, res, pos) < 0)
		return;
	/* not a replica, or nothing received: nothing to wait for */
	wait = *s->gtid_io_pos ? sql_printf("SET r = MASTER_GTID_WAIT('%s', %u.%03u);",
					    s->gtid_io_pos, op->timeout_ms / 1000,
					    op->timeout_ms % 1000)
			       : strdup("");
	sql = wait ? sql_printf("BEGIN NOT ATOMIC DECLARE t0 DATETIME(6) DEFAULT SYSDATE(6); "
				"DECLARE t1 DATETIME(6); DECLARE r INT DEFAULT 0; %s "
				"SET t1 = SYSDATE(6); IF r = 0 THEN SET GLOBAL read_only = OFF; END IF; "
				"SELECT r, @@GLOBAL.read_only, @@GLOBAL.gtid_slave_pos, @xvip_detach_us, "
				"@xvip_semi_us, @xvip_semi_err, TIMESTAMPDIFF(MICROSECOND, t0, t1), "
				"TIMESTAMPDIFF(MICROSECOND, t1, SYSDATE(6)); END", wait)
		   : NULL;
	free(wait);
	if (!sql) {
		admin_end(c, -ENOMEM, "mysql %s:%u: out of memory", c->addr_str, c->port);
		return;
	}
	mc_query(mc, sql, on_promote_done);
	free(sql);
}

static void promote_run(struct mconn *mc)
{
	struct admin_op *op = ms_of(mc->c)->op;
	char sql[sizeof(PROMOTE_HEAD) + sizeof(PROMOTE_DETACH) + sizeof(PROMOTE_SEMI) +
		 sizeof(PROMOTE_TAIL)];

	snprintf(sql, sizeof(sql), "%s%s%s%s", PROMOTE_HEAD, op->detach ? PROMOTE_DETACH : "",
		 op->semi_off ? PROMOTE_SEMI : "", PROMOTE_TAIL);
	op->sent_at_us = now_us();
	if (op->promote)
		op->promote->queued_us = (uint32_t)(op->sent_at_us - op->queued_at_us);
	mc_query(mc, sql, on_promote_status);
}

static void on_admin_sql(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;

	mysql_free_result(res);
	if (err) {
		admin_fail(c, ms_of(c)->op->sql, msg);
		return;
	}
	admin_end(c, 0, "%s: done", ms_of(c)->op->sql);
}

static void admin_run(struct mconn *mc)
{
	struct mysql_state *s = ms_of(mc->c);

	if (s->op->kind == MYSQL_ADMIN_SQL)
		mc_query(mc, s->op->sql, on_admin_sql);
	else if (s->op->kind == MYSQL_ADMIN_PROMOTE)
		promote_run(mc);
	else if (s->op->kind == MYSQL_ADMIN_READ_ONLY)
		mc_query(mc, "SHOW GLOBAL VARIABLES LIKE 'super_read_only'", on_ro_probe_var);
	else
		mc_query(mc, MYSQL_SLAVE_SQL, on_wait_slave_status);
}

static void on_admin_connected(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	(void)res;
	if (err) {
		admin_fail(mc->c, "connect", msg);
		return;
	}
	admin_run(mc);
}

static void on_admin_start(struct loop *l, uint64_t id, void *arg)
{
	struct check *c = arg;
	struct mysql_state *s = ms_of(c);
	struct mconn *mc = &s->admin;
	struct admin_op *op = s->op;
	uint32_t deadline = op->timeout_ms;

	(void)l;
	(void)id;
	s->admin_start_timer = 0;
	check_hold(c);
	if (op->kind == MYSQL_ADMIN_WAIT_APPLIED || op->kind == MYSQL_ADMIN_PROMOTE)
		deadline += c->cfg.mysql.connect_timeout_ms + c->cfg.mysql.read_timeout_ms;
	mc_set_deadline(mc, deadline,
			op->kind == MYSQL_ADMIN_READ_ONLY ? "set read_only"
			: op->kind == MYSQL_ADMIN_SQL ? op->sql
			: op->kind == MYSQL_ADMIN_PROMOTE ? "promote" : "wait applied");
	if (mc->connected)
		admin_run(mc);
	else
		mc_connect(mc, on_admin_connected);
	check_release(c);
}

/* op gets the connection; it starts from the loop, so that its done is never
 * called from inside the call that asked for it. */
static int admin_launch(struct check *c, struct admin_op *op)
{
	struct mysql_state *s = ms_of(c);

	s->op = op;
	s->admin_start_timer = loop_add_timer(c->l, now_us(), on_admin_start, c);
	if (s->admin_start_timer)
		return 0;
	s->op = NULL;
	xlog(LOG_ERR, "%s: cannot start the admin operation (out of memory)", c->name);
	return -ENOMEM;
}

/* The next operation in line, once the connection is free. */
static void admin_next(struct check *c)
{
	struct mysql_state *s = ms_of(c);

	while (!s->op && s->queue && !c->zombie) {
		struct admin_op *op = s->queue;

		s->queue = op->next;
		if (!s->queue)
			s->queue_tail = &s->queue;
		op->next = NULL;
		if (admin_launch(c, op) == 0)
			return;
		if (op->done)
			op->done(op->arg, -ENOMEM, "cannot start the admin operation (out of memory)");
		free(op);
	}
}

/* wait: queue behind a running operation; else -EBUSY then. */
static int admin_submit(struct check *c, const struct mysql_admin_req *req, bool wait,
			check_mysql_done_cb done, void *arg)
{
	struct mysql_state *s;
	struct admin_op *op;
	uint32_t timeout_ms;
	bool busy;

	if (!c || c->type != CONFIG_CHECK_MYSQL || c->zombie || !req)
		return -EINVAL;
	timeout_ms = req->timeout_ms;
	switch (req->kind) {
	case MYSQL_ADMIN_SQL:
		if (!req->sql || strlen(req->sql) >= sizeof(op->sql))
			return -EINVAL;
		/* fall through */
	case MYSQL_ADMIN_READ_ONLY:
		if (!timeout_ms)
			timeout_ms = c->cfg.mysql.connect_timeout_ms + c->cfg.mysql.read_timeout_ms;
		break;
	case MYSQL_ADMIN_WAIT_APPLIED:
	case MYSQL_ADMIN_PROMOTE:
		if (!timeout_ms)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	s = ms_of(c);
	busy = s->op || s->queue;
	if (busy && !wait)
		return -EBUSY;
	op = calloc(1, sizeof(*op));
	if (!op) {
		xlog(LOG_ERR, "%s: cannot queue the admin operation (out of memory)", c->name);
		return -ENOMEM;
	}
	op->kind = req->kind;
	op->ro = req->read_only;
	op->timeout_ms = timeout_ms;
	op->done = done;
	op->arg = arg;
	op->detach = req->detach;
	op->semi_off = req->semi_off;
	op->promote = req->kind == MYSQL_ADMIN_PROMOTE ? req->promote : NULL;
	op->queued_at_us = now_us();
	if (op->promote)
		memset(op->promote, 0, sizeof(*op->promote));
	if (req->kind == MYSQL_ADMIN_SQL)
		snprintf(op->sql, sizeof(op->sql), "%s", req->sql);
	if (!busy) {
		int rc = admin_launch(c, op);

		if (rc < 0)
			free(op);
		return rc;
	}
	*s->queue_tail = op;
	s->queue_tail = &op->next;
	return 0;
}

int mysql_admin_queue(struct check *c, const struct mysql_admin_req *req, check_mysql_done_cb done,
		      void *arg)
{
	return admin_submit(c, req, true, done, arg);
}

int mysql_set_read_only(struct check *c, bool ro, uint32_t timeout_ms, check_mysql_done_cb done,
			void *arg)
{
	struct mysql_admin_req req = {
		.kind = MYSQL_ADMIN_READ_ONLY, .read_only = ro, .timeout_ms = timeout_ms,
	};

	return admin_submit(c, &req, false, done, arg);
}

bool mysql_admin_busy(const struct check *c)
{
	return c && c->type == CONFIG_CHECK_MYSQL && (ms_of(c)->op || ms_of(c)->queue);
}

int mysql_admin_sql(struct check *c, const char *sql, uint32_t timeout_ms, check_mysql_done_cb done,
		    void *arg)
{
	struct mysql_admin_req req = { .kind = MYSQL_ADMIN_SQL, .sql = sql, .timeout_ms = timeout_ms };

	return admin_submit(c, &req, false, done, arg);
}

int mysql_wait_applied(struct check *c, uint32_t timeout_ms, check_mysql_done_cb done, void *arg)
{
	struct mysql_admin_req req = { .kind = MYSQL_ADMIN_WAIT_APPLIED, .timeout_ms = timeout_ms };

	return admin_submit(c, &req, false, done, arg);
}

/* The admin connection went idle-dead (the server closed it): the next
 * operation connects again. */
void mysql_admin_idle_eof(struct mconn *mc, uint32_t events)
{
	char why[700];

	why[0] = '\0';
	mc_idle_verdict(mc, why, sizeof(why));
	if (!why[0] && !(events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
		return;
	mc_close(mc);
}

void mysql_admin_drop(struct mysql_state *s)
{
	/* operations running or queued are dropped, none of them called */
	free(s->op);
	s->op = NULL;
	while (s->queue) {
		struct admin_op *op = s->queue;

		s->queue = op->next;
		free(op);
	}
	s->queue_tail = &s->queue;
}
