/*
 * witness.c - libzookeeper_st on the loop (see witness.h).
 *
 * zk_drive() is the whole driver: after anything that may change what the
 * library wants (a request queued, input processed, its timer), it asks
 * zookeeper_interest() again and makes the loop follow, one fd and one
 * timer. The library replaces its socket on every reconnect, sometimes
 * under the same number (epoll then forgot the old one): a failed
 * loop_mod_fd means "new socket", re-added.
 *
 * The library calls our completions and watchers from inside
 * zookeeper_process/interest/close. They only record and queue; the
 * queue is delivered from a loop timer (on_deliver), so that the caller's
 * code never runs inside the library nor inside its own witness_* call.
 *
 * Every request we send carries a record the library hands back exactly
 * once (with ZCLOSING from zookeeper_close): a wop for an operation, whose
 * embedded event becomes its done; a wread for a key's read. Reads carry
 * the session epoch they were sent in: one that answers after the session
 * changed is stale, the new session has read again.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>

#include <zookeeper/zookeeper.h>

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "witness.h"

#define NAME_MAX_LEN 255
/* when zookeeper_interest failed (it dropped its socket): ask again soon,
 * without spinning on an error that repeats */
#define RETRY_US 10000
/* an unrecoverable session that did not expire (authentication failed):
 * a new one, but not in a tight loop */
#define RENEW_AFTER_FAIL_US 1000000

enum wev_kind { EV_STATE, EV_KEY, EV_DONE };

struct wwatch;

/* one callback to deliver from the loop */
struct wevent {
	struct wevent *next;
	enum wev_kind kind;
	bool connected;          /* STATE */
	struct wwatch *ww;       /* KEY */
	struct witness_key key;
	witness_done_cb done;    /* DONE */
	void *arg;
	int rc;
	char err[320];
};

enum wop_kind { OP_ROOT, OP_CREATE, OP_CAS_CLAIM, OP_SET, OP_RELEASE };

struct wop {
	struct wevent ev;        /* first: delivered as the done, freed with the wop */
	struct witness *w;
	enum wop_kind kind;
	int32_t version;
	zoo_op_result_t res[3];  /* the multi's, written by the library until it answers */
	struct Stat gstat;       /* the guard's, after a claim bumped it */
	char *guard;             /* in path's buffer: the key's guard (GUARD_SUFFIX) */
	char path[];
};

/* Each key has a persistent guard node beside it, "<key>#claims", whose
 * version counts the claims of that key: every create or claim bumps it in
 * the same transaction, and every set or release of ours checks it
 * unchanged since our own claim. The key's version alone is not enough: a
 * claim deletes the key and creates it anew, at version 0 again, so a
 * compare-and-swap of its former holder on the version it knew (0) would
 * land on the claimant's fresh key (seen in test_mysql_witness: the old
 * writer set state=async on the key its peer had just taken, and both took
 * writes). */
#define GUARD_SUFFIX "#claims"
#define MAX_GUARDS 64

struct wwatch {
	struct witness *w;
	struct wwatch *next;
	witness_key_cb cb;
	void *arg;
	struct witness_key key;  /* as last queued */
	bool deleted;            /* its watch said deleted, after key was read */
	const char *name;        /* in path */
	char path[];
};

struct wread {
	struct wwatch *ww;
	uint64_t epoch;
};

struct witness {
	struct loop *l;
	zhandle_t *zh;
	char *hosts, *root;
	uint32_t timeout_ms;
	witness_state_cb on_state;
	void *arg;
	int fd;                  /* the library's socket as the loop watches it, -1 none */
	uint64_t io_timer, deliver_timer, renew_timer;
	bool connected;          /* a session is established, now */
	bool told;               /* what on_state was last told (queued) */
	int64_t session;         /* its id, 0 before the first */
	uint64_t epoch;          /* bumped on every session up/down: older reads are stale */
	int in_lib;              /* inside the library: its callbacks must not re-enter it */
	bool closing;            /* witness_free: records are freed, nothing is told */
	bool delivering, freed;  /* witness_free from a callback: on_deliver frees w */
	struct wwatch *watches;
	struct wevent *events, **events_tail;
	/* the guards' versions after our own claims, in this session */
	struct {
		char key[NAME_MAX_LEN + 1];
		int32_t version;
	} guards[MAX_GUARDS];
	size_t n_guards;
};

