/* What vrrp.c (the instances at run time) and vrrp_setup.c (setting them
 * up, tearing down, reload) share. Not for the rest of the daemon: that
 * uses vrrp.h. */
#ifndef XVIP_VRRP_INT_H
#define XVIP_VRRP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "vrrp.h"

/* A vrrp_script and its state (tracking). */
struct script_rt {
	const struct config_vrrp_script *cfg;
	struct xvipd *d;
	bool ok;          /* current result after rise/fall */
	bool known;       /* at least one result */
	unsigned streak;  /* consecutive results against the current state */
	bool running;
	bool retired;     /* replaced by a reload; freed with the daemon */
	uint64_t timer_id;
	uint64_t runs, failures, timeouts;
};

struct iface_rt *iface_get(struct xvipd *d, const char *name, char *err, size_t errlen);
int iface_open_sockets(struct xvipd *d, struct iface_rt *ifc, char *err, size_t errlen);
void iface_close(struct xvipd *d, struct iface_rt *ifc);
/* Own (or release) the instance's VIPs in the vips map, with a fresh lease. */
void vips_write(struct xvipd *d, struct vrrp_rt *in, bool owner);
void cancel_garp_timers(struct xvipd *d, struct vrrp_rt *in);
/* Carry out what the state machine decided, in its order; t0 is when the
 * input arrived. */
void apply(struct xvipd *d, struct vrrp_rt *in, const struct fsm_result *r, uint64_t t0);
void arm_timer(struct xvipd *d, struct vrrp_rt *in);
void script_schedule(struct script_rt *s, uint64_t delay_us);

/* fast liveness (vrrp_liveness.c) */
/* configured, and its socket open: the lease follows the liveness interval */
bool liv_active(const struct vrrp_rt *in);
uint64_t liv_interval_us(const struct vrrp_rt *in);
/* (Re)write the reflector's settings and peers, (re)start the schedule:
 * at setup and after a reload. */
void liv_configure(struct xvipd *d, struct vrrp_rt *in);
/* Follow the state machine: called at the end of apply(). */
void liv_sync(struct xvipd *d, struct vrrp_rt *in);
void liv_stop(struct xvipd *d, struct vrrp_rt *in);
/* An instance that is going away: timers stopped, the reflector off for
 * its VRID and its peers removed. */
void liv_retire(struct xvipd *d, struct vrrp_rt *in);
void liv_advert_seen(struct xvipd *d, struct vrrp_rt *in, uint32_t addr);

/* backups that sleep (vrrp_quiet.c) */
/* Put the socket filter on the interface's VRRP socket (ifc->quiet). */
void quiet_iface_attach(struct xvipd *d, struct iface_rt *ifc);
/* After an accepted advert went through the state machine: hand its
 * copies to the kernel if they are routine now, else take the template
 * back. pkt/len: the packet from its IP header. */
void quiet_after_advert(struct xvipd *d, struct vrrp_rt *in, const uint8_t *pkt, size_t len,
			const struct vrrp_advert *adv, uint64_t t0);
/* Before any input to the state machine: feed it the newest absorbed
 * advert. */
void quiet_catch_up(struct xvipd *d, struct vrrp_rt *in);
/* After any input (end of apply): the template goes when not routine. */
void quiet_recheck(struct xvipd *d, struct vrrp_rt *in);
/* No template left from an earlier run (at setup). */
void quiet_reset(struct xvipd *d);
/* Take the template back (reload, teardown). */
void quiet_off(struct xvipd *d, struct vrrp_rt *in);
/* The daemon's own deadline for `when` (the machine's next): later while
 * the kernel's timer runs, as a backstop. */
uint64_t quiet_deadline(const struct vrrp_rt *in, uint64_t when);

#endif
