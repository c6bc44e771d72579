//! Stream payloads: `rsp:Stream` elements of Send and Receive ([MS-WSMV] 2.2.4.42), their base64
//! coding, and how much payload fits in one envelope.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

use super::error::WsmanError;
use super::header::{Header, format_guid, parse_guid};
use super::request::Request;
use super::xml::{Element, XmlOut};

/// One `rsp:Stream` element: a named stream's bytes, optionally bound to a command.
///
/// For PSRP the name is `stdin`/`pr` going in and `stdout` coming out, and the data is one or
/// more PSRP fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamData {
    /// The `Name` attribute (`stdin`, `pr`, `stdout`, ...).
    pub name: String,
    /// The `CommandId` attribute; absent for shell-level (runspace pool) data.
    pub command_id: Option<Uuid>,
    /// The decoded payload.
    pub data: Vec<u8>,
    /// The `End` attribute: no more data follows on this stream.
    pub end: bool,
}

impl StreamData {
    /// Stream data with no `End` marker.
    pub fn new(name: impl Into<String>, command_id: Option<Uuid>, data: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            command_id,
            data,
            end: false,
        }
    }
}

/// Bytes of a Send or Command envelope besides its base64 payload, for a header whose `To` URL
/// and resource URI together stay under 512 bytes.
///
/// Measured from this module's own Send envelope (1842 bytes with a 256-byte `To`, a
/// 256-byte resource URI, a SessionId, a ShellId selector and a CommandId), then rounded up to
/// leave room for locales and options; a unit test checks that a full Send envelope fits.
pub const ENVELOPE_OVERHEAD: usize = 3072;

/// WinRM's default MaxEnvelopeSize (`MaxEnvelopeSizekb` 150): what a server accepts before
/// anything says otherwise.
pub const DEFAULT_MAX_ENVELOPE_SIZE: usize = 153_600;

/// Largest payload (before base64) one `rsp:Stream` or `rsp:Arguments` can carry so that the
/// envelope stays within `max_envelope_size` ([MS-WSMV] 2.2.4.28; [MS-PSRP] 3.1.5.1.1 sizes
/// fragments from it).
///
/// `floor((max_envelope_size - ENVELOPE_OVERHEAD) / 4) * 3`: base64 writes 4 characters per 3
/// bytes, so only whole 4-character groups are counted. Returns 0 when the envelope is too
/// small for any payload.
pub fn max_stream_payload(max_envelope_size: usize) -> usize {
    max_envelope_size.saturating_sub(ENVELOPE_OVERHEAD) / 4 * 3
}

/// Exact bytes of a one-stream Send envelope built with `header`, besides the base64 text of
/// its payload: for sizing fragments precisely when the header is known.
pub fn send_overhead(header: &Header, stream_name: &str, command_id: Option<Uuid>) -> usize {
    // Three bytes encode to exactly four base64 characters; an empty payload would be written
    // as an empty element, which is shorter than the open and close tags.
    let probe = Request::Send {
        streams: vec![StreamData::new(stream_name, command_id, vec![0; 3])],
    };
    probe.to_xml(header).len().saturating_sub(4)
}

pub(crate) fn encode_base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Decodes base64, ignoring whitespace (pretty-printed envelopes wrap it).
pub(crate) fn decode_base64(element: &'static str, text: &str) -> Result<Vec<u8>, WsmanError> {
    let bytes = text.as_bytes();
    // Output streams are megabytes of base64 on one line: copy only when there is whitespace
    // to strip, and then byte-wise (base64 is ASCII).
    let decoded = if bytes.iter().any(u8::is_ascii_whitespace) {
        let compact: Vec<u8> = bytes
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        STANDARD.decode(compact)
    } else {
        STANDARD.decode(bytes)
    };
    decoded.map_err(|_| WsmanError::InvalidBase64 { element })
}

