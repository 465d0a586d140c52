/* The control socket: a Unix stream socket per daemon, one request line in,
 * one reply out, then close. Its path is derived from the pin root, so that
 * `xvipctl --pin-root DIR` finds the daemon that owns DIR. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "mail.h"
#include "sbuf.h"
#include "service.h"
#include "control_client.h"
#include "fmt.h"
#include "xvipd.h"


/* The VIP's entry in the data plane and the ms its lease has left. */
static long long vip_lease(struct xvipd *d, uint32_t addr, uint64_t ns, struct vip_entry *v)
{
	memset(v, 0, sizeof(*v));
	if (dp_vip_get(&d->dp.maps, addr, v) == 0 && v->lease_expires_ns > ns)
		return (long long)((v->lease_expires_ns - ns) / 1000000);
	return 0;
}

char *status_json(struct xvipd *d)
{
	struct sbuf b = { 0 };
	uint64_t now = now_us(), ns = mono_ns();
	char a[INET_ADDRSTRLEN];

	vrrp_quiet_refresh(d);
	sb_printf(&b, "{\"pid\":%d,\"config\":", (int)getpid());
	sb_json_str(&b, d->cfg_path);
	sb_printf(&b, ",\"router_id\":");
	sb_json_str(&b, d->cfg->global.router_id);
	{
		struct mailer_stats ms = mailer_stats(d->mailer);

		sb_printf(&b, ",\"uptime_ms\":%llu,\"reloads\":%llu,\"reload_failures\":%llu,"
			  "\"mail\":{\"sent\":%llu,\"failed\":%llu,\"dropped\":%llu,"
			  "\"in_flight\":%u},\"interfaces\":[",
			  (unsigned long long)((now - d->started_us) / 1000),
			  (unsigned long long)d->reloads, (unsigned long long)d->reload_failures,
			  (unsigned long long)ms.sent, (unsigned long long)ms.failed,
			  (unsigned long long)ms.dropped, ms.in_flight);
	}
	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct xvip_attach *att = &d->ifaces[i].att;

		sb_printf(&b, "%s{\"name\":", i ? "," : "");
		sb_json_str(&b, d->ifaces[i].name);
		sb_printf(&b, ",\"ifindex\":%d,\"xdp_mode\":\"%s\",\"xdp_why\":", d->ifaces[i].ifindex,
			  att->ifindex ? dp_attach_mode(att) : "none");
		sb_json_str(&b, att->why);
		sb_printf(&b, ",\"xdp_warning\":");
		sb_json_str(&b, att->warning);
		sb_printf(&b, "}");
	}
	sb_printf(&b, "],\"instances\":[");
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];
		const struct config_vrrp_instance *c = in->cfg;

		sb_printf(&b, "%s{\"name\":", i ? "," : "");
		sb_json_str(&b, c->name);
		sb_printf(&b,
			  ",\"state\":\"%s\",\"interface\":\"%s\",\"vrid\":%u,\"version\":%u,"
			  "\"priority\":%u,\"base_priority\":%u,\"advert_int_ms\":%u,"
			  "\"preempt\":%s,\"vip_mode\":\"%s\",\"auth\":\"%s\",",
			  vrrp_state_str(in->fsm.state), c->interface, c->virtual_router_id,
			  c->version, in->fsm.effective_priority, c->priority, c->advert_int_ms,
			  c->nopreempt ? "false" : "true",
			  c->vip_mode == CONFIG_VIP_MODE_LO ? "lo" : "interface",
			  c->auth_key.len ? "hmac-sha256" :
			  c->auth_type == CONFIG_AUTH_PASS ? "pass" : "none");
		if (in->fsm.state == VRRP_STATE_MASTER)
			sb_printf(&b, "\"master\":\"%s\",\"master_priority\":%u,", ip4_str(in->src_addr, a),
				  in->fsm.effective_priority);
		else if (in->fsm.master_addr)
			sb_printf(&b, "\"master\":\"%s\",\"master_priority\":%u,",
				  ip4_str(in->fsm.master_addr, a), in->fsm.master_priority);
		else
			sb_printf(&b, "\"master\":null,\"master_priority\":null,");
		sb_printf(&b, "\"vips\":[");
		for (size_t k = 0; k < c->n_vips; k++) {
			struct vip_entry v;
			uint32_t addr = c->vips[k].addr.s_addr;
			long long left = vip_lease(d, addr, ns, &v);

			sb_printf(&b, "%s{\"vip\":\"%s\",\"owner\":%s,\"lease_left_ms\":%lld}",
				  k ? "," : "", ip4_str(addr, a), v.owner ? "true" : "false", left);
		}
		sb_printf(&b,
			  "],\"adverts_sent\":%llu,\"adverts_received\":%llu,"
			  "\"adverts_absorbed\":%llu,\"kernel_master_down\":%llu,\"conflicts\":%llu,"
			  "\"garp_sent\":%llu,\"became_master\":%llu,\"lease_lapses\":%llu,"
			  "\"lease_lapse_max_us\":%llu,\"rejected\":{",
			  (unsigned long long)in->tx_adverts, (unsigned long long)in->rx_adverts,
			  (unsigned long long)in->quiet_absorbed,
			  (unsigned long long)in->quiet_wakeups,
			  (unsigned long long)in->conflicts, (unsigned long long)in->garp_sent,
			  (unsigned long long)in->became_master,
			  (unsigned long long)in->lease_lapses,
			  (unsigned long long)in->lease_lapse_max_us);
		/* rx_reject[0] counts adverts from outside the unicast peer list */
		for (int r = 0, first = 1; r < VRRP_REJ_NR; r++) {
			if (!in->rx_reject[r])
				continue;
			sb_printf(&b, "%s\"%s\":%llu", first ? "" : ",",
				  r ? vrrp_reject_str(-r) : "not_a_unicast_peer",
				  (unsigned long long)in->rx_reject[r]);
			first = 0;
		}
		sb_printf(&b, "},\"liveness\":");
		if (c->liveness_interval_ms) {
			const struct liveness *l = &in->liv;

			sb_printf(&b, "{\"interval_ms\":%u,\"multiplier\":%u,\"phase\":\"%s\","
				  "\"watching\":", c->liveness_interval_ms, l->multiplier,
				  liv_phase_str(l->phase));
			if (l->master)
				sb_printf(&b, "\"%s\"", ip4_str(l->master, a));
			else
				sb_printf(&b, "null");
			sb_printf(&b, ",\"echoes_sent\":%llu,\"intervals_missed\":%llu,"
				  "\"longest_miss_run\":%u,\"presumed_dead\":%llu,"
				  "\"presumed_dead_then_answered\":%llu,\"late_hold_max_us\":%llu,"
				  "\"rtt_us\":%llu,\"send_errors\":%llu,\"peers\":%zu,\"renewals\":%llu,"
				  "\"renewal_late_max_us\":%llu,\"lease_lapses\":%llu}",
				  (unsigned long long)l->echoes_sent,
				  (unsigned long long)l->intervals_missed, l->max_missed,
				  (unsigned long long)l->presumed_dead,
				  (unsigned long long)l->late_verdicts,
				  (unsigned long long)l->late_hold_max_us,
				  (unsigned long long)(in->liv_rtt_ns / 1000),
				  (unsigned long long)in->liv_send_errors, in->n_liv_peers,
				  (unsigned long long)in->liv_renewals,
				  (unsigned long long)in->liv_renew_late_max_us,
				  (unsigned long long)in->lease_lapses);
		} else {
			sb_printf(&b, "null");
		}
		sb_printf(&b, ",\"transitions\":[");
		for (unsigned k = 0; k < vrrp_history_len(in); k++) {
			const struct transition *t = vrrp_history(in, k);

			sb_printf(&b, "%s{\"at_ms_ago\":%llu,\"wall_ms\":%lld,\"from\":\"%s\",\"to\":\"%s\","
				  "\"reason\":",
				  k ? "," : "", (unsigned long long)((now - t->at_us) / 1000),
				  (long long)t->wall_ms, vrrp_state_str(t->from), vrrp_state_str(t->to));
			sb_json_str(&b, t->reason);
			sb_printf(&b, ",\"decision_to_map_us\":%u,\"decision_to_garp_us\":%u,\"wall_us\":%lld}",
				  t->decision_to_map_us, t->decision_to_garp_us, (long long)t->wall_us);
		}
		sb_printf(&b, "]}");
	}
	sb_printf(&b, "],\"services\":");
	service_status_json(d, &b);
	sb_printf(&b, "}\n");
	return b.s;
}

