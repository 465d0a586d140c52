/*
 * test_sockkill.c - destroying the TCP sockets of a local server
 * (user/sockkill.c): which dumped sockets match, then real sockets on
 * loopback torn down through SOCK_DESTROY.
 *
 * The real tests run in the current network namespace but touch only
 * servers they start on 127.0.0.1 / 127.0.0.2 at an ephemeral port, and
 * every destroy names that port. They need CAP_NET_ADMIN and a kernel with
 * CONFIG_INET_DIAG_DESTROY, and are skipped (with the reason) without.
 * Each one checks that its target was reset, so a destroy that does nothing
 * fails every one of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include "sockkill.h"

#define AWAIT_MS 1000
#define TCP_NEW_SYN_RECV 12

/* ---- sockkill_match: pure ---- */

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static bool match4(const struct sockkill_filter *f, const char *laddr, uint16_t lport, int state)
{
	struct in_addr a = ip(laddr);

	return sockkill_match(f, AF_INET, &a, lport, state);
}

static bool match6(const struct sockkill_filter *f, const char *laddr, uint16_t lport, int state)
{
	struct in6_addr a = ip6(laddr);

	return sockkill_match(f, AF_INET6, &a, lport, state);
}

static void test_match_v4(void **state)
{
	struct sockkill_filter f = { .port = 3306 };

	(void)state;
	assert_true(match4(&f, "10.0.0.5", 3306, TCP_ESTABLISHED));
	assert_false(match4(&f, "10.0.0.5", 3307, TCP_ESTABLISHED));
	/* the listener only when asked */
	assert_false(match4(&f, "10.0.0.5", 3306, TCP_LISTEN));
	f.listeners = true;
	assert_true(match4(&f, "10.0.0.5", 3306, TCP_LISTEN));
	assert_true(match4(&f, "10.0.0.5", 3306, TCP_ESTABLISHED));
	assert_false(sockkill_match(&f, AF_UNIX, "\x0a\0\0\x05", 3306, TCP_ESTABLISHED));
}

/* The server side of a connection has the server's port as its local port;
 * this host's own client of that server has an ephemeral one. */
static void test_match_client_side_not_matched(void **state)
{
	struct sockkill_filter f = { .port = 3306, .listeners = true };

	(void)state;
	assert_true(match4(&f, "127.0.0.1", 3306, TCP_ESTABLISHED));  /* 3306 -> 45000 */
	assert_false(match4(&f, "127.0.0.1", 45000, TCP_ESTABLISHED)); /* 45000 -> 3306 */
	assert_false(match4(&f, "127.0.0.1", 45000, TCP_SYN_SENT));
}

static void test_match_v4_mapped(void **state)
{
	struct in_addr vip = ip("192.168.7.10");
	struct sockkill_filter f = { .port = 3306, .addrs = &vip, .n_addrs = 1 };

	(void)state;
	assert_true(match6(&f, "::ffff:192.168.7.10", 3306, TCP_ESTABLISHED));
	assert_false(match6(&f, "::ffff:192.168.7.11", 3306, TCP_ESTABLISHED));
	assert_false(match6(&f, "::ffff:192.168.7.10", 3307, TCP_ESTABLISHED));
	/* 192.168.7.10 in the low bytes is not v4-mapped */
	assert_false(match6(&f, "::192.168.7.10", 3306, TCP_ESTABLISHED));
	assert_false(match6(&f, "2001:db8::c0a8:70a", 3306, TCP_ESTABLISHED));
	/* no addrs: any address, native IPv6 too */
	f.n_addrs = 0;
	assert_true(match6(&f, "2001:db8::1", 3306, TCP_ESTABLISHED));
	assert_true(match6(&f, "::ffff:192.168.7.11", 3306, TCP_ESTABLISHED));
}

static void test_match_addrs(void **state)
{
	struct in_addr vips[] = { ip("192.168.7.10"), ip("192.168.7.20") };
	struct sockkill_filter f = { .port = 3306, .addrs = vips, .n_addrs = 2 };

	(void)state;
	assert_true(match4(&f, "192.168.7.10", 3306, TCP_ESTABLISHED));
	assert_true(match4(&f, "192.168.7.20", 3306, TCP_CLOSE_WAIT));
	/* a management connection to the host's own address stays */
	assert_false(match4(&f, "192.168.7.2", 3306, TCP_ESTABLISHED));
	assert_false(match4(&f, "127.0.0.1", 3306, TCP_ESTABLISHED));
	f.listeners = true;
	assert_true(match4(&f, "192.168.7.20", 3306, TCP_LISTEN));
	assert_false(match4(&f, "192.168.7.2", 3306, TCP_LISTEN));
}

