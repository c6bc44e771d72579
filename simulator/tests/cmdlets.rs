//! Every cmdlet against the default seed: outputs, errors, warnings, confirmation, RBAC.

use std::sync::Arc;

use monosync_exchange::clixml::{Container, DateTimeKind, PsObject, PsValue};
use mx_sim::exchange::{BoundArg, CmdletResult, Exchange, InvokeOptions, Session};

const SEED: &str = include_str!("../seed/default.json");

fn ex() -> Exchange {
    let mut e = Exchange::from_seed_json(SEED).expect("default seed loads");
    e.set_clock(Some(1_700_000_000));
    e
}

fn n(name: &str, v: impl Into<PsValue>) -> BoundArg {
    BoundArg::named(name, v)
}

fn list(items: &[&str]) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "System.Object[]".to_owned(),
            "System.Array".to_owned(),
            "System.Object".to_owned(),
        ])),
        content: Some(Container::List(
            items.iter().map(|s| PsValue::from(*s)).collect(),
        )),
        ..PsObject::default()
    })
}

fn hashtable(add: &[&str], remove: &[&str]) -> PsValue {
    let mut d = Vec::new();
    if !add.is_empty() {
        d.push((PsValue::from("Add"), list(add)));
    }
    if !remove.is_empty() {
        d.push((PsValue::from("Remove"), list(remove)));
    }
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "System.Collections.Hashtable".to_owned(),
            "System.Object".to_owned(),
        ])),
        content: Some(Container::Dictionary(d)),
        ..PsObject::default()
    })
}

fn no_confirm() -> BoundArg {
    n("Confirm", false)
}

fn ok(r: &CmdletResult) {
    assert!(r.errors.is_empty(), "unexpected errors: {:#?}", r.errors);
    assert!(!r.failed);
    assert!(r.needs_confirmation.is_none());
}

fn one(r: &CmdletResult) -> &PsObject {
    ok(r);
    assert_eq!(r.output.len(), 1, "expected one object");
    r.output[0].as_object().expect("object")
}

fn s<'a>(o: &'a PsObject, name: &str) -> &'a str {
    o.property(name)
        .and_then(PsValue::as_str)
        .unwrap_or_else(|| panic!("no string property {name}"))
}

