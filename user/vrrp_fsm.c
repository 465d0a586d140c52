/*
 * vrrp_fsm.c - per-instance VRRP state machine.  See vrrp_fsm.h.
 *
 * Timers are absolute deadlines rather than running countdowns, so that the
 * caller only has to pass the current time; FSM_NO_DEADLINE marks a timer
 * that is not armed.  Only one of master_down_at (BACKUP) and advert_at
 * (MASTER) is ever armed.
 */
#include "vrrp_fsm.h"
#include "vrrp_pkt.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

uint8_t vrrp_effective_priority(uint8_t base, int weight_sum)
{
	long p;

	if (base == VRRP_PRIO_OWNER)
		return VRRP_PRIO_OWNER;
	p = (long)base + weight_sum;
	if (p < 1)
		return 1;
	if (p > VRRP_PRIO_OWNER - 1)
		return VRRP_PRIO_OWNER - 1;
	return (uint8_t)p;
}

const char *vrrp_state_str(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_INIT: return "INIT";
	case VRRP_STATE_BACKUP: return "BACKUP";
	case VRRP_STATE_MASTER: return "MASTER";
	case VRRP_STATE_FAULT: return "FAULT";
	case VRRP_STATE_STOP: return "STOP";
	}
	return "UNKNOWN";
}

const char *fsm_action_str(enum fsm_action_type t)
{
	switch (t) {
	case FSM_ACT_SEND_ADVERT: return "SEND_ADVERT";
	case FSM_ACT_BECOME_MASTER: return "BECOME_MASTER";
	case FSM_ACT_BECOME_BACKUP: return "BECOME_BACKUP";
	case FSM_ACT_BECOME_FAULT: return "BECOME_FAULT";
	case FSM_ACT_BECOME_STOP: return "BECOME_STOP";
	}
	return "UNKNOWN";
}

static bool interval_ok(uint8_t version, uint64_t us)
{
	uint64_t unit = version == 2 ? VRRP_USEC_PER_SEC : VRRP_USEC_PER_CS;
	uint64_t max = version == 2 ? 255 : VRRP_V3_MAX_ADVER_INT_CS;

	return us % unit == 0 && us / unit >= 1 && us / unit <= max;
}

int fsm_init(struct vrrp_instance_fsm *fsm, const struct vrrp_fsm_config *cfg)
{
	if (!fsm || !cfg || cfg->vrid == 0 || cfg->base_priority == 0 ||
	    (cfg->version != 2 && cfg->version != 3) ||
	    !interval_ok(cfg->version, cfg->advert_int_us))
		return -1;
	memset(fsm, 0, sizeof(*fsm));
	fsm->cfg = *cfg;
	fsm->effective_priority = cfg->base_priority;
	fsm->state = VRRP_STATE_INIT;
	fsm->master_adver_int_us = cfg->advert_int_us;
	fsm->master_down_at = FSM_NO_DEADLINE;
	fsm->advert_at = FSM_NO_DEADLINE;
	fsm->preempt_at = FSM_NO_DEADLINE;
	return 0;
}

/* --- result helpers ----------------------------------------------------- */

static void begin(const struct vrrp_instance_fsm *fsm, struct fsm_result *out)
{
	memset(out, 0, sizeof(*out));
	out->old_state = out->new_state = fsm->state;
}

static unsigned finish(const struct vrrp_instance_fsm *fsm,
		       struct fsm_result *out)
{
	out->new_state = fsm->state;
	return out->n;
}

static void push(struct fsm_result *out, enum fsm_action_type t, uint8_t prio)
{
	/* FSM_MAX_ACTIONS is larger than any sequence produced below */
	if (out->n < FSM_MAX_ACTIONS) {
		out->act[out->n].type = t;
		out->act[out->n].priority = prio;
		out->n++;
	}
}

