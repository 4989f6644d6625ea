/* credis: the cluster's I/O side: the room on Redis Streams, through hiredis. */
#include "credis.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>

#include "cluster_lua.h"
#include "log.h"
#include "ltime.h"
#include "proto.h"
#include "redisloop.h"
#include "room.h"

#define CREDIS_TICK_MS		250	/* how often timeouts are checked */
#define CREDIS_CONNECT_MS	3000	/* a connection attempt's bound */
#define CREDIS_BACKOFF_MIN_MS	100	/* first retry after a loss */
#define CREDIS_BACKOFF_MAX_MS	5000	/* retries never further apart */
#define CREDIS_HEARTBEAT_MS	2000	/* instance heartbeat refresh */
#define CREDIS_TTL_TEXT		"10000"	/* the heartbeat key's lifetime, ms
					   (a script argument) */
#define CREDIS_REAP_MS		3000	/* how often dead instances are sought */
#define CREDIS_STALL_MS		15000	/* a heartbeat unanswered this long
					   means the link is dead */
#define CREDIS_PAUSE_MS		3000	/* the loop did not run this long: the
					   process was paused (SIGSTOP, a VM
					   pause), and may have been taken out
					   as lost meanwhile */
#define CREDIS_RECOVER_MS	10000	/* after the room's data was found
					   lost, newcomers wait this long */
#define CREDIS_RECOVER_TEXT	"10000"	/* the same, for script arguments */
#define CREDIS_READ_COUNT	1000	/* most entries per XREAD */
#define CREDIS_MAXLEN_MIN	1000	/* stream trimmed to at least this */
#define CREDIS_NKEYS		16	/* keys every script is given */
#define CREDIS_NKEYS_TEXT	"16"	/* the same, for EVALSHA */
#define CREDIS_NARGS		4	/* arguments every script is given */

/*
 * Every change to the room is one call of the script in cluster.lua
 * (embedded at build time: cluster_lua.h), so that presence, nicks and the
 * stream change together, atomically.
 */

/* Where the link is. */
enum credis_state {
	CREDIS_DOWN,		/* no connection; retrying at next_try */
	CREDIS_CONNECTING,	/* connecting and loading scripts, state */
	CREDIS_UP,		/* serving the room */
};

struct credis {
	struct loop	*loop;		/* lobbyd's loop */
	struct cluster	*cl;		/* the pure side */
	struct credis_config cfg;	/* what we were told */
	char		 host[64]; /* resolved numeric address */
	char		 keys[CREDIS_NKEYS][CLUSTER_ROOM_MAX + 48]; /* KEYS:
					   the room's, and our heartbeat's */
	char		 hbprefix[CLUSTER_ROOM_MAX + 24]; /* heartbeat keys */
	char		 maxlen[24];	/* the stream's MAXLEN, as text */
	char		 name[CLUSTER_ROOM_MAX + 48]; /* CLIENT SETNAME */
	char		 sha[48];	/* the script's SHA1, once loaded */
	char		 epoch[CLUSTER_INST_LEN + 1]; /* the room's epoch */
	char		 link[CLUSTER_INST_LEN + 1]; /* this link's token, fresh
					   at each connection: commands left
					   in a link given up do nothing */
	redisAsyncContext *cmd;		/* command connection, or NULL */
	redisAsyncContext *rd;		/* stream reader, or NULL */
	long long	 rdid;		/* the reader's CLIENT ID, or 0 */
	bool		 reading;	/* an XREAD is awaited on rd */
	bool		 stale;		/* ... for rooms no longer the ones read:
					   it is being unblocked */
	enum credis_state state;	/* see above */
	bool		 started;	/* the first start is done */
	bool		 served;	/* the members were served once */
	bool		 stopping;	/* shutting down: bye sent */
	bool		 closing;	/* being freed: callbacks do nothing */
	bool		 syncing;	/* a sync's answer is awaited */
	bool		 missed;	/* ... to serve again, entries having
					   been trimmed away meanwhile */
	bool		 probing;	/* the link's first read is out, not
					   blocking: the members are told the
					   link is back once Redis took it */
	unsigned	 outstanding;	/* command replies awaited */
	int		 timer;		/* the tick timer */
	int64_t		 deadline;	/* when connecting gives up */
	int64_t		 next_try;	/* when to reconnect */
	int64_t		 backoff;	/* the next wait after a failure */
	int64_t		 next_hb;	/* next heartbeat refresh */
	int64_t		 next_reap;	/* next search for dead instances */
	int64_t		 hb_sent;	/* an unanswered heartbeat's time, or 0 */
	int64_t		 last_run;	/* when the loop last ran our code */
	char		 why[256];	/* the last failure */
};

static void	credis_link_lost(struct credis *, const char *);
static void	credis_read_next(struct credis *);
static void	credis_served(struct credis *);
static void	credis_sync(struct credis *, bool);

void
credis_instance_id(char *out)
{
	unsigned char b[CLUSTER_INST_LEN / 2];
	uint64_t x;
	size_t i;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd == -1 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
		/* No urandom: the time and pid, mixed, are still unique. */
		x = (uint64_t)ltime_wall_ms() * 6364136223846793005ULL ^
		    (uint64_t)getpid() * 1442695040888963407ULL;
		for (i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)(x >> (8 * i));
	}
	if (fd != -1)
		close(fd);
	for (i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* ---------------------------------------------------------------------
 * Replies
 * ------------------------------------------------------------------- */

/* Whether a reply is an array of at least n elements. */
static bool
credis_array(const redisReply *r, size_t n)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= n;
}

/*
 * The string of a string or status reply, or NULL. As a C string it ends
 * at a NUL byte inside it, if any: enough for text, which is cleaned
 * anyway; a name is read with credis_name().
 */
static const char *
credis_str(const redisReply *r)
{
	if (r == NULL || (r->type != REDIS_REPLY_STRING &&
	    r->type != REDIS_REPLY_STATUS))
		return NULL;
	return r->str;
}

/*
 * The string of a reply that is a name (a nick, a room's name, a status),
 * or NULL: NULL too for one with a NUL byte inside, which no name holds,
 * and which read up to the NUL would pass for another name.
 */
static const char *
credis_name(const redisReply *r)
{
	const char *s = credis_str(r);

	return s != NULL && strlen(s) == r->len ? s : NULL;
}

/*
 * Parse one stream entry [ID, [field, value, ...]] into e. Returns 0, or
 * -1 when it is not one of ours.
 */
