//! Edge cases of the outcome rules (spec `protocol-spec/rules.md`), their properties, and the
//! `saylau seats` / `saylau winner` commands run as a user would.

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use saylau::rules::{
    majoritarian, majoritarian_with, proportional, referendum, Admission, Decision,
    MajoritarianRule, Outcome, ProportionalRule, Ratio, ReferendumRule, Rule, RulesError,
};

fn pct(text: &str) -> Ratio {
    Ratio::from_percent_str(text).unwrap()
}

fn seats_of(participants: u64, parties: &[(&str, u64)], seats: u32, threshold: &str) -> Vec<u32> {
    proportional(participants, parties, None, seats, pct(threshold))
        .unwrap()
        .parties
        .iter()
        .map(|p| p.seats)
        .collect()
}

fn decision(participants: u64, candidates: &[(&str, u64)], against_all: Option<u64>) -> Decision {
    majoritarian(participants, candidates, against_all)
        .unwrap()
        .decision
}

fn runoff(a: &str, b: &str) -> Decision {
    Decision::Runoff([a.to_owned(), b.to_owned()])
}

fn elected(a: &str) -> Decision {
    Decision::Elected(a.to_owned())
}

// ----- majoritarian (spec §2) ------------------------------------------------------------------

#[test]
fn majority_plus_one_wins() {
    assert_eq!(
        decision(1000, &[("A", 501), ("B", 499)], None),
        elected("A")
    );
}

#[test]
fn exactly_half_is_not_a_win() {
    assert_eq!(
        decision(1000, &[("A", 500), ("B", 500)], None),
        runoff("A", "B")
    );
    assert_eq!(
        decision(1000, &[("A", 500), ("B", 300)], None),
        runoff("A", "B")
    );
    // odd participants: 500 of 999 is more than half
    assert_eq!(decision(999, &[("A", 500), ("B", 300)], None), elected("A"));
}

#[test]
fn invalid_ballots_count_as_participants() {
    // 501 of 1003 participants is not more than half, although it is most of the valid votes.
    assert_eq!(
        decision(1003, &[("A", 501), ("B", 499)], None),
        runoff("A", "B")
    );
}

#[test]
fn tie_for_first_ranks_the_earlier_registered_first() {
    assert_eq!(
        decision(90, &[("A", 30), ("B", 30), ("C", 30)], None),
        runoff("A", "B")
    );
    assert_eq!(
        decision(90, &[("C", 30), ("B", 30), ("A", 30)], None),
        runoff("C", "B")
    );
}

#[test]
fn tie_for_second_goes_to_the_earlier_registered() {
    let list = [("A", 40), ("B", 25), ("C", 25), ("D", 10)];
    assert_eq!(decision(100, &list, None), runoff("A", "B"));
    let list = [("C", 25), ("A", 40), ("D", 10), ("B", 25)];
    assert_eq!(decision(100, &list, None), runoff("A", "C"));
}

#[test]
fn runoff_leader_first_whatever_the_listing() {
    let list = [("A", 10), ("B", 35), ("C", 40)];
    assert_eq!(decision(100, &list, Some(15)), runoff("C", "B"));
}

#[test]
fn against_all_counts_toward_participants() {
    assert_eq!(
        decision(100, &[("A", 51), ("B", 0)], Some(49)),
        elected("A")
    );
    assert_eq!(
        decision(100, &[("A", 50), ("B", 1)], Some(49)),
        runoff("A", "B")
    );
}

#[test]
fn against_all_larger_than_everyone_still_gives_a_runoff() {
    // Against all is not a candidate: the two leading candidates go to the runoff (spec §2.3).
    let list = [("A", 200), ("B", 150), ("C", 100)];
    let outcome = majoritarian(1000, &list, Some(550)).unwrap();
    assert_eq!(outcome.decision, runoff("A", "B"));
    assert_eq!(outcome.against_all, Some(550));
}

#[test]
fn single_candidate() {
    assert_eq!(decision(100, &[("A", 51)], Some(49)), elected("A"));
    assert_eq!(decision(100, &[("A", 50)], Some(50)), Decision::NoWinner);
    assert_eq!(decision(0, &[("A", 0)], None), Decision::NoWinner);
}

#[test]
fn zero_participants_gives_a_runoff_in_registration_order() {
    assert_eq!(
        decision(0, &[("A", 0), ("B", 0), ("C", 0)], None),
        runoff("A", "B")
    );
}

#[test]
fn other_majorities() {
    let two_thirds = MajoritarianRule {
        majority_numerator: 2,
        majority_denominator: 3,
    };
    let d = |p, a| {
        majoritarian_with(&two_thirds, p, &[("A", a), ("B", p - a)], None)
            .unwrap()
            .decision
    };
    assert_eq!(d(99, 66), runoff("A", "B")); // exactly 2/3
    assert_eq!(d(99, 67), elected("A"));
    let bad = MajoritarianRule {
        majority_numerator: 1,
        majority_denominator: 1,
    };
    assert_eq!(
        majoritarian_with(&bad, 1, &[("A", 1)], None),
        Err(RulesError::InvalidShare {
            field: "majority",
            numerator: 1,
            denominator: 1
        })
    );
}

