//! The audit trail's hash chain.
//!
//! Each row's hash is SM3 (GB/T 32905-2016, the commercial-crypto hash) over
//! the previous row's hash and this row's fields, so altering a row breaks its
//! own hash and removing one breaks the link of the row after it. The chain's
//! head (last id and hash) is kept apart, so removing the newest rows shows too.
//!
//! A plain hash only shows careless tampering: whoever holds the database can
//! rewrite a row and recompute every hash after it. So rows are now MACed:
//! HMAC-SM3 (GB/T 15852.2 construction over SM3) under a key derived from the
//! deployment's key file, which lives outside the database. Rows written
//! before the key was introduced keep their plain SM3 hash; the first keyed
//! row's id (`keyed_from`) is itself MACed, so it cannot be moved to pass
//! keyed rows off as plain ones. The head can also be anchored outside the
//! machine (`kangyang audit head`, printed daily into the log): a verifier
//! given an anchor checks that the row it names still carries its MAC.

use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};

type HmacSm3 = Hmac<Sm3>;

/// The secret that keys the chain. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl ChainKey {
    pub fn new(bytes: [u8; 32]) -> ChainKey {
        ChainKey(bytes)
    }

    fn mac(&self) -> HmacSm3 {
        // HMAC pads a short key to the 64-byte block with zeros; padding it
        // here first is the same MAC and makes the constructor infallible.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        <HmacSm3 as hmac::digest::KeyInit>::new(&block.into())
    }

    /// The MAC that seals `keyed_from`, the first keyed row.
    pub fn seal_keyed_from(&self, keyed_from: i64) -> String {
        let mut mac = self.mac();
        mac.update(b"kangyang audit keyed_from v1\0");
        mac.update(&keyed_from.to_be_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(…)")
    }
}

/// The content of one audit row, everything but its id and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields {
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub result: String,
    pub detail: String,
    /// The region the row is about (the object's, else the actor's), which
    /// scopes who may read it; part of the MAC of keyed rows.
    pub region: String,
}

/// A stored row, as `verify` reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub id: i64,
    pub fields: AuditFields,
    pub prev_hash: String,
    pub hash: String,
}

/// Feeds the row's fields, length-prefixed, to `update`: no choice of
/// values can make two rows encode alike.
fn encode(prev_hash: &str, f: &AuditFields, with_region: bool, mut update: impl FnMut(&[u8])) {
    let user_id = f.user_id.map(|u| u.to_string()).unwrap_or_default();
    let region: &str = if with_region { &f.region } else { "" };
    let parts = [
        prev_hash,
        &f.at.to_string(),
        &user_id,
        &f.username,
        &f.ip,
        &f.action,
        &f.object_type,
        &f.object_id,
        &f.result,
        &f.detail,
    ];
    for part in parts.into_iter().chain(with_region.then_some(region)) {
        update(&(part.len() as u64).to_be_bytes());
        update(part.as_bytes());
    }
}

/// The plain SM3 hash of a row written before the chain was keyed (its
/// region was filled in afterwards and is not covered).
pub fn chain_hash(prev_hash: &str, f: &AuditFields) -> String {
    let mut h = Sm3::new();
    encode(prev_hash, f, false, |b| h.update(b));
    hex(&h.finalize())
}

/// The HMAC-SM3 of a keyed row that follows `prev_hash`.
pub fn chain_mac(key: &ChainKey, prev_hash: &str, f: &AuditFields) -> String {
    let mut mac = key.mac();
    encode(prev_hash, f, true, |b| mac.update(b));
    hex(&mac.finalize().into_bytes())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The first break found in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainFault {
    #[error("audit row {id} was altered: its hash does not match its content")]
    Altered { id: i64 },
    #[error("audit row {id} was altered: the row after it no longer links to it")]
    AlteredAndRehashed { id: i64 },
    #[error("audit row {id} was removed (the chain jumps from row {previous} to row {next})")]
    Removed { id: i64, previous: i64, next: i64 },
    #[error("audit rows after {last_present} were removed (the chain's head is row {head})")]
    TailRemoved { last_present: i64, head: i64 },
    #[error("the record of where the keyed chain starts was altered (or the key file is not this database's)")]
    KeyMarkerAltered,
    #[error(
        "audit row {id} no longer carries the MAC the anchor recorded: the trail was rewritten"
    )]
    AnchorMismatch { id: i64 },
}