/// Writes `<rsp:Stream Name=.. CommandId=.. End=..>base64</rsp:Stream>`.
pub(crate) fn write_stream(out: &mut XmlOut, stream: &StreamData) {
    let command = stream.command_id.map(format_guid);
    let mut attrs: Vec<(&str, &str)> = vec![("Name", stream.name.as_str())];
    if let Some(id) = &command {
        attrs.push(("CommandId", id.as_str()));
    }
    if stream.end {
        attrs.push(("End", "true"));
    }
    out.leaf_base64("rsp:Stream", &attrs, &stream.data);
}

/// Reads one `rsp:Stream` element.
pub(crate) fn read_stream(element: &Element) -> Result<StreamData, WsmanError> {
    let name = element.attr("Name").ok_or(WsmanError::MissingAttribute {
        element: "Stream",
        attribute: "Name",
    })?;
    let command_id = element
        .attr("CommandId")
        .map(|v| parse_guid("CommandId", v))
        .transpose()?;
    let end = matches!(element.attr("End"), Some("true" | "True" | "TRUE" | "1"));
    Ok(StreamData {
        name: name.to_owned(),
        command_id,
        data: decode_base64("Stream", &element.text)?,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_size_leaves_room_for_base64_and_envelope() {
        assert_eq!(max_stream_payload(153_600), (153_600 - 3072) / 4 * 3);
        assert_eq!(max_stream_payload(100), 0);
        for size in [153_600usize, 512_000] {
            let payload = max_stream_payload(size);
            let header = Header::new(
                format!("https://{}:5986/wsman", "h".repeat(220)),
                format!(
                    "http://schemas.microsoft.com/powershell/{}",
                    "r".repeat(215)
                ),
                Uuid::from_u128(1),
                size as u32,
            )
            .with_shell_id(Uuid::from_u128(2));
            let header = Header {
                session_id: Some(Uuid::from_u128(3)),
                ..header
            };
            let send = Request::Send {
                streams: vec![StreamData::new(
                    "stdin",
                    Some(Uuid::from_u128(4)),
                    vec![0xA5; payload],
                )],
            };
            let xml = send.to_xml(&header);
            assert!(xml.len() <= size, "{} > {size}", xml.len());
            let overhead = xml.len() - payload.div_ceil(3) * 4;
            assert_eq!(
                overhead,
                send_overhead(&header, "stdin", Some(Uuid::from_u128(4)))
            );
            assert!(overhead <= ENVELOPE_OVERHEAD, "overhead {overhead}");
            assert!(xml.len() + 1536 > size, "overhead {overhead}");
        }
    }

    #[test]
    fn stream_data_is_written_as_plain_base64() {
        let large: Vec<u8> = (0..=255u8).cycle().take(70_001).collect();
        for data in [b"<&>\"'".to_vec(), large] {
            let mut out = XmlOut::with_capacity(16);
            write_stream(
                &mut out,
                &StreamData::new("stdout", Some(Uuid::from_u128(7)), data.clone()),
            );
            let xml = String::from_utf8(out.finish()).unwrap();
            let open =
                "<rsp:Stream Name=\"stdout\" CommandId=\"00000000-0000-0000-0000-000000000007\">";
            let text = xml
                .strip_prefix(open)
                .and_then(|rest| rest.strip_suffix("</rsp:Stream>"))
                .unwrap();
            assert_eq!(text.len(), data.len().div_ceil(3) * 4);
            assert_eq!(decode_base64("Stream", text).unwrap(), data);
        }
        let mut out = XmlOut::new();
        write_stream(&mut out, &StreamData::new("stdout", None, Vec::new()));
        assert_eq!(out.finish(), b"<rsp:Stream Name=\"stdout\"/>");
    }

    #[test]
    fn invalid_base64_is_a_typed_error() {
        assert_eq!(
            decode_base64("Stream", "AAA*"),
            Err(WsmanError::InvalidBase64 { element: "Stream" })
        );
        assert_eq!(decode_base64("Stream", " QUJD\n").unwrap(), b"ABC");
    }
}