/* Prometheus text exposition (version 0.0.4): each family's samples
 * together, after its HELP and TYPE. */
static void metric_head(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, quote and newline escaped (rotating buffers). */
static const char *lv(const char *v)
{
	static char buf[4][128];
	static int k;
	char *o = buf[k = (k + 1) % 4];
	size_t n = 0;

	for (; v && *v && n + 3 < sizeof(buf[0]); v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			o[n++] = '\\';
		o[n++] = *v == '\n' ? 'n' : *v;
	}
	o[n] = 0;
	return o;
}

/* one sample per instance: labels instance and vrid */
#define PER_INSTANCE(b, d, metric, fmt, expr)                                                      \
	for (size_t i_ = 0; i_ < (d)->n_inst; i_++) {                                            \
		struct vrrp_rt *in = &(d)->inst[i_];                                              \
		sb_printf(b, "%s{instance=\"%s\",vrid=\"%u\"} " fmt "\n", metric, lv(in->cfg->name), \
			  in->cfg->virtual_router_id, expr);                                      \
	}

/* the per-instance counters, as metric families */
static const struct {
	const char *name, *help;
	size_t off; /* a uint64_t in struct vrrp_rt */
} inst_counters[] = {
	{ "xvip_instance_adverts_sent_total", "VRRP adverts sent.",
	  offsetof(struct vrrp_rt, tx_adverts) },
	{ "xvip_instance_adverts_received_total", "Valid VRRP adverts received.",
	  offsetof(struct vrrp_rt, rx_adverts) },
	{ "xvip_instance_adverts_absorbed_total",
	  "Valid VRRP adverts the kernel absorbed while the backup slept (also in received).",
	  offsetof(struct vrrp_rt, quiet_absorbed) },
	{ "xvip_instance_became_master_total", "Transitions to MASTER.",
	  offsetof(struct vrrp_rt, became_master) },
	{ "xvip_instance_conflicts_total",
	  "Another node answered ARP for a VIP this instance owns (split brain seen).",
	  offsetof(struct vrrp_rt, conflicts) },
	{ "xvip_instance_garp_sent_total", "Gratuitous ARPs sent.",
	  offsetof(struct vrrp_rt, garp_sent) },
	{ "xvip_instance_liveness_echoes_sent_total", "Fast-liveness echoes sent to the master.",
	  offsetof(struct vrrp_rt, liv.echoes_sent) },
	{ "xvip_instance_liveness_intervals_missed_total",
	  "Fast-liveness intervals whose echoes all went unanswered.",
	  offsetof(struct vrrp_rt, liv.intervals_missed) },
	{ "xvip_instance_liveness_presumed_dead_total",
	  "Masters presumed dead by fast liveness (takeovers).",
	  offsetof(struct vrrp_rt, liv.presumed_dead) },
	{ "xvip_instance_liveness_presumed_dead_then_answered_total",
	  "Masters presumed dead that then answered echoes sent before (spurious takeovers).",
	  offsetof(struct vrrp_rt, liv.late_verdicts) },
	{ "xvip_instance_liveness_lease_lapses_total",
	  "Lease renewals (as master) that came after the lease on the VIPs ran out.",
	  offsetof(struct vrrp_rt, lease_lapses) },
};

char *status_metrics(struct xvipd *d)
{
	struct sbuf b = { 0 };
	static const enum vrrp_state states[] = { VRRP_STATE_INIT, VRRP_STATE_BACKUP,
						  VRRP_STATE_MASTER, VRRP_STATE_FAULT,
						  VRRP_STATE_STOP };

	vrrp_quiet_refresh(d);
	metric_head(&b, "xvipd_uptime_seconds", "gauge", "Seconds since xvipd started.");
	sb_printf(&b, "xvipd_uptime_seconds %.3f\n", (double)(now_us() - d->started_us) / 1e6);
	metric_head(&b, "xvipd_reloads_total", "counter", "Reloads applied (SIGHUP).");
	sb_printf(&b, "xvipd_reloads_total %llu\n", (unsigned long long)d->reloads);
	metric_head(&b, "xvipd_reload_failures_total", "counter",
		    "Reloads refused (the running configuration was kept).");
	sb_printf(&b, "xvipd_reload_failures_total %llu\n", (unsigned long long)d->reload_failures);
	{
		struct mailer_stats ms = mailer_stats(d->mailer);

		metric_head(&b, "xvip_mail_sent_total", "counter",
			    "Mails (smtp_alert) the SMTP server accepted.");
		sb_printf(&b, "xvip_mail_sent_total %llu\n", (unsigned long long)ms.sent);
		metric_head(&b, "xvip_mail_failed_total", "counter",
			    "Mails not sent: the SMTP server could not be reached or refused them.");
		sb_printf(&b, "xvip_mail_failed_total %llu\n", (unsigned long long)ms.failed);
		metric_head(&b, "xvip_mail_dropped_total", "counter",
			    "Mails dropped before sending: too many waiting for the SMTP server.");
		sb_printf(&b, "xvip_mail_dropped_total %llu\n", (unsigned long long)ms.dropped);
	}
	metric_head(&b, "xvip_interface_xdp_mode", "gauge",
		    "1 for the XDP mode the data plane runs in on the interface, 0 for the other.");
	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct xvip_attach *att = &d->ifaces[i].att;
		bool generic = att->ifindex && !strcmp(dp_attach_mode(att), "generic");

		sb_printf(&b, "xvip_interface_xdp_mode{interface=\"%s\",mode=\"native\"} %d\n"
			  "xvip_interface_xdp_mode{interface=\"%s\",mode=\"generic\"} %d\n",
			  lv(d->ifaces[i].name), att->ifindex && !generic, lv(d->ifaces[i].name),
			  generic);
	}
	metric_head(&b, "xvip_instance_state", "gauge",
		    "1 for the VRRP state the instance is in, 0 for the others.");
	for (size_t i = 0; i < d->n_inst; i++)
		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			sb_printf(&b, "xvip_instance_state{instance=\"%s\",vrid=\"%u\",state=\"%s\"} %d\n",
				  lv(d->inst[i].cfg->name), d->inst[i].cfg->virtual_router_id,
				  vrrp_state_str(states[k]), d->inst[i].fsm.state == states[k]);
	metric_head(&b, "xvip_instance_priority", "gauge", "Effective VRRP priority.");
	PER_INSTANCE(&b, d, "xvip_instance_priority", "%u", in->fsm.effective_priority)
	for (size_t c = 0; c < sizeof(inst_counters) / sizeof(inst_counters[0]); c++) {
		metric_head(&b, inst_counters[c].name, "counter", inst_counters[c].help);
		PER_INSTANCE(&b, d, inst_counters[c].name, "%llu",
			     (unsigned long long)*(const uint64_t *)((const char *)in +
								     inst_counters[c].off))
	}
	metric_head(&b, "xvip_instance_last_switch_seconds", "gauge",
		    "Last transition that changed the VIP map: decision to map written (step=map) "
		    "and to GARP sent (step=garp).");
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];

		for (unsigned k = 0; k < vrrp_history_len(in); k++) {
			const struct transition *t = vrrp_history(in, k);

			if (!t->decision_to_map_us)
				continue;
			sb_printf(&b,
				  "xvip_instance_last_switch_seconds{instance=\"%s\",vrid=\"%u\",step=\"map\"} %.6f\n"
				  "xvip_instance_last_switch_seconds{instance=\"%s\",vrid=\"%u\",step=\"garp\"} %.6f\n",
				  lv(in->cfg->name), in->cfg->virtual_router_id, t->decision_to_map_us / 1e6,
				  lv(in->cfg->name), in->cfg->virtual_router_id, t->decision_to_garp_us / 1e6);
			break;
		}
	}
	service_status_metrics(d, &b);
	return b.s ? b.s : strdup("");
}