fn strs(o: &PsObject, name: &str) -> Vec<String> {
    o.property(name)
        .and_then(PsValue::as_list)
        .unwrap_or_else(|| panic!("no list property {name}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

fn mailbox(e: &mut Exchange, id: &str) -> PsObject {
    let r = e.invoke("Get-Mailbox", &[BoundArg::positional(id)]);
    one(&r).clone()
}

#[test]
fn get_mailbox_administrator_has_the_real_shape() {
    let mut e = ex();
    let o = mailbox(&mut e, "administrator");
    let tn = o.type_names.as_deref().expect("type names");
    assert_eq!(
        tn[0],
        "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    );
    assert_eq!(tn.last().map(String::as_str), Some("System.Object"));
    assert_eq!(tn.len(), 8);
    assert_eq!(o.to_string.as_deref(), Some("Administrator"));
    assert_eq!(s(&o, "Identity"), "contoso.com/Users/Administrator");
    assert_eq!(
        s(&o, "DistinguishedName"),
        "CN=Administrator,CN=Users,DC=contoso,DC=com"
    );
    assert_eq!(s(&o, "PrimarySmtpAddress"), "Administrator@contoso.com");
    assert_eq!(
        strs(&o, "EmailAddresses"),
        vec!["SMTP:Administrator@contoso.com"]
    );
    assert_eq!(s(&o, "RecipientTypeDetails"), "UserMailbox");
    assert_eq!(s(&o, "Database"), "DB01");
    assert_eq!(s(&o, "ProhibitSendQuota"), "2 GB (2,147,483,648 bytes)");
    assert_eq!(
        s(&o, "RecoverableItemsQuota"),
        "30 GB (32,212,254,720 bytes)"
    );
    assert_eq!(s(&o, "ExchangeVersion"), "0.20 (15.0.0.0)");
    assert_eq!(s(&o, "CustomAttribute1"), "");
    assert!(o.property("MailTip").is_some_and(PsValue::is_nil));
    assert!(matches!(o.property("Guid"), Some(PsValue::Guid(_))));
    assert!(matches!(o.property("ExchangeGuid"), Some(PsValue::Guid(_))));
    match (o.property("WhenCreated"), o.property("WhenCreatedUTC")) {
        (Some(PsValue::DateTime(l)), Some(PsValue::DateTime(u))) => {
            assert_eq!(l.kind, DateTimeKind::Local(-480));
            assert_eq!(u.kind, DateTimeKind::Utc);
            assert_eq!(u.ticks - l.ticks, 480 * 60 * 10_000_000);
        }
        other => panic!("dates: {other:?}"),
    }
    assert_eq!(o.adapted.len(), 228);
    assert!(o.extended.is_empty());
}

#[test]
fn identity_resolution() {
    let mut e = ex();
    let o = mailbox(&mut e, "Administrator");
    let PsValue::Guid(g) = o.property("Guid").cloned().expect("guid") else {
        panic!()
    };
    for id in [
        g.to_string(),
        "CN=Administrator,CN=Users,DC=contoso,DC=com".into(),
        "contoso.com/Users/Administrator".into(),
        "CONTOSO\\Administrator".into(),
        "administrator@contoso.com".into(),
        "smtp:Administrator@contoso.com".into(),
        "Administrator".into(),
    ] {
        let r = e.invoke("Get-Mailbox", &[n("Identity", id.as_str())]);
        assert_eq!(s(one(&r), "Name"), "Administrator", "identity {id}");
    }
    // Two mailboxes with the same display name: ambiguous for Set-Mailbox.
    for name in ["Twin One", "Twin Two"] {
        let r = e.invoke(
            "New-Mailbox",
            &[
                n("Name", name),
                n("DisplayName", "Twin"),
                n(
                    "UserPrincipalName",
                    format!("{}@contoso.com", name.replace(' ', "")),
                ),
                BoundArg::secure("Password", "Secret1!"),
            ],
        );
        ok(&r);
    }
    let r = e.invoke("Set-Mailbox", &[n("Identity", "Twin"), n("Office", "B1")]);
    assert_eq!(r.errors.len(), 1);
    assert!(
        !r.failed,
        "Exchange writes task errors; the pipeline completes"
    );
    let err = &r.errors[0];
    assert_eq!(
        err.exception_type,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"
    );
    assert_eq!(
        err.message,
        "The operation couldn't be performed because 'Twin' matches multiple entries."
    );
    assert_eq!(err.category, 1003);
    let r = e.invoke("Get-Mailbox", &[n("Identity", "Twin*")]);
    ok(&r);
    assert_eq!(r.output.len(), 2);
}

#[test]
fn not_found_error_shape() {
    let mut e = ex();
    let r = e.invoke("Get-Mailbox", &[n("Identity", "nobody@contoso.com")]);
    assert!(r.output.is_empty());
    assert!(!r.failed, "task errors do not fail the pipeline");
    let err = &r.errors[0];
    assert_eq!(
        err.exception_type,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    );
    assert_eq!(
        err.message,
        "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found on 'DC01.contoso.com'."
    );
    assert_eq!(err.category, 1003);
    assert_eq!(
        err.category_message(),
        "NotSpecified: (:) [Get-Mailbox], ManagementObjectNotFoundException"
    );
    let fqid = &err.fully_qualified_error_id;
    assert!(fqid.starts_with("[Server=EX01,RequestId="), "{fqid}");
    assert!(fqid.contains(",TimeStamp=11/14/2023 10:13:20 PM] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] "), "{fqid}");
    assert!(
        fqid.ends_with(",Microsoft.Exchange.Management.RecipientTasks.GetMailbox"),
        "{fqid}"
    );
    // A mail contact is not a mailbox.
    let contact = e
        .directory()
        .iter()
        .find(|r| r.kind.as_str() == "MailContact")
        .expect("contact")
        .name
        .clone();
    let r = e.invoke("Get-Mailbox", &[n("Identity", contact.as_str())]);
    assert_eq!(r.errors.len(), 1);
}

#[test]
fn result_size_default_warning_and_unlimited() {
    let mut e = Exchange::new(mx_sim::exchange::Directory::generate(1600, 7));
    let r = e.invoke("Get-Recipient", &[]);
    ok(&r);
    assert_eq!(r.output.len(), 1000);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].starts_with(
        "By default, only the first 1000 items are returned. Use the ResultSize parameter"
    ));
    assert!(r.warnings[0].ends_with(
        "Instead, pipe the results to another task or script to perform batch changes."
    ));
    let total = e
        .directory()
        .iter()
        .filter(|r| r.kind.is_mail_enabled())
        .count();
    let r = e.invoke("Get-Recipient", &[n("ResultSize", "Unlimited")]);
    ok(&r);
    assert_eq!(r.output.len(), total);
    assert!(r.warnings.is_empty());
    let r = e.invoke(
        "Get-Recipient",
        &[n("Identity", PsValue::Nil), n("ResultSize", "Unlimited")],
    );
    assert_eq!(r.output.len(), total, "-Identity $null returns everything");
    let r = e.invoke("Get-Recipient", &[n("ResultSize", 5)]);
    assert_eq!(r.output.len(), 5);
    assert_eq!(r.warnings, vec!["There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.".to_owned()]);
    let r = e.invoke(
        "Get-User",
        &[
            n("ResultSize", "Unlimited"),
            n("RecipientTypeDetails", "DisabledUser"),
        ],
    );
    ok(&r);
    assert!(r.output.iter().all(
        |o| o.property("RecipientTypeDetails").and_then(PsValue::as_str) == Some("DisabledUser")
    ));
    assert!(!r.output.is_empty());
}

#[test]
fn confirm_high_impact() {
    let mut e = ex();
    let r = e.invoke(
        "New-MailContact",
        &[
            n("Name", "Bob Partner"),
            n("ExternalEmailAddress", "bob@fabrikam.example"),
        ],
    );
    let c = one(&r);
    assert_eq!(s(c, "ExternalEmailAddress"), "SMTP:bob@fabrikam.example");
    assert_eq!(s(c, "RecipientTypeDetails"), "MailContact");
    let args = [n("Identity", "Bob Partner")];
    let r = e.invoke("Remove-MailContact", &args);
    let prompt = r.needs_confirmation.clone().expect("prompt");
    assert_eq!(prompt.caption, "Confirm");
    assert_eq!(prompt.choices.len(), 4);
    assert_eq!(prompt.choices[0].0, "&Yes");
    assert_eq!(prompt.default_choice, 0);
    assert!(prompt.message.contains(
        "Removing mail contact \"Bob Partner\" will remove the Active Directory contact object."
    ));
    assert!(
        !e.directory().resolve("Bob Partner").is_empty(),
        "nothing removed before the answer"
    );
    let mut session = Session::default();
    let r = e.invoke_in(
        &mut session,
        "Remove-MailContact",
        &args,
        InvokeOptions { confirmed: true },
    );
    ok(&r);
    assert!(e.directory().resolve("Bob Partner").is_empty());
    // -Confirm:$false skips the prompt; -WhatIf changes nothing.
    let r = e.invoke(
        "New-MailContact",
        &[
            n("Name", "Carol"),
            n("ExternalEmailAddress", "carol@fabrikam.example"),
        ],
    );
    ok(&r);
    let r = e.invoke(
        "Remove-MailContact",
        &[n("Identity", "Carol"), BoundArg::switch("WhatIf")],
    );
    ok(&r);
    assert_eq!(r.host_output.len(), 1);
    assert!(!e.directory().resolve("Carol").is_empty());
    let r = e.invoke(
        "Remove-MailContact",
        &[n("Identity", "Carol"), no_confirm()],
    );
    ok(&r);
    assert!(e.directory().resolve("Carol").is_empty());
    // Medium impact asks only with -Confirm.
    let r = e.invoke(
        "Set-User",
        &[
            n("Identity", "Administrator"),
            n("Title", "Boss"),
            BoundArg::switch("Confirm"),
        ],
    );
    assert!(r.needs_confirmation.is_some());
}

#[test]
fn direct_reports_follow_manager_changes() {
    let mut e = ex();
    let reports = |e: &mut Exchange| {
        let r = e.invoke("Get-User", &[n("Identity", "Administrator")]);
        strs(one(&r), "DirectReports")
    };
    assert!(reports(&mut e).is_empty());
    let r = e.invoke(
        "Set-User",
        &[
            n("Identity", "justin.martin"),
            n("Manager", "Administrator"),
        ],
    );
    ok(&r);
    let listed = reports(&mut e);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].ends_with("/Justin Martin"), "{listed:?}");
    let r = e.invoke(
        "Set-User",
        &[n("Identity", "justin.martin"), n("Manager", "")],
    );
    ok(&r);
    assert!(reports(&mut e).is_empty());
}