static void zk_drive(struct witness *w);

/* The guard's version our last claim of key left (this session), or -1. */
static int32_t guard_get(const struct witness *w, const char *key)
{
	for (size_t i = 0; i < w->n_guards; i++)
		if (!strcmp(w->guards[i].key, key))
			return w->guards[i].version;
	return -1;
}

static void guard_put(struct witness *w, const char *key, int32_t version)
{
	size_t i;

	for (i = 0; i < w->n_guards && strcmp(w->guards[i].key, key); i++)
		;
	if (i == w->n_guards) {
		if (w->n_guards == MAX_GUARDS)
			i = 0; /* the oldest goes: its sets then fail, safely */
		else
			w->n_guards++;
		snprintf(w->guards[i].key, sizeof(w->guards[i].key), "%s", key);
	}
	w->guards[i].version = version;
}

/* ---- the library's log, at debug ---- */

/* Its lines start with a timestamp and our pid ("2024-05-01
 * 10:00:00,123:4242:ZOO_ERROR@func@line: ..."); xlog has both. */
static void zk_log(const char *message)
{
	const char *p = strstr(message, "ZOO_");

	xlog(LOG_DEBUG, "zookeeper: %s", p ? p : message);
}

/* ---- delivery ---- */

static void on_deliver(struct loop *l, uint64_t id, void *arg)
{
	struct witness *w = arg;
	struct wevent *batch = w->events;

	(void)l;
	(void)id;
	/* only what is queued now: what the callbacks queue waits a turn */
	w->deliver_timer = 0;
	w->events = NULL;
	w->events_tail = &w->events;
	w->delivering = true;
	while (batch) {
		struct wevent *ev = batch;

		batch = ev->next;
		if (!w->freed) {
			switch (ev->kind) {
			case EV_STATE:
				if (w->on_state)
					w->on_state(w->arg, ev->connected);
				break;
			case EV_KEY:
				ev->ww->cb(ev->ww->arg, ev->ww->name, &ev->key);
				break;
			case EV_DONE:
				ev->done(ev->arg, ev->rc, ev->err);
				break;
			}
		}
		free(ev); /* a DONE's is its wop */
	}
	w->delivering = false;
	if (w->freed)
		free(w);
}

static void queue_event(struct witness *w, struct wevent *ev)
{
	ev->next = NULL;
	*w->events_tail = ev;
	w->events_tail = &ev->next;
	if (!w->deliver_timer)
		w->deliver_timer = loop_add_timer(w->l, now_us(), on_deliver, w);
	if (!w->deliver_timer)
		xlog(LOG_ERR, "witness %s: cannot schedule a callback (out of memory)", w->hosts);
}

static void tell_state(struct witness *w, bool connected)
{
	struct wevent *ev;

	if (w->told == connected)
		return;
	w->told = connected;
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		xlog(LOG_ERR, "witness %s: out of memory, state change not told", w->hosts);
		return;
	}
	ev->kind = EV_STATE;
	ev->connected = connected;
	queue_event(w, ev);
}

static bool key_equal(const struct witness_key *a, const struct witness_key *b)
{
	return a->known == b->known && a->exists == b->exists && a->mine == b->mine &&
	       a->version == b->version && strcmp(a->data, b->data) == 0 &&
	       a->vanished == b->vanished && strcmp(a->vanished_data, b->vanished_data) == 0;
}

/* A new snapshot of the key; told only when it differs from the last
 * (a re-read after a reconnect usually finds the same). */
static void key_update(struct wwatch *ww, const struct witness_key *k)
{
	struct wevent *ev;

	if (key_equal(&ww->key, k))
		return;
	ww->key = *k;
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		xlog(LOG_ERR, "witness %s: out of memory, change of %s not told", ww->w->hosts,
		     ww->path);
		return;
	}
	ev->kind = EV_KEY;
	ev->ww = ww;
	ev->key = *k;
	queue_event(ww->w, ev);
}

