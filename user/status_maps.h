/* The data plane's maps walked row by row (VIPs, VRRP per VRID, services
 * with their backends, verdict counters), for printers: xvipctl's text and
 * JSON, and the Prometheus families (metrics_maps) that xvipctl metrics and
 * xvipd's metrics_listen endpoint both serve. */
#ifndef XVIP_STATUS_MAPS_H
#define XVIP_STATUS_MAPS_H

#include <stdbool.h>

#include "dataplane.h"
#include "sbuf.h"
#include "xvip.h"

struct vip_row {
	__u32 addr;
	struct vip_entry v;
	struct vip_counters c;
	long long left_ms;
};

struct svc_row {
	struct svc_key k;
	struct svc_entry e;
	struct svc_counters c;
	struct backend b[XVIP_MAX_BACKENDS];
	bool have[XVIP_MAX_BACKENDS];
};

struct status_printer {
	void (*vip)(const struct vip_row *r, bool first);
	void (*vrrp)(int vrid, const struct vrrp_stats *s, __u64 ago_ms, bool first);
	void (*svc)(const struct svc_row *r, bool first);
	/* between the sections, and at the end with the verdict counters */
	void (*section)(int which);
	void (*reason)(const char *name, unsigned long long n, bool first);
};

enum { SEC_BEGIN, SEC_VRRP, SEC_SERVICES, SEC_REASONS, SEC_END };

void status_walk(struct xvip_maps *m, const struct status_printer *p);
const char *proto_name(__u8 proto);

/* The maps' families (xvip_vip_*, xvip_vrrp_*, xvip_service_*,
 * xvip_backend_healthy, xvip_verdicts_total), appended to b. */
void metrics_maps(struct sbuf *b, struct xvip_maps *maps);

#endif
