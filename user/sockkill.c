/*
 * sockkill.c - destroy the TCP sockets of a local server.  See sockkill.h.
 *
 * One raw NETLINK_SOCK_DIAG socket per call, like netlink.c's short-lived
 * sockets: the calls are rare (a dead or a hung mysqld). Both dumps are read
 * to the end before the first destroy: the kernel resumes a dump by hash
 * bucket and position in the chain, and sockets leaving a chain under it
 * would make it skip others.
 */
#include "sockkill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#define RCV_TIMEOUT_MS 200
/* The kernel fills a dump datagram up to the receive buffer we use, at most
 * 32 KiB. */
#define RCV_BUF_LEN 32768
/* Destroys per sendmsg, at most. The kernel handles them before sendmsg
 * returns and queues one ack each on our receive buffer, where an ack takes
 * about 830 bytes (6.18: 256 fill the default 212992, the 257th is dropped):
 * a batch is kept to what the buffer holds at ACK_RCVBUF_COST each. More per
 * call would save nothing: the kernel's work per socket (sending its RST)
 * is what takes the time. */
#define DESTROY_BATCH 128
#define ACK_RCVBUF_COST 1536
/* A dump's sequence number is its family; destroy i has DESTROY_SEQ + i. */
#define DESTROY_SEQ 0x10000u

/* inet_diag reports a timewait socket with this timer and with its substate
 * as its state, which is TIME_WAIT or FIN_WAIT2: the timer tells them. */
#define DIAG_TIMER_TIMEWAIT 3

struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
};
_Static_assert(sizeof(struct diag_req) == NLMSG_LENGTH(sizeof(struct inet_diag_req_v2)),
	       "a batch of diag_req must be back-to-back netlink messages");

/* A socket to destroy, named as the dump named it (cookie and 4-tuple). */
struct victim {
	uint8_t family, state;
	struct inet_diag_sockid id;
};

struct victims {
	struct victim *v;
	size_t n, cap;
};

static const char *family_str(int family)
{
	return family == AF_INET ? "AF_INET" : "AF_INET6";
}

/* The states worth aborting: the server's side of a connection, and its
 * listener when asked. Left out: TIME_WAIT and NEW_SYN_RECV (mini sockets
 * no process waits on; a request socket goes with its listener), SYN_RECV
 * (how the dump shows request sockets; a full one exists only with Fast
 * Open, in its listener's accept queue), SYN_SENT (never a server's side),
 * CLOSE (bound, not connected). */
static bool state_wanted(int state, bool listeners, bool only_listeners)
{
	if (only_listeners)
		return state == TCP_LISTEN;
	switch (state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		return true;
	case TCP_LISTEN:
		return listeners;
	default:
		return false;
	}
}

/* The dump's idiag_states: the kernel then leaves the others out. */
static uint32_t state_mask(bool listeners, bool only_listeners)
{
	uint32_t mask = 0;
	int s;

	for (s = 0; s < 32; s++)
		if (state_wanted(s, listeners, only_listeners))
			mask |= 1u << s;
	return mask;
}

bool sockkill_match(const struct sockkill_filter *f, int family, const void *laddr, uint16_t lport,
		    int state)
{
	static const uint8_t v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t any6[16];
	const uint8_t *a = laddr;
	uint32_t v4;
	size_t i;

	if (lport != f->port || !state_wanted(state, f->listeners, f->only_listeners))
		return false;
	if (family == AF_INET) {
		memcpy(&v4, a, 4);
	} else if (family == AF_INET6) {
		if (state == TCP_LISTEN && !memcmp(a, any6, sizeof(any6)))
			return true;
		if (memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)))
			return f->n_addrs == 0; /* a native IPv6 address is none of addrs */
		memcpy(&v4, a + 12, 4);
	} else {
		return false;
	}
	if (f->n_addrs == 0 || (state == TCP_LISTEN && v4 == htonl(INADDR_ANY)))
		return true;
	for (i = 0; i < f->n_addrs; i++)
		if (f->addrs[i].s_addr == v4)
			return true;
	return false;
}

static void count_failure(struct sockkill_result *res, int e)
{
	res->failed++;
	if (!res->first_errno)
		res->first_errno = e;
}

