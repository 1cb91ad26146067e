//! The store test suite, the same for every backend: each backend's tests call these on a
//! fresh, empty store.

use std::sync::Arc;

use super::{ChangeKind, NamedPatch, NamedRow, RefreshRow, RefreshUse, Store, StoreError, UserRow};

/// A fresh, empty PostgreSQL database on the server `CAVEAT_TEST_POSTGRES` names (started by
/// `server/pg/cluster.sh`). Without the variable: `None` locally (the caller skips, saying so),
/// a failure in CI.
pub(crate) fn postgres_url(test: &str) -> Option<String> {
    let Ok(base) = std::env::var("CAVEAT_TEST_POSTGRES") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CAVEAT_TEST_POSTGRES is not set: CI must run the PostgreSQL tests"
        );
        eprintln!("skipping {test}: CAVEAT_TEST_POSTGRES is not set (server/pg/cluster.sh start)");
        return None;
    };
    let name = format!(
        "caveat_t_{}",
        hex::encode(crate::service::keys::random::<6>().ok()?)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
            .await
            .expect("connect to CAVEAT_TEST_POSTGRES");
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        drop(client);
        let _ = driver.await;
    });
    let (prefix, _) = base.rsplit_once('/').expect("a database in the URL");
    Some(format!("{prefix}/{name}"))
}

/// The store suite's tests for one backend: `$open` makes a fresh store, or `None` to skip.
macro_rules! store_suite {
    ($open:expr) => {
        #[test]
        fn users_are_unique_by_name_and_generations_grow() {
            if let Some((_keep, s)) = $open("users_are_unique_by_name_and_generations_grow") {
                suite::users_are_unique_by_name_and_generations_grow(&*s);
            }
        }

        #[test]
        fn named_tokens_belong_to_their_owner() {
            if let Some((_keep, s)) = $open("named_tokens_belong_to_their_owner") {
                suite::named_tokens_belong_to_their_owner(&*s);
            }
        }

        #[test]
        fn a_reused_refresh_token_revokes_its_family() {
            if let Some((_keep, s)) = $open("a_reused_refresh_token_revokes_its_family") {
                suite::a_reused_refresh_token_revokes_its_family(&*s);
            }
        }

        #[test]
        fn of_two_concurrent_uses_of_a_refresh_token_exactly_one_rotates() {
            let test = "of_two_concurrent_uses_of_a_refresh_token_exactly_one_rotates";
            if let Some((_keep, s)) = $open(test) {
                suite::of_two_concurrent_uses_of_a_refresh_token_exactly_one_rotates(s);
            }
        }

        #[test]
        fn every_change_that_can_deny_is_logged_in_order() {
            if let Some((_keep, s)) = $open("every_change_that_can_deny_is_logged_in_order") {
                suite::every_change_that_can_deny_is_logged_in_order(&*s);
            }
        }

        #[test]
        fn concurrent_changes_get_gapless_numbers() {
            if let Some((_keep, s)) = $open("concurrent_changes_get_gapless_numbers") {
                suite::concurrent_changes_get_gapless_numbers(s);
            }
        }

        #[test]
        fn pruning_keeps_the_last_changes() {
            if let Some((_keep, s)) = $open("pruning_keeps_the_last_changes") {
                suite::pruning_keeps_the_last_changes(&*s);
            }
        }

        #[test]
        fn removing_a_user_removes_its_tokens_and_families() {
            if let Some((_keep, s)) = $open("removing_a_user_removes_its_tokens_and_families") {
                suite::removing_a_user_removes_its_tokens_and_families(&*s);
            }
        }
    };
}
pub(crate) use store_suite;

fn named_row(id: &str, name: &str) -> NamedRow {
    NamedRow {
        id: id.into(),
        user_id: "u1".into(),
        name: name.into(),
        kind: "onezone".into(),
        token_type: "{}".into(),
        caveats: "[]".into(),
        custom_metadata: "{}".into(),
        created: 5,
        revoked: false,
        last_used: None,
    }
}

