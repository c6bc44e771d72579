//! The `multipart/encrypted` framing of sealed bodies ([MS-WSMV] 2.2.9.1), and the
//! `Content-Type` that announces it. Unsealing goes through a context that hands the cipher
//! back unchanged, so the framing checks around it are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monosync_exchange::transport::encryption::{parse_sealed, unseal_body};
use monosync_exchange::transport::{SealProtocol, SealingContext, SealingError};

/// A context whose "cipher" is the plain text.
struct Clear;

impl SealingContext for Clear {
    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealingError> {
        Ok((vec![0; 16], plain.to_vec()))
    }
    fn unseal(&mut self, _signature: &[u8], cipher: &[u8]) -> Result<Vec<u8>, SealingError> {
        Ok(cipher.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(parts) = parse_sealed(data) {
        let _ = unseal_body(&mut Clear, parts.protocol, data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = SealProtocol::from_content_type(text);
    }
});