static int diag_open(uint16_t port, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = RCV_TIMEOUT_MS * 1000 };
	int one = 1, fd, e;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "sock_diag: port %u: socket(NETLINK_SOCK_DIAG): %s", port,
			 strerror(e));
		return -e;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		e = errno;
		snprintf(err, errlen, "sock_diag: port %u: SO_RCVTIMEO: %s", port, strerror(e));
		close(fd);
		return -e;
	}
	/* Acks without the request echoed: smaller, more of them per receive
	 * buffer. An old kernel without it only makes them bigger. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

/* How many acks the receive buffer holds: the destroys of one sendmsg. */
static size_t ack_room(int fd)
{
	int rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);
	size_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) < 0 || rcvbuf <= 0)
		return 1;
	n = (size_t)rcvbuf / ACK_RCVBUF_COST;
	return n < 1 ? 1 : n > DESTROY_BATCH ? DESTROY_BATCH : n;
}

static int diag_send(int fd, const void *msgs, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(fd, msgs, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* One datagram from the kernel: its length (0 for one from anyone else), or
 * -errno: -EAGAIN when the receive timeout passed (or, with MSG_DONTWAIT,
 * when nothing is queued), -ENOBUFS once after the kernel dropped some. */
static ssize_t diag_recv(int fd, void *buf, int flags)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = RCV_BUF_LEN };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	do
		n = recvmsg(fd, &mh, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return from.nl_pid == 0 ? n : 0;
}

/* The netlink message at off in a datagram of len bytes, or NULL past its
 * last one (NLMSG_OK, without its mix of int and unsigned). */
static const struct nlmsghdr *msg_at(const void *buf, size_t len, size_t off)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)buf + off);

	if (off >= len || len - off < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len - off)
		return NULL;
	return nlh;
}

static int ack_errno(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return EPROTO;
	return -e->error;
}

static int victims_add(struct victims *vs, int family, int state, const struct inet_diag_sockid *id)
{
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 64;
		struct victim *v = realloc(vs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		vs->v = v;
		vs->cap = cap;
	}
	vs->v[vs->n++] = (struct victim){ .family = (uint8_t)family, .state = (uint8_t)state,
					  .id = *id };
	return 0;
}

bool sockkill_kept(const struct sockkill_filter *f, int family, const void *raddr, uint16_t rport)
{
	static const uint8_t v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a = raddr;
	uint32_t v4;

	if (!f->n_keep)
		return false;
	if (family == AF_INET)
		memcpy(&v4, a, 4);
	else if (family == AF_INET6 && !memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)))
		memcpy(&v4, a + 12, 4);
	else
		return false;
	for (size_t i = 0; i < f->n_keep; i++)
		if (f->keep[i].sin_addr.s_addr == v4 && ntohs(f->keep[i].sin_port) == rport)
			return true;
	return false;
}

/* One socket of the dump: a victim if it matches. 0 or -ENOMEM. */
static int consider(const struct sockkill_filter *f, int family, const struct inet_diag_msg *m,
		    struct victims *vs, struct sockkill_result *res)
{
	int state = m->idiag_timer == DIAG_TIMER_TIMEWAIT ? TCP_TIME_WAIT : m->idiag_state;

	if (m->idiag_family != family ||
	    !sockkill_match(f, family, m->id.idiag_src, ntohs(m->id.idiag_sport), state) ||
	    (state != TCP_LISTEN &&
	     sockkill_kept(f, family, m->id.idiag_dst, ntohs(m->id.idiag_dport))))
		return 0;
	res->matched++;
	if (family == AF_INET6)
		res->matched_inet6++;
	if (vs->n == SOCKKILL_MAX) {
		count_failure(res, E2BIG);
		return 0;
	}
	return victims_add(vs, family, state, &m->id);
}

