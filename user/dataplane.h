/* Loading, pinning, attaching the XDP data plane, and reading/writing its
 * maps. Used by xvipd (which loads and attaches) and xvipctl (which only
 * opens the pinned maps). */
#ifndef XVIP_DATAPLANE_H
#define XVIP_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "clock.h"
#include "xdp_mode.h"
#include "xvip.h"

struct xvip_bpf; /* the generated skeleton */

/* File descriptors of every map, whether created by a load or opened from
 * the pins. -1 where not open. */
struct xvip_maps {
	int vips, vip_stats, vrrp_stats, services, backends, slots;
	int conns, persist, svc_stats, counters, events;
	int liv_cfg, liv_state, liv_peers, vip_claims;
	int vrrp_quiet, vrrp_quiet_rt, vrrp_auth_seq, xvipd_life, liv_auth, liv_nonce;
};

struct xvip_dp {
	struct xvip_bpf *skel;
	struct xvip_maps maps;
	char pin_root[256];
};

/* One attachment of the program to one interface: where, in which mode and
 * why (a daemon has one per interface it serves). */
struct xvip_attach {
	int ifindex;              /* 0: not attached */
	char ifname[16];
	uint32_t xdp_flags;       /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	char why[XDP_WHY_LEN];    /* why this mode, for the log and status */
	char warning[XDP_WHY_LEN]; /* a risk left in this mode, "" if none */
	char kind[16];            /* the link's kind ("veth", ...; "" for a NIC) */
	bool remote_steering;     /* the plan counted on DR to a remote backend */
};

/* Errors are written to err (a full sentence naming what failed) and the
 * function returns a negative errno. */

/* Mount bpffs at pin_root's mount point if nothing is mounted there (only for
 * the default /sys/fs/bpf), create pin_root, open and load the program,
 * reusing pinned maps whose layout matches and refusing ones that differ. */
int dp_open(struct xvip_dp *dp, const char *pin_root, char *err, size_t errlen);

/* Attach to ifname in the mode xdp_plan_decide() picks from the interface's
 * facts (nl_xdp_facts) and pref: native where its frames can leave, else
 * generic; a native attach the driver refuses falls back to generic unless
 * pref is XDP_PREF_NATIVE, which also fails where native cannot work (a veth
 * whose peer has no XDP program), with the reason in err. remote_steering:
 * a DR service may send client frames on to another node through this
 * interface. An xvip program already attached there is replaced atomically
 * when it runs in the chosen mode, else detached first; anyone else's
 * program is left alone (error). *att records the outcome. */
int dp_attach(struct xvip_dp *dp, const char *ifname, enum xdp_pref pref, bool remote_steering,
	      struct xvip_attach *att, char *err, size_t errlen);
/* "native" or "generic" */
const char *dp_attach_mode(const struct xvip_attach *att);
/* The program's name in the kernel (xvip.bpf.c's entry point). */
#define XVIP_PROG_NAME "xvip_xdp"
/* An fd of the xvip program attached to ifindex (native or generic, told
 * in *generic), -1 when there is none or it is someone else's. */
int dp_xvip_prog_fd(int ifindex, bool *generic);

/* Detach our program from att's interface (only if it is still ours). */
int dp_detach(struct xvip_dp *dp, struct xvip_attach *att, char *err, size_t errlen);

/* Close fds and free the skeleton; leaves pins and any attachment in place. */
void dp_close(struct xvip_dp *dp);

/* Detach whatever xvip program is attached to ifname (no loaded skeleton
 * needed): for `xvipctl detach`. */
int dp_detach_ifname(const char *ifname, char *err, size_t errlen);

/* Open the pinned maps under pin_root (xvipctl, or a daemon not loading). */
int maps_open_pinned(struct xvip_maps *m, const char *pin_root, char *err, size_t errlen);
void maps_close(struct xvip_maps *m);

/* Remove every pin under pin_root that xvip created. */
int maps_unpin(const char *pin_root, char *err, size_t errlen);


/* Map helpers (thin, so the daemon's hot path is one syscall). */
int dp_vip_put(const struct xvip_maps *m, uint32_t addr_be, const struct vip_entry *v);
/* n entries in one system call (BPF_MAP_UPDATE_BATCH; one by one where the
 * kernel has none). */
int dp_vip_put_many(const struct xvip_maps *m, const uint32_t *addr_be,
		    const struct vip_entry *v, unsigned n);
