//! Get-, Enable-, Disable-, New-, Set-, Remove-Mailbox.

use uuid::Uuid;

use super::{
    Accept, CUSTOM_ATTRIBUTES, CmdletDef, Ctx, GET_COMMON, Impact, Stop, WRITE_COMMON, alias_from,
    params_of, set_primary,
};
use crate::exchange::ErrorCategory;
use crate::exchange::params::{Bound, ParamType as T, missing_mandatory, opt, pos0, req0};
use crate::exchange::recipient::{
    Account, AdClass, MailAttributes, MailboxData, Recipient, RecipientTypeDetails,
};

pub(super) const IS_MAILBOX: Accept = |r| r.kind.is_mailbox();
const IS_USER_CLASS: Accept = |r| r.kind.ad_class() == AdClass::User;

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Get-Mailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetMailbox",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("Database", T::String),
                    opt("Server", T::String),
                    opt("OrganizationalUnit", T::String),
                    opt("Filter", T::String),
                    opt("RecipientTypeDetails", T::StringArray),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                    opt("Arbitration", T::Switch),
                    opt("Archive", T::Switch),
                    opt("PublicFolder", T::Switch),
                ],
                &GET_COMMON,
            ]),
            run: get_mailbox,
        },
        CmdletDef {
            name: "Enable-Mailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.EnableMailbox",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Alias", T::String),
                    opt("Database", T::String),
                    opt("DisplayName", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("Archive", T::Switch),
                    opt("ArchiveDatabase", T::String),
                    opt("ArchiveName", T::MultiValued),
                    opt("Shared", T::Switch),
                    opt("Room", T::Switch),
                    opt("Equipment", T::Switch),
                    opt("LinkedMasterAccount", T::String),
                    opt("LinkedDomainController", T::String),
                    opt("LinkedCredential", T::Object),
                    opt("RetentionPolicy", T::String),
                    opt("AddressBookPolicy", T::String),
                    opt("ActiveSyncMailboxPolicy", T::String),
                    opt("RoleAssignmentPolicy", T::String),
                    opt("Force", T::Switch),
                ],
                &WRITE_COMMON,
            ]),
            run: enable_mailbox,
        },
        CmdletDef {
            name: "Disable-Mailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.DisableMailbox",
            impact: Impact::High,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Archive", T::Switch),
                    opt("RemoteArchive", T::Switch),
                    opt("Arbitration", T::Switch),
                    opt("PublicFolder", T::Switch),
                    opt("IgnoreLegalHold", T::Switch),
                ],
                &WRITE_COMMON,
            ]),
            run: disable_mailbox,
        },
        CmdletDef {
            name: "New-Mailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.NewMailbox",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Name", T::String),
                    opt("UserPrincipalName", T::String),
                    opt("Password", T::SecureString),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("FirstName", T::String),
                    opt("LastName", T::String),
                    opt("Initials", T::String),
                    opt("OrganizationalUnit", T::String),
                    opt("Database", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("SamAccountName", T::String),
                    opt("ResetPasswordOnNextLogon", T::Bool),
                    opt("AccountDisabled", T::Switch),
                    opt("Shared", T::Switch),
                    opt("Room", T::Switch),
                    opt("Equipment", T::Switch),
                    opt("Archive", T::Switch),
                    opt("ArchiveDatabase", T::String),
                    opt("RemotePowerShellEnabled", T::Bool),
                    opt("RetentionPolicy", T::String),
                    opt("AddressBookPolicy", T::String),
                    opt("ModeratedBy", T::MultiValued),
                    opt("Force", T::Switch),
                ],
                &[opt("DomainController", T::String)],
            ]),
            run: new_mailbox,
        },
        CmdletDef {
            name: "Set-Mailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.SetMailbox",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Name", T::String),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("SamAccountName", T::String),
                    opt("UserPrincipalName", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("WindowsEmailAddress", T::String),
                    opt("EmailAddresses", T::MultiValued),
                    opt("EmailAddressPolicyEnabled", T::Bool),
                    opt("HiddenFromAddressListsEnabled", T::Bool),
                    opt("UseDatabaseQuotaDefaults", T::Bool),
                    opt("IssueWarningQuota", T::ByteLimit),
                    opt("ProhibitSendQuota", T::ByteLimit),
                    opt("ProhibitSendReceiveQuota", T::ByteLimit),
                    opt("MaxSendSize", T::ByteLimit),
                    opt("MaxReceiveSize", T::ByteLimit),
                    opt("RecipientLimits", T::CountLimit),
                    opt("ArchiveQuota", T::ByteLimit),
                    opt("ArchiveWarningQuota", T::ByteLimit),
                    opt("ForwardingAddress", T::String),
                    opt("ForwardingSmtpAddress", T::String),
                    opt("DeliverToMailboxAndForward", T::Bool),
                    opt("GrantSendOnBehalfTo", T::MultiValued),
                    opt("AcceptMessagesOnlyFrom", T::MultiValued),
                    opt("ModeratedBy", T::MultiValued),
                    opt("ModerationEnabled", T::Bool),
                    opt("RequireSenderAuthenticationEnabled", T::Bool),
                    opt("Type", T::Enum(&["Regular", "Room", "Equipment", "Shared"])),
                    opt("LitigationHoldEnabled", T::Bool),
                    opt("SingleItemRecoveryEnabled", T::Bool),
                    opt("RetentionPolicy", T::String),
                    opt("AddressBookPolicy", T::String),
                    opt("AuditEnabled", T::Bool),
                    opt("AccountDisabled", T::Bool),
                    opt("Password", T::SecureString),
                    opt("ResetPasswordOnNextLogon", T::Bool),
                    opt("Database", T::String),
                    opt("Office", T::String),
                    opt("Force", T::Switch),
                ],
                &CUSTOM_ATTRIBUTES,
                &WRITE_COMMON,
            ]),
            run: set_mailbox,
        },
        CmdletDef {
            name: "Remove-Mailbox",
            class: "Microsoft.Exchange.Management.RecipientTasks.RemoveMailbox",
            impact: Impact::High,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Permanent", T::Bool),
                    opt("StoreMailboxIdentity", T::String),
                    opt("Database", T::String),
                    opt("Arbitration", T::Switch),
                    opt("PublicFolder", T::Switch),
                    opt("RemoveLastArbitrationMailboxAllowed", T::Switch),
                    opt("IgnoreLegalHold", T::Switch),
                ],
                &WRITE_COMMON,
            ]),
            run: remove_mailbox,
        },
    ]
}

