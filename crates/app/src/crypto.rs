//! Field encryption and blind indexes for sensitive values at rest.
//!
//! ID numbers, phone numbers, bank accounts and TOTP secrets are stored
//! encrypted with SM4-GCM (SM4: GB/T 32907-2016, the commercial-crypto block
//! cipher, in the GCM authenticated mode), each value under a fresh random
//! nonce. Exact look-up and duplicate detection use a blind index: HMAC-SM3
//! of the normalised value under a second key, which reveals nothing of the
//! value without the key.
//!
//! Both keys are derived from one 32-byte master key kept in a key file
//! outside the database. Lose the file and the encrypted fields are lost:
//! it must be backed up apart from the database.

use crate::{AppError, Result};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::AesGcm;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::Sm3;
use sm4::cipher::consts::U12;
use sm4::Sm4;
use std::path::Path;

type Sm4Gcm = AesGcm<Sm4, U12>;
type HmacSm3 = Hmac<Sm3>;

/// The first byte of every ciphertext: lets a later key rotation or cipher
/// change tell old values from new.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// The keys derived from the master key. `Debug` shows nothing of them.
#[derive(Clone)]
pub struct Keys {
    cipher: Sm4Gcm,
    index_key: [u8; 32],
    audit_key: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(…)")
    }
}

/// An HMAC-SM3 keyed with 32 bytes. HMAC pads a short key with zeros to the
/// hash's 64-byte block, so padding it here first is the same MAC, and the
/// fixed-size constructor cannot fail.
fn hmac_sm3(key: &[u8; 32]) -> HmacSm3 {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <HmacSm3 as KeyInit>::new(&block.into())
}

