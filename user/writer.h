/* The writer of an fo virtual server, on the loop: writer_fsm.c decides,
 * writer.c acts. Each input runs the fsm with the time and carries out its
 * actions: the MySQL admin operations on the nodes' checks (queued, one at
 * a time per node: mysql_admin_queue), whose results go back to the fsm;
 * the log; the writer's history and notify_writer; the decision timer.
 * What belongs to the services (steering the DR maps, probing a node's
 * checks) goes through the hooks. */
#ifndef XVIP_WRITER_H
#define XVIP_WRITER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "ring.h"
#include "writer_fsm.h"

struct script_cmd;

struct check;
struct loop;
struct sbuf;

#define WRITER_HISTORY 8

struct writer_event {
	int64_t wall_ms;
	char what[16];           /* promoted, refused, fenced, lost, blocked, async, errant */
	char addr[INET_ADDRSTRLEN];
	char reason[256];
	uint32_t took_us;        /* from the writer's loss (or the request) */
};

struct writer_hooks {
	/* STEER: the DR maps follow fsm.writer; owner false: this node no
	 * longer owns the VIP, drop the service; fresh: read the writer's MAC
	 * again (it may have changed) */
	void (*steer)(void *arg, bool owner, int writer, bool fresh);
	/* PROBE: probe node's checks now (-1: every node's) */
	void (*probe)(void *arg, int node);
	/* WITNESS: run a's claim or compare-and-swap of the witness's key;
	 * done(op, rc, err) exactly once, from the loop. < 0: not started. */
	int (*witness)(void *arg, const struct wf_action *a,
		       void (*done)(void *op, int rc, const char *err), void *op);
	/* an event was recorded (history, notify_writer): NULL none */
	void (*event)(void *arg, const struct writer_event *e);
	void *arg;
};

struct writer_op;

struct writer {
	struct writer_fsm fsm;
	struct loop *loop;
	char name[32];           /* the virtual server, "VIP:port" */
	const struct script_cmd *notify; /* notify_writer, or NULL (the config's) */
	struct check *mysql[WF_MAX_NODES]; /* where a node's operations run */
	char addr[WF_MAX_NODES][INET_ADDRSTRLEN];
	struct writer_hooks hooks;
	uint64_t timer;          /* the fsm's deadline, 0 none */
	struct writer_event hist[WRITER_HISTORY];
	unsigned nhist;          /* total recorded (ring.h) */
	struct writer_op *ops;   /* operations not handed back yet */
};

/* addr[i]: node i's address (network order). -1 when cfg is not usable. */
int writer_init(struct writer *w, struct loop *l, const char *name,
		const struct writer_fsm_config *cfg, const uint32_t *addr,
		const struct script_cmd *notify,
		const struct writer_hooks *hooks);
/* Once the checks that run its operations are freed (check_free calls no
 * done): cancels its timer, forgets what was in flight. */
void writer_fini(struct writer *w);

/* The inputs (see writer_fsm.h). */
void writer_changed(struct writer *w, int node, const struct wf_node *s);
void writer_probed(struct writer *w, int node, const struct wf_node *s, const struct wf_probe *p);
void writer_owner(struct writer *w, bool owner, uint32_t silent);
void writer_update(struct writer *w);
void writer_witness(struct writer *w, const struct wf_witness *k);
/* The operator: promote node (-1: hand over); the reply, one line, is
 * appended to b ("error: [VIP:port] ..." when refused). */
void writer_request(struct writer *w, int node, struct sbuf *b);

/* notify_writer runs still due when the loop ends are dropped (after
 * loop_free: their timers went with it). */
void writer_notify_drop(void);

/* A reload replaces w (just initialised) with what old knew; see
 * writer_fsm_carry. The history goes along. */
void writer_carry(struct writer *w, const struct writer *old, const int *map, bool owner);
/* A promotion runs or an operation is in flight: a reload must wait. */
bool writer_busy(const struct writer *w);

/* Newest first: k from 0 to writer_history_len(w) - 1. */
#define writer_history_len(w) RING_LEN((w)->nhist, WRITER_HISTORY)
#define writer_history(w, k) RING_NTH((w)->hist, (w)->nhist, WRITER_HISTORY, k)

#endif