fn get_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    if b.switch("Arbitration") || b.switch("PublicFolder") {
        return Ok(());
    }
    let mut guids = ctx.select(b, IS_MAILBOX)?;
    if let Some(db) = b.str("Database") {
        let want: Vec<Uuid> = ctx
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
    if let Some(server) = b.str("Server") {
        let server = server.split('.').next().unwrap_or(server).to_owned();
        guids.retain(|g| {
            ctx.dir
                .get(*g)
                .and_then(|r| r.mailbox.as_ref())
                .and_then(|m| ctx.dir.database(m.database))
                .is_some_and(|d| d.server.eq_ignore_ascii_case(&server))
        });
    }
    if b.switch("Archive") {
        guids.retain(|g| {
            ctx.dir
                .get(*g)
                .and_then(|r| r.mailbox.as_ref())
                .is_some_and(|m| m.archive_guid.is_some())
        });
    }
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().mailbox(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

/// The kind `-Shared`/`-Room`/`-Equipment` select.
fn mailbox_kind(b: &Bound) -> RecipientTypeDetails {
    if b.switch("Shared") {
        RecipientTypeDetails::SharedMailbox
    } else if b.switch("Room") {
        RecipientTypeDetails::RoomMailbox
    } else if b.switch("Equipment") {
        RecipientTypeDetails::EquipmentMailbox
    } else {
        RecipientTypeDetails::UserMailbox
    }
}

fn enable_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    ctx.exclusive(b, &["Shared", "Room", "Equipment", "Archive"])?;
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_USER_CLASS)?;
    let r = ctx.get(guid)?.clone();
    let canonical = ctx.canonical(guid);
    if b.switch("Archive") {
        let Some(mb) = r.mailbox.as_ref() else {
            return Err(ctx
                .task
                .recipient_task(
                    format!("Recipient '{canonical}' does n't have a mailbox. The recipient must have a mailbox to enable archive."),
                    ErrorCategory::InvalidArgument,
                )
                .into());
        };
        if mb.archive_guid.is_some() {
            return Err(ctx
                .task
                .recipient_task(
                    format!("Recipient {canonical} already has an archive. This task doesn't support multiple archives per recipient."),
                    ErrorCategory::InvalidArgument,
                )
                .into());
        }
        if !ctx.should_process(format!("Enabling archive for mailbox \"{canonical}\"."))? {
            return Ok(());
        }
        let mut new = r.clone();
        if let Some(m) = new.mailbox.as_mut() {
            m.archive_guid = Some(Uuid::new_v4());
        }
        ctx.commit(guid, new)?;
        let v = ctx.dir.get(guid).map(|r| ctx.r().mailbox(r));
        if let Some(v) = v {
            ctx.write(v);
        }
        return Ok(());
    }
    if !matches!(
        r.kind,
        RecipientTypeDetails::User
            | RecipientTypeDetails::DisabledUser
            | RecipientTypeDetails::MailUser
    ) {
        return Err(ctx
            .task
            .invalid_recipient_type(&canonical, r.kind.recipient_type())
            .into());
    }
    let database = ctx.database(b)?;
    if !ctx.should_process(format!("Enabling mailbox \"{canonical}\"."))? {
        return Ok(());
    }
    let mut new = r.clone();
    let kind = mailbox_kind(b);
    new.kind = kind;
    let sam = new
        .account
        .as_ref()
        .map(|a| a.sam_account_name.clone())
        .unwrap_or_else(|| alias_from(&r.name));
    let alias = b
        .str("Alias")
        .map(str::to_owned)
        .or_else(|| r.mail.as_ref().map(|m| m.alias.clone()))
        .unwrap_or(sam);
    let mut mail = r.mail.clone().unwrap_or_default();
    mail.alias = alias;
    mail.external_email_address = None;
    if let Some(p) = b.str("PrimarySmtpAddress") {
        set_primary(&mut mail, p);
        mail.email_address_policy_enabled = false;
    }
    new.mail = Some(mail);
    if let Some(d) = b.str("DisplayName") {
        new.display_name = d.to_owned();
    }
    if kind != RecipientTypeDetails::UserMailbox
        && let Some(a) = new.account.as_mut()
    {
        a.disabled = true;
    }
    new.mailbox = Some(Box::new(MailboxData {
        database,
        exchange_guid: Uuid::new_v4(),
        when_mailbox_created: ctx.now(),
        retention_policy: b.str("RetentionPolicy").map(str::to_owned),
        address_book_policy: b.str("AddressBookPolicy").map(str::to_owned),
        ..MailboxData::default()
    }));
    ctx.commit(guid, new)?;
    let v = ctx.dir.get(guid).map(|r| ctx.r().mailbox(r));
    if let Some(v) = v {
        ctx.write(v);
    }
    Ok(())
}

