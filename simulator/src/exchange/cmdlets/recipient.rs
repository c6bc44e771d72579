//! Get-Recipient, Update-Recipient.

use super::{Accept, CmdletDef, Ctx, GET_COMMON, Impact, Stop, params_of};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0, req0};

/// Get-Recipient returns mail-enabled recipients unless `-RecipientType User` asks for plain users.
const MAIL_ENABLED: Accept = |r| r.kind.is_mail_enabled();
const ANY: Accept = |_| true;

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Get-Recipient",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetRecipient",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("Filter", T::String),
                    opt("RecipientType", T::StringArray),
                    opt("RecipientTypeDetails", T::StringArray),
                    opt("OrganizationalUnit", T::String),
                    opt("Database", T::String),
                    opt("Properties", T::StringArray),
                    opt("RecipientPreviewFilter", T::String),
                    opt("IncludeSoftDeletedRecipients", T::Switch),
                    opt("BookmarkDisplayName", T::String),
                    opt("IncludeBookmarkObject", T::Bool),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                ],
                &GET_COMMON,
            ]),
            run: get_recipient,
        },
        CmdletDef {
            name: "Update-Recipient",
            class: "Microsoft.Exchange.Management.RecipientTasks.UpdateRecipient",
            impact: Impact::Medium,
            params: params_of(&[&[
                req0("Identity", T::String),
                opt("Credential", T::Object),
                opt("DomainController", T::String),
            ]]),
            run: update_recipient,
        },
    ]
}

fn get_recipient(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let explicit_types = b.has("RecipientType") || b.has("RecipientTypeDetails");
    let accept = if explicit_types { ANY } else { MAIL_ENABLED };
    let mut guids = ctx.select(b, accept)?;
    if let Some(db) = b.str("Database") {
        let want: Vec<_> = ctx
            .dir
            .resolve_database(db)
            .iter()
            .map(|d| d.guid)
            .collect();
        if want.is_empty() {
            return Err(ctx.task.database_not_found(db).into());
        }
        guids.retain(|g| {
            ctx.dir
                .get(*g)
                .and_then(|r| r.mailbox.as_ref())
                .is_some_and(|m| want.contains(&m.database))
        });
    }
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().reduced(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

/// Re-applies the email address policy: a mail-enabled recipient under the policy gets its
/// policy address back if it lost it. Writes nothing.
fn update_recipient(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, |r| r.kind.is_mail_enabled())?;
    if !ctx.should_process(format!("Updating recipient \"{id}\"."))? {
        return Ok(());
    }
    let mut new = ctx.get(guid)?.clone();
    if let Some(m) = new.mail.as_mut()
        && m.email_address_policy_enabled
    {
        let addr = ctx.dir.policy_address(&m.alias, Some(guid));
        let has = m
            .email_addresses
            .iter()
            .any(|a| a.get(5..).is_some_and(|x| x.eq_ignore_ascii_case(&addr)));
        if !has {
            super::set_primary(m, &addr);
        }
    }
    ctx.commit(guid, new)
}
