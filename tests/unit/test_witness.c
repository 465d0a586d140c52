/*
 * test_witness.c - witness.c against a private ZooKeeper (standalone, on
 * 127.0.0.1, a random high port, temp data dir, tickTime 100 ms so that
 * sessions may be as short as 200 ms; killed at the end; every test is
 * skipped when java or the ZooKeeper jar is missing): connect and state,
 * a watch through create by us (mine) and by another session (not mine),
 * claim by compare-and-swap (wrong version, right version: the key moves),
 * set by compare-and-swap, create of an existing key, release, witness_free
 * dropping our ephemeral key at once, the server killed (pending
 * operations fail -ENOTCONN) and restarted on the same data (the session
 * and its key kept, watches re-armed), a session expired while the loop
 * was held (a new session, the key gone), bad names, callbacks deferred,
 * witness_free from a callback, and the library's log kept off stderr.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "witness.h"

static const char ZK_JAR[] = "/usr/share/java/zookeeper.jar";
static const char ZK_CP[] = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar";
static const char ROOT[] = "/xvip/test";

static struct {
	bool skip;
	char dir[64];
	char cfg[128];
	char log[128];
	char java[256];
	char hosts[32];
	uint16_t port;
	pid_t pid;
} zk;

static const char *find_prog(const char *name, char *buf, size_t len)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/local/bin", "/usr/lib/jvm/default-java/bin",
					    NULL };

	for (int i = 0; dirs[i]; i++) {
		snprintf(buf, len, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	/* a high port the kernel says is free */
	for (int i = 0; i < 50 && !port; i++) {
		sa.sin_port = htons((uint16_t)(20000 + (unsigned)(rand() % 30000)));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
			port = ntohs(sa.sin_port);
	}
	close(fd);
	return port;
}

/* ZooKeeper's "ruok" four-letter word: "imok" once it serves. */
static bool zk_ok(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(zk.port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
	char buf[8] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = false;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && write(fd, "ruok", 4) == 4)
		ok = read(fd, buf, 4) == 4 && memcmp(buf, "imok", 4) == 0;
	close(fd);
	return ok;
}

static int zk_start(void)
{
	uint64_t t0 = now_us();

	zk.pid = fork();
	if (zk.pid < 0)
		return -1;
	if (zk.pid == 0) {
		int fd = open(zk.log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed test leaves no server */
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(zk.java, zk.java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
		      ZK_CP, "org.apache.zookeeper.server.quorum.QuorumPeerMain", zk.cfg, (char *)NULL);
		_exit(127);
	}
	while (now_us() - t0 < 15000000) {
		if (waitpid(zk.pid, NULL, WNOHANG) == zk.pid) {
			fprintf(stderr, "zookeeper exited at start, see %s\n", zk.log);
			zk.pid = 0;
			return -1;
		}
		if (zk_ok()) {
			fprintf(stderr, "zookeeper pid %d on %s up in %llu ms\n", (int)zk.pid, zk.hosts,
				(unsigned long long)((now_us() - t0) / 1000));
			return 0;
		}
		usleep(20000);
	}
	fprintf(stderr, "zookeeper did not answer ruok, see %s\n", zk.log);
	return -1;
}

static void zk_kill(void)
{
	if (zk.pid > 0) {
		kill(zk.pid, SIGKILL);
		waitpid(zk.pid, NULL, 0);
	}
	zk.pid = 0;
}

static int group_setup(void **state)
{
	FILE *f;

	(void)state;
	srand((unsigned)getpid() ^ (unsigned)now_us());
	if (!find_prog("java", zk.java, sizeof(zk.java)) || access(ZK_JAR, R_OK) != 0) {
		fprintf(stderr, "java or %s missing: skipping\n", ZK_JAR);
		zk.skip = true;
		return 0;
	}
	snprintf(zk.dir, sizeof(zk.dir), "/tmp/xvip-zk-XXXXXX");
	if (!mkdtemp(zk.dir))
		return -1;
	snprintf(zk.cfg, sizeof(zk.cfg), "%s/zoo.cfg", zk.dir);
	snprintf(zk.log, sizeof(zk.log), "%s/zk.log", zk.dir);
	zk.port = free_port();
	snprintf(zk.hosts, sizeof(zk.hosts), "127.0.0.1:%u", zk.port);
	f = fopen(zk.cfg, "w");
	if (!f)
		return -1;
	fprintf(f,
		"tickTime=100\ndataDir=%s/data\nclientPort=%u\nclientPortAddress=127.0.0.1\n"
		"minSessionTimeout=200\nmaxSessionTimeout=10000\nadmin.enableServer=false\n"
		"4lw.commands.whitelist=ruok\n",
		zk.dir, zk.port);
	fclose(f);
	return zk_start();
}

static int group_teardown(void **state)
{
	char cmd[200];

	(void)state;
	zk_kill();
	if (zk.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", zk.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", zk.dir);
	}
	return 0;
}

