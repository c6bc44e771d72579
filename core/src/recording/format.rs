//! The YAML file format of recorded conversations, the one pypsrp's test recordings use
//! (`shared/fixtures/windows-captures`):
//!
//! ```yaml
//! messages:
//! - request: <s:Envelope ...>...</s:Envelope>
//!   response: <s:Envelope ...>...</s:Envelope>
//! ```
//!
//! Only the subset those files use is read, line by line, and anything else is a typed error
//! naming the line:
//! - a top-level key ending in `:` (`messages:`, `messages-py26:`) starts a list;
//! - `- request: <xml>` starts an exchange; `  response: <xml>` adds the answer;
//! - a plain scalar may continue on lines indented by four spaces, which YAML folds into the
//!   value with one space;
//! - a value may instead be one double-quoted scalar (what [`write()`] emits when a plain one
//!   would not survive a YAML parser: `: `, ` #`, line breaks);
//! - `  transport_error:` / `  http_error:` / `  timeout:` carry a nested `key: value` block
//!   (or an inline value) instead of, or beside, the response;
//! - `#` lines are comments.

use super::RecordingError;

/// At most this many bytes of recording text are read.
pub const MAX_RECORDING_BYTES: usize = 256 * 1024 * 1024;

/// One request and its response, or a request that failed at the transport.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    /// The line of `- request:` in the file (0 for an exchange not read from a file).
    pub line: usize,
    /// The SOAP envelope the client sent.
    pub request: Option<String>,
    /// The SOAP envelope the server answered.
    pub response: Option<String>,
    /// A transport-level outcome, e.g. `transport_error: protocol=http code=500`.
    pub error: Option<String>,
}

impl Exchange {
    /// A request and its response.
    pub fn new(request: impl Into<String>, response: impl Into<String>) -> Self {
        Exchange {
            line: 0,
            request: Some(request.into()),
            response: Some(response.into()),
            error: None,
        }
    }

    /// The HTTP status the transport error names (`code=500`), if any.
    pub fn http_status(&self) -> Option<u16> {
        let error = self.error.as_deref()?;
        error
            .split_whitespace()
            .find_map(|part| part.strip_prefix("code="))
            .and_then(|code| code.parse().ok())
    }
}

/// One list of exchanges (`messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The list's key, e.g. `messages`.
    pub list: String,
    /// The exchanges in order.
    pub exchanges: Vec<Exchange>,
}

impl Recording {
    /// An empty `messages` list.
    pub fn new() -> Self {
        Recording {
            list: "messages".into(),
            exchanges: Vec::new(),
        }
    }
}

impl Default for Recording {
    fn default() -> Self {
        Recording::new()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Request,
    Response,
    Error,
}

/// Reads a recording file's text: every list in it, in order.
pub fn parse(text: &str) -> Result<Vec<Recording>, RecordingError> {
    if text.len() > MAX_RECORDING_BYTES {
        return Err(RecordingError::TooLarge {
            limit: MAX_RECORDING_BYTES,
        });
    }
    let mut lists: Vec<Recording> = Vec::new();
    let mut field: Option<Field> = None;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let bad = |what: &'static str| RecordingError::Format {
            line: line_no,
            what,
        };
        if line.trim().is_empty() || line.starts_with('#') {
            field = None;
            continue;
        }
        if !line.starts_with(' ') && !line.starts_with('-') {
            let list = line
                .trim_end()
                .strip_suffix(':')
                .ok_or(bad("expected a list key such as `messages:`"))?;
            lists.push(Recording {
                list: list.to_owned(),
                exchanges: Vec::new(),
            });
            field = None;
            continue;
        }
        let list = lists.last_mut().ok_or(bad("an entry before any list"))?;
        if let Some(value) = line.strip_prefix("- request: ") {
            list.exchanges.push(Exchange {
                line: line_no,
                request: Some(scalar(value).map_err(|what| RecordingError::Format {
                    line: line_no,
                    what,
                })?),
                ..Exchange::default()
            });
            field = Some(Field::Request);
            continue;
        }
        let exchange = list
            .exchanges
            .last_mut()
            .ok_or(bad("a field before any `- request:`"))?;
        if let Some(value) = line.strip_prefix("  response: ") {
            exchange.response = Some(scalar(value).map_err(|what| RecordingError::Format {
                line: line_no,
                what,
            })?);
            field = Some(Field::Response);
        } else if let Some(rest) = line.strip_prefix("    ") {
            let rest = rest.trim();
            let target = match field {
                Some(Field::Request) => exchange.request.as_mut(),
                Some(Field::Response) => exchange.response.as_mut(),
                Some(Field::Error) => exchange.error.as_mut(),
                None => None,
            }
            .ok_or(bad("a continuation line without a value"))?;
            if field == Some(Field::Error) {
                let (key, value) = rest.split_once(':').ok_or(bad("expected `key: value`"))?;
                target.push_str(&format!(" {}={}", key.trim(), value.trim()));
            } else {
                target.push(' ');
                target.push_str(rest);
            }
        } else if let Some(rest) = line.strip_prefix("  ") {
            let (key, value) = rest.split_once(':').ok_or(bad("expected `key:`"))?;
            match key {
                "transport_error" | "http_error" | "timeout" => {
                    let value = value.trim();
                    exchange.error = Some(if value.is_empty() {
                        format!("{key}:")
                    } else {
                        format!("{key}: {value}")
                    });
                    field = Some(Field::Error);
                }
                _ => return Err(bad("an unknown key")),
            }
        } else {
            return Err(bad("an unexpected line"));
        }
    }
    Ok(lists)
}

