//! Range proof for large ranges: a ciphertext's plaintext lies in `low..=high`, via bulletproofs.
//!
//! Spec: `protocol-spec/proofs.md` §5. The prover commits to the plaintext in a Pedersen
//! commitment `C = m·G + s·H` (`H` derived by hash-to-group), proves with a Sigma protocol that
//! `C` and the ciphertext share the plaintext `m` (the "tie"), and proves with one aggregated
//! bulletproof that both `m − low` and `high − m` lie in `[0, 2ⁿ)`.

use crate::crypto::batch::{Base, EquationSink};
use crate::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::{bytes_hex, pedersen_h, scalar_hex, GroupElement, G};
use crate::crypto::proofs::{encrypts, equation_holds, PointPair};
use crate::crypto::transcript::Transcript;
use bulletproofs::{BulletproofGens, PedersenGens};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Domain-separation label of this proof kind.
pub const LABEL: &[u8] = b"bulletproof-range";

/// The Sigma protocol tying the Pedersen commitment to the ciphertext: knowledge of `(m, r, s)`
/// with `α = r·G`, `β = m·G + r·K`, `C = m·G + s·H`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TieProof {
    /// `t_r = u_r·G`.
    pub commit_r: GroupElement,
    /// `t_m = u_m·G + u_r·K`.
    pub commit_m: GroupElement,
    /// `t_s = u_m·G + u_s·H`.
    pub commit_s: GroupElement,
    /// `z_r = u_r + c·r`.
    #[serde(with = "scalar_hex")]
    pub response_r: Scalar,
    /// `z_m = u_m + c·m`.
    #[serde(with = "scalar_hex")]
    pub response_m: Scalar,
    /// `z_s = u_s + c·s`.
    #[serde(with = "scalar_hex")]
    pub response_s: Scalar,
}

/// A range proof for an ElGamal ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeProof {
    /// The Pedersen commitment `C = m·G + s·H`.
    pub commitment: GroupElement,
    /// The proof that `C` and the ciphertext hold the same `m`.
    pub tie: TieProof,
    /// The aggregated bulletproof for `C − low·G` and `high·G − C`, in the crate's byte format.
    #[serde(with = "bytes_hex")]
    pub bulletproof: Vec<u8>,
}

/// Bit size `n`: the smallest of 8, 16, 32, 64 with `high − low < 2ⁿ`. Spec `proofs.md` §5.1.
pub fn bit_size(low: u64, high: u64) -> usize {
    let span = high - low;
    [8usize, 16, 32]
        .into_iter()
        .find(|&bits| span < (1u64 << bits))
        .unwrap_or(64)
}

fn bulletproof_gens() -> &'static BulletproofGens {
    static GENS: OnceLock<BulletproofGens> = OnceLock::new();
    GENS.get_or_init(|| BulletproofGens::new(64, 2))
}

fn pedersen_gens() -> PedersenGens {
    PedersenGens {
        B: G,
        B_blinding: *pedersen_h(),
    }
}

fn tie_challenge(
    transcript: &mut Transcript,
    key: &PublicKey,
    ciphertext: &PointPair<'_>,
    low: u64,
    high: u64,
    commitment: &GroupElement,
    tie: (&GroupElement, &GroupElement, &GroupElement),
) -> Scalar {
    // proofs.md §5.2
    transcript.start_proof(LABEL);
    let [alpha, beta] = ciphertext.encoding();
    let (low, high) = (low.to_le_bytes(), high.to_le_bytes());
    let statement: [&[u8]; 5] = [key.element().as_bytes(), alpha, beta, &low, &high];
    transcript.append_concat(b"statement", statement);
    let commitments: [&[u8]; 4] = [
        commitment.as_bytes(),
        tie.0.as_bytes(),
        tie.1.as_bytes(),
        tie.2.as_bytes(),
    ];
    transcript.append_concat(b"commitments", commitments);
    transcript.challenge_scalar(b"challenge")
}

/// The two bulletproof value commitments `C − low·G` and `high·G − C`.
fn value_commitments(commitment: &GroupElement, low: u64, high: u64) -> [CompressedRistretto; 2] {
    let c = commitment.point();
    [
        (c - &Scalar::from(low) * RISTRETTO_BASEPOINT_TABLE).compress(),
        (&Scalar::from(high) * RISTRETTO_BASEPOINT_TABLE - c).compress(),
    ]
}

