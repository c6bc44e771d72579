//! Add-, Remove-, Get-MailboxPermission.

use super::mailbox::IS_MAILBOX;
use super::{CmdletDef, Ctx, GET_COMMON, Impact, Stop, WRITE_COMMON, params_of};
use crate::exchange::params::{Bound, ParamType as T, opt, req, req0};
use crate::exchange::recipient::{AdClass, INHERITANCE_TYPES, MAILBOX_RIGHTS, MailboxAce};
use crate::exchange::render::{inherited_aces, self_ace};

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    let rights = T::EnumArray(&MAILBOX_RIGHTS);
    let inheritance = T::Enum(&INHERITANCE_TYPES);
    vec![
        CmdletDef {
            name: "Add-MailboxPermission",
            class: "Microsoft.Exchange.Management.RecipientTasks.AddMailboxPermission",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    req("User", T::String),
                    req("AccessRights", rights),
                    opt("Deny", T::Switch),
                    opt("InheritanceType", inheritance),
                    opt("AutoMapping", T::Bool),
                    opt("Owner", T::String),
                    opt("Instance", T::Object),
                ],
                &WRITE_COMMON,
            ]),
            run: add_permission,
        },
        CmdletDef {
            name: "Remove-MailboxPermission",
            class: "Microsoft.Exchange.Management.RecipientTasks.RemoveMailboxPermission",
            impact: Impact::High,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("User", T::String),
                    opt("AccessRights", rights),
                    opt("Deny", T::Switch),
                    opt("InheritanceType", inheritance),
                    opt("Instance", T::Object),
                    opt("ClearAutoMapping", T::Switch),
                    opt("ResetDefault", T::Switch),
                ],
                &WRITE_COMMON,
            ]),
            run: remove_permission,
        },
        CmdletDef {
            name: "Get-MailboxPermission",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetMailboxPermission",
            impact: Impact::None,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("User", T::String),
                    opt("Owner", T::Switch),
                    opt("ResultSize", T::CountLimit),
                ],
                &GET_COMMON,
            ]),
            run: get_permission,
        },
    ]
}

/// The `DOMAIN\sam` a `-User` value names: a user or a security group, or a well-known
/// `NT AUTHORITY\…` principal.
fn principal(ctx: &Ctx<'_>, user: &str) -> Result<String, Stop> {
    if user.to_uppercase().starts_with("NT AUTHORITY\\") {
        return Ok(user.to_owned());
    }
    let found: Vec<_> = ctx
        .dir
        .resolve(user)
        .into_iter()
        .filter_map(|g| ctx.dir.get(g))
        .filter(|r| {
            r.kind.ad_class() == AdClass::User
                || r.kind
                    == crate::exchange::recipient::RecipientTypeDetails::MailUniversalSecurityGroup
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(ctx.dir.account_name(one).unwrap_or_default()),
        [] => Err(ctx.task.principal_not_found(user).into()),
        _ => Err(ctx
            .task
            .task_error(
                "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
                &[],
                format!("There are multiple users or groups matching the identity \"{user}\". Please specify a unique value."),
                crate::exchange::ErrorCategory::ExchangeContext,
                crate::exchange::errors::Target::default(),
            )
            .into()),
    }
}

/// Rights in Exchange's order.
fn ordered(rights: &[String]) -> Vec<String> {
    MAILBOX_RIGHTS
        .iter()
        .filter(|r| rights.iter().any(|x| x.eq_ignore_ascii_case(r)))
        .map(|r| (*r).to_owned())
        .collect()
}

fn add_permission(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_MAILBOX)?;
    let user = principal(ctx, b.str("User").unwrap_or_default())?;
    let rights = ordered(b.list("AccessRights").unwrap_or_default());
    let deny = b.switch("Deny");
    let inheritance = b.str("InheritanceType").unwrap_or("All").to_owned();
    if !ctx.should_process(format!(
        "Adding mailbox permission \"{id}\" for user \"{user}\" with access rights \"{}\".",
        rights.join(", ")
    ))? {
        return Ok(());
    }
    let mut new = ctx.get(guid)?.clone();
    let ace = MailboxAce {
        user: user.clone(),
        access_rights: rights.clone(),
        deny,
        inheritance_type: inheritance.clone(),
    };
    if let Some(mb) = new.mailbox.as_mut() {
        match mb.permissions.iter_mut().find(|a| {
            a.user.eq_ignore_ascii_case(&user)
                && a.deny == deny
                && a.inheritance_type == inheritance
        }) {
            Some(existing) => {
                let mut all = existing.access_rights.clone();
                all.extend(rights.iter().cloned());
                existing.access_rights = ordered(&all);
            }
            None => mb.permissions.push(ace.clone()),
        }
    }
    ctx.commit(guid, new)?;
    let v = ctx.dir.get(guid).map(|r| ctx.r().ace(r, &ace, false));
    if let Some(v) = v {
        ctx.write(v);
    }
    Ok(())
}

