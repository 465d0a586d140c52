/* The daemon's mails (smtp_alert; the sending is mail.c): what each says.
 * keepalived's subjects and first lines, then what xvipd knows of why. */
#ifndef XVIP_ALERTS_H
#define XVIP_ALERTS_H

#include <stdbool.h>

#include "vrrp_fsm.h"

struct xvipd;
struct vrrp_rt;
struct config_virtual_server;
struct writer_event;

/* "[router_id] VRRP Instance VI_1 - Entering MASTER state" */
void alert_vrrp(struct xvipd *d, const struct vrrp_rt *in, enum vrrp_state st,
		const char *reason);
/* "[router_id] Realserver [10.0.0.1]:tcp:3306 - DOWN" */
void alert_real_server(struct xvipd *d, const struct config_virtual_server *vs,
		       const char *vs_name, const char *rs_name, bool up, const char *why);
/* "[router_id] Writer [VIP]:tcp:3306 - now 10.0.0.2", "- promotion
 * REFUSED", ...: every event of the writer (writer.h) */
void alert_writer(struct xvipd *d, const struct config_virtual_server *vs, const char *vs_name,
		  const struct writer_event *e);

#endif
