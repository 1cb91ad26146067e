//! What the list caveats (`ip`, `inviteType`, `asn`, `geo.*`, `service`, `consumer`, `api`,
//! `data.path`, `data.objectid`) share: the length check, the JSON and text lists of entries,
//! and the native CBOR array of entries. Each kind keeps what is its own: how one entry is
//! parsed, written and read, and the error reasons that name it.

use std::fmt::Display;

use super::{reason, Fields, MAX_LIST_ENTRIES};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// Checks a list's length: not empty and at most [`MAX_LIST_ENTRIES`] entries
/// (`badValueCaveat` naming `key`).
pub(crate) fn check_len<T>(list: &[T], key: &'static str) -> Result<(), Error> {
    if list.is_empty() {
        Err(Error::bad_caveat(key, "empty list"))
    } else if list.len() > MAX_LIST_ENTRIES {
        Err(Error::bad_caveat(key, "more than 64 entries"))
    } else {
        Ok(())
    }
}

/// The JSON list under `key` (a non-empty array of strings), each entry parsed.
pub(crate) fn from_json<T>(
    f: &Fields<'_>,
    key: &'static str,
    parse: impl FnMut(&str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    f.strings(key)?.into_iter().map(parse).collect()
}

/// A `|`-separated text list (see [`entries`]), each entry parsed.
pub(crate) fn from_text<T>(
    text: &str,
    key: &'static str,
    parse: impl FnMut(&str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    entries(text, key)?.map(parse).collect()
}

/// Splits a `|`-separated list; every entry must be non-empty and there may be at most
/// [`MAX_LIST_ENTRIES`] of them.
pub(crate) fn entries<'a>(
    text: &'a str,
    key: &'static str,
) -> Result<impl Iterator<Item = &'a str>, Error> {
    let mut n = 0usize;
    for entry in text.split('|') {
        if entry.is_empty() {
            return Err(Error::bad_caveat(key, "empty list entry"));
        }
        n += 1;
        if n > MAX_LIST_ENTRIES {
            return Err(Error::bad_caveat(key, "more than 64 entries"));
        }
    }
    Ok(text.split('|'))
}

/// Each entry's text form: the JSON list.
pub(crate) fn strings<T: Display>(list: &[T]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// The entries' text forms joined with `|`: the text list.
pub(crate) fn join<T: Display>(list: &[T]) -> String {
    strings(list).join("|")
}

/// Writes the native list: a CBOR array holding each entry as `entry` writes it.
pub(crate) fn write<T>(out: &mut Vec<u8>, list: &[T], mut entry: impl FnMut(&mut Vec<u8>, &T)) {
    cbor::write_array(out, list.len());
    for e in list {
        entry(out, e);
    }
}

/// Reads the native list: a CBOR array of at most `max` entries, each read by `entry`.
pub(crate) fn read<'a, T>(
    r: &mut Reader<'a>,
    max: usize,
    mut entry: impl FnMut(&mut Reader<'a>) -> Result<T, &'static str>,
) -> Result<Vec<T>, &'static str> {
    let n = r.array(max).map_err(reason)?;
    let mut list = Vec::with_capacity(n);
    for _ in 0..n {
        list.push(entry(r)?);
    }
    Ok(list)
}
