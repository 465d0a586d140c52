/* The local mysqld's death watch: the loader and the ring buffer's reader
 * (see deathwatch.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "deathwatch.h"
#include "log.h"
#include "mysqld_watch.skel.h"
#include "sockkill.h"

#define DW_MAX_SUBS (XVIP_WATCH_MAX_PIDS * 4)

struct dw_sub {
	uint32_t tgid; /* 0: free */
	dw_cb cb;
	void *arg;
};

struct deathwatch {
	struct loop *l;
	struct mysqld_watch_bpf *skel;
	struct ring_buffer *rb;
	int map_fd;
	char root[256];
	struct dw_sub sub[DW_MAX_SUBS];
	uint64_t lost_seen;
	/* the connection table (mysqld_ports, mysqld_conns) */
	int ports_fd, conns_fd;
	uint32_t netns;
	uint16_t tracked[XVIP_WATCH_MAX_PORTS];
	size_t n_tracked;
	bool full_said;
	uint64_t misses_base;
};

/* ---- pure helpers ---- */

const char *dw_event_str(uint32_t type)
{
	switch (type) {
	case XVIP_MYSQLD_KILLED: return "killed";
	case XVIP_MYSQLD_EXITING: return "exiting";
	case XVIP_MYSQLD_DEAD: return "gone";
	case XVIP_MYSQLD_STOPPED: return "stopped";
	}
	return "unknown";
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGKILL: return "SIGKILL";
	case SIGSTOP: return "SIGSTOP";
	case SIGTSTP: return "SIGTSTP";
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGTERM: return "SIGTERM";
	}
	return "";
}

static void sender(const struct xvip_mysqld_event *ev, char *buf, size_t len)
{
	char comm[sizeof(ev->sender_comm) + 1];
	size_t i;

	if (!ev->sender_tgid) {
		snprintf(buf, len, "the kernel");
		return;
	}
	/* a comm is the sender's to choose: printable bytes only */
	for (i = 0; i < sizeof(ev->sender_comm) && ev->sender_comm[i]; i++) {
		unsigned char ch = (unsigned char)ev->sender_comm[i];

		comm[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	comm[i] = '\0';
	snprintf(buf, len, "pid %u (%s)", ev->sender_tgid, comm);
}

void dw_describe(const struct xvip_mysqld_event *ev, char *buf, size_t len)
{
	char from[64];
	const char *name = sig_name(ev->sig);

	switch (ev->type) {
	case XVIP_MYSQLD_KILLED:
	case XVIP_MYSQLD_STOPPED:
		sender(ev, from, sizeof(from));
		snprintf(buf, len, "%s by signal %d%s%s%s from %s", dw_event_str(ev->type), ev->sig,
			 name[0] ? " (" : "", name, name[0] ? ")" : "", from);
		return;
	case XVIP_MYSQLD_EXITING:
	case XVIP_MYSQLD_DEAD:
		if (ev->exit_code & 0x7f) {
			name = sig_name(ev->exit_code & 0x7f);
			snprintf(buf, len, "%s (signal %d%s%s)", dw_event_str(ev->type),
				 ev->exit_code & 0x7f, name[0] ? " " : "", name);
		} else
			snprintf(buf, len, "%s (exit status %d)", dw_event_str(ev->type),
				 (ev->exit_code >> 8) & 0xff);
		return;
	}
	snprintf(buf, len, "event %u", ev->type);
}

long dw_parse_pidfile(const char *text)
{
	char *end;
	long pid;

	while (*text == ' ' || *text == '\t')
		text++;
	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno || pid <= 0 || pid > 0x3fffffff)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	return *end ? -1 : pid;
}

bool dw_nspid_initial(const char *status_text)
{
	const char *p = strstr(status_text, "\nNSpid:");
	int fields = 0;

	if (!p)
		return false;
	p += strlen("\nNSpid:");
	while (*p && *p != '\n') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p >= '0' && *p <= '9') {
			fields++;
			while (*p >= '0' && *p <= '9')
				p++;
		} else if (*p && *p != '\n') {
			return false;
		}
	}
	return fields == 1;
}

/* ---- the ring buffer ---- */

static int on_event(void *ctx, void *data, size_t size)
{
	struct deathwatch *dw = ctx;
	struct xvip_mysqld_event ev;
	struct dw_sub subs[DW_MAX_SUBS];
	size_t n = 0;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	/* callbacks may watch and unwatch: call a copy */
	for (size_t i = 0; i < DW_MAX_SUBS; i++)
		if (dw->sub[i].tgid == ev.tgid)
			subs[n++] = dw->sub[i];
	if (ev.type == XVIP_MYSQLD_DEAD) {
		for (size_t i = 0; i < DW_MAX_SUBS; i++)
			if (dw->sub[i].tgid == ev.tgid)
				dw->sub[i].tgid = 0;
		bpf_map_delete_elem(dw->map_fd, &ev.tgid);
	}
	for (size_t i = 0; i < n; i++)
		subs[i].cb(subs[i].arg, &ev);
	return 0;
}

