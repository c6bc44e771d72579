//! The SOAP envelope readers ([MS-WSMV] 2.2.4): responses (with the SOAP fault and its
//! `WSManFault` detail, 2.2.4.43) as the client reads them, requests as a server reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monosync_exchange::wsman::{Request, Response};

fuzz_target!(|data: &[u8]| {
    let _ = Response::parse(data);
    let _ = Request::parse(data);
});
