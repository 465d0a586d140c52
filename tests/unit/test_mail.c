/*
 * test_mail.c - the mails xvipd sends (smtp_alert): the message itself
 * (pure), byte for byte. The sending is tested with a real SMTP server in
 * tests/e2e/test_mail.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mail.h"

#define WALL_MS 1764692400123ll /* Tue, 02 Dec 2025 16:20:00 UTC */

static void test_format_headers_and_body(void **state)
{
	char *to[] = { "ops@example.com", "dba@example.com" };
	size_t len;
	char *m = mail_format("xvipd@node1", to, 2, "[node1] VRRP Instance VI_1 - Entering MASTER state",
			      "=> VRRP Instance is now owning VRRP VIPs <=\n\nwhy: timer\n", WALL_MS,
			      "1.2.3.xvipd@node1", &len);

	(void)state;
	assert_non_null(m);
	assert_string_equal(m,
			    "From: xvipd@node1\r\n"
			    "To: ops@example.com, dba@example.com\r\n"
			    "Subject: [node1] VRRP Instance VI_1 - Entering MASTER state\r\n"
			    "Date: Tue, 02 Dec 2025 16:20:00 +0000\r\n"
			    "Message-ID: <1.2.3.xvipd@node1>\r\n"
			    "MIME-Version: 1.0\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "Content-Transfer-Encoding: 8bit\r\n"
			    "X-Mailer: xvipd\r\n"
			    "\r\n"
			    "=> VRRP Instance is now owning VRRP VIPs <=\r\n"
			    "\r\n"
			    "why: timer\r\n");
	assert_int_equal(len, strlen(m));
	free(m);
}

/* Nothing a name or a reason carries can add a header or break a line:
 * CR, LF and other control characters become '?' in headers; the body's
 * lines end in CRLF whether they came as LF or CRLF; a missing last line
 * end is added. */
static void test_format_no_header_injection(void **state)
{
	char *to[] = { "ops@example.com\r\nBcc: evil@example.com" };
	size_t len;
	char *m = mail_format("a@b", to, 1, "VI_1\r\nBcc: evil@example.com\x1b[1m", "one\r\ntwo\nthree\x01",
			      WALL_MS, "id", &len);

	(void)state;
	assert_non_null(m);
	assert_non_null(strstr(m, "\r\nTo: ops@example.com??Bcc: evil@example.com\r\n"));
	assert_non_null(strstr(m, "\r\nSubject: VI_1??Bcc: evil@example.com?[1m\r\n"));
	assert_null(strstr(m, "\nBcc:"));
	assert_non_null(strstr(m, "\r\n\r\none\r\ntwo\r\nthree?\r\n"));
	assert_int_equal(m[len - 1], '\n');
	assert_int_equal(m[len - 2], '\r');
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_headers_and_body),
		cmocka_unit_test(test_format_no_header_injection),
	};

	return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