char *status_text(struct xvipd *d)
{
	struct sbuf b = { 0 };
	uint64_t now = now_us(), ns = mono_ns();
	char a[INET_ADDRSTRLEN];

	vrrp_quiet_refresh(d);
	sb_printf(&b, "xvipd pid %d, config %s, router_id %s, up %llu s, reloads %llu (%llu failed)\n",
		  (int)getpid(), d->cfg_path, d->cfg->global.router_id ? d->cfg->global.router_id : "-",
		  (unsigned long long)((now - d->started_us) / 1000000),
		  (unsigned long long)d->reloads, (unsigned long long)d->reload_failures);
	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct xvip_attach *att = &d->ifaces[i].att;

		sb_printf(&b, "interface %s: XDP %s mode (%s)\n", d->ifaces[i].name,
			  att->ifindex ? dp_attach_mode(att) : "not attached", att->why);
		if (att->warning[0])
			sb_printf(&b, "  warning: %s\n", att->warning);
	}
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];
		const struct config_vrrp_instance *c = in->cfg;

		sb_printf(&b, "instance %s: %s on %s, vrid %u, VRRPv%u, priority %u (base %u), "
			  "advert_int %u ms, %s\n",
			  c->name, vrrp_state_str(in->fsm.state), c->interface, c->virtual_router_id,
			  c->version, in->fsm.effective_priority, c->priority, c->advert_int_ms,
			  c->nopreempt ? "nopreempt" : "preempt");
		if (c->auth_key.len) {
			sb_printf(&b, "  adverts authenticated: HMAC-SHA-256, key from %s",
				  c->auth_key_file);
			if (c->auth_key2.len)
				sb_printf(&b, " (also accepted: %s)", c->auth_key_file2);
			sb_printf(&b, "\n");
		}
		if (in->fsm.state == VRRP_STATE_MASTER)
			sb_printf(&b, "  master: this node (%s)\n", ip4_str(in->src_addr, a));
		else if (in->fsm.master_addr)
			sb_printf(&b, "  master: %s, priority %u\n", ip4_str(in->fsm.master_addr, a),
				  in->fsm.master_priority);
		else
			sb_printf(&b, "  master: none heard\n");
		for (size_t k = 0; k < c->n_vips; k++) {
			struct vip_entry v;
			uint32_t addr = c->vips[k].addr.s_addr;
			long long left = vip_lease(d, addr, ns, &v);

			sb_printf(&b, "  VIP %s: %s, lease left %lld ms\n", ip4_str(addr, a),
				  v.owner ? "owned" : "not owned", left);
		}
		if (in->lease_lapses)
			sb_printf(&b, "  lease lapses %llu (renewed up to %llu us after it ran out)\n",
				  (unsigned long long)in->lease_lapses,
				  (unsigned long long)in->lease_lapse_max_us);
		sb_printf(&b, "  adverts sent %llu, received %llu (%llu while asleep%s), conflicts "
			  "%llu, GARPs %llu\n",
			  (unsigned long long)in->tx_adverts, (unsigned long long)in->rx_adverts,
			  (unsigned long long)in->quiet_absorbed,
			  in->quiet_on ? ", asleep now" : "",
			  (unsigned long long)in->conflicts, (unsigned long long)in->garp_sent);
		if (c->liveness_interval_ms) {
			const struct liveness *l = &in->liv;

			sb_printf(&b, "  liveness: %u ms x %u, %s", c->liveness_interval_ms,
				  l->multiplier, liv_phase_str(l->phase));
			if (l->master)
				sb_printf(&b, " (master %s, round trip %llu us)", ip4_str(l->master, a),
					  (unsigned long long)(in->liv_rtt_ns / 1000));
			sb_printf(&b, ", echoes %llu, intervals missed %llu (longest run %u), "
				  "presumed dead %llu (then answered %llu, held up to %llu us), "
				  "peers %zu; lease renewals %llu, latest %llu us late, lapses %llu\n",
				  (unsigned long long)l->echoes_sent,
				  (unsigned long long)l->intervals_missed, l->max_missed,
				  (unsigned long long)l->presumed_dead,
				  (unsigned long long)l->late_verdicts,
				  (unsigned long long)l->late_hold_max_us, in->n_liv_peers,
				  (unsigned long long)in->liv_renewals,
				  (unsigned long long)in->liv_renew_late_max_us,
				  (unsigned long long)in->lease_lapses);
		}
		for (int r = 1; r < VRRP_REJ_NR; r++)
			if (in->rx_reject[r])
				sb_printf(&b, "  rejected %s: %llu\n", vrrp_reject_str(-r),
					  (unsigned long long)in->rx_reject[r]);
		if (vrrp_history_len(in))
			sb_printf(&b, "  last transitions (newest first):\n");
		for (unsigned k = 0; k < vrrp_history_len(in); k++) {
			const struct transition *t = vrrp_history(in, k);

			sb_printf(&b, "    %8.3f s ago  %s -> %s  %s", (double)(now - t->at_us) / 1e6,
				  vrrp_state_str(t->from), vrrp_state_str(t->to), t->reason);
			if (t->decision_to_map_us)
				sb_printf(&b, "  [decision->map %u us, ->GARP %u us]",
					  t->decision_to_map_us, t->decision_to_garp_us);
			sb_printf(&b, "\n");
		}
	}
	service_status_text(d, &b);
	return b.s;
}

