/*
 * MYSQL_CHECK of a local mysqld: its death seen by the kernel, its clients
 * released.
 *
 * Local: the probe connection's own address equals the server's (the
 * kernel picks the destination as the source of a connection to one of
 * this host's addresses); decided again at every connect.
 *
 * The pid: after the first good probe of each connection, from the
 * server's @@pid_file (read, and kept only when that process lives in our
 * network namespace), else from its @@socket (SO_PEERCRED of a connect to
 * it). A restarted server is found again at the reconnect that follows its
 * death. The pid goes into the death watch (deathwatch.h).
 *
 * Death (SIGKILL generated for it, or its group exit begun): DOWN at once,
 * stats.dead set (the proof that it acknowledges nothing more, like a
 * refused connect), and every socket on its port destroyed, listeners
 * included (sockkill.h): clients, the peer's xvipd with its held
 * connection and the peer's replication threads get a RST within a round
 * trip, new connects are refused, instead of all of them waiting for the
 * dying process's teardown (unmapping its buffer pool takes milliseconds).
 *
 * Hung (DOWN after its probes' deadlines, the process alive): the
 * connections that came in through the service's addresses (the VIP:
 * applications) are destroyed, so a statement in flight on the hung server
 * fails at once instead of at the client's read timeout. The listener and
 * the connections to the server's own address (checks, fences, replication)
 * stay: the fence queued for the moment it wakes must reach it.
 */
#define XVIP_CHECK_INTERNAL
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "check.h"
#include "check_mysql_int.h"
#include "clock.h"
#include "deathwatch.h"
#include "dying.h"
#include "log.h"
#include "sockkill.h"

static struct mysql_watch *mw_of(const struct check *c)
{
	return &ms_of(c)->watch;
}

void mw_connected(struct check *c, MYSQL *m)
{
	struct mysql_watch *w = mw_of(c);
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int fd = (int)mysql_get_socket(m);
	bool local;

	if (fd < 0 || getsockname(fd, (struct sockaddr *)&me, &len) < 0 || me.sin_family != AF_INET)
		return;
	local = me.sin_addr.s_addr == c->addr.s_addr;
	if (local != w->local)
		xlog(LOG_INFO, "%s: the server is %s", c->name, local ? "local (its death is watched "
		     "here, its clients released here)" : "not on this host");
	w->local = local;
	w->conn_gen++;
}

/* The process's network namespace is ours. */
static bool same_netns(long pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	return stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static long pid_from_file(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (path[0] != '/')
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return dw_parse_pidfile(buf);
}

static long pid_from_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cr;
	socklen_t len = sizeof(cr);
	long pid = -1;
	int fd;

	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.pid > 0)
		pid = cr.pid;
	close(fd);
	return pid;
}

static void comm_of(long pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, len - 1) : -1;
	if (fd >= 0)
		close(fd);
	n = n > 0 ? n : 0;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
			buf[i] = '?';
}

/* A release runs in a thread of its own: the sock_diag dumps walk the
 * kernel's whole TCP hash (1.6 ms each at best, 5-20 ms measured in the
 * lab with two families and a sanitizer build), and the loop meanwhile
 * carries the promotion that the same event started. */
struct release_job {
	struct release_job *next;
	struct loop *l;
	pthread_t th;
	int efd;
	struct sockkill_filter f;
	struct in_addr addrs[MW_MAX_CLIENTS];
	struct sockaddr_in keep[MW_MAX_PEERS];
	struct sockaddr_in peers[MW_MAX_PEERS];
	struct in_addr local[1 + MW_MAX_CLIENTS];
	struct sockkill_known known;
	struct sockkill_result kr;
	uint64_t known_us;
	int known_rc;
	struct dw_table table; /* fd -1: no table, the dump */
	bool from_table;
	uint64_t table_us;
	size_t table_n;
	char name[80];
	const char *what;
	uint64_t t0, took, listeners_us;
	struct sockkill_result r;
	int rc;
	char err[200];
};

static struct release_job *g_jobs;

/* With the kernel's table of the server's connections: one exact lookup
 * per socket, listener first, no dump. false when the table cannot be read
 * (the dump then). */
