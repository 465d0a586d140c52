/*
 * MYSQL_CHECK: MariaDB Connector/C's non-blocking API driven by the loop.
 *
 * A "mconn" is one MYSQL handle and the step it is in (connect, query,
 * store_result, next_result). The library's wait status becomes epoll
 * events on its socket (MYSQL_WAIT_TIMEOUT a loop timer); the fd and timer
 * callbacks call the matching _cont(). Every step runs under a deadline
 * (a loop timer): when it fires, the suspended call is resumed with
 * MYSQL_WAIT_TIMEOUT, which makes the library fail the operation and drop
 * its socket cleanly (its own timeout path), and the connection is closed.
 *
 * Each check has two mconns: "probe" (kept open between probes and, while
 * idle, watched for EOF/RST: the instant death detection) and "admin", for
 * the administrative operations (check_mysql_admin.c).
 */
#define XVIP_CHECK_INTERNAL
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errmsg.h>
#include <mysql.h>

#include "check.h"
#include "check_mysql_int.h"
#include "secret_file.h"
#include "log.h"

static const char VARS_SQL[] =
	"SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only','super_read_only',"
	"'server_id','gtid_domain_id','gtid_current_pos','gtid_slave_pos',"
	"'auto_increment_increment','auto_increment_offset','log_bin',"
	"'rpl_semi_sync_master_enabled','rpl_semi_sync_slave_enabled','version',"
	"'rpl_semi_sync_master_timeout','rpl_semi_sync_master_wait_no_slave',"
	"'rpl_semi_sync_master_wait_point','gtid_binlog_state','pid_file','socket')";
/* Rpl_semi_sync_master_status, and who waits for a semi-sync ACK: the
 * slave SQL thread (a replicated commit: with log_slave_updates a standby's
 * own binlog waits for its peer too) or a client (needs PROCESS, which the
 * check's user has: docs/configuration.md) */
static const char STATUS_SQL[] =
	"SELECT 'Rpl_semi_sync_master_status', VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
	"WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS' "
	"UNION ALL SELECT 'ack_waits_repl', COUNT(*) FROM information_schema.PROCESSLIST "
	"WHERE STATE LIKE 'Waiting for semi-sync ACK%' AND COMMAND = 'Slave_SQL' "
	"UNION ALL SELECT 'ack_waits_client', COUNT(*) FROM information_schema.PROCESSLIST "
	"WHERE STATE LIKE 'Waiting for semi-sync ACK%' AND COMMAND <> 'Slave_SQL'";
const char MYSQL_SLAVE_SQL[] = "SHOW SLAVE STATUS";

static bool is_client_error(unsigned err)
{
	return err == MC_ERR_TIMEOUT || (err >= 2000 && err < 3000);
}

/* ---- the mconn engine ---- */

static void mc_progress(struct mconn *mc, int status);

static void mc_unwatch(struct mconn *mc)
{
	struct loop *l = mc->c->l;

	if (mc->fd >= 0) {
		loop_del_fd(l, mc->fd);
		mc->fd = -1;
	}
	if (mc->io_timer) {
		loop_cancel_timer(l, mc->io_timer);
		mc->io_timer = 0;
	}
}

static void mc_clear_deadline(struct mconn *mc)
{
	if (mc->deadline) {
		loop_cancel_timer(mc->c->l, mc->deadline);
		mc->deadline = 0;
	}
}

void mc_close(struct mconn *mc)
{
	mc_unwatch(mc);
	mc_clear_deadline(mc);
	if (mc->res) {
		mysql_free_result(mc->res);
		mc->res = NULL;
	}
	if (mc->more) {
		mysql_free_result(mc->more);
		mc->more = NULL;
	}
	if (mc->m) {
		/* Mid-operation: let the library fail the call through its
		 * own timeout path, which releases its socket and buffers. */
		for (int i = 0; i < 4 && mc->step != MS_NONE; i++) {
			int st = 0;
			MYSQL_RES *r = NULL;

			switch (mc->step) {
			case MS_CONNECT:
				st = mysql_real_connect_cont(&mc->ret_mysql, mc->m, MYSQL_WAIT_TIMEOUT);
				break;
			case MS_QUERY:
				st = mysql_real_query_cont(&mc->ret_int, mc->m, MYSQL_WAIT_TIMEOUT);
				break;
			case MS_STORE:
			case MS_STORE_MORE:
				st = mysql_store_result_cont(&r, mc->m, MYSQL_WAIT_TIMEOUT);
				break;
			case MS_NEXT:
				st = mysql_next_result_cont(&mc->ret_int, mc->m, MYSQL_WAIT_TIMEOUT);
				break;
			case MS_NONE:
				break;
			}
			if (r)
				mysql_free_result(r);
			if (st == 0)
				mc->step = MS_NONE;
		}
		mysql_close(mc->m);
		mc->m = NULL;
	}
	mc->step = MS_NONE;
	mc->connected = false;
	explicit_bzero(mc->pw, sizeof(mc->pw));
}