pub(crate) fn every_change_that_can_deny_is_logged_in_order(s: &dyn Store) {
    s.add_user(&alice()).expect("add");
    let start = s.snapshot().expect("snapshot").seq;
    s.add_named(&named_row("t1", "a")).expect("named");
    let revoke = NamedPatch {
        revoked: Some(true),
        ..NamedPatch::default()
    };
    assert!(s.update_named("u1", "t1", &revoke).expect("revoke"));
    // A rename alone changes no decision: it is not logged.
    let rename = NamedPatch {
        name: Some("b".into()),
        ..NamedPatch::default()
    };
    assert!(s.update_named("u1", "t1", &rename).expect("rename"));
    assert!(s.delete_named("u1", "t1").expect("delete"));
    assert_eq!(s.bump_generation("u1").expect("bump"), Some(1));
    s.add_refresh_family("u1", &refresh("h1", "f1"))
        .expect("family");
    assert!(s.revoke_family("f1", Some("u1")).expect("revoke family"));
    let changes = s.changes_since(start, 100).expect("changes");
    let kinds: Vec<ChangeKind> = changes.iter().map(|c| c.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            ChangeKind::NamedIssued("t1".into()),
            ChangeKind::NamedRevoked("t1".into()),
            ChangeKind::NamedDeleted("t1".into()),
            ChangeKind::Generation {
                user_id: "u1".into(),
                generation: 1
            },
            ChangeKind::FamilyRevoked("f1".into()),
        ]
    );
    let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (start + 1..=start + 5).collect::<Vec<_>>());
    let snapshot = s.snapshot().expect("snapshot");
    assert_eq!(snapshot.seq, start + 5);
    assert_eq!(snapshot.generations, vec![("u1".to_owned(), 1)]);
    assert_eq!(snapshot.revoked_families, vec!["f1".to_owned()]);
    assert!(snapshot.named.is_empty());
    assert_eq!(s.changes_since(start + 3, 1).expect("page").len(), 1);
    assert!(s.changes_since(start + 5, 100).expect("none").is_empty());
}

pub(crate) fn concurrent_changes_get_gapless_numbers(s: Arc<dyn Store>) {
    s.add_user(&alice()).expect("add");
    let start = s.snapshot().expect("snapshot").seq;
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for _ in 0..25 {
                    s.bump_generation("u1").expect("bump");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let changes = s.changes_since(start, 1000).expect("changes");
    let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (start + 1..=start + 100).collect::<Vec<_>>());
    // Numbers follow commit order: the generations they carry only grow.
    let generations: Vec<u64> = changes
        .iter()
        .map(|c| match &c.kind {
            ChangeKind::Generation { generation, .. } => *generation,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(generations, (1..=100).collect::<Vec<_>>());
}

pub(crate) fn removing_a_user_removes_its_tokens_and_families(s: &dyn Store) {
    s.add_user(&alice()).expect("add");
    s.add_named(&named_row("t1", "a")).expect("named");
    s.add_refresh_family("u1", &refresh("h1", "f1"))
        .expect("family");
    let start = s.snapshot().expect("snapshot").seq;
    assert!(s.remove_user("u1").expect("remove"));
    assert!(!s.remove_user("u1").expect("again"));
    assert_eq!(s.user_by_id("u1").expect("get"), None);
    assert_eq!(s.named("t1").expect("get"), None);
    assert_eq!(s.refresh_family("h1").expect("get"), None);
    let kinds: Vec<ChangeKind> = s
        .changes_since(start, 10)
        .expect("changes")
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            ChangeKind::NamedDeleted("t1".into()),
            ChangeKind::FamilyRevoked("f1".into()),
            ChangeKind::UserRemoved("u1".into()),
        ]
    );
}

pub(crate) fn alice() -> UserRow {
    UserRow {
        id: "u1".into(),
        name: "alice".into(),
        password_hash: "h".into(),
        generation: 0,
        created: 10,
    }
}

fn refresh(hash: &str, family: &str) -> RefreshRow {
    RefreshRow {
        hash: hash.into(),
        family: family.into(),
        created: 100,
        expires: 1000,
    }
}

pub(crate) fn users_are_unique_by_name_and_generations_grow(s: &dyn Store) {
    s.add_user(&alice()).expect("add");
    let dup = UserRow {
        id: "u2".into(),
        ..alice()
    };
    assert!(matches!(s.add_user(&dup), Err(StoreError::Conflict)));
    assert_eq!(s.bump_generation("u1").expect("bump"), Some(1));
    assert_eq!(s.bump_generation("u1").expect("bump"), Some(2));
    assert_eq!(s.bump_generation("nobody").expect("bump"), None);
    let u = s.user_by_name("alice").expect("get").expect("some");
    assert_eq!(u.generation, 2);
    assert_eq!(s.user_by_id("u1").expect("get"), Some(u));
}

