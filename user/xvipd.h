/* The daemon: what ties its modules together. vrrp.c (the instances),
 * service.c (virtual servers and the writer), control.c (the control
 * socket) each keep their own state; struct xvipd owns it and xvipd.c
 * (main, signals, reload) binds them. */
#ifndef XVIP_XVIPD_H
#define XVIP_XVIPD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "dataplane.h"
#include "loop.h"
#include "vrrp.h"
#include "xdp_mode.h"

/* What vrrp.c tells the rest of the daemon (xvipd.c binds them to the
 * services). Every hook may be NULL. */
struct vrrp_hooks {
	/* the instance gained (owner true) or lost its VIPs; silent_peer: the
	 * master whose adverts stopped, when that made us master (else 0) */
	void (*owner_changed)(struct xvipd *d, struct vrrp_rt *in, bool owner,
			      uint32_t silent_peer);
	/* true: something the instance carries has nothing to serve with */
	bool (*instance_fault)(struct xvipd *d, const struct vrrp_rt *in);
	/* a reload replaced the instances (pointers into the old ones die) */
	void (*instances_replaced)(struct xvipd *d);
};

struct services;

struct metrics_http;

struct xvipd {
	struct loop *loop;
	struct services *svc; /* the virtual servers (service.c) */
	struct witness *witness; /* global_defs witness_zookeeper, NULL none */
	struct vrrp_hooks hooks;
	const char *cfg_path;
	char pin_root[256];
	struct xvip_config *cfg;
	/* The config the services were built from: the same as cfg, except
	 * while a reload's virtual_server changes wait (services_apply). */
	struct xvip_config *svc_cfg;
	/* virtual_server changes of a reload that wait for a promotion in
	 * flight to end: retried by this timer */
	uint64_t svc_retry_timer;
	unsigned svc_retries;
	struct xvip_dp dp;
	/* this daemon's token in xvipd_life once the kernel watches its death
	 * (selflife.h), 0 without: fast liveness then needs the short lease */
	uint32_t life_token;
	enum xdp_pref xdp_pref; /* --native, --generic, or auto */
	bool stopping;

	struct iface_rt ifaces[XVIPD_MAX_IFACES];
	size_t n_ifaces;
	struct vrrp_rt *inst;
	size_t n_inst;
	struct script_rt *scripts;
	size_t n_scripts;
	struct script_rt **retired; /* arrays replaced by reloads */
	size_t n_retired;

	struct ring_buffer *events;
	struct nl_monitor *linkmon;
	struct metrics_http *metrics;
	struct mailer *mailer;   /* smtp_alert's mails (alerts.c) */
	int ctl_fd;
	bool ctl_paused;   /* out of fds: not accepting for a moment */
	char ctl_path[256];
	uint64_t started_us;
	uint64_t reloads, reload_failures;
};

#endif
