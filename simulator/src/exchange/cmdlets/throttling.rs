//! Get-ThrottlingPolicy and Get-ThrottlingPolicyAssociation: read-only views of the policy
//! whose budgets the shell service enforces. Exchange grants them with the View-Only
//! Configuration role (View-Only Organization Management, Organization Management), not with
//! Recipient Management.

use super::{Accept, CmdletDef, Ctx, GET_COMMON, Impact, Stop, params_of};
use crate::exchange::params::{Bound, ParamType as T, opt, pos0};

const ANY_RECIPIENT: Accept = |_| true;

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    vec![
        CmdletDef {
            name: "Get-ThrottlingPolicy",
            class: "Microsoft.Exchange.Management.SystemConfigurationTasks.GetThrottlingPolicy",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Explicit", T::Switch),
                    opt("Diagnostics", T::Switch),
                    opt("ThrottlingPolicyScope", T::String),
                ],
                &GET_COMMON,
            ]),
            run: get_policy,
        },
        CmdletDef {
            name: "Get-ThrottlingPolicyAssociation",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetThrottlingPolicyAssociation",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("ThrottlingPolicy", T::String),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                ],
                &GET_COMMON,
            ]),
            run: get_association,
        },
    ]
}

/// Whether `identity` names the policy: its name, GUID or distinguished name.
fn names_policy(ctx: &Ctx<'_>, identity: &str) -> bool {
    let t = ctx.dir.throttling_policy();
    let id = identity.trim();
    id.eq_ignore_ascii_case(&t.name)
        || id.parse::<uuid::Uuid>().is_ok_and(|g| g == t.guid)
        || id
            .strip_prefix("CN=")
            .and_then(|rest| rest.split(',').next())
            .is_some_and(|cn| cn.eq_ignore_ascii_case(&t.name))
}

fn get_policy(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    if let Some(id) = b.str("Identity").filter(|id| !id.is_empty())
        && !names_policy(ctx, id)
    {
        let e = ctx.task.not_found(id);
        ctx.error(e);
        return Ok(());
    }
    let policy = ctx.dir.throttling_policy().clone();
    if let Some(scope) = b.str("ThrottlingPolicyScope")
        && !scope.eq_ignore_ascii_case(&policy.scope)
    {
        return Ok(());
    }
    let v = ctx.r().throttling_policy(&policy);
    ctx.write(v);
    Ok(())
}

fn get_association(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    // Every account uses the default policy without an association of its own, so asking
    // for the accounts associated with a policy finds none (or no such policy).
    if let Some(policy) = b.str("ThrottlingPolicy") {
        if !names_policy(ctx, policy) {
            let e = ctx.task.not_found(policy);
            ctx.error(e);
        }
        return Ok(());
    }
    let guids = ctx.select(b, ANY_RECIPIENT)?;
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx
            .dir
            .get(g)
            .map(|r| ctx.r().throttling_policy_association(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}
