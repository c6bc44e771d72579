//! Synthetic organisations: `Directory::generate(n, seed)` builds `n` recipients with realistic
//! names, departments, OUs, two databases, groups with members, contacts, mail users, remote
//! mailboxes and users not yet mail-enabled. The same `seed` always gives the same directory.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::directory::{Directory, OrgConfig};
use super::rbac::SimAccount;
use super::recipient::{
    Account, Database, GroupData, MailAttributes, MailboxAce, MailboxData, Person, Recipient,
    RecipientTypeDetails, RemoteData,
};
use super::seed::Seed;

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Nancy",
    "Daniel",
    "Lisa",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Ronald",
    "Rebecca",
    "Jason",
    "Sharon",
    "Edward",
    "Laura",
    "Jeffrey",
    "Cynthia",
    "Ryan",
    "Amy",
    "Jacob",
    "Angela",
    "Gary",
    "Helen",
    "Nicholas",
    "Anna",
    "Eric",
    "Brenda",
    "Jonathan",
    "Pamela",
    "Stephen",
    "Nicole",
    "Larry",
    "Emma",
    "Justin",
    "Samantha",
    "Scott",
    "Katherine",
    "Brandon",
    "Christine",
    "Benjamin",
    "Debra",
    "Samuel",
    "Rachel",
    "Gregory",
    "Carolyn",
    "Alexander",
    "Janet",
    "Patrick",
    "Maria",
    "Frank",
    "Olivia",
    "Raymond",
    "Heather",
    "Jack",
    "Diane",
    "Dennis",
    "Julie",
    "Jerry",
    "Joyce",
];

const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
];

/// (department, titles, office city, state, postal code)
const DEPARTMENTS: &[(&str, &[&str], &str, &str, &str)] = &[
    (
        "Sales",
        &["Account Executive", "Sales Manager", "Sales Representative"],
        "Seattle",
        "WA",
        "98101",
    ),
    (
        "Marketing",
        &["Marketing Specialist", "Brand Manager", "Content Writer"],
        "Seattle",
        "WA",
        "98101",
    ),
    (
        "Engineering",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "Engineering Manager",
        ],
        "Redmond",
        "WA",
        "98052",
    ),
    (
        "Finance",
        &["Accountant", "Financial Analyst", "Controller"],
        "Chicago",
        "IL",
        "60601",
    ),
    (
        "Human Resources",
        &["HR Generalist", "Recruiter", "HR Manager"],
        "Chicago",
        "IL",
        "60601",
    ),
    (
        "Legal",
        &["Counsel", "Paralegal"],
        "New York",
        "NY",
        "10001",
    ),
    (
        "Operations",
        &[
            "Operations Analyst",
            "Logistics Coordinator",
            "Operations Manager",
        ],
        "Dallas",
        "TX",
        "75201",
    ),
    (
        "IT",
        &[
            "Systems Administrator",
            "Help Desk Technician",
            "Network Engineer",
        ],
        "Dallas",
        "TX",
        "75201",
    ),
    (
        "Support",
        &["Support Engineer", "Customer Success Manager"],
        "Denver",
        "CO",
        "80202",
    ),
];

const ROOMS: &[&str] = &[
    "Rainier", "Baker", "Olympus", "Adams", "Shasta", "Hood", "Whitney", "Denali",
];
const EQUIPMENT: &[&str] = &[
    "Projector",
    "Van",
    "Camera",
    "Laptop Cart",
    "Conference Phone",
];
const PARTNERS: &[&str] = &[
    "fabrikam.com",
    "adatum.com",
    "northwindtraders.com",
    "tailspintoys.com",
    "wingtiptoys.com",
];

/// 2022-01-03T09:00:00Z: the first object's `whenCreated`.
const EPOCH: i64 = 1_641_200_400;

struct Gen {
    rng: StdRng,
    org: OrgConfig,
    names: HashSet<String>,
    aliases: HashSet<String>,
    /// Next suffix to try per base name, so duplicates cost O(1) instead of a rescan.
    next_suffix: HashMap<String, u32>,
    db: [Uuid; 2],
    n: usize,
}