/* The step finished: hand the outcome to the callback. */
static void mc_finish(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	mc_cb cb = mc->cb;

	mc->step = MS_NONE;
	if (err && is_client_error(err))
		mc_close(mc);
	cb(mc, res, err, msg);
}

static void mc_fail_from_lib(struct mconn *mc, const char *what)
{
	char msg[700];
	unsigned err = mysql_errno(mc->m);

	snprintf(msg, sizeof(msg), "%s: %s (error %u)", what, mysql_error(mc->m), err);
	if (!err)
		err = CR_UNKNOWN_ERROR;
	mc_finish(mc, NULL, err, msg);
}

static void on_io_timer(struct loop *l, uint64_t id, void *arg);
static void on_io(struct loop *l, int fd, uint32_t events, void *arg);

static void mc_wait(struct mconn *mc, int status)
{
	struct loop *l = mc->c->l;
	int fd = (int)mysql_get_socket(mc->m);
	uint32_t ev = 0;
	int rc = 0;

	mc->wait = status;
	if (status & MYSQL_WAIT_READ)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (status & MYSQL_WAIT_WRITE)
		ev |= EPOLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		ev |= EPOLLPRI;
	if (fd != mc->fd && mc->fd >= 0) {
		loop_del_fd(l, mc->fd);
		mc->fd = -1;
	}
	if (fd >= 0 && mc->fd == fd) {
		rc = loop_mod_fd(l, fd, ev);
		if (rc == -ENOENT) { /* the library reopened a socket on that number */
			loop_del_fd(l, fd);
			mc->fd = -1;
		}
	}
	if (fd >= 0 && mc->fd != fd) {
		rc = loop_add_fd(l, fd, ev, on_io, mc);
		if (rc == 0)
			mc->fd = fd;
	}
	if (rc < 0) {
		char msg[200];

		snprintf(msg, sizeof(msg), "cannot watch the mysql socket %d: %s", fd,
			 strerror(-rc));
		mc_close(mc);
		mc_finish(mc, NULL, CR_UNKNOWN_ERROR, msg);
		return;
	}
	if (mc->io_timer) {
		loop_cancel_timer(l, mc->io_timer);
		mc->io_timer = 0;
	}
	if (status & MYSQL_WAIT_TIMEOUT)
		mc->io_timer = loop_add_timer(l, now_us() +
					     (uint64_t)mysql_get_timeout_value_ms(mc->m) * 1000,
					     on_io_timer, mc);
}

static int mc_cont(struct mconn *mc, int ev)
{
	switch (mc->step) {
	case MS_CONNECT:
		return mysql_real_connect_cont(&mc->ret_mysql, mc->m, ev);
	case MS_QUERY:
		return mysql_real_query_cont(&mc->ret_int, mc->m, ev);
	case MS_STORE:
		return mysql_store_result_cont(&mc->res, mc->m, ev);
	case MS_STORE_MORE:
		return mysql_store_result_cont(&mc->more, mc->m, ev);
	case MS_NEXT:
		return mysql_next_result_cont(&mc->ret_int, mc->m, ev);
	case MS_NONE:
		break;
	}
	return 0;
}

static void mc_resume(struct mconn *mc, int ev)
{
	struct check *c = mc->c;

	check_hold(c);
	if (mc->io_timer && !(ev & MYSQL_WAIT_TIMEOUT)) {
		loop_cancel_timer(c->l, mc->io_timer);
		mc->io_timer = 0;
	}
	mc_progress(mc, mc_cont(mc, ev));
	check_release(c);
}

static void on_io_timer(struct loop *l, uint64_t id, void *arg)
{
	struct mconn *mc = arg;

	(void)l;
	(void)id;
	mc->io_timer = 0;
	if (mc->step != MS_NONE)
		mc_resume(mc, MYSQL_WAIT_TIMEOUT);
}

