/* What check_mysql.c (the mconn engine, the probe, the facts) and
 * check_mysql_admin.c (the admin operations) share. Internal to the
 * MYSQL_CHECK: the daemon sees check.h. */
#ifndef XVIP_CHECK_MYSQL_INT_H
#define XVIP_CHECK_MYSQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include <mysql.h>

#include "check.h"

#define MC_ERR_TIMEOUT 9999u /* ours: the deadline fired */
#define ER_SERVER_SHUTDOWN_ 1053u

struct mconn;
/* err 0: success, res the result set (NULL for statements without one);
 * the callback owns res. err != 0: msg says what failed; when the error
 * broke the connection (client error, timeout) it is closed already. */
typedef void (*mc_cb)(struct mconn *mc, MYSQL_RES *res, unsigned err, const char *msg);

enum mstep { MS_NONE, MS_CONNECT, MS_QUERY, MS_STORE, MS_NEXT, MS_STORE_MORE };

struct mconn {
	struct check *c;
	const char *role;
	MYSQL *m;
	bool connected;
	int fd;               /* registered in the loop, -1 none */
	int wait;             /* the library's last wait status */
	uint64_t io_timer;    /* the library's MYSQL_WAIT_TIMEOUT */
	uint64_t deadline;    /* our deadline timer */
	uint32_t deadline_ms;
	uint64_t deadline_at_us;
	char deadline_what[96];
	enum mstep step;
	MYSQL *ret_mysql;
	int ret_int;
	MYSQL_RES *res;       /* first result set of the running query */
	MYSQL_RES *more;
	mc_cb cb;
	/* password_file's content: the library reads it during the whole
	 * connect, not only in _start() */
	char pw[1024];
	void (*on_idle_eof)(struct mconn *mc, uint32_t events);
};

/* An administrative operation, running or waiting for the connection. */
struct admin_op {
	struct admin_op *next;
	enum mysql_admin_kind kind;
	bool ro;              /* READ_ONLY: ON or OFF */
	char sql[256];        /* SQL: the statement */
	bool detach, semi_off; /* PROMOTE */
	struct mysql_promote_result *promote;
	uint64_t queued_at_us, sent_at_us; /* PROMOTE: its timings */
	uint32_t timeout_ms;  /* from its start on the connection */
	check_mysql_done_cb done;
	void *arg;
};

#define MW_MAX_CLIENTS 8
#define MW_MAX_PEERS 64

/* check_mysql_watch.c: a local server's death watch and its clients. */
struct mysql_watch {
	bool local;            /* the probe's last connect was to this host */
	unsigned conn_gen;     /* connects so far */
	unsigned resolved_gen; /* the connect whose server's pid was looked for */
	uint32_t pid;          /* watched, 0: none */
	uint64_t death_ns;     /* when the kernel first saw its end */
	bool unresolved_said;
	bool table_said;      /* dw_track_port failed, said once */
	struct dying *dying;  /* the doomed server's threads, demoted (dying.h) */
	uint64_t dying_timer; /* when they get back what they had */
	struct in_addr clients[MW_MAX_CLIENTS]; /* the service's addresses (VIP) */
	size_t n_clients;
	/* its TCP clients (remote endpoints) as of the last probe, from its
	 * processlist: destroyed first when it dies, by exact lookups, except
	 * the replicas' binlog dump connections (dump[i]), always spared, so
	 * that the events in their queues still reach the replicas */
	struct sockaddr_in peers[MW_MAX_PEERS];
	bool dump[MW_MAX_PEERS];
	size_t n_peers;
};

struct mysql_state {
	struct mconn probe, admin;
	struct mysql_watch watch;
	struct mysql_facts facts;
	struct mysql_facts tmp; /* being gathered by the running probe */

	struct admin_op *op;    /* running, or its start is due (admin_start_timer) */
	struct admin_op *queue; /* waiting behind it, oldest first */
	struct admin_op **queue_tail;
	char admin_ro_sql[128]; /* READ_ONLY: the statement sent */
	bool super_ro_exists;
	uint64_t admin_start_timer;
	char *gtid_io_pos;
};

extern const char MYSQL_SLAVE_SQL[];

static inline struct mysql_state *ms_of(const struct check *c)
{
	return c->priv;
}

/* check_mysql.c: the mconn engine. A step's cb gets its outcome (possibly
 * before the call returns); every step runs under the deadline set last. */
void mc_set_deadline(struct mconn *mc, uint32_t ms, const char *what);
/* Closes the connection (a step in flight fails through the library). */
void mc_close(struct mconn *mc);
void mc_connect(struct mconn *mc, mc_cb cb);
void mc_query(struct mconn *mc, const char *sql, mc_cb cb);
/* Watch an idle connection for the server going away. */
void mc_idle(struct mconn *mc);
/* What the server said while we were idle; true when it is gone. */
bool mc_idle_verdict(struct mconn *mc, char *why, size_t whylen);
/* result helpers */
void fact_copy(char *dst, size_t n, const char *v);
int res_col(MYSQL_RES *res, const char *name);
const char *row_cell(MYSQL_ROW row, int i);
/* a connect refused (ECONNREFUSED): nothing listens on the port */
bool mysql_refused(unsigned err, const char *msg);

/* check_mysql_watch.c: after each connect of the probe, after each good
 * probe, when the check goes DOWN, and at the end */
void mw_connected(struct check *c, MYSQL *m);
void mw_probed(struct check *c);
/* The probe's last query for a local server: its binlog dump threads. */
extern const char MW_DUMPS_SQL[];
bool mw_wants_dumps(const struct check *c);
void mw_set_dumps(struct check *c, MYSQL_RES *res);
void mw_fini(struct check *c);

/* check_mysql_admin.c */
void mysql_admin_idle_eof(struct mconn *mc, uint32_t events);
/* check_mysql_fini: the running and queued operations, dropped uncalled */
void mysql_admin_drop(struct mysql_state *s);

#endif
