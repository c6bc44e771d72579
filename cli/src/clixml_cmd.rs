//! `mx clixml`: CLIXML in, JSON out.

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

/// The JSON text of the input: an array for an `<Objs>` document, the value itself for a
/// single element.
fn convert(args: &ClixmlArgs) -> Result<String, CliError> {
    let bytes = read_input(args)?;
    Ok(to_json_text(&bytes)?)
}

fn to_json_text(bytes: &[u8]) -> Result<String, clixml::ClixmlError> {
    let value = if is_objs_document(bytes) {
        Value::Array(
            clixml::objects_from_slice(bytes)?
                .iter()
                .map(to_json)
                .collect(),
        )
    } else {
        to_json(&clixml::from_slice(bytes)?)
    };
    Ok(serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string()))
}

/// Whether the document's root element is `<Objs>` (Export-Clixml) rather than one value.
fn is_objs_document(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes.get(..4096.min(bytes.len())).unwrap_or(bytes));
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r);
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
}
