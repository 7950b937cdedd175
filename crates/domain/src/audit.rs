//! The audit trail's hash chain.
//!
//! Each row's hash is SM3 (GB/T 32905-2016, the commercial-crypto hash) over
//! the previous row's hash and this row's fields, so altering a row breaks its
//! own hash and removing one breaks the link of the row after it. The chain's
//! head (last id and hash) is kept apart, so removing the newest rows shows too.

use sm3::{Digest, Sm3};

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
}

/// A stored row, as `verify` reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub id: i64,
    pub fields: AuditFields,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a row that follows `prev_hash`.
pub fn chain_hash(prev_hash: &str, f: &AuditFields) -> String {
    let mut h = Sm3::new();
    // Length-prefixed fields: no choice of values can make two rows encode alike.
    let user_id = f.user_id.map(|u| u.to_string()).unwrap_or_default();
    for part in [
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
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
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
}

/// Checks rows one at a time, in id order, so a trail of any length can be
/// verified in bounded memory.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    expected_prev: String,
    previous_id: i64,
    count: u64,
}

impl ChainVerifier {
    pub fn new() -> ChainVerifier {
        ChainVerifier::default()
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
        if chain_hash(&row.prev_hash, &row.fields) != row.hash {
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
    rows: impl IntoIterator<Item = ChainRow>,
    head_id: i64,
    head_hash: &str,
) -> Result<u64, ChainFault> {
    let mut verifier = ChainVerifier::new();
    for row in rows {
        verifier.push(&row)?;
    }
    verifier.finish(head_id, head_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ChainRow> {
        let mut prev = String::new();
        (1..=n)
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
                };
                let hash = chain_hash(&prev, &fields);
                let row = ChainRow {
                    id,
                    fields,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn head(rows: &[ChainRow]) -> (i64, String) {
        rows.last()
            .map(|r| (r.id, r.hash.clone()))
            .unwrap_or((0, String::new()))
    }

    #[test]
    fn intact_chain_verifies() {
        let rows = chain(5);
        let (id, hash) = head(&rows);
        assert_eq!(verify(rows, id, &hash), Ok(5));
        assert_eq!(verify(Vec::new(), 0, ""), Ok(0));
    }

    #[test]
    fn names_the_altered_row() {
        let mut rows = chain(5);
        let (id, hash) = head(&rows);
        rows[2].fields.result = "denied".into();
        assert_eq!(verify(rows, id, &hash), Err(ChainFault::Altered { id: 3 }));
    }

    #[test]
    fn names_a_row_altered_and_rehashed() {
        let mut rows = chain(5);
        let (id, hash) = head(&rows);
        rows[1].fields.username = "someone".into();
        rows[1].hash = chain_hash(&rows[1].prev_hash, &rows[1].fields);
        assert_eq!(
            verify(rows, id, &hash),
            Err(ChainFault::AlteredAndRehashed { id: 2 })
        );
    }

    #[test]
    fn names_the_removed_row() {
        let mut rows = chain(5);
        let (id, hash) = head(&rows);
        rows.remove(3);
        assert_eq!(
            verify(rows, id, &hash),
            Err(ChainFault::Removed {
                id: 4,
                previous: 3,
                next: 5
            })
        );
    }

    #[test]
    fn notices_the_newest_rows_removed() {
        let mut rows = chain(5);
        let (id, hash) = head(&rows);
        rows.truncate(3);
        assert_eq!(
            verify(rows, id, &hash),
            Err(ChainFault::TailRemoved {
                last_present: 3,
                head: 5
            })
        );
    }
}
