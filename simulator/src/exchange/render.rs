//! Directory records to the objects Exchange's remote PowerShell sends: type-name chains without
//! `Deserialized.`, adapted properties in wire order, depth-1 values (`ToString()` of complex
//! values, `LST` of strings for collections). The shapes and orders follow a real Exchange 2016
//! CU23 Get-Mailbox output and the class declarations of the presentation objects.

use std::sync::{Arc, LazyLock};

use monosync_exchange::clixml::{Container, Property, PsObject, PsValue};
use uuid::Uuid;

use super::directory::{Directory, stable_guid};
use super::errors::SimErrorRecord;
use super::recipient::{AdClass, Database, MailboxAce, Recipient, RecipientTypeDetails};
use super::throttling::{ThrottlingPolicy, unlimited_text};
use super::time;

type Tn = Arc<[String]>;

fn tn(names: &[&str]) -> Tn {
    names.iter().map(|s| (*s).to_owned()).collect()
}

const ED: &str = "Microsoft.Exchange.Data.Directory, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35";
const MSCORLIB: &str =
    "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089";

fn mvp(element: &str, assembly: &str) -> Tn {
    tn(&[
        &format!("Microsoft.Exchange.Data.MultiValuedProperty`1[[{element}, {assembly}]]"),
        "Microsoft.Exchange.Data.MultiValuedPropertyBase",
        "System.Object",
    ])
}

fn admvp(element: &str) -> Tn {
    tn(&[
        &format!("Microsoft.Exchange.Data.Directory.ADMultiValuedProperty`1[[{element}, {ED}]]"),
        &format!("Microsoft.Exchange.Data.MultiValuedProperty`1[[{element}, {ED}]]"),
        "Microsoft.Exchange.Data.MultiValuedPropertyBase",
        "System.Object",
    ])
}

static MVP_STRING: LazyLock<Tn> = LazyLock::new(|| mvp("System.String", MSCORLIB));
static MVP_GUID: LazyLock<Tn> = LazyLock::new(|| mvp("System.Guid", MSCORLIB));
static MVP_BYTES: LazyLock<Tn> = LazyLock::new(|| mvp("System.Byte[]", MSCORLIB));
static MVP_CULTURE: LazyLock<Tn> =
    LazyLock::new(|| mvp("System.Globalization.CultureInfo", MSCORLIB));
static ADMVP_ID: LazyLock<Tn> =
    LazyLock::new(|| admvp("Microsoft.Exchange.Data.Directory.ADObjectId"));
static ADMVP_CAPABILITY: LazyLock<Tn> =
    LazyLock::new(|| admvp("Microsoft.Exchange.Data.Directory.Capability"));
static ADMVP_AUDIT: LazyLock<Tn> =
    LazyLock::new(|| admvp("Microsoft.Exchange.Data.Directory.MailboxAuditOperations"));
static ADMVP_PROVISIONING: LazyLock<Tn> =
    LazyLock::new(|| admvp("Microsoft.Exchange.Data.Directory.MailboxProvisioningConstraint"));
static PROXY_COLLECTION: LazyLock<Tn> = LazyLock::new(|| {
    let pa = "Microsoft.Exchange.Data.ProxyAddress, Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35";
    tn(&[
        "Microsoft.Exchange.Data.ProxyAddressCollection",
        &format!("Microsoft.Exchange.Data.ProxyAddressBaseCollection`1[[{pa}]]"),
        &format!("Microsoft.Exchange.Data.MultiValuedProperty`1[[{pa}]]"),
        "Microsoft.Exchange.Data.MultiValuedPropertyBase",
        "System.Object",
    ])
});
static MAILBOX_LOCATIONS: LazyLock<Tn> = LazyLock::new(|| {
    tn(&[
        &format!(
            "System.Collections.Generic.List`1[[Microsoft.Exchange.Data.Directory.IMailboxLocationInfo, {ED}]]"
        ),
        "System.Object",
    ])
});
static CULTURE: LazyLock<Tn> =
    LazyLock::new(|| tn(&["System.Globalization.CultureInfo", "System.Object"]));
static MAILBOX_RIGHTS_ARRAY: LazyLock<Tn> = LazyLock::new(|| {
    tn(&[
        "Microsoft.Exchange.Management.RecipientTasks.MailboxRights[]",
        "System.Array",
        "System.Object",
    ])
});
static SWITCH: LazyLock<Tn> = LazyLock::new(|| {
    tn(&[
        "System.Management.Automation.SwitchParameter",
        "System.ValueType",
        "System.Object",
    ])
});

const M: &str = "Microsoft.Exchange.Data.Directory.Management.";
const TAIL: [&str; 4] = [
    "Microsoft.Exchange.Data.Directory.ADObject",
    "Microsoft.Exchange.Data.Directory.ADRawEntry",
    "Microsoft.Exchange.Data.ConfigurableObject",
    "System.Object",
];

fn chain(own: &[&str], tail: &[&str]) -> Tn {
    own.iter()
        .map(|s| format!("{M}{s}"))
        .chain(tail.iter().map(|s| (*s).to_owned()))
        .collect()
}

static TN_MAILBOX: LazyLock<Tn> = LazyLock::new(|| {
    chain(
        &[
            "Mailbox",
            "MailEnabledOrgPerson",
            "MailEnabledRecipient",
            "ADPresentationObject",
        ],
        &TAIL,
    )
});
static TN_MAILUSER: LazyLock<Tn> = LazyLock::new(|| {
    chain(
        &[
            "MailUser",
            "MailEnabledOrgPerson",
            "MailEnabledRecipient",
            "ADPresentationObject",
        ],
        &TAIL,
    )
});
static TN_REMOTE: LazyLock<Tn> = LazyLock::new(|| {
    chain(
        &[
            "RemoteMailbox",
            "MailUser",
            "MailEnabledOrgPerson",
            "MailEnabledRecipient",
            "ADPresentationObject",
        ],
        &TAIL,
    )
});
static TN_CONTACT: LazyLock<Tn> = LazyLock::new(|| {
    chain(
        &[
            "MailContact",
            "MailEnabledOrgPerson",
            "MailEnabledRecipient",
            "ADPresentationObject",
        ],
        &TAIL,
    )
});
static TN_GROUP: LazyLock<Tn> = LazyLock::new(|| {
    chain(
        &[
            "DistributionGroup",
            "DistributionGroupBase",
            "MailEnabledRecipient",
            "ADPresentationObject",
        ],
        &TAIL,
    )
});
static TN_USER: LazyLock<Tn> = LazyLock::new(|| {
    chain(
        &[
            "User",
            "OrgPersonPresentationObject",
            "ADPresentationObject",
        ],
        &TAIL,
    )
});
static TN_REDUCED: LazyLock<Tn> = LazyLock::new(|| chain(&["ReducedRecipient"], &TAIL));
static TN_CAS: LazyLock<Tn> =
    LazyLock::new(|| chain(&["CASMailbox", "ADPresentationObject"], &TAIL));
static TN_DATABASE: LazyLock<Tn> = LazyLock::new(|| {
    let sc = "Microsoft.Exchange.Data.Directory.SystemConfiguration.";
    [
        format!("{sc}MailboxDatabase"),
        format!("{sc}Database"),
        format!("{sc}ADLegacyVersionableObject"),
        format!("{sc}ADConfigurationObject"),
    ]
    .into_iter()
    .chain(TAIL.iter().map(|s| (*s).to_owned()))
    .collect()
});
static TN_ACE: LazyLock<Tn> = LazyLock::new(|| {
    tn(&[
        "Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject",
        "Microsoft.Exchange.Management.RecipientTasks.AcePresentationObject",
        "Microsoft.Exchange.Data.ConfigurableObject",
        "System.Object",
    ])
});

/// The email address policy's GUID (`PoliciesIncluded`).
pub fn default_policy_guid() -> Uuid {
    stable_guid("email address policy:Default Policy")
}

/// The GUID Exchange adds to `PoliciesIncluded` for the default policy.
const DEFAULT_POLICY_MARKER: &str = "{26491cfc-9e50-4857-861b-0cb8df22b5d7}";

/// `ByteQuantifiedSize.ToString()`: `30 GB (32,212,254,720 bytes)`.
pub fn byte_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 5] = [
        ("TB", 1 << 40),
        ("GB", 1 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
        ("B", 1),
    ];
    let (unit, size) = UNITS
        .iter()
        .copied()
        .find(|(_, s)| bytes >= *s)
        .unwrap_or(("B", 1));
    let value = if bytes.is_multiple_of(size) {
        (bytes / size).to_string()
    } else {
        #[allow(clippy::cast_precision_loss)]
        let v = bytes as f64 / size as f64;
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    format!("{value} {unit} ({} bytes)", thousands(bytes))
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `Unlimited<ByteQuantifiedSize>.ToString()`.
pub fn limit(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "Unlimited".to_owned(), byte_size)
}

/// `Unlimited<int>.ToString()`.
fn count_limit(n: Option<u64>) -> String {
    n.map_or_else(|| "Unlimited".to_owned(), |n| n.to_string())
}

/// The telephone-keypad digits of a name (`UMDtmfMap`).
fn dtmf(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let d = match c.to_ascii_lowercase() {
                'a'..='c' => '2',
                'd'..='f' => '3',
                'g'..='i' => '4',
                'j'..='l' => '5',
                'm'..='o' => '6',
                'p'..='s' => '7',
                't'..='v' => '8',
                'w'..='z' => '9',
                c if c.is_ascii_digit() => c,
                _ => return None,
            };
            Some(d)
        })
        .collect()
}