#[test]
fn majoritarian_rejects_bad_counts() {
    let none: [(&str, u64); 0] = [];
    assert_eq!(majoritarian(10, &none, None), Err(RulesError::Empty));
    assert_eq!(
        majoritarian(10, &[("A", 1), ("A", 2)], None),
        Err(RulesError::DuplicateName { name: "A".into() })
    );
    assert_eq!(
        majoritarian(10, &[("A", 1), ("", 2)], None),
        Err(RulesError::EmptyName { position: 2 })
    );
    assert_eq!(
        majoritarian(10, &[("A", 11)], None),
        Err(RulesError::VotesAboveParticipants {
            name: "A".into(),
            votes: 11,
            participants: 10
        })
    );
    assert_eq!(
        majoritarian(10, &[("A", 6), ("B", 5)], None),
        Err(RulesError::TotalAboveParticipants {
            total: 11,
            participants: 10
        })
    );
    assert_eq!(
        majoritarian(10, &[("A", 6)], Some(5)),
        Err(RulesError::TotalAboveParticipants {
            total: 11,
            participants: 10
        })
    );
    assert_eq!(
        majoritarian(10, &[("A", 0)], Some(11)),
        Err(RulesError::AgainstAllAboveParticipants {
            against_all: 11,
            participants: 10
        })
    );
    // u64 counts: sums are taken in u128 and do not wrap.
    assert_eq!(
        majoritarian(u64::MAX, &[("A", u64::MAX), ("B", 1)], None),
        Err(RulesError::TotalAboveParticipants {
            total: u128::from(u64::MAX) + 1,
            participants: u64::MAX
        })
    );
}

#[test]
fn error_messages_name_the_culprit() {
    let e = majoritarian(10, &[("Ақжол", 11)], None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "\"Ақжол\" has 11 votes, more than the 10 participants"
    );
    let e = Ratio::from_percent_str("5,5").unwrap_err();
    assert!(
        e.to_string().starts_with("threshold_percent \"5,5\""),
        "{e}"
    );
}

// ----- threshold parsing (spec §3.1) -----------------------------------------------------------

#[test]
fn threshold_percent_is_exact() {
    assert_eq!(pct("5"), Ratio::new(1, 20).unwrap());
    assert_eq!(pct("7"), Ratio::new(7, 100).unwrap());
    assert_eq!(pct("5.5"), Ratio::new(11, 200).unwrap());
    assert_eq!(pct("7.25"), Ratio::new(29, 400).unwrap());
    assert_eq!(pct("5.000"), pct("5"));
    assert_eq!(pct("05"), pct("5"));
    assert_eq!(pct("0"), Ratio::new(0, 1).unwrap());
    assert_eq!(pct("0.0"), Ratio::new(0, 1).unwrap());
    assert_eq!(pct("100"), Ratio::new(1, 1).unwrap());
    assert_eq!(pct("100.000"), Ratio::new(1, 1).unwrap());
    assert_eq!(pct("0.000000001"), Ratio::new(1, 100_000_000_000).unwrap());
    assert_eq!(pct("33.333333333").to_string(), "33333333333/100000000000");
}

#[test]
fn threshold_percent_rejects_anything_else() {
    for text in [
        "",
        ".5",
        "5.",
        "-5",
        "+5",
        "5e0",
        " 5",
        "5 ",
        "5,5",
        "5..5",
        "1.2.3",
        "five",
        "0x10",
        "5%",
        "0.0000000001",
    ] {
        assert!(
            matches!(
                Ratio::from_percent_str(text),
                Err(RulesError::MalformedThreshold { .. })
            ),
            "{text:?}"
        );
    }
    for text in [
        "100.1",
        "101",
        "1000",
        "100.000000001",
        "99999999999999999999999",
    ] {
        assert_eq!(
            Ratio::from_percent_str(text),
            Err(RulesError::ThresholdOutOfRange { value: text.into() }),
            "{text:?}"
        );
    }
}

#[test]
fn ratio_text_is_canonical() {
    assert_eq!(
        "1/20".parse::<Ratio>().unwrap(),
        Ratio::new(5, 100).unwrap()
    );
    assert_eq!("0/1".parse::<Ratio>().unwrap(), Ratio::new(0, 7).unwrap());
    for bad in [
        "2/40", "1/0", "0/2", "01/20", "1/020", "+1/2", "1 /2", "1/2/3", "12", "", "/", "-1/2",
    ] {
        assert!(bad.parse::<Ratio>().is_err(), "{bad:?}");
    }
    assert!(Ratio::new(1, 3).unwrap() < Ratio::new(1, 2).unwrap());
    assert_eq!(Ratio::new(3, 0), None);
}

// ----- proportional (spec §3) ------------------------------------------------------------------