static void on_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct mconn *mc = arg;
	int ev = 0;

	(void)l;
	(void)fd;
	if (mc->step == MS_NONE) {
		struct check *c = mc->c;

		check_hold(c);
		mc->on_idle_eof(mc, events);
		check_release(c);
		return;
	}
	if ((mc->wait & MYSQL_WAIT_READ) && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		ev |= MYSQL_WAIT_READ;
	if ((mc->wait & MYSQL_WAIT_WRITE) && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		ev |= MYSQL_WAIT_WRITE;
	if ((mc->wait & MYSQL_WAIT_EXCEPT) && (events & EPOLLPRI))
		ev |= MYSQL_WAIT_EXCEPT;
	if (!ev && (events & (EPOLLHUP | EPOLLERR)))
		ev = mc->wait; /* waiting for a timeout only: let the library see it */
	if (!ev)
		return;
	mc_resume(mc, ev);
}

static void on_deadline(struct loop *l, uint64_t id, void *arg)
{
	struct mconn *mc = arg;
	struct check *c = mc->c;
	char msg[300];

	(void)l;
	(void)id;
	mc->deadline = 0;
	if (mc->step == MS_NONE)
		return;
	snprintf(msg, sizeof(msg), "timeout after %u ms (%s)", mc->deadline_ms, mc->deadline_what);
	check_hold(c);
	mc_close(mc);
	mc_finish(mc, NULL, MC_ERR_TIMEOUT, msg);
	check_release(c);
}

void mc_set_deadline(struct mconn *mc, uint32_t ms, const char *what)
{
	mc_clear_deadline(mc);
	mc->deadline_ms = ms;
	mc->deadline_at_us = now_us() + (uint64_t)ms * 1000;
	snprintf(mc->deadline_what, sizeof(mc->deadline_what), "%s", what);
	mc->deadline = loop_add_timer(mc->c->l, now_us() + (uint64_t)ms * 1000, on_deadline, mc);
	if (!mc->deadline)
		xlog(LOG_ERR, "%s: cannot arm the %s deadline (out of memory)", mc->c->name, what);
}

/* Drives the steps until the library has to wait or the operation ends. */
static void mc_progress(struct mconn *mc, int status)
{
	for (;;) {
		if (status) {
			mc_wait(mc, status);
			return;
		}
		switch (mc->step) {
		case MS_NONE:
			return;
		case MS_CONNECT:
			explicit_bzero(mc->pw, sizeof(mc->pw));
			if (!mc->ret_mysql) {
				mc_fail_from_lib(mc, "connect");
				return;
			}
			mc->connected = true;
			mc_finish(mc, NULL, 0, NULL);
			return;
		case MS_QUERY:
			if (mc->ret_int) {
				mc_fail_from_lib(mc, "query");
				return;
			}
			if (mysql_field_count(mc->m) == 0)
				break; /* no result set */
			mc->step = MS_STORE;
			status = mysql_store_result_start(&mc->res, mc->m);
			continue;
		case MS_STORE:
			if (!mc->res) {
				mc_fail_from_lib(mc, "store result");
				return;
			}
			break;
		case MS_STORE_MORE:
			if (mc->more) {
				mysql_free_result(mc->more);
				mc->more = NULL;
			} else if (mysql_errno(mc->m)) {
				mc_fail_from_lib(mc, "store result");
				return;
			}
			break;
		case MS_NEXT:
			if (mc->ret_int > 0) {
				mc_fail_from_lib(mc, "next result");
				return;
			}
			if (mc->ret_int == 0 && mysql_field_count(mc->m) > 0) {
				mc->step = MS_STORE_MORE;
				status = mysql_store_result_start(&mc->more, mc->m);
				continue;
			}
			break;
		}
		/* A result (or none) is complete: drain further ones. */
		if (mysql_more_results(mc->m)) {
			mc->step = MS_NEXT;
			status = mysql_next_result_start(&mc->ret_int, mc->m);
			continue;
		}
		{
			MYSQL_RES *res = mc->res;

			mc->res = NULL;
			mc_finish(mc, res, 0, NULL);
		}
		return;
	}
}

static int read_password(struct check *c, char *buf, size_t len, char *why, size_t whylen)
{
	ssize_t n = secret_file_read("password_file", c->cfg.mysql.password_file, buf, len - 1,
				     why, whylen);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

/* TLS as the check's ssl_* say (config.h): nonzero when an option was
 * refused. Connector/C does the handshake within the non-blocking connect;
 * a handshake or certificate failure fails the connect with its reason. */
static int tls_options(const struct check *c, MYSQL *m)
{
	const struct config_mysql_check *cfg = &c->cfg.mysql;
	my_bool on = 1;

	if (cfg->ssl_mode == CONFIG_SSL_OFF)
		return 0;
	/* Connector/C checks the chain whenever it is given a CA: required
	 * (encrypted, not checked) does not give it one */
	if ((cfg->ssl_ca && cfg->ssl_mode != CONFIG_SSL_REQUIRED &&
	     mysql_options(m, MYSQL_OPT_SSL_CA, cfg->ssl_ca)) ||
	    (cfg->ssl_cert && mysql_options(m, MYSQL_OPT_SSL_CERT, cfg->ssl_cert)) ||
	    (cfg->ssl_key && mysql_options(m, MYSQL_OPT_SSL_KEY, cfg->ssl_key)) ||
	    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on))
		return -1;
	if (cfg->ssl_mode == CONFIG_SSL_VERIFY &&
	    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on))
		return -1;
	return 0;
}

