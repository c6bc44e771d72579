//! Get-ThrottlingPolicy and Get-ThrottlingPolicyAssociation: Exchange's default global policy
//! with its budgets as `Unlimited<UInt32>` texts, the shell quota the service enforces, and
//! RBAC as Exchange applies it (View-Only Configuration, not Recipient Management).

use monosync_exchange::clixml::PsValue;
use mx_sim::exchange::{BoundArg, Exchange};
use mx_sim::{Endpoint, Server, ServiceConfig, SimConfig};

const SEED: &str = include_str!("../seed/default.json");

fn ex() -> Exchange {
    let mut e = Exchange::from_seed_json(SEED).expect("default seed loads");
    e.set_clock(Some(1_700_000_000));
    e
}

fn prop<'a>(v: &'a PsValue, name: &str) -> &'a PsValue {
    v.property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

fn text<'a>(v: &'a PsValue, name: &str) -> &'a str {
    prop(v, name)
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string"))
}

#[test]
fn the_default_policy_is_exchanges_global_policy() {
    let mut e = ex();
    let r = e.invoke_as("Administrator", "Get-ThrottlingPolicy", &[]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.output.len(), 1);
    let p = &r.output[0];
    let name = text(p, "Name");
    assert!(name.starts_with("GlobalThrottlingPolicy_"), "{name}");
    assert_eq!(text(p, "ThrottlingPolicyScope"), "Global");
    assert_eq!(text(p, "PowerShellMaxConcurrency"), "18");
    for unlimited in [
        "PowerShellMaxCmdlets",
        "PowerShellMaxCmdletsTimePeriod",
        "PowerShellMaxDestructiveCmdlets",
        "PowerShellMaxDestructiveCmdletsTimePeriod",
        "PowerShellMaxRunspaces",
        "PowerShellMaxRunspacesTimePeriod",
    ] {
        assert_eq!(text(p, unlimited), "Unlimited", "{unlimited}");
    }
    let names = p
        .as_object()
        .and_then(|o| o.type_names.clone())
        .expect("type names");
    assert_eq!(
        names[0],
        "Microsoft.Exchange.Data.Directory.SystemConfiguration.ThrottlingPolicy"
    );
    // By name, by scope; an unknown name is Exchange's not-found error.
    let r = e.invoke_as(
        "Administrator",
        "Get-ThrottlingPolicy",
        &[BoundArg::named("Identity", name)],
    );
    assert_eq!(r.output.len(), 1);
    let r = e.invoke_as(
        "Administrator",
        "Get-ThrottlingPolicy",
        &[BoundArg::named("ThrottlingPolicyScope", "Regular")],
    );
    assert!(r.output.is_empty() && r.errors.is_empty());
    let r = e.invoke_as(
        "Administrator",
        "Get-ThrottlingPolicy",
        &[BoundArg::named("Identity", "NoSuchPolicy")],
    );
    assert_eq!(
        r.errors[0].exception_type,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    );
}

#[test]
fn an_account_without_a_policy_of_its_own_has_an_empty_association() {
    let mut e = ex();
    let r = e.invoke_as(
        "auditor",
        "Get-ThrottlingPolicyAssociation",
        &[BoundArg::named("Identity", "CONTOSO\\Administrator")],
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.output.len(), 1);
    let a = &r.output[0];
    assert!(prop(a, "ThrottlingPolicyId").is_nil());
    assert!(text(a, "ObjectId").ends_with("/Administrator"), "{a:?}");
    let r = e.invoke_as(
        "auditor",
        "Get-ThrottlingPolicyAssociation",
        &[BoundArg::named("Identity", "nobody.here")],
    );
    assert!(r.output.is_empty());
    assert!(r.errors[0].message.contains("couldn't be found"));
}

#[test]
fn recipient_management_may_not_read_the_policy() {
    let mut e = ex();
    for cmdlet in ["Get-ThrottlingPolicy", "Get-ThrottlingPolicyAssociation"] {
        let r = e.invoke_as("recipientadmin", cmdlet, &[]);
        assert!(r.failed, "{cmdlet}");
        assert_eq!(
            r.errors[0].exception_type, "System.Management.Automation.CommandNotFoundException",
            "{cmdlet}"
        );
        for reader in ["Administrator", "auditor"] {
            assert!(
                e.invoke_as(reader, cmdlet, &[]).errors.is_empty(),
                "{reader}"
            );
        }
    }
}

#[test]
fn the_reported_concurrency_is_the_quota_the_service_enforces() {
    let server = Server::start(SimConfig {
        service: ServiceConfig {
            max_shells_per_user: 5,
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let _ = server.url(Endpoint::PowerShell);
    let r = server
        .exchange()
        .invoke_as("Administrator", "Get-ThrottlingPolicy", &[]);
    assert_eq!(text(&r.output[0], "PowerShellMaxConcurrency"), "5");
}