#[test]
fn party_exactly_at_the_threshold_is_admitted_and_just_below_is_not() {
    let list = [("A", 600), ("B", 300), ("C", 50), ("D", 49)];
    let o = proportional(1000, &list, None, 10, pct("5")).unwrap();
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "B", "C"]);
    assert_eq!(o.admission, Admission::Threshold);
    assert_eq!(o.quota.to_string(), "95/1");
    // A 6 r300, B 3 r150, C 0 r500: the one seat left goes to C.
    assert_eq!(
        o.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
        [6, 3, 1, 0]
    );
    assert!(o.parties[2].remainder_seat);
}

#[test]
fn fractional_thresholds_are_exact() {
    // 5.5% of 1000 is 55.
    let o = proportional(
        1000,
        &[("A", 800), ("B", 55), ("C", 54)],
        None,
        10,
        pct("5.5"),
    )
    .unwrap();
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "B"]);
    // 7.25% of 400 is 29.
    let o = proportional(
        400,
        &[("A", 300), ("B", 29), ("C", 28)],
        None,
        10,
        pct("7.25"),
    )
    .unwrap();
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "B"]);
    // 7% of 1001 is 70.07: 70 is below.
    let o = proportional(
        1001,
        &[("A", 800), ("B", 71), ("C", 70)],
        None,
        10,
        pct("7"),
    )
    .unwrap();
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "B"]);
}

#[test]
fn remainder_ties_go_to_the_earlier_registered() {
    assert_eq!(
        seats_of(30, &[("A", 10), ("B", 10), ("C", 10)], 2, "5"),
        [1, 1, 0]
    );
    assert_eq!(
        seats_of(30, &[("C", 10), ("B", 10), ("A", 10)], 2, "5"),
        [1, 1, 0]
    );
    assert_eq!(seats_of(50, &[("A", 25), ("B", 25)], 1, "5"), [1, 0]);
    assert_eq!(seats_of(50, &[("B", 25), ("A", 25)], 1, "5"), [1, 0]);
    // Equal remainders between parties that also hold whole quotas: quota 20, A 3 r10, B 1 r10.
    assert_eq!(seats_of(100, &[("A", 70), ("B", 30)], 5, "5"), [4, 1]);
    assert_eq!(seats_of(100, &[("B", 30), ("A", 70)], 5, "5"), [2, 3]);
}

#[test]
fn seats_decided_entirely_by_remainders() {
    let o = proportional(100, &[("A", 40), ("B", 35), ("C", 25)], None, 2, pct("5")).unwrap();
    assert_eq!(o.quota.to_string(), "50/1");
    assert_eq!(
        o.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
        [1, 1, 0]
    );
    assert!(o.parties.iter().take(2).all(|p| p.remainder_seat));
}

#[test]
fn quota_is_a_reduced_fraction() {
    let o = proportional(2000, &[("A", 701), ("B", 300)], None, 10, pct("5")).unwrap();
    assert_eq!(o.quota.to_string(), "1001/10");
    let o = proportional(2000, &[("A", 700), ("B", 300)], None, 4, pct("5")).unwrap();
    assert_eq!(o.quota.to_string(), "250/1");
}

#[test]
fn one_party_over_threshold_admits_the_runner_up() {
    // 69 seats as for the Mazhilis party lists.
    let list = [("A", 900), ("B", 40), ("C", 30), ("D", 30)];
    let o = proportional(1000, &list, None, 69, pct("5")).unwrap();
    assert_eq!(o.admission, Admission::RunnerUpAdded);
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(o.quota.to_string(), "940/69");
    // A 66 r60, B 2 r880: the seat left goes to B.
    assert_eq!(
        o.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
        [66, 3, 0, 0]
    );
    // Equal runner-ups: the earlier registered.
    let list = [("A", 890), ("B", 30), ("C", 40), ("D", 40)];
    let o = proportional(1000, &list, None, 69, pct("5")).unwrap();
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "C"]);
}

#[test]
fn runner_up_may_still_win_no_seat() {
    let o = proportional(1000, &[("A", 900), ("B", 40)], None, 10, pct("5")).unwrap();
    assert_eq!(o.admission, Admission::RunnerUpAdded);
    assert_eq!(
        o.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
        [10, 0]
    );
}

#[test]
fn lone_party_with_votes_takes_every_seat() {
    let o = proportional(100, &[("A", 0), ("B", 100), ("C", 0)], None, 5, pct("5")).unwrap();
    assert_eq!(o.admission, Admission::Threshold);
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["B"]);
    assert_eq!(
        o.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
        [0, 5, 0]
    );
}