impl RangeProof {
    /// Proves that `ciphertext = Enc(m; nonce)` with `low ≤ m ≤ high`.
    #[allow(clippy::too_many_arguments)]
    pub fn prove<'c, R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        key: &EncryptionKey,
        ciphertext: impl Into<PointPair<'c>>,
        low: u64,
        high: u64,
        m: u64,
        nonce: &Secret,
        rng: &mut R,
    ) -> Result<Self, ProofError> {
        let ciphertext = &ciphertext.into();
        if high < low || m < low || m > high || !encrypts(key, ciphertext, m, nonce) {
            return Err(ProofError::FalseStatement);
        }
        let h = pedersen_h();
        let m_scalar = Secret::from_scalar(Scalar::from(m));
        let blinding = Secret::random(rng);
        let commitment = GroupElement::from_point(
            m_scalar.expose() * RISTRETTO_BASEPOINT_TABLE + blinding.expose() * h,
        );
        let (u_r, u_m, u_s) = (
            Secret::random(rng),
            Secret::random(rng),
            Secret::random(rng),
        );
        let m_g = u_m.expose() * RISTRETTO_BASEPOINT_TABLE;
        let commit_r = u_r.public_element();
        let commit_m = GroupElement::from_point(m_g + key.mul(u_r.expose()));
        let commit_s = GroupElement::from_point(m_g + u_s.expose() * h);
        let c = tie_challenge(
            transcript,
            key.public_key(),
            ciphertext,
            low,
            high,
            &commitment,
            (&commit_r, &commit_m, &commit_s),
        );
        let tie = TieProof {
            commit_r,
            commit_m,
            commit_s,
            response_r: u_r.expose() + c * nonce.expose(),
            response_m: u_m.expose() + c * m_scalar.expose(),
            response_s: u_s.expose() + c * blinding.expose(),
        };
        let bits = bit_size(low, high);
        transcript.append_u64(b"bits", bits as u64);
        let negated = Secret::from_scalar(-blinding.expose());
        let (bulletproof, _) = bulletproofs::RangeProof::prove_multiple_with_rng(
            bulletproof_gens(),
            &pedersen_gens(),
            transcript.merlin_mut(),
            &[m - low, high - m],
            &[*blinding.expose(), *negated.expose()],
            bits,
            rng,
        )
        .map_err(|e| ProofError::Bulletproof(e.to_string()))?;
        Ok(Self {
            commitment,
            tie,
            bulletproof: bulletproof.to_bytes(),
        })
    }

    /// Verifies the bulletproof now (with its own multiscalar multiplication) and emits the tie
    /// equations (spec `proofs.md` §5.3):
    /// `z_r·G − t_r − c·α = 0`, `z_m·G + z_r·K − t_m − c·β = 0`, `z_m·G + z_s·H − t_s − c·C = 0`.
    pub fn equations<'c>(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: impl Into<PointPair<'c>>,
        low: u64,
        high: u64,
        sink: &mut dyn EquationSink,
    ) -> Result<(), ProofError> {
        let ciphertext = &ciphertext.into();
        let c = self.check_bulletproof(transcript, key, ciphertext, low, high)?;
        let tie = &self.tie;
        let [alpha, beta] = ciphertext.bases();
        let (w1, w2, w3) = (sink.weight(), sink.weight(), sink.weight());
        sink.add(w1 * tie.response_r + (w2 + w3) * tie.response_m, Base::G);
        sink.add(w2 * tie.response_r, Base::Key(key.element()));
        sink.add(w3 * tie.response_s, Base::H);
        sink.add(-w1, Base::Point(tie.commit_r.point()));
        sink.add(-w2, Base::Point(tie.commit_m.point()));
        sink.add(-w3, Base::Point(tie.commit_s.point()));
        sink.add(-(w1 * c), alpha);
        sink.add(-(w2 * c), beta);
        sink.add(-(w3 * c), Base::Point(self.commitment.point()));
        Ok(())
    }

    /// Verifies this proof on its own: the bulletproof, then each tie equation as written
    /// (spec `proofs.md` §1.2, §5.3).
    pub fn verify<'c>(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: impl Into<PointPair<'c>>,
        low: u64,
        high: u64,
    ) -> Result<(), ProofError> {
        let ciphertext = &ciphertext.into();
        let c = self.check_bulletproof(transcript, key, ciphertext, low, high)?;
        let (alpha, beta) = ciphertext.points()?;
        let tie = &self.tie;
        equation_holds(
            || "tie E1 (z_r·G = t_r + c·α)".into(),
            &tie.commit_r,
            tie.response_r,
            &[(-c, alpha)],
        )?;
        equation_holds(
            || "tie E2 (z_m·G + z_r·K = t_m + c·β)".into(),
            &tie.commit_m,
            tie.response_m,
            &[(tie.response_r, key.point()), (-c, beta)],
        )?;
        equation_holds(
            || "tie E3 (z_m·G + z_s·H = t_s + c·C)".into(),
            &tie.commit_s,
            tie.response_m,
            &[
                (tie.response_s, pedersen_h()),
                (-c, self.commitment.point()),
            ],
        )
    }

    /// Verifier steps 1–4 (spec `proofs.md` §5.3): shape and identity checks, the tie
    /// challenge, and the bulletproof (with its own multiscalar multiplication). Returns the tie
    /// challenge.
    fn check_bulletproof(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: &PointPair<'_>,
        low: u64,
        high: u64,
    ) -> Result<Scalar, ProofError> {
        if high < low {
            return Err(ProofError::Shape("range with high < low"));
        }
        let tie = &self.tie;
        if self.commitment.is_identity()
            || tie.commit_r.is_identity()
            || tie.commit_m.is_identity()
            || tie.commit_s.is_identity()
        {
            return Err(ProofError::IdentityCommitment);
        }
        let c = tie_challenge(
            transcript,
            key,
            ciphertext,
            low,
            high,
            &self.commitment,
            (&tie.commit_r, &tie.commit_m, &tie.commit_s),
        );
        let bits = bit_size(low, high);
        transcript.append_u64(b"bits", bits as u64);
        let bulletproof = bulletproofs::RangeProof::from_bytes(&self.bulletproof)
            .map_err(|e| ProofError::Bulletproof(e.to_string()))?;
        bulletproof
            .verify_multiple_with_rng(
                bulletproof_gens(),
                &pedersen_gens(),
                transcript.merlin_mut(),
                &value_commitments(&self.commitment, low, high),
                bits,
                &mut rand::thread_rng(),
            )
            .map_err(|e| ProofError::Bulletproof(e.to_string()))?;

        Ok(c)
    }
}
