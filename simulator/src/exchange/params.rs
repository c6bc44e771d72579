//! Parameter binding the way PowerShell does it for Exchange's proxy functions: names are matched
//! case-insensitively (an unambiguous prefix is enough), positional arguments fill positional
//! parameters in order, values are converted to the parameter's type, mandatory parameters are
//! checked. Failures are `ParameterBindingException` records with the engine's texts.

use monosync_exchange::clixml::PsValue;
use uuid::Uuid;

use super::errors::{BindingErrorKind, SimErrorRecord, TaskContext};

/// One parameter of the PSRP command, as the server layer received it ([MS-PSRP] 2.2.3.11
/// `Args`: `N`/`V` pairs).
///
/// A SecureString (`<SS>`) value is decrypted by the server layer and arrives here as a
/// `PsValue::String` with `secure = true`: only such values bind to `SecureString` parameters, and a
/// plain string given to one fails as PowerShell's binder does.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundArg {
    /// The parameter name (with or without the leading `-`); `None` for a positional argument.
    pub name: Option<String>,
    /// The value; `Nil` for a switch given without a value.
    pub value: PsValue,
    /// The value was a SecureString on the wire.
    pub secure: bool,
}

impl BoundArg {
    /// `-name value`.
    pub fn named(name: &str, value: impl Into<PsValue>) -> Self {
        BoundArg {
            name: Some(name.to_owned()),
            value: value.into(),
            secure: false,
        }
    }

    /// A positional argument.
    pub fn positional(value: impl Into<PsValue>) -> Self {
        BoundArg {
            name: None,
            value: value.into(),
            secure: false,
        }
    }

    /// A switch given without a value (`-Shared`).
    pub fn switch(name: &str) -> Self {
        BoundArg {
            name: Some(name.to_owned()),
            value: PsValue::Nil,
            secure: false,
        }
    }

    /// A decrypted SecureString value (`-Password (ConvertTo-SecureString …)`).
    pub fn secure(name: &str, plaintext: &str) -> Self {
        BoundArg {
            name: Some(name.to_owned()),
            value: PsValue::String(plaintext.to_owned()),
            secure: true,
        }
    }
}

/// The .NET type a parameter binds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `String` and identity parameters (`*IdParameter`, `SmtpAddress`, `ProxyAddress`, `Fqdn`).
    String,
    /// `Boolean`: needs `$true`/`$false` or a number.
    Bool,
    /// `SwitchParameter`.
    Switch,
    /// `Int32`.
    Int,
    /// `Unlimited<ByteQuantifiedSize>`: a byte count with optional unit, or `Unlimited`.
    ByteLimit,
    /// `Unlimited<Int32>` / `Unlimited<UInt32>` (`ResultSize`, `RecipientLimits`).
    CountLimit,
    /// `Guid`.
    Guid,
    /// `MultiValuedProperty` / `ProxyAddressCollection`: a list or `@{Add=…; Remove=…}`.
    MultiValued,
    /// An array of strings (`String[]`, `RecipientTypeDetails[]`).
    StringArray,
    /// One value of a fixed set (an enum).
    Enum(&'static [&'static str]),
    /// An array of values of a fixed set (a flags enum array, `MailboxRights[]`).
    EnumArray(&'static [&'static str]),
    /// `SecureString`.
    SecureString,
    /// Anything (`PSCredential`, `Hashtable`, pipeline objects): kept as given.
    Object,
}

/// One parameter a cmdlet declares.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: ParamType,
    /// Its position (0 = first positional argument).
    pub position: Option<u8>,
    /// Mandatory in the default parameter set.
    pub mandatory: bool,
}

/// An optional named parameter.
pub const fn opt(name: &'static str, ty: ParamType) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        position: None,
        mandatory: false,
    }
}

/// A mandatory named parameter.
pub const fn req(name: &'static str, ty: ParamType) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        position: None,
        mandatory: true,
    }
}

/// An optional parameter at position 0.
pub const fn pos0(name: &'static str, ty: ParamType) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        position: Some(0),
        mandatory: false,
    }
}