fn disable_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_MAILBOX)?;
    let r = ctx.get(guid)?.clone();
    if b.switch("Archive") {
        if !ctx.should_process(format!(
            "Disabling the archive for mailbox \"{id}\" will mark the archive in the database for removal."
        ))? {
            return Ok(());
        }
        let mut new = r;
        if let Some(m) = new.mailbox.as_mut() {
            m.archive_guid = None;
        }
        return ctx.commit(guid, new);
    }
    if !ctx.should_process(format!(
        "Disabling mailbox \"{id}\" will remove the Exchange properties from the Active Directory user object and mark the mailbox in the database for removal. If the mailbox has an archive or remote archive, the archive will also be marked for removal. In the case of remote archives, this action is permanent. You can't reconnect this user to the remote archive again."
    ))? {
        return Ok(());
    }
    let mut new = r;
    new.mailbox = None;
    new.mail = None;
    new.kind = new.plain_user_kind();
    ctx.commit(guid, new)
}

/// `-OrganizationalUnit` as a canonical OU (DNs converted); an OU that does not exist is
/// Exchange's not-found error.
pub(super) fn ou_param(ctx: &Ctx<'_>, b: &Bound) -> Result<String, Stop> {
    let Some(given) = b.str("OrganizationalUnit") else {
        return Ok(String::new());
    };
    let ou = if given.contains('=') {
        ctx.dir.org().dn_to_canonical(given).unwrap_or_default()
    } else {
        given.trim_end_matches('/').to_owned()
    };
    if ou.is_empty() || !ctx.dir.ou_exists(&ou) {
        return Err(ctx.task.not_found(given).into());
    }
    Ok(ou)
}

