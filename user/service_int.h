/* What the services' files share (service.c: life cycle, checks, reload;
 * service_dp.c: the DR maps; service_status.c: status and preflight): the
 * virtual and real servers at run time. The rest of the daemon sees only
 * service.h. */
#ifndef XVIP_SERVICE_INT_H
#define XVIP_SERVICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dataplane.h"
#include "writer.h"
#include "witness.h"

#define SVC_MAX_CHECKS 4

struct check;
struct vrrp_rt;
struct xvipd;
struct vs_rt;

struct rs_rt {
	struct vs_rt *vs;
	const struct config_real_server *cfg;
	char name[32];        /* "addr:port" */
	struct check *checks[SVC_MAX_CHECKS];
	size_t n_checks;
	struct check *mysql;  /* the MYSQL_CHECK, if any */
	unsigned weight;      /* the configured weight, or the lowest a
			       * misc_dynamic MISC_CHECK reports (0: drained,
			       * no new connections) */
	bool up;
	bool decided;         /* every check has decided at least once */
	bool local;           /* its address is on this host */
	uint8_t mac[6];
	bool mac_known;
	char why[256];        /* why it went DOWN */
	uint64_t ups, downs, down_at_us, up_at_us;
};

struct vs_rt {
	struct xvipd *d;
	const struct config_virtual_server *cfg;
	struct vrrp_rt *inst;  /* the instance that holds its VIP, NULL none */
	struct svc_key key;
	char name[32];         /* "VIP:port" */
	struct rs_rt *rs;
	size_t n_rs;
	bool is_fo;
	bool preflight_logged;
	/* who owns the VIP, and (fo) the single writer; without fo only the
	 * fencing of writable nodes applies */
	struct writer w;
	struct witness_key wkey;  /* its key in the witness, as last read */
};

/* Owned by struct xvipd (d->svc). */
struct services {
	struct vs_rt *vs;
	size_t n_vs;
};

static inline bool vs_owner(const struct vs_rt *vs)
{
	return vs->w.fsm.owner;
}

/* service_witness.c (and svc_witness_state, service.h) */
int svc_witness_op(void *arg, const struct wf_action *a,
		   void (*done)(void *op, int rc, const char *err), void *op);
void svc_witness_watch(struct vs_rt *vs);
void svc_witness_carry(struct vs_rt *vs, const struct vs_rt *old);

/* service_dp.c */
/* The DR maps from the real servers (fo: the writer only), when this node
 * owns the VIP. */
void svc_program(struct vs_rt *vs);

/* service_status.c: the preflight in the log, once every MySQL node of the
 * service has been read */
void svc_log_preflight(struct vs_rt *vs);

#endif
