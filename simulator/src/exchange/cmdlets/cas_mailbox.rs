//! Get-, Set-CASMailbox.

use super::mailbox::IS_MAILBOX;
use super::{CmdletDef, Ctx, GET_COMMON, Impact, Stop, WRITE_COMMON, params_of};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0, req0};

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Get-CASMailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetCASMailbox",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("Filter", T::String),
                    opt("OrganizationalUnit", T::String),
                    opt("ProtocolSettings", T::Switch),
                    opt("ActiveSyncDebugLogging", T::Switch),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                ],
                &GET_COMMON,
            ]),
            run: get_cas,
        },
        CmdletDef {
            name: "Set-CASMailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.SetCASMailbox",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("ActiveSyncEnabled", T::Bool),
                    opt("OWAEnabled", T::Bool),
                    opt("OWAforDevicesEnabled", T::Bool),
                    opt("EwsEnabled", T::Bool),
                    opt("ECPEnabled", T::Bool),
                    opt("PopEnabled", T::Bool),
                    opt("ImapEnabled", T::Bool),
                    opt("MAPIEnabled", T::Bool),
                    opt("MapiHttpEnabled", T::Bool),
                    opt("ActiveSyncMailboxPolicy", T::String),
                    opt("OwaMailboxPolicy", T::String),
                    opt("ActiveSyncAllowedDeviceIDs", T::MultiValued),
                    opt("ActiveSyncBlockedDeviceIDs", T::MultiValued),
                    opt("EwsAllowList", T::MultiValued),
                    opt("EwsBlockList", T::MultiValued),
                    opt("EmailAddresses", T::MultiValued),
                    opt("PrimarySmtpAddress", T::String),
                    opt("DisplayName", T::String),
                    opt("Name", T::String),
                    opt("SamAccountName", T::String),
                ],
                &WRITE_COMMON,
            ]),
            run: set_cas,
        },
    ]
}

fn get_cas(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let guids = ctx.select(b, IS_MAILBOX)?;
    let guids = ctx.result_size(b, guids);
    let settings = b.switch("ProtocolSettings");
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().cas_mailbox(r, settings));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

fn set_cas(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_MAILBOX)?;
    let old = ctx.get(guid)?.clone();
    let mut new = old.clone();
    ctx.apply_mail_params(b, &mut new)?;
    if let Some(c) = new.mailbox.as_mut().map(|m| &mut m.cas) {
        for (param, field) in [
            ("ActiveSyncEnabled", &mut c.active_sync_enabled),
            ("OWAEnabled", &mut c.owa_enabled),
            ("OWAforDevicesEnabled", &mut c.owa_for_devices_enabled),
            ("ECPEnabled", &mut c.ecp_enabled),
            ("PopEnabled", &mut c.pop_enabled),
            ("ImapEnabled", &mut c.imap_enabled),
            ("MAPIEnabled", &mut c.mapi_enabled),
        ] {
            if let Some(v) = b.bool(param) {
                *field = v;
            }
        }
        if let Some(v) = b.bool("MapiHttpEnabled") {
            c.mapi_http_enabled = Some(v);
        }
        if let Some(v) = b.bool("EwsEnabled") {
            c.ews_enabled = Some(v);
        }
        if let Some(p) = b.str("ActiveSyncMailboxPolicy") {
            c.active_sync_mailbox_policy = (!p.is_empty()).then(|| p.to_owned());
        }
        if let Some(p) = b.str("OwaMailboxPolicy") {
            c.owa_mailbox_policy = (!p.is_empty()).then(|| p.to_owned());
        }
        for (param, list) in [
            (
                "ActiveSyncAllowedDeviceIDs",
                &mut c.active_sync_allowed_device_ids,
            ),
            (
                "ActiveSyncBlockedDeviceIDs",
                &mut c.active_sync_blocked_device_ids,
            ),
            ("EwsAllowList", &mut c.ews_allow_list),
            ("EwsBlockList", &mut c.ews_block_list),
        ] {
            if let Some(mv) = b.multi(param) {
                mv.apply(list);
            }
        }
    }
    if new == old {
        ctx.warn_unchanged(guid);
        return Ok(());
    }
    if !ctx.should_process(format!("Setting CAS mailbox \"{id}\"."))? {
        return Ok(());
    }
    ctx.commit(guid, new)
}
