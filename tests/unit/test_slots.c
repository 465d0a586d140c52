/*
 * test_slots.c - the weighted slot table of DR services (user/slots.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "slots.h"

static uint32_t table[XVIP_SLOTS];

static void count_slots(const uint32_t *t, uint32_t *counts, int n, uint32_t *none)
{
	memset(counts, 0, sizeof(*counts) * (size_t)n);
	*none = 0;
	for (int s = 0; s < XVIP_SLOTS; s++) {
		if (t[s] == XVIP_NO_BACKEND)
			(*none)++;
		else if (t[s] < (uint32_t)n)
			counts[t[s]]++;
		else
			fail_msg("slot %d holds backend %u of %d", s, t[s], n);
	}
}

/* Longest run of consecutive slots going to backend i. */
static int longest_run(const uint32_t *t, uint32_t i)
{
	int best = 0, cur = 0;

	for (int s = 0; s < XVIP_SLOTS; s++) {
		cur = t[s] == i ? cur + 1 : 0;
		if (cur > best)
			best = cur;
	}
	return best;
}

/* Every usable backend gets within one slot of its share of XVIP_SLOTS,
 * and no run is longer than ceil(w / (total - w)): exact for two backends;
 * with more, smooth WRR may put two picks of one backend back to back where
 * a perfect spread would not (10:20:30 gives C B A C B C, C B A...), so one
 * more is allowed there. */
static void check_proportional(const struct slot_backend *b, int n, int sched)
{
	uint32_t counts[XVIP_MAX_BACKENDS], none;
	uint64_t total = 0;
	int usable = 0;

	for (int i = 0; i < n; i++)
		if (b[i].healthy && b[i].weight) {
			total += sched == XVIP_SCHED_RR ? 1 : b[i].weight;
			usable++;
		}
	assert_int_equal(slots_build(b, n, sched, table), usable);
	count_slots(table, counts, n, &none);
	assert_int_equal(none, 0);
	for (int i = 0; i < n; i++) {
		uint64_t w = b[i].healthy && b[i].weight ? (sched == XVIP_SCHED_RR ? 1 : b[i].weight)
							 : 0;
		/* |counts * total - 256 * w| <= total, i.e. within one slot */
		int64_t diff = (int64_t)counts[i] * (int64_t)total - (int64_t)XVIP_SLOTS * (int64_t)w;

		if (diff < -(int64_t)total || diff > (int64_t)total)
			fail_msg("backend %d (weight %llu of %llu) got %u slots", i,
				 (unsigned long long)w, (unsigned long long)total, counts[i]);
		if (w && w < total) {
			uint64_t rest = total - w;
			int max_run = (int)((w + rest - 1) / rest) + (usable > 2);

			if (longest_run(table, (uint32_t)i) > max_run)
				fail_msg("backend %d: run of %d slots, at most %d expected", i,
					 longest_run(table, (uint32_t)i), max_run);
		}
	}
}

static void test_wrr_3_2_counts(void **state)
{
	const struct slot_backend b[2] = { { 3, 1 }, { 2, 1 } };
	uint32_t counts[2], none;

	(void)state;
	assert_int_equal(slots_build(b, 2, XVIP_SCHED_WRR, table), 2);
	count_slots(table, counts, 2, &none);
	assert_int_equal(none, 0);
	/* 256 * 3 / 5 = 153.6 */
	assert_true(counts[0] == 153 || counts[0] == 154);
	assert_int_equal(counts[0] + counts[1], XVIP_SLOTS);
}

static void test_wrr_3_2_interleaved(void **state)
{
	const struct slot_backend b[2] = { { 3, 1 }, { 2, 1 } };

	(void)state;
	slots_build(b, 2, XVIP_SCHED_WRR, table);
	assert_true(longest_run(table, 0) <= 2); /* ceil(3/2) */
	assert_int_equal(longest_run(table, 1), 1);
	/* the first five slots already follow the ratio */
	uint32_t c0 = 0;
	for (int s = 0; s < 5; s++)
		c0 += table[s] == 0;
	assert_int_equal(c0, 3);
}

static void test_wrr_proportional_many_weights(void **state)
{
	const struct slot_backend sets[][4] = {
		{ { 1, 1 }, { 1, 1 }, { 0, 0 }, { 0, 0 } },
		{ { 5, 1 }, { 1, 1 }, { 0, 0 }, { 0, 0 } },
		{ { 10, 1 }, { 20, 1 }, { 30, 1 }, { 0, 0 } },
		{ { 100, 1 }, { 1, 1 }, { 0, 0 }, { 0, 0 } },
		{ { 7, 1 }, { 3, 1 }, { 2, 1 }, { 1, 1 } },
		{ { 255, 1 }, { 254, 1 }, { 1, 1 }, { 3, 1 } },
	};
	const int ns[] = { 2, 2, 3, 2, 4, 4 };

	(void)state;
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
		check_proportional(sets[k], ns[k], XVIP_SCHED_WRR);
}

