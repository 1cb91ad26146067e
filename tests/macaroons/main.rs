//! libmacaroons formats through the public API: V1, V2 and V2J (known vectors, strict decoding,
//! format detection, predicates), third-party caveats and discharges.

mod discharges;
mod formats;