/* Starts a connect; cb gets the outcome (possibly before this returns). */
void mc_connect(struct mconn *mc, mc_cb cb)
{
	struct check *c = mc->c;
	char why[600];
	const char *pass = c->cfg.mysql.password;
	unsigned proto = MYSQL_PROTOCOL_TCP, secs;
	my_bool off = 0;
	int st;

	mc->cb = cb;
	if (c->cfg.mysql.password_file) {
		if (read_password(c, mc->pw, sizeof(mc->pw), why, sizeof(why)) < 0) {
			mc_finish(mc, NULL, CR_UNKNOWN_ERROR, why);
			return;
		}
		pass = mc->pw;
	}
	if (mc->m) { /* a half-dead handle: drop it, keep the deadline */
		mc_unwatch(mc);
		mysql_close(mc->m);
		mc->m = NULL;
		mc->connected = false;
	}
	mc->m = mysql_init(NULL);
	if (!mc->m) {
		mc_finish(mc, NULL, CR_OUT_OF_MEMORY, "mysql_init: out of memory");
		return;
	}
	secs = (c->cfg.mysql.connect_timeout_ms + 999) / 1000 + 1; /* ours is the real one */
	if (mysql_options(mc->m, MYSQL_OPT_NONBLOCK, 0) ||
	    mysql_options(mc->m, MYSQL_OPT_PROTOCOL, &proto) ||
	    mysql_options(mc->m, MYSQL_OPT_RECONNECT, &off) ||
	    mysql_options(mc->m, MYSQL_OPT_CONNECT_TIMEOUT, &secs) ||
	    mysql_options(mc->m, MYSQL_OPT_WRITE_TIMEOUT, &secs) || tls_options(c, mc->m)) {
		snprintf(why, sizeof(why), "mysql_options: %s", mysql_error(mc->m));
		mysql_close(mc->m);
		mc->m = NULL;
		mc_finish(mc, NULL, CR_UNKNOWN_ERROR, why);
		return;
	}
	c->st.attempts++;
	mc->step = MS_CONNECT;
	mc->ret_mysql = NULL;
	st = mysql_real_connect_start(&mc->ret_mysql, mc->m, c->addr_str, c->cfg.mysql.user, pass,
				      NULL, c->port, NULL, 0);
	mc_progress(mc, st);
}

void mc_query(struct mconn *mc, const char *sql, mc_cb cb)
{
	mc->cb = cb;
	mc->step = MS_QUERY;
	mc->ret_int = 0;
	mc_progress(mc, mysql_real_query_start(&mc->ret_int, mc->m, sql, strlen(sql)));
}

/* Watch an idle connection for the server going away. */
void mc_idle(struct mconn *mc)
{
	mc_clear_deadline(mc);
	if (mc->io_timer) {
		loop_cancel_timer(mc->c->l, mc->io_timer);
		mc->io_timer = 0;
	}
	if (!mc->connected || mc->fd < 0)
		return;
	if (loop_mod_fd(mc->c->l, mc->fd, EPOLLIN | EPOLLRDHUP) < 0)
		xlog(LOG_WARNING, "%s: cannot watch the idle %s connection", mc->c->name, mc->role);
}

/* What the server said while we were idle: an error packet, EOF or RST.
 * Returns true when the server is gone (EOF/RST/shutdown). */
