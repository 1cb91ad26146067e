//! The secrecy of keys and tags: `Debug` never shows key material, `==` is kept off tags and
//! keys (at compile time and by a review rule over `src/`), and the constant-time comparisons
//! behave.

use caveat_token::{hazmat as chain, Tag};
use caveat_token::{KeyRing, RootKey, Verifier};

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn debug_never_shows_key_material() {
    let secret = hex::decode(KEY_HEX).expect("hex");
    let key = key();
    let derived = chain::derive_key(&secret);
    let forbidden = [
        KEY_HEX.to_owned(),
        hex::encode(derived.as_bytes()),
        format!("{:?}", secret),
        format!("{:?}", derived.as_bytes()),
        // A few bytes in a row, as a Debug of a byte array would print them.
        format!(
            "{}, {}, {}",
            derived.as_bytes()[0],
            derived.as_bytes()[1],
            derived.as_bytes()[2]
        ),
    ];
    let mut ring = KeyRing::new();
    ring.set_default(key.clone());
    ring.insert("k1", key.clone());
    let verifier = Verifier::new().with_leeway(5);
    let printed = [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{ring:?}"),
        format!("{ring:#?}"),
        format!("{verifier:?}"),
        format!("{:?}", Some(&key)),
    ];
    for p in &printed {
        for f in &forbidden {
            assert!(!p.contains(f.as_str()), "{p} shows {f}");
        }
    }
    assert_eq!(format!("{key:?}"), "RootKey(***OMITTED***)");
    assert!(format!("{ring:?}").contains("k1"), "key ids are not secret");

    // A token's Debug does not print its tag (a bearer token's tag is what makes it usable).
    let token = mint(&[]);
    let tag_hex = token.tag().to_hex();
    assert!(!format!("{token:?}").contains(&tag_hex));
    assert!(!format!("{token:#?}").contains(&tag_hex));
}

/// `==` is kept off tags and keys by construction: `Tag`, `RootKey` and `KeyRing` implement
/// neither `PartialEq` nor `PartialOrd`, so `tag == other` does not compile and comparisons must
/// go through the constant-time `ct_eq`. This is checked at compile time: if one of these types
/// ever gains such an impl, this test file stops compiling.
///
/// The check resolves a method through a trait that has two blanket impls, one for every type
/// and one for every type with the forbidden impl, told apart by a marker type parameter. For a
/// type without the forbidden impl only the first applies and the marker is inferred; for one
/// with it, both apply and inference is ambiguous, which is a compile error.
mod no_eq_on_secrets {
    use super::{KeyRing, RootKey, Tag};

    trait LacksEq<Marker> {
        fn check() {}
    }
    impl<T: ?Sized> LacksEq<()> for T {}
    pub struct HasPartialEq;
    impl<T: ?Sized + PartialEq> LacksEq<HasPartialEq> for T {}
    pub struct HasPartialOrd;
    impl<T: ?Sized + PartialOrd> LacksEq<HasPartialOrd> for T {}

    #[test]
    fn tags_and_keys_have_no_eq() {
        <Tag as LacksEq<_>>::check();
        <RootKey as LacksEq<_>>::check();
        <KeyRing as LacksEq<_>>::check();
    }

    /// The same trick is not vacuous: for a type that does have `PartialEq`, naming the marker
    /// explicitly resolves (so both impls exist and an inferred marker would be ambiguous).
    #[test]
    fn the_check_sees_partial_eq_where_it_exists() {
        <[u8; 32] as LacksEq<HasPartialEq>>::check();
        <u8 as LacksEq<HasPartialOrd>>::check();
    }
}

/// A review rule as a test: in `src/`, bytes of tags and keys are never compared with `==` or
/// `!=`. Without `PartialEq` on the types (checked above), the only way to do it would be through
/// their byte or hex views, so no line of code may compare the `as_bytes()`, `to_hex()` or
/// `as_slice()` of a receiver whose name speaks of a tag, key or MAC.
#[test]
fn no_equality_on_secret_byte_views_in_src() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    /// The receivers of `view` calls on a line, e.g. `self.tag` for `self.tag.as_bytes()`.
    fn receivers<'a>(code: &'a str, view: &str) -> Vec<&'a str> {
        let mut out = Vec::new();
        let mut rest = code;
        while let Some(i) = rest.find(view) {
            let before = &rest[..i];
            let start = before
                .rfind(|c: char| {
                    !(c.is_alphanumeric() || c == '_' || c == '.' || c == ')' || c == '(')
                })
                .map_or(0, |p| p + 1);
            out.push(&before[start..]);
            rest = &rest[i + view.len()..];
        }
        out
    }
    fn is_secret_name(receiver: &str) -> bool {
        let r = receiver.to_ascii_lowercase();
        ["tag", "key", "mac", "derived", "secret"]
            .iter()
            .any(|w| r.contains(w))
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 5, "found the sources");
    let mut offenders = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !(code.contains("==") || code.contains("!=")) {
                continue;
            }
            let secret_view = [".as_bytes()", ".to_hex()", ".as_slice()"]
                .iter()
                .flat_map(|v| receivers(code, v))
                .any(is_secret_name);
            if secret_view {
                offenders.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "use ct_eq: {offenders:#?}");
    // The rule does catch what it is meant to catch.
    assert!(receivers("if tag.as_bytes() == other {", ".as_bytes()")
        .into_iter()
        .any(is_secret_name));
    assert!(receivers("a == self.derived.as_bytes()[..]", ".as_bytes()")
        .into_iter()
        .any(is_secret_name));
    assert!(
        !receivers("rest.as_bytes().get(1) == Some(&b'_')", ".as_bytes()")
            .into_iter()
            .any(is_secret_name)
    );
}

#[test]
fn constant_time_comparisons_behave() {
    let a = RootKey::from_bytes(b"same").expect("key");
    let b = RootKey::from_hex(&hex::encode(b"same")).expect("key");
    let c = RootKey::from_bytes(b"different").expect("key");
    assert!(a.ct_eq(&b));
    assert!(!a.ct_eq(&c));
    let t = Tag::from_bytes([9; 32]);
    assert!(t.ct_eq(&[9; 32]));
    assert!(!t.ct_eq(&[9; 31]));
    let mut off = [9u8; 32];
    off[0] = 8;
    assert!(!t.ct_eq(&off));
}