static void test_wrr_sixteen_backends(void **state)
{
	struct slot_backend b[XVIP_MAX_BACKENDS];

	(void)state;
	for (int i = 0; i < XVIP_MAX_BACKENDS; i++) {
		b[i].weight = (uint32_t)(i + 1);
		b[i].healthy = 1;
	}
	check_proportional(b, XVIP_MAX_BACKENDS, XVIP_SCHED_WRR);
}

static void test_wrr_huge_weights_no_overflow(void **state)
{
	const struct slot_backend b[3] = { { 0xffffffffu, 1 }, { 0xffffffffu, 1 },
					   { 0x80000000u, 1 } };

	(void)state;
	check_proportional(b, 3, XVIP_SCHED_WRR);
}

static void test_wrr_unhealthy_gets_nothing(void **state)
{
	const struct slot_backend b[3] = { { 3, 1 }, { 10, 0 }, { 2, 1 } };
	uint32_t counts[3], none;

	(void)state;
	assert_int_equal(slots_build(b, 3, XVIP_SCHED_WRR, table), 2);
	count_slots(table, counts, 3, &none);
	assert_int_equal(counts[1], 0);
	assert_int_equal(none, 0);
	check_proportional(b, 3, XVIP_SCHED_WRR);
}

static void test_wrr_weight_zero_gets_nothing(void **state)
{
	const struct slot_backend b[3] = { { 3, 1 }, { 0, 1 }, { 2, 1 } };
	uint32_t counts[3], none;

	(void)state;
	assert_int_equal(slots_build(b, 3, XVIP_SCHED_WRR, table), 2);
	count_slots(table, counts, 3, &none);
	assert_int_equal(counts[1], 0);
	assert_true(counts[0] == 153 || counts[0] == 154);
}

static void test_rr_weight_zero_gets_nothing(void **state)
{
	const struct slot_backend b[3] = { { 3, 1 }, { 0, 1 }, { 2, 1 } };
	uint32_t counts[3], none;

	(void)state;
	assert_int_equal(slots_build(b, 3, XVIP_SCHED_RR, table), 2);
	count_slots(table, counts, 3, &none);
	assert_int_equal(counts[0], 128);
	assert_int_equal(counts[1], 0);
	assert_int_equal(counts[2], 128);
}

static void test_rr_equal_split_ignores_weights(void **state)
{
	const struct slot_backend b[2] = { { 5, 1 }, { 1, 1 } };
	uint32_t counts[2], none;

	(void)state;
	assert_int_equal(slots_build(b, 2, XVIP_SCHED_RR, table), 2);
	count_slots(table, counts, 2, &none);
	assert_int_equal(counts[0], 128);
	assert_int_equal(counts[1], 128);
	/* strictly alternating */
	for (int s = 0; s < XVIP_SLOTS; s++)
		assert_int_equal(table[s], (uint32_t)(s % 2));
}

static void test_rr_three_backends(void **state)
{
	const struct slot_backend b[3] = { { 1, 1 }, { 9, 1 }, { 4, 1 } };
	uint32_t counts[3], none;

	(void)state;
	assert_int_equal(slots_build(b, 3, XVIP_SCHED_RR, table), 3);
	count_slots(table, counts, 3, &none);
	for (int i = 0; i < 3; i++)
		assert_true(counts[i] == 85 || counts[i] == 86);
	for (int i = 0; i < 3; i++)
		assert_int_equal(longest_run(table, (uint32_t)i), 1);
	check_proportional(b, 3, XVIP_SCHED_RR);
}

static void expect_all(uint32_t backend)
{
	for (int s = 0; s < XVIP_SLOTS; s++)
		if (table[s] != backend)
			fail_msg("slot %d holds %u, expected %u", s, table[s], backend);
}

static void test_fo_highest_weight_healthy(void **state)
{
	const struct slot_backend b[3] = { { 2, 1 }, { 5, 1 }, { 3, 1 } };

	(void)state;
	assert_int_equal(slots_fo_pick(b, 3), 1);
	assert_int_equal(slots_build(b, 3, XVIP_SCHED_FO, table), 1);
	expect_all(1);
}

static void test_fo_skips_unhealthy_highest(void **state)
{
	const struct slot_backend b[3] = { { 2, 1 }, { 5, 0 }, { 3, 1 } };

	(void)state;
	assert_int_equal(slots_fo_pick(b, 3), 2);
	assert_int_equal(slots_build(b, 3, XVIP_SCHED_FO, table), 1);
	expect_all(2);
}

static void test_fo_tie_lowest_index(void **state)
{
	const struct slot_backend b[4] = { { 1, 1 }, { 4, 1 }, { 4, 1 }, { 4, 1 } };

	(void)state;
	assert_int_equal(slots_fo_pick(b, 4), 1);
	assert_int_equal(slots_build(b, 4, XVIP_SCHED_FO, table), 1);
	expect_all(1);
}

