//! How a local cache stays true to Redis: every change another instance makes (a deleted
//! session, a revocation) is published on one channel, and the local copy of a session is
//! trusted only while this instance can prove it has seen every message published up to less
//! than [`TRUST_WINDOW`] ago.
//!
//! The proof is a heartbeat: every [`HEARTBEAT`] the instance publishes a numbered message on
//! the same channel and notes when. Redis delivers a channel's messages to a subscriber in the
//! order it executed the publishes, and one task applies them in that order; so when the
//! instance's own heartbeat sent at `t` has been applied, every change published (and answered)
//! before `t` has been applied too. If heartbeats stop arriving (Redis down, subscription
//! lost, this task starved) the local cache stops being trusted within the window, and every
//! load goes to Redis. A missed heartbeat, a reconnection or a lagging receiver moves the
//! epoch, which distrusts every entry cached before it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use fred::clients::{Pool, SubscriberClient};
use fred::prelude::*;
use tokio::sync::broadcast::error::RecvError;

use super::Digest;
use crate::store::table::Hasher;

/// How often each instance publishes its heartbeat.
pub(crate) const HEARTBEAT: Duration = Duration::from_millis(200);
/// How recent the last applied heartbeat must be for the local cache to be trusted. With the
/// time the task needs to apply a message, a revocation reaches every instance within 1 s.
pub(crate) const TRUST_WINDOW: Duration = Duration::from_millis(750);

/// The local facts learned from the channel, and whether they can be trusted.
pub(super) struct Invalidation {
    base: Instant,
    instance: String,
    /// When (nanoseconds after `base`) the last applied own heartbeat was sent; 0 = never.
    confirmed: AtomicU64,
    /// Moves whenever a message may have been missed; entries cached before it are distrusted.
    epoch: AtomicU64,
    /// Moves with every applied change, so that a load racing a change drops its copy.
    generation: AtomicU64,
    last_seq: AtomicU64,
    /// Heartbeats sent at or before this (nanoseconds after `base`) predate the last
    /// reconnection and prove nothing. Held, with the heartbeat step, under this lock.
    floor: Mutex<u64>,
    /// Subject digest → (revoked at in microseconds, kept until in seconds), as published. Read
    /// by every load from the local cache: a read lock, no text hashed or read (the digest is
    /// kept raw in each local copy).
    revocations: RwLock<HashMap<Digest, (i64, i64), Hasher>>,
    /// Whether `revocations` has held anything: until it has, loads take no lock at all. Set
    /// under the write lock, after the first insert.
    any_revocation: AtomicBool,
    revocation_capacity: usize,
}

impl Invalidation {
    pub(super) fn new(revocation_capacity: usize) -> Self {
        Self {
            base: Instant::now(),
            instance: crate::types::random_token(12),
            confirmed: AtomicU64::new(0),
            epoch: AtomicU64::new(1),
            generation: AtomicU64::new(0),
            last_seq: AtomicU64::new(0),
            floor: Mutex::new(0),
            revocations: RwLock::new(HashMap::default()),
            any_revocation: AtomicBool::new(false),
            revocation_capacity,
        }
    }

    fn elapsed_nanos(&self) -> u64 {
        (self.base.elapsed().as_nanos() as u64).max(1)
    }

    /// Whether every change published more than [`TRUST_WINDOW`] ago has been applied.
    pub(super) fn healthy(&self) -> bool {
        let confirmed = self.confirmed.load(Ordering::SeqCst);
        confirmed != 0 && self.elapsed_nanos().saturating_sub(confirmed) < TRUST_WINDOW.as_nanos() as u64
    }

    /// The epoch a load starting now records in its entry.
    pub(super) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Whether a cached entry from `epoch` may be served without asking Redis.
    pub(super) fn trusts(&self, epoch: u64) -> bool {
        self.healthy() && epoch == self.epoch()
    }

    fn distrust_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// After a reconnection the subscription may not be back yet: nothing is trusted until an
    /// own heartbeat sent after it arrives (which, being late, also moves the epoch).
    fn resubscribed(&self) {
        let mut floor = self.floor.lock().unwrap_or_else(PoisonError::into_inner);
        *floor = self.elapsed_nanos();
        self.confirmed.store(0, Ordering::SeqCst);
        self.distrust_all();
    }

