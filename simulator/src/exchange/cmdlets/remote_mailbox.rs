//! Enable-, Set-, Get-, Disable-RemoteMailbox.

use uuid::Uuid;

use super::{
    Accept, CUSTOM_ATTRIBUTES, CmdletDef, Ctx, GET_COMMON, Impact, Stop, WRITE_COMMON, params_of,
    set_primary,
};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0, req0};
use crate::exchange::recipient::{AdClass, RecipientTypeDetails, RemoteData};

const IS_REMOTE: Accept = |r| r.kind.is_remote_mailbox();

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Enable-RemoteMailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.EnableRemoteMailbox",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("RemoteRoutingAddress", T::String),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("Shared", T::Switch),
                    opt("Room", T::Switch),
                    opt("Equipment", T::Switch),
                    opt("Archive", T::Switch),
                    opt("ArchiveName", T::MultiValued),
                    opt("ACLableSyncedObjectEnabled", T::Switch),
                ],
                &[opt("DomainController", T::String)],
            ]),
            run: enable_remote_mailbox,
        },
        CmdletDef {
            name: "Set-RemoteMailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.SetRemoteMailbox",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Name", T::String),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("EmailAddresses", T::MultiValued),
                    opt("EmailAddressPolicyEnabled", T::Bool),
                    opt("RemoteRoutingAddress", T::String),
                    opt("ExchangeGuid", T::Guid),
                    opt("ArchiveGuid", T::Guid),
                    opt("ArchiveName", T::MultiValued),
                    opt("Type", T::Enum(&["Regular", "Room", "Equipment", "Shared"])),
                    opt("HiddenFromAddressListsEnabled", T::Bool),
                    opt("ACLableSyncedObjectEnabled", T::Switch),
                    opt("UserPrincipalName", T::String),
                    opt("SamAccountName", T::String),
                    opt("ResetPasswordOnNextLogon", T::Bool),
                    opt("WindowsEmailAddress", T::String),
                ],
                &CUSTOM_ATTRIBUTES,
                &WRITE_COMMON,
            ]),
            run: set_remote_mailbox,
        },
        CmdletDef {
            name: "Get-RemoteMailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetRemoteMailbox",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("Filter", T::String),
                    opt("OnPremisesOrganizationalUnit", T::String),
                    opt("Archive", T::Switch),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                ],
                &GET_COMMON,
            ]),
            run: get_remote_mailbox,
        },
        CmdletDef {
            name: "Disable-RemoteMailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.DisableRemoteMailbox",
            impact: Impact::High,
            params: params_of(&[
                &[req0("Identity", T::String), opt("Archive", T::Switch)],
                &WRITE_COMMON,
            ]),
            run: disable_remote_mailbox,
        },
    ]
}

fn kind_of(b: &Bound) -> RecipientTypeDetails {
    if b.switch("Shared") {
        RecipientTypeDetails::RemoteSharedMailbox
    } else if b.switch("Room") {
        RecipientTypeDetails::RemoteRoomMailbox
    } else if b.switch("Equipment") {
        RecipientTypeDetails::RemoteEquipmentMailbox
    } else {
        RecipientTypeDetails::RemoteUserMailbox
    }
}

fn with_prefix(address: &str) -> String {
    if address.contains(':') {
        address.to_owned()
    } else {
        format!("SMTP:{address}")
    }
}

