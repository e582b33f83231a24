//! The Lua scripts: each multi-step change to a subject's keys runs as one script, on the one
//! slot the subject's hash tag picks, so no client ever reads and then writes.

use fred::prelude::*;

/// Adds a session to the subject's index and ends the oldest beyond the limit.
///
/// KEYS[1] the index (a sorted set: member = session key digest, score = absolute expiry).
/// ARGV: member, expiry, now, limit, index TTL in seconds. Returns the members it ended.
///
/// Sessions expiring in the same second would tie, and ties sort by member (a random digest),
/// so the one "ended as oldest" could be any of them, even the one just made: a new member is
/// scored just above the newest when it would not sort after it, which keeps creation order.
pub(super) const INDEX_ADD: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local score = tonumber(ARGV[2])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) >= score then
  score = tonumber(newest[2]) + 1 / 1024
end
redis.call('ZADD', KEYS[1], string.format('%.17g', score), ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[4])
local ended = {}
if n > limit then
  ended = redis.call('ZRANGE', KEYS[1], 0, n - limit - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - limit - 1)
end
local ttl = tonumber(ARGV[5])
if redis.call('TTL', KEYS[1]) < ttl then
  redis.call('EXPIRE', KEYS[1], ttl)
end
return ended
";

/// Raises the subject's revoked-at time (never lowers it), keeps it at least as long as asked,
/// and empties the index; with a fourth key, only if that replay record is new, and records it
/// in the same step.
///
/// The time is kept twice: in whole seconds (what earlier versions read and write) and in
/// microseconds (what tells a logout from a sign-in in the same second). Readers take the later
/// of the two, counting a whole second as its end. Both are kept as the strings sent, never
/// turned into Lua numbers and back.
///
/// The change is published in the same step (ARGV[3], when not empty, names the channel), so a
/// lost reply cannot leave other instances unaware of it. The replay record holds a per-call
/// nonce: a re-sent call (the client retries a command whose connection dropped) finds its own
/// nonce and is not mistaken for a replay.
///
/// KEYS[1] revoked-at in seconds, KEYS[2] the index, KEYS[3] revoked-at in microseconds,
/// optional KEYS[4] a replay record on the same slot. ARGV: at in seconds, TTL in seconds,
/// channel, message, at in microseconds, and with KEYS[4]: its TTL in seconds, nonce.
/// Returns `{'replayed'}`, or `{'ok'}` followed by the members the index listed.
pub(super) const REVOKE: &str = r"
if #KEYS == 4 and not redis.call('SET', KEYS[4], ARGV[7], 'NX', 'EX', ARGV[6]) then
  if redis.call('GET', KEYS[4]) ~= ARGV[7] then
    return {'replayed'}
  end
end
local function later(key, at)
  local current = redis.call('GET', key)
  if current and tonumber(current) ~= nil and tonumber(current) > tonumber(at) then
    return current
  end
  return at
end
local at = later(KEYS[1], ARGV[1])
local at_us = later(KEYS[3], ARGV[5])
local ttl = tonumber(ARGV[2])
for _, key in ipairs({KEYS[1], KEYS[3], KEYS[2]}) do
  -- At least as long as the sessions it governs (another instance may have longer ones).
  local left = redis.call('TTL', key)
  if left > ttl then
    ttl = left
  end
end
redis.call('SET', KEYS[1], at, 'EX', ttl)
redis.call('SET', KEYS[3], at_us, 'EX', ttl)
local listed = redis.call('ZRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3], ARGV[4])
end
table.insert(listed, 1, 'ok')
return listed
";

/// Deletes a session and publishes the deletion in one step.
///
/// KEYS[1] the session. ARGV: channel (empty: do not publish), message.
pub(super) const SESSION_DELETE: &str = r"
redis.call('DEL', KEYS[1])
if ARGV[1] ~= '' then
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return 1
";

/// Replaces a session's value when it still holds what was read, keeping its TTL, and
/// publishes the change in one step (other instances drop their copies, as for a deletion).
///
/// KEYS[1] the session. ARGV: the value read, the new value, channel (empty: do not publish),
/// message. Returns 1 when replaced, 0 when the value had changed or the session was gone.
pub(super) const SESSION_REPLACE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3], ARGV[4])
end
return 1
";

/// A session's value and its remaining time in milliseconds, in one step.
///
/// KEYS[1] the session. Returns `{value, pttl}` or `{}` when absent.
pub(super) const SESSION_GET: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then
  return {}
end
return {v, redis.call('PTTL', KEYS[1])}
";

/// A script and its SHA-1 digest (what `EVALSHA` names it by), computed once.
pub(super) struct Script {
    lua: &'static str,
    sha1: String,
}

impl Script {
    pub(super) fn new(lua: &'static str) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, lua.as_bytes());
        let sha1 = digest.as_ref().iter().fold(String::with_capacity(40), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        });
        Self { lua, sha1 }
    }
}

/// The scripts.
pub(super) struct Scripts {
    pub(super) index_add: Script,
    pub(super) revoke: Script,
    pub(super) session_get: Script,
    pub(super) session_delete: Script,
    pub(super) session_replace: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            index_add: Script::new(INDEX_ADD),
            revoke: Script::new(REVOKE),
            session_get: Script::new(SESSION_GET),
            session_delete: Script::new(SESSION_DELETE),
            session_replace: Script::new(SESSION_REPLACE),
        }
    }
}

/// Runs `script` by its digest, sending its source once when the server has not seen it
/// (`NOSCRIPT`: after a restart, or on another cluster node).
pub(super) async fn run<R: FromValue>(
    client: &Client,
    script: &Script,
    keys: Vec<String>,
    args: Vec<String>,
) -> Result<R, Error> {
    match client.evalsha::<R, _, _, _>(script.sha1.as_str(), keys.clone(), args.clone()).await {
        Err(e) if e.details().contains("NOSCRIPT") => client.eval(script.lua, keys, args).await,
        other => other,
    }
}
