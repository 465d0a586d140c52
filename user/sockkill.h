/*
 * sockkill.h - release the TCP clients of a local server at once, the way
 * `ss -K` does: NETLINK_SOCK_DIAG dumps the sockets, SOCK_DESTROY aborts
 * each one that matches.
 *
 * Why: when the local mysqld dies, its clients (and the peer daemon's held
 * connection) would otherwise wait for the dying process's own teardown;
 * when it hangs, they would wait for their statement timeouts. A destroyed
 * connection sends its peer a RST (the peer's next recv() fails with
 * ECONNRESET) and its owner's next recv() fails with ECONNABORTED (a
 * blocked one wakes). A destroyed listener refuses new connects
 * (ECONNREFUSED), resets the connections still in its accept queue, wakes
 * its owner's poll() (POLLERR | POLLHUP) and fails its accept() with
 * EINVAL; an explicitly bound port stays bound until the owner closes it.
 *
 * What matches: a socket whose LOCAL port is the server's port, i.e. the
 * server side of a connection (and the listener when asked). A client of
 * this host connected to that port has an ephemeral local port and never
 * matches. SOCK_DESTROY needs CAP_NET_ADMIN and a kernel built with
 * CONFIG_INET_DIAG_DESTROY.
 */
#ifndef XVIP_SOCKKILL_H
#define XVIP_SOCKKILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

/* At most this many sockets are destroyed per call; beyond it a match is
 * counted as failed (E2BIG): call again. */
#define SOCKKILL_MAX 65536

/* Which sockets of a local TCP server to destroy. */
struct sockkill_filter {
	uint16_t port;  /* the server's port (host order): sockets whose LOCAL port is this */
	bool listeners; /* also the listening socket(s) on that port (new connects then get RST =
			 * ECONNREFUSED) */
	/* only sockets whose local address is one of these (IPv4, network order); n_addrs 0 =
	 * any local address. IPv6 sockets are matched by their v4-mapped address
	 * (::ffff:a.b.c.d); a listener bound to 0.0.0.0 or :: matches any. */
	const struct in_addr *addrs;
	size_t n_addrs;
	/* the listeners alone: the kernel then dumps only its listening
	 * hash, not the whole connection hash (~1.6 ms), so a dead server's
	 * port refuses connects within microseconds */
	bool only_listeners;
	/* connections to these remote endpoints are spared (IPv4 or
	 * v4-mapped; sin_port in network order): a dead master's binlog dump
	 * connections, whose last events the teardown still delivers */
	const struct sockaddr_in *keep;
	size_t n_keep;
	/* AF_INET only (skip the AF_INET6 dump: one walk of the connection
	 * hash less), e.g. when the server has no AF_INET6 listener */
	bool inet4_only;
};

/* Pure: is the remote endpoint (family, addr bytes, port host order) one
 * of f's keep list? */
bool sockkill_kept(const struct sockkill_filter *f, int family, const void *raddr, uint16_t rport);

/* matched == destroyed + failed. first_errno: the first failure's errno (0
 * if none): ENOENT when the socket closed on its own between the dump and
 * its destroy, ESTALE when its 4-tuple now belongs to another socket, E2BIG
 * past SOCKKILL_MAX. */
struct sockkill_result {
	unsigned matched, destroyed, failed;
	int first_errno;
	unsigned matched_inet6; /* of matched: AF_INET6 sockets (a dump's count; 0 from a table) */
};

/* Connections known in advance (a server's processlist): each looked up
 * exactly (local address one of local[], local port port, remote peers[i];
 * AF_INET, and unless inet4_only the v4-mapped AF_INET6 socket) and
 * destroyed, without walking the kernel's connection hash: microseconds
 * each, where a dump costs milliseconds on a busy host. A peer with no
 * such socket (gone already) is not an error. Returns 0 (see res: matched,
 * destroyed, failed) or -errno with err filled. */