#[test]
fn rbac_trims_cmdlets() {
    let mut e = ex();
    assert!(e.authenticate("CONTOSO\\auditor", "ReadOnly1!").is_some());
    assert!(e.authenticate("auditor", "wrong").is_none());
    let r = e.invoke_as("auditor", "Get-Mailbox", &[n("Identity", "Administrator")]);
    ok(&r);
    let r = e.invoke_as(
        "auditor@contoso.com",
        "Set-Mailbox",
        &[n("Identity", "Administrator"), n("Office", "x")],
    );
    assert!(r.failed);
    let err = &r.errors[0];
    assert_eq!(
        err.exception_type,
        "System.Management.Automation.CommandNotFoundException"
    );
    assert_eq!(err.fully_qualified_error_id, "CommandNotFoundException");
    assert_eq!(
        err.message,
        "The term 'Set-Mailbox' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
    );
    assert_eq!(err.category, 13);
    assert_eq!(
        err.category_message(),
        "ObjectNotFound: (Set-Mailbox:String) [], CommandNotFoundException"
    );
    let r = e.invoke_as("auditor", "Add-MailboxPermission", &[]);
    assert_eq!(r.errors[0].reason, "CommandNotFoundException");
    let r = e.invoke_as("recipientadmin", "Add-MailboxPermission", &[]);
    assert_eq!(
        r.errors[0].reason, "ParameterBindingException",
        "granted: binding runs"
    );
    // A custom role assignment grants single cmdlets.
    e.rbac_mut().set_account(mx_sim::exchange::SimAccount {
        user: "helpdesk".into(),
        password: "x".into(),
        role_groups: Vec::new(),
        cmdlets: vec!["Get-User".into(), "Set-CASMailbox".into()],
    });
    ok(&e.invoke_as("helpdesk", "Get-User", &[n("Identity", "Administrator")]));
    // A role entry restricted to some parameters hides the others, as in Exchange.
    e.rbac_mut().set_account(mx_sim::exchange::SimAccount {
        user: "frontdesk".into(),
        password: "x".into(),
        role_groups: Vec::new(),
        cmdlets: vec!["Set-Mailbox:Identity,Office".into()],
    });
    ok(&e.invoke_as(
        "frontdesk",
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n("Office", "Lobby"),
            no_confirm(),
        ],
    ));
    let r = e.invoke_as(
        "frontdesk",
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n("EmailAddresses", hashtable(&["x@contoso.com"], &[])),
        ],
    );
    assert_eq!(
        r.errors[0].message,
        "A parameter cannot be found that matches parameter name 'EmailAddresses'."
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "NamedParameterNotFound,Set-Mailbox"
    );
    assert!(e.invoke_as("helpdesk", "Get-Mailbox", &[]).failed);
    assert_eq!(
        e.rbac().cmdlets_for("helpdesk"),
        vec!["Get-User", "Set-CASMailbox"]
    );
    let r = e.invoke_as(
        "recipientadmin",
        "Set-User",
        &[n("Identity", "Administrator"), n("Title", "Admin")],
    );
    ok(&r);
    let r = e.invoke_as(
        "Administrator",
        "Add-MailboxPermission",
        &[
            n("Identity", "Administrator"),
            n("User", "recipientadmin"),
            n("AccessRights", "FullAccess"),
        ],
    );
    // recipientadmin is an account, not a directory user: no such principal.
    assert_eq!(
        r.errors[0].message,
        "User or group \"recipientadmin\" wasn't found. Please make sure you've typed it correctly."
    );
    let r = e.invoke_as("nobody", "Get-Mailbox", &[]);
    assert!(r.failed);
    let r = e.invoke("Get-OrganizationConfig", &[]);
    assert_eq!(r.errors[0].target_name, "Get-OrganizationConfig");
}

#[test]
fn parameter_binding_errors() {
    let mut e = ex();
    let r = e.invoke("Get-Mailbox", &[n("Mailbox", "x")]);
    assert!(r.failed);
    let err = &r.errors[0];
    assert_eq!(
        err.exception_type,
        "System.Management.Automation.ParameterBindingException"
    );
    assert_eq!(
        err.message,
        "A parameter cannot be found that matches parameter name 'Mailbox'."
    );
    assert_eq!(
        err.fully_qualified_error_id,
        "NamedParameterNotFound,Get-Mailbox"
    );
    assert_eq!(
        err.category_message(),
        "InvalidArgument: (:) [Get-Mailbox], ParameterBindingException"
    );
    let r = e.invoke(
        "Set-CASMailbox",
        &[n("Identity", "Administrator"), n("OWAEnabled", "no")],
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "ParameterArgumentTransformationError,Set-CASMailbox"
    );
    assert_eq!(
        r.errors[0].reason,
        "ParameterBindingArgumentTransformationException"
    );
    let r = e.invoke("Enable-Mailbox", &[]);
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "MissingMandatoryParameter,Enable-Mailbox"
    );
    assert_eq!(
        r.errors[0].message,
        "Cannot process command because of one or more missing mandatory parameters: Identity."
    );
    let r = e.invoke(
        "Add-MailboxPermission",
        &[
            n("Identity", "Administrator"),
            n("User", "Administrator"),
            n("AccessRights", "Everything"),
        ],
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "ParameterArgumentValidationError,Add-MailboxPermission"
    );
    let r = e.invoke(
        "Get-Mailbox",
        &[
            BoundArg::positional("Administrator"),
            BoundArg::positional("extra"),
        ],
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "PositionalParameterNotFound,Get-Mailbox"
    );
    // Unambiguous prefix binds; ambiguous does not.
    let r = e.invoke("Get-Mailbox", &[n("Ident", "Administrator")]);
    assert_eq!(r.output.len(), 1);
    let r = e.invoke(
        "Set-Mailbox",
        &[n("Identity", "Administrator"), n("Max", "1MB")],
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "AmbiguousParameter,Set-Mailbox"
    );
    // SecureString parameters need a SecureString.
    let r = e.invoke(
        "New-Mailbox",
        &[
            n("Name", "P"),
            n("UserPrincipalName", "p@contoso.com"),
            n("Password", "plain"),
        ],
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "ParameterArgumentTransformationError,New-Mailbox"
    );
    // Common parameters are accepted.
    let r = e.invoke(
        "Get-Mailbox",
        &[
            n("Identity", "Administrator"),
            n("ErrorAction", "Stop"),
            BoundArg::switch("Verbose"),
            n("DomainController", "DC01.contoso.com"),
        ],
    );
    ok(&r);
    let r = e.invoke(
        "Get-Mailbox",
        &[
            n("Identity", "nobody"),
            n("ErrorAction", "SilentlyContinue"),
        ],
    );
    assert!(r.errors.is_empty());
    let r = e.invoke(
        "Get-Mailbox",
        &[n("Identity", "nobody"), n("ErrorAction", "Stop")],
    );
    assert!(r.failed);
}

