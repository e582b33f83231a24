//! The memory store's session table: sharded hash maps, read on every guarded request.
//!
//! A read takes one shard's read lock, one hash probe and one reference count, and records the
//! use with at most one relaxed store. Nothing else happens per read: no read log, no queue of
//! pending maintenance, no clock. Expired sessions go when they are read, when their shard is
//! swept (at most once a minute, as sessions are added), or at [`SessionTable::sweep_all`].
//! A full table ends its least recently used session, found from a batch of the oldest
//! gathered in one pass, so that a sign-in into a full table costs a pass over the table once
//! per batch, not once per sign-in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{Hasher, RevokedCell, SWEEP_EVERY, lock};
use crate::session::{SessionId, SessionRecord};

/// Shards: enough that threads reading at once rarely share a lock.
const SHARDS: usize = 64;

/// A live session as the table holds it.
pub(super) struct Entry {
    pub(super) record: Arc<SessionRecord>,
    /// The idle deadline (seconds).
    pub(super) idle_until: i64,
    /// The subject's revocation, shared with the index (none if the subject had none when
    /// the session was made): read on every load without a lock.
    pub(super) revoked: Option<Arc<RevokedCell>>,
    /// The table's use clock when the session was last added or read (for LRU).
    used: AtomicU64,
}

impl Entry {
    pub(super) fn new(record: Arc<SessionRecord>, idle_until: i64, revoked: Option<Arc<RevokedCell>>) -> Self {
        Self { record, idle_until, revoked, used: AtomicU64::new(0) }
    }
    /// When the session ends: the earlier of its idle deadline and its absolute expiry.
    fn ends_at(&self) -> i64 {
        self.idle_until.min(self.record.expires_at)
    }
}

/// One shard, on its own cache line so that readers of two shards never share one.
#[repr(align(64))]
#[derive(Default)]
struct Shard {
    map: RwLock<HashMap<SessionId, Entry, Hasher>>,
    /// When the shard was last swept of expired sessions.
    swept_at: AtomicI64,
}

