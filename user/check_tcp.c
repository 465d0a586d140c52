/* TCP_CHECK: a non-blocking connect to connect_ip:connect_port every
 * delay_loop, connect_timeout each, a failure retried `retry` times
 * delay_before_retry apart; the probe is bad only if every attempt
 * failed. The connection is closed as soon as it is established. */
#define XVIP_CHECK_INTERNAL
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "check.h"
#include "log.h"

struct tcp_state {
	int fd;
	uint64_t timer;    /* connect deadline or retry delay */
	unsigned attempt;  /* 0-based attempt of the running probe */
	char err[256];     /* the last attempt's failure */
};

int check_tcp_init(struct check *c)
{
	struct tcp_state *t = calloc(1, sizeof(*t));

	if (!t) {
		xlog(LOG_ERR, "%s: out of memory", c->name);
		return -ENOMEM;
	}
	t->fd = -1;
	c->priv = t;
	return 0;
}

static void close_attempt(struct check *c, struct tcp_state *t)
{
	if (t->timer) {
		loop_cancel_timer(c->l, t->timer);
		t->timer = 0;
	}
	if (t->fd >= 0) {
		loop_del_fd(c->l, t->fd);
		close(t->fd);
		t->fd = -1;
	}
}

void check_tcp_fini(struct check *c)
{
	struct tcp_state *t = c->priv;

	if (!t)
		return;
	close_attempt(c, t);
	free(t);
	c->priv = NULL;
}

static void start_attempt(struct check *c);

static void on_retry(struct loop *l, uint64_t id, void *arg)
{
	struct check *c = arg;
	struct tcp_state *t = c->priv;

	(void)l;
	(void)id;
	t->timer = 0;
	check_hold(c);
	start_attempt(c);
	check_release(c);
}

/* The attempt ended: success ends the probe, a failure retries or ends it. */
static void attempt_done(struct check *c, int err)
{
	struct tcp_state *t = c->priv;
	char why[320];

	close_attempt(c, t);
	if (err == 0) {
		snprintf(why, sizeof(why), "connected to %s:%u", c->addr_str, c->port);
		check_probe_done(c, true, why);
		return;
	}
	if (err > 0)
		snprintf(t->err, sizeof(t->err), "connect %s:%u: %s", c->addr_str, c->port,
			 strerror(err));
	if (t->attempt < c->cfg.tcp.retry && !c->zombie) {
		t->attempt++;
		t->timer = loop_add_timer(c->l,
					  now_us() + (uint64_t)c->cfg.tcp.delay_before_retry_ms * 1000,
					  on_retry, c);
		if (t->timer)
			return;
		xlog(LOG_ERR, "%s: cannot arm the retry timer (out of memory)", c->name);
	}
	snprintf(why, sizeof(why), "%s (%u attempt%s)", t->err, t->attempt + 1,
		 t->attempt ? "s" : "");
	check_probe_done(c, false, why);
}

static void on_connect_timeout(struct loop *l, uint64_t id, void *arg)
{
	struct check *c = arg;
	struct tcp_state *t = c->priv;

	(void)l;
	(void)id;
	t->timer = 0;
	snprintf(t->err, sizeof(t->err), "connect %s:%u: timeout after %u ms", c->addr_str, c->port,
		 c->cfg.tcp.connect_timeout_ms);
	check_hold(c);
	attempt_done(c, -1);
	check_release(c);
}

static void on_connect_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct check *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)l;
	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0 && !(events & EPOLLOUT))
		return; /* spurious */
	check_hold(c);
	attempt_done(c, err);
	check_release(c);
}

static void start_attempt(struct check *c)
{
	struct tcp_state *t = c->priv;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(c->port),
				  .sin_addr = c->addr };
	int rc;

	c->st.attempts++;
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		attempt_done(c, errno);
		return;
	}
	if (connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		attempt_done(c, 0);
		return;
	}
	if (errno != EINPROGRESS) {
		attempt_done(c, errno);
		return;
	}
	rc = loop_add_fd(c->l, t->fd, EPOLLOUT, on_connect_io, c);
	if (rc < 0) {
		close(t->fd);
		t->fd = -1;
		snprintf(t->err, sizeof(t->err), "connect %s:%u: cannot watch the socket: %s",
			 c->addr_str, c->port, strerror(-rc));
		attempt_done(c, -1);
		return;
	}
	t->timer = loop_add_timer(c->l, now_us() + (uint64_t)c->cfg.tcp.connect_timeout_ms * 1000,
				  on_connect_timeout, c);
	if (!t->timer) {
		snprintf(t->err, sizeof(t->err), "connect %s:%u: cannot arm the timeout",
			 c->addr_str, c->port);
		attempt_done(c, -1);
	}
}

void check_tcp_probe(struct check *c)
{
	struct tcp_state *t = c->priv;

	t->attempt = 0;
	t->err[0] = '\0';
	start_attempt(c);
}
