/* libFuzzer: the ARP codec. Invariants: no crash or UB; a frame that
 * parses reports lengths 6/4 and sane fields. */
#include <stdint.h>
#include <stdlib.h>

#include "arp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arp_info a;

	if (arp_parse(data, size, &a) != ARP_OK)
		return 0;
	(void)arp_is_gratuitous(&a);
	if (size < 42)
		abort();
	return 0;
}
