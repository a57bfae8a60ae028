/*
 * vm/atomic.h - atomic_t and bit operations, as <asm/atomic.h> and
 * <asm/bitops.h> have them, on the compiler's __atomic builtins.
 *
 * set_bit()/clear_bit()/test_and_*() are atomic and may race with each
 * other safely (page->flags).  The __set_bit()/__change_bit() forms are not:
 * the caller holds the lock that protects the whole word (the buddy bitmaps
 * under zone->lock).
 */
#ifndef IMGFS_VM_ATOMIC_H
#define IMGFS_VM_ATOMIC_H

#include <limits.h>

typedef struct {
	int counter;
} atomic_t;

#define ATOMIC_INIT(i)	{ (i) }
#define BITS_PER_LONG	(sizeof(long) * CHAR_BIT)

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_inc(atomic_t *v)
{
	__atomic_fetch_add(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_dec(atomic_t *v)
{
	__atomic_fetch_sub(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_add(int i, atomic_t *v)
{
	__atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline void atomic_sub(int i, atomic_t *v)
{
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_SEQ_CST);
}

/* Returns the new value. */
static inline int atomic_dec_return(atomic_t *v)
{
	return __atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline int atomic_inc_return(atomic_t *v)
{
	return __atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline int atomic_dec_and_test(atomic_t *v)
{
	return atomic_dec_return(v) == 0;
}

#define BIT_WORD(nr)	((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)	(1UL << ((nr) % BITS_PER_LONG))

static inline void set_bit(unsigned long nr, unsigned long *addr)
{
	__atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr), __ATOMIC_SEQ_CST);
}

static inline void clear_bit(unsigned long nr, unsigned long *addr)
{
	__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr), __ATOMIC_SEQ_CST);
}

static inline int test_bit(unsigned long nr, const unsigned long *addr)
{
	return (__atomic_load_n(addr + BIT_WORD(nr), __ATOMIC_RELAXED) & BIT_MASK(nr)) != 0;
}

static inline int test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	return (__atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr),
				  __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0;
}

static inline int test_and_clear_bit(unsigned long nr, unsigned long *addr)
{
	return (__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr),
				   __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0;
}

/* Non-atomic: caller holds the lock covering the word. */
static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

/* Toggles the bit and returns its old value. */
static inline int __test_and_change_bit(unsigned long nr, unsigned long *addr)
{
	unsigned long old = addr[BIT_WORD(nr)];

	addr[BIT_WORD(nr)] = old ^ BIT_MASK(nr);
	return (old & BIT_MASK(nr)) != 0;
}

static inline int __test_bit(unsigned long nr, const unsigned long *addr)
{
	return (addr[BIT_WORD(nr)] & BIT_MASK(nr)) != 0;
}

#endif
