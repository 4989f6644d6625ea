/* acctwork: the account worker: hashing and the store, off the loop. */
#include "acctwork.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net.h"
#include "room.h"

struct acctwork {
	struct acct_store *st;		/* the store: the thread's alone once
					   started */
	struct accounts	*acc;		/* answers go to accounts_done() */
	struct room	*room;		/* with this room */
	struct loop	*loop;		/* watches pipe[0] */
	pthread_t	 thread;	/* the worker */
	bool		 started;	/* thread is running */
	pthread_mutex_t	 mu;		/* guards head, tail, stop */
	pthread_cond_t	 cv;		/* signalled when a job or stop comes */
	struct acct_job	*head;		/* jobs to do, oldest first */
	struct acct_job	*tail;		/* the newest */
	bool		 stop;		/* the thread must end */
	int		 pipe[2];	/* thread -> loop: finished jobs */
	char		 dummy[crypto_pwhash_STRBYTES]; /* a hash to check
					   unknown nicks against: the same
					   time as a wrong password */
	bool		 dummy_made;	/* dummy was tried (by the first
					   /login) */
};

/* ---------------------------------------------------------------------
 * The thread
 * ------------------------------------------------------------------- */

/* Note that the store st failed on j. */
static void
work_store_failed(struct acct_store *st, struct acct_job *j)
{
	j->status = ACCT_ERROR;
	snprintf(j->err, sizeof j->err, "%s", st->err);
}

