//! The one rule for showing a peer's own words in an error: a server, a proxy or whoever
//! answered instead decides how long its fault reasons, error records and HTTP bodies are, so
//! error messages carry at most [`MAX_CHARS`] characters of each, with the length cut off.
//! The errors keep the full text in their fields (bounded by the response size limit).

use std::borrow::Cow;

/// The most characters of one server text an error message shows.
pub const MAX_CHARS: usize = 1024;

/// `text` cut to [`MAX_CHARS`] characters, saying how many were left out.
pub fn clip(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_CHARS) {
        None => Cow::Borrowed(text),
        Some((end, _)) => {
            let rest = text[end..].chars().count();
            Cow::Owned(format!(
                "{}... ({rest} more characters)",
                text.get(..end).unwrap_or_default()
            ))
        }
    }
}

/// [`clip`] of bytes read as UTF-8, invalid sequences replaced.
pub fn clip_bytes(bytes: &[u8]) -> String {
    clip(&String::from_utf8_lossy(bytes)).into_owned()
}

/// The text of a body that must not reach an XML parser (an answer that is not trusted):
/// everything between `<` and `>` is left out and runs of whitespace become one space, so
/// that a fault's reason and message stay readable.
pub fn without_markup(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            '>' => in_tag = false,
            _ if in_tag => {}
            c if c.is_whitespace() => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_pass_and_long_ones_are_cut_on_a_character() {
        assert_eq!(clip("Access is denied. "), "Access is denied. ");
        let exact = "é".repeat(MAX_CHARS);
        assert_eq!(clip(&exact), exact);
        let long = format!("{}{}", "é".repeat(MAX_CHARS), "x".repeat(5000));
        let cut = clip(&long);
        assert!(cut.starts_with(&"é".repeat(MAX_CHARS)));
        assert!(cut.ends_with("... (5000 more characters)"), "{cut}");
        assert!(cut.chars().count() < MAX_CHARS + 40);
        assert_eq!(clip_bytes(b"\xffok"), "\u{fffd}ok");
    }

    #[test]
    fn markup_is_left_out() {
        assert_eq!(
            without_markup(b"<s:Envelope a=\"x>\"><s:Text>Access is\n  denied.</s:Text><f:Message>Try later</f:Message></s:Envelope>"),
            "\" Access is denied. Try later"
        );
        assert_eq!(without_markup(b"plain  text"), "plain text");
    }
}