/// Property list under construction, in wire order.
struct Props(Vec<Property>);

impl Props {
    fn new() -> Self {
        Props(Vec::with_capacity(230))
    }
    fn v(&mut self, n: &str, v: PsValue) {
        self.0.push(Property::new(n, v));
    }
    fn s(&mut self, n: &str, v: impl Into<String>) {
        self.v(n, PsValue::String(v.into()));
    }
    fn nil(&mut self, n: &str) {
        self.v(n, PsValue::Nil);
    }
    fn os(&mut self, n: &str, v: Option<impl Into<String>>) {
        match v {
            Some(v) => self.s(n, v),
            None => self.nil(n),
        }
    }
    fn b(&mut self, n: &str, v: bool) {
        self.v(n, PsValue::Bool(v));
    }
    fn ob(&mut self, n: &str, v: Option<bool>) {
        self.v(n, v.map_or(PsValue::Nil, PsValue::Bool));
    }
    fn g(&mut self, n: &str, v: Uuid) {
        self.v(n, PsValue::Guid(v));
    }
    fn i(&mut self, n: &str, v: i32) {
        self.v(n, PsValue::I32(v));
    }
    fn list(&mut self, n: &str, names: &Tn, items: Vec<PsValue>) {
        self.v(n, list_value(names, items));
    }
    fn strs(&mut self, n: &str, names: &Tn, items: impl IntoIterator<Item = impl Into<String>>) {
        let items = items
            .into_iter()
            .map(|s| PsValue::String(s.into()))
            .collect();
        self.list(n, names, items);
    }
    fn empty(&mut self, n: &str, names: &Tn) {
        self.list(n, names, Vec::new());
    }
}

fn list_value(names: &Tn, items: Vec<PsValue>) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::clone(names)),
        content: Some(Container::List(items)),
        ..PsObject::default()
    })
}

fn object(names: &Tn, to_string: String, props: Props) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::clone(names)),
        to_string: Some(to_string),
        adapted: props.0,
        ..PsObject::default()
    })
}

fn culture_en_us() -> PsValue {
    let mut p = Props::new();
    p.i("LCID", 1033);
    p.s("Name", "en-US");
    p.s("DisplayName", "English (United States)");
    p.s("IetfLanguageTag", "en-US");
    p.s("ThreeLetterISOLanguageName", "eng");
    p.s("ThreeLetterWindowsLanguageName", "ENU");
    p.s("TwoLetterISOLanguageName", "en");
    object(&CULTURE, "en-US".into(), p)
}

static TN_THROTTLING_POLICY: LazyLock<Tn> = LazyLock::new(|| {
    tn(&[
        "Microsoft.Exchange.Data.Directory.SystemConfiguration.ThrottlingPolicy",
        "Microsoft.Exchange.Data.Directory.ADConfigurationObject",
        TAIL[0],
        TAIL[1],
        TAIL[2],
        TAIL[3],
    ])
});
static TN_THROTTLING_ASSOCIATION: LazyLock<Tn> = LazyLock::new(|| {
    chain(
        &["ThrottlingPolicyAssociation", "ADPresentationObject"],
        &TAIL,
    )
});

/// Renders directory objects; borrows the directory for names of linked objects.
pub struct Renderer<'a> {
    dir: &'a Directory,
}

impl<'a> Renderer<'a> {
    /// A renderer over `dir`.
    pub fn new(dir: &'a Directory) -> Self {
        Renderer { dir }
    }

    fn ids(&self, guids: &[Uuid]) -> Vec<String> {
        guids
            .iter()
            .filter_map(|g| self.dir.get(*g))
            .map(|r| self.dir.canonical_name(r))
            .collect()
    }

    fn id(&self, guid: Option<Uuid>) -> Option<String> {
        guid.and_then(|g| self.dir.get(g))
            .map(|r| self.dir.canonical_name(r))
    }

    fn db_name(&self, guid: Uuid) -> Option<String> {
        self.dir.database(guid).map(|d| d.name.clone())
    }

    fn server_legacy_dn(&self, server: &str) -> String {
        format!(
            "{}/cn=Configuration/cn=Servers/cn={}",
            self.dir.org().admin_group_dn(),
            server
        )
    }

    fn mailbox_server(&self, r: &Recipient) -> Option<String> {
        r.mailbox
            .as_ref()
            .and_then(|mb| self.dir.database(mb.database))
            .map(|d| d.server.clone())
    }