/// A value as written after `request: `: plain, or one double-quoted scalar.
fn scalar(value: &str) -> Result<String, &'static str> {
    let value = value.trim_end();
    let Some(quoted) = value.strip_prefix('"') else {
        return Ok(value.to_owned());
    };
    let body = quoted
        .strip_suffix('"')
        .ok_or("a double-quoted value must end on its line")?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('/') => out.push('/'),
            Some('0') => out.push('\0'),
            Some(kind @ ('x' | 'u' | 'U')) => {
                let digits = match kind {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(digits).collect();
                let code = u32::from_str_radix(&hex, 16).map_err(|_| "a bad escape")?;
                out.push(char::from_u32(code).ok_or("an escape that is not a character")?);
            }
            _ => return Err("an unknown escape"),
        }
    }
    Ok(out)
}

/// Whether `value` can be written as a plain scalar that YAML reads back unchanged.
fn plain_is_safe(value: &str) -> bool {
    let first = value.chars().next();
    !value.is_empty()
        && first.is_some_and(|c| !"-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with(':')
        && value.trim() == value
        && !value.chars().any(|c| c.is_control() || c == '\u{feff}')
}

fn quote(value: &str, out: &mut String) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn value(value: &str, out: &mut String) {
    if plain_is_safe(value) {
        out.push_str(value);
    } else {
        quote(value, out);
    }
}

/// Writes the header of a recording file: a comment and the list key. Exchanges follow,
/// each from [`write_exchange`].
pub fn write_start(comment: &str, out: &mut String) {
    for line in comment.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("messages:\n");
}

/// Writes one exchange: one line per value, so the file can be appended to as the
/// conversation goes.
pub fn write_exchange(exchange: &Exchange, out: &mut String) {
    out.push_str("- request: ");
    value(exchange.request.as_deref().unwrap_or_default(), out);
    out.push('\n');
    if let Some(response) = &exchange.response {
        out.push_str("  response: ");
        value(response, out);
        out.push('\n');
    }
    if let Some(error) = &exchange.error {
        let (key, rest) = error.split_once(':').unwrap_or((error, ""));
        out.push_str("  ");
        out.push_str(key);
        out.push_str(":\n");
        for pair in rest.split_whitespace() {
            if let Some((k, v)) = pair.split_once('=') {
                out.push_str(&format!("    {k}: {v}\n"));
            }
        }
    }
}

/// A whole recording file.
pub fn write(recording: &Recording, comment: &str) -> String {
    let mut out = String::new();
    write_start(comment, &mut out);
    for exchange in &recording.exchanges {
        write_exchange(exchange, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_read_back() {
        let mut recording = Recording::new();
        recording.exchanges.push(Exchange::new(
            "<s:Envelope><a>x</a></s:Envelope>",
            "<s:Envelope>Reason: it broke # here\n\"q\" \\ \u{1}</s:Envelope>",
        ));
        recording.exchanges.push(Exchange {
            error: Some("transport_error: protocol=http code=500".into()),
            ..Exchange::new("<r/>", "<f/>")
        });
        let text = write(&recording, "made by a test");
        let back = parse(&text).expect("parse");
        assert_eq!(back.len(), 1);
        let mut got = back[0].exchanges.clone();
        for e in &mut got {
            e.line = 0;
        }
        assert_eq!(got, recording.exchanges);
        assert_eq!(got[1].http_status(), Some(500));
    }

    #[test]
    fn folded_plain_scalars_join_with_a_space() {
        let text = "messages:\n- request: <a>\n    b</a>\n  response: <c/>\n";
        let lists = parse(text).expect("parse");
        assert_eq!(lists[0].exchanges[0].request.as_deref(), Some("<a> b</a>"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line) in [
            ("- request: <a/>\n", 1),
            ("messages:\n  response: <a/>\n", 2),
            ("messages:\n- request: <a/>\n  colour: red\n", 3),
            ("messages:\n- request: \"<a/>\n", 2),
            ("messages:\n- request: \"\\q\"\n", 2),
        ] {
            match parse(text) {
                Err(RecordingError::Format { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
