//! The directory's records: AD users, contacts and groups with their Exchange attributes, mailbox
//! databases, mailbox permissions and client-access settings.
//!
//! Every record is `serde`-serializable: the seed JSON (see [`crate::exchange::seed`]) is these
//! records as they are, with defaults for anything left out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `RecipientTypeDetails`: what kind of recipient an AD object is, the way Exchange reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum RecipientTypeDetails {
    /// An enabled AD user without Exchange attributes.
    #[default]
    User,
    /// A disabled AD user without Exchange attributes.
    DisabledUser,
    /// A user with an on-premises mailbox.
    UserMailbox,
    /// A shared mailbox (disabled account).
    SharedMailbox,
    /// A room resource mailbox.
    RoomMailbox,
    /// An equipment resource mailbox.
    EquipmentMailbox,
    /// A user whose mailbox lives in Exchange Online (hybrid).
    RemoteUserMailbox,
    /// A shared mailbox in Exchange Online.
    RemoteSharedMailbox,
    /// A room mailbox in Exchange Online.
    RemoteRoomMailbox,
    /// An equipment mailbox in Exchange Online.
    RemoteEquipmentMailbox,
    /// A mail-enabled user with an external address.
    MailUser,
    /// A mail-enabled contact.
    MailContact,
    /// A mail-enabled universal distribution group.
    MailUniversalDistributionGroup,
    /// A mail-enabled universal security group.
    MailUniversalSecurityGroup,
}

/// The AD object class behind a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdClass {
    /// `user` (also mailboxes, mail users, remote mailboxes).
    User,
    /// `contact`.
    Contact,
    /// `group`.
    Group,
}

impl RecipientTypeDetails {
    /// All values, in the order Exchange documents them.
    pub const ALL: [RecipientTypeDetails; 14] = [
        RecipientTypeDetails::User,
        RecipientTypeDetails::DisabledUser,
        RecipientTypeDetails::UserMailbox,
        RecipientTypeDetails::SharedMailbox,
        RecipientTypeDetails::RoomMailbox,
        RecipientTypeDetails::EquipmentMailbox,
        RecipientTypeDetails::RemoteUserMailbox,
        RecipientTypeDetails::RemoteSharedMailbox,
        RecipientTypeDetails::RemoteRoomMailbox,
        RecipientTypeDetails::RemoteEquipmentMailbox,
        RecipientTypeDetails::MailUser,
        RecipientTypeDetails::MailContact,
        RecipientTypeDetails::MailUniversalDistributionGroup,
        RecipientTypeDetails::MailUniversalSecurityGroup,
    ];

