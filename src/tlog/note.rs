//! The log's key and its checkpoints: a C2SP tlog-checkpoint (origin, size, root) signed
//! as a C2SP signed note with Ed25519. The key's name is the log's origin; the verifier key
//! anyone checks a checkpoint with reads `<name>+<key id>+<base64(0x01 || public key)>`, as
//! Go's `note.NewVerifier` reads it.

use base64::Engine as _;
use signed_note::{Note, Signer as _, StandardSigner, StandardVerifier, VerifierList};

use super::Hash;

/// What is wrong with a key, a note or a checkpoint, in words a reader acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the key is not a signed-note key: {0}")]
    BadKey(String),
    #[error("the checkpoint is not a signed note of origin, size and root hash")]
    Malformed,
    #[error("the checkpoint carries no signature by the key {0}")]
    NotSigned(String),
    #[error(
        "the checkpoint's signature by {0} does not verify: it was changed after it was signed"
    )]
    BadSignature(String),
    #[error("the checkpoint's origin `{origin}` is not the key's name `{key}`")]
    WrongOrigin { origin: String, key: String },
}

/// The log's signing key, with the verifier key it publishes.
#[derive(Clone)]
pub struct LogKey {
    signer: StandardSigner,
    secret: String,
    verifier: String,
    name: String,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// A new key named `name` (the log's origin: no spaces, no `+`).
    pub fn generate(name: &str) -> Result<LogKey, NoteError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(NoteError::BadKey(format!(
                "`{name}` cannot name a key: no spaces and no `+`"
            )));
        }
        let (secret, _) = signed_note::generate_key(&mut rand::rngs::OsRng, name);
        LogKey::from_secret(&secret)
    }

    /// The key from its secret form, `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`.
    pub fn from_secret(secret: &str) -> Result<LogKey, NoteError> {
        let secret = secret.trim();
        let signer = StandardSigner::new(secret).map_err(|e| NoteError::BadKey(e.to_string()))?;
        let encoded = secret.splitn(5, '+').nth(4).unwrap_or_default();
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| NoteError::BadKey(e.to_string()))?;
        let seed: [u8; 32] = key
            .get(1..)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| NoteError::BadKey("not an Ed25519 key".to_owned()))?;
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let name = signer.name().to_owned();
        Ok(LogKey {
            verifier: signed_note::new_ed25519_verifier_key(&name, &public),
            secret: secret.to_owned(),
            signer,
            name,
        })
    }

    /// The secret form, to keep where only the service reads it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The verifier key anyone checks checkpoints with.
    pub fn verifier_key(&self) -> &str {
        &self.verifier
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signed checkpoint of the tree of `size` entries with `root`, as served.
    pub fn sign(&self, size: u64, root: Hash) -> Result<String, NoteError> {
        let text = tlog_tiles::Checkpoint::new(&self.name, size, root, "")
            .map_err(|_| NoteError::Malformed)?
            .to_bytes();
        let mut note = Note::new(&text, &[]).map_err(|_| NoteError::Malformed)?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| NoteError::BadKey(e.to_string()))?;
        String::from_utf8(note.to_bytes()).map_err(|_| NoteError::Malformed)
    }
}

/// A checkpoint's content.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// Checks that `verifier_key` is a verifier key this module can use.
pub fn check_verifier_key(verifier_key: &str) -> Result<(), NoteError> {
    StandardVerifier::new(verifier_key.trim())
        .map(|_| ())
        .map_err(|e| NoteError::BadKey(e.to_string()))
}

/// The checkpoint `note` signs, once its signature by `verifier_key` verifies.
pub fn open(note: &[u8], verifier_key: &str) -> Result<Checkpoint, NoteError> {
    let verifier =
        StandardVerifier::new(verifier_key.trim()).map_err(|e| NoteError::BadKey(e.to_string()))?;
    let key_name = verifier_key
        .split('+')
        .next()
        .unwrap_or_default()
        .to_owned();
    let parsed = Note::from_bytes(note).map_err(|_| NoteError::Malformed)?;
    let known = VerifierList::new(vec![Box::new(verifier)]);
    match parsed.verify(&known) {
        Ok(_) => {}
        Err(signed_note::NoteError::InvalidSignature { .. }) => {
            return Err(NoteError::BadSignature(key_name))
        }
        Err(_) => return Err(NoteError::NotSigned(key_name)),
    }
    let checkpoint = read(parsed.text())?;
    if checkpoint.origin != key_name {
        return Err(NoteError::WrongOrigin {
            origin: checkpoint.origin,
            key: key_name,
        });
    }
    Ok(checkpoint)
}

/// The checkpoint a note holds, its signatures not checked.
pub fn parse_unverified(note: &[u8]) -> Result<Checkpoint, NoteError> {
    let parsed = Note::from_bytes(note).map_err(|_| NoteError::Malformed)?;
    read(parsed.text())
}

fn read(text: &[u8]) -> Result<Checkpoint, NoteError> {
    let c = tlog_tiles::Checkpoint::from_bytes(text).map_err(|_| NoteError::Malformed)?;
    Ok(Checkpoint {
        origin: c.origin().to_owned(),
        size: c.size(),
        root: *c.hash(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::EMPTY_HASH;

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_only() {
        let key = LogKey::generate("status.example.ma").expect("key");
        assert!(key.verifier_key().starts_with("status.example.ma+"));
        let again = LogKey::from_secret(key.secret()).expect("secret read back");
        assert_eq!(again.verifier_key(), key.verifier_key());
        assert!(
            !format!("{key:?}").contains(key.secret()),
            "Debug hides the secret"
        );

        let note = key.sign(7, EMPTY_HASH).expect("signed");
        assert!(note.starts_with("status.example.ma\n7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— status.example.ma "));
        let c = open(note.as_bytes(), key.verifier_key()).expect("verifies");
        assert_eq!(
            (c.origin.as_str(), c.size, c.root),
            ("status.example.ma", 7, EMPTY_HASH)
        );

        let forged = note.replacen("\n7\n", "\n8\n", 1);
        assert_eq!(
            open(forged.as_bytes(), key.verifier_key()),
            Err(NoteError::BadSignature("status.example.ma".into()))
        );
        let other = LogKey::generate("status.example.ma").expect("key");
        assert_eq!(
            open(note.as_bytes(), other.verifier_key()),
            Err(NoteError::NotSigned("status.example.ma".into()))
        );
        let elsewhere = LogKey::generate("elsewhere").expect("key");
        assert!(open(
            elsewhere.sign(1, EMPTY_HASH).expect("signed").as_bytes(),
            elsewhere.verifier_key()
        )
        .is_ok());
        assert_eq!(open(b"junk", key.verifier_key()), Err(NoteError::Malformed));
        assert!(matches!(
            open(note.as_bytes(), "nonsense"),
            Err(NoteError::BadKey(_))
        ));
        assert!(LogKey::generate("two words").is_err());
        assert_eq!(parse_unverified(note.as_bytes()).map(|c| c.size), Ok(7));
    }
}
