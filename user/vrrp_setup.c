/* VRRP instances: setting them up on their interfaces (XDP attached,
 * sockets, VIPs installed), starting, stopping, tearing down, and a reload
 * that keeps what runs. The run time is vrrp.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "netlink.h"
#include "scripts.h"
#include "vrrp_int.h"
#include "xvipd.h"

/* ---- setup and lifecycle ----------------------------------------------- */

static int instance_init(struct xvipd *d, struct vrrp_rt *in, const struct config_vrrp_instance *c,
			 char *err, size_t errlen)
{
	struct vrrp_fsm_config fc = { 0 };

	memset(in, 0, sizeof(*in));
	in->d = d;
	in->cfg = c;
	in->ifc = iface_get(d, c->interface, err, errlen);
	if (!in->ifc)
		return -ENODEV;
	in->src_addr = c->unicast_src_set ? c->unicast_src_ip.s_addr : in->ifc->addr;
	if (!in->src_addr) {
		snprintf(err, errlen, "(%s) interface %s has no IPv4 address to send adverts from",
			 c->name, c->interface);
		return -EADDRNOTAVAIL;
	}
	vrrp_set_password(in->auth, c->auth_type == CONFIG_AUTH_PASS ? c->auth_pass : "");
	fc.vrid = c->virtual_router_id;
	fc.version = (uint8_t)c->version;
	fc.base_priority = c->priority;
	fc.advert_int_us = (uint64_t)c->advert_int_ms * 1000;
	fc.preempt = !c->nopreempt;
	fc.preempt_delay_us = (uint64_t)c->preempt_delay_ms * 1000;
	fc.primary_addr = in->src_addr;
	if (fsm_init(&in->fsm, &fc) < 0) {
		snprintf(err, errlen, "(%s) unusable VRRP settings (vrid %u, version %u, advert_int %u ms)",
			 c->name, c->virtual_router_id, c->version, c->advert_int_ms);
		return -EINVAL;
	}
	return 0;
}

/* A virtual server with a real server on another host: the data plane may
 * send a client's frame on to it with XDP_TX (xdp_mode.h: checksums). */
static bool remote_backends(const struct xvip_config *cfg)
{
	for (size_t i = 0; i < cfg->n_virtual_servers; i++)
		for (size_t k = 0; k < cfg->virtual_servers[i].n_real_servers; k++)
			if (!nl_addr_is_local(cfg->virtual_servers[i].real_servers[k].addr.s_addr))
				return true;
	return false;
}

/* Attach the data plane and open the sockets on an interface, once. */
static int iface_setup(struct xvipd *d, const struct xvip_config *cfg, struct iface_rt *ifc,
		       char *err, size_t errlen)
{
	char e2[256];
	int rc;

	if (ifc->vrrp_fd >= 0) {
		/* a reload: the mode stays what it was planned for */
		if (remote_backends(cfg) && !ifc->att.remote_steering && !strcmp(ifc->att.kind, "veth") &&
		    strcmp(dp_attach_mode(&ifc->att), "native") == 0)
			xlog(LOG_WARNING, "XDP on %s stays in native mode until xvipd restarts: DR "
			     "steering to a remote backend on a veth needs generic mode (steered TCP "
			     "would be dropped by the backend)", ifc->name);
		return 0;
	}
	rc = dp_attach(&d->dp, ifc->name, d->xdp_pref, remote_backends(cfg), &ifc->att, err,
		       errlen);
	if (rc < 0)
		return rc;
	xlog(LOG_NOTICE, "XDP attached to %s (%s mode: %s)", ifc->name, dp_attach_mode(&ifc->att),
	     ifc->att.why);
	if (ifc->att.warning[0])
		xlog(LOG_WARNING, "XDP on %s: %s", ifc->name, ifc->att.warning);
	rc = iface_open_sockets(d, ifc, err, errlen);
	if (rc < 0)
		return rc;
	if (sysctl_arp_dr(ifc->name, e2, sizeof(e2)) < 0)
		xlog(LOG_WARNING, "%s", e2);
	return 0;
}

/* A VIP kept on lo is a local address for every interface: one whose
 * kernel answers ARP for any local address (arp_ignore 0) would claim it
 * on its segment for a node that does not own it (the XDP program runs on
 * the service interfaces only). With vip_arp_all_interfaces, conf/all gets
 * the DR settings; without it, such interfaces are named once. */