    fn exchange_version(r: &Recipient) -> &'static str {
        match r.kind.ad_class() {
            AdClass::User => "0.20 (15.0.0.0)",
            _ => "0.10 (14.0.100.0)",
        }
    }

    fn object_category(&self, r: &Recipient) -> String {
        let class = match r.kind.ad_class() {
            AdClass::Group => "Group",
            _ => "Person",
        };
        format!("{}/Configuration/Schema/{class}", self.dir.org().domain)
    }

    fn object_class(r: &Recipient) -> Vec<&'static str> {
        match r.kind.ad_class() {
            AdClass::User => vec!["top", "person", "organizationalPerson", "user"],
            AdClass::Contact => vec!["top", "person", "organizationalPerson", "contact"],
            AdClass::Group => vec!["top", "group"],
        }
    }

    fn address_lists(r: &Recipient) -> Vec<&'static str> {
        if r.mail
            .as_ref()
            .is_some_and(|m| m.hidden_from_address_lists_enabled)
        {
            return Vec::new();
        }
        match r.kind {
            k if k.is_mailbox() => vec![
                "\\Mailboxes(VLV)",
                "\\All Mailboxes(VLV)",
                "\\All Recipients(VLV)",
                "\\Default Global Address List",
                "\\All Users",
            ],
            RecipientTypeDetails::MailContact => vec![
                "\\All Contacts",
                "\\All Recipients(VLV)",
                "\\Default Global Address List",
            ],
            k if k.is_group() => vec![
                "\\All Groups",
                "\\All Distribution Lists",
                "\\All Recipients(VLV)",
                "\\Default Global Address List",
            ],
            k if k.is_plain_user() => Vec::new(),
            _ => vec![
                "\\All Users",
                "\\All Recipients(VLV)",
                "\\Default Global Address List",
            ],
        }
    }

    fn primary_smtp(r: &Recipient) -> String {
        r.mail
            .as_ref()
            .and_then(|m| m.primary_smtp())
            .unwrap_or_default()
            .to_owned()
    }

    fn windows_email(r: &Recipient) -> String {
        match r.mail.as_ref() {
            Some(m) if !m.windows_email_address.is_empty() => m.windows_email_address.clone(),
            _ => Self::primary_smtp(r),
        }
    }

    fn display(r: &Recipient) -> String {
        if r.display_name.is_empty() {
            r.name.clone()
        } else {
            r.display_name.clone()
        }
    }

    fn sam(r: &Recipient) -> String {
        r.account
            .as_ref()
            .map(|a| a.sam_account_name.clone())
            .or_else(|| r.group.as_ref().map(|g| g.sam_account_name.clone()))
            .unwrap_or_default()
    }

    /// [MEOP]: MailEnabledOrgPerson's own properties.
    fn meop(p: &mut Props) {
        p.empty("Extensions", &MVP_STRING);
        p.b("HasPicture", false);
        p.b("HasSpokenName", false);
        p.b("IsDirSynced", false);
    }

    /// [MER]: MailEnabledRecipient's 56 properties (55 without `OrganizationalUnit`).
    fn mer(&self, p: &mut Props, r: &Recipient, with_ou: bool) {
        let m = r.mail.clone().unwrap_or_default();
        p.strs(
            "AcceptMessagesOnlyFrom",
            &ADMVP_ID,
            self.ids(&m.accept_messages_only_from),
        );
        p.empty("AcceptMessagesOnlyFromDLMembers", &ADMVP_ID);
        p.strs(
            "AcceptMessagesOnlyFromSendersOrMembers",
            &ADMVP_ID,
            self.ids(&m.accept_messages_only_from),
        );
        p.strs("AddressListMembership", &ADMVP_ID, Self::address_lists(r));
        p.empty("AdministrativeUnits", &ADMVP_ID);
        p.s("Alias", m.alias.clone());
        p.nil("ArbitrationMailbox");
        p.empty("BypassModerationFromSendersOrMembers", &ADMVP_ID);
        if with_ou {
            p.s("OrganizationalUnit", self.dir.ou_of(r).into_owned());
        }
        for n in [1u8, 10, 11, 12, 13, 14, 15, 2, 3, 4, 5, 6, 7, 8, 9] {
            let v = m.custom_attributes.get(&n).cloned().unwrap_or_default();
            p.s(&format!("CustomAttribute{n}"), v);
        }
        for n in 1u8..=5 {
            let v = m
                .extension_custom_attributes
                .get(&n)
                .cloned()
                .unwrap_or_default();
            p.strs(&format!("ExtensionCustomAttribute{n}"), &MVP_STRING, v);
        }
        p.s("DisplayName", Self::display(r));
        p.strs(
            "EmailAddresses",
            &PROXY_COLLECTION,
            m.email_addresses.clone(),
        );
        p.strs(
            "GrantSendOnBehalfTo",
            &ADMVP_ID,
            self.ids(&m.grant_send_on_behalf_to),
        );
        p.s("ExternalDirectoryObjectId", "");
        p.b(
            "HiddenFromAddressListsEnabled",
            m.hidden_from_address_lists_enabled,
        );
        p.nil("LastExchangeChangedTime");
        p.s("LegacyExchangeDN", m.legacy_exchange_dn.clone());
        p.s("MaxSendSize", limit(m.max_send_size));
        p.s("MaxReceiveSize", limit(m.max_receive_size));
        p.strs("ModeratedBy", &ADMVP_ID, self.ids(&m.moderated_by));
        p.b("ModerationEnabled", m.moderation_enabled);
        if m.email_address_policy_enabled {
            p.strs(
                "PoliciesIncluded",
                &MVP_STRING,
                [
                    default_policy_guid().to_string(),
                    DEFAULT_POLICY_MARKER.to_owned(),
                ],
            );
            p.empty("PoliciesExcluded", &MVP_STRING);
        } else {
            p.empty("PoliciesIncluded", &MVP_STRING);
            p.strs("PoliciesExcluded", &MVP_STRING, [DEFAULT_POLICY_MARKER]);
        }
        p.b("EmailAddressPolicyEnabled", m.email_address_policy_enabled);
        p.s("PrimarySmtpAddress", Self::primary_smtp(r));
        p.s("RecipientType", r.kind.recipient_type());
        p.s("RecipientTypeDetails", r.kind.as_str());
        p.empty("RejectMessagesFrom", &ADMVP_ID);
        p.empty("RejectMessagesFromDLMembers", &ADMVP_ID);
        p.empty("RejectMessagesFromSendersOrMembers", &ADMVP_ID);
        p.b(
            "RequireSenderAuthenticationEnabled",
            m.require_sender_authentication_enabled,
        );
        p.s("SimpleDisplayName", m.simple_display_name.clone());
        p.s("SendModerationNotifications", "Always");
        let local = Self::primary_smtp(r)
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned();
        let (first, last) = (&r.person.first_name, &r.person.last_name);
        let mut map = vec![format!("emailAddress:{}", dtmf(&local))];
        if r.kind.ad_class() != AdClass::Group {
            let ln = if first.is_empty() && last.is_empty() {
                dtmf(&r.name)
            } else {
                dtmf(&format!("{last}{first}"))
            };
            let fl = if first.is_empty() && last.is_empty() {
                dtmf(&r.name)
            } else {
                dtmf(&format!("{first}{last}"))
            };
            map.push(format!("lastNameFirstName:{ln}"));
            map.push(format!("firstNameLastName:{fl}"));
        } else {
            map.push(format!("displayName:{}", dtmf(&Self::display(r))));
        }
        p.strs("UMDtmfMap", &MVP_STRING, map);
        p.s("WindowsEmailAddress", Self::windows_email(r));
        p.nil("MailTip");
        p.empty("MailTipTranslations", &MVP_STRING);
    }

    fn when(&self, p: &mut Props, r_changed: i64, r_created: i64) {
        let off = self.dir.org().utc_offset_minutes;
        p.v("WhenChanged", time::local(r_changed, off));
        p.v("WhenCreated", time::local(r_created, off));
        p.v("WhenChangedUTC", time::utc(r_changed));
        p.v("WhenCreatedUTC", time::utc(r_created));
    }

    /// [TAIL-P]: ADPresentationObject → ConfigurableObject.
    fn tail(&self, p: &mut Props, r: &Recipient) {
        let cn = self.dir.canonical_name(r);
        p.s("Identity", cn.clone());
        p.b("IsValid", true);
        p.s("ExchangeVersion", Self::exchange_version(r));
        p.s("Name", r.name.clone());
        p.s("DistinguishedName", self.dir.dn(r));
        p.g("Guid", r.guid);
        p.s("ObjectCategory", self.object_category(r));
        p.strs("ObjectClass", &MVP_STRING, Self::object_class(r));
        self.when(p, r.when_changed, r.when_created);
        p.s("OrganizationId", "");
        p.s("Id", cn);
        p.s(
            "OriginatingServer",
            self.dir.org().domain_controller.clone(),
        );
        p.s("ObjectState", "Unchanged");
    }

    /// A `Mailbox` (Get-/New-/Enable-Mailbox): 228 properties, as Exchange 2016 CU23 sends them.
    pub fn mailbox(&self, r: &Recipient) -> PsValue {
        let mb = r.mailbox.clone().unwrap_or_default();
        let db = self.dir.database(mb.database);
        let server = self.mailbox_server(r).unwrap_or_default();
        let acct = r.account.clone().unwrap_or_default();
        let (iwq, psq, psrq) = if mb.use_database_quota_defaults {
            db.map_or((None, None, None), |d| {
                (
                    d.issue_warning_quota,
                    d.prohibit_send_quota,
                    d.prohibit_send_receive_quota,
                )
            })
        } else {
            (
                mb.issue_warning_quota,
                mb.prohibit_send_quota,
                mb.prohibit_send_receive_quota,
            )
        };
        let mut p = Props::new();
        p.os("Database", db.map(|d| d.name.clone()));
        p.nil("MailboxProvisioningConstraint");
        p.nil("MailboxRegion");
        p.nil("MailboxRegionLastUpdateTime");
        p.b("MessageCopyForSentAsEnabled", false);
        p.b("MessageCopyForSendOnBehalfEnabled", false);
        p.empty("MailboxProvisioningPreferences", &ADMVP_PROVISIONING);
        p.b("UseDatabaseRetentionDefaults", true);
        p.b("RetainDeletedItemsUntilBackup", false);
        p.b(
            "DeliverToMailboxAndForward",
            mb.deliver_to_mailbox_and_forward,
        );
        p.b("IsExcludedFromServingHierarchy", false);
        p.b("IsHierarchyReady", true);
        p.b("IsHierarchySyncEnabled", true);
        p.b("HasSnackyAppData", false);
        p.b("LitigationHoldEnabled", mb.litigation_hold_enabled);
        p.b("SingleItemRecoveryEnabled", mb.single_item_recovery_enabled);
        p.b("RetentionHoldEnabled", false);
        p.nil("EndDateForRetentionHold");
        p.nil("StartDateForRetentionHold");
        p.s("RetentionComment", "");
        p.s("RetentionUrl", "");
        p.nil("LitigationHoldDate");
        p.s("LitigationHoldOwner", "");
        p.b("ElcProcessingDisabled", false);
        p.b("ComplianceTagHoldApplied", false);
        p.b("WasInactiveMailbox", false);
        p.b("DelayHoldApplied", false);
        p.nil("InactiveMailboxRetireTime");
        p.nil("OrphanSoftDeleteTrackingTime");
        p.s("LitigationHoldDuration", "Unlimited");
        p.nil("ManagedFolderMailboxPolicy");
        p.os("RetentionPolicy", mb.retention_policy.clone());
        p.os("AddressBookPolicy", mb.address_book_policy.clone());
        p.b("CalendarRepairDisabled", false);
        p.g("ExchangeGuid", mb.exchange_guid);
        p.nil("MailboxContainerGuid");
        p.nil("UnifiedMailbox");
        p.strs(
            "MailboxLocations",
            &MAILBOX_LOCATIONS,
            [format!(
                "1;{};Primary;{};{}",
                mb.exchange_guid,
                self.dir.org().domain,
                mb.database
            )],
        );
        p.empty("AggregatedMailboxGuids", &MVP_GUID);
        p.s(
            "ExchangeSecurityDescriptor",
            "System.Security.AccessControl.RawSecurityDescriptor",
        );
        p.s(
            "ExchangeUserAccountControl",
            if acct.disabled {
                "AccountDisabled"
            } else {
                "None"
            },
        );
        p.s(
            "AdminDisplayVersion",
            self.dir.org().admin_display_version.clone(),
        );
        p.b("MessageTrackingReadStatusEnabled", true);
        p.s("ExternalOofOptions", "External");
        p.os("ForwardingAddress", self.id(mb.forwarding_address));
        p.os("ForwardingSmtpAddress", mb.forwarding_smtp_address.clone());
        p.s("RetainDeletedItemsFor", "14.00:00:00");
        p.b("IsMailboxEnabled", true);
        p.list("Languages", &MVP_CULTURE, vec![culture_en_us()]);
        p.nil("OfflineAddressBook");
        p.s("ProhibitSendQuota", limit(psq));
        p.s("ProhibitSendReceiveQuota", limit(psrq));
        p.s("RecoverableItemsQuota", byte_size(30 << 30));
        p.s("RecoverableItemsWarningQuota", byte_size(20 << 30));
        p.s("CalendarLoggingQuota", byte_size(6 << 30));
        p.b("DowngradeHighPriorityMessagesEnabled", false);
        let rps = if acct.remote_powershell_enabled { 1 } else { 0 };
        p.strs(
            "ProtocolSettings",
            &MVP_STRING,
            [format!("RemotePowerShell\u{a7}{rps}")],
        );
        p.s("RecipientLimits", count_limit(mb.recipient_limits));
        p.b("ImListMigrationCompleted", false);
        p.nil("SiloName");
        let resource = matches!(
            r.kind,
            RecipientTypeDetails::RoomMailbox | RecipientTypeDetails::EquipmentMailbox
        );
        p.b("IsResource", resource);
        p.b("IsLinked", false);
        p.b("IsShared", r.kind == RecipientTypeDetails::SharedMailbox);
        p.b("IsRootPublicFolderMailbox", false);
        p.s("LinkedMasterAccount", "");
        p.b(
            "ResetPasswordOnNextLogon",
            acct.reset_password_on_next_logon,
        );
        p.nil("ResourceCapacity");
        p.empty("ResourceCustom", &MVP_STRING);
        p.os(
            "ResourceType",
            match r.kind {
                RecipientTypeDetails::RoomMailbox => Some("Room"),
                RecipientTypeDetails::EquipmentMailbox => Some("Equipment"),
                _ => None,
            },
        );
        p.ob(
            "RoomMailboxAccountEnabled",
            (r.kind == RecipientTypeDetails::RoomMailbox).then_some(false),
        );
        p.s("SamAccountName", acct.sam_account_name.clone());
        for n in [
            "SCLDeleteThreshold",
            "SCLDeleteEnabled",
            "SCLRejectThreshold",
            "SCLRejectEnabled",
            "SCLQuarantineThreshold",
            "SCLQuarantineEnabled",
            "SCLJunkThreshold",
            "SCLJunkEnabled",
        ] {
            p.nil(n);
        }
        p.b("AntispamBypassEnabled", false);
        p.s("ServerLegacyDN", self.server_legacy_dn(&server));
        p.s("ServerName", server.to_lowercase());
        p.b("UseDatabaseQuotaDefaults", mb.use_database_quota_defaults);
        p.s("IssueWarningQuota", limit(iwq));
        p.s("RulesQuota", byte_size(256 << 10));
        p.s("Office", r.person.office.clone());
        p.s("UserPrincipalName", acct.user_principal_name.clone());
        p.b("UMEnabled", false);
        p.nil("MaxSafeSenders");
        p.nil("MaxBlockedSenders");
        p.nil("NetID");
        p.nil("ReconciliationId");
        p.s("WindowsLiveID", "");
        p.s("MicrosoftOnlineServicesID", "");
        p.nil("ThrottlingPolicy");
        p.s("RoleAssignmentPolicy", "Default Role Assignment Policy");
        p.nil("DefaultPublicFolderMailbox");
        p.nil("EffectivePublicFolderMailbox");
        p.s("SharingPolicy", "Default Sharing Policy");
        p.nil("RemoteAccountPolicy");
        p.nil("MailboxPlan");
        p.os(
            "ArchiveDatabase",
            mb.archive_guid.and_then(|_| self.db_name(mb.database)),
        );
        p.g("ArchiveGuid", mb.archive_guid.unwrap_or_default());
        p.strs(
            "ArchiveName",
            &MVP_STRING,
            mb.archive_guid
                .map(|_| format!("In-Place Archive - {}", Self::display(r))),
        );
        p.s("JournalArchiveAddress", "");
        p.s("ArchiveQuota", byte_size(100 << 30));
        p.s("ArchiveWarningQuota", byte_size(90 << 30));
        p.nil("ArchiveDomain");
        let archive = if mb.archive_guid.is_some() {
            "Active"
        } else {
            "None"
        };
        p.s("ArchiveStatus", archive);
        p.s(
            "ArchiveState",
            if mb.archive_guid.is_some() {
                "Local"
            } else {
                "None"
            },
        );
        p.b("AutoExpandingArchiveEnabled", false);
        p.b("DisabledMailboxLocations", false);
        p.s("RemoteRecipientType", "None");
        p.nil("DisabledArchiveDatabase");
        p.g("DisabledArchiveGuid", Uuid::nil());
        p.nil("QueryBaseDN");
        p.b("QueryBaseDNRestrictionEnabled", false);
        Self::move_props(&mut p);
        p.b("IsPersonToPersonTextMessagingEnabled", false);
        p.b("IsMachineToPersonTextMessagingEnabled", true);
        p.empty("UserSMimeCertificate", &MVP_BYTES);
        p.empty("UserCertificate", &MVP_BYTES);
        p.b("CalendarVersionStoreDisabled", false);
        p.s("ImmutableId", "");
        p.empty("PersistedCapabilities", &ADMVP_CAPABILITY);
        p.nil("SKUAssigned");
        p.b("AuditEnabled", mb.audit_enabled);
        p.s("AuditLogAgeLimit", "90.00:00:00");
        p.strs(
            "AuditAdmin",
            &ADMVP_AUDIT,
            [
                "Update",
                "Move",
                "MoveToDeletedItems",
                "SoftDelete",
                "HardDelete",
                "FolderBind",
                "SendAs",
                "SendOnBehalf",
                "Create",
            ],
        );
        p.strs(
            "AuditDelegate",
            &ADMVP_AUDIT,
            ["Update", "SoftDelete", "HardDelete", "SendAs", "Create"],
        );
        p.empty("AuditOwner", &ADMVP_AUDIT);
        let created = if mb.when_mailbox_created == 0 {
            r.when_created
        } else {
            mb.when_mailbox_created
        };
        p.v(
            "WhenMailboxCreated",
            time::local(created, self.dir.org().utc_offset_minutes),
        );
        p.s("SourceAnchor", "");
        p.nil("UsageLocation");
        p.b("IsSoftDeletedByRemove", false);
        p.b("IsSoftDeletedByDisable", false);
        p.b("IsInactiveMailbox", false);
        p.b("IncludeInGarbageCollection", false);
        p.nil("WhenSoftDeleted");
        p.empty("InPlaceHolds", &MVP_STRING);
        p.empty("GeneratedOfflineAddressBooks", &ADMVP_ID);
        p.b("AccountDisabled", acct.disabled);
        p.nil("StsRefreshTokensValidFrom");
        p.nil("DataEncryptionPolicy");
        p.b("DisableThrottling", false);
        Self::meop(&mut p);
        self.mer(&mut p, r, true);
        self.tail(&mut p, r);
        object(&TN_MAILBOX, Self::display(r), p)
    }

    fn move_props(p: &mut Props) {
        p.nil("MailboxMoveTargetMDB");
        p.nil("MailboxMoveSourceMDB");
        p.s("MailboxMoveFlags", "None");
        p.s("MailboxMoveRemoteHostName", "");
        p.s("MailboxMoveBatchName", "");
        p.s("MailboxMoveStatus", "None");
        p.s("MailboxRelease", "");
        p.s("ArchiveRelease", "");
    }

    /// The MailUser property list; `remote` drops the properties RemoteMailbox hides.
    fn mail_user_props(&self, p: &mut Props, r: &Recipient, remote: bool) {
        let m = r.mail.clone().unwrap_or_default();
        let acct = r.account.clone().unwrap_or_default();
        let rd = r.remote.clone().unwrap_or_default();
        p.b("DeliverToMailboxAndForward", false);
        p.g("ExchangeGuid", rd.exchange_guid);
        p.nil("MailboxContainerGuid");
        p.empty("AggregatedMailboxGuids", &MVP_GUID);
        p.g("ArchiveGuid", rd.archive_guid.unwrap_or_default());
        p.strs(
            "ArchiveName",
            &MVP_STRING,
            rd.archive_guid
                .map(|_| format!("In-Place Archive - {}", Self::display(r))),
        );
        p.s("ArchiveQuota", byte_size(100 << 30));
        p.s("ArchiveWarningQuota", byte_size(90 << 30));
        p.nil("ForwardingAddress");
        p.nil("ArchiveDatabase");
        p.s("ArchiveStatus", "None");
        p.nil("DisabledArchiveDatabase");
        p.g("DisabledArchiveGuid", Uuid::nil());
        p.nil("MailboxProvisioningConstraint");
        p.empty("MailboxProvisioningPreferences", &ADMVP_PROVISIONING);
        p.s(
            "ExchangeUserAccountControl",
            if acct.disabled {
                "AccountDisabled"
            } else {
                "None"
            },
        );
        if !remote {
            p.os("ExternalEmailAddress", m.external_email_address.clone());
            p.b("UsePreferMessageFormat", false);
        }
        p.s("JournalArchiveAddress", "");
        if !remote {
            p.s("MessageFormat", "Mime");
            p.s("MessageBodyFormat", "TextAndHtml");
            p.s("MacAttachmentFormat", "BinHex");
        }
        let rps = if acct.remote_powershell_enabled { 1 } else { 0 };
        p.strs(
            "ProtocolSettings",
            &MVP_STRING,
            [format!("RemotePowerShell\u{a7}{rps}")],
        );
        p.s("RecipientLimits", "Unlimited");
        p.s("SamAccountName", acct.sam_account_name.clone());
        if !remote {
            p.s("UseMapiRichTextFormat", "UseDefaultSettings");
        }
        p.s("UserPrincipalName", acct.user_principal_name.clone());
        if !remote {
            p.s("WindowsLiveID", "");
            p.s("MicrosoftOnlineServicesID", "");
        }
        Self::move_props(p);
        p.s("ImmutableId", "");
        p.empty("PersistedCapabilities", &ADMVP_CAPABILITY);
        if !remote {
            p.nil("SKUAssigned");
        }
        p.b(
            "ResetPasswordOnNextLogon",
            acct.reset_password_on_next_logon,
        );
        p.nil("WhenMailboxCreated");
        p.b("LitigationHoldEnabled", false);
        p.b("SingleItemRecoveryEnabled", false);
        p.b("RetentionHoldEnabled", false);
        p.nil("EndDateForRetentionHold");
        p.nil("StartDateForRetentionHold");
        p.s("RetentionComment", "");
        p.s("RetentionUrl", "");
        p.nil("LitigationHoldDate");
        p.s("LitigationHoldOwner", "");
        p.s("RetainDeletedItemsFor", "14.00:00:00");
        p.b("CalendarVersionStoreDisabled", false);
        if !remote {
            p.nil("UsageLocation");
        }
        p.b("IsSoftDeletedByRemove", false);
        p.b("IsSoftDeletedByDisable", false);
        p.nil("WhenSoftDeleted");
        p.empty("InPlaceHolds", &MVP_STRING);
        p.s("RecoverableItemsQuota", byte_size(30 << 30));
        p.s("RecoverableItemsWarningQuota", byte_size(20 << 30));
        p.empty("UserCertificate", &MVP_BYTES);
        p.empty("UserSMimeCertificate", &MVP_BYTES);
        p.b("AccountDisabled", acct.disabled);
        p.nil("StsRefreshTokensValidFrom");
    }

    /// A `MailUser` (Get-/Enable-MailUser).
    pub fn mail_user(&self, r: &Recipient) -> PsValue {
        let mut p = Props::new();
        self.mail_user_props(&mut p, r, false);
        Self::meop(&mut p);
        self.mer(&mut p, r, true);
        self.tail(&mut p, r);
        object(&TN_MAILUSER, Self::display(r), p)
    }

    /// A `RemoteMailbox` (Get-/Enable-RemoteMailbox).
    pub fn remote_mailbox(&self, r: &Recipient) -> PsValue {
        let rd = r.remote.clone().unwrap_or_default();
        let mut p = Props::new();
        p.s("RemoteRoutingAddress", rd.remote_routing_address.clone());
        p.s("RemoteRecipientType", rd.remote_recipient_type.clone());
        p.s(
            "OnPremisesOrganizationalUnit",
            self.dir.ou_of(r).into_owned(),
        );
        p.s(
            "ArchiveState",
            if rd.archive_guid.is_some() {
                "HostedProvisioned"
            } else {
                "None"
            },
        );
        self.mail_user_props(&mut p, r, true);
        p.strs("MailboxLocations", &MAILBOX_LOCATIONS, Vec::<String>::new());
        Self::meop(&mut p);
        self.mer(&mut p, r, false);
        self.tail(&mut p, r);
        object(&TN_REMOTE, Self::display(r), p)
    }

    /// A `MailContact` (Get-/New-MailContact).
    pub fn mail_contact(&self, r: &Recipient) -> PsValue {
        let m = r.mail.clone().unwrap_or_default();
        let mut p = Props::new();
        p.os("ExternalEmailAddress", m.external_email_address.clone());
        p.s("MaxRecipientPerMessage", "Unlimited");
        p.s("UseMapiRichTextFormat", "UseDefaultSettings");
        p.b("UsePreferMessageFormat", false);
        p.s("MessageFormat", "Mime");
        p.s("MessageBodyFormat", "TextAndHtml");
        p.s("MacAttachmentFormat", "BinHex");
        p.empty("UserCertificate", &MVP_BYTES);
        p.empty("UserSMimeCertificate", &MVP_BYTES);
        Self::meop(&mut p);
        self.mer(&mut p, r, true);
        self.tail(&mut p, r);
        object(&TN_CONTACT, Self::display(r), p)
    }

    /// A `DistributionGroup` (Get-/New-DistributionGroup).
    pub fn distribution_group(&self, r: &Recipient) -> PsValue {
        let g = r.group.clone().unwrap_or_default();
        let mut p = Props::new();
        p.s(
            "GroupType",
            if r.kind == RecipientTypeDetails::MailUniversalSecurityGroup {
                "Universal, SecurityEnabled"
            } else {
                "Universal"
            },
        );
        p.s("SamAccountName", g.sam_account_name.clone());
        p.b("BypassNestedModerationEnabled", false);
        p.strs("ManagedBy", &ADMVP_ID, self.ids(&g.managed_by));
        p.s("MemberJoinRestriction", g.member_join_restriction.clone());
        p.s(
            "MemberDepartRestriction",
            g.member_depart_restriction.clone(),
        );
        p.s("ExpansionServer", "");
        p.b("ReportToManagerEnabled", false);
        p.b("ReportToOriginatorEnabled", true);
        p.b("SendOofMessageToOriginatorEnabled", false);
        self.mer(&mut p, r, true);
        self.tail(&mut p, r);
        object(&TN_GROUP, Self::display(r), p)
    }

    /// A `User` (Get-User), for any recipient of the user class.
    pub fn user(&self, r: &Recipient) -> PsValue {
        let acct = r.account.clone().unwrap_or_default();
        let pr = &r.person;
        let mut p = Props::new();
        p.b("IsSecurityPrincipal", true);
        p.s("SamAccountName", acct.sam_account_name.clone());
        p.os("Sid", (!acct.sid.is_empty()).then(|| acct.sid.clone()));
        p.empty("SidHistory", &MVP_STRING);
        p.s("UserPrincipalName", acct.user_principal_name.clone());
        p.b(
            "ResetPasswordOnNextLogon",
            acct.reset_password_on_next_logon,
        );
        p.empty("CertificateSubject", &MVP_STRING);
        p.b("RemotePowerShellEnabled", acct.remote_powershell_enabled);
        p.s("WindowsLiveID", "");
        p.s("MicrosoftOnlineServicesID", "");
        p.nil("NetID");
        p.nil("ConsumerNetID");
        p.b("LEOEnabled", false);
        p.s(
            "UserAccountControl",
            if acct.disabled {
                "AccountDisabled, NormalAccount"
            } else {
                "NormalAccount"
            },
        );
        p.s("OrganizationalUnit", self.dir.ou_of(r).into_owned());
        p.b("IsLinked", false);
        p.s("LinkedMasterAccount", "");
        p.s("ExternalDirectoryObjectId", "");
        p.nil("SKUAssigned");
        p.b("IsSoftDeletedByRemove", false);
        p.b("IsSoftDeletedByDisable", false);
        p.nil("WhenSoftDeleted");
        p.s("PreviousRecipientTypeDetails", "None");
        p.s("UpgradeRequest", "None");
        p.s("UpgradeStatus", "None");
        p.s("UpgradeDetails", "");
        p.s("UpgradeMessage", "");
        p.nil("UpgradeStage");
        p.nil("UpgradeStageTimeStamp");
        p.nil("MailboxProvisioningConstraint");
        p.empty("MailboxProvisioningPreferences", &ADMVP_PROVISIONING);
        p.empty("InPlaceHoldsRaw", &MVP_STRING);
        p.s("MailboxRelease", "");
        p.s("ArchiveRelease", "");
        p.b("AccountDisabled", acct.disabled);
        p.nil("StsRefreshTokensValidFrom");
        p.s("AssistantName", "");
        p.s("City", pr.city.clone());
        p.s("Company", pr.company.clone());
        p.os(
            "CountryOrRegion",
            (!pr.country_or_region.is_empty()).then(|| pr.country_or_region.clone()),
        );
        p.s("Department", pr.department.clone());
        let reports: Vec<String> = self
            .dir
            .direct_reports(r.guid)
            .iter()
            .filter_map(|g| self.dir.get(*g))
            .map(|o| self.dir.canonical_name(o))
            .collect();
        p.strs("DirectReports", &ADMVP_ID, reports);
        p.s("DisplayName", Self::display(r));
        p.s("Fax", "");
        p.s("FirstName", pr.first_name.clone());
        p.nil("GeoCoordinates");
        p.s("HomePhone", "");
        p.s("Initials", pr.initials.clone());
        p.s("LastName", pr.last_name.clone());
        p.os("Manager", self.id(pr.manager));
        p.s("MobilePhone", pr.mobile_phone.clone());
        p.s("Notes", pr.notes.clone());
        p.s("Office", pr.office.clone());
        p.empty("OtherFax", &MVP_STRING);
        p.empty("OtherHomePhone", &MVP_STRING);
        p.empty("OtherTelephone", &MVP_STRING);
        p.s("Pager", "");
        p.s("Phone", pr.phone.clone());
        p.s("PhoneticDisplayName", "");
        p.s("PostalCode", pr.postal_code.clone());
        p.empty("PostOfficeBox", &MVP_STRING);
        p.s("RecipientType", r.kind.recipient_type());
        p.s("RecipientTypeDetails", r.kind.as_str());
        p.s(
            "SimpleDisplayName",
            r.mail
                .as_ref()
                .map(|m| m.simple_display_name.clone())
                .unwrap_or_default(),
        );
        p.s("StateOrProvince", pr.state_or_province.clone());
        p.s("StreetAddress", pr.street_address.clone());
        p.s("Title", pr.title.clone());
        p.nil("UMDialPlan");
        p.empty("UMDtmfMap", &MVP_STRING);
        p.s("AllowUMCallsFromNonUsers", "SearchEnabled");
        p.s("WebPage", "");
        p.s("TelephoneAssistant", "");
        p.s("WindowsEmailAddress", Self::windows_email(r));
        p.empty("UMCallingLineIds", &MVP_STRING);
        p.nil("SeniorityIndex");
        p.empty("VoiceMailSettings", &MVP_STRING);
        p.b("IsDirSynced", false);
        self.tail(&mut p, r);
        object(&TN_USER, self.dir.canonical_name(r), p)
    }

    /// A `ReducedRecipient` (Get-Recipient, Get-DistributionGroupMember).
    pub fn reduced(&self, r: &Recipient) -> PsValue {
        let m = r.mail.clone().unwrap_or_default();
        let pr = &r.person;
        let mb = r.mailbox.as_ref();
        let cn = self.dir.canonical_name(r);
        let server = self.mailbox_server(r);
        let mut p = Props::new();
        p.s("Identity", cn.clone());
        p.s("Alias", m.alias.clone());
        p.g(
            "ArchiveGuid",
            mb.and_then(|m| m.archive_guid).unwrap_or_default(),
        );
        p.nil("AuthenticationType");
        p.s("City", pr.city.clone());
        p.s("Notes", pr.notes.clone());
        p.s("Company", pr.company.clone());
        p.os(
            "CountryOrRegion",
            (!pr.country_or_region.is_empty()).then(|| pr.country_or_region.clone()),
        );
        p.s("PostalCode", pr.postal_code.clone());
        for n in 1u8..=15 {
            let v = m.custom_attributes.get(&n).cloned().unwrap_or_default();
            p.s(&format!("CustomAttribute{n}"), v);
        }
        for n in 1u8..=5 {
            let v = m
                .extension_custom_attributes
                .get(&n)
                .cloned()
                .unwrap_or_default();
            p.strs(&format!("ExtensionCustomAttribute{n}"), &MVP_STRING, v);
        }
        let db = mb.and_then(|m| self.db_name(m.database));
        p.os("Database", db.clone());
        p.os(
            "ArchiveDatabase",
            mb.and_then(|m| m.archive_guid.and_then(|_| self.db_name(m.database))),
        );
        p.s("DatabaseName", db.unwrap_or_default());
        p.s("Department", pr.department.clone());
        p.s("ExternalDirectoryObjectId", "");
        p.nil("ManagedFolderMailboxPolicy");
        p.strs(
            "EmailAddresses",
            &PROXY_COLLECTION,
            m.email_addresses.clone(),
        );
        p.s("ExpansionServer", "");
        p.os("ExternalEmailAddress", m.external_email_address.clone());
        p.s("DisplayName", Self::display(r));
        p.s("FirstName", pr.first_name.clone());
        p.b(
            "HiddenFromAddressListsEnabled",
            m.hidden_from_address_lists_enabled,
        );
        p.b(
            "EmailAddressPolicyEnabled",
            r.mail
                .as_ref()
                .is_some_and(|m| m.email_address_policy_enabled),
        );
        p.s("LastName", pr.last_name.clone());
        p.os(
            "ResourceType",
            match r.kind {
                RecipientTypeDetails::RoomMailbox => Some("Room"),
                RecipientTypeDetails::EquipmentMailbox => Some("Equipment"),
                _ => None,
            },
        );
        p.strs(
            "ManagedBy",
            &ADMVP_ID,
            r.group
                .as_ref()
                .map(|g| self.ids(&g.managed_by))
                .unwrap_or_default(),
        );
        p.os("Manager", self.id(pr.manager));
        p.nil("ActiveSyncMailboxPolicy");
        p.b("ActiveSyncMailboxPolicyIsDefaulted", mb.is_some());
        p.s("Name", r.name.clone());
        p.s("Office", pr.office.clone());
        p.s("ObjectCategory", self.object_category(r));
        p.s("OrganizationalUnit", self.dir.ou_of(r).into_owned());
        p.s("Phone", pr.phone.clone());
        if r.mail
            .as_ref()
            .is_some_and(|m| m.email_address_policy_enabled)
        {
            p.strs(
                "PoliciesIncluded",
                &MVP_STRING,
                [
                    default_policy_guid().to_string(),
                    DEFAULT_POLICY_MARKER.to_owned(),
                ],
            );
        } else {
            p.empty("PoliciesIncluded", &MVP_STRING);
        }
        p.empty("PoliciesExcluded", &MVP_STRING);
        p.s("PrimarySmtpAddress", Self::primary_smtp(r));
        p.s("RecipientType", r.kind.recipient_type());
        p.s("RecipientTypeDetails", r.kind.as_str());
        p.s("SamAccountName", Self::sam(r));
        p.s(
            "ServerLegacyDN",
            server
                .as_deref()
                .map(|s| self.server_legacy_dn(s))
                .unwrap_or_default(),
        );
        p.s(
            "ServerName",
            server.map(|s| s.to_lowercase()).unwrap_or_default(),
        );
        p.s("StateOrProvince", pr.state_or_province.clone());
        p.s("StorageGroupName", "");
        p.s("Title", pr.title.clone());
        p.b("UMEnabled", false);
        p.nil("UMMailboxPolicy");
        p.nil("UMRecipientDialPlanId");
        p.s("WindowsLiveID", "");
        p.b("HasActiveSyncDevicePartnership", false);
        p.strs("AddressListMembership", &ADMVP_ID, Self::address_lists(r));
        p.nil("OwaMailboxPolicy");
        p.os(
            "AddressBookPolicy",
            mb.and_then(|m| m.address_book_policy.clone()),
        );
        p.os("SharingPolicy", mb.map(|_| "Default Sharing Policy"));
        p.os(
            "RetentionPolicy",
            mb.and_then(|m| m.retention_policy.clone()),
        );
        p.b("ShouldUseDefaultRetentionPolicy", mb.is_some());
        Self::move_props(&mut p);
        p.b(
            "IsValidSecurityPrincipal",
            r.kind.ad_class() != AdClass::Contact,
        );
        p.b(
            "LitigationHoldEnabled",
            mb.is_some_and(|m| m.litigation_hold_enabled),
        );
        p.empty("Capabilities", &ADMVP_CAPABILITY);
        p.s(
            "ArchiveState",
            if mb.is_some_and(|m| m.archive_guid.is_some()) {
                "Local"
            } else {
                "None"
            },
        );
        p.nil("SKUAssigned");
        match mb {
            Some(m) => {
                let created = if m.when_mailbox_created == 0 {
                    r.when_created
                } else {
                    m.when_mailbox_created
                };
                p.v(
                    "WhenMailboxCreated",
                    time::local(created, self.dir.org().utc_offset_minutes),
                );
            }
            None => p.nil("WhenMailboxCreated"),
        }
        p.nil("UsageLocation");
        p.g(
            "ExchangeGuid",
            mb.map(|m| m.exchange_guid)
                .or_else(|| r.remote.as_ref().map(|rd| rd.exchange_guid))
                .unwrap_or_default(),
        );
        p.s(
            "ArchiveStatus",
            if mb.is_some_and(|m| m.archive_guid.is_some()) {
                "Active"
            } else {
                "None"
            },
        );
        p.s("ExchangeVersion", Self::exchange_version(r));
        p.s("DistinguishedName", self.dir.dn(r));
        p.g("Guid", r.guid);
        p.strs("ObjectClass", &MVP_STRING, Self::object_class(r));
        self.when(&mut p, r.when_changed, r.when_created);
        p.s("OrganizationId", "");
        p.s("Id", cn.clone());
        p.s(
            "OriginatingServer",
            self.dir.org().domain_controller.clone(),
        );
        p.b("IsValid", true);
        p.s("ObjectState", "Unchanged");
        object(&TN_REDUCED, cn, p)
    }

    /// A `CASMailbox` (Get-CASMailbox). `protocol_settings` fills the POP/IMAP/SMTP settings.
    pub fn cas_mailbox(&self, r: &Recipient, protocol_settings: bool) -> PsValue {
        let m = r.mail.clone().unwrap_or_default();
        let cas = r
            .mailbox
            .as_ref()
            .map(|mb| mb.cas.clone())
            .unwrap_or_default();
        let server = self.mailbox_server(r).unwrap_or_default();
        let fqdn = format!("{}.{}", server.to_lowercase(), self.dir.org().domain);
        let mut p = Props::new();
        p.strs(
            "EmailAddresses",
            &PROXY_COLLECTION,
            m.email_addresses.clone(),
        );
        p.s("LegacyExchangeDN", m.legacy_exchange_dn.clone());
        p.s("LinkedMasterAccount", "");
        p.s("PrimarySmtpAddress", Self::primary_smtp(r));
        p.s("SamAccountName", Self::sam(r));
        p.s("ServerLegacyDN", self.server_legacy_dn(&server));
        p.s("ServerName", server.to_lowercase());
        p.s("DisplayName", Self::display(r));
        p.strs(
            "ActiveSyncAllowedDeviceIDs",
            &MVP_STRING,
            cas.active_sync_allowed_device_ids.clone(),
        );
        p.strs(
            "ActiveSyncBlockedDeviceIDs",
            &MVP_STRING,
            cas.active_sync_blocked_device_ids.clone(),
        );
        p.s(
            "ActiveSyncMailboxPolicy",
            cas.active_sync_mailbox_policy
                .clone()
                .unwrap_or_else(|| "Default".into()),
        );
        p.b(
            "ActiveSyncMailboxPolicyIsDefaulted",
            cas.active_sync_mailbox_policy.is_none(),
        );
        p.b("ActiveSyncDebugLogging", false);
        p.b("ActiveSyncEnabled", cas.active_sync_enabled);
        p.b("HasActiveSyncDevicePartnership", false);
        for (name, proto, port) in [
            ("ExternalImapSettings", "IMAP4", 993),
            ("InternalImapSettings", "IMAP4", 993),
            ("ExternalPopSettings", "POP3", 995),
            ("InternalPopSettings", "POP3", 995),
            ("ExternalSmtpSettings", "SMTP", 587),
            ("InternalSmtpSettings", "SMTP", 587),
        ] {
            let v = if protocol_settings {
                let enc = if proto == "SMTP" { "TLS" } else { "SSL" };
                format!("{fqdn}:{port}:{enc}")
            } else {
                String::new()
            };
            p.s(name, v);
        }
        p.os("OwaMailboxPolicy", cas.owa_mailbox_policy.clone());
        p.b("OWAEnabled", cas.owa_enabled);
        p.b("OWAforDevicesEnabled", cas.owa_for_devices_enabled);
        p.b("ECPEnabled", cas.ecp_enabled);
        p.b("PopEnabled", cas.pop_enabled);
        p.b("PopUseProtocolDefaults", true);
        p.s("PopMessagesRetrievalMimeFormat", "BestBodyFormat");
        p.b("PopEnableExactRFC822Size", false);
        p.b("PopSuppressReadReceipt", false);
        p.b("PopForceICalForCalendarRetrievalOption", false);
        p.b("ImapEnabled", cas.imap_enabled);
        p.b("ImapUseProtocolDefaults", true);
        p.s("ImapMessagesRetrievalMimeFormat", "BestBodyFormat");
        p.b("ImapEnableExactRFC822Size", false);
        p.b("ImapSuppressReadReceipt", false);
        p.b("ImapForceICalForCalendarRetrievalOption", false);
        p.b("MAPIEnabled", cas.mapi_enabled);
        p.ob("MapiHttpEnabled", cas.mapi_http_enabled);
        p.b("MAPIBlockOutlookNonCachedMode", false);
        p.s("MAPIBlockOutlookVersions", "");
        p.b("MAPIBlockOutlookRpcHttp", false);
        p.b("MAPIBlockOutlookExternalConnectivity", false);
        p.ob("EwsEnabled", cas.ews_enabled);
        p.nil("EwsAllowOutlook");
        p.nil("EwsAllowMacOutlook");
        p.nil("EwsAllowEntourage");
        p.nil("EwsApplicationAccessPolicy");
        p.strs("EwsAllowList", &MVP_STRING, cas.ews_allow_list.clone());
        p.strs("EwsBlockList", &MVP_STRING, cas.ews_block_list.clone());
        p.b("ShowGalAsDefaultView", true);
        self.tail(&mut p, r);
        object(&TN_CAS, self.dir.canonical_name(r), p)
    }

    /// A `MailboxDatabase` (Get-MailboxDatabase); `status` fills the live values.
    pub fn mailbox_database(&self, d: &Database, status: bool) -> PsValue {
        let org = self.dir.org();
        let base = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Mailbox";
        let dn = format!(
            "CN={},CN=Databases,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN={},CN=Microsoft Exchange,CN=Services,CN=Configuration,{}",
            d.name,
            org.organization_name,
            org.ou_dn(&org.domain)
        );
        let mut p = Props::new();
        p.nil("JournalRecipient");
        p.s("MailboxRetention", "30.00:00:00");
        p.s("OfflineAddressBook", "\\Default Offline Address Book");
        p.nil("OriginalDatabase");
        p.nil("PublicFolderDatabase");
        p.s(
            "ProhibitSendReceiveQuota",
            limit(d.prohibit_send_receive_quota),
        );
        p.s("ProhibitSendQuota", limit(d.prohibit_send_quota));
        p.s("RecoverableItemsQuota", byte_size(30 << 30));
        p.s("RecoverableItemsWarningQuota", byte_size(20 << 30));
        p.s("CalendarLoggingQuota", byte_size(6 << 30));
        p.b("IndexEnabled", true);
        p.b(
            "IsExcludedFromProvisioning",
            d.is_excluded_from_provisioning,
        );
        p.b("IsExcludedFromProvisioningBySchemaVersionMonitoring", false);
        p.b("IsExcludedFromInitialProvisioning", false);
        p.b("IsSuspendedFromProvisioning", false);
        p.b("IsExcludedFromProvisioningBySpaceMonitoring", false);
        p.nil("MailboxLoadBalanceMaximumEdbFileSize");
        p.nil("MailboxLoadBalanceRelativeLoadCapacity");
        p.nil("MailboxLoadBalanceOverloadedThreshold");
        p.nil("MailboxLoadBalanceUnderloadedThreshold");
        p.nil("MailboxLoadBalanceEnabled");
        p.empty("DumpsterStatistics", &MVP_STRING);
        p.empty("DumpsterServersNotAvailable", &MVP_STRING);
        p.s("ReplicationType", "None");
        p.s("AdminDisplayVersion", org.admin_display_version.clone());
        p.s(
            "AdministrativeGroup",
            "Exchange Administrative Group (FYDIBOHF23SPDLT)",
        );
        p.b("AllowFileRestore", false);
        p.b("BackgroundDatabaseMaintenance", true);
        p.nil("ReplayBackgroundDatabaseMaintenance");
        p.nil("BackgroundDatabaseMaintenanceSerialization");
        p.nil("BackgroundDatabaseMaintenanceDelay");
        p.nil("ReplayBackgroundDatabaseMaintenanceDelay");
        p.nil("MimimumBackgroundDatabaseMaintenanceInterval");
        p.nil("MaximumBackgroundDatabaseMaintenanceInterval");
        p.ob("BackupInProgress", status.then_some(false));
        p.b("DatabaseCreated", true);
        p.s("Description", "");
        p.s("EdbFilePath", format!("{base}\\{0}\\{0}.edb", d.name));
        p.s(
            "ExchangeLegacyDN",
            format!(
                "{}/cn=Configuration/cn=Servers/cn={}/cn=Microsoft Private MDB",
                org.admin_group_dn(),
                d.server
            ),
        );
        p.strs(
            "DatabaseCopies",
            &MVP_STRING,
            [format!("{}\\{}", d.name, d.server)],
        );
        p.empty("InvalidDatabaseCopies", &MVP_STRING);
        p.strs(
            "AllDatabaseCopies",
            &MVP_STRING,
            [format!("{}\\{}", d.name, d.server)],
        );
        p.strs("Servers", &MVP_STRING, [d.server.clone()]);
        p.strs(
            "ActivationPreference",
            &MVP_STRING,
            [format!("[{}, 1]", d.server)],
        );
        p.strs(
            "ReplayLagTimes",
            &MVP_STRING,
            [format!("[{}, 00:00:00]", d.server)],
        );
        p.strs(
            "TruncationLagTimes",
            &MVP_STRING,
            [format!("[{}, 00:00:00]", d.server)],
        );
        p.s(
            "RpcClientAccessServer",
            format!("{}.{}", d.server.to_lowercase(), org.domain),
        );
        p.s(
            "MountedOnServer",
            format!("{}.{}", d.server.to_lowercase(), org.domain),
        );
        p.s("DeletedItemRetention", "14.00:00:00");
        for n in [
            "SnapshotLastFullBackup",
            "SnapshotLastIncrementalBackup",
            "SnapshotLastDifferentialBackup",
            "SnapshotLastCopyBackup",
            "LastFullBackup",
            "LastIncrementalBackup",
            "LastDifferentialBackup",
            "LastCopyBackup",
        ] {
            p.nil(n);
        }
        let count = self
            .dir
            .iter()
            .filter(|r| r.mailbox.as_ref().is_some_and(|m| m.database == d.guid))
            .count() as u64;
        p.os(
            "DatabaseSize",
            status.then(|| byte_size(1_114_112 * 64 + count * 48 * 1_048_576)),
        );
        p.os(
            "AvailableNewMailboxSpace",
            status.then(|| byte_size(25 << 20)),
        );
        p.s("MaintenanceSchedule", "");
        p.b("MountAtStartup", true);
        p.ob("Mounted", status.then_some(true));
        p.s("Organization", org.organization_name.clone());
        p.s("QuotaNotificationSchedule", "");
        p.b("Recovery", false);
        p.b("RetainDeletedItemsUntilBackup", false);
        p.s("Server", d.server.clone());
        p.s("MasterServerOrAvailabilityGroup", d.server.clone());
        p.nil("WorkerProcessId");
        p.s("CurrentSchemaVersion", "0.183");
        p.s("RequestedSchemaVersion", "0.183");
        p.b("AutoDagExcludeFromMonitoring", false);
        p.s("AutoDatabaseMountDial", "GoodAvailability");
        p.s("DatabaseGroup", "");
        p.s("MasterType", "Server");
        p.s("ServerName", d.server.clone());
        p.s("IssueWarningQuota", limit(d.issue_warning_quota));
        p.s("EventHistoryRetentionPeriod", "7.00:00:00");
        p.s("Name", d.name.clone());
        p.s("LogFolderPath", format!("{base}\\{}", d.name));
        p.s("TemporaryDataFolderPath", "");
        p.b("CircularLoggingEnabled", d.circular_logging_enabled);
        p.s("LogFilePrefix", "E00");
        p.i("LogFileSize", 1024);
        for n in [
            "LogBuffers",
            "MaximumOpenTables",
            "MaximumTemporaryTables",
            "MaximumCursors",
            "MaximumSessions",
            "MaximumVersionStorePages",
            "PreferredVersionStorePages",
            "DatabaseExtensionSize",
            "LogCheckpointDepth",
            "ReplayCheckpointDepth",
            "CachedClosedTables",
            "CachePriority",
            "ReplayCachePriority",
            "MaximumPreReadPages",
            "MaximumReplayPreReadPages",
        ] {
            p.nil(n);
        }
        p.s("DataMoveReplicationConstraint", "None");
        p.b("IsMailboxDatabase", true);
        p.b("IsPublicFolderDatabase", false);
        p.nil("MailboxProvisioningAttributes");
        p.s("AdminDisplayName", d.name.clone());
        p.s("ExchangeVersion", "0.10 (14.0.100.0)");
        p.s("DistinguishedName", dn);
        p.s("Identity", d.name.clone());
        p.g("Guid", d.guid);
        p.s(
            "ObjectCategory",
            format!("{}/Configuration/Schema/ms-Exch-Private-MDB", org.domain),
        );
        p.strs(
            "ObjectClass",
            &MVP_STRING,
            ["top", "msExchMDB", "msExchPrivateMDB"],
        );
        self.when(&mut p, d.when_created, d.when_created);
        p.s("OrganizationId", "");
        p.s("Id", d.name.clone());
        p.s("OriginatingServer", org.domain_controller.clone());
        p.b("IsValid", true);
        p.s("ObjectState", "Unchanged");
        object(&TN_DATABASE, d.name.clone(), p)
    }

    /// A `ThrottlingPolicy` (Get-ThrottlingPolicy): the budgets as `Unlimited<UInt32>` texts.
    pub fn throttling_policy(&self, t: &ThrottlingPolicy) -> PsValue {
        let org = self.dir.org();
        let mut p = Props::new();
        p.s("ThrottlingPolicyScope", t.scope.clone());
        p.b("IsServiceAccount", false);
        p.b("IsLegacyDefault", false);
        p.nil("Diagnostics");
        for (name, value) in t.powershell_budgets() {
            p.s(name, unlimited_text(value));
        }
        p.s(
            "PswsMaxRequestTimePeriod",
            unlimited_text(t.psws_max_request_time_period),
        );
        p.s("AdminDisplayName", "");
        p.s("ExchangeVersion", "0.10 (14.0.100.0)");
        p.s("Name", t.name.clone());
        p.s(
            "DistinguishedName",
            format!(
                "CN={},CN=Global Settings,CN={},CN=Microsoft Exchange,CN=Services,CN=Configuration,{}",
                t.name,
                org.organization_name,
                org.ou_dn(&org.domain)
            ),
        );
        p.s("Identity", t.name.clone());
        p.g("Guid", t.guid);
        p.s(
            "ObjectCategory",
            format!(
                "{}/Configuration/Schema/ms-Exch-Throttling-Policy",
                org.domain
            ),
        );
        p.strs(
            "ObjectClass",
            &MVP_STRING,
            ["top", "msExchGenericPolicy", "msExchThrottlingPolicy"],
        );
        self.when(&mut p, t.when_created, t.when_created);
        p.s("OrganizationId", "");
        p.s("Id", t.name.clone());
        p.s("OriginatingServer", org.domain_controller.clone());
        p.b("IsValid", true);
        p.s("ObjectState", "Unchanged");
        object(&TN_THROTTLING_POLICY, t.name.clone(), p)
    }

    /// A `ThrottlingPolicyAssociation` (Get-ThrottlingPolicyAssociation): an account with no
    /// policy of its own has an empty `ThrottlingPolicyId`, and the default policy applies.
    pub fn throttling_policy_association(&self, r: &Recipient) -> PsValue {
        let mut p = Props::new();
        p.s("ObjectId", self.dir.canonical_name(r));
        p.nil("ThrottlingPolicyId");
        self.tail(&mut p, r);
        let name = self.dir.canonical_name(r);
        object(&TN_THROTTLING_ASSOCIATION, name, p)
    }

    /// One `MailboxAcePresentationObject`.
    pub fn ace(&self, mailbox: &Recipient, ace: &MailboxAce, inherited: bool) -> PsValue {
        let mut p = Props::new();
        p.list(
            "AccessRights",
            &MAILBOX_RIGHTS_ARRAY,
            ace.access_rights
                .iter()
                .map(|s| PsValue::String(s.clone()))
                .collect(),
        );
        let mut deny = Props::new();
        deny.b("IsPresent", ace.deny);
        p.v(
            "Deny",
            object(
                &SWITCH,
                if ace.deny { "True" } else { "False" }.into(),
                deny,
            ),
        );
        p.s("InheritanceType", ace.inheritance_type.clone());
        p.s("User", ace.user.clone());
        p.s("Identity", self.dir.canonical_name(mailbox));
        p.b("IsInherited", inherited);
        p.b("IsValid", true);
        p.s("ObjectState", "Unchanged");
        object(
            &TN_ACE,
            "Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject".into(),
            p,
        )
    }
}