/* Reads the dump of family's TCP sockets to its end. */
static int dump_family(int fd, int family, const struct sockkill_filter *f, void *buf,
		       struct victims *vs, struct sockkill_result *res, char *err, size_t errlen)
{
	struct diag_req req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = (uint32_t)family,
		},
		.r = {
			.sdiag_family = (uint8_t)family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = state_mask(f->listeners, f->only_listeners),
			/* without bytecode, the kernel's only other filter:
			 * sockets of another local port are not even sent */
			.id.idiag_sport = htons(f->port),
		},
	};
	const struct nlmsghdr *nlh;
	size_t off;
	ssize_t n;
	int rc;

	rc = diag_send(fd, &req, sizeof(req));
	if (rc) {
		snprintf(err, errlen, "sock_diag: port %u: %s dump request: %s", f->port,
			 family_str(family), strerror(-rc));
		return rc;
	}
	for (;;) {
		n = diag_recv(fd, buf, 0);
		if (n == -EAGAIN) {
			snprintf(err, errlen, "sock_diag: port %u: %s dump: no answer in %d ms",
				 f->port, family_str(family), RCV_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		if (n < 0) {
			snprintf(err, errlen, "sock_diag: port %u: %s dump: %s", f->port,
				 family_str(family), strerror((int)-n));
			return (int)n;
		}
		for (off = 0; (nlh = msg_at(buf, (size_t)n, off));
		     off += NLMSG_ALIGN(nlh->nlmsg_len)) {
			if (nlh->nlmsg_seq != req.nlh.nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				const int *e = NLMSG_DATA(nlh);

				rc = nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? *e : 0;
				if (rc < 0)
					snprintf(err, errlen, "sock_diag: port %u: %s dump: %s",
						 f->port, family_str(family), strerror(-rc));
				return rc < 0 ? rc : 0;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				rc = ack_errno(nlh);
				if (!rc)
					continue;
				snprintf(err, errlen, "sock_diag: port %u: %s dump refused: %s",
					 f->port, family_str(family), strerror(rc));
				return -rc;
			}
			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			rc = consider(f, family, NLMSG_DATA(nlh), vs, res);
			if (rc) {
				snprintf(err, errlen, "sock_diag: port %u: %s dump: %u sockets: %s",
					 f->port, family_str(family), res->matched, strerror(-rc));
				return rc;
			}
		}
	}
}

/* Connections first, listeners last: a listener's destroy resets the
 * connections still in its accept queue, which would then fail (ENOENT)
 * when their own turn came. */
static void listeners_last(struct victims *vs)
{
	size_t i = 0, j = vs->n;

	while (i < j) {
		if (vs->v[i].state == TCP_LISTEN) {
			struct victim t = vs->v[i];

			vs->v[i] = vs->v[--j];
			vs->v[j] = t;
		} else {
			i++;
		}
	}
}

/* Destroys v[first .. first+n) (n <= DESTROY_BATCH) in one sendmsg and
 * counts their acks. *refused: EPERM or EOPNOTSUPP when an ack said so (no
 * destroy will ever work then), 0 otherwise. 0, or -errno when the batch
 * could not be sent or its acks never came (the batch is then counted as
 * failed). */
static int destroy_batch(int fd, const struct victim *v, size_t first, size_t n,
			 struct diag_req *reqs, void *buf, uint16_t port, bool gone_ok,
			 struct sockkill_result *res, int *refused, char *err, size_t errlen)
{
	bool acked[DESTROY_BATCH] = { false };
	bool overrun = false;
	const struct nlmsghdr *nlh;
	size_t i, off, left = n;
	ssize_t got = 0;
	int rc, e;

	for (i = 0; i < n; i++)
		reqs[i] = (struct diag_req){
			.nlh = {
				.nlmsg_len = sizeof(reqs[i]),
				.nlmsg_type = SOCK_DESTROY,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
				.nlmsg_seq = DESTROY_SEQ + (uint32_t)(first + i),
			},
			.r = {
				.sdiag_family = v[first + i].family,
				.sdiag_protocol = IPPROTO_TCP,
				.id = v[first + i].id,
			},
		};
	rc = diag_send(fd, reqs, n * sizeof(*reqs));
	if (rc) {
		for (i = 0; i < n; i++)
			count_failure(res, -rc);
		snprintf(err, errlen, "sock_diag: port %u: sending %zu SOCK_DESTROY: %s", port, n,
			 strerror(-rc));
		return rc;
	}
	while (left) {
		/* after an overrun, what is queued is all that will come */
		got = diag_recv(fd, buf, overrun ? MSG_DONTWAIT : 0);
		if (got == -ENOBUFS) {
			overrun = true;
			continue;
		}
		if (got < 0)
			break;
		for (off = 0; (nlh = msg_at(buf, (size_t)got, off));
		     off += NLMSG_ALIGN(nlh->nlmsg_len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < DESTROY_SEQ + first)
				continue;
			i = nlh->nlmsg_seq - DESTROY_SEQ - first;
			if (i >= n || acked[i])
				continue;
			acked[i] = true;
			left--;
			e = ack_errno(nlh);
			if (!e) {
				res->destroyed++;
				continue;
			}
			if (gone_ok && (e == ENOENT || e == ESTALE))
				continue; /* closed since the table named it */
			count_failure(res, e);
			if (e == EPERM || e == EOPNOTSUPP)
				*refused = e;
		}
	}
	if (!left)
		return 0;
	e = overrun ? ENOBUFS : got == -EAGAIN ? ETIMEDOUT : (int)-got;
	for (i = 0; i < left; i++)
		count_failure(res, e);
	if (overrun)
		return 0; /* the kernel had them; only their answers were lost */
	snprintf(err, errlen, "sock_diag: port %u: %zu of %zu SOCK_DESTROY unanswered: %s", port,
		 left, n, strerror(e));
	return -e;
}

/* A filter a call can work with: 0, or -EINVAL with err filled. */
static int filter_check(const struct sockkill_filter *f, char *err, size_t errlen)
{
	if (f->port && (!f->n_addrs || f->addrs))
		return 0;
	snprintf(err, errlen, "sock_diag: port %u: %s", f->port,
		 f->port ? "addrs is NULL" : "no port");
	return -EINVAL;
}

/* Both families' dumps (AF_INET alone with f->inet4_only) into vs. */
static int dump_all(int fd, const struct sockkill_filter *f, void *buf, struct victims *vs,
		    struct sockkill_result *res, char *err, size_t errlen)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int rc;

	for (size_t i = 0; i < (f->inet4_only ? 1 : sizeof(families) / sizeof(families[0])); i++) {
		rc = dump_family(fd, families[i], f, buf, vs, res, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* Destroys vs in batches; after a refusal (EPERM, EOPNOTSUPP) none would
 * work: the rest is counted as failed and the refusal returned. */
static int destroy_all(int fd, const struct victims *vs, struct diag_req *reqs, void *buf,
		       uint16_t port, bool gone_ok, struct sockkill_result *res, char *err,
		       size_t errlen)
{
	size_t i, j, n, batch = ack_room(fd);
	int rc = 0, refused = 0;

	for (i = 0; i < vs->n; i += n) {
		n = vs->n - i < batch ? vs->n - i : batch;
		rc = destroy_batch(fd, vs->v, i, n, reqs, buf, port, gone_ok, res, &refused, err,
				   errlen);
		if (!rc && refused == EOPNOTSUPP) {
			snprintf(err, errlen, "sock_diag: port %u: SOCK_DESTROY not supported: "
				 "kernel built without CONFIG_INET_DIAG_DESTROY", port);
			rc = -EOPNOTSUPP;
		} else if (!rc && refused == EPERM) {
			snprintf(err, errlen, "sock_diag: port %u: SOCK_DESTROY refused: "
				 "needs CAP_NET_ADMIN", port);
			rc = -EPERM;
		}
		if (rc) {
			for (j = i + n; j < vs->n; j++)
				count_failure(res, -rc);
			return rc;
		}
	}
	return 0;
}

int sockkill_destroy(const struct sockkill_filter *f, struct sockkill_result *res, char *err,
		     size_t errlen)
{
	struct victims vs = { 0 };
	struct diag_req *reqs = NULL;
	void *buf = NULL;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	rc = filter_check(f, err, errlen);
	if (rc)
		return rc;
	fd = diag_open(f->port, err, errlen);
	if (fd < 0)
		return fd;
	buf = malloc(RCV_BUF_LEN);
	reqs = malloc(DESTROY_BATCH * sizeof(*reqs));
	if (!buf || !reqs) {
		snprintf(err, errlen, "sock_diag: port %u: out of memory", f->port);
		rc = -ENOMEM;
		goto out;
	}
	rc = dump_all(fd, f, buf, &vs, res, err, errlen);
	if (rc)
		goto out;
	listeners_last(&vs);
	rc = destroy_all(fd, &vs, reqs, buf, f->port, false, res, err, errlen);
out:
	free(vs.v);
	free(reqs);
	free(buf);
	close(fd);
	return rc;
}

/* ---- known connections, one exact lookup each (no dump) ---- */

/* One request about one socket, and its answer: 0 with *m filled (QUERY),
 * 0 (DESTROY acked), or -errno (-ENOENT: no such socket). */
static int exact_op(int fd, uint16_t type, int family, const struct inet_diag_sockid *id,
		    void *buf, struct inet_diag_msg *m)
{
	static uint32_t seq = 0x40000000u;
	struct diag_req req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | (type == SOCK_DESTROY ? NLM_F_ACK : 0),
			.nlmsg_seq = ++seq,
		},
		.r = {
			.sdiag_family = (uint8_t)family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = ~0u,
			.id = *id,
		},
	};
	const struct nlmsghdr *nlh;
	size_t off;
	ssize_t n;
	int rc;

	rc = diag_send(fd, &req, sizeof(req));
	if (rc)
		return rc;
	for (;;) {
		n = diag_recv(fd, buf, 0);
		if (n < 0)
			return n == -EAGAIN ? -ETIMEDOUT : (int)n;
		for (off = 0; (nlh = msg_at(buf, (size_t)n, off)); off += NLMSG_ALIGN(nlh->nlmsg_len)) {
			if (nlh->nlmsg_seq != req.nlh.nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return -ack_errno(nlh);
			if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*m))) {
				if (m)
					memcpy(m, NLMSG_DATA(nlh), sizeof(*m));
				return 0;
			}
		}
	}
}

