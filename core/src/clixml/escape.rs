//! The `_xHHHH_` encoding of CLIXML strings ([MS-PSRP] 2.2.5.1.1) plus XML escaping.
//!
//! PowerShell writes characters XML cannot carry (C0 and C1 controls, lone UTF-16 surrogates) as
//! `_xHHHH_`, the UTF-16 code unit in hex; characters outside the BMP may come as two escapes (a
//! surrogate pair). A literal `_x` is protected as `_x005F_x` so that it is not misread. The
//! encoder here escapes exactly what psrpcore escapes (C0 including tab/CR/LF, DEL, C1, every
//! non-BMP character as its surrogate pair, and every `_x`/`_X`), which PowerShell decodes.

use std::borrow::Cow;

/// A decoded string: valid Unicode, or UTF-16 code units when it holds a lone surrogate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded<'a> {
    /// Valid Unicode.
    Str(Cow<'a, str>),
    /// Holds at least one lone surrogate.
    Wide(Vec<u16>),
}

/// Decodes `_xHHHH_` escapes (hex digits in either case, `x` lower case as .NET's decoder).
pub(crate) fn decode(s: &str) -> Decoded<'_> {
    if !s.contains("_x") {
        return Decoded::Str(Cow::Borrowed(s));
    }
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut rest = s;
    let mut pos = 0;
    while let Some(found) = rest.find("_x") {
        let at = pos + found;
        let unit = bytes.get(at + 2..at + 7).and_then(|esc| {
            let (hex, close) = esc.split_at(4);
            if close != b"_" {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            u16::from_str_radix(hex, 16).ok()
        });
        let (literal_end, next) = match unit {
            Some(_) => (at, at + 7),
            None => (at + 2, at + 2),
        };
        units.extend(s.get(pos..literal_end).unwrap_or_default().encode_utf16());
        if let Some(u) = unit {
            units.push(u);
        }
        pos = next;
        rest = s.get(pos..).unwrap_or_default();
    }
    units.extend(rest.encode_utf16());
    match String::from_utf16(&units) {
        Ok(text) => Decoded::Str(Cow::Owned(text)),
        Err(_) => Decoded::Wide(units),
    }
}

/// Decodes like [`decode`], replacing lone surrogates with U+FFFD (for property names, type names
/// and `ToString`, which the object model keeps as `String`).
pub(crate) fn decode_lossy(s: &str) -> Cow<'_, str> {
    match decode(s) {
        Decoded::Str(text) => text,
        Decoded::Wide(units) => Cow::Owned(String::from_utf16_lossy(&units)),
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_unit(out: &mut Vec<u8>, unit: u16) {
    out.extend_from_slice(b"_x");
    for shift in [12u16, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xF)]);
    }
    out.push(b'_');
}

/// [`special`] for every byte value: one load per byte instead of a chain of comparisons, in
/// the scan every string of a serialized object goes through.
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(
            b as u8,
            0..=0x1F | 0x7F | b'_' | b'<' | b'>' | b'&' | b'"' | 0xC2 | 0xF0..=0xFF
        );
        b += 1;
    }
    table
};

/// Whether a byte may need escaping; bytes for which this is false are copied as they are.
fn special(b: u8) -> bool {
    SPECIAL[usize::from(b)]
}

/// Appends `s` encoded for CLIXML character data; `"` stays as it is, as PowerShell writes it.
pub(crate) fn encode_str(out: &mut Vec<u8>, s: &str) {
    encode(out, s, false);
}

/// Appends `s` encoded for a double-quoted attribute value.
pub(crate) fn encode_attr(out: &mut Vec<u8>, s: &str) {
    encode(out, s, true);
}

