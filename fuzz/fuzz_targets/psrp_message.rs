//! PSRP message decoding ([MS-PSRP] 2.2.1 and 2.2.2): the header, then the typed message from
//! its CLIXML body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monosync_exchange::psrp::{PsrpMessage, RawMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = RawMessage::decode(data) {
        let _ = raw.pipeline();
        if let Ok(message) = PsrpMessage::decode(&raw) {
            let _ = message.message_type();
            let _ = message.to_clixml();
        }
    }
});