#[test]
fn no_party_over_threshold_admits_the_top_two() {
    let list = [("A", 60), ("B", 50), ("C", 50), ("D", 40)];
    let o = proportional(1000, &list, Some(700), 5, pct("7")).unwrap();
    assert_eq!(o.admission, Admission::TopTwoAdmitted);
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "B"]);
    // V = 110: A 300 = 2*110 + 80, B 250 = 2*110 + 30.
    assert_eq!(
        o.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
        [3, 2, 0, 0]
    );
    // Only one party has votes.
    let o = proportional(1000, &[("A", 0), ("B", 10)], Some(900), 5, pct("5")).unwrap();
    assert_eq!(o.admission, Admission::TopTwoAdmitted);
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["B"]);
    assert_eq!(o.seats_of("B"), Some(5));
}

#[test]
fn zero_threshold_admits_every_party_with_votes() {
    let o = proportional(10, &[("A", 9), ("B", 1), ("C", 0)], None, 3, pct("0")).unwrap();
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A", "B"]);
}

#[test]
fn hundred_percent_threshold() {
    let o = proportional(10, &[("A", 10), ("B", 0)], None, 3, pct("100")).unwrap();
    assert_eq!(o.admitted().collect::<Vec<_>>(), ["A"]);
    let o = proportional(10, &[("A", 9), ("B", 1)], None, 3, pct("100")).unwrap();
    assert_eq!(o.admission, Admission::TopTwoAdmitted);
    assert_eq!(
        o.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
        [3, 0]
    );
}