fn encode(out: &mut Vec<u8>, s: &str, attr: bool) {
    let bytes = s.as_bytes();
    if !bytes.iter().copied().any(special) {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(bytes.len() + 16);
    let mut i = 0;
    let mut copied = 0;
    while let Some(&b) = bytes.get(i) {
        if !special(b) {
            i += 1;
            continue;
        }
        out.extend_from_slice(bytes.get(copied..i).unwrap_or_default());
        let mut len = 1;
        match b {
            b'_' if matches!(bytes.get(i + 1), Some(b'x' | b'X')) => {
                push_unit(out, u16::from(b'_'))
            }
            b'_' => out.push(b'_'),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'"' if attr => out.extend_from_slice(b"&quot;"),
            b'"' => out.push(b'"'),
            0..=0x1F | 0x7F => push_unit(out, u16::from(b)),
            0xC2 => {
                len = 2;
                match bytes.get(i + 1) {
                    // U+0080..U+009F: the C1 controls.
                    Some(&c) if (0x80..=0x9F).contains(&c) => push_unit(out, u16::from(c)),
                    _ => out.extend_from_slice(bytes.get(i..i + 2).unwrap_or_default()),
                }
            }
            _ => {
                // A four-byte sequence: a character outside the BMP, written as a surrogate pair.
                len = 4;
                let ch = s.get(i..).and_then(|t| t.chars().next());
                let mut pair = [0u16; 2];
                for unit in ch.map(|c| &*c.encode_utf16(&mut pair)).unwrap_or_default() {
                    push_unit(out, *unit);
                }
            }
        }
        i += len;
        copied = i;
    }
    out.extend_from_slice(bytes.get(copied..).unwrap_or_default());
}

/// Appends UTF-16 text (which may hold lone surrogates) encoded like [`encode_str`].
pub(crate) fn encode_wide(out: &mut Vec<u8>, units: &[u16]) {
    let mut buf = [0u8; 4];
    let mut pending_underscore = false;
    for item in char::decode_utf16(units.iter().copied()) {
        match item {
            Ok(c) => {
                if pending_underscore {
                    if matches!(c, 'x' | 'X') {
                        push_unit(out, u16::from(b'_'));
                    } else {
                        out.push(b'_');
                    }
                    pending_underscore = false;
                }
                if c == '_' {
                    pending_underscore = true;
                } else {
                    encode_str(out, c.encode_utf8(&mut buf));
                }
            }
            Err(lone) => {
                if pending_underscore {
                    out.push(b'_');
                    pending_underscore = false;
                }
                push_unit(out, lone.unpaired_surrogate());
            }
        }
    }
    if pending_underscore {
        out.push(b'_');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut out = Vec::new();
        encode_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn decodes_pairs_controls_and_escaped_underscore() {
        assert_eq!(decode("a_x000D__x000A_b"), Decoded::Str("a\r\nb".into()));
        assert_eq!(decode("_xD83D__xDE00_"), Decoded::Str("\u{1F600}".into()));
        assert_eq!(decode("_x005F_x0041_"), Decoded::Str("_x0041_".into()));
        assert_eq!(decode("_x00e9_"), Decoded::Str("\u{e9}".into()));
        assert_eq!(decode("x_xD800_y"), Decoded::Wide(vec![0x78, 0xD800, 0x79]));
        assert_eq!(decode_lossy("x_xD800_"), "x\u{FFFD}");
    }

    #[test]
    fn leaves_non_escapes_alone() {
        for s in [
            "_x", "_x12", "_x123_", "_xGGGG_", "a_b", "_X0041_", "_x0041",
        ] {
            assert_eq!(decode(s), Decoded::Str(s.into()), "{s}");
        }
    }

    #[test]
    fn encodes_like_psrpcore() {
        assert_eq!(enc("plain text"), "plain text");
        assert_eq!(enc("a\r\n\tb"), "a_x000D__x000A__x0009_b");
        assert_eq!(enc("_x0041_ _X"), "_x005F_x0041_ _x005F_X");
        assert_eq!(enc("a_b_"), "a_b_");
        assert_eq!(enc("<]]>&\""), "&lt;]]&gt;&amp;\"");
        let mut attr = Vec::new();
        encode_attr(&mut attr, "a\"b\tc");
        assert_eq!(attr, b"a&quot;b_x0009_c");
        assert_eq!(enc("\u{85}\u{e9}\u{1F600}"), "_x0085_\u{e9}_xD83D__xDE00_");
    }

    #[test]
    fn encodes_lone_surrogates() {
        let mut out = Vec::new();
        encode_wide(&mut out, &[0x5F, 0x78, 0xD800, 0x41, 0x5F]);
        assert_eq!(out, b"_x005F_x_xD800_A_");
    }
}
