#include "slots.h"

int slots_fo_pick(const struct slot_backend *b, int n)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if (b[i].healthy && b[i].weight > 0 && (best < 0 || b[i].weight > b[best].weight))
			best = i;
	return best;
}

int slots_build(const struct slot_backend *b, int n, int sched, uint32_t out[XVIP_SLOTS])
{
	int64_t current[XVIP_MAX_BACKENDS] = { 0 };
	int64_t total = 0;
	int used[XVIP_MAX_BACKENDS] = { 0 };
	int distinct = 0;

	if (n > XVIP_MAX_BACKENDS)
		n = XVIP_MAX_BACKENDS;
	if (sched == XVIP_SCHED_FO) {
		int best = slots_fo_pick(b, n);

		for (int s = 0; s < XVIP_SLOTS; s++)
			out[s] = best < 0 ? XVIP_NO_BACKEND : (uint32_t)best;
		return best < 0 ? 0 : 1;
	}
	for (int i = 0; i < n; i++)
		if (b[i].healthy && b[i].weight > 0)
			total += sched == XVIP_SCHED_RR ? 1 : b[i].weight;
	/* Smooth weighted round robin over the slots: each step every backend
	 * gains its weight, the richest is chosen and pays the total. */
	for (int s = 0; s < XVIP_SLOTS; s++) {
		int pick = -1;

		for (int i = 0; i < n; i++) {
			if (!b[i].healthy || b[i].weight == 0)
				continue;
			current[i] += sched == XVIP_SCHED_RR ? 1 : b[i].weight;
			if (pick < 0 || current[i] > current[pick])
				pick = i;
		}
		if (pick < 0) {
			out[s] = XVIP_NO_BACKEND;
			continue;
		}
		current[pick] -= total;
		out[s] = (uint32_t)pick;
		if (!used[pick]++)
			distinct++;
	}
	return distinct;
}