static int
credis_entry(const redisReply *r, struct cluster_entry *e)
{
	const redisReply *f, *v;
	size_t i;

	memset(e, 0, sizeof *e);
	if (!credis_array(r, 2) || credis_str(r->element[0]) == NULL ||
	    r->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	snprintf(e->id, sizeof e->id, "%s", r->element[0]->str);
	/* The id's first part is Redis's wall-clock ms. */
	(void)ltime_stamp((time_t)(strtoll(e->id, NULL, 10) / 1000),
	    e->stamp);
	f = r->element[1];
	for (i = 0; i + 1 < f->elements; i += 2) {
		const char *name = credis_str(f->element[i]);

		v = f->element[i + 1];
		if (name == NULL || credis_str(v) == NULL)
			continue;
		/* Field names are one letter: "" or "ab" is not ours. */
		if (f->element[i]->len != 1)
			return -1;
		/* Every value but the text is read as a C string: one with
		 * a NUL byte inside is not what it would read as. */
		if (name[0] != 'x' && strlen(v->str) != v->len &&
		    e->nul == '\0')
			e->nul = name[0];
		switch (name[0]) {
		case 't':
			/* A kind is one letter too. */
			if (v->len != 1)
				return -1;
			e->kind = (unsigned char)v->str[0];
			break;
		case 'm':
			e->member = v->str;
			break;
		case 'n':
			e->nick = v->str;
			break;
		case 'o':
			e->old = v->str;
			break;
		case 'r':
			e->to = v->str;
			break;
		case 'x':
			e->text = v->str;
			e->textlen = (size_t)v->len;
			break;
		case 'k':
			e->count = strtoul(v->str, NULL, 10);
			break;
		case 'w':
			e->who = v->str;
			break;
		case 'a':
			e->addr = v->str;
			break;
		case 'h':
			e->place = v->str;
			break;
		default:
			break;
		}
	}
	if (e->kind == 0 || e->member == NULL || e->nick == NULL ||
	    (e->kind == CLUSTER_NICK && e->old == NULL) ||
	    (e->kind == CLUSTER_PM && e->to == NULL))
		return -1;
	/* What it says is checked by the room's rules: cluster_apply(). */
	if (e->text == NULL) {
		e->text = "";
		e->textlen = 0;
	}
	return 0;
}

/* The first string of an array reply {status, detail}, or NULL (also
 * when either is not a name: credis_name()). */
static const char *
credis_status(const redisReply *r, const char **detail)
{
	if (!credis_array(r, 2) || credis_name(r->element[0]) == NULL ||
	    credis_name(r->element[1]) == NULL)
		return NULL;
	*detail = r->element[1]->str;
	return r->element[0]->str;
}

/* The state every callback finds: cr, unless it is being torn down. */
static struct credis *
credis_of(const redisAsyncContext *ac)
{
	struct credis *cr = ac->data;

	return cr == NULL || cr->closing ? NULL : cr;
}

/* A command's reply arrived (or never will: r is NULL). */
static struct credis *
credis_done(redisAsyncContext *ac)
{
	struct credis *cr = ac->data;

	if (cr != NULL && ac == cr->cmd && cr->outstanding > 0)
		cr->outstanding--;
	return credis_of(ac);
}

/* An error reply to something we needed: the link is not usable. */
static bool
credis_failed(struct credis *cr, redisAsyncContext *ac, const redisReply *r,
    const char *what)
{
	char why[300];

	if (r == NULL)
		return true;	/* disconnected: already handled */
	if (r->type != REDIS_REPLY_ERROR)
		return false;
	snprintf(why, sizeof why, "%s: %s", what, r->str);
	if (ac == cr->cmd || ac == cr->rd)
		credis_link_lost(cr, why);
	return true;
}

/* ---------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------- */

/*
 * Run the script's op with the extra arguments args[0..n) on the command
 * connection; fn gets the reply with privdata. Every call also carries
 * the stream's MAXLEN, the heartbeat's lifetime and this link's token.
 * Returns 0, or -1 when the link cannot take it.
 */
static int
credis_eval(struct credis *cr, redisCallbackFn *fn, void *privdata,
    const char *op, size_t n, const char **args, const size_t *lens)
{
	enum { FIXED = 3 + CREDIS_NKEYS + CREDIS_NARGS };
	const char *sargv[FIXED + 8], **argv = sargv;
	size_t sargl[FIXED + 8], *argl = sargl, i, k = 0;
	int rc;

	if (cr->cmd == NULL || cr->sha[0] == '\0')
		return -1;
	if (n > 8) {
		argv = malloc((FIXED + n) * sizeof *argv);
		argl = malloc((FIXED + n) * sizeof *argl);
		if (argv == NULL || argl == NULL) {
			free(argv);
			free(argl);
			return -1;
		}
	}
	argv[k] = "EVALSHA", argl[k++] = 7;
	argv[k] = cr->sha, argl[k++] = strlen(cr->sha);
	argv[k] = CREDIS_NKEYS_TEXT, argl[k++] = strlen(CREDIS_NKEYS_TEXT);
	for (i = 0; i < CREDIS_NKEYS; i++)
		argv[k] = cr->keys[i], argl[k++] = strlen(cr->keys[i]);
	argv[k] = op, argl[k++] = strlen(op);
	argv[k] = cr->maxlen, argl[k++] = strlen(cr->maxlen);
	argv[k] = CREDIS_TTL_TEXT, argl[k++] = strlen(CREDIS_TTL_TEXT);
	argv[k] = cr->link, argl[k++] = strlen(cr->link);
	for (i = 0; i < n; i++)
		argv[k] = args[i], argl[k++] = lens != NULL ? lens[i] :
		    strlen(args[i]);
	rc = redisAsyncCommandArgv(cr->cmd, fn, privdata, (int)k, argv,
	    argl) == REDIS_OK ? 0 : -1;
	if (argv != sargv) {
		free(argv);
		free(argl);
	}
	if (rc == 0)
		cr->outstanding++;
	return rc;
}

/* A member's key, "INST:CID". */
static void
credis_key(const struct credis *cr, unsigned cid, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s:%u", cr->cl->inst, cid);
}

/* A reply we only wait for (heartbeats, leaves, reaping, bye). */
static void
credis_on_plain(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);

	(void)privdata;
	if (cr == NULL)
		return;
	(void)credis_failed(cr, ac, reply, "redis");
}

/*
 * Redis answered that this instance is not alive on this link (the
 * others took its members out as lost while it was paused or cut off):
 * register them again, once for a burst of such answers.
 */
static void
credis_not_current(struct credis *cr)
{
	if (cr->syncing || cr->state != CREDIS_UP)
		return;
	log_warn("redis: taken out as lost by the others; registering our "
	    "members again");
	credis_sync(cr, false);
}

/*
 * The heartbeat's answer: this instance is still alive on this link (or
 * was taken out meanwhile), and the room's data is the one we know.
 */
static void
credis_on_beat(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const char *status, *epoch = "";

	(void)privdata;
	if (cr == NULL)
		return;
	cr->hb_sent = 0;
	if (credis_failed(cr, ac, reply, "heartbeat"))
		return;
	if ((status = credis_status(reply, &epoch)) == NULL) {
		credis_link_lost(cr, "unexpected answer to a heartbeat");
		return;
	}
	/* Lost without the link dropping: reconnecting handles it. */
	if (strcmp(epoch, cr->epoch) != 0) {
		credis_link_lost(cr, "the room's data was lost");
		return;
	}
	if (strcmp(status, "lost") == 0)
		credis_not_current(cr);
}

