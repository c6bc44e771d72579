//! New-, Set-, Get-, Remove-MailContact.

use uuid::Uuid;

use super::mail_user::external;
use super::{
    Accept, CUSTOM_ATTRIBUTES, CmdletDef, Ctx, GET_COMMON, Impact, Stop, WRITE_COMMON, alias_from,
    params_of, set_primary,
};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0, req, req0};
use crate::exchange::recipient::{MailAttributes, Recipient, RecipientTypeDetails};

const IS_CONTACT: Accept = |r| r.kind == RecipientTypeDetails::MailContact;

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "New-MailContact",
            class: "Microsoft.Exchange.Management.RecipientTasks.NewMailContact",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Name", T::String),
                    req("ExternalEmailAddress", T::String),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("FirstName", T::String),
                    opt("LastName", T::String),
                    opt("Initials", T::String),
                    opt("OrganizationalUnit", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("ModeratedBy", T::MultiValued),
                    opt("ModerationEnabled", T::Bool),
                    opt(
                        "SendModerationNotifications",
                        T::Enum(&["Never", "Internal", "Always"]),
                    ),
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
            run: new_mail_contact,
        },
        CmdletDef {
            name: "Set-MailContact",
            class: "Microsoft.Exchange.Management.RecipientTasks.SetMailContact",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Name", T::String),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("ExternalEmailAddress", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("EmailAddresses", T::MultiValued),
                    opt("EmailAddressPolicyEnabled", T::Bool),
                    opt("HiddenFromAddressListsEnabled", T::Bool),
                    opt("MaxSendSize", T::ByteLimit),
                    opt("MaxReceiveSize", T::ByteLimit),
                    opt("MaxRecipientPerMessage", T::CountLimit),
                    opt(
                        "UseMapiRichTextFormat",
                        T::Enum(&["Never", "Always", "UseDefaultSettings"]),
                    ),
                    opt("WindowsEmailAddress", T::String),
                    opt("ForceUpgrade", T::Switch),
                ],
                &CUSTOM_ATTRIBUTES,
                &WRITE_COMMON,
            ]),
            run: set_mail_contact,
        },
        CmdletDef {
            name: "Get-MailContact",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetMailContact",
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
                ],
                &GET_COMMON,
            ]),
            run: get_mail_contact,
        },
        CmdletDef {
            name: "Remove-MailContact",
            class: "Microsoft.Exchange.Management.RecipientTasks.RemoveMailContact",
            impact: Impact::High,
            params: params_of(&[&[req0("Identity", T::String)], &WRITE_COMMON]),
            run: remove_mail_contact,
        },
    ]
}

fn new_mail_contact(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let name = b.str("Name").unwrap_or_default().to_owned();
    let ext = external(b.str("ExternalEmailAddress").unwrap_or_default());
    let ou = super::mailbox::ou_param(ctx, b)?;
    let now = ctx.now();
    let mut mail = MailAttributes {
        alias: b
            .str("Alias")
            .map_or_else(|| alias_from(&name), str::to_owned),
        external_email_address: Some(ext.clone()),
        moderation_enabled: b.bool("ModerationEnabled").unwrap_or(false),
        ..MailAttributes::default()
    };
    match b.str("PrimarySmtpAddress") {
        Some(p) => {
            set_primary(&mut mail, p);
            mail.email_address_policy_enabled = false;
        }
        None => {
            if let Some(addr) = ext
                .strip_prefix("SMTP:")
                .or_else(|| ext.strip_prefix("smtp:"))
            {
                mail.email_addresses.push(format!("SMTP:{addr}"));
            }
        }
    }
    if let Some(mv) = b.multi("ModeratedBy") {
        ctx.apply_recipient_list(mv, &mut mail.moderated_by)?;
    }
    let mut r = Recipient {
        guid: Uuid::new_v4(),
        kind: RecipientTypeDetails::MailContact,
        name: name.clone(),
        ou: ou.clone(),
        display_name: b.str("DisplayName").unwrap_or(&name).to_owned(),
        mail: Some(mail),
        when_created: now,
        when_changed: now,
        ..Recipient::default()
    };
    r.person.first_name = b.str("FirstName").unwrap_or_default().to_owned();
    r.person.last_name = b.str("LastName").unwrap_or_default().to_owned();
    r.person.initials = b.str("Initials").unwrap_or_default().to_owned();
    let shown_ou = ctx.dir.ou_of(&r).into_owned();
    if !ctx.should_process(format!(
        "Creating mail contact \"{name}\" with external e-mail address \"{ext}\", and organizational unit \"{shown_ou}\"."
    ))? {
        return Ok(());
    }
    let guid = ctx.create(r)?;
    let v = ctx.dir.get(guid).map(|r| ctx.r().mail_contact(r));
    if let Some(v) = v {
        ctx.write(v);
    }
    Ok(())
}

fn set_mail_contact(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_CONTACT)?;
    let old = ctx.get(guid)?.clone();
    let mut new = old.clone();
    ctx.apply_mail_params(b, &mut new)?;
    if let Some(e) = b.str("ExternalEmailAddress")
        && let Some(m) = new.mail.as_mut()
    {
        m.external_email_address = Some(external(e));
    }
    if new == old {
        ctx.warn_unchanged(guid);
        return Ok(());
    }
    if !ctx.should_process(format!("Setting mail contact \"{id}\"."))? {
        return Ok(());
    }
    ctx.commit(guid, new)
}

fn get_mail_contact(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let guids = ctx.select(b, IS_CONTACT)?;
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().mail_contact(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

fn remove_mail_contact(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_CONTACT)?;
    if !ctx.should_process(format!(
        "Removing mail contact \"{id}\" will remove the Active Directory contact object."
    ))? {
        return Ok(());
    }
    ctx.dir.remove(guid);
    Ok(())
}
