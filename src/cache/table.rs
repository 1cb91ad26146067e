//! The cache's table: a fixed-size set-associative array that threads read without taking a
//! lock or writing to memory another thread reads.
//!
//! A text's hash picks one *set* of up to [`WAYS`] slots. Each set keeps the hashes of its
//! slots in one cache line (`tags`), so a lookup reads that line, and only for a matching tag
//! loads the slot (an [`ArcSwapOption`]: a load leaves a note in the reading thread's own
//! memory instead of a reference count in the slot) and compares the whole text. What a hit
//! hands out is a reference-counted handle; so that two threads hitting the same token do not
//! both write its one counter, a slot has [`STRIPES`] handles, made on the first hit from each
//! stripe of threads, each its own allocation padded to two cache lines, and each thread takes
//! the handle of its stripe. A hit therefore writes only to the reading thread's own memory and
//! to its stripe's counter (and, once per pass of the eviction hand, the slot's reference bit;
//! once per stripe, the handle it makes).
//!
//! Writers (inserts and removals, that is misses and invalidations) take the set's mutex, which
//! also holds a copy of what each slot holds (only writers change slots, under that mutex), so
//! a text is never in two slots of its set and a writer reads no slot through `ArcSwap`; a full
//! set evicts by CLOCK (second chance). Readers never take it; a reader racing a writer finds
//! the old slot, the new one or none, each of which is a correct answer for a cache (every
//! slot's text is checked whole before use).

use std::cell::Cell;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use arc_swap::ArcSwapOption;

/// Most slots in a set. Eight tags fill one 64-byte cache line.
pub(super) const WAYS: usize = 8;
/// The most values a table holds: its sets are allocated up front (32 bytes a slot), so a
/// larger capacity is taken as this one (32 MiB of sets) rather than allocating gigabytes.
pub(super) const MAX_CAPACITY: usize = 1 << 20;
/// Handles per slot, one per stripe of threads; threads are dealt stripes in turn as they
/// first use a cache, so up to this many threads never share a counter.
const STRIPES: usize = 4;

/// A shared handle to a cached value: what a hit returns.
pub(super) type Handle<T> = Arc<Stripe<T>>;

/// One stripe's handle to a cached value. Padded so that its allocation (the `Arc`'s two
/// counters, the pointer, the padding) spans 128 bytes: two handles' counters, each at the start
/// of its own allocation, are then never on one 64-byte line, whatever the allocator's placement.
/// (Padding by size, not `align(64)`: an over-aligned allocation costs several times more.)
pub(super) struct Stripe<T> {
    value: Arc<T>,
    _pad: [u64; 13],
}

impl<T> Stripe<T> {
    /// A handle of its own for a value.
    pub(super) fn alone(value: Arc<T>) -> Handle<T> {
        Arc::new(Self {
            value,
            _pad: [0; 13],
        })
    }
}

impl<T> Deref for Stripe<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// The table; it holds `sets.len() * ways` values at most.
pub(super) struct Table<T> {
    sets: Box<[Set<T>]>,
    /// Slots used in each set (at most [`WAYS`]; fewer only for capacities under [`WAYS`]).
    ways: usize,
}

#[repr(align(64))]
struct Set<T> {
    /// Each slot's hash (a hint: a slot is used only after its own hash and text match).
    tags: [AtomicU64; WAYS],
    slots: [ArcSwapOption<Slot<T>>; WAYS],
    /// Taken by writers only.
    writer: Mutex<Writer<T>>,
}

/// What a set's writers share: the CLOCK hand and a copy of what each slot holds.
struct Writer<T> {
    hand: usize,
    slots: [Option<Arc<Slot<T>>>; WAYS],
}

struct Slot<T> {
    hash: u64,
    text: Box<str>,
    /// CLOCK's reference bit: set by a hit (when clear), cleared as the hand passes.
    referenced: AtomicBool,
    value: Arc<T>,
    /// One handle per stripe of threads, made on the stripe's first use.
    handles: [OnceLock<Handle<T>>; STRIPES],
}

impl<T> Slot<T> {
    /// This thread's handle to the slot's value.
    fn handle(&self) -> Handle<T> {
        let handle = self.handles[stripe()].get_or_init(|| Stripe::alone(Arc::clone(&self.value)));
        Arc::clone(handle)
    }
}

impl<T> Table<T> {
    /// A table of at most `capacity` values (none for 0), and of at most [`MAX_CAPACITY`].
    pub(super) fn new(capacity: usize) -> Self {
        let (sets, ways) = shape(capacity);
        Self {
            sets: (0..sets)
                .map(|_| Set {
                    tags: std::array::from_fn(|_| AtomicU64::new(0)),
                    slots: std::array::from_fn(|_| ArcSwapOption::empty()),
                    writer: Mutex::new(Writer {
                        hand: 0,
                        slots: std::array::from_fn(|_| None),
                    }),
                })
                .collect(),
            ways,
        }
    }

