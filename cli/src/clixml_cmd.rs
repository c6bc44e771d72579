//! `mx clixml`: CLIXML in, JSON out.
//!
//! Input: one CLIXML value, an `Export-Clixml` file (`<Objs>`), or what
//! `powershell.exe -OutputFormat xml` writes (`#< CLIXML` lines and `<Objs>` documents whose
//! values name their stream); UTF-8 with or without a byte-order mark, or UTF-16 (Windows
//! PowerShell 5.1's `Export-Clixml` default) with one.

use std::io::Read as _;

use monosync_exchange::clixml::{self, to_json};
use serde_json::Value;

use crate::args::ClixmlArgs;
use crate::console::{errln, outln};
use crate::error::{CliError, EXIT_OK};

/// Largest input read; Export-Clixml files of whole organisations stay well below.
const MAX_INPUT: u64 = 512 * 1024 * 1024;

/// Runs `mx clixml` and returns the exit code.
pub(crate) fn main(args: &ClixmlArgs) -> u8 {
    match convert(args) {
        Ok(json) => match outln!("{json}") {
            Ok(()) => EXIT_OK,
            Err(closed) => {
                let e = CliError::Output(closed);
                if !e.is_quiet() {
                    errln!("mx clixml: {e}");
                }
                e.exit_code()
            }
        },
        Err(e) => {
            errln!("mx clixml: {e}");
            e.exit_code()
        }
    }
}

fn read_input(args: &ClixmlArgs) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    match args.file.as_deref() {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::open(path).map_err(|source| CliError::Read {
                path: path.display().to_string(),
                source,
            })?;
            file.take(MAX_INPUT + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| CliError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
        }
        _ => {
            std::io::stdin()
                .take(MAX_INPUT + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| CliError::Read {
                    path: "standard input".into(),
                    source,
                })?;
        }
    }
    if bytes.len() as u64 > MAX_INPUT {
        return Err(CliError::Usage(format!(
            "input larger than {MAX_INPUT} bytes"
        )));
    }
    Ok(bytes)
}

/// The JSON text of the input: an array for `<Objs>` documents (a value tagged with a stream,
/// `<S S="Error">`, becomes `{"$stream": "error", "$value": ...}`), the value itself for a
/// single element.
fn convert(args: &ClixmlArgs) -> Result<String, CliError> {
    let bytes = read_input(args)?;
    Ok(to_json_text(&bytes)?)
}

fn to_json_text(bytes: &[u8]) -> Result<String, clixml::ClixmlError> {
    let value = if is_objs_document(bytes) {
        Value::Array(
            clixml::streams_from_slice(bytes)?
                .iter()
                .map(stream_json)
                .collect(),
        )
    } else {
        to_json(&clixml::from_slice(bytes)?)
    };
    Ok(serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string()))
}

/// A value with the stream PowerShell tagged it with, if any.
fn stream_json(item: &clixml::StreamValue) -> Value {
    let value = to_json(&item.value);
    match &item.stream {
        None => value,
        Some(stream) => {
            let mut map = serde_json::Map::new();
            map.insert("$stream".into(), Value::String(stream.to_lowercase()));
            map.insert("$value".into(), value);
            Value::Object(map)
        }
    }
}

/// The ASCII characters at the start of the input, whatever its encoding: UTF-16 (with a
/// byte-order mark, or starting with `<`) is read one code unit per character.
fn ascii_prefix(bytes: &[u8]) -> String {
    let head = bytes.get(..8192).unwrap_or(bytes);
    let (units, step, skip): (&[u8], usize, usize) = match head {
        [0xFF, 0xFE, rest @ ..] => (rest, 2, 0),
        [0xFE, 0xFF, rest @ ..] => (rest, 2, 1),
        [b'<', 0, ..] => (head, 2, 0),
        [0, b'<', ..] => (head, 2, 1),
        [0xEF, 0xBB, 0xBF, rest @ ..] => (rest, 1, 0),
        _ => (head, 1, 0),
    };
    units
        .iter()
        .skip(skip)
        .step_by(step)
        .map(|b| if b.is_ascii() { char::from(*b) } else { '?' })
        .collect()
}