/// The ACEs every mailbox inherits from the database and organisation containers.
pub fn inherited_aces(netbios: &str) -> Vec<MailboxAce> {
    let ace = |user: String, rights: &[&str], deny: bool| MailboxAce {
        user,
        access_rights: rights.iter().map(|s| (*s).to_owned()).collect(),
        deny,
        inheritance_type: "All".into(),
    };
    vec![
        ace(format!("{netbios}\\Domain Admins"), &["FullAccess"], true),
        ace(
            format!("{netbios}\\Enterprise Admins"),
            &["FullAccess"],
            true,
        ),
        ace(
            format!("{netbios}\\Organization Management"),
            &["FullAccess"],
            true,
        ),
        ace("NT AUTHORITY\\SYSTEM".into(), &["FullAccess"], false),
        ace(
            "NT AUTHORITY\\NETWORK SERVICE".into(),
            &["ReadPermission"],
            false,
        ),
        ace(
            format!("{netbios}\\Exchange Servers"),
            &["FullAccess", "ReadPermission"],
            false,
        ),
        ace(
            format!("{netbios}\\Exchange Trusted Subsystem"),
            &[
                "FullAccess",
                "DeleteItem",
                "ReadPermission",
                "ChangePermission",
                "ChangeOwner",
            ],
            false,
        ),
        ace(
            format!("{netbios}\\Managed Availability Servers"),
            &["ReadPermission"],
            false,
        ),
    ]
}

