//! Every CLIXML message body in the recorded Windows traffic (`shared/fixtures/windows-captures`)
//! decodes, and re-encodes to the very bytes Windows sent (less the BOM) ([MS-PSRP] 2.2.5).

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use monosync_exchange::clixml::{ClixmlError, from_slice, to_vec};

fn captures_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .skip(2)
        .take(2)
        .map(|dir| dir.join("shared/fixtures/windows-captures"))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("windows-captures not found beside {}", manifest.display()))
}

/// The base64 payloads of `<tag ...>payload</tag>` in `text`.
fn payloads<'t>(text: &'t str, tag: &str) -> Vec<&'t str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let (Some(gt), Some(end)) = (after.find('>'), after.find(&close)) else {
            break;
        };
        if gt < end {
            found.push(&after[gt + 1..end]);
        }
        rest = &after[end.max(gt)..];
    }
    found
}

/// Message bodies: fragments ([MS-PSRP] 2.2.4) reassembled per object id, past the 40-byte
/// message header (2.2.1).
fn bodies(text: &str) -> Vec<Vec<u8>> {
    let mut partial: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut done = Vec::new();
    let b64 = base64::engine::general_purpose::STANDARD;
    for tag in ["rsp:Stream", "creationXml", "rsp:Arguments"] {
        for payload in payloads(text, tag) {
            let Ok(data) = b64.decode(payload.trim()) else {
                continue;
            };
            let mut rest = &data[..];
            while rest.len() >= 21 {
                let object_id = u64::from_be_bytes(rest[..8].try_into().unwrap());
                let flags = rest[16];
                let len = u32::from_be_bytes(rest[17..21].try_into().unwrap()) as usize;
                let blob = &rest[21..21 + len];
                rest = &rest[21 + len..];
                if flags & 1 != 0 {
                    partial.insert(object_id, Vec::new());
                }
                let message = partial.entry(object_id).or_default();
                message.extend_from_slice(blob);
                if flags & 2 != 0 {
                    let message = partial.remove(&object_id).unwrap();
                    done.push(message[40..].to_vec());
                }
            }
        }
    }
    done
}

#[test]
fn windows_messages_decode_and_reencode_byte_for_byte() {
    let mut files: Vec<_> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let mut decoded = 0;
    let mut with_bom = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for body in bodies(&text) {
            if body.is_empty() {
                assert!(matches!(
                    from_slice(&body),
                    Err(ClixmlError::UnexpectedEof { .. })
                ));
                continue;
            }
            let value = from_slice(&body).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}: {}",
                    file.display(),
                    String::from_utf8_lossy(&body)
                )
            });
            let unbommed = match body.strip_prefix(b"\xEF\xBB\xBF") {
                Some(rest) => {
                    with_bom += 1;
                    rest
                }
                None => &body[..],
            };
            assert_eq!(
                String::from_utf8_lossy(&to_vec(&value)),
                String::from_utf8_lossy(unbommed),
                "{}",
                file.display()
            );
            decoded += 1;
        }
    }
    // The README counts 394 messages, 277 of them with a BOM; four bodies are empty.
    assert_eq!(decoded, 390);
    assert_eq!(with_bom, 277);
}