fn remove_permission(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    ctx.exclusive(b, &["ResetDefault", "ClearAutoMapping"])?;
    let id = b.str("Identity").unwrap_or_default();
    let reset = b.switch("ResetDefault");
    if !reset && !b.switch("ClearAutoMapping") {
        // User and AccessRights are mandatory in the default (AccessRights) parameter set only.
        let missing: Vec<&str> = ["User", "AccessRights"]
            .into_iter()
            .filter(|p| !b.has(p))
            .collect();
        if !missing.is_empty() {
            return Err(crate::exchange::params::missing_mandatory(&ctx.task, &missing).into());
        }
    }
    let guid = ctx.resolve_identity(id, IS_MAILBOX)?;
    if reset || b.switch("ClearAutoMapping") {
        if !ctx.should_process(format!(
            "Resetting the mailbox permissions of \"{id}\" to the defaults."
        ))? {
            return Ok(());
        }
        let mut new = ctx.get(guid)?.clone();
        if let Some(mb) = new.mailbox.as_mut()
            && reset
        {
            mb.permissions.clear();
        }
        return ctx.commit(guid, new);
    }
    let user = principal(ctx, b.str("User").unwrap_or_default())?;
    let rights = ordered(b.list("AccessRights").unwrap_or_default());
    let deny = b.switch("Deny");
    if !ctx.should_process(format!(
        "Removing mailbox permission \"{id}\" for user \"{user}\" with access rights \"'{}'\".",
        rights.join("', '")
    ))? {
        return Ok(());
    }
    let mut new = ctx.get(guid)?.clone();
    let dn = ctx.get(guid).map(|r| ctx.dir.dn(r))?;
    let mut removed = false;
    if let Some(mb) = new.mailbox.as_mut() {
        for a in mb
            .permissions
            .iter_mut()
            .filter(|a| a.user.eq_ignore_ascii_case(&user) && a.deny == deny)
        {
            let before = a.access_rights.len();
            a.access_rights
                .retain(|r| !rights.iter().any(|x| x.eq_ignore_ascii_case(r)));
            removed |= a.access_rights.len() != before;
        }
        mb.permissions.retain(|a| !a.access_rights.is_empty());
    }
    if !removed {
        ctx.warn(format!(
            "Can't remove the access control entry on the object \"{dn}\" for account \"{user}\" because the ACE doesn't exist on the object."
        ));
        return Ok(());
    }
    ctx.commit(guid, new)
}

fn get_permission(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_MAILBOX)?;
    let filter = match b.str("User") {
        Some(u) => Some(principal(ctx, u)?),
        None => None,
    };
    let r = ctx.get(guid)?.clone();
    let mut aces: Vec<(MailboxAce, bool)> = vec![(self_ace(), false)];
    if let Some(mb) = r.mailbox.as_ref() {
        aces.extend(mb.permissions.iter().cloned().map(|a| (a, false)));
    }
    aces.extend(
        inherited_aces(&ctx.dir.org().netbios_name)
            .into_iter()
            .map(|a| (a, true)),
    );
    if let Some(f) = filter {
        aces.retain(|(a, _)| a.user.eq_ignore_ascii_case(&f));
    }
    let aces = ctx.result_size(b, aces);
    for (a, inherited) in aces {
        let v = ctx.r().ace(&r, &a, inherited);
        ctx.write(v);
    }
    Ok(())
}