static void arp_other_interfaces(struct xvipd *d, const struct xvip_config *cfg)
{
	static char said[256];
	const char *skip[64];
	char names[256], err[256];
	size_t n = 0;
	bool lo = false;

	for (size_t i = 0; i < cfg->n_instances; i++)
		lo |= cfg->instances[i].vip_mode == CONFIG_VIP_MODE_LO && cfg->instances[i].n_vips;
	if (!lo)
		return;
	if (cfg->global.vip_arp_all_interfaces) {
		if (sysctl_arp_dr("all", err, sizeof(err)) < 0)
			xlog(LOG_WARNING, "vip_arp_all_interfaces: %s", err);
		else
			xlog(LOG_INFO, "vip_arp_all_interfaces: net.ipv4.conf.all.arp_ignore = 1, "
			     "arp_announce = 2 (no interface answers ARP for the VIPs on lo)");
		said[0] = '\0';
		return;
	}
	for (size_t i = 0; i < d->n_ifaces && n < sizeof(skip) / sizeof(skip[0]); i++)
		skip[n++] = d->ifaces[i].name;
	if (sysctl_arp_answering(skip, n, names, sizeof(names)) == 0) {
		said[0] = '\0';
		return;
	}
	if (!strcmp(names, said))
		return;
	snprintf(said, sizeof(said), "%s", names);
	xlog(LOG_WARNING, "interface(s) %s answer ARP for the VIPs kept on lo (arp_ignore 0): on "
	     "a segment the clients share they would claim the VIPs for this node whether it owns "
	     "them or not; set net.ipv4.conf.<if>.arp_ignore = 1 and arp_announce = 2 there, or "
	     "vip_arp_all_interfaces on in global_defs", names);
}

/* A VIP starts known to the data plane and not owned: ARP for it is dropped
 * until an election says otherwise. In lo mode it also lives on lo, so the
 * kernel accepts traffic for it whoever owns it (DR). */
static void vip_install(struct xvipd *d, struct vrrp_rt *in, const struct config_vip *v)
{
	struct vip_entry e = { .vrid = in->cfg->virtual_router_id,
			       .ifindex = (uint32_t)in->ifc->ifindex };
	char err[256], a[INET_ADDRSTRLEN];
	int rc;

	memcpy(e.mac, in->ifc->mac, 6);
	if (dp_vip_put(&d->dp.maps, v->addr.s_addr, &e) < 0)
		xlog(LOG_ERR, "(%s) cannot write VIP %s to the vips map", in->cfg->name,
		     ip4_str(v->addr.s_addr, a));
	if (in->cfg->vip_mode == CONFIG_VIP_MODE_LO)
		rc = nl_addr_ensure("lo", v->addr.s_addr, 32, NULL, err, sizeof(err));
	else
		rc = nl_addr_remove(v->dev, v->addr.s_addr, err, sizeof(err));
	if (rc < 0)
		xlog(LOG_WARNING, "(%s) VIP %s: %s", in->cfg->name, ip4_str(v->addr.s_addr, a), err);
}

static void vip_uninstall(struct xvipd *d, struct vrrp_rt *in, const struct config_vip *v)
{
	char err[256];

	dp_vip_del(&d->dp.maps, v->addr.s_addr);
	if (in->cfg->vip_mode == CONFIG_VIP_MODE_LO)
		nl_addr_remove("lo", v->addr.s_addr, err, sizeof(err));
	else
		nl_addr_remove(v->dev, v->addr.s_addr, err, sizeof(err));
}

static bool has_vip(const struct config_vrrp_instance *c, uint32_t addr)
{
	for (size_t k = 0; k < c->n_vips; k++)
		if (c->vips[k].addr.s_addr == addr)
			return true;
	return false;
}

