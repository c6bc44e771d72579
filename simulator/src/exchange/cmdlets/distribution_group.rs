//! Get-, New-DistributionGroup; Add-, Remove-, Get-DistributionGroupMember.

use uuid::Uuid;

use super::{Accept, CmdletDef, Ctx, GET_COMMON, Impact, Stop, alias_from, params_of, set_primary};
use crate::exchange::params::{Bound, MultiValue, ParamType as T, opt, pos0, req0};
use crate::exchange::recipient::{
    AdClass, GroupData, MailAttributes, Recipient, RecipientTypeDetails,
};

const IS_GROUP: Accept = |r| r.kind.is_group();
const ANY: Accept = |_| true;

pub(super) fn cmdlets() -> Vec<CmdletDef> {
    let restriction = T::Enum(&["Open", "Closed", "ApprovalRequired"]);
    vec![
        CmdletDef {
            name: "Get-DistributionGroup",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetDistributionGroup",
            impact: Impact::None,
            params: params_of(&[
                &[
                    pos0("Identity", T::String),
                    opt("Anr", T::String),
                    opt("Filter", T::String),
                    opt("ManagedBy", T::String),
                    opt("OrganizationalUnit", T::String),
                    opt("RecipientTypeDetails", T::StringArray),
                    opt("ResultSize", T::CountLimit),
                    opt("SortBy", T::String),
                ],
                &GET_COMMON,
            ]),
            run: get_group,
        },
        CmdletDef {
            name: "New-DistributionGroup",
            class: "Microsoft.Exchange.Management.RecipientTasks.NewDistributionGroup",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Name", T::String),
                    opt("Alias", T::String),
                    opt("DisplayName", T::String),
                    opt("Type", T::Enum(&["Distribution", "Security"])),
                    opt("Members", T::MultiValued),
                    opt("ManagedBy", T::MultiValued),
                    opt("OrganizationalUnit", T::String),
                    opt("PrimarySmtpAddress", T::String),
                    opt("SamAccountName", T::String),
                    opt("Notes", T::String),
                    opt("MemberJoinRestriction", restriction),
                    opt("MemberDepartRestriction", restriction),
                    opt("RequireSenderAuthenticationEnabled", T::Bool),
                    opt("ModerationEnabled", T::Bool),
                    opt("ModeratedBy", T::MultiValued),
                    opt("CopyOwnerToMember", T::Switch),
                    opt("IgnoreNamingPolicy", T::Switch),
                    opt("RoomList", T::Switch),
                ],
                &[opt("DomainController", T::String)],
            ]),
            run: new_group,
        },
        CmdletDef {
            name: "Add-DistributionGroupMember",
            class: "Microsoft.Exchange.Management.RecipientTasks.AddDistributionGroupMember",
            impact: Impact::Medium,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Member", T::String),
                    opt("BypassSecurityGroupManagerCheck", T::Switch),
                ],
                &[opt("DomainController", T::String)],
            ]),
            run: add_member,
        },
        CmdletDef {
            name: "Remove-DistributionGroupMember",
            class: "Microsoft.Exchange.Management.RecipientTasks.RemoveDistributionGroupMember",
            impact: Impact::High,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("Member", T::String),
                    opt("BypassSecurityGroupManagerCheck", T::Switch),
                ],
                &[opt("DomainController", T::String)],
            ]),
            run: remove_member,
        },
        CmdletDef {
            name: "Get-DistributionGroupMember",
            class: "Microsoft.Exchange.Management.RecipientTasks.GetDistributionGroupMember",
            impact: Impact::None,
            params: params_of(&[
                &[
                    req0("Identity", T::String),
                    opt("ResultSize", T::CountLimit),
                ],
                &GET_COMMON,
            ]),
            run: get_members,
        },
    ]
}

