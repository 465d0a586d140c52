/* The services in the data plane: the DR maps (dp_service_put) from the
 * real servers and the writer, with the peers' MACs from the kernel's
 * neighbour table. See service_int.h. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "log.h"
#include "service_int.h"
#include "xvipd.h"

/* The peer's MAC from the kernel's neighbour table (the checks talk to it,
 * so the entry is there once they have run), on DEV: the interface the
 * data plane sends steered frames out of (NULL: any). */
static bool neigh_mac(uint32_t addr, const char *dev, uint8_t mac[6])
{
	FILE *f = fopen("/proc/net/arp", "r");
	char line[256], a[INET_ADDRSTRLEN], want[INET_ADDRSTRLEN], on[IF_NAMESIZE];
	unsigned m[6], flags;
	bool ok = false;

	if (!f)
		return false;
	ip4_str(addr, want);
	while (!ok && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %*s %x %x:%x:%x:%x:%x:%x %*s %15s", a, &flags, &m[0], &m[1],
			   &m[2], &m[3], &m[4], &m[5], on) != 9 ||
		    strcmp(a, want) || !(flags & 0x2) || (dev && strcmp(on, dev)))
			continue;
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)m[i];
		ok = true;
	}
	fclose(f);
	return ok;
}

/* The interface a service's steered frames leave by: its VIP's (XDP_TX
 * sends a frame out where it came in). NULL while no instance holds it. */
static const struct iface_rt *vs_iface(const struct vs_rt *vs)
{
	return vs->inst && vs->inst->ifc ? vs->inst->ifc : NULL;
}

void svc_program(struct vs_rt *vs)
{
	struct backend b[XVIP_MAX_BACKENDS];
	int writer = vs->w.fsm.writer;
	char err[256];
	int n = 0;

	if (!vs_owner(vs))
		return;
	for (size_t i = 0; i < vs->n_rs && n < XVIP_MAX_BACKENDS; i++, n++) {
		struct rs_rt *r = &vs->rs[i];

		memset(&b[n], 0, sizeof(b[n]));
		b[n].addr = r->cfg->addr.s_addr;
		b[n].weight = r->weight;
		b[n].local = r->local;
		if (!r->local && !r->mac_known)
			r->mac_known = neigh_mac(r->cfg->addr.s_addr,
						 vs_iface(vs) ? vs_iface(vs)->name : NULL, r->mac);
		memcpy(b[n].mac, r->mac, 6);
		/* fo: the data plane's "healthy" means "the writer": one node
		 * takes the writes, chosen by the writer's state machine, never
		 * by weight alone. A remote one whose MAC we do not know would
		 * be a black hole: say so (its checks talk to it, so this
		 * should not last). */
		if (vs->is_fo) {
			b[n].healthy = (int)i == writer && (r->local || r->mac_known);
			if ((int)i == writer && !b[n].healthy)
				xlog(LOG_ERR, "[%s] writer %s: no MAC in the neighbour table, cannot "
				     "steer to it yet", vs->name, r->name);
		} else
			b[n].healthy = r->up && (r->local || r->mac_known);
		/* weight 0 drains (keepalived): no new flows, the established
		 * ones stay. Not for fo's writer, chosen by the state machine
		 * (which never picks a node of weight 0 itself) */
		if (vs->is_fo && b[n].weight == 0 && b[n].healthy)
			b[n].weight = 1;
	}
	if (dp_service_put(&vs->d->dp.maps, &vs->key,
			   vs->is_fo ? XVIP_SCHED_FO
			   : vs->cfg->lb_algo == CONFIG_LB_RR ? XVIP_SCHED_RR : XVIP_SCHED_WRR,
			   vs->cfg->persistence_timeout_s, b, n, NULL, err, sizeof(err)) < 0)
		xlog(LOG_ERR, "[%s] cannot program the DR maps: %s", vs->name, err);
}

void service_neigh_changed(void *arg, int ifindex, uint32_t addr_be, const uint8_t mac[6])
{
	struct xvipd *d = arg;
	struct services *S = d->svc;

	if (!S)
		return;
	for (size_t v = 0; v < S->n_vs; v++) {
		struct vs_rt *vs = &S->vs[v];
		const struct iface_rt *ifc = vs_iface(vs);
		bool changed = false;

		/* the same address on another interface is another host, or
		 * one this service cannot reach by XDP_TX; with no instance
		 * yet, svc_program reads the table when it first steers */
		if (!ifc || ifc->ifindex != ifindex)
			continue;
		for (size_t i = 0; i < vs->n_rs; i++) {
			struct rs_rt *r = &vs->rs[i];
			char was[MAC_STRLEN], now[MAC_STRLEN];

			if (r->local || r->cfg->addr.s_addr != addr_be ||
			    (r->mac_known && !memcmp(r->mac, mac, 6)))
				continue;
			mac_str(mac, now);
			if (r->mac_known) {
				mac_str(r->mac, was);
				xlog(LOG_NOTICE, "[%s] real server %s is at %s now (was %s): the DR "
				     "maps follow", vs->name, r->name, now, was);
			} else {
				xlog(LOG_INFO, "[%s] real server %s is at %s", vs->name, r->name, now);
			}
			memcpy(r->mac, mac, 6);
			r->mac_known = true;
			changed = true;
		}
		if (changed)
			svc_program(vs);
	}
}
