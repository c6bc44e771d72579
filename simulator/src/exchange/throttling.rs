//! The user throttling policy: Exchange's default `GlobalThrottlingPolicy_<guid>`, whose
//! PowerShell budgets the shell service enforces and Get-ThrottlingPolicy reports.
//!
//! Every budget is an `Unlimited<UInt32>`: `None` is Unlimited. Time periods are seconds.
//! The defaults are those of Exchange 2013 to 2019: 18 concurrent PowerShell shells per user,
//! everything else Unlimited.

use uuid::Uuid;

/// Exchange's default PowerShellMaxConcurrency.
pub const DEFAULT_POWERSHELL_MAX_CONCURRENCY: u32 = 18;

/// One throttling policy: its name and the budgets a remote PowerShell user meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlingPolicy {
    /// The policy's name (`GlobalThrottlingPolicy_<guid>`).
    pub name: String,
    /// Its object GUID.
    pub guid: Uuid,
    /// `ThrottlingPolicyScope`: `Global`, `Organization` or `Regular`.
    pub scope: String,
    /// `PowerShellMaxConcurrency`: shells one user may hold at once.
    pub powershell_max_concurrency: Option<u32>,
    /// `PowerShellMaxTenantConcurrency`.
    pub powershell_max_tenant_concurrency: Option<u32>,
    /// `PowerShellMaxOperations`.
    pub powershell_max_operations: Option<u32>,
    /// `PowerShellMaxCmdlets`: cmdlets per `PowerShellMaxCmdletsTimePeriod`.
    pub powershell_max_cmdlets: Option<u32>,
    /// `PowerShellMaxCmdletsTimePeriod`, seconds.
    pub powershell_max_cmdlets_time_period: Option<u32>,
    /// `PowerShellMaxCmdletQueueDepth`.
    pub powershell_max_cmdlet_queue_depth: Option<u32>,
    /// `PowerShellMaxDestructiveCmdlets`: Remove-/Disable- cmdlets per period.
    pub powershell_max_destructive_cmdlets: Option<u32>,
    /// `PowerShellMaxDestructiveCmdletsTimePeriod`, seconds.
    pub powershell_max_destructive_cmdlets_time_period: Option<u32>,
    /// `PowerShellMaxCmdletsExecutionDuration`, seconds.
    pub powershell_max_cmdlets_execution_duration: Option<u32>,
    /// `PowerShellMaxRunspaces`: runspaces a user may open per period.
    pub powershell_max_runspaces: Option<u32>,
    /// `PowerShellMaxRunspacesTimePeriod`, seconds.
    pub powershell_max_runspaces_time_period: Option<u32>,
    /// `PowerShellMaxTenantRunspaces`.
    pub powershell_max_tenant_runspaces: Option<u32>,
    /// `PswsMaxConcurrency` (the PowerShell web service).
    pub psws_max_concurrency: Option<u32>,
    /// `PswsMaxRequest`.
    pub psws_max_request: Option<u32>,
    /// `PswsMaxRequestTimePeriod`, seconds.
    pub psws_max_request_time_period: Option<u32>,
    /// `ExchangeMaxCmdlets`.
    pub exchange_max_cmdlets: Option<u32>,
    /// When the policy was created and last changed, Unix seconds.
    pub when_created: i64,
}

impl Default for ThrottlingPolicy {
    fn default() -> Self {
        ThrottlingPolicy {
            name: "GlobalThrottlingPolicy_6b4a6a3e-0c5d-4a34-9a5e-2d0a2b5c9f61".into(),
            guid: Uuid::from_u128(0x9f1c_2c7e_54d3_4f0b_8a54_3b1d_6e2f_0a17),
            scope: "Global".into(),
            powershell_max_concurrency: Some(DEFAULT_POWERSHELL_MAX_CONCURRENCY),
            powershell_max_tenant_concurrency: None,
            powershell_max_operations: None,
            powershell_max_cmdlets: None,
            powershell_max_cmdlets_time_period: None,
            powershell_max_cmdlet_queue_depth: None,
            powershell_max_destructive_cmdlets: None,
            powershell_max_destructive_cmdlets_time_period: None,
            powershell_max_cmdlets_execution_duration: None,
            powershell_max_runspaces: None,
            powershell_max_runspaces_time_period: None,
            powershell_max_tenant_runspaces: None,
            psws_max_concurrency: Some(DEFAULT_POWERSHELL_MAX_CONCURRENCY),
            psws_max_request: None,
            psws_max_request_time_period: None,
            exchange_max_cmdlets: None,
            when_created: 1_641_383_000,
        }
    }
}

impl ThrottlingPolicy {
    /// The PowerShell budgets as (property name, value) pairs, in Exchange's property order.
    pub fn powershell_budgets(&self) -> [(&'static str, Option<u32>); 15] {
        [
            ("PowerShellMaxConcurrency", self.powershell_max_concurrency),
            (
                "PowerShellMaxTenantConcurrency",
                self.powershell_max_tenant_concurrency,
            ),
            ("PowerShellMaxOperations", self.powershell_max_operations),
            (
                "PowerShellMaxCmdletsTimePeriod",
                self.powershell_max_cmdlets_time_period,
            ),
            ("ExchangeMaxCmdlets", self.exchange_max_cmdlets),
            (
                "PowerShellMaxCmdletQueueDepth",
                self.powershell_max_cmdlet_queue_depth,
            ),
            (
                "PowerShellMaxDestructiveCmdlets",
                self.powershell_max_destructive_cmdlets,
            ),
            (
                "PowerShellMaxDestructiveCmdletsTimePeriod",
                self.powershell_max_destructive_cmdlets_time_period,
            ),
            ("PowerShellMaxCmdlets", self.powershell_max_cmdlets),
            (
                "PowerShellMaxCmdletsExecutionDuration",
                self.powershell_max_cmdlets_execution_duration,
            ),
            ("PowerShellMaxRunspaces", self.powershell_max_runspaces),
            (
                "PowerShellMaxTenantRunspaces",
                self.powershell_max_tenant_runspaces,
            ),
            (
                "PowerShellMaxRunspacesTimePeriod",
                self.powershell_max_runspaces_time_period,
            ),
            ("PswsMaxConcurrency", self.psws_max_concurrency),
            ("PswsMaxRequest", self.psws_max_request),
        ]
    }
}

/// `Unlimited<UInt32>.ToString()`: the number, or `Unlimited`.
pub fn unlimited_text(v: Option<u32>) -> String {
    v.map_or_else(|| "Unlimited".to_owned(), |n| n.to_string())
}
