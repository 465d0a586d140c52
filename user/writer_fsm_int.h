/* What writer_fsm.c (what a node is worth, deciding, the inputs) and
 * writer_fsm_promote.c (the promotion, the operations' results, semi-sync)
 * share. Pure, like them; not for the shell (writer_fsm.h is). */
#ifndef XVIP_WRITER_FSM_INT_H
#define XVIP_WRITER_FSM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "writer_fsm.h"

/* writer_fsm.c: building the result (wf_begin empties it) */
void wf_begin(struct wf_result *out);
/* the writer's commits no longer wait (blocked_since_us and its timer) */
void wf_unblock(struct writer_fsm *fsm);
struct wf_action *wf_push(struct wf_result *out, enum wf_action_type t, int node);
void wf_say(struct wf_result *out, enum wf_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void wf_event(struct wf_result *out, uint64_t now, enum wf_event e, int node, const char *text,
	      uint64_t since);
/* an operation: its generation handed out, counted until handed back */
struct wf_action *wf_op(struct writer_fsm *fsm, struct wf_result *out, enum wf_action_type t,
			int node);
/* STEER to the writer, when this node owns the VIP */
void wf_steer(struct writer_fsm *fsm, struct wf_result *out, bool fresh);

/* writer_fsm.c: what a node is worth */
const char *wf_name(const struct writer_fsm *fsm, int i);
/* its MySQL facts; NULL without a MYSQL_CHECK */
const struct wf_mysql *wf_facts(const struct writer_fsm *fsm, int i);
bool wf_reachable(const struct writer_fsm *fsm, int i);
bool wf_gone(const struct writer_fsm *fsm, int i);
bool wf_replication_ok(const struct writer_fsm *fsm, int i, char *why, size_t len);
bool wf_candidate_ok(const struct writer_fsm *fsm, int i, char *why, size_t len);
bool wf_standby_up(const struct writer_fsm *fsm, int writer);
bool wf_stopped(const struct writer_fsm *fsm, int i);
bool wf_held(const struct writer_fsm *fsm, int i);
bool wf_promotable(const struct writer_fsm *fsm, int c, char *why, size_t len);
/* the earliest of the fsm's deadlines, as a TIMER action */
void wf_rearm(struct writer_fsm *fsm, struct wf_result *out);

/* writer_fsm_promote.c */
void wf_promote(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int i,
		const char *why, uint64_t since);
void wf_promo_fail(struct writer_fsm *fsm, uint64_t now, struct wf_result *out,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* read_only=ON on node i; count: the promotion's fence step waits for it */
void wf_fence(struct writer_fsm *fsm, struct wf_result *out, int i, bool count);
/* the promotion's next step, from fsm->phase */
void wf_step(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);
void wf_semisync_restore(struct writer_fsm *fsm, struct wf_result *out);
#define WF_REPL_ACK_STUCK_US (1000 * 1000)
void wf_standby_release(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);
void wf_semisync_set(struct writer_fsm *fsm, struct wf_result *out, int i, bool on);
bool wf_others_stopped(const struct writer_fsm *fsm, int c);
bool wf_gone_fenced(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int i,
		    const char *gone);
/* what an operation's result does (writer_fsm_op_done; a valid node) */
void wf_op_result(struct writer_fsm *fsm, uint64_t now, const struct wf_op_result *r,
		  struct wf_result *out);
/* the writer without a standby: blocked, or asynchronous with proof */
void wf_standby_check(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);
/* the writer detached from a peer: attach it again, or say it is errant */
void wf_attach_check(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);

/* writer_fsm.c: decide (only the owner, only when idle), then steer */
void wf_update(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);

/* writer_fsm_witness.c */
bool wf_witness_usable(const struct writer_fsm *fsm);
bool wf_witness_forbids(const struct writer_fsm *fsm, int c, char *why, size_t len);
bool wf_witness_step(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);
bool wf_witness_standby(struct writer_fsm *fsm, uint64_t now, struct wf_result *out, int wi);
void wf_witness_demote(struct writer_fsm *fsm, struct wf_result *out);
void wf_witness_synced(struct writer_fsm *fsm, struct wf_result *out, int node);
void wf_witness_ensure(struct writer_fsm *fsm, struct wf_result *out);
void wf_witness_done(struct writer_fsm *fsm, uint64_t now, const struct wf_op_result *r,
		     struct wf_result *out);

#endif
