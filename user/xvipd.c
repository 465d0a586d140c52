/* xvipd: VRRP election for virtual IPs, driving the XDP data plane.
 *
 *   xvipd [-f FILE] [-t] [-n] [-l] [-D] [-p PIDFILE] [--pin-root DIR] [--generic|--native]
 *
 * Start: parse the config (refuse to start on any error), load and attach
 * the data plane, open sockets, start the instances, then run one epoll
 * loop. SIGTERM/SIGINT: a master announces priority 0 and releases its VIPs.
 * SIGHUP: reload; a config with errors is reported and the running one kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "deathwatch.h"
#include "log.h"
#include "mail.h"
#include "netlink.h"
#include "metrics_http.h"
#include "script_sec.h"
#include "scripts.h"
#include "selflife.h"
#include "service.h"
#include "control_client.h"
#include "witness.h"
#include "writer.h"
#include "xvipd.h"

#define DEFAULT_CONFIG "/etc/xvip/xvipd.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xvipd [options]\n"
		"  -f, --use-file FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"  -t, --config-test     check the configuration, print it normalized, exit\n"
		"                        (0: usable, 1: errors)\n"
		"  -n, --dont-fork       stay in the foreground\n"
		"  -l, --log-console     log to stderr (default: syslog once detached)\n"
		"  -D, --log-detail      debug logging\n"
		"  -p, --pid FILE        pid file (default /run/xvipd.pid; per pin root otherwise)\n"
		"      --pin-root DIR    bpffs directory for the maps (default " XVIP_PIN_ROOT_DEFAULT ")\n"
		"      --generic         attach XDP in generic (skb) mode\n"
		"      --native          attach XDP in native (driver) mode, and refuse to start\n"
		"                        where its frames could not leave (default: native\n"
		"                        where they can, generic elsewhere, with the reason logged)\n"
		"  -h, --help\n");
}

/* Parse path; every diagnostic goes out as "file:line: severity: message":
 * plain on stderr for -t (like a compiler), through the log otherwise. */
static int load_config(const char *path, struct xvip_config **out, bool plain)
{
	struct config_diag diag = CONFIG_DIAG_INIT;
	struct xvip_config *cfg = config_load(path, &diag);
	int disabled = 0;
	size_t errors = diag.errors;
	bool script_errors;

	/* who runs each script, and may it run (script_sec.h): a disabled
	 * vrrp_script is an error for -t, the daemon runs without it */
	if (cfg)
		disabled = scripts_prepare(cfg, NULL, NULL, &diag);
	if (disabled == -ENOMEM) {
		config_diag_add(&diag, CONFIG_ERROR, path, 0, "out of memory preparing the scripts");
		config_free(cfg);
		cfg = NULL;
	}
	if (plain) {
		config_diag_print(&diag, stderr);
	} else {
		for (size_t i = 0; i < diag.count; i++) {
			const struct config_diag_entry *e = &diag.entries[i];
			int prio = e->severity == CONFIG_ERROR ? LOG_ERR : LOG_WARNING;
			const char *sev = e->severity == CONFIG_ERROR ? "error" : "warning";

			if (e->line)
				xlog(prio, "%s:%u: %s: %s", e->file, e->line, sev, e->message);
			else
				xlog(prio, "%s: %s: %s", e->file, sev, e->message);
		}
	}
	if (!cfg) {
		if (plain)
			fprintf(stderr, "%s: %zu error(s): configuration refused\n", path, diag.errors);
		else
			xlog(LOG_ERR, "%s: %zu error(s), configuration not used", path, diag.errors);
	}
	script_errors = diag.errors > errors; /* a disabled vrrp_script */
	if (cfg && disabled > 0) {
		if (plain)
			fprintf(stderr, "%s: %d script(s) disabled: the daemon would run without them\n",
				path, disabled);
		else
			xlog(LOG_ERR, "%s: %d script(s) disabled (above): running without them", path,
			     disabled);
	}
	config_diag_free(&diag);
	*out = cfg;
	return cfg ? (plain && script_errors ? 1 : 0) : -EINVAL;
}

