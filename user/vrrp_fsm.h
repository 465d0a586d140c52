/*
 * vrrp_fsm.h - per-instance VRRP state machine (RFC 3768 / RFC 5798, with
 * keepalived 2.2's behaviour where they differ).
 *
 * Pure: no sockets, no clock.  Every input carries the caller's monotonic
 * time in microseconds and fills a struct fsm_result with the actions the
 * daemon must carry out, in order, plus a reason for the log.  Deadlines are
 * absolute times on the same clock; fsm_next_deadline() tells the event loop
 * when to call fsm_timer().
 *
 * IPv4 addresses are in network byte order (as struct in_addr.s_addr).
 */
#ifndef XVIP_VRRP_FSM_H
#define XVIP_VRRP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSM_NO_DEADLINE UINT64_MAX

enum vrrp_state {
	VRRP_STATE_INIT = 0,
	VRRP_STATE_BACKUP,
	VRRP_STATE_MASTER,
	VRRP_STATE_FAULT,
	VRRP_STATE_STOP,     /* after fsm_shutdown() */
};

enum fsm_action_type {
	FSM_ACT_SEND_ADVERT = 1,  /* send one advert with .priority */
	FSM_ACT_BECOME_MASTER,    /* take the VIPs: write the map, send GARPs */
	FSM_ACT_BECOME_BACKUP,    /* make sure the VIPs are released */
	FSM_ACT_BECOME_FAULT,     /* make sure the VIPs are released */
	FSM_ACT_BECOME_STOP,      /* instance stopped: release the VIPs */
};

struct fsm_action {
	enum fsm_action_type type;
	uint8_t priority;         /* SEND_ADVERT: 0 when stepping down */
};

#define FSM_MAX_ACTIONS 4
#define FSM_REASON_LEN 112

struct fsm_result {
	unsigned n;                /* number of actions, also the return value */
	struct fsm_action act[FSM_MAX_ACTIONS];
	enum vrrp_state old_state;
	enum vrrp_state new_state;
	char reason[FSM_REASON_LEN]; /* "" when the input changed nothing */
	/* BECOME_MASTER because the master down timer fired after the adverts
	 * of this master stopped: its host may be gone. 0 for any other cause
	 * (its priority-0 advert, preempting a lower priority that still
	 * adverts, no master ever heard) and for every other result. */
	uint32_t silent_master;
	/* MASTER -> BACKUP because the master we presumed dead (fast
	 * liveness) adverts again: the shell stops trusting liveness toward
	 * it until its echoes are answered again. */
	bool liveness_refuted;
};

struct vrrp_fsm_config {
	uint8_t vrid;              /* 1..255 */
	uint8_t version;           /* 2 or 3 */
	uint8_t base_priority;     /* 1..255; 255 = address owner */
	uint64_t advert_int_us;    /* v2: whole seconds; v3: whole centiseconds */
	bool preempt;              /* false = keepalived's nopreempt */
	uint64_t preempt_delay_us; /* 0 = preempt at once */
	uint32_t primary_addr;     /* our address on the link (tie-break) */
};

struct vrrp_instance_fsm {
	struct vrrp_fsm_config cfg;
	uint8_t effective_priority; /* base + track weights, see below */
	bool fault;                 /* last fsm_set_fault() value */

	enum vrrp_state state;
	uint64_t master_adver_int_us; /* v3: learnt from the master's adverts */
	uint64_t master_down_at;      /* BACKUP: take over at this time */
	uint64_t advert_at;           /* MASTER: next advert */
	uint64_t preempt_at;          /* BACKUP: preempting a lower-priority
				       * master allowed from this time on;
				       * FSM_NO_DEADLINE = delay not running */

	/* the master as last heard (0/0 until an advert is accepted) */
	uint32_t master_addr;
	uint8_t master_priority;

	/* MASTER since fast liveness presumed this master dead (0: not) */
	uint32_t presumed_dead;
	uint64_t presumed_dead_at;

	/* MASTER: when it last answered a lower-priority or priority-0
	 * advert with one of its own (0: never): at most one such extra
	 * advert per advert_int, whatever arrives (a flood, forged or not) */
	uint64_t extra_advert_at;
};

/* An advert from the master presumed dead refutes the presumption only when
 * it arrives this long after the takeover: frames already on the wire when
 * the master died say nothing. */