/* One client: it has CTL_IDLE_US to send its request, then it is closed. */
#define CTL_IDLE_US (2ull * 1000000)
#define CTL_MAX_CLIENTS 64

struct ctl_client {
	struct xvipd *d;
	int fd;
	uint64_t timer;
	struct ctl_client *next;
};

static struct ctl_client *clients;
static int n_clients;

static void ctl_accept(struct loop *l, int fd, uint32_t events, void *arg);

static void client_close(struct loop *l, struct ctl_client *cl)
{
	for (struct ctl_client **p = &clients; *p; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	if (cl->timer)
		loop_cancel_timer(l, cl->timer);
	loop_del_fd(l, cl->fd);
	close(cl->fd);
	free(cl);
	n_clients--;
}

static void client_idle(struct loop *l, uint64_t id, void *arg)
{
	struct ctl_client *cl = arg;

	(void)id;
	cl->timer = 0;
	xlog(LOG_DEBUG, "control: a client sent nothing in %llu ms: closed",
	     (unsigned long long)(CTL_IDLE_US / 1000));
	client_close(l, cl);
}

static char *handle_request(struct xvipd *d, const char *req)
{
	char *reply = NULL;

	if (strcmp(req, "status") == 0)
		reply = status_text(d);
	else if (strcmp(req, "status-json") == 0)
		reply = status_json(d);
	else if (strcmp(req, "metrics") == 0)
		reply = status_metrics(d);
	else if (strncmp(req, "promote ", 8) == 0)
		reply = service_promote(d, req + 8);
	else if (strcmp(req, "handover") == 0)
		reply = service_promote(d, NULL);
	else if (strcmp(req, "check-mysql") == 0)
		reply = service_check_mysql(d);
	else if (asprintf(&reply, "error: unknown request '%s'\n", req) < 0)
		reply = NULL;
	return reply;
}

static void client_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ctl_client *cl = arg;
	char req[256];
	ssize_t n = recv(fd, req, sizeof(req) - 1, 0);
	char *reply;

	(void)events;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		client_close(l, cl);
		return;
	}
	req[n] = 0;
	req[strcspn(req, "\r\n")] = 0;
	reply = handle_request(cl->d, req);
	if (reply) {
		/* Small replies, fresh socket: the send buffer takes them whole. */
		if (send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			xlog(LOG_DEBUG, "control reply: %s", strerror(errno));
		free(reply);
	}
	client_close(l, cl);
}

