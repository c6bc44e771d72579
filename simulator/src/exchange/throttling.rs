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

/// Why a throttling-policy file (`mx-sim --throttling-policy`) was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not an object of parameter names.
    #[error("expected a JSON object of Set-ThrottlingPolicy parameters")]
    NotAnObject,
    /// A key that is not one of the PowerShell budgets the simulator models.
    #[error("unknown throttling policy parameter \"{0}\"")]
    UnknownKey(String),
    /// A value that is neither an integer from 0 to 4294967295 nor `"Unlimited"`.
    #[error("{key}: expected an integer from 0 to 4294967295 or \"Unlimited\", got {value}")]
    BadValue {
        /// The parameter.
        key: String,
        /// The value as written.
        value: String,
    },
}

impl ThrottlingPolicy {
    /// The budget named by its Set-ThrottlingPolicy parameter (case-insensitive).
    fn budget_mut(&mut self, name: &str) -> Option<&mut Option<u32>> {
        let field = match name.to_ascii_lowercase().as_str() {
            "powershellmaxconcurrency" => &mut self.powershell_max_concurrency,
            "powershellmaxtenantconcurrency" => &mut self.powershell_max_tenant_concurrency,
            "powershellmaxoperations" => &mut self.powershell_max_operations,
            "powershellmaxcmdlets" => &mut self.powershell_max_cmdlets,
            "powershellmaxcmdletstimeperiod" => &mut self.powershell_max_cmdlets_time_period,
            "powershellmaxcmdletqueuedepth" => &mut self.powershell_max_cmdlet_queue_depth,
            "powershellmaxdestructivecmdlets" => &mut self.powershell_max_destructive_cmdlets,
            "powershellmaxdestructivecmdletstimeperiod" => {
                &mut self.powershell_max_destructive_cmdlets_time_period
            }
            "powershellmaxcmdletsexecutionduration" => {
                &mut self.powershell_max_cmdlets_execution_duration
            }
            "powershellmaxrunspaces" => &mut self.powershell_max_runspaces,
            "powershellmaxrunspacestimeperiod" => &mut self.powershell_max_runspaces_time_period,
            "powershellmaxtenantrunspaces" => &mut self.powershell_max_tenant_runspaces,
            "pswsmaxconcurrency" => &mut self.psws_max_concurrency,
            "pswsmaxrequest" => &mut self.psws_max_request,
            "pswsmaxrequesttimeperiod" => &mut self.psws_max_request_time_period,
            "exchangemaxcmdlets" => &mut self.exchange_max_cmdlets,
            _ => return None,
        };
        Some(field)
    }

    /// Exchange's default policy with the budgets of a JSON object whose keys are
    /// Set-ThrottlingPolicy parameter names and whose values are integers or `"Unlimited"`:
    /// `{"PowerShellMaxCmdlets": 150, "PowerShellMaxCmdletsTimePeriod": 10}`.
    pub fn from_json(json: &str) -> Result<Self, PolicyFileError> {
        let value: serde_json::Value = serde_json::from_str(json)?;
        let serde_json::Value::Object(entries) = value else {
            return Err(PolicyFileError::NotAnObject);
        };
        let mut policy = ThrottlingPolicy::default();
        for (key, value) in entries {
            let budget = match &value {
                serde_json::Value::String(s) if s.eq_ignore_ascii_case("Unlimited") => None,
                serde_json::Value::Number(n) => match n.as_u64().map(u32::try_from) {
                    Some(Ok(n)) => Some(n),
                    _ => return Err(bad_value(key, &value)),
                },
                _ => return Err(bad_value(key, &value)),
            };
            let Some(field) = policy.budget_mut(&key) else {
                return Err(PolicyFileError::UnknownKey(key));
            };
            *field = budget;
        }
        Ok(policy)
    }
}

fn bad_value(key: String, value: &serde_json::Value) -> PolicyFileError {
    PolicyFileError::BadValue {
        key,
        value: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_file_overrides_exchanges_defaults() {
        let p = ThrottlingPolicy::from_json(
            r#"{"PowerShellMaxConcurrency": 3, "PowerShellMaxCmdlets": 150,
                "PowerShellMaxCmdletsTimePeriod": 10, "powershellmaxdestructivecmdlets": 20,
                "PowerShellMaxDestructiveCmdletsTimePeriod": 60, "PswsMaxConcurrency": "Unlimited"}"#,
        )
        .expect("valid policy");
        assert_eq!(p.powershell_max_concurrency, Some(3));
        assert_eq!(p.powershell_max_cmdlets, Some(150));
        assert_eq!(p.powershell_max_cmdlets_time_period, Some(10));
        assert_eq!(p.powershell_max_destructive_cmdlets, Some(20));
        assert_eq!(p.powershell_max_destructive_cmdlets_time_period, Some(60));
        assert_eq!(p.psws_max_concurrency, None);
        assert_eq!(p.powershell_max_runspaces, None);
        assert_eq!(p.name, ThrottlingPolicy::default().name);
        assert_eq!(
            ThrottlingPolicy::from_json("{}").expect("empty"),
            ThrottlingPolicy::default()
        );
    }

    #[test]
    fn bad_policy_files_name_the_key() {
        let err = |json: &str| {
            ThrottlingPolicy::from_json(json)
                .expect_err(json)
                .to_string()
        };
        assert_eq!(
            err(r#"{"PowerShellMaxCmdletz": 5}"#),
            "unknown throttling policy parameter \"PowerShellMaxCmdletz\""
        );
        for bad in ["-1", "1.5", "4294967296", "\"many\"", "null", "true"] {
            let e = err(&format!(r#"{{"PowerShellMaxCmdlets": {bad}}}"#));
            assert!(e.starts_with("PowerShellMaxCmdlets: expected"), "{e}");
            assert!(e.ends_with(bad), "{e}");
        }
        assert!(err("[1]").contains("JSON object"));
        assert!(err("{").starts_with("not JSON"));
    }
}
