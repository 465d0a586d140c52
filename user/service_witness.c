/*
 * service_witness.c - the fo services' keys in the witness (witness.h):
 * the key of each service is watched under its name ("VIP:port"), what it
 * says goes to the writer's state machine (writer_fsm_witness.c decides),
 * and its WITNESS operations run here. One session per xvipd (d->witness),
 * shared by the services; a reload keeps it (and the watches, which look
 * the service up by name when they fire).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "service.h"
#include "service_int.h"
#include "witness.h"
#include "xvipd.h"

static struct vs_rt *vs_named(struct xvipd *d, const char *name)
{
	for (size_t i = 0; d->svc && i < d->svc->n_vs; i++)
		if (d->svc->vs[i].is_fo && !strcmp(d->svc->vs[i].name, name))
			return &d->svc->vs[i];
	return NULL;
}

static void vs_feed(struct xvipd *d, struct vs_rt *vs)
{
	const struct witness_key *k = &vs->wkey;
	struct wf_witness w = {
		.connected = d->witness && witness_connected(d->witness),
		.known = k->known,
		.exists = k->exists,
		.mine = k->mine,
		.version = k->version,
	};

	w.known = w.known && w.connected;
	writer_fsm_witness_parse(&vs->w.fsm, k->exists ? k->data : "", &w.writer, &w.async);
	if (!k->exists && k->vanished) {
		int last;
		bool last_async;

		writer_fsm_witness_parse(&vs->w.fsm, k->vanished_data, &last, &last_async);
		w.vanished_sync = last >= 0 && !last_async;
	}
	writer_witness(&vs->w, &w);
}

static void on_key(void *arg, const char *name, const struct witness_key *k)
{
	struct xvipd *d = arg;
	struct vs_rt *vs = vs_named(d, name);

	if (!vs)
		return;
	vs->wkey = *k;
	vs_feed(d, vs);
}

void svc_witness_state(void *arg, bool connected)
{
	struct xvipd *d = arg;

	xlog(connected ? LOG_NOTICE : LOG_WARNING, "witness %s: %s", d->cfg->global.witness_zookeeper,
	     connected ? "session established" : "no session (a promotion over a node that cannot "
						"be reached waits for it)");
	for (size_t i = 0; d->svc && i < d->svc->n_vs; i++) {
		struct vs_rt *vs = &d->svc->vs[i];

		if (!vs->is_fo)
			continue;
		if (!connected)
			vs->wkey.known = false;
		vs_feed(d, vs);
	}
}

int svc_witness_op(void *arg, const struct wf_action *a, void (*done)(void *op, int rc, const char *err),
		   void *op)
{
	struct vs_rt *vs = arg;
	struct xvipd *d = vs->d;
	char data[128];

	if (!d->witness)
		return -ENOTCONN;
	writer_fsm_witness_data(&vs->w.fsm, a->node, a->on, data, sizeof(data));
	if (a->claim)
		return witness_claim(d->witness, vs->name, a->version, data, done, op);
	return witness_set(d->witness, vs->name, a->version, data, done, op);
}

/* The service's key watched (once per name for the life of the session;
 * a service a reload keeps, or adds, is fed what is known). */
void svc_witness_watch(struct vs_rt *vs)
{
	struct xvipd *d = vs->d;
	int rc;

	if (!d->witness || !vs->is_fo)
		return;
	rc = witness_watch(d->witness, vs->name, on_key, d);
	if (rc < 0 && rc != -EEXIST)
		xlog(LOG_ERR, "[%s] cannot watch its key in the witness: %s", vs->name, strerror(-rc));
}

void svc_witness_carry(struct vs_rt *vs, const struct vs_rt *old)
{
	if (old)
		vs->wkey = old->wkey;
}
