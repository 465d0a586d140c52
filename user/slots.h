/* The weighted slot table of a DR service: which backend each of the
 * XVIP_SLOTS hash slots sends a new flow to. Pure: no maps, no I/O. */
#ifndef XVIP_SLOTS_H
#define XVIP_SLOTS_H

#include <stdint.h>
#include "xvip.h"

struct slot_backend {
	uint32_t weight;
	int healthy;
};

/* Fill out[XVIP_SLOTS] with backend indexes (or XVIP_NO_BACKEND when no
 * backend is usable) for scheduler sched (enum xvip_sched):
 *  - wrr: slots in proportion to the weights of healthy backends, spread
 *    out (smooth weighted round robin), so consecutive slots alternate;
 *  - rr: the same with every healthy backend weighted 1;
 *  - fo: every slot to the healthy backend of highest weight (lowest index
 *    on a tie), so one node takes all the traffic, e.g. a MySQL writer.
 * A backend with weight 0 takes no new flows (keepalived's quiesce).
 * Returns the number of distinct backends used. */
int slots_build(const struct slot_backend *b, int n, int sched, uint32_t out[XVIP_SLOTS]);

/* The backend fo would choose, or -1. */
int slots_fo_pick(const struct slot_backend *b, int n);

#endif