/* (a test that failed midway may have left it stopped) */
#define NEED_SERVER()                                   \
	do {                                            \
		if (zk.skip)                            \
			skip();                         \
		if (zk.pid <= 0)                        \
			assert_int_equal(zk_start(), 0); \
	} while (0)

/* ---- the loop and the records ---- */

static void on_slice(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	loop_stop(l);
}

static void run_for(struct loop *l, uint32_t ms)
{
	loop_add_timer(l, now_us() + ms * 1000ull, on_slice, NULL);
	loop_run(l);
}

/* Runs the loop in 5 ms slices until cond holds or ms passed; its value. */
#define WAIT(l, cond, ms)                                                   \
	({                                                                  \
		uint64_t end_ = now_us() + (ms) * 1000ull;                  \
		bool ok_;                                                   \
		while (!(ok_ = (cond)) && now_us() < end_)                  \
			run_for((l), 5);                                    \
		ok_;                                                        \
	})

struct srec {               /* on_state */
	int n;
	bool hist[16];
	bool last;
	struct witness *free_me; /* witness_free'd from the callback */
};

struct krec {               /* a watch */
	int n;
	struct witness_key last;
	struct witness_key hist[32];
	char name[64];
};

struct drec {               /* a done */
	int n;
	int rc;
	char err[400];
	struct witness *free_me;
};

static void on_state(void *arg, bool connected)
{
	struct srec *s = arg;

	if (s->n < 16)
		s->hist[s->n] = connected;
	s->n++;
	s->last = connected;
	if (s->free_me) {
		witness_free(s->free_me);
		s->free_me = NULL;
	}
}