fn new_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    ctx.exclusive(b, &["Shared", "Room", "Equipment"])?;
    let kind = mailbox_kind(b);
    let name = b.str("Name").unwrap_or_default().to_owned();
    if kind == RecipientTypeDetails::UserMailbox {
        let missing: Vec<&str> = ["UserPrincipalName", "Password"]
            .into_iter()
            .filter(|p| !b.has(p))
            .collect();
        if !missing.is_empty() {
            return Err(missing_mandatory(&ctx.task, &missing).into());
        }
    }
    let database = ctx.database(b)?;
    let domain = ctx.dir.org().domain.clone();
    let upn_local = b
        .str("UserPrincipalName")
        .and_then(|u| u.split('@').next())
        .map(str::to_owned);
    let alias = b
        .str("Alias")
        .map(str::to_owned)
        .or(upn_local)
        .unwrap_or_else(|| alias_from(&name));
    let sam = b
        .str("SamAccountName")
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.dir.generated_sam(&alias));
    let upn = b
        .str("UserPrincipalName")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{alias}@{domain}"));
    let now = ctx.now();
    let mut mail = MailAttributes {
        alias,
        ..MailAttributes::default()
    };
    if let Some(p) = b.str("PrimarySmtpAddress") {
        set_primary(&mut mail, p);
        mail.email_address_policy_enabled = false;
    }
    let mut r = Recipient {
        kind,
        name: name.clone(),
        ou: ou_param(ctx, b)?,
        display_name: b.str("DisplayName").unwrap_or(&name).to_owned(),
        account: Some(Account {
            sam_account_name: sam,
            user_principal_name: upn,
            disabled: kind != RecipientTypeDetails::UserMailbox || b.switch("AccountDisabled"),
            reset_password_on_next_logon: b.bool("ResetPasswordOnNextLogon").unwrap_or(false),
            remote_powershell_enabled: b.bool("RemotePowerShellEnabled").unwrap_or(true),
            password: b.str("Password").map(str::to_owned),
            ..Account::default()
        }),
        mail: Some(mail),
        mailbox: Some(Box::new(MailboxData {
            database,
            exchange_guid: Uuid::new_v4(),
            when_mailbox_created: now,
            archive_guid: b.switch("Archive").then(Uuid::new_v4),
            retention_policy: b.str("RetentionPolicy").map(str::to_owned),
            address_book_policy: b.str("AddressBookPolicy").map(str::to_owned),
            ..MailboxData::default()
        })),
        when_created: now,
        when_changed: now,
        guid: Uuid::new_v4(),
        ..Recipient::default()
    };
    r.person.first_name = b.str("FirstName").unwrap_or_default().to_owned();
    r.person.last_name = b.str("LastName").unwrap_or_default().to_owned();
    r.person.initials = b.str("Initials").unwrap_or_default().to_owned();
    if !ctx.should_process(format!("Creating mailbox \"{name}\"."))? {
        return Ok(());
    }
    let guid = ctx.create(r)?;
    let v = ctx.dir.get(guid).map(|r| ctx.r().mailbox(r));
    if let Some(v) = v {
        ctx.write(v);
    }
    Ok(())
}

