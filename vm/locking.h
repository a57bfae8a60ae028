/*
 * vm/locking.h - the lock order of imgfs, in one place.
 *
 * A thread may take a lock only if it holds no lock that comes later in
 * this list.  Sleeping (waiting on a wait queue, I/O) is allowed only with
 * the locks marked [sleep] held, or none.
 *
 *   fs:       sb_writeback_sem [sleep]           (fs/fs_writeback.c: the flusher's
 *                                                pass over super blocks; it then
 *                                                takes one i_sem at a time, and
 *                                                page locks with none held)
 *             -> registry_lock [sleep]           (fs/block_dev.c: attach/detach)
 *             -> inode i_sem [sleep]             (ext2: s_rename_lock [sleep] first
 *                                                for a cross-directory rename;
 *                                                directories ancestor first, then
 *                                                the inodes they name by address)
 *             -> page lock (PG_locked) [sleep]   (vm/page_lock.c; trylock only
 *                                                under the spinlocks below)
 *             -> ext2 s_xattr_lock [sleep]       (fs/ext2/xattr.c: shared blocks)
 *             -> ext2 i_meta [sleep]             (fs/ext2: block map, i_blocks)
 *             -> ext2 group lock [sleep]         (fs/ext2: bitmaps, descriptor)
 *             -> buffer lock [sleep]
 *             -> page_io_lock                    (fs/block_page.c: a page's
 *                                                buffer completions; under it
 *                                                only unlock_buffer's wake-up)
 *             ext2 s_lock                        (fs/ext2 super block counters: leaf)
 *             inode_lock                         (fs/inode.c hash and lists; only
 *                                                pagecache_lock under it, to prune)
 *   vm:       cache_chain_sem [sleep]            (vm/slab.c: list of caches)
 *             -> pagecache_lock                 (vm/filemap.c; also mappings'
 *                                                dirty lists, vm/writeback.c)
 *             -> bh_hash_lock                   (fs/buffer.c: taken under
 *                                                pagecache_lock by invalidate's
 *                                                try_to_free_buffers; leaf)
 *             -> pagemap_lru_lock               (vm/swap.c)
 *             -> per-slot slab array lock       (vm/slab_cpucache.c: drainers;
 *                                                the owner thread takes none)
 *             -> cachep->spinlock               (vm/slab.c)
 *             -> per-slot pageset lock          (vm/page_alloc.c: hot/cold lists)
 *             -> zone->lock                     (vm/page_alloc.c: free_area)
 *   blockdev: flush_sem [sleep]                  (blockdev/blkdev.c: one flush at a time)
 *             -> queue_lock                      (blockdev/ll_rw_blk.c: requests,
 *                                                in-flight counts, flush epochs)
 *             -> fault_lock                      (blockdev/fault.c: leaf)
 *             buffer wait buckets                (blockdev/buffer_lock.c: leaves)
 *             No blockdev lock is held across b_end_io, create_bounce() or
 *             io_submit; the I/O path allocates nothing (requests are
 *             preallocated at open) except bounce pages with GFP_NOHIGHIO.
 *   highmem:  kmap_lock [sleeps only by dropping itself, waiting for a slot]
 *             emergency_lock                     (vm/bounce.c)
 *   smp:      cpu_slot_lock                      (vm/smp.c: claim/release)
 *   waits:    page wait-table bucket locks       (vm/page_lock.c)
 *             wb_lock                            (vm/page_dirty.c: writeback
 *                                                completion waiters)
 *             kswapd_lock, flusher_lock          (vm/vmscan.c, vm/writeback.c)
 *             all leaves: taken to sleep or wake, with nothing else taken
 *             under them; a waker may hold any of the locks above.
 *   reclaim:  runs from the allocator holding nothing but what its caller
 *             held (hence the gfp rules below); it takes pagemap_lru_lock,
 *             drops it around each page, trylocks the page, then takes
 *             pagecache_lock alone.  I/O completions take pagecache_lock
 *             -> pagemap_lru_lock (end_page_writeback) holding nothing.
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
