//! The wire layer: readers and writers for the byte structures the formats are built from, with
//! no knowledge of tokens. Every reader either consumes a well-formed item or fails without
//! consuming, and bounds every length before it slices.
//!
//! - [`cbor`]: the strict, deterministic CBOR subset of the native format (SPEC.md §1.3);
//! - [`packet`]: libmacaroons' V1 packets (`LLLLkey value\n`), shared by the V1 and Onedata
//!   formats.

pub(crate) mod cbor;
#[cfg(any(feature = "onedata", feature = "macaroons"))]
pub(crate) mod packet;