/* Only root and xvipd's own user may talk to it (the socket is 0600 as
 * well; this holds if someone widens it). */
static bool peer_allowed(int fd, char *who, size_t len)
{
	struct ucred cr;
	socklen_t sl = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0) {
		snprintf(who, len, "unknown peer (%s)", strerror(errno));
		return false;
	}
	snprintf(who, len, "pid %d uid %u", (int)cr.pid, (unsigned)cr.uid);
	return cr.uid == 0 || cr.uid == geteuid();
}

static void ctl_resume(struct loop *l, uint64_t id, void *arg)
{
	struct xvipd *d = arg;

	(void)id;
	d->ctl_paused = false;
	if (loop_add_fd(l, d->ctl_fd, EPOLLIN, ctl_accept, d) < 0)
		xlog(LOG_ERR, "control socket: cannot watch it again: xvipctl will not be answered");
}

/* Out of file descriptors (or too many clients): stop accepting for a
 * moment instead of spinning on a listening socket that stays readable. */
static void ctl_pause(struct loop *l, struct xvipd *d, const char *why)
{
	static uint64_t logged_us;

	if (d->ctl_paused)
		return;
	if (!logged_us || now_us() - logged_us > 10000000) {
		xlog(LOG_WARNING, "control socket: %s: not accepting for 100 ms (said at most every "
		     "10 s)", why);
		logged_us = now_us();
	}
	loop_del_fd(l, d->ctl_fd);
	d->ctl_paused = true;
	if (!loop_add_timer(l, now_us() + 100000, ctl_resume, d))
		ctl_resume(l, 0, d);
}