bool mc_idle_verdict(struct mconn *mc, char *why, size_t whylen)
{
	unsigned char buf[512];
	ssize_t n, got = 0;
	int e = 0;

	for (;;) {
		n = recv(mc->fd, buf + got, sizeof(buf) - (size_t)got, MSG_DONTWAIT);
		if (n > 0) {
			got += n;
			if ((size_t)got == sizeof(buf))
				break;
			continue;
		}
		if (n < 0)
			e = errno;
		break;
	}
	if (got >= 7 && buf[4] == 0xff) {
		unsigned err = buf[5] | (unsigned)buf[6] << 8;
		size_t off = 7;

		if (got > 13 && buf[7] == '#')
			off = 13;
		snprintf(why, whylen, "mysqld closed the idle connection: %.*s (error %u)",
			 (int)(got - (ssize_t)off), (const char *)buf + off, err);
		return err == ER_SERVER_SHUTDOWN_;
	}
	if (n == 0) {
		snprintf(why, whylen, "connection to mysqld lost (EOF)");
		return true;
	}
	if (e == EAGAIN || e == EWOULDBLOCK) {
		if (got) {
			snprintf(why, whylen, "unexpected %zd bytes on the idle connection", got);
			return false;
		}
		return false;
	}
	snprintf(why, whylen, "connection to mysqld lost (%s)", strerror(e));
	return true;
}

