/* The control socket, client side: what xvipctl needs to ask a running
 * xvipd, and nothing of the daemon. */
#ifndef XVIP_CONTROL_CLIENT_H
#define XVIP_CONTROL_CLIENT_H

#include <stddef.h>

#define CONTROL_DIR "/run/xvip"

/* The socket of the daemon that owns pin_root: /run/xvip/<pin root with
 * '/' as '_'>.sock */
void control_path(const char *pin_root, char *buf, size_t len);
/* Ask a running daemon; returns the reply (malloc'd) or NULL. */
char *control_request(const char *pin_root, const char *request, int timeout_ms);

#endif
