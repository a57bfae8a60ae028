/*
 * tests/vm/check_slab.c - the slab allocator and kmalloc (book chapter 8).
 *
 * Every test boots its own arena (Check forks per test).  What is checked
 * is behaviour seen from outside: addresses, counts from
 * kmem_cache_get_info(), frames in the buddy allocator (nr_free_pages),
 * constructor calls, /proc/slabinfo text.  Tests that expect a BUG() run
 * the whole scenario in a child and check both the signal (SIGABRT) and
 * the line saying which check fired (vm_test_dies_saying); the arena is shared
 * memory, so the parent does not touch the VM afterwards.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tests/vm/vm_test.h"
#include "vm/fault_inject.h"
#include "vm/gfp.h"
#include "vm/mm.h"
#include "vm/seq_buf.h"
#include "vm/slab.h"

#define MEM	MiB(64)
#define LOWMEM	MiB(32)

static void boot(void)
{
	vm_test_boot(MEM, LOWMEM, KMAP_DIRECT);
}

static struct kmem_cache_info info_of(kmem_cache_t *c)
{
	struct kmem_cache_info i;

	kmem_cache_get_info(c, &i);
	return i;
}

static kmem_cache_t *mkcache(const char *name, size_t size, unsigned long flags)
{
	kmem_cache_t *c = kmem_cache_create(name, size, 0, flags, NULL, NULL);

	ck_assert_msg(c != NULL, "create %s: errno %d", name, errno);
	return c;
}

static void **alloc_n(kmem_cache_t *c, unsigned long n)
{
	void **v = kmalloc(n * sizeof(void *), GFP_KERNEL);
	unsigned long i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++) {
		v[i] = kmem_cache_alloc(c, GFP_KERNEL);
		ck_assert_ptr_nonnull(v[i]);
	}
	return v;
}

static void free_n(kmem_cache_t *c, void **v, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		kmem_cache_free(c, v[i]);
	kfree(v);
}

/* Byte offset of p within its 2^order-frame block of the arena. */
static unsigned long block_off(const void *p, unsigned int order)
{
	return (unsigned long)((const char *)p - arena.base) & ((PAGE_SIZE << order) - 1);
}

static unsigned long block_nr(const void *p, unsigned int order)
{
	return (unsigned long)((const char *)p - arena.base) / (PAGE_SIZE << order);
}

static unsigned long free_frames(void)
{
	drain_all_pages();
	return nr_free_pages();
}

/* ---- creation ------------------------------------------------------------ */

static void dummy_ctor(void *obj, kmem_cache_t *c, unsigned long flags)
{
	(void)obj; (void)c; (void)flags;
}

