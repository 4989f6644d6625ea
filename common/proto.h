/* proto: the wire contract shared by lobbyd and lobby: nicks, port, lines. */
#ifndef LOBBY_PROTO_H
#define LOBBY_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/* Turn a numeric macro into a string literal ("12580"). */
#define PROTO_STR(x)		#x
#define PROTO_XSTR(x)		PROTO_STR(x)

#define PROTO_PORT		12580	/* default TCP port, server and client */
#define PROTO_PORT_STR		PROTO_XSTR(PROTO_PORT)

/* The longest line a client may send, by default (lobbyd --max-line). */
#define PROTO_MAX_LINE		1024

/*
 * Nicks: 1 to PROTO_NICK_MAX of A-Z a-z 0-9 _ -, compared ignoring case.
 * PROTO_NICK_RULE is how error messages and /help word the rule.
 */
#define PROTO_NICK_MAX		20
#define PROTO_NICK_RULE		"1-" PROTO_XSTR(PROTO_NICK_MAX) \
				" letters, digits, _ or -"

/* A newcomer's nick: this prefix and the smallest free number from 1. */
#define PROTO_GUEST		"guest"

/*
 * Rooms: names of 1 to PROTO_ROOM_MAX of A-Z a-z 0-9 _ -, compared
 * ignoring case and shown as first written; newcomers land in
 * PROTO_ROOM_DEFAULT unless lobbyd --room says otherwise. A topic is at
 * most PROTO_TOPIC_MAX bytes.
 */
#define PROTO_ROOM_MAX		32
#define PROTO_ROOM_DEFAULT	"lobby"
#define PROTO_TOPIC_MAX		300

/*
 * The lines the server sends, as printf formats without the LF. Notices
 * start with "*** ", errors and limit notices with "!!! ".
 */
#define PROTO_WELCOME_PREFIX	"*** welcome to lobby, you are "
#define PROTO_WELCOME		PROTO_WELCOME_PREFIX \
				"%s (%zu online; /help for commands)"
#define PROTO_JOINED		"*** %s joined"
#define PROTO_LEFT		"*** %s left"
#define PROTO_LEFT_REASON	"*** %s left (%s)"
#define PROTO_RENAMED		"*** %s is now %s"
#define PROTO_WHO		"*** %zu online:%.*s"	/* " NICK" each */
#define PROTO_CHAT		"<%s> %.*s"
#define PROTO_ACTION		"* %s %.*s"		/* /me */
#define PROTO_PM		"[pm] <%s> %.*s"	/* /msg */
#define PROTO_SHUTDOWN		"*** server shutting down"
#define PROTO_TOOLONG		"!!! line too long (max %zu bytes)"
#define PROTO_IDLE		"!!! idle for %u seconds, disconnecting"
#define PROTO_FULL		"!!! server full, try again later"
#define PROTO_PER_IP		"!!! too many connections from your address"
#define PROTO_NOTICE		"*** %s"		/* a --motd line */
#define PROTO_NOUSER		"!!! no such user: %.*s"
/* The commands' answers to a member's mistakes. */
#define PROTO_USAGE_NICK	"!!! usage: /nick NAME"
#define PROTO_USAGE_ME		"!!! usage: /me TEXT"
#define PROTO_USAGE_MSG		"!!! usage: /msg NICK TEXT"
#define PROTO_BAD_NICK		"!!! invalid nick: %.*s (" PROTO_NICK_RULE ")"
#define PROTO_ALREADY		"!!! you are already %s"
#define PROTO_UNKNOWN_CMD	"!!! unknown command /%.*s (try /help)"
#define PROTO_TAKEN		"!!! nick %.*s is taken"
/* Rooms: /join, /part, /rooms, /topic. */
#define PROTO_MOVED		"*** you are now in %s (%zu online)"
#define PROTO_WENT		"*** %s went to %s"	/* NICK, ROOM */
#define PROTO_TOPIC		"*** topic: %s"
#define PROTO_NO_TOPIC		"*** no topic"
#define PROTO_TOPIC_SET		"*** %s set the topic: %s"
#define PROTO_ROOMS		"*** %zu room%s:%.*s"	/* K, PROTO_PLURAL(K),
							   " NAME (N)" each */
