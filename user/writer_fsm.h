/*
 * writer_fsm.h - the single MySQL writer of a virtual server (lb_algo fo):
 * who may take writes, decided from what the checks saw.
 *
 * Pure, like vrrp_fsm.h: no loop, no checks, no sockets, no clock. Every
 * input carries the caller's monotonic time in microseconds and fills a
 * struct wf_result with the actions the shell (writer.c) must carry out, in
 * order. "writer_fsm.c decides, writer.c acts."
 *
 * Nodes are the real servers of the virtual server, by index. The shell
 * describes each one with a struct wf_node (a snapshot of its checks) on
 * every change; the fsm keeps the last one.
 *
 * Operations (FENCE, SEMISYNC, WAIT_APPLIED, OPEN) each carry a generation;
 * the shell hands every one back exactly once through writer_fsm_op_done()
 * (also when it could not be started), with that generation. A result whose
 * promotion was aborted meanwhile is recognised by it and ignored.
 *
 * The rules, and where they live in writer_fsm.c:
 *  - only the VIP's owner decides (every input checks fsm->owner);
 *  - reachable now: UP, the last probes succeeded, not silent
 *    (writer_fsm_reachable): only such a node is chosen or adopted;
 *  - gone: DOWN, or silent (writer_fsm_gone): only a gone node is not
 *    waited for, not counted as a standby, and stops its own promotion;
 *    one failed probe (a loaded host) is not gone;
 *  - a node already writable is adopted when no writer is known, else the
 *    safe node of highest weight (decide, pick);
 *  - safe: reachable, replication state known, SQL thread running without
 *    error (candidate_ok, replication_ok);
 *  - promotion: fence every other node that is not gone, wait for their
 *    results (a node that is UP and refuses stops it), semi-sync off with
 *    no standby left, apply within promote_timeout, open, steer (step);
 *  - no automatic fail-back: the writer stays while it is UP (decide);
 *  - a candidate that is gone aborts at once; a fence waited for is
 *    dropped when its node is gone (recheck);
 *  - the writer's standby lost: semi-sync off on the writer only with
 *    proof that it is stopped (its connects refused); else the commits
 *    wait, said after a short grace, and standby_loss_policy applies after
 *    standby_loss_timeout; on again when a peer replicates, also after this
 *    node lost the VIP (wf_standby_check, wf_semisync_restore);
 *  - a read-only candidate is promoted while a node cannot be reached only
 *    when that node cannot acknowledge (writer_fsm_fenced: stopped, or the
 *    old writer held by semi-sync), and detaches from it (DETACH: STOP
 *    SLAVE IO_THREAD) before it goes asynchronous and opens; a candidate
 *    that already took writes does neither (wf_promotable, wf_step);
 *  - after a partition, a writable node that stopped replicating from the
 *    writer is the newer writer and is adopted; the old one's transactions
 *    beyond it are errant: reported, no candidate, no replication from it
 *    until resolved (newer_writer, wf_attach_check);
 *  - a writable node that is not the writer is fenced; the writer found
 *    read-only by a probe that started after it was opened is opened
 *    again (probed);
 *  - a node whose host went silent when the VIP moved is not counted on
 *    until a probe started since succeeds; it holds a decision only for a
 *    short grace (owner_gained, all_decided).
 */
#ifndef XVIP_WRITER_FSM_H
#define XVIP_WRITER_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WF_NO_DEADLINE UINT64_MAX
#define WF_MAX_NODES 16      /* XVIP_MAX_BACKENDS */
#define WF_NAME_LEN 32
#define WF_WHY_LEN 320
#define WF_TEXT_LEN 400
#define WF_MAX_ACTIONS 128

/* How long a node whose host went silent still holds the decision: enough
 * for the fresh probe asked for now to come back if only its xvipd stopped
 * or its adverts came late (a VRRP flap: then it keeps the writes and
 * nothing moves), far less than a probe's deadline (which is what it costs
 * to find a node gone). Twice the time its last probe took, 5 to 50 ms;
 * none when its last probe failed already (with slow adverts the probes
 * see a dead host before VRRP does). */
#define WF_SILENT_GRACE_MIN_US 5000ull
#define WF_SILENT_GRACE_MAX_US 50000ull

/* The semi-sync fence holds only while the old writer keeps waiting for
 * its standby's acknowledgement: MariaDB goes asynchronous by itself after
 * rpl_semi_sync_master_timeout. Below a day it is not counted as a fence
 * (a partition can last that long; an operator sets 4294967295). */