pub(crate) fn named_tokens_belong_to_their_owner(s: &dyn Store) {
    s.add_user(&alice()).expect("add");
    let t = NamedRow {
        id: "t1".into(),
        user_id: "u1".into(),
        name: "ci".into(),
        kind: "onezone".into(),
        token_type: "{}".into(),
        caveats: "[]".into(),
        custom_metadata: "{}".into(),
        created: 5,
        revoked: false,
        last_used: None,
    };
    s.add_named(&t).expect("add");
    let dup = NamedRow {
        id: "t2".into(),
        ..t.clone()
    };
    assert!(matches!(s.add_named(&dup), Err(StoreError::Conflict)));
    let revoke = NamedPatch {
        revoked: Some(true),
        ..NamedPatch::default()
    };
    assert!(!s.update_named("u2", "t1", &revoke).expect("update"));
    assert!(s.update_named("u1", "t1", &revoke).expect("update"));
    assert_eq!(s.named_status().expect("status"), vec![("t1".into(), true)]);
    s.touch_named(&[("t1".into(), 50), ("t1".into(), 40)])
        .expect("touch");
    assert_eq!(
        s.named("t1").expect("get").expect("some").last_used,
        Some(50)
    );
    assert!(!s.delete_named("u2", "t1").expect("delete"));
    assert!(s.delete_named("u1", "t1").expect("delete"));
    assert_eq!(s.named("t1").expect("get"), None);
}

pub(crate) fn a_reused_refresh_token_revokes_its_family(s: &dyn Store) {
    s.add_user(&alice()).expect("add");
    s.add_refresh_family("u1", &refresh("h1", "f1"))
        .expect("family");
    let used = s.use_refresh("h1", 200, &refresh("h2", "f1")).expect("use");
    assert_eq!(
        used,
        RefreshUse::Rotated {
            user_id: "u1".into()
        }
    );
    let again = s.use_refresh("h1", 201, &refresh("h3", "f1")).expect("use");
    assert_eq!(
        again,
        RefreshUse::Reused {
            family: "f1".into()
        }
    );
    // The rotated token died with its family.
    let next = s.use_refresh("h2", 202, &refresh("h4", "f1")).expect("use");
    assert_eq!(next, RefreshUse::Invalid);
    assert_eq!(
        s.revoked_families().expect("families"),
        vec!["f1".to_owned()]
    );
    // Expired and unknown tokens change nothing.
    s.add_refresh_family("u1", &refresh("h5", "f2"))
        .expect("family");
    let late = s
        .use_refresh("h5", 1000, &refresh("h6", "f2"))
        .expect("use");
    assert_eq!(late, RefreshUse::Invalid);
    let unknown = s.use_refresh("zz", 1, &refresh("h7", "f2")).expect("use");
    assert_eq!(unknown, RefreshUse::Invalid);
}

pub(crate) fn of_two_concurrent_uses_of_a_refresh_token_exactly_one_rotates(s: Arc<dyn Store>) {
    s.add_user(&alice()).expect("add");
    for round in 0..20 {
        let first = format!("r{round}");
        let family = format!("f{round}");
        s.add_refresh_family("u1", &refresh(&first, &family))
            .expect("family");
        let racers: Vec<_> = (0..2)
            .map(|n| {
                let (s, first, family) = (Arc::clone(&s), first.clone(), family.clone());
                std::thread::spawn(move || {
                    let next = refresh(&format!("{first}-next{n}"), &family);
                    s.use_refresh(&first, 200, &next).expect("use")
                })
            })
            .collect();
        let outcomes: Vec<RefreshUse> = racers
            .into_iter()
            .map(|r| r.join().expect("racer"))
            .collect();
        let rotated = outcomes
            .iter()
            .filter(|o| matches!(o, RefreshUse::Rotated { .. }))
            .count();
        assert_eq!(rotated, 1, "{outcomes:?}");
        // The loser presented a used token: its family is revoked.
        assert!(
            outcomes.contains(&RefreshUse::Reused { family }),
            "{outcomes:?}"
        );
    }
}

pub(crate) fn pruning_keeps_the_last_changes(s: &dyn Store) {
    s.add_user(&alice()).expect("add");
    for _ in 0..10 {
        s.bump_generation("u1").expect("bump");
    }
    let head = s.snapshot().expect("snapshot").seq;
    assert_eq!(s.prune_changes(3).expect("prune"), head - 3);
    let seqs: Vec<u64> = s
        .changes_since(0, 100)
        .expect("changes")
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(seqs, vec![head - 2, head - 1, head]);
    // Even "keep nothing" keeps the last one: a node behind must see that it is behind.
    s.prune_changes(0).expect("prune");
    let left = s.changes_since(0, 100).expect("changes");
    assert_eq!(left.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![head]);
    // Numbering goes on from the head.
    s.bump_generation("u1").expect("bump");
    assert_eq!(s.changes_since(head, 10).expect("changes")[0].seq, head + 1);
}
