//! Exponential ElGamal on ristretto255: `(α, β) = (r·G, m·G + r·K)`.
//!
//! Spec: `protocol-spec/elgamal.md`.

use crate::crypto::error::DecodeError;
use crate::crypto::group::GroupElement;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret scalar: a secret key, a key share, a credential or an encryption nonce.
///
/// # Security
/// Zeroized on drop; `Debug` prints `<redacted>`; only used in constant-time arithmetic.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Scalar);

impl Secret {
    /// A uniformly random secret.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Scalar::random(rng))
    }

    /// Wraps a scalar. The caller gives up its copy's secrecy to this value.
    pub fn from_scalar(scalar: Scalar) -> Self {
        Self(scalar)
    }

    /// The secret scalar, for constant-time arithmetic.
    pub fn expose(&self) -> &Scalar {
        &self.0
    }

    /// `secret·G`, by the constant-time fixed-base table.
    pub fn public_element(&self) -> GroupElement {
        GroupElement::from_point(&self.0 * RISTRETTO_BASEPOINT_TABLE)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// An ElGamal public key `K`: never the identity.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(transparent)]
pub struct PublicKey(GroupElement);

impl PublicKey {
    /// Wraps a group element, rejecting the identity.
    pub fn new(element: GroupElement) -> Result<Self, DecodeError> {
        element.require_non_identity()?;
        Ok(Self(element))
    }

    /// The key as a group element.
    pub fn element(&self) -> &GroupElement {
        &self.0
    }

    /// The key as a point.
    pub fn point(&self) -> &RistrettoPoint {
        self.0.point()
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let element = GroupElement::deserialize(d)?;
        PublicKey::new(element).map_err(serde::de::Error::custom)
    }
}

/// A public key with a precomputed table, for fast constant-time encryption and proving.
pub struct EncryptionKey {
    key: PublicKey,
    table: RistrettoBasepointTable,
}

impl EncryptionKey {
    /// Precomputes the table for `key` (about 30 KiB).
    pub fn new(key: PublicKey) -> Self {
        Self {
            table: RistrettoBasepointTable::create(key.point()),
            key,
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// `s·K` in constant time.
    pub fn mul(&self, s: &Scalar) -> RistrettoPoint {
        s * &self.table
    }

    /// Encrypts `m` under a fresh nonce. Spec `elgamal.md` §2.
    pub fn encrypt<R: RngCore + CryptoRng>(&self, m: u64, rng: &mut R) -> (Ciphertext, Secret) {
        let nonce = Secret::random(rng);
        (self.encrypt_with_nonce(m, &nonce), nonce)
    }

    /// Encrypts `m` with the given nonce: `(r·G, m·G + r·K)`. Used to re-check a challenged
    /// ballot (spec `ballot.md`, Benaloh challenge).
    pub fn encrypt_with_nonce(&self, m: u64, nonce: &Secret) -> Ciphertext {
        let r = nonce.expose();
        let alpha = r * RISTRETTO_BASEPOINT_TABLE;
        let beta = &Scalar::from(m) * RISTRETTO_BASEPOINT_TABLE + self.mul(r);
        Ciphertext::from_points(alpha, beta)
    }
}

/// An exponential-ElGamal ciphertext.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ciphertext {
    /// `α = r·G`.
    pub alpha: GroupElement,
    /// `β = m·G + r·K`.
    pub beta: GroupElement,
}

impl Ciphertext {
    /// Builds a ciphertext from points (compressing each once).
    pub fn from_points(alpha: RistrettoPoint, beta: RistrettoPoint) -> Self {
        Self {
            alpha: GroupElement::from_point(alpha),
            beta: GroupElement::from_point(beta),
        }
    }

    /// Re-randomizes: adds an encryption of zero with a fresh nonce. Spec `elgamal.md` §4.
    pub fn rerandomize<R: RngCore + CryptoRng>(&self, key: &EncryptionKey, rng: &mut R) -> Self {
        let zero = key.encrypt(0, rng).0;
        let mut sum = CiphertextSum::default();
        sum.add(self);
        sum.add(&zero);
        sum.finish()
    }

    /// Decrypts to the point `m·G` with the whole secret key (tests and single-key use only;
    /// elections decrypt with threshold shares, see [`crate::tally`]).
    pub fn decrypt_to_point(&self, secret: &Secret) -> RistrettoPoint {
        self.beta.point() - secret.expose() * self.alpha.point()
    }

    /// True when `α` is the identity. A ballot ciphertext with `α = 0·G` would expose its vote.
    pub fn has_identity_alpha(&self) -> bool {
        self.alpha.is_identity()
    }
}

/// A running homomorphic sum of ciphertexts, kept as points (no compression per addition).
#[derive(Clone, Copy, Debug)]
pub struct CiphertextSum {
    alpha: RistrettoPoint,
    beta: RistrettoPoint,
}

impl Default for CiphertextSum {
    fn default() -> Self {
        Self {
            alpha: RistrettoPoint::identity(),
            beta: RistrettoPoint::identity(),
        }
    }
}

impl CiphertextSum {
    /// Adds one ciphertext. Spec `elgamal.md` §3.
    pub fn add(&mut self, ciphertext: &Ciphertext) {
        self.alpha += ciphertext.alpha.point();
        self.beta += ciphertext.beta.point();
    }

    /// Subtracts one ciphertext (a superseded ballot).
    pub fn subtract(&mut self, ciphertext: &Ciphertext) {
        self.alpha -= ciphertext.alpha.point();
        self.beta -= ciphertext.beta.point();
    }

    /// Adds another partial sum.
    pub fn merge(&mut self, other: &CiphertextSum) {
        self.alpha += other.alpha;
        self.beta += other.beta;
    }

    /// The sum's `α`, not encoded.
    pub fn alpha(&self) -> &RistrettoPoint {
        &self.alpha
    }

    /// The sum's `β`, not encoded.
    pub fn beta(&self) -> &RistrettoPoint {
        &self.beta
    }

    /// The sum as a ciphertext (identity components allowed: an empty sum is `(0, 0)`).
    pub fn finish(&self) -> Ciphertext {
        Ciphertext::from_points(self.alpha, self.beta)
    }
}

/// `m·G` in constant time.
pub fn encode_plaintext(m: u64) -> RistrettoPoint {
    &Scalar::from(m) * RISTRETTO_BASEPOINT_TABLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn encrypt_add_decrypt() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let secret = Secret::random(&mut rng);
        let key = EncryptionKey::new(PublicKey::new(secret.public_element()).unwrap());
        let mut sum = CiphertextSum::default();
        for m in [1u64, 0, 1, 1, 5] {
            sum.add(&key.encrypt(m, &mut rng).0);
        }
        let total = sum.finish();
        assert_eq!(total.decrypt_to_point(&secret), encode_plaintext(8));
        let again = total.rerandomize(&key, &mut rng);
        assert_ne!(again, total);
        assert_eq!(again.decrypt_to_point(&secret), encode_plaintext(8));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = Secret::from_scalar(Scalar::from(42u64));
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn public_key_rejects_identity() {
        assert!(PublicKey::new(GroupElement::from_point(RistrettoPoint::identity())).is_err());
    }
}
