/* metrics_listen ADDR:PORT: Prometheus' GET /metrics served from xvipd's
 * loop (metrics_http.c). */
#ifndef XVIP_METRICS_HTTP_H
#define XVIP_METRICS_HTTP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* The default port: outside Prometheus' exporter range 9100-9999 (all
 * allocated), clear of keepalived exporters' 9165 and 9650. */
#define XVIP_METRICS_PORT 10112

struct xvipd;
struct metrics_http;

/* Listens on addr:port and serves from d's loop; NULL and err on failure. */
struct metrics_http *metrics_http_open(struct xvipd *d, struct in_addr addr, uint16_t port,
				       char *err, size_t errlen);
void metrics_http_close(struct metrics_http *h);

#endif