static bool release_from_table(struct release_job *j)
{
	struct sockkill_tuple *t;
	size_t n;

	j->from_table = false;
	if (j->table.fd < 0)
		return false;
	if (dw_table_read(&j->table, &t, &n) < 0)
		return false;
	j->from_table = true;
	j->table_us = now_us() - j->t0;
	j->table_n = n;
	if (j->f.listeners) {
		struct sockkill_filter lf = j->f;
		struct sockkill_result lr;

		lf.only_listeners = true;
		if (sockkill_destroy_tuples(&lf, t, n, &lr, j->err, sizeof(j->err)) == 0 &&
		    lr.destroyed)
			j->listeners_us = now_us() - j->t0;
	}
	j->rc = sockkill_destroy_tuples(&j->f, t, n, &j->r, j->err, sizeof(j->err));
	free(t);
	return true;
}

static void *release_run(void *arg)
{
	struct release_job *j = arg;
	uint64_t one = 1;

	if (release_from_table(j))
		goto done;
	if (j->f.listeners) {
		/* the listener first (a LISTEN-only dump is cheap): the
		 * peer's reconnects, and its semi-sync replica's kill of its
		 * dump thread as its IO thread stops, are refused at once */
		struct sockkill_filter lf = j->f;
		struct sockkill_result lr;

		lf.only_listeners = true;
		if (sockkill_destroy(&lf, &lr, j->err, sizeof(j->err)) == 0) {
			j->listeners_us = now_us() - j->t0;
			/* connections come from listeners: none of AF_INET6
			 * without one (a v4-mapped client is AF_INET6) */
			j->f.inet4_only = lr.matched > 0 && lr.matched_inet6 == 0;
		}
	}
	if (j->known.n_peers) {
		/* the connections known from its processlist, by exact
		 * lookups: the peer's xvipd and replicas hear of the death now */
		char err[200];

		j->known.inet4_only = j->f.inet4_only;
		j->known_rc = sockkill_destroy_known(&j->known, &j->kr, err, sizeof(err));
		j->known_us = now_us() - j->t0;
	}
	/* The rest needs a dump of the whole TCP hash (milliseconds of CPU
	 * with many TIME_WAIT sockets), for clients that came after the last
	 * probe: behind the promotion this death started, which needs the
	 * same cores now (this thread's nice; Linux's is per thread). */
	if (j->f.listeners &&
	    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) < 0) {
		/* not fatal: it then competes as before */
	}
	j->rc = sockkill_destroy(&j->f, &j->r, j->err, sizeof(j->err));
done:
	j->took = now_us() - j->t0;
	if (write(j->efd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: the loop wakes anyway */
	}
	return NULL;
}