#define PROTO_ROOMS_ITEM	" %s (%zu)"
#define PROTO_ALREADY_IN	"!!! you are already in %s"
#define PROTO_BAD_ROOM		"!!! bad room name: %.*s"
#define PROTO_TOO_MANY_ROOMS	"!!! too many rooms"
#define PROTO_USAGE_JOIN	"!!! usage: /join NAME"
#define PROTO_TOPIC_LONG	"!!! topic too long (max " \
				PROTO_XSTR(PROTO_TOPIC_MAX) " bytes)"
/* With --redis (the room's link to Redis and what it refuses). */
#define PROTO_UNAVAILABLE_SEND	"!!! room unavailable, message not sent"
#define PROTO_UNAVAILABLE_LATER	"!!! room unavailable, try again later"
#define PROTO_LINK_LOST		"*** lost the link to the room, retrying"
#define PROTO_LINK_UNKNOWN	"!!! link lost: your last line may or may " \
				"not have been sent"
#define PROTO_LINK_BACK		"*** link to the room restored"
#define PROTO_LINK_MISSED	"*** some messages were missed while the " \
				"link was down"
#define PROTO_RENAMED_LINK	"*** %s was taken while the link was down: " \
				"you are now %s"
#define PROTO_HELD_DROPPED	"!!! lines you sent while waiting were " \
				"dropped: over %d bytes"
/*
 * /help: a line each, as initialisers of an array of strings. Every member
 * gets PROTO_HELP; with accounts on, PROTO_HELP_ACCOUNTS follows, and for
 * an operator PROTO_HELP_OPS after it. Their arguments are the server's
 * limits as string literals (PROTO_XSTR(N)).
 */
#define PROTO_HELP \
	"*** commands:", \
	"***   /nick NAME       change your nick (" PROTO_NICK_RULE ")", \
	"***   /who             list who is online", \
	"***   /me TEXT         act: others see * NICK TEXT", \
	"***   /msg NICK TEXT   send TEXT to NICK alone, in any room", \
	"***   /join ROOM       go to ROOM (made if new)", \
	"***   /part            back to the room you landed in", \
	"***   /rooms           list the rooms", \
	"***   /topic [TEXT]    show or set the room's topic", \
	"***   /quit [REASON]   leave", \
	"***   /help            this list", \
	"***   //TEXT           send a chat line that starts with /"
#define PROTO_HELP_ACCOUNTS(pass_min, pass_max) \
	"***   /register PASSWORD  register your nick (password " \
	    pass_min "-" pass_max " bytes)", \
	"***   /login NICK PASSWORD  log in as NICK"
#define PROTO_HELP_OPS(ban_minutes, mute_minutes) \
	"*** operator commands:", \
	"***   /kick NICK [REASON]  disconnect NICK", \
	"***   /ban NICK|ADDRESS [MINUTES] [REASON]  kick and refuse " \
	    "(default " ban_minutes " minutes; 0: until unbanned)", \
	"***   /unban NICK|ADDRESS  lift a ban", \
	"***   /bans            list the bans", \
	"***   /mute NICK [MINUTES]  silence NICK (default " mute_minutes \
	    " minutes; 0: until unmuted)", \
	"***   /unmute NICK     lift a mute"

/* Around the history a joiner gets after the welcome (--history). */
#define PROTO_HISTORY_BEGIN	"*** last %zu message%s:"	/* K, PROTO_PLURAL(K) */
#define PROTO_PLURAL(k)		((k) == 1 ? "" : "s")
#define PROTO_HISTORY_END	"*** end of history"