static void ctl_accept(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct xvipd *d = arg;

	(void)events;
	for (;;) {
		struct ctl_client *cl;
		char who[64];
		int c;

		if (n_clients >= CTL_MAX_CLIENTS) {
			ctl_pause(l, d, "64 clients at once");
			return;
		}
		c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				ctl_pause(l, d, strerror(errno));
			return;
		}
		if (!peer_allowed(c, who, sizeof(who))) {
			static const char no[] = "error: not allowed: only root and xvipd's user\n";

			xlog(LOG_WARNING, "control socket: refused %s (not root, not xvipd's user)", who);
			if (send(c, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* it goes away all the same */
			}
			close(c);
			continue;
		}
		cl = calloc(1, sizeof(*cl));
		if (!cl) {
			close(c);
			continue;
		}
		cl->d = d;
		cl->fd = c;
		cl->timer = loop_add_timer(l, now_us() + CTL_IDLE_US, client_idle, cl);
		if (!cl->timer || loop_add_fd(l, c, EPOLLIN, client_readable, cl) < 0) {
			if (cl->timer)
				loop_cancel_timer(l, cl->timer);
			close(c);
			free(cl);
			continue;
		}
		cl->next = clients;
		clients = cl;
		n_clients++;
	}
}

int control_open(struct xvipd *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	control_path(d->pin_root, d->ctl_path, sizeof(d->ctl_path));
	mkdir(CONTROL_DIR, 0755);
	if (strlen(d->ctl_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", d->ctl_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, d->ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(d->ctl_path);
	/* created 0600: no moment where another user could connect */
	mode_t old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	umask(old);
	if (rc < 0 || listen(fd, 16) < 0 || chmod(d->ctl_path, 0600) < 0) {
		close(fd);
		goto fail;
	}
	d->ctl_fd = fd;
	return loop_add_fd(d->loop, fd, EPOLLIN, ctl_accept, d);
fail:
	snprintf(err, errlen, "cannot open control socket %s: %s", d->ctl_path, strerror(errno));
	return -errno;
}

void control_close(struct xvipd *d)
{
	while (clients)
		client_close(d->loop, clients);
	if (d->ctl_fd < 0)
		return;
	if (!d->ctl_paused)
		loop_del_fd(d->loop, d->ctl_fd);
	close(d->ctl_fd);
	unlink(d->ctl_path);
	d->ctl_fd = -1;
}
