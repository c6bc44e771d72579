//! Whether the client has a host that can answer prompts. PowerShell's server makes no host
//! call for a client whose HostInfo says "no host" ([MS-PSRP] 2.2.3.14): a prompt then fails at
//! once with a HostException. The HostInfo travels in INIT_RUNSPACEPOOL and CREATE_PIPELINE,
//! which this module reads from the same bytes the runspace pool receives.

use crate::psrp::messages::HostInfo;
use crate::psrp::{Defragmenter, PsrpMessage, RawMessage};

/// The HostInfo of the first INIT_RUNSPACEPOOL or CREATE_PIPELINE in `data` (PSRP fragments).
pub(super) fn find(data: &[u8]) -> Option<HostInfo> {
    let blobs = Defragmenter::new().feed(data).ok()?;
    blobs.iter().find_map(|blob| {
        let raw = RawMessage::decode(blob).ok()?;
        match PsrpMessage::decode(&raw).ok()? {
            PsrpMessage::InitRunspacePool(init) => Some(init.host_info),
            PsrpMessage::CreatePipeline(create) => Some(create.host_info),
            _ => None,
        }
    })
}

/// Whether a pipeline with `pipeline` host info, in a pool with `pool` host info, can prompt.
pub fn can_prompt(pool: Option<&HostInfo>, pipeline: Option<&HostInfo>) -> bool {
    let usable = |h: &HostInfo| !h.is_host_null && !h.is_host_ui_null;
    match pipeline {
        Some(p) if p.use_runspace_host => pool.is_none_or(usable),
        Some(p) => usable(p),
        None => pool.is_none_or(usable),
    }
}