struct sockkill_known {
	uint16_t port;
	const struct in_addr *local;
	size_t n_local;
	const struct sockaddr_in *peers;
	size_t n_peers;
	bool inet4_only;
};
int sockkill_destroy_known(const struct sockkill_known *k, struct sockkill_result *res, char *err,
			   size_t errlen);

/* A socket as a table of them names it (the kernel's mysqld_conns, see
 * include/xvip_watch.h): ports in host order, addresses in network order
 * (AF_INET: the first 4 bytes), state the kernel's TCP state. A listener has
 * state TCP_LISTEN (and rport 0). */
struct sockkill_tuple {
	uint64_t cookie; /* the kernel's socket cookie (sock_diag's idiag_cookie) */
	uint32_t ifindex; /* the device it is bound to, 0: none */
	uint8_t family;
	uint8_t state;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
};

/* Pure: would f destroy t? sockkill_match() of its local side, and for a
 * connection not one of f's keep list. */
bool sockkill_tuple_wanted(const struct sockkill_filter *f, const struct sockkill_tuple *t);

/* Each of t[0..n) that f wants destroyed by its 4-tuple and cookie (no dump
 * of the connection hash; batched, microseconds a socket), listeners first:
 * a dead server's port refuses connects before its connections are reset.
 * A socket gone since the table named it (ENOENT, or ESTALE: its 4-tuple
 * now names another socket, such as the listener a connection's lookup
 * falls back to) is not counted. Returns as sockkill_destroy(). */
int sockkill_destroy_tuples(const struct sockkill_filter *f, const struct sockkill_tuple *t,
			    size_t n, struct sockkill_result *res, char *err, size_t errlen);

/* The dump of sockkill_destroy() without the destroys: cb(arg, t) for each
 * socket f matches (both families), until cb returns nonzero (-errno),
 * which is returned; -E2BIG when more than SOCKKILL_MAX matched (the list
 * would be incomplete). For seeding a table. */
int sockkill_list(const struct sockkill_filter *f,
		  int (*cb)(void *arg, const struct sockkill_tuple *t), void *arg, char *err,
		  size_t errlen);

/* Dumps the AF_INET and AF_INET6 TCP sockets of the current network
 * namespace and destroys each one sockkill_match() accepts: connections
 * first, listeners last (a listener's destroy resets the connections still
 * in its accept queue, which then no longer exist to be destroyed). Each
 * destroy is acknowledged and counted in res; the kernel matches it by the
 * dump's cookie and 4-tuple, so a socket that reused a 4-tuple since the
 * dump is left alone.
 *
 * 0 when the dump worked, even if some destroys failed (see res); -errno
 * otherwise, with err saying what failed ("sock_diag: port N: ..."):
 * -EOPNOTSUPP when the kernel lacks CONFIG_INET_DIAG_DESTROY, -EPERM
 * without CAP_NET_ADMIN (both known only once a socket matched; res is
 * filled then too). A kernel that stops answering costs one receive
 * timeout of 200 ms per dump or batch of destroys, then -ETIMEDOUT.
 *
 * Cost (6.18, 2 CPUs, loopback peers): 3-6 ms for the two dumps whatever
 * the match count (each walks the whole established hash, 262144 buckets
 * here), plus 7-8 us per socket destroyed (1000: 12-14 ms in all). */
int sockkill_destroy(const struct sockkill_filter *f, struct sockkill_result *res, char *err,
		     size_t errlen);

/* Pure: does a dumped socket match f? family AF_INET (laddr: 4 bytes) or
 * AF_INET6 (16 bytes), lport in host order, state the kernel's TCP state
 * (TCP_ESTABLISHED, TCP_LISTEN, ...). Only the states of a server's side:
 * ESTABLISHED, FIN_WAIT1/2, CLOSE_WAIT, LAST_ACK, CLOSING, and LISTEN when
 * f->listeners; never TIME_WAIT or NEW_SYN_RECV (request sockets go with
 * their listener), nor SYN_RECV, SYN_SENT, CLOSE. */
bool sockkill_match(const struct sockkill_filter *f, int family, const void *laddr, uint16_t lport,
		    int state);

#endif /* XVIP_SOCKKILL_H */
