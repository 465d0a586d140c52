/* The daemon's mails (alerts.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "fmt.h"
#include "mail.h"
#include "vrrp.h"
#include "writer.h"
#include "xvipd.h"

static const char *host_name(void)
{
	static char host[256];

	if (!host[0] && gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	return host;
}

static void send_mail(struct xvipd *d, const char *subject, const char *body)
{
	const struct config_global *g = &d->cfg->global;
	char from[300];
	struct mail_settings s = {
		.server = g->smtp_server,
		.port = g->smtp_port,
		.helo = g->smtp_helo_name && *g->smtp_helo_name ? g->smtp_helo_name : host_name(),
		.to = g->notification_email,
		.nto = g->n_notification_email,
		.connect_timeout_ms = g->smtp_connect_timeout_ms,
	};

	if (g->notification_email_from) {
		s.from = g->notification_email_from;
	} else {
		snprintf(from, sizeof(from), "xvipd@%s", host_name());
		s.from = from;
	}
	mailer_send(d->mailer, &s, subject, body);
}

/* set at load (config_validate: the host name by default) */
static const char *router_id(const struct xvipd *d)
{
	return d->cfg->global.router_id;
}

void alert_vrrp(struct xvipd *d, const struct vrrp_rt *in, enum vrrp_state st, const char *reason)
{
	const struct config_vrrp_instance *c = in->cfg;
	const char *line;
	char subject[512], body[1024], a[INET_ADDRSTRLEN];
	size_t n;

	if (!config_smtp_alert_vrrp(d->cfg, c))
		return;
	switch (st) {
	case VRRP_STATE_MASTER: line = "=> VRRP Instance is now owning VRRP VIPs <="; break;
	case VRRP_STATE_BACKUP: line = "=> VRRP Instance is nolonger owning VRRP VIPs <="; break;
	case VRRP_STATE_FAULT: line = "=> VRRP Instance is in FAULT state <="; break;
	default: return; /* keepalived mails these three */
	}
	snprintf(subject, sizeof(subject), "[%s] VRRP Instance %s - Entering %s state", router_id(d),
		 c->name, vrrp_state_str(st));
	n = (size_t)snprintf(body, sizeof(body),
			     "%s\n\nwhy: %s\ninterface %s, vrid %u, priority %u, master %s\nVIPs:",
			     line, reason && *reason ? reason : "-", c->interface,
			     c->virtual_router_id, in->fsm.effective_priority,
			     st == VRRP_STATE_MASTER ? "this node" : ip4_str(in->fsm.master_addr, a));
	for (size_t i = 0; i < c->n_vips && n < sizeof(body); i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, " %s",
				      ip4_str(c->vips[i].addr.s_addr, a));
	send_mail(d, subject, body);
}

/* "10.0.0.1:3306" -> "[10.0.0.1]:tcp:3306", as keepalived writes services */
static void service_str(const char *name, char *out, size_t len)
{
	const char *colon = strrchr(name, ':');

	if (colon)
		snprintf(out, len, "[%.*s]:tcp:%s", (int)(colon - name), name, colon + 1);
	else
		snprintf(out, len, "%s", name);
}

void alert_real_server(struct xvipd *d, const struct config_virtual_server *vs,
		       const char *vs_name, const char *rs_name, bool up, const char *why)
{
	char subject[512], body[1024], rs[96], svc[96];

	if (!config_smtp_alert_checker(d->cfg, vs))
		return;
	service_str(rs_name, rs, sizeof(rs));
	service_str(vs_name, svc, sizeof(svc));
	snprintf(subject, sizeof(subject), "[%s] Realserver %s - %s", router_id(d), rs,
		 up ? "UP" : "DOWN");
	snprintf(body, sizeof(body), "=> CHECK %s on service %s <=\n\n%s%s\n",
		 up ? "succeed" : "failed", svc, up ? "" : "why: ", up ? "" : why ? why : "-");
	send_mail(d, subject, body);
}

void alert_writer(struct xvipd *d, const struct config_virtual_server *vs, const char *vs_name,
		  const struct writer_event *e)
{
	char subject[512], body[1024], svc[96];
	const char *line;

	if (!config_smtp_alert_checker(d->cfg, vs))
		return;
	service_str(vs_name, svc, sizeof(svc));
	if (!strcmp(e->what, "promoted")) {
		snprintf(subject, sizeof(subject), "[%s] Writer %s - now %s", router_id(d), svc,
			 e->addr);
		line = "=> A new writer takes the writes <=";
	} else if (!strcmp(e->what, "refused")) {
		snprintf(subject, sizeof(subject), "[%s] Writer %s - promotion REFUSED, no writer",
			 router_id(d), svc);
		line = "=> No node could be proven safe to take writes: the service has NO WRITER "
		       "until one can (or an operator decides) <=";
	} else {
		snprintf(subject, sizeof(subject), "[%s] Writer %s - %s %s", router_id(d), svc,
			 e->what, e->addr);
		line = "=> The writer's state changed <=";
	}
	snprintf(body, sizeof(body), "%s\n\nevent: %s\nnode: %s\nwhy: %s\n", line, e->what, e->addr,
		 e->reason[0] ? e->reason : "-");
	send_mail(d, subject, body);
}