impl Gen {
    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.r#gen()).into_uuid()
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list.get(self.rng.gen_range(0..list.len()))
            .copied()
            .unwrap_or_default()
    }

    /// A unique display name and alias for a person.
    fn person_names(&mut self) -> (String, String, String, String) {
        let first = self.pick(FIRST).to_owned();
        let last = self.pick(LAST).to_owned();
        let mut name = format!("{first} {last}");
        let mut alias = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
        let base = alias.clone();
        let mut k = self.next_suffix.get(&base).copied().unwrap_or(2);
        while self.names.contains(&name.to_lowercase()) || self.aliases.contains(&alias) {
            name = format!("{first} {last} {k}");
            alias = format!("{}.{}{k}", first.to_lowercase(), last.to_lowercase());
            k += 1;
            self.next_suffix.insert(base.clone(), k);
        }
        self.names.insert(name.to_lowercase());
        self.aliases.insert(alias.clone());
        (first, last, name, alias)
    }

    fn unique(&mut self, base: &str) -> (String, String) {
        let mut name = base.to_owned();
        let mut k = self.next_suffix.get(base).copied().unwrap_or(2);
        while self.names.contains(&name.to_lowercase()) {
            name = format!("{base} {k}");
            k += 1;
            self.next_suffix.insert(base.to_owned(), k);
        }
        self.names.insert(name.to_lowercase());
        let mut alias: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        while self.aliases.contains(&alias.to_lowercase()) {
            alias.push('1');
        }
        self.aliases.insert(alias.to_lowercase());
        (name, alias)
    }

    fn user(&mut self, i: usize, kind: RecipientTypeDetails) -> Recipient {
        let (first, last, name, alias) = self.person_names();
        let (dept, titles, city, state, zip) =
            DEPARTMENTS[self.rng.gen_range(0..DEPARTMENTS.len())];
        let title = self.pick(titles).to_owned();
        let created = EPOCH + i64::try_from(i).unwrap_or(0) * 613;
        let sam = sam_for(&alias, i);
        let domain = self.org.domain.clone();
        let phone = format!("+1 (425) 555-{:04}", self.rng.gen_range(0..10_000));
        let mut r = Recipient {
            guid: self.uuid(),
            kind,
            name: name.clone(),
            ou: format!("{domain}/Corp/{dept}"),
            display_name: name,
            person: Box::new(Person {
                first_name: first,
                last_name: last,
                department: dept.into(),
                title,
                company: "Contoso Ltd".into(),
                office: format!("{city} {}", self.rng.gen_range(1..6)),
                phone,
                city: city.into(),
                state_or_province: state.into(),
                postal_code: zip.into(),
                country_or_region: "United States".into(),
                ..Person::default()
            }),
            account: Some(Account {
                sam_account_name: sam,
                user_principal_name: format!("{alias}@{domain}"),
                disabled: kind == RecipientTypeDetails::DisabledUser,
                remote_powershell_enabled: true,
                ..Account::default()
            }),
            when_created: created,
            when_changed: created + self.rng.gen_range(0..86_400 * 90),
            ..Recipient::default()
        };
        if kind.is_mail_enabled() {
            r.mail = Some(MailAttributes {
                alias: alias.clone(),
                email_addresses: vec![format!("SMTP:{alias}@{domain}")],
                ..MailAttributes::default()
            });
        }
        if kind.is_mailbox() {
            let db = self.db[self.rng.gen_range(0..2)];
            let mut mb = MailboxData {
                database: db,
                exchange_guid: self.uuid(),
                when_mailbox_created: created + 60,
                ..MailboxData::default()
            };
            if self.rng.gen_ratio(1, 10) {
                mb.archive_guid = Some(self.uuid());
            }
            if self.rng.gen_ratio(1, 20) {
                mb.litigation_hold_enabled = true;
            }
            r.mailbox = Some(Box::new(mb));
        }
        if kind.is_remote_mailbox() {
            let routing = format!("SMTP:{alias}@{}", self.org.remote_routing_domain);
            if let Some(m) = r.mail.as_mut() {
                m.external_email_address = Some(routing.clone());
                m.email_addresses
                    .push(format!("smtp:{alias}@{}", self.org.remote_routing_domain));
            }
            r.remote = Some(RemoteData {
                remote_routing_address: routing,
                remote_recipient_type: "Migrated".into(),
                exchange_guid: self.uuid(),
                archive_guid: None,
            });
        }
        if kind == RecipientTypeDetails::MailUser {
            let ext = format!("SMTP:{alias}@{}", self.pick(PARTNERS));
            if let Some(m) = r.mail.as_mut() {
                m.external_email_address = Some(ext);
            }
        }
        r
    }

    fn resource(&mut self, i: usize, kind: RecipientTypeDetails) -> Recipient {
        let base = match kind {
            RecipientTypeDetails::RoomMailbox => format!("Conf Room {}", self.pick(ROOMS)),
            RecipientTypeDetails::EquipmentMailbox => format!("Equipment {}", self.pick(EQUIPMENT)),
            _ => format!(
                "{} Team",
                DEPARTMENTS[self.rng.gen_range(0..DEPARTMENTS.len())].0
            ),
        };
        let (name, alias) = self.unique(&base);
        let domain = self.org.domain.clone();
        let created = EPOCH + i64::try_from(i).unwrap_or(0) * 613;
        Recipient {
            guid: self.uuid(),
            kind,
            name: name.clone(),
            ou: format!("{domain}/Resources"),
            display_name: name,
            account: Some(Account {
                sam_account_name: sam_for(&alias, i),
                user_principal_name: format!("{alias}@{domain}"),
                disabled: true,
                remote_powershell_enabled: true,
                ..Account::default()
            }),
            mail: Some(MailAttributes {
                alias: alias.clone(),
                email_addresses: vec![format!("SMTP:{alias}@{domain}")],
                ..MailAttributes::default()
            }),
            mailbox: Some(Box::new(MailboxData {
                database: self.db[self.rng.gen_range(0..2)],
                exchange_guid: self.uuid(),
                when_mailbox_created: created + 60,
                ..MailboxData::default()
            })),
            when_created: created,
            when_changed: created,
            ..Recipient::default()
        }
    }

    fn contact(&mut self, i: usize) -> Recipient {
        let first = self.pick(FIRST).to_owned();
        let last = self.pick(LAST).to_owned();
        let partner = self.pick(PARTNERS);
        let (name, alias) = self.unique(&format!("{first} {last} ({partner})"));
        let created = EPOCH + i64::try_from(i).unwrap_or(0) * 613;
        let mut ext = format!("{}.{}@{partner}", first.to_lowercase(), last.to_lowercase());
        let mut k = 2;
        while !self.aliases.insert(format!("external:{ext}")) {
            ext = format!(
                "{}.{}{k}@{partner}",
                first.to_lowercase(),
                last.to_lowercase()
            );
            k += 1;
        }
        Recipient {
            guid: self.uuid(),
            kind: RecipientTypeDetails::MailContact,
            name: name.clone(),
            ou: format!("{}/Contacts", self.org.domain),
            display_name: name,
            person: Box::new(Person {
                first_name: first,
                last_name: last,
                company: partner.into(),
                ..Person::default()
            }),
            mail: Some(MailAttributes {
                alias,
                email_addresses: vec![format!("SMTP:{ext}")],
                external_email_address: Some(format!("SMTP:{ext}")),
                ..MailAttributes::default()
            }),
            when_created: created,
            when_changed: created,
            ..Recipient::default()
        }
    }

    fn group(&mut self, i: usize, pool: &[Uuid], security: bool) -> Recipient {
        let (dept, ..) = DEPARTMENTS[self.rng.gen_range(0..DEPARTMENTS.len())];
        let suffix = if security { "Access" } else { "All" };
        let (name, alias) = self.unique(&format!("{dept} {suffix}"));
        let created = EPOCH + i64::try_from(i).unwrap_or(0) * 613;
        let count = self.rng.gen_range(3..=25).min(pool.len());
        let mut members = Vec::with_capacity(count);
        for _ in 0..count {
            if let Some(m) = pool.get(self.rng.gen_range(0..pool.len().max(1)))
                && !members.contains(m)
            {
                members.push(*m);
            }
        }
        let managed_by = members.first().copied().into_iter().collect();
        Recipient {
            guid: self.uuid(),
            kind: if security {
                RecipientTypeDetails::MailUniversalSecurityGroup
            } else {
                RecipientTypeDetails::MailUniversalDistributionGroup
            },
            name: name.clone(),
            ou: format!("{}/Groups", self.org.domain),
            display_name: name,
            mail: Some(MailAttributes {
                alias: alias.clone(),
                email_addresses: vec![format!("SMTP:{alias}@{}", self.org.domain)],
                require_sender_authentication_enabled: true,
                ..MailAttributes::default()
            }),
            group: Some(GroupData {
                sam_account_name: sam_for(&alias, i),
                members,
                managed_by,
                ..GroupData::default()
            }),
            when_created: created,
            when_changed: created,
            ..Recipient::default()
        }
    }
}

