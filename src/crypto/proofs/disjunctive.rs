//! Disjunctive Chaum–Pedersen proof that a ciphertext encrypts a value in `low..=high`.
//!
//! Spec: `protocol-spec/proofs.md` §4. One branch per value; the real branch is hidden among
//! simulated ones, and the prover does the same work for every branch so its timing does not
//! depend on the vote.

use crate::crypto::batch::{Base, EquationSink};
use crate::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::{scalar_hex, GroupElement};
use crate::crypto::proofs::{encrypts, equation_holds, PointPair};
use crate::crypto::transcript::Transcript;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Domain-separation label of this proof kind.
pub const LABEL: &[u8] = b"disjunctive";

/// The largest number of branches a disjunctive proof may have; larger ranges use bulletproofs.
pub const MAX_BRANCHES: u64 = 64;

/// One branch `j` (value `low + j`): commitments and its share of the challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// `a_j`, with `v_j·G = a_j + c_j·α`.
    pub a: GroupElement,
    /// `b_j`, with `v_j·K = b_j + c_j·(β − (low+j)·G)`.
    pub b: GroupElement,
    /// The challenge share `c_j`.
    #[serde(with = "scalar_hex")]
    pub challenge: Scalar,
    /// The response `v_j`.
    #[serde(with = "scalar_hex")]
    pub response: Scalar,
}

/// A proof that a ciphertext encrypts one of `low..=high`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisjunctiveProof {
    /// One branch per value, in increasing order of value.
    pub branches: Vec<Branch>,
}

fn check_range(low: u64, high: u64) -> Result<u64, ProofError> {
    if high < low || high - low >= MAX_BRANCHES {
        return Err(ProofError::Shape("range must have 1 to 64 values"));
    }
    Ok(high - low + 1)
}

fn bind_statement(
    transcript: &mut Transcript,
    key: &PublicKey,
    ciphertext: &PointPair<'_>,
    low: u64,
    high: u64,
) {
    // proofs.md §4.2
    transcript.start_proof(LABEL);
    let [alpha, beta] = ciphertext.encoding();
    let (low, high) = (low.to_le_bytes(), high.to_le_bytes());
    let statement: [&[u8]; 5] = [key.element().as_bytes(), alpha, beta, &low, &high];
    transcript.append_concat(b"statement", statement);
}

/// proofs.md §4.2: `commitments ← enc(a_0) ‖ enc(b_0) ‖ enc(a_1) ‖ …`.
fn bind_commitments(transcript: &mut Transcript, branches: &[Branch]) {
    let parts = branches
        .iter()
        .flat_map(|branch| [&branch.a.as_bytes()[..], &branch.b.as_bytes()[..]]);
    transcript.append_concat(b"commitments", parts);
}

impl DisjunctiveProof {
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
        let ciphertext = ciphertext.into();
        let count = check_range(low, high)?;
        if m < low || m > high || !encrypts(key, &ciphertext, m, nonce) {
            return Err(ProofError::FalseStatement);
        }
        let real_index = m - low;
        let (alpha, beta) = ciphertext.points()?;
        bind_statement(transcript, key.public_key(), &ciphertext, low, high);

