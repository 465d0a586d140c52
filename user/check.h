/*
 * Health checks of real servers (keepalived's TCP_CHECK and MISC_CHECK, and
 * xvip's MYSQL_CHECK), driven by the daemon's event loop. Nothing here
 * blocks: connects are non-blocking sockets, scripts run through
 * script_run(), MySQL talks through MariaDB Connector/C's non-blocking API,
 * and every probe has a hard deadline enforced by a loop timer.
 *
 * Life cycle: check_new() copies what it needs from the config (the
 * config may be freed afterwards), check_start() schedules the first probe
 * at once, check_free() stops everything (running connects are closed,
 * a running MISC script is SIGKILLed, MySQL connections are closed). Any
 * callback of a check may call check_free() on it.
 *
 * State and reporting:
 *  - TCP_CHECK and MISC_CHECK start UP (keepalived's "alive" start) and
 *    one probe result decides: a good probe is UP, a bad one DOWN.
 *    TCP_CHECK retries a failed connect `retry` times, delay_before_retry
 *    apart, inside one probe; only when every attempt failed is the probe
 *    bad. The next probe starts delay_loop after the previous one ended.
 *  - MYSQL_CHECK starts DOWN (a writer must be proven healthy before it is
 *    chosen): UP after `rise` consecutive good probes, DOWN after `fall`
 *    consecutive bad ones. The next probe starts interval_ms after the
 *    previous one ended. Exception: while the connection is idle between
 *    probes its socket is watched; when the server closes or resets it
 *    without a word (mysqld killed, crashed, host rebooted) or says it is
 *    shutting down, the check goes DOWN at once, bypassing `fall`, with
 *    why = "connection to mysqld lost (EOF)" (or the shutdown message). A
 *    dead server needs no confirmations; a server that merely stopped
 *    answering (hung, SIGSTOP, network gone) is caught by the probes'
 *    deadlines and `fall`. An idle connection killed by the server with an
 *    error other than shutdown (KILL, wait_timeout) is not taken as death:
 *    it is closed and a probe is started at once.
 *  - on_change(arg, c, up, why) is called for the first decision (TCP and
 *    MISC: the first probe's result; MYSQL: `rise` good or `fall` bad
 *    probes) and then for every change of state. For MISC with
 *    misc_dynamic it is also called (up == true) when the weight changes.
 *  - check_set_probe_cb() adds a callback run after every completed probe
 *    (for status pages, and for the MySQL facts).
 *
 * MISC_CHECK exit statuses: 0 good; with misc_dynamic 2..255 good with
 * weight status - 2 (check_weight(); a change while UP is reported),
 * except 127 (script_run's "cannot exec") which is bad; anything else, a
 * signal or the timeout is bad. The script runs as the daemon's user
 * (MISC_CHECK's user/group are not applied: scripts.h has no such knob).
 *
 * MYSQL_CHECK probe: connect (only when there is no healthy connection;
 * deadline connect_timeout), the configured query (deadline read_timeout;
 * any error fails the probe), then the facts, each read_timeout:
 * SHOW GLOBAL VARIABLES WHERE Variable_name IN (...) (so that variables a
 * server lacks, like super_read_only on MariaDB, are simply absent),
 * SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status', SHOW SLAVE STATUS
 * (the default connection; columns looked up by name). A fact query the
 * server refuses (privileges) is recorded in facts_error and does not
 * fail the probe; a client error (lost connection, timeout) does. The
 * connection is dropped after a client error or a timeout and kept after
 * a server error. A connection lost under a query (CR_SERVER_LOST/GONE on
 * an established connection) counts as death too: DOWN at once.
 * read_only is always recorded and never fails the check (check_read_only
 * changes nothing here: the daemon manages read_only).
 *
 * check_free() never calls any callback (on_change, on_probe, the done of
 * an admin operation running or queued).
 *
 * Failure reasons ("why", check_last_error()) always name the target and
 * what failed, e.g. "connect 127.0.0.1:3306: Connection refused (3
 * attempts)", "script '/bin/chk' exited with status 1", "mysql
 * 127.0.0.1:3306: timeout after 100 ms (query)".
 */
#ifndef XVIP_CHECK_H
#define XVIP_CHECK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

struct check;

typedef void (*check_change_cb)(void *arg, struct check *c, bool up, const char *why);
typedef void (*check_probe_cb)(void *arg, struct check *c);