/// A sAMAccountName (at most 20 characters) from an alias, unique through the record index
/// when the alias is too long.
fn sam_for(alias: &str, i: usize) -> String {
    if alias.chars().count() <= 20 {
        return alias.to_owned();
    }
    let tag = format!("-{i}");
    let head: String = alias.chars().take(20 - tag.len()).collect();
    format!("{head}{tag}")
}

/// The Administrator mailbox every generated organisation starts with.
fn administrator(org: &OrgConfig, db: Uuid) -> Recipient {
    Recipient {
        guid: super::directory::stable_guid("recipient:administrator"),
        kind: RecipientTypeDetails::UserMailbox,
        name: "Administrator".into(),
        display_name: "Administrator".into(),
        account: Some(Account {
            sam_account_name: "Administrator".into(),
            user_principal_name: format!("Administrator@{}", org.domain),
            remote_powershell_enabled: true,
            sid: format!("{}-500", org.domain_sid),
            ..Account::default()
        }),
        mail: Some(MailAttributes {
            alias: "Administrator".into(),
            email_addresses: vec![format!("SMTP:Administrator@{}", org.domain)],
            ..MailAttributes::default()
        }),
        mailbox: Some(Box::new(MailboxData {
            database: db,
            exchange_guid: super::directory::stable_guid("mailbox:administrator"),
            ..MailboxData::default()
        })),
        when_created: EPOCH - 86_400,
        when_changed: EPOCH - 86_400,
        ..Recipient::default()
    }
}

