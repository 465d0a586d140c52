/* The VRRP instances on the wire and in the maps (vrrp.c): interfaces and
 * their sockets, each instance's state machine (vrrp_fsm.c decides, vrrp.c
 * acts), leases, GARPs, tracking, reload of the instances. What the rest of
 * the daemon needs to know of an instance's changes it hears through the
 * hooks in struct xvipd (xvipd.h), bound by xvipd.c. */
#ifndef XVIP_VRRP_H
#define XVIP_VRRP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dataplane.h"
#include "liveness.h"
#include "loop.h"
#include "ring.h"
#include "vrrp_fsm.h"
#include "vrrp_pkt.h"

struct xvipd;

#define XVIPD_MAX_IFACES 8
#define XVIPD_HISTORY 8
/* The lease an advert buys, in advert intervals: longer than the gap
 * between two adverts, shorter than the peer's 3 x interval + skew
 * master_down_interval, so a dead daemon's XDP falls silent before the
 * peer answers. */
#define XVIPD_LEASE_NUM 5
#define XVIPD_LEASE_DEN 2

struct iface_rt {
	char name[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	uint32_t addr;     /* primary IPv4, network order */
	bool up;           /* IFF_UP and running */
	int vrrp_fd;       /* raw IPPROTO_VRRP socket bound to the interface */
	int garp_fd;       /* AF_PACKET socket for gratuitous ARP */
	int liv_fd;        /* UDP socket for fast-liveness echoes, -1 if none */
	uint32_t liv_src;  /* the address liv_fd is bound to: the echoes' source */
	struct xvip_attach att; /* the XDP program here: mode and why */
	bool quiet;        /* the socket filter is on vrrp_fd (vrrp_quiet.c) */
	uint64_t rx_unknown_vrid;
	uint64_t rx_own;   /* our own adverts looped back (ignored) */
};

struct transition {
	uint64_t at_us;           /* monotonic */
	int64_t wall_ms;          /* realtime, for humans */
	int64_t wall_us;          /* realtime of at_us: when the input arrived */
	enum vrrp_state from, to;
	char reason[FSM_REASON_LEN];
	uint32_t decision_to_map_us;  /* 0 when no map change */
	uint32_t decision_to_garp_us; /* 0 when no GARP */
};

struct script_rt;

struct vrrp_rt {
	struct xvipd *d;     /* the daemon it belongs to (for its timers) */
	const struct config_vrrp_instance *cfg;
	struct iface_rt *ifc;
	struct vrrp_instance_fsm fsm;
	uint64_t timer_id;
	uint32_t src_addr;   /* our advert source */
	uint8_t auth[VRRP_AUTH_LEN];

	/* tracking */
	bool iface_fault;
	int track_weight;

	/* GARP schedule after becoming master */
	uint64_t garp_delay_timer, garp_refresh_timer;
	uint64_t last_reannounce_us;
	uint64_t reannounce_timer; /* the second announce, after locktime */

	/* counters */
	uint64_t tx_adverts, rx_adverts, rx_reject[VRRP_REJ_NR];
	uint64_t conflicts, garp_sent, became_master;
	uint64_t conflict_logged_us;  /* the last "claimed by" line: one a second */
	uint64_t conflicts_unlogged;  /* claims heard since that line */

	/* auth_key_file: the sequences accepted from each peer; one warning
	 * line per reason per 10 s about adverts refused by it */
	struct vrrp_auth_peers auth_peers;
	uint64_t auth_logged_us[VRRP_REJ_NR], auth_unlogged[VRRP_REJ_NR];
	bool auth_seq_warned; /* vrrp_auth_seq could not be written (said once) */

	struct transition hist[XVIPD_HISTORY];
	unsigned nhist; /* total recorded; hist[(nhist - 1) % N] is the newest */

	/* fast liveness (vrrp_liveness.c) */
	struct liveness liv;
	bool liv_configured;
	uint64_t liv_timer, renew_timer, liv_pm_timer;
	uint32_t liv_peers[XVIP_LIV_MAX_PEERS];
	size_t n_liv_peers;
	bool liv_peers_full_warned;
	uint32_t liv_warned_master;
	uint64_t liv_send_errors, liv_renewals, liv_rtt_ns;
	uint64_t renew_planned_us;     /* when the renewal timer was due */
	uint64_t lease_expires_ns;     /* the lease last written (owner) */
	uint64_t liv_renew_late_max_us; /* the latest renewal, for status */
	uint64_t lease_lapses;         /* renewals that came after the lease ran out */
	uint64_t lease_lapse_max_us;   /* by how much, at most */
	uint64_t lease_lapse_logged_us;
	uint64_t liv_nonce_last; /* keyed echoes (auth_key_file): the last nonce sent */
	__u64 liv_key[2];        /* and the key they are tagged with (liv_keys_write) */
	bool liv_keyed;

	/* backups that sleep (vrrp_quiet.c): the template in vrrp_quiet */
	bool quiet_on;              /* written, the kernel absorbs its copies */
	bool quiet_handed;          /* the kernel timer runs for it (absorbed one) */
	bool quiet_disabled;        /* never for this instance (said once) */
	struct vrrp_quiet quiet;    /* what was written */
	uint8_t quiet_prio;         /* what it means to the state machine: */
	uint64_t quiet_int_us;      /* priority, interval (master: quiet.saddr) */
	uint32_t quiet_gen;
	uint64_t quiet_fed_ns;      /* the newest absorbed advert the fsm was fed */
	uint64_t quiet_absorbed;    /* adverts absorbed (also in rx_adverts) */
	uint64_t quiet_seen;        /* the kernel's count when last read */
	uint64_t quiet_wakeups;     /* the kernel's master down timeouts handled */
};

/* Newest first: k from 0 to vrrp_history_len(in) - 1. */
#define vrrp_history_len(in) RING_LEN((in)->nhist, XVIPD_HISTORY)
#define vrrp_history(in, k) RING_NTH((in)->hist, (in)->nhist, XVIPD_HISTORY, k)

int vrrp_setup(struct xvipd *d, char *err, size_t errlen);
void vrrp_start_all(struct xvipd *d);
void vrrp_shutdown_all(struct xvipd *d);
void vrrp_teardown(struct xvipd *d);
/* After a reload: run the instances of next, keeping running state where
 * the instance (by name) still exists on the same interface and VRID. The
 * instances point into next from then on; d->cfg is the caller's to swap
 * (xvipd.c's reload owns the configurations). On failure nothing changed. */
int vrrp_reconfigure(struct xvipd *d, struct xvip_config *next, char *err, size_t errlen);
void vrrp_link_changed(void *arg, int ifindex, const char *ifname, bool up);
/* Tracking changed (links, scripts, services): re-evaluate fault/priority. */
void vrrp_recompute(struct xvipd *d, struct vrrp_rt *in);
void vrrp_conflict(struct xvipd *d, uint32_t vip, const uint8_t mac[6]);
/* A sleeping backup's master down timer ran out in the kernel. */
void vrrp_quiet_expired(struct xvipd *d, const struct xvip_event *ev);
/* Bring every instance up to date with the adverts absorbed (status). */
void vrrp_quiet_refresh(struct xvipd *d);
/* An echo from an unknown address (XVIP_EV_LIV_PEER): maybe a new peer. */
void liv_peer_event(struct xvipd *d, const struct xvip_event *ev);

#endif