/// Where the chain's keyed rows begin, as `audit_head` records it.
#[derive(Debug, Clone)]
pub struct KeyedFrom {
    pub id: i64,
    pub seal: String,
}

/// Checks rows one at a time, in id order, so a trail of any length can be
/// verified in bounded memory.
#[derive(Debug)]
pub struct ChainVerifier {
    key: ChainKey,
    keyed_from: i64,
    expected_prev: String,
    previous_id: i64,
    count: u64,
}

impl ChainVerifier {
    /// A verifier for a chain keyed with `key` from row `keyed_from.id` on;
    /// fails at once when that marker's seal is not the key's.
    pub fn new(key: ChainKey, keyed_from: &KeyedFrom) -> Result<ChainVerifier, ChainFault> {
        if key.seal_keyed_from(keyed_from.id) != keyed_from.seal {
            return Err(ChainFault::KeyMarkerAltered);
        }
        Ok(ChainVerifier {
            key,
            keyed_from: keyed_from.id,
            expected_prev: String::new(),
            previous_id: 0,
            count: 0,
        })
    }

    fn expected_hash(&self, row: &ChainRow) -> String {
        if row.id >= self.keyed_from {
            chain_mac(&self.key, &row.prev_hash, &row.fields)
        } else {
            chain_hash(&row.prev_hash, &row.fields)
        }
    }

    /// Checks the next row's link to the one before and its own hash.
    pub fn push(&mut self, row: &ChainRow) -> Result<(), ChainFault> {
        if row.prev_hash != self.expected_prev {
            // The link is broken: either rows before this one were removed, or the
            // previous row was changed and its hash recomputed to hide it.
            return Err(if row.id > self.previous_id + 1 {
                ChainFault::Removed {
                    id: self.previous_id + 1,
                    previous: self.previous_id,
                    next: row.id,
                }
            } else {
                ChainFault::AlteredAndRehashed {
                    id: self.previous_id,
                }
            });
        }
        if self.expected_hash(row) != row.hash {
            return Err(ChainFault::Altered { id: row.id });
        }
        self.expected_prev.clone_from(&row.hash);
        self.previous_id = row.id;
        self.count += 1;
        Ok(())
    }

    /// Checks that the last row is the chain's recorded head; returns the rows checked.
    pub fn finish(self, head_id: i64, head_hash: &str) -> Result<u64, ChainFault> {
        if self.previous_id == head_id && self.expected_prev == head_hash {
            return Ok(self.count);
        }
        if self.previous_id < head_id {
            return Err(ChainFault::TailRemoved {
                last_present: self.previous_id,
                head: head_id,
            });
        }
        Err(ChainFault::AlteredAndRehashed {
            id: self.previous_id,
        })
    }
}

