-- cluster.lua: the room's one Redis script, embedded in lobbyd at build
-- time (server/embed_lua.py). Loaded once per link with SCRIPT LOAD.
--
-- Every change to the room is one call of this script, so that presence,
-- nicks and the stream change together, atomically: no other instance
-- can slip in between a check and its update. KEYS: the stream, the
-- presence hash (member -> nick), the nick registry (lower-case nick ->
-- member), the join order (sorted set), the counters (guest numbers, join
-- order), the room's epoch (which changes only when Redis lost the room),
-- the calling instance's heartbeat key, the recovery window (set for a
-- while after the room's data was found lost) and the reaping grace (set
-- for a while after an instance came back from being taken out as lost).
-- ARGV[1] is the operation, ARGV[2] the stream's MAXLEN, ARGV[3] the
-- heartbeat's lifetime in ms, ARGV[4] the token of the caller's link.
local S, M, N, O, C, E = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local A, R, G = KEYS[7], KEYS[8], KEYS[9]
local op, maxlen, ttl, link = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
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
-- Guest numbers handed out later stay above one held as nick (after a
-- data loss the counter starts again while members keep their guestN).
local function bump(nick)
  local d = string.match(string.lower(nick), '^guest(%d+)$')
  if d and #d <= 9 and tonumber(d) >
      tonumber(redis.call('HGET', C, 'guest') or '0') then
    redis.call('HSET', C, 'guest', d)
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
-- Whether the caller's link is the one its instance serves the room on:
-- the heartbeat key holds that link's token. A command that waited in a
-- link lobbyd has since given up on (Redis stopped, then resumed) finds
-- the key expired, or another link's token, and changes nothing: its
-- sender was told so, and must not see it happen later.
local function current()
  return redis.call('GET', A) == link
end
-- The caller is alive on its link. Back from having expired, it opens the
-- reaping grace: the others may be coming back too (Redis was stopped).
local function alive(returning)
  if returning and redis.call('EXISTS', A) == 0 then
    redis.call('SET', G, '1', 'PX', ttl)
  end
  redis.call('SET', A, link, 'PX', ttl)
end
-- Register a member of the caller again, under nick if it is still free;
-- the others see it join. Returns the nick it now has.
local function back(key, nick)
  local now = nick
  if not claim(key, nick) then now = guest(key) end
  bump(now)
  enter(key, now)
  add('t', 'j', 'm', key, 'n', now, 'k', tostring(redis.call('HLEN', M)))
  return now
end
-- A sender's nick in force. One the others took out as lost while its
-- instance was paused or cut off is registered again first (not a joiner
-- whose join never ran: its instance knows no nick for it, nick is '').
local function sender(key, nick)
  local cur = redis.call('HGET', M, key)
  if cur or nick == '' then return cur end
  return back(key, nick)
end
if op == 'hello' then
  -- ARGV[5]: the epoch the caller knew ('' at its first start), [6] a
  -- fresh one, [7] the recovery window in ms.
  local known = ARGV[5]
  alive(known ~= '')
  redis.call('SET', E, ARGV[6], 'NX')
  local epoch = redis.call('GET', E)
  if known ~= '' and epoch ~= known then
    -- The room's data was lost: newcomers wait while every instance
    -- registers its members again.
    redis.call('SET', R, '1', 'PX', ARGV[7])
  end
  local first, fid = redis.call('XRANGE', S, '-', '+', 'COUNT', 1), ''
  if #first > 0 then fid = first[1][1] end
  return {epoch, fid}
elseif op == 'beat' then
  local epoch = redis.call('GET', E) or ''
  if not current() then return {'lost', epoch} end
  redis.call('PEXPIRE', A, ttl)
  return {'ok', epoch}
elseif op == 'join' then
  if not current() then return {'lost', '', ''} end
  if redis.call('EXISTS', R) == 1 then return {'recovering', '', ''} end
  local key = ARGV[5]
  local nick = guest(key)
  enter(key, nick)
  local k = tostring(redis.call('HLEN', M))
  return {'ok', nick, add('t', 'j', 'm', key, 'n', nick, 'k', k)}
elseif op == 'leave' then
  local nick = redis.call('HGET', M, ARGV[5])
  if nick then drop(ARGV[5], nick, ARGV[6]) end
  return 'ok'
elseif op == 'say' then
  -- ARGV[5] member, [6] kind, [7] text, [8] its nick as its instance knows
  if not current() then return {'lost', ''} end
  local nick = sender(ARGV[5], ARGV[8])
  if not nick then return {'gone', ''} end
  add('t', ARGV[6], 'm', ARGV[5], 'n', nick, 'x', ARGV[7])
  return {'ok', ''}
elseif op == 'msg' then
  -- ARGV[5] member, [6] recipient, [7] text, [8] the sender's nick
  if not current() then return {'lost', ''} end
  local nick = sender(ARGV[5], ARGV[8])
  if not nick then return {'gone', ''} end
  local to = redis.call('HGET', N, string.lower(ARGV[6]))
  if not to then return {'nouser', ARGV[6]} end
  add('t', 'p', 'm', ARGV[5], 'n', nick, 'r', to, 'x', ARGV[7])
  return {'ok', ''}