/* One connection by its 4-tuple (cookie INET_DIAG_NOCOOKIE in id): looked
 * up, checked to be a connection to that remote port (the kernel's lookup of
 * a connection that is gone falls back to its listener: inet_lookup), and
 * destroyed by the cookie the lookup returned. 1 destroyed, 0 no such socket (gone
 * already: not counted), or -EPERM / -EOPNOTSUPP / -ETIMEDOUT... that end
 * the call (err filled); other destroy failures are counted in res. */
static int destroy_exact(int fd, int family, const struct inet_diag_sockid *id, void *buf,
			 struct sockkill_result *res, char *err, size_t errlen)
{
	struct inet_diag_msg m;
	int rc = exact_op(fd, SOCK_DIAG_BY_FAMILY, family, id, buf, &m);

	if (rc == -ENOENT)
		return 0;
	if (rc) {
		snprintf(err, errlen, "sock_diag: lookup: %s", strerror(-rc));
		return rc;
	}
	if (m.idiag_state == TCP_LISTEN || m.id.idiag_dport != id->idiag_dport)
		return 0;
	res->matched++;
	if (family == AF_INET6)
		res->matched_inet6++;
	rc = exact_op(fd, SOCK_DESTROY, family, &m.id, buf, NULL);
	if (rc == -EPERM || rc == -EOPNOTSUPP) {
		count_failure(res, -rc);
		snprintf(err, errlen, "sock_diag: SOCK_DESTROY: %s", rc == -EPERM ?
			 "refused: needs CAP_NET_ADMIN" :
			 "not supported: kernel built without CONFIG_INET_DIAG_DESTROY");
		return rc;
	}
	if (rc) {
		count_failure(res, -rc);
		return 0;
	}
	res->destroyed++;
	return 1;
}

