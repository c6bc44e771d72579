//! The CLIXML reader ([MS-PSRP] 2.2.5): one value, a whole `Objs` document and an
//! `-OutputFormat xml` stream, then the writer, the JSON view, `Debug` and equality on whatever
//! decoded, since all of them walk the decoded graph (reference cycles included).
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
        let _ = format!("{value:?}");
        let _ = value == value.clone();
    }
    if let Ok(values) = clixml::objects_from_slice(data) {
        let _ = clixml::objects_to_vec(&values);
    }
    if let Ok(values) = clixml::streams_from_slice(data) {
        for item in &values {
            let _ = clixml::to_json_string(&item.value);
        }
    }
});