static void rb_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct deathwatch *dw = arg;
	uint64_t lost;

	(void)l;
	(void)fd;
	(void)events;
	ring_buffer__consume(dw->rb);
	lost = dw_lost(dw);
	if (lost != dw->lost_seen) {
		xlog(LOG_WARNING, "mysqld death watch: %llu event(s) lost (ring buffer full)",
		     (unsigned long long)(lost - dw->lost_seen));
		dw->lost_seen = lost;
	}
}

uint64_t dw_lost(const struct deathwatch *dw)
{
	return dw->skel && dw->skel->bss ? dw->skel->bss->lost_events : 0;
}

/* ---- open / close ---- */

static uint64_t recursion_misses(struct deathwatch *dw);

/* The program's pinned maps (LIBBPF_PIN_BY_NAME under the pin root). */
static const char *const pinned_maps[] = { "mysqld_pids", "mysqld_ports", "mysqld_conns" };

/* Removes their pins; true when one was there. */
static bool unlink_pins(const char *root)
{
	bool any = false;

	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		char p[320];

		snprintf(p, sizeof(p), "%s/%s", root, pinned_maps[i]);
		any |= access(p, F_OK) == 0 && unlink(p) == 0;
	}
	return any;
}

static void clear_map(int fd)
{
	union key {
		uint32_t tgid;
		struct xvip_port_key port;
		uint64_t cookie;
	} key, next;
	int rc;

	/* entries of a previous run are not ours any more: each key is
	 * deleted once the next is known (a walk from the first key after
	 * each delete would scan every bucket every time) */
	if (bpf_map_get_next_key(fd, NULL, &key) < 0)
		return;
	do {
		rc = bpf_map_get_next_key(fd, &key, &next);
		bpf_map_delete_elem(fd, &key);
		key = next;
	} while (rc == 0);
}

bool dw_self_in_initial_pidns(void)
{
	char status[4096];
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	n = fd >= 0 ? read(fd, status + 1, sizeof(status) - 2) : -1;
	if (fd >= 0)
		close(fd);
	status[0] = '\n';
	status[n > 0 ? n + 1 : 1] = '\0';
	return dw_nspid_initial(status);
}

struct deathwatch *dw_open(struct loop *l, const char *pin_root, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	struct deathwatch *dw;
	int rc;

	if (!dw_self_in_initial_pidns()) {
		snprintf(err, errlen, "xvipd runs in a pid namespace of its own: the kernel's pids "
			 "and the ones it reads differ");
		errno = EPERM;
		return NULL;
	}
	dw = calloc(1, sizeof(*dw));
	if (!dw) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dw->l = l;
	dw->map_fd = dw->ports_fd = dw->conns_fd = -1;
	snprintf(dw->root, sizeof(dw->root), "%s", pin_root);
	for (int attempt = 0; attempt < 2; attempt++) {
		dw->skel = mysqld_watch_bpf__open_opts(&opts);
		if (!dw->skel) {
			rc = -errno;
			snprintf(err, errlen, "cannot open the watch program: %s", strerror(-rc));
			goto fail;
		}
		rc = mysqld_watch_bpf__load(dw->skel);
		if (!rc)
			break;
		mysqld_watch_bpf__destroy(dw->skel);
		dw->skel = NULL;
		/* a pin of another layout (an older xvipd): replace them once */
		if (attempt == 0 && unlink_pins(pin_root))
			continue;
		snprintf(err, errlen, "cannot load the watch program: %s", strerror(-rc));
		goto fail;
	}
	dw->map_fd = bpf_map__fd(dw->skel->maps.mysqld_pids);
	dw->ports_fd = bpf_map__fd(dw->skel->maps.mysqld_ports);
	dw->conns_fd = bpf_map__fd(dw->skel->maps.mysqld_conns);
	clear_map(dw->map_fd);
	clear_map(dw->ports_fd);
	clear_map(dw->conns_fd);
	{
		struct stat st;

		dw->netns = stat("/proc/self/ns/net", &st) == 0 ? (uint32_t)st.st_ino : 0;
	}
	/* only this namespace's sockets, checked before anything else */
	dw->skel->bss->netns_filter = dw->netns;
	rc = mysqld_watch_bpf__attach(dw->skel);
	if (rc) {
		snprintf(err, errlen, "cannot attach to the signal_generate, sched_process_exit and "
			 "inet_sock_set_state tracepoints: %s", strerror(-rc));
		goto fail;
	}
	dw->misses_base = recursion_misses(dw);
	dw->rb = ring_buffer__new(bpf_map__fd(dw->skel->maps.mysqld_events), on_event, dw, NULL);
	if (!dw->rb) {
		rc = -errno;
		snprintf(err, errlen, "cannot read its ring buffer: %s", strerror(-rc));
		goto fail;
	}
	if (loop_add_fd(l, ring_buffer__epoll_fd(dw->rb), EPOLLIN, rb_readable, dw) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot watch its ring buffer: %s", strerror(-rc));
		goto fail;
	}
	return dw;
fail:
	dw_close(dw);
	errno = -rc;
	return NULL;
}

