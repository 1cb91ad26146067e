#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caveat_token_fuzz::checks::roundtrip(data);
});