static void release_free(struct release_job *j)
{
	struct release_job **pp;

	pthread_join(j->th, NULL);
	dw_table_put(&j->table);
	loop_del_fd(j->l, j->efd);
	close(j->efd);
	for (pp = &g_jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	free(j);
}

static void release_done(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct release_job *j = arg;
	const struct sockkill_result *r = &j->r;

	(void)l;
	(void)fd;
	(void)events;
	if (j->rc < 0)
		xlog(LOG_WARNING, "%s: cannot release the clients of the %s mysqld: %s", j->name,
		     j->what, j->err);
	else
		xlog(LOG_NOTICE, "%s: released %u connection(s) of the %s mysqld (reset%s; %s) in %llu "
		     "us%s%s%s", j->name, r->destroyed, j->what, j->f.listeners ? ", its listener "
		     "first: connects refused" : ", those that came through the service's addresses",
		     j->from_table ? "from the kernel's table of its connections, no dump" :
		     "found by a dump of the connection hash",
		     (unsigned long long)j->took, r->failed ? ", failed: " : "",
		     r->failed ? strerror(r->first_errno) : "", j->f.n_keep ?
		     "; its binlog dump connections spared (their last events still flow)" : "");
	if (j->known.n_peers && j->known_rc == 0 && !j->from_table)
		xlog(LOG_INFO, "%s: %u of its %zu known client connection(s) reset %llu us after its "
		     "death was seen (%zu binlog dump connection(s) spared)", j->name,
		     j->kr.destroyed, j->known.n_peers, (unsigned long long)j->known_us,
		     j->f.n_keep);
	if (j->listeners_us)
		xlog(LOG_INFO, "%s: the dead mysqld's listener was closed %llu us after its death "
		     "was seen", j->name, (unsigned long long)j->listeners_us);
	if (j->from_table)
		xlog(LOG_INFO, "%s: the kernel's table named %zu socket(s) of port %u, read %llu us "
		     "after the death was seen", j->name, j->table_n, j->f.port,
		     (unsigned long long)j->table_us);
	release_free(j);
}

static void release(struct check *c, bool dead, const char *what)
{
	struct mysql_watch *w = mw_of(c);
	struct release_job *j;
	int rc;

	if (!dead && !w->n_clients)
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		xlog(LOG_WARNING, "%s: cannot release the clients of the %s mysqld: out of memory",
		     c->name, what);
		return;
	}
	j->l = c->l;
	j->t0 = now_us();
	j->what = what; /* a literal */
	snprintf(j->name, sizeof(j->name), "%s", c->name);
	j->f.port = c->port;
	j->f.listeners = dead;
	if (dead) {
		size_t nk = 0, np = 0;

		/* the binlog dump connections are spared: a RST would drop
		 * the events still in their send queues (on this binlog,
		 * never on the replica's: errant when it returns) */
		for (size_t i = 0; i < w->n_peers; i++) {
			if (w->dump[i])
				j->keep[nk++] = w->peers[i];
			else
				j->peers[np++] = w->peers[i];
		}
		j->f.keep = j->keep;
		j->f.n_keep = nk;
		j->local[0] = c->addr;
		memcpy(j->local + 1, w->clients, w->n_clients * sizeof(w->clients[0]));
		j->known = (struct sockkill_known){
			.port = c->port, .local = j->local, .n_local = 1 + w->n_clients,
			.peers = j->peers, .n_peers = np,
		};
	}
	if (!dead) {
		memcpy(j->addrs, w->clients, w->n_clients * sizeof(w->clients[0]));
		j->f.addrs = j->addrs;
		j->f.n_addrs = w->n_clients;
	}
	if (dw_table_get(dw_get(), c->port, &j->table) < 0)
		j->table.fd = -1;
	j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (j->efd < 0 || loop_add_fd(c->l, j->efd, EPOLLIN, release_done, j) < 0) {
		rc = errno;
		if (j->efd >= 0)
			close(j->efd);
		dw_table_put(&j->table);
		free(j);
		xlog(LOG_WARNING, "%s: cannot release the clients of the %s mysqld: %s", c->name,
		     what, strerror(rc));
		return;
	}
	rc = pthread_create(&j->th, NULL, release_run, j);
	if (rc) {
		loop_del_fd(c->l, j->efd);
		close(j->efd);
		dw_table_put(&j->table);
		free(j);
		xlog(LOG_WARNING, "%s: cannot release the clients of the %s mysqld: %s", c->name,
		     what, strerror(rc));
		return;
	}
	j->next = g_jobs;
	g_jobs = j;
}

void check_mysql_drain(void)
{
	while (g_jobs)
		release_free(g_jobs);
}

/* How long a doomed server's threads stay SCHED_IDLE: the promotion that
 * its death starts takes a few ms; its teardown must not starve after. */
#define DYING_IDLE_US 50000 /* "its 50 ms" in the log */
/* Threads demoted before the DOWN (each costs a few syscalls on the loop):
 * the oldest ones, the main thread and the engine's background threads;
 * the rest (one per connection) after the promotion has been sent. */
#define DYING_FIRST_PASS 64

static void dying_drop(struct mysql_watch *w, struct loop *l)
{
	if (w->dying_timer)
		loop_cancel_timer(l, w->dying_timer);
	w->dying_timer = 0;
	free(w->dying);
	w->dying = NULL;
}

static void dying_give_back(struct check *c, const char *when)
{
	struct mysql_watch *w = mw_of(c);
	struct dying *d = w->dying;
	size_t back = dying_restore(d);

	if (d->failed)
		xlog(LOG_WARNING, "%s: the dying mysqld (pid %d): %zu thread(s) not given back their "
		     "scheduling: %s", c->name, (int)d->tgid, d->failed, strerror(d->first_errno));
	xlog(LOG_INFO, "%s: the dying mysqld (pid %d): %zu thread(s) back to their scheduling %s, "
	     "%zu gone", c->name, (int)d->tgid, back, when, d->gone);
}

static void dying_restore_fire(struct loop *l, uint64_t id, void *arg)
{
	struct check *c = arg;
	struct mysql_watch *w = mw_of(c);

	(void)l;
	(void)id;
	w->dying_timer = 0;
	if (!w->dying)
		return;
	dying_give_back(c, "after its 50 ms");
	dying_drop(w, c->l);
}

/* The doomed server's teardown yields the CPU to the promotion (dying.h):
 * the first pass before the DOWN, the rest (rest true) after it. The
 * record outlives the kernel's "gone": that event comes as the last thread
 * starts to unmap the memory, which is the teardown that must not starve. */