fn get_group(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let mut guids = ctx.select(b, IS_GROUP)?;
    if let Some(m) = b.str("ManagedBy") {
        let owner = ctx.resolve_other(m, ANY)?;
        guids.retain(|g| {
            ctx.dir
                .get(*g)
                .and_then(|r| r.group.as_ref())
                .is_some_and(|gr| gr.managed_by.contains(&owner))
        });
    }
    let guids = ctx.result_size(b, guids);
    for g in guids {
        let v = ctx.dir.get(g).map(|r| ctx.r().distribution_group(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}

fn resolve_list(ctx: &Ctx<'_>, mv: Option<&MultiValue>) -> Result<Vec<Uuid>, Stop> {
    let mut out = Vec::new();
    if let Some(mv) = mv {
        ctx.apply_recipient_list(mv, &mut out)?;
    }
    Ok(out)
}

fn new_group(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let name = b.str("Name").unwrap_or_default().to_owned();
    let alias = b
        .str("Alias")
        .map_or_else(|| alias_from(&name), str::to_owned);
    let members = resolve_list(ctx, b.multi("Members"))?;
    let mut managed_by = resolve_list(ctx, b.multi("ManagedBy"))?;
    if managed_by.is_empty()
        && let Some(user) = ctx.session.user.clone()
        && let Some(owner) = ctx.dir.resolve(&user).first()
    {
        managed_by.push(*owner);
    }
    let mut members = members;
    if b.switch("CopyOwnerToMember") {
        for o in &managed_by {
            if !members.contains(o) {
                members.push(*o);
            }
        }
    }
    let moderated_by = resolve_list(ctx, b.multi("ModeratedBy"))?;
    let now = ctx.now();
    let security = b.str("Type") == Some("Security");
    let mut mail = MailAttributes {
        alias: alias.clone(),
        require_sender_authentication_enabled: b
            .bool("RequireSenderAuthenticationEnabled")
            .unwrap_or(true),
        moderation_enabled: b.bool("ModerationEnabled").unwrap_or(false),
        moderated_by,
        ..MailAttributes::default()
    };
    if let Some(p) = b.str("PrimarySmtpAddress") {
        set_primary(&mut mail, p);
        mail.email_address_policy_enabled = false;
    }
    let r = Recipient {
        guid: Uuid::new_v4(),
        kind: if security {
            RecipientTypeDetails::MailUniversalSecurityGroup
        } else {
            RecipientTypeDetails::MailUniversalDistributionGroup
        },
        name: name.clone(),
        ou: super::mailbox::ou_param(ctx, b)?,
        display_name: b.str("DisplayName").unwrap_or(&name).to_owned(),
        mail: Some(mail),
        group: Some(GroupData {
            sam_account_name: b
                .str("SamAccountName")
                .map_or_else(|| ctx.dir.generated_sam(&alias), str::to_owned),
            members,
            managed_by,
            member_join_restriction: b
                .str("MemberJoinRestriction")
                .unwrap_or("Closed")
                .to_owned(),
            member_depart_restriction: b
                .str("MemberDepartRestriction")
                .unwrap_or(if security { "Closed" } else { "Open" })
                .to_owned(),
            notes: b.str("Notes").unwrap_or_default().to_owned(),
        }),
        when_created: now,
        when_changed: now,
        ..Recipient::default()
    };
    if !ctx.should_process(format!("Creating distribution group \"{name}\"."))? {
        return Ok(());
    }
    let guid = ctx.create(r)?;
    let v = ctx.dir.get(guid).map(|r| ctx.r().distribution_group(r));
    if let Some(v) = v {
        ctx.write(v);
    }
    Ok(())
}

/// The AD type name of a member, as error targets show it.
fn ad_type(r: &Recipient) -> &'static str {
    match r.kind.ad_class() {
        AdClass::User => "ADUser",
        AdClass::Contact => "ADContact",
        AdClass::Group => "ADGroup",
    }
}

fn member_args(ctx: &Ctx<'_>, b: &Bound) -> Result<(Uuid, Uuid), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let group = ctx.resolve_identity(id, IS_GROUP)?;
    let Some(member) = b.str("Member") else {
        return Err(crate::exchange::params::missing_mandatory(&ctx.task, &["Member"]).into());
    };
    let member = ctx.resolve_other(member, ANY)?;
    Ok((group, member))
}

fn add_member(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let (group, member) = member_args(ctx, b)?;
    let m = ctx.get(member)?.clone();
    let g = ctx.get(group)?.clone();
    let mc = ctx.canonical(member);
    let gc = ctx.canonical(group);
    if g.group
        .as_ref()
        .is_some_and(|gr| gr.members.contains(&member))
    {
        return Err(ctx.task.member_exists(&mc, ad_type(&m), &gc).into());
    }
    if !ctx.should_process(format!(
        "Adding distribution group member \"{mc}\" on distribution group \"{gc}\"."
    ))? {
        return Ok(());
    }
    let mut new = g;
    if let Some(gr) = new.group.as_mut() {
        gr.members.push(member);
    }
    ctx.commit(group, new)
}

fn remove_member(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let (group, member) = member_args(ctx, b)?;
    let m = ctx.get(member)?.clone();
    let g = ctx.get(group)?.clone();
    let mc = ctx.canonical(member);
    let gc = ctx.canonical(group);
    let id = b.str("Identity").unwrap_or_default();
    if !g
        .group
        .as_ref()
        .is_some_and(|gr| gr.members.contains(&member))
    {
        return Err(ctx.task.member_not_found(&mc, ad_type(&m), id).into());
    }
    if !ctx.should_process(format!(
        "Removing distribution group member \"{mc}\" from distribution group \"{gc}\"."
    ))? {
        return Ok(());
    }
    let mut new = g;
    if let Some(gr) = new.group.as_mut() {
        gr.members.retain(|x| *x != member);
    }
    ctx.commit(group, new)
}

fn get_members(ctx: &mut Ctx<'_>, b: &Bound) -> Result<(), Stop> {
    let id = b.str("Identity").unwrap_or_default();
    let group = ctx.resolve_identity(id, IS_GROUP)?;
    let members = ctx
        .get(group)?
        .group
        .as_ref()
        .map(|g| g.members.clone())
        .unwrap_or_default();
    let members = ctx.result_size(b, members);
    for m in members {
        let v = ctx.dir.get(m).map(|r| ctx.r().reduced(r));
        if let Some(v) = v {
            ctx.write(v);
        }
    }
    Ok(())
}