/// A mandatory parameter at position 0.
pub const fn req0(name: &'static str, ty: ParamType) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        position: Some(0),
        mandatory: true,
    }
}

/// PowerShell's common parameters, accepted by every cmdlet.
pub const COMMON: &[ParamSpec] = &[
    opt("Verbose", ParamType::Switch),
    opt("Debug", ParamType::Switch),
    opt(
        "ErrorAction",
        ParamType::Enum(&[
            "SilentlyContinue",
            "Stop",
            "Continue",
            "Inquire",
            "Ignore",
            "Suspend",
            "Break",
        ]),
    ),
    opt(
        "WarningAction",
        ParamType::Enum(&[
            "SilentlyContinue",
            "Stop",
            "Continue",
            "Inquire",
            "Ignore",
            "Suspend",
            "Break",
        ]),
    ),
    opt(
        "InformationAction",
        ParamType::Enum(&[
            "SilentlyContinue",
            "Stop",
            "Continue",
            "Inquire",
            "Ignore",
            "Suspend",
            "Break",
        ]),
    ),
    opt("ErrorVariable", ParamType::String),
    opt("WarningVariable", ParamType::String),
    opt("InformationVariable", ParamType::String),
    opt("OutVariable", ParamType::String),
    opt("OutBuffer", ParamType::Int),
    opt("PipelineVariable", ParamType::String),
];

/// The ShouldProcess parameters of cmdlets that support them.
pub const SHOULD_PROCESS: &[ParamSpec] = &[
    opt("Confirm", ParamType::Switch),
    opt("WhatIf", ParamType::Switch),
];

/// A `MultiValuedProperty` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiValue {
    /// A list: replaces every value.
    Replace(Vec<String>),
    /// `@{Add=…; Remove=…}`: edits the current values.
    Update {
        /// Values to add.
        add: Vec<String>,
        /// Values to remove.
        remove: Vec<String>,
    },
}

impl MultiValue {
    /// Applies the argument to `current` (case-insensitive, no duplicates).
    pub fn apply(&self, current: &mut Vec<String>) {
        match self {
            MultiValue::Replace(v) => {
                current.clear();
                for s in v {
                    if !current.iter().any(|c| c.eq_ignore_ascii_case(s)) {
                        current.push(s.clone());
                    }
                }
            }
            MultiValue::Update { add, remove } => {
                current.retain(|c| !remove.iter().any(|r| r.eq_ignore_ascii_case(c)));
                for s in add {
                    if !current.iter().any(|c| c.eq_ignore_ascii_case(s)) {
                        current.push(s.clone());
                    }
                }
            }
        }
    }
}

/// A converted parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `String`, identities, enum values.
    Str(String),
    /// `Boolean` and `SwitchParameter`.
    Bool(bool),
    /// `Int32`.
    Int(i64),
    /// `Unlimited<…>`: `None` = Unlimited.
    Limit(Option<u64>),
    /// `Guid`.
    Guid(Uuid),
    /// `MultiValuedProperty`.
    Multi(MultiValue),
    /// Arrays.
    List(Vec<String>),
    /// A decrypted SecureString.
    Secret(String),
    /// Kept as given.
    Raw(PsValue),
}