static void on_key(void *arg, const char *name, const struct witness_key *k)
{
	struct krec *r = arg;

	if (r->n < 32)
		r->hist[r->n] = *k;
	r->n++;
	r->last = *k;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

static void on_done(void *arg, int rc, const char *err)
{
	struct drec *d = arg;

	d->n++;
	d->rc = rc;
	snprintf(d->err, sizeof(d->err), "%s", err);
	if (d->free_me) {
		witness_free(d->free_me);
		d->free_me = NULL;
	}
}

static struct witness *connected_witness(struct loop *l, uint32_t timeout_ms, struct srec *s)
{
	struct witness *w = witness_new(l, zk.hosts, timeout_ms, ROOT, on_state, s);

	assert_non_null(w);
	assert_true(WAIT(l, s->n >= 1, 5000));
	assert_true(s->last);
	assert_true(witness_connected(w));
	return w;
}

/* Starts an operation, checks it is not done inside the call, waits for
 * its done; its rc. */
#define OP(l, d, call)                                          \
	({                                                      \
		int n0_ = (d)->n;                               \
		assert_int_equal((call), 0);                    \
		assert_int_equal((d)->n, n0_);                  \
		assert_true(WAIT((l), (d)->n > n0_, 5000));     \
		assert_int_equal((d)->n, n0_ + 1);              \
		(d)->rc;                                        \
	})

static void assert_key(const struct witness_key *k, bool exists, bool mine, int32_t version,
		       const char *data)
{
	assert_true(k->known);
	assert_int_equal(k->exists, exists);
	assert_int_equal(k->mine, mine);
	assert_int_equal(k->version, version);
	assert_string_equal(k->data, data);
}

/* ---- tests ---- */

static void test_connect(void **state)
{
	struct loop *l;
	struct srec s = { 0 };
	struct witness *w;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w = witness_new(l, zk.hosts, 4000, ROOT, on_state, &s);
	assert_non_null(w);
	assert_false(witness_connected(w));
	assert_true(WAIT(l, s.n >= 1, 5000));
	assert_true(s.hist[0]);
	assert_true(witness_connected(w));
	run_for(l, 300); /* pings keep it; nothing else is told */
	assert_int_equal(s.n, 1);
	assert_true(witness_connected(w));
	witness_free(w);

	/* the root must be /component(s) */
	assert_null(witness_new(l, zk.hosts, 4000, "xvip", on_state, &s));
	assert_null(witness_new(l, zk.hosts, 4000, "/", on_state, &s));
	assert_null(witness_new(l, zk.hosts, 4000, "/xvip/", on_state, &s));
	assert_null(witness_new(l, zk.hosts, 4000, "/a//b", on_state, &s));
	assert_null(witness_new(l, "", 4000, ROOT, on_state, &s));
	loop_free(l);
}

static void test_watch_and_claim(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct krec k1 = { 0 }, k2 = { 0 };
	struct drec d = { 0 };
	struct witness *w1, *w2;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 4000, &s1);
	assert_int_equal(witness_watch(w1, "10.0.0.100:3306", on_key, &k1), 0);
	assert_int_equal(witness_watch(w1, "10.0.0.100:3306", on_key, &k1), -EEXIST);
	assert_true(WAIT(l, k1.n >= 1, 3000));
	assert_key(&k1.last, false, false, -1, "");
	assert_string_equal(k1.name, "10.0.0.100:3306");

	assert_int_equal(OP(l, &d, witness_claim(w1, "10.0.0.100:3306", -1, "node1", on_done, &d)), 0);
	assert_non_null(strstr(d.err, "/xvip/test/10.0.0.100:3306"));
	assert_true(WAIT(l, k1.last.exists, 3000));
	assert_key(&k1.last, true, true, 0, "node1");
	assert_int_equal(k1.n, 2); /* absent, then ours */

	/* another session sees it, not its own */
	w2 = connected_witness(l, 4000, &s2);
	assert_int_equal(witness_watch(w2, "10.0.0.100:3306", on_key, &k2), 0);
	assert_true(WAIT(l, k2.n >= 1, 3000));
	assert_key(&k2.last, true, false, 0, "node1");
	run_for(l, 100);
	assert_int_equal(k1.n, 2);
	assert_int_equal(k2.n, 1);
	witness_free(w2);
	witness_free(w1);
	loop_free(l);
}

static void test_claim_cas(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct krec k1 = { 0 }, k2 = { 0 };
	struct drec d = { 0 };
	struct witness *w1, *w2;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 4000, &s1);
	w2 = connected_witness(l, 4000, &s2);
	assert_int_equal(OP(l, &d, witness_claim(w1, "cas", -1, "one", on_done, &d)), 0);
	assert_int_equal(witness_watch(w1, "cas", on_key, &k1), 0);
	assert_int_equal(witness_watch(w2, "cas", on_key, &k2), 0);
	assert_true(WAIT(l, k1.n >= 1 && k2.n >= 1, 3000));
	assert_key(&k1.last, true, true, 0, "one");
	assert_key(&k2.last, true, false, 0, "one");

	/* the version moved since w2 read it: lost */
	assert_int_equal(OP(l, &d, witness_claim(w2, "cas", 3, "two", on_done, &d)), -ESTALE);
	assert_non_null(strstr(d.err, "delete version 3"));
	run_for(l, 100);
	assert_key(&k2.last, true, false, 0, "one");
	assert_key(&k1.last, true, true, 0, "one");

	/* the version w2 read: the key moves to w2, in one transaction */
	assert_int_equal(OP(l, &d, witness_claim(w2, "cas", 0, "two", on_done, &d)), 0);
	assert_true(WAIT(l, k2.last.mine && !k1.last.mine && !strcmp(k1.last.data, "two"), 3000));
	assert_key(&k2.last, true, true, 0, "two");
	assert_key(&k1.last, true, false, 0, "two");

	/* gone meanwhile */
	assert_int_equal(OP(l, &d, witness_claim(w1, "nobody", 0, "x", on_done, &d)), -ENOENT);
	witness_free(w1);
	witness_free(w2);
	loop_free(l);
}

