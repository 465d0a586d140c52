/* Backups that sleep (include/xvip.h, docs/architecture.md): a backup's
 * daemon hands the routine adverts of its master to the kernel. After an
 * advert the state machine calls routine (fsm_advert_routine: it would only
 * re-arm the master down timer), the daemon writes that advert as the
 * VRID's template; the socket filter on the VRRP socket then absorbs its
 * identical copies and re-arms a kernel timer of master-down length. The
 * daemon wakes when that timer runs out (XVIP_EV_MASTER_DOWN), for any
 * other advert, and once a second at most on its own backstop timer.
 *
 * Before any input reaches the state machine, quiet_catch_up() tells it of
 * the newest absorbed advert (as if it had been received then), so the
 * machine decides exactly as if it had seen every advert; after any input,
 * quiet_recheck() removes the template when such adverts would no longer
 * be routine (a state or priority change). */
#include <errno.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "log.h"
#include "vrrp_int.h"
#include "xvipd.h"

/* The daemon's own timer while the kernel's runs: a lost ring event (a full
 * ring buffer) costs at most this much detection time. */
#define QUIET_BACKSTOP_US 1000000ull

void quiet_iface_attach(struct xvipd *d, struct iface_rt *ifc)
{
	int prog = dp_quiet_prog_fd(&d->dp);

	ifc->quiet = false;
	if (prog < 0 || ifc->vrrp_fd < 0)
		return;
	if (setsockopt(ifc->vrrp_fd, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)) < 0) {
		xlog(LOG_WARNING, "%s: cannot attach the VRRP socket filter (%s): backups wake for "
		     "every advert", ifc->name, strerror(errno));
		return;
	}
	ifc->quiet = true;
}

/* Another instance of this daemon with the same VRID (on another
 * interface): the maps are per VRID, so neither sleeps. */
static bool vrid_shared(const struct xvipd *d, const struct vrrp_rt *in)
{
	for (size_t i = 0; i < d->n_inst; i++)
		if (&d->inst[i] != in &&
		    d->inst[i].cfg->virtual_router_id == in->cfg->virtual_router_id)
			return true;
	return false;
}

/* Absorbed adverts are received adverts: counted as such, and apart. */
static void count(struct vrrp_rt *in, const struct vrrp_quiet_rt *rt)
{
	if (rt->absorbed > in->quiet_seen) {
		in->rx_adverts += rt->absorbed - in->quiet_seen;
		in->quiet_absorbed += rt->absorbed - in->quiet_seen;
	}
	in->quiet_seen = rt->absorbed;
}

void quiet_off(struct xvipd *d, struct vrrp_rt *in)
{
	struct vrrp_quiet_rt rt;
	int rc;

	if (!in->quiet_on)
		return;
	if (dp_quiet_rt_get(&d->dp.maps, in->cfg->virtual_router_id, &rt) == 0)
		count(in, &rt);
	rc = dp_quiet_del(&d->dp.maps, in->cfg->virtual_router_id);
	if (rc < 0)
		xlog(LOG_ERR, "(%s) cannot remove the advert template: %s", in->cfg->name,
		     strerror(-rc));
	in->quiet_on = in->quiet_handed = false;
}

static void quiet_write(struct xvipd *d, struct vrrp_rt *in, struct vrrp_quiet *q)
{
	int rc;

	if (!in->quiet_gen) {
		struct vrrp_quiet_rt rt;

		/* not a generation an earlier run left in the kernel, nor its
		 * counts */
		in->quiet_gen = (uint32_t)now_us();
		if (dp_quiet_rt_get(&d->dp.maps, in->cfg->virtual_router_id, &rt) == 0)
			in->quiet_seen = rt.absorbed;
	}
	q->gen = ++in->quiet_gen;
	rc = dp_quiet_put(&d->dp.maps, in->cfg->virtual_router_id, q);
	if (rc < 0) {
		xlog(LOG_WARNING, "(%s) cannot write the advert template (%s): this backup wakes "
		     "for every advert", in->cfg->name, strerror(-rc));
		in->quiet_disabled = true;
		in->quiet_on = false;
		return;
	}
	in->quiet = *q;
	in->quiet_on = true;
	in->quiet_handed = false; /* until the kernel absorbed a copy of this one */
}

