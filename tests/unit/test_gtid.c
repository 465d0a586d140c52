/*
 * test_gtid.c - MariaDB GTID sets (user/gtid.c): parsing @@gtid_binlog_state,
 * what one node has that another lacks, and the text that names it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gtid.h"

static struct gtid_set parse_ok(const char *text)
{
	struct gtid_set s;
	char err[128];

	if (gtid_parse(text, &s, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", text, err);
	return s;
}

static void assert_entry(const struct gtid_set *s, size_t i, uint32_t domain, uint32_t server,
			 uint64_t seq)
{
	assert_true(i < s->n);
	assert_int_equal(s->e[i].domain, domain);
	assert_int_equal(s->e[i].server, server);
	assert_int_equal(s->e[i].seq, seq);
}

/* missing(a, b) with its text, checked against count and text */
static void assert_missing(const char *a, const char *b, size_t count, const char *text)
{
	struct gtid_set sa = parse_ok(a), sb = parse_ok(b);
	char out[256];

	memset(out, 'X', sizeof(out));
	assert_int_equal(gtid_missing(&sa, &sb, out, sizeof(out)), count);
	assert_string_equal(out, text);
	assert_true(gtid_covers(&sb, &sa) == (count == 0));
}

/* The case this module exists for: the old writer went on alone during a
 * partition (0-1-101..105 never reached the new writer), the new writer
 * took writes as server 2 meanwhile. */
static void test_errant_after_partition(void **state)
{
	struct gtid_set old_writer = parse_ok("0-1-105");
	struct gtid_set new_writer = parse_ok("0-1-100,0-2-120");
	char out[64];

	(void)state;
	assert_int_equal(gtid_missing(&old_writer, &new_writer, out, sizeof(out)), 5);
	assert_string_equal(out, "0-1-101..105");
	assert_false(gtid_covers(&new_writer, &old_writer));
	/* without the errant ones, only the new writer is ahead: not errant */
	old_writer = parse_ok("0-1-100");
	assert_true(gtid_covers(&new_writer, &old_writer));
}

static void test_parse_list(void **state)
{
	struct gtid_set s = parse_ok("0-1-105,0-2-110,3-3-7");

	(void)state;
	assert_int_equal(s.n, 3);
	assert_entry(&s, 0, 0, 1, 105);
	assert_entry(&s, 1, 0, 2, 110);
	assert_entry(&s, 2, 3, 3, 7);
}

/* mysql prints long lists with ",\n"; a query result may end in one */
static void test_parse_whitespace(void **state)
{
	struct gtid_set s = parse_ok(" 0-1-105, 0-2-110,\n3-3-7,\r\n\t7-8-9 \n");

	(void)state;
	assert_int_equal(s.n, 4);
	assert_entry(&s, 0, 0, 1, 105);
	assert_entry(&s, 2, 3, 3, 7);
	assert_entry(&s, 3, 7, 8, 9);
}