static void
work_register(struct acctwork *w, struct acct_job *j)
{
	char hash[crypto_pwhash_STRBYTES], target[ACCT_TARGET_MAX];
	int rc;

	/* A banned account's nick is not registered again, as its login
	 * is refused: the store says, whatever this instance has read. */
	snprintf(target, sizeof target, "n:%s", j->key);
	if ((rc = w->st->ops->ban_get(w->st, target, j->now, &j->ban)) != 0) {
		sodium_memzero(j->pass, sizeof j->pass);
		if (rc == -1)
			work_store_failed(w->st, j);
		else
			j->status = ACCT_BANNED;
		return;
	}
	rc = crypto_pwhash_str(hash, j->pass, j->passlen,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	sodium_memzero(j->pass, sizeof j->pass);
	if (rc != 0) {
		j->status = ACCT_ERROR;
		snprintf(j->err, sizeof j->err, "hashing: out of memory");
		return;
	}
	rc = w->st->ops->add(w->st, j->key, j->nick, hash);
	if (rc == -1)
		work_store_failed(w->st, j);
	else
		j->status = rc == 0 ? ACCT_OK : ACCT_NO;
}

/*
 * The hash unknown nicks are checked against, made by the first /login,
 * whatever its nick: made at the start, its 64 MiB would be every
 * lobbyd's peak of memory, with or without a login ever. The first login
 * pays one hash more, known nick or not, so its time says nothing of
 * which it was.
 */
static void
work_dummy(struct acctwork *w)
{
	char pass[16];

	if (w->dummy_made)
		return;
	w->dummy_made = true;
	randombytes_buf(pass, sizeof pass);
	if (crypto_pwhash_str(w->dummy, pass, sizeof pass,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		w->dummy[0] = '\0';
	sodium_memzero(pass, sizeof pass);
}

static void
work_login(struct acctwork *w, struct acct_job *j)
{
	char hash[ACCT_HASH_MAX], target[ACCT_TARGET_MAX];
	int rc, ok;

	work_dummy(w);
	rc = w->st->ops->get(w->st, j->key, j->found, hash);
	if (rc == -1) {
		sodium_memzero(j->pass, sizeof j->pass);
		work_store_failed(w->st, j);
		return;
	}
	/* An unknown nick costs the same hash as a wrong password. */
	ok = crypto_pwhash_str_verify(rc == 1 ? hash : w->dummy, j->pass,
	    j->passlen) == 0 && rc == 1;
	sodium_memzero(j->pass, sizeof j->pass);
	if (!ok) {
		j->status = ACCT_NO;
		return;
	}
	snprintf(target, sizeof target, "n:%s", j->key);
	rc = w->st->ops->ban_get(w->st, target, j->now, &j->ban);
	if (rc == -1)
		work_store_failed(w->st, j);
	else
		j->status = rc == 1 ? ACCT_BANNED : ACCT_OK;
}

/* Collect keys and bans for a sync job. */
static void
work_sync_key(void *arg, const char *key)
{
	struct acct_job *j = arg;
	void *p;

	if ((p = realloc(j->keys, (j->nkeys + 1) * sizeof j->keys[0])) == NULL)
		return;
	j->keys = p;
	snprintf(j->keys[j->nkeys++], sizeof j->keys[0], "%s", key);
}

static void
work_sync_ban(void *arg, const struct acct_ban *b)
{
	struct acct_job *j = arg;
	void *p;

	if ((p = realloc(j->bans, (j->nbans + 1) * sizeof j->bans[0])) == NULL)
		return;
	j->bans = p;
	j->bans[j->nbans++] = *b;
}

/* Whether j->bans holds a ban on target. */
static bool
work_has_ban(const struct acct_job *j, const char *target)
{
	size_t i;

	for (i = 0; i < j->nbans; i++)
		if (strcmp(j->bans[i].target, target) == 0)
			return true;
	return false;
}

/* Whether j->keep names target. */
static bool
work_kept(const struct acct_job *j, const char *target)
{
	size_t i;

	for (i = 0; i < j->nkeep; i++)
		if (strcmp(j->keep[i], target) == 0)
			return true;
	return false;
}

/*
 * Read the registered nicks and the bans. A ban made with a nick's (its
 * also: the member's address, or the account it was logged in to) goes
 * with it: one whose nick ban is gone, lifted before the instance holding
 * the member had stored it (with --redis the two are written by two
 * instances), is lifted here; not one whose nick's ban is in j->keep,
 * come here as an act, which its operator's instance may not have stored
 * yet.
 */
void
acctwork_sync(struct acct_store *st, struct acct_job *j)
{
	size_t i = 0;

	if (st->ops->keys(st, work_sync_key, j) == -1 ||
	    st->ops->ban_list(st, j->now, work_sync_ban, j) == -1) {
		work_store_failed(st, j);
		return;
	}
	j->status = ACCT_OK;
	while (i < j->nbans) {
		if (strncmp(j->bans[i].also, "n:", 2) != 0 ||
		    work_has_ban(j, j->bans[i].also) ||
		    work_kept(j, j->bans[i].also)) {
			i++;
			continue;
		}
		if (st->ops->ban_del(st, j->bans[i].target) == -1) {
			work_store_failed(st, j);
			return;
		}
		memmove(&j->bans[i], &j->bans[i + 1],
		    (j->nbans - i - 1) * sizeof j->bans[0]);
		j->nbans--;
	}
}

/* ban_list()'s callback: keep in j->bans the bans that go with j's
 * target: those that point back to it (a nick's ban: its member's address
 * and account), and the other spellings of it (an address's,
 * "::ffff:1.2.3.4" for "1.2.3.4"). */
static void
work_linked_ban(void *arg, const struct acct_ban *b)
{
	struct acct_job *j = arg;
	char addr[INET6_ADDRSTRLEN];

	if (strncmp(b->target, "n:", 2) == 0) {
		if (strncmp(j->ban.target, "n:", 2) == 0 &&
		    strcmp(b->also, j->ban.target) == 0 &&
		    strcmp(b->target, j->ban.target) != 0)
			work_sync_ban(j, b);
		return;
	}
	if (strncmp(b->target, "a:", 2) != 0)
		return;
	if (strcmp(b->also, j->ban.target) == 0 ||
	    (strncmp(j->ban.target, "a:", 2) == 0 &&
	    strcmp(b->target, j->ban.target) != 0 &&
	    net_host_canon(b->target + 2, addr, sizeof addr) == 0 &&
	    strcmp(addr, j->ban.target + 2) == 0))
		work_sync_ban(j, b);
}

/*
 * Lift the ban on j's target (an address in its canonical text); an
 * account's takes with it the address bans that point back to it (with
 * --redis, the instance that held the banned member banned its address
 * itself), an address's any ban stored under another spelling of it (by
 * hand, or by an older version), found here in the store whatever the
 * asking instance has read of it yet.
 */
static void
work_unban(struct acctwork *w, struct acct_job *j)
{
	size_t i;
	int rc;

	if ((rc = w->st->ops->ban_del(w->st, j->ban.target)) == -1) {
		work_store_failed(w->st, j);
		return;
	}
	j->status = rc == 1 ? ACCT_OK : ACCT_NO;
	if (w->st->ops->ban_list(w->st, j->now, work_linked_ban, j) == -1) {
		work_store_failed(w->st, j);
		return;
	}
	for (i = 0; i < j->nbans; i++)
		if (w->st->ops->ban_del(w->st, j->bans[i].target) == -1) {
			work_store_failed(w->st, j);
			return;
		}
}

/* ban_list()'s callback: keep in j->bans the bans that point back to j's
 * ban (a nick's) and end otherwise than it. */
static void
work_retimed_ban(void *arg, const struct acct_ban *b)
{
	struct acct_job *j = arg;

	if (strcmp(b->also, j->ban.target) == 0 &&
	    strcmp(b->target, j->ban.target) != 0 &&
	    b->until != j->ban.until)
		work_sync_ban(j, b);
}

/*
 * Store j's ban. A nick's set by an operator (retime) takes the bans
 * lifted with it (its member's address, the account a renamed member was
 * logged in to) to its end: found here in the store, whichever instance
 * stored them. Only their end changes: they are still the bans made
 * with the first (listed where they were, after a restart too).
 */
static void
work_ban(struct acctwork *w, struct acct_job *j)
{
	size_t i;

	if (w->st->ops->ban_put(w->st, &j->ban) == -1) {
		work_store_failed(w->st, j);
		return;
	}
	if (!j->retime)
		return;
	if (w->st->ops->ban_list(w->st, j->now, work_retimed_ban, j) == -1) {
		work_store_failed(w->st, j);
		return;
	}
	for (i = 0; i < j->nbans; i++)
		if (w->st->ops->ban_retime(w->st, j->bans[i].target,
		    j->ban.until) == -1) {
			work_store_failed(w->st, j);
			return;
		}
}

/* Do job j. */
static void
work_do(struct acctwork *w, struct acct_job *j)
{
	switch (j->kind) {
	case ACCT_JOB_REGISTER:
		work_register(w, j);
		break;
	case ACCT_JOB_LOGIN:
		work_login(w, j);
		break;
	case ACCT_JOB_BAN:
		work_ban(w, j);
		break;
	case ACCT_JOB_UNBAN:
		work_unban(w, j);
		break;
	case ACCT_JOB_SYNC:
		acctwork_sync(w->st, j);
		break;
	}
}

/* Send j back to the loop: a pointer down the pipe, whole. */
static void
work_answer(struct acctwork *w, struct acct_job *j)
{
	ssize_t n;

	do
		n = write(w->pipe[1], &j, sizeof j);
	while (n == -1 && errno == EINTR);
	/* The pipe holds far more pointers than jobs can be pending. */
}

static void *
work_main(void *arg)
{
	struct acctwork *w = arg;
	struct acct_job *j;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		j = w->head;
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		j->next = NULL;
		work_do(w, j);
		work_answer(w, j);
	}
}

/* ---------------------------------------------------------------------
 * The loop's side
 * ------------------------------------------------------------------- */

/* The pipe is readable: hand each finished job to accounts_done(). */
static void
work_read(struct loop *l, int fd, int mask, void *arg)
{
	struct acctwork *w = arg;
	struct acct_job *jobs[64];
	ssize_t n, i;

	(void)l;
	(void)mask;
	while ((n = read(fd, jobs, sizeof jobs)) > 0) {
		/* Pointers are written whole (PIPE_BUF) and read whole. */
		for (i = 0; i < n / (ssize_t)sizeof jobs[0]; i++) {
			if (jobs[i]->err[0] != '\0')
				room_log(w->room, "accounts: %s", jobs[i]->err);
			accounts_done(w->acc, w->room, jobs[i]);
		}
		if ((size_t)n < sizeof jobs)
			break;
	}
}

int
acctwork_submit(void *arg, struct acct_job *j)
{
	struct acctwork *w = arg;

	pthread_mutex_lock(&w->mu);
	if (w->stop) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	j->next = NULL;
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
acctwork_init_crypto(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

struct acctwork *
acctwork_start(struct acct_store *st, struct accounts *acc, struct room *r,
    struct loop *l, char *err, size_t errlen)
{
	struct acctwork *w;

	if ((w = calloc(1, sizeof *w)) == NULL) {
		snprintf(err, errlen, "out of memory");
		st->ops->free(st);
		return NULL;
	}
	w->st = st;
	w->acc = acc;
	w->room = r;
	w->loop = l;
	w->pipe[0] = w->pipe[1] = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pipe(w->pipe) == -1 || net_nonblock(w->pipe[0]) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (loop_add(l, w->pipe[0], LOOP_READ, work_read, w) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, work_main, w) != 0) {
		snprintf(err, errlen, "cannot start the worker thread");
		loop_del(l, w->pipe[0], LOOP_READ);
		goto fail;
	}
	w->started = true;
	return w;
fail:
	acctwork_stop(w);
	return NULL;
}

void
acctwork_stop(struct acctwork *w)
{
	struct acct_job *j, *next;
	struct acct_job *jobs[64];
	ssize_t n, i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thread, NULL);
	for (j = w->head; j != NULL; j = next) {
		next = j->next;
		sodium_memzero(j->pass, sizeof j->pass);
		free(j->bans);
		free(j->keys);
		free(j->keep);
		free(j);
	}
	if (w->pipe[0] != -1) {
		loop_del(w->loop, w->pipe[0], LOOP_READ);
		/* Answered, not yet read: freed unread. */
		while ((n = read(w->pipe[0], jobs, sizeof jobs)) > 0)
			for (i = 0; i < n / (ssize_t)sizeof jobs[0]; i++) {
				sodium_memzero(jobs[i]->pass,
				    sizeof jobs[i]->pass);
				free(jobs[i]->bans);
				free(jobs[i]->keys);
				free(jobs[i]->keep);
				free(jobs[i]);
			}
		close(w->pipe[0]);
	}
	if (w->pipe[1] != -1)
		close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	if (w->st != NULL)
		w->st->ops->free(w->st);
	sodium_memzero(w->dummy, sizeof w->dummy);
	free(w);
}