/* A listener on the wildcard address takes connections to every address,
 * the VIPs too. */
static void test_match_wildcard_listener(void **state)
{
	struct in_addr vip = ip("192.168.7.10");
	struct sockkill_filter f = { .port = 3306, .addrs = &vip, .n_addrs = 1 };

	(void)state;
	assert_false(match4(&f, "0.0.0.0", 3306, TCP_LISTEN));
	assert_false(match6(&f, "::", 3306, TCP_LISTEN));
	f.listeners = true;
	assert_true(match4(&f, "0.0.0.0", 3306, TCP_LISTEN));
	assert_true(match6(&f, "::", 3306, TCP_LISTEN));
	assert_true(match6(&f, "::ffff:0.0.0.0", 3306, TCP_LISTEN));
	assert_false(match4(&f, "0.0.0.0", 3307, TCP_LISTEN));
	/* only a listener stands for every address */
	assert_false(match6(&f, "::", 3306, TCP_ESTABLISHED));
	assert_false(match4(&f, "0.0.0.0", 3306, TCP_ESTABLISHED));
}

static void test_match_states(void **state)
{
	static const int wanted[] = { TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2,
				      TCP_CLOSE_WAIT,  TCP_LAST_ACK,  TCP_CLOSING };
	static const int skipped[] = { TCP_TIME_WAIT, TCP_NEW_SYN_RECV, TCP_SYN_RECV,
				       TCP_SYN_SENT,  TCP_CLOSE,        0, 13, 255 };
	struct sockkill_filter f = { .port = 3306, .listeners = true };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (!match4(&f, "10.0.0.5", 3306, wanted[i]))
			fail_msg("state %d not matched", wanted[i]);
	for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
		if (match4(&f, "10.0.0.5", 3306, skipped[i]))
			fail_msg("state %d matched", skipped[i]);
		if (match6(&f, "::ffff:10.0.0.5", 3306, skipped[i]))
			fail_msg("state %d matched (IPv6)", skipped[i]);
	}
}