/* The join script's answer: on failure the joiner is turned away. */
static void
credis_on_join(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	const char *status, *detail;

	if (cr == NULL)
		return;
	/* "ok": the join entry follows in the stream. */
	status = credis_status(r, &detail);
	if (status != NULL && strcmp(status, "ok") == 0)
		return;
	/* Refused ("recovering", "lost"), or lost with the link. */
	cluster_refuse(cr->cl, (unsigned)(uintptr_t)privdata);
	if (status == NULL)
		(void)credis_failed(cr, ac, r, "join");
	else if (strcmp(status, "lost") == 0)
		credis_not_current(cr);
}

/* Log an error answer r (if it is one) to member cid's command: the
 * member is told, the operator should know why. */
static void
credis_refused(unsigned cid, const redisReply *r)
{
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warn("redis: a command of client %u refused: %s", cid,
		    r->str);
}

/*
 * The answer to a chat line, /me, an act, /msg, /nick or /topic TEXT:
 * errors go to its sender. No answer (reply NULL: the link was lost with
 * the command on its way) means nobody knows whether it ran: the sender
 * is told just that. An error answer (a key the script writes is of
 * another type) is that command's, not the link's: its sender is told
 * it was not sent, and the link stays, as do the other members (one
 * broken key would otherwise make them all hear of a lost link, again
 * and again). answer: its sender's later lines wait for it
 * (cluster_answer()).
 */
static void
credis_event_done(redisAsyncContext *ac, void *reply, void *privdata,
    bool answer)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	unsigned cid = (unsigned)(uintptr_t)privdata;
	const char *status, *detail = "";
	enum cluster_status st = CLUSTER_UNAVAILABLE;

	if (cr == NULL)
		return;
	status = credis_status(r, &detail);
	credis_refused(cid, r);
	if (r == NULL)
		st = CLUSTER_UNKNOWN;
	else if (status != NULL && strcmp(status, "ok") == 0)
		st = CLUSTER_OK;
	else if (status != NULL && strcmp(status, "taken") == 0)
		st = CLUSTER_TAKEN;
	else if (status != NULL && strcmp(status, "nouser") == 0)
		st = CLUSTER_NOUSER;
	else if (status != NULL && strcmp(status, "recovering") == 0)
		st = CLUSTER_RECOVERING;
	/* "lost": not run; this instance must register its members again
	 * (before the held lines run: they may be sent on). */
	if (status != NULL && strcmp(status, "lost") == 0)
		credis_not_current(cr);
	if (answer)
		cluster_answer(cr->cl, cid, st, detail);
	else
		cluster_status(cr->cl, cid, st, detail);
}

/* The answer to a chat line, /me or an act: nothing waits for it. */
static void
credis_on_event(redisAsyncContext *ac, void *reply, void *privdata)
{
	credis_event_done(ac, reply, privdata, false);
}

/* The answer to /msg, /nick or /topic TEXT: its sender's lines wait. */
static void
credis_on_answer(redisAsyncContext *ac, void *reply, void *privdata)
{
	credis_event_done(ac, reply, privdata, true);
}

/* /who's answer: the nicks in join order; the room checks and words it. */
static void
credis_on_who(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	unsigned cid = (unsigned)(uintptr_t)privdata;
	const char **nicks;
	size_t i;

	if (cr == NULL)
		return;
	credis_refused(cid, r);
	if (!credis_array(r, 0) || (nicks = calloc(r->elements + 1,
	    sizeof *nicks)) == NULL) {
		cluster_who_reply(cr->cl, cid, NULL, 0);
		return;
	}
	for (i = 0; i < r->elements; i++)
		nicks[i] = credis_name(r->element[i]);
	cluster_who_reply(cr->cl, cid, nicks, r->elements);
	free(nicks);
}

/*
 * Whether our code ran lately; called before anything goes out. After a
 * pause of the whole process (SIGSTOP, a VM pause, a stalled host) the
 * others may have taken our members out as lost: they are registered
 * again first, so that what they say next follows their return. Returns
 * whether the link can take a command.
 */
static bool
credis_running(struct credis *cr)
{
	int64_t now = ltime_mono_ms(), gap = now - cr->last_run;

	cr->last_run = now;
	if (cr->state != CREDIS_UP)
		return false;
	if (gap >= CREDIS_PAUSE_MS) {
		log_warn("redis: this process did not run for %lld ms; "
		    "registering our members again", (long long)gap);
		/* The pause was ours, not Redis's silence. */
		if (cr->hb_sent != 0)
			cr->hb_sent += gap;
		credis_sync(cr, false);
	}
	return cr->state == CREDIS_UP;
}

/* cluster_ops: a new connection's join. */
static int
credis_op_join(void *io, unsigned cid)
{
	struct credis *cr = io;
	char key[CLUSTER_KEY_MAX];
	const char *args[1] = { key };

	if (!credis_running(cr))
		return -1;
	credis_key(cr, cid, key, sizeof key);
	return credis_eval(cr, credis_on_join, (void *)(uintptr_t)cid, "join",
	    1, args, NULL);
}

/* cluster_ops: a member left. */
static int
credis_op_leave(void *io, unsigned cid, const char *reason)
{
	struct credis *cr = io;
	char key[CLUSTER_KEY_MAX];
	const char *args[2] = { key, reason != NULL ? reason : "" };
	int rc;

	if (cr->state != CREDIS_UP)
		return -1;
	credis_key(cr, cid, key, sizeof key);
	rc = credis_eval(cr, credis_on_plain, NULL, "leave", 2, args, NULL);
	/* After a pause, the others hear of the leave first: the members'
	 * list sent then no longer holds it, and would take it out without
	 * its reason. */
	(void)credis_running(cr);
	return rc;
}

/*
 * Run op for member cid, answered to fn (credis_on_event or
 * credis_on_answer): the arguments are its key, more[0..n) of lengths
 * mlens, its nick and its room. Returns 0, or -1 when the link cannot
 * take it.
 */
static int
credis_member_op(struct credis *cr, redisCallbackFn *fn, unsigned cid,
    const char *op, size_t n, const char *const *more, const size_t *mlens)
{
	enum { MORE_MAX = 5 };
	char key[CLUSTER_KEY_MAX];
	const char *nick = cluster_nick_of(cr->cl, cid);
	const char *room = cluster_room_of(cr->cl, cid);
	const char *args[MORE_MAX + 3];
	size_t lens[MORE_MAX + 3], i;

	if (n > MORE_MAX || !credis_running(cr))
		return -1;
	credis_key(cr, cid, key, sizeof key);
	args[0] = key;
	lens[0] = strlen(key);
	for (i = 0; i < n; i++) {
		args[1 + i] = more[i];
		lens[1 + i] = mlens[i];
	}
	args[n + 1] = nick;
	lens[n + 1] = strlen(nick);
	args[n + 2] = room;
	lens[n + 2] = strlen(room);
	return credis_eval(cr, fn, (void *)(uintptr_t)cid, op, n + 3, args,
	    lens);
}

/* cluster_ops: a chat line or /me. */
static int
credis_op_say(void *io, unsigned cid, int kind, const char *text,
    size_t len)
{
	struct credis *cr = io;
	const char k[2] = { (char)kind, '\0' };
	/* Whether the line keeps its room: only with a history to hold it. */
	const char *keep = cr->cfg.history > 0 ? "1" : "0";
	const char *more[3] = { k, text, keep };
	const size_t mlens[3] = { 1, len, 1 };

	return credis_member_op(io, credis_on_event, cid, "say", 3, more,
	    mlens);
}