int vrrp_setup(struct xvipd *d, char *err, size_t errlen)
{
	const struct xvip_config *cfg = d->cfg;
	int rc;

	d->inst = calloc(cfg->n_instances ? cfg->n_instances : 1, sizeof(*d->inst));
	d->scripts = calloc(cfg->n_scripts ? cfg->n_scripts : 1, sizeof(*d->scripts));
	if (!d->inst || !d->scripts)
		return -ENOMEM;
	quiet_reset(d);
	for (size_t i = 0; i < cfg->n_instances; i++) {
		rc = instance_init(d, &d->inst[i], &cfg->instances[i], err, errlen);
		if (rc < 0)
			return rc;
		d->n_inst++;
	}
	for (size_t i = 0; i < d->n_ifaces; i++) {
		rc = iface_setup(d, d->cfg, &d->ifaces[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < d->n_inst; i++)
		for (size_t k = 0; k < d->inst[i].cfg->n_vips; k++)
			vip_install(d, &d->inst[i], &d->inst[i].cfg->vips[k]);
	arp_other_interfaces(d, cfg);
	for (size_t i = 0; i < cfg->n_scripts; i++) {
		d->scripts[i].cfg = &cfg->scripts[i];
		d->scripts[i].d = d;
		d->n_scripts++;
	}
	return 0;
}

/* keepalived runs a vrrp_script only when an instance tracks it. */
static bool script_tracked(const struct xvip_config *cfg, const struct config_vrrp_script *sc)
{
	for (size_t i = 0; i < cfg->n_instances; i++)
		for (size_t k = 0; k < cfg->instances[i].n_track_scripts; k++)
			if (cfg->instances[i].track_scripts[k].script == sc)
				return true;
	return false;
}

void vrrp_start_all(struct xvipd *d)
{
	uint64_t t0 = now_us();

	for (size_t i = 0; i < d->n_scripts; i++) {
		if (!d->scripts[i].cfg->script.run)
			xlog(LOG_WARNING, "vrrp_script %s is disabled (see the configuration's errors): "
			     "no instance tracks it", d->scripts[i].cfg->name);
		else if (script_tracked(d->cfg, d->scripts[i].cfg))
			script_schedule(&d->scripts[i], 0);
		else
			xlog(LOG_WARNING, "vrrp_script %s is tracked by no instance: not run",
			     d->scripts[i].cfg->name);
	}
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];
		struct fsm_result r;

		liv_configure(d, in);
		fsm_start(&in->fsm, t0, &r);
		apply(d, in, &r, t0);
		vrrp_recompute(d, in);
	}
}

void vrrp_shutdown_all(struct xvipd *d)
{
	uint64_t t0 = now_us();

	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];
		struct fsm_result r;

		/* Release first, then tell the peer: it takes over after skew
		 * time and must find us already silent. */
		if (in->fsm.state == VRRP_STATE_MASTER)
			vips_write(d, in, false);
		fsm_shutdown(&in->fsm, t0, &r);
		apply(d, in, &r, t0);
	}
}

void vrrp_teardown(struct xvipd *d)
{
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];

		if (in->timer_id)
			loop_cancel_timer(d->loop, in->timer_id);
		cancel_garp_timers(d, in);
		liv_stop(d, in);
		quiet_off(d, in);
		for (size_t k = 0; k < in->cfg->n_vips; k++)
			vip_uninstall(d, in, &in->cfg->vips[k]);
	}
	for (size_t i = 0; i < d->n_scripts; i++)
		if (d->scripts[i].timer_id)
			loop_cancel_timer(d->loop, d->scripts[i].timer_id);
	for (size_t i = 0; i < d->n_ifaces; i++)
		iface_close(d, &d->ifaces[i]);
	free(d->inst);
	free(d->scripts);
	for (size_t i = 0; i < d->n_retired; i++)
		free(d->retired[i]);
	free(d->retired);
	d->retired = NULL;
	d->n_retired = 0;
	d->inst = NULL;
	d->scripts = NULL;
	d->n_inst = d->n_scripts = d->n_ifaces = 0;
}


/* ---- reload ------------------------------------------------------------ */

static struct vrrp_rt *find_old(struct xvipd *d, const struct config_vrrp_instance *c)
{
	for (size_t i = 0; i < d->n_inst; i++) {
		const struct config_vrrp_instance *o = d->inst[i].cfg;

		if (strcmp(o->name, c->name) == 0 && strcmp(o->interface, c->interface) == 0 &&
		    o->virtual_router_id == c->virtual_router_id && o->version == c->version)
			return &d->inst[i];
	}
	return NULL;
}

static void retire_scripts(struct xvipd *d)
{
	bool busy = false;

	for (size_t i = 0; i < d->n_scripts; i++) {
		struct script_rt *s = &d->scripts[i];

		if (s->timer_id)
			loop_cancel_timer(d->loop, s->timer_id);
		s->timer_id = 0;
		s->retired = true;
		busy |= s->running;
	}
	/* A running script's completion still points into this array. */
	if (busy) {
		struct script_rt **r = realloc(d->retired, (d->n_retired + 1) * sizeof(*r));

		if (r) {
			d->retired = r;
			d->retired[d->n_retired++] = d->scripts;
			d->scripts = NULL;
		}
	}
	free(d->scripts);
	d->scripts = NULL;
	d->n_scripts = 0;
}

