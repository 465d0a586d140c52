/*
 * The witness: a ZooKeeper session on the daemon's loop, holding the key
 * that says which node of a MySQL pair is the writer.
 *
 * Why a third party: when the link between the two nodes breaks, each
 * side sees its peer vanish and cannot tell a dead peer from one behind a
 * split. The key decides: the side that holds it may keep taking writes
 * (alone, asynchronously), the other may not promote; and a candidate
 * promotes only after it took the key, by compare-and-swap, so two
 * candidates cannot both win. The key is EPHEMERAL: it dies with the
 * session of its holder (a crashed or cut-off writer loses it after the
 * session timeout, a clean stop at once). What to do with the key is
 * decided elsewhere (writer_fsm_witness.c); this is only the client.
 *
 * Driven like check_mysql.c drives Connector/C: the single-threaded
 * libzookeeper_st tells, through zookeeper_interest(), which socket to
 * watch for what and when to call again; its socket (it changes on every
 * reconnect) is a loop fd, its deadline a loop timer, and both call
 * zookeeper_process() / zookeeper_interest() again. No threads. Its log
 * goes to xlog at debug. Hosts should be addresses: the library resolves
 * names synchronously (at witness_new and on each reconnect).
 *
 * Keys are root/name, name one path component (no '/', e.g.
 * "10.0.0.100:3306"); root is created (persistent) on every session if
 * missing. A key's data is a string shorter than witness_key.data.
 *
 * Callbacks are never called from inside a witness_* call, nor from inside
 * the library: every one is queued and delivered from the loop, in the
 * order things happened (a session's loss, then the keys' known=false,
 * then the operations that failed with it). Any callback may call any
 * witness_* function, witness_free included.
 *
 * Session: on_state(arg, connected) on every change. Losing the connection
 * is not losing the session: within the session timeout the library
 * reconnects to the same session and the keys we hold stay ours. When the
 * session expired (ZooKeeper dropped it, and our ephemeral keys with it)
 * the handle is re-created at once, with a new session: on_state reports
 * false (already, when the connection went), then true.
 *
 * Operations (claim, set, release): return 0 when started, and then done
 * is called exactly once, from the loop (rc below; err a sentence naming
 * the key, never NULL); or < 0 when refused at the call (-EINVAL a bad
 * name, data too long, a negative version for set; -ENOMEM) and done is
 * never called. Asked while there is no session they are not queued (a
 * claim sent when the session comes back would act on a stale decision):
 * done says -ENOTCONN. No deadline of their own: an operation in flight
 * ends with the answer or with the connection (-ENOTCONN), which the
 * session timeout bounds. witness_free calls no callback at all.
 */
#ifndef XVIP_WITNESS_H
#define XVIP_WITNESS_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct witness;

struct witness_key {        /* what the witness holds for one key */
	bool known;             /* read since the session was (re)established */
	bool exists;
	bool mine;              /* its ephemeralOwner is our session */
	int32_t version;        /* its data version (stat.version); -1 when absent */
	char data[128];         /* its content, NUL-terminated (truncated) */
	/* absent, and deleted straight after the version last read (the
	 * watch is one-shot: a change in between would have fired first);
	 * vanished_data is that version's content */
	bool vanished;
	char vanished_data[128];
};

typedef void (*witness_key_cb)(void *arg, const char *name, const struct witness_key *k);
typedef void (*witness_state_cb)(void *arg, bool connected);
/* rc: 0 done; -EEXIST the key exists (create); -ESTALE its version moved
 * (compare-and-swap lost); -ENOENT it is gone; -ENOTCONN no session
 * (disconnected, or expired); -EIO other, err says what */
typedef void (*witness_done_cb)(void *arg, int rc, const char *err);

/* Starts connecting at once (hosts "h:p,h:p"); NULL on bad arguments or
 * allocation failure (said with xlog). session_timeout_ms is asked for;
 * the server bounds it (its minSessionTimeout and maxSessionTimeout). */
struct witness *witness_new(struct loop *l, const char *hosts, uint32_t session_timeout_ms,
			    const char *root, witness_state_cb on_state, void *arg);
/* Closes the session, so that our ephemeral keys go at once (not after the
 * session timeout). The library waits for the server's answer to the
 * close: this can hold the loop up to 1.5 s when the server stopped
 * answering (a clean stop only). */
void witness_free(struct witness *w);
/* A session is established now (the last on_state may not be delivered
 * yet). */
bool witness_connected(const struct witness *w);

/* Watch root/name: cb on every change of it and whenever the session is
 * (re)established or lost (then known=false). One watcher per name
 * (-EEXIST for a second); it lasts until witness_free. */
int witness_watch(struct witness *w, const char *name, witness_key_cb cb, void *arg);

/* Take the key. version < 0: create root/name EPHEMERAL with data (fails
 * -EEXIST if it exists). version >= 0: one ZooKeeper multi,
 * delete(root/name, version) + create EPHEMERAL, so that the key moves to
 * us only if nobody changed it since we read that version (fails -ESTALE
 * if the version moved, -ENOENT if it vanished). */
int witness_claim(struct witness *w, const char *name, int32_t version, const char *data,
		  witness_done_cb done, void *arg);
/* Compare-and-swap our key's data: setData(root/name, data, version),
 * version >= 0 (-ESTALE if it moved, -ENOENT if the key is gone). */
int witness_set(struct witness *w, const char *name, int32_t version, const char *data,
		witness_done_cb done, void *arg);
/* Delete our key (a clean stop): version < 0 whatever its version, else
 * only that one (-ESTALE). done may be NULL. */
int witness_release(struct witness *w, const char *name, int32_t version, witness_done_cb done,
		    void *arg);

#endif