static const struct witness_key KEY_UNKNOWN = { .version = -1 };

/* ---- operations ---- */

static int zrc_errno(int zrc)
{
	switch (zrc) {
	case ZOK:
		return 0;
	case ZNODEEXISTS:
		return -EEXIST;
	case ZBADVERSION:
		return -ESTALE;
	case ZNONODE:
		return -ENOENT;
	case ZCONNECTIONLOSS:
	case ZOPERATIONTIMEOUT:
	case ZSESSIONEXPIRED:
	case ZSESSIONMOVED:
	case ZCLOSING:
	case ZINVALIDSTATE:
		return -ENOTCONN;
	default:
		return -EIO;
	}
}

static const char *op_what(const struct wop *op, char *buf, size_t len)
{
	switch (op->kind) {
	case OP_ROOT:
		snprintf(buf, len, "create %s (persistent)", op->path);
		break;
	case OP_CREATE:
		snprintf(buf, len, "claim %s (create)", op->path);
		break;
	case OP_CAS_CLAIM:
		snprintf(buf, len, "claim %s (delete version %d + create)", op->path, op->version);
		break;
	case OP_SET:
		snprintf(buf, len, "set %s version %d (claims %d)", op->path, op->version,
			 guard_get(op->w, op->path));
		break;
	case OP_RELEASE:
		if (op->version < 0)
			snprintf(buf, len, "release %s", op->path);
		else
			snprintf(buf, len, "release %s version %d", op->path, op->version);
		break;
	}
	return buf;
}

/* The answer (or the connection's end) for op: its done, from the loop. */
static void op_finish(struct wop *op, int zrc, const char *why)
{
	struct witness *w = op->w;
	char what[300];
	int rc = zrc_errno(zrc);

	if (w->closing) {
		free(op);
		return;
	}
	/* our claim: the guard's version it left is the one our sets check */
	if (rc == 0 && (op->kind == OP_CREATE || op->kind == OP_CAS_CLAIM))
		guard_put(w, op->path, op->gstat.version);
	op->ev.kind = EV_DONE;
	op->ev.rc = rc;
	snprintf(op->ev.err, sizeof(op->ev.err), "witness %s: %s: %s", w->hosts,
		 op_what(op, what, sizeof(what)), why ? why : zerror(zrc));
	if (!op->ev.done) {
		/* the root's creation, or a release nobody waits for */
		if (rc < 0 && !(op->kind == OP_ROOT && rc == -EEXIST) && rc != -ENOTCONN)
			xlog(LOG_WARNING, "%s", op->ev.err);
		free(op);
		return;
	}
	queue_event(w, &op->ev);
}

static void on_string_done(int zrc, const char *value, const void *data)
{
	(void)value;
	op_finish((struct wop *)data, zrc, NULL);
}

static void on_void_done(int zrc, const void *data)
{
	op_finish((struct wop *)data, zrc, NULL);
}

static struct wop *op_new(struct witness *w, enum wop_kind kind, const char *path, size_t plen,
			  int32_t version, witness_done_cb done, void *arg)
{
	struct wop *op = calloc(1, sizeof(*op) + 2 * (plen + 1) + sizeof(GUARD_SUFFIX));

	if (!op)
		return NULL;
	op->w = w;
	op->kind = kind;
	op->version = version;
	op->ev.done = done;
	op->ev.arg = arg;
	memcpy(op->path, path, plen);
	op->path[plen] = '\0';
	op->guard = op->path + plen + 1;
	memcpy(op->guard, path, plen);
	memcpy(op->guard + plen, GUARD_SUFFIX, sizeof(GUARD_SUFFIX));
	return op;
}

/* The key's guard, persistent, created if missing ("exists" is fine),
 * queued before the transaction that counts a claim in it (a session's
 * requests are answered in order). */
static void guard_ensure(struct witness *w, const struct wop *claim)
{
	struct wop *op = op_new(w, OP_ROOT, claim->guard, strlen(claim->guard), -1, NULL, NULL);

	if (!op)
		return; /* the claim then fails on the missing guard, and says so */
	if (zoo_acreate(w->zh, op->path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
			on_string_done, op) != ZOK)
		free(op);
}

