/* libFuzzer: the configuration parser, and its dump -> reload round trip.
 * Input: a configuration file. Invariants: no crash, no leak (ASan), no
 * undefined behaviour (UBSan); a configuration that loads dumps to a text
 * that loads again without an error, and whose own dump is the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* A real file (config_load resolves paths and reads regular files only):
 * one per process and load depth, rewritten for each input. */
static int to_file(const void *data, size_t len, char *path, size_t plen)
{
	static unsigned depth;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	FILE *f;

	snprintf(path, plen, "%s/xvip-fuzz-%d-%u.conf", dir, (int)getpid(), depth++ % 3);
	f = fopen(path, "w");
	if (!f || (len && fwrite(data, 1, len, f) != len))
		abort();
	fclose(f);
	return 0;
}

static char *dump(const struct xvip_config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		abort();
	config_dump(cfg, f);
	fclose(f);
	return text;
}

static struct xvip_config *load(const void *data, size_t len, size_t *errors)
{
	struct config_diag d = CONFIG_DIAG_INIT;
	struct xvip_config *cfg;
	char path[128];

	to_file(data, len, path, sizeof(path));
	cfg = config_load(path, &d);
	*errors = d.errors;
	config_diag_free(&d);
	unlink(path);
	return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xvip_config *a, *b, *c;
	size_t errors, l1, l2, l3;
	char *d1, *d2, *d3;

	if (size > 256 * 1024)
		return 0;
	a = load(data, size, &errors);
	if (!a)
		return 0;
	d1 = dump(a, &l1);
	b = load(d1, l1, &errors);
	if (!b || errors) {
		fprintf(stderr, "the dump of a valid configuration does not load (%zu errors):\n%s\n",
			errors, d1);
		abort();
	}
	d2 = dump(b, &l2);
	c = load(d2, l2, &errors);
	if (!c)
		abort();
	d3 = dump(c, &l3);
	if (l2 != l3 || memcmp(d2, d3, l2)) {
		fprintf(stderr, "the dump is not stable:\n--- dump 2\n%s\n--- dump 3\n%s\n", d2, d3);
		abort();
	}
	free(d1);
	free(d2);
	free(d3);
	config_free(a);
	config_free(b);
	config_free(c);
	return 0;
}
