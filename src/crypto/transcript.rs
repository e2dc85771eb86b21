//! Fiat–Shamir transcripts: a thin layer over `merlin` with saylau's labels.
//!
//! Spec: `protocol-spec/transcript.md`. Every transcript starts with the protocol label and the
//! election fingerprint; callers then bind the context (credential, contest and option position,
//! trustee index) and each proof binds its own statement and commitments before the challenge.

use crate::crypto::group::GroupElement;
use curve25519_dalek::scalar::Scalar;

/// The merlin protocol label of every saylau transcript (spec `transcript.md` §1).
pub const PROTOCOL_LABEL: &[u8] = b"saylau/v1";

/// A Fiat–Shamir transcript bound to one election.
#[derive(Clone)]
pub struct Transcript(merlin::Transcript);

impl Transcript {
    /// A transcript for the election (or, before an election exists, a caller-chosen context)
    /// with this 32-byte fingerprint. Spec `transcript.md` §1.
    pub fn new(election_fingerprint: &[u8; 32]) -> Self {
        let mut transcript = merlin::Transcript::new(PROTOCOL_LABEL);
        transcript.append_message(b"election", election_fingerprint);
        Self(transcript)
    }

    /// A transcript for a signature or proof outside any ballot (a trustee's identity and
    /// messages, the board's receipts): `new(context)`, then `purpose ← purpose`, and, when
    /// given, the signed message under its label (spec `transcript.md` §3).
    pub fn for_purpose(
        context: &[u8; 32],
        purpose: &'static [u8],
        message: Option<(&'static [u8], &[u8])>,
    ) -> Self {
        let mut transcript = Self::new(context);
        transcript.append_bytes(b"purpose", purpose);
        if let Some((label, bytes)) = message {
            transcript.append_bytes(label, bytes);
        }
        transcript
    }

    /// Starts a proof: binds the proof kind's domain-separation label.
    pub fn start_proof(&mut self, proof_label: &'static [u8]) {
        self.0.append_message(b"proof", proof_label);
    }

    /// Binds a labelled group element (its canonical encoding).
    pub fn append_element(&mut self, label: &'static [u8], element: &GroupElement) {
        self.0.append_message(label, element.as_bytes());
    }

    /// Binds a labelled scalar (its canonical encoding).
    pub fn append_scalar(&mut self, label: &'static [u8], scalar: &Scalar) {
        self.0.append_message(label, scalar.as_bytes());
    }

    /// Binds a labelled integer (8 bytes, little-endian).
    pub fn append_u64(&mut self, label: &'static [u8], value: u64) {
        self.0.append_u64(label, value);
    }

    /// Binds labelled bytes.
    pub fn append_bytes(&mut self, label: &'static [u8], bytes: &[u8]) {
        self.0.append_message(label, bytes);
    }

    /// Binds the concatenation of `parts` as one labelled message. A proof binds its whole
    /// statement, and then all its commitments, this way (spec `transcript.md` §4): one append
    /// instead of one per value, which saves STROBE framing on the verifier's hot path. Messages
    /// up to 512 bytes (every proof of the default ballot) are assembled on the stack.
    pub fn append_concat<'p>(
        &mut self,
        label: &'static [u8],
        parts: impl IntoIterator<Item = &'p [u8]>,
    ) {
        const STACK: usize = 512;
        let mut stack = [0u8; STACK];
        let mut len = 0;
        let mut heap: Option<Vec<u8>> = None;
        for part in parts {
            match &mut heap {
                Some(bytes) => bytes.extend_from_slice(part),
                None if len + part.len() <= STACK => {
                    stack[len..len + part.len()].copy_from_slice(part);
                    len += part.len();
                }
                None => {
                    let mut bytes = stack[..len].to_vec();
                    bytes.extend_from_slice(part);
                    heap = Some(bytes);
                }
            }
        }
        let message = heap.as_deref().unwrap_or(&stack[..len]);
        self.0.append_message(label, message);
    }

    /// Draws a challenge: 64 transcript bytes reduced wide modulo ℓ (spec `transcript.md` §2).
    pub fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.0.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    /// The underlying merlin transcript, for the bulletproofs crate.
    pub(crate) fn merlin_mut(&mut self) -> &mut merlin::Transcript {
        &mut self.0
    }
}
