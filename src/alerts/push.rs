//! Web Push: the service's VAPID key pair (RFC 8292), made on first start and kept in the
//! database, and one push message encrypted for one browser (RFC 8291).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};

use crate::store::{DynStore, StoreResult};

/// A push message lives this long at the push service before it is dropped.
pub const TTL_SECS: u64 = 24 * 3600;
/// A VAPID token's lifetime; RFC 8292 allows at most 24 hours.
const TOKEN_SECS: i64 = 12 * 3600;

/// The keys a browser's subscription carries, base64url as the browser gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserKeys {
    pub p256dh: String,
    pub auth: String,
}

impl BrowserKeys {
    /// Whether they are a P-256 point and a 16-byte secret.
    pub fn valid(&self) -> bool {
        self.decoded().is_some()
    }

    fn decoded(&self) -> Option<(p256::PublicKey, web_push_native::Auth)> {
        let point = URL_SAFE_NO_PAD
            .decode(self.p256dh.trim_end_matches('='))
            .ok()?;
        let auth = URL_SAFE_NO_PAD
            .decode(self.auth.trim_end_matches('='))
            .ok()?;
        if auth.len() != 16 {
            return None;
        }
        let key = p256::PublicKey::from_sec1_bytes(&point).ok()?;
        Some((key, web_push_native::Auth::clone_from_slice(&auth)))
    }
}

/// The service's VAPID identity.
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    /// The public key, uncompressed, base64url: what browsers subscribe with.
    pub public: String,
    /// Who runs the service, for the push services (`sub` claim).
    contact: String,
}

impl Vapid {
    /// Loads the key pair kept in the database, making it on the first start.
    pub async fn load(store: &DynStore, contact: String) -> StoreResult<Vapid> {
        let fresh = SigningKey::random(&mut rand::rngs::OsRng);
        let stored = store
            .setting_or_insert(
                "vapid_private_key",
                &URL_SAFE_NO_PAD.encode(fresh.to_bytes()),
            )
            .await?;
        let key = URL_SAFE_NO_PAD
            .decode(&stored)
            .ok()
            .and_then(|b| SigningKey::from_slice(&b).ok())
            .ok_or_else(|| {
                crate::store::StoreError::Malformed(
                    "the stored VAPID key is not a P-256 key".into(),
                )
            })?;
        Ok(Vapid::from_key(key, contact))
    }

    fn from_key(key: SigningKey, contact: String) -> Vapid {
        let public = URL_SAFE_NO_PAD.encode(key.verifying_key().to_encoded_point(false).as_bytes());
        Vapid {
            key,
            public,
            contact,
        }
    }

    /// The `Authorization` header for a push to `endpoint`, valid from `now`.
    pub fn authorization(&self, endpoint: &reqwest::Url, now: i64) -> String {
        let audience = endpoint.origin().ascii_serialization();
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            serde_json::json!({ "aud": audience, "exp": now + TOKEN_SECS, "sub": self.contact })
                .to_string(),
        );
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(signed.as_bytes());
        let token = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        format!("vapid t={token}, k={}", self.public)
    }
}

/// The payload encrypted for the browser (`aes128gcm`), or `None` for keys that are not.
pub fn encrypt(keys: &BrowserKeys, payload: &[u8]) -> Option<Vec<u8>> {
    let (key, auth) = keys.decoded()?;
    web_push_native::encrypt(payload.to_vec(), &key, &auth).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    #[test]
    fn vapid_tokens_verify_with_the_public_key() {
        let vapid = Vapid::from_key(
            SigningKey::random(&mut rand::rngs::OsRng),
            "mailto:ops@example.org".into(),
        );
        let url = reqwest::Url::parse("https://push.example.net/send/abc").expect("url");
        let auth = vapid.authorization(&url, 1_700_000_000);
        let token = auth
            .strip_prefix("vapid t=")
            .and_then(|r| r.split(", k=").next())
            .expect("token");
        let parts: Vec<&str> = token.split('.').collect();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["aud"], "https://push.example.net");
        let public = URL_SAFE_NO_PAD.decode(&vapid.public).expect("b64");
        let verifier = VerifyingKey::from_sec1_bytes(&public).expect("key");
        let sig =
            Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).expect("b64")).expect("sig");
        verifier
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("valid");
    }

    #[test]
    fn browser_keys_are_checked() {
        let bad = BrowserKeys {
            p256dh: "AAAA".into(),
            auth: "AAAA".into(),
        };
        assert!(!bad.valid());
        assert!(encrypt(&bad, b"x").is_none());
    }
}