/* sockkill_tuple_wanted: a table's entry through the same filter */
static void test_tuple_wanted(void **state)
{
	struct sockkill_tuple t = { .family = AF_INET, .state = TCP_ESTABLISHED, .lport = 3306,
				    .rport = 40000 };
	struct sockaddr_in keep = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct sockkill_filter f = { .port = 3306 };

	(void)state;
	memcpy(t.laddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(t.raddr, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	keep.sin_addr = ip("10.0.0.2");
	assert_true(sockkill_tuple_wanted(&f, &t));
	t.lport = 3307;
	assert_false(sockkill_tuple_wanted(&f, &t));
	t.lport = 3306;
	f.keep = &keep;
	f.n_keep = 1;
	assert_false(sockkill_tuple_wanted(&f, &t)); /* a binlog dump connection */
	t.rport = 40001;
	assert_true(sockkill_tuple_wanted(&f, &t));
	t.state = TCP_LISTEN;
	t.rport = 0;
	assert_false(sockkill_tuple_wanted(&f, &t)); /* listeners only when asked */
	f.listeners = true;
	assert_true(sockkill_tuple_wanted(&f, &t));
	t.family = AF_UNIX;
	assert_false(sockkill_tuple_wanted(&f, &t));
}

static void test_destroy_bad_filter(void **state)
{
	struct sockkill_filter f = { .port = 0 };
	struct sockkill_result res;
	char err[128] = "";

	(void)state;
	assert_int_equal(sockkill_destroy(&f, &res, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "sock_diag: "));
	f = (struct sockkill_filter){ .port = 3306, .n_addrs = 1 };
	assert_int_equal(sockkill_destroy(&f, &res, err, sizeof(err)), -EINVAL);
	assert_int_equal(res.matched, 0);
}

/* ---- real sockets on loopback ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sa_make(struct sockaddr_storage *ss, socklen_t *len, const char *addr, uint16_t port)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, addr, &a6->sin6_addr), 1);
		*len = sizeof(*a6);
	} else {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, addr, &a4->sin_addr), 1);
		*len = sizeof(*a4);
	}
}

/* A listener on addr:port (port 0: an ephemeral one); *port gets it. -errno
 * when the bind fails. */
static int tcp_listen(const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e;

	sa_make(&ss, &len, addr, *port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	assert_int_equal(listen(fd, 16), 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A client of addr:port: its fd, or -errno from connect(). */
static int tcp_connect(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e;

	sa_make(&ss, &len, addr, port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

struct conn {
	int client, server;
};

/* A client connected to addr:port and its accepted server side on lfd. */
static struct conn conn_open(int lfd, const char *addr, uint16_t port)
{
	struct conn c;

	c.client = tcp_connect(addr, port);
	if (c.client < 0)
		fail_msg("connect %s:%u: %s", addr, port, strerror(-c.client));
	if (!readable(lfd, AWAIT_MS))
		fail_msg("connect %s:%u: nothing to accept within %d ms", addr, port, AWAIT_MS);
	c.server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c.server >= 0);
	return c;
}

static void conn_close(struct conn *c)
{
	close(c->client);
	close(c->server);
}

/* The next recv() on fd fails with want within AWAIT_MS. */
static void await_error(int fd, int want, const char *what)
{
	long long t0 = now_ms();
	char b[16];
	ssize_t n;

	if (!readable(fd, AWAIT_MS))
		fail_msg("%s: awaited %s within %d ms: nothing", what, strerror(want), AWAIT_MS);
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (n >= 0 || errno != want)
		fail_msg("%s: awaited recv() -1 %s, got %zd %s", what, strerror(want), n,
			 n < 0 ? strerror(errno) : "");
	assert_true(now_ms() - t0 <= AWAIT_MS);
}

/* A reset peer: its recv() fails with ECONNRESET. */
static void await_reset(int fd, const char *what)
{
	await_error(fd, ECONNRESET, what);
}

static void send_recv(int from, int to, const char *what)
{
	char b[8] = "";

	if (send(from, "ping", 4, MSG_NOSIGNAL) != 4)
		fail_msg("%s: send: %s", what, strerror(errno));
	if (!readable(to, AWAIT_MS))
		fail_msg("%s: awaited 4 bytes within %d ms: nothing", what, AWAIT_MS);
	if (recv(to, b, sizeof(b), MSG_DONTWAIT) != 4 || memcmp(b, "ping", 4))
		fail_msg("%s: awaited \"ping\", got \"%s\" (%s)", what, b, strerror(errno));
}

/* Data still flows both ways. */
static void assert_alive(const struct conn *c, const char *what)
{
	send_recv(c->client, c->server, what);
	send_recv(c->server, c->client, what);
}

static void assert_refused(const char *addr, uint16_t port)
{
	int fd = tcp_connect(addr, port);

	if (fd >= 0) {
		close(fd);
		fail_msg("connect %s:%u: awaited ECONNREFUSED, connected", addr, port);
	}
	if (fd != -ECONNREFUSED)
		fail_msg("connect %s:%u: awaited ECONNREFUSED, got %s", addr, port, strerror(-fd));
}

/* sockkill_destroy, which must work; skips the test when the kernel or our
 * privileges do not allow SOCK_DESTROY. */
#define DESTROY(f, res)                                                                \
	do {                                                                           \
		char err_[256] = "";                                                   \
		int rc_ = sockkill_destroy((f), (res), err_, sizeof(err_));            \
		if (rc_ == -EPERM || rc_ == -EOPNOTSUPP) {                             \
			print_message("skipped: %s\n", err_);                          \
			skip();                                                        \
		}                                                                      \
		if (rc_)                                                               \
			fail_msg("sockkill_destroy: %d %s", rc_, err_);                \
	} while (0)

static void assert_result(const struct sockkill_result *res, unsigned matched, unsigned destroyed,
			  unsigned failed)
{
	if (res->matched != matched || res->destroyed != destroyed || res->failed != failed)
		fail_msg("awaited matched %u destroyed %u failed %u, got %u %u %u (first errno %d)",
			 matched, destroyed, failed, res->matched, res->destroyed, res->failed,
			 res->first_errno);
	assert_int_equal(res->first_errno, 0);
}

/* The hung-server case: the connections go, the listener stays. */
static void test_destroy_connections(void **state)
{
	uint16_t port = 0;
	int lfd = tcp_listen("127.0.0.1", &port);
	struct conn c = conn_open(lfd, "127.0.0.1", port), later;
	struct sockkill_filter f = { .port = port };
	struct sockkill_result res;

	(void)state;
	DESTROY(&f, &res);
	await_reset(c.client, "client of the destroyed server side");
	/* the destroyed socket's owner learns it too */
	await_error(c.server, ECONNABORTED, "owner of the destroyed server side");
	assert_result(&res, 1, 1, 0);
	later = conn_open(lfd, "127.0.0.1", port);
	assert_alive(&later, "connection accepted after the destroy");
	conn_close(&later);
	conn_close(&c);
	close(lfd);
}

/* The dead-server case: the listener goes too, new connects are refused. */
static void test_destroy_listener(void **state)
{
	uint16_t port = 0;
	int lfd = tcp_listen("127.0.0.1", &port);
	struct conn c = conn_open(lfd, "127.0.0.1", port);
	struct sockkill_filter f = { .port = port, .listeners = true };
	struct sockkill_result res;

	(void)state;
	DESTROY(&f, &res);
	await_reset(c.client, "client of the destroyed server side");
	assert_refused("127.0.0.1", port);
	assert_result(&res, 2, 2, 0);
	/* the listener's owner: poll wakes it, accept() fails */
	assert_true(readable(lfd, 0));
	assert_int_equal(accept(lfd, NULL, NULL), -1);
	conn_close(&c);
	close(lfd);
}

/* A dead master's binlog dump connection is spared (keep: the client's
 * endpoint), the other connection and the listener go. */
static void test_keep_spares_a_peer(void **state)
{
	uint16_t port = 0;
	int lfd = tcp_listen("127.0.0.1", &port);
	struct conn a = conn_open(lfd, "127.0.0.1", port), b = conn_open(lfd, "127.0.0.1", port);
	struct sockaddr_in keep;
	socklen_t len = sizeof(keep);
	struct sockkill_filter f = { .port = port, .listeners = true, .keep = &keep, .n_keep = 1 };
	struct sockkill_result res;

	(void)state;
	assert_int_equal(getsockname(b.client, (struct sockaddr *)&keep, &len), 0);
	assert_true(sockkill_kept(&f, AF_INET, &keep.sin_addr, ntohs(keep.sin_port)));
	assert_false(sockkill_kept(&f, AF_INET, &keep.sin_addr, (uint16_t)(ntohs(keep.sin_port) + 1)));
	DESTROY(&f, &res);
	await_reset(a.client, "the connection not kept");
	assert_refused("127.0.0.1", port);
	assert_alive(&b, "the kept connection");
	assert_result(&res, 2, 2, 0);
	conn_close(&a);
	conn_close(&b);
	close(lfd);
}

struct tuples {
	struct sockkill_tuple t[16];
	size_t n;
};

static int collect(void *arg, const struct sockkill_tuple *t)
{
	struct tuples *ts = arg;

	if (ts->n == 16)
		return -E2BIG;
	ts->t[ts->n++] = *t;
	return 0;
}

/* A table of the server's sockets (sockkill_list, as xvipd seeds the
 * kernel's mysqld_conns), then sockkill_destroy_tuples on it: the listener
 * and the connection go, the kept peer stays; a socket gone since (ENOENT)
 * and one whose cookie is not the table's (ESTALE: its 4-tuple names
 * another socket now) are neither destroyed nor counted. */
static void test_destroy_tuples(void **state)
{
	uint16_t port = 0;
	int lfd = tcp_listen("127.0.0.1", &port);
	struct conn a = conn_open(lfd, "127.0.0.1", port), b = conn_open(lfd, "127.0.0.1", port);
	struct conn gone = conn_open(lfd, "127.0.0.1", port), d = conn_open(lfd, "127.0.0.1", port);
	struct sockaddr_in keep, dsa;
	socklen_t len = sizeof(keep);
	struct sockkill_filter f = { .port = port, .listeners = true, .keep = &keep, .n_keep = 1 };
	struct sockkill_filter all = { .port = port, .listeners = true };
	struct sockkill_result res;
	struct tuples ts = { .n = 0 };
	char err[256] = "";
	size_t listeners = 0;
	int rc;

	(void)state;
	assert_int_equal(getsockname(b.client, (struct sockaddr *)&keep, &len), 0);
	len = sizeof(dsa);
	assert_int_equal(getsockname(d.client, (struct sockaddr *)&dsa, &len), 0);
	rc = sockkill_list(&all, collect, &ts, err, sizeof(err));
	if (rc)
		fail_msg("sockkill_list: %d %s", rc, err);
	assert_int_equal(ts.n, 5); /* the listener, four server sides */
	for (size_t i = 0; i < ts.n; i++) {
		assert_int_equal(ts.t[i].lport, port);
		assert_true(ts.t[i].cookie != 0);
		listeners += ts.t[i].state == TCP_LISTEN;
		/* d's entry gets a cookie that is not its socket's */
		if (ts.t[i].state != TCP_LISTEN && ts.t[i].rport == ntohs(dsa.sin_port))
			ts.t[i].cookie ^= 1;
	}
	assert_int_equal(listeners, 1);
	conn_close(&gone);
	/* gone from the destroyable states (its FINs exchanged, TIME_WAIT) */
	for (long long until = now_ms() + AWAIT_MS;;) {
		struct tuples now = { .n = 0 };

		rc = sockkill_list(&all, collect, &now, err, sizeof(err));
		if (rc)
			fail_msg("sockkill_list: %d %s", rc, err);
		if (now.n == 4)
			break;
		if (now_ms() > until)
			fail_msg("awaited 4 sockets on the port after a close, %zu there", now.n);
		usleep(1000);
	}
	rc = sockkill_destroy_tuples(&f, ts.t, ts.n, &res, err, sizeof(err));
	if (rc == -EPERM || rc == -EOPNOTSUPP) {
		print_message("skipped: %s\n", err);
		skip();
	}
	if (rc)
		fail_msg("sockkill_destroy_tuples: %d %s", rc, err);
	await_reset(a.client, "the connection in the table");
	assert_refused("127.0.0.1", port);
	assert_alive(&b, "the kept connection");
	assert_alive(&d, "the connection whose cookie differs");
	assert_result(&res, 2, 2, 0);
	conn_close(&a);
	conn_close(&b);
	conn_close(&d);
	close(lfd);
}

/* Known connections (a server's processlist), destroyed by exact lookups:
 * the one named goes, a peer that has no socket any more is no error, the
 * other connection and the listener stay. */
static void test_destroy_known(void **state)
{
	uint16_t port = 0;
	int lfd = tcp_listen("127.0.0.1", &port);
	struct conn a = conn_open(lfd, "127.0.0.1", port), b = conn_open(lfd, "127.0.0.1", port);
	struct in_addr lo = ip("127.0.0.1"), other = ip("127.0.0.3");
	struct in_addr local[2] = { other, lo };
	struct sockaddr_in peers[2];
	socklen_t len = sizeof(peers[0]);
	struct sockkill_known k = {
		.port = port, .local = local, .n_local = 2, .peers = peers, .n_peers = 2,
	};
	struct sockkill_result res;
	char err[256] = "";
	int rc;

	(void)state;
	assert_int_equal(getsockname(a.client, (struct sockaddr *)&peers[1], &len), 0);
	/* a client that left since the processlist was read */
	peers[0] = peers[1];
	peers[0].sin_port = htons((uint16_t)(ntohs(peers[1].sin_port) ^ 0x4000));
	rc = sockkill_destroy_known(&k, &res, err, sizeof(err));
	if (rc == -EPERM || rc == -EOPNOTSUPP) {
		print_message("skipped: %s\n", err);
		skip();
	}
	if (rc)
		fail_msg("sockkill_destroy_known: %d %s", rc, err);
	await_reset(a.client, "the known connection");
	assert_result(&res, 1, 1, 0);
	assert_alive(&b, "the connection not named");
	conn_close(&b);
	b = conn_open(lfd, "127.0.0.1", port);
	assert_alive(&b, "a connection accepted after it");
	conn_close(&a);
	conn_close(&b);
	close(lfd);
}

static void test_other_port_untouched(void **state)
{
	uint16_t port = 0, other_port = 0;
	int lfd = tcp_listen("127.0.0.1", &port), other_lfd = tcp_listen("127.0.0.1", &other_port);
	struct conn c = conn_open(lfd, "127.0.0.1", port);
	struct conn other = conn_open(other_lfd, "127.0.0.1", other_port), later;
	struct sockkill_filter f = { .port = port, .listeners = true };
	struct sockkill_result res;

	(void)state;
	DESTROY(&f, &res);
	await_reset(c.client, "client on the destroyed port");
	assert_result(&res, 2, 2, 0);
	assert_alive(&other, "connection on the other port");
	later = conn_open(other_lfd, "127.0.0.1", other_port);
	assert_alive(&later, "new connection on the other port");
	conn_close(&later);
	conn_close(&other);
	conn_close(&c);
	close(other_lfd);
	close(lfd);
}

/* One server on two addresses (the VIP and the host's own): only the VIP's
 * side goes. */
static void test_addrs_filter(void **state)
{
	struct in_addr vip = ip("127.0.0.2");
	uint16_t port = 0, vip_port;
	int lfd = -1, vip_lfd = -EADDRINUSE, tries;
	struct conn own, via_vip, later;
	struct sockkill_filter f = { .addrs = &vip, .n_addrs = 1, .listeners = true };
	struct sockkill_result res;

	(void)state;
	/* the ephemeral port of 127.0.0.1 may be taken on 127.0.0.2 */
	for (tries = 0; tries < 10 && vip_lfd == -EADDRINUSE; tries++) {
		if (lfd >= 0)
			close(lfd);
		port = 0;
		lfd = tcp_listen("127.0.0.1", &port);
		vip_port = port;
		vip_lfd = tcp_listen("127.0.0.2", &vip_port);
	}
	if (vip_lfd < 0)
		fail_msg("listen 127.0.0.2:%u: %s", port, strerror(-vip_lfd));
	own = conn_open(lfd, "127.0.0.1", port);
	via_vip = conn_open(vip_lfd, "127.0.0.2", port);
	f.port = port;
	DESTROY(&f, &res);
	await_reset(via_vip.client, "client of 127.0.0.2");
	assert_refused("127.0.0.2", port);
	assert_result(&res, 2, 2, 0);
	assert_alive(&own, "connection to 127.0.0.1");
	later = conn_open(lfd, "127.0.0.1", port);
	assert_alive(&later, "new connection to 127.0.0.1");
	conn_close(&later);
	conn_close(&via_vip);
	conn_close(&own);
	close(vip_lfd);
	close(lfd);
}

/* A dual-stack server (mysqld's bind-address=::) seen through the AF_INET6
 * dump: its IPv4 clients have v4-mapped addresses. Bound to
 * ::ffff:127.0.0.1 to stay on loopback. */
static void test_v4_mapped_server(void **state)
{
	struct in_addr lo = ip("127.0.0.1");
	uint16_t port = 0;
	int lfd = tcp_listen("::ffff:127.0.0.1", &port);
	struct conn c = conn_open(lfd, "127.0.0.1", port);
	struct sockkill_filter f = { .port = port, .addrs = &lo, .n_addrs = 1, .listeners = true };
	struct sockkill_result res;

	(void)state;
	DESTROY(&f, &res);
	await_reset(c.client, "IPv4 client of the IPv6 server");
	assert_refused("127.0.0.1", port);
	assert_result(&res, 2, 2, 0);
	conn_close(&c);
	close(lfd);
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_state;
}

/* Leaves the server side of a connection in TIME_WAIT: the server closes
 * first, then the client, whose socket is fully closed once the server's
 * last ACK came. */
static void make_time_wait(int lfd, uint16_t port)
{
	struct conn c = conn_open(lfd, "127.0.0.1", port);
	long long t0 = now_ms();
	char b[4];

	close(c.server);
	if (!readable(c.client, AWAIT_MS) || recv(c.client, b, sizeof(b), 0) != 0)
		fail_msg("TIME_WAIT: awaited EOF within %d ms", AWAIT_MS);
	assert_int_equal(shutdown(c.client, SHUT_WR), 0);
	while (tcp_state(c.client) != TCP_CLOSE) {
		if (now_ms() - t0 > AWAIT_MS)
			fail_msg("TIME_WAIT: client not closed within %d ms (state %d)", AWAIT_MS,
				 tcp_state(c.client));
		usleep(1000);
	}
	close(c.client);
}

/* Every socket counted once: 3 accepted and 1 queued connection, then the
 * listener; this host's clients (ephemeral local ports) and a TIME_WAIT
 * never. */
static void test_counters(void **state)
{
	uint16_t port = 0;
	int lfd = tcp_listen("127.0.0.1", &port), queued;
	struct conn c[3];
	struct sockkill_filter f = { .port = port };
	struct sockkill_result res;
	size_t i;

	(void)state;
	make_time_wait(lfd, port);
	for (i = 0; i < 3; i++)
		c[i] = conn_open(lfd, "127.0.0.1", port);
	queued = tcp_connect("127.0.0.1", port);
	assert_true(queued >= 0);
	if (!readable(lfd, AWAIT_MS))
		fail_msg("queued connection: not in the accept queue within %d ms", AWAIT_MS);

	DESTROY(&f, &res);
	assert_result(&res, 4, 4, 0);
	for (i = 0; i < 3; i++)
		await_reset(c[i].client, "accepted connection");
	await_reset(queued, "connection still in the accept queue");

	f.listeners = true;
	DESTROY(&f, &res);
	assert_result(&res, 1, 1, 0);
	assert_refused("127.0.0.1", port);
	DESTROY(&f, &res);
	assert_result(&res, 0, 0, 0);

	close(queued);
	for (i = 0; i < 3; i++)
		conn_close(&c[i]);
	close(lfd);
}

/* CAP_NET_ADMIN in our effective set: is it there (*was), and put it there
 * or take it out (it stays permitted, so it can come back). */
static bool cap_net_admin_set(bool on, bool *was)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1u << (CAP_NET_ADMIN % 32);
	uint32_t *eff = &d[CAP_NET_ADMIN / 32].effective;

	if (syscall(SYS_capget, &h, d))
		return false;
	*was = *eff & bit;
	*eff = on ? *eff | bit : *eff & ~bit;
	return syscall(SYS_capset, &h, d) == 0;
}

/* Without CAP_NET_ADMIN the dump works, every destroy is refused. */
static void test_destroy_needs_cap_net_admin(void **state)
{
	uint16_t port = 0;
	int lfd = tcp_listen("127.0.0.1", &port), rc;
	struct conn c = conn_open(lfd, "127.0.0.1", port);
	struct sockkill_filter f = { .port = port };
	struct sockkill_result res;
	char err[256] = "";
	bool had = false, dropped, restored;

	(void)state;
	dropped = cap_net_admin_set(false, &had);
	if (!dropped || !had) {
		print_message("skipped: %s CAP_NET_ADMIN\n", had ? "cannot drop" : "no");
		skip();
	}
	rc = sockkill_destroy(&f, &res, err, sizeof(err));
	restored = cap_net_admin_set(true, &had);
	assert_true(restored);
	if (rc == -EOPNOTSUPP) {
		print_message("skipped: %s\n", err);
		skip();
	}
	if (rc != -EPERM)
		fail_msg("without CAP_NET_ADMIN: awaited -EPERM, got %d %s", rc, err);
	assert_non_null(strstr(err, "CAP_NET_ADMIN"));
	assert_int_equal(res.matched, 1);
	assert_int_equal(res.destroyed, 0);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.first_errno, EPERM);
	assert_alive(&c, "connection a refused destroy named");
	conn_close(&c);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_client_side_not_matched),
		cmocka_unit_test(test_match_v4_mapped),
		cmocka_unit_test(test_match_addrs),
		cmocka_unit_test(test_match_wildcard_listener),
		cmocka_unit_test(test_match_states),
		cmocka_unit_test(test_keep_spares_a_peer),
		cmocka_unit_test(test_destroy_bad_filter),
		cmocka_unit_test(test_destroy_connections),
		cmocka_unit_test(test_destroy_listener),
		cmocka_unit_test(test_destroy_known),
		cmocka_unit_test(test_tuple_wanted),
		cmocka_unit_test(test_destroy_tuples),
		cmocka_unit_test(test_other_port_untouched),
		cmocka_unit_test(test_addrs_filter),
		cmocka_unit_test(test_v4_mapped_server),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_destroy_needs_cap_net_admin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
