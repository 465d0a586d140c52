/* metrics_listen: GET /metrics in Prometheus' text format, from xvipd's own
 * loop. libmicrohttpd runs in external mode on its own epoll fd, which the
 * loop watches; MHD_run() is called when that fd is readable and when
 * MHD_get_timeout() says so. Bounded: 8 connections (2 per address), 16 KiB
 * of memory per connection (the request with its headers), 2 s to send a
 * request; a scrape never blocks the election (the body is built at once
 * from memory, a few KiB). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "metrics_http.h"
#include "sbuf.h"
#include "status_maps.h"
#include "xvipd.h"

#ifndef XVIP_VERSION
#define XVIP_VERSION "dev"
#endif

char *status_metrics(struct xvipd *d); /* control.c */

struct metrics_http {
	struct xvipd *d;
	struct MHD_Daemon *mhd;
	int epfd;
	uint64_t timer;
	uint64_t scrapes, refused;
};

static void rearm(struct metrics_http *h);

static char *page(struct xvipd *d)
{
	struct sbuf b = { 0 };
	char *own = status_metrics(d);

	sb_printf(&b, "# HELP xvip_up 1: xvipd answers (this page comes from it).\n"
		      "# TYPE xvip_up gauge\nxvip_up 1\n"
		      "# HELP xvip_build_info xvipd's version.\n# TYPE xvip_build_info gauge\n"
		      "xvip_build_info{version=\"%s\"} 1\n", XVIP_VERSION);
	if (own)
		sb_printf(&b, "%s", own);
	free(own);
	metrics_maps(&b, &d->dp.maps);
	return b.s;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
			     char *body, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(body ? strlen(body) : 0, body,
					    body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct metrics_http *h = cls;
	bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
	char *body;

	(void)version;
	(void)upload;
	/* the whole request, whatever body it carries, is refused or answered
	 * on its first call: nothing of an upload is kept */
	(void)req_cls;
	*upload_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && !head) {
		h->refused++;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     strdup("only GET /metrics here\n"), "GET, HEAD");
	}
	if (strcmp(url, "/metrics")) {
		h->refused++;
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain",
			     strdup("not found: xvipd serves /metrics\n"), NULL);
	}
	h->scrapes++;
	body = page(h->d);
	if (head) {
		free(body);
		body = NULL;
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, NULL);
}

static void run(struct metrics_http *h)
{
	if (MHD_run(h->mhd) != MHD_YES)
		xlog(LOG_DEBUG, "metrics_listen: MHD_run failed");
	rearm(h);
}

static void on_timer(struct loop *l, uint64_t id, void *arg)
{
	struct metrics_http *h = arg;

	(void)l;
	(void)id;
	h->timer = 0;
	run(h);
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	run(arg);
}

/* MHD's next deadline (a connection's timeout) as a loop timer */
static void rearm(struct metrics_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (h->timer) {
		loop_cancel_timer(h->d->loop, h->timer);
		h->timer = 0;
	}
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		h->timer = loop_add_timer(h->d->loop, now_us() + (uint64_t)ms * 1000 + 1000, on_timer, h);
}

struct metrics_http *metrics_http_open(struct xvipd *d, struct in_addr addr, uint16_t port,
				       char *err, size_t errlen)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	const union MHD_DaemonInfo *info;
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (!h) {
		snprintf(err, errlen, "metrics_listen %s:%u: out of memory", a, port);
		return NULL;
	}
	h->d = d;
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL, port, NULL, NULL,
				  on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)8,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)2,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)2,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
				  MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "metrics_listen %s:%u: cannot listen there: %s", a, port,
			 strerror(errno ? errno : EADDRINUSE));
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->epfd = info ? info->epoll_fd : -1;
	if (h->epfd < 0 || loop_add_fd(d->loop, h->epfd, EPOLLIN, on_readable, h) < 0) {
		snprintf(err, errlen, "metrics_listen %s:%u: cannot watch its events", a, port);
		MHD_stop_daemon(h->mhd);
		free(h);
		return NULL;
	}
	rearm(h);
	xlog(LOG_NOTICE, "metrics: http://%s:%u/metrics", a, port);
	return h;
}

void metrics_http_close(struct metrics_http *h)
{
	if (!h)
		return;
	if (h->timer)
		loop_cancel_timer(h->d->loop, h->timer);
	loop_del_fd(h->d->loop, h->epfd);
	MHD_stop_daemon(h->mhd);
	free(h);
}