static void op_send(struct witness *w, struct wop *op, const char *data)
{
	int len = data ? (int)strlen(data) : -1;
	int zrc = ZINVALIDSTATE;

	if (!w->connected) {
		op_finish(op, ZCONNECTIONLOSS, "no session");
		return;
	}
	switch (op->kind) {
	case OP_ROOT:
		zrc = zoo_acreate(w->zh, op->path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
				  on_string_done, op);
		break;
	case OP_CREATE: {
		zoo_op_t ops[2];

		guard_ensure(w, op);
		/* one transaction: the key, and the claims counted */
		zoo_create_op_init(&ops[0], op->path, data, len, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
				   NULL, 0);
		zoo_set_op_init(&ops[1], op->guard, NULL, -1, -1, &op->gstat);
		zrc = zoo_amulti(w->zh, 2, ops, op->res, on_void_done, op);
		break;
	}
	case OP_CAS_CLAIM: {
		zoo_op_t ops[3];

		guard_ensure(w, op);
		/* one transaction: the key moves to us only from that version */
		zoo_delete_op_init(&ops[0], op->path, op->version);
		zoo_create_op_init(&ops[1], op->path, data, len, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
				   NULL, 0);
		zoo_set_op_init(&ops[2], op->guard, NULL, -1, -1, &op->gstat);
		zrc = zoo_amulti(w->zh, 3, ops, op->res, on_void_done, op);
		break;
	}
	case OP_SET: {
		zoo_op_t ops[2];
		int32_t g = guard_get(w, op->path);

		if (g < 0) {
			/* not claimed by us in this session: not ours to change */
			op_finish(op, ZBADVERSION, "not claimed in this session (its claims unknown)");
			return;
		}
		/* nobody claimed it since our claim, and the version we read */
		zoo_check_op_init(&ops[0], op->guard, g);
		zoo_set_op_init(&ops[1], op->path, data, len, op->version, NULL);
		zrc = zoo_amulti(w->zh, 2, ops, op->res, on_void_done, op);
		break;
	}
	case OP_RELEASE: {
		zoo_op_t ops[2];
		int32_t g = guard_get(w, op->path);

		if (g < 0) {
			zrc = zoo_adelete(w->zh, op->path, op->version < 0 ? -1 : op->version,
					  on_void_done, op);
			break;
		}
		zoo_check_op_init(&ops[0], op->guard, g);
		zoo_delete_op_init(&ops[1], op->path, op->version < 0 ? -1 : op->version);
		zrc = zoo_amulti(w->zh, 2, ops, op->res, on_void_done, op);
		break;
	}
	}
	if (zrc != ZOK) /* refused before it was queued: no completion will come */
		op_finish(op, zrc, NULL);
	else
		zk_drive(w); /* it wants to write now */
}

static bool name_ok(const char *name)
{
	return name && name[0] && strlen(name) <= NAME_MAX_LEN && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int start_op(struct witness *w, enum wop_kind kind, const char *name, int32_t version,
		    const char *data, witness_done_cb done, void *arg)
{
	char path[PATH_MAX];
	int n;
	struct wop *op;

	if (!w || !name_ok(name) || (kind != OP_RELEASE && !done) ||
	    (data && strlen(data) >= sizeof(((struct witness_key *)0)->data)))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%s", w->root, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -EINVAL;
	op = op_new(w, kind, path, (size_t)n, version, done, arg);
	if (!op)
		return -ENOMEM;
	op_send(w, op, data ? data : "");
	return 0;
}

int witness_claim(struct witness *w, const char *name, int32_t version, const char *data,
		  witness_done_cb done, void *arg)
{
	return start_op(w, version < 0 ? OP_CREATE : OP_CAS_CLAIM, name, version, data, done, arg);
}

int witness_set(struct witness *w, const char *name, int32_t version, const char *data,
		witness_done_cb done, void *arg)
{
	if (version < 0)
		return -EINVAL; /* a compare-and-swap, never "whatever is there" */
	return start_op(w, OP_SET, name, version, data, done, arg);
}

int witness_release(struct witness *w, const char *name, int32_t version, witness_done_cb done,
		    void *arg)
{
	return start_op(w, OP_RELEASE, name, version, NULL, done, arg);
}

/* Every component of root, persistent; "exists" is fine. Queued first on
 * the session, so that the claims after it find their parent. */
static void create_root(struct witness *w)
{
	for (const char *p = w->root + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			struct wop *op = op_new(w, OP_ROOT, w->root, (size_t)(p - w->root), -1, NULL,
						NULL);

			if (!op) {
				xlog(LOG_ERR, "witness %s: cannot create %s (out of memory)", w->hosts,
				     w->root);
				return;
			}
			op_send(w, op, NULL);
		}
		if (*p == '\0')
			return;
	}
}