static void on_event(struct xvipd *d, const struct xvip_event *ev)
{
	if (ev->type == XVIP_EV_CONFLICT)
		vrrp_conflict(d, ev->saddr, ev->mac);
	else if (ev->type == XVIP_EV_MASTER_DOWN)
		vrrp_quiet_expired(d, ev);
	else if (ev->type == XVIP_EV_LIV_PEER)
		liv_peer_event(d, ev);
}

static int ringbuf_cb(void *ctx, void *data, size_t len)
{
	if (len >= sizeof(struct xvip_event))
		on_event(ctx, data);
	return 0;
}

static void events_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct xvipd *d = arg;

	(void)l;
	(void)fd;
	(void)events;
	ring_buffer__consume(d->events);
}

/* The virtual_server part of a reload: rebuilt from d->cfg, now or, while
 * a promotion is in flight, as soon as it ended (retried every 20 ms);
 * svc_cfg, the configuration the services point into, is freed once they
 * no longer do. */
static void services_retry(struct loop *l, uint64_t id, void *arg);

static void services_apply(struct xvipd *d)
{
	char err[256];
	int rc = service_reconfigure(d, err, sizeof(err));

	if (rc == -EBUSY && d->svc_retries++ < 500) {
		if (d->svc_retries == 1)
			xlog(LOG_NOTICE, "reload: virtual_server changes wait for the promotion in flight");
		d->svc_retry_timer = loop_add_timer(d->loop, now_us() + 20000, services_retry, d);
		if (d->svc_retry_timer)
			return;
	}
	if (rc < 0) {
		d->reload_failures++;
		xlog(LOG_ERR, "reload: virtual_server changes not applied (%s); the running "
		     "services are kept", rc == -EBUSY ? "a promotion stayed in flight for 10 s" : err);
		return;
	}
	if (d->svc_cfg != d->cfg)
		config_free(d->svc_cfg);
	d->svc_cfg = d->cfg;
}

static void services_retry(struct loop *l, uint64_t id, void *arg)
{
	struct xvipd *d = arg;

	(void)l;
	if (id != d->svc_retry_timer)
		return;
	d->svc_retry_timer = 0;
	services_apply(d);
}

static void reload(struct xvipd *d)
{
	struct xvip_config *next;
	char err[512];

	xlog(LOG_NOTICE, "SIGHUP: reloading %s", d->cfg_path);
	if (load_config(d->cfg_path, &next, false) < 0) {
		d->reload_failures++;
		xlog(LOG_ERR, "reload failed: keeping the running configuration");
		return;
	}
	bool svc_changed = !config_services_equal(d->svc_cfg, next);

	if (vrrp_reconfigure(d, next, err, sizeof(err)) < 0) {
		d->reload_failures++;
		xlog(LOG_ERR, "reload failed: %s; keeping the running configuration", err);
		config_free(next);
		return;
	}
	/* The one place the configurations change hands: the instances run
	 * next now; the services keep svc_cfg until services_apply rebuilds
	 * them from d->cfg. */
	if (d->cfg != d->svc_cfg)
		config_free(d->cfg);
	d->cfg = next;
	d->reloads++;
	xlog(LOG_NOTICE, "reload done: %zu instance(s)", d->n_inst);
	if (svc_changed || d->svc_retry_timer) {
		if (d->svc_retry_timer)
			loop_cancel_timer(d->loop, d->svc_retry_timer);
		d->svc_retry_timer = 0;
		d->svc_retries = 0;
		services_apply(d);
	}
}

static void signal_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct xvipd *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			xlog(LOG_NOTICE, "%s: stopping", strsignal((int)si.ssi_signo));
			d->stopping = true;
			loop_stop(l);
			return;
		case SIGHUP:
			reload(d);
			break;
		default:
			break;
		}
	}
}

