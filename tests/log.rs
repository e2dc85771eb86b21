//! Transparency-log math (`saylau::log`, protocol-spec/log.md): cross-checks against
//! Cloudflare's `tlog_tiles` / `signed_note` crates (dev-dependencies only), RFC 6962
//! test vectors, property tests, tampering, and the committed vectors in
//! `protocol-spec/vectors/log.json` (regenerate with SAYLAU_WRITE_LOG_VECTORS=1).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use saylau::log::note::{key_id, MAX_SIGNATURES};
use saylau::log::tile::{decode_entry_bundle, encode_entry_bundle, new_tiles, tiles_for_indexes};
use saylau::log::tree::{
    check_record, check_tree, leaf_hash, node_hash, prove_record, prove_tree,
    split_stored_hash_index, stored_hash_count, stored_hash_index, tree_hash, EMPTY_ROOT,
};
use saylau::log::{
    Checkpoint, CheckpointError, EntryBundle, Hash, KeyType, Note, NoteError, NoteSignature,
    SignedCheckpoint, SignerKey, Tile, TileSet, TreeBuilder, TreeError, VerifierKey,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Helpers

/// Stored hashes of a tree whose leaf i holds `data(i)`.
fn store<F: Fn(u64) -> Vec<u8>>(n: u64, data: F) -> Vec<Hash> {
    let mut b = TreeBuilder::new();
    let mut s = Vec::new();
    for i in 0..n {
        b.push_stored(leaf_hash(&data(i)), &mut s).unwrap();
    }
    s
}

fn leaf_data(i: u64) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

/// Cloudflare's hash store, fed by their own `stored_hashes`.
struct TheirStore(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for TheirStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(i as usize)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

fn their_store(n: u64) -> TheirStore {
    let mut s = TheirStore(Vec::new());
    for i in 0..n {
        let add = tlog_tiles::stored_hashes(i, &leaf_data(i), &s).unwrap();
        s.0.extend(add);
    }
    s
}

fn th(h: &Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(*h)
}

fn ours(v: &[tlog_tiles::Hash]) -> Vec<Hash> {
    v.iter().map(|h| h.0).collect()
}

// ---------------------------------------------------------------------------
// Cross-check: tree math against tlog_tiles

#[test]
fn tree_matches_tlog_tiles_for_all_sizes_to_70() {
    let ours_store = store(70, leaf_data);
    let theirs = their_store(70);
    assert_eq!(ours(&theirs.0), ours_store, "stored hashes differ");
    for i in 0..ours_store.len() as u64 {
        assert_eq!(
            split_stored_hash_index(i),
            tlog_tiles::split_stored_hash_index(i)
        );
        let (l, n) = split_stored_hash_index(i);
        assert_eq!(stored_hash_index(l, n), tlog_tiles::stored_hash_index(l, n));
    }
    for size in 1..=70u64 {
        assert_eq!(stored_hash_count(size), tlog_tiles::stored_hash_count(size));
        let root = tree_hash(size, &ours_store).unwrap();
        let their_root = tlog_tiles::tree_hash(size, &theirs).unwrap();
        assert_eq!(root, their_root.0, "root at size {size}");
        for index in 0..size {
            let p = prove_record(size, index, &ours_store).unwrap();
            let tp = tlog_tiles::prove_record(size, index, &theirs).unwrap();
            assert_eq!(p, ours(&tp), "inclusion proof {index} in {size}");
            let leaf = leaf_hash(&leaf_data(index));
            // Each side checks the other's proof.
            check_record(&ours(&tp), size, &root, index, &leaf).unwrap();
            tlog_tiles::check_record(
                &p.iter().map(th).collect(),
                size,
                th(&root),
                index,
                th(&leaf),
            )
            .unwrap();
        }
        for old in 1..=size {
            let old_root = tree_hash(old, &ours_store).unwrap();
            let p = prove_tree(size, old, &ours_store).unwrap();
            let tp = tlog_tiles::prove_tree(size, old, &theirs).unwrap();
            assert_eq!(p, ours(&tp), "consistency proof {old} -> {size}");
            check_tree(&ours(&tp), size, &root, old, &old_root).unwrap();
            tlog_tiles::check_tree(
                &p.iter().map(th).collect(),
                size,
                th(&root),
                old,
                th(&old_root),
            )
            .unwrap();
        }
    }
}

#[test]
fn larger_pairs_match_tlog_tiles() {
    let n = 5000u64;
    let ours_store = store(n, leaf_data);
    let theirs = their_store(n);
    for (old, new) in [
        (1, 5000),
        (255, 256),
        (256, 257),
        (1000, 4097),
        (2047, 2049),
        (4096, 4999),
        (3333, 3334),
    ] {
        let p = prove_tree(new, old, &ours_store).unwrap();
        assert_eq!(
            p,
            ours(&tlog_tiles::prove_tree(new, old, &theirs).unwrap()),
            "{old} -> {new}"
        );
        let (r_old, r_new) = (
            tree_hash(old, &ours_store).unwrap(),
            tree_hash(new, &ours_store).unwrap(),
        );
        check_tree(&p, new, &r_new, old, &r_old).unwrap();
        for index in [0, old - 1, old / 2] {
            let p = prove_record(new, index, &ours_store).unwrap();
            assert_eq!(
                p,
                ours(&tlog_tiles::prove_record(new, index, &theirs).unwrap())
            );
        }
    }
}

#[test]
fn tiles_match_tlog_tiles() {
    // tlog_tiles writes Go's form tile/<H>/<L>/..., C2SP drops the height.
    for (l, n, w) in [
        (0u8, 0u64, 256u32),
        (0, 1234067, 1),
        (3, 999, 255),
        (2, 1000, 17),
        (0, u64::MAX, 256),
    ] {
        let ours = Tile::new(l, n, w).unwrap();
        let theirs = tlog_tiles::Tile::new(8, l, n, w, false);
        assert_eq!(theirs.path(), ours.path().replacen("tile/", "tile/8/", 1));
        let mut data = theirs;
        data.set_is_data();
        if l == 0 {
            let b = EntryBundle::new(n, w).unwrap();
            assert_eq!(
                data.path().replacen("tile/8/data/", "tile/entries/", 1),
                b.path()
            );
        }
    }
    // Which tile holds each stored hash, and the hash read back from tile bytes.
    let size = 70_000u64;
    let s = store(size, |i| i.to_be_bytes().to_vec());
    for i in (0..stored_hash_count(size))
        .step_by(97)
        .chain([stored_hash_count(size) - 1])
    {
        let ours = Tile::for_stored_hash(i);
        let theirs = tlog_tiles::Tile::from_index(8, i);
        assert_eq!(
            (ours.level(), ours.index(), ours.width()),
            (theirs.level(), theirs.level_index(), theirs.width())
        );
        let full = Tile::in_tree(ours.level(), ours.index(), size).unwrap();
        let data: Vec<u8> = (0..u64::from(full.width()))
            .flat_map(|j| s[stored_hash_index(full.level() * 8, full.index() * 256 + j) as usize])
            .collect();
        let theirs_full = tlog_tiles::Tile::new(8, full.level(), full.index(), full.width(), false);
        assert_eq!(
            full.hash_at(&data, i).unwrap(),
            theirs_full.hash_at_index(&data, i).unwrap().0
        );
        assert_eq!(full.hash_at(&data, i).unwrap(), s[i as usize]);
    }
    for (old, new) in [
        (0, 1),
        (0, 256),
        (255, 256),
        (256, 70_000),
        (65_535, 65_537),
        (100, 100),
        (1, 16_777_217),
    ] {
        let ours: Vec<(u8, u64, u32)> = new_tiles(old, new)
            .iter()
            .map(|t| (t.level(), t.index(), t.width()))
            .collect();
        let theirs: Vec<(u8, u64, u32)> = tlog_tiles::Tile::new_tiles(8, old, new)
            .iter()
            .map(|t| (t.level(), t.level_index(), t.width()))
            .collect();
        assert_eq!(ours, theirs, "new tiles {old} -> {new}");
    }
}

#[test]
fn proofs_from_fetched_tiles() {
    let size = 1000u64;
    let s = store(size, leaf_data);
    let root = tree_hash(size, &s).unwrap();
    // A client knows only the size: it works out which tiles to fetch.
    let mut idx = Vec::new();
    for index in [0u64, 511, 999] {
        let mut needed = Vec::new();
        // Record which stored hashes the proof reads.
        struct Spy<'a>(&'a Vec<Hash>, std::cell::RefCell<&'a mut Vec<u64>>);
        impl saylau::log::HashReader for Spy<'_> {
            type Error = TreeError;
            fn read_hashes(&self, i: &[u64]) -> Result<Vec<Hash>, TreeError> {
                self.1.borrow_mut().extend_from_slice(i);
                self.0.read_hashes(i)
            }
        }
        prove_record(size, index, &Spy(&s, std::cell::RefCell::new(&mut needed))).unwrap();
        idx.extend(needed);
    }
    let tiles = tiles_for_indexes(size, &idx).unwrap();
    let mut set = TileSet::new(size);
    for t in &tiles {
        let data: Vec<u8> = (0..u64::from(t.width()))
            .flat_map(|j| s[stored_hash_index(t.level() * 8, t.index() * 256 + j) as usize])
            .collect();
        set.insert(*t, data).unwrap();
    }
    for index in [0u64, 511, 999] {
        let p = prove_record(size, index, &set).unwrap();
        check_record(&p, size, &root, index, &leaf_hash(&leaf_data(index))).unwrap();
    }
    // A tile not fetched is named; a tile of another tree size is refused.
    assert!(matches!(
        prove_record(size, 300, &TileSet::new(size)),
        Err(saylau::log::ProveError::Read(_))
    ));
    assert!(set
        .insert(Tile::new(0, 3, 256).unwrap(), vec![0; 8192])
        .is_err());
    assert!(tiles_for_indexes(10, &[stored_hash_index(0, 10)]).is_err());
}

// ---------------------------------------------------------------------------
// RFC 6962 test vectors (Certificate Transparency's Merkle tree tests; recomputed
// independently with Python's hashlib while writing this test)

const RFC6962_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const RFC6962_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn rfc_leaves() -> Vec<Vec<u8>> {
    RFC6962_LEAVES
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect()
}

#[test]
fn rfc6962_roots() {
    let leaves = rfc_leaves();
    let mut b = TreeBuilder::new();
    assert_eq!(b.root(), EMPTY_ROOT);
    assert_eq!(
        hex::encode(EMPTY_ROOT),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    for (i, l) in leaves.iter().enumerate() {
        b.push(leaf_hash(l)).unwrap();
        assert_eq!(hex::encode(b.root()), RFC6962_ROOTS[i]);
    }
}

// ---------------------------------------------------------------------------
// Cross-check: notes, keys, checkpoints against signed_note / tlog_tiles

use signed_note::{Signer as _, Verifier as _};

#[test]
fn notes_interoperate_with_signed_note() {
    let ours = SignerKey::from_seed(KeyType::Ed25519, "saylau.example/board", [42; 32]).unwrap();
    let v = ours.verifier();
    // Key ID and key strings agree.
    let mut enc = vec![0x01];
    enc.extend_from_slice(v.public_key().as_bytes());
    assert_eq!(
        v.key_id(),
        signed_note::key_id("saylau.example/board", &enc)
    );
    assert_eq!(
        v.key_id(),
        key_id(
            "saylau.example/board",
            KeyType::Ed25519,
            v.public_key().as_bytes()
        )
    );
    assert_eq!(
        v.to_string(),
        signed_note::new_ed25519_verifier_key("saylau.example/board", v.public_key())
    );
    let their_signer = signed_note::StandardSigner::new(&ours.encode()).unwrap();
    let their_verifier = signed_note::StandardVerifier::new(&v.to_string()).unwrap();
    assert_eq!(their_signer.key_id(), v.key_id());
    assert_eq!(their_verifier.name(), v.name());

    // Ours signs, theirs verifies; byte-identical notes (Ed25519 is deterministic).
    let text = "saylau.example/board\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let mut note = Note::new(text).unwrap();
    note.sign(&ours).unwrap();
    let theirs = signed_note::Note::from_bytes(&note.to_bytes()).unwrap();
    let list = signed_note::VerifierList::new(vec![Box::new(their_verifier.clone())]);
    let (verified, _) = theirs.verify(&list).unwrap();
    assert_eq!(verified.len(), 1);
    let mut their_note = signed_note::Note::new(text.as_bytes(), &[]).unwrap();
    their_note.add_sigs(&[&their_signer]).unwrap();
    assert_eq!(their_note.to_bytes(), note.to_bytes());

    // Theirs signs with a fresh key, ours verifies; unknown keys are ignored by both.
    let (skey, vkey) = signed_note::generate_key(&mut rand::rngs::OsRng, "other.example/log");
    let other = signed_note::StandardSigner::new(&skey).unwrap();
    their_note.add_sigs(&[&other]).unwrap();
    let bytes = their_note.to_bytes();
    let parsed = Note::parse(&bytes).unwrap();
    assert_eq!(parsed.signatures().len(), 2);
    let other_v = VerifierKey::parse(&vkey).unwrap();
    assert_eq!(
        parsed.verify(std::slice::from_ref(&other_v)).unwrap()[0].name,
        "other.example/log"
    );
    assert_eq!(parsed.verify(&[v.clone(), other_v]).unwrap().len(), 2);
    assert_eq!(
        SignerKey::parse(&skey).unwrap().verifier(),
        VerifierKey::parse(&vkey).unwrap()
    );

    // A byte flipped in our signature: both refuse.
    let mut bad = note.to_bytes();
    let pos = bad.len() - 10;
    bad[pos] = if bad[pos] == b'A' { b'B' } else { b'A' };
    if let Ok(n) = Note::parse(&bad) {
        assert!(matches!(
            n.verify(std::slice::from_ref(&v)),
            Err(NoteError::InvalidSignature { .. })
        ));
    }
    if let Ok(n) = signed_note::Note::from_bytes(&bad) {
        assert!(n.verify(&list).is_err());
    }
}

#[test]
fn checkpoints_interoperate_with_tlog_tiles() {
    let s = store(70, leaf_data);
    for size in [0u64, 1, 7, 70] {
        let root = tree_hash(size, &s).unwrap();
        for ext in [vec![], vec!["ext one".to_string(), "ext two".to_string()]] {
            let c = Checkpoint::new("saylau.example/board", size, root, ext.clone()).unwrap();
            let ext_text: String = ext.iter().map(|e| format!("{e}\n")).collect();
            let theirs =
                tlog_tiles::Checkpoint::new("saylau.example/board", size, th(&root), &ext_text)
                    .unwrap();
            assert_eq!(c.to_string().into_bytes(), theirs.to_bytes());
            let back = tlog_tiles::Checkpoint::from_bytes(c.to_string().as_bytes()).unwrap();
            assert_eq!(
                (back.origin(), back.size(), back.hash().0),
                (c.origin(), c.size(), *c.root())
            );
            assert_eq!(
                Checkpoint::parse(std::str::from_utf8(&theirs.to_bytes()).unwrap()).unwrap(),
                c
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Cosignatures

#[test]
fn cosignatures_verify_and_tamper() {
    let log = SignerKey::from_seed(KeyType::Ed25519, "saylau.example/board", [1; 32]).unwrap();
    let witness =
        SignerKey::from_seed(KeyType::CosignatureV1, "witness.example/w1", [2; 32]).unwrap();
    let s = store(9, leaf_data);
    let c = Checkpoint::new("saylau.example/board", 9, tree_hash(9, &s).unwrap(), vec![]).unwrap();
    let mut sc = SignedCheckpoint::sign(c, &log).unwrap();
    sc.cosign(&witness, 1_700_000_000).unwrap();
    let bytes = sc.to_bytes();
    let opened = SignedCheckpoint::open(&bytes, &log.verifier(), "saylau.example/board").unwrap();
    let cos = opened.verify_cosignatures(&[witness.verifier()]).unwrap();
    assert_eq!(cos.len(), 1);
    assert_eq!(cos[0].timestamp, Some(1_700_000_000));
    // The witness key is not a log key, and vice versa; neither signs the other's way.
    assert!(log.cosign_text("x\n", 1).is_err());
    assert!(witness.sign_text("x\n").is_err());
    assert!(opened.verify_cosignatures(&[log.verifier()]).is_err());
    assert!(SignedCheckpoint::open(&bytes, &witness.verifier(), "saylau.example/board").is_err());
    // Key ID differs from the Ed25519 key of the same seed and name (type byte 0x04).
    let same = SignerKey::from_seed(KeyType::Ed25519, "witness.example/w1", [2; 32]).unwrap();
    assert_ne!(same.key_id(), witness.key_id());
    // Changing the timestamp inside the signature breaks it.
    let sig = &opened.note().signatures()[1];
    let mut raw = sig.signature().to_vec();
    raw[7] ^= 1;
    let mut n = Note::parse(&bytes).unwrap();
    n.add_signature(NoteSignature::new(sig.name(), sig.key_id(), raw).unwrap())
        .unwrap();
    assert!(matches!(
        n.verify_known(&[witness.verifier()]),
        Err(NoteError::InvalidSignature { .. })
    ));
    // A timestamp above 2^63-1 is refused when signing.
    assert!(witness.cosign_text("x\n", 1 << 63).is_err());
}

// ---------------------------------------------------------------------------
// Tampering: every field of a proof, note and checkpoint is checked

#[test]
fn tampered_proofs_fail() {
    // The store holds one leaf more than the tree, for the root of a larger tree.
    let s = store(38, leaf_data);
    let (size, index) = (37u64, 21u64);
    let root = tree_hash(size, &s).unwrap();
    let leaf = leaf_hash(&leaf_data(index));
    let proof = prove_record(size, index, &s).unwrap();
    for i in 0..proof.len() {
        for byte in [0, 31] {
            let mut p = proof.clone();
            p[i][byte] ^= 0x80;
            assert!(
                check_record(&p, size, &root, index, &leaf).is_err(),
                "hash {i} byte {byte}"
            );
        }
    }
    let mut bad_root = root;
    bad_root[5] ^= 1;
    assert!(check_record(&proof, size, &bad_root, index, &leaf).is_err());
    assert!(check_record(&proof, size, &root, index + 1, &leaf).is_err());
    assert!(check_record(&proof, size, &root, index, &leaf_hash(b"other")).is_err());
    // A size is only meaningful with its own root (a checkpoint binds the two): the
    // proof must fail against the true root of any other size.
    for other in [size - 1, size + 1] {
        let other_root = tree_hash(other, &s).unwrap();
        assert!(
            check_record(&proof, other, &other_root, index, &leaf).is_err(),
            "size {other}"
        );
    }
    assert!(check_record(&proof[1..], size, &root, index, &leaf).is_err());
    assert!(check_record(
        &[proof.clone(), vec![root]].concat(),
        size,
        &root,
        index,
        &leaf
    )
    .is_err());
    assert_eq!(
        check_record(&proof, 21, &root, 21, &leaf),
        Err(TreeError::IndexOutOfRange {
            index: 21,
            size: 21
        })
    );

    let old = 13u64;
    let old_root = tree_hash(old, &s).unwrap();
    let cp = prove_tree(size, old, &s).unwrap();
    check_tree(&cp, size, &root, old, &old_root).unwrap();
    for i in 0..cp.len() {
        let mut p = cp.clone();
        p[i][0] ^= 1;
        assert!(
            check_tree(&p, size, &root, old, &old_root).is_err(),
            "hash {i}"
        );
    }
    for other in [old - 1, old + 1] {
        let other_root = tree_hash(other, &s).unwrap();
        assert!(
            check_tree(&cp, size, &root, other, &other_root).is_err(),
            "old size {other}"
        );
    }
    for other in [size - 1, size + 1] {
        let other_root = tree_hash(other, &s).unwrap();
        assert!(
            check_tree(&cp, other, &other_root, old, &old_root).is_err(),
            "new size {other}"
        );
    }
    assert!(check_tree(&cp, size, &bad_root, old, &old_root).is_err());
    assert!(check_tree(&cp, size, &root, old, &bad_root).is_err());
    assert!(check_tree(&cp[1..], size, &root, old, &old_root).is_err());
    assert!(check_tree(&[], size, &root, old, &old_root).is_err());
    assert!(check_tree(
        &[cp.clone(), vec![root]].concat(),
        size,
        &root,
        old,
        &old_root
    )
    .is_err());
    // Edge cases: equal sizes and the empty tree need an empty proof.
    check_tree(&[], size, &root, size, &root).unwrap();
    check_tree(&[], size, &root, 0, &EMPTY_ROOT).unwrap();
    assert!(check_tree(&[], size, &root, size, &old_root).is_err());
    assert!(check_tree(&[root], size, &root, size, &root).is_err());
    assert!(check_tree(&[], size, &root, 0, &root).is_err());
    assert!(check_tree(&cp, old, &old_root, size, &root).is_err());
}

#[test]
fn tampered_notes_and_checkpoints_fail() {
    let log = SignerKey::from_seed(KeyType::Ed25519, "saylau.example/board", [3; 32]).unwrap();
    let s = store(5, leaf_data);
    let root = tree_hash(5, &s).unwrap();
    let c = Checkpoint::new("saylau.example/board", 5, root, vec![]).unwrap();
    let good = SignedCheckpoint::sign(c, &log).unwrap().to_string();
    let v = log.verifier();
    let origin = "saylau.example/board";
    SignedCheckpoint::open(good.as_bytes(), &v, origin).unwrap();

    let b64_root = STANDARD.encode(root);
    let mut other_root = root;
    other_root[0] ^= 1;
    let sig_b64 = good.rsplit(' ').next().unwrap().trim_end().to_string();
    let raw = STANDARD.decode(&sig_b64).unwrap();
    let flip = |i: usize| {
        let mut r = raw.clone();
        r[i] ^= 1;
        STANDARD.encode(r)
    };
    let changed = [
        ("size", good.replacen("\n5\n", "\n6\n", 1)),
        (
            "origin",
            good.replacen("saylau.example/board\n", "saylau.example/boarc\n", 1),
        ),
        (
            "root",
            good.replacen(&b64_root, &STANDARD.encode(other_root), 1),
        ),
        ("extension", good.replacen("=\n\n", "=\nextra\n\n", 1)),
        ("key id", good.replacen(&sig_b64, &flip(0), 1)),
        ("signature first byte", good.replacen(&sig_b64, &flip(4), 1)),
        ("signature last byte", good.replacen(&sig_b64, &flip(67), 1)),
        (
            "key name",
            good.replacen(
                "\u{2014} saylau.example/board",
                "\u{2014} saylau.example/boarc",
                1,
            ),
        ),
    ];
    for (what, text) in changed {
        assert_ne!(text, good, "{what}: nothing changed");
        assert!(
            SignedCheckpoint::open(text.as_bytes(), &v, origin).is_err(),
            "{what}"
        );
    }
    // The specific errors name what was wrong.
    let wrong_origin =
        SignedCheckpoint::open(good.as_bytes(), &v, "other.example/log").unwrap_err();
    assert!(matches!(wrong_origin, CheckpointError::WrongOrigin { .. }));
    let key_name = good.replacen(
        "\u{2014} saylau.example/board",
        "\u{2014} saylau.example/boarc",
        1,
    );
    assert!(matches!(
        SignedCheckpoint::open(key_name.as_bytes(), &v, origin),
        Err(CheckpointError::Note(NoteError::NoVerifiedSignature))
    ));
    let size = good.replacen("\n5\n", "\n6\n", 1);
    assert!(matches!(
        SignedCheckpoint::open(size.as_bytes(), &v, origin),
        Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
    ));
    // A known key signing twice is refused; an unknown key's duplicate is ignored.
    let line = good.lines().last().unwrap();
    let twice = format!("{good}{line}\n");
    assert!(matches!(
        Note::parse(twice.as_bytes())
            .unwrap()
            .verify(std::slice::from_ref(&v)),
        Err(NoteError::DuplicateSignature { .. })
    ));
    let stranger = SignerKey::from_seed(KeyType::Ed25519, "x.example", [9; 32]).unwrap();
    assert!(Note::parse(twice.as_bytes())
        .unwrap()
        .verify(&[stranger.verifier()])
        .is_err());
    // Limits.
    let many = format!("{good}{}", format!("{line}\n").repeat(MAX_SIGNATURES));
    assert!(matches!(
        Note::parse(many.as_bytes()),
        Err(NoteError::TooManySignatures { .. })
    ));
    assert!(matches!(
        Note::parse(&vec![b'a'; (1 << 20) + 1]),
        Err(NoteError::TooLarge { .. })
    ));
}

#[test]
fn base64_must_be_canonical() {
    // Non-canonical trailing bits ("AB==" and "AA==" both decode to one 0x00 byte
    // in lax decoders), missing padding, and whitespace are all refused.
    assert!(STANDARD.decode("AB==").is_err());
    assert!(STANDARD.decode("AA").is_err());
    assert!(STANDARD.decode("AA==").is_ok());
    let root = [0u8; 32];
    let good = STANDARD.encode(root); // ends with "A="
    let mut trailing = good.clone();
    trailing.replace_range(good.len() - 2..good.len() - 1, "B");
    for r in [
        trailing,
        good.trim_end_matches('=').to_string(),
        format!(" {good}"),
    ] {
        let text = format!("o\n1\n{r}\n");
        assert!(Checkpoint::parse(&text).is_err(), "{r}");
    }
    let k = SignerKey::from_seed(KeyType::Ed25519, "k", [5; 32])
        .unwrap()
        .verifier()
        .to_string();
    let (head, key) = k.rsplit_once('+').unwrap();
    // 33 bytes → 44 characters ending in no padding; a lax tail is impossible, so test
    // alphabet instead: URL-safe characters are refused.
    let url = key.replace('+', "-").replace('/', "_");
    if url != key {
        assert!(VerifierKey::parse(&format!("{head}+{url}")).is_err());
    }
}

// ---------------------------------------------------------------------------
// Property tests

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_inclusion(leaves in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 1..90),
                      pick in any::<prop::sample::Index>(), byte in 0usize..32) {
        let size = leaves.len() as u64;
        // One extra leaf gives the root of the next size.
        let s = store(size + 1, |i| leaves.get(i as usize).cloned().unwrap_or_default());
        let root = tree_hash(size, &s).unwrap();
        let index = pick.index(leaves.len()) as u64;
        let leaf = leaf_hash(&leaves[index as usize]);
        let p = prove_record(size, index, &s).unwrap();
        prop_assert!(p.len() as u32 <= 64 - (size - 1).leading_zeros());
        prop_assert!(check_record(&p, size, &root, index, &leaf).is_ok());
        for i in 0..p.len() {
            let mut q = p.clone();
            q[i][byte] ^= 1;
            prop_assert!(check_record(&q, size, &root, index, &leaf).is_err());
        }
        if size > 1 {
            let other = (index + 1) % size;
            if leaf_hash(&leaves[other as usize]) != leaf {
                prop_assert!(check_record(&p, size, &root, other, &leaf).is_err());
            }
        }
        let next_root = tree_hash(size + 1, &s).unwrap();
        prop_assert!(check_record(&p, size + 1, &next_root, index, &leaf).is_err());
        let mut r = root;
        r[byte] ^= 1;
        prop_assert!(check_record(&p, size, &r, index, &leaf).is_err());
    }

    #[test]
    fn prop_consistency(n in 1u64..200, m_frac in 0.0f64..1.0, byte in 0usize..32) {
        let s = store(n + 1, leaf_data);
        let m = ((n as f64 * m_frac) as u64).clamp(1, n);
        let (rm, rn) = (tree_hash(m, &s).unwrap(), tree_hash(n, &s).unwrap());
        let p = prove_tree(n, m, &s).unwrap();
        prop_assert!(check_tree(&p, n, &rn, m, &rm).is_ok());
        for i in 0..p.len() {
            let mut q = p.clone();
            q[i][byte] ^= 1;
            prop_assert!(check_tree(&q, n, &rn, m, &rm).is_err());
        }
        if m < n {
            // Other sizes, each with its true root.
            let next = tree_hash(n + 1, &s).unwrap();
            prop_assert!(check_tree(&p, n + 1, &next, m, &rm).is_err());
            let bigger_old = tree_hash(m + 1, &s).unwrap();
            prop_assert!(check_tree(&p, n, &rn, m + 1, &bigger_old).is_err());
            let mut r = rm;
            r[byte] ^= 1;
            prop_assert!(check_tree(&p, n, &rn, m, &r).is_err());
        }
    }

    #[test]
    fn prop_tile_paths(level in 0u8..=63, index in any::<u64>(), width in 1u32..=256) {
        let t = Tile::new(level, index, width).unwrap();
        prop_assert_eq!(Tile::parse_path(&t.path()).unwrap(), t);
        let b = EntryBundle::new(index, width).unwrap();
        prop_assert_eq!(EntryBundle::parse_path(&b.path()).unwrap(), b);
        prop_assert_eq!(
            tlog_tiles::Tile::from_path(&t.path().replacen("tile/", "tile/8/", 1)).unwrap(),
            tlog_tiles::Tile::new(8, level, index, width, false)
        );
    }

    #[test]
    fn prop_bundles(entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20)) {
        let data = encode_entry_bundle(&entries).unwrap();
        prop_assert_eq!(decode_entry_bundle(&data).unwrap(), entries);
    }

    #[test]
    fn prop_builder_root(n in 0u64..300) {
        let s = store(n, leaf_data);
        let mut b = TreeBuilder::new();
        for i in 0..n {
            b.push(leaf_hash(&leaf_data(i))).unwrap();
        }
        prop_assert_eq!(b.root(), tree_hash(n, &s).unwrap());
        prop_assert!(b.frontier().len() <= 64);
    }
}

// ---------------------------------------------------------------------------
// Committed vectors: protocol-spec/vectors/log.json

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/protocol-spec/vectors/log.json"
);
const LOG_SEED: [u8; 32] = [0x11; 32];
const WITNESS_SEED: [u8; 32] = [0x22; 32];
const ORIGIN: &str = "saylau.example/board";
const WITNESS: &str = "witness.example/w1";
const TIMESTAMP: u64 = 1_767_225_600;

fn hx(h: &Hash) -> String {
    hex::encode(h)
}

fn generate_vectors() -> Value {
    let leaves = rfc_leaves();
    let mut b = TreeBuilder::new();
    let mut stored = Vec::new();
    let mut roots = vec![json!({"size": 0, "root": hx(&EMPTY_ROOT)})];
    for l in &leaves {
        b.push_stored(leaf_hash(l), &mut stored).unwrap();
        roots.push(json!({"size": b.size(), "root": hx(&b.root())}));
    }
    let inclusion: Vec<Value> = [(8u64, 0u64), (8, 5), (7, 6), (5, 4), (3, 1)]
        .iter()
        .map(|&(size, index)| {
            json!({
                "size": size, "index": index,
                "leaf_hash": hx(&leaf_hash(&leaves[index as usize])),
                "root": hx(&tree_hash(size, &stored).unwrap()),
                "proof": prove_record(size, index, &stored).unwrap().iter().map(hx).collect::<Vec<_>>(),
            })
        })
        .collect();
    let consistency: Vec<Value> = [(3u64, 7u64), (4, 8), (1, 8), (6, 8), (2, 5)]
        .iter()
        .map(|&(old, new)| {
            json!({
                "old_size": old, "new_size": new,
                "old_root": hx(&tree_hash(old, &stored).unwrap()),
                "new_root": hx(&tree_hash(new, &stored).unwrap()),
                "proof": prove_tree(new, old, &stored).unwrap().iter().map(hx).collect::<Vec<_>>(),
            })
        })
        .collect();
    let tiles: Vec<Value> = [(0u8, 0u64, 8u32), (0, 1234067, 256), (2, 1000, 17)]
        .iter()
        .map(|&(l, n, w)| json!({"level": l, "index": n, "width": w, "path": Tile::new(l, n, w).unwrap().path()}))
        .collect();
    let log = SignerKey::from_seed(KeyType::Ed25519, ORIGIN, LOG_SEED).unwrap();
    let witness = SignerKey::from_seed(KeyType::CosignatureV1, WITNESS, WITNESS_SEED).unwrap();
    let root = tree_hash(8, &stored).unwrap();
    let cp = Checkpoint::new(ORIGIN, 8, root, vec![]).unwrap();
    let mut signed = SignedCheckpoint::sign(cp.clone(), &log).unwrap();
    let signed_text = signed.to_string();
    signed.cosign(&witness, TIMESTAMP).unwrap();
    json!({
        "description": "saylau transparency-log vectors (protocol-spec/log.md §6). Hashes are hex; leaves are the RFC 6962 test leaves; keys are Ed25519 from fixed seeds.",
        "leaves": RFC6962_LEAVES,
        "leaf_hashes": leaves.iter().map(|l| hx(&leaf_hash(l))).collect::<Vec<_>>(),
        "stored_hashes": stored.iter().map(hx).collect::<Vec<_>>(),
        "roots": roots,
        "inclusion": inclusion,
        "consistency": consistency,
        "tiles": tiles,
        "entry_bundle": {
            "entries": RFC6962_LEAVES[..4],
            "bundle": hex::encode(encode_entry_bundle(&leaves[..4]).unwrap()),
            "path": EntryBundle::new(0, 4).unwrap().path(),
        },
        "log_key": {
            "name": ORIGIN,
            "seed": hex::encode(LOG_SEED),
            "key_id": format!("{:08x}", log.key_id()),
            "signer_key": log.encode().as_str(),
            "verifier_key": log.verifier().to_string(),
        },
        "witness_key": {
            "name": WITNESS,
            "seed": hex::encode(WITNESS_SEED),
            "key_id": format!("{:08x}", witness.key_id()),
            "verifier_key": witness.verifier().to_string(),
        },
        "checkpoint": cp.to_string(),
        "signed_checkpoint": signed_text,
        "cosignature": {
            "timestamp": TIMESTAMP,
            "signed_message": String::from_utf8(saylau::log::note::cosignature_message(&cp.to_string(), TIMESTAMP)).unwrap(),
            "cosigned_checkpoint": signed.to_string(),
        },
    })
}

#[test]
fn vectors_match_the_committed_file() {
    let fresh = generate_vectors();
    if std::env::var_os("SAYLAU_WRITE_LOG_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&fresh).unwrap();
        text.push('\n');
        std::fs::write(VECTORS, text).unwrap();
    }
    let file: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    assert_eq!(
        file, fresh,
        "protocol-spec/vectors/log.json differs from what the code computes"
    );

    // And check the file's values on their own, as an outside verifier would.
    let h = |v: &Value| -> Hash {
        hex::decode(v.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap()
    };
    let n = |v: &Value| v.as_u64().unwrap();
    for (i, r) in file["roots"].as_array().unwrap().iter().enumerate().skip(1) {
        assert_eq!(r["root"].as_str().unwrap(), RFC6962_ROOTS[i - 1]);
    }
    for p in file["inclusion"].as_array().unwrap() {
        let proof: Vec<Hash> = p["proof"].as_array().unwrap().iter().map(h).collect();
        check_record(
            &proof,
            n(&p["size"]),
            &h(&p["root"]),
            n(&p["index"]),
            &h(&p["leaf_hash"]),
        )
        .unwrap();
    }
    for p in file["consistency"].as_array().unwrap() {
        let proof: Vec<Hash> = p["proof"].as_array().unwrap().iter().map(h).collect();
        check_tree(
            &proof,
            n(&p["new_size"]),
            &h(&p["new_root"]),
            n(&p["old_size"]),
            &h(&p["old_root"]),
        )
        .unwrap();
    }
    let stored: Vec<Hash> = file["stored_hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(h)
        .collect();
    assert_eq!(stored.len() as u64, stored_hash_count(8));
    // Node hashes of the stored layout, spot-checked by hand: index 2 = node(leaf 0, leaf 1).
    assert_eq!(stored[2], node_hash(&stored[0], &stored[1]));
    for t in file["tiles"].as_array().unwrap() {
        let tile: Tile = t["path"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            (
                u64::from(tile.level()),
                tile.index(),
                u64::from(tile.width())
            ),
            (n(&t["level"]), n(&t["index"]), n(&t["width"]))
        );
    }
    let log_v = VerifierKey::parse(file["log_key"]["verifier_key"].as_str().unwrap()).unwrap();
    let w_v = VerifierKey::parse(file["witness_key"]["verifier_key"].as_str().unwrap()).unwrap();
    let cosigned = file["cosignature"]["cosigned_checkpoint"].as_str().unwrap();
    let sc = SignedCheckpoint::open(cosigned.as_bytes(), &log_v, ORIGIN).unwrap();
    assert_eq!(sc.checkpoint().root(), &h(&file["roots"][8]["root"]));
    let cos = sc.verify_cosignatures(&[w_v]).unwrap();
    assert_eq!(cos[0].timestamp, Some(n(&file["cosignature"]["timestamp"])));
    // The signed checkpoint verifies with Cloudflare's crate too.
    let their_v = signed_note::StandardVerifier::new(&log_v.to_string()).unwrap();
    let their =
        signed_note::Note::from_bytes(file["signed_checkpoint"].as_str().unwrap().as_bytes())
            .unwrap();
    their
        .verify(&signed_note::VerifierList::new(vec![Box::new(their_v)]))
        .unwrap();
}

/// `tests/log_vectors.py` re-derives the vectors from log.md alone (Python standard
/// library; Ed25519 too when `cryptography` is installed). Skipped without python3.
#[test]
fn independent_python_check_of_the_vectors() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/log_vectors.py");
    match std::process::Command::new("python3")
        .arg(script)
        .arg(VECTORS)
        .output()
    {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            eprintln!("{}", text.trim());
        }
        Err(e) => eprintln!("python3 not available ({e}): independent vector check skipped"),
    }
}