static void test_set_cas(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct krec k2 = { 0 };
	struct drec d = { 0 };
	struct witness *w1, *w2;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 4000, &s1);
	w2 = connected_witness(l, 4000, &s2);
	assert_int_equal(OP(l, &d, witness_claim(w1, "set", -1, "a", on_done, &d)), 0);
	assert_int_equal(witness_watch(w2, "set", on_key, &k2), 0);
	assert_true(WAIT(l, k2.n >= 1, 3000));
	assert_key(&k2.last, true, false, 0, "a");

	assert_int_equal(OP(l, &d, witness_set(w1, "set", 0, "b", on_done, &d)), 0);
	assert_true(WAIT(l, k2.last.version == 1, 3000));
	assert_key(&k2.last, true, false, 1, "b");
	assert_int_equal(OP(l, &d, witness_set(w1, "set", 0, "c", on_done, &d)), -ESTALE);
	assert_non_null(strstr(d.err, "set /xvip/test/set version 0"));
	assert_int_equal(OP(l, &d, witness_set(w1, "set", 1, "c", on_done, &d)), 0);
	assert_true(WAIT(l, k2.last.version == 2, 3000));
	assert_key(&k2.last, true, false, 2, "c");
	/* a key this session never claimed is not ours to change */
	assert_int_equal(OP(l, &d, witness_set(w1, "nothing-here", 0, "c", on_done, &d)), -ESTALE);
	assert_non_null(strstr(d.err, "not claimed in this session"));
	assert_int_equal(witness_set(w1, "set", -1, "c", on_done, &d), -EINVAL);
	witness_free(w1);
	witness_free(w2);
	loop_free(l);
}

/* The former holder's compare-and-swap after a claim: the claim deleted the
 * key and created it anew, at version 0 again, so the version the former
 * holder knew (0) matches the claimant's fresh key. Its set and its release
 * must fail all the same (the key's guard counts the claims), and the key
 * stays the claimant's. Without the guard both succeed: in
 * test_mysql_witness the old writer set state=async on its peer's new key,
 * and both nodes took writes. */
static void test_set_after_claim_by_other(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct krec k1 = { 0 };
	struct drec d = { 0 };
	struct witness *w1, *w2;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 4000, &s1);
	w2 = connected_witness(l, 4000, &s2);
	assert_int_equal(OP(l, &d, witness_claim(w1, "aba", -1, "writer=a state=sync", on_done, &d)), 0);
	assert_int_equal(witness_watch(w1, "aba", on_key, &k1), 0);
	assert_true(WAIT(l, k1.n >= 1, 3000));
	assert_key(&k1.last, true, true, 0, "writer=a state=sync");
	/* w2 takes it from version 0: a fresh key, version 0 */
	assert_int_equal(OP(l, &d, witness_claim(w2, "aba", 0, "writer=b state=async", on_done, &d)), 0);
	assert_true(WAIT(l, !k1.last.mine && !strcmp(k1.last.data, "writer=b state=async"), 3000));
	assert_key(&k1.last, true, false, 0, "writer=b state=async");
	/* w1, on the version it knew */
	assert_int_equal(OP(l, &d, witness_set(w1, "aba", 0, "writer=a state=async", on_done, &d)),
			 -ESTALE);
	assert_int_equal(OP(l, &d, witness_release(w1, "aba", 0, on_done, &d)), -ESTALE);
	run_for(l, 100);
	assert_key(&k1.last, true, false, 0, "writer=b state=async");
	/* w2's own set still works */
	assert_int_equal(OP(l, &d, witness_set(w2, "aba", 0, "writer=b state=sync", on_done, &d)), 0);
	assert_true(WAIT(l, k1.last.version == 1, 3000));
	assert_key(&k1.last, true, false, 1, "writer=b state=sync");
	witness_free(w1);
	witness_free(w2);
	loop_free(l);
}