/// Whether the document's root element is `<Objs>` (Export-Clixml, or the stream that
/// `-OutputFormat xml` writes after its `#< CLIXML` line) rather than one value.
fn is_objs_document(bytes: &[u8]) -> bool {
    let text = ascii_prefix(bytes);
    let mut rest = text.as_str();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r);
        } else if rest.starts_with("#< CLIXML") {
            return true;
        } else {
            return rest.starts_with("<Objs");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objs_documents_and_single_values() {
        let doc = "\u{feff}<?xml version=\"1.0\"?><Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S>a</S><I32>5</I32></Objs>";
        assert!(is_objs_document(doc.as_bytes()));
        let json: Value =
            serde_json::from_str(&to_json_text(doc.as_bytes()).expect("ok")).expect("json");
        assert_eq!(json, serde_json::json!(["a", 5]));
        let one = "<B>true</B>";
        assert!(!is_objs_document(one.as_bytes()));
        assert_eq!(to_json_text(one.as_bytes()).expect("ok"), "true");
        assert!(to_json_text(b"<Obj").is_err());
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let bytes = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            out.extend_from_slice(&bytes);
        }
        out
    }

    #[test]
    fn utf16_export_clixml_files() {
        // What Windows PowerShell 5.1's Export-Clixml writes: UTF-16LE with a byte-order mark.
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Objs Version=\"1.1.0.1\" \
                   xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n  \
                   <S>Grüße \u{1F600}</S>\r\n  <I32>5</I32>\r\n</Objs>";
        for big_endian in [false, true] {
            let bytes = utf16(doc, big_endian);
            assert!(is_objs_document(&bytes));
            let json: Value =
                serde_json::from_str(&to_json_text(&bytes).expect("ok")).expect("json");
            assert_eq!(json, serde_json::json!(["Grüße \u{1F600}", 5]));
        }
        let one = utf16("<B>true</B>", false);
        assert!(!is_objs_document(&one));
        assert_eq!(to_json_text(&one).expect("ok"), "true");
        // An unpaired surrogate in the file itself is refused with a clear error.
        let mut broken = utf16("<S>a</S>", false);
        broken.splice(8..8, [0x00, 0xD8]);
        let err = to_json_text(&broken).expect_err("lone surrogate");
        assert!(err.to_string().contains("UTF-16"), "{err}");
    }

    #[test]
    fn output_format_xml_streams() {
        // powershell.exe -OutputFormat xml: a header line, then documents that each number
        // their objects from 0, values tagged with their stream.
        let stream = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" \
             xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj S=\"progress\" RefId=\"0\">\
             <TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN>\
             <MS><I64 N=\"SourceId\">1</I64><PR N=\"Record\"><AV>Preparing modules for first use.</AV>\
             <AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS>\
             </Obj><S S=\"Error\">boom_x000D__x000A_</S></Objs>\r\n\
             <Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\
             <Obj RefId=\"0\"><MS><S N=\"a\">b</S></MS></Obj></Objs>";
        assert!(is_objs_document(stream.as_bytes()));
        let json: Value =
            serde_json::from_str(&to_json_text(stream.as_bytes()).expect("ok")).expect("json");
        assert_eq!(
            json,
            serde_json::json!([
                {
                    "$stream": "progress",
                    "$value": {
                        "SourceId": 1,
                        "$type": ["System.Management.Automation.PSCustomObject", "System.Object"],
                        "Record": {
                            "Activity": "Preparing modules for first use.",
                            "ActivityId": 0,
                            "StatusDescription": " ",
                            "CurrentOperation": null,
                            "ParentActivityId": -1,
                            "PercentComplete": -1,
                            "SecondsRemaining": -1,
                            "RecordType": "Completed",
                            "$type": ["System.Management.Automation.ProgressRecord"],
                        },
                    },
                },
                {"$stream": "error", "$value": "boom\r\n"},
                {"a": "b"},
            ])
        );
    }
}