#define WF_FENCE_MIN_TIMEOUT_MS 86400000ll
/* A held node's failed read_only=ON is tried again after this long. */
#define WF_REFENCE_US 5000000ull

/* What the fsm needs of a node's MySQL facts (check.h's struct mysql_facts). */
struct wf_mysql {
	bool valid;                 /* a probe gathered them */
	int read_only;              /* 0/1, -1 unknown */
	bool is_replica;
	bool sql_running;
	unsigned last_sql_errno;
	char last_sql_error[256];
	bool io_running;
	bool io_stopped;            /* IO thread stopped (Slave_IO_Running No):
				     * a promotion detached it */
	int semi_sync_master_enabled; /* 0/1, -1 unknown */
	int semi_sync_wait_no_slave;  /* 0/1, -1 unknown */
	int ack_waits_repl;           /* slave SQL threads waiting for a
				       * semi-sync ACK; -1 unknown */
	int ack_waits_client;         /* other sessions waiting; -1 unknown */
	long long semi_sync_timeout_ms; /* -1 unknown */
	uint64_t at_us;             /* when the probe that read them ended */
	long long server_id;        /* -1 unknown */
	char gtid_binlog_state[512]; /* @@gtid_binlog_state */
};

/* A node as its checks see it (filled by the shell). */
struct wf_node {
	bool up;                    /* its checks say UP */
	bool decided;               /* every check has decided once */
	char why[WF_WHY_LEN];       /* why it went DOWN */
	uint64_t down_at_us;        /* when it last went DOWN */
	uint64_t up_at_us;          /* when it last went UP */
	bool refused;               /* its MySQL's last failed connect was
				     * refused: the host answers, its mysqld
				     * is not running (or the kernel of its
				     * host saw that mysqld die) */
	bool timed_out;             /* its MySQL's last failed probe ended at
				     * the deadline: it may be alive, frozen
				     * (SIGSTOP, a stall), and writable when it
				     * wakes */
	bool probes_ok;             /* the last probe of every check succeeded */
	char probe_error[WF_WHY_LEN]; /* else the first failing check's error */
	/* the checks' last completed probes: the latest start, the earliest
	 * end (0: a check has none yet; WF_NO_DEADLINE: no check), the longest */
	uint64_t probe_start_max_us;
	uint64_t probe_end_min_us;
	uint64_t probe_us_max;
	struct wf_mysql mysql;      /* valid false without a MYSQL_CHECK */
};

/* The probe that just completed (writer_fsm_probed). */
struct wf_probe {
	bool ok;
	uint64_t started_us;
	bool mysql;                 /* the MYSQL_CHECK's: the facts are its */
};

struct wf_node_cfg {
	char name[WF_NAME_LEN];     /* "addr:port", for texts */
	unsigned weight;
	bool has_mysql;             /* it has a MYSQL_CHECK */
};

 /* The witness's key for this service, as the shell last read it
 * (writer_fsm_witness). Its data is "writer=NAME state=sync|async"
 * (writer_fsm_witness_data, writer_fsm_witness_parse). */
struct wf_witness {
	bool connected;             /* a session with the witness */
	bool known;                 /* the key was read since it began */
	bool exists;
	bool mine;                  /* held by this xvipd's session */
	int32_t version;            /* its data version, -1 absent */
	int writer;                 /* the node it names, -1 none or unknown */
	bool async;                 /* that writer acknowledges alone */
	/* absent, deleted straight after a version naming a synchronous
	 * writer (its holder's session expired, or a clean stop): that writer
	 * acknowledged nothing alone since (it would have set state=async
	 * first, and that change would have come before the deletion) */
	bool vanished_sync;
};

struct writer_fsm_config {
	bool fo;                    /* lb_algo fo: there is one writer to keep.
				     * Without it only the fencing of writable
				     * nodes (manage_read_only) applies. */
	bool manage_read_only;
	uint32_t promote_timeout_ms;
	/* The writer's standby lost without proof that it is not being
	 * promoted: its commits wait; after this long, standby_loss_async
	 * switches its semi-sync off (two writers possible), else they keep
	 * waiting and the operator is told again. */
	uint32_t standby_loss_timeout_ms;
	bool standby_loss_async;
	/* A witness holds the writer's key: a candidate promotes only after
	 * taking it (compare-and-swap), and the writer whose xvipd holds it
	 * may go asynchronous without its standby at once. */
	bool witness;
	size_t n_nodes;
	struct wf_node_cfg node[WF_MAX_NODES];
};