    /// The enum name as Exchange prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientTypeDetails::User => "User",
            RecipientTypeDetails::DisabledUser => "DisabledUser",
            RecipientTypeDetails::UserMailbox => "UserMailbox",
            RecipientTypeDetails::SharedMailbox => "SharedMailbox",
            RecipientTypeDetails::RoomMailbox => "RoomMailbox",
            RecipientTypeDetails::EquipmentMailbox => "EquipmentMailbox",
            RecipientTypeDetails::RemoteUserMailbox => "RemoteUserMailbox",
            RecipientTypeDetails::RemoteSharedMailbox => "RemoteSharedMailbox",
            RecipientTypeDetails::RemoteRoomMailbox => "RemoteRoomMailbox",
            RecipientTypeDetails::RemoteEquipmentMailbox => "RemoteEquipmentMailbox",
            RecipientTypeDetails::MailUser => "MailUser",
            RecipientTypeDetails::MailContact => "MailContact",
            RecipientTypeDetails::MailUniversalDistributionGroup => {
                "MailUniversalDistributionGroup"
            }
            RecipientTypeDetails::MailUniversalSecurityGroup => "MailUniversalSecurityGroup",
        }
    }

    /// Parses an enum name, case-insensitively (PowerShell's enum conversion).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The coarser `RecipientType`.
    pub fn recipient_type(self) -> &'static str {
        match self {
            RecipientTypeDetails::User | RecipientTypeDetails::DisabledUser => "User",
            RecipientTypeDetails::UserMailbox
            | RecipientTypeDetails::SharedMailbox
            | RecipientTypeDetails::RoomMailbox
            | RecipientTypeDetails::EquipmentMailbox => "UserMailbox",
            RecipientTypeDetails::RemoteUserMailbox
            | RecipientTypeDetails::RemoteSharedMailbox
            | RecipientTypeDetails::RemoteRoomMailbox
            | RecipientTypeDetails::RemoteEquipmentMailbox
            | RecipientTypeDetails::MailUser => "MailUser",
            RecipientTypeDetails::MailContact => "MailContact",
            RecipientTypeDetails::MailUniversalDistributionGroup => {
                "MailUniversalDistributionGroup"
            }
            RecipientTypeDetails::MailUniversalSecurityGroup => "MailUniversalSecurityGroup",
        }
    }

    /// The AD class of objects of this kind.
    pub fn ad_class(self) -> AdClass {
        match self {
            RecipientTypeDetails::MailContact => AdClass::Contact,
            RecipientTypeDetails::MailUniversalDistributionGroup
            | RecipientTypeDetails::MailUniversalSecurityGroup => AdClass::Group,
            _ => AdClass::User,
        }
    }

    /// An on-premises mailbox of any kind.
    pub fn is_mailbox(self) -> bool {
        self.recipient_type() == "UserMailbox"
    }

    /// A remote (Exchange Online) mailbox of any kind.
    pub fn is_remote_mailbox(self) -> bool {
        matches!(
            self,
            RecipientTypeDetails::RemoteUserMailbox
                | RecipientTypeDetails::RemoteSharedMailbox
                | RecipientTypeDetails::RemoteRoomMailbox
                | RecipientTypeDetails::RemoteEquipmentMailbox
        )
    }

    /// A mail-enabled group.
    pub fn is_group(self) -> bool {
        self.ad_class() == AdClass::Group
    }

    /// An AD user without any Exchange attributes.
    pub fn is_plain_user(self) -> bool {
        matches!(
            self,
            RecipientTypeDetails::User | RecipientTypeDetails::DisabledUser
        )
    }

    /// Mail-enabled (has an alias and addresses).
    pub fn is_mail_enabled(self) -> bool {
        !self.is_plain_user()
    }
}

/// One recipient: an AD object plus whatever Exchange attributes it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Recipient {
    /// `objectGUID`; derived from the DN when the seed leaves it out.
    #[serde(skip_serializing_if = "Uuid::is_nil")]
    pub guid: Uuid,
    /// What kind of recipient this is.
    #[serde(rename = "type")]
    pub kind: RecipientTypeDetails,
    /// The `cn`.
    pub name: String,
    /// The canonical name of the parent OU or container, `contoso.com/Users`; empty = the
    /// organisation's default container for the kind.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ou: String,
    /// `displayName`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// Person attributes (users and contacts); boxed to keep recipients small in bulk.
    #[serde(skip_serializing_if = "Person::is_empty")]
    pub person: Box<Person>,
    /// Account attributes (users only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// Exchange attributes shared by every mail-enabled recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<MailAttributes>,
    /// The on-premises mailbox; boxed to keep recipients small in bulk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<Box<MailboxData>>,
    /// The Exchange Online mailbox of a remote mailbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteData>,
    /// Group attributes and membership.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupData>,
    /// `whenCreated`, seconds since the Unix epoch (UTC).
    pub when_created: i64,
    /// `whenChanged`, seconds since the Unix epoch (UTC).
    pub when_changed: i64,
}

impl Recipient {
    /// The kind an account falls back to once its Exchange attributes are removed
    /// (Disable-Mailbox, Disable-RemoteMailbox, Disable-MailUser).
    pub fn plain_user_kind(&self) -> RecipientTypeDetails {
        if self.account.as_ref().is_some_and(|a| a.disabled) {
            RecipientTypeDetails::DisabledUser
        } else {
            RecipientTypeDetails::User
        }
    }
}

/// Person attributes (`OrgPersonPresentationObject`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Person {
    /// `FirstName` (`givenName`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub first_name: String,
    /// `LastName` (`sn`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub last_name: String,
    /// `Initials`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub initials: String,
    /// `Department`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub department: String,
    /// `Title`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// `Company`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub company: String,
    /// `Office` (`physicalDeliveryOfficeName`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub office: String,
    /// `Phone` (`telephoneNumber`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phone: String,
    /// `MobilePhone`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mobile_phone: String,
    /// `StreetAddress`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub street_address: String,
    /// `City` (`l`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub city: String,
    /// `StateOrProvince` (`st`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub state_or_province: String,
    /// `PostalCode`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub postal_code: String,
    /// Country name as Exchange prints a `CountryInfo` (`United States`); empty = unset (Nil).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub country_or_region: String,
    /// `Notes` (`info`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// The manager's `objectGUID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<Uuid>,
}

