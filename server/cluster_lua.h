/* cluster_lua: the room's Redis script, generated from server/cluster.lua. */
#ifndef LOBBY_CLUSTER_LUA_H
#define LOBBY_CLUSTER_LUA_H

#include <stddef.h>

/* The script's text, as in cluster.lua, NUL-terminated. */
extern const char	cluster_lua[];
/* How many bytes cluster_lua holds, the NUL not counted. */
extern const size_t	cluster_lua_len;

#endif /* LOBBY_CLUSTER_LUA_H */