struct check_stats {
	uint64_t probes;        /* probes completed, good or bad */
	uint64_t failures;      /* bad probes (and idle-connection deaths) */
	uint64_t attempts;      /* TCP: connect attempts, retries included;
				   MYSQL: connects started */
	uint64_t last_probe_us; /* duration of the last completed probe */
	uint64_t last_end_us;   /* now_us() at its end, 0: none yet */
	unsigned ok_run;        /* consecutive good probes */
	unsigned bad_run;       /* consecutive bad probes */
	bool refused;           /* the last bad probe's connect was refused
				   (ECONNREFUSED: the host answers, nothing
				   listens); false after a good probe */
	bool dead;              /* MYSQL, local server: the kernel saw its
				   mysqld killed or exiting (deathwatch.h);
				   false after a good probe */
	bool timed_out;         /* the last bad probe ended at its deadline */
};

/* Creates a check for the real server rs_addr:rs_port (a TCP_CHECK's
 * connect_ip/connect_port, when set, win). Returns NULL (logged, errno
 * set) on allocation failure or a MySQL client init failure. */
struct check *check_new(struct loop *l, const struct config_checker *cfg, struct in_addr rs_addr,
			uint16_t rs_port, check_change_cb on_change, void *arg);
void check_set_probe_cb(struct check *c, check_probe_cb cb, void *arg);
/* Hands the check to a new owner (a reload that keeps it). */
void check_rebind(struct check *c, check_change_cb on_change, void *arg);
void check_start(struct check *c);
/* Runs a probe now unless one is running (then it is a no-op). */
void check_probe_now(struct check *c);
/* Runs a probe now, or, when one is running, the next one as soon as it
 * ends (not an interval later): the server was seen to stop, the next
 * probe's deadline runs from here. */
void check_probe_next_now(struct check *c);
void check_free(struct check *c);

bool check_is_up(const struct check *c);
/* true once on_change has been called at least once. */
bool check_decided(const struct check *c);
/* The reason of the last bad probe ("" if none yet). */
const char *check_last_error(const struct check *c);
const struct check_stats *check_get_stats(const struct check *c);
enum config_checker_type check_type(const struct check *c);
/* MISC_CHECK with misc_dynamic: the weight from the last exit status
 * 2..255 (status - 2); -1 when none (not dynamic, or exit 0: keep the
 * configured weight). */
int check_weight(const struct check *c);
/* "TCP_CHECK 127.0.0.1:3306" etc., for messages. */
const char *check_name(const struct check *c);

/* ---- MYSQL_CHECK ---- */

#define MYSQL_FACT_STR 512

/* What the last probe learnt about the server. Integer facts are -1 when
 * unknown (variable missing, query refused); strings are "" then. */
struct mysql_facts {
	bool valid;            /* at least one probe gathered facts */
	uint64_t at_us;        /* now_us() when they were gathered */
	char version[96];
	char pid_file[256];    /* @@pid_file, @@socket: how a local server's
				  pid is found (check_mysql_watch.c) */
	char socket[256];
	long long server_id;
	long long gtid_domain_id;
	int read_only;         /* 0/1 */
	int super_read_only;   /* -1 on MariaDB (no such variable) */
	int log_bin;
	long long auto_increment_increment;
	long long auto_increment_offset;
	int semi_sync_master_enabled;
	int semi_sync_slave_enabled;
	int semi_sync_master_status; /* Rpl_semi_sync_master_status ON = 1 */
	/* sessions in "Waiting for semi-sync ACK from slave": the slave SQL
	 * thread's (a replicated commit), and any other (a client's); -1
	 * unknown */
	int ack_waits_repl, ack_waits_client;
	long long semi_sync_master_timeout; /* rpl_semi_sync_master_timeout, ms */
	int semi_sync_wait_no_slave;  /* rpl_semi_sync_master_wait_no_slave */
	char semi_sync_wait_point[24]; /* AFTER_SYNC / AFTER_COMMIT */
	char gtid_current_pos[MYSQL_FACT_STR];
	/* the last seq_no of every (domain, server) in its binlog: what it
	 * has, whoever wrote it (errant transactions, gtid.h) */
	char gtid_binlog_state[MYSQL_FACT_STR];
	char gtid_slave_pos[MYSQL_FACT_STR];