static void dying_start(struct check *c, uint32_t tgid, bool rest)
{
	struct mysql_watch *w = mw_of(c);
	uint64_t t0 = now_us();
	size_t n;

	if (rest) {
		if (!w->dying || w->dying->n < DYING_FIRST_PASS)
			return; /* the first pass had them all */
		n = dying_demote(w->dying, 0);
		if (n)
			xlog(LOG_INFO, "%s: the dying mysqld (pid %u): %zu more thread(s) moved to "
			     "SCHED_IDLE in %llu us", c->name, tgid, n,
			     (unsigned long long)(now_us() - t0));
		return;
	}
	if (w->dying)
		return;
	w->dying = malloc(sizeof(*w->dying));
	if (!w->dying)
		return;
	dying_init(w->dying, (pid_t)tgid);
	n = dying_demote(w->dying, DYING_FIRST_PASS);
	if (!n) {
		if (w->dying->first_errno)
			xlog(LOG_INFO, "%s: cannot move the dying mysqld's threads to SCHED_IDLE: %s",
			     c->name, strerror(w->dying->first_errno));
		dying_drop(w, c->l);
		return;
	}
	w->dying_timer = loop_add_timer(c->l, now_us() + DYING_IDLE_US, dying_restore_fire, c);
	if (!w->dying_timer) {
		dying_give_back(c, "at once (no timer)");
		dying_drop(w, c->l);
		return;
	}
	xlog(LOG_INFO, "%s: the dying mysqld (pid %u): %zu thread(s) moved to SCHED_IDLE in %llu "
	     "us, for %u ms (its teardown yields the CPU)", c->name, tgid, n,
	     (unsigned long long)(now_us() - t0), DYING_IDLE_US / 1000);
}

static void on_death(void *arg, const struct xvip_mysqld_event *ev)
{
	struct check *c = arg;
	struct mysql_watch *w = mw_of(c);
	uint64_t now = mono_ns();
	char what[160], why[300];

	dw_describe(ev, what, sizeof(what));
	if (ev->type == XVIP_MYSQLD_STOPPED) {
		/* Not a death: a SIGCONT may follow. The deadlines decide, but
		 * they run from the stop, not from the next scheduled probe
		 * (up to an interval later): read_timeout + (fall - 1) x
		 * connect_timeout after the signal (docs/configuration.md). */
		bool ours = w->pid == ev->tgid && !c->st.dead;

		xlog(LOG_NOTICE, "%s: mysqld pid %u %s: it hangs until SIGCONT (the probes' deadlines "
		     "decide%s)", c->name, ev->tgid, what, ours ? ", from now: probing at once" : "");
		if (ours) {
			check_hold(c);
			check_probe_next_now(c);
			check_release(c);
		}
		return;
	}
	if (ev->type == XVIP_MYSQLD_DEAD) {
		if (w->pid == ev->tgid) {
			xlog(LOG_INFO, "%s: mysqld pid %u %s, %llu us after the kernel first saw its "
			     "end", c->name, ev->tgid, what, w->death_ns && ev->ts_ns > w->death_ns ?
			     (unsigned long long)(ev->ts_ns - w->death_ns) / 1000 : 0ull);
			w->pid = 0; /* the watch forgot it: the pid may be reused */
		}
		if (c->st.dead)
			return;
	}
	if (c->st.dead || w->pid != ev->tgid)
		return;
	check_hold(c);
	c->st.dead = true;
	w->death_ns = ev->ts_ns;
	snprintf(why, sizeof(why), "mysql %s:%u: mysqld (pid %u) %s, seen by the kernel", c->addr_str,
		 c->port, ev->tgid, what);
	xlog(LOG_WARNING, "%s: %s; %llu us ago", c->name, why,
	     now > ev->ts_ns ? (unsigned long long)(now - ev->ts_ns) / 1000 : 0ull);
	/* first: its teardown is about to take a CPU for milliseconds */
	dying_start(c, ev->tgid, false);
	check_force_down(c, why);
	if (check_release(c))
		release(c, true, "dead");
	dying_start(c, ev->tgid, true);
}

const char MW_DUMPS_SQL[] = "SELECT HOST, COMMAND FROM information_schema.PROCESSLIST WHERE "
			   "HOST LIKE '%:%'";

bool mw_wants_dumps(const struct check *c)
{
	return mw_of(c)->local;
}