bool sockkill_tuple_wanted(const struct sockkill_filter *f, const struct sockkill_tuple *t)
{
	if ((t->family != AF_INET && t->family != AF_INET6) ||
	    !sockkill_match(f, t->family, t->laddr, t->lport, t->state))
		return false;
	return t->state == TCP_LISTEN || !sockkill_kept(f, t->family, t->raddr, t->rport);
}

int sockkill_destroy_tuples(const struct sockkill_filter *f, const struct sockkill_tuple *t,
			    size_t n, struct sockkill_result *res, char *err, size_t errlen)
{
	struct victims vs = { 0 };
	struct diag_req *reqs = NULL;
	void *buf = NULL;
	int fd = -1, rc = 0;

	memset(res, 0, sizeof(*res));
	rc = filter_check(f, err, errlen);
	if (rc)
		return rc;
	/* listeners first: connects are refused from here on */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			struct inet_diag_sockid id = {
				.idiag_sport = htons(t[i].lport),
				.idiag_dport = htons(t[i].rport),
				.idiag_if = t[i].ifindex,
				.idiag_cookie = { (uint32_t)t[i].cookie,
						  (uint32_t)(t[i].cookie >> 32) },
			};

			if ((t[i].state == TCP_LISTEN) != (pass == 0) ||
			    !sockkill_tuple_wanted(f, &t[i]))
				continue;
			memcpy(id.idiag_src, t[i].laddr, t[i].family == AF_INET ? 4 : 16);
			memcpy(id.idiag_dst, t[i].raddr, t[i].family == AF_INET ? 4 : 16);
			if (vs.n == SOCKKILL_MAX) {
				count_failure(res, E2BIG);
				continue;
			}
			if (victims_add(&vs, t[i].family, t[i].state, &id) < 0) {
				snprintf(err, errlen, "sock_diag: port %u: out of memory", f->port);
				rc = -ENOMEM;
				goto out;
			}
		}
	}
	if (!vs.n)
		goto out;
	fd = diag_open(f->port, err, errlen);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	buf = malloc(RCV_BUF_LEN);
	reqs = malloc(DESTROY_BATCH * sizeof(*reqs));
	if (!buf || !reqs) {
		snprintf(err, errlen, "sock_diag: port %u: out of memory", f->port);
		rc = -ENOMEM;
		goto out;
	}
	rc = destroy_all(fd, &vs, reqs, buf, f->port, true, res, err, errlen);
