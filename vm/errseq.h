/*
 * vm/errseq.h - an error that every observer sees once (Linux 4.13's
 * lib/errseq.c, written for imgfs).
 *
 * An errseq_t holds the last error set on an object (the -errno in the
 * low ERRSEQ_SHIFT bits), a "seen" flag and a counter above them that
 * moves on whenever a new error is set after the previous one was seen.
 * An observer keeps a sample (taken when it starts watching, e.g. at
 * open) and asks whether an error was set since; reporting advances its
 * sample, so each observer gets each error once, and an observer that
 * starts after an error was seen by someone does not get it at all.  An
 * error nobody has seen yet is still reported to the next observer that
 * samples, so that it reaches someone.
 *
 * Locking: none; every access is an atomic operation on the word.
 */
#ifndef IMGFS_VM_ERRSEQ_H
#define IMGFS_VM_ERRSEQ_H

typedef unsigned int errseq_t;

/* Record -errno err (0 is ignored).  Returns the new value. */
errseq_t errseq_set(errseq_t *eseq, int err);

/* The sample a new observer starts from: the current value if its error
 * was seen, else 0 (the unseen error is still reported to it). */
errseq_t errseq_sample(errseq_t *eseq);

/* -errno if an error was set since the sample, else 0.  Does not mark it
 * seen. */
int errseq_check(errseq_t *eseq, errseq_t since);

/* As errseq_check, and if there was an error, mark it seen and move
 * *since to it: the observer gets it once. */
int errseq_check_and_advance(errseq_t *eseq, errseq_t *since);

#endif