int dp_vip_get(const struct xvip_maps *m, uint32_t addr_be, struct vip_entry *v);
/* What the data plane's vip_lease_fresh() decides for v at now (monotonic
 * ns): owner, lease fresh, and, for an entry fenced by its daemon's life,
 * that daemon alive (xvipd_life; without the map, such an entry is not). */
bool dp_vip_fresh(const struct xvip_maps *m, const struct vip_entry *v, uint64_t now);
int dp_vip_del(const struct xvip_maps *m, uint32_t addr_be);
/* Sum a VIP's per-CPU counters. */
int dp_vip_counters(const struct xvip_maps *m, uint32_t addr_be, struct vip_counters *out);
/* Sum the per-CPU verdict counters into out[XVIP_R_MAX]. */
int dp_reason_counters(const struct xvip_maps *m, uint64_t out[XVIP_R_MAX]);
int dp_vrrp_stats(const struct xvip_maps *m, uint8_t vrid, struct vrrp_stats *out);
int dp_svc_counters(const struct xvip_maps *m, uint32_t svc_id, struct svc_counters *out);
const char *dp_reason_name(unsigned reason);

/* Fast liveness (include/xvip.h): the reflector's settings per VRID, the
 * watcher's record of its master's answers, the admitted peers. */
int dp_liv_cfg_put(const struct xvip_maps *m, uint8_t vrid, const struct liv_cfg *c);
int dp_liv_state_get(const struct xvip_maps *m, uint8_t vrid, struct liv_state *s);
/* Start watching master (0: stop): zeroes the record. */
int dp_liv_watch(const struct xvip_maps *m, uint8_t vrid, uint32_t master_be);
int dp_liv_peer_add(const struct xvip_maps *m, uint8_t vrid, uint32_t addr_be, bool learned);
int dp_liv_peer_get(const struct xvip_maps *m, uint8_t vrid, uint32_t addr_be,
		    struct liv_peer *p);
/* Remove every peer of vrid (all VRIDs when vrid is 0). */
void dp_liv_peers_clear(const struct xvip_maps *m, uint8_t vrid);
/* Keyed fast liveness (auth_key_file): the instance's keys (liv_auth; all
 * zeros: not keyed), and what the reflector remembers of a keyed peer
 * (liv_nonce). -ENOENT: no such entry, or an older xvipd's pins. */
int dp_liv_auth_put(const struct xvip_maps *m, uint8_t vrid, const struct liv_auth *a);
int dp_liv_auth_get(const struct xvip_maps *m, uint8_t vrid, struct liv_auth *a);
int dp_liv_nonce_get(const struct xvip_maps *m, uint8_t vrid, uint32_t addr_be,
		     struct liv_nonce *n);

/* Backups that sleep (include/xvip.h): a VRID's template, written whole
 * (replacing the old one) or removed; the kernel's record of it. */
int dp_quiet_put(const struct xvip_maps *m, uint8_t vrid, const struct vrrp_quiet *q);
int dp_quiet_del(const struct xvip_maps *m, uint8_t vrid);
/* Every template (at start: what an earlier run left). */
void dp_quiet_clear(const struct xvip_maps *m);
int dp_quiet_rt_get(const struct xvip_maps *m, uint8_t vrid, struct vrrp_quiet_rt *rt);

/* auth_key_file: the last sequence accepted from a peer, kept in the pinned
 * vrrp_auth_seq map across restarts. 0 or -errno (-ENOENT: none). */
int dp_auth_seq_get(const struct xvip_maps *m, int ifindex, uint8_t vrid, uint32_t peer,
		    uint64_t *seq);
int dp_auth_seq_put(const struct xvip_maps *m, int ifindex, uint8_t vrid, uint32_t peer,
		    uint64_t seq);
/* The socket filter's program fd (-1 without a loaded data plane). */
int dp_quiet_prog_fd(const struct xvip_dp *dp);

#endif

/* Program a DR service: backends, the slot table built from their weights
 * (slots.c), then the service entry with a new generation, in that order so
 * that a packet never sees a slot pointing at a backend not yet written.
 * The service id is kept if the service exists, else the lowest free one.
 * b[i].weight/healthy/local/mac/addr as in struct backend. */
int dp_service_put(const struct xvip_maps *m, const struct svc_key *k, uint8_t sched,
		   uint32_t persistence_s, const struct backend *b, int n, uint32_t *id_out,
		   char *err, size_t errlen);
int dp_service_del(const struct xvip_maps *m, const struct svc_key *k);