enum wf_phase {
	WF_IDLE, WF_FENCE, WF_WITNESS, WF_DETACH, WF_SEMISYNC, WF_APPLY, WF_OPEN, WF_NPHASES
};

enum wf_op {
	WF_OP_FENCE = 1, WF_OP_SEMISYNC, WF_OP_WAIT_APPLIED, WF_OP_OPEN, WF_OP_DETACH,
	WF_OP_ATTACH, WF_OP_WITNESS, WF_OP_PROMOTE,
};

enum wf_event {
	WF_EV_PROMOTED = 1, WF_EV_REFUSED, WF_EV_FENCED, WF_EV_LOST,
	WF_EV_BLOCKED,      /* the writer's commits wait: standby lost, no proof */
	WF_EV_ASYNC,        /* the writer went asynchronous (proof, or the policy) */
	WF_EV_ERRANT,       /* a node has transactions the writer never received */
};

enum wf_level { WF_LOG_INFO, WF_LOG_NOTICE, WF_LOG_WARNING, WF_LOG_ERR };

enum wf_action_type {
	WF_ACT_FENCE = 1,   /* node: read_only=ON (an operation: gen) */
	WF_ACT_SEMISYNC,    /* node: rpl_semi_sync_master_enabled = on (gen) */
	WF_ACT_WAIT_APPLIED, /* node: applied what it received, timeout_ms (gen) */
	WF_ACT_OPEN,        /* node: read_only=OFF (gen) */
	WF_ACT_DETACH,      /* node: STOP SLAVE IO_THREAD (gen): it no longer
			     * receives, so acknowledges, the others' commits */
	WF_ACT_ATTACH,      /* node: START SLAVE IO_THREAD (gen) */
	WF_ACT_WITNESS,     /* the witness's key (gen): claim it (fresh: create,
			     * or replace `version`) or set it (compare-and-
			     * swap on `version`), naming node, on: async */
	WF_ACT_PROMOTE,     /* node (gen): the promotion's last steps in two
			     * round trips: [detach] [semi_off] (each only if
			     * set), then applied what it received within
			     * timeout_ms, then read_only=OFF only if it did
			     * (the server decides: no round trip between) */
	WF_ACT_STEER,       /* program the DR maps: writer node (-1 none); on
			     * false: this node no longer owns the VIP, drop
			     * the service; fresh: read the writer's MAC again */
	WF_ACT_PROBE,       /* probe node's checks now (-1: every node's) */
	WF_ACT_EVENT,       /* writer event (history, notify_writer): event,
			     * node (-1 none), text, took_us */
	WF_ACT_LOG,         /* log text at level */
	WF_ACT_TIMER,       /* call writer_fsm_timer() at `at` (WF_NO_DEADLINE:
			     * no timer) */
};

struct wf_action {
	enum wf_action_type type;
	int node;
	bool on;            /* SEMISYNC: on/off; STEER: this node steers;
			     * DETACH: kill the IO thread's connection first
			     * (a gone node not proven stopped: its host may
			     * be silent, and STOP alone then takes seconds) */
	bool fresh;         /* STEER */
	uint32_t timeout_ms; /* WAIT_APPLIED, PROMOTE */
	bool detach, semi_off; /* PROMOTE: STOP SLAVE IO_THREAD first; then
			     * rpl_semi_sync_master_enabled = OFF */
	int32_t version;    /* WITNESS: the key's version (-1: create it) */
	bool claim;         /* WITNESS: take it (else compare-and-swap ours) */
	uint64_t gen;       /* operations: hand it back */
	uint64_t at;        /* TIMER */
	enum wf_event event;
	enum wf_level level;
	uint32_t took_us;   /* EVENT: from the writer's loss or the request */
	char text[WF_TEXT_LEN]; /* LOG, EVENT */
};

struct wf_result {
	unsigned n;
	bool overflow;      /* actions were dropped (WF_MAX_ACTIONS) */
	struct wf_action act[WF_MAX_ACTIONS];
	/* writer_fsm_request: the reply to the operator ("" for an input
	 * that gives none); refused: it is an error */
	char reason[WF_TEXT_LEN];
	bool refused;
};