/* Accounts and moderation (--accounts, or --redis). */
#define PROTO_ACCOUNTS_OFF	"!!! accounts are off on this server"
#define PROTO_ACCOUNTS_DOWN	"!!! accounts unavailable, try again later"
#define PROTO_CHOOSE_NICK	"!!! choose a nick first"
#define PROTO_PASS_LENGTH	"!!! password must be %d to %d bytes"
#define PROTO_REGISTERED	"*** nick %s is now registered to you"
#define PROTO_NICK_TAKEN_ACCT	"!!! nick %s is already registered"
#define PROTO_NICK_REGISTERED	"!!! nick %.*s is registered: /login %.*s " \
				"PASSWORD"
#define PROTO_LOGGED_IN		"*** you are logged in as %s"
#define PROTO_ELSEWHERE		"*** logged in from elsewhere"
#define PROTO_LOGIN_FAILED	"!!! login failed"
#define PROTO_LOGIN_THROTTLED	"!!! too many login attempts, wait a minute"
#define PROTO_BUSY		"!!! busy, try again"
#define PROTO_DENIED		"!!! permission denied"
#define PROTO_BANNED		"!!! you are banned"	/* + ": REASON" */
#define PROTO_REMOVED		"*** %s"	/* PROTO_REMOVED_BY..., to the
						   member kicked */
#define PROTO_REMOVED_BY	"%s by %s"	/* "kicked", op: also the
						   reason in its leave */
#define PROTO_REMOVED_BY_REASON	"%s by %s: %.*s"	/* and the op's REASON */
#define PROTO_MUTED		"!!! you are muted"
#define PROTO_WAS_MUTED		"*** %s was muted by %s"
#define PROTO_WAS_UNMUTED	"*** %.*s was unmuted by %s"
#define PROTO_MUTE_OVER		"*** you are no longer muted"
#define PROTO_NOT_MUTED		"!!! %.*s is not muted"
#define PROTO_BAN_SET		"*** banned %s %s"	/* "for N minutes" */
#define PROTO_UNBANNED		"*** unbanned %.*s"
#define PROTO_NO_BAN		"!!! no ban on %.*s"
#define PROTO_BAN_LINE		"*** ban on %s by %s, %s%s%s" /* ": REASON" */
#define PROTO_NO_BANS		"*** no bans"
#define PROTO_BAD_TARGET	"!!! not a nick or an address: %.*s"
#define PROTO_BAD_MINUTES	"!!! bad minutes: %.*s (0 to %d)"
#define PROTO_REASON_LONG	"!!! reason too long (max %d bytes)"
#define PROTO_USAGE_REGISTER	"!!! usage: /register PASSWORD"
#define PROTO_USAGE_LOGIN	"!!! usage: /login NICK PASSWORD"
#define PROTO_USAGE_KICK	"!!! usage: /kick NICK [REASON]"
#define PROTO_USAGE_BAN		"!!! usage: /ban NICK|ADDRESS [MINUTES] " \
				"[REASON]"
#define PROTO_USAGE_UNBAN	"!!! usage: /unban NICK|ADDRESS"
#define PROTO_USAGE_MUTE	"!!! usage: /mute NICK [MINUTES]"
#define PROTO_USAGE_UNMUTE	"!!! usage: /unmute NICK"

/* The reasons in "*** NICK left (REASON)" that the server gives itself. */
#define PROTO_REASON_SLOW	"too slow"
#define PROTO_REASON_IDLE	"idle"
#define PROTO_REASON_ERROR	"error"
#define PROTO_REASON_ELSEWHERE	"logged in from elsewhere"

/* Whether nick[0..len) is a valid nick (see PROTO_NICK_MAX). */
bool	proto_nick_valid(const char *nick, size_t len);

/* Whether name[0..len) is a valid room name (see PROTO_ROOM_MAX). */
bool	proto_room_valid(const char *name, size_t len);

/*
 * The N of a nick PROTO_GUEST "N" (any case, no leading zero), or 0 when
 * the nick is not of that form or N is above max.
 */
size_t	proto_guest_number(const char *nick, size_t max);

#endif /* LOBBY_PROTO_H */