/* cluster_ops: a /msg. */
static int
credis_op_msg(void *io, unsigned cid, const char *to, size_t tolen,
    const char *text, size_t len)
{
	const char *more[2] = { to, text };
	const size_t mlens[2] = { tolen, len };

	return credis_member_op(io, credis_on_answer, cid, "msg", 2, more,
	    mlens);
}

/* cluster_ops: a nick claim. */
static int
credis_op_nick(void *io, unsigned cid, const char *nick, size_t len)
{
	return credis_member_op(io, credis_on_answer, cid, "nick", 1, &nick,
	    &len);
}

/* cluster_ops: /who. */
static int
credis_op_who(void *io, unsigned cid)
{
	struct credis *cr = io;
	char key[CLUSTER_KEY_MAX];
	const char *args[1] = { key };

	if (!credis_running(cr))
		return -1;
	credis_key(cr, cid, key, sizeof key);
	return credis_eval(cr, credis_on_who, (void *)(uintptr_t)cid, "who",
	    1, args, NULL);
}

/*
 * The answer to a /join: {"ok", join entry ID, topic, room name, history
 * entries...}, or {status, detail}.
 */
static void
credis_on_go(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	unsigned cid = (unsigned)(uintptr_t)privdata;
	struct cluster_entry *hist = NULL;
	const char *status, *detail = "", *topic, *name;
	size_t i, n = 0;

	if (cr == NULL)
		return;
	if (r == NULL) {
		cluster_go_reply(cr->cl, cid, CLUSTER_UNKNOWN, "", "", "",
		    NULL, 0);
		return;
	}
	status = credis_status(r, &detail);
	if (status == NULL || strcmp(status, "ok") != 0) {
		if (status != NULL && strcmp(status, "lost") == 0)
			credis_not_current(cr);
		cluster_go_reply(cr->cl, cid, status == NULL ?
		    CLUSTER_UNAVAILABLE : strcmp(status, "toomany") == 0 ?
		    CLUSTER_TOOMANY : strcmp(status, "already") == 0 ?
		    CLUSTER_ALREADY : CLUSTER_UNAVAILABLE, "", "", detail,
		    NULL, 0);
		if (status == NULL)
			(void)credis_failed(cr, ac, r, "go");
		return;
	}
	if (!credis_array(r, 4) || (topic = credis_str(r->element[2])) ==
	    NULL || (name = credis_str(r->element[3])) == NULL ||
	    (r->elements > 4 && (hist = calloc(r->elements - 4,
	    sizeof *hist)) == NULL)) {
		cluster_go_reply(cr->cl, cid, CLUSTER_UNAVAILABLE, "", "", "",
		    NULL, 0);
		return;
	}
	/* A name with a NUL inside is none: cluster_go_reply() says so. */
	if (credis_name(r->element[3]) == NULL)
		name = "";
	for (i = 4; i < r->elements; i++)
		if (credis_entry(r->element[i], &hist[n]) == 0)
			n++;
	cluster_go_reply(cr->cl, cid, CLUSTER_OK, detail, topic, name, hist,
	    n);
	free(hist);
}

/* The answer to /rooms: name, members, name, members... */
static void
credis_on_rooms(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	unsigned cid = (unsigned)(uintptr_t)privdata;
	const char **names;
	unsigned long *counts;
	size_t i, n;

	if (cr == NULL)
		return;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		cluster_rooms_reply(cr->cl, cid, NULL, NULL, 0);
		if (r != NULL)
			(void)credis_failed(cr, ac, r, "rooms");
		return;
	}
	n = r->elements / 2;
	names = calloc(n + 1, sizeof *names);
	counts = calloc(n + 1, sizeof *counts);
	if (names == NULL || counts == NULL) {
		free(names);
		free(counts);
		cluster_rooms_reply(cr->cl, cid, NULL, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *k = credis_str(r->element[2 * i + 1]);

		names[i] = credis_name(r->element[2 * i]);
		counts[i] = k != NULL ? strtoul(k, NULL, 10) : 0;
	}
	cluster_rooms_reply(cr->cl, cid, names, counts, n);
	free(names);
	free(counts);
}

/* cluster_ops: a /join. */
static int
credis_op_go(void *io, unsigned cid, const char *name, size_t len,
    size_t history)
{
	struct credis *cr = io;
	char key[CLUSTER_KEY_MAX], max[24], hist[24];
	const char *nick = cluster_nick_of(cr->cl, cid);
	const char *room = cluster_room_of(cr->cl, cid);
	const char *args[6] = { key, name, nick, room, max, hist };
	size_t lens[6];

	if (!credis_running(cr))
		return -1;
	credis_key(cr, cid, key, sizeof key);
	snprintf(max, sizeof max, "%zu", cr->cfg.max_rooms);
	snprintf(hist, sizeof hist, "%zu", history);
	lens[0] = strlen(key);
	lens[1] = len;
	lens[2] = strlen(nick);
	lens[3] = strlen(room);
	lens[4] = strlen(max);
	lens[5] = strlen(hist);
	return credis_eval(cr, credis_on_go, (void *)(uintptr_t)cid, "go", 6,
	    args, lens);
}

/* cluster_ops: a /topic TEXT. */
static int
credis_op_topic(void *io, unsigned cid, const char *text, size_t len)
{
	return credis_member_op(io, credis_on_answer, cid, "topic", 1, &text,
	    &len);
}

/* cluster_ops: /rooms. */
static int
credis_op_rooms(void *io, unsigned cid)
{
	struct credis *cr = io;

	if (!credis_running(cr))
		return -1;
	return credis_eval(cr, credis_on_rooms, (void *)(uintptr_t)cid,
	    "rooms", 0, NULL, NULL);
}

/* cluster_ops: an operator's act, or a login. */
static int
credis_op_act(void *io, unsigned cid, int kind, const struct acct_act *a)
{
	char k[2] = { (char)kind, '\0' }, mins[24];
	const char *more[5] = { k, a->target, a->reason, mins, a->by_acct };
	size_t mlens[5];

	snprintf(mins, sizeof mins, "%ld", a->minutes);
	mlens[0] = 1;
	mlens[1] = strlen(a->target);
	mlens[2] = a->rlen;
	mlens[3] = strlen(mins);
	mlens[4] = strlen(a->by_acct);
	/* A login is done once its act is answered: it waits for it. */
	return credis_member_op(io, kind == CLUSTER_LOGIN ? credis_on_answer :
	    credis_on_event, cid, "act", 5, more, mlens);
}

/*
 * cluster_ops: what the command link holds. Commands are written when
 * Redis takes them: while it is stalled they pile up in hiredis's output
 * buffer, and the members are no longer read (cluster_backlogged()).
 */
static void
credis_op_backlog(void *io, size_t *bytes, size_t *replies)
{
	const struct credis *cr = io;

	*bytes = cr->cmd != NULL && cr->cmd->c.obuf != NULL ?
	    sdslen(cr->cmd->c.obuf) : 0;
	*replies = cr->cmd != NULL ? cr->outstanding : 0;
}