static void test_parse_empty(void **state)
{
	static const char *const empty[] = { "", " ", "\n", " \t\r\n" };
	struct gtid_set s;
	char err[64] = "stale";

	(void)state;
	s.n = 5;
	assert_int_equal(gtid_parse(NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	assert_string_equal(err, "");
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		s.n = 5;
		assert_int_equal(gtid_parse(empty[i], &s, err, sizeof(err)), 0);
		assert_int_equal(s.n, 0);
	}
}

/* A pair twice (lists joined by hand): the highest seq_no, where it came first. */
static void test_parse_duplicates_keep_highest(void **state)
{
	struct gtid_set s = parse_ok("0-1-5,3-3-7,0-1-9,0-1-7,3-3-2");

	(void)state;
	assert_int_equal(s.n, 2);
	assert_entry(&s, 0, 0, 1, 9);
	assert_entry(&s, 1, 3, 3, 7);
}

static void test_parse_limits(void **state)
{
	struct gtid_set s = parse_ok("4294967295-4294967295-18446744073709551615,0-0-0,007-01-1");

	(void)state;
	assert_int_equal(s.n, 3);
	assert_entry(&s, 0, UINT32_MAX, UINT32_MAX, UINT64_MAX);
	assert_entry(&s, 1, 0, 0, 0);
	assert_entry(&s, 2, 7, 1, 1);
}

/* Every malformed list is refused with what is wrong and where; the set is
 * left empty. A trailing ',' is refused too: a list cut short at a ','
 * must not pass for the whole one. */
static void test_parse_errors(void **state)
{
	static const char *const bad[][2] = {
		{ "x-1",
		  "bad GTID 'x-1' at offset 0: the domain is not an unsigned decimal number" },
		{ "0-1-5, x-1",
		  "bad GTID 'x-1' at offset 7: the domain is not an unsigned decimal number" },
		{ "0-1",
		  "bad GTID '0-1' at offset 0: missing '-' after the server_id (DOMAIN-SERVER-SEQ)" },
		{ "0",
		  "bad GTID '0' at offset 0: missing '-' after the domain (DOMAIN-SERVER-SEQ)" },
		{ "0-1-",
		  "bad GTID '0-1-' at offset 0: the seq_no is not an unsigned decimal number" },
		{ "0-a-5",
		  "bad GTID '0-a-5' at offset 0: the server_id is not an unsigned decimal number" },
		{ "0-1-0x10", "bad GTID '0-1-0x10' at offset 0: unexpected text after the seq_no" },
		{ "4294967296-1-1",
		  "bad GTID '4294967296-1-1' at offset 0: the domain is above 4294967295" },
		{ "0-4294967296-1",
		  "bad GTID '0-4294967296-1' at offset 0: the server_id is above 4294967295" },
		{ "0-1-18446744073709551616",
		  "bad GTID '0-1-18446744073709551616' at offset 0: "
		  "the seq_no is above 18446744073709551615" },
		{ "-1-1-1",
		  "bad GTID '-1-1-1' at offset 0: the domain is not an unsigned decimal number" },
		{ "0-1--5",
		  "bad GTID '0-1--5' at offset 0: the seq_no is not an unsigned decimal number" },
		{ "+0-1-5",
		  "bad GTID '+0-1-5' at offset 0: the domain is not an unsigned decimal number" },
		{ "0-1-5x", "bad GTID '0-1-5x' at offset 0: unexpected text after the seq_no" },
		{ "0-1-5 6", "bad GTID '0-1-5 6' at offset 0: unexpected text after the seq_no" },
		{ "0 -1-5",
		  "bad GTID '0 -1-5' at offset 0: missing '-' after the domain (DOMAIN-SERVER-SEQ)" },
		{ "0-1-5,", "trailing ',' at offset 5 (a list cut short?)" },
		{ "0-1-5, \n", "trailing ',' at offset 5 (a list cut short?)" },
		{ ",0-1-5", "empty GTID at offset 0 (a leading or doubled ',')" },
		{ "0-1-5,,0-2-6", "empty GTID at offset 6 (a leading or doubled ',')" },
		{ "0-1-5\n1-1-1",
		  "bad GTID '0-1-5?1-1-1' at offset 0: unexpected text after the seq_no" },
		{ "0-1-123456789012345678901234567890123456789012345678901234567890",
		  "bad GTID '0-1-1234567890123456789012345678901234567890...' at offset 0: "
		  "the seq_no is above 18446744073709551615" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gtid_set s;
		char err[160];

		s.n = 5;
		if (gtid_parse(bad[i][0], &s, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i][0]);
		assert_string_equal(err, bad[i][1]);
		assert_int_equal(s.n, 0);
	}
}

static void list_of(char *buf, size_t len, unsigned pairs, unsigned copies)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < copies; c++)
		for (unsigned i = 0; i < pairs; i++)
			used += (size_t)snprintf(buf + used, len - used, "%s%u-%u-%u",
						 used ? "," : "", i % 4, i, c + 1);
}

static void test_parse_too_many(void **state)
{
	char text[4096], err[128];
	struct gtid_set s;

	(void)state;
	list_of(text, sizeof(text), GTID_MAX_ENTRIES, 1);
	s = parse_ok(text);
	assert_int_equal(s.n, GTID_MAX_ENTRIES);
	assert_entry(&s, GTID_MAX_ENTRIES - 1, 3, 63, 1);
	/* the limit is on pairs, not on GTIDs in the text */
	list_of(text, sizeof(text), GTID_MAX_ENTRIES, 2);
	s = parse_ok(text);
	assert_int_equal(s.n, GTID_MAX_ENTRIES);
	assert_entry(&s, 0, 0, 0, 2);

	list_of(text, sizeof(text), GTID_MAX_ENTRIES + 1, 1);
	assert_int_equal(gtid_parse(text, &s, err, sizeof(err)), -1);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err, "more than 64 (domain, server) pairs: GTID '0-64-1' at "));
}