	/* SHOW SLAVE STATUS (the default connection) */
	bool is_replica;        /* it returned a row */
	char io_state[16];      /* Slave_IO_Running: Yes / No / Connecting */
	bool io_running;        /* == "Yes" */
	bool io_stopped;        /* == "No": stopped (a promotion detached
				   it, or an error stopped it) */
	bool sql_running;       /* Slave_SQL_Running == "Yes" */
	long long seconds_behind; /* Seconds_Behind_Master, -1 for NULL */
	unsigned last_sql_errno;
	char last_sql_error[256];
	unsigned last_io_errno;
	char last_io_error[256];
	char gtid_io_pos[MYSQL_FACT_STR];

	/* check_replication: false when a replica's SQL thread is stopped
	 * (error or not), its IO thread is not running, or its lag is above
	 * max_lag_ms (or unknown); the check stays UP (the server serves)
	 * and the daemon decides. Always true without check_replication. */
	bool repl_ok;
	char repl_reason[320];
	/* A fact query the server refused (privileges ...), "" if none. */
	char facts_error[256];
};

/* NULL for other check types. */
const struct mysql_facts *check_mysql_facts(const struct check *c);

/* The addresses applications reach this server through (the service's
 * VIP): when the local server hangs, its connections to these are reset
 * (check_mysql_watch.c). -EINVAL for other check types. */
int check_mysql_set_clients(struct check *c, const struct in_addr *addrs, size_t n);
/* Waits for the client releases still running (before the loop is freed). */
void check_mysql_drain(void);
/* The local mysqld's pid being watched (0: none, or not local). */
uint32_t check_mysql_pid(const struct check *c);
/* The server is on this host (decided at each connect). */
bool check_mysql_is_local(const struct check *c);

/* done(arg, rc, err): rc 0 success; for mysql_wait_applied 1 means "not
 * applied in time" (err says how far); < 0 is an error with err saying
 * what failed. Called from the loop, never from inside the call. */
typedef void (*check_mysql_done_cb)(void *arg, int rc, const char *err);

/* Admin operations run on a second connection of the check (opened on
 * demand, kept for the next one), so that they neither delay the probes
 * nor blind the death watch. One runs at a time per check; the others wait
 * in a queue, in the order they were asked for, and the next one starts
 * (from the loop) once the previous one's done has run. Each operation's
 * deadline is its own, counted from its start on the connection: an
 * operation queued behind another waits at most for that one's deadline,
 * then gets its whole time. timeout_ms 0 means connect_timeout +
 * read_timeout. The deadline covers the whole operation (connect
 * included). Every operation's done is called exactly once, except that
 * check_free() drops running and queued ones without calling them.
 *
 * mysql_admin_queue() queues; the three calls below it start an operation
 * only when none is running or queued, and return -EBUSY otherwise (for a
 * caller that would rather not wait). All: -EINVAL if c is not a
 * MYSQL_CHECK or the request is not valid; -ENOMEM. */
enum mysql_admin_kind {
	/* SET GLOBAL read_only = read_only (and super_read_only where the
	 * variable exists, i.e. on MySQL; MariaDB has none) */
	MYSQL_ADMIN_READ_ONLY = 1,
	/* Waits until everything the replica has received (Gtid_IO_Pos of
	 * SHOW SLAVE STATUS) is applied, with MASTER_GTID_WAIT(pos, timeout)
	 * run non-blocking. rc 0: applied (or not a replica / nothing
	 * received), 1: not applied within timeout_ms (0 is not allowed
	 * here). */
	MYSQL_ADMIN_WAIT_APPLIED,
	/* One administrative statement (e.g. SET GLOBAL
	 * rpl_semi_sync_master_enabled = OFF), shorter than 256 bytes */
	MYSQL_ADMIN_SQL,
	/* A promotion's last steps in two round trips (MariaDB: compound
	 * statements, MASTER_GTID_WAIT): [STOP SLAVE IO_THREAD] [semi-sync
	 * master side OFF, a failure of which is reported, not fatal], SHOW
	 * SLAVE STATUS; then MASTER_GTID_WAIT(Gtid_IO_Pos, timeout_ms) and,
	 * only if it succeeded, read_only=OFF, decided by the server. rc 0:
	 * all done; 1: not applied in time (not opened); < 0: failed (what
	 * was done before: *promote). */
	MYSQL_ADMIN_PROMOTE,
};