/// Verifies a whole chain held in memory.
pub fn verify(
    key: &ChainKey,
    keyed_from: &KeyedFrom,
    rows: impl IntoIterator<Item = ChainRow>,
    head_id: i64,
    head_hash: &str,
) -> Result<u64, ChainFault> {
    let mut verifier = ChainVerifier::new(key.clone(), keyed_from)?;
    for row in rows {
        verifier.push(&row)?;
    }
    verifier.finish(head_id, head_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ChainKey {
        ChainKey::new([7; 32])
    }

    /// Rows 1..=n; those from `keyed_from` on are MACed, the rest plainly hashed.
    fn chain(n: i64, keyed_from: i64) -> (Vec<ChainRow>, KeyedFrom) {
        let mut prev = String::new();
        let rows = (1..=n)
            .map(|id| {
                let fields = AuditFields {
                    at: 1_700_000_000 + id,
                    user_id: Some(1),
                    username: "heshan".into(),
                    ip: "127.0.0.1".into(),
                    action: "login".into(),
                    object_type: "user".into(),
                    object_id: "1".into(),
                    result: "ok".into(),
                    detail: String::new(),
                    region: "440784".into(),
                };
                let hash = if id >= keyed_from {
                    chain_mac(&key(), &prev, &fields)
                } else {
                    chain_hash(&prev, &fields)
                };
                let row = ChainRow {
                    id,
                    fields,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect();
        let marker = KeyedFrom {
            id: keyed_from,
            seal: key().seal_keyed_from(keyed_from),
        };
        (rows, marker)
    }

    fn head(rows: &[ChainRow]) -> (i64, String) {
        rows.last()
            .map(|r| (r.id, r.hash.clone()))
            .unwrap_or((0, String::new()))
    }

    #[test]
    fn intact_chain_verifies() {
        for keyed_from in [1, 3, 6] {
            let (rows, marker) = chain(5, keyed_from);
            let (id, hash) = head(&rows);
            assert_eq!(verify(&key(), &marker, rows, id, &hash), Ok(5));
        }
        let (_, marker) = chain(0, 1);
        assert_eq!(verify(&key(), &marker, Vec::new(), 0, ""), Ok(0));
    }

    #[test]
    fn names_the_altered_row() {
        let (mut rows, marker) = chain(5, 1);
        let (id, hash) = head(&rows);
        rows[2].fields.result = "denied".into();
        assert_eq!(
            verify(&key(), &marker, rows, id, &hash),
            Err(ChainFault::Altered { id: 3 })
        );
    }

    #[test]
    fn a_keyed_rows_region_is_covered() {
        let (mut rows, marker) = chain(5, 1);
        let (id, hash) = head(&rows);
        rows[1].fields.region = "445302".into();
        assert_eq!(
            verify(&key(), &marker, rows, id, &hash),
            Err(ChainFault::Altered { id: 2 })
        );
    }

    #[test]
    fn names_a_row_altered_and_rehashed() {
        let (mut rows, marker) = chain(5, 1);
        let (id, hash) = head(&rows);
        rows[1].fields.username = "someone".into();
        rows[1].hash = chain_mac(&key(), &rows[1].prev_hash, &rows[1].fields);
        assert_eq!(
            verify(&key(), &marker, rows, id, &hash),
            Err(ChainFault::AlteredAndRehashed { id: 2 })
        );
    }

    #[test]
    fn a_rewrite_without_the_key_does_not_verify() {
        // Whoever holds only the database rewrites a row and rehashes every
        // row after it, and the head, with the plain hash they can compute.
        let (mut rows, marker) = chain(5, 1);
        rows[1].fields.username = "someone".into();
        let mut prev = rows[0].hash.clone();
        for row in rows.iter_mut().skip(1) {
            row.prev_hash = prev.clone();
            row.hash = chain_hash(&row.prev_hash, &row.fields);
            prev = row.hash.clone();
        }
        let (id, hash) = head(&rows);
        assert_eq!(
            verify(&key(), &marker, rows.clone(), id, &hash),
            Err(ChainFault::Altered { id: 2 })
        );
        // Nor can they move the start of the keyed rows past the end.
        let moved = KeyedFrom {
            id: 100,
            seal: marker.seal.clone(),
        };
        assert_eq!(
            verify(&key(), &moved, rows, id, &hash),
            Err(ChainFault::KeyMarkerAltered)
        );
        // And another key does not verify this chain.
        let (rows, marker) = chain(5, 1);
        let (id, hash) = head(&rows);
        assert_eq!(
            verify(&ChainKey::new([8; 32]), &marker, rows, id, &hash),
            Err(ChainFault::KeyMarkerAltered)
        );
    }

    #[test]
    fn names_the_removed_row() {
        let (mut rows, marker) = chain(5, 2);
        let (id, hash) = head(&rows);
        rows.remove(3);
        assert_eq!(
            verify(&key(), &marker, rows, id, &hash),
            Err(ChainFault::Removed {
                id: 4,
                previous: 3,
                next: 5
            })
        );
    }

    #[test]
    fn notices_the_newest_rows_removed() {
        let (mut rows, marker) = chain(5, 1);
        let (id, hash) = head(&rows);
        rows.truncate(3);
        assert_eq!(
            verify(&key(), &marker, rows, id, &hash),
            Err(ChainFault::TailRemoved {
                last_present: 3,
                head: 5
            })
        );
    }
}
