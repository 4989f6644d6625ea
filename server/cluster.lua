-- cluster.lua: the room's one Redis script, embedded in lobbyd at build
-- time (server/embed_lua.py). Loaded once per link with SCRIPT LOAD.
--
-- Every change to the room is one call of this script, so that presence,
-- nicks and the stream change together, atomically: no other instance
-- can slip in between a check and its update. KEYS: the stream, the
-- presence hash (member -> nick), the nick registry (lower-case nick ->
-- member), the join order (sorted set), the counters (guest numbers, join
-- order) and the room's epoch (which changes only when Redis lost the
-- room). ARGV[1] is the operation, ARGV[2] the stream's MAXLEN.
local S, M, N, O, C, E = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op, maxlen = ARGV[1], ARGV[2]
local function add(...)
  return redis.call('XADD', S, 'MAXLEN', '~', maxlen, '*', ...)
end
local function claim(key, nick)
  local lk = string.lower(nick)
  if redis.call('HSETNX', N, lk, key) == 1 then return true end
  return redis.call('HGET', N, lk) == key
end
local function guest(key)
  while true do
    local nick = 'guest' .. redis.call('HINCRBY', C, 'guest', 1)
    if claim(key, nick) then return nick end
  end
end
local function enter(key, nick)
  redis.call('HSET', M, key, nick)
  redis.call('ZADD', O, redis.call('HINCRBY', C, 'seq', 1), key)
end
local function drop(key, nick, reason)
  redis.call('HDEL', M, key)
  local lk = string.lower(nick)
  if redis.call('HGET', N, lk) == key then redis.call('HDEL', N, lk) end
  redis.call('ZREM', O, key)
  add('t', 'l', 'm', key, 'n', nick, 'x', reason)
end
local function mine(key, inst)
  return string.sub(key, 1, #inst + 1) == inst .. ':'
end
if op == 'hello' then
  redis.call('SET', ARGV[3], '1', 'PX', ARGV[4])
  redis.call('SET', E, ARGV[5], 'NX')
  local first, fid = redis.call('XRANGE', S, '-', '+', 'COUNT', 1), ''
  if #first > 0 then fid = first[1][1] end
  return {redis.call('GET', E), fid}
elseif op == 'join' then
  local key = ARGV[3]
  local nick = guest(key)
  enter(key, nick)
  local k = tostring(redis.call('HLEN', M))
  return {nick, add('t', 'j', 'm', key, 'n', nick, 'k', k)}
elseif op == 'leave' then
  local nick = redis.call('HGET', M, ARGV[3])
  if nick then drop(ARGV[3], nick, ARGV[4]) end
  return 'ok'
elseif op == 'say' then
  local nick = redis.call('HGET', M, ARGV[3])
  if not nick then return {'gone', ''} end
  add('t', ARGV[4], 'm', ARGV[3], 'n', nick, 'x', ARGV[5])
  return {'ok', ''}
elseif op == 'msg' then
  local nick = redis.call('HGET', M, ARGV[3])
  if not nick then return {'gone', ''} end
  local to = redis.call('HGET', N, string.lower(ARGV[4]))
  if not to then return {'nouser', ARGV[4]} end
  add('t', 'p', 'm', ARGV[3], 'n', nick, 'r', to, 'x', ARGV[5])
  return {'ok', ''}
elseif op == 'nick' then
  local key, new = ARGV[3], ARGV[4]
  local old = redis.call('HGET', M, key)
  if not old then return {'gone', ''} end
  if not claim(key, new) then return {'taken', new} end
  if string.lower(old) ~= string.lower(new) then
    redis.call('HDEL', N, string.lower(old))
  end
  redis.call('HSET', M, key, new)
  add('t', 'n', 'm', key, 'n', new, 'o', old)
  return {'ok', ''}
elseif op == 'who' then
  local keys, out = redis.call('ZRANGE', O, 0, -1), {}
  for i = 1, #keys, 500 do
    local nicks = redis.call('HMGET', M,
        unpack(keys, i, math.min(i + 499, #keys)))
    for j = 1, #nicks do
      if nicks[j] then out[#out + 1] = nicks[j] end
    end
  end
  return out
elseif op == 'reap' then
  local alive, n = {}, 0
  for _, key in ipairs(redis.call('ZRANGE', O, 0, -1)) do
    local inst = string.match(key, '^(.*):') or ''
    if alive[inst] == nil then
      alive[inst] = redis.call('EXISTS', ARGV[3] .. inst) == 1
    end
    local nick = redis.call('HGET', M, key)
    if not alive[inst] and nick then
      drop(key, nick, 'lost')
      n = n + 1
    end
  end
  return n
elseif op == 'sync' then
  local inst, silent, nlive = ARGV[3], ARGV[6] == '1', tonumber(ARGV[7])
  redis.call('SET', ARGV[4], '1', 'PX', ARGV[5])
  local live, gone, i = {}, {}, 8
  for j = 1, nlive do live[inst .. ':' .. ARGV[i]] = true; i = i + 2 end
  while i < #ARGV do gone[inst .. ':' .. ARGV[i]] = ARGV[i + 1]; i = i + 2 end
  for _, key in ipairs(redis.call('ZRANGE', O, 0, -1)) do
    local nick = redis.call('HGET', M, key)
    if mine(key, inst) and not live[key] and nick then
      drop(key, nick, gone[key] or '')
    end
  end
  local out = {}
  i = 8
  for j = 1, nlive do
    local key, nick = inst .. ':' .. ARGV[i], ARGV[i + 1]
    if redis.call('HGET', M, key) ~= nick then
      local now = nick
      if not claim(key, nick) then now = guest(key) end
      enter(key, now)
      if silent then
        if now ~= nick then add('t', 'n', 'm', key, 'n', now, 'o', nick) end
      else
        local k = tostring(redis.call('HLEN', M))
        add('t', 'j', 'm', key, 'n', now, 'k', k)
        if now ~= nick then out[#out + 1] = ARGV[i]; out[#out + 1] = now end
      end
    end
    i = i + 2
  end
  return out
elseif op == 'bye' then
  local inst = ARGV[3]
  for _, key in ipairs(redis.call('ZRANGE', O, 0, -1)) do
    local nick = redis.call('HGET', M, key)
    if mine(key, inst) and nick then drop(key, nick, ARGV[5]) end
  end
  redis.call('DEL', ARGV[4])
  return 'ok'
end
return redis.error_reply('lobbyd: unknown operation ' .. op)
