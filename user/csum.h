/*
 * csum.h - RFC 1071 internet checksum, endian-neutral.
 *
 * The data is summed as a stream of big-endian 16-bit words, so the result
 * is the checksum as a host-order number; store it with csum_store_be16()
 * (i.e. high byte first), whatever the CPU's byte order.  Summing over a
 * buffer that already contains a correct checksum yields 0 from
 * csum_finish(), which is how receivers verify.
 */
#ifndef XVIP_CSUM_H
#define XVIP_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at buf to a running (unfolded) sum.  len may be odd only
 * for the last chunk of a checksummed region: an odd trailing byte is padded
 * with a zero byte, as RFC 1071 specifies. */
static inline uint64_t csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Fold the running sum to 16 bits and complement it. */
static inline uint16_t csum_finish(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One-shot checksum of a buffer. */
static inline uint16_t csum_buf(const void *buf, size_t len)
{
	return csum_finish(csum_add(0, buf, len));
}

static inline void csum_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif /* XVIP_CSUM_H */
