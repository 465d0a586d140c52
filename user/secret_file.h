/*
 * secret_file.h - reading a file that holds a secret (MYSQL_CHECK's
 * password_file, a vrrp_instance's auth_key_file), by one rule: like ssh's
 * keys, xvipd's own regular file, kept from everyone else (a root group
 * may read it).
 */
#ifndef XVIP_SECRET_FILE_H
#define XVIP_SECRET_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Read at most cap bytes of path into buf. Returns the count, or -1 with
 * *why saying why ("<what> <path> is accessible by others ...": what
 * names the keyword). */
ssize_t secret_file_read(const char *what, const char *path, void *buf, size_t cap, char *why,
			 size_t whylen);

#endif /* XVIP_SECRET_FILE_H */
