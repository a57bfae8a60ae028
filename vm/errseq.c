/*
 * vm/errseq.c - errors seen once by each observer (see vm/errseq.h).
 *
 * Layout of the word: bits 0..11 the errno (positive), bit 12 "seen",
 * bits 13.. a counter.  Setting an error while the last one is unseen
 * only replaces the errno: observers that have not looked yet will get
 * one report either way; after it was seen, the counter moves on so that
 * every observer's sample differs from the new value.
 */
#include "vm/errseq.h"

#define ERRSEQ_SHIFT	12
#define ERRSEQ_MASK	((1U << ERRSEQ_SHIFT) - 1)
#define ERRSEQ_SEEN	(1U << ERRSEQ_SHIFT)
#define ERRSEQ_CTR_INC	(1U << (ERRSEQ_SHIFT + 1))

errseq_t errseq_set(errseq_t *eseq, int err)
{
	errseq_t old = __atomic_load_n(eseq, __ATOMIC_RELAXED), new;

	if (err >= 0 || (unsigned int)-err > ERRSEQ_MASK)
		return old;
	do {
		new = (old & ~(ERRSEQ_MASK | ERRSEQ_SEEN)) | (unsigned int)-err;
		if (old & ERRSEQ_SEEN)
			new += ERRSEQ_CTR_INC;
		if (new == old)
			return old;
	} while (!__atomic_compare_exchange_n(eseq, &old, new, 0, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return new;
}

errseq_t errseq_sample(errseq_t *eseq)
{
	errseq_t old = __atomic_load_n(eseq, __ATOMIC_ACQUIRE);

	return (old & ERRSEQ_SEEN) ? old : 0;
}

int errseq_check(errseq_t *eseq, errseq_t since)
{
	errseq_t cur = __atomic_load_n(eseq, __ATOMIC_ACQUIRE);

	if ((cur | ERRSEQ_SEEN) == (since | ERRSEQ_SEEN))
		return 0;
	return -(int)(cur & ERRSEQ_MASK);
}

int errseq_check_and_advance(errseq_t *eseq, errseq_t *since)
{
	errseq_t old = __atomic_load_n(eseq, __ATOMIC_ACQUIRE), new;
	errseq_t was = __atomic_load_n(since, __ATOMIC_ACQUIRE);

	if ((old | ERRSEQ_SEEN) == (was | ERRSEQ_SEEN))
		return 0;
	new = old | ERRSEQ_SEEN;
	/* One try: if a new error came meanwhile, the word no longer equals
	 * *since and the next check reports that one. */
	if (new != old)
		__atomic_compare_exchange_n(eseq, &old, new, 0, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
	__atomic_store_n(since, new, __ATOMIC_RELEASE);	/* flush reads it */
	return -(int)(new & ERRSEQ_MASK);
}