    /// The most values the table holds.
    pub(super) fn capacity(&self) -> usize {
        self.sets.len() * self.ways
    }

    /// How many values the table holds now (a snapshot; it reads every slot).
    pub(super) fn len(&self) -> usize {
        self.sets
            .iter()
            .flat_map(|set| &set.slots[..self.ways])
            .filter(|slot| slot.load().is_some())
            .count()
    }

    /// Forgets every value.
    pub(super) fn clear(&self) {
        for set in self.sets.iter() {
            let mut writer = lock(&set.writer);
            for (slot, copy) in set.slots.iter().zip(&mut writer.slots) {
                slot.store(None);
                *copy = None;
            }
        }
    }

    fn set(&self, hash: u64) -> Option<&Set<T>> {
        // The high half of hash × sets: an even spread for any number of sets.
        let n = self.sets.len() as u64;
        let i = usize::try_from((u128::from(hash) * u128::from(n)) >> 64).ok()?;
        self.sets.get(i)
    }

    /// The value cached for `text` (whose hash is `hash`), as this thread's handle.
    pub(super) fn get(&self, hash: u64, text: &str) -> Option<Handle<T>> {
        let set = self.set(hash)?;
        for (tag, slot) in set.tags.iter().zip(&set.slots).take(self.ways) {
            if tag.load(Ordering::Acquire) != hash {
                continue;
            }
            let guard = slot.load();
            if let Some(slot) = guard.as_deref() {
                if slot.hash == hash && *slot.text == *text {
                    if !slot.referenced.load(Ordering::Relaxed) {
                        slot.referenced.store(true, Ordering::Relaxed);
                    }
                    return Some(slot.handle());
                }
            }
        }
        None
    }

    /// Caches `value` for `text` (replacing what was cached for it, else taking a free slot,
    /// else evicting one) and returns this thread's handle to it.
    pub(super) fn insert(&self, hash: u64, text: &str, value: Arc<T>) -> Handle<T> {
        let Some(set) = self.set(hash) else {
            return Stripe::alone(value);
        };
        let slot = Arc::new(Slot {
            hash,
            text: text.into(),
            referenced: AtomicBool::new(false),
            value,
            handles: std::array::from_fn(|_| OnceLock::new()),
        });
        let handle = slot.handle();
        let mut writer = lock(&set.writer);
        let ways = &writer.slots[..self.ways];
        let i = position(ways, hash, text)
            .or_else(|| ways.iter().position(Option::is_none))
            .unwrap_or_else(|| evict(&mut writer, self.ways));
        set.slots[i].store(Some(Arc::clone(&slot)));
        set.tags[i].store(hash, Ordering::Release);
        // The slot it replaces, if any, is dropped here, its last handles when their holders
        // drop them.
        writer.slots[i] = Some(slot);
        handle
    }

    /// Forgets what is cached for `text`, if anything.
    pub(super) fn remove(&self, hash: u64, text: &str) {
        let Some(set) = self.set(hash) else {
            return;
        };
        let mut writer = lock(&set.writer);
        if let Some(i) = position(&writer.slots[..self.ways], hash, text) {
            set.slots[i].store(None);
            writer.slots[i] = None;
        }
    }
}

/// How many sets of how many ways hold at most `capacity` (and at most [`MAX_CAPACITY`]) values.
fn shape(capacity: usize) -> (usize, usize) {
    let capacity = capacity.min(MAX_CAPACITY);
    let ways = capacity.min(WAYS);
    (capacity.checked_div(ways).unwrap_or(0), ways)
}

/// The slot among `slots` holding `text`.
fn position<T>(slots: &[Option<Arc<Slot<T>>>], hash: u64, text: &str) -> Option<usize> {
    slots.iter().position(|s| {
        s.as_deref()
            .is_some_and(|s| s.hash == hash && *s.text == *text)
    })
}

/// The slot to evict from a full set of `ways` slots, by CLOCK: the hand skips (and clears)
/// slots hit since it last passed and stops at the first that was not; after two turns (hits
/// racing the hand) it takes the slot it is at.
fn evict<T>(writer: &mut Writer<T>, ways: usize) -> usize {
    for _ in 0..2 * ways {
        let i = writer.hand % ways;
        writer.hand = i + 1;
        let kept = writer.slots[i]
            .as_deref()
            .is_some_and(|s| s.referenced.swap(false, Ordering::Relaxed));
        if !kept {
            return i;
        }
    }
    writer.hand % ways
}