static void test_fo_weight_zero_never_picked(void **state)
{
	const struct slot_backend only_zero[2] = { { 0, 1 }, { 0, 1 } };
	const struct slot_backend mixed[2] = { { 0, 1 }, { 1, 1 } };

	(void)state;
	assert_int_equal(slots_fo_pick(only_zero, 2), -1);
	assert_int_equal(slots_build(only_zero, 2, XVIP_SCHED_FO, table), 0);
	expect_all(XVIP_NO_BACKEND);
	assert_int_equal(slots_fo_pick(mixed, 2), 1);
	slots_build(mixed, 2, XVIP_SCHED_FO, table);
	expect_all(1);
}

static void test_all_unhealthy_no_backend_every_sched(void **state)
{
	const struct slot_backend b[3] = { { 3, 0 }, { 2, 0 }, { 1, 0 } };
	const int scheds[] = { XVIP_SCHED_WRR, XVIP_SCHED_RR, XVIP_SCHED_FO };

	(void)state;
	assert_int_equal(slots_fo_pick(b, 3), -1);
	for (size_t k = 0; k < 3; k++) {
		memset(table, 0, sizeof(table));
		assert_int_equal(slots_build(b, 3, scheds[k], table), 0);
		expect_all(XVIP_NO_BACKEND);
	}
}

static void test_no_backends_no_backend_every_sched(void **state)
{
	const int scheds[] = { XVIP_SCHED_WRR, XVIP_SCHED_RR, XVIP_SCHED_FO };

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		memset(table, 0, sizeof(table));
		assert_int_equal(slots_build(NULL, 0, scheds[k], table), 0);
		expect_all(XVIP_NO_BACKEND);
	}
}

static void test_single_backend_gets_all(void **state)
{
	const struct slot_backend one[1] = { { 7, 1 } };
	const struct slot_backend third[3] = { { 7, 0 }, { 0, 1 }, { 1, 1 } };
	const int scheds[] = { XVIP_SCHED_WRR, XVIP_SCHED_RR, XVIP_SCHED_FO };

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(slots_build(one, 1, scheds[k], table), 1);
		expect_all(0);
		/* the only usable one among unusable ones */
		assert_int_equal(slots_build(third, 3, scheds[k], table), 1);
		expect_all(2);
	}
}

static void test_more_than_max_backends_clamped(void **state)
{
	struct slot_backend b[XVIP_MAX_BACKENDS + 4];

	(void)state;
	for (int i = 0; i < XVIP_MAX_BACKENDS + 4; i++) {
		b[i].weight = i >= XVIP_MAX_BACKENDS ? 1000 : 1;
		b[i].healthy = 1;
	}
	assert_int_equal(slots_build(b, XVIP_MAX_BACKENDS + 4, XVIP_SCHED_WRR, table),
			 XVIP_MAX_BACKENDS);
	for (int s = 0; s < XVIP_SLOTS; s++)
		assert_true(table[s] < XVIP_MAX_BACKENDS);
	assert_int_equal(slots_build(b, XVIP_MAX_BACKENDS + 4, XVIP_SCHED_FO, table), 1);
	expect_all(0);
}

static void test_deterministic(void **state)
{
	const struct slot_backend b[3] = { { 5, 1 }, { 3, 1 }, { 2, 1 } };
	uint32_t again[XVIP_SLOTS];

	(void)state;
	slots_build(b, 3, XVIP_SCHED_WRR, table);
	slots_build(b, 3, XVIP_SCHED_WRR, again);
	assert_memory_equal(table, again, sizeof(table));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrr_3_2_counts),
		cmocka_unit_test(test_wrr_3_2_interleaved),
		cmocka_unit_test(test_wrr_proportional_many_weights),
		cmocka_unit_test(test_wrr_sixteen_backends),
		cmocka_unit_test(test_wrr_huge_weights_no_overflow),
		cmocka_unit_test(test_wrr_unhealthy_gets_nothing),
		cmocka_unit_test(test_wrr_weight_zero_gets_nothing),
		cmocka_unit_test(test_rr_weight_zero_gets_nothing),
		cmocka_unit_test(test_rr_equal_split_ignores_weights),
		cmocka_unit_test(test_rr_three_backends),
		cmocka_unit_test(test_fo_highest_weight_healthy),
		cmocka_unit_test(test_fo_skips_unhealthy_highest),
		cmocka_unit_test(test_fo_tie_lowest_index),
		cmocka_unit_test(test_fo_weight_zero_never_picked),
		cmocka_unit_test(test_all_unhealthy_no_backend_every_sched),
		cmocka_unit_test(test_no_backends_no_backend_every_sched),
		cmocka_unit_test(test_single_backend_gets_all),
		cmocka_unit_test(test_more_than_max_backends_clamped),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