/// The seed of a synthetic organisation of `n` recipients (besides Administrator).
pub fn generate_seed(n: usize, seed: u64) -> Seed {
    let org = OrgConfig::default();
    let databases = vec![
        Database {
            name: "DB01".into(),
            guid: super::directory::stable_guid("database:DB01"),
            server: org.server.clone(),
            when_created: EPOCH - 2 * 86_400,
            ..Database::default()
        },
        Database {
            name: "DB02".into(),
            guid: super::directory::stable_guid("database:DB02"),
            server: org.server.clone(),
            when_created: EPOCH - 2 * 86_400,
            ..Database::default()
        },
    ];
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        org: org.clone(),
        names: HashSet::with_capacity(n + 1),
        aliases: HashSet::with_capacity(2 * n + 1),
        next_suffix: HashMap::new(),
        db: [databases[0].guid, databases[1].guid],
        n,
    };
    g.names.insert("administrator".into());
    g.aliases.insert("administrator".into());
    let mut recipients = Vec::with_capacity(n + 1);
    recipients.push(administrator(&org, g.db[0]));
    let mut pool: Vec<Uuid> = Vec::new();
    let mut mailboxes: Vec<usize> = Vec::new();
    for i in 0..g.n {
        let roll = g.rng.gen_range(0..100);
        let r = match roll {
            0..=64 => g.user(i, RecipientTypeDetails::UserMailbox),
            65..=66 => g.resource(i, RecipientTypeDetails::SharedMailbox),
            67..=68 => g.resource(i, RecipientTypeDetails::RoomMailbox),
            69 => g.resource(i, RecipientTypeDetails::EquipmentMailbox),
            70..=77 => g.user(i, RecipientTypeDetails::RemoteUserMailbox),
            78..=81 => g.user(i, RecipientTypeDetails::MailUser),
            82..=87 => g.contact(i),
            88..=90 if !pool.is_empty() => {
                let security = g.rng.gen_ratio(1, 3);
                g.group(i, &pool, security)
            }
            88..=95 => g.user(i, RecipientTypeDetails::User),
            _ => g.user(i, RecipientTypeDetails::DisabledUser),
        };
        if r.kind.is_mail_enabled() && !r.kind.is_group() {
            pool.push(r.guid);
        }
        if r.kind == RecipientTypeDetails::UserMailbox {
            mailboxes.push(recipients.len());
        }
        recipients.push(r);
    }
    // Managers and a few delegated mailboxes, so Get-User and Get-MailboxPermission show links.
    let heads: Vec<Uuid> = mailboxes
        .iter()
        .step_by(12)
        .filter_map(|i| recipients.get(*i).map(|r| r.guid))
        .collect();
    for (k, i) in mailboxes.iter().enumerate() {
        let manager = heads.get(k / 12).copied();
        let delegate = if k % 15 == 1 {
            mailboxes
                .get(k.saturating_sub(1))
                .and_then(|j| recipients.get(*j))
                .and_then(|d| d.account.as_ref())
                .map(|a| format!("{}\\{}", org.netbios_name, a.sam_account_name))
        } else {
            None
        };
        if let Some(r) = recipients.get_mut(*i) {
            if manager != Some(r.guid) {
                r.person.manager = manager;
            }
            if let (Some(d), Some(mb)) = (delegate, r.mailbox.as_mut()) {
                mb.permissions.push(MailboxAce {
                    user: d,
                    access_rights: vec!["FullAccess".into()],
                    deny: false,
                    inheritance_type: "All".into(),
                });
            }
        }
    }
    Seed {
        org,
        databases,
        recipients,
        role_groups: Vec::new(),
        accounts: default_accounts(),
    }
}