/// The explicit `NT AUTHORITY\SELF` ACE every mailbox gets when it is created.
pub fn self_ace() -> MailboxAce {
    MailboxAce {
        user: "NT AUTHORITY\\SELF".into(),
        access_rights: vec!["FullAccess".into(), "ReadPermission".into()],
        deny: false,
        inheritance_type: "All".into(),
    }
}

/// An error record as the [MS-PSRP] 2.2.3.15 ErrorRecord object: `Exception` (with its type-name
/// chain and `Message`), `TargetObject`, `FullyQualifiedErrorId`, `InvocationInfo` (Nil), the
/// flattened `ErrorCategory_*` properties and `SerializeExtendedInfo` false.
pub fn error_record(e: &SimErrorRecord) -> PsValue {
    let names: Tn = std::iter::once(e.exception_type.clone())
        .chain(e.exception_base_types.iter().cloned())
        .collect();
    let mut ex = Props::new();
    ex.s("Message", e.message.clone());
    ex.s("Data", "System.Collections.ListDictionaryInternal");
    ex.nil("InnerException");
    ex.nil("TargetSite");
    ex.nil("StackTrace");
    ex.nil("HelpLink");
    ex.nil("Source");
    ex.i("HResult", -2_146_233_088);
    let exception = object(&names, e.message.clone(), ex);
    let mut ms = Props::new();
    ms.v("Exception", exception);
    ms.v(
        "TargetObject",
        e.target_object.clone().unwrap_or(PsValue::Nil),
    );
    ms.s("FullyQualifiedErrorId", e.fully_qualified_error_id.clone());
    ms.nil("InvocationInfo");
    ms.i("ErrorCategory_Category", e.category);
    ms.s("ErrorCategory_Activity", e.activity.clone());
    ms.s("ErrorCategory_Reason", e.reason.clone());
    ms.s("ErrorCategory_TargetName", e.target_name.clone());
    ms.s("ErrorCategory_TargetType", e.target_type.clone());
    ms.s("ErrorCategory_Message", e.category_message());
    ms.b("SerializeExtendedInfo", false);
    PsValue::object(PsObject {
        type_names: Some(tn(&[
            "System.Management.Automation.ErrorRecord",
            "System.Object",
        ])),
        to_string: Some(e.message.clone()),
        extended: ms.0,
        ..PsObject::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_like_exchange() {
        assert_eq!(byte_size(32_212_254_720), "30 GB (32,212,254,720 bytes)");
        assert_eq!(byte_size(262_144), "256 KB (262,144 bytes)");
        assert_eq!(byte_size(2_469_396_480), "2.3 GB (2,469,396,480 bytes)");
        assert_eq!(byte_size(500), "500 B (500 bytes)");
        assert_eq!(limit(None), "Unlimited");
    }

    #[test]
    fn dtmf_digits() {
        assert_eq!(dtmf("Administrator"), "2364647872867");
    }
}