impl Person {
    /// Whether every attribute is unset (keeps the seed JSON short).
    pub fn is_empty(&self) -> bool {
        *self == Person::default()
    }
}

/// Attributes only security principals (users) have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Account {
    /// `sAMAccountName`.
    pub sam_account_name: String,
    /// `userPrincipalName`.
    pub user_principal_name: String,
    /// `objectSid`; derived when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sid: String,
    /// `userAccountControl` ACCOUNTDISABLE.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// `pwdLastSet = 0`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reset_password_on_next_logon: bool,
    /// `RemotePowerShellEnabled`.
    #[serde(skip_serializing_if = "is_true")]
    pub remote_powershell_enabled: bool,
    /// The account password, when one was set through a cmdlet or the seed (never rendered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

/// Exchange attributes every mail-enabled recipient carries (`MailEnabledRecipient`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailAttributes {
    /// `mailNickname`.
    pub alias: String,
    /// `proxyAddresses`, prefix included (`SMTP:` primary, `smtp:` secondary, `X500:` …).
    pub email_addresses: Vec<String>,
    /// `targetAddress` of mail users, contacts and remote mailboxes (with prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_email_address: Option<String>,
    /// `legacyExchangeDN`; derived when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub legacy_exchange_dn: String,
    /// Stamped by the email address policy.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub email_address_policy_enabled: bool,
    /// `msExchHideFromAddressLists`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden_from_address_lists_enabled: bool,
    /// `CustomAttribute1`…`15`, by number.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_attributes: BTreeMap<u8, String>,
    /// `ExtensionCustomAttribute1`…`5`, by number.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extension_custom_attributes: BTreeMap<u8, Vec<String>>,
    /// `MaxSendSize` in bytes; `None` = Unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_send_size: Option<u64>,
    /// `MaxReceiveSize` in bytes; `None` = Unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_receive_size: Option<u64>,
    /// `RequireSenderAuthenticationEnabled`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_sender_authentication_enabled: bool,
    /// `ModerationEnabled`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub moderation_enabled: bool,
    /// `ModeratedBy`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moderated_by: Vec<Uuid>,
    /// `AcceptMessagesOnlyFrom`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accept_messages_only_from: Vec<Uuid>,
    /// `GrantSendOnBehalfTo`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grant_send_on_behalf_to: Vec<Uuid>,
    /// `SimpleDisplayName`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub simple_display_name: String,
    /// `WindowsEmailAddress` (the `mail` attribute); follows the primary SMTP address when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub windows_email_address: String,
}

impl Default for MailAttributes {
    fn default() -> Self {
        MailAttributes {
            alias: String::new(),
            email_addresses: Vec::new(),
            external_email_address: None,
            legacy_exchange_dn: String::new(),
            email_address_policy_enabled: true,
            hidden_from_address_lists_enabled: false,
            custom_attributes: BTreeMap::new(),
            extension_custom_attributes: BTreeMap::new(),
            max_send_size: None,
            max_receive_size: None,
            require_sender_authentication_enabled: false,
            moderation_enabled: false,
            moderated_by: Vec::new(),
            accept_messages_only_from: Vec::new(),
            grant_send_on_behalf_to: Vec::new(),
            simple_display_name: String::new(),
            windows_email_address: String::new(),
        }
    }
}

impl MailAttributes {
    /// The address of the `SMTP:` (primary) proxy address.
    pub fn primary_smtp(&self) -> Option<&str> {
        self.email_addresses
            .iter()
            .find_map(|a| a.strip_prefix("SMTP:"))
    }
}