__attribute__((format(printf, 2, 3)))
static void say(struct fsm_result *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* dotted quad of a network-order address, for reasons */
struct ipstr { char s[16]; };

static struct ipstr ip_str(uint32_t addr)
{
	struct ipstr r;
	const uint8_t *b = (const uint8_t *)&addr;

	snprintf(r.s, sizeof(r.s), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return r;
}

/* --- timers and transitions --------------------------------------------- */

static uint64_t skew(const struct vrrp_instance_fsm *fsm)
{
	return vrrp_skew_time_us(fsm->cfg.version, fsm->effective_priority,
				 fsm->master_adver_int_us);
}

static uint64_t master_down(const struct vrrp_instance_fsm *fsm)
{
	return vrrp_master_down_us(fsm->cfg.version, fsm->effective_priority,
				   fsm->master_adver_int_us);
}

static void disarm(struct vrrp_instance_fsm *fsm)
{
	fsm->master_down_at = FSM_NO_DEADLINE;
	fsm->advert_at = FSM_NO_DEADLINE;
	fsm->preempt_at = FSM_NO_DEADLINE;
	fsm->presumed_dead = 0;
	fsm->presumed_dead_at = 0;
	fsm->extra_advert_at = 0;
}

/* A MASTER's answer to an advert it outranks: at most one per advert_int. */
static bool extra_advert(struct vrrp_instance_fsm *fsm, uint64_t now, struct fsm_result *out)
{
	if (fsm->extra_advert_at && now - fsm->extra_advert_at < fsm->cfg.advert_int_us)
		return false;
	fsm->extra_advert_at = now;
	push(out, FSM_ACT_SEND_ADVERT, fsm->effective_priority);
	return true;
}

/* RFC: send an advert, broadcast gratuitous ARP, arm the advert timer. */
static void become_master(struct vrrp_instance_fsm *fsm, uint64_t now,
			  struct fsm_result *out)
{
	disarm(fsm);
	fsm->state = VRRP_STATE_MASTER;
	fsm->master_adver_int_us = fsm->cfg.advert_int_us;
	fsm->advert_at = now + fsm->cfg.advert_int_us;
	fsm->master_addr = fsm->cfg.primary_addr;
	fsm->master_priority = fsm->effective_priority;
	push(out, FSM_ACT_SEND_ADVERT, fsm->effective_priority);
	push(out, FSM_ACT_BECOME_MASTER, 0);
}

/* Backup with a fresh master down timer.  master_adver_int_us must already
 * be what the timer should be based on. */
static void become_backup(struct vrrp_instance_fsm *fsm, uint64_t now,
			  struct fsm_result *out)
{
	disarm(fsm);
	fsm->state = VRRP_STATE_BACKUP;
	fsm->master_down_at = now + master_down(fsm);
	push(out, FSM_ACT_BECOME_BACKUP, 0);
}

/* Does an advert from (prio, src) beat us?  Equal priorities are broken by
 * the higher primary address, compared as host-order numbers. */
static bool beats_us(const struct vrrp_instance_fsm *fsm, uint8_t prio,
		     uint32_t src)
{
	if (prio != fsm->effective_priority)
		return prio > fsm->effective_priority;
	return ntohl(src) > ntohl(fsm->cfg.primary_addr);
}

/* --- inputs -------------------------------------------------------------- */

unsigned fsm_start(struct vrrp_instance_fsm *fsm, uint64_t now,
		   struct fsm_result *out)
{
	begin(fsm, out);
	if (fsm->state != VRRP_STATE_INIT && fsm->state != VRRP_STATE_STOP)
		return finish(fsm, out);

	fsm->master_adver_int_us = fsm->cfg.advert_int_us;
	fsm->master_addr = 0;
	fsm->master_priority = 0;
	if (fsm->fault) {
		disarm(fsm);
		fsm->state = VRRP_STATE_FAULT;
		push(out, FSM_ACT_BECOME_FAULT, 0);
		say(out, "started in fault");
	} else if (fsm->effective_priority == VRRP_PRIO_OWNER) {
		become_master(fsm, now, out);
		say(out, "address owner (priority 255) starts as master");
	} else {
		/* Always listen first, even with the highest priority: an
		 * existing master keeps the VIP unless we preempt it. */
		become_backup(fsm, now, out);
		if (fsm->cfg.preempt_delay_us)
			fsm->preempt_at = now + fsm->cfg.preempt_delay_us;
		say(out, "started as backup");
	}
	return finish(fsm, out);
}

static void backup_rx(struct vrrp_instance_fsm *fsm, uint64_t now,
		      uint8_t prio, uint32_t src, uint64_t adver_int,
		      struct fsm_result *out)
{
	const struct vrrp_fsm_config *c = &fsm->cfg;
	bool delay_running;

	if (prio == VRRP_PRIO_STOP) {
		/* the master is leaving: whoever has the highest priority
		 * (the shortest skew) takes over first */
		fsm->master_down_at = now + skew(fsm);
		fsm->master_addr = src;
		fsm->master_priority = prio;
		say(out, "priority 0 from master %s", ip_str(src).s);
		return;
	}

	/* preempt_delay: keep accepting a lower-priority master until the
	 * delay has run; it starts at start-up or when such a master is first
	 * heard (keepalived's rule) */
	delay_running = c->preempt_delay_us &&
			(fsm->preempt_at == FSM_NO_DEADLINE || now < fsm->preempt_at);

	if (!c->preempt || prio >= fsm->effective_priority || delay_running) {
		if (c->version == 3 && fsm->master_adver_int_us != adver_int)
			fsm->master_adver_int_us = adver_int; /* RFC 5798 6.4.2 */
		if (src != fsm->master_addr || prio != fsm->master_priority)
			say(out, "master is %s (prio %u)", ip_str(src).s, prio);
		fsm->master_addr = src;
		fsm->master_priority = prio;
		fsm->master_down_at = now + master_down(fsm);
		if (c->preempt_delay_us) {
			if (prio >= fsm->effective_priority) {
				fsm->preempt_at = FSM_NO_DEADLINE;
			} else if (fsm->preempt_at == FSM_NO_DEADLINE) {
				fsm->preempt_at = now + c->preempt_delay_us;
				say(out, "lower priority master %s (prio %u): "
				    "preempt delay started", ip_str(src).s, prio);
			}
		}
		return;
	}

	/* Discard it: the master down timer keeps running and fires, and we
	 * take over from the lower-priority master. */
	fsm->master_addr = src;
	fsm->master_priority = prio;
	say(out, "lower priority advert from %s (prio %u) ignored, preempting",
	    ip_str(src).s, prio);
}

static void master_rx(struct vrrp_instance_fsm *fsm, uint64_t now,
		      uint8_t prio, uint32_t src, uint64_t adver_int,
		      struct fsm_result *out)
{
	if (prio == VRRP_PRIO_STOP) {
		/* someone else thought it was master and stepped down: make
		 * sure the backups hear from us before their skew runs out */
		if (!extra_advert(fsm, now, out)) {
			say(out, "priority 0 from %s: answered already within advert_int",
			    ip_str(src).s);
			return;
		}
		fsm->advert_at = now + fsm->cfg.advert_int_us;
		say(out, "priority 0 from %s: advert sent", ip_str(src).s);
		return;
	}
	if (src == fsm->presumed_dead && !beats_us(fsm, prio, src) &&
	    now >= fsm->presumed_dead_at + FSM_REFUTE_GRACE_US &&
	    !(fsm->cfg.preempt && prio < fsm->effective_priority)) {
		/* VRRP would have kept us backup behind it: it lives, and
		 * only its echoes were lost (a one-way loss, say) */
		if (fsm->cfg.version == 3)
			fsm->master_adver_int_us = adver_int;
		become_backup(fsm, now, out);
		fsm->master_addr = src;
		fsm->master_priority = prio;
		out->liveness_refuted = true;
		say(out, "advert from %s (prio %u), presumed dead: it lives, takeover undone",
		    ip_str(src).s, prio);
		return;
	}
	if (beats_us(fsm, prio, src)) {
		if (prio > fsm->effective_priority)
			say(out, "higher priority advert from %s (prio %u)",
			    ip_str(src).s, prio);
		else
			say(out, "equal priority advert from higher address %s "
			    "(prio %u)", ip_str(src).s, prio);
		if (fsm->cfg.version == 3)
			fsm->master_adver_int_us = adver_int;
		else
			fsm->master_adver_int_us = fsm->cfg.advert_int_us;
		become_backup(fsm, now, out);
		fsm->master_addr = src;
		fsm->master_priority = prio;
		return;
	}
	/* Lower priority (or equal from a lower address): the RFC discards
	 * it; keepalived also answers at once so that the other node, which
	 * believes it is master, hears us and steps back. Once per
	 * advert_int: the next regular advert answers the rest. */
	if (extra_advert(fsm, now, out))
		say(out, "lower priority advert from %s (prio %u): advert sent",
		    ip_str(src).s, prio);
	else
		say(out, "lower priority advert from %s (prio %u): answered already within "
		    "advert_int", ip_str(src).s, prio);
}

unsigned fsm_advert_received(struct vrrp_instance_fsm *fsm, uint64_t now,
			     uint8_t prio, uint32_t src, uint64_t adver_int_us,
			     struct fsm_result *out)
{
	begin(fsm, out);
	/* our own advert looped back (multicast loop, or a packet socket
	 * seeing outgoing frames) says nothing about other routers */
	if (src == fsm->cfg.primary_addr) {
		say(out, "advert from our own address ignored");
		return finish(fsm, out);
	}
	if (fsm->cfg.version == 3 && adver_int_us == 0)
		adver_int_us = fsm->cfg.advert_int_us; /* parser rejects 0 */

	switch (fsm->state) {
	case VRRP_STATE_BACKUP:
		backup_rx(fsm, now, prio, src, adver_int_us, out);
		break;
	case VRRP_STATE_MASTER:
		master_rx(fsm, now, prio, src, adver_int_us, out);
		break;
	case VRRP_STATE_FAULT:
		/* no participation, but remember who is master for status */
		fsm->master_addr = src;
		fsm->master_priority = prio;
		break;
	case VRRP_STATE_INIT:
	case VRRP_STATE_STOP:
		break;
	}
	return finish(fsm, out);
}

unsigned fsm_timer(struct vrrp_instance_fsm *fsm, uint64_t now,
		   struct fsm_result *out)
{
	begin(fsm, out);
	if (fsm->state == VRRP_STATE_BACKUP && now >= fsm->master_down_at) {
		/* read before become_master() makes us the master */
		bool after_stop = fsm->master_priority == VRRP_PRIO_STOP && fsm->master_addr;
		/* backup_rx discards a lower priority's adverts when preempting:
		 * that master still speaks, the timer ran out on purpose */
		bool preempting = fsm->cfg.preempt && fsm->master_priority < fsm->effective_priority;
		uint32_t silent = after_stop || preempting ||
				  fsm->master_addr == fsm->cfg.primary_addr ? 0 : fsm->master_addr;

		become_master(fsm, now, out);
		out->silent_master = silent;
		if (after_stop)
			say(out, "master down timer fired (skew after priority 0)");
		else
			say(out, "master down timer fired");
	} else if (fsm->state == VRRP_STATE_MASTER && now >= fsm->advert_at) {
		push(out, FSM_ACT_SEND_ADVERT, fsm->effective_priority);
		/* keep the cadence exact, but do not burst to catch up after
		 * the daemon was stalled */
		fsm->advert_at += fsm->cfg.advert_int_us;
		if (fsm->advert_at <= now)
			fsm->advert_at = now + fsm->cfg.advert_int_us;
	}
	return finish(fsm, out);
}

unsigned fsm_master_presumed_dead(struct vrrp_instance_fsm *fsm, uint64_t now, uint32_t addr,
				  struct fsm_result *out)
{
	begin(fsm, out);
	if (fsm->state != VRRP_STATE_BACKUP || !addr || addr != fsm->master_addr ||
	    fsm->master_priority == VRRP_PRIO_STOP)
		return finish(fsm, out);
	become_master(fsm, now, out);
	fsm->presumed_dead = addr;
	fsm->presumed_dead_at = now;
	out->silent_master = addr;
	say(out, "master %s presumed dead: its liveness echoes went unanswered", ip_str(addr).s);
	return finish(fsm, out);
}

unsigned fsm_set_fault(struct vrrp_instance_fsm *fsm, uint64_t now, bool fault,
		       struct fsm_result *out)
{
	begin(fsm, out);
	fsm->fault = fault;
	if (fsm->state == VRRP_STATE_INIT || fsm->state == VRRP_STATE_STOP)
		return finish(fsm, out); /* applied by fsm_start() */

	if (fault && fsm->state != VRRP_STATE_FAULT) {
		/* like keepalived: a master steps down with priority 0 so the
		 * backup does not wait for the whole master down interval */
		if (fsm->state == VRRP_STATE_MASTER)
			push(out, FSM_ACT_SEND_ADVERT, VRRP_PRIO_STOP);
		disarm(fsm);
		fsm->state = VRRP_STATE_FAULT;
		push(out, FSM_ACT_BECOME_FAULT, 0);
		say(out, "entering fault");
	} else if (!fault && fsm->state == VRRP_STATE_FAULT) {
		fsm->master_adver_int_us = fsm->cfg.advert_int_us;
		if (fsm->effective_priority == VRRP_PRIO_OWNER)
			become_master(fsm, now, out);
		else
			become_backup(fsm, now, out);
		say(out, "leaving fault");
	}
	return finish(fsm, out);
}

unsigned fsm_set_priority(struct vrrp_instance_fsm *fsm, uint64_t now,
			  uint8_t prio, struct fsm_result *out)
{
	uint8_t old = fsm->effective_priority;

	begin(fsm, out);
	if (prio == VRRP_PRIO_STOP)
		prio = 1; /* 0 is reserved for "master leaving" on the wire */
	if (prio == old)
		return finish(fsm, out);
	fsm->effective_priority = prio;
	say(out, "priority changed %u -> %u", old, prio);
	if (fsm->state == VRRP_STATE_MASTER) {
		/* tell the backups now rather than at the next interval */
		push(out, FSM_ACT_SEND_ADVERT, prio);
		fsm->advert_at = now + fsm->cfg.advert_int_us;
		fsm->master_priority = prio;
	}
	/* BACKUP: nothing to do now; the new priority decides how the next
	 * advert from the master is treated. */
	return finish(fsm, out);
}

unsigned fsm_shutdown(struct vrrp_instance_fsm *fsm, uint64_t now,
		      struct fsm_result *out)
{
	(void)now;
	begin(fsm, out);
	if (fsm->state == VRRP_STATE_STOP)
		return finish(fsm, out);
	if (fsm->state == VRRP_STATE_MASTER)
		push(out, FSM_ACT_SEND_ADVERT, VRRP_PRIO_STOP);
	disarm(fsm);
	fsm->state = VRRP_STATE_STOP;
	push(out, FSM_ACT_BECOME_STOP, 0);
	say(out, "shutdown");
	return finish(fsm, out);
}

unsigned fsm_advert_early(struct vrrp_instance_fsm *fsm, uint64_t now, struct fsm_result *out)
{
	begin(fsm, out);
	if (fsm->state != VRRP_STATE_MASTER || fsm->advert_at == FSM_NO_DEADLINE ||
	    fsm->advert_at > now + fsm->cfg.advert_int_us)
		return finish(fsm, out);
	push(out, FSM_ACT_SEND_ADVERT, fsm->effective_priority);
	fsm->advert_at += fsm->cfg.advert_int_us;
	if (fsm->advert_at <= now) /* it was late, not early: as fsm_timer() */
		fsm->advert_at = now + fsm->cfg.advert_int_us;
	return finish(fsm, out);
}

bool fsm_advert_routine(const struct vrrp_instance_fsm *fsm, uint8_t prio, uint32_t src,
			uint64_t adver_int_us)
{
	const struct vrrp_fsm_config *c = &fsm->cfg;

	if (fsm->state != VRRP_STATE_BACKUP || prio == VRRP_PRIO_STOP || !src ||
	    src == c->primary_addr || src != fsm->master_addr || prio != fsm->master_priority)
		return false;
	if (c->version == 3 && adver_int_us != fsm->master_adver_int_us)
		return false;
	/* backup_rx accepts it without a preempt decision: we never preempt,
	 * or it does not rank below us (then preempt_at is cleared, again) */
	if (c->preempt && prio < fsm->effective_priority)
		return false;
	if (c->preempt_delay_us &&
	    (prio < fsm->effective_priority || fsm->preempt_at != FSM_NO_DEADLINE))
		return false;
	return true;
}

uint64_t fsm_master_down_us(const struct vrrp_instance_fsm *fsm)
{
	return master_down(fsm);
}

uint64_t fsm_next_deadline(const struct vrrp_instance_fsm *fsm)
{
	switch (fsm->state) {
	case VRRP_STATE_BACKUP:
		return fsm->master_down_at;
	case VRRP_STATE_MASTER:
		return fsm->advert_at;
	default:
		return FSM_NO_DEADLINE;
	}
}