/// The accounts of the default seed: an organisation admin, a recipient admin and a read-only
/// auditor.
pub fn default_accounts() -> Vec<SimAccount> {
    vec![
        SimAccount {
            user: "Administrator".into(),
            password: "P@ssw0rd!".into(),
            role_groups: vec!["Organization Management".into()],
            cmdlets: Vec::new(),
        },
        SimAccount {
            user: "recipientadmin".into(),
            password: "Recipients1!".into(),
            role_groups: vec!["Recipient Management".into()],
            cmdlets: Vec::new(),
        },
        SimAccount {
            user: "auditor".into(),
            password: "ReadOnly1!".into(),
            role_groups: vec!["View-Only Organization Management".into()],
            cmdlets: Vec::new(),
        },
    ]
}

impl Directory {
    /// A synthetic organisation of `n` recipients plus the Administrator mailbox, reproducible
    /// from `seed`.
    pub fn generate(n: usize, seed: u64) -> Directory {
        let s = generate_seed(n, seed);
        let mut dir = Directory::new(s.org);
        dir.reserve(s.recipients.len());
        for db in s.databases {
            // Names and GUIDs are distinct by construction.
            let _ = dir.add_database(db);
        }
        for r in s.recipients {
            // Names, aliases and addresses are unique by construction; a clash would only drop
            // that one recipient.
            if let Err(e) = dir.insert(r) {
                debug_assert!(false, "generated recipient refused: {e}");
            }
        }
        dir
    }
}