fn set_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_MAILBOX)?;
    let old = ctx.get(guid)?.clone();
    let mut new = old.clone();
    ctx.apply_mail_params(b, &mut new)?;
    if let Some(o) = b.str("Office") {
        new.person.office = o.to_owned();
    }
    if let Some(v) = b.bool("AccountDisabled")
        && let Some(a) = new.account.as_mut()
    {
        a.disabled = v;
    }
    if let Some(p) = b.str("Password")
        && let Some(a) = new.account.as_mut()
    {
        a.password = Some(p.to_owned());
    }
    if let Some(t) = b.str("Type") {
        new.kind = match t {
            "Room" => RecipientTypeDetails::RoomMailbox,
            "Equipment" => RecipientTypeDetails::EquipmentMailbox,
            "Shared" => RecipientTypeDetails::SharedMailbox,
            _ => RecipientTypeDetails::UserMailbox,
        };
    }
    let database = match b.str("Database") {
        Some(_) => Some(ctx.database(b)?),
        None => None,
    };
    let forwarding = match b.str("ForwardingAddress") {
        Some("") => Some(None),
        Some(f) => Some(Some(ctx.resolve_other(f, |r| r.kind.is_mail_enabled())?)),
        None => None,
    };
    let mut grant = new
        .mail
        .as_ref()
        .map(|m| m.grant_send_on_behalf_to.clone())
        .unwrap_or_default();
    if let Some(mv) = b.multi("GrantSendOnBehalfTo") {
        ctx.apply_recipient_list(mv, &mut grant)?;
    }
    let mut accept = new
        .mail
        .as_ref()
        .map(|m| m.accept_messages_only_from.clone())
        .unwrap_or_default();
    if let Some(mv) = b.multi("AcceptMessagesOnlyFrom") {
        ctx.apply_recipient_list(mv, &mut accept)?;
    }
    let mut moderators = new
        .mail
        .as_ref()
        .map(|m| m.moderated_by.clone())
        .unwrap_or_default();
    if let Some(mv) = b.multi("ModeratedBy") {
        ctx.apply_recipient_list(mv, &mut moderators)?;
    }
    if let Some(m) = new.mail.as_mut() {
        m.grant_send_on_behalf_to = grant;
        m.accept_messages_only_from = accept;
        m.moderated_by = moderators;
    }
    if let Some(mb) = new.mailbox.as_mut() {
        if let Some(v) = b.bool("UseDatabaseQuotaDefaults") {
            mb.use_database_quota_defaults = v;
        }
        if let Some(l) = b.limit("IssueWarningQuota") {
            mb.issue_warning_quota = l;
        }
        if let Some(l) = b.limit("ProhibitSendQuota") {
            mb.prohibit_send_quota = l;
        }
        if let Some(l) = b.limit("ProhibitSendReceiveQuota") {
            mb.prohibit_send_receive_quota = l;
        }
        if let Some(l) = b.limit("RecipientLimits") {
            mb.recipient_limits = l;
        }
        if let Some(f) = forwarding {
            mb.forwarding_address = f;
        }
        if let Some(f) = b.str("ForwardingSmtpAddress") {
            mb.forwarding_smtp_address = (!f.is_empty()).then(|| {
                if f.contains(':') {
                    f.to_owned()
                } else {
                    format!("smtp:{f}")
                }
            });
        }
        if let Some(v) = b.bool("DeliverToMailboxAndForward") {
            mb.deliver_to_mailbox_and_forward = v;
        }
        if let Some(v) = b.bool("LitigationHoldEnabled") {
            mb.litigation_hold_enabled = v;
        }
        if let Some(v) = b.bool("SingleItemRecoveryEnabled") {
            mb.single_item_recovery_enabled = v;
        }
        if let Some(v) = b.bool("AuditEnabled") {
            mb.audit_enabled = v;
        }
        if let Some(p) = b.str("RetentionPolicy") {
            mb.retention_policy = (!p.is_empty()).then(|| p.to_owned());
        }
        if let Some(p) = b.str("AddressBookPolicy") {
            mb.address_book_policy = (!p.is_empty()).then(|| p.to_owned());
        }
        if let Some(d) = database {
            mb.database = d;
        }
    }
    if new == old {
        ctx.warn_unchanged(guid);
        return Ok(());
    }
    if !ctx.should_process(format!("Setting mailbox \"{id}\"."))? {
        return Ok(());
    }
    ctx.commit(guid, new)
}

fn remove_mailbox(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let guid = ctx.resolve_identity(id, IS_MAILBOX)?;
    if !ctx.should_process(format!(
        "Removing mailbox \"{id}\" will remove the Active Directory user object and mark the mailbox and the archive (if present) in the database for removal."
    ))? {
        return Ok(());
    }
    ctx.dir.remove(guid);
    Ok(())
}
