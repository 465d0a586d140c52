/* Which XDP mode an interface can use, decided from what the kernel tells
 * about it. Pure: the facts are gathered by netlink.c (nl_xdp_facts), the
 * plan is carried out by dataplane.c (dp_attach).
 *
 * Why this exists: an XDP program attached in native (driver) mode sends its
 * ARP replies and steered frames with XDP_TX, and on some devices those
 * frames never leave while everything looks attached and healthy:
 *  - veth: a frame sent with XDP_TX is handed to the peer's XDP receive
 *    queue, which exists only while the peer has an XDP program of its own;
 *    without one the frame is dropped (counted as the veth's tx_dropped and
 *    rx_queue_N_xdp_tx_errors). Seen on 6.18 also with GRO on the peer.
 *  - veth: a sender in another namespace leaves TCP/UDP checksums to be
 *    filled in later (CHECKSUM_PARTIAL); native XDP turns the frame into a
 *    bare buffer, so a frame steered on with XDP_TX reaches the backend with
 *    a checksum that was never computed and is dropped there. Generic (skb)
 *    XDP keeps the skb and its checksum state.
 * Physical NICs, virtio_net, bonds of such NICs: native where the driver
 * supports it (the attach fails otherwise and generic is used). VLAN, macvlan
 * and other software devices: the kernel has no native XDP for them; generic.
 */
#ifndef XVIP_XDP_MODE_H
#define XVIP_XDP_MODE_H

#include <stdbool.h>
#include <stddef.h>

#define XDP_WHY_LEN 224

enum xdp_pref {
	XDP_PREF_AUTO = 0, /* native where it can work, else generic (default) */
	XDP_PREF_NATIVE,   /* --native: native or refuse */
	XDP_PREF_GENERIC,  /* --generic */
};

/* What netlink and ethtool say about an interface. */
struct xdp_facts {
	char kind[16];        /* IFLA_INFO_KIND ("veth", "bond", "vlan"); "" for none */
	char driver[32];      /* ethtool's driver name; "" when unknown */
	/* veth only */
	bool peer_known;      /* the peer was found and queried */
	int peer_ifindex;
	int peer_netnsid;     /* -1: the peer is in this namespace */
	bool peer_xdp;        /* a native XDP program is attached to the peer
			       * (a generic one does not make it take XDP_TX) */
	char peer_error[96];  /* why the peer could not be queried */
	/* from the configuration: a DR service on this interface may send a
	 * client's frame on to another node with XDP_TX */
	bool remote_steering;
};

enum xdp_plan_mode {
	XDP_PLAN_NATIVE,          /* native, falling back to generic if the driver refuses */
	XDP_PLAN_NATIVE_ONLY,     /* native, and an attach failure is an error */
	XDP_PLAN_GENERIC,
	XDP_PLAN_REFUSE,          /* --native where native cannot work */
};

struct xdp_plan {
	enum xdp_plan_mode mode;
	/* why this mode (or why refused): a sentence for the log and status */
	char why[XDP_WHY_LEN];
	/* a risk that remains in the chosen mode ("" if none) */
	char warning[XDP_WHY_LEN];
};

void xdp_plan_decide(const struct xdp_facts *f, enum xdp_pref pref, struct xdp_plan *out);

/* "auto", "native", "generic" */
const char *xdp_pref_name(enum xdp_pref p);

#endif
