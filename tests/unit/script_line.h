/* For tests: a script line split by the config's rules (blanks; '...' and
 * "..." group; no escapes: config_args.c is tested in test_config.c) into
 * a struct script_cmd run as root, a bare name found in /usr/bin:/bin.
 * Include after cmocka.h; free with script_cmd_free(). */
#ifndef XVIP_TEST_SCRIPT_LINE_H
#define XVIP_TEST_SCRIPT_LINE_H

#include <stdlib.h>
#include <string.h>

#include "script_sec.h"
#include "scripts.h"

static inline struct script_cmd *script_line(const char *line)
{
	char *argv[32], word[512], path[256];
	size_t n = 0, len = 0;
	char quote = 0;
	bool in = false;
	struct script_cmd *c;

	for (const char *p = line;; p++) {
		if (!quote && (*p == ' ' || *p == '\t' || !*p)) {
			if (in) {
				word[len] = 0;
				assert_true(n < 31);
				argv[n++] = strdup(word);
			}
			len = 0;
			in = false;
			if (!*p)
				break;
			continue;
		}
		assert_true(*p != 0); /* balanced quotes in tests */
		in = true;
		if (!quote && (*p == '\'' || *p == '"'))
			quote = *p;
		else if (quote && *p == quote)
			quote = 0;
		else
			word[len++] = *p;
	}
	assert_true(n > 0);
	if (!strchr(argv[0], '/'))
		assert_int_equal(script_path_search(argv[0], "/usr/bin:/bin", path, sizeof(path)), 0);
	c = script_cmd_new(argv, n, strchr(argv[0], '/') ? argv[0] : path, line, false, 0, 0, NULL, 0,
			   NULL);
	assert_non_null(c);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	return c;
}

#endif
