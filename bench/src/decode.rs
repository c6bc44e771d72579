//! Item 1: decoding a Get-Mailbox output stream. The objects come from mx-sim's generator and
//! renderer, one CLIXML document per object as PSRP PIPELINE_OUTPUT messages carry them.

use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use monosync_exchange::clixml::{self, PsValue};
use mx_sim::exchange::render::Renderer;
use mx_sim::exchange::{generate, seed};

use crate::BenchError;
use crate::measure::cpu_seconds;

/// The generator's seed, the one mx-sim's `--generate` uses.
const SEED: u64 = 2016;

/// `objects` rendered mailboxes, each its own CLIXML document.
pub fn messages(objects: usize) -> Result<Vec<Vec<u8>>, BenchError> {
    // About 65% of generated recipients are mailboxes; ask for enough.
    let recipients = objects.saturating_mul(2).max(64);
    let (dir, _) = seed::build(generate::generate_seed(recipients, SEED))
        .map_err(|e| BenchError::Unexpected(e.to_string()))?;
    let renderer = Renderer::new(&dir);
    let messages = dir
        .iter()
        .filter(|r| r.kind.is_mailbox())
        .take(objects)
        .map(|r| clixml::to_vec(&renderer.mailbox(r)))
        .collect();
    Ok(messages)
}

/// Writes the messages as (u32 little-endian length, bytes) records for the other clients.
pub fn write(messages: &[Vec<u8>], path: &Path) -> Result<(), BenchError> {
    let io = |e| BenchError::Io(path.display().to_string(), e);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    for m in messages {
        let len = u32::try_from(m.len()).map_err(|_| BenchError::TooLarge(m.len()))?;
        file.write_all(&len.to_le_bytes()).map_err(io)?;
        file.write_all(m).map_err(io)?;
    }
    file.flush().map_err(io)
}

/// The best of `passes` runs of `pass`, as (wall, CPU) seconds: a busy shared machine
/// disturbs the fastest pass least.
fn best(
    passes: usize,
    mut pass: impl FnMut() -> Result<(), BenchError>,
) -> Result<(f64, f64), BenchError> {
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..passes.max(1) {
        let cpu = cpu_seconds();
        let started = Instant::now();
        pass()?;
        let wall = started.elapsed().as_secs_f64();
        if wall < best.0 {
            best = (wall, cpu_seconds() - cpu);
        }
    }
    Ok(best)
}

/// Decodes the stream with `clixml::from_slice` and tokenizes it with quick-xml.
pub fn run(
    objects: usize,
    passes: usize,
    write_to: Option<&Path>,
) -> Result<serde_json::Value, BenchError> {
    let messages = messages(objects)?;
    if let Some(path) = write_to {
        write(&messages, path)?;
    }
    let bytes: usize = messages.iter().map(Vec::len).sum();
    // A wrong decoder would be fast for nothing: check a value first.
    let first = messages
        .first()
        .map(|m| clixml::from_slice(m))
        .transpose()?
        .ok_or(BenchError::Empty)?;
    if first
        .property("RecipientTypeDetails")
        .and_then(PsValue::as_str)
        != Some("UserMailbox")
    {
        return Err(BenchError::Unexpected(
            "the first object is no UserMailbox".into(),
        ));
    }

    let (ours, ours_cpu) = best(passes, || {
        for m in &messages {
            black_box(clixml::from_slice(black_box(m))?);
        }
        Ok(())
    })?;
    let (ceiling, ceiling_cpu) = best(passes, || {
        for m in &messages {
            let mut reader = quick_xml::Reader::from_reader(black_box(m.as_slice()));
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(event) => {
                        black_box(event);
                    }
                    Err(e) => return Err(BenchError::Unexpected(e.to_string())),
                }
            }
        }
        Ok(())
    })?;
    Ok(serde_json::json!({
        "bench": "decode",
        "objects": messages.len(),
        "bytes": bytes,
        "ours_wall_s": ours,
        "ours_cpu_s": ours_cpu,
        "quickxml_wall_s": ceiling,
        "quickxml_cpu_s": ceiling_cpu,
    }))
}