/* keepalived's vrrp_rt_priority / vrrp_priority / vrrp_no_swap: adverts every
 * 10 ms must not wait behind a busy machine. SCHED_RESET_ON_FORK: scripts
 * start with normal scheduling and nice 0. MCL_ONFAULT: lock what is used,
 * not every mapping (sanitizer builds reserve terabytes). */
static void apply_scheduling(const struct config_global *g)
{
	struct sched_param sp = { .sched_priority = (int)g->rt_priority };

	if (g->no_swap && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
		xlog(LOG_WARNING, "vrrp_no_swap: mlockall: %s", strerror(errno));
	if (g->nice && setpriority(PRIO_PROCESS, 0, g->nice) < 0)
		xlog(LOG_WARNING, "vrrp_priority %d: %s", g->nice, strerror(errno));
	if (g->rt_priority || g->nice) {
		int policy = (g->rt_priority ? SCHED_RR : SCHED_OTHER) | SCHED_RESET_ON_FORK;

		if (sched_setscheduler(0, policy, &sp) < 0)
			xlog(LOG_WARNING, "vrrp_rt_priority %u: sched_setscheduler: %s",
			     g->rt_priority, strerror(errno));
		else if (g->rt_priority)
			xlog(LOG_INFO, "running with SCHED_RR priority %u", g->rt_priority);
	}
}

/* One xvipd per pin root: its pid file is locked (flock) for the daemon's
 * life, before anything is loaded. A second one over the same pins would
 * fight the first over the VIP and the writer (seen in the chaos test: two
 * daemons on one node, each promoting its own pick, both nodes writable).
 * A kill -9 releases the lock with the process. -1 with ERR: another one
 * runs; -2 with ERR: no lock could be taken (a warning, as before). */
static int pidfile_lock(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	char buf[32] = "";
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open the pid file %s: %s (no guard against a second "
			 "xvipd over the same pins)", path, strerror(errno));
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		snprintf(err, errlen, "cannot lock the pid file %s: %s (no guard against a second "
			 "xvipd over the same pins)", path, strerror(errno));
		close(fd);
		return -2;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(err, errlen, "another xvipd (pid %s) runs over the same pins: it holds the pid "
		 "file %s; refusing to start a second one", buf[0] ? buf : "unknown", path);
	close(fd);
	return -1;
}

static void pidfile_write(int fd, const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		xlog(LOG_WARNING, "cannot write pid file %s: %s", path, strerror(errno));
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	xlog(level == LIBBPF_WARN ? LOG_WARNING : LOG_INFO, "libbpf: %s", msg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "use-file", required_argument, NULL, 'f' },
		{ "config-test", no_argument, NULL, 't' },
		{ "dont-fork", no_argument, NULL, 'n' },
		{ "log-console", no_argument, NULL, 'l' },
		{ "log-detail", no_argument, NULL, 'D' },
		{ "pid", required_argument, NULL, 'p' },
		{ "pin-root", required_argument, NULL, 'P' },
		{ "generic", no_argument, NULL, 'G' },
		{ "native", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xvipd d = { .cfg_path = DEFAULT_CONFIG, .ctl_fd = -1 };
	const char *pidfile = NULL, *pin_root = XVIP_PIN_ROOT_DEFAULT;
	bool test = false, foreground = false, to_stderr = false, debug = false;
	char err[512], pidbuf[300];
	sigset_t mask;
	int c, rc = 1, sfd = -1, pid_fd = -1;

	while ((c = getopt_long(argc, argv, "f:tnlDp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': d.cfg_path = optarg; break;
		case 't': test = true; break;
		case 'n': foreground = true; break;
		case 'l': to_stderr = true; break;
		case 'D': debug = true; break;
		case 'p': pidfile = optarg; break;
		case 'P': pin_root = optarg; break;
		case 'G':
		case 'N':
			if (d.xdp_pref != XDP_PREF_AUTO) {
				fprintf(stderr, "xvipd: --generic and --native exclude each other\n");
				return 1;
			}
			d.xdp_pref = c == 'G' ? XDP_PREF_GENERIC : XDP_PREF_NATIVE;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xvipd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	log_init("xvipd", true, debug);
	if (test) {
		struct xvip_config *cfg;

		int rc = load_config(d.cfg_path, &cfg, true);

		if (rc < 0)
			return 1;
		config_dump_redacted(cfg, stdout);
		config_free(cfg);
		return rc ? 1 : 0;
	}
	snprintf(d.pin_root, sizeof(d.pin_root), "%s", pin_root);
	if (load_config(d.cfg_path, &d.cfg, false) < 0)
		return 1;
	if (!pidfile) {
		if (strcmp(pin_root, XVIP_PIN_ROOT_DEFAULT) == 0) {
			pidfile = "/run/xvipd.pid";
		} else {
			control_path(pin_root, pidbuf, sizeof(pidbuf));
			strcpy(pidbuf + strlen(pidbuf) - 5, ".pid");
			pidfile = pidbuf;
		}
	}
	/* before detaching, so that the refusal reaches the terminal; the
	 * detached child keeps the lock (the same open file) */
	pid_fd = pidfile_lock(pidfile, err, sizeof(err));
	if (pid_fd == -1) {
		xlog(LOG_ERR, "%s", err);
		config_free(d.cfg);
		return 1;
	}
	if (pid_fd < 0)
		xlog(LOG_WARNING, "%s", err);
	if (!foreground) {
		if (daemon(0, 0) < 0) {
			xlog(LOG_ERR, "cannot detach: %s", strerror(errno));
			return 1;
		}
	}
	log_init("xvipd", to_stderr || foreground, debug);
	libbpf_set_print(libbpf_log);
	apply_scheduling(&d.cfg->global);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	d.loop = loop_new();
	if (!d.loop) {
		xlog(LOG_ERR, "cannot create the event loop: %s", strerror(errno));
		return 1;
	}
	d.started_us = now_us();
	d.mailer = mailer_new(d.loop);
	if (!d.mailer)
		xlog(LOG_WARNING, "cannot start libcurl: no mail (smtp_alert)");
	/* opened below when there is a MYSQL_CHECK, else when one (added by a
	 * reload) first finds its server local */
	dw_configure(d.loop, d.pin_root);
	if (dp_open(&d.dp, d.pin_root, err, sizeof(err)) < 0) {
		xlog(LOG_ERR, "%s", err);
		goto out;
	}
	xlog(LOG_INFO, "data plane loaded, maps pinned under %s", d.pin_root);
	d.life_token = life_open(d.pin_root, err, sizeof(err));
	if (d.life_token)
		xlog(LOG_INFO, "the kernel watches this daemon's death (xvipd_life, pid %d): a "
		     "fast-liveness VIP falls silent the moment it dies", (int)getpid());
	else
		xlog(LOG_INFO, "the kernel cannot watch this daemon's death (%s): fast liveness "
		     "renews a two-interval lease every interval instead", err);
	/* The death watch's load (the verifier, ~20 ms of CPU) comes now,
	 * before any timer runs, not in the first check's callback. */
	if (config_has_mysql_check(d.cfg))
		(void)dw_get();
	/* the instances tell the services of their changes */
	d.hooks.owner_changed = service_owner_changed;
	d.hooks.instance_fault = service_instance_fault;
	d.hooks.instances_replaced = service_rebind;
	if (d.cfg->global.witness_zookeeper) {
		const struct config_global *g = &d.cfg->global;

		d.witness = witness_new(d.loop, g->witness_zookeeper, g->witness_session_timeout_ms,
					g->witness_root ? g->witness_root : "/xvip", svc_witness_state, &d);
		if (!d.witness) {
			xlog(LOG_ERR, "witness %s: cannot start a ZooKeeper client: %s",
			     g->witness_zookeeper, strerror(errno));
			goto out;
		}
		xlog(LOG_NOTICE, "witness: ZooKeeper %s, session timeout %u ms", g->witness_zookeeper,
		     g->witness_session_timeout_ms);
	}
	if (vrrp_setup(&d, err, sizeof(err)) < 0 || service_setup(&d, err, sizeof(err)) < 0) {
		xlog(LOG_ERR, "%s", err);
		goto out;
	}
	d.svc_cfg = d.cfg;
	d.events = ring_buffer__new(d.dp.maps.events, ringbuf_cb, &d, NULL);
	if (!d.events || loop_add_fd(d.loop, ring_buffer__epoll_fd(d.events), EPOLLIN,
				     events_readable, &d) < 0) {
		xlog(LOG_ERR, "cannot read the events ring buffer: %s", strerror(errno));
		goto out;
	}
	d.linkmon = nl_monitor_open(d.loop, vrrp_link_changed, &d, err, sizeof(err));
	if (!d.linkmon)
		xlog(LOG_WARNING, "link monitor: %s (track_interface will not react)", err);
	else if (nl_monitor_neigh(d.linkmon, service_neigh_changed, &d) < 0)
		xlog(LOG_WARNING, "link monitor: cannot follow the neighbour table (a real "
		     "server's new MAC is seen only at the next DR rewrite)");
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || loop_add_fd(d.loop, sfd, EPOLLIN, signal_readable, &d) < 0) {
		xlog(LOG_ERR, "signalfd: %s", strerror(errno));
		goto out;
	}
	if (control_open(&d, err, sizeof(err)) < 0)
		xlog(LOG_WARNING, "%s (xvipctl will show the maps only)", err);
	if (d.cfg->global.metrics_listen &&
	    !(d.metrics = metrics_http_open(&d, d.cfg->global.metrics_addr,
					    d.cfg->global.metrics_port, err, sizeof(err))))
		xlog(LOG_ERR, "%s: no metrics endpoint (VRRP and the checks go on)", err);
	if (pid_fd >= 0)
		pidfile_write(pid_fd, pidfile);
	xlog(LOG_NOTICE, "started: %zu instance(s), config %s", d.n_inst, d.cfg_path);

	vrrp_start_all(&d);
	rc = loop_run(d.loop) < 0 ? 1 : 0;

	vrrp_shutdown_all(&d);
out:
	metrics_http_close(d.metrics);
	d.metrics = NULL;
	control_close(&d);
	/* notify_stop ran above: let notify scripts end (bounded) */
	scripts_finish(SCRIPT_STOP_WAIT_US);
	if (d.linkmon)
		nl_monitor_close(d.linkmon);
	if (d.events)
		ring_buffer__free(d.events);
	if (d.n_ifaces)
		for (size_t i = 0; i < d.n_ifaces; i++)
			if (dp_detach(&d.dp, &d.ifaces[i].att, err, sizeof(err)) < 0)
				xlog(LOG_WARNING, "%s", err);
	/* the session closed first: the writer's key goes at once (a clean
	 * stop tells the peer), and no witness callback runs into freed
	 * services */
	if (d.witness)
		witness_free(d.witness);
	service_teardown(&d);
	check_mysql_drain();
	dw_shutdown();
	vrrp_teardown(&d);
	life_close();
	dp_close(&d.dp);
	if (sfd >= 0)
		close(sfd);
	mailer_free(d.mailer);
	loop_free(d.loop);
	writer_notify_drop();
	if (d.svc_cfg && d.svc_cfg != d.cfg)
		config_free(d.svc_cfg);
	config_free(d.cfg);
	/* last, still locked: the next xvipd starts over released pins */
	if (pid_fd >= 0) {
		unlink(pidfile);
		close(pid_fd);
	}
	xlog(LOG_NOTICE, "stopped");
	return rc;
}
