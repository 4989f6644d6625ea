/* acctwork: the account worker: hashing and the store, off the loop. */
#ifndef LOBBY_ACCTWORK_H
#define LOBBY_ACCTWORK_H

#include "accounts.h"
#include "acctstore.h"
#include "loop.h"

struct room;
struct acctwork;

/*
 * One thread (the model: Redis's bio.c) takes jobs from a queue, does
 * what is slow (argon2id hashing with libsodium's interactive limits,
 * the store's calls) and sends each finished job back down a pipe that
 * the loop watches; the loop then calls accounts_done() on it. The loop
 * never waits for the thread: handing a job over takes a mutex held
 * only while a pointer is linked.
 *
 * Start: the store (taken over), the accounts and room the answers go
 * to, the loop that watches the pipe. Returns NULL with the reason in
 * err. acctwork_submit() is an accounts submit() hook.
 */
struct acctwork	*acctwork_start(struct acct_store *st, struct accounts *acc,
		    struct room *r, struct loop *l, char *err, size_t errlen);

/* The submit() hook (arg is the worker): 0, or -1 when stopping. */
int	acctwork_submit(void *arg, struct acct_job *j);

/*
 * Stop the thread (after the job it is on), free the jobs still queued
 * or answered, close the pipe and the store. NULL is fine.
 */
void	acctwork_stop(struct acctwork *w);

/*
 * What a sync job j does, on store st (the thread's; a test's): reads
 * every key and ban into j, lifts the bans left pointing back to a
 * nick's that is gone (but those named in j->keep), sets j->status.
 */
void	acctwork_sync(struct acct_store *st, struct acct_job *j);

/* Whether libsodium is usable (sodium_init() at start): 0 or -1. */
int	acctwork_init_crypto(void);

#endif /* LOBBY_ACCTWORK_H */
