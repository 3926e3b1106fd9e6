/**
 * Lua scripts: each runs atomically in Redis, so the duplicate check, the sequence number, the
 * XADD, the id index and the trimming of one append can never interleave with another node's.
 *
 * Keys: KEYS[1] the history stream, KEYS[2] the id index (hash: update id -> stream id),
 * KEYS[3] the meta hash (seq: last sequence number, ms: last stream id time, epoch).
 *
 * A stream entry is `i <update id> s <sequence> r <record JSON>`, always in that field order.
 * Sequence numbers are contiguous (assigned here, trimmed from the front only), so "over the
 * count limit" is `s <= lastSeq - maxCount`. Stream ids are `<append time ms>-<n>`, with the time
 * never going backwards (max of the node's clock and the previous time), so "over the age limit"
 * is a comparison on the id and `XRANGE <oldest time>` seeks past expired entries.
 */

const VISIBLE = `
local function entry_ms(sid) return tonumber(string.match(sid, '^(%d+)')) end
local function visible(e, lastSeq, now, maxCount, maxAge)
  if tonumber(e[2][4]) <= lastSeq - maxCount then return false end
  if maxAge > 0 and entry_ms(e[1]) < now - maxAge then return false end
  return true
end
-- Deletes, oldest first, at most trimMax entries that are over a limit; returns how many.
local function trim(stream, ids, lastSeq, now, maxCount, maxAge, trimMax)
  local removed = 0
  while removed < trimMax do
    local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
    if #first == 0 or tonumber(first[1][2][4]) >= lastSeq or visible(first[1], lastSeq, now, maxCount, maxAge) then break end
    local fid = first[1][2][2]
    -- The id may have been published again since (after it left history): keep that mapping.
    if redis.call('HGET', ids, fid) == first[1][1] then redis.call('HDEL', ids, fid) end
    redis.call('XDEL', stream, first[1][1])
    removed = removed + 1
  end
  return removed
end
`;

/**
 * ARGV: id, record, now, maxCount, maxAgeMs (0: none), trimMax, epoch (used if none yet).
 * Returns the new stream id, or 0 when the id is already in history (duplicate).
 */
export const APPEND_SCRIPT = `${VISIBLE}
local stream, ids, meta = KEYS[1], KEYS[2], KEYS[3]
local id, rec = ARGV[1], ARGV[2]
local now, maxCount, maxAge, trimMax = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('HSETNX', meta, 'epoch', ARGV[7])
local lastSeq = tonumber(redis.call('HGET', meta, 'seq') or '0')
local existing = redis.call('HGET', ids, id)
if existing then
  local e = redis.call('XRANGE', stream, existing, existing)
  if #e > 0 and e[1][2][2] == id and visible(e[1], lastSeq, now, maxCount, maxAge) then return 0 end
end
local t = now
local lastMs = tonumber(redis.call('HGET', meta, 'ms') or '0')
if t < lastMs then t = lastMs end
local seq = lastSeq + 1
local sid = redis.call('XADD', stream, string.format('%d-*', t), 'i', id, 's', seq, 'r', rec)
redis.call('HSET', meta, 'seq', seq, 'ms', string.format('%d', t))
redis.call('HSET', ids, id, sid)
trim(stream, ids, seq, now, maxCount, maxAge, trimMax)
return sid
`;

/**
 * ARGV: afterId, earliest ('1' or '0'), limit, now, maxCount, maxAgeMs, skipBudget.
 * Returns {0} when afterId is not in history, else {1, more (0/1), the record afterId names ('' for
 * earliest), record, record...}.
 * Reads at most limit + 1 visible entries, skipping at most skipBudget entries that are still
 * stored but over a limit (trimming is bounded per append and may lag; the store catches up when
 * it opens, so a lag only exists right after the limits were lowered).
 */
export const READ_SCRIPT = `${VISIBLE}
local stream, ids, meta = KEYS[1], KEYS[2], KEYS[3]
local afterId, earliest = ARGV[1], ARGV[2] == '1'
local limit, now, maxCount, maxAge = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local budget = tonumber(ARGV[7])
local lastSeq = tonumber(redis.call('HGET', meta, 'seq') or '0')
local start = '-'
local at = ''
if earliest then
  if maxAge > 0 and now - maxAge > 0 then start = string.format('%d-0', now - maxAge) end
else
  local sid = redis.call('HGET', ids, afterId)
  if not sid then return {0} end
  local e = redis.call('XRANGE', stream, sid, sid)
  if #e == 0 or e[1][2][2] ~= afterId or not visible(e[1], lastSeq, now, maxCount, maxAge) then return {0} end
  start = '(' .. sid
  at = e[1][2][6]
end
local out = {1, 0, at}
local want = limit + 1
local got = 0
while got < want and budget >= 0 do
  local chunk = redis.call('XRANGE', stream, start, '+', 'COUNT', want - got)
  if #chunk == 0 then break end
  for _, e in ipairs(chunk) do
    start = '(' .. e[1]
    if got > 0 or visible(e, lastSeq, now, maxCount, maxAge) then
      got = got + 1
      out[#out + 1] = e[2][6]
    else
      budget = budget - 1
    end
  end
end
if got > limit then
  out[2] = 1
  out[#out] = nil
end
return out
`;

/** ARGV: now, maxCount, maxAgeMs, trimMax. Returns how many entries were deleted (0: caught up). */
export const TRIM_SCRIPT = `${VISIBLE}
local stream, ids, meta = KEYS[1], KEYS[2], KEYS[3]
local lastSeq = tonumber(redis.call('HGET', meta, 'seq') or '0')
return trim(stream, ids, lastSeq, tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/** ARGV: now, maxCount, maxAgeMs. Returns the newest visible update id, or false (nil). */
export const LAST_ID_SCRIPT = `${VISIBLE}
local stream, meta = KEYS[1], KEYS[2]
local now, maxCount, maxAge = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lastSeq = tonumber(redis.call('HGET', meta, 'seq') or '0')
local e = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
if #e == 0 or not visible(e[1], lastSeq, now, maxCount, maxAge) then return false end
return e[1][2][2]
`;
