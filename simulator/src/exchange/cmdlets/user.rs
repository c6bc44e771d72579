//! Get-User, Set-User.

use super::{Accept, CmdletDef, Ctx, GET_COMMON, Impact, Stop, WRITE_COMMON, params_of};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0, req0};
use crate::exchange::recipient::AdClass;

const IS_USER: Accept = |r| r.kind.ad_class() == AdClass::User;

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Get-User",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetUser",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("Filter", T::String),
                    opt("OrganizationalUnit", T::String),
                    opt("RecipientTypeDetails", T::StringArray),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                    opt("Arbitration", T::Switch),
                    opt("PublicFolder", T::Switch),
                ],
                &GET_COMMON,
            ]),
            run: get_user,
        },
        CmdletDef {
            name: "Set-User",
            class: "Microsoft.Exchange.Management.RecipientTasks.SetUser",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Name", T::String),
                    opt("DisplayName", T::String),
                    opt("FirstName", T::String),
                    opt("LastName", T::String),
                    opt("Initials", T::String),
                    opt("Company", T::String),
                    opt("Department", T::String),
                    opt("Title", T::String),
                    opt("Office", T::String),
                    opt("Phone", T::String),
                    opt("MobilePhone", T::String),
                    opt("City", T::String),
                    opt("StateOrProvince", T::String),
                    opt("PostalCode", T::String),
                    opt("CountryOrRegion", T::String),
                    opt("StreetAddress", T::String),
                    opt("Manager", T::String),
                    opt("Notes", T::String),
                    opt("SamAccountName", T::String),
                    opt("UserPrincipalName", T::String),
                    opt("WindowsEmailAddress", T::String),
                    opt("RemotePowerShellEnabled", T::Bool),
                    opt("ResetPasswordOnNextLogon", T::Bool),
                    opt("LinkedMasterAccount", T::String),
                    opt("PermanentlyClearPreviousMailboxInfo", T::Switch),
                ],
                &WRITE_COMMON,
            ]),
            run: set_user,
        },
    ]
}

fn get_user(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    if b.switch("Arbitration") || b.switch("PublicFolder") {
        return Ok(());
    }
    let guids = ctx.select(b, IS_USER)?;
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().user(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

fn set_user(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_USER)?;
    let old = ctx.get(guid)?.clone();
    let mut new = old.clone();
    let manager = match b.str("Manager") {
        Some("") => Some(None),
        Some(m) => Some(Some(
            ctx.resolve_other(m, |r| r.kind.ad_class() != AdClass::Group)?,
        )),
        None => None,
    };
    if let Some(n) = b.str("Name") {
        new.name = n.to_owned();
    }
    if let Some(d) = b.str("DisplayName") {
        new.display_name = d.to_owned();
    }
    let p = &mut new.person;
    for (param, field) in [
        ("FirstName", &mut p.first_name),
        ("LastName", &mut p.last_name),
        ("Initials", &mut p.initials),
        ("Company", &mut p.company),
        ("Department", &mut p.department),
        ("Title", &mut p.title),
        ("Office", &mut p.office),
        ("Phone", &mut p.phone),
        ("MobilePhone", &mut p.mobile_phone),
        ("City", &mut p.city),
        ("StateOrProvince", &mut p.state_or_province),
        ("PostalCode", &mut p.postal_code),
        ("CountryOrRegion", &mut p.country_or_region),
        ("StreetAddress", &mut p.street_address),
        ("Notes", &mut p.notes),
    ] {
        if let Some(v) = b.str(param) {
            *field = v.to_owned();
        }
    }
    if let Some(m) = manager {
        p.manager = m;
    }
    if let Some(a) = new.account.as_mut() {
        if let Some(s) = b.str("SamAccountName") {
            a.sam_account_name = s.to_owned();
        }
        if let Some(u) = b.str("UserPrincipalName") {
            a.user_principal_name = u.to_owned();
        }
        if let Some(v) = b.bool("RemotePowerShellEnabled") {
            a.remote_powershell_enabled = v;
        }
        if let Some(v) = b.bool("ResetPasswordOnNextLogon") {
            a.reset_password_on_next_logon = v;
        }
    }
    if let Some(w) = b.str("WindowsEmailAddress")
        && let Some(m) = new.mail.as_mut()
    {
        m.windows_email_address = w.to_owned();
    }
    if new == old {
        ctx.warn_unchanged(guid);
        return Ok(());
    }
    if !ctx.should_process(format!("Setting user \"{id}\"."))? {
        return Ok(());
    }
    ctx.commit(guid, new)
}