#[test]
fn mailbox_lifecycle() {
    let mut e = ex();
    let plain = e
        .directory()
        .iter()
        .find(|r| r.kind.as_str() == "User")
        .expect("plain user")
        .clone();
    let sam = plain
        .account
        .as_ref()
        .expect("account")
        .sam_account_name
        .clone();
    let r = e.invoke(
        "Enable-Mailbox",
        &[n("Identity", sam.as_str()), n("Database", "DB02")],
    );
    let o = one(&r);
    assert_eq!(s(o, "RecipientTypeDetails"), "UserMailbox");
    assert_eq!(s(o, "Database"), "DB02");
    assert_eq!(s(o, "Alias"), sam);
    assert_eq!(
        s(o, "PrimarySmtpAddress").to_lowercase(),
        format!("{}@contoso.com", sam.to_lowercase())
    );
    let r = e.invoke("Enable-Mailbox", &[n("Identity", sam.as_str())]);
    let err = &r.errors[0];
    assert_eq!(
        err.exception_type,
        "Microsoft.Exchange.Management.Tasks.RecipientTaskException"
    );
    assert!(err.message.contains("is of type UserMailbox"));
    assert_eq!(err.category, 5);
    assert_eq!(err.target_type, "RecipientIdParameter");
    let r = e.invoke(
        "Enable-Mailbox",
        &[n("Identity", sam.as_str()), BoundArg::switch("Archive")],
    );
    let archive = one(&r)
        .property("ArchiveGuid")
        .and_then(PsValue::as_guid)
        .expect("archive guid");
    assert!(!archive.is_nil());
    let r = e.invoke(
        "Set-Mailbox",
        &[
            n("Identity", sam.as_str()),
            n("ProhibitSendQuota", "5GB"),
            n("UseDatabaseQuotaDefaults", false),
            n("CustomAttribute3", "cc-42"),
        ],
    );
    ok(&r);
    let o = mailbox(&mut e, &sam);
    assert_eq!(s(&o, "ProhibitSendQuota"), "5 GB (5,368,709,120 bytes)");
    assert_eq!(s(&o, "CustomAttribute3"), "cc-42");
    let r = e.invoke(
        "Set-Mailbox",
        &[n("Identity", sam.as_str()), n("CustomAttribute3", "cc-42")],
    );
    ok(&r);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].starts_with("The command completed successfully but no settings of '"));
    let r = e.invoke(
        "Disable-Mailbox",
        &[n("Identity", sam.as_str()), no_confirm()],
    );
    ok(&r);
    let r = e.invoke("Get-User", &[n("Identity", sam.as_str())]);
    assert_eq!(s(one(&r), "RecipientTypeDetails"), plain.kind.as_str());
    // New-Mailbox then Remove-Mailbox.
    let r = e.invoke(
        "New-Mailbox",
        &[
            BoundArg::positional("Zed Zulu"),
            n("UserPrincipalName", "zed@contoso.com"),
            BoundArg::secure("Password", "S3cret!"),
            n("OrganizationalUnit", "contoso.com/Corp/Sales"),
            n("FirstName", "Zed"),
            n("LastName", "Zulu"),
        ],
    );
    let o = one(&r);
    assert_eq!(s(o, "Identity"), "contoso.com/Corp/Sales/Zed Zulu");
    assert_eq!(s(o, "UserPrincipalName"), "zed@contoso.com");
    assert_eq!(s(o, "Alias"), "zed");
    let r = e.invoke(
        "New-Mailbox",
        &[
            n("Name", "Zed Zulu"),
            n("UserPrincipalName", "zed2@contoso.com"),
            BoundArg::secure("Password", "x"),
            n("OrganizationalUnit", "contoso.com/Corp/Sales"),
        ],
    );
    assert_eq!(
        r.errors[0].exception_type,
        "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"
    );
    let r = e.invoke(
        "New-Mailbox",
        &[
            n("Name", "Lost"),
            n("UserPrincipalName", "lost@contoso.com"),
            BoundArg::secure("Password", "x"),
            n("OrganizationalUnit", "contoso.com/Nowhere"),
        ],
    );
    assert_eq!(
        r.errors[0].message,
        "The operation couldn't be performed because object 'contoso.com/Nowhere' couldn't be found on 'DC01.contoso.com'."
    );
    let r = e.invoke(
        "New-Mailbox",
        &[
            n("Name", "Dn Ou"),
            n("UserPrincipalName", "dnou@contoso.com"),
            BoundArg::secure("Password", "x"),
            n("OrganizationalUnit", "OU=Sales,OU=Corp,DC=contoso,DC=com"),
        ],
    );
    assert_eq!(s(one(&r), "OrganizationalUnit"), "contoso.com/Corp/Sales");
    let plain_sam = e
        .directory()
        .iter()
        .filter(|r| r.kind.as_str() == "User")
        .nth(1)
        .and_then(|r| r.account.as_ref())
        .expect("second plain user")
        .sam_account_name
        .clone();
    let r = e.invoke("Get-Recipient", &[n("Identity", plain_sam.as_str())]);
    assert_eq!(r.errors[0].reason, "ManagementObjectNotFoundException");
    let r = e.invoke(
        "Get-Recipient",
        &[
            n("Identity", plain_sam.as_str()),
            n("RecipientType", "User"),
        ],
    );
    assert_eq!(s(one(&r), "RecipientTypeDetails"), "User");
    let r = e.invoke(
        "New-Mailbox",
        &[n("Name", "Shared Desk"), BoundArg::switch("Shared")],
    );
    assert_eq!(s(one(&r), "RecipientTypeDetails"), "SharedMailbox");
    let r = e.invoke("Remove-Mailbox", &[n("Identity", "zed@contoso.com")]);
    assert!(r.needs_confirmation.is_some());
    let r = e.invoke(
        "Remove-Mailbox",
        &[n("Identity", "zed@contoso.com"), no_confirm()],
    );
    ok(&r);
    assert!(e.directory().resolve("zed@contoso.com").is_empty());
}

#[test]
fn proxy_addresses_multivalued_and_conflicts() {
    let mut e = ex();
    let r = e.invoke(
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n(
                "EmailAddresses",
                hashtable(&["admin@contoso.com", "X500:/o=Old/cn=admin"], &[]),
            ),
        ],
    );
    ok(&r);
    let o = mailbox(&mut e, "Administrator");
    assert_eq!(
        strs(&o, "EmailAddresses"),
        vec![
            "SMTP:Administrator@contoso.com",
            "smtp:admin@contoso.com",
            "X500:/o=Old/cn=admin"
        ]
    );
    let r = e.invoke("Get-Recipient", &[n("Identity", "admin@contoso.com")]);
    assert_eq!(
        one(&r).to_string.as_deref(),
        Some("contoso.com/Users/Administrator")
    );
    let r = e.invoke(
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n(
                "EmailAddresses",
                hashtable(&["SMTP:boss@contoso.com"], &["smtp:admin@contoso.com"]),
            ),
        ],
    );
    ok(&r);
    let o = mailbox(&mut e, "Administrator");
    assert_eq!(s(&o, "PrimarySmtpAddress"), "boss@contoso.com");
    assert_eq!(
        strs(&o, "EmailAddresses"),
        vec![
            "SMTP:boss@contoso.com",
            "smtp:Administrator@contoso.com",
            "X500:/o=Old/cn=admin"
        ]
    );
    // Someone else's address.
    let other = e
        .directory()
        .iter()
        .find(|r| r.kind.as_str() == "UserMailbox" && r.name != "Administrator")
        .expect("mailbox")
        .clone();
    let addr = other
        .mail
        .as_ref()
        .and_then(|m| m.primary_smtp())
        .expect("primary")
        .to_owned();
    let r = e.invoke(
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n("EmailAddresses", hashtable(&[addr.as_str()], &[])),
        ],
    );
    let err = &r.errors[0];
    assert_eq!(
        err.exception_type,
        "Microsoft.Exchange.Configuration.ObjectModel.ProxyAddressExistsException"
    );
    assert_eq!(
        err.message,
        format!(
            "The proxy address \"smtp:{addr}\" is already being used by the proxy addresses or LegacyExchangeDN of \"{}\". Please choose another proxy address.",
            e.directory().canonical_name(&other)
        )
    );
    assert_eq!(err.category, 1000);
    assert_eq!(err.target_type, "ADObjectId");
    assert_eq!(err.target_name, "contoso.com/Users/Administrator");
    let r = e.invoke(
        "New-MailContact",
        &[
            n("Name", "Dup"),
            n("ExternalEmailAddress", "dup@fabrikam.example"),
            n("PrimarySmtpAddress", addr.as_str()),
        ],
    );
    assert_eq!(r.errors[0].reason, "ProxyAddressExistsException");
    // A new alias under the policy becomes the primary address; the old one stays.
    ok(&e.invoke(
        "Set-Mailbox",
        &[n("Identity", "Administrator"), n("Alias", "chief")],
    ));
    let o = mailbox(&mut e, "Administrator");
    assert_eq!(s(&o, "PrimarySmtpAddress"), "chief@contoso.com");
    assert!(strs(&o, "EmailAddresses").contains(&"smtp:boss@contoso.com".to_owned()));
    let r = e.invoke(
        "Set-Mailbox",
        &[n("Identity", "Administrator"), n("Alias", "bad alias")],
    );
    assert_eq!(r.errors[0].reason, "RecipientTaskException");
    // Replace list and extension attributes.
    let r = e.invoke(
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n("ExtensionCustomAttribute1", list(&["a", "b"])),
        ],
    );
    ok(&r);
    let r = e.invoke(
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n("ExtensionCustomAttribute1", hashtable(&["c"], &["a"])),
        ],
    );
    ok(&r);
    assert_eq!(
        strs(
            &mailbox(&mut e, "Administrator"),
            "ExtensionCustomAttribute1"
        ),
        vec!["b", "c"]
    );
    // A new mailbox whose alias address is taken gets alias2@.
    let r = e.invoke(
        "New-Mailbox",
        &[
            n("Name", "Second Admin"),
            n("Alias", "Administrator"),
            n("SamAccountName", "admin2"),
            n("UserPrincipalName", "admin2@contoso.com"),
            BoundArg::secure("Password", "x"),
        ],
    );
    assert_eq!(
        s(one(&r), "PrimarySmtpAddress"),
        "Administrator2@contoso.com"
    );
}