static void test_create_exists(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct drec d = { 0 };
	struct witness *w1, *w2;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 4000, &s1);
	w2 = connected_witness(l, 4000, &s2);
	assert_int_equal(OP(l, &d, witness_claim(w1, "exists", -1, "w1", on_done, &d)), 0);
	assert_int_equal(OP(l, &d, witness_claim(w2, "exists", -1, "w2", on_done, &d)), -EEXIST);
	assert_non_null(strstr(d.err, "claim /xvip/test/exists (create)"));
	assert_int_equal(OP(l, &d, witness_claim(w1, "exists", -1, "w1", on_done, &d)), -EEXIST);
	witness_free(w1);
	witness_free(w2);
	loop_free(l);
}

static void test_release(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 };
	struct krec k1 = { 0 };
	struct drec d = { 0 };
	struct witness *w1;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 4000, &s1);
	assert_int_equal(witness_watch(w1, "rel", on_key, &k1), 0);
	assert_int_equal(OP(l, &d, witness_claim(w1, "rel", -1, "x", on_done, &d)), 0);
	assert_true(WAIT(l, k1.last.exists, 3000));
	assert_int_equal(OP(l, &d, witness_release(w1, "rel", 5, on_done, &d)), -ESTALE);
	assert_int_equal(OP(l, &d, witness_release(w1, "rel", 0, on_done, &d)), 0);
	assert_true(WAIT(l, !k1.last.exists, 3000));
	assert_key(&k1.last, false, false, -1, "");
	/* deleted straight after the version read: what it said is told */
	assert_true(k1.last.vanished);
	assert_string_equal(k1.last.vanished_data, "x");
	assert_int_equal(OP(l, &d, witness_release(w1, "rel", -1, on_done, &d)), -ENOENT);

	/* without a done, any version */
	assert_int_equal(OP(l, &d, witness_claim(w1, "rel", -1, "y", on_done, &d)), 0);
	assert_true(WAIT(l, k1.last.exists, 3000));
	assert_int_equal(witness_release(w1, "rel", -1, NULL, NULL), 0);
	assert_true(WAIT(l, !k1.last.exists, 3000));
	witness_free(w1);
	loop_free(l);
}

static void test_free_drops_key(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct krec k2 = { 0 };
	struct drec d = { 0 };
	struct witness *w1, *w2;
	uint64_t t0, took;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 8000, &s1);
	w2 = connected_witness(l, 8000, &s2);
	assert_int_equal(OP(l, &d, witness_claim(w1, "free", -1, "w1", on_done, &d)), 0);
	assert_int_equal(witness_watch(w2, "free", on_key, &k2), 0);
	assert_true(WAIT(l, k2.n >= 1, 3000));
	assert_key(&k2.last, true, false, 0, "w1");
	/* an operation in flight is dropped without its done */
	assert_int_equal(witness_set(w1, "free", 0, "late", on_done, &d), 0);
	t0 = now_us();
	witness_free(w1);
	assert_true(WAIT(l, !k2.last.exists, 3000));
	took = now_us() - t0;
	printf("ephemeral key gone %llu ms after witness_free (session timeout 8000 ms)\n",
	       (unsigned long long)(took / 1000));
	assert_true(took < 1000000); /* the session was closed, not left to expire */
	/* the "late" set may have landed before the close: w2 then saw a
	 * change first, and cannot say what the key held last */
	assert_int_equal(d.n, 1);    /* the claim's only */
	witness_free(w2);
	loop_free(l);
}

static void test_bad_names(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 };
	struct krec k = { 0 };
	struct drec d = { 0 };
	struct witness *w1;
	char big[200];
	static const char *const bad[] = { "a/b", "/x", "", ".", "..", NULL };

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 4000, &s1);
	for (int i = 0; bad[i]; i++) {
		assert_int_equal(witness_claim(w1, bad[i], -1, "x", on_done, &d), -EINVAL);
		assert_int_equal(witness_claim(w1, bad[i], 0, "x", on_done, &d), -EINVAL);
		assert_int_equal(witness_set(w1, bad[i], 0, "x", on_done, &d), -EINVAL);
		assert_int_equal(witness_release(w1, bad[i], -1, on_done, &d), -EINVAL);
		assert_int_equal(witness_watch(w1, bad[i], on_key, &k), -EINVAL);
	}
	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(witness_claim(w1, "ok", -1, big, on_done, &d), -EINVAL);
	big[127] = '\0'; /* the longest that reads back whole */
	assert_int_equal(OP(l, &d, witness_claim(w1, "ok", -1, big, on_done, &d)), 0);
	assert_int_equal(witness_watch(w1, "ok", on_key, &k), 0);
	assert_true(WAIT(l, k.n >= 1, 3000));
	assert_key(&k.last, true, true, 0, big);
	run_for(l, 50);
	assert_int_equal(d.n, 1); /* no done for a refused call */
	witness_free(w1);
	loop_free(l);
}