/// The bound parameters of one invocation.
#[derive(Debug, Clone, Default)]
pub struct Bound {
    values: Vec<(&'static str, Value)>,
}

impl Bound {
    /// The value of a parameter, if bound.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Whether a parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A string value.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Str(s) | Value::Secret(s) => Some(s),
            _ => None,
        }
    }

    /// A Boolean value.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether a switch is present (and not `-Switch:$false`).
    pub fn switch(&self, name: &str) -> bool {
        self.bool(name).unwrap_or(false)
    }

    /// An `Unlimited` value.
    pub fn limit(&self, name: &str) -> Option<Option<u64>> {
        match self.get(name)? {
            Value::Limit(l) => Some(*l),
            _ => None,
        }
    }

    /// A Guid value.
    pub fn guid(&self, name: &str) -> Option<Uuid> {
        match self.get(name)? {
            Value::Guid(g) => Some(*g),
            _ => None,
        }
    }

    /// A multi-valued argument.
    pub fn multi(&self, name: &str) -> Option<&MultiValue> {
        match self.get(name)? {
            Value::Multi(m) => Some(m),
            _ => None,
        }
    }

    /// An array value.
    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.get(name)? {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// An Int32 value.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// Binds `args` to the cmdlet's parameter lists (`groups`, searched in order).
pub fn bind(
    task: &TaskContext,
    groups: &[&'static [ParamSpec]],
    args: &[super::BoundArg],
) -> Result<Bound, SimErrorRecord> {
    bind_restricted(task, groups, None, args)
}

/// Binds like [`bind`], with the cmdlet's own parameters (the first group) limited to `allowed`
/// when the caller's role restricts them; common and ShouldProcess parameters always bind.
pub fn bind_restricted(
    task: &TaskContext,
    groups: &[&'static [ParamSpec]],
    allowed: Option<&[String]>,
    args: &[super::BoundArg],
) -> Result<Bound, SimErrorRecord> {
    let all: Vec<&'static ParamSpec> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, g)| g.iter().map(move |p| (i, p)))
        .filter(|(i, p)| {
            *i > 0 || allowed.is_none_or(|a| a.iter().any(|n| n.eq_ignore_ascii_case(p.name)))
        })
        .map(|(_, p)| p)
        .collect();
    let mut bound = Bound::default();
    let mut positionals = Vec::new();
    for arg in args {
        let Some(raw) = arg.name.as_deref() else {
            positionals.push(arg);
            continue;
        };
        let name = raw.trim_start_matches('-').trim_end_matches(':');
        let spec = find(task, &all, name)?;
        if bound.has(spec.name) {
            return Err(task.binding(
                BindingErrorKind::ParameterAlreadyBound,
                format!(
                    "Cannot bind parameter because parameter '{}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\".",
                    spec.name
                ),
            ));
        }
        let value = convert(task, spec, arg)?;
        bound.values.push((spec.name, value));
    }
    let mut slots: Vec<&'static ParamSpec> = all
        .iter()
        .copied()
        .filter(|s| s.position.is_some())
        .collect();
    slots.sort_by_key(|s| s.position);
    for arg in positionals {
        let Some(spec) = slots.iter().copied().find(|s| !bound.has(s.name)) else {
            return Err(task.binding(
                BindingErrorKind::PositionalParameterNotFound,
                format!(
                    "A positional parameter cannot be found that accepts argument '{}'.",
                    display(&arg.value)
                ),
            ));
        };
        let value = convert(task, spec, arg)?;
        bound.values.push((spec.name, value));
    }
    let missing: Vec<&str> = all
        .iter()
        .filter(|s| s.mandatory && !bound.has(s.name))
        .map(|s| s.name)
        .collect();
    if !missing.is_empty() {
        return Err(missing_mandatory(task, &missing));
    }
    Ok(bound)
}

/// `MissingMandatoryParameter` for `names`.
pub fn missing_mandatory(task: &TaskContext, names: &[&str]) -> SimErrorRecord {
    task.binding(
        BindingErrorKind::MissingMandatoryParameter,
        format!(
            "Cannot process command because of one or more missing mandatory parameters: {}.",
            names.join(" ")
        ),
    )
}

fn find(
    task: &TaskContext,
    all: &[&'static ParamSpec],
    name: &str,
) -> Result<&'static ParamSpec, SimErrorRecord> {
    if let Some(s) = all.iter().find(|s| s.name.eq_ignore_ascii_case(name)) {
        return Ok(s);
    }
    let lower = name.to_lowercase();
    let matches: Vec<&'static ParamSpec> = all
        .iter()
        .copied()
        .filter(|s| !name.is_empty() && s.name.to_lowercase().starts_with(&lower))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(task.binding(
            BindingErrorKind::NamedParameterNotFound,
            format!("A parameter cannot be found that matches parameter name '{name}'."),
        )),
        many => {
            let names: Vec<String> = many.iter().map(|s| format!("-{}", s.name)).collect();
            Err(task.binding(
                BindingErrorKind::AmbiguousParameter,
                format!(
                    "Parameter cannot be processed because the parameter name '{name}' is ambiguous. Possible matches include: {}.",
                    names.join(" ")
                ),
            ))
        }
    }
}

/// The text PowerShell shows for a value in binding messages.
fn display(v: &PsValue) -> String {
    match v {
        PsValue::String(s) => s.clone(),
        PsValue::Bool(b) => if *b { "True" } else { "False" }.into(),
        PsValue::Guid(g) => g.to_string(),
        PsValue::Nil => String::new(),
        PsValue::Object(o) => o.to_string.clone().unwrap_or_else(|| {
            o.type_names
                .as_deref()
                .and_then(|t| t.first().cloned())
                .unwrap_or_else(|| "System.Object".into())
        }),
        other => other
            .as_i64()
            .map(|i| i.to_string())
            .unwrap_or_else(|| format!("{other:?}")),
    }
}

/// The .NET type name of a value, for transformation messages.
fn type_name(v: &PsValue) -> String {
    match v {
        PsValue::String(_) => "System.String".into(),
        PsValue::Bool(_) => "System.Boolean".into(),
        PsValue::I32(_) => "System.Int32".into(),
        PsValue::I64(_) => "System.Int64".into(),
        PsValue::Guid(_) => "System.Guid".into(),
        PsValue::Object(o) => o
            .type_names
            .as_deref()
            .and_then(|t| t.first().cloned())
            .unwrap_or_else(|| "System.Management.Automation.PSObject".into()),
        _ => "System.Object".into(),
    }
}

/// The text of a single value bound to a string-like parameter. Objects (a pipelined recipient)
/// give their `Identity` or `Guid`, else their ToString.
fn scalar_text(v: &PsValue) -> Option<String> {
    match v {
        PsValue::String(s) => Some(s.clone()),
        PsValue::Guid(g) => Some(g.to_string()),
        PsValue::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        PsValue::Object(o) => {
            if o.content.is_some() {
                return None;
            }
            if let Some(g) = o.property("Guid").and_then(PsValue::as_guid) {
                return Some(g.to_string());
            }
            if let Some(id) = o.property("Identity").and_then(PsValue::as_str) {
                return Some(id.to_owned());
            }
            o.to_string
                .clone()
                .or_else(|| o.value.as_ref().and_then(scalar_text))
        }
        PsValue::Nil => None,
        other => other.as_i64().map(|i| i.to_string()),
    }
}

/// The items of an array value, or the value itself.
fn items(v: &PsValue) -> Vec<&PsValue> {
    match v.as_list() {
        Some(list) => list.iter().collect(),
        None if v.is_nil() => Vec::new(),
        None => vec![v],
    }
}

fn transform(task: &TaskContext, message: String) -> SimErrorRecord {
    task.binding(BindingErrorKind::ArgumentTransformation, message)
}

fn bool_error(task: &TaskContext, spec: &ParamSpec, v: &PsValue, switch: bool) -> SimErrorRecord {
    let target = if switch {
        "System.Management.Automation.SwitchParameter"
    } else {
        "System.Boolean"
    };
    transform(
        task,
        format!(
            "Cannot process argument transformation on parameter '{}'. Cannot convert value \"{}\" to type \"{target}\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
            spec.name,
            type_name(v)
        ),
    )
}

fn convert(
    task: &TaskContext,
    spec: &ParamSpec,
    arg: &super::BoundArg,
) -> Result<Value, SimErrorRecord> {
    let v = &arg.value;
    let cannot = |target: &str, detail: &str| {
        transform(
            task,
            format!(
                "Cannot process argument transformation on parameter '{}'. Cannot convert value \"{}\" to type \"{target}\". Error: \"{detail}\"",
                spec.name,
                display(v)
            ),
        )
    };
    if arg.secure && spec.ty != ParamType::SecureString && spec.ty != ParamType::Object {
        return Err(transform(
            task,
            format!(
                "Cannot process argument transformation on parameter '{}'. Cannot convert the \"System.Security.SecureString\" value of type \"System.Security.SecureString\" to type \"System.String\".",
                spec.name
            ),
        ));
    }
    let single = |v: &PsValue| -> Result<String, SimErrorRecord> {
        scalar_text(v).ok_or_else(|| {
            transform(
                task,
                format!(
                    "Cannot process argument transformation on parameter '{}'. Cannot convert '{}' to the type 'System.String' required by parameter '{}'. Specified method is not supported.",
                    spec.name,
                    type_name(v),
                    spec.name
                ),
            )
        })
    };
    Ok(match spec.ty {
        ParamType::String if v.is_nil() => Value::Str(String::new()),
        ParamType::String => Value::Str(single(v)?),
        ParamType::Object => Value::Raw(v.clone()),
        ParamType::Switch => match v {
            PsValue::Nil => Value::Bool(true),
            PsValue::Bool(b) => Value::Bool(*b),
            other => match other.as_i64() {
                Some(i) => Value::Bool(i != 0),
                None => match other
                    .as_bool()
                    .or_else(|| other.property("IsPresent").and_then(PsValue::as_bool))
                {
                    Some(b) => Value::Bool(b),
                    None => return Err(bool_error(task, spec, v, true)),
                },
            },
        },
        ParamType::Bool => match v {
            PsValue::Bool(b) => Value::Bool(*b),
            other => match other.as_i64() {
                Some(i) => Value::Bool(i != 0),
                None => match other.as_bool() {
                    Some(b) => Value::Bool(b),
                    None => return Err(bool_error(task, spec, v, false)),
                },
            },
        },
        ParamType::Int => match v.as_i64() {
            Some(i) => Value::Int(i),
            None => match single(v)?.trim().parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => return Err(cannot("System.Int32", "Input string was not in a correct format.")),
            },
        },
        ParamType::ByteLimit => match v.as_i64() {
            Some(i) => Value::Limit(Some(u64::try_from(i).map_err(|_| {
                cannot(
                    "Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]",
                    "The value must be a non-negative number.",
                )
            })?)),
            None => {
                let s = single(v)?;
                Value::Limit(parse_byte_limit(&s).ok_or_else(|| {
                    cannot(
                        "Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]",
                        &format!(
                            "The value \"{s}\" isn't valid. Valid values are a number followed by an optional unit (B, KB, MB, GB or TB), or \"Unlimited\"."
                        ),
                    )
                })?)
            }
        },
        ParamType::CountLimit => match v.as_i64() {
            Some(i) => Value::Limit(Some(u64::try_from(i).map_err(|_| {
                cannot(
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                    "Value was either too large or too small for a UInt32.",
                )
            })?)),
            None => {
                let s = single(v)?;
                let t = s.trim();
                if t.eq_ignore_ascii_case("unlimited") {
                    Value::Limit(None)
                } else {
                    Value::Limit(Some(t.parse::<u64>().map_err(|_| {
                        cannot(
                            "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                            "Input string was not in a correct format.",
                        )
                    })?))
                }
            }
        },
        ParamType::Guid => match v.as_guid() {
            Some(g) => Value::Guid(g),
            None => {
                let s = single(v)?;
                Value::Guid(Uuid::parse_str(s.trim().trim_matches(['{', '}'])).map_err(|_| {
                    cannot(
                        "System.Guid",
                        "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
                    )
                })?)
            }
        },
        ParamType::SecureString => {
            if !arg.secure {
                return Err(transform(
                    task,
                    format!(
                        "Cannot process argument transformation on parameter '{}'. Cannot convert the \"{}\" value of type \"{}\" to type \"System.Security.SecureString\".",
                        spec.name,
                        display(v),
                        type_name(v)
                    ),
                ));
            }
            Value::Secret(single(v)?)
        }
        ParamType::StringArray => {
            let mut out = Vec::new();
            for item in items(v) {
                out.push(single(item)?);
            }
            Value::List(out)
        }
        ParamType::Enum(set) => {
            let s = single(v)?;
            Value::Str(validate_set(task, spec, set, &s)?)
        }
        ParamType::EnumArray(set) => {
            let mut out = Vec::new();
            for item in items(v) {
                for part in single(item)?.split(',') {
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    out.push(validate_set(task, spec, set, part)?);
                }
            }
            Value::List(out)
        }
        ParamType::MultiValued => {
            if let Some(dict) = v.as_dict() {
                let mut add = Vec::new();
                let mut remove = Vec::new();
                for (k, val) in dict {
                    let key = scalar_text(k).unwrap_or_default();
                    let target = if key.eq_ignore_ascii_case("Add") || key == "+" {
                        &mut add
                    } else if key.eq_ignore_ascii_case("Remove") || key == "-" {
                        &mut remove
                    } else {
                        return Err(transform(
                            task,
                            format!(
                                "Cannot process argument transformation on parameter '{}'. The hash table key \"{key}\" isn't valid. Valid keys are \"Add\" and \"Remove\".",
                                spec.name
                            ),
                        ));
                    };
                    for item in items(val) {
                        target.push(single(item)?);
                    }
                }
                Value::Multi(MultiValue::Update { add, remove })
            } else {
                let mut out = Vec::new();
                for item in items(v) {
                    out.push(single(item)?);
                }
                Value::Multi(MultiValue::Replace(out))
            }
        }
    })
}

fn validate_set(
    task: &TaskContext,
    spec: &ParamSpec,
    set: &[&str],
    s: &str,
) -> Result<String, SimErrorRecord> {
    set.iter()
        .find(|v| v.eq_ignore_ascii_case(s.trim()))
        .map(|v| (*v).to_owned())
        .ok_or_else(|| {
            task.binding(
                BindingErrorKind::ArgumentValidation,
                format!(
                    "Cannot validate argument on parameter '{}'. The argument \"{s}\" does not belong to the set \"{}\" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.",
                    spec.name,
                    set.join(",")
                ),
            )
        })
}

/// Parses an `Unlimited<ByteQuantifiedSize>`: `Unlimited`, `1048576`, `50MB`, `1.5 GB`,
/// `2 GB (2,147,483,648 bytes)`. `Some(None)` = Unlimited.
pub fn parse_byte_limit(s: &str) -> Option<Option<u64>> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("unlimited") {
        return Some(None);
    }
    if let Some(open) = t.find('(') {
        let inner = t.get(open + 1..)?.trim_end_matches(')').trim();
        let digits: String = inner
            .trim_end_matches("bytes")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        return digits.parse().ok().map(Some);
    }
    let upper = t.to_ascii_uppercase();
    let (num, mult): (&str, u64) = [
        ("TB", 1u64 << 40),
        ("GB", 1 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
        ("B", 1),
    ]
    .iter()
    .find_map(|(u, m)| upper.strip_suffix(u).map(|n| (n, *m)))
    .unwrap_or((&upper, 1));
    let num = num.trim();
    if let Ok(n) = num.parse::<u64>() {
        return n.checked_mul(mult).map(Some);
    }
    let f: f64 = num.parse().ok()?;
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let bytes = (f * mult as f64) as u64;
    Some(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_limits() {
        assert_eq!(parse_byte_limit("Unlimited"), Some(None));
        assert_eq!(parse_byte_limit("50MB"), Some(Some(50 << 20)));
        assert_eq!(parse_byte_limit("1.5 GB"), Some(Some(1_610_612_736)));
        assert_eq!(parse_byte_limit("1024"), Some(Some(1024)));
        assert_eq!(
            parse_byte_limit("2 GB (2,147,483,648 bytes)"),
            Some(Some(2_147_483_648))
        );
        assert_eq!(parse_byte_limit("lots"), None);
    }

    #[test]
    fn multi_value_apply() {
        let mut v = vec!["a".to_owned(), "b".to_owned()];
        MultiValue::Update {
            add: vec!["C".into(), "A".into()],
            remove: vec!["B".into()],
        }
        .apply(&mut v);
        assert_eq!(v, vec!["a".to_owned(), "C".to_owned()]);
        MultiValue::Replace(vec!["x".into()]).apply(&mut v);
        assert_eq!(v, vec!["x".to_owned()]);
    }
}