static const struct cluster_ops credis_ops = {
	credis_op_join,
	credis_op_leave,
	credis_op_say,
	credis_op_msg,
	credis_op_nick,
	credis_op_who,
	credis_op_act,
	credis_op_go,
	credis_op_topic,
	credis_op_rooms,
	credis_op_backlog,
};

/* ---------------------------------------------------------------------
 * Reading the stream
 * ------------------------------------------------------------------- */

/*
 * The stream key of room r: the landing room's is keys[0], another's is
 * that with ":" and the room's name in lower case (one hash tag for all).
 */
static void
credis_stream_key(const struct credis *cr, const struct room *r, char *out,
    size_t outlen)
{
	size_t n, i;

	if (r == cr->cl->room) {
		snprintf(out, outlen, "%s", cr->keys[0]);
		return;
	}
	snprintf(out, outlen, "%s:%s", cr->keys[0], r->name);
	for (i = strlen(cr->keys[0]) + 1, n = strlen(out); i < n; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
}

/* The room read here whose stream is key, or NULL. */
static struct room *
credis_room_of_key(const struct credis *cr, const char *key)
{
	size_t n = strlen(cr->keys[0]);
	struct room *r;

	if (strcmp(key, cr->keys[0]) == 0)
		return cr->cl->room;
	/* Another room's: the landing room's key, ":", its name. */
	if (strncmp(key, cr->keys[0], n) != 0 || key[n] != ':' ||
	    cr->cl->room->reg == NULL ||
	    (r = rooms_find(cr->cl->room->reg, key + n + 1,
	    strlen(key + n + 1))) == NULL || !r->reading)
		return NULL;
	return r;
}

/* A batch of entries from XREAD: apply them in order, then read on. */
static void
credis_on_read(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_of(ac);
	const redisReply *r = reply, *entries;
	struct cluster_entry e;
	struct room *room;
	bool landing_full = false;
	char *pos;
	size_t i, s;

	(void)privdata;
	if (cr == NULL || ac != cr->rd)
		return;
	cr->reading = false;
	if (credis_failed(cr, ac, r, "XREAD"))
		return;
	if (cr->probing)
		credis_served(cr);
	/* One element per stream with entries: [key, entries]. A nil
	 * reply is a read the room set changed under (CLIENT UNBLOCK). */
	for (s = 0; r->type == REDIS_REPLY_ARRAY && s < r->elements; s++) {
		if (!credis_array(r->element[s], 2) ||
		    credis_str(r->element[s]->element[0]) == NULL ||
		    (room = credis_room_of_key(cr,
		    r->element[s]->element[0]->str)) == NULL)
			continue;	/* a room no longer read here */
		entries = r->element[s]->element[1];
		/*
		 * The landing room's stream is named first and holds the acts:
		 * when its batch is full, what the other rooms gave waits for
		 * the next read, so that an act (a login's) is applied before
		 * the leave it made in another room's stream, never after.
		 */
		if (s > 0 && landing_full)
			break;
		landing_full = room == cr->cl->room &&
		    entries->elements >= CREDIS_READ_COUNT;
		for (i = 0; i < entries->elements; i++) {
			if (credis_entry(entries->element[i], &e) == 0) {
				e.room = room;
				cluster_apply(cr->cl, &e);
				/* Applying may have made the room go. */
				if (!room->reading && room != cr->cl->room)
					break;
				continue;
			}
			/* Not ours: passed over, never read again. */
			log_warn("redis: skipping a malformed stream entry %s",
			    e.id[0] != '\0' ? e.id : "without an ID");
			pos = cluster_pos(cr->cl, room);
			if (e.id[0] != '\0' && cluster_id_cmp(e.id, pos) > 0)
				snprintf(pos, ROOM_POS_MAX, "%s", e.id);
		}
	}
	/* Applying may have lost the link (a member's leave failed). */
	if (cr->rd == ac && cr->state == CREDIS_UP && !cr->stopping)
		credis_read_next(cr);
}

/*
 * The reader's CLIENT ID: a read whose set of rooms changed is cut short
 * with CLIENT UNBLOCK from the command connection.
 */
static void
credis_on_rdid(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_of(ac);
	const redisReply *r = reply;

	(void)privdata;
	if (cr != NULL && ac == cr->rd && r != NULL &&
	    r->type == REDIS_REPLY_INTEGER)
		cr->rdid = r->integer;
}

/*
 * CLIENT UNBLOCK's answer: 0 when the reader was not blocked yet (its
 * read was still on its way to Redis): tried again until it was.
 */
static void
credis_on_unblock(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;

	(void)privdata;
	if (cr == NULL || r == NULL)
		return;
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 0 && cr->stale &&
	    cr->reading)
		cr->cl->reread = true;
}

/* Block for the entries after the last one applied, in every room read. */
static void
credis_read_next(struct credis *cr)
{
	char count[16], (*keys)[sizeof cr->keys[0] + PROTO_ROOM_MAX + 2];
	const char **argv;
	struct room *r;
	size_t n = 0, k = 0, i;

	for (r = cluster_next_read(cr->cl, NULL); r != NULL;
	    r = cluster_next_read(cr->cl, r))
		n++;
	keys = calloc(n + 1, sizeof *keys);
	argv = calloc(6 + 2 * n, sizeof *argv);
	if (keys == NULL || argv == NULL) {
		free(keys);
		free(argv);
		credis_link_lost(cr, "out of memory");
		return;
	}
	snprintf(count, sizeof count, "%d", CREDIS_READ_COUNT);
	argv[k++] = "XREAD";
	argv[k++] = "COUNT";
	argv[k++] = count;
	if (!cr->probing) {
		argv[k++] = "BLOCK";
		argv[k++] = "0";
	}
	argv[k++] = "STREAMS";
	for (i = 0, r = cluster_next_read(cr->cl, NULL); r != NULL;
	    r = cluster_next_read(cr->cl, r), i++) {
		credis_stream_key(cr, r, keys[i], sizeof keys[i]);
		argv[k++] = keys[i];
	}
	for (r = cluster_next_read(cr->cl, NULL); r != NULL;
	    r = cluster_next_read(cr->cl, r))
		argv[k++] = cluster_pos(cr->cl, r);
	cr->cl->reread = false;
	cr->stale = false;
	if (redisAsyncCommandArgv(cr->rd, credis_on_read, NULL, (int)k, argv,
	    NULL) != REDIS_OK)
		credis_link_lost(cr, "cannot queue XREAD");
	else
		cr->reading = true;
	free(keys);
	free(argv);
}

/*
 * The link is registered: read the streams from the last entries
 * applied, first without blocking. Redis may refuse that read (a room's
 * stream of the wrong type): the link is then lost again, silently, as
 * when the sync is refused. Serving starts once it is answered
 * (credis_served()).
 */
static void
credis_serve(struct credis *cr, bool missed)
{
	cr->missed = missed;
	cr->probing = true;
	cr->started = true;
	credis_read_next(cr);
}

/*
 * The link's first read was answered: the link works. Serve the members
 * again (told before the entries read are applied), and the next failure
 * is retried from the shortest wait.
 */