/* An operation's outcome, handed back once per operation action. */
struct wf_op_result {
	enum wf_op op;
	int node;
	uint64_t gen;
	int rc;             /* 0 done; WAIT_APPLIED 1: not applied in time; < 0 failed */
	bool not_started;   /* the shell could not start it (rc < 0) */
	const char *err;    /* what failed, or what was done */
	/* PROMOTE: what was done (rc 0: all; 1: not applied in time, not
	 * opened; < 0: failed, nothing after the failed step), and each step's
	 * time on the server */
	bool detached, semi_switched, applied, opened;
	const char *semi_err;   /* the semi-sync switch failed (not fatal) */
	uint32_t detach_us, semi_us, apply_us, open_us;
	uint32_t queued_us, rt1_us, rt2_us; /* the shell's: before it was sent, each round trip */
};

struct wf_node_state {
	struct wf_node s;           /* the last snapshot */
	uint64_t fence_gen;         /* a read_only=ON in flight, 0 none */
	uint64_t fenced_at_us;      /* its last read_only=ON succeeded then */
	uint64_t fence_failed_at_us; /* its last read_only=ON failed then (0: ok) */
	bool fence_counted;         /* the promotion's fence step waits for it */
	bool semisync_off;          /* we switched its semi-sync master side off */
	uint64_t semisync_gen;      /* a switch outside a promotion in flight */
	bool semisync_want_on;      /* what that switch asks for */
	uint64_t silent_at_us;      /* its host went silent then; 0: not silent */
	uint64_t silent_grace_end_us; /* it holds a decision until then */
	uint64_t attach_gen;        /* a START SLAVE IO_THREAD in flight */
	uint64_t repl_ack_wait_since_us; /* a standby's replicated commit waits
					  * for an ACK since (0: not seen) */
	/* transactions in its binlog the writer never received (never
	 * acknowledged): not a candidate, the writer does not replicate
	 * from it; errant_n 0: none known */
	size_t errant_n;
	char errant[WF_WHY_LEN];
};

struct writer_fsm {
	struct writer_fsm_config cfg;
	struct wf_node_state node[WF_MAX_NODES];

	bool owner;                 /* this node owns the VIP: it decides */
	uint64_t owner_since_us;
	int writer;                 /* -1 none */
	bool semisync;              /* the pair replicates semi-synchronously
				     * (the shell's preflight says so) */

	enum wf_phase phase;
	int candidate;              /* the node being promoted, -1 none */
	unsigned pending;           /* counted fences in flight */
	uint64_t promo_gen;         /* the promotion in flight */
	uint64_t step_gen;          /* its step's operation in flight, 0 none */
	uint64_t promo_start_us;
	uint64_t step_us[WF_NPHASES]; /* when each phase ended (WF_* index) */
	bool detach;                /* the promotion detaches the candidate */
	bool detach_kill;           /* ... killing its IO connection first */
	bool fast;                  /* the last steps run as one PROMOTE */
	bool fast_detach;           /* ... stopping its IO thread */
	bool fast_semi;             /* ... switching semi-sync off */
	uint64_t fast_start_us;     /* ... sent then */
	bool fast_done;             /* the promotion's PROMOTE came back: */
	uint32_t fast_us[4];        /* its detach, semi-sync, apply, open on the server */
	uint32_t fast_rt[3];        /* queued, round trip 1, round trip 2 (the shell's) */
	bool cand_writable;         /* the candidate took writes before it */
	uint64_t lost_at_us;        /* the writer was lost then, none since (0: no loss) */
	uint64_t opened_at_us;      /* the writer was opened then */
	uint64_t retry_at;          /* decide again then (WF_NO_DEADLINE: no) */
	char refused[WF_WHY_LEN];   /* why the last promotion did not happen */
	uint64_t blocked_since_us;  /* the writer's commits wait (standby lost,
				     * no proof) since then; 0: they do not */
	struct wf_witness wit;      /* the witness's key, as last read */
	uint64_t wit_gen;           /* a WITNESS operation in flight */
	bool wit_async_wanted;      /* what that operation sets */
	bool wit_for_promo;         /* it is the promotion's claim */
	char wit_said[WF_WHY_LEN];  /* the last conflict said about it */
	uint64_t wit_mine_since_us; /* the key has been ours, naming our writer,
				     * since then (0: it is not) */
	uint64_t standby_lost_at_us; /* the writer has had no standby since */
	bool blocked_announced;     /* said so (after a short grace for proof) */
	bool blocked_timed_out;     /* standby_loss_timeout passed meanwhile */
	uint64_t loss_at;           /* standby_loss_timeout's deadline */
	char blocked_why[WF_WHY_LEN];

