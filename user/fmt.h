/* Addresses as text, one way for the whole tree. */
#ifndef XVIP_FMT_H
#define XVIP_FMT_H

#include <arpa/inet.h>
#include <stdint.h>

#define MAC_STRLEN 18

/* An IPv4 address in network order, dotted; returns buf. */
const char *ip4_str(uint32_t addr_be, char buf[INET_ADDRSTRLEN]);
/* aa:bb:cc:dd:ee:ff; returns buf. */
const char *mac_str(const uint8_t mac[6], char buf[MAC_STRLEN]);

#endif