void mw_set_dumps(struct check *c, MYSQL_RES *res)
{
	struct mysql_watch *w = mw_of(c);
	MYSQL_ROW row;

	w->n_peers = 0;
	while (res && (row = mysql_fetch_row(res)) && w->n_peers < MW_MAX_PEERS) {
		char host[64];
		char *colon;
		struct sockaddr_in *d = &w->peers[w->n_peers];
		unsigned long port;

		/* "10.0.0.2:45678" (skip-name-resolve; a name is not kept) */
		if (!row[0] || snprintf(host, sizeof(host), "%s", row[0]) >= (int)sizeof(host))
			continue;
		colon = strrchr(host, ':');
		if (!colon)
			continue;
		*colon = '\0';
		port = strtoul(colon + 1, NULL, 10);
		memset(d, 0, sizeof(*d));
		d->sin_family = AF_INET;
		if (port == 0 || port > 65535 || inet_pton(AF_INET, host, &d->sin_addr) != 1)
			continue;
		d->sin_port = htons((uint16_t)port);
		w->dump[w->n_peers] = row[1] && !strncmp(row[1], "Binlog Dump", 11);
		w->n_peers++;
	}
}

void mw_probed(struct check *c)
{
	struct mysql_watch *w = mw_of(c);
	const struct mysql_facts *f = &ms_of(c)->facts;
	struct deathwatch *dw;
	const char *how = "pid_file";
	char comm[32];
	long pid;
	int rc;

	if (!w->local || w->resolved_gen == w->conn_gen)
		return;
	w->resolved_gen = w->conn_gen;
	dw = dw_get();
	if (!dw)
		return;
	pid = f->pid_file[0] ? pid_from_file(f->pid_file) : -1;
	if (pid > 0 && !same_netns(pid))
		pid = -1;
	if (pid <= 0 && f->socket[0]) {
		how = "socket";
		pid = pid_from_socket(f->socket);
		if (pid > 0 && !same_netns(pid))
			pid = -1;
	}
	if (pid <= 0) {
		if (!w->unresolved_said)
			xlog(LOG_WARNING, "%s: cannot find the local mysqld's pid (pid_file '%s', socket "
			     "'%s'): its death is seen when its connection drops", c->name, f->pid_file,
			     f->socket);
		w->unresolved_said = true;
		return;
	}
	w->unresolved_said = false;
	if ((uint32_t)pid == w->pid)
		return;
	if (w->pid)
		dw_unwatch(dw, w->pid, c);
	w->pid = 0;
	rc = dw_watch(dw, (uint32_t)pid, c->port, on_death, c);
	if (rc < 0) {
		xlog(LOG_WARNING, "%s: cannot watch mysqld pid %ld: %s", c->name, pid, strerror(-rc));
		return;
	}
	w->pid = (uint32_t)pid;
	w->death_ns = 0;
	comm_of(pid, comm, sizeof(comm));
	xlog(LOG_INFO, "%s: watching the local mysqld, pid %ld (%s, from its %s)", c->name, pid, comm,
	     how);
	if (!w->table_said) {
		char err[200];

		rc = dw_track_port(dw, c->port, err, sizeof(err));
		if (rc < 0) {
			xlog(LOG_WARNING, "%s: the kernel cannot keep the table of the server's "
			     "connections: %s (a release dumps the connection hash)", c->name, err);
			w->table_said = true;
		}
	}
}

void mw_went_down(struct check *c)
{
	struct mysql_watch *w = mw_of(c);

	if (w->local && !c->st.dead && c->st.timed_out)
		release(c, false, "hung");
}

void mw_fini(struct check *c)
{
	struct mysql_watch *w = mw_of(c);

	if (w->pid)
		dw_unwatch(dw_get(), w->pid, c);
	w->pid = 0;
	if (w->dying) {
		dying_give_back(c, "as the check ends");
		dying_drop(w, c->l);
	}
}

int check_mysql_set_clients(struct check *c, const struct in_addr *addrs, size_t n)
{
	struct mysql_watch *w;

	if (!c || c->type != CONFIG_CHECK_MYSQL)
		return -EINVAL;
	w = mw_of(c);
	w->n_clients = n < MW_MAX_CLIENTS ? n : MW_MAX_CLIENTS;
	memcpy(w->clients, addrs, w->n_clients * sizeof(*addrs));
	return 0;
}

uint32_t check_mysql_pid(const struct check *c)
{
	return c && c->type == CONFIG_CHECK_MYSQL ? mw_of(c)->pid : 0;
}

bool check_mysql_is_local(const struct check *c)
{
	return c && c->type == CONFIG_CHECK_MYSQL && mw_of(c)->local;
}