fn enable_remote_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    ctx.exclusive(b, &["Shared", "Room", "Equipment"])?;
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, |r| r.kind.ad_class() == AdClass::User)?;
    let r = ctx.get(guid)?.clone();
    let canonical = ctx.canonical(guid);
    if !r.kind.is_plain_user() {
        return Err(ctx
            .task
            .invalid_recipient_type(&canonical, r.kind.recipient_type())
            .into());
    }
    if !ctx.should_process(format!("Enabling remote mailbox \"{canonical}\"."))? {
        return Ok(());
    }
    let mut new = r.clone();
    let alias = b.str("Alias").map(str::to_owned).unwrap_or_else(|| {
        r.account
            .as_ref()
            .map(|a| a.sam_account_name.clone())
            .unwrap_or_else(|| super::alias_from(&r.name))
    });
    let routing = b
        .str("RemoteRoutingAddress")
        .map(with_prefix)
        .unwrap_or_else(|| format!("SMTP:{alias}@{}", ctx.dir.org().remote_routing_domain));
    let mut mail = crate::exchange::recipient::MailAttributes {
        alias,
        external_email_address: Some(routing.clone()),
        ..Default::default()
    };
    if let Some(p) = b.str("PrimarySmtpAddress") {
        set_primary(&mut mail, p);
        mail.email_address_policy_enabled = false;
    }
    let routing_proxy = format!(
        "smtp:{}",
        routing.split_once(':').map_or(routing.as_str(), |x| x.1)
    );
    mail.email_addresses.push(routing_proxy);
    new.mail = Some(mail);
    if let Some(d) = b.str("DisplayName") {
        new.display_name = d.to_owned();
    }
    new.kind = kind_of(b);
    new.remote = Some(RemoteData {
        remote_routing_address: routing,
        remote_recipient_type: "ProvisionMailbox".into(),
        exchange_guid: Uuid::nil(),
        archive_guid: b.switch("Archive").then(Uuid::new_v4),
    });
    ctx.commit(guid, new)?;
    let v = ctx.dir.get(guid).map(|r| ctx.r().remote_mailbox(r));
    if let Some(v) = v {
        ctx.write(v);
    }
    Ok(())
}

fn set_remote_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_REMOTE)?;
    let old = ctx.get(guid)?.clone();
    let mut new = old.clone();
    ctx.apply_mail_params(b, &mut new)?;
    if let Some(rd) = new.remote.as_mut() {
        if let Some(a) = b.str("RemoteRoutingAddress") {
            rd.remote_routing_address = with_prefix(a);
        }
        if let Some(g) = b.guid("ExchangeGuid") {
            rd.exchange_guid = g;
        }
        if let Some(g) = b.guid("ArchiveGuid") {
            rd.archive_guid = (!g.is_nil()).then_some(g);
        }
    }
    if let Some(a) = b.str("RemoteRoutingAddress")
        && let Some(m) = new.mail.as_mut()
    {
        m.external_email_address = Some(with_prefix(a));
    }
    if let Some(t) = b.str("Type") {
        new.kind = match t {
            "Room" => RecipientTypeDetails::RemoteRoomMailbox,
            "Equipment" => RecipientTypeDetails::RemoteEquipmentMailbox,
            "Shared" => RecipientTypeDetails::RemoteSharedMailbox,
            _ => RecipientTypeDetails::RemoteUserMailbox,
        };
    }
    if new == old {
        ctx.warn_unchanged(guid);
        return Ok(());
    }
    if !ctx.should_process(format!("Setting remote mailbox \"{id}\"."))? {
        return Ok(());
    }
    ctx.commit(guid, new)
}

fn get_remote_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let mut guids = ctx.select(b, IS_REMOTE)?;
    if b.switch("Archive") {
        guids.retain(|g| {
            ctx.dir
                .get(*g)
                .and_then(|r| r.remote.as_ref())
                .is_some_and(|rd| rd.archive_guid.is_some())
        });
    }
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().remote_mailbox(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

fn disable_remote_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_REMOTE)?;
    let r = ctx.get(guid)?.clone();
    if b.switch("Archive") {
        if !ctx.should_process(format!("Disabling the archive of remote mailbox \"{id}\"."))? {
            return Ok(());
        }
        let mut new = r;
        if let Some(rd) = new.remote.as_mut() {
            rd.archive_guid = None;
        }
        return ctx.commit(guid, new);
    }
    if !ctx.should_process(format!(
        "Disabling remote mailbox \"{id}\" will remove the Exchange properties from the Windows user object."
    ))? {
        return Ok(());
    }
    let mut new = r;
    new.remote = None;
    new.mail = None;
    new.kind = new.plain_user_kind();
    ctx.commit(guid, new)
}