/// HMAC-SM3 as a key-derivation function: one master, independent subkeys.
fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = hmac_sm3(master);
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Keys {
    pub fn from_master(master: &[u8; 32]) -> Keys {
        let derived = derive(master, "kangyang field encryption v1");
        // SM4 takes a 128-bit key: the first half of the derived bytes.
        let mut cipher_key = [0u8; 16];
        cipher_key.copy_from_slice(&derived[..16]);
        Keys {
            cipher: Sm4Gcm::new(&cipher_key.into()),
            index_key: derive(master, "kangyang blind index v1"),
            audit_key: derive(master, "kangyang audit chain v1"),
        }
    }

    /// The key of the audit trail's MAC chain: without the key file, the
    /// database alone cannot be rewritten to verify.
    pub fn audit_chain_key(&self) -> kangyang_domain::audit::ChainKey {
        kangyang_domain::audit::ChainKey::new(self.audit_key)
    }

    /// Fresh random keys (tests, and a first start that creates a key file).
    pub fn generate() -> (Keys, [u8; 32]) {
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        (Keys::from_master(&master), master)
    }

    /// Reads the key file, refusing one that group or others can read; with
    /// `create`, makes a new one (mode 0600) when there is none.
    pub fn load_or_create(path: &Path, create: bool) -> Result<(Keys, bool)> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            if !create {
                return Err(AppError::internal(format!(
                    "key file {} does not exist",
                    path.display()
                )));
            }
            let (keys, master) = Keys::generate();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| {
                    AppError::internal(format!("cannot create {}: {e}", path.display()))
                })?;
            std::io::Write::write_all(&mut file, format!("{}\n", hex(&master)).as_bytes())
                .map_err(|e| AppError::internal(format!("cannot write {}: {e}", path.display())))?;
            file.sync_all().map_err(AppError::internal)?;
            return Ok((keys, true));
        }
        let meta = std::fs::metadata(path)
            .map_err(|e| AppError::internal(format!("cannot read {}: {e}", path.display())))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AppError::internal(format!(
                "refusing to start: key file {} is readable by group or others (mode {mode:o}); run `chmod 600` on it",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::internal(format!("cannot read {}: {e}", path.display())))?;
        let master = unhex32(text.trim()).ok_or_else(|| {
            AppError::internal(format!(
                "key file {} does not hold a 64-digit hex key",
                path.display()
            ))
        })?;
        Ok((Keys::from_master(&master), false))
    }

    /// Encrypts a value: version byte, nonce, ciphertext with its tag.
    pub fn encrypt(&self, plain: &str) -> Result<Vec<u8>> {
        // A random 96-bit nonce from the thread's CSPRNG (ChaCha, seeded and
        // reseeded from the OS): no system call per value.
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), plain.as_bytes())
            .map_err(|_| AppError::internal("encryption failed"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Keys::encrypt`] made; fails if it was altered or the key differs.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<String> {
        let [FORMAT_V1, rest @ ..] = sealed else {
            return Err(AppError::internal("unknown ciphertext format"));
        };
        if rest.len() < NONCE_LEN {
            return Err(AppError::internal("ciphertext too short"));
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| AppError::internal("bad nonce"))?;
        let plain = self
            .cipher
            .decrypt(&nonce.into(), body)
            .map_err(|_| AppError::internal("decryption failed: wrong key or altered value"))?;
        String::from_utf8(plain).map_err(AppError::internal)
    }

    /// The blind index of a value of kind `kind` (so equal phone numbers and
    /// ID numbers do not share an index value): HMAC-SM3 truncated to 128
    /// bits, as 32 hex digits. 128 bits leave collisions among even a billion
    /// values vanishingly unlikely, and halve the size of the indexes.
    pub fn blind_index(&self, kind: &str, normalised: &str) -> String {
        let mut mac = hmac_sm3(&self.index_key);
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        hex(&mac.finalize().into_bytes()[..16])
    }
}

/// The name of the setting that ties a key to its database.
pub const KEY_CHECK_SETTING: &str = "key_check";

/// Refuses a key that is not the one this database's fields were encrypted
/// with (a key file from another installation, or a new one made by mistake),
/// which would make every encrypted field unreadable. A new database records
/// the key's check value.
pub(crate) async fn check_key_belongs(conn: &mut kangyang_store::Conn, keys: &Keys) -> Result<()> {
    let check = keys.blind_index("key check", "kangyang");
    let stored = kangyang_store::settings::get(&mut *conn, KEY_CHECK_SETTING).await?;
    match stored {
        None => {
            kangyang_store::settings::set_if_absent(conn, KEY_CHECK_SETTING, &check).await?;
            Ok(())
        }
        Some(stored) if stored == check => Ok(()),
        Some(_) => Err(AppError::internal(
            "refusing to start: the key file is not the one this database was encrypted with",
        )),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    kangyang_domain::audit::hex(bytes)
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    unhex(s)?.try_into().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_tampering() {
        let (keys, _) = Keys::generate();
        let sealed = keys.encrypt("440784199001011234").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"440784"), "no clear text");
        assert_eq!(keys.decrypt(&sealed).unwrap(), "440784199001011234");
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(keys.decrypt(&altered).is_err());
        let (other, _) = Keys::generate();
        assert!(other.decrypt(&sealed).is_err());
        // A fresh nonce each time: equal values do not give equal ciphertexts.
        assert_ne!(keys.encrypt("x").unwrap(), keys.encrypt("x").unwrap());
    }

    #[test]
    fn blind_index_is_stable_per_key_and_kind() {
        let master = [7u8; 32];
        let a = Keys::from_master(&master);
        let b = Keys::from_master(&master);
        assert_eq!(a.blind_index("id", "1"), b.blind_index("id", "1"));
        assert_ne!(a.blind_index("id", "1"), a.blind_index("phone", "1"));
        assert_ne!(
            a.blind_index("id", "1"),
            Keys::from_master(&[8u8; 32]).blind_index("id", "1")
        );
    }

    #[test]
    fn key_file_is_created_private_and_refused_when_open() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kangyang.key");
        assert!(Keys::load_or_create(&path, false).is_err());
        let (keys, created) = Keys::load_or_create(&path, true).unwrap();
        assert!(created);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (again, created) = Keys::load_or_create(&path, true).unwrap();
        assert!(!created);
        let sealed = keys.encrypt("13812345678").unwrap();
        assert_eq!(again.decrypt(&sealed).unwrap(), "13812345678");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = Keys::load_or_create(&path, true).unwrap_err().to_string();
        assert!(
            err.contains("服务器内部错误") || err.contains("readable"),
            "{err}"
        );
    }
}