/* err may be absent or short; the answer is the same. */
static void test_parse_err_buffer(void **state)
{
	struct gtid_set s;
	char err[12];

	(void)state;
	assert_int_equal(gtid_parse("x", &s, NULL, 0), -1);
	assert_int_equal(gtid_parse("x", &s, err, 0), -1);
	assert_int_equal(gtid_parse("x", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "bad GTID 'x");
	assert_int_equal(gtid_parse("0-1-2", &s, NULL, 0), 0);
	assert_int_equal(s.n, 1);
}

static void test_missing_none(void **state)
{
	(void)state;
	assert_missing("0-1-105,3-3-7", "0-1-105,3-3-7", 0, "");
	assert_missing("0-1-105,3-3-7", "3-3-9,0-1-200,5-5-5", 0, "");
	assert_missing("", "0-1-1", 0, "");
	assert_missing("", "", 0, "");
	assert_missing("0-1-0", "", 0, "");
}

static void test_missing_pair_behind(void **state)
{
	(void)state;
	assert_missing("0-1-105", "0-1-100", 5, "0-1-101..105");
	assert_missing("0-1-105,0-2-110", "0-1-105,0-2-108", 2, "0-2-109..110");
}

/* b never saw the pair: everything from seq_no 1 */
static void test_missing_pair_absent(void **state)
{
	(void)state;
	assert_missing("0-1-105,3-3-7", "0-1-105", 7, "3-3-1..7");
	assert_missing("3-3-7", "", 7, "3-3-1..7");
	/* same domain, other server; same server, other domain: absent */
	assert_missing("0-1-4", "0-2-9,1-1-9", 4, "0-1-1..4");
}

static void test_missing_single(void **state)
{
	(void)state;
	assert_missing("3-3-7", "3-3-6", 1, "3-3-7");
	assert_missing("3-3-1", "", 1, "3-3-1");
}

static void test_missing_several(void **state)
{
	(void)state;
	assert_missing("0-1-105,0-2-110,3-3-7,4-4-4", "0-1-100,0-2-110,3-3-6", 10,
		       "0-1-101..105,3-3-7,4-4-1..4");
}

static void test_missing_saturates(void **state)
{
	struct gtid_set a = parse_ok("0-1-18446744073709551615,1-1-18446744073709551615");
	struct gtid_set b = parse_ok("");

	(void)state;
	assert_int_equal(gtid_missing(&a, &b, NULL, 0), SIZE_MAX);
	assert_false(gtid_covers(&b, &a));
}

/* Text that does not fit is cut after a whole range, never inside a
 * number ("0-1-10" out of "0-1-101..105" would name other transactions);
 * the count stays whole. */
static void test_missing_truncated(void **state)
{
	static const struct { size_t len; const char *text; } cases[] = {
		{ 28, "0-1-101..105,3-3-7,4-4-1..4" }, /* exactly fits */
		{ 27, "0-1-101..105,3-3-7,..." },
		{ 23, "0-1-101..105,3-3-7,..." },
		{ 22, "0-1-101..105,..." },
		{ 17, "0-1-101..105,..." },
		{ 16, "..." },
		{ 12, "..." },
		{ 4, "..." },
		{ 3, "" },
		{ 1, "" },
	};
	struct gtid_set a = parse_ok("0-1-105,0-2-110,3-3-7,4-4-4");
	struct gtid_set b = parse_ok("0-1-100,0-2-110,3-3-6");
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(gtid_missing(&a, &b, out, cases[i].len), 10);
		if (strcmp(out, cases[i].text))
			fail_msg("len %zu: '%s', not '%s'", cases[i].len, out, cases[i].text);
		assert_int_equal(out[cases[i].len], 'X'); /* nothing written beyond len */
	}
	/* len 0: out is not touched (may be NULL) */
	memset(out, 'X', sizeof(out));
	assert_int_equal(gtid_missing(&a, &b, out, 0), 10);
	assert_int_equal(out[0], 'X');
	assert_int_equal(gtid_missing(&a, &b, NULL, 0), 10);
}

static void test_covers_both_ways(void **state)
{
	struct gtid_set behind = parse_ok("0-1-100,3-3-7");
	struct gtid_set ahead = parse_ok("0-1-105,3-3-7,4-4-1");
	struct gtid_set diverged = parse_ok("0-1-101");
	struct gtid_set none = parse_ok("");

	(void)state;
	assert_true(gtid_covers(&ahead, &behind));
	assert_false(gtid_covers(&behind, &ahead));
	assert_true(gtid_covers(&ahead, &ahead));
	assert_true(gtid_covers(&behind, &none));
	assert_false(gtid_covers(&none, &behind));
	/* neither covers the other: each has what the other lacks */
	assert_false(gtid_covers(&diverged, &behind));
	assert_true(gtid_covers(&ahead, &diverged));
	diverged = parse_ok("0-1-101,5-5-1");
	assert_false(gtid_covers(&ahead, &diverged));
	assert_false(gtid_covers(&diverged, &ahead));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errant_after_partition),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_whitespace),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_duplicates_keep_highest),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_too_many),
		cmocka_unit_test(test_parse_err_buffer),
		cmocka_unit_test(test_missing_none),
		cmocka_unit_test(test_missing_pair_behind),
		cmocka_unit_test(test_missing_pair_absent),
		cmocka_unit_test(test_missing_single),
		cmocka_unit_test(test_missing_several),
		cmocka_unit_test(test_missing_saturates),
		cmocka_unit_test(test_missing_truncated),
		cmocka_unit_test(test_covers_both_ways),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
