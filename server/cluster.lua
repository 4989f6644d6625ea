-- cluster.lua: the rooms' one Redis script, embedded in lobbyd at build
-- time (server/embed_lua.py). Loaded once per link with SCRIPT LOAD.
--
-- Every change to the rooms is one call of this script, so that presence,
-- nicks, rooms and the streams change together, atomically: no other
-- instance can slip in between a check and its update. KEYS: the landing
-- room's stream (every other room's is that key with ':' and the room's
-- lower-case name: one hash tag for all), the presence hash (member ->
-- nick), the nick registry (lower-case nick -> member), the join order
-- (sorted set), the counters (guest numbers, join order, rooms), the
-- epoch (which changes only when Redis lost the data), the calling
-- instance's heartbeat key, the recovery window (set for a while after
-- the data was found lost), the reaping grace (set for a while after an
-- instance came back from being taken out as lost); then the member ->
-- room hash, the rooms (sorted set: lower-case name by creation), their
-- names as first written, their member counts, their topics, the rooms
-- that hold chat lines, and the empty rooms by when they emptied.
-- ARGV[1] is the operation, ARGV[2] the streams' MAXLEN, ARGV[3] the
-- heartbeat's lifetime in ms, ARGV[4] the token of the caller's link.
local S, M, N, O, C, E = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local A, R, G = KEYS[7], KEYS[8], KEYS[9]
local W, RM, NM, CT, TP, SD = KEYS[10], KEYS[11], KEYS[12], KEYS[13],
    KEYS[14], KEYS[15]
local EM = KEYS[16]
-- How long the emptied stream of a forgotten room is kept, in ms.
local FORGOTTEN_MS = 60000
local op, maxlen, ttl, link = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local LANDNAME = string.match(S, '{(.-)}')
local LAND = string.lower(LANDNAME)
-- The stream of room lc (a lower-case name).
local function skey(lc)
  if lc == LAND then return S end
  return S .. ':' .. lc
end
local function addto(lc, ...)
  return redis.call('XADD', skey(lc), 'MAXLEN', '~', maxlen, '*', ...)
end
-- The room member key is in (the landing room if none is recorded).
local function where(key)
  return redis.call('HGET', W, key) or LAND
end
local function add(key, ...)
  return addto(where(key), ...)
end
local function roomname(lc)
  return redis.call('HGET', NM, lc) or lc
end
-- Room lc goes, with all it keeps (nobody is in it). Its stream is
-- emptied rather than deleted, and kept a while: made anew, a stream
-- numbers its entries from the clock's millisecond again, at or below
-- those an instance still reading the room (a member of its on the way
-- in) has applied, which it would then pass over as read. Opened again
-- meanwhile, the room keeps the stream, numbered on.
local function forget(lc)
  redis.call('XTRIM', skey(lc), 'MAXLEN', 0)
  redis.call('PEXPIRE', skey(lc), FORGOTTEN_MS)
  redis.call('ZREM', RM, lc)
  redis.call('ZREM', EM, lc)
  redis.call('HDEL', NM, lc)
  redis.call('HDEL', CT, lc)
  redis.call('HDEL', TP, lc)
  redis.call('SREM', SD, lc)
end
-- Whether room lc goes when one member leaves it: that member is all it
-- holds and it keeps nothing (vacate() forgets it).
local function passing(lc)
  return lc ~= LAND and tonumber(redis.call('HGET', CT, lc) or '0') <= 1
      and redis.call('HEXISTS', TP, lc) == 0
      and redis.call('SISMEMBER', SD, lc) == 0
end
-- Room lc exists afterwards, called name if it is new; with max (the
-- most rooms) given, a new room past it makes the room empty the longest
-- give way, or is refused (false). With from, the room of the member
-- about to move in, a from that goes once the member has left counts as
-- gone already: nothing kept has to give way for it.
local function open(lc, name, max, from)
  if redis.call('ZSCORE', RM, lc) then return true end
  if lc ~= LAND and max and redis.call('ZCARD', RM) -
      ((from and passing(from)) and 1 or 0) >= max then
    local old = redis.call('ZRANGE', EM, 0, 0)
    if #old == 0 then return false end
    forget(old[1])
  end
  local seq = 0
  if lc ~= LAND then
    seq = redis.call('HINCRBY', C, 'room', 1)
    redis.call('PERSIST', skey(lc))
  end
  redis.call('ZADD', RM, seq, lc)
  redis.call('HSET', NM, lc, name)
  return true