    /// The highest revoked-at time (microseconds) known locally for a subject digest.
    pub(super) fn revoked_at(&self, subject: &Digest, now: i64) -> Option<i64> {
        if !self.any_revocation.load(Ordering::SeqCst) {
            return None;
        }
        let map = self.revocations.read().unwrap_or_else(PoisonError::into_inner);
        map.get(subject).filter(|(_, until)| *until > now).map(|(at, _)| *at)
    }

    /// Records a revocation (from the channel, from this instance, or read from Redis).
    pub(super) fn note_revocation(&self, subject: Digest, at: i64, until: i64) {
        let mut map = self.revocations.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.revocation_capacity && !map.contains_key(&subject) {
            let now = crate::clock::unix(crate::clock::Clock::now(&crate::clock::SystemClock));
            map.retain(|_, (_, kept)| *kept > now);
        }
        if map.len() >= self.revocation_capacity && !map.contains_key(&subject) {
            // Too many to remember: forget them all and distrust every cached entry, so each
            // load reads the subject's revoked-at time from Redis again.
            map.clear();
            self.distrust_all();
        }
        let entry = map.entry(subject).or_insert((at, until));
        entry.0 = entry.0.max(at);
        entry.1 = entry.1.max(until);
        self.any_revocation.store(true, Ordering::SeqCst);
    }

    pub(super) fn heartbeat_message(&self, seq: u64) -> String {
        format!("h {} {seq} {}", self.instance, self.elapsed_nanos())
    }