elseif op == 'nick' then
  -- ARGV[5] member, [6] the nick asked for, [7] the one it has
  local key, new = ARGV[5], ARGV[6]
  if not current() then return {'lost', ''} end
  if redis.call('EXISTS', R) == 1 then return {'recovering', ''} end
  local old = sender(key, ARGV[7])
  if not old then return {'gone', ''} end
  if not claim(key, new) then return {'taken', new} end
  if string.lower(old) ~= string.lower(new) then
    redis.call('HDEL', N, string.lower(old))
  end
  redis.call('HSET', M, key, new)
  add('t', 'n', 'm', key, 'n', new, 'o', old)
  return {'ok', ''}
elseif op == 'act' then
  -- An operator's act, or a login, for every instance to apply to its own
  -- members. ARGV[5] the member who did it, [6] the entry's kind, [7] the
  -- target (a nick; an address for 'A'; the account's nick for 'L'), [8]
  -- the reason, [9] the minutes, [10] the operator's account, [11] the
  -- member's nick as its instance knows it.
  local key, kind, target = ARGV[5], ARGV[6], ARGV[7]
  if not current() then return {'lost', ''} end
  local nick = sender(key, ARGV[11])
  if not nick then return {'gone', ''} end
  if kind == 'L' then
    -- The member holding the account's nick is its older session: it
    -- leaves now, behind this entry, so that the nick is free for the
    -- newcomer; its instance closes it on reading the entry.
    local lk = string.lower(target)
    local holder = redis.call('HGET', N, lk) or ''
    add('t', 'L', 'm', key, 'n', target, 'r', holder)
    if holder ~= '' and holder ~= key then
      local hn = redis.call('HGET', M, holder)
      if hn then drop(holder, hn, ARGV[8]) else redis.call('HDEL', N, lk) end
    end
    return {'ok', ''}
  elseif kind == 'A' then
    add('t', kind, 'm', key, 'n', nick, 'w', ARGV[10], 'a', target,
        'x', ARGV[8], 'k', ARGV[9])
    return {'ok', ''}
  elseif kind == 'U' then
    add('t', kind, 'm', key, 'n', nick, 'w', ARGV[10], 'o', target)
    return {'ok', ''}
  end
  local to = redis.call('HGET', N, string.lower(target))
  local tnick = to and redis.call('HGET', M, to)
  if not tnick then
    -- Nobody holds it: a ban holds all the same (the account's).
    if kind ~= 'B' then return {'nouser', target} end
    to, tnick = '', target
  end
  add('t', kind, 'm', key, 'n', nick, 'w', ARGV[10], 'r', to, 'o', tnick,
      'x', ARGV[8], 'k', ARGV[9])
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
  -- ARGV[5]: the heartbeat keys' prefix. An instance that is not alive
  -- itself, or any during the grace, takes nobody out.
  if not current() or redis.call('EXISTS', G) == 1 then return 0 end
  local alive, n = {}, 0
  for _, key in ipairs(redis.call('ZRANGE', O, 0, -1)) do
    local inst = string.match(key, '^(.*):') or ''
    if alive[inst] == nil then
      alive[inst] = redis.call('EXISTS', ARGV[5] .. inst) == 1
    end
    local nick = redis.call('HGET', M, key)
    if not alive[inst] and nick then
      drop(key, nick, 'lost')
      n = n + 1
    end
  end
  return n
elseif op == 'sync' then
  -- ARGV[5] the instance, [6] '1' when Redis lost the room (nobody saw the
  -- members go: they come back silently), [7] how many members, [8] how
  -- many joiners; then each member's number and nick, each joiner's
  -- number, and the number and leave reason of each that left meanwhile.
  local inst, silent = ARGV[5], ARGV[6] == '1'
  local nlive, nkeep = tonumber(ARGV[7]), tonumber(ARGV[8])
  alive(true)
  local live, gone, i = {}, {}, 9
  for j = 1, nlive do
    live[inst .. ':' .. ARGV[i]] = true
    bump(ARGV[i + 1])
    i = i + 2
  end
  for j = 1, nkeep do live[inst .. ':' .. ARGV[i]] = true; i = i + 1 end
  while i < #ARGV do gone[inst .. ':' .. ARGV[i]] = ARGV[i + 1]; i = i + 2 end
  for _, key in ipairs(redis.call('ZRANGE', O, 0, -1)) do
    local nick = redis.call('HGET', M, key)
    if mine(key, inst) and not live[key] and nick then
      drop(key, nick, gone[key] or '')
    end
  end
  local out = {}
  i = 9
  for j = 1, nlive do
    local key, nick = inst .. ':' .. ARGV[i], ARGV[i + 1]
    if redis.call('HEXISTS', M, key) == 0 then
      if silent then
        local now = nick
        if not claim(key, nick) then now = guest(key) end
        enter(key, now)
        if now ~= nick then add('t', 'n', 'm', key, 'n', now, 'o', nick) end
      else
        local now = back(key, nick)
        if now ~= nick then out[#out + 1] = ARGV[i]; out[#out + 1] = now end
      end
    end
    i = i + 2
  end
  return out
elseif op == 'bye' then
  -- ARGV[5] the instance, [6] the members' leave reason
  local inst = ARGV[5]
  for _, key in ipairs(redis.call('ZRANGE', O, 0, -1)) do
    local nick = redis.call('HGET', M, key)
    if mine(key, inst) and nick then drop(key, nick, ARGV[6]) end
  end
  if current() then redis.call('DEL', A) end
  return 'ok'
end
return redis.error_reply('lobbyd: unknown operation ' .. op)
