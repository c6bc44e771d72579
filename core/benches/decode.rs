//! CLIXML decoding throughput on a Get-Mailbox-like output stream: 10,000 mailbox objects, each
//! its own message body (as PSRP PIPELINE_OUTPUT carries them), built from the real Exchange 2016
//! object in `shared/fixtures/exchange` with names and GUIDs varied per object. Prints MB/s and
//! objects/s for `clixml::from_slice`, and the raw quick-xml tokenization rate of the same bytes
//! as the ceiling.

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use std::hint::black_box;
use std::time::{Duration, Instant};

use monosync_exchange::clixml::{PsValue, from_slice};

const OBJECTS: usize = 10_000;
const PASSES: usize = 5;

fn template() -> String {
    let name = "get-mailbox_ex2016-cu23_pipeline-output_3gstudent.xml";
    let path = fixtures::fixtures_dir().join("exchange").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The fixture opens with a provenance comment; a message body starts at the object.
    let start = text.find("-->").map_or(0, |end| end + 3);
    text[start..].trim().to_owned()
}

fn messages() -> Vec<Vec<u8>> {
    let template = template();
    (0..OBJECTS)
        .map(|i| {
            let mut body = b"\xEF\xBB\xBF".to_vec();
            let text = template
                .replace("Administrator", &format!("User{i:05}"))
                .replace(
                    "9b9387fe-e1b1-4695-97bd-b0a0bebe7ce2",
                    &format!("9b9387fe-e1b1-4695-97bd-{i:012x}"),
                )
                .replace(
                    "c07d2fbc-48f5-4a90-b7d7-5ec79d2844b4",
                    &format!("c07d2fbc-48f5-4a90-b7d7-{i:012x}"),
                );
            body.extend_from_slice(text.as_bytes());
            body
        })
        .collect()
}

/// The fastest of several passes, so that a busy shared machine disturbs the figure less.
fn best(mut pass: impl FnMut()) -> Duration {
    (0..PASSES)
        .map(|_| {
            let start = Instant::now();
            pass();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn report(what: &str, bytes: usize, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    println!(
        "{what:<28} {:>8.1} MB/s {:>10.0} objects/s ({:.1} ms per {OBJECTS} objects)",
        bytes as f64 / secs / 1e6,
        OBJECTS as f64 / secs,
        secs * 1e3
    );
}

fn main() {
    let messages = messages();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    println!(
        "{OBJECTS} mailbox messages, {:.1} MB ({} bytes each on average)",
        bytes as f64 / 1e6,
        bytes / OBJECTS
    );
    let first = from_slice(&messages[1]).expect("the stream decodes");
    assert_eq!(
        first.property("Alias").and_then(PsValue::as_str),
        Some("User00001")
    );

    let decode = best(|| {
        for m in &messages {
            black_box(from_slice(black_box(m)).expect("the stream decodes"));
        }
    });
    report("clixml::from_slice", bytes, decode);

    let tokenize = best(|| {
        for m in &messages {
            let mut reader = quick_xml::Reader::from_reader(black_box(&m[3..]));
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(event) => {
                        black_box(event);
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
    });
    report("quick-xml events (ceiling)", bytes, tokenize);
}
