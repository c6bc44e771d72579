//! Every CLIXML message body in the recorded Windows traffic (`shared/fixtures/windows-captures`)
//! decodes, and re-encodes to the very bytes Windows sent (less the BOM) ([MS-PSRP] 2.2.5).

mod common;

use common::captures::Sender;
use common::messages;
use monosync_exchange::clixml::{ClixmlError, from_slice, to_vec};

#[test]
fn windows_messages_decode_and_reencode_byte_for_byte() {
    let (blobs, errors) = messages::all();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let mut decoded = 0;
    let mut with_bom = 0;
    let mut empty = 0;
    let mut bare_empty_strings = 0;
    for blob in &blobs {
        let file = format!("{}:{}", blob.file, blob.line);
        // The body follows the 40-byte message header ([MS-PSRP] 2.2.1).
        let body = blob
            .data
            .get(40..)
            .unwrap_or_else(|| panic!("{file}: short"));
        if body.is_empty() {
            assert!(matches!(
                from_slice(body),
                Err(ClixmlError::UnexpectedEof { .. })
            ));
            empty += 1;
            continue;
        }
        let value = from_slice(body)
            .unwrap_or_else(|e| panic!("{file}: {e}: {}", String::from_utf8_lossy(body)));
        let unbommed = match body.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => {
                with_bom += 1;
                rest
            }
            None => body,
        };
        // The recording client (pypsrp) sends CONNECT_RUNSPACEPOOL without runspace limits
        // ([MS-PSRP] 2.2.2.28) as a self-closed `<S />`; the writer here spells the same empty
        // string `<S></S>`. Only client bytes may differ this way.
        let expected = if unbommed == b"<S />" {
            assert_eq!(blob.sender, Sender::Client, "{file}");
            bare_empty_strings += 1;
            b"<S></S>"
        } else {
            unbommed
        };
        assert_eq!(
            String::from_utf8_lossy(&to_vec(&value)),
            String::from_utf8_lossy(expected),
            "{file}"
        );
        decoded += 1;
    }
    // The README counts the 394 messages of creationXml, rsp:Arguments and rsp:Stream, 277 of
    // them with a BOM; connectXml and connectResponseXml add 16 more (the 8 from Windows with a
    // BOM). Four bodies are empty.
    assert_eq!(blobs.len(), 410);
    assert_eq!(empty, 4);
    assert_eq!(decoded, 406);
    assert_eq!(with_bom, 285);
    assert_eq!(bare_empty_strings, 4);
}