#define FSM_REFUTE_GRACE_US 1000

/* Effective priority: base + sum of track weights, clamped to 1..254; an
 * owner (base 255) always stays 255, as in keepalived. */
uint8_t vrrp_effective_priority(uint8_t base, int weight_sum);

const char *vrrp_state_str(enum vrrp_state s);
const char *fsm_action_str(enum fsm_action_type t);

/* Check cfg and put the instance in INIT.  Returns 0, or -1 if cfg is not
 * usable (vrid 0, version, priority 0, interval not representable). */
int fsm_init(struct vrrp_instance_fsm *fsm, const struct vrrp_fsm_config *cfg);

/*
 * Inputs.  Each fills *out (always: n = 0 and reason "" when nothing
 * happens) and returns out->n.
 */

/* INIT (or STOP) -> BACKUP, or MASTER for an owner, or FAULT if a fault was
 * set before starting. */
unsigned fsm_start(struct vrrp_instance_fsm *fsm, uint64_t now_us,
		   struct fsm_result *out);

/* A valid advert for this instance (vrrp_parse_advert() said OK).  src is
 * the sender's IP source address, adver_int_us the interval it carries. */
unsigned fsm_advert_received(struct vrrp_instance_fsm *fsm, uint64_t now_us,
			     uint8_t prio, uint32_t src, uint64_t adver_int_us,
			     struct fsm_result *out);

/* Fire the deadline that has passed, if any. */
unsigned fsm_timer(struct vrrp_instance_fsm *fsm, uint64_t now_us,
		   struct fsm_result *out);

/* Fast liveness: the master at addr stopped answering echoes. A BACKUP
 * whose master is addr takes over at once (silent_master = addr), as when
 * the master down timer fires; nothing happens otherwise. If that master
 * adverts again (after FSM_REFUTE_GRACE_US) where VRRP would have kept us
 * backup (nopreempt, or it has the better priority), we step back down
 * (liveness_refuted): VRRP adverts stay the authority. */
unsigned fsm_master_presumed_dead(struct vrrp_instance_fsm *fsm, uint64_t now_us,
				  uint32_t addr, struct fsm_result *out);

/* Enter (true) or leave (false) the FAULT state (interface down, tracked
 * script failing with weight 0, ...). */
unsigned fsm_set_fault(struct vrrp_instance_fsm *fsm, uint64_t now_us,
		       bool fault, struct fsm_result *out);

/* New effective priority (use vrrp_effective_priority()). */
unsigned fsm_set_priority(struct vrrp_instance_fsm *fsm, uint64_t now_us,
			  uint8_t prio, struct fsm_result *out);

/* Stop the instance: a master announces priority 0 so that the backup takes
 * over after Skew_Time instead of Master_Down_Interval. */
unsigned fsm_shutdown(struct vrrp_instance_fsm *fsm, uint64_t now_us,
		      struct fsm_result *out);

/* Masters that batch: a MASTER whose next advert is due within one
 * advert_int sends it now, with another instance's (one wakeup, one
 * sendmmsg for all instances on an interval). The cadence stays: its next
 * advert is still one interval after the one it brought forward, so from
 * then on it sends in step with the other. Returns out->n (0: not a
 * master, or not due within an interval). */
unsigned fsm_advert_early(struct vrrp_instance_fsm *fsm, uint64_t now_us,
			  struct fsm_result *out);

/* Backups that sleep (vrrp_quiet.c): would another advert (prio, src,
 * adver_int_us) from the current master do nothing but re-arm the master
 * down timer? True only in BACKUP, for the master as last heard, with the
 * interval it already follows, when we do not preempt it and no preempt
 * delay is involved. While this holds, such an advert at time t is the
 * same as fsm_advert_received(fsm, t, ...), whose only effect is
 * master_down_at = t + fsm_master_down_us(fsm): the kernel may count it for
 * us. */
bool fsm_advert_routine(const struct vrrp_instance_fsm *fsm, uint8_t prio, uint32_t src,
			uint64_t adver_int_us);
/* The master down interval a BACKUP waits after an advert, now. */
uint64_t fsm_master_down_us(const struct vrrp_instance_fsm *fsm);

/* Earliest pending deadline, or FSM_NO_DEADLINE. */
uint64_t fsm_next_deadline(const struct vrrp_instance_fsm *fsm);

#endif /* XVIP_VRRP_FSM_H */