static void
credis_served(struct credis *cr)
{
	cr->probing = false;
	cr->backoff = CREDIS_BACKOFF_MIN_MS;
	if (cr->served)
		log_warn("redis: link to %s restored", cr->cfg.addr_text);
	else
		log_info("redis: serving room %s on %s as instance %s",
		    cr->cfg.room, cr->cfg.addr_text, cr->cl->inst);
	cr->served = true;
	cluster_up(cr->cl, cr->missed);
}

/*
 * The link is ready: serve; after a reconnection, once the sync sent
 * before is answered: a link whose sync fails (Redis refuses the script)
 * is not restored, nor does it reset the backoff, else it would be lost
 * and restored again and again without a pause.
 */
static void
credis_ready(struct credis *cr, bool missed)
{
	cr->state = CREDIS_UP;
	cr->next_hb = ltime_mono_ms() + CREDIS_HEARTBEAT_MS;
	cr->next_reap = ltime_mono_ms() + CREDIS_REAP_MS;
	cr->hb_sent = 0;
	cr->last_run = ltime_mono_ms();
	if (cr->syncing)
		cr->missed = missed;
	else
		credis_serve(cr, missed);
}

/* The newest entries, newest first: the history and the start position. */
static void
credis_on_recent(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	struct cluster_entry e;
	size_t i;

	(void)privdata;
	if (cr == NULL || credis_failed(cr, ac, r, "XREVRANGE"))
		return;
	for (i = r->type == REDIS_REPLY_ARRAY ? r->elements : 0; i > 0; i--)
		if (credis_entry(r->element[i - 1], &e) == 0)
			cluster_remember(cr->cl, &e);
	credis_ready(cr, false);
}

/* What the members re-registered after a loss now answer to. */
static void
credis_on_sync(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	size_t i;

	(void)privdata;
	if (cr == NULL)
		return;
	cr->syncing = false;
	if (credis_failed(cr, ac, r, "sync"))
		return;
	if (cr->state == CREDIS_UP && !cr->cl->up && !cr->probing)
		credis_serve(cr, cr->missed);
	for (i = 0; credis_array(r, 0) && i + 1 < r->elements; i += 2) {
		const char *cid = credis_str(r->element[i]);
		const char *nick = credis_str(r->element[i + 1]);

		if (cid != NULL && nick != NULL)
			cluster_renamed(cr->cl,
			    (unsigned)strtoul(cid, NULL, 10), nick);
	}
}

/* The server's first room (the landing room). */
static struct room *
credis_first_room(const struct credis *cr)
{
	return cr->cl->room->reg != NULL ? cr->cl->room->reg->head :
	    cr->cl->room;
}

/* The room after r, or NULL. */
static struct room *
credis_next_room(const struct credis *cr, const struct room *r)
{
	return cr->cl->room->reg != NULL ? r->rnext : NULL;
}

/*
 * Tell Redis who this instance's members are, and that it is alive on
 * this link: those that left while the link was down go (with their
 * reasons), those Redis lost or took out as lost come back (joiners
 * still waiting for their welcome are left as they are); silent when
 * Redis lost the whole room, where nobody saw them go. Sent after a
 * reconnection, and whenever this instance finds it was taken out as
 * lost while it kept its link (it was paused, or its heartbeats stalled).
 */
static void
credis_sync(struct credis *cr, bool silent)
{
	struct cluster_pending *p;
	struct cluster_gone *g;
	struct client *c;
	struct room *r;
	const char **args;
	char (*num)[24], nlive[24], nkeep[24];
	size_t n = 0, k = 0, i, j;

	for (r = credis_first_room(cr); r != NULL; r = credis_next_room(cr, r))
		n += r->count;
	for (p = cr->cl->pending; p != NULL; p = p->next)
		n++;
	for (g = cr->cl->gone; g != NULL; g = g->next)
		n++;
	args = calloc(4 + 3 * n, sizeof *args);
	num = calloc(n + 1, sizeof *num);
	if (args == NULL || num == NULL) {
		free(args);
		free(num);
		credis_link_lost(cr, "out of memory");
		return;
	}
	i = 0;
	for (r = credis_first_room(cr); r != NULL; r = credis_next_room(cr, r))
		for (c = room_first(r); c != NULL && i < n; c = room_next(c),
		    i++) {
			snprintf(num[i], sizeof num[i], "%u", c->id);
			args[4 + k++] = num[i];
			args[4 + k++] = c->nick;
			/* A mover's room is the one its move makes it. */
			args[4 + k++] = (c->flags & CLIENT_WAITING) ? "" :
			    r->name;
		}
	snprintf(nlive, sizeof nlive, "%zu", i);
	/* Newcomers waiting for their welcome (movers are members). */
	for (j = 0, p = cr->cl->pending; p != NULL; p = p->next) {
		if (p->from != NULL)
			continue;
		snprintf(num[i], sizeof num[i], "%u", p->c->id);
		args[4 + k++] = num[i];
		i++;
		j++;
	}
	snprintf(nkeep, sizeof nkeep, "%zu", j);
	for (g = cr->cl->gone; g != NULL; g = g->next, i++) {
		snprintf(num[i], sizeof num[i], "%u", g->cid);
		args[4 + k++] = num[i];
		args[4 + k++] = g->reason != NULL ? g->reason : "";
	}
	args[0] = cr->cl->inst;
	args[1] = silent ? "1" : "0";
	args[2] = nlive;
	args[3] = nkeep;
	if (credis_eval(cr, credis_on_sync, NULL, "sync", 4 + k, args,
	    NULL) == 0) {
		cr->syncing = true;
		cluster_gone_clear(cr->cl);
	} else
		credis_link_lost(cr, "cannot queue the member list");
	free(args);
	free(num);
}

/*
 * hello's answer: the room's epoch and the stream's first entry. A first
 * start reads the history next; a reconnection re-registers the members
 * and reads on from the last entry applied.
 */
static void
credis_on_hello(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	const redisReply *r = reply;
	const char *epoch, *first;
	struct room *room;
	bool lost, missed;
	char count[24];

	(void)privdata;
	if (cr == NULL || credis_failed(cr, ac, r, "hello"))
		return;
	if (!credis_array(r, 3) || (epoch = credis_str(r->element[0])) ==
	    NULL || (first = credis_str(r->element[1])) == NULL ||
	    credis_str(r->element[2]) == NULL) {
		credis_link_lost(cr, "unexpected answer to hello");
		return;
	}
	cluster_topic_is(cr->cl, r->element[2]->str);
	if (!cr->started) {
		snprintf(cr->epoch, sizeof cr->epoch, "%s", epoch);
		snprintf(count, sizeof count, "%s", cr->maxlen);
		if (redisAsyncCommand(cr->cmd, credis_on_recent, NULL,
		    "XREVRANGE %s + - COUNT %s", cr->keys[0], count) !=
		    REDIS_OK) {
			credis_link_lost(cr, "cannot queue XREVRANGE");
			return;
		}
		cr->outstanding++;
		return;
	}
	lost = strcmp(epoch, cr->epoch) != 0;
	missed = false;
	if (lost) {
		/* A new room: every entry in it is new to us. */
		log_warn("redis: the room's data was lost; registering our "
		    "members again");
		snprintf(cr->epoch, sizeof cr->epoch, "%s", epoch);
		cluster_topics_lost(cr->cl);
		for (room = cluster_next_read(cr->cl, NULL); room != NULL;
		    room = cluster_next_read(cr->cl, room))
			snprintf(cluster_pos(cr->cl, room), ROOM_POS_MAX,
			    "0-0");
	} else if (first[0] != '\0' && strcmp(cr->cl->lastid, "0-0") != 0 &&
	    cluster_id_cmp(first, cr->cl->lastid) > 0) {
		/* Our last entry was trimmed away: some after it were too. */
		missed = true;
		log_warn("redis: stream trimmed past entry %s while the link "
		    "was down", cr->cl->lastid);
	}
	credis_sync(cr, lost);
	if (cr->state == CREDIS_CONNECTING)
		credis_ready(cr, missed);
}