        // proofs.md §4.4: every branch computes a_j = s_j·G − e_j·α, b_j = s_j·K − e_j·(β − m_j·G),
        // with e_j = 0 on the real branch, so all branches cost the same.
        let mut seeds = Vec::with_capacity(count as usize);
        let mut branches = Vec::with_capacity(count as usize);
        for j in 0..count {
            let is_real = j.ct_eq(&real_index);
            let s = Secret::random(rng);
            let e = Scalar::conditional_select(&Scalar::random(rng), &Scalar::ZERO, is_real);
            let shifted = beta - &Scalar::from(low + j) * RISTRETTO_BASEPOINT_TABLE;
            let a = s.expose() * RISTRETTO_BASEPOINT_TABLE - e * alpha;
            let b = key.mul(s.expose()) - e * shifted;
            let (a, b) = (GroupElement::from_point(a), GroupElement::from_point(b));
            branches.push(Branch {
                a,
                b,
                challenge: e,
                response: Scalar::ZERO,
            });
            seeds.push(s);
        }
        bind_commitments(transcript, &branches);
        let c = transcript.challenge_scalar(b"challenge");
        let simulated_sum: Scalar = branches.iter().map(|branch| branch.challenge).sum();
        let real_challenge = c - simulated_sum;
        let real_response_offset = real_challenge * nonce.expose();
        for (j, (branch, s)) in branches.iter_mut().zip(&seeds).enumerate() {
            let is_real = (j as u64).ct_eq(&real_index);
            branch.challenge =
                Scalar::conditional_select(&branch.challenge, &real_challenge, is_real);
            let real_response = s.expose() + real_response_offset;
            branch.response = Scalar::conditional_select(s.expose(), &real_response, is_real);
        }
        Ok(Self { branches })
    }

    /// Checks the challenge shares and emits, per branch `j`, the equations
    /// `v_j·G − a_j − c_j·α = 0` and `v_j·K − b_j − c_j·β + c_j·(low+j)·G = 0`, each negated.
    /// Spec `proofs.md` §4.3.
    pub fn equations<'c>(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: impl Into<PointPair<'c>>,
        low: u64,
        high: u64,
        sink: &mut dyn EquationSink,
    ) -> Result<(), ProofError> {
        let ciphertext = ciphertext.into();
        self.check_challenges(transcript, key, &ciphertext, low, high)?;
        let (mut g, mut k, mut alpha, mut beta) =
            (Scalar::ZERO, Scalar::ZERO, Scalar::ZERO, Scalar::ZERO);
        // Each equation is emitted negated (a_j + c_j·α − v_j·G = 0, …), which holds exactly
        // when it does: the commitments then take the weights themselves, and the only
        // negations are those of the four sums (proofs.md §4.3).
        for (value, branch) in (low..=high).zip(&self.branches) {
            let w1 = sink.weight();
            let w2 = sink.weight();
            let w2_challenge = w2 * branch.challenge;
            g -= w1 * branch.response;
            match value {
                0 => {}
                1 => g -= w2_challenge,
                _ => g -= w2_challenge * Scalar::from(value),
            }
            k -= w2 * branch.response;
            alpha += w1 * branch.challenge;
            beta += w2_challenge;
            sink.add(w1, Base::Point(branch.a.point()));
            sink.add(w2, Base::Point(branch.b.point()));
        }
        sink.add(g, Base::G);
        sink.add(k, Base::Key(key.element()));
        let [alpha_base, beta_base] = ciphertext.bases();
        sink.add(alpha, alpha_base);
        sink.add(beta, beta_base);
        Ok(())
    }

    /// Verifies this proof on its own, checking each branch's two equations as written (spec
    /// `proofs.md` §1.2, §4.3).
    pub fn verify<'c>(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: impl Into<PointPair<'c>>,
        low: u64,
        high: u64,
    ) -> Result<(), ProofError> {
        let ciphertext = ciphertext.into();
        self.check_challenges(transcript, key, &ciphertext, low, high)?;
        let (alpha, beta) = ciphertext.points()?;
        for (j, (value, branch)) in (low..=high).zip(&self.branches).enumerate() {
            equation_holds(
                || format!("E1 of branch {j} (v·G = a + c·α)"),
                &branch.a,
                branch.response,
                &[(-branch.challenge, alpha)],
            )?;
            equation_holds(
                || format!("E2 of branch {j} (v·K + c·m·G = b + c·β)"),
                &branch.b,
                branch.challenge * Scalar::from(value),
                &[(branch.response, key.point()), (-branch.challenge, beta)],
            )?;
        }
        Ok(())
    }

    /// Verifier steps 1–3 (spec `proofs.md` §4.3): shape, identity checks, the challenge, and
    /// the challenge shares' sum.
    fn check_challenges(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: &PointPair<'_>,
        low: u64,
        high: u64,
    ) -> Result<(), ProofError> {
        let count = check_range(low, high)?;
        if self.branches.len() as u64 != count {
            return Err(ProofError::Shape("one branch per value in the range"));
        }
        bind_statement(transcript, key, ciphertext, low, high);
        if self
            .branches
            .iter()
            .any(|branch| branch.a.is_identity() || branch.b.is_identity())
        {
            return Err(ProofError::IdentityCommitment);
        }
        bind_commitments(transcript, &self.branches);
        let c = transcript.challenge_scalar(b"challenge");
        let sum: Scalar = self.branches.iter().map(|branch| branch.challenge).sum();
        if sum != c {
            return Err(ProofError::ChallengeMismatch);
        }
        Ok(())
    }
}