/// An on-premises mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailboxData {
    /// The mailbox database (`homeMDB`), by its GUID.
    pub database: Uuid,
    /// `msExchMailboxGuid`; random when left out.
    #[serde(skip_serializing_if = "Uuid::is_nil")]
    pub exchange_guid: Uuid,
    /// `WhenMailboxCreated`, Unix seconds; `whenCreated` when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub when_mailbox_created: i64,
    /// The archive, when one is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_guid: Option<Uuid>,
    /// `UseDatabaseQuotaDefaults`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub use_database_quota_defaults: bool,
    /// `IssueWarningQuota` in bytes; `None` = Unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_warning_quota: Option<u64>,
    /// `ProhibitSendQuota` in bytes; `None` = Unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prohibit_send_quota: Option<u64>,
    /// `ProhibitSendReceiveQuota` in bytes; `None` = Unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prohibit_send_receive_quota: Option<u64>,
    /// `RecipientLimits`; `None` = Unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_limits: Option<u64>,
    /// `ForwardingAddress`, a recipient's GUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarding_address: Option<Uuid>,
    /// `ForwardingSmtpAddress` (`smtp:bob@fabrikam.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarding_smtp_address: Option<String>,
    /// `DeliverToMailboxAndForward`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deliver_to_mailbox_and_forward: bool,
    /// `LitigationHoldEnabled`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub litigation_hold_enabled: bool,
    /// `SingleItemRecoveryEnabled`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub single_item_recovery_enabled: bool,
    /// `AuditEnabled`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub audit_enabled: bool,
    /// `RetentionPolicy` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_policy: Option<String>,
    /// `AddressBookPolicy` name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_book_policy: Option<String>,
    /// Explicit (non-inherited) mailbox permissions, besides the `NT AUTHORITY\SELF` default.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<MailboxAce>,
    /// Client access settings.
    #[serde(skip_serializing_if = "CasSettings::is_default")]
    pub cas: CasSettings,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl Default for MailboxData {
    fn default() -> Self {
        MailboxData {
            database: Uuid::nil(),
            exchange_guid: Uuid::nil(),
            when_mailbox_created: 0,
            archive_guid: None,
            use_database_quota_defaults: true,
            issue_warning_quota: None,
            prohibit_send_quota: None,
            prohibit_send_receive_quota: None,
            recipient_limits: None,
            forwarding_address: None,
            forwarding_smtp_address: None,
            deliver_to_mailbox_and_forward: false,
            litigation_hold_enabled: false,
            single_item_recovery_enabled: false,
            audit_enabled: false,
            retention_policy: None,
            address_book_policy: None,
            permissions: Vec::new(),
            cas: CasSettings::default(),
        }
    }
}

/// The cloud side of a remote mailbox (`RemoteMailbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteData {
    /// `RemoteRoutingAddress`, with prefix (`SMTP:alice@contoso.mail.onmicrosoft.com`).
    pub remote_routing_address: String,
    /// `RemoteRecipientType` (`ProvisionMailbox`, `Migrated`, …).
    pub remote_recipient_type: String,
    /// `ExchangeGuid` of the cloud mailbox (zero until synchronised).
    #[serde(skip_serializing_if = "Uuid::is_nil")]
    pub exchange_guid: Uuid,
    /// `ArchiveGuid` of the cloud archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_guid: Option<Uuid>,
}

/// Group attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupData {
    /// `sAMAccountName` of the group.
    pub sam_account_name: String,
    /// Direct members, by GUID, in the order they were added.
    pub members: Vec<Uuid>,
    /// `ManagedBy`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_by: Vec<Uuid>,
    /// `MemberJoinRestriction`: `Open`, `Closed` or `ApprovalRequired`.
    pub member_join_restriction: String,
    /// `MemberDepartRestriction`.
    pub member_depart_restriction: String,
    /// The group's notes (`info`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

impl Default for GroupData {
    fn default() -> Self {
        GroupData {
            sam_account_name: String::new(),
            members: Vec::new(),
            managed_by: Vec::new(),
            member_join_restriction: "Closed".into(),
            member_depart_restriction: "Closed".into(),
            notes: String::new(),
        }
    }
}

/// `MailboxRights` flags ([MS-... ] Exchange `MailboxRights`), in the order Exchange prints them.
pub const MAILBOX_RIGHTS: [&str; 7] = [
    "FullAccess",
    "SendAs",
    "ExternalAccount",
    "DeleteItem",
    "ReadPermission",
    "ChangePermission",
    "ChangeOwner",
];

/// `ActiveDirectorySecurityInheritance` values.
pub const INHERITANCE_TYPES: [&str; 5] =
    ["None", "All", "Descendents", "SelfAndChildren", "Children"];