/* ---- watched keys ---- */

static void on_key_event(zhandle_t *zh, int type, int state, const char *path, void *ctx);
static void on_key_data(int zrc, const char *value, int len, const struct Stat *st, const void *data);
static void on_key_stat(int zrc, const struct Stat *st, const void *data);

/* getData sets a watch only on a key that exists, exists() on one that
 * does not: the first, then the second if the key is absent. */
static void read_send(struct wread *r, bool absent)
{
	struct wwatch *ww = r->ww;
	struct witness *w = ww->w;
	int zrc = absent ? zoo_awexists(w->zh, ww->path, on_key_event, ww, on_key_stat, r)
			 : zoo_awget(w->zh, ww->path, on_key_event, ww, on_key_data, r);

	if (zrc != ZOK) {
		if (zrc_errno(zrc) != -ENOTCONN)
			xlog(LOG_WARNING, "witness %s: cannot read %s: %s", w->hosts, ww->path,
			     zerror(zrc));
		free(r);
		return;
	}
	zk_drive(w);
}

static void read_key(struct wwatch *ww)
{
	struct wread *r = calloc(1, sizeof(*r));

	if (!r) {
		xlog(LOG_ERR, "witness %s: cannot read %s (out of memory)", ww->w->hosts, ww->path);
		return;
	}
	r->ww = ww;
	r->epoch = ww->w->epoch;
	read_send(r, false);
}

/* The read's answer is of no use: freed (the key is read again when the
 * session is up). */
static bool read_stale(struct wread *r, int zrc)
{
	struct witness *w = r->ww->w;

	if (w->closing || r->epoch != w->epoch || zrc_errno(zrc) == -ENOTCONN) {
		free(r);
		return true;
	}
	return false;
}

static void key_from_stat(struct wwatch *ww, const struct Stat *st, const char *value, int len)
{
	struct witness_key k = { .known = true, .exists = true, .version = st->version };

	k.mine = ww->w->session && st->ephemeralOwner == ww->w->session;
	if (value && len > 0) {
		size_t n = (size_t)len < sizeof(k.data) - 1 ? (size_t)len : sizeof(k.data) - 1;

		memcpy(k.data, value, n);
		k.data[n] = '\0';
	}
	key_update(ww, &k);
}

static void on_key_data(int zrc, const char *value, int len, const struct Stat *st, const void *data)
{
	struct wread *r = (struct wread *)data;

	if (read_stale(r, zrc))
		return;
	if (zrc == ZNONODE) {
		read_send(r, true);
		return;
	}
	if (zrc == ZOK)
		key_from_stat(r->ww, st, value, len);
	else
		xlog(LOG_WARNING, "witness %s: read %s: %s", r->ww->w->hosts, r->ww->path,
		     zerror(zrc));
	free(r);
}