void dw_close(struct deathwatch *dw)
{
	if (!dw)
		return;
	if (dw->rb) {
		loop_del_fd(dw->l, ring_buffer__epoll_fd(dw->rb));
		ring_buffer__free(dw->rb);
	}
	if (dw->skel) {
		clear_map(dw->map_fd);
		clear_map(dw->ports_fd);
		clear_map(dw->conns_fd);
		mysqld_watch_bpf__destroy(dw->skel);
		unlink_pins(dw->root);
	}
	free(dw);
}

int dw_watch(struct deathwatch *dw, uint32_t tgid, uint16_t port, dw_cb cb, void *arg)
{
	struct xvip_mysqld_watch w = { .since_ns = mono_ns(), .port = port };
	struct dw_sub *free_sub = NULL;
	bool first = true;

	if (!tgid)
		return -EINVAL;
	for (size_t i = 0; i < DW_MAX_SUBS; i++) {
		if (dw->sub[i].tgid == tgid) {
			first = false;
			if (dw->sub[i].arg == arg) {
				dw->sub[i].cb = cb;
				return 0;
			}
		} else if (!dw->sub[i].tgid && !free_sub) {
			free_sub = &dw->sub[i];
		}
	}
	if (!free_sub)
		return -ENOSPC;
	/* BPF_NOEXIST: a second subscriber keeps the entry's history */
	if (bpf_map_update_elem(dw->map_fd, &tgid, &w, first ? BPF_ANY : BPF_NOEXIST) < 0 &&
	    (first || errno != EEXIST))
		return errno == E2BIG ? -ENOSPC : -errno;
	free_sub->tgid = tgid;
	free_sub->cb = cb;
	free_sub->arg = arg;
	return 0;
}

void dw_unwatch(struct deathwatch *dw, uint32_t tgid, void *arg)
{
	bool left = false;

	if (!dw || !tgid)
		return;
	for (size_t i = 0; i < DW_MAX_SUBS; i++) {
		if (dw->sub[i].tgid != tgid)
			continue;
		if (dw->sub[i].arg == arg)
			dw->sub[i].tgid = 0;
		else
			left = true;
	}
	if (!left)
		bpf_map_delete_elem(dw->map_fd, &tgid);
}

/* ---- the connection table ---- */

/* Times the kernel skipped the connection program because it was already
 * running on that CPU (a softirq's state change inside a process's): each
 * may be a socket the table missed. */
static uint64_t recursion_misses(struct deathwatch *dw)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(dw->skel->progs.mysqld_conn_state), &info,
				   &len) < 0)
		return UINT64_MAX;
	return info.recursion_misses;
}

struct seed_ctx {
	int fd;
	uint32_t netns;
	size_t n;
};

static int seed_one(void *arg, const struct sockkill_tuple *t)
{
	struct seed_ctx *sc = arg;
	struct xvip_conn v = { .since_ns = mono_ns(), .netns = sc->netns, .state = t->state,
			       .lport = t->lport, .rport = t->rport, .family = t->family,
			       .ifindex = t->ifindex };

	memcpy(v.laddr, t->laddr, sizeof(v.laddr));
	memcpy(v.raddr, t->raddr, sizeof(v.raddr));
	/* BPF_NOEXIST: what the tracepoint wrote since is newer */
	if (bpf_map_update_elem(sc->fd, &t->cookie, &v, BPF_NOEXIST) == 0)
		sc->n++;
	else if (errno != EEXIST)
		return -errno;
	return 0;
}

static bool port_tracked(const struct deathwatch *dw, uint16_t port)
{
	for (size_t i = 0; i < dw->n_tracked; i++)
		if (dw->tracked[i] == port)
			return true;
	return false;
}