end
-- Member key is no longer in its room; an empty room is forgotten unless
-- it keeps chat lines or a topic (then it waits, listed, to give way).
local function vacate(key)
  local lc = where(key)
  redis.call('HDEL', W, key)
  if redis.call('HINCRBY', CT, lc, -1) <= 0 then
    redis.call('HDEL', CT, lc)
    if lc ~= LAND then
      if redis.call('HEXISTS', TP, lc) == 0 and
          redis.call('SISMEMBER', SD, lc) == 0 then
        forget(lc)
      else
        redis.call('ZADD', EM, redis.call('HINCRBY', C, 'tick', 1), lc)
      end
    end
  end
  return lc
end
-- The chat and /me entries of room lc, newest first, at most want.
local function recent(lc, want)
  local out, last, scanned = {}, '+', 0
  while #out < want and scanned <= tonumber(maxlen) do
    local batch = redis.call('XREVRANGE', skey(lc), last, '-', 'COUNT', 200)
    for i, e in ipairs(batch) do
      if last == '+' or i > 1 then
        scanned = scanned + 1
        local f, t = e[2], nil
        for j = 1, #f - 1, 2 do if f[j] == 't' then t = f[j + 1] end end
        if (t == 'c' or t == 'a') and #out < want then out[#out + 1] = e end
      end
    end
    if #batch < 200 then break end
    last = batch[#batch][1]
  end
  return out
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
-- Member key comes into room lc (which exists) as nick: presence, join
-- order (the room's is the members' in this one order), the room's count.
local function enter(key, nick, lc)
  redis.call('HSET', M, key, nick)
  redis.call('HSET', W, key, lc)
  redis.call('ZADD', O, redis.call('HINCRBY', C, 'seq', 1), key)
  redis.call('HINCRBY', CT, lc, 1)
  redis.call('ZREM', EM, lc)
end
local function count(lc)
  return tostring(redis.call('HGET', CT, lc) or '0')
end
local function drop(key, nick, reason)
  redis.call('HDEL', M, key)
  local lk = string.lower(nick)
  if redis.call('HGET', N, lk) == key then redis.call('HDEL', N, lk) end
  redis.call('ZREM', O, key)
  add(key, 't', 'l', 'm', key, 'n', nick, 'x', reason)
  vacate(key)
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
-- Register a member of the caller again, in room name (its instance's
-- view), under nick if it is still free; the others see it join. Returns
-- the nick it now has.
local function back(key, nick, name)
  local now, lc = nick, string.lower(name)
  if not claim(key, nick) then now = guest(key) end
  bump(now)
  open(lc, name, nil)
  enter(key, now, lc)
  addto(lc, 't', 'j', 'm', key, 'n', now, 'k', count(lc))
  return now
end
-- A sender's nick in force. One the others took out as lost while its
-- instance was paused or cut off is registered again first, in the room
-- its instance has it in (not a joiner whose join never ran: its
-- instance knows no nick for it, nick is '').
local function sender(key, nick, name)
  local cur = redis.call('HGET', M, key)
  if cur or nick == '' then return cur end
  return back(key, nick, name ~= '' and name or LANDNAME)
end
if op == 'hello' then
  -- ARGV[5]: the epoch the caller knew ('' at its first start), [6] a
  -- fresh one, [7] the recovery window in ms. Answers the epoch, the
  -- landing room's first entry and its topic.
  local known = ARGV[5]
  alive(known ~= '')
  redis.call('SET', E, ARGV[6], 'NX')
  local epoch = redis.call('GET', E)
  if known ~= '' and epoch ~= known then
    -- The data was lost: newcomers wait while every instance registers
    -- its members again.
    redis.call('SET', R, '1', 'PX', ARGV[7])
  end
  open(LAND, LANDNAME, nil)
  local first, fid = redis.call('XRANGE', S, '-', '+', 'COUNT', 1), ''
  if #first > 0 then fid = first[1][1] end
  return {epoch, fid, redis.call('HGET', TP, LAND) or ''}
elseif op == 'beat' then
  local epoch = redis.call('GET', E) or ''
  if not current() then return {'lost', epoch} end
  redis.call('PEXPIRE', A, ttl)
  return {'ok', epoch}
elseif op == 'join' then
  -- A newcomer, into the landing room.
  if not current() then return {'lost', '', ''} end
  if redis.call('EXISTS', R) == 1 then return {'recovering', '', ''} end
  local key = ARGV[5]
  local nick = guest(key)
  open(LAND, LANDNAME, nil)
  enter(key, nick, LAND)
  return {'ok', nick,
      addto(LAND, 't', 'j', 'm', key, 'n', nick, 'k', count(LAND))}
elseif op == 'leave' then
  local nick = redis.call('HGET', M, ARGV[5])
  if nick then drop(ARGV[5], nick, ARGV[6]) end
  return 'ok'
elseif op == 'say' then
  -- ARGV[5] member, [6] kind, [7] text, [8] '1' when the room keeps
  -- its chat lines (there is a history: an emptied room stays listed),
  -- [9] its nick as its instance knows it, [10] its room as its instance
  -- knows it
  -- The entry is written last: a call Redis refuses (a key of another
  -- type) stops the script, and what it wrote before stays written;
  -- its sender is told the line was not sent, so no entry may be.
  if not current() then return {'lost', ''} end
  local nick = sender(ARGV[5], ARGV[9], ARGV[10])
  if not nick then return {'gone', ''} end
  local lc = where(ARGV[5])
  if ARGV[8] == '1' then redis.call('SADD', SD, lc) end
  addto(lc, 't', ARGV[6], 'm', ARGV[5], 'n', nick, 'x', ARGV[7])
  return {'ok', ''}
elseif op == 'msg' then
  -- ARGV[5] member, [6] recipient, [7] text, [8] the sender's nick, [9]
  -- its room. The entry goes in the recipient's room's stream, which its
  -- instance reads.
  if not current() then return {'lost', ''} end
  local nick = sender(ARGV[5], ARGV[8], ARGV[9])
  if not nick then return {'gone', ''} end
  local to = redis.call('HGET', N, string.lower(ARGV[6]))
  if not to then
    return {'nouser', ARGV[6]}
  end
  add(to, 't', 'p', 'm', ARGV[5], 'n', nick, 'r', to, 'x', ARGV[7])
  return {'ok', ''}
elseif op == 'nick' then
  -- ARGV[5] member, [6] the nick asked for, [7] the one it has, [8] its
  -- room
  local key, new = ARGV[5], ARGV[6]
  if not current() then return {'lost', ''} end
  if redis.call('EXISTS', R) == 1 then return {'recovering', ''} end
  local old = sender(key, ARGV[7], ARGV[8])
  if not old then return {'gone', ''} end
  if not claim(key, new) then return {'taken', new} end
  if string.lower(old) ~= string.lower(new) then
    redis.call('HDEL', N, string.lower(old))
  end
  redis.call('HSET', M, key, new)
  add(key, 't', 'n', 'm', key, 'n', new, 'o', old)
  return {'ok', ''}
elseif op == 'go' then
  -- ARGV[5] member, [6] the room's name as asked, [7] its nick, [8] its
  -- room, [9] the most rooms, [10] how many history lines to answer
  -- with (0 when its instance reads the room already). The old room
  -- sees it go, the new one join. Answers {'ok', join entry ID, topic,
  -- the room's name as first written, history entries newest first}.
  local key, name = ARGV[5], ARGV[6]
  if not current() then return {'lost', ''} end
  local nick = sender(key, ARGV[7], ARGV[8])
  if not nick then return {'gone', ''} end
  local lc, from = string.lower(name), where(key)
  if lc == from then return {'already', roomname(lc)} end
  if not open(lc, name, tonumber(ARGV[9]), from) then
    return {'toomany', ''}
  end
  local shown = roomname(lc)
  addto(from, 't', 'g', 'm', key, 'n', nick, 'x', shown)
  vacate(key)
  local hist = recent(lc, tonumber(ARGV[10]))
  enter(key, nick, lc)
  local id = addto(lc, 't', 'j', 'm', key, 'n', nick, 'k', count(lc))
  local out = {'ok', id, redis.call('HGET', TP, lc) or '', shown}
  for i = 1, #hist do out[#out + 1] = hist[i] end
  return out
elseif op == 'topic' then
  -- ARGV[5] member, [6] the topic, [7] its nick, [8] its room
  if not current() then return {'lost', ''} end
  local nick = sender(ARGV[5], ARGV[7], ARGV[8])
  if not nick then return {'gone', ''} end
  local lc = where(ARGV[5])
  redis.call('HSET', TP, lc, ARGV[6])
  addto(lc, 't', 'o', 'm', ARGV[5], 'n', nick, 'x', ARGV[6])
  return {'ok', ''}
elseif op == 'rooms' then
  -- Every room, in order of creation: name, members, name, members...
  local out = {}
  for _, lc in ipairs(redis.call('ZRANGE', RM, 0, -1)) do
    out[#out + 1] = roomname(lc)
    out[#out + 1] = count(lc)
  end
  return out
elseif op == 'act' then
  -- An operator's act, or a login, for every instance to apply to its own
  -- members. ARGV[5] the member who did it, [6] the entry's kind, [7] the
  -- target (a nick; an address for 'A'; the account's nick for 'L'), [8]
  -- the reason, [9] the minutes, [10] the operator's account, [11] the
  -- member's nick as its instance knows it, [12] its room. The entry
  -- goes in the landing room's stream, which every instance reads (each
  -- keeps the bans and mutes, and closes the sessions of an account it
  -- holds), with 'h', the room the target member is in, where its
  -- notices go.
  local key, kind, target = ARGV[5], ARGV[6], ARGV[7]
  if not current() then return {'lost', ''} end
  local nick = sender(key, ARGV[11], ARGV[12] or '')
  if not nick then return {'gone', ''} end
  if kind == 'L' then
    -- The member holding the account's nick is its older session: it
    -- leaves now, behind this entry, so that the nick is free for the
    -- newcomer; its instance closes it on reading the entry.
    local lk = string.lower(target)
    local holder = redis.call('HGET', N, lk) or ''
    addto(LAND, 't', 'L', 'm', key, 'n', target, 'r', holder, 'h',
        roomname(where(holder ~= '' and holder or key)))
    if holder ~= '' and holder ~= key then
      local hn = redis.call('HGET', M, holder)
      if hn then drop(holder, hn, ARGV[8]) else redis.call('HDEL', N, lk) end
    end
    return {'ok', ''}
  elseif kind == 'A' then
    addto(LAND, 't', kind, 'm', key, 'n', nick, 'w', ARGV[10], 'a',
        target, 'x', ARGV[8], 'k', ARGV[9])
    return {'ok', ''}
  elseif kind == 'U' then
    -- Said in the member's room; when nobody holds the nick, in the
    -- operator's, as on one server.
    local to = redis.call('HGET', N, string.lower(target))
    addto(LAND, 't', kind, 'm', key, 'n', nick, 'w', ARGV[10], 'o', target,
        'h', roomname(where(to or key)))
    return {'ok', ''}
  end
  local to = redis.call('HGET', N, string.lower(target))
  local tnick = to and redis.call('HGET', M, to)
  if not tnick then
    -- Nobody holds it: a ban holds all the same (the account's).
    if kind ~= 'B' then return {'nouser', target} end
    to, tnick = '', target
  end
  addto(LAND, 't', kind, 'm', key, 'n', nick, 'w', ARGV[10], 'r', to,
      'o', tnick, 'x', ARGV[8], 'k', ARGV[9], 'h',
      roomname(to ~= '' and where(to) or LAND))
  return {'ok', ''}
elseif op == 'who' then
  -- ARGV[5] the member asking: the nicks of its room, in join order
  local lc, keys, out = where(ARGV[5]), redis.call('ZRANGE', O, 0, -1), {}
  for i = 1, #keys, 500 do
    local part = {unpack(keys, i, math.min(i + 499, #keys))}
    local nicks = redis.call('HMGET', M, unpack(part))
    local rooms = redis.call('HMGET', W, unpack(part))
    for j = 1, #nicks do
      if nicks[j] and (rooms[j] or LAND) == lc then
        out[#out + 1] = nicks[j]
      end
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
  -- ARGV[5] the instance, [6] '1' when Redis lost the data (nobody saw
  -- the members go: they come back silently), [7] how many members, [8]
  -- how many joiners; then each member's number, nick and room, each
  -- joiner's number, and the number and leave reason of each that left
  -- meanwhile.
  local inst, silent = ARGV[5], ARGV[6] == '1'
  local nlive, nkeep = tonumber(ARGV[7]), tonumber(ARGV[8])
  alive(true)
  local live, gone, i = {}, {}, 9
  for j = 1, nlive do
    live[inst .. ':' .. ARGV[i]] = true
    bump(ARGV[i + 1])
    i = i + 3
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
    local key, nick, name = inst .. ':' .. ARGV[i], ARGV[i + 1], ARGV[i + 2]
    local moving = name == ''
    if moving then name = roomname(where(key)) end
    local lc = string.lower(name)
    local cur = redis.call('HGET', M, key)
    if not cur then
      if silent then
        local now = nick
        if not claim(key, nick) then now = guest(key) end
        open(lc, name, nil)
        enter(key, now, lc)
        if now ~= nick then
          addto(lc, 't', 'n', 'm', key, 'n', now, 'o', nick)
        end
      else
        local now = back(key, nick, name)
        if now ~= nick then out[#out + 1] = ARGV[i]; out[#out + 1] = now end
      end
    elseif not moving and where(key) ~= lc then
      -- Its move was lost with the link: it is where its instance has it.
      addto(where(key), 't', 'g', 'm', key, 'n', cur, 'x', name)
      vacate(key)
      open(lc, name, nil)
      enter(key, cur, lc)
      addto(lc, 't', 'j', 'm', key, 'n', cur, 'k', count(lc))
    end
    i = i + 3
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
