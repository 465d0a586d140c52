/* Interfaces and addresses through rtnetlink (libnl-3 / libnl-route-3), the
 * DR real-server ARP sysctls, and a link monitor that lives in the loop.
 *
 * Every function opens its own short-lived netlink socket: these are rare
 * calls (start-up, a state change), and a kernel round trip never blocks for
 * long. All functions return 0 (or a documented value) or -errno, and on
 * failure write into err a message naming the interface and address. */
#ifndef XVIP_NETLINK_H
#define XVIP_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define XVIP_IFNAMSIZ 16

struct iface_info {
	int ifindex;
	char name[XVIP_IFNAMSIZ];
	uint8_t mac[6];    /* all zero when the link has no 6-byte address */
	uint32_t addr_be;  /* first global IPv4 address (primary ones first), 0 if none */
	int prefixlen;     /* of addr_be, 0 if none */
	unsigned int mtu;
	bool up;           /* IFF_UP (administratively up) */
	bool running;      /* IFF_RUNNING (operationally up) */
	bool lower_up;     /* IFF_LOWER_UP (carrier) */
};

/* Fills *out for ifname. -ENODEV when there is no such interface. */
int nl_iface_info(const char *ifname, struct iface_info *out, char *err, size_t errlen);

struct xdp_facts;
/* What decides the XDP mode of ifname (xdp_mode.h): its kind, its driver,
 * and for a veth whether its peer (through IFLA_LINK and IFLA_LINK_NETNSID,
 * queried in the peer's namespace with IFLA_TARGET_NETNSID) has an XDP
 * program. remote_steering is left as it was (the caller's). A peer that
 * cannot be queried is not an error: f->peer_known stays false and
 * f->peer_error says why. */
int nl_xdp_facts(const char *ifname, struct xdp_facts *f, char *err, size_t errlen);

/* Adds addr_be/prefixlen to ifname unless the address is already on it (with
 * any prefix length): idempotent. label may be NULL (the kernel then uses the
 * interface name); otherwise the kernel's rules apply (at most 15 chars,
 * conventionally "<ifname>:<tag>"). */
int nl_addr_ensure(const char *ifname, uint32_t addr_be, int prefixlen, const char *label,
		   char *err, size_t errlen);

/* Removes addr_be (whatever its prefix length) from ifname if it is there:
 * idempotent. */
int nl_addr_remove(const char *ifname, uint32_t addr_be, char *err, size_t errlen);

/* 1 when addr_be is on ifname, 0 when not, -errno on failure (-ENODEV when
 * there is no such interface). */
int nl_addr_present(const char *ifname, uint32_t addr_be);

/* addr_be is an address of an interface of this host other than lo (a VIP
 * kept on lo is not "this host" for a real server). */
bool nl_addr_is_local(uint32_t addr_be);

/* net.ipv4.conf.<ifname>.arp_ignore = 1 and arp_announce = 2: the DR
 * real-server convention, so that the kernel answers no ARP for a VIP kept
 * on lo and never uses it as an ARP source. */
int sysctl_arp_dr(const char *ifname, char *err, size_t errlen);

/* The interfaces, other than lo and skip[0..n), whose kernel answers ARP
 * for any local address whatever interface holds it, a VIP kept on lo
 * included: effective arp_ignore (the larger of conf/all and
 * conf/<if>) 0. Their names, space-separated, into out (empty: none).
 * Returns how many. */
int sysctl_arp_answering(const char *const *skip, size_t n, char *out, size_t outlen);

/* Reads / writes one integer under /proc/sys. path is a full path
 * ("/proc/sys/net/ipv4/conf/eth0/arp_ignore"). 0 or -errno. */
int sysctl_get_int(const char *path, int *val);
int sysctl_set_int(const char *path, int val, char *err, size_t errlen);

/* Link monitor: RTNLGRP_LINK on a non-blocking netlink socket watched by the
 * loop. cb runs for every RTM_NEWLINK / RTM_DELLINK with
 * up_and_running = IFF_UP && IFF_RUNNING (false for a deleted link). The
 * kernel sends a message for any change, so cb sees repeats of the same
 * state: compare with what you had. If the socket overruns (ENOBUFS) the
 * monitor re-dumps every link and calls cb for each one. cb may call
 * nl_monitor_close. */
struct nl_monitor;
typedef void (*nl_link_cb)(void *arg, int ifindex, const char *ifname, bool up_and_running);

struct nl_monitor *nl_monitor_open(struct loop *l, nl_link_cb cb, void *arg, char *err,
				   size_t errlen);
void nl_monitor_close(struct nl_monitor *m);

/* The neighbour changes too (RTNLGRP_NEIGH): cb runs for every IPv4
 * RTM_NEWNEIGH that carries a link-layer address in a usable state
 * (REACHABLE, STALE, DELAY, PROBE, PERMANENT, NOARP), addr_be the
 * neighbour's address. 0, or -errno (the link monitor keeps working). */
typedef void (*nl_neigh_cb)(void *arg, int ifindex, uint32_t addr_be, const uint8_t mac[6]);
int nl_monitor_neigh(struct nl_monitor *m, nl_neigh_cb cb, void *arg);

#endif