static void test_no_server(void **state)
{
	struct loop *l;
	struct srec s = { 0 };
	struct drec d = { 0 };
	char hosts[32], logf[128];
	struct witness *w;
	FILE *f;
	char line[512];
	int saved, fd, zoo_lines = 0;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	snprintf(hosts, sizeof(hosts), "127.0.0.1:%u", free_port());
	/* the library's own log must not reach stderr */
	snprintf(logf, sizeof(logf), "%s/stderr.log", zk.dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	close(fd);

	w = witness_new(l, hosts, 600, ROOT, on_state, &s);
	assert_non_null(w);
	assert_int_equal(OP(l, &d, witness_claim(w, "k", -1, "x", on_done, &d)), -ENOTCONN);
	assert_non_null(strstr(d.err, "no session"));
	run_for(l, 300); /* refused connects, over and over */
	assert_int_equal(s.n, 0);
	assert_false(witness_connected(w));
	witness_free(w);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(logf, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "ZOO_"))
			zoo_lines++;
	fclose(f);
	assert_int_equal(zoo_lines, 0);
	loop_free(l);
}

static void test_free_from_callbacks(void **state)
{
	struct loop *l;
	struct srec s = { 0 }, s2 = { 0 };
	struct krec k = { 0 };
	struct drec d = { 0 }, d2 = { 0 };
	struct witness *w;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	/* from on_state, with the watch's delivery queued behind it */
	w = witness_new(l, zk.hosts, 4000, ROOT, on_state, &s);
	assert_non_null(w);
	assert_int_equal(witness_watch(w, "cb", on_key, &k), 0);
	s.free_me = w;
	assert_true(WAIT(l, s.n >= 1, 5000));
	run_for(l, 200);
	assert_int_equal(s.n, 1);
	assert_int_equal(k.n, 0);

	/* from a done, with another done queued in the same turn */
	w = connected_witness(l, 4000, &s2);
	d.free_me = w;
	assert_int_equal(witness_claim(w, "a/b", -1, "x", on_done, &d), -EINVAL);
	assert_int_equal(witness_claim(w, "cb", 0, "x", on_done, &d), 0);
	assert_int_equal(witness_claim(w, "cb", 0, "x", on_done, &d2), 0);
	assert_true(WAIT(l, d.n >= 1, 3000));
	run_for(l, 200);
	assert_int_equal(d.n, 1);
	assert_int_equal(d2.n, 0); /* witness_free calls none */
	loop_free(l);
}

