//! Share delivery between trustees (spec `ceremony.md` §13): each share encrypted to its
//! recipient, and the proofs a complaint carries so that anyone can judge it.

use super::envelope::EncryptedShare;
use super::error::TrusteeError;
use super::setup::CeremonySetup;
use crate::ceremony::{round2, CeremonyError};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::Secret;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::{EqualityStatement, PointPair};
use crate::crypto::transcript::Transcript;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

// ---------------------------------------------------------------------------------------------
// Share encryption (spec §13)
// ---------------------------------------------------------------------------------------------

fn share_key(
    setup: &CeremonySetup,
    from: u32,
    to: u32,
    ephemeral: &GroupElement,
    shared: &GroupElement,
) -> Option<Zeroizing<Hash>> {
    let sender = setup.trustee(from)?;
    let recipient = setup.trustee(to)?;
    Some(Zeroizing::new(tagged_hash(
        "saylau/v1/share-key",
        &[
            &setup.ceremony_id,
            &from.to_le_bytes(),
            &to.to_le_bytes(),
            sender.signing_key.as_bytes(),
            recipient.encryption_key.as_bytes(),
            ephemeral.as_bytes(),
            shared.as_bytes(),
        ],
    )))
}

fn share_aad(ceremony_id: &Hash, from: u32, to: u32, ephemeral: &GroupElement) -> Hash {
    tagged_hash(
        "saylau/v1/share-aad",
        &[
            ceremony_id,
            &from.to_le_bytes(),
            &to.to_le_bytes(),
            ephemeral.as_bytes(),
        ],
    )
}

/// The nonce: all zero; each key encrypts exactly one message (a fresh `E` per share).
const SHARE_NONCE: [u8; 12] = [0u8; 12];

/// Encrypts `share` to its recipient (spec §13).
pub fn encrypt_share<R: RngCore + CryptoRng>(
    setup: &CeremonySetup,
    share: &round2::SecretShare,
    rng: &mut R,
) -> Result<EncryptedShare, TrusteeError> {
    let recipient = setup
        .trustee(share.to)
        .ok_or(CeremonyError::UnknownTrustee { index: share.to })?;
    let ephemeral_secret = Secret::random(rng);
    let ephemeral = ephemeral_secret.public_element();
    let shared =
        GroupElement::from_point(ephemeral_secret.expose() * recipient.encryption_key.point());
    let key = share_key(setup, share.from, share.to, &ephemeral, &shared)
        .ok_or(CeremonyError::UnknownTrustee { index: share.from })?;
    let cipher = ChaCha20Poly1305::new(key.as_ref().into());
    let plaintext = Zeroizing::new(share.value().expose().to_bytes());
    let aad = share_aad(&setup.ceremony_id, share.from, share.to, &ephemeral);
    let ciphertext = cipher
        .encrypt(
            (&SHARE_NONCE).into(),
            Payload {
                msg: plaintext.as_ref(),
                aad: &aad,
            },
        )
        .map_err(|_| TrusteeError::usage("share encryption failed"))?;
    Ok(EncryptedShare {
        to: share.to,
        ephemeral_key: ephemeral,
        ciphertext: hex::encode(ciphertext),
    })
}

/// Why an encrypted share is not a valid share (spec §13–§14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShareFault {
    /// The AEAD rejects it under the (proven) key.
    Undecryptable,
    /// The plaintext is not a canonical scalar.
    NotAScalar,
    /// The scalar does not match the sender's commitments (spec §5).
    WrongShare,
}

impl std::fmt::Display for ShareFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShareFault::Undecryptable => "its share cannot be decrypted",
            ShareFault::NotAScalar => "its share decrypts to something that is not a scalar",
            ShareFault::WrongShare => "its share does not match its commitments",
        })
    }
}

/// Decrypts a share given the Diffie–Hellman value `D` and checks it against the sender's
/// commitments. Anyone can run this once `D` is revealed by a complaint.
pub(crate) fn open_share(
    setup: &CeremonySetup,
    from: u32,
    encrypted: &EncryptedShare,
    shared: &GroupElement,
    commitments: &[GroupElement],
) -> Result<round2::SecretShare, ShareFault> {
    let key = share_key(setup, from, encrypted.to, &encrypted.ephemeral_key, shared)
        .ok_or(ShareFault::Undecryptable)?;
    let ciphertext = hex::decode(&encrypted.ciphertext).map_err(|_| ShareFault::Undecryptable)?;
    let aad = share_aad(
        &setup.ceremony_id,
        from,
        encrypted.to,
        &encrypted.ephemeral_key,
    );
    let cipher = ChaCha20Poly1305::new(key.as_ref().into());
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(
                (&SHARE_NONCE).into(),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| ShareFault::Undecryptable)?,
    );
    let array: Zeroizing<[u8; 32]> = Zeroizing::new(
        plaintext
            .as_slice()
            .try_into()
            .map_err(|_| ShareFault::NotAScalar)?,
    );
    let scalar = Option::<Scalar>::from(Scalar::from_canonical_bytes(*array))
        .ok_or(ShareFault::NotAScalar)?;
    let share = round2::SecretShare::new(from, encrypted.to, Secret::from_scalar(scalar));
    if share.matches(commitments) {
        Ok(share)
    } else {
        Err(ShareFault::WrongShare)
    }
}

pub(crate) fn complaint_transcript(
    ceremony_id: &Hash,
    complainer: u32,
    accused: u32,
) -> Transcript {
    let mut transcript = Transcript::for_purpose(ceremony_id, b"ceremony-complaint", None);
    transcript.append_u64(b"complainer", u64::from(complainer));
    transcript.append_u64(b"accused", u64::from(accused));
    transcript
}

pub(crate) fn complaint_statement<'a>(
    ephemeral: &'a GroupElement,
    encryption_key: &'a GroupElement,
    shared: &'a GroupElement,
) -> EqualityStatement<'a> {
    EqualityStatement {
        base: ephemeral,
        base_is_key: false,
        pair: PointPair::encoded(encryption_key, shared),
        shift: 0,
    }
}