static void on_key_stat(int zrc, const struct Stat *st, const void *data)
{
	struct wread *r = (struct wread *)data;
	struct witness_key absent = { .known = true, .version = -1 };

	(void)st;
	if (read_stale(r, zrc))
		return;
	if (zrc == ZOK) { /* created since the getData: read its data */
		read_send(r, false);
		return;
	}
	if (zrc == ZNONODE) {
		struct wwatch *ww = r->ww;

		/* deleted right after the version we had read: say what it said */
		if (ww->deleted && ww->key.known && ww->key.exists) {
			absent.vanished = true;
			snprintf(absent.vanished_data, sizeof(absent.vanished_data), "%s", ww->key.data);
		} else if (ww->key.known && !ww->key.exists && ww->key.vanished) {
			absent.vanished = true; /* still the same absence */
			snprintf(absent.vanished_data, sizeof(absent.vanished_data), "%s",
				 ww->key.vanished_data);
		}
		ww->deleted = false;
		key_update(ww, &absent);
	}
	else
		xlog(LOG_WARNING, "witness %s: read %s: %s", r->ww->w->hosts, r->ww->path,
		     zerror(zrc));
	free(r);
}

/* A watch fired (they are one-shot): read again, which sets the next one. */
static void on_key_event(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct wwatch *ww = ctx;

	(void)zh;
	(void)state;
	(void)path;
	/* session events reach every watcher too: on_session has them */
	if (type == ZOO_SESSION_EVENT || ww->w->closing || !ww->w->connected)
		return;
	ww->deleted = type == ZOO_DELETED_EVENT;
	read_key(ww);
}

int witness_watch(struct witness *w, const char *name, witness_key_cb cb, void *arg)
{
	struct wwatch *ww;
	size_t rlen, nlen;

	if (!w || !cb || !name_ok(name))
		return -EINVAL;
	for (ww = w->watches; ww; ww = ww->next)
		if (strcmp(ww->name, name) == 0)
			return -EEXIST;
	rlen = strlen(w->root);
	nlen = strlen(name);
	ww = calloc(1, sizeof(*ww) + rlen + 1 + nlen + 1);
	if (!ww)
		return -ENOMEM;
	ww->w = w;
	ww->cb = cb;
	ww->arg = arg;
	ww->key = KEY_UNKNOWN;
	memcpy(ww->path, w->root, rlen);
	ww->path[rlen] = '/';
	memcpy(ww->path + rlen + 1, name, nlen + 1);
	ww->name = ww->path + rlen + 1;
	ww->next = w->watches;
	w->watches = ww;
	if (w->connected)
		read_key(ww);
	return 0;
}

/* ---- the session ---- */

static void on_renew(struct loop *l, uint64_t id, void *arg);

static void session_up(struct witness *w)
{
	const clientid_t *id = zoo_client_id(w->zh);
	int64_t old = w->session;

	w->connected = true;
	w->session = id->client_id;
	w->epoch++;
	if (old != w->session)
		w->n_guards = 0; /* our keys went with the old session */
	if (old == w->session)
		xlog(LOG_INFO, "witness %s: reconnected to %s, session 0x%llx kept", w->hosts,
		     zoo_get_current_server(w->zh), (unsigned long long)w->session);
	else
		xlog(LOG_INFO, "witness %s: session 0x%llx established on %s, timeout %d ms",
		     w->hosts, (unsigned long long)w->session, zoo_get_current_server(w->zh),
		     zoo_recv_timeout(w->zh));
	create_root(w);
	tell_state(w, true);
	for (struct wwatch *ww = w->watches; ww; ww = ww->next)
		read_key(ww);
}

static void session_down(struct witness *w)
{
	w->connected = false;
	w->epoch++;
	tell_state(w, false);
	for (struct wwatch *ww = w->watches; ww; ww = ww->next) {
		ww->deleted = false; /* what happened meanwhile is not known */
		key_update(ww, &KEY_UNKNOWN);
	}
}

static void connection_lost(struct witness *w)
{
	xlog(LOG_WARNING, "witness %s: connection lost, session 0x%llx holds %d ms", w->hosts,
	     (unsigned long long)w->session, zoo_recv_timeout(w->zh));
	session_down(w);
}

static void schedule_renew(struct witness *w, uint64_t after_us)
{
	if (!w->renew_timer)
		w->renew_timer = loop_add_timer(w->l, now_us() + after_us, on_renew, w);
}

