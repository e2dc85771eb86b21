//! The receipt v2 vector (`protocol-spec/vectors/receipt_v2.json`, spec `board.md` §3.1): a board
//! key from a fixed seed, a receipt's inputs, its message `m` and the signed receipt. Shared by
//! `examples/receipt_vector.rs` (which writes it) and `tests/log_record.rs` (which checks that
//! the code still produces exactly the committed file, and that the receipt verifies).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::crypto::digest::tagged_hash;
use saylau::election::BoardKey;
use serde_json::json;

/// The vector's file name under `protocol-spec/vectors/`.
pub const RECEIPT_VECTOR: &str = "receipt_v2.json";

/// The vector as pretty JSON with a final newline.
pub fn receipt_v2() -> String {
    let board_key = BoardKey::generate(&mut ChaCha20Rng::seed_from_u64(20261206));
    let election = tagged_hash("saylau/vectors/receipt", &[b"election"]);
    let ballot_hash = tagged_hash("saylau/vectors/receipt", &[b"ballot"]);
    let tracking_code = tagged_hash("saylau/vectors/receipt", &[b"tracking"]);
    let receipt = board_key
        .sign(election, 42, ballot_hash, tracking_code, 57)
        .expect("the board key signs");
    let value = json!({
        "description": "Receipt v2 (board.md §3.1): m = TH(\"saylau/v2/receipt\", [F, LE64(position), h, t, LE64(leaf_index)]); the signature is a Schnorr proof of b for board_key on Transcript::new(F), append(\"purpose\", \"board-receipt\"), append(\"receipt\", m). The inputs are stand-ins (tagged hashes of labels), not an election's.",
        "board_key": hex::encode(board_key.public().element().as_bytes()),
        "message": hex::encode(receipt.message()),
        "receipt": receipt,
    });
    let mut text = serde_json::to_string_pretty(&value).expect("JSON");
    text.push('\n');
    text
}
