//! Enable-, Get-, Disable-MailUser.

use super::{
    Accept, CmdletDef, Ctx, GET_COMMON, Impact, Stop, WRITE_COMMON, params_of, set_primary,
};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0, req, req0};
use crate::exchange::recipient::{AdClass, MailAttributes, RecipientTypeDetails};

const IS_MAIL_USER: Accept = |r| r.kind == RecipientTypeDetails::MailUser;

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Enable-MailUser",
            class: "Microsoft.Exchange.Management.RecipientTasks.EnableMailUser",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    req("ExternalEmailAddress", T::String),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("UsePreferMessageFormat", T::Bool),
                    opt("MessageFormat", T::Enum(&["Text", "Mime"])),
                    opt(
                        "MessageBodyFormat",
                        T::Enum(&["Text", "Html", "TextAndHtml"]),
                    ),
                    opt(
                        "MacAttachmentFormat",
                        T::Enum(&["BinHex", "UuEncode", "AppleSingle", "AppleDouble"]),
                    ),
                ],
                &[opt("DomainController", T::String)],
            ]),
            run: enable_mail_user,
        },
        CmdletDef {
            name: "Get-MailUser",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetMailUser",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("Filter", T::String),
                    opt("OrganizationalUnit", T::String),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                ],
                &GET_COMMON,
            ]),
            run: get_mail_user,
        },
        CmdletDef {
            name: "Disable-MailUser",
            class: "Microsoft.Exchange.Management.RecipientTasks.DisableMailUser",
            impact: Impact::High,
            params: params_of(&[&[req0("Identity", T::String)], &WRITE_COMMON]),
            run: disable_mail_user,
        },
    ]
}

/// `SMTP:` prefix for an external address given without one.
pub(super) fn external(address: &str) -> String {
    if address.contains(':') {
        address.to_owned()
    } else {
        format!("SMTP:{address}")
    }
}

fn enable_mail_user(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
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
    let ext = external(b.str("ExternalEmailAddress").unwrap_or_default());
    if !ctx.should_process(format!(
        "Enabling mail user \"{canonical}\" with external e-mail address \"{ext}\"."
    ))? {
        return Ok(());
    }
    let mut new = r.clone();
    let alias = b.str("Alias").map(str::to_owned).unwrap_or_else(|| {
        r.account
            .as_ref()
            .map(|a| a.sam_account_name.clone())
            .unwrap_or_else(|| super::alias_from(&r.name))
    });
    let mut mail = MailAttributes {
        alias,
        external_email_address: Some(ext.clone()),
        ..MailAttributes::default()
    };
    if let Some(p) = b.str("PrimarySmtpAddress") {
        set_primary(&mut mail, p);
        mail.email_address_policy_enabled = false;
    }
    if let Some(addr) = ext
        .strip_prefix("SMTP:")
        .or_else(|| ext.strip_prefix("smtp:"))
    {
        mail.email_addresses.push(format!("smtp:{addr}"));
    }
    new.mail = Some(mail);
    if let Some(d) = b.str("DisplayName") {
        new.display_name = d.to_owned();
    }
    new.kind = RecipientTypeDetails::MailUser;
    ctx.commit(guid, new)?;
    let v = ctx.dir.get(guid).map(|r| ctx.r().mail_user(r));
    if let Some(v) = v {
        ctx.write(v);
    }
    Ok(())
}

fn get_mail_user(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let guids = ctx.select(b, IS_MAIL_USER)?;
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().mail_user(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

fn disable_mail_user(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_MAIL_USER)?;
    if !ctx.should_process(format!(
        "Disabling mail user \"{id}\" will remove the Exchange properties from the Windows user object."
    ))? {
        return Ok(());
    }
    let mut new = ctx.get(guid)?.clone();
    new.mail = None;
    new.kind = new.plain_user_kind();
    ctx.commit(guid, new)
}