out:
	res->matched = res->destroyed + res->failed;
	free(vs.v);
	free(reqs);
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int sockkill_list(const struct sockkill_filter *f,
		  int (*cb)(void *arg, const struct sockkill_tuple *t), void *arg, char *err,
		  size_t errlen)
{
	struct sockkill_result res = { 0 };
	struct victims vs = { 0 };
	void *buf;
	int fd, rc;

	rc = filter_check(f, err, errlen);
	if (rc)
		return rc;
	fd = diag_open(f->port, err, errlen);
	if (fd < 0)
		return fd;
	buf = malloc(RCV_BUF_LEN);
	if (!buf) {
		snprintf(err, errlen, "sock_diag: port %u: out of memory", f->port);
		rc = -ENOMEM;
		goto out;
	}
	rc = dump_all(fd, f, buf, &vs, &res, err, errlen);
	if (rc)
		goto out;
	if (res.failed) {
		snprintf(err, errlen, "sock_diag: port %u: more than %d sockets", f->port,
			 SOCKKILL_MAX);
		rc = -E2BIG;
		goto out;
	}
	for (size_t i = 0; i < vs.n && !rc; i++) {
		const struct victim *v = &vs.v[i];
		struct sockkill_tuple t = {
			.cookie = (uint64_t)v->id.idiag_cookie[0] |
				  (uint64_t)v->id.idiag_cookie[1] << 32,
			.ifindex = v->id.idiag_if,
			.family = v->family, .state = v->state,
			.lport = ntohs(v->id.idiag_sport), .rport = ntohs(v->id.idiag_dport),
		};
		size_t alen = v->family == AF_INET ? 4 : 16;

		memcpy(t.laddr, v->id.idiag_src, alen);
		memcpy(t.raddr, v->id.idiag_dst, alen);
		rc = cb(arg, &t);
		if (rc)
			snprintf(err, errlen, "sock_diag: port %u: %s", f->port, strerror(-rc));
	}
out:
	free(vs.v);
	free(buf);
	close(fd);
	return rc;
}

int sockkill_destroy_known(const struct sockkill_known *k, struct sockkill_result *res, char *err,
			   size_t errlen)
{
	static const uint8_t v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };
	void *buf;
	int fd, rc = 0;

	memset(res, 0, sizeof(*res));
	if (!k->port || !k->n_local) {
		snprintf(err, errlen, "sock_diag: no port or no local address");
		return -EINVAL;
	}
	fd = diag_open(k->port, err, errlen);
	if (fd < 0)
		return fd;
	buf = malloc(RCV_BUF_LEN);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "sock_diag: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < k->n_peers; i++) {
		bool found = false;

		for (size_t a = 0; a < k->n_local && !found; a++) {
			for (int fam = 0; fam < (k->inet4_only ? 1 : 2) && !found; fam++) {
				struct inet_diag_sockid id = {
					.idiag_sport = htons(k->port),
					.idiag_dport = k->peers[i].sin_port,
					.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
				};
				int family = fam ? AF_INET6 : AF_INET;

				if (family == AF_INET) {
					memcpy(id.idiag_src, &k->local[a], 4);
					memcpy(id.idiag_dst, &k->peers[i].sin_addr, 4);
				} else {
					memcpy(id.idiag_src, v4mapped_prefix, 12);
					memcpy((uint8_t *)id.idiag_src + 12, &k->local[a], 4);
					memcpy(id.idiag_dst, v4mapped_prefix, 12);
					memcpy((uint8_t *)id.idiag_dst + 12, &k->peers[i].sin_addr, 4);
				}
				unsigned before = res->matched;

				rc = destroy_exact(fd, family, &id, buf, res, err, errlen);
				if (rc < 0)
					goto out;
				found = res->matched > before;
				rc = 0;
			}
		}
	}
	rc = 0;
out:
	free(buf);
	close(fd);
	if (rc && !err[0])
		snprintf(err, errlen, "sock_diag: %s", strerror(-rc));
	return rc;
}
