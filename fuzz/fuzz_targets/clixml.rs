//! The CLIXML reader ([MS-PSRP] 2.2.5): one value and a whole `Objs` document, then the writer
//! and the JSON view on whatever decoded, since both walk the decoded tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monosync_exchange::clixml;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = clixml::from_slice(data) {
        let xml = clixml::to_vec(&value);
        // What we wrote must read back.
        assert!(
            clixml::from_slice(&xml).is_ok(),
            "re-encoded value does not decode"
        );
        let _ = clixml::to_json_string(&value);
    }
    if let Ok(values) = clixml::objects_from_slice(data) {
        let _ = clixml::objects_to_vec(&values);
    }
});