static void test_server_restart(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct krec k1 = { 0 }, k2 = { 0 };
	struct drec d = { 0 }, d2 = { 0 };
	struct witness *w1, *w2;
	uint64_t t0;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 6000, &s1);
	w2 = connected_witness(l, 6000, &s2);
	assert_int_equal(OP(l, &d, witness_claim(w1, "restart", -1, "w1", on_done, &d)), 0);
	assert_int_equal(witness_watch(w1, "restart", on_key, &k1), 0);
	assert_int_equal(witness_watch(w2, "restart", on_key, &k2), 0);
	assert_true(WAIT(l, k1.n >= 1 && k2.n >= 1, 3000));
	assert_key(&k1.last, true, true, 0, "w1");

	zk_kill();
	/* the loop has not seen it: the operation goes out, and dies with
	 * the connection */
	assert_true(witness_connected(w1));
	assert_int_equal(witness_set(w1, "restart", 0, "lost", on_done, &d), 0);
	assert_true(WAIT(l, d.n == 2 && !s1.last && !s2.last && !k1.last.known && !k2.last.known,
			 3000));
	assert_int_equal(d.rc, -ENOTCONN);
	assert_false(witness_connected(w1));
	assert_false(witness_connected(w2));
	assert_int_equal(k1.last.version, -1);
	/* while down: refused, not queued */
	assert_int_equal(OP(l, &d2, witness_claim(w2, "restart", 0, "w2", on_done, &d2)), -ENOTCONN);
	run_for(l, 200);

	/* same port, same data: the sessions are still within their timeout */
	assert_int_equal(zk_start(), 0);
	t0 = now_us();
	assert_true(WAIT(l, s1.last && s2.last && k1.last.known && k2.last.known, 6000));
	printf("reconnected %llu ms after the server answered\n",
	       (unsigned long long)((now_us() - t0) / 1000));
	assert_key(&k1.last, true, true, 0, "w1"); /* our session, so our key, survived */
	assert_key(&k2.last, true, false, 0, "w1");
	assert_int_equal(s1.n, 3);
	assert_true(s1.hist[0] && !s1.hist[1] && s1.hist[2]);
	/* the watches are armed again: a change is seen */
	assert_int_equal(OP(l, &d, witness_set(w1, "restart", 0, "again", on_done, &d)), 0);
	/* both watches: the set's own reply may come before w1's watch
	 * event (seen: 3 runs in 40 failed waiting for w2's alone) */
	assert_true(WAIT(l, k1.last.version == 1 && k2.last.version == 1, 3000));
	assert_key(&k2.last, true, false, 1, "again");
	assert_key(&k1.last, true, true, 1, "again");
	witness_free(w1);
	witness_free(w2);
	loop_free(l);
}

static void test_session_expiry(void **state)
{
	struct loop *l;
	struct srec s1 = { 0 }, s2 = { 0 };
	struct krec k1 = { 0 }, k2 = { 0 };
	struct drec d = { 0 };
	struct witness *w1, *w2;
	int unknown_at = -1;

	(void)state;
	NEED_SERVER();
	l = loop_new();
	assert_non_null(l);
	w1 = connected_witness(l, 300, &s1);
	w2 = connected_witness(l, 6000, &s2);
	assert_int_equal(OP(l, &d, witness_claim(w1, "expire", -1, "w1", on_done, &d)), 0);
	assert_int_equal(witness_watch(w1, "expire", on_key, &k1), 0);
	assert_int_equal(witness_watch(w2, "expire", on_key, &k2), 0);
	assert_true(WAIT(l, k1.n >= 1 && k2.n >= 1, 3000));
	assert_key(&k1.last, true, true, 0, "w1");

	/* the loop held: w1 sends no pings, the server drops its session */
	usleep(1200000);
	assert_true(WAIT(l, s1.n >= 3 && k1.last.known, 5000));
	assert_true(s1.hist[0] && !s1.hist[1] && s1.hist[2]);
	assert_true(witness_connected(w1));
	for (int i = 0; i < k1.n && i < 32; i++)
		if (!k1.hist[i].known && unknown_at < 0)
			unknown_at = i;
	assert_true(unknown_at > 0); /* known=false, then the new session's read */
	assert_key(&k1.last, false, false, -1, ""); /* our key died with the session */
	assert_true(WAIT(l, !k2.last.exists, 3000));
	assert_true(s2.last);
	assert_int_equal(s2.n, 1);

	/* the new session can take it again */
	assert_int_equal(OP(l, &d, witness_claim(w1, "expire", -1, "w1 again", on_done, &d)), 0);
	assert_true(WAIT(l, k1.last.exists, 3000));
	assert_key(&k1.last, true, true, 0, "w1 again");
	witness_free(w1);
	witness_free(w2);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_watch_and_claim),
		cmocka_unit_test(test_claim_cas),
		cmocka_unit_test(test_set_cas),
		cmocka_unit_test(test_set_after_claim_by_other),
		cmocka_unit_test(test_create_exists),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_free_drops_key),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_no_server),
		cmocka_unit_test(test_free_from_callbacks),
		cmocka_unit_test(test_server_restart),
		cmocka_unit_test(test_session_expiry),
	};

	/* XVIP_TEST_DEBUG=1: our debug lines, the library's among them */
	log_init("test_witness", true, getenv("XVIP_TEST_DEBUG") != NULL);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