impl Shard {
    fn read(&self) -> RwLockReadGuard<'_, HashMap<SessionId, Entry, Hasher>> {
        // A panic under the lock leaves a consistent map (no operation here panics midway).
        self.map.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    fn write(&self) -> RwLockWriteGuard<'_, HashMap<SessionId, Entry, Hasher>> {
        self.map.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(super) struct SessionTable {
    shards: Box<[Shard]>,
    capacity: usize,
    len: AtomicUsize,
    /// The use clock: advances as sessions are added, so that a read marks its session as
    /// used after every session added before it.
    clock: AtomicU64,
    /// The next eviction candidates, oldest use last: (use clock when gathered, id).
    candidates: Mutex<Vec<(u64, SessionId)>>,
}

/// What left the table, for the caller to take out of the subject index and the data table.
pub(super) type Removed = Vec<(SessionId, Entry)>;

/// What a read found.
pub(super) enum Read<T> {
    /// A live session, as `f` saw it.
    Live(T),
    /// No such session.
    Absent,
    /// A session that had ended, now taken out.
    Ended(Entry),
}

impl SessionTable {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            capacity: capacity.max(1),
            len: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
            candidates: Mutex::new(Vec::new()),
        }
    }

    fn shard(&self, id: &SessionId) -> &Shard {
        // Ids are 256 random bits from the CSPRNG: any byte spreads them evenly. A lookup of
        // an id an attacker chose only probes a shard; ids that are stored are never chosen.
        &self.shards[usize::from(id.as_bytes()[0]) % SHARDS]
    }

    /// Reads a session: `f` sees its entry if it is live at `now`. One that has ended is taken
    /// out and given back, to be forgotten.
    pub(super) fn read<T>(&self, id: &SessionId, now: i64, f: impl FnOnce(&Entry) -> T) -> Read<T> {
        {
            let map = self.shard(id).read();
            let Some(entry) = map.get(id) else { return Read::Absent };
            if entry.ends_at() > now {
                let clock = self.clock.load(Ordering::Relaxed);
                if entry.used.load(Ordering::Relaxed) != clock {
                    entry.used.store(clock, Ordering::Relaxed);
                }
                return Read::Live(f(entry));
            }
        }
        match self.remove_if(id, |e| e.ends_at() <= now) {
            Some(entry) => Read::Ended(entry),
            None => Read::Absent,
        }
    }

    /// Adds (or replaces) a session. Returns what left to make room or because it had ended.
    pub(super) fn insert(&self, id: SessionId, entry: Entry, now: i64) -> Removed {
        let mut removed = self.sweep_due(self.shard(&id), now);
        entry.used.store(self.clock.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
        {
            let mut map = self.shard(&id).write();
            // Counted under the shard's lock, so that no removal of it can come first.
            if map.insert(id, entry).is_none() {
                self.len.fetch_add(1, Ordering::Relaxed);
            }
        }
        while self.len() > self.capacity {
            match self.evict_one(&id) {
                Some(evicted) => removed.push(evicted),
                None => break,
            }
        }
        removed
    }

    /// Moves a present session's idle deadline, under the shard's lock as a removal is: a
    /// removed session is never put back.
    pub(super) fn touch(&self, id: &SessionId, idle_until: i64) {
        if let Some(entry) = self.shard(id).write().get_mut(id) {
            entry.idle_until = idle_until;
        }
    }

    /// Replaces a present session's record with what `change` makes of it (when it makes
    /// something), under the shard's lock: `true` when it was replaced.
    pub(super) fn replace_record(
        &self,
        id: &SessionId,
        change: impl FnOnce(&SessionRecord) -> Option<SessionRecord>,
    ) -> bool {
        let mut map = self.shard(id).write();
        match map.get_mut(id).and_then(|entry| change(&entry.record).map(|new| (entry, new))) {
            Some((entry, new)) => {
                entry.record = Arc::new(new);
                true
            }
            None => false,
        }
    }

    /// Takes a session out.
    pub(super) fn remove(&self, id: &SessionId) -> Option<Entry> {
        self.remove_if(id, |_| true)
    }

    fn remove_if(&self, id: &SessionId, pred: impl FnOnce(&Entry) -> bool) -> Option<Entry> {
        let mut map = self.shard(id).write();
        let removed = if map.get(id).is_some_and(pred) { map.remove(id) } else { None };
        if removed.is_some() {
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
        removed
    }

    /// How many sessions the table holds.
    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Takes out every session that has ended by `now`.
    pub(super) fn sweep_all(&self, now: i64) -> Removed {
        self.shards.iter().flat_map(|shard| self.sweep(shard, now)).collect()
    }

    /// Sweeps a shard if it was last swept a minute ago or more.
    fn sweep_due(&self, shard: &Shard, now: i64) -> Removed {
        let last = shard.swept_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < SWEEP_EVERY
            || shard.swept_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return Vec::new();
        }
        self.sweep(shard, now)
    }

    fn sweep(&self, shard: &Shard, now: i64) -> Removed {
        let mut map = shard.write();
        let ended: Vec<SessionId> = map.iter().filter(|(_, e)| e.ends_at() <= now).map(|(id, _)| *id).collect();
        let removed: Removed = ended.into_iter().filter_map(|id| map.remove(&id).map(|e| (id, e))).collect();
        self.len.fetch_sub(removed.len(), Ordering::Relaxed);
        removed
    }

    /// Gathers eviction candidates ahead of an insert into a full table, so that the pass
    /// over the table happens before the caller takes its own locks.
    pub(super) fn prepare_eviction(&self) {
        if self.len() >= self.capacity {
            let mut candidates = lock(&self.candidates);
            if candidates.is_empty() {
                *candidates = self.oldest(None);
            }
        }
    }

    /// Ends the least recently used session (not `keep`, the one just added).
    fn evict_one(&self, keep: &SessionId) -> Option<(SessionId, Entry)> {
        let mut candidates = lock(&self.candidates);
        while let Some((used, id)) = candidates.pop() {
            // Read since it was gathered: no longer a candidate.
            if id != *keep
                && let Some(entry) = self.remove_if(&id, |e| e.used.load(Ordering::Relaxed) == used)
            {
                return Some((id, entry));
            }
        }
        // Gathered just now: the oldest goes, read or not, so that the table keeps its limit.
        *candidates = self.oldest(Some(keep));
        while let Some((_, id)) = candidates.pop() {
            if let Some(entry) = self.remove(&id) {
                return Some((id, entry));
            }
        }
        None
    }

    /// The least recently used sessions, a batch of 1/64 of the table (at least one), the
    /// oldest last.
    fn oldest(&self, keep: Option<&SessionId>) -> Vec<(u64, SessionId)> {
        let mut all: Vec<(u64, SessionId)> = Vec::with_capacity(self.len().min(self.capacity.saturating_mul(2)));
        for shard in &self.shards {
            let map = shard.read();
            all.extend(
                map.iter().filter(|(id, _)| Some(*id) != keep).map(|(id, e)| (e.used.load(Ordering::Relaxed), *id)),
            );
        }
        let batch = (self.capacity / SHARDS).max(1);
        if all.len() > batch {
            all.select_nth_unstable_by_key(batch, |(used, _)| *used);
            all.truncate(batch);
        }
        all.sort_unstable_by_key(|(used, _)| std::cmp::Reverse(*used));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ends_at: i64) -> Entry {
        let stored = include_str!("../wire/stored_session.json").trim_end();
        let record = crate::store::wire::decode_session(stored.as_bytes()).unwrap();
        Entry::new(Arc::new(record), ends_at, None)
    }

    fn id(n: u8) -> SessionId {
        let mut bytes = [0u8; 32];
        bytes[0] = n;
        bytes[1] = n;
        SessionId::from_bytes(bytes)
    }

    fn live(t: &SessionTable, id: &SessionId, now: i64) -> bool {
        matches!(t.read(id, now, |_| ()), Read::Live(()))
    }

    #[test]
    fn a_full_table_ends_the_session_read_least_recently_whatever_its_shard() {
        let t = SessionTable::new(3);
        for n in 0..3 {
            assert!(t.insert(id(n), entry(1_000), 0).is_empty());
        }
        assert!(live(&t, &id(0), 1), "read after the others were added");
        let removed = t.insert(id(3), entry(1_000), 1);
        assert_eq!(removed.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [id(1)]);
        assert_eq!(t.len(), 3);
        assert!([0, 2, 3].iter().all(|n| live(&t, &id(*n), 1)));
        assert!(!live(&t, &id(1), 1));
        // Every one has been read since the candidates were gathered: they are gathered again.
        let removed = t.insert(id(4), entry(1_000), 1);
        assert_eq!(removed.len(), 1);
        assert_eq!(t.len(), 3);
        assert!(live(&t, &id(4), 1), "the session just added is never the one that ends");
    }

    #[test]
    fn an_ended_session_is_taken_out_when_read_and_by_a_sweep() {
        let t = SessionTable::new(10);
        t.insert(id(1), entry(100), 0);
        t.insert(id(2), entry(100), 0);
        assert!(live(&t, &id(1), 99));
        assert!(matches!(t.read(&id(1), 100, |_| ()), Read::Ended(_)));
        assert!(matches!(t.read(&id(1), 100, |_| ()), Read::Absent));
        assert_eq!(t.len(), 1);
        assert_eq!(t.sweep_all(100).len(), 1);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_touch_moves_the_deadline_and_never_puts_a_removed_session_back() {
        let t = SessionTable::new(10);
        t.insert(id(1), entry(100), 0);
        t.touch(&id(1), 200);
        assert!(live(&t, &id(1), 150));
        assert!(t.remove(&id(1)).is_some());
        t.touch(&id(1), 300);
        assert!(matches!(t.read(&id(1), 150, |_| ()), Read::Absent));
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn adding_to_a_shard_sweeps_it_at_most_once_a_minute() {
        let t = SessionTable::new(10);
        // Same first byte: the same shard.
        let (a, b, c) = (id(7), SessionId::from_bytes([7; 32]), SessionId::from_bytes([7 + SHARDS as u8; 32]));
        t.insert(a, entry(10), 0);
        t.insert(b, entry(1_000), 5);
        assert_eq!(t.len(), 2, "not swept before a minute has passed");
        let removed = t.insert(c, entry(1_000), SWEEP_EVERY + 1);
        assert_eq!(removed.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [a]);
        assert_eq!(t.len(), 2);
    }
}