int vrrp_reconfigure(struct xvipd *d, struct xvip_config *next, char *err, size_t errlen)
{
	struct vrrp_rt *fresh = calloc(next->n_instances ? next->n_instances : 1, sizeof(*fresh));
	struct script_rt *scripts = calloc(next->n_scripts ? next->n_scripts : 1, sizeof(*scripts));
	bool *kept = calloc(d->n_inst ? d->n_inst : 1, sizeof(*kept));
	bool *is_new = calloc(next->n_instances ? next->n_instances : 1, sizeof(*is_new));
	uint64_t t0 = now_us();
	int rc = -ENOMEM;

	if (!fresh || !scripts || !kept || !is_new)
		goto fail;
	/* The state machines learn of every absorbed advert, and the kernel
	 * gives the adverts back: the next ones are judged by the new
	 * configuration (auth, addresses, timing) before they sleep again. */
	for (size_t i = 0; i < d->n_inst; i++) {
		quiet_catch_up(d, &d->inst[i]);
		quiet_off(d, &d->inst[i]);
	}
	/* Everything that can fail, before anything changes. */
	for (size_t i = 0; i < next->n_instances; i++) {
		const struct config_vrrp_instance *c = &next->instances[i];
		struct vrrp_rt *old = find_old(d, c);

		if (old) {
			fresh[i] = *old;
			fresh[i].cfg = c;
			fresh[i].timer_id = fresh[i].garp_delay_timer = fresh[i].garp_refresh_timer = 0;
			fresh[i].reannounce_timer = 0;
			fresh[i].liv_timer = fresh[i].renew_timer = fresh[i].liv_pm_timer = 0;
			kept[old - d->inst] = true;
			continue;
		}
		rc = instance_init(d, &fresh[i], c, err, errlen);
		if (rc < 0)
			goto fail;
		rc = iface_setup(d, next, fresh[i].ifc, err, errlen);
		if (rc < 0)
			goto fail;
		is_new[i] = true;
	}
	/* Instances that are gone: step down as on a stop, take their VIPs away. */
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];
		struct fsm_result r;

		if (in->timer_id)
			loop_cancel_timer(d->loop, in->timer_id);
		cancel_garp_timers(d, in);
		liv_stop(d, in);
		in->timer_id = 0;
		if (kept[i])
			continue;
		xlog(LOG_NOTICE, "(%s) removed by the reload", in->cfg->name);
		if (in->fsm.state == VRRP_STATE_MASTER)
			vips_write(d, in, false);
		fsm_shutdown(&in->fsm, t0, &r);
		apply(d, in, &r, t0);
		if (in->timer_id)
			loop_cancel_timer(d->loop, in->timer_id);
		liv_retire(d, in);
		for (size_t k = 0; k < in->cfg->n_vips; k++)
			vip_uninstall(d, in, &in->cfg->vips[k]);
	}
	/* Kept instances: VIPs that left or arrived, new timing and priority. */
	for (size_t i = 0; i < next->n_instances; i++) {
		struct vrrp_rt *in = &fresh[i];
		struct vrrp_rt *old = is_new[i] ? NULL : find_old(d, in->cfg);
		const struct config_vrrp_instance *c = in->cfg;

		if (old) {
			for (size_t k = 0; k < old->cfg->n_vips; k++)
				if (!has_vip(c, old->cfg->vips[k].addr.s_addr))
					vip_uninstall(d, old, &old->cfg->vips[k]);
			in->fsm.cfg.base_priority = c->priority;
			in->fsm.cfg.advert_int_us = (uint64_t)c->advert_int_ms * 1000;
			in->fsm.cfg.preempt = !c->nopreempt;
			in->fsm.cfg.preempt_delay_us = (uint64_t)c->preempt_delay_ms * 1000;
			vrrp_set_password(in->auth, c->auth_type == CONFIG_AUTH_PASS ? c->auth_pass : "");
		}
		for (size_t k = 0; k < c->n_vips; k++)
			if (!old || !has_vip(old->cfg, c->vips[k].addr.s_addr))
				vip_install(d, in, &c->vips[k]);
	}
	retire_scripts(d);
	free(d->inst);
	d->inst = fresh;
	d->n_inst = next->n_instances;
	if (d->hooks.instances_replaced)
		d->hooks.instances_replaced(d);
	d->scripts = scripts;
	for (size_t i = 0; i < next->n_scripts; i++) {
		scripts[i].cfg = &next->scripts[i];
		scripts[i].d = d;
		if (script_tracked(next, scripts[i].cfg))
			script_schedule(&scripts[i], 0);
	}
	d->n_scripts = next->n_scripts;
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];
		struct fsm_result r;

		liv_configure(d, in);
		if (is_new[i]) {
			fsm_start(&in->fsm, t0, &r);
			apply(d, in, &r, t0);
		} else if (in->fsm.state == VRRP_STATE_MASTER) {
			vips_write(d, in, true); /* new VIPs owned at once */
		}
		vrrp_recompute(d, in);
		arm_timer(d, in);
	}
	arp_other_interfaces(d, next);
	free(kept);
	free(is_new);
	return 0;
fail:
	free(fresh);
	free(scripts);
	free(kept);
	free(is_new);
	return rc;
}