/// One explicit mailbox permission (an ACE on the mailbox security descriptor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxAce {
    /// The trustee as `DOMAIN\sam` or a well-known name (`NT AUTHORITY\SELF`).
    pub user: String,
    /// Granted rights, names from [`MAILBOX_RIGHTS`], kept in that order.
    pub access_rights: Vec<String>,
    /// A deny ACE.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deny: bool,
    /// Inheritance type, one of [`INHERITANCE_TYPES`].
    #[serde(default = "inheritance_all")]
    pub inheritance_type: String,
}

fn inheritance_all() -> String {
    "All".into()
}

/// `CASMailbox` protocol settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CasSettings {
    /// `ActiveSyncEnabled`.
    pub active_sync_enabled: bool,
    /// `OWAEnabled`.
    pub owa_enabled: bool,
    /// `OWAforDevicesEnabled`.
    pub owa_for_devices_enabled: bool,
    /// `ECPEnabled`.
    pub ecp_enabled: bool,
    /// `PopEnabled`.
    pub pop_enabled: bool,
    /// `ImapEnabled`.
    pub imap_enabled: bool,
    /// `MAPIEnabled`.
    pub mapi_enabled: bool,
    /// `None` = not set (Nil on the wire).
    pub mapi_http_enabled: Option<bool>,
    /// `None` = not set (Nil on the wire).
    pub ews_enabled: Option<bool>,
    /// `ActiveSyncMailboxPolicy`; `None` = the default policy.
    pub active_sync_mailbox_policy: Option<String>,
    /// `OwaMailboxPolicy`.
    pub owa_mailbox_policy: Option<String>,
    /// `ActiveSyncAllowedDeviceIDs`.
    pub active_sync_allowed_device_ids: Vec<String>,
    /// `ActiveSyncBlockedDeviceIDs`.
    pub active_sync_blocked_device_ids: Vec<String>,
    /// `EwsAllowList`.
    pub ews_allow_list: Vec<String>,
    /// `EwsBlockList`.
    pub ews_block_list: Vec<String>,
}

impl Default for CasSettings {
    fn default() -> Self {
        CasSettings {
            active_sync_enabled: true,
            owa_enabled: true,
            owa_for_devices_enabled: true,
            ecp_enabled: true,
            pop_enabled: true,
            imap_enabled: true,
            mapi_enabled: true,
            mapi_http_enabled: None,
            ews_enabled: None,
            active_sync_mailbox_policy: None,
            owa_mailbox_policy: None,
            active_sync_allowed_device_ids: Vec::new(),
            active_sync_blocked_device_ids: Vec::new(),
            ews_allow_list: Vec::new(),
            ews_block_list: Vec::new(),
        }
    }
}

impl CasSettings {
    /// Whether these are the defaults (keeps the seed JSON short).
    pub fn is_default(&self) -> bool {
        *self == CasSettings::default()
    }
}

/// A mailbox database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// The database name (its identity).
    pub name: String,
    /// `objectGUID`; derived from the name when left out.
    #[serde(skip_serializing_if = "Uuid::is_nil")]
    pub guid: Uuid,
    /// The server hosting the active copy (NetBIOS name); the organisation's server when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server: String,
    /// `IssueWarningQuota` in bytes; `None` = Unlimited.
    pub issue_warning_quota: Option<u64>,
    /// `ProhibitSendQuota` in bytes; `None` = Unlimited.
    pub prohibit_send_quota: Option<u64>,
    /// `ProhibitSendReceiveQuota` in bytes; `None` = Unlimited.
    pub prohibit_send_receive_quota: Option<u64>,
    /// Excluded from automatic mailbox distribution.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_excluded_from_provisioning: bool,
    /// `CircularLoggingEnabled`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub circular_logging_enabled: bool,
    /// `whenCreated`, Unix seconds.
    pub when_created: i64,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            name: String::new(),
            guid: Uuid::nil(),
            server: String::new(),
            issue_warning_quota: Some(2_039_480_320),
            prohibit_send_quota: Some(2_147_483_648),
            prohibit_send_receive_quota: Some(2_469_396_480),
            is_excluded_from_provisioning: false,
            circular_logging_enabled: false,
            when_created: 0,
        }
    }
}