/* The handle's watcher: only session events come here (keys have theirs). */
static void on_session(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct witness *w = ctx;

	(void)path;
	if (type != ZOO_SESSION_EVENT || w->closing || zh != w->zh)
		return;
	if (state == ZOO_CONNECTED_STATE) {
		session_up(w);
	} else if (state == ZOO_EXPIRED_SESSION_STATE) {
		xlog(LOG_WARNING, "witness %s: session 0x%llx expired (its ephemeral keys are gone): "
		     "starting a new one", w->hosts, (unsigned long long)w->session);
		session_down(w);
		schedule_renew(w, 0);
	} else if (state == ZOO_AUTH_FAILED_STATE) {
		xlog(LOG_ERR, "witness %s: authentication failed: starting a new session in %d ms",
		     w->hosts, RENEW_AFTER_FAIL_US / 1000);
		session_down(w);
		schedule_renew(w, RENEW_AFTER_FAIL_US);
	} else if (w->connected) { /* CONNECTING: the connection, not the session, is lost */
		connection_lost(w);
	}
}

/* ---- the driver ---- */

static void on_io(struct loop *l, int fd, uint32_t events, void *arg);
static void on_io_timer(struct loop *l, uint64_t id, void *arg);

static void unwatch_fd(struct witness *w)
{
	if (w->fd >= 0)
		loop_del_fd(w->l, w->fd);
	w->fd = -1;
}

static void watch_fd(struct witness *w, int fd, int interest)
{
	uint32_t ev = ((interest & ZOOKEEPER_READ) ? EPOLLIN : 0) |
		      ((interest & ZOOKEEPER_WRITE) ? EPOLLOUT : 0);
	int rc;

	if (fd != w->fd)
		unwatch_fd(w);
	if (fd < 0)
		return;
	if (w->fd == fd) {
		if (loop_mod_fd(w->l, fd, ev) == 0)
			return;
		unwatch_fd(w); /* a new socket under the old number */
	}
	rc = loop_add_fd(w->l, fd, ev, on_io, w);
	if (rc < 0) {
		xlog(LOG_ERR, "witness %s: cannot watch its socket: %s", w->hosts, strerror(-rc));
		return; /* the timer retries */
	}
	w->fd = fd;
}

static void zk_drive(struct witness *w)
{
	struct timeval tv = { 0, 0 };
	int fd = -1, interest = 0, zrc;
	uint64_t wait_us;

	if (!w->zh || w->in_lib)
		return; /* the outer call drives once the library returns */
	w->in_lib++;
	zrc = zookeeper_interest(w->zh, &fd, &interest, &tv);
	w->in_lib--;
	if (w->io_timer) {
		loop_cancel_timer(w->l, w->io_timer);
		w->io_timer = 0;
	}
	if (is_unrecoverable(w->zh)) {
		/* expired: on_session scheduled the new handle; nothing to wait for */
		unwatch_fd(w);
		if (w->connected)
			session_down(w);
		schedule_renew(w, 0);
		return;
	}
	/* A request whose immediate send fails makes the library close its
	 * socket quietly (no session event, its requests left pending until
	 * the next connect attempt fails them): the state says it. */
	if (w->connected && zoo_state(w->zh) != ZOO_CONNECTED_STATE)
		connection_lost(w);
	if (zrc != ZOK) { /* it dropped its socket (timeout, refused): ask again soon */
		fd = -1;
		wait_us = RETRY_US;
	} else {
		wait_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
		if (wait_us < 1000)
			wait_us = 1000;
	}
	watch_fd(w, fd, interest);
	w->io_timer = loop_add_timer(w->l, now_us() + wait_us, on_io_timer, w);
	if (!w->io_timer)
		xlog(LOG_ERR, "witness %s: cannot arm its timer (out of memory)", w->hosts);
}

static void on_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct witness *w = arg;
	int zev = 0;

	(void)l;
	(void)fd;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		zev |= ZOOKEEPER_READ;
	if (events & EPOLLOUT)
		zev |= ZOOKEEPER_WRITE;
	w->in_lib++;
	zookeeper_process(w->zh, zev); /* failures show as session events */
	w->in_lib--;
	zk_drive(w);
}

static void on_io_timer(struct loop *l, uint64_t id, void *arg)
{
	struct witness *w = arg;

	(void)l;
	(void)id;
	w->io_timer = 0;
	zk_drive(w); /* pings, timeouts and reconnects happen in zookeeper_interest */
}

