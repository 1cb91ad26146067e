//! The store test suite, the same for every backend: each backend's tests call these on a
//! fresh, empty store.

use std::sync::Arc;

use super::{NamedPatch, NamedRow, RefreshRow, RefreshUse, Store, StoreError, UserRow};

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