/// Issue 18, spec item 5: nobody voting is a result, not a failure: no party is admitted and
/// no seat is awarded, and the outcome says so.
#[test]
fn proportional_with_no_votes_awards_no_seat() {
    let o = proportional(10, &[("A", 0), ("B", 0)], Some(3), 5, pct("5")).unwrap();
    assert_eq!(o.admission, Admission::NoVotes);
    assert_eq!(o.seats, 5);
    assert_eq!(o.quota.to_string(), "0/1");
    assert!(o
        .parties
        .iter()
        .all(|p| !p.admitted && p.seats == 0 && !p.remainder_seat));
    let nobody = proportional(0, &[("A", 0), ("B", 0)], None, 5, pct("5")).unwrap();
    assert_eq!(nobody.admission, Admission::NoVotes);
    let json = serde_json::to_string(&o).unwrap();
    assert!(json.contains(r#""admission":"no_votes""#), "{json}");
}

#[test]
fn proportional_rejects_bad_input() {
    assert_eq!(
        proportional(10, &[("A", 1)], None, 0, pct("5")),
        Err(RulesError::ZeroSeats)
    );
    let none: [(&str, u64); 0] = [];
    assert_eq!(
        proportional(10, &none, None, 5, pct("5")),
        Err(RulesError::Empty)
    );
    assert_eq!(
        proportional(10, &[("A", 1), ("B", 2), ("A", 3)], None, 5, pct("5")),
        Err(RulesError::DuplicateName { name: "A".into() })
    );
    assert_eq!(
        proportional(10, &[("A", 1), ("B", 12)], None, 5, pct("5")),
        Err(RulesError::VotesAboveParticipants {
            name: "B".into(),
            votes: 12,
            participants: 10
        })
    );
}

#[test]
fn huge_counts_do_not_overflow() {
    let half = u64::MAX / 2;
    let o = proportional(
        u64::MAX,
        &[("A", half), ("B", half)],
        Some(1),
        u32::MAX,
        pct("5.5"),
    )
    .unwrap();
    assert_eq!(o.parties.iter().map(|p| p.seats).sum::<u32>(), u32::MAX);
    assert_eq!(o.parties[0].seats, u32::MAX / 2 + 1);
}

/// Honest record of a limit (spec §3.6): when a party's extra votes come from *new* voters,
/// participants grow, another party can fall under the threshold, and the seats it held are
/// redistributed among the rest, which can cost the growing party a seat (an Alabama-paradox
/// effect). Found by a random search; with participants fixed this cannot happen (see the
/// property `a_party_never_loses_seats_by_gaining_votes`).
#[test]
fn growth_with_new_voters_can_cost_a_seat_by_excluding_another_party() {
    let before = [
        ("A", 135),
        ("B", 162),
        ("C", 76),
        ("D", 420),
        ("E", 331),
        ("F", 314),
    ];
    // C has 76 of 1512 = 5.03%.
    assert_eq!(seats_of(1512, &before, 5, "5"), [1, 1, 0, 1, 1, 1]);
    let after = [
        ("A", 145),
        ("B", 162),
        ("C", 76),
        ("D", 420),
        ("E", 331),
        ("F", 314),
    ];
    // A gains 10 votes from 10 new voters; C now has 76 of 1522 = 4.99% and is out.
    assert_eq!(seats_of(1522, &after, 5, "5"), [0, 1, 0, 2, 1, 1]);
    // The same 10 votes from ballots that were blank (participants unchanged) keep A's seat.
    assert_eq!(seats_of(1512, &after, 5, "5"), [1, 1, 0, 1, 1, 1]);
}

// ----- referendum (spec §4) --------------------------------------------------------------------

#[test]
fn referendum_turnout_must_exceed_half() {
    let rule = ReferendumRule::new(1000);
    let o = referendum(&rule, 500, 400, 100).unwrap();
    assert!(!o.valid && !o.approved);
    let o = referendum(&rule, 501, 400, 100).unwrap();
    assert!(o.valid && o.approved);
    let rule = ReferendumRule::new(1001);
    assert!(!referendum(&rule, 500, 500, 0).unwrap().valid);
    assert!(referendum(&rule, 501, 0, 0).unwrap().valid);
}

#[test]
fn referendum_approval_must_exceed_half_of_participants() {
    let rule = ReferendumRule::new(1000);
    let o = referendum(&rule, 600, 300, 290).unwrap();
    assert!(o.valid && !o.approved); // exactly half
    let o = referendum(&rule, 600, 301, 299).unwrap();
    assert!(o.approved);
    // Invalid ballots weigh like "no": 301 of 603 is not more than half.
    let o = referendum(&rule, 603, 301, 200).unwrap();
    assert!(!o.approved);
    let o = referendum(&rule, 501, 250, 251).unwrap();
    assert!(!o.approved);
    let o = referendum(&rule, 501, 251, 250).unwrap();
    assert!(o.approved);
}

#[test]
fn referendum_rejects_bad_input() {
    let rule = ReferendumRule::new(100);
    assert_eq!(
        referendum(&rule, 101, 1, 1),
        Err(RulesError::ParticipantsAboveRegistered {
            participants: 101,
            registered_voters: 100
        })
    );
    assert_eq!(
        referendum(&rule, 60, 40, 21),
        Err(RulesError::TotalAboveParticipants {
            total: 61,
            participants: 60
        })
    );
    let bad = ReferendumRule {
        turnout_denominator: 0,
        ..ReferendumRule::new(100)
    };
    assert!(matches!(
        referendum(&bad, 60, 40, 20),
        Err(RulesError::InvalidShare {
            field: "turnout",
            ..
        })
    ));
    let r = Rule::Referendum(rule);
    assert_eq!(
        r.apply(60, &[("Иә", 40)], None),
        Err(RulesError::ReferendumOptions { count: 1 })
    );
    assert_eq!(
        r.apply(60, &[("Иә", 40), ("Жоқ", 10)], Some(3)),
        Err(RulesError::AgainstAllInReferendum { against_all: 3 })
    );
    assert!(r.apply(60, &[("Иә", 40), ("Жоқ", 10)], Some(0)).is_ok());
    assert!(matches!(
        r.apply(60, &[("Иә", 40), ("Иә", 10)], None),
        Err(RulesError::DuplicateName { .. })
    ));
}

// ----- serialized forms (spec §5) --------------------------------------------------------------

#[test]
fn rule_json() {
    let rules: Vec<Rule> = serde_json::from_str(
        r#"[{"kind": "majoritarian"},
            {"kind": "proportional", "seats": 69, "threshold_percent": "5"},
            {"kind": "referendum", "registered_voters": 12000000}]"#,
    )
    .unwrap();
    assert_eq!(
        rules,
        [
            Rule::Majoritarian(MajoritarianRule::default()),
            Rule::Proportional(ProportionalRule {
                seats: 69,
                threshold_percent: "5".into()
            }),
            Rule::Referendum(ReferendumRule::new(12_000_000)),
        ]
    );
    assert_eq!(
        serde_json::to_string(&rules).unwrap(),
        r#"[{"kind":"majoritarian","majority_numerator":1,"majority_denominator":2},{"kind":"proportional","seats":69,"threshold_percent":"5"},{"kind":"referendum","registered_voters":12000000,"turnout_numerator":1,"turnout_denominator":2,"approval_numerator":1,"approval_denominator":2}]"#
    );
    for bad in [
        r#"{"kind": "plurality"}"#,
        r#"{"kind": "proportional", "seats": 69}"#,
        r#"{"kind": "proportional", "seats": 69, "threshold_percent": "5", "quota": "hare"}"#,
        r#"{"kind": "referendum", "registered_voters": -1}"#,
    ] {
        assert!(serde_json::from_str::<Rule>(bad).is_err(), "{bad}");
    }
}

/// `record.md` §6.3: a share field that is `null` reads as absent (before, the decoder refused
/// `null`, contradicting the spec); a wrong type is still refused.
#[test]
fn a_null_share_field_takes_its_default() {
    let rules: Vec<Rule> = serde_json::from_str(
        r#"[{"kind": "majoritarian", "majority_numerator": null, "majority_denominator": null},
            {"kind": "referendum", "registered_voters": 12000000, "turnout_numerator": null,
             "turnout_denominator": null, "approval_numerator": null, "approval_denominator": null}]"#,
    )
    .unwrap();
    assert_eq!(
        rules,
        [
            Rule::Majoritarian(MajoritarianRule::default()),
            Rule::Referendum(ReferendumRule::new(12_000_000)),
        ]
    );
    assert!(
        serde_json::from_str::<Rule>(r#"{"kind": "majoritarian", "majority_numerator": "1"}"#)
            .is_err()
    );
}

#[test]
fn rule_apply_rejects_bad_parameters() {
    let rule = Rule::Proportional(ProportionalRule {
        seats: 0,
        threshold_percent: "5".into(),
    });
    assert_eq!(
        rule.apply(10, &[("A", 1)], None),
        Err(RulesError::ZeroSeats)
    );
    let rule = Rule::Proportional(ProportionalRule {
        seats: 3,
        threshold_percent: "105".into(),
    });
    assert_eq!(
        rule.apply(10, &[("A", 1)], None),
        Err(RulesError::ThresholdOutOfRange {
            value: "105".into()
        })
    );
}

#[test]
fn outcome_json() {
    let counts = [
        ("A".to_string(), 40),
        ("B".to_string(), 35),
        ("C".to_string(), 20),
    ];
    let majority = Rule::Majoritarian(MajoritarianRule::default())
        .apply(100, &counts, Some(5))
        .unwrap();
    let text = serde_json::to_string(&majority).unwrap();
    assert_eq!(
        text,
        r#"{"kind":"majoritarian","participants":100,"against_all":5,"majority":"1/2","decision":{"runoff":["A","B"]}}"#
    );
    assert_eq!(serde_json::from_str::<Outcome>(&text).unwrap(), majority);
    let won = Rule::Majoritarian(MajoritarianRule::default())
        .apply(100, &[("A", 60)], None)
        .unwrap();
    assert_eq!(
        serde_json::to_string(&won).unwrap(),
        r#"{"kind":"majoritarian","participants":100,"against_all":null,"majority":"1/2","decision":{"elected":"A"}}"#
    );

    let rule = Rule::Proportional(ProportionalRule {
        seats: 2,
        threshold_percent: "5".into(),
    });
    let seats = rule.apply(100, &counts, Some(5)).unwrap();
    let text = serde_json::to_string(&seats).unwrap();
    assert_eq!(
        text,
        concat!(
            r#"{"kind":"proportional","participants":100,"against_all":5,"seats":2,"threshold":"1/20","#,
            r#""admission":"threshold","quota":"95/2","parties":["#,
            r#"{"party":"A","votes":40,"admitted":true,"seats":1,"remainder_seat":true},"#,
            r#"{"party":"B","votes":35,"admitted":true,"seats":1,"remainder_seat":true},"#,
            r#"{"party":"C","votes":20,"admitted":true,"seats":0,"remainder_seat":false}]}"#
        )
    );
    assert_eq!(serde_json::from_str::<Outcome>(&text).unwrap(), seats);

    let yes_no = Rule::Referendum(ReferendumRule::new(200))
        .apply(150, &[("yes", 80), ("no", 60)], None)
        .unwrap();
    let text = serde_json::to_string(&yes_no).unwrap();
    assert_eq!(
        text,
        r#"{"kind":"referendum","registered_voters":200,"participants":150,"yes":80,"no":60,"turnout":"1/2","approval":"1/2","valid":true,"approved":true}"#
    );
    assert_eq!(serde_json::from_str::<Outcome>(&text).unwrap(), yes_no);
    // A non-canonical ratio is refused when reading a record.
    let tampered = text.replace(r#""turnout":"1/2""#, r#""turnout":"2/4""#);
    assert!(serde_json::from_str::<Outcome>(&tampered).is_err());
}

// ----- properties ------------------------------------------------------------------------------

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        rng_seed: RngSeed::Fixed(0x5341_594c_4155),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const THRESHOLDS: [&str; 6] = ["0", "5", "7", "5.5", "7.25", "30"];

fn named(votes: &[u64]) -> Vec<(String, u64)> {
    votes
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("party {i}"), *v))
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn seats_add_up_and_follow_the_quota(
        votes in prop::collection::vec(0u64..5000, 1..9),
        slack in 0u64..3000,
        seats in 1u32..120,
        t in 0usize..THRESHOLDS.len(),
    ) {
        let parties = named(&votes);
        let participants = votes.iter().sum::<u64>() + slack;
        match proportional(participants, &parties, None, seats, pct(THRESHOLDS[t])) {
            Ok(o) if votes.iter().all(|&v| v == 0) => {
                prop_assert_eq!(o.admission, Admission::NoVotes);
                prop_assert_eq!(o.parties.iter().map(|p| p.seats).sum::<u32>(), 0);
            }
            Ok(o) => {
                prop_assert_eq!(o.parties.iter().map(|p| p.seats).sum::<u32>(), seats);
                prop_assert!(o.admitted().count() >= 1);
                prop_assert!(o.admitted().count() >= 2 || votes.iter().filter(|&&v| v > 0).count() == 1);
                let v: u64 = o.parties.iter().filter(|p| p.admitted).map(|p| p.votes).sum();
                for p in &o.parties {
                    if !p.admitted {
                        prop_assert_eq!(p.seats, 0);
                        continue;
                    }
                    // Quota rule: floor(v·S/V) ≤ seats ≤ floor(v·S/V) + 1.
                    let whole = (u128::from(p.votes) * u128::from(seats) / u128::from(v)) as u32;
                    prop_assert!(p.seats == whole || p.seats == whole + 1);
                    prop_assert_eq!(p.remainder_seat, p.seats == whole + 1);
                }
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    /// Spec §3.6: with participants fixed (the extra votes come from ballots that were blank,
    /// invalid or against all), a party never loses seats by gaining votes.
    #[test]
    fn a_party_never_loses_seats_by_gaining_votes(
        votes in prop::collection::vec(0u64..2000, 2..8),
        slack in 1u64..2000,
        pick in any::<prop::sample::Index>(),
        gain in any::<prop::sample::Index>(),
        seats in 1u32..80,
        t in 0usize..THRESHOLDS.len(),
    ) {
        let k = pick.index(votes.len());
        let d = 1 + gain.index(slack as usize) as u64;
        let participants = votes.iter().sum::<u64>() + slack;
        let before = named(&votes);
        let mut after = before.clone();
        after[k].1 += d;
        let threshold = pct(THRESHOLDS[t]);
        let a = proportional(participants, &before, None, seats, threshold);
        let b = proportional(participants, &after, None, seats, threshold).unwrap();
        let had = a.map(|o| o.parties[k].seats).unwrap_or(0);
        prop_assert!(b.parties[k].seats >= had, "{} -> {}", had, b.parties[k].seats);
    }

    /// The leader wins exactly when 2·votes > participants; otherwise the top two meet again.
    #[test]
    fn majoritarian_matches_the_definition(
        votes in prop::collection::vec(0u64..1000, 1..7),
        against in 0u64..500,
        slack in 0u64..500,
    ) {
        let candidates = named(&votes);
        let participants = votes.iter().sum::<u64>() + against + slack;
        let o = majoritarian(participants, &candidates, Some(against)).unwrap();
        let max = *votes.iter().max().unwrap();
        let leader = votes.iter().position(|&v| v == max).unwrap();
        match o.decision {
            Decision::Elected(name) => {
                prop_assert!(2 * max > participants);
                prop_assert_eq!(name, candidates[leader].0.clone());
            }
            Decision::Runoff([a, b]) => {
                prop_assert!(2 * max <= participants);
                prop_assert_eq!(&a, &candidates[leader].0);
                let second = (0..votes.len())
                    .filter(|&i| i != leader)
                    .max_by(|&i, &j| votes[i].cmp(&votes[j]).then(j.cmp(&i)))
                    .unwrap();
                prop_assert_eq!(&b, &candidates[second].0);
            }
            Decision::NoWinner => prop_assert!(votes.len() == 1 && 2 * max <= participants),
        }
    }
}

// ----- the results chart -----------------------------------------------------------------------

mod chart {
    use saylau::tally::chart::{results_svg, ChartBar, ChartContest};

    fn bar(label: &str, votes: u64, seats: Option<u64>, highlight: bool) -> ChartBar {
        ChartBar {
            label: label.to_owned(),
            votes,
            seats,
            highlight,
        }
    }

    fn sample() -> Vec<ChartContest> {
        vec![
            ChartContest {
                title: "Президент сайлауы".to_owned(),
                bars: vec![
                    bar("Тоқаев <Q&A> \"ʼ\"", 6_456_392, None, true),
                    bar("Жиенбаева", 270_615, None, false),
                    bar("Барлығына қарсы", 460_484, None, false),
                ],
                ..Default::default()
            },
            ChartContest {
                title: "Мәжіліс — партиялық тізімдер".to_owned(),
                bars: vec![
                    bar("«AMANAT»", 3_431_510, Some(40), true),
                    bar("«Ауыл»", 693_938, Some(8), true),
                    bar(
                        "A very long party name that will certainly not fit the label column",
                        1,
                        Some(0),
                        false,
                    ),
                ],
                ..Default::default()
            },
            ChartContest {
                title: "Empty".to_owned(),
                bars: vec![],
                ..Default::default()
            },
        ]
    }

    /// Checks that tags nest and close, that attribute values are quoted, and that every `&`
    /// starts one of the five XML entities. Enough to catch unescaped text.
    fn assert_well_formed(svg: &str) {
        let body = svg
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .unwrap();
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = body;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            assert!(!text.contains('>'), "stray > in {text:?}");
            check_entities(text);
            let end = rest[start..].find('>').unwrap() + start;
            let tag = &rest[start + 1..end];
            assert!(!tag.contains('<'), "< inside tag {tag:?}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
            } else {
                let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
                assert_eq!(
                    tag.matches('"').count() % 2,
                    0,
                    "unbalanced quotes in {tag:?}"
                );
                check_entities(tag);
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert_eq!(rest.trim(), "");
    }

    fn check_entities(text: &str) {
        for (i, _) in text.match_indices('&') {
            let tail = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| tail.starts_with(e)),
                "bare & in {text:?}"
            );
        }
    }

    #[test]
    fn chart_is_well_formed_and_has_every_label() {
        let svg = results_svg("Сайлау 2023 & <test>", &sample());
        assert_well_formed(&svg);
        assert!(svg.contains("Сайлау 2023 &amp; &lt;test&gt;"));
        assert!(svg.contains("Тоқаев &lt;Q&amp;A&gt; &quot;ʼ&quot;"));
        for label in [
            "Президент сайлауы",
            "Жиенбаева",
            "Барлығына қарсы",
            "«AMANAT»",
            "«Ауыл»",
        ] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(svg.contains("A very long party name that wil…"));
        assert!(svg.contains("<title>A very long party name that will certainly not fit"));
        assert!(svg.contains("font-family=\"DejaVu Sans"));
        assert!(svg.contains("6\u{202f}456\u{202f}392"));
        // 40 + 8 seat squares, 5 by 5.
        assert_eq!(svg.matches("width=\"5\" height=\"5\"").count(), 48);
        // Deterministic.
        assert_eq!(svg, results_svg("Сайлау 2023 & <test>", &sample()));
    }

    #[test]
    fn chart_survives_hostile_text() {
        let contests = vec![ChartContest {
            title: "]]><script>alert(1)</script>\u{0}\u{1b}".to_owned(),
            bars: vec![
                bar("</text><text>", u64::MAX, Some(300), true),
                bar("'", 0, None, false),
            ],
            ..Default::default()
        }];
        let svg = results_svg("<!-- -->", &contests);
        assert_well_formed(&svg);
        assert!(!svg.contains("<script"));
        assert!(!svg.contains('\u{0}'));
        assert!(svg.contains("\u{fffd}\u{fffd}"));
    }

    /// The outcome marks (board.md §9.5): percentages, the deciding line, the outcome, in each
    /// language, from outcomes the rules computed; the chart stays well formed.
    #[test]
    fn chart_says_the_outcome_in_each_language() {
        use saylau::rules::{
            majoritarian, proportional, referendum, Outcome, Ratio, ReferendumRule,
        };
        use saylau::tally::chart::{outcome_marks, ChartWords};

        let president = majoritarian(1000, &[("a", 450), ("b", 350), ("c", 200)], None).unwrap();
        let parties = proportional(
            1000,
            &[("p", 600), ("q", 360), ("r", 40)],
            None,
            10,
            Ratio::from_percent_str("5").unwrap(),
        )
        .unwrap();
        let yes_no = referendum(&ReferendumRule::new(1200), 1000, 620, 380).unwrap();
        let names = |id: &str| format!("<{id}>");
        let cases = [
            (
                "kk",
                "Екінші тур: &lt;a&gt; және &lt;b&gt;",
                "көпшілік 50\u{202f}%",
                "45,0\u{202f}%",
            ),
            (
                "ru",
                "Второй тур: &lt;a&gt; и &lt;b&gt;",
                "большинство 50\u{202f}%",
                "45,0\u{202f}%",
            ),
            (
                "en",
                "Runoff: &lt;a&gt; and &lt;b&gt;",
                "majority 50%",
                "45.0%",
            ),
        ];
        for (lang, runoff, majority, percent) in cases {
            let words = ChartWords::for_language(Some(lang));
            let contest = |outcome: Outcome, votes: &[u64]| {
                let (line, text) = outcome_marks(&outcome, &names, words);
                ChartContest {
                    title: lang.to_owned(),
                    bars: votes.iter().map(|&v| bar("x", v, None, false)).collect(),
                    total: 1000,
                    line: Some(line),
                    outcome: Some(text),
                    words,
                }
            };
            let svg = results_svg(
                "t",
                &[
                    contest(Outcome::Majoritarian(president.clone()), &[450, 350, 200]),
                    contest(Outcome::Proportional(parties.clone()), &[600, 360, 40]),
                    contest(Outcome::Referendum(yes_no.clone()), &[620, 380]),
                ],
            );
            assert_well_formed(&svg);
            assert!(svg.contains(runoff), "{lang}: {svg}");
            assert!(svg.contains(majority), "{lang}");
            assert!(svg.contains(percent), "{lang}");
            // One dashed line per contest, the party-list threshold at 5 %.
            assert_eq!(svg.matches("stroke-dasharray").count(), 3, "{lang}");
            let threshold = ChartWords::for_language(Some(lang)).share(&Ratio::new(1, 20).unwrap());
            assert!(svg.contains(&threshold), "{lang}");
            // Seats p 6, q 4 (r is under the threshold), and the referendum approved.
            assert!(svg.contains("&lt;p&gt; 6, &lt;q&gt; 4"), "{lang}");
            assert!(!svg.contains("&lt;r&gt; "), "{lang}");
            let approved = match lang {
                "kk" => "Мақұлданды",
                "ru" => "Одобрено",
                _ => "Approved",
            };
            assert!(svg.contains(approved), "{lang}");
        }
    }
}
