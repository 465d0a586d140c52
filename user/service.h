/* Virtual servers: real-server health from the checks (check.c), the DR maps,
 * and, for `lb_algo fo` services, the single writer of a MySQL pair:
 * sticky (no automatic fail-back), fenced (read_only on every other node when
 * manage_read_only), and promoted only when it has applied what it received.
 * Only the owner of the VIP (MASTER of the instance carrying it) steers and
 * decides; the other node keeps probing so it is ready to take over. */
#ifndef XVIP_SERVICE_H
#define XVIP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf;
struct xvipd;
struct vrrp_rt;

int service_setup(struct xvipd *d, char *err, size_t errlen);
void service_teardown(struct xvipd *d);
/* After a reload replaced the instances: point every service at the
 * instance that now holds its VIP. */
void service_rebind(struct xvipd *d);
/* Rebuilds the virtual servers from d->cfg after a reload, keeping what
 * did not change: the writer, real servers' state, checks whose settings
 * are the same (their connections too). -EBUSY while a promotion, fence or
 * semi-sync switch is in flight (try again shortly); the running services
 * are then untouched. */
int service_reconfigure(struct xvipd *d, char *err, size_t errlen);
/* The instance gained (true) or lost the VIP: take over or drop the
 * services it carries. silent_peer: we gained it because the adverts of
 * the master at this address stopped (fsm_result.silent_master; 0 for any
 * other cause): its real servers are taken as unreachable until one of
 * their probes succeeds again. */
void service_owner_changed(struct xvipd *d, struct vrrp_rt *in, bool owner, uint32_t silent_peer);
/* true when a service of this instance has nothing to serve with: its
 * local real server is down and no other is up (the instance goes FAULT,
 * as the seed's `notify_down` + `pkill keepalived` meant). */
bool service_instance_fault(struct xvipd *d, const struct vrrp_rt *in);

/* The kernel's neighbour table has addr at mac (netlink.h's nl_neigh_cb;
 * arg: the struct xvipd): a remote real server's MAC is followed, and the
 * DR maps rewritten when it changed (a replaced NIC, a moved address). */
void service_neigh_changed(void *arg, int ifindex, uint32_t addr_be, const uint8_t mac[6]);

/* Control socket commands; reply is a malloc'd text. */
char *service_promote(struct xvipd *d, const char *target);
char *service_check_mysql(struct xvipd *d);
/* JSON array / text block describing every virtual server. */
void service_status_json(struct xvipd *d, struct sbuf *b);
void service_status_text(struct xvipd *d, struct sbuf *b);
void service_status_metrics(struct xvipd *d, struct sbuf *b);

/* The witness's session came or went (witness_new's on_state; arg: the
 * struct xvipd): every fo service is told (service_witness.c). */
void svc_witness_state(void *arg, bool connected);

#endif
