/* The control socket, server side (control.c): one request line in, one
 * reply out. Its path comes from the pin root (control_client.h). */
#ifndef XVIP_CONTROL_H
#define XVIP_CONTROL_H

#include <stddef.h>

struct xvipd;

int control_open(struct xvipd *d, char *err, size_t errlen);
void control_close(struct xvipd *d);
/* Write the daemon's status as JSON or text into a malloc'd string. */
char *status_json(struct xvipd *d);
char *status_text(struct xvipd *d);
/* Prometheus text format (control request "metrics"). */
char *status_metrics(struct xvipd *d);

#endif
