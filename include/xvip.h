/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Map keys, values and constants shared by the XDP program (bpf/) and user
 * space (user/, tools/). Everything here is plain fixed-width data so the two
 * sides agree byte for byte, and BTF carries the field names so that
 * `bpftool map dump pinned <root>/vips` prints them.
 *
 * Addresses and ports are kept in network byte order (as on the wire), times
 * in CLOCK_MONOTONIC nanoseconds (what bpf_ktime_get_ns() returns).
 *
 * When a value layout changes, bump XVIP_MAP_VERSION: the loader refuses to
 * reuse pinned maps whose BTF layout differs from the one compiled in.
 */
#ifndef XVIP_H
#define XVIP_H

#ifdef __bpf__
/* vmlinux.h provides __u8.. __u64, __be16, __be32 */
#else
#include <linux/bpf.h> /* struct bpf_timer */
#include <linux/types.h>
#endif

#include "vrrp_wire.h"

#define XVIP_MAP_VERSION 1

#define XVIP_MAX_VIPS 256
#define XVIP_MAX_SERVICES 64
#define XVIP_MAX_BACKENDS 16 /* per service */
#define XVIP_SLOTS 256       /* weighted slot table size per service */
#define XVIP_MAX_CONNS 65536
#define XVIP_MAX_PERSIST 65536
#define XVIP_RINGBUF_BYTES (256 * 1024)
#define XVIP_NO_BACKEND 0xffffffffu


/* vips: one entry per virtual IPv4 address this node may answer ARP for. */
struct vip_key {
	__be32 addr;
};

struct vip_entry {
	__u64 lease_expires_ns; /* answer ARP only while now < this (monotonic ns) */
	__u8 mac[6];            /* MAC to answer with (the service interface's) */
	__u8 vrid;              /* VRRP instance that owns this VIP */
	__u8 owner;             /* 1: this node holds the VIP */
	__u32 ifindex;          /* service interface; 0 = any */
	__u32 life;             /* the token of the xvipd that wrote it (xvipd_life.token):
				 * the entry counts only while that daemon lives; 0 = the lease
				 * alone (was pad: older pins are reused) */
};

/* xvipd_life (one entry): the daemon whose death the kernel watches. Its
 * fast-liveness VIPs carry its tgid (vip_entry.life); when the kernel dooms
 * it (SIGKILL generated, or its group exit begun: a crash, exit()), a
 * tracepoint (bpf/xvipd_life.bpf.c, its links pinned so that they outlive
 * the daemon) sets dead_ns, and ARP, steering and liveness answers stop at
 * once, without waiting for the lease. */
struct xvipd_life {
	__u32 tgid;    /* the living xvipd (written at its start) */
	__u32 token;   /* random, non-zero, new at every start: what its VIPs carry
			* (a restarted xvipd that got the dead one's pid back does not
			* revive the dead one's entries) */
	__u64 dead_ns; /* 0 while it lives; when the kernel doomed it (monotonic ns) */
	__u32 cause;   /* 9: SIGKILL; another signal: its fatal default action; 0: exit */
	__u32 pad;
};

/* vip_stats: per-CPU counters per VIP (kept apart from vip_entry so that
 * user space can rewrite ownership without racing the data plane's counts). */
struct vip_counters {
	__u64 arp_replies;        /* requests answered with XDP_TX */
	__u64 arp_drop_not_owner; /* requests for a VIP we do not own */
	__u64 arp_drop_expired;   /* owner flag set but the lease ran out */
	__u64 conflicts;          /* another MAC claimed the VIP while we own it */
};

/* vip_claims: per VIP we own, the claims by other MACs and how many became
 * events for the daemon: at most one every XVIP_CLAIM_EVENT_GAP_NS, the
 * rest counted as suppressed (a flood of forged claims neither fills the
 * ring buffer nor wakes the daemon per frame). */
#define XVIP_CLAIM_EVENT_GAP_NS (100ull * 1000000)
struct vip_claims {
	__u64 last_event_ns; /* monotonic ns of the last claim sent as an event */
	__u64 events;        /* claims sent to the daemon */
	__u64 suppressed;    /* claims within the gap: counted only */
};

/* vrrp_stats: one entry per VRID (index = VRID), updated with atomics. */
struct vrrp_stats {
	__u64 adverts;        /* valid adverts seen */
	__u64 last_seen_ns;   /* time of the last valid advert */
	__be32 last_sender;   /* source address of the last valid advert */
	__u16 last_adver_int; /* v2: seconds, v3: centiseconds */
	__u8 last_priority;
	__u8 last_version;
	__u64 prio_zero;      /* adverts with priority 0 (master stepping down) */
	__u64 bad_version;
	__u64 bad_type;
	__u64 bad_length;
	__u64 bad_ttl;
	__u64 bad_checksum;
};