/* The script is loaded: say hello (heartbeat, epoch, first entry). */
static void
credis_on_loaded(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct credis *cr = credis_done(ac);
	char epoch[CLUSTER_INST_LEN + 1];
	const char *args[3];

	(void)privdata;
	if (cr == NULL || credis_failed(cr, ac, reply, "SCRIPT LOAD"))
		return;
	if (credis_str(reply) == NULL) {
		credis_link_lost(cr, "unexpected answer to SCRIPT LOAD");
		return;
	}
	snprintf(cr->sha, sizeof cr->sha, "%s", ((redisReply *)reply)->str);
	/* A fresh epoch each time: the room's only changes if Redis lost
	 * it, whoever of us is first to say hello afterwards. The one we
	 * knew tells it that it lost the room (and opens the recovery
	 * window, in which newcomers wait). */
	credis_instance_id(epoch);
	args[0] = cr->started ? cr->epoch : "";
	args[1] = epoch;
	args[2] = CREDIS_RECOVER_TEXT;
	if (credis_eval(cr, credis_on_hello, NULL, "hello", 3, args,
	    NULL) == -1)
		credis_link_lost(cr, "cannot queue hello");
}

/* ---------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------- */

/* hiredis finished connecting ac, or failed to. */
static void
credis_on_connect(const redisAsyncContext *ac, int status)
{
	struct credis *cr = credis_of(ac);
	char why[300];

	if (cr == NULL || status == REDIS_OK)
		return;
	/* hiredis frees ac after this: forget it first. */
	if (ac == cr->cmd)
		cr->cmd = NULL;
	else if (ac == cr->rd)
		cr->rd = NULL;
	else
		return;
	snprintf(why, sizeof why, "%s", ac->errstr);
	credis_link_lost(cr, why);
}

/* ac is gone (hiredis frees it after this). */
static void
credis_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct credis *cr = credis_of(ac);
	char why[300];

	if (cr == NULL)
		return;
	if (ac == cr->cmd)
		cr->cmd = NULL;
	else if (ac == cr->rd)
		cr->rd = NULL;
	else
		return;
	snprintf(why, sizeof why, "%s", status == REDIS_OK ?
	    "connection closed" : ac->errstr[0] != '\0' ? ac->errstr :
	    "connection lost");
	credis_link_lost(cr, why);
}

