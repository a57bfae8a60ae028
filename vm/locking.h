/*
 * vm/locking.h - the lock order of imgfs, in one place.
 *
 * A thread may take a lock only if it holds no lock that comes later in
 * this list.  Sleeping (waiting on a wait queue, I/O) is allowed only with
 * the locks marked [sleep] held, or none.
 *
 *   fs:       inode i_sem [sleep]
 *             -> page lock (PG_locked) [sleep]
 *             -> buffer lock [sleep]
 *   vm:       cache_chain_sem [sleep]            (vm/slab.c: list of caches)
 *             -> pagecache_lock                 (vm/filemap.c)
 *             -> pagemap_lru_lock               (vm/swap.c)
 *             -> per-slot slab array lock       (vm/slab_cpucache.c: drainers;
 *                                                the owner thread takes none)
 *             -> cachep->spinlock               (vm/slab.c)
 *             -> per-slot pageset lock          (vm/page_alloc.c: hot/cold lists)
 *             -> zone->lock                     (vm/page_alloc.c: free_area)
 *   highmem:  kmap_lock [sleeps only by dropping itself, waiting for a slot]
 *             emergency_lock                     (vm/bounce.c)
 *   smp:      cpu_slot_lock                      (vm/smp.c: claim/release)
 *   stats:    none: counters are per-slot atomics
 *
 * The allocator takes per-slot pageset and zone locks and nothing else, so
 * it may be called with any of the locks above it held - but then only
 * with gfp flags that forbid re-entering the holder's layer: GFP_NOFS under
 * fs locks, GFP_NOIO on the I/O path, GFP_ATOMIC where sleeping is not
 * allowed.  kmap() may sleep and so is never called under the vm locks;
 * kmap_atomic() never sleeps and may be.
 *
 * Debug asserts: every function whose name starts with "__" and whose
 * header says "caller holds X" checks it with assert_spin_locked().
 */
#ifndef IMGFS_VM_LOCKING_H
#define IMGFS_VM_LOCKING_H
#endif
