/* Addresses as text. See fmt.h. */
#include <stdio.h>

#include "fmt.h"

const char *ip4_str(uint32_t addr_be, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { .s_addr = addr_be };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

const char *mac_str(const uint8_t m[6], char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return buf;
}