/* MYSQL_ADMIN_PROMOTE: what was done, each step's time on the server */
struct mysql_promote_result {
	bool detached, semi_switched, applied, opened;
	char semi_err[200];     /* the semi-sync switch's error, "" none */
	uint32_t detach_us, semi_us, apply_us, open_us;
	/* measured here: queued -> first statement sent, and each round
	 * trip (sent -> its result read) */
	uint32_t queued_us, rt1_us, rt2_us;
};

struct mysql_admin_req {
	enum mysql_admin_kind kind;
	bool read_only;        /* READ_ONLY */
	const char *sql;       /* SQL (copied) */
	uint32_t timeout_ms;
	bool detach, semi_off; /* PROMOTE: the optional first steps */
	struct mysql_promote_result *promote; /* PROMOTE: filled before done */
};

int mysql_admin_queue(struct check *c, const struct mysql_admin_req *req, check_mysql_done_cb done,
		      void *arg);
int mysql_set_read_only(struct check *c, bool ro, uint32_t timeout_ms, check_mysql_done_cb done,
			void *arg);
int mysql_wait_applied(struct check *c, uint32_t timeout_ms, check_mysql_done_cb done, void *arg);
int mysql_admin_sql(struct check *c, const char *sql, uint32_t timeout_ms, check_mysql_done_cb done,
		    void *arg);
/* An administrative operation is running or queued (a done is due). */
bool mysql_admin_busy(const struct check *c);


/* ---- internals shared by check*.c (not for the daemon) ---- */
#ifdef XVIP_CHECK_INTERNAL

struct check {
	struct loop *l;
	enum config_checker_type type;
	char name[80];
	struct in_addr addr; /* the target (connect_ip for TCP) */
	uint16_t port;
	char addr_str[INET_ADDRSTRLEN];

	check_change_cb on_change;
	void *arg;
	check_probe_cb on_probe;
	void *probe_arg;

	bool started;
	bool up;
	bool decided;
	bool probing;
	bool probe_again; /* check_probe_next_now during a probe */
	unsigned rise, fall;
	uint64_t timer;          /* next probe */
	uint64_t probe_start_us;
	int weight;
	int reported_weight; /* the weight on_change last saw */
	char last_error[512];
	struct check_stats st;

	/* Re-entrancy: every entry from the loop holds the check; a
	 * check_free() from a callback only marks it, the last release frees. */
	int depth;
	bool zombie;

	union {
		struct config_tcp_check tcp;
		struct {
			char *cmd;              /* the line, for messages */
			struct script_cmd *run; /* NULL: disabled (script_sec.h) */
			uint32_t timeout_ms;
			bool dynamic;
			uint32_t delay_loop_ms;
		} misc;
		struct config_mysql_check mysql; /* strings strdup'd */
	} cfg;
	void *priv; /* engine state */
};

/* Engines: init copies/allocates (0 or -errno, logged), probe starts a
 * probe that ends with check_probe_done(), fini stops everything and
 * frees priv. */
int check_tcp_init(struct check *c);
void check_tcp_probe(struct check *c);
void check_tcp_fini(struct check *c);
int check_misc_init(struct check *c);
void check_misc_probe(struct check *c);
void check_misc_fini(struct check *c);
int check_mysql_init(struct check *c);
void check_mysql_probe(struct check *c);
void check_mysql_fini(struct check *c);

void check_hold(struct check *c);
/* false when the check was freed: the caller must not touch it. */
bool check_release(struct check *c);
/* Ends the running probe: counters, rise/fall, on_change, on_probe, and
 * the next probe delay_us from now (0: engine's interval). */
void check_probe_done(struct check *c, bool ok, const char *why);
/* A bad probe that proves the server dead (the connection was lost under
 * a query): like check_probe_done(c, false, why) but DOWN at once. */
void check_probe_fatal(struct check *c, const char *why);
/* DOWN at once, bypassing fall (MySQL death watch). */
void check_force_down(struct check *c, const char *why);
/* check_mysql_watch.c: a MYSQL check just went DOWN (its clients are
 * released when the local server hung). */
void mw_went_down(struct check *c);
/* Arms the next probe delay_us from now (replacing a pending one). */
void check_schedule(struct check *c, uint64_t delay_us);

#endif /* XVIP_CHECK_INTERNAL */

#endif
