/*
 * secret_file.c - see secret_file.h.
 */
#include "secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t secret_file_read(const char *what, const char *path, void *buf, size_t cap, char *why,
			 size_t whylen)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s %s: not a regular file", what, path);
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s %s belongs to uid %u, not to xvipd's (uid %u): "
			 "refusing it, chown it", what, path, (unsigned)st.st_uid,
			 (unsigned)geteuid());
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXO | S_IWGRP | S_IXGRP)) ||
	    ((st.st_mode & S_IRGRP) && st.st_gid != 0)) {
		snprintf(why, whylen,
			 "%s %s is accessible by %s (mode %04o, group %u): refusing it, "
			 "chmod 0600 it", what, path, st.st_mode & S_IRWXO ? "others" : "its group",
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
		close(fd);
		return -1;
	}
	n = read(fd, buf, cap);
	if (n < 0)
		snprintf(why, whylen, "cannot read %s %s: %s", what, path, strerror(errno));
	close(fd);
	return n;
}