#[test]
fn long_names_sharing_twenty_characters_get_distinct_account_names() {
    let mut e = ex();
    let mut sams = Vec::new();
    for name in [
        "c-example-group-18204",
        "c-example-group-18209",
        "c-example-group-18207",
    ] {
        let r = e.invoke("New-DistributionGroup", &[n("Name", name)]);
        ok(&r);
        sams.push(s(one(&r), "SamAccountName").to_owned());
    }
    // Exchange cuts a generated sAMAccountName to 20 characters and numbers the ones
    // that would collide.
    assert_eq!(
        sams,
        [
            "c-example-group-1820",
            "c-example-group-1821",
            "c-example-group-1822"
        ]
    );
    let r = e.invoke(
        "New-Mailbox",
        &[
            n("Name", "c-example-group-18205"),
            n("Alias", "c-example-group-18205"),
            n("UserPrincipalName", "cg18205@contoso.com"),
            BoundArg::secure("Password", "x"),
        ],
    );
    ok(&r);
    let r = e.invoke("Get-User", &[n("Identity", "c-example-group-18205")]);
    assert_eq!(s(one(&r), "SamAccountName"), "c-example-group-1823");
}

#[test]
fn distribution_groups_and_members() {
    let mut e = ex();
    let r = e.invoke(
        "New-DistributionGroup",
        &[
            n("Name", "Project X"),
            n("Type", "Security"),
            n("Members", list(&["Administrator"])),
        ],
    );
    let g = one(&r);
    assert_eq!(s(g, "RecipientTypeDetails"), "MailUniversalSecurityGroup");
    assert_eq!(s(g, "GroupType"), "Universal, SecurityEnabled");
    assert_eq!(s(g, "PrimarySmtpAddress"), "ProjectX@contoso.com");
    let contact = e
        .directory()
        .iter()
        .find(|r| r.kind.as_str() == "MailContact")
        .expect("contact")
        .name
        .clone();
    let r = e.invoke(
        "Add-DistributionGroupMember",
        &[n("Identity", "Project X"), n("Member", contact.as_str())],
    );
    ok(&r);
    let r = e.invoke(
        "Add-DistributionGroupMember",
        &[n("Identity", "Project X"), n("Member", contact.as_str())],
    );
    let err = &r.errors[0];
    assert_eq!(
        err.exception_type,
        "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException"
    );
    assert_eq!(
        err.message,
        format!(
            "The recipient \"contoso.com/Contacts/{contact}\" is already a member of the group \"contoso.com/Users/Project X\"."
        )
    );
    assert_eq!(err.target_type, "ADContact");
    assert!(
        err.category_message()
            .starts_with("NotSpecified: (contoso.com/Con...")
    );
    assert!(
        err.category_message()
            .ends_with(":ADContact) [Add-DistributionGroupMember], MemberAlreadyExistsException")
    );
    let r = e.invoke("Get-DistributionGroupMember", &[n("Identity", "Project X")]);
    ok(&r);
    let names: Vec<_> = r
        .output
        .iter()
        .map(|o| {
            o.property("Name")
                .and_then(PsValue::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(names, vec!["Administrator".to_owned(), contact.clone()]);
    assert!(r.output[0].as_object().is_some_and(|o| {
        o.is_type("Microsoft.Exchange.Data.Directory.Management.ReducedRecipient")
    }));
    let r = e.invoke(
        "Remove-DistributionGroupMember",
        &[n("Identity", "Project X"), n("Member", contact.as_str())],
    );
    assert!(r.needs_confirmation.is_some());
    let r = e.invoke(
        "Remove-DistributionGroupMember",
        &[
            n("Identity", "Project X"),
            n("Member", contact.as_str()),
            no_confirm(),
        ],
    );
    ok(&r);
    let r = e.invoke(
        "Remove-DistributionGroupMember",
        &[
            n("Identity", "Project X"),
            n("Member", contact.as_str()),
            no_confirm(),
        ],
    );
    assert_eq!(r.errors[0].reason, "MemberNotFoundException");
    assert_eq!(r.errors[0].category, 6);
    let r = e.invoke(
        "Add-DistributionGroupMember",
        &[n("Identity", "Project X"), n("Member", "no such person")],
    );
    assert_eq!(
        r.errors[0].message,
        "Couldn't find object \"no such person\". Please make sure that it was spelled correctly or specify a different object."
    );
    let r = e.invoke("Get-DistributionGroup", &[n("Identity", "Project X")]);
    assert_eq!(one(&r).to_string.as_deref(), Some("Project X"));
}

#[test]
fn mailbox_permissions() {
    let mut e = ex();
    let other = e
        .directory()
        .iter()
        .find(|r| r.kind.as_str() == "UserMailbox" && r.name != "Administrator")
        .expect("mailbox")
        .clone();
    let sam = other
        .account
        .as_ref()
        .expect("account")
        .sam_account_name
        .clone();
    let r = e.invoke(
        "Add-MailboxPermission",
        &[
            n("Identity", "Administrator"),
            n("User", sam.as_str()),
            n("AccessRights", list(&["ReadPermission", "FullAccess"])),
            n("InheritanceType", "All"),
        ],
    );
    let ace = one(&r);
    assert_eq!(
        strs(ace, "AccessRights"),
        vec!["FullAccess", "ReadPermission"]
    );
    assert_eq!(s(ace, "User"), format!("CONTOSO\\{sam}"));
    assert_eq!(s(ace, "Identity"), "contoso.com/Users/Administrator");
    assert_eq!(ace.property("IsInherited"), Some(&PsValue::Bool(false)));
    assert_eq!(
        ace.property("Deny").and_then(|d| d.property("IsPresent")),
        Some(&PsValue::Bool(false))
    );
    let r = e.invoke("Get-MailboxPermission", &[n("Identity", "Administrator")]);
    ok(&r);
    let users: Vec<_> = r
        .output
        .iter()
        .map(|o| {
            o.property("User")
                .and_then(PsValue::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(users[0], "NT AUTHORITY\\SELF");
    assert_eq!(users[1], format!("CONTOSO\\{sam}"));
    assert!(users.contains(&"CONTOSO\\Exchange Trusted Subsystem".to_owned()));
    let r = e.invoke(
        "Get-MailboxPermission",
        &[n("Identity", "Administrator"), n("User", sam.as_str())],
    );
    assert_eq!(r.output.len(), 1);
    let args = [
        n("Identity", "Administrator"),
        n("User", sam.as_str()),
        n("AccessRights", "FullAccess"),
    ];
    let r = e.invoke("Remove-MailboxPermission", &args);
    assert!(r.needs_confirmation.is_some());
    let mut with = args.to_vec();
    with.push(no_confirm());
    ok(&e.invoke("Remove-MailboxPermission", &with));
    let r = e.invoke(
        "Get-MailboxPermission",
        &[n("Identity", "Administrator"), n("User", sam.as_str())],
    );
    assert_eq!(strs(one(&r), "AccessRights"), vec!["ReadPermission"]);
    let r = e.invoke("Remove-MailboxPermission", &with);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].starts_with("Can't remove the access control entry on the object \"CN=Administrator,CN=Users,DC=contoso,DC=com\""));
    let r = e.invoke(
        "Remove-MailboxPermission",
        &[n("Identity", "Administrator"), no_confirm()],
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "MissingMandatoryParameter,Remove-MailboxPermission"
    );
    ok(&e.invoke(
        "Remove-MailboxPermission",
        &[
            n("Identity", "Administrator"),
            BoundArg::switch("ResetDefault"),
            no_confirm(),
        ],
    ));
    let r = e.invoke(
        "Get-MailboxPermission",
        &[n("Identity", "Administrator"), n("User", sam.as_str())],
    );
    assert!(r.output.is_empty());
    let r = e.invoke(
        "New-Mailbox",
        &[
            n("Name", "Both"),
            BoundArg::switch("Shared"),
            BoundArg::switch("Room"),
        ],
    );
    assert_eq!(
        r.errors[0].fully_qualified_error_id,
        "AmbiguousParameterSet,New-Mailbox"
    );
}

#[test]
fn cas_mailbox_settings() {
    let mut e = ex();
    let r = e.invoke("Get-CASMailbox", &[n("Identity", "Administrator")]);
    let o = one(&r);
    assert_eq!(
        o.to_string.as_deref(),
        Some("contoso.com/Users/Administrator")
    );
    assert_eq!(o.property("OWAEnabled"), Some(&PsValue::Bool(true)));
    assert!(o.property("EwsEnabled").is_some_and(PsValue::is_nil));
    let r = e.invoke(
        "Set-CASMailbox",
        &[
            n("Identity", "Administrator"),
            n("OWAEnabled", false),
            n("EwsEnabled", true),
            n(
                "ActiveSyncAllowedDeviceIDs",
                hashtable(&["dev1", "dev2"], &[]),
            ),
        ],
    );
    ok(&r);
    let r = e.invoke(
        "Get-CASMailbox",
        &[
            n("Identity", "Administrator"),
            BoundArg::switch("ProtocolSettings"),
        ],
    );
    let o = one(&r);
    assert_eq!(o.property("OWAEnabled"), Some(&PsValue::Bool(false)));
    assert_eq!(o.property("EwsEnabled"), Some(&PsValue::Bool(true)));
    assert_eq!(strs(o, "ActiveSyncAllowedDeviceIDs"), vec!["dev1", "dev2"]);
    assert_eq!(s(o, "ExternalImapSettings"), "ex01.contoso.com:993:SSL");
}

#[test]
fn remote_mailboxes_and_mail_users() {
    let mut e = ex();
    let users: Vec<String> = e
        .directory()
        .iter()
        .filter(|r| r.kind.as_str() == "User")
        .take(2)
        .map(|r| {
            r.account
                .as_ref()
                .map(|a| a.sam_account_name.clone())
                .unwrap_or_default()
        })
        .collect();
    let r = e.invoke("Enable-RemoteMailbox", &[n("Identity", users[0].as_str())]);
    let o = one(&r);
    assert!(o.is_type("Microsoft.Exchange.Data.Directory.Management.RemoteMailbox"));
    assert_eq!(s(o, "RecipientTypeDetails"), "RemoteUserMailbox");
    assert_eq!(s(o, "RecipientType"), "MailUser");
    assert_eq!(
        s(o, "RemoteRoutingAddress"),
        format!("SMTP:{}@contoso.mail.onmicrosoft.com", users[0])
    );
    assert_eq!(s(o, "RemoteRecipientType"), "ProvisionMailbox");
    let guid = "0f0e0d0c-0b0a-4908-8706-050403020100";
    ok(&e.invoke(
        "Set-RemoteMailbox",
        &[
            n("Identity", users[0].as_str()),
            n("ExchangeGuid", guid),
            n("Type", "Shared"),
        ],
    ));
    let r = e.invoke("Get-RemoteMailbox", &[n("Identity", users[0].as_str())]);
    let o = one(&r);
    assert_eq!(
        o.property("ExchangeGuid")
            .and_then(PsValue::as_guid)
            .map(|g| g.to_string())
            .as_deref(),
        Some(guid)
    );
    assert_eq!(s(o, "RecipientTypeDetails"), "RemoteSharedMailbox");
    assert!(
        e.invoke("Disable-RemoteMailbox", &[n("Identity", users[0].as_str())])
            .needs_confirmation
            .is_some()
    );
    ok(&e.invoke(
        "Disable-RemoteMailbox",
        &[n("Identity", users[0].as_str()), no_confirm()],
    ));
    assert_eq!(
        e.invoke("Get-RemoteMailbox", &[n("Identity", users[0].as_str())])
            .errors
            .len(),
        1
    );
    let r = e.invoke(
        "Enable-MailUser",
        &[
            n("Identity", users[1].as_str()),
            n("ExternalEmailAddress", "guest@fabrikam.example"),
        ],
    );
    let o = one(&r);
    assert_eq!(s(o, "ExternalEmailAddress"), "SMTP:guest@fabrikam.example");
    assert_eq!(s(o, "RecipientTypeDetails"), "MailUser");
    let r = e.invoke(
        "Enable-MailUser",
        &[
            n("Identity", users[1].as_str()),
            n("ExternalEmailAddress", "guest@fabrikam.example"),
        ],
    );
    assert_eq!(r.errors[0].reason, "RecipientTaskException");
    let r = e.invoke("Get-MailUser", &[n("Identity", users[1].as_str())]);
    assert!(one(&r).is_type("Microsoft.Exchange.Data.Directory.Management.MailUser"));
    assert!(
        e.invoke("Disable-MailUser", &[n("Identity", users[1].as_str())])
            .needs_confirmation
            .is_some()
    );
    ok(&e.invoke(
        "Disable-MailUser",
        &[n("Identity", users[1].as_str()), no_confirm()],
    ));
    let r = e.invoke("Get-User", &[n("Identity", users[1].as_str())]);
    assert_eq!(s(one(&r), "RecipientTypeDetails"), "User");
}

#[test]
fn users_contacts_databases_and_session_settings() {
    let mut e = ex();
    ok(&e.invoke(
        "Set-User",
        &[
            n("Identity", "Administrator"),
            n("Department", "IT"),
            n("Title", "Admin"),
            n("City", "Seattle"),
        ],
    ));
    let r = e.invoke("Get-User", &[n("Identity", "Administrator")]);
    let o = one(&r);
    assert_eq!(s(o, "Department"), "IT");
    assert_eq!(
        o.to_string.as_deref(),
        Some("contoso.com/Users/Administrator")
    );
    assert_eq!(s(o, "UserAccountControl"), "NormalAccount");
    let r = e.invoke(
        "Get-User",
        &[n("Filter", "Department -eq 'IT' -and Title -like 'Adm*'")],
    );
    ok(&r);
    assert_eq!(r.output.len(), 1);
    let r = e.invoke(
        "Set-MailContact",
        &[n("Identity", "*(*"), n("CustomAttribute1", "x")],
    );
    assert_eq!(r.errors[0].reason, "ManagementObjectAmbiguousException");
    let contact = e
        .directory()
        .iter()
        .find(|r| r.kind.as_str() == "MailContact")
        .expect("contact")
        .name
        .clone();
    ok(&e.invoke(
        "Set-MailContact",
        &[
            n("Identity", contact.as_str()),
            n("CustomAttribute1", "x"),
            n("ExternalEmailAddress", "new@adatum.example"),
        ],
    ));
    let r = e.invoke("Get-MailContact", &[n("Identity", contact.as_str())]);
    assert_eq!(s(one(&r), "CustomAttribute1"), "x");
    assert_eq!(
        s(one(&r), "ExternalEmailAddress"),
        "SMTP:new@adatum.example"
    );
    let r = e.invoke("Get-MailContact", &[n("ResultSize", 3)]);
    assert_eq!(r.output.len(), 3);
    let r = e.invoke("Get-MailboxDatabase", &[]);
    ok(&r);
    assert_eq!(r.output.len(), 2);
    let db = r.output[0].as_object().expect("db");
    assert_eq!(db.to_string.as_deref(), Some("DB01"));
    assert!(db.property("Mounted").is_some_and(PsValue::is_nil));
    let r = e.invoke(
        "Get-MailboxDatabase",
        &[n("Identity", "DB02"), BoundArg::switch("Status")],
    );
    assert_eq!(one(&r).property("Mounted"), Some(&PsValue::Bool(true)));
    let r = e.invoke("Get-MailboxDatabase", &[n("Identity", "DB99")]);
    assert_eq!(
        r.errors[0].message,
        "Couldn't find database \"DB99\". Make sure you have typed it correctly."
    );
    let mut session = Session::default();
    ok(&e.invoke_in(
        &mut session,
        "Set-ADServerSettings",
        &[n("RecipientViewRoot", "contoso.com/Corp/Sales")],
        InvokeOptions::default(),
    ));
    let r = e.invoke_in(
        &mut session,
        "Get-Mailbox",
        &[n("ResultSize", "Unlimited")],
        InvokeOptions::default(),
    );
    ok(&r);
    assert!(!r.output.is_empty());
    assert!(r.output.iter().all(
        |o| o.property("OrganizationalUnit").and_then(PsValue::as_str)
            == Some("contoso.com/Corp/Sales")
    ));
    ok(&e.invoke(
        "Set-Mailbox",
        &[
            n("Identity", "Administrator"),
            n("EmailAddresses", list(&["SMTP:root@contoso.com"])),
        ],
    ));
    assert_eq!(
        strs(&mailbox(&mut e, "Administrator"), "EmailAddresses"),
        vec!["SMTP:root@contoso.com"]
    );
    ok(&e.invoke("Update-Recipient", &[n("Identity", "Administrator")]));
    let o = mailbox(&mut e, "Administrator");
    assert_eq!(
        strs(&o, "EmailAddresses"),
        vec!["SMTP:Administrator@contoso.com", "smtp:root@contoso.com"]
    );
    assert_eq!(s(&o, "PrimarySmtpAddress"), "Administrator@contoso.com");
    let r = e.invoke(
        "Get-Recipient",
        &[n("RecipientType", "User"), n("ResultSize", "Unlimited")],
    );
    ok(&r);
    assert!(
        r.output
            .iter()
            .all(|o| o.property("RecipientType").and_then(PsValue::as_str) == Some("User"))
    );
}

#[test]
fn seed_round_trip() {
    let e = ex();
    let json = e.to_seed_json().expect("dump");
    let back = Exchange::from_seed_json(&json).expect("reload");
    let a: Vec<_> = e.directory().iter().cloned().collect();
    let b: Vec<_> = back.directory().iter().cloned().collect();
    assert_eq!(a, b);
    assert_eq!(e.rbac(), back.rbac());
    assert!(Exchange::from_seed_json("{\"recipients\": [{\"type\": \"Nope\"}]}").is_err());
    let bad = r#"{"accounts":[{"user":"x","password":"y","role_groups":["Nope"]}]}"#;
    assert!(Exchange::from_seed_json(bad).is_err());
}

#[test]
fn generate_scales() {
    let d = mx_sim::exchange::Directory::generate(20_000, 42);
    assert_eq!(d.len(), 20_001);
    let again = mx_sim::exchange::Directory::generate(20_000, 42);
    assert_eq!(d.iter().nth(500), again.iter().nth(500));
    let mailboxes = d.iter().filter(|r| r.kind.is_mailbox()).count();
    assert!(mailboxes > 12_000, "{mailboxes}");
    assert!(
        d.iter()
            .any(|r| r.kind.is_group() && r.group.as_ref().is_some_and(|g| !g.members.is_empty()))
    );
}

#[test]
fn error_record_object_shape() {
    let mut e = ex();
    let r = e.invoke("Get-Mailbox", &[n("Identity", "nobody")]);
    let rec = mx_sim::exchange::render::error_record(&r.errors[0]);
    let o = rec.as_object().expect("object");
    assert!(o.is_type("System.Management.Automation.ErrorRecord"));
    let names: Vec<_> = o.extended.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Exception",
            "TargetObject",
            "FullyQualifiedErrorId",
            "InvocationInfo",
            "ErrorCategory_Category",
            "ErrorCategory_Activity",
            "ErrorCategory_Reason",
            "ErrorCategory_TargetName",
            "ErrorCategory_TargetType",
            "ErrorCategory_Message",
            "SerializeExtendedInfo"
        ]
    );
    let ex = o
        .property("Exception")
        .and_then(PsValue::as_object)
        .expect("exception");
    let tn = ex.type_names.as_deref().expect("tn");
    assert_eq!(
        tn,
        &[
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            "Microsoft.Exchange.Data.Common.LocalizedException",
            "System.Exception",
            "System.Object"
        ]
    );
    assert_eq!(
        ex.property("Message").and_then(PsValue::as_str),
        Some(r.errors[0].message.as_str())
    );
    assert_eq!(
        o.property("ErrorCategory_Category"),
        Some(&PsValue::I32(1003))
    );
    assert_eq!(
        o.property("SerializeExtendedInfo"),
        Some(&PsValue::Bool(false))
    );
}

/// Run with `cargo test --release -p monosync-exchange-sim -- --ignored` on an idle machine:
/// wall-clock limits flake on shared CI runners.
#[test]
#[ignore = "timing test: release build on an idle machine"]
fn generate_100k_under_two_seconds() {
    let t = std::time::Instant::now();
    let d = mx_sim::exchange::Directory::generate(100_000, 1);
    let elapsed = t.elapsed();
    assert_eq!(d.len(), 100_001);
    assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    let mut e = Exchange::new(d);
    let t = std::time::Instant::now();
    let r = e.invoke("Get-Mailbox", &[n("Identity", "Administrator")]);
    assert_eq!(r.output.len(), 1);
    assert!(
        t.elapsed() < std::time::Duration::from_millis(50),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn sort_exchange_guid_and_switch_objects() {
    let mut e = ex();
    let r = e.invoke(
        "Get-Mailbox",
        &[n("SortBy", "DisplayName"), n("ResultSize", 20)],
    );
    let names: Vec<String> = r
        .output
        .iter()
        .map(|o| {
            o.property("DisplayName")
                .and_then(PsValue::as_str)
                .unwrap_or_default()
                .to_lowercase()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let o = mailbox(&mut e, "Administrator");
    let eg = o
        .property("ExchangeGuid")
        .and_then(PsValue::as_guid)
        .expect("exchange guid");
    let r = e.invoke("Get-Mailbox", &[n("Identity", eg.to_string().as_str())]);
    assert_eq!(s(one(&r), "Name"), "Administrator");
    // A pipelined (deserialized) object binds through its Guid; a SwitchParameter object binds.
    let r = e.invoke(
        "Get-CASMailbox",
        &[BoundArg::positional(PsValue::object(o.clone()))],
    );
    assert_eq!(s(one(&r), "Name"), "Administrator");
    let switch = PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "System.Management.Automation.SwitchParameter".to_owned(),
        ])),
        adapted: vec![monosync_exchange::clixml::Property::new("IsPresent", false)],
        ..PsObject::default()
    });
    let r = e.invoke(
        "Remove-MailContact",
        &[n("Identity", "nobody"), n("Confirm", switch)],
    );
    assert_eq!(r.errors[0].reason, "ManagementObjectNotFoundException");
}

#[test]
fn shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Exchange>();
    assert_send_sync::<mx_sim::exchange::Directory>();
    assert_send_sync::<CmdletResult>();
}

