//! Get-MailboxDatabase and Set-ADServerSettings.

use super::{CmdletDef, Ctx, Impact, Stop, params_of};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0};

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Get-MailboxDatabase",
            class: "Microsoft.Exchange.Management.SystemConfigurationTasks.GetMailboxDatabase",
            impact: Impact::None,
            params: params_of(&[&[
                pos0("Identity", T::String),
                opt("Server", T::String),
                opt("Status", T::Switch),
                opt("DumpsterStatistics", T::Switch),
                opt("IncludePreExchange2013", T::Switch),
                opt("IncludeCorrupted", T::Switch),
                opt("DomainController", T::String),
            ]]),
            run: get_database,
        },
        CmdletDef {
            name: "Set-ADServerSettings",
            class: "Microsoft.Exchange.Management.ADServerSettings.SetAdServerSettings",
            impact: Impact::Medium,
            params: params_of(&[&[
                opt("ViewEntireForest", T::Bool),
                opt("RecipientViewRoot", T::String),
                pos0("PreferredServer", T::String),
                opt("ConfigurationDomainController", T::String),
                opt("PreferredGlobalCatalog", T::String),
                opt("SetPreferredDomainControllers", T::MultiValued),
                opt("RunspaceServerSettings", T::Object),
            ]]),
            run: set_ad_server_settings,
        },
    ]
}

fn get_database(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    if b.has("Identity") && b.has("Server") {
        return Err(ctx
            .task
            .binding(
                crate::exchange::errors::BindingErrorKind::AmbiguousParameterSet,
                "Parameter set cannot be resolved using the specified named parameters.".into(),
            )
            .into());
    }
    let mut dbs: Vec<_> = match b.str("Identity") {
        Some(id) => {
            let found: Vec<_> = ctx.dir.resolve_database(id).into_iter().cloned().collect();
            if found.is_empty() {
                let e = ctx.task.database_not_found(id);
                ctx.error(e);
            }
            found
        }
        None => ctx.dir.databases().to_vec(),
    };
    if let Some(server) = b.str("Server") {
        let server = server.split('.').next().unwrap_or(server);
        dbs.retain(|d| d.server.eq_ignore_ascii_case(server));
    }
    let status = b.switch("Status");
    for d in dbs {
        let v = ctx.r().mailbox_database(&d, status);
        ctx.write(v);
    }
    Ok(())
}

fn set_ad_server_settings(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    if !ctx.should_process("Setting AD server settings for the current session.".into())? {
        return Ok(());
    }
    if let Some(v) = b.bool("ViewEntireForest") {
        ctx.session.view_entire_forest = v;
        if v {
            ctx.session.recipient_view_root = None;
        }
    }
    if let Some(root) = b.str("RecipientViewRoot") {
        ctx.session.recipient_view_root =
            (!root.is_empty()).then(|| root.trim_end_matches('/').to_owned());
    }
    if let Some(s) = b.str("PreferredServer") {
        ctx.session.preferred_server = (!s.is_empty()).then(|| s.to_owned());
    }
    Ok(())
}