void quiet_after_advert(struct xvipd *d, struct vrrp_rt *in, const uint8_t *pkt, size_t len,
			const struct vrrp_advert *adv, uint64_t t0)
{
	const struct iphdr *iph = (const void *)pkt;
	size_t hl = (size_t)iph->ihl * 4;
	struct vrrp_quiet q;

	/* an authenticated advert is never the same twice (its sequence):
	 * each one is checked by the daemon */
	if (!in->ifc->quiet || in->quiet_disabled || in->cfg->auth_key.len || len <= hl || len - hl > XVIP_QUIET_MAX ||
	    !fsm_advert_routine(&in->fsm, adv->priority, iph->saddr, adv->adver_int_us) ||
	    vrid_shared(d, in)) {
		quiet_off(d, in);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.ifindex = (uint32_t)in->ifc->ifindex;
	q.saddr = iph->saddr;
	q.daddr = iph->daddr;
	q.ttl = iph->ttl;
	q.len = (uint16_t)(len - hl);
	memcpy(q.vrrp, pkt + hl, q.len);
	q.down_ns = fsm_master_down_us(&in->fsm) * 1000;
	in->quiet_fed_ns = t0 * 1000;
	if (in->quiet_on) {
		q.gen = in->quiet.gen;
		if (memcmp(&q, &in->quiet, sizeof(q)) == 0)
			return; /* the same one: it passed while we were setting it */
	}
	in->quiet_prio = adv->priority;
	in->quiet_int_us = adv->adver_int_us;
	quiet_write(d, in, &q);
}

void quiet_catch_up(struct xvipd *d, struct vrrp_rt *in)
{
	struct vrrp_quiet_rt rt;
	struct fsm_result r;

	if (!in->quiet_on || dp_quiet_rt_get(&d->dp.maps, in->cfg->virtual_router_id, &rt) < 0)
		return;
	count(in, &rt);
	if (rt.timer_errors) {
		/* the kernel could not run the timer: every advert passed to
		 * us meanwhile, nothing was lost; stop asking */
		xlog(LOG_WARNING, "(%s) the kernel's master down timer failed (%llu times): this "
		     "backup wakes for every advert", in->cfg->name,
		     (unsigned long long)rt.timer_errors);
		quiet_off(d, in);
		in->quiet_disabled = true;
		return;
	}
	if (rt.gen != in->quiet.gen || rt.last_ns <= in->quiet_fed_ns)
		return;
	in->quiet_handed = true;
	in->quiet_fed_ns = rt.last_ns;
	fsm_advert_received(&in->fsm, rt.last_ns / 1000, in->quiet_prio, in->quiet.saddr,
			    in->quiet_int_us, &r);
	if (r.n || r.old_state != r.new_state)
		apply(d, in, &r, rt.last_ns / 1000); /* not routine after all: act, and recheck */
}

void quiet_recheck(struct xvipd *d, struct vrrp_rt *in)
{
	struct vrrp_quiet q;

	if (!in->quiet_on)
		return;
	if (!fsm_advert_routine(&in->fsm, in->quiet_prio, in->quiet.saddr, in->quiet_int_us)) {
		quiet_off(d, in);
		return;
	}
	/* our priority moved the skew: the same template, a new length */
	if (fsm_master_down_us(&in->fsm) * 1000 != in->quiet.down_ns) {
		q = in->quiet;
		q.down_ns = fsm_master_down_us(&in->fsm) * 1000;
		quiet_write(d, in, &q);
	}
}

uint64_t quiet_deadline(const struct vrrp_rt *in, uint64_t when)
{
	uint64_t backstop;

	if (!in->quiet_on || !in->quiet_handed || in->fsm.state != VRRP_STATE_BACKUP ||
	    when == FSM_NO_DEADLINE)
		return when;
	/* the kernel's timer fires at `when` unless more adverts come */
	backstop = now_us() + QUIET_BACKSTOP_US;
	return when > backstop ? when : backstop;
}

void vrrp_quiet_expired(struct xvipd *d, const struct xvip_event *ev)
{
	for (size_t i = 0; i < d->n_inst; i++) {
		struct vrrp_rt *in = &d->inst[i];
		struct fsm_result r;
		uint64_t t0;

		if (in->cfg->virtual_router_id != ev->vrid ||
		    (uint32_t)in->ifc->ifindex != ev->ifindex || !in->quiet_on)
			continue;
		t0 = now_us();
		in->quiet_wakeups++;
		quiet_catch_up(d, in);
		fsm_timer(&in->fsm, t0, &r);
		if (r.old_state != r.new_state) {
			size_t n = strlen(r.reason);

			/* which clock decided, for the operator */
			snprintf(r.reason + n, sizeof(r.reason) - n, " (in the kernel)");
		}
		apply(d, in, &r, t0);
	}
}

void quiet_reset(struct xvipd *d)
{
	/* templates an earlier run left in pinned maps describe nothing now */
	dp_quiet_clear(&d->dp.maps);
}

void vrrp_quiet_refresh(struct xvipd *d)
{
	for (size_t i = 0; i < d->n_inst; i++)
		quiet_catch_up(d, &d->inst[i]);
}
