/*
 * vm/compiler.h - the kernel idioms the VM code is written in.
 *
 * BUG() and VM_BUG_ON() stay on in every build: a broken invariant in an
 * allocator is never survivable, and the tests depend on them firing.
 * They print the function and line before aborting so a failure names
 * itself (xv6's panic, Linux's BUG).
 */
#ifndef IMGFS_VM_COMPILER_H
#define IMGFS_VM_COMPILER_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define __cacheline_aligned	__attribute__((aligned(64)))
#define L1_CACHE_BYTES		64

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

void vm_bug(const char *file, int line, const char *func, const char *cond)
	__attribute__((noreturn, cold));

#define BUG()		vm_bug(__FILE__, __LINE__, __func__, "BUG")
#define VM_BUG_ON(c)	do { if (unlikely(c)) vm_bug(__FILE__, __LINE__, __func__, #c); } while (0)

/* Log lines for the operator: one line, prefixed, to stderr. */
void vm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif
