//! The table of sessions kept in this process, read on every guarded request: the memory
//! store's sessions, and the Redis store's local copies of them.
//!
//! Sharded hash maps. A read takes one shard's read lock, one hash probe, and records the use
//! with at most one relaxed store. Nothing else happens per read: no read log, no queue of
//! pending maintenance, no clock. Entries that have ended go when they are read, when their
//! shard is swept (at most once a minute, as entries are added), or at [`Table::sweep_all`].
//! A full table drops its least recently used entry, found from a batch of the oldest gathered
//! in one pass, so that an insert into a full table costs a pass over the table once per
//! batch, not once per insert.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// How often (seconds) a table drops what is past its time when something is added to it, so
/// that its memory follows what is live rather than growing until the table is full.
pub(super) const SWEEP_EVERY: i64 = 60;

/// Shards: enough that threads reading at once rarely share a lock.
const SHARDS: usize = 64;

/// The tables' hasher: seeded per process, and fast. Keys are random; the memory store's
/// subjects come from One Login's signed tokens.
pub(super) type Hasher = foldhash::fast::RandomState;

/// A table key: 256 random bits (a session id, or a digest of one), any byte of which spreads
/// keys evenly over the shards. A lookup of a key an attacker chose only probes a shard; keys
/// that are stored are never chosen.
pub(super) trait Key: Copy + Eq + Hash {
    /// The byte that picks the shard.
    fn shard_byte(&self) -> u8;
}

/// What the table holds: something that ends.
pub(super) trait Expires {
    /// When it ends (seconds since the epoch): from then on it is taken out, never served.
    fn ends_at(&self) -> i64;
}

/// An entry and the table's use clock when it was last added or read (for LRU).
struct Slot<E> {
    value: E,
    used: AtomicU64,
}

/// One shard, on its own cache line so that readers of two shards never share one.
#[repr(align(64))]
struct Shard<K, E> {
    map: RwLock<HashMap<K, Slot<E>, Hasher>>,
    /// When the shard was last swept of ended entries.
    swept_at: AtomicI64,
}

impl<K, E> Default for Shard<K, E> {
    fn default() -> Self {
        Self { map: RwLock::new(HashMap::default()), swept_at: AtomicI64::new(0) }
    }
}

impl<K, E> Shard<K, E> {
    fn read(&self) -> RwLockReadGuard<'_, HashMap<K, Slot<E>, Hasher>> {
        // A panic under the lock leaves a consistent map (no operation here panics midway).
        self.map.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    fn write(&self) -> RwLockWriteGuard<'_, HashMap<K, Slot<E>, Hasher>> {
        self.map.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A panic while holding one of these locks leaves plain data behind, still consistent enough
/// to serve: keep going rather than poison every later request.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) struct Table<K, E> {
    shards: Box<[Shard<K, E>]>,
    capacity: usize,
    len: AtomicUsize,
    /// The use clock: advances as entries are added, so that a read marks its entry as used
    /// after every entry added before it.
    clock: AtomicU64,
    /// The next eviction candidates, oldest use last: (use clock when gathered, key).
    candidates: Mutex<Vec<(u64, K)>>,
}

/// What left the table, for the caller to clean up after.
pub(super) type Removed<K, E> = Vec<(K, E)>;

/// What a read found.
pub(super) enum Read<T, E> {
    /// A live entry, as `f` saw it.
    Live(T),
    /// No such entry.
    Absent,
    /// An entry that had ended, now taken out.
    Ended(E),
}

