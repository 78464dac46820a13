//! De-duplication of a table's rows across its files.
//!
//! Owns the maps of what was kept so far (content hashes of rows without a key, and
//! key hash -> where first read and that row's content hash), sharded by hash so the
//! shards are decided side by side, and the decision for each parsed row: kept, an
//! exact duplicate (dropped and counted), or a conflicting duplicate key (quarantined,
//! naming where the key was first read).

use std::collections::hash_map::Entry;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// Shards of the de-duplication maps, decided in parallel.
const SHARDS: usize = 16;

/// The shard of a key or content hash (its top bits).
fn shard(h: u128) -> usize {
    (h >> 124) as usize
}

/// Lines take the low 40 bits of an origin, the file index the rest.
const LINE_BITS: u32 = 40;

/// A kept row's file index and line in one word, for conflict messages.
pub(super) fn pack_origin(file: u64, line: u64) -> u64 {
    debug_assert!(line < 1 << LINE_BITS && file < 1 << (64 - LINE_BITS));
    (file << LINE_BITS) | (line & ((1 << LINE_BITS) - 1))
}

/// The file index and line of a packed origin.
pub(super) fn unpack_origin(o: u64) -> (usize, u64) {
    ((o >> LINE_BITS) as usize, o & ((1 << LINE_BITS) - 1))
}

/// What de-duplication decided for a parsed row.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fate {
    Keep,
    Duplicate,
    /// Same key as a kept row (its packed origin) with other content.
    Conflict(u64),
}

/// The rows of a table kept so far, for telling duplicates.
pub(super) struct Seen {
    /// Content hashes of kept rows (tables without a key, rows without a key value),
    /// in [`SHARDS`] shards by hash.
    rows: Vec<FxHashSet<u128>>,
    /// Hash of a key value -> where it was first read and the hash of that row, in
    /// [`SHARDS`] shards by hash. (File index and line packed by [`pack_origin`], low 64
    /// bits of the content hash.) The hash is compared only between rows of the same
    /// key, so a changed row passes for an exact duplicate with a probability of 2^-64
    /// per repeated key.
    keys: Vec<FxHashMap<u128, (u64, u64)>>,
}

impl Seen {
    pub(super) fn new() -> Self {
        Seen {
            rows: (0..SHARDS).map(|_| FxHashSet::default()).collect(),
            keys: (0..SHARDS).map(|_| FxHashMap::default()).collect(),
        }
    }

    /// Makes room for `rows` more rows of a table with (`keyed`) or without a key.
    pub(super) fn reserve(&mut self, rows: usize, keyed: bool) {
        // Shards fill evenly (by hash); a little slack spares a rehash.
        let per_shard = rows / SHARDS + rows / (SHARDS * 16) + 16;
        if keyed {
            self.keys.iter_mut().for_each(|m| m.reserve(per_shard));
        } else {
            self.rows.iter_mut().for_each(|m| m.reserve(per_shard));
        }
    }

    /// Records a row kept by an earlier read (`origin` packed by [`pack_origin`]), so
    /// that a row read now is told a duplicate of it, or a conflict with it, exactly
    /// as if both had been read together.
    pub(super) fn prime(&mut self, hash: u128, key: Option<u128>, origin: u64) {
        match key {
            Some(k) => {
                self.keys[shard(k)]
                    .entry(k)
                    .or_insert((origin, hash as u64));
            }
            None => {
                self.rows[shard(hash)].insert(hash);
            }
        }
    }

    /// Decides the fate of each row of a batch, in input order: `parsed` gives every
    /// row's content and key hashes (`None` for a row not parsed, whose fate is
    /// unused), `origin(i)` the packed origin of row `i`, recorded when its key is
    /// first seen.
    pub(super) fn decide(
        &mut self,
        parsed: impl Iterator<Item = Option<(u128, Option<u128>)>>,
        origin: impl Fn(usize) -> u64 + Sync,
    ) -> Vec<Fate> {
        // Rows whose key (or content) hashes fall in different shards never meet, so
        // the shards are decided side by side, each in input order: the same fates as
        // one pass.
        let mut work: Vec<Vec<(u32, Option<u128>, u128)>> = vec![Vec::new(); SHARDS];
        let mut n = 0usize;
        for (i, row) in parsed.enumerate() {
            if let Some((hash, key)) = row {
                work[shard(key.unwrap_or(hash))].push((i as u32, key, hash));
            }
            n = i + 1;
        }
        let decided: Vec<Vec<(u32, Fate)>> = self
            .keys
            .par_iter_mut()
            .zip(self.rows.par_iter_mut())
            .zip(work.par_iter())
            .map(|((keys, rows), work)| decide_shard(keys, rows, work, &origin))
            .collect();
        let mut fates = vec![Fate::Keep; n];
        for (i, f) in decided.into_iter().flatten() {
            fates[i as usize] = f;
        }
        fates
    }
}

/// Decides one shard's rows in input order; returns the fates other than keep.
fn decide_shard(
    keys: &mut FxHashMap<u128, (u64, u64)>,
    rows: &mut FxHashSet<u128>,
    work: &[(u32, Option<u128>, u128)],
    origin: &(impl Fn(usize) -> u64 + Sync),
) -> Vec<(u32, Fate)> {
    let mut fates = Vec::new();
    for &(i, key, hash) in work {
        let fate = match key {
            // Keyed rows: one map tells an exact duplicate (same key, same content)
            // from a conflict (same key, other content).
            Some(kh) => match keys.entry(kh) {
                Entry::Occupied(e) if e.get().1 == hash as u64 => Fate::Duplicate,
                Entry::Occupied(e) => Fate::Conflict(e.get().0),
                Entry::Vacant(v) => {
                    v.insert((origin(i as usize), hash as u64));
                    continue;
                }
            },
            None if rows.insert(hash) => continue,
            None => Fate::Duplicate,
        };
        fates.push((i, fate));
    }
    fates
}
