//! The sequencer on a real SQLite file and a real PostgreSQL database: positions, the tracking-code chain, exported lines,
//! dedup, close, and a restart that continues the chain.

mod common;

use std::thread;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau::election::LeafKind;
use saylau::record::tracking_code;
use saylau_board::sequencer::{Ack, Entry, Grouping, Recorded, Sequencer, SubmitError};
use saylau_board::store::Store;

use common::db::TestDb;
use common::FINGERPRINT;

both!(chains_positions_and_lines, chains);
fn chains(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let seq = Sequencer::start(db.open().unwrap(), FINGERPRINT, Grouping::default()).unwrap();
    let sub = seq.submitter();
    let mut previous = FINGERPRINT;
    let mut casts = Vec::new();
    for i in 0..40u64 {
        let entry = if i % 7 == 3 {
            Entry::Challenged(common::challenged_entry(&mut rng))
        } else {
            Entry::Cast(common::cast_entry(&mut rng, 200))
        };
        let ack = sub.submit(entry.clone()).unwrap();
        assert_eq!(ack.index, i);
        assert!(ack.new);
        match (&entry, ack.recorded) {
            (
                Entry::Cast(c),
                Recorded::Cast {
                    position,
                    tracking_code: t,
                },
            ) => {
                assert_eq!(t, tracking_code(&previous, &c.ballot_hash, &c.signature));
                previous = t;
                casts.push((c.clone(), ack));
                assert_eq!(position, casts.len() as u64);
            }
            (Entry::Challenged(_), Recorded::Challenged) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    drop(sub);
    seq.shutdown().unwrap();

    let store = db.open().unwrap();
    let head = store.head().unwrap();
    assert_eq!(head.size, 40);
    assert_eq!(head.cast, casts.len() as u64);
    assert_eq!(head.last_tracking_code, Some(previous));
    let page = store.ballots_after(0, 1000).unwrap();
    assert_eq!(page.len(), casts.len());
    for (row, (c, ack)) in page.iter().zip(&casts) {
        assert_eq!(row.ballot_hash, c.ballot_hash);
        assert_eq!(row.leaf_index, ack.index);
        let line: serde_json::Value = serde_json::from_slice(&row.line).unwrap();
        assert!(row.line.ends_with(b"}\n"));
        let Recorded::Cast {
            tracking_code: t, ..
        } = ack.recorded
        else {
            unreachable!()
        };
        assert_eq!(line["tracking_code"], hex::encode(t));
        assert_eq!(line["ballot_hash"], hex::encode(c.ballot_hash));
        assert_eq!(serde_json::to_vec(&line["ballot"]).unwrap(), c.ballot_json);
        assert_eq!(
            store.ballot_by_tracking_code(&t).unwrap().as_ref(),
            Some(row)
        );
        let leaf = store.leaf(ack.index).unwrap().unwrap();
        assert_eq!(leaf.kind(), LeafKind::Cast);
        assert_eq!(leaf.credential(), c.credential.as_bytes());
        assert_eq!(leaf.commitment(), c.signature.commitment.as_bytes());
        assert_eq!(leaf.response(), &c.signature.response.to_bytes());
    }
    assert_eq!(store.ballots_after(10, 5).unwrap().len(), 5);
    assert_eq!(store.ballots_after(10, 5).unwrap()[0].position, Some(11));
}

both!(dedups_on_the_log_and_within_a_group, dedups);
fn dedups(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    // A long window so that concurrent duplicates land in one group.
    let grouping = Grouping {
        close_when_idle: false,
        max_wait: std::time::Duration::from_millis(50),
        ..Grouping::default()
    };
    let seq = Sequencer::start(db.open().unwrap(), FINGERPRINT, grouping).unwrap();
    let same = common::cast_entry(&mut rng, 100);
    let acks: Vec<Ack> = thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let sub = seq.submitter();
                let entry = Entry::Cast(same.clone());
                s.spawn(move || sub.submit(entry).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(acks
        .iter()
        .all(|a| a.index == 0 && a.recorded == acks[0].recorded));
    assert_eq!(acks.iter().filter(|a| a.new).count(), 1);

    let sub = seq.submitter();
    let again = sub.submit(Entry::Cast(same.clone())).unwrap();
    assert_eq!(
        (again.index, again.recorded, again.new),
        (0, acks[0].recorded, false)
    );

    // A challenged ballot's hash cannot then be cast: the answer is the challenged leaf.
    let challenged = common::challenged_entry(&mut rng);
    let c = sub.submit(Entry::Challenged(challenged.clone())).unwrap();
    let mut as_cast = common::cast_entry(&mut rng, 100);
    as_cast.ballot_hash = challenged.ballot_hash;
    let d = sub.submit(Entry::Cast(as_cast)).unwrap();
    assert_eq!(
        (d.index, d.recorded, d.new),
        (c.index, Recorded::Challenged, false)
    );
    drop(sub);
    seq.shutdown().unwrap();
    let store = db.open().unwrap();
    assert_eq!(store.head().unwrap().size, 2);
    assert_eq!(store.head().unwrap().cast, 1);
}

both!(close_ends_casting_and_restart_continues, close_and_restart);
fn close_and_restart(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let first = common::cast_entry(&mut rng, 100);
    let a = {
        let seq = Sequencer::start(db.open().unwrap(), FINGERPRINT, Grouping::default()).unwrap();
        let a = seq.submitter().submit(Entry::Cast(first.clone())).unwrap();
        seq.shutdown().unwrap();
        a
    };
    let seq = Sequencer::start(db.open().unwrap(), FINGERPRINT, Grouping::default()).unwrap();
    let sub = seq.submitter();
    let second = common::cast_entry(&mut rng, 100);
    let b = sub.submit(Entry::Cast(second.clone())).unwrap();
    let (
        Recorded::Cast {
            tracking_code: ta, ..
        },
        Recorded::Cast {
            position,
            tracking_code: tb,
        },
    ) = (a.recorded, b.recorded)
    else {
        panic!("not cast")
    };
    assert_eq!(position, 2);
    assert_eq!(
        tb,
        tracking_code(&ta, &second.ballot_hash, &second.signature)
    );

    // Any well-formed close leaf: the sequencer orders it; the service checks its signature.
    let commission = saylau::record::CommissionSigningKey::from_seed([3; 32]);
    let close_leaf = saylau::election::Leaf::close(
        &commission.public(),
        saylau::record::close_message(&[0; 32]),
        &commission.sign_close(&[0; 32]),
    );
    let close = sub.submit(Entry::Close(close_leaf)).unwrap();
    assert_eq!(
        (close.index, close.recorded, close.new),
        (2, Recorded::Close, true)
    );
    assert!(!sub.submit(Entry::Close(close_leaf)).unwrap().new);
    let late = common::cast_entry(&mut rng, 100);
    assert!(matches!(
        sub.submit(Entry::Cast(late)),
        Err(SubmitError::Closed { close_index: 2, .. })
    ));
    // A retry of a ballot cast before the close still gets its receipt.
    assert_eq!(sub.submit(Entry::Cast(first)).unwrap().index, 0);
    drop(sub);
    seq.shutdown().unwrap();
    let store = db.open().unwrap();
    assert_eq!(store.head().unwrap().closed_at, Some(2));
    assert_eq!(store.leaf(2).unwrap().unwrap().kind(), LeafKind::Close);
}