    /// Applies one message from the channel.
    fn apply(&self, text: &str, local: &super::LocalTable) {
        let mut parts = text.split(' ');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("h"), Some(instance), Some(seq), Some(sent)) if instance == self.instance => {
                let (Ok(seq), Ok(sent)) = (seq.parse::<u64>(), sent.parse::<u64>()) else { return };
                let floor = self.floor.lock().unwrap_or_else(PoisonError::into_inner);
                if sent <= *floor {
                    return;
                }
                // Only a heartbeat this instance could have sent counts: a later number, sent in
                // the past (anyone able to publish could forge one from the future).
                let previous = self.last_seq.load(Ordering::SeqCst);
                if seq <= previous || sent > self.elapsed_nanos() {
                    return;
                }
                self.last_seq.store(seq, Ordering::SeqCst);
                let confirmed = self.confirmed.load(Ordering::SeqCst);
                let lapsed = self.elapsed_nanos().saturating_sub(confirmed) >= TRUST_WINDOW.as_nanos() as u64;
                if seq != previous + 1 || lapsed {
                    self.distrust_all();
                }
                self.confirmed.store(sent, Ordering::SeqCst);
            }
            (Some("d"), Some(digest), None, None) => {
                self.generation.fetch_add(1, Ordering::SeqCst);
                if let Some(key) = super::LocalKey::parse(digest) {
                    local.remove(&key);
                }
            }
            (Some("r"), Some(subject), Some(at), Some(until)) => {
                self.generation.fetch_add(1, Ordering::SeqCst);
                // Earlier versions send the time in whole seconds only; microseconds that name
                // an earlier second than the seconds field are read as the Redis keys are.
                let micros = parts.next().and_then(|m| m.parse::<i64>().ok());
                if let (Ok(at), Ok(until)) = (at.parse::<i64>(), until.parse()) {
                    let at = super::revoked_micros(Some(at), micros).unwrap_or_else(|| super::whole_second_end(at));
                    // A subject that is not a digest names no subject of ours.
                    if let Some(subject) = Digest::parse(subject) {
                        self.note_revocation(subject, at, until);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Subscribes, applies every message in order, and publishes this instance's heartbeat.
/// Both tasks end when the store is dropped.
pub(super) fn spawn(
    state: Weak<Invalidation>,
    local: Arc<super::LocalTable>,
    subscriber: SubscriberClient,
    pool: Pool,
    channel: String,
) {
    let mut rx = subscriber.message_rx();
    let on_reconnect = state.clone();
    // The event tasks run until the client quits; their handles are not needed.
    drop(subscriber.on_reconnect(move |_| {
        let state = on_reconnect.clone();
        async move {
            // Messages published while disconnected are lost: distrust what was cached.
            match state.upgrade() {
                Some(state) => {
                    state.resubscribed();
                    Ok(())
                }
                None => Err(Error::new_canceled()),
            }
        }
    }));
    drop(subscriber.manage_subscriptions());
    let listen_channel = channel.clone();
    let applier = state.clone();
    tokio::spawn(async move {
        // Until both succeed the cache is never trusted (no heartbeat arrives); keep trying.
        let mut wait = Duration::from_millis(100);
        while subscriber.init().await.is_err() {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(1));
            if applier.strong_count() == 0 {
                return;
            }
        }
        while subscriber.subscribe(listen_channel.clone()).await.is_err() {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(1));
            if applier.strong_count() == 0 {
                return;
            }
        }
        loop {
            let received = rx.recv().await;
            let Some(state) = applier.upgrade() else { break };
            match received {
                Ok(message) => {
                    if let Some(text) = message.value.as_str() {
                        state.apply(&text, &local);
                    }
                }
                Err(RecvError::Lagged(_)) => state.distrust_all(),
                Err(RecvError::Closed) => break,
            }
        }
        let _ = subscriber.quit().await;
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seq = 0u64;
        loop {
            tick.tick().await;
            let Some(state) = state.upgrade() else { break };
            seq += 1;
            let message = state.heartbeat_message(seq);
            drop(state);
            let _: Result<i64, _> = pool.next().publish(channel.as_str(), message).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Subject;

    fn subject(name: &str) -> Digest {
        Digest::of_subject(&Subject::new(name))
    }

    #[test]
    fn a_revocation_is_known_by_its_subject_digest_until_it_is_kept() {
        let inv = Invalidation::new(16);
        let (alice, bob) = (subject("alice"), subject("bob"));
        assert_eq!(inv.revoked_at(&alice, 50), None, "none known yet");
        inv.note_revocation(alice, 5, 100);
        assert_eq!(inv.revoked_at(&alice, 50), Some(5));
        assert_eq!(inv.revoked_at(&bob, 50), None, "only the subject revoked");
        assert_eq!(inv.revoked_at(&alice, 100), None, "kept until 100, not at it");
        inv.note_revocation(alice, 3, 90);
        assert_eq!(inv.revoked_at(&alice, 50), Some(5), "an earlier revocation moves nothing back");
        inv.note_revocation(alice, 7, 120);
        assert_eq!(inv.revoked_at(&alice, 110), Some(7));
    }

    /// The channel names subjects by the base64url digest the Redis keys use; text that is not
    /// one names no subject of ours and changes nothing.
    #[test]
    fn a_revocation_message_names_its_subject_by_digest() {
        let inv = Invalidation::new(16);
        let local = super::super::LocalTable::new(16);
        let alice = subject("alice");
        let text = crate::store::subject_digest(&Subject::new("alice"));
        assert!(Digest::parse(&text) == Some(alice), "the raw digest is the one the keys name");
        inv.apply(&format!("r not-a-digest 9 {}", i64::MAX), &local);
        assert_eq!(inv.revoked_at(&alice, 0), None);
        inv.apply(&format!("r {text} 9 {} 9000001", i64::MAX), &local);
        assert_eq!(inv.revoked_at(&alice, 0), Some(9_000_001));
    }

    #[test]
    fn too_many_revocations_to_remember_distrust_every_local_copy() {
        let inv = Invalidation::new(2);
        let far = i64::MAX;
        inv.note_revocation(subject("a"), 1, far);
        inv.note_revocation(subject("b"), 1, far);
        let epoch = inv.epoch();
        inv.note_revocation(subject("c"), 1, far);
        assert_ne!(inv.epoch(), epoch, "copies cached before are no longer trusted");
        assert_eq!(inv.revoked_at(&subject("a"), 0), None, "forgotten, to be read from Redis again");
        assert_eq!(inv.revoked_at(&subject("c"), 0), Some(1));
    }
}