/// A set's writer lock. A panic while holding it leaves the set's slots consistent (each store
/// is whole, and the copy is updated after the store), so a poisoned lock is simply taken.
fn lock<T>(writer: &Mutex<Writer<T>>) -> MutexGuard<'_, Writer<T>> {
    writer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// This thread's stripe: dealt in turn the first time a thread asks.
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE
        .try_with(|s| {
            if s.get() >= STRIPES {
                s.set(NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES);
            }
            s.get()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(i: u64) -> String {
        format!("token-{i}")
    }

    #[test]
    fn capacity_is_a_bound_and_small_capacities_are_exact() {
        for capacity in [0, 1, 3, 8, 9, 100, 1_000] {
            let table = Table::new(capacity);
            assert!(table.capacity() <= capacity);
            assert!(table.capacity() + WAYS > capacity, "at most a set short");
            for i in 0..3 * capacity as u64 {
                let handle =
                    table.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), &text(i), Arc::new(i));
                assert_eq!(**handle, i);
                assert!(table.len() <= table.capacity());
            }
        }
        assert_eq!(Table::<u8>::new(5).capacity(), 5);
        assert_eq!(shape(usize::MAX), (MAX_CAPACITY / WAYS, WAYS));
        assert_eq!(shape(MAX_CAPACITY + 7), (MAX_CAPACITY / WAYS, WAYS));
        // The up-front cost the docs state: 32 bytes a slot.
        assert!(std::mem::size_of::<Set<String>>() <= 32 * WAYS);
    }

    #[test]
    fn a_text_is_found_only_under_its_hash_and_whole_text() {
        let table = Table::new(64);
        table.insert(7, "abc", Arc::new(1));
        assert_eq!(table.get(7, "abc").map(|h| **h), Some(1));
        assert!(table.get(7, "abd").is_none(), "same hash, other text");
        assert!(table.get(8, "abc").is_none(), "same text, other hash");
        // Two texts under one hash (a collision) both stay.
        table.insert(7, "abd", Arc::new(2));
        assert_eq!(table.get(7, "abc").map(|h| **h), Some(1));
        assert_eq!(table.get(7, "abd").map(|h| **h), Some(2));
        // Inserting a text again replaces it in place.
        table.insert(7, "abc", Arc::new(3));
        assert_eq!(table.get(7, "abc").map(|h| **h), Some(3));
        assert_eq!(table.len(), 2);
        table.remove(7, "abc");
        assert!(table.get(7, "abc").is_none());
        assert_eq!(table.len(), 1);
        table.clear();
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn a_full_set_evicts_a_slot_not_hit_since_the_hand_passed() {
        // One set of eight: fill it, hit all but one, insert a ninth.
        let table = Table::new(WAYS);
        for i in 0..WAYS as u64 {
            table.insert(i, &text(i), Arc::new(i));
        }
        // No slot was hit: the hand takes the first one.
        table.insert(100, &text(100), Arc::new(100));
        let evicted = (0..WAYS as u64)
            .filter(|&i| table.get(i, &text(i)).is_none())
            .count();
        assert_eq!(evicted, 1);
        // Every survivor was just hit (by the count above); 100 was not: the hand skips the
        // others, clearing their bits, and evicts it.
        table.insert(101, &text(101), Arc::new(101));
        assert!(table.get(100, &text(100)).is_none(), "the one not hit goes");
        assert!(table.get(101, &text(101)).is_some());
        assert_eq!(table.len(), WAYS);
    }

    #[test]
    fn threads_get_handles_of_their_own_stripe_to_one_value() {
        let table = Table::new(16);
        table.insert(1, "x", Arc::new(String::from("value")));
        let handles: Vec<Handle<String>> = std::thread::scope(|s| {
            let spawned: Vec<_> = (0..STRIPES)
                .map(|_| s.spawn(|| table.get(1, "x").expect("a hit")))
                .collect();
            spawned
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        for h in &handles {
            assert_eq!(h.as_str(), "value");
            assert!(Arc::ptr_eq(&h.value, &handles[0].value), "one shared value");
        }
        // Handles of different stripes are different allocations, each at least two lines long.
        let stripes: std::collections::HashSet<usize> =
            handles.iter().map(|h| Arc::as_ptr(h) as usize).collect();
        assert!(stripes.len() > 1, "threads dealt different stripes");
        assert!(std::mem::size_of::<Stripe<String>>() + 2 * std::mem::size_of::<usize>() >= 128);
        // A thread hitting again gets its stripe's handle again, not a new one.
        let again = table.get(1, "x").expect("a hit");
        let mine = table.get(1, "x").expect("a hit");
        assert!(Arc::ptr_eq(&again, &mine));
    }
}
