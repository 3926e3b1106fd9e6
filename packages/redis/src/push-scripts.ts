/**
 * Lua scripts of the push store (redis-push-store.ts): a registration's bound checks and its
 * write, and a removal with its index, each one atomic step, whichever node runs it.
 *
 * Keys: KEYS[1] the hash of records (id -> JSON), KEYS[2] the set of ids matched by evaluation
 * (a pattern or `*`). Derived keys (ARGV prefix P): `P:t:<topic>` ids with that exact topic,
 * `P:o:<owner>` ids of an owner.
 */

const INDEX = `
local function exact_topics(rec)
  local topics = {}
  for _, s in ipairs(rec.selectors) do
    if s.type ~= 'exact' or s.raw == '*' then return nil end
    topics[#topics + 1] = s.raw
  end
  return topics
end
local function unindex(hash, evaluated, prefix, id, rec)
  redis.call('SREM', prefix .. ':o:' .. rec.owner, id)
  local topics = exact_topics(rec)
  if topics == nil then
    redis.call('SREM', evaluated, id)
  else
    for _, t in ipairs(topics) do redis.call('SREM', prefix .. ':t:' .. t, id) end
  end
  redis.call('HDEL', hash, id)
end
local function index(hash, evaluated, prefix, id, rec, json)
  redis.call('HSET', hash, id, json)
  redis.call('SADD', prefix .. ':o:' .. rec.owner, id)
  local topics = exact_topics(rec)
  if topics == nil then
    redis.call('SADD', evaluated, id)
  else
    for _, t in ipairs(topics) do redis.call('SADD', prefix .. ':t:' .. t, id) end
  end
end
`;

/** ARGV: prefix, id, record JSON, maxTotal, maxPerOwner. Returns 'ok', 'total' or 'owner'. */
export const PUT_SCRIPT = `${INDEX}
local prefix, id, json = ARGV[1], ARGV[2], ARGV[3]
local rec = cjson.decode(json)
local old = redis.call('HGET', KEYS[1], id)
local oldRec = old and cjson.decode(old)
if not oldRec and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 'total' end
if not (oldRec and oldRec.owner == rec.owner) and redis.call('SCARD', prefix .. ':o:' .. rec.owner) >= tonumber(ARGV[5]) then
  return 'owner'
end
if oldRec then unindex(KEYS[1], KEYS[2], prefix, id, oldRec) end
index(KEYS[1], KEYS[2], prefix, id, rec, json)
return 'ok'
`;

/** ARGV: prefix, id, createdAt ('' for any). Returns 1 when a record was removed. */
export const REMOVE_SCRIPT = `${INDEX}
local prefix, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', KEYS[1], id)
if not old then return 0 end
local rec = cjson.decode(old)
if ARGV[3] ~= '' and rec.createdAt ~= tonumber(ARGV[3]) then return 0 end
unindex(KEYS[1], KEYS[2], prefix, id, rec)
return 1
`;

/** ARGV: prefix, topics... Returns the JSON of every record indexed by one of the topics or evaluated. */
export const CANDIDATES_SCRIPT = `
local sets = { KEYS[2] }
for i = 2, #ARGV do sets[#sets + 1] = ARGV[1] .. ':t:' .. ARGV[i] end
local ids = redis.call('SUNION', unpack(sets))
if #ids == 0 then return {} end
local out = {}
local values = redis.call('HMGET', KEYS[1], unpack(ids))
for _, v in ipairs(values) do if v then out[#out + 1] = v end end
return out
`;
