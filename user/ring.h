/* History rings: an array of N records, `total` ever written, the newest
 * at (total - 1) % N. One walk for every history (VRRP transitions, writer
 * events): RING_LEN records, RING_NTH(..., 0) the newest. */
#ifndef XVIP_RING_H
#define XVIP_RING_H

#define RING_LEN(total, n) ((total) < (n) ? (total) : (n))
#define RING_NTH(arr, total, n, k) (&(arr)[((total) - 1 - (k)) % (n)])
#define RING_PUSH(arr, total, n) (&(arr)[(total)++ % (n)])

#endif