/* services: (VIP, port, protocol) -> scheduling; backends/slots by id. */
enum xvip_sched {
	XVIP_SCHED_WRR = 0, /* weighted round robin (slots by weight) */
	XVIP_SCHED_RR = 1,  /* round robin (equal slots) */
	XVIP_SCHED_FO = 2,  /* weighted failover: highest-weight healthy backend */
};

struct svc_key {
	__be32 vip;
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

struct svc_entry {
	__u32 id;            /* index into backends/slots, < XVIP_MAX_SERVICES */
	__u32 persistence_s; /* 0: no client persistence */
	__u8 sched;          /* enum xvip_sched (informational; slots decide) */
	__u8 nbackends;
	__u16 pad;
	__u32 generation;    /* bumped by user space at every slot rebuild */
};

/* backends: index = svc id * XVIP_MAX_BACKENDS + backend index */
struct backend {
	__be32 addr;
	__u8 mac[6];
	__u8 healthy;
	__u8 local; /* 1: this host (XDP_PASS to the local stack) */
	__u32 weight;
};

/* slots: index = svc id * XVIP_SLOTS + slot; value = backend index or
 * XVIP_NO_BACKEND. Filled by user space from the weights (slots.c). */
struct slot {
	__u32 backend;
};

/* Where a new flow lands without persistence: slot
 * xvip_flow_hash(saddr, sport) % XVIP_SLOTS of its service (the murmur3
 * finaliser: cheap, and spreads neighbouring ports apart). Here so that
 * user space (tests, tools) predicts exactly what the program does. */
static inline __u32 xvip_flow_hash(__be32 saddr, __be16 sport)
{
	__u32 h = saddr ^ ((__u32)sport << 16);

	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* conns: LRU table keeping an established flow on its backend. */
struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_entry {
	__u32 backend;
	__u32 generation; /* fo services: flow valid only in this generation */
	__u64 last_seen_ns;
};

/* persist: client address -> backend for persistence_timeout seconds. */
struct persist_key {
	__be32 client;
	__be32 vip;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct persist_entry {
	__u32 backend;
	__u32 pad;
	__u64 last_seen_ns;
};

/* svc_stats: per-CPU counters per service id */
struct svc_counters {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 to_local;       /* XDP_PASS to the local backend */
	__u64 to_remote;      /* rewritten and XDP_TX */
	__u64 no_backend;     /* no healthy backend: passed to the stack */
};

/* counters: per-CPU, index = enum xvip_reason. Every verdict has a reason.
 * One list for the enum and the names user space prints (xvipctl, metrics,
 * docs/maps.md). */
#define XVIP_REASONS(X) \
	X(XVIP_R_PASS_OTHER, "pass_other") /* not ours: neither ARP, VRRP nor a service */ \
	X(XVIP_R_PASS_VLAN, "pass_vlan") /* 802.1Q/802.1ad tagged: passed on purpose */ \
	X(XVIP_R_ETH_TRUNC, "eth_truncated") /* shorter than an Ethernet header: passed */ \
	X(XVIP_R_ARP_REPLY, "arp_reply") /* ARP request answered (XDP_TX) */ \
	X(XVIP_R_ARP_DROP_NOT_OWNER, "arp_drop_not_owner") /* ARP request for a VIP not owned here */ \
	X(XVIP_R_ARP_DROP_EXPIRED, "arp_drop_lease_expired") /* ARP request for a VIP whose lease ran out */ \
	X(XVIP_R_ARP_CONFLICT, "arp_conflict") /* someone else claims a VIP we own (passed) */ \
	X(XVIP_R_ARP_MALFORMED, "arp_malformed") /* truncated or wrong hw/proto type/lengths */ \
	X(XVIP_R_ARP_PASS, "arp_pass") /* ARP not about our VIPs */ \
	X(XVIP_R_IP_MALFORMED, "ip_malformed") /* truncated IPv4 header, bad ihl/total length */ \
	X(XVIP_R_IP_FRAGMENT, "ip_fragment") /* fragment: no L4 to look at, passed */ \
	X(XVIP_R_VRRP_VALID, "vrrp_valid") /* valid advert: counted in vrrp_stats, passed */ \
	X(XVIP_R_VRRP_INVALID, "vrrp_invalid") /* invalid advert: counted by reason, passed */ \
	X(XVIP_R_VRRP_TRUNC, "vrrp_truncated") /* shorter than a VRRP header */ \
	X(XVIP_R_CARP, "carp") /* a CARP packet (also IP proto 112): passed */ \
	X(XVIP_R_RINGBUF_FULL, "ringbuf_full") /* event lost: ring buffer full */ \
	X(XVIP_R_SVC_LOCAL, "svc_local") /* steered to the local backend (XDP_PASS) */ \
	X(XVIP_R_SVC_REMOTE, "svc_remote") /* steered to a remote backend (XDP_TX) */ \
	X(XVIP_R_SVC_NO_BACKEND, "svc_no_backend") /* service without a healthy backend: passed */ \
	X(XVIP_R_L4_TRUNC, "l4_truncated") /* truncated TCP/UDP header: passed */ \
	X(XVIP_R_SVC_NOT_OWNER, "svc_not_owner") /* service traffic while we do not own the VIP: delivered here (DR from the owner), never re-sent */ \
	X(XVIP_R_LIV_REFLECTED, "liveness_reflected") /* a peer's echo answered in place (XDP_TX) */ \
	X(XVIP_R_LIV_REPLY, "liveness_reply") /* the watched master's answer: recorded, dropped */ \
	X(XVIP_R_LIV_MALFORMED, "liveness_malformed") /* liveness magic, wrong length/type/fragment: dropped */ \
	X(XVIP_R_LIV_OFF, "liveness_off") /* echo for a VRID without fast liveness here: dropped */ \
	X(XVIP_R_LIV_NOT_PEER, "liveness_not_peer") /* echo from an address not admitted as a peer: dropped */ \
	X(XVIP_R_LIV_BAD_AUTH, "liveness_bad_auth") /* echo or answer without the instance's auth_pass, or keyed: a wrong tag, a replayed or stale nonce: dropped */ \
	X(XVIP_R_LIV_NO_LEASE, "liveness_no_lease") /* echo while our VIP lease is not fresh: dropped, unanswered */ \
	X(XVIP_R_LIV_RATE, "liveness_rate_limited") /* echo over the peer's rate bound: dropped */ \
	X(XVIP_R_LIV_UNEXPECTED, "liveness_reply_unexpected") /* answer from no watched master (late, or stray): dropped */ \
	X(XVIP_R_ARP_OTHER_IFACE, "arp_other_iface") /* ARP request for an owned VIP on another interface than the VIP's: dropped */ \
	X(XVIP_R_ARP_BAD_SENDER, "arp_bad_sender") /* ARP request from a multicast/broadcast MAC: dropped, never answered */

enum xvip_reason {
#define XVIP_REASON_ENUM(e, name) e,
	XVIP_REASONS(XVIP_REASON_ENUM)
#undef XVIP_REASON_ENUM
	XVIP_R_MAX,
};

/* events: ring buffer records for the daemon */
enum xvip_event_type {
	XVIP_EV_ADVERT = 1,   /* no longer sent: valid adverts are counted in vrrp_stats */
	XVIP_EV_CONFLICT = 2, /* another MAC claims a VIP we own */
	XVIP_EV_LIV_PEER = 3, /* an authenticated echo from an address not yet a peer
			       * (saddr; vrid): the daemon may admit it */
	XVIP_EV_MASTER_DOWN = 4, /* a sleeping backup's master down timer ran out
				  * (vrid, ifindex; saddr: the silent master) */
};

struct xvip_event {
	__u64 ts_ns;
	__u32 type;
	__u32 ifindex;
	__be32 saddr; /* ADVERT: IP source; CONFLICT: ARP sender IP (the VIP) */
	__be32 daddr; /* ADVERT: IP destination; CONFLICT: ARP target IP */
	__u8 mac[6];  /* Ethernet source (advert sender / claimer) */
	__u8 vrid;
	__u8 priority;
	__u8 version;
	__u8 count_ip;
	__u8 auth_type;   /* v2 only */
	__u8 ttl;
	__u16 adver_int;  /* v2: seconds, v3: centiseconds */
	__u16 vrrp_len;   /* bytes of VRRP payload copied into pkt[] */
	__u8 pkt[64];     /* start of the VRRP payload, for user-space checks */
};

/* ---- fast liveness (docs/architecture.md, "Fast liveness") ------------
 * A backup sends echoes to its master, UDP from and to XVIP_LIV_PORT; the
 * master's XDP program answers them in place (addresses swapped, XDP_TX)
 * only while its lease on the instance's VIP is fresh, so an answer proves
 * the host, the NIC, the data plane and a daemon that renews the lease. The
 * backup's XDP program records answers in liv_state; its daemon reads them. */
#define XVIP_LIV_PORT 30112
#define XVIP_LIV_MAGIC 0x58564c31u /* "XVL1" */
#define XVIP_LIV_ECHO 1
#define XVIP_LIV_REPLY 2
#define XVIP_LIV_MAX_PEERS 8 /* admitted peers per VRID (configured + learned) */
#define XVIP_LIV_PEERS_ENTRIES 1024 /* the liv_peers map */

/* The UDP payload, in network byte order. */
struct liv_wire {
	__be32 magic;
	__u8 type;     /* XVIP_LIV_ECHO or XVIP_LIV_REPLY */
	__u8 vrid;
	__u8 copy;     /* which echo of its interval (0..) */
	__u8 pad;
	__be32 seq;    /* the backup's echo number, increasing */
	__be32 pad2;
	__u64 sent_ns; /* the backup's clock, echoed back: round-trip time */
	__u8 auth[8];  /* auth_pass with auth_type PASS, else zeros */
};

/* liv_cfg: index = VRID; written by the daemon of an instance with fast
 * liveness, read by the reflector. */
struct liv_cfg {
	__be32 vip;          /* the instance's first VIP: its lease gates answers */
	__u8 on;             /* 1: answer echoes for this VRID (as master) */
	__u8 auth_type;      /* 0 none, 1 PASS: echoes must carry auth */
	__u8 learn;          /* 1: report echoes from unknown addresses (multicast) */
	__u8 pad;
	__u8 auth[8];
	__u32 rate_per_s;    /* answers per second and peer, at most */
	__u32 burst;         /* and in one burst */
};

/* liv_state: index = VRID; the backup's view of its master's answers.
 * The daemon sets master (and zeroes the rest) when it starts watching;
 * the data plane fills the rest. */
struct liv_state {
	__be32 master;       /* answers only from this address count */
	__u32 last_seq;      /* highest echo number answered */
	__u64 last_reply_ns; /* when that answer arrived */
	__u64 last_rtt_ns;   /* its round trip (sent_ns echoed back) */
	__u64 replies;       /* answers recorded */
	__u64 unexpected;    /* answers from another address: dropped */
	__u64 learn_event_ns; /* reflector: last XVIP_EV_LIV_PEER sent */
};

/* liv_peers: (VRID, address) -> rate bound and counts; only admitted
 * addresses are answered. */
struct liv_peer_key {
	__be32 addr;
	__u8 vrid;
	__u8 pad[3];
};

struct liv_peer {
	__u64 tokens_at_ns;  /* token bucket: time of the last refill */
	__u32 tokens;        /* answers left in the bucket */
	__u8 learned;        /* 1: admitted from its own echo, 0: configured */
	__u8 pad[3];
	__u64 answered;
	__u64 limited;       /* dropped by the rate bound */
};

/* With auth_key_file, echoes and answers are keyed: the payload is struct
 * liv_wire then struct liv_wire_key (XVIP_LIV_KEYED_LEN bytes), and
 * liv_wire.auth holds a tag, SipHash-2-4 (include/siphash.h, xvip_liv_tag)
 * under a key derived from the instance's key file, of five words: the
 * liv_wire's first 24 bytes (its auth left out), the nonce, and the IP
 * source and destination as on the wire. The master answers an echo whose
 * tag is right, from an admitted peer, with a nonce above the last it
 * answered from that peer, and retags the answer (its type and addresses
 * changed): an echo cannot be replayed to spend a backup's answers, and an
 * answer cannot be forged without the key (docs/security.md). */
struct liv_wire_key {
	__u64 nonce;         /* the backup's wall clock in ns, increasing */
};
#define XVIP_LIV_KEYED_LEN (sizeof(struct liv_wire) + sizeof(struct liv_wire_key))

/* liv_auth: index = VRID; written by the daemon of a keyed instance (all
 * but last_answer, which it carries over when it rewrites the entry). */
struct liv_auth {
	__u64 key[2][2];     /* SipHash keys (k0, k1): [0] signs, [0] and [1] are accepted */
	__u32 nkeys;         /* 0: echoes not keyed (auth_pass, or nothing) */
	__u32 pad;
	__u64 min_nonce;     /* backup: answers to echoes older than this are refused */
	__u64 last_answer;   /* backup (XDP): the newest answer's nonce; older ones are refused */
	__s64 real_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC when written: the
			       * master refuses nonces more than XVIP_LIV_NONCE_AHEAD_NS
			       * ahead of its wall clock */
};
#define XVIP_LIV_NONCE_AHEAD_NS (30ull * 1000000000ull)

/* liv_nonce: (VRID, peer) -> the master's memory of a keyed peer's echoes;
 * made by the reflector at the first echo it answers (an LRU table: a
 * peer forgotten is remembered again at its next echo). */
struct liv_nonce {
	__u64 last;          /* the highest nonce answered */
	__u64 replayed;      /* echoes refused: nonce not above last */
	__u64 bad_tag;       /* echoes refused: wrong tag (counted once the peer is known) */
	__u64 ahead;         /* echoes refused: nonce too far ahead of our wall clock */
};

/* ---- backups that sleep (docs/architecture.md, "Backups that sleep") --
 * A backup's daemon need not wake for an advert that is, byte for byte, the
 * one it last accepted from its master: it would only re-arm its master
 * down timer. Once the daemon has accepted such an advert it writes it to
 * vrrp_quiet as a template; the socket filter on its VRRP socket
 * (xvip_vrrp_sock) then drops identical adverts for that socket only
 * (tcpdump, other sockets and the XDP counters still see them), notes their
 * time and re-arms a kernel timer of master-down length in vrrp_quiet_rt.
 * Only when that timer runs out is the daemon woken (XVIP_EV_MASTER_DOWN);
 * any other advert (a new master, priority, interval, address list, auth)
 * still reaches it, and the daemon removes the template whenever its own
 * state or priority changes. */
#define XVIP_QUIET_MAX 64 /* bytes of VRRP payload a template holds */

/* vrrp_quiet: VRID -> template, written (replaced whole) by the daemon;
 * no entry: every advert wakes the daemon. */
struct vrrp_quiet {
	__u32 ifindex;       /* the interface of the instance */
	__be32 saddr;        /* the master's address */
	__be32 daddr;        /* 224.0.0.18 or our unicast address */
	__u32 gen;           /* changes with every template written */
	__u64 down_ns;       /* master down interval: the timer's length */
	__u16 len;           /* bytes of VRRP payload, at most XVIP_QUIET_MAX */
	__u8 ttl;
	__u8 pad[5];
	__u8 vrrp[XVIP_QUIET_MAX]; /* the advert's VRRP payload */
};

/* vrrp_quiet_rt: VRID -> what the kernel did with the template. */
struct vrrp_quiet_rt {
	struct bpf_timer timer; /* master down, re-armed by each absorbed advert */
	__u64 last_ns;       /* the last advert absorbed */
	__u64 absorbed;      /* adverts absorbed: the daemon slept through them */
	__u64 passed;        /* adverts for a VRID with a template that differed */
	__u64 fired;         /* master down timeouts reported (XVIP_EV_MASTER_DOWN) */
	__u64 timer_errors;  /* bpf_timer calls that failed: adverts passed */
	__u32 gen;           /* the template the timer runs for */
	__u32 timer_ready;
};

/* vrrp_auth_seq: (VRID, peer) -> the last sequence accepted from it
 * (auth_key_file). Written by the daemon only, pinned so that a restarted
 * xvipd still refuses adverts played back from before its restart. */
struct vrrp_auth_seq_key {
	__u32 peer;    /* IPv4, network order */
	__u32 vrid;
	__u32 ifindex; /* the instance's interface: one VRID may serve two */
};
struct vrrp_auth_seq {
	__u64 last_seq; /* the sender's wall clock in ns (docs/security.md) */
};

#define XVIP_PIN_ROOT_DEFAULT "/sys/fs/bpf/xvip"

/* Links pinned under the pin root (bpf/xvipd_life.bpf.c's tracepoints):
 * they outlive the daemon, so that its death silences its VIPs. */
#define XVIP_LIFE_LINKS "xvipd_life_signal", "xvipd_life_exit", "xvipd_life_deliver"
#define XVIP_LIFE_NLINKS 3

/* Names under the pin root, one per map. */
#define XVIP_MAP_NAMES                                                        \
	"vips", "vip_stats", "vrrp_stats", "services", "backends", "slots",   \
	"conns", "persist", "svc_stats", "counters", "events", "liv_cfg",     \
	"liv_state", "liv_peers", "vip_claims", "vrrp_quiet", "vrrp_quiet_rt", \
	"vrrp_auth_seq", "xvipd_life", "liv_auth", "liv_nonce"

#endif /* XVIP_H */