impl<K: Key, E: Expires> Table<K, E> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            capacity: capacity.max(1),
            len: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
            candidates: Mutex::new(Vec::new()),
        }
    }

    fn shard(&self, key: &K) -> &Shard<K, E> {
        &self.shards[usize::from(key.shard_byte()) % SHARDS]
    }

    /// Reads an entry: `f` sees it if it is live at `now`. One that has ended is taken out and
    /// given back, to be cleaned up after.
    pub(super) fn read<T>(&self, key: &K, now: i64, f: impl FnOnce(&E) -> T) -> Read<T, E> {
        {
            let map = self.shard(key).read();
            let Some(slot) = map.get(key) else { return Read::Absent };
            if slot.value.ends_at() > now {
                let clock = self.clock.load(Ordering::Relaxed);
                if slot.used.load(Ordering::Relaxed) != clock {
                    slot.used.store(clock, Ordering::Relaxed);
                }
                return Read::Live(f(&slot.value));
            }
        }
        match self.remove_where(key, |slot| slot.value.ends_at() <= now) {
            Some(entry) => Read::Ended(entry),
            None => Read::Absent,
        }
    }

    /// Adds (or replaces) an entry. Returns what left to make room or because it had ended.
    pub(super) fn insert(&self, key: K, value: E, now: i64) -> Removed<K, E> {
        let mut removed = self.sweep_due(self.shard(&key), now);
        let slot = Slot { value, used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed) + 1) };
        {
            let mut map = self.shard(&key).write();
            // Counted under the shard's lock, so that no removal of it can come first.
            if map.insert(key, slot).is_none() {
                self.len.fetch_add(1, Ordering::Relaxed);
            }
        }
        while self.len() > self.capacity {
            match self.evict_one(&key) {
                Some(evicted) => removed.push(evicted),
                None => break,
            }
        }
        removed
    }

    /// Changes a present entry in place, under the shard's lock as a removal is (so a removed
    /// entry is never put back): `change`'s answer, or `false` when there is no such entry.
    pub(super) fn update(&self, key: &K, change: impl FnOnce(&mut E) -> bool) -> bool {
        self.shard(key).write().get_mut(key).is_some_and(|slot| change(&mut slot.value))
    }

    /// Takes an entry out.
    pub(super) fn remove(&self, key: &K) -> Option<E> {
        self.remove_where(key, |_| true)
    }

    fn remove_where(&self, key: &K, pred: impl FnOnce(&Slot<E>) -> bool) -> Option<E> {
        let mut map = self.shard(key).write();
        let removed = if map.get(key).is_some_and(pred) { map.remove(key) } else { None };
        if removed.is_some() {
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
        removed.map(|slot| slot.value)
    }

    /// How many entries the table holds.
    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Takes out every entry that has ended by `now`.
    pub(super) fn sweep_all(&self, now: i64) -> Removed<K, E> {
        self.shards.iter().flat_map(|shard| self.sweep(shard, now)).collect()
    }

    /// Sweeps a shard if it was last swept a minute ago or more.
    fn sweep_due(&self, shard: &Shard<K, E>, now: i64) -> Removed<K, E> {
        let last = shard.swept_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < SWEEP_EVERY
            || shard.swept_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return Vec::new();
        }
        self.sweep(shard, now)
    }

    fn sweep(&self, shard: &Shard<K, E>, now: i64) -> Removed<K, E> {
        let mut map = shard.write();
        let ended: Vec<K> = map.iter().filter(|(_, s)| s.value.ends_at() <= now).map(|(k, _)| *k).collect();
        let removed: Removed<K, E> = ended.into_iter().filter_map(|k| map.remove(&k).map(|s| (k, s.value))).collect();
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

    /// Drops the least recently used entry (not `keep`, the one just added).
    fn evict_one(&self, keep: &K) -> Option<(K, E)> {
        let mut candidates = lock(&self.candidates);
        while let Some((used, key)) = candidates.pop() {
            // Read since it was gathered: no longer a candidate.
            if key != *keep
                && let Some(entry) = self.remove_where(&key, |slot| slot.used.load(Ordering::Relaxed) == used)
            {
                return Some((key, entry));
            }
        }
        // Gathered just now: the oldest goes, read or not, so that the table keeps its limit.
        *candidates = self.oldest(Some(keep));
        while let Some((_, key)) = candidates.pop() {
            if let Some(entry) = self.remove(&key) {
                return Some((key, entry));
            }
        }
        None
    }

    /// The least recently used entries, a batch of 1/64 of the table (at least one), the
    /// oldest last.
    fn oldest(&self, keep: Option<&K>) -> Vec<(u64, K)> {
        let mut all: Vec<(u64, K)> = Vec::with_capacity(self.len().min(self.capacity.saturating_mul(2)));
        for shard in &self.shards {
            let map = shard.read();
            all.extend(map.iter().filter(|(k, _)| Some(*k) != keep).map(|(k, s)| (s.used.load(Ordering::Relaxed), *k)));
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

impl Key for crate::session::SessionId {
    fn shard_byte(&self) -> u8 {
        self.as_bytes()[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionId;

    /// An entry that ends at a given time.
    struct Ends(i64);
    impl Expires for Ends {
        fn ends_at(&self) -> i64 {
            self.0
        }
    }

    fn id(n: u8) -> SessionId {
        let mut bytes = [0u8; 32];
        bytes[0] = n;
        bytes[1] = n;
        SessionId::from_bytes(bytes)
    }

    fn live(t: &Table<SessionId, Ends>, id: &SessionId, now: i64) -> bool {
        matches!(t.read(id, now, |_| ()), Read::Live(()))
    }

    #[test]
    fn a_full_table_ends_the_entry_read_least_recently_whatever_its_shard() {
        let t = Table::new(3);
        for n in 0..3 {
            assert!(t.insert(id(n), Ends(1_000), 0).is_empty());
        }
        assert!(live(&t, &id(0), 1), "read after the others were added");
        let removed = t.insert(id(3), Ends(1_000), 1);
        assert_eq!(removed.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [id(1)]);
        assert_eq!(t.len(), 3);
        assert!([0, 2, 3].iter().all(|n| live(&t, &id(*n), 1)));
        assert!(!live(&t, &id(1), 1));
        // Every one has been read since the candidates were gathered: they are gathered again.
        let removed = t.insert(id(4), Ends(1_000), 1);
        assert_eq!(removed.len(), 1);
        assert_eq!(t.len(), 3);
        assert!(live(&t, &id(4), 1), "the entry just added is never the one that ends");
    }

    #[test]
    fn an_ended_entry_is_taken_out_when_read_and_by_a_sweep() {
        let t = Table::new(10);
        t.insert(id(1), Ends(100), 0);
        t.insert(id(2), Ends(100), 0);
        assert!(live(&t, &id(1), 99));
        assert!(matches!(t.read(&id(1), 100, |_| ()), Read::Ended(Ends(100))));
        assert!(matches!(t.read(&id(1), 100, |_| ()), Read::Absent));
        assert_eq!(t.len(), 1);
        assert_eq!(t.sweep_all(100).len(), 1);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn an_update_changes_the_entry_in_place_and_never_puts_a_removed_one_back() {
        let t = Table::new(10);
        t.insert(id(1), Ends(100), 0);
        assert!(t.update(&id(1), |e| {
            e.0 = 200;
            true
        }));
        assert!(live(&t, &id(1), 150));
        assert!(!t.update(&id(1), |_| false), "the change's own answer");
        assert!(t.remove(&id(1)).is_some());
        assert!(!t.update(&id(1), |e| {
            e.0 = 300;
            true
        }));
        assert!(matches!(t.read(&id(1), 150, |_| ()), Read::Absent));
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn adding_to_a_shard_sweeps_it_at_most_once_a_minute() {
        let t = Table::new(10);
        // Same first byte: the same shard.
        let (a, b, c) = (id(7), SessionId::from_bytes([7; 32]), SessionId::from_bytes([7 + SHARDS as u8; 32]));
        t.insert(a, Ends(10), 0);
        t.insert(b, Ends(1_000), 5);
        assert_eq!(t.len(), 2, "not swept before a minute has passed");
        let removed = t.insert(c, Ends(1_000), SWEEP_EVERY + 1);
        assert_eq!(removed.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [a]);
        assert_eq!(t.len(), 2);
    }
}