START_TEST(test_create_args)
{
	kmem_cache_t *c;

	boot();
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create(NULL, 64, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("", 64, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("has space", 64, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("zero", 0, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("huge", 131073, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("off", 64, 65, 0, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("dtor", 64, 0, 0, NULL, dummy_ctor));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("flags", 64, 0, 0x1, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);

	c = mkcache("max", 131072, 0);
	errno = 0;
	ck_assert_ptr_null(kmem_cache_create("max", 64, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
	/* The name is free again once the cache is gone. */
	c = mkcache("max", 1, 0);
	ck_assert_uint_eq(info_of(c).obj_size, sizeof(void *));
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
}
END_TEST

/* ---- layout ------------------------------------------------------------- */

static void check_layout(kmem_cache_t *c, size_t align)
{
	struct kmem_cache_info i = info_of(c);
	unsigned long n = 3UL * i.num + 1, k;
	void **v = alloc_n(c, n);

	for (k = 0; k < n; k++) {
		const char *p = v[k];
		unsigned long j;

		ck_assert_msg(((uintptr_t)p & (align - 1)) == 0, "%s: %p not %zu-aligned",
			      i.name, (const void *)p, align);
		ck_assert(PageSlab(virt_to_page(p)));
		ck_assert(PageSlab(virt_to_page(p + i.obj_size - 1)));
		/* The whole object inside its slab's block of frames. */
		ck_assert_uint_eq(block_nr(p, i.gfporder),
				  block_nr(p + i.obj_size - 1, i.gfporder));
		memset(v[k], (int)k, i.obj_size);
		for (j = 0; j < k; j++)
			ck_assert_msg(p + i.obj_size <= (const char *)v[j] ||
				      (const char *)v[j] + i.obj_size <= p,
				      "%s: objects %lu and %lu overlap", i.name, j, k);
	}
	for (k = 0; k < n; k++)
		ck_assert_uint_eq(((unsigned char *)v[k])[i.obj_size - 1], (unsigned char)k);
	free_n(c, v, n);
}

START_TEST(test_alignment)
{
	boot();
	check_layout(mkcache("hw100", 100, SLAB_HWCACHE_ALIGN), 64);
	check_layout(mkcache("hw24", 24, SLAB_HWCACHE_ALIGN), 64);
	check_layout(mkcache("odd13", 13, 0), sizeof(void *));
	check_layout(mkcache("odd700", 700, 0), sizeof(void *));
	check_layout(mkcache("hw3000", 3000, SLAB_HWCACHE_ALIGN), 64);
	check_layout(mkcache("odd5000", 5000, 0), sizeof(void *));
	ck_assert_uint_ge(info_of(mkcache("hw1", 1, SLAB_HWCACHE_ALIGN)).objsize, 64);
}
END_TEST

START_TEST(test_off_slab)
{
	kmem_cache_t *big, *small;
	struct kmem_cache_info i;
	void *p;

	boot();
	slab_debug_set(0);	/* red zones would change the geometry */
	big = mkcache("big1024", 1024, 0);
	small = mkcache("small64", 64, 0);
	i = info_of(big);
	ck_assert_int_eq(i.off_slab, 1);
	ck_assert_uint_eq(i.num, 4);		/* a whole page of objects */
	ck_assert_int_eq(info_of(small).off_slab, 0);
	ck_assert_int_eq(info_of(mkcache("big4096", 4096, 0)).off_slab, 1);

	/* Off-slab: nothing but objects in the frames, the first at offset 0. */
	p = kmem_cache_alloc(big, GFP_KERNEL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(block_off(p, 0) % 1024, 0);
	kmem_cache_free(big, p);
	/* On-slab: the descriptor comes first. */
	p = kmem_cache_alloc(small, GFP_KERNEL);
	ck_assert_uint_ge(block_off(p, 0), 64);
	kmem_cache_free(small, p);
}
END_TEST

/* ---- colour ------------------------------------------------------------- */

START_TEST(test_colour)
{
	kmem_cache_t *c;
	struct kmem_cache_info i;
	unsigned long first[32], s, k;

	boot();
	c = mkcache("colour700", 700, 0);
	i = info_of(c);
	ck_assert_uint_ge(i.colour, 2);
	ck_assert_uint_eq(i.colour_off, 64);
	ck_assert_uint_le(2 * i.colour + 1, ARRAY_SIZE(first));

	/* Each slab's worth of allocations comes from a new slab. */
	for (s = 0; s < 2 * i.colour + 1; s++) {
		unsigned long slab_nr = ~0UL;

		ck_assert_uint_eq(info_of(c).colour_next, s % i.colour);
		first[s] = ~0UL;
		for (k = 0; k < i.num; k++) {
			void *p = kmem_cache_alloc(c, GFP_KERNEL);

			ck_assert_ptr_nonnull(p);
			if (slab_nr == ~0UL)
				slab_nr = block_nr(p, i.gfporder);
			ck_assert_uint_eq(block_nr(p, i.gfporder), slab_nr);
			if (block_off(p, i.gfporder) < first[s])
				first[s] = block_off(p, i.gfporder);
		}
		ck_assert_uint_eq(info_of(c).num_slabs, s + 1);
	}
	for (s = 0; s < 2 * i.colour + 1; s++)
		ck_assert_msg(first[s] - first[0] == (s % i.colour) * i.colour_off,
			      "slab %lu: first object at %lu, slab 0 at %lu",
			      s, first[s], first[0]);
}
END_TEST

/* ---- constructors ------------------------------------------------------- */

struct cobj {
	unsigned long magic;
	unsigned long state;
	char pad[48];
};

#define COBJ_MAGIC	0xc0ffee11UL

static int nr_ctor, nr_dtor;
static unsigned long last_ctor_flags;

static void cobj_ctor(void *p, kmem_cache_t *c, unsigned long flags)
{
	struct cobj *o = p;

	(void)c;
	ck_assert(flags & SLAB_CTOR_CONSTRUCTOR);
	last_ctor_flags = flags;
	o->magic = COBJ_MAGIC;
	o->state = 0;
	nr_ctor++;
}

static void cobj_dtor(void *p, kmem_cache_t *c, unsigned long flags)
{
	struct cobj *o = p;

	(void)c; (void)flags;
	ck_assert_uint_eq(o->magic, COBJ_MAGIC);
	ck_assert_uint_eq(o->state, 0);
	nr_dtor++;
}

static void cobj_cycle(kmem_cache_t *c, unsigned long n)
{
	struct cobj **v = kmalloc(n * sizeof(*v), GFP_KERNEL);
	unsigned long k;

	for (k = 0; k < n; k++) {
		v[k] = kmem_cache_alloc(c, GFP_KERNEL);
		ck_assert_ptr_nonnull(v[k]);
		ck_assert_uint_eq(v[k]->magic, COBJ_MAGIC);
		ck_assert_uint_eq(v[k]->state, 0);
		v[k]->state = k + 1;
	}
	for (k = 0; k < n; k++) {
		v[k]->state = 0;	/* back to the constructed state */
		kmem_cache_free(c, v[k]);
	}
	kfree(v);
}

START_TEST(test_ctor_once)
{
	kmem_cache_t *c;
	struct kmem_cache_info i;
	unsigned long n;
	int built;

	boot();
	c = kmem_cache_create("cobj", sizeof(struct cobj), 0, 0, cobj_ctor, cobj_dtor);
	ck_assert_ptr_nonnull(c);
	n = 3UL * info_of(c).num + 5;

	cobj_cycle(c, n);
	i = info_of(c);
	ck_assert_int_eq(nr_ctor, (int)(i.num_slabs * i.num));
	ck_assert_int_eq(nr_dtor, 0);
	built = nr_ctor;
	/* Reused objects, from the thread array or the slabs, are not rebuilt. */
	cobj_cycle(c, n);
	cobj_cycle(c, n / 2);
	kmem_cache_drain_cpus(c);
	cobj_cycle(c, n);
	ck_assert_int_eq(nr_ctor, built);
	ck_assert_int_eq(nr_dtor, 0);

	/* Destruction runs the destructor once per object, once. */
	ck_assert_int_gt(kmem_cache_shrink(c), 0);
	ck_assert_int_eq(nr_dtor, built);
	ck_assert_uint_eq(info_of(c).num_slabs, 0);
	ck_assert_int_eq(kmem_cache_shrink(c), 0);
	ck_assert_int_eq(nr_dtor, built);

	/* An allocation that cannot sleep constructs with SLAB_CTOR_ATOMIC. */
	kmem_cache_free(c, kmem_cache_alloc(c, GFP_ATOMIC));
	ck_assert(last_ctor_flags & SLAB_CTOR_ATOMIC);
	kmem_cache_shrink(c);
	kmem_cache_free(c, kmem_cache_alloc(c, GFP_KERNEL));
	ck_assert(!(last_ctor_flags & SLAB_CTOR_ATOMIC));
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
	ck_assert_int_eq(nr_dtor, nr_ctor);
}
END_TEST

/* ---- shrink and destroy ------------------------------------------------- */

/* Objects out of the cache that holds off-slab descriptors of up to 7 objects. */
static unsigned long descriptors_in_use(void)
{
	kmem_cache_t *desc = kmem_find_general_cachep(64, 0);

	kmem_cache_drain_cpus(desc);
	return info_of(desc).active_objs;
}

static void check_shrink(const char *name, size_t size)
{
	kmem_cache_t *c = mkcache(name, size, 0);
	struct kmem_cache_info i = info_of(c);
	unsigned long before, pages_before, n = 7UL * i.num + 3;
	unsigned long descs;
	void **v;
	int ret;

	/* A first round grows the caches our arrays come from. */
	v = alloc_n(c, n);
	free_n(c, v, n);
	kmem_cache_shrink(c);
	descs = descriptors_in_use();

	v = alloc_n(c, n);

	free_n(c, v, n);
	i = info_of(c);
	ck_assert_uint_ge(i.num_slabs, 8);
	ck_assert_uint_gt(i.cpu_avail, 0);	/* the last frees sit in our array */
	kmem_cache_drain_cpus(c);
	i = info_of(c);
	ck_assert_uint_eq(i.cpu_avail, 0);
	ck_assert_uint_eq(i.active_objs, 0);
	ck_assert_uint_eq(i.free_slabs, i.num_slabs);

	before = free_frames();
	pages_before = kmem_cache_total_pages();
	ret = kmem_cache_shrink(c);
	ck_assert_int_eq(ret, (int)(i.free_slabs << i.gfporder));
	ck_assert_uint_eq(free_frames() - before, (unsigned long)ret);
	ck_assert_uint_eq(pages_before - kmem_cache_total_pages(), (unsigned long)ret);
	ck_assert_uint_eq(info_of(c).num_slabs, 0);
	ck_assert_uint_eq(descriptors_in_use(), descs);
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
}

START_TEST(test_shrink)
{
	boot();
	check_shrink("shrink256", 256);		/* on-slab, order 0 */
	check_shrink("shrink3000", 3000);	/* several frames per slab */
	check_shrink("shrink4096", 4096);	/* off-slab descriptors */
}
END_TEST

START_TEST(test_shrink_keeps_used)
{
	kmem_cache_t *c;
	struct kmem_cache_info i;
	void **v, *keep;
	unsigned long n;

	boot();
	c = mkcache("keep", 128, 0);
	keep = kmem_cache_alloc(c, GFP_KERNEL);
	n = 5UL * info_of(c).num;
	v = alloc_n(c, n);
	free_n(c, v, n);
	kmem_cache_shrink(c);
	i = info_of(c);
	ck_assert_uint_eq(i.num_slabs, 1);
	ck_assert_uint_eq(i.active_objs, 1);
	memset(keep, 0x11, 128);
	kmem_cache_free(c, keep);
}
END_TEST

START_TEST(test_destroy_busy)
{
	kmem_cache_t *c;
	void *p, *q;

	boot();
	c = mkcache("busy", 200, 0);
	p = kmem_cache_alloc(c, GFP_KERNEL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(kmem_cache_destroy(c), -EBUSY);
	/* Still fully usable. */
	q = kmem_cache_alloc(c, GFP_KERNEL);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_ne(p, q);
	kmem_cache_free(c, p);
	ck_assert_int_eq(kmem_cache_destroy(c), -EBUSY);
	kmem_cache_free(c, q);
	/* Objects only in the thread array do not keep it alive. */
	ck_assert_uint_gt(info_of(c).cpu_avail, 0);
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
	c = mkcache("busy", 200, 0);
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
}
END_TEST

/* ---- kmalloc ------------------------------------------------------------ */

START_TEST(test_kmalloc_sizes)
{
	static const struct { size_t req, got; } t[] = {
		{ 1, 32 }, { 32, 32 }, { 33, 64 }, { 64, 64 }, { 65, 128 },
		{ 100, 128 }, { 4096, 4096 }, { 4097, 8192 }, { 131072, 131072 },
	};
	unsigned char *p;
	size_t k, j;

	boot();
	for (k = 0; k < ARRAY_SIZE(t); k++) {
		p = kmalloc(t[k].req, GFP_KERNEL);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(ksize(p), t[k].got);
		ck_assert_ptr_eq(kmem_find_general_cachep(t[k].req, 0),
				 kmem_find_general_cachep(t[k].got, 0));
		memset(p, 0xab, t[k].got);
		kfree(p);
	}
	ck_assert_ptr_null(kmalloc(131073, GFP_KERNEL));
	ck_assert_ptr_null(kmalloc(0, GFP_KERNEL));
	ck_assert_ptr_null(kmem_find_general_cachep(131073, 0));
	kfree(NULL);
	ck_assert_uint_eq(ksize(NULL), 0);

	p = kmalloc(100, GFP_KERNEL);
	memset(p, 0xff, 100);
	kfree(p);
	p = kzalloc(100, GFP_KERNEL);
	for (j = 0; j < 100; j++)
		ck_assert_uint_eq(p[j], 0);
	kfree(p);
}
END_TEST

START_TEST(test_kmalloc_dma)
{
	zone_t *dma = &contig_page_data.node_zones[ZONE_DMA];
	static const size_t sizes[] = { 1, 100, 4096, 20000, 131072 };
	size_t k;

	boot();
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		void *d = kmalloc(sizes[k], GFP_KERNEL | GFP_DMA);
		void *n = kmalloc(sizes[k], GFP_KERNEL);
		struct kmem_cache_info di;

		ck_assert_ptr_nonnull(d);
		ck_assert_ptr_nonnull(n);
		ck_assert_ptr_eq(page_zone(virt_to_page(d)), dma);
		ck_assert_ptr_ne(page_zone(virt_to_page(n)),
				 &contig_page_data.node_zones[ZONE_HIGHMEM]);
		ck_assert_ptr_ne(kmem_find_general_cachep(sizes[k], GFP_DMA),
				 kmem_find_general_cachep(sizes[k], 0));
		kmem_cache_get_info(kmem_find_general_cachep(sizes[k], GFP_DMA), &di);
		ck_assert_msg(strstr(di.name, "(DMA)") != NULL, "%s", di.name);
		ck_assert_uint_eq(ksize(d), ksize(n));
		kfree(d);
		kfree(n);
	}
}
END_TEST

/* ---- debugging: each scenario runs, and dies, in a child ---------------- */

static kmem_cache_t *debug_cache(unsigned long flags)
{
	return kmem_cache_create("victim", 64, 0, flags, NULL, NULL);
}

static void overrun(void *arg)
{
	kmem_cache_t *c = debug_cache((unsigned long)arg);
	unsigned long *p = kmem_cache_alloc(c, GFP_KERNEL);

	p[64 / sizeof(long)] = 0;	/* one word past the end */
	kmem_cache_free(c, p);
}

static void underrun(void *arg)
{
	kmem_cache_t *c = debug_cache((unsigned long)arg);
	unsigned long *p = kmem_cache_alloc(c, GFP_KERNEL);

	p[-1] = 0;
	kmem_cache_free(c, p);
}

static void double_free(void *arg)
{
	kmem_cache_t *c = debug_cache((unsigned long)arg);
	void *p = kmem_cache_alloc(c, GFP_KERNEL);

	kmem_cache_free(c, p);
	kmem_cache_free(c, p);
	kmem_cache_drain_cpus(c);	/* without red zones, caught here */
}

static void use_after_free(void *arg)
{
	kmem_cache_t *c = debug_cache((unsigned long)arg);
	char *p = kmem_cache_alloc(c, GFP_KERNEL);

	kmem_cache_free(c, p);
	p[10] = 1;
	kmem_cache_free(c, kmem_cache_alloc(c, GFP_KERNEL));
}

static void clean_use(void *arg)
{
	kmem_cache_t *c = debug_cache((unsigned long)arg);
	void *v[100];
	int k;

	for (k = 0; k < 100; k++) {
		v[k] = kmem_cache_alloc(c, GFP_KERNEL);
		memset(v[k], k, 64);
	}
	for (k = 0; k < 100; k++)
		kmem_cache_free(c, v[k]);
	kmem_cache_shrink(c);
	if (kmem_cache_destroy(c))
		abort();
}

static void wrong_cache(void *arg)
{
	kmem_cache_t *a = debug_cache(0);
	kmem_cache_t *b = kmem_cache_create("other", 64, 0, 0, NULL, NULL);

	(void)arg;
	kmem_cache_free(b, kmem_cache_alloc(a, GFP_KERNEL));
}

/* Checked for debugging caches: the plain free path skips the descriptor. */
static void misaligned(void *arg)
{
	kmem_cache_t *c = debug_cache(SLAB_DEBUG_FREE);
	char *p = kmem_cache_alloc(c, GFP_KERNEL);

	(void)arg;
	kmem_cache_free(c, p + sizeof(long));
}

static void kfree_not_slab(void *arg)
{
	(void)arg;
	kfree(__get_free_page(GFP_KERNEL));
}

static void global_switch_overrun(void *arg)
{
	(void)arg;
	slab_debug_set(1);
	overrun((void *)0UL);
}

/* What the check that caught it says (vm/slab.c slab_bug): the death
 * must come from that check, not from any other abort on the way. */
#define REPORT(what)	": " what "\n"
#define RZ	((void *)(unsigned long)SLAB_RED_ZONE)
#define PZ	((void *)(unsigned long)SLAB_POISON)
#define RZPZ	((void *)(unsigned long)(SLAB_RED_ZONE | SLAB_POISON))

START_TEST(test_redzone_overrun)
{
	boot();
	ck_assert(vm_test_dies_saying(overrun, RZ, SIGABRT,
				      REPORT("red zone after the object overwritten")));
}
END_TEST

START_TEST(test_redzone_underrun)
{
	boot();
	ck_assert(vm_test_dies_saying(underrun, RZPZ, SIGABRT,
				      REPORT("red zone before the object overwritten")));
}
END_TEST

START_TEST(test_redzone_double_free)
{
	boot();
	ck_assert(vm_test_dies_saying(double_free, RZ, SIGABRT, REPORT("freed twice (red zone)")));
}
END_TEST

START_TEST(test_plain_double_free)
{
	boot();
	ck_assert(vm_test_dies_saying(double_free, (void *)0UL, SIGABRT, REPORT("freed twice")));
}
END_TEST

START_TEST(test_poison_use_after_free)
{
	boot();
	ck_assert(vm_test_dies_saying(use_after_free, PZ, SIGABRT,
				      REPORT("written after it was freed (poison)")));
}
END_TEST

START_TEST(test_debug_clean_use)
{
	boot();
	ck_assert(!vm_test_dies_with(clean_use, RZPZ, SIGABRT));
}
END_TEST

START_TEST(test_wrong_cache)
{
	boot();
	ck_assert(vm_test_dies_saying(wrong_cache, NULL, SIGABRT, ", an object of cache victim\n"));
}
END_TEST

START_TEST(test_misaligned_free)
{
	boot();
	ck_assert(vm_test_dies_saying(misaligned, NULL, SIGABRT, REPORT("not the start of an object")));
}
END_TEST

START_TEST(test_kfree_not_slab)
{
	boot();
	ck_assert(vm_test_dies_saying(kfree_not_slab, NULL, SIGABRT, ", not a slab page\n"));
}
END_TEST

START_TEST(test_debug_switch)
{
	kmem_cache_t *c;
	struct kmem_cache_info plain, dbg;

	boot();
	slab_debug_set(0);	/* whatever IMGFS_SLAB_DEBUG said */
	c = mkcache("plain", 64, 0);
	plain = info_of(c);
	ck_assert_int_eq(slab_debug_set(1), 0);
	dbg = info_of(mkcache("guarded", 64, 0));
	ck_assert_int_eq(slab_debug_set(0), 1);
	ck_assert_uint_eq(dbg.obj_size, 64);
	ck_assert_uint_gt(dbg.objsize, plain.objsize);	/* room for the guards */
	ck_assert(vm_test_dies_saying(global_switch_overrun, NULL, SIGABRT,
				      REPORT("red zone after the object overwritten")));
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

#define NTHREADS	4
#define HELD		300
#define OBJ		96

struct worker {
	kmem_cache_t *c;
	unsigned int seed;
	int id;
	unsigned long ops;
};

static void fill(unsigned long *p, unsigned long tag)
{
	size_t k;

	for (k = 0; k < OBJ / sizeof(long); k++)
		p[k] = tag ^ k;
}

static int intact(const unsigned long *p, unsigned long tag)
{
	size_t k;

	for (k = 0; k < OBJ / sizeof(long); k++)
		if (p[k] != (tag ^ k))
			return 0;
	return 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long *held[HELD] = { 0 }, tag[HELD];
	unsigned long i;
	int k, bad = 0;

	for (i = 0; i < w->ops; i++) {
		k = rand_r(&w->seed) % HELD;
		if (held[k]) {
			bad += !intact(held[k], tag[k]);
			kmem_cache_free(w->c, held[k]);
			held[k] = NULL;
		} else {
			held[k] = kmem_cache_alloc(w->c, (i & 1) ? GFP_KERNEL : GFP_ATOMIC);
			if (!held[k]) {
				bad++;
				continue;
			}
			tag[k] = ((unsigned long)w->id << 48) ^ i ^ (uintptr_t)held[k];
			fill(held[k], tag[k]);
		}
	}
	for (k = 0; k < HELD; k++) {
		if (!held[k])
			continue;
		bad += !intact(held[k], tag[k]);
		kmem_cache_free(w->c, held[k]);
	}
	return (void *)(long)bad;
}

START_TEST(test_threads)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct kmem_cache_info i;
	kmem_cache_t *c;
	int k;

	boot();
	c = mkcache("shared", OBJ, SLAB_HWCACHE_ALIGN);
	for (k = 0; k < NTHREADS; k++) {
		w[k] = (struct worker){ c, 1234u + (unsigned int)k, k, 60000 };
		ck_assert_int_eq(pthread_create(&t[k], NULL, worker_main, &w[k]), 0);
	}
	/* Meanwhile, shrink and reap under the workers' feet. */
	for (k = 0; k < 200; k++) {
		kmem_cache_shrink(c);
		kmem_cache_reap(k & 1 ? GFP_KERNEL : GFP_ATOMIC);
		kmem_cache_get_info(c, &i);
	}
	for (k = 0; k < NTHREADS; k++) {
		void *bad;

		ck_assert_int_eq(pthread_join(t[k], &bad), 0);
		ck_assert_msg(bad == NULL, "worker %d saw %ld bad objects", k, (long)bad);
	}
	/* Each worker's slot was drained when it exited. */
	i = info_of(c);
	ck_assert_uint_eq(i.cpu_avail, 0);
	ck_assert_uint_eq(i.active_objs, 0);
	ck_assert_uint_eq(i.free_slabs, i.num_slabs);
	kmem_cache_shrink(c);
	ck_assert_uint_eq(info_of(c).num_slabs, 0);
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
}
END_TEST

static void *exit_with_array(void *arg)
{
	kmem_cache_t *c = arg;
	void *v[20];
	int k;

	for (k = 0; k < 20; k++)
		v[k] = kmem_cache_alloc(c, GFP_KERNEL);
	for (k = 0; k < 20; k++)
		kmem_cache_free(c, v[k]);
	return NULL;
}

/*
 * Objects out of all kmalloc caches (the arrays themselves live there),
 * after empty slabs and so their off-slab descriptors are given back.
 */
static unsigned long kmalloc_in_use(void)
{
	unsigned long n = 0;
	size_t size;

	for (size = 131072; size >= 32; size /= 2)
		kmem_cache_shrink(kmem_find_general_cachep(size, 0));
	for (size = 32; size <= 131072; size *= 2)
		n += info_of(kmem_find_general_cachep(size, 0)).active_objs;
	return n;
}

START_TEST(test_thread_exit_drains)
{
	kmem_cache_t *c;
	pthread_t t;
	struct kmem_cache_info i;
	unsigned long in_use;

	boot();
	c = mkcache("exiting", 64, 0);
	in_use = kmalloc_in_use();
	ck_assert_int_eq(pthread_create(&t, NULL, exit_with_array, c), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	i = info_of(c);
	ck_assert_uint_gt(i.num_slabs, 0);
	ck_assert_uint_eq(i.cpu_avail, 0);
	ck_assert_uint_eq(i.active_objs, 0);
	/* The dead slot's array was freed as well. */
	ck_assert_uint_eq(kmalloc_in_use(), in_use);
}
END_TEST

/*
 * Objects allocated on one slot and freed on another: a producer hands
 * kmalloc'ed buffers of random sizes to a consumer through a ring.
 */
#define RING	64

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void *slot[RING];
	size_t size[RING];
	unsigned int head, tail;
	int done;
};

static void ring_put(struct ring *r, void *p, size_t size)
{
	pthread_mutex_lock(&r->lock);
	while (r->head - r->tail == RING)
		pthread_cond_wait(&r->cond, &r->lock);
	r->slot[r->head % RING] = p;
	r->size[r->head % RING] = size;
	r->head++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *ring_get(struct ring *r, size_t *size)
{
	void *p = NULL;

	pthread_mutex_lock(&r->lock);
	while (r->head == r->tail && !r->done)
		pthread_cond_wait(&r->cond, &r->lock);
	if (r->head != r->tail) {
		p = r->slot[r->tail % RING];
		*size = r->size[r->tail % RING];
		r->tail++;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return p;
}

static void *producer(void *arg)
{
	struct ring *r = arg;
	unsigned int seed = 77;
	int k;

	for (k = 0; k < 20000; k++) {
		size_t size = 1 + (size_t)rand_r(&seed) % ((k % 50) ? 2000 : 40000);
		unsigned char *p = kmalloc(size, (k & 3) ? GFP_KERNEL : GFP_KERNEL | GFP_DMA);

		if (!p)
			return (void *)1;
		memset(p, (int)(size & 0xff), size);
		ring_put(r, p, size);
	}
	pthread_mutex_lock(&r->lock);
	r->done = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void *consumer(void *arg)
{
	struct ring *r = arg;
	unsigned char *p;
	size_t size;
	long bad = 0;

	while ((p = ring_get(r, &size)) != NULL) {
		bad += p[0] != (size & 0xff) || p[size - 1] != (size & 0xff);
		bad += ksize(p) < size;
		kfree(p);
	}
	return (void *)bad;
}

START_TEST(test_threads_cross_free)
{
	struct ring r = { .head = 0, .tail = 0, .done = 0 };
	pthread_t prod, cons;
	void *res;
	size_t size;

	boot();
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	ck_assert_int_eq(pthread_create(&prod, NULL, producer, &r), 0);
	ck_assert_int_eq(pthread_create(&cons, NULL, consumer, &r), 0);
	ck_assert_int_eq(pthread_join(prod, &res), 0);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(pthread_join(cons, &res), 0);
	ck_assert_ptr_null(res);
	for (size = 32; size <= 131072; size *= 2) {
		ck_assert_uint_eq(info_of(kmem_find_general_cachep(size, 0)).cpu_avail, 0);
		ck_assert_uint_eq(info_of(kmem_find_general_cachep(size, GFP_DMA)).cpu_avail, 0);
	}
}
END_TEST

/*
 * More threads than slots: slots are shared, and short-lived threads keep
 * exiting (draining their slot) while others use the same slot.
 */
#define CHURN_THREADS	(NR_CPUS + 16)

static void *churner(void *arg)
{
	struct worker *w = arg;
	void *v[40];
	unsigned long r;
	int k, n;

	for (r = 0; r < w->ops; r++) {
		n = 1 + rand_r(&w->seed) % 40;
		for (k = 0; k < n; k++) {
			v[k] = kmem_cache_alloc(w->c, GFP_KERNEL);
			if (!v[k])
				return (void *)1;
			fill(v[k], (uintptr_t)v[k]);
		}
		for (k = 0; k < n; k++) {
			if (!intact(v[k], (uintptr_t)v[k]))
				return (void *)2;
			kmem_cache_free(w->c, v[k]);
		}
	}
	return NULL;
}

START_TEST(test_thread_churn)
{
	static struct worker w[CHURN_THREADS];
	static pthread_t t[CHURN_THREADS];
	kmem_cache_t *c;
	struct kmem_cache_info i;
	int k, round;

	boot();
	c = mkcache("churn", OBJ, 0);
	for (round = 0; round < 3; round++) {
		for (k = 0; k < CHURN_THREADS; k++) {
			w[k] = (struct worker){ c, (unsigned int)(round * 1000 + k), k, 30 };
			ck_assert_int_eq(pthread_create(&t[k], NULL, churner, &w[k]), 0);
		}
		kmem_cache_shrink(c);
		kmem_cache_reap(GFP_KERNEL);
		for (k = 0; k < CHURN_THREADS; k++) {
			void *res;

			ck_assert_int_eq(pthread_join(t[k], &res), 0);
			ck_assert_ptr_null(res);
		}
	}
	i = info_of(c);
	ck_assert_uint_eq(i.cpu_avail, 0);
	ck_assert_uint_eq(i.active_objs, 0);
	ck_assert_int_eq(kmem_cache_destroy(c), 0);
}
END_TEST

/* ---- reaping ------------------------------------------------------------ */

/* Give the kmalloc caches' free slabs back so they do not compete. */
static void shrink_size_caches(void)
{
	size_t size;

	for (size = 32; size <= 131072; size *= 2) {
		kmem_cache_shrink(kmem_find_general_cachep(size, 0));
		kmem_cache_shrink(kmem_find_general_cachep(size, GFP_DMA));
	}
}

static void make_free_slabs(kmem_cache_t *c, unsigned long slabs)
{
	unsigned long n = slabs * info_of(c).num;
	void **v = alloc_n(c, n);

	free_n(c, v, n);
	kmem_cache_drain_cpus(c);
	ck_assert_uint_eq(info_of(c).free_slabs, slabs);
}

START_TEST(test_reap)
{
	kmem_cache_t *a, *b, *nr;
	struct kmem_cache_info ia, ib, inr;
	unsigned long before, gone;
	int ret;

	boot();
	a = mkcache("reap-a", 256, 0);
	b = mkcache("reap-b", 256, 0);
	nr = mkcache("reap-never", 256, SLAB_NO_REAP);
	make_free_slabs(a, 20);
	make_free_slabs(b, 6);
	make_free_slabs(nr, 40);
	shrink_size_caches();

	before = free_frames();
	ret = kmem_cache_reap(GFP_KERNEL);
	gone = (20 * 4 + 4) / 5;		/* about 80%: 16 */
	ck_assert_int_eq(ret, (int)(gone << info_of(a).gfporder));
	ck_assert_uint_eq(free_frames() - before, (unsigned long)ret);
	ia = info_of(a);
	ck_assert_uint_eq(ia.free_slabs, 20 - gone);
	ck_assert_uint_eq(ia.reaped, gone);
	ck_assert_uint_eq(info_of(b).free_slabs, 6);

	/* Now b has the most; a non-sleeping reaper gets it too. */
	ret = kmem_cache_reap(GFP_ATOMIC);
	ck_assert_int_eq(ret, 5);
	ib = info_of(b);
	ck_assert_uint_eq(ib.free_slabs, 1);
	inr = info_of(nr);
	ck_assert_uint_eq(inr.free_slabs, 40);
	ck_assert_uint_eq(inr.reaped, 0);
}
END_TEST

/* ---- /proc/slabinfo ----------------------------------------------------- */

struct slabinfo_line {
	char name[64];
	unsigned long active_objs, num_objs;
	size_t objsize;
	unsigned int objperslab, pagesperslab, limit, batchcount, shared;
	unsigned long active_slabs, num_slabs, sharedavail;
};

static int parse_line(const char *line, struct slabinfo_line *l)
{
	return sscanf(line, "%63s %lu %lu %zu %u %u : tunables %u %u %u : "
		      "slabdata %lu %lu %lu", l->name, &l->active_objs,
		      &l->num_objs, &l->objsize, &l->objperslab, &l->pagesperslab,
		      &l->limit, &l->batchcount, &l->shared, &l->active_slabs,
		      &l->num_slabs, &l->sharedavail) == 12;
}

static void check_line(const struct slabinfo_line *l, kmem_cache_t *c)
{
	struct kmem_cache_info i = info_of(c);

	ck_assert_str_eq(l->name, i.name);
	ck_assert_uint_eq(l->active_objs, i.active_objs);
	ck_assert_uint_eq(l->num_objs, i.num_objs);
	ck_assert_uint_eq(l->objsize, i.objsize);
	ck_assert_uint_eq(l->objperslab, i.num);
	ck_assert_uint_eq(l->pagesperslab, 1U << i.gfporder);
	ck_assert_uint_eq(l->limit, i.limit);
	ck_assert_uint_eq(l->batchcount, i.batchcount);
	ck_assert_uint_eq(l->shared, 0);
	ck_assert_uint_eq(l->active_slabs, i.active_slabs);
	ck_assert_uint_eq(l->num_slabs, i.num_slabs);
	ck_assert_uint_eq(l->sharedavail, 0);
}

START_TEST(test_slabinfo)
{
	static char buf[1 << 16];
	struct seq_buf s;
	kmem_cache_t *c;
	char *line, *save;
	void **v;
	int n = 0, seen_mine = 0, seen_kmem = 0;

	boot();
	c = mkcache("info-test", 500, 0);
	v = alloc_n(c, 37);
	kmem_cache_free(c, v[3]);
	kmem_cache_drain_cpus(c);

	seq_buf_init(&s, buf, sizeof(buf));
	ck_assert_int_eq(slabinfo_render(&s), 0);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		struct slabinfo_line l;
		kmem_cache_t *k = NULL;
		size_t size;

		if (n == 0) {
			ck_assert_str_eq(line, "slabinfo - version: 2.1");
			continue;
		}
		if (n == 1) {
			ck_assert(strncmp(line, "# name", 6) == 0);
			ck_assert(strstr(line, ": tunables <limit> <batchcount> <sharedfactor>"
					 " : slabdata <active_slabs> <num_slabs> <sharedavail>"));
			continue;
		}
		ck_assert_msg(parse_line(line, &l), "unparsable: %s", line);
		ck_assert_uint_le(l.active_objs, l.num_objs);
		ck_assert_uint_eq(l.num_objs, l.num_slabs * l.objperslab);
		if (!strcmp(l.name, "info-test")) {
			check_line(&l, c);
			ck_assert_uint_eq(l.active_objs, 36);
			seen_mine++;
		}
		seen_kmem += !strcmp(l.name, "kmem_cache");
		for (size = 32; size <= 131072; size *= 2) {
			kmem_cache_t *d = kmem_find_general_cachep(size, 0);
			kmem_cache_t *dd = kmem_find_general_cachep(size, GFP_DMA);

			if (!strcmp(l.name, info_of(d).name))
				k = d;
			if (!strcmp(l.name, info_of(dd).name))
				k = dd;
		}
		if (k)
			check_line(&l, k);
	}
	ck_assert_int_eq(seen_mine, 1);
	ck_assert_int_eq(seen_kmem, 1);
	ck_assert_int_ge(n, 2 + 1 + 26 + 1);

	seq_buf_init(&s, buf, 200);
	ck_assert_int_eq(slabinfo_render(&s), -ENOSPC);
}
END_TEST

/* ---- running out of memory ---------------------------------------------- */

static void fail_all_low(void)
{
	ck_assert_int_eq(zone_fault_set(ZONE_NORMAL, 0, 1), 0);
	ck_assert_int_eq(zone_fault_set(ZONE_DMA, 0, 1), 0);
}

START_TEST(test_alloc_failure)
{
	kmem_cache_t *small, *big;
	unsigned long before, pages;
	void *p;

	boot();
	small = mkcache("fail-small", 256, 0);
	big = mkcache("fail-big", 8192, 0);
	before = free_frames();
	pages = kmem_cache_total_pages();

	fail_all_low();
	ck_assert_ptr_null(kmem_cache_alloc(small, GFP_KERNEL));
	ck_assert_ptr_null(kmem_cache_alloc(small, GFP_ATOMIC));
	ck_assert_ptr_null(kmem_cache_alloc(big, GFP_KERNEL));
	ck_assert_ptr_null(kmalloc(131072, GFP_KERNEL));
	ck_assert_ptr_null(kmalloc(131072, GFP_KERNEL | GFP_DMA));
	ck_assert_uint_eq(info_of(small).num_slabs, 0);
	ck_assert_uint_ge(info_of(small).errors, 2);
	ck_assert_uint_eq(info_of(big).num_slabs, 0);
	zone_fault_clear_all();

	ck_assert_uint_eq(free_frames(), before);
	ck_assert_uint_eq(kmem_cache_total_pages(), pages);

	p = kmem_cache_alloc(small, GFP_KERNEL);
	ck_assert_ptr_nonnull(p);
	kmem_cache_free(small, p);
	p = kmem_cache_alloc(big, GFP_KERNEL);
	ck_assert_ptr_nonnull(p);
	kmem_cache_free(big, p);
	ck_assert_int_eq(kmem_cache_destroy(small), 0);
	ck_assert_int_eq(kmem_cache_destroy(big), 0);
}
END_TEST

/*
 * The slab's frames are had but its off-slab descriptor is not: the
 * frames must go back.  The descriptor cache is filled up first, so that
 * the descriptor needs a second allocation from the zone, which fails.
 */
START_TEST(test_grow_unwind)
{
	kmem_cache_t *big, *desc;
	struct kmem_cache_info di, bi;
	unsigned long before, pages, n = 0;
	void **v;

	boot();
	slab_debug_set(0);	/* red zones would change the geometry */
	big = mkcache("unwind", 4096, 0);
	ck_assert_int_eq(info_of(big).off_slab, 1);
	kmem_cache_free(big, kmem_cache_alloc(big, GFP_KERNEL));	/* its array */
	kmem_cache_shrink(big);
	desc = kmem_find_general_cachep(sizeof(void *) * 8, 0);	/* size-64 */
	kmem_cache_drain_cpus(desc);
	kmem_cache_shrink(desc);

	v = kmalloc(4096 * sizeof(void *), GFP_KERNEL);
	for (;;) {
		kmem_cache_drain_cpus(desc);
		di = info_of(desc);
		if (di.free_slabs == 0 && di.partial_slabs == 0)
			break;
		ck_assert_uint_lt(n, 4096);
		v[n] = kmem_cache_alloc(desc, GFP_KERNEL);
		ck_assert_ptr_nonnull(v[n]);
		n++;
	}
	bi = info_of(big);
	before = free_frames();
	pages = kmem_cache_total_pages();

	ck_assert_int_eq(zone_fault_set(ZONE_DMA, 0, 1), 0);
	ck_assert_int_eq(zone_fault_set(ZONE_NORMAL, 2, 0), 0);
	ck_assert_ptr_null(kmem_cache_alloc(big, GFP_ATOMIC));
	ck_assert_uint_eq(zone_fault_count(ZONE_NORMAL), 1);
	zone_fault_clear_all();

	ck_assert_uint_eq(free_frames(), before);
	ck_assert_uint_eq(kmem_cache_total_pages(), pages);
	ck_assert_uint_eq(info_of(big).num_slabs, 0);
	ck_assert_uint_eq(info_of(big).grown, bi.grown);
	ck_assert_uint_eq(info_of(big).errors, bi.errors + 1);
	while (n--)
		kmem_cache_free(desc, v[n]);
	kfree(v);
	kmem_cache_free(big, kmem_cache_alloc(big, GFP_KERNEL));
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

static Suite *slab_suite(void)
{
	Suite *s = suite_create("slab");
	TCase *tc = tcase_create("caches");
	TCase *dbg = tcase_create("debug");
	TCase *mt = tcase_create("threads");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_args);
	tcase_add_test(tc, test_alignment);
	tcase_add_test(tc, test_off_slab);
	tcase_add_test(tc, test_colour);
	tcase_add_test(tc, test_ctor_once);
	tcase_add_test(tc, test_shrink);
	tcase_add_test(tc, test_shrink_keeps_used);
	tcase_add_test(tc, test_destroy_busy);
	tcase_add_test(tc, test_kmalloc_sizes);
	tcase_add_test(tc, test_kmalloc_dma);
	tcase_add_test(tc, test_reap);
	tcase_add_test(tc, test_slabinfo);
	tcase_add_test(tc, test_alloc_failure);
	tcase_add_test(tc, test_grow_unwind);
	suite_add_tcase(s, tc);

	tcase_set_timeout(dbg, 60);
	tcase_add_test(dbg, test_redzone_overrun);
	tcase_add_test(dbg, test_redzone_underrun);
	tcase_add_test(dbg, test_redzone_double_free);
	tcase_add_test(dbg, test_plain_double_free);
	tcase_add_test(dbg, test_poison_use_after_free);
	tcase_add_test(dbg, test_debug_clean_use);
	tcase_add_test(dbg, test_wrong_cache);
	tcase_add_test(dbg, test_misaligned_free);
	tcase_add_test(dbg, test_kfree_not_slab);
	tcase_add_test(dbg, test_debug_switch);
	suite_add_tcase(s, dbg);

	tcase_set_timeout(mt, 300);
	tcase_add_test(mt, test_threads);
	tcase_add_test(mt, test_thread_exit_drains);
	tcase_add_test(mt, test_threads_cross_free);
	tcase_add_test(mt, test_thread_churn);
	suite_add_tcase(s, mt);
	return s;
}

VM_TEST_MAIN(slab_suite)