/* Open one connection, attached to our loop; NULL with why on failure. */
static redisAsyncContext *
credis_open(struct credis *cr, char *why, size_t whylen)
{
	redisAsyncContext *ac;

	if (cr->cfg.addr.is_unix)
		ac = redisAsyncConnectUnix(cr->cfg.addr.path);
	else
		ac = redisAsyncConnect(cr->host, (int)cr->cfg.addr.port);
	if (ac == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (ac->err) {
		snprintf(why, whylen, "%s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	if (redisloop_attach(ac, cr->loop) == -1) {
		snprintf(why, whylen, "%s", errno == ERANGE ? "its socket is "
		    "beyond FD_SETSIZE" : strerror(errno));
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = cr;
	redisAsyncSetConnectCallback(ac, credis_on_connect);
	redisAsyncSetDisconnectCallback(ac, credis_on_disconnect);
	return ac;
}

/* Start connecting both links and loading the script. */
static void
credis_connect(struct credis *cr)
{
	char why[300];

	cr->state = CREDIS_CONNECTING;
	cr->deadline = ltime_mono_ms() + CREDIS_CONNECT_MS;
	cr->sha[0] = '\0';
	cr->outstanding = 0;
	cr->syncing = false;
	cr->probing = false;
	/* Whatever the link given up still holds in Redis is now stale. */
	credis_instance_id(cr->link);
	if ((cr->cmd = credis_open(cr, why, sizeof why)) == NULL ||
	    (cr->rd = credis_open(cr, why, sizeof why)) == NULL) {
		credis_link_lost(cr, why);
		return;
	}
	(void)redisAsyncCommand(cr->cmd, credis_on_plain, NULL,
	    "CLIENT SETNAME %s", cr->name);
	(void)redisAsyncCommand(cr->rd, NULL, NULL, "CLIENT SETNAME %s",
	    cr->name);
	cr->rdid = 0;
	cr->reading = false;
	(void)redisAsyncCommand(cr->rd, credis_on_rdid, NULL, "CLIENT ID");
	cr->outstanding++;
	if (redisAsyncCommand(cr->cmd, credis_on_loaded, NULL,
	    "SCRIPT LOAD %b", cluster_lua, cluster_lua_len) != REDIS_OK) {
		credis_link_lost(cr, "cannot queue SCRIPT LOAD");
		return;
	}
	cr->outstanding++;
}

/* Close both connections; their callbacks see a NULL reply. */
static void
credis_close(struct credis *cr)
{
	redisAsyncContext *cmd = cr->cmd, *rd = cr->rd;

	cr->cmd = cr->rd = NULL;
	cr->outstanding = 0;
	cr->reading = cr->stale = cr->probing = false;
	if (cmd != NULL)
		redisAsyncFree(cmd);
	if (rd != NULL)
		redisAsyncFree(rd);
}

/*
 * The link failed: close both connections, tell the members, and retry
 * after the backoff (doubling, at most CREDIS_BACKOFF_MAX_MS).
 */
static void
credis_link_lost(struct credis *cr, const char *why)
{
	bool was_up = cr->state == CREDIS_UP && cr->cl->up;

	if (cr->state == CREDIS_DOWN)
		return;
	snprintf(cr->why, sizeof cr->why, "%s", why);
	cr->state = CREDIS_DOWN;
	if (cr->started)
		log_warn("redis: %s at %s: %s; retrying in %lld ms",
		    was_up ? "lost the link" : "cannot reconnect",
		    cr->cfg.addr_text, why, (long long)cr->backoff);
	/* The members hear first; then the pending replies come back NULL. */
	cluster_down(cr->cl);
	credis_close(cr);
	cr->next_try = ltime_mono_ms() + cr->backoff;
	cr->backoff *= 2;
	if (cr->backoff > CREDIS_BACKOFF_MAX_MS)
		cr->backoff = CREDIS_BACKOFF_MAX_MS;
}

/* Every CREDIS_TICK_MS: timeouts, retries, heartbeats, reaping. */
static int64_t
credis_tick(struct loop *l, void *arg)
{
	struct credis *cr = arg;
	int64_t now = ltime_mono_ms();
	const char *args[1];

	(void)l;
	if (cr->stopping)
		return CREDIS_TICK_MS;
	(void)credis_running(cr);
	switch (cr->state) {
	case CREDIS_CONNECTING:
		if (now >= cr->deadline)
			credis_link_lost(cr, "timed out");
		break;
	case CREDIS_DOWN:
		if (now >= cr->next_try)
			credis_connect(cr);
		break;
	case CREDIS_UP:
		if (cr->hb_sent != 0 && now - cr->hb_sent >= CREDIS_STALL_MS) {
			credis_link_lost(cr, "no answer for 15 s");
			break;
		}
		if (now >= cr->next_hb && cr->hb_sent == 0) {
			cr->next_hb = now + CREDIS_HEARTBEAT_MS;
			if (credis_eval(cr, credis_on_beat, NULL, "beat", 0,
			    NULL, NULL) == 0)
				cr->hb_sent = now;
		}
		/* A member of ours was seen taken out while here. */
		if (cr->cl->relink && !cr->syncing) {
			cr->cl->relink = false;
			credis_not_current(cr);
		}
		if (now >= cr->next_reap) {
			cr->next_reap = now + CREDIS_REAP_MS;
			args[0] = cr->hbprefix;
			(void)credis_eval(cr, credis_on_plain, NULL, "reap", 1,
			    args, NULL);
		}
		break;
	}
	return CREDIS_TICK_MS;
}

/* ---------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------- */

/* Resolve a host name once, at start: reconnecting must not block. */
static int
credis_resolve(struct credis *cr, char *why, size_t whylen)
{
	struct addrinfo hints, *res;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%u", cr->cfg.addr.port);
	if ((rc = getaddrinfo(cr->cfg.addr.host, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s", gai_strerror(rc));
		return -1;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, cr->host,
	    sizeof cr->host, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rc != 0) {
		snprintf(why, whylen, "%s", gai_strerror(rc));
		return -1;
	}
	return 0;
}

struct credis *
credis_new(struct loop *l, struct cluster *cl, const struct credis_config *cfg)
{
	static const char *const names[CREDIS_NKEYS] = {
		"stream", "members", "nicks", "order", "counters", "epoch",
		"alive", "recovering", "reapgrace", "where", "rooms", "names",
		"counts", "topics", "said", "emptied",
	};
	struct credis *cr;
	size_t i, maxlen;

	if ((cr = calloc(1, sizeof *cr)) == NULL)
		return NULL;
	cr->loop = l;
	cr->cl = cl;
	cr->cfg = *cfg;
	cr->timer = -1;
	cr->backoff = CREDIS_BACKOFF_MIN_MS;
	/* One hash tag per room: a Redis Cluster keeps a room on one node. */
	for (i = 0; i < CREDIS_NKEYS; i++)
		snprintf(cr->keys[i], sizeof cr->keys[i], "lobby:{%s}:%s",
		    cfg->room, names[i]);
	snprintf(cr->hbprefix, sizeof cr->hbprefix, "lobby:{%s}:alive:",
	    cfg->room);
	/* The seventh is this instance's heartbeat. */
	snprintf(cr->keys[6], sizeof cr->keys[6], "%s%s", cr->hbprefix,
	    cl->inst);
	maxlen = cfg->history * 20;
	if (maxlen < CREDIS_MAXLEN_MIN)
		maxlen = CREDIS_MAXLEN_MIN;
	snprintf(cr->maxlen, sizeof cr->maxlen, "%zu", maxlen);
	snprintf(cr->name, sizeof cr->name, "lobbyd:%s:%ld", cfg->room,
	    (long)getpid());
	cl->ops = &credis_ops;
	cl->io = cr;
	return cr;
}

int
credis_start(struct credis *cr, int timeout_ms, char *why, size_t whylen)
{
	int64_t deadline = ltime_mono_ms() + timeout_ms;

	if (!cr->cfg.addr.is_unix && credis_resolve(cr, why, whylen) == -1)
		return -1;
	credis_connect(cr);
	/* Until the first read is answered: the members are served. */
	while ((cr->state == CREDIS_CONNECTING || (cr->state == CREDIS_UP &&
	    !cr->cl->up)) && ltime_mono_ms() < deadline)
		if (loop_once(cr->loop, CREDIS_TICK_MS) == -1)
			break;
	if (cr->state != CREDIS_UP || !cr->cl->up) {
		snprintf(why, whylen, "%s", cr->state == CREDIS_DOWN ?
		    cr->why : "timed out");
		return -1;
	}
	if ((cr->timer = loop_timer_add(cr->loop, CREDIS_TICK_MS, credis_tick,
	    cr)) == -1) {
		snprintf(why, whylen, "no timer left");
		return -1;
	}
	return 0;
}

void
credis_stop(struct credis *cr)
{
	redisAsyncContext *rd = cr->rd;
	const char *args[2];

	if (cr->stopping)
		return;
	cr->stopping = true;
	/* Nothing more is applied: the members are being sent away. */
	cr->rd = NULL;
	cr->reading = cr->stale = false;
	if (rd != NULL)
		redisAsyncFree(rd);
	if (cr->state != CREDIS_UP)
		return;
	args[0] = cr->cl->inst;
	args[1] = "server shutting down";
	(void)credis_eval(cr, credis_on_plain, NULL, "bye", 2, args, NULL);
}

void
credis_flush(struct credis *cr)
{
	/* The rooms read changed while a read waits: cut it short. */
	if (cr->cl->reread && cr->reading && cr->rdid != 0 &&
	    cr->state == CREDIS_UP && cr->cmd != NULL) {
		cr->cl->reread = false;
		cr->stale = true;
		if (redisAsyncCommand(cr->cmd, credis_on_unblock, NULL,
		    "CLIENT UNBLOCK %lld", cr->rdid) == REDIS_OK)
			cr->outstanding++;
	}
	/* Only once connected: before that, writability means "connected".
	 * The reader first: a read queued this pass is better in Redis
	 * before an unblock meant for it. */
	if (cr->rd != NULL && (cr->rd->c.flags & REDIS_CONNECTED) &&
	    cr->rd->c.obuf != NULL && cr->rd->c.obuf[0] != '\0')
		redisAsyncHandleWrite(cr->rd);
	if (cr->cmd != NULL && (cr->cmd->c.flags & REDIS_CONNECTED) &&
	    cr->cmd->c.obuf != NULL && cr->cmd->c.obuf[0] != '\0')
		redisAsyncHandleWrite(cr->cmd);
}

bool
credis_busy(const struct credis *cr)
{
	return cr->state == CREDIS_UP && cr->cmd != NULL &&
	    cr->outstanding > 0;
}

void
credis_free(struct credis *cr)
{
	if (cr == NULL)
		return;
	cr->closing = true;
	if (cr->timer != -1)
		loop_timer_del(cr->loop, cr->timer);
	credis_close(cr);
	cr->cl->ops = NULL;
	cr->cl->io = NULL;
	free(cr);
}
