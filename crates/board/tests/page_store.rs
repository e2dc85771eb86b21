//! The lookup by short tracking code (board.md §2.1) on both stores: a range query on the
//! tracking code's index finds every cast ballot whose code begins with the 80 bits, and only
//! those, including two that share them.

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau::election::{Leaf, ShortCode};
use saylau::log::tree::{Hash, TreeBuilder};
use saylau_board::store::{BallotRow, Batch, Head, NewLeaf, Store};

use common::db::TestDb;

/// Codes around the prefix `p = 01 02 … 0a`: two that share it (the astronomically unlikely
/// collision of short codes), its neighbours just below and above, and codes far away.
fn codes() -> Vec<Hash> {
    let p: [u8; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let with = |prefix: [u8; 10], fill: u8| {
        let mut t = [fill; 32];
        t[..10].copy_from_slice(&prefix);
        t
    };
    let mut below = p;
    below[9] -= 1;
    let mut above = p;
    above[9] += 1;
    vec![
        with(below, 0xff),
        with(p, 0x00),
        with(p, 0xff),
        with(above, 0x00),
        [0u8; 32],
        [0xffu8; 32],
    ]
}

both!(short_code_prefix_lookup, prefix_lookup);
fn prefix_lookup(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let mut store = db.open().unwrap();
    let mut tree = TreeBuilder::new();
    let mut batch = Batch {
        leaves: Vec::new(),
        hashes: Vec::new(),
        head: Head::default(),
    };
    for (i, code) in codes().into_iter().enumerate() {
        let c = common::challenged_entry(&mut rng);
        let leaf = Leaf::challenged(&c.credential, c.ballot_hash);
        tree.push_stored(leaf.hash(), &mut batch.hashes).unwrap();
        batch.leaves.push(NewLeaf {
            leaf,
            ballot: Some(BallotRow {
                ballot_hash: c.ballot_hash,
                credential: *c.credential.as_bytes(),
                leaf_index: i as u64,
                position: Some(i as u64 + 1),
                tracking_code: Some(code),
                line: c.challenged_json.clone(),
            }),
        });
        batch.head.size += 1;
        batch.head.cast += 1;
    }
    store.append(0, &batch).unwrap();
    let codes = codes();
    let found = |code: &Hash, limit| -> Vec<Hash> {
        store
            .ballots_by_code_prefix(ShortCode::of(code).bytes(), limit)
            .unwrap()
            .into_iter()
            .map(|r| r.tracking_code.unwrap())
            .collect()
    };
    // The shared prefix: both, in code order; the limit is honoured.
    assert_eq!(found(&codes[1], 10), vec![codes[1], codes[2]]);
    assert_eq!(found(&codes[1], 1), vec![codes[1]]);
    // The neighbours, and the extremes, alone.
    for i in [0, 3, 4, 5] {
        assert_eq!(found(&codes[i], 10), vec![codes[i]], "code {i}");
    }
    // No ballot under an unused prefix.
    let mut unused = codes[1];
    unused[0] = 0x77;
    assert!(found(&unused, 10).is_empty());
    // The whole code is a prefix too.
    let rows = store.ballots_by_code_prefix(&codes[2], 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].position, Some(3));
}