/* Closes the handle; its requests in flight come back with ZCLOSING. */
static void zk_close(struct witness *w)
{
	unwatch_fd(w);
	if (w->io_timer) {
		loop_cancel_timer(w->l, w->io_timer);
		w->io_timer = 0;
	}
	if (w->zh) {
		w->in_lib++;
		zookeeper_close(w->zh);
		w->in_lib--;
		w->zh = NULL;
	}
}

static int zk_open(struct witness *w)
{
	int tmo = w->timeout_ms > INT_MAX ? INT_MAX : (int)w->timeout_ms;

	w->zh = zookeeper_init2(w->hosts, on_session, tmo, NULL, w, ZOO_NO_LOG_CLIENTENV, zk_log);
	if (!w->zh)
		return -(errno ? errno : ENOMEM);
	/* resolve the hosts only on reconnects, not on every interest call */
	zoo_set_servers_resolution_delay(w->zh, -1);
	w->session = 0;
	zk_drive(w);
	return 0;
}

static void on_renew(struct loop *l, uint64_t id, void *arg)
{
	struct witness *w = arg;
	int rc;

	(void)l;
	(void)id;
	w->renew_timer = 0;
	zk_close(w);
	rc = zk_open(w);
	if (rc < 0) {
		xlog(LOG_ERR, "witness %s: cannot start a new session: %s (retrying in %u ms)",
		     w->hosts, strerror(-rc), w->timeout_ms);
		schedule_renew(w, (uint64_t)w->timeout_ms * 1000);
	}
}

/* ---- life cycle ---- */

static bool root_ok(const char *root)
{
	size_t n = root ? strlen(root) : 0;

	return n >= 2 && root[0] == '/' && root[n - 1] != '/' && !strstr(root, "//") &&
	       n < PATH_MAX - NAME_MAX_LEN - 2;
}

struct witness *witness_new(struct loop *l, const char *hosts, uint32_t session_timeout_ms,
			    const char *root, witness_state_cb on_state, void *arg)
{
	struct witness *w;
	int rc;

	if (!l || !hosts || !hosts[0] || !root_ok(root)) {
		xlog(LOG_ERR, "witness %s: bad arguments (root '%s': one or more /components)",
		     hosts ? hosts : "(null)", root ? root : "(null)");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->hosts = strdup(hosts)) || !(w->root = strdup(root))) {
		xlog(LOG_ERR, "witness %s: out of memory", hosts);
		if (w) {
			free(w->hosts);
			free(w);
		}
		return NULL;
	}
	w->l = l;
	w->timeout_ms = session_timeout_ms;
	w->on_state = on_state;
	w->arg = arg;
	w->fd = -1;
	w->events_tail = &w->events;
	zoo_set_debug_level(ZOO_LOG_LEVEL_WARN); /* process-wide; its lines go to zk_log */
	rc = zk_open(w);
	if (rc < 0) {
		xlog(LOG_ERR, "witness %s: cannot start a ZooKeeper client: %s", hosts,
		     strerror(-rc));
		free(w->hosts);
		free(w->root);
		free(w);
		return NULL;
	}
	return w;
}

void witness_free(struct witness *w)
{
	if (!w)
		return;
	w->closing = true;
	if (w->renew_timer)
		loop_cancel_timer(w->l, w->renew_timer);
	if (w->deliver_timer)
		loop_cancel_timer(w->l, w->deliver_timer);
	w->renew_timer = w->deliver_timer = 0;
	zk_close(w); /* sends the close: our ephemeral keys go now */
	while (w->watches) {
		struct wwatch *ww = w->watches;

		w->watches = ww->next;
		free(ww);
	}
	while (w->events) {
		struct wevent *ev = w->events;

		w->events = ev->next;
		free(ev);
	}
	w->events_tail = &w->events;
	free(w->hosts);
	free(w->root);
	w->hosts = w->root = NULL;
	if (w->delivering) {
		w->freed = true; /* on_deliver, which called us, frees w */
		return;
	}
	free(w);
}

bool witness_connected(const struct witness *w)
{
	return w && w->connected;
}