static void probe_idle_eof(struct mconn *mc, uint32_t events)
{
	struct check *c = mc->c;
	char why[700], msg[760];
	bool dead;

	why[0] = '\0';
	dead = mc_idle_verdict(mc, why, sizeof(why));
	if (!why[0] && !(events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
		return; /* spurious wakeup */
	if (!why[0])
		snprintf(why, sizeof(why), "connection to mysqld lost (EOF)");
	mc_close(mc);
	if (dead) {
		snprintf(msg, sizeof(msg), "mysql %s:%u: %s", c->addr_str, c->port, why);
		xlog(LOG_WARNING, "%s: %s", c->name, msg);
		check_force_down(c, why);
	} else {
		xlog(LOG_NOTICE, "%s: %s; reconnecting", c->name, why);
		check_probe_now(c);
	}
}

/* ---- the probe ---- */

/* The connect was refused: the host answered with a reset, nothing
 * listens on the port (its mysqld is not running). Connector/C says so
 * only in its text: "Can't connect to server on 'h' (111)". */
bool mysql_refused(unsigned err, const char *msg)
{
	char tail[16];

	if ((err != CR_CONNECTION_ERROR && err != CR_CONN_HOST_ERROR) || !msg)
		return false;
	snprintf(tail, sizeof(tail), "(%d)", ECONNREFUSED);
	return strstr(msg, tail) != NULL;
}

static void probe_end(struct check *c, bool ok, const char *what, unsigned err, const char *msg)
{
	struct mysql_state *s = ms_of(c);
	char why[900];

	if (ok) {
		s->facts = s->tmp;
		mc_idle(&s->probe);
		mw_probed(c);
		snprintf(why, sizeof(why), "mysql %s:%u: %s ok%s%s", c->addr_str, c->port,
			 c->cfg.mysql.query, s->facts.repl_ok ? "" : ", replication: ",
			 s->facts.repl_ok ? "" : s->facts.repl_reason);
	} else {
		c->st.refused = mysql_refused(err, msg);
		c->st.timed_out = err == MC_ERR_TIMEOUT;
		if (s->probe.connected)
			mc_idle(&s->probe);
		else
			mc_clear_deadline(&s->probe);
		if (err == MC_ERR_TIMEOUT)
			snprintf(why, sizeof(why), "mysql %s:%u: %s", c->addr_str, c->port, msg);
		else
			snprintf(why, sizeof(why), "mysql %s:%u: %s%s%s", c->addr_str, c->port,
				 what, what[0] ? ": " : "", msg);
		/* The server hung up under a query on an established
		 * connection: the same event as EOF while idle. */
		if (what[0] && (err == CR_SERVER_LOST || err == CR_SERVER_GONE_ERROR)) {
			char dead[1000];

			snprintf(dead, sizeof(dead), "connection to mysqld lost (EOF) [%s]", why);
			check_probe_fatal(c, dead);
			return;
		}
	}
	check_probe_done(c, ok, why);
}

static int onoff(const char *v)
{
	if (!v)
		return -1;
	if (!strcasecmp(v, "ON") || !strcmp(v, "1") || !strcasecmp(v, "YES"))
		return 1;
	if (!strcasecmp(v, "OFF") || !strcmp(v, "0") || !strcasecmp(v, "NO"))
		return 0;
	return -1;
}

static long long num(const char *v)
{
	char *end;
	long long x;

	if (!v || !*v)
		return -1;
	errno = 0;
	x = strtoll(v, &end, 10);
	return (errno || *end) ? -1 : x;
}

void fact_copy(char *dst, size_t n, const char *v)
{
	snprintf(dst, n, "%s", v ? v : "");
}

static void parse_vars(struct mysql_facts *f, MYSQL_RES *res)
{
	MYSQL_ROW row;

	while ((row = mysql_fetch_row(res))) {
		const char *k = row[0], *v = row[1];

		if (!k)
			continue;
		if (!strcmp(k, "read_only"))
			f->read_only = onoff(v);
		else if (!strcmp(k, "super_read_only"))
			f->super_read_only = onoff(v);
		else if (!strcmp(k, "server_id"))
			f->server_id = num(v);
		else if (!strcmp(k, "gtid_domain_id"))
			f->gtid_domain_id = num(v);
		else if (!strcmp(k, "gtid_current_pos"))
			fact_copy(f->gtid_current_pos, sizeof(f->gtid_current_pos), v);
		else if (!strcmp(k, "gtid_slave_pos"))
			fact_copy(f->gtid_slave_pos, sizeof(f->gtid_slave_pos), v);
		else if (!strcmp(k, "auto_increment_increment"))
			f->auto_increment_increment = num(v);
		else if (!strcmp(k, "auto_increment_offset"))
			f->auto_increment_offset = num(v);
		else if (!strcmp(k, "log_bin"))
			f->log_bin = onoff(v);
		else if (!strcmp(k, "rpl_semi_sync_master_enabled"))
			f->semi_sync_master_enabled = onoff(v);
		else if (!strcmp(k, "rpl_semi_sync_slave_enabled"))
			f->semi_sync_slave_enabled = onoff(v);
		else if (!strcmp(k, "rpl_semi_sync_master_timeout"))
			f->semi_sync_master_timeout = num(v);
		else if (!strcmp(k, "rpl_semi_sync_master_wait_no_slave"))
			f->semi_sync_wait_no_slave = onoff(v);
		else if (!strcmp(k, "rpl_semi_sync_master_wait_point"))
			fact_copy(f->semi_sync_wait_point, sizeof(f->semi_sync_wait_point), v);
		else if (!strcmp(k, "gtid_binlog_state"))
			fact_copy(f->gtid_binlog_state, sizeof(f->gtid_binlog_state), v);
		else if (!strcmp(k, "version"))
			fact_copy(f->version, sizeof(f->version), v);
		else if (!strcmp(k, "pid_file"))
			fact_copy(f->pid_file, sizeof(f->pid_file), v);
		else if (!strcmp(k, "socket"))
			fact_copy(f->socket, sizeof(f->socket), v);
	}
}

/* Column index by name, -1 if absent. */
int res_col(MYSQL_RES *res, const char *name)
{
	unsigned n = mysql_num_fields(res);
	MYSQL_FIELD *fs = mysql_fetch_fields(res);

	for (unsigned i = 0; i < n; i++)
		if (fs[i].name && !strcasecmp(fs[i].name, name))
			return (int)i;
	return -1;
}

const char *row_cell(MYSQL_ROW row, int i)
{
	return i >= 0 ? row[i] : NULL;
}

static void parse_slave(struct mysql_facts *f, MYSQL_RES *res)
{
	MYSQL_ROW row = mysql_fetch_row(res);
	const char *v;

	f->is_replica = row != NULL;
	if (!row)
		return;
	fact_copy(f->io_state, sizeof(f->io_state), row_cell(row, res_col(res, "Slave_IO_Running")));
	f->io_running = !strcasecmp(f->io_state, "Yes");
	v = row_cell(row, res_col(res, "Slave_SQL_Running"));
	f->sql_running = v && !strcasecmp(v, "Yes");
	f->seconds_behind = num(row_cell(row, res_col(res, "Seconds_Behind_Master")));
	v = row_cell(row, res_col(res, "Last_SQL_Errno"));
	f->last_sql_errno = v ? (unsigned)strtoul(v, NULL, 10) : 0;
	fact_copy(f->last_sql_error, sizeof(f->last_sql_error), row_cell(row, res_col(res, "Last_SQL_Error")));
	v = row_cell(row, res_col(res, "Last_IO_Errno"));
	f->last_io_errno = v ? (unsigned)strtoul(v, NULL, 10) : 0;
	fact_copy(f->last_io_error, sizeof(f->last_io_error), row_cell(row, res_col(res, "Last_IO_Error")));
	fact_copy(f->gtid_io_pos, sizeof(f->gtid_io_pos), row_cell(row, res_col(res, "Gtid_IO_Pos")));
	/* stopped, not reconnecting ("Connecting") nor running: an IO error
	 * seen before the stop stays in Last_IO_Errno until START SLAVE */
	f->io_stopped = !strcasecmp(f->io_state, "No");
}

static void eval_repl(struct check *c, struct mysql_facts *f)
{
	const struct config_mysql_check *m = &c->cfg.mysql;

	f->repl_ok = true;
	if (!m->check_replication) {
		fact_copy(f->repl_reason, sizeof(f->repl_reason), "replication not checked");
		return;
	}
	if (!f->is_replica) {
		fact_copy(f->repl_reason, sizeof(f->repl_reason),
		     f->facts_error[0] ? f->facts_error : "not a replica");
		f->repl_ok = !f->facts_error[0];
		return;
	}
	f->repl_ok = false;
	if (!f->sql_running && f->last_sql_errno)
		snprintf(f->repl_reason, sizeof(f->repl_reason),
			 "SQL thread stopped with error %u: %.200s", f->last_sql_errno,
			 f->last_sql_error);
	else if (!f->sql_running)
		snprintf(f->repl_reason, sizeof(f->repl_reason), "SQL thread not running");
	else if (!f->io_running)
		snprintf(f->repl_reason, sizeof(f->repl_reason),
			 "IO thread not running (%s)%s%.200s", f->io_state[0] ? f->io_state : "?",
			 f->last_io_error[0] ? ": " : "", f->last_io_error);
	else if (f->seconds_behind < 0)
		snprintf(f->repl_reason, sizeof(f->repl_reason), "lag unknown");
	else if ((unsigned long long)f->seconds_behind * 1000 > m->max_lag_ms)
		snprintf(f->repl_reason, sizeof(f->repl_reason), "lag %lld s > max_lag %u ms",
			 f->seconds_behind, m->max_lag_ms);
	else {
		f->repl_ok = true;
		snprintf(f->repl_reason, sizeof(f->repl_reason), "replicating, lag %lld s",
			 f->seconds_behind);
	}
}

static void fact_error(struct mysql_facts *f, const char *msg)
{
	if (!f->facts_error[0])
		fact_copy(f->facts_error, sizeof(f->facts_error), msg);
}

/* A local server's binlog dump threads (check_mysql_watch.c); a refusal
 * (no PROCESS privilege) leaves the list empty and fails nothing. */
static void on_dumps(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;

	if (err && is_client_error(err)) {
		probe_end(c, false, "binlog dump threads", err, msg);
		return;
	}
	mw_set_dumps(c, err ? NULL : res);
	mysql_free_result(res);
	probe_end(c, true, "", 0, NULL);
}

static void on_slave(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_facts *f = &ms_of(c)->tmp;

	if (err && is_client_error(err)) {
		probe_end(c, false, MYSQL_SLAVE_SQL, err, msg);
		return;
	}
	if (err)
		fact_error(f, msg);
	else if (res)
		parse_slave(f, res);
	mysql_free_result(res);
	eval_repl(c, f);
	f->valid = true;
	f->at_us = now_us();
	if (mw_wants_dumps(c)) {
		mc_set_deadline(mc, c->cfg.mysql.read_timeout_ms, "binlog dump threads");
		mc_query(mc, MW_DUMPS_SQL, on_dumps);
		return;
	}
	probe_end(c, true, "", 0, NULL);
}

static void on_status(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_facts *f = &ms_of(c)->tmp;
	MYSQL_ROW row;

	if (err && is_client_error(err)) {
		probe_end(c, false, STATUS_SQL, err, msg);
		return;
	}
	if (err)
		fact_error(f, msg);
	while (res && (row = mysql_fetch_row(res))) {
		if (!row[0] || !row[1])
			continue;
		if (!strcasecmp(row[0], "Rpl_semi_sync_master_status"))
			f->semi_sync_master_status = onoff(row[1]);
		else if (!strcmp(row[0], "ack_waits_repl"))
			f->ack_waits_repl = atoi(row[1]);
		else if (!strcmp(row[0], "ack_waits_client"))
			f->ack_waits_client = atoi(row[1]);
	}
	mysql_free_result(res);
	mc_set_deadline(mc, c->cfg.mysql.read_timeout_ms, MYSQL_SLAVE_SQL);
	mc_query(mc, MYSQL_SLAVE_SQL, on_slave);
}

static void on_vars(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_facts *f = &ms_of(c)->tmp;

	if (err && is_client_error(err)) {
		probe_end(c, false, "SHOW GLOBAL VARIABLES", err, msg);
		return;
	}
	if (err)
		fact_error(f, msg);
	else if (res)
		parse_vars(f, res);
	mysql_free_result(res);
	mc_set_deadline(mc, c->cfg.mysql.read_timeout_ms, STATUS_SQL);
	mc_query(mc, STATUS_SQL, on_status);
}

static void on_user_query(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	struct check *c = mc->c;
	struct mysql_facts *f = &ms_of(c)->tmp;

	mysql_free_result(res);
	if (err) {
		probe_end(c, false, c->cfg.mysql.query, err, msg);
		return;
	}
	memset(f, 0, sizeof(*f));
	f->server_id = f->gtid_domain_id = -1;
	f->auto_increment_increment = f->auto_increment_offset = -1;
	f->read_only = f->super_read_only = f->log_bin = -1;
	f->semi_sync_master_enabled = f->semi_sync_slave_enabled = -1;
	f->semi_sync_master_status = -1;
	f->ack_waits_repl = f->ack_waits_client = -1;
	f->semi_sync_master_timeout = -1;
	f->semi_sync_wait_no_slave = -1;
	f->seconds_behind = -1;
	mc_set_deadline(mc, c->cfg.mysql.read_timeout_ms, "SHOW GLOBAL VARIABLES");
	mc_query(mc, VARS_SQL, on_vars);
}

static void start_user_query(struct mconn *mc)
{
	struct check *c = mc->c;
	char what[96];

	snprintf(what, sizeof(what), "query '%.80s'", c->cfg.mysql.query);
	mc_set_deadline(mc, c->cfg.mysql.read_timeout_ms, what);
	mc_query(mc, c->cfg.mysql.query, on_user_query);
}

static void on_probe_connected(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg)
{
	(void)res;
	if (err) {
		probe_end(mc->c, false, "", err, msg);
		return;
	}
	mw_connected(mc->c, mc->m);
	start_user_query(mc);
}

void check_mysql_probe(struct check *c)
{
	struct mysql_state *s = ms_of(c);
	struct mconn *mc = &s->probe;

	if (mc->connected) {
		start_user_query(mc);
		return;
	}
	mc_set_deadline(mc, c->cfg.mysql.connect_timeout_ms, "connect");
	mc_connect(mc, on_probe_connected);
}

/* ---- life cycle ---- */

const struct mysql_facts *check_mysql_facts(const struct check *c)
{
	if (!c || c->type != CONFIG_CHECK_MYSQL)
		return NULL;
	return &ms_of(c)->facts;
}

int check_mysql_init(struct check *c)
{
	struct mysql_state *s;

	if (!c->cfg.mysql.user) {
		xlog(LOG_ERR, "%s: MYSQL_CHECK without user", c->name);
		return -EINVAL;
	}
	if (!c->cfg.mysql.connect_timeout_ms || !c->cfg.mysql.read_timeout_ms) {
		xlog(LOG_ERR, "%s: MYSQL_CHECK needs connect_timeout and read_timeout > 0",
		     c->name);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		xlog(LOG_ERR, "%s: out of memory", c->name);
		return -ENOMEM;
	}
	s->probe.c = s->admin.c = c;
	s->queue_tail = &s->queue;
	s->probe.role = "probe";
	s->admin.role = "admin";
	s->probe.fd = s->admin.fd = -1;
	s->probe.on_idle_eof = probe_idle_eof;
	s->admin.on_idle_eof = mysql_admin_idle_eof;
	s->facts.read_only = s->facts.super_read_only = s->facts.log_bin = -1;
	s->facts.server_id = s->facts.gtid_domain_id = -1;
	s->facts.auto_increment_increment = s->facts.auto_increment_offset = -1;
	s->facts.semi_sync_master_enabled = s->facts.semi_sync_slave_enabled = -1;
	s->facts.semi_sync_master_status = -1;
	s->facts.ack_waits_repl = s->facts.ack_waits_client = -1;
	s->facts.semi_sync_master_timeout = -1;
	s->facts.semi_sync_wait_no_slave = -1;
	s->facts.seconds_behind = -1;
	s->facts.repl_ok = true;
	c->priv = s;
	return 0;
}

void check_mysql_fini(struct check *c)
{
	struct mysql_state *s = ms_of(c);

	if (!s)
		return;
	if (s->admin_start_timer)
		loop_cancel_timer(c->l, s->admin_start_timer);
	mysql_admin_drop(s);
	mw_fini(c);
	mc_close(&s->probe);
	mc_close(&s->admin);
	free(s->gtid_io_pos);
	free(s);
	c->priv = NULL;
}