int dw_track_port(struct deathwatch *dw, uint16_t port, char *err, size_t errlen)
{
	struct xvip_port_key pk = { .netns = dw->netns, .port = port };
	struct sockkill_filter f = { .port = port, .listeners = true };
	struct seed_ctx sc = { .fd = dw->conns_fd, .netns = dw->netns };
	uint32_t one = 1;
	uint64_t t0 = now_us();
	int rc;

	if (port_tracked(dw, port))
		return 0;
	if (!dw->netns) {
		snprintf(err, errlen, "the network namespace's inode is unknown");
		return -ENOENT;
	}
	if (dw->n_tracked == XVIP_WATCH_MAX_PORTS) {
		snprintf(err, errlen, "more than %d ports", XVIP_WATCH_MAX_PORTS);
		return -ENOSPC;
	}
	/* the tracepoint first, then the dump: a socket that comes or goes
	 * during the dump is the tracepoint's */
	if (bpf_map_update_elem(dw->ports_fd, &pk, &one, BPF_ANY) < 0) {
		rc = -errno;
		snprintf(err, errlen, "mysqld_ports: %s", strerror(-rc));
		return rc;
	}
	rc = sockkill_list(&f, seed_one, &sc, err, errlen);
	if (rc) {
		bpf_map_delete_elem(dw->ports_fd, &pk);
		return rc;
	}
	dw->tracked[dw->n_tracked++] = port;
	xlog(LOG_INFO, "port %u: the kernel keeps the table of its connections (mysqld_conns): "
	     "%zu seeded from one dump in %llu us", port, sc.n,
	     (unsigned long long)(now_us() - t0));
	return 0;
}

int dw_table_get(struct deathwatch *dw, uint16_t port, struct dw_table *t)
{
	uint64_t missed;

	t->fd = -1;
	if (!dw || !port_tracked(dw, port))
		return -ENOENT;
	missed = recursion_misses(dw) - dw->misses_base;
	if (dw->skel->bss->conns_full || missed) {
		if (!dw->full_said)
			xlog(LOG_WARNING, "mysqld_conns: %llu socket(s) found it full, %llu state "
			     "change(s) missed: releases dump the kernel's connection hash instead "
			     "(restart xvipd to start over)",
			     (unsigned long long)dw->skel->bss->conns_full,
			     (unsigned long long)missed);
		dw->full_said = true;
		return -EOVERFLOW;
	}
	t->fd = fcntl(dw->conns_fd, F_DUPFD_CLOEXEC, 0);
	if (t->fd < 0)
		return -errno;
	t->netns = dw->netns;
	t->port = port;
	return 0;
}

int dw_table_read(struct dw_table *t, struct sockkill_tuple **out, size_t *n)
{
	uint64_t key, next;
	struct sockkill_tuple *v = NULL;
	size_t cap = 0, rounds = 0;
	void *prev = NULL;

	*out = NULL;
	*n = 0;
	/* a key deleted under the walk restarts it from the first: bounded,
	 * and a socket named twice is only destroyed once */
	while (bpf_map_get_next_key(t->fd, prev, &next) == 0) {
		struct xvip_conn c;

		if (rounds++ == 2 * XVIP_WATCH_MAX_CONNS) {
			free(v);
			*n = 0;
			return -E2BIG; /* a walk that keeps restarting: the dump then */
		}

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(t->fd, &key, &c) < 0)
			continue; /* gone under the walk */
		if (c.netns != t->netns || c.lport != t->port)
			continue;
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			struct sockkill_tuple *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				free(v);
				*n = 0;
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		v[*n] = (struct sockkill_tuple){ .cookie = key, .ifindex = c.ifindex,
						 .family = c.family,
						 .state = (uint8_t)c.state, .lport = c.lport,
						 .rport = c.rport };
		memcpy(v[*n].laddr, c.laddr, sizeof(c.laddr));
		memcpy(v[*n].raddr, c.raddr, sizeof(c.raddr));
		(*n)++;
	}
	*out = v;
	return 0;
}

void dw_table_put(struct dw_table *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* ---- the daemon's one watch ---- */

static struct {
	struct loop *l;
	char pin_root[256];
	struct deathwatch *dw;
	bool failed;
} g_dw;

void dw_configure(struct loop *l, const char *pin_root)
{
	g_dw.l = l;
	snprintf(g_dw.pin_root, sizeof(g_dw.pin_root), "%s", pin_root);
	g_dw.failed = false;
}

struct deathwatch *dw_get(void)
{
	char err[300];

	if (g_dw.dw || g_dw.failed || !g_dw.l)
		return g_dw.dw;
	g_dw.dw = dw_open(g_dw.l, g_dw.pin_root, err, sizeof(err));
	if (!g_dw.dw) {
		g_dw.failed = true;
		xlog(LOG_WARNING, "mysqld death watch unavailable: %s (a killed local mysqld is seen "
		     "when its connection drops, after its teardown)", err);
	} else {
		xlog(LOG_INFO, "mysqld death watch: tracepoints signal_generate, "
		     "sched_process_exit and inet_sock_set_state attached, watched pids in "
		     "%s/mysqld_pids", g_dw.pin_root);
	}
	return g_dw.dw;
}

void dw_shutdown(void)
{
	dw_close(g_dw.dw);
	g_dw.dw = NULL;
	g_dw.l = NULL;
}