	uint64_t next_gen;          /* generations handed out */
	unsigned ops_out;           /* operations not handed back yet */
};

const char *wf_phase_str(enum wf_phase p);
const char *wf_event_str(enum wf_event e);
const char *wf_action_str(enum wf_action_type t);

/* Check cfg and start without a writer, not owner. 0, or -1 when cfg is
 * not usable (more than WF_MAX_NODES nodes). */
int writer_fsm_init(struct writer_fsm *fsm, const struct writer_fsm_config *cfg);

/* Store a node's snapshot without deciding anything (setup, reload). */
void writer_fsm_set_node(struct writer_fsm *fsm, int node, const struct wf_node *s);

/*
 * Inputs. Each fills *out (always; n = 0 when nothing is to be done) and
 * returns out->n.
 */

/* The node's state changed: UP/DOWN (or its first decision). */
unsigned writer_fsm_changed(struct writer_fsm *fsm, uint64_t now, int node,
			    const struct wf_node *s, struct wf_result *out);
/* A probe of one of the node's checks completed (after _changed when it
 * also changed the node's state). */
unsigned writer_fsm_probed(struct writer_fsm *fsm, uint64_t now, int node,
			   const struct wf_node *s, const struct wf_probe *p,
			   struct wf_result *out);
/* This node gained (owner true) or lost the VIP. silent: bit i set when
 * node i's host went silent (we gained the VIP because the adverts of the
 * master on its host stopped). */
unsigned writer_fsm_owner(struct writer_fsm *fsm, uint64_t now, bool owner, uint32_t silent,
			  struct wf_result *out);
unsigned writer_fsm_op_done(struct writer_fsm *fsm, uint64_t now, const struct wf_op_result *r,
			    struct wf_result *out);
/* The TIMER deadline passed (early calls do nothing). */
unsigned writer_fsm_timer(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);
/* Decide again from what is known (after a reload). */
unsigned writer_fsm_update(struct writer_fsm *fsm, uint64_t now, struct wf_result *out);
/* The operator: promote node (-1: hand over to the best other node). The
 * reply is out->reason (out->refused for an error). */
unsigned writer_fsm_request(struct writer_fsm *fsm, uint64_t now, int node,
			    struct wf_result *out);

/* A reload replaces the fsm (just initialised): what `old` knew goes into
 * it. old NULL: a virtual server the reload added. map[i]: the old index of
 * new node i, -1 for a node the reload added. owner: whether this node owns
 * the VIP now; when it did before the reload too, the writer carries over.
 * Only while !writer_fsm_busy(old). Decides nothing: writer_fsm_update()
 * does, once the nodes are set. */
void writer_fsm_carry(struct writer_fsm *fsm, const struct writer_fsm *old, const int *map,
		      bool owner, uint64_t now);

/* A promotion runs or an operation is not handed back yet: a reload must
 * wait (the shell's operations point into the services). */
bool writer_fsm_busy(const struct writer_fsm *fsm);
/* Reachable now; else why (a sentence naming the node). */
bool writer_fsm_reachable(const struct writer_fsm *fsm, int node, char *why, size_t len);
/* Gone (DOWN, or its host silent); then why. */
bool writer_fsm_gone(const struct writer_fsm *fsm, int node, char *why, size_t len);
/* Can node i, which cannot be reached now, still acknowledge a write once
 * candidate c opens? false (and why) unless its mysqld is stopped or it
 * is the old writer held by the semi-sync fence (writer_fsm.c). */
bool writer_fsm_fenced(const struct writer_fsm *fsm, int c, int i, char *why, size_t len);
/* The witness's key changed (or the session came or went). */
unsigned writer_fsm_witness(struct writer_fsm *fsm, uint64_t now, const struct wf_witness *w,
			    struct wf_result *out);
/* The key's data for node naming it, and back (writer -1: no such node). */
void writer_fsm_witness_data(const struct writer_fsm *fsm, int node, bool async, char *buf,
			     size_t len);
void writer_fsm_witness_parse(const struct writer_fsm *fsm, const char *data, int *writer,
			      bool *async);
/* Some node's semi-sync master side is off (switched by us). */
bool writer_fsm_semisync_off(const struct writer_fsm *fsm);
uint64_t writer_fsm_next_deadline(const struct writer_fsm *fsm);

#endif /* XVIP_WRITER_FSM_H */
