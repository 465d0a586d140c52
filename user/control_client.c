/* The control socket, client side. See control_client.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_client.h"
#include "sbuf.h"

void control_path(const char *pin_root, char *buf, size_t len)
{
	char name[200];
	size_t j = 0;

	for (size_t i = 0; pin_root[i] && j + 1 < sizeof(name); i++)
		name[j++] = pin_root[i] == '/' ? '_' : pin_root[i];
	name[j] = 0;
	snprintf(buf, len, "%s/%s.sock", CONTROL_DIR, name);
}

char *control_request(const char *pin_root, const char *request, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sbuf b = { 0 };
	char path[256], buf[4096], line[256];
	int fd;

	control_path(pin_root, path, sizeof(path));
	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	/* One write: the daemon answers the first read and closes, so a
	 * second write could meet a closed socket and lose the reply. */
	snprintf(line, sizeof(line), "%s\n", request);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		close(fd);
		return NULL;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		sb_printf(&b, "%.*s", (int)n, buf);
	}
	close(fd);
	return b.s;
}
