//! The README as a reader meets it, on the crate's first page and on a code host: its error-id
//! table is the crate's id list, and it holds nothing that only rustdoc renders. (Its Rust
//! blocks run as doctests, since the README is the crate's documentation; its shell blocks run
//! in `tests/readme_snippets.sh`.)

const README: &str = include_str!("../README.md");

/// The lines between the README's `error-ids` markers.
fn error_table() -> Vec<&'static str> {
    let begin = README
        .find("<!-- error-ids: begin -->")
        .expect("the README marks its error-id table");
    let end = README
        .find("<!-- error-ids: end -->")
        .expect("the README marks the end of its error-id table");
    README[begin..end].lines().skip(1).collect()
}

#[test]
fn the_error_table_lists_every_id_in_order() {
    let ids: Vec<&str> = error_table()
        .iter()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id))
        .collect();
    assert_eq!(ids, caveat_token::ERROR_IDS);
    // Each row says what the id means.
    for line in error_table().iter().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        assert!(cells.len() == 2 && cells[1].len() > 10, "{line}");
    }
}

#[test]
fn nothing_renders_raw_on_a_code_host() {
    let mut in_rust = false;
    for (n, line) in README.lines().enumerate() {
        if line.starts_with("```") {
            in_rust = line == "```rust";
            continue;
        }
        // Hidden doctest lines show on a code host.
        assert!(
            !(in_rust && (line.starts_with("# ") || line == "#")),
            "line {}: hidden doctest line: {line}",
            n + 1
        );
        // An intra-doc link ([`Name`] without a URL) shows its brackets there.
        let mut rest = line;
        while let Some(at) = rest.find("[`") {
            rest = &rest[at + 2..];
            if let Some(close) = rest.find("`]") {
                let after = &rest[close + 2..];
                assert!(
                    after.starts_with('('),
                    "line {}: intra-doc link without a URL: {line}",
                    n + 1
                );
            }
        }
    }
}

#[test]
fn the_readme_says_how_to_install_the_binary() {
    assert!(README.contains("cargo install --path . --features cli"));
}