#[test]
fn pipelines_feed_objects_to_identity() {
    use mx_sim::exchange::Command;
    let mut e = ex();
    let mut session = Session::default();
    let r = e.invoke_pipeline_in(
        &mut session,
        &[
            Command::new(
                "Get-Mailbox",
                vec![n("Database", "DB02"), n("ResultSize", 3)],
            ),
            Command::new("Set-Mailbox", vec![n("Office", "HQ")]),
        ],
        None,
        InvokeOptions::default(),
    );
    ok(&r);
    assert!(r.output.is_empty());
    let r = e.invoke(
        "Get-Mailbox",
        &[n("Filter", "Office -eq 'HQ'"), n("ResultSize", "Unlimited")],
    );
    assert_eq!(r.output.len(), 3);
    // A High-impact stage asks first and changes nothing.
    let r = e.invoke_pipeline_in(
        &mut session,
        &[
            Command::new("Get-MailContact", vec![n("ResultSize", 2)]),
            Command::new("Remove-MailContact", vec![]),
        ],
        None,
        InvokeOptions::default(),
    );
    assert!(r.needs_confirmation.is_some());
    let before = e.directory().len();
    let r = e.invoke_pipeline_in(
        &mut session,
        &[
            Command::new("Get-MailContact", vec![n("ResultSize", 2)]),
            Command::new("Remove-MailContact", vec![]),
        ],
        None,
        InvokeOptions { confirmed: true },
    );
    ok(&r);
    assert_eq!(e.directory().len(), before - 2);
    // Client input objects.
    let r = e.invoke_pipeline_in(
        &mut session,
        &[Command::new("Get-User", vec![])],
        Some(vec![PsValue::from("Administrator")]),
        InvokeOptions::default(),
    );
    assert_eq!(s(one(&r), "Name"), "Administrator");
}

#[test]
fn odd_input_gives_errors_not_panics() {
    let mut e = ex();
    let values = [
        PsValue::Nil,
        PsValue::from(""),
        PsValue::from("*"),
        PsValue::from("{not-a-guid}"),
        PsValue::I64(-1),
        PsValue::Bool(true),
        list(&["a", "b"]),
        hashtable(&["x"], &["y"]),
        PsValue::Double(1.5),
    ];
    for cmdlet in mx_sim::exchange::cmdlets::names() {
        for v in &values {
            for args in [
                vec![BoundArg::positional(v.clone()), no_confirm()],
                vec![n("Identity", v.clone()), no_confirm()],
                vec![n("ResultSize", v.clone())],
                vec![n("Filter", v.clone())],
                vec![
                    n("EmailAddresses", v.clone()),
                    n("Identity", "Administrator"),
                ],
            ] {
                let r = e.invoke(cmdlet, &args);
                if r.failed {
                    assert!(
                        !r.errors.is_empty(),
                        "{cmdlet}: a failed pipeline carries its error"
                    );
                }
                assert!(
                    r.needs_confirmation.is_none() || r.output.is_empty(),
                    "{cmdlet}: nothing is written before the answer"
                );
            }
        }
    }
    // The directory is still consistent: every mailbox resolves by its own GUID.
    for r in e.directory().iter() {
        assert_eq!(e.directory().resolve(&r.guid.to_string()), vec![r.guid]);
    }
}

#[test]
fn streaming_output() {
    let mut e = ex();
    let mut names = Vec::new();
    let mut session = Session::default();
    let r = e.invoke_streaming(
        &mut session,
        "Get-Mailbox",
        &[n("ResultSize", 4)],
        InvokeOptions::default(),
        &mut |v| {
            names.push(
                v.property("Name")
                    .and_then(PsValue::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            )
        },
    );
    assert!(r.output.is_empty());
    assert_eq!(names.len(), 4);
    assert_eq!(names[0], "Administrator");
    assert_eq!(r.warnings.len(), 1);
}
