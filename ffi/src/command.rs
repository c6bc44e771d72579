//! `mx_command`: a cmdlet and its parameters, built up one parameter at a time.

use std::ffi::c_char;
use std::sync::{Mutex, PoisonError};

use mx_core::clixml::{PsValue, array, hashtable};
use mx_core::exchange::{Command, ParamValue};
use zeroize::Zeroizing;

use crate::boundary::{
    Castable, Out, OwnershipBox, ffi_result, ffi_value, free_box, to_boxed_ptr, try_ref, try_str,
    try_str_array,
};
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::json_value::{from_json_text, int};

/// A command to run: a cmdlet name and its parameters, in order. Created by `mx_command_new`,
/// owned by the caller, freed with `mx_command_free`. The adders lock the handle, so any
/// thread may use it; `mx_session_invoke` copies it, so one command can be run many times, on
/// any session. Secrets added with `mx_command_add_secure` are wiped when the command is freed.
pub struct mx_command {
    _private: [u8; 0],
}

/// The command behind an `mx_command`.
pub(crate) struct CommandHandle {
    command: Mutex<Command>,
}

impl CommandHandle {
    /// A copy to run.
    pub(crate) fn snapshot(&self) -> Command {
        self.command
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Castable for mx_command {
    type RustType = CommandHandle;
    type Ownership = OwnershipBox;
}

/// Adds `-name value` to the command behind `command`.
fn add(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    value: impl FnOnce() -> Result<ParamValue, FfiError>,
) -> Result<(), FfiError> {
    // SAFETY: every adder's documentation requires `command` to be NULL or a live handle.
    let handle = unsafe { try_ref(command, "command") }?;
    // SAFETY: every adder's documentation requires `name` to point at `name_len` bytes.
    let name = unsafe { try_str(name, name_len, "name") }?;
    let name = name.strip_prefix('-').unwrap_or(name);
    if name.is_empty() {
        return Err(FfiError::invalid("the parameter name is empty"));
    }
    let value = value()?;
    let mut guard = handle
        .command
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    // `Command::param` moves the command; this keeps it in place.
    let cmd = std::mem::replace(&mut *guard, Command::new(String::new()));
    *guard = cmd.param(name, value);
    Ok(())
}

/// A new command running the cmdlet `name` (`name_len` bytes of UTF-8, e.g. `Get-Mailbox`).
/// On success the caller owns `*out` and frees it with `mx_command_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_new(
    name: *const c_char,
    name_len: usize,
    out: *mut *mut mx_command,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the documentation requires `name` to point at `name_len` bytes.
        let name = unsafe { try_str(name, name_len, "name") }?;
        if name.trim().is_empty() {
            return Err(FfiError::invalid("the cmdlet name is empty"));
        }
        out.write(to_boxed_ptr::<mx_command>(CommandHandle {
            command: Mutex::new(Command::new(name)),
        }));
        Ok(())
    })
}

/// Frees a command, wiping its secrets. NULL is fine. Must be called once, when no other
/// thread uses it.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_free(command: *mut mx_command) {
    ffi_value!((), {
        // SAFETY: the documentation requires `command` to be NULL or a live handle from
        // `mx_command_new`, freed once.
        unsafe { free_box(command) }
    })
}

/// Adds `-name value` with a string value. Parameter names may be given with or without the
/// leading dash. Both strings are copied.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_string(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        add(command, name, name_len, || {
            // SAFETY: the documentation requires `value` to point at `value_len` bytes.
            let value = unsafe { try_str(value, value_len, "value") }?;
            Ok(PsValue::from(value).into())
        })
    })
}

/// Adds `-name value` with an integer, sent as Int32 when it fits (the type PowerShell gives
/// an integer literal) and Int64 otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_int(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    value: i64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { add(command, name, name_len, || Ok(int(value).into())) })
}

/// Adds `-name $true` or `-name $false`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_bool(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    value: bool,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { add(command, name, name_len, || Ok(PsValue::Bool(value).into())) })
}

/// Adds a switch (`-name`, e.g. `-Confirm` or `-BypassSecurityGroupManagerCheck`).
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_switch(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { add(command, name, name_len, || Ok(PsValue::Bool(true).into())) })
}

/// Adds `-name` holding `secret` as a SecureString (`New-Mailbox -Password`): the session
/// encrypts it with the session key ([MS-PSRP] 2.2.5.1.24) after the key exchange. The library
/// keeps one copy, wiped when the command is freed; it is never logged and never shown in
/// output JSON. The caller's buffer is only read during the call.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_secure(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    secret: *const c_char,
    secret_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        add(command, name, name_len, || {
            // SAFETY: the documentation requires `secret` to point at `secret_len` bytes.
            let secret = unsafe { try_str(secret, secret_len, "secret") }?;
            Ok(ParamValue::Secure(Zeroizing::new(secret.to_owned())))
        })
    })
}

/// Adds `-name` holding a PSCredential (`New-PSSession -Credential`, `Set-Mailbox
/// -Credential`): `user` (`user`, `DOMAIN\user` or `user@domain`) and `password`, which
/// travels as a SecureString encrypted with the session key. The library keeps one copy of
/// the password, wiped when the command is freed; the caller's buffers are only read during
/// the call.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_credential(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    user: *const c_char,
    user_len: usize,
    password: *const c_char,
    password_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        add(command, name, name_len, || {
            // SAFETY: the documentation requires `user` to point at `user_len` bytes.
            let user = unsafe { try_str(user, user_len, "user") }?;
            // SAFETY: the documentation requires `password` to point at `password_len` bytes.
            let password = unsafe { try_str(password, password_len, "password") }?;
            Ok(ParamValue::Credential {
                user: user.to_owned(),
                password: Zeroizing::new(password.to_owned()),
            })
        })
    })
}

/// Adds `-name @('a', 'b')`: `count` strings given as `items[i]` / `item_lens[i]` (each UTF-8,
/// no NUL needed). With `count` 0 the arrays may be NULL and an empty array is sent.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_string_array(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    items: *const *const c_char,
    item_lens: *const usize,
    count: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        add(command, name, name_len, || {
            // SAFETY: the documentation requires `items` and `item_lens` to hold `count`
            // valid strings.
            let items = unsafe { try_str_array(items, item_lens, count, "items") }?;
            Ok(array(items.into_iter().map(PsValue::from)).into())
        })
    })
}

/// Adds `-name @{k1='v1'; k2='v2'}`: a Hashtable of `count` string keys and string values,
/// given as parallel arrays like `mx_command_add_string_array`. For values of other types use
/// `mx_command_add_json` with a JSON object.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn mx_command_add_hashtable(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    keys: *const *const c_char,
    key_lens: *const usize,
    values: *const *const c_char,
    value_lens: *const usize,
    count: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        add(command, name, name_len, || {
            // SAFETY: the documentation requires each pair of arrays to hold `count` valid
            // strings.
            let (keys, values) = unsafe {
                (
                    try_str_array(keys, key_lens, count, "keys")?,
                    try_str_array(values, value_lens, count, "values")?,
                )
            };
            Ok(hashtable(
                keys.into_iter()
                    .zip(values)
                    .map(|(k, v)| (PsValue::from(k), PsValue::from(v))),
            )
            .into())
        })
    })
}

/// Adds `-name value` with a value written as JSON (`json_len` bytes): null, booleans,
/// numbers (Int32 when they fit, else Int64, else Double), strings, arrays (`Object[]`) and
/// objects (Hashtable, string keys), nested freely. E.g. `{"Add": ["smtp:ann@contoso.com"]}`
/// for a multi-valued update. `MX_INVALID_ARGUMENT` when the text is not JSON. Secrets do not
/// go this way: use `mx_command_add_secure`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_command_add_json(
    command: *mut mx_command,
    name: *const c_char,
    name_len: usize,
    json: *const c_char,
    json_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        add(command, name, name_len, || {
            // SAFETY: the documentation requires `json` to point at `json_len` bytes.
            let text = unsafe { try_str(json, json_len, "json") }?;
            Ok(from_json_text(text)?.into())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> (*const c_char, usize) {
        (text.as_ptr().cast(), text.len())
    }

    fn command_of(c: *mut mx_command) -> Command {
        // SAFETY: the tests pass live handles.
        unsafe { try_ref(c, "command") }.expect("live").snapshot()
    }

    #[test]
    fn parameters_keep_their_types_and_order() {
        let null = std::ptr::null_mut();
        let mut c: *mut mx_command = std::ptr::null_mut();
        let (p, n) = s("New-Mailbox");
        assert_eq!(mx_command_new(p, n, &mut c, null), mx_result_code::MX_OK);
        let (np, nn) = s("Name");
        let (vp, vn) = s("Ann Smith");
        assert_eq!(
            mx_command_add_string(c, np, nn, vp, vn, null),
            mx_result_code::MX_OK
        );
        let (np, nn) = s("-Password");
        let (vp, vn) = s("P@ssw0rd!");
        assert_eq!(
            mx_command_add_secure(c, np, nn, vp, vn, null),
            mx_result_code::MX_OK
        );
        let (np, nn) = s("ProhibitSendQuota");
        assert_eq!(
            mx_command_add_int(c, np, nn, 5_000_000_000, null),
            mx_result_code::MX_OK
        );
        let (np, nn) = s("IssueWarningQuota");
        assert_eq!(
            mx_command_add_int(c, np, nn, 100, null),
            mx_result_code::MX_OK
        );
        let (np, nn) = s("ResetPasswordOnNextLogon");
        assert_eq!(
            mx_command_add_bool(c, np, nn, false, null),
            mx_result_code::MX_OK
        );
        let (np, nn) = s("Shared");
        assert_eq!(
            mx_command_add_switch(c, np, nn, null),
            mx_result_code::MX_OK
        );
        let items = ["a@contoso.com", "b@contoso.com"];
        let ptrs: Vec<*const c_char> = items.iter().map(|i| i.as_ptr().cast()).collect();
        let lens: Vec<usize> = items.iter().map(|i| i.len()).collect();
        let (np, nn) = s("EmailAddresses");
        assert_eq!(
            mx_command_add_string_array(c, np, nn, ptrs.as_ptr(), lens.as_ptr(), 2, null),
            mx_result_code::MX_OK
        );
        let keys = ["Add"];
        let kp: Vec<*const c_char> = keys.iter().map(|i| i.as_ptr().cast()).collect();
        let kl: Vec<usize> = keys.iter().map(|i| i.len()).collect();
        let (np, nn) = s("ExtensionCustomAttribute1");
        assert_eq!(
            mx_command_add_hashtable(
                c,
                np,
                nn,
                kp.as_ptr(),
                kl.as_ptr(),
                ptrs.as_ptr(),
                lens.as_ptr(),
                1,
                null
            ),
            mx_result_code::MX_OK
        );
        let (np, nn) = s("Custom");
        let (vp, vn) = s(r#"{"Remove": ["x"], "Count": 2}"#);
        assert_eq!(
            mx_command_add_json(c, np, nn, vp, vn, null),
            mx_result_code::MX_OK
        );

        let cmd = command_of(c);
        mx_command_free(c);
        assert_eq!(cmd.name, "New-Mailbox");
        let names: Vec<_> = cmd.args.iter().filter_map(|a| a.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Password",
                "ProhibitSendQuota",
                "IssueWarningQuota",
                "ResetPasswordOnNextLogon",
                "Shared",
                "EmailAddresses",
                "ExtensionCustomAttribute1",
                "Custom"
            ]
        );
        let v = |i: usize| match &cmd.args[i].value {
            ParamValue::Value(v) => Some(v.clone()),
            _ => None,
        };
        assert_eq!(v(0), Some(PsValue::from("Ann Smith")));
        assert!(matches!(&cmd.args[1].value, ParamValue::Secure(s) if s.as_str() == "P@ssw0rd!"));
        assert_eq!(v(2), Some(PsValue::I64(5_000_000_000)));
        assert_eq!(v(3), Some(PsValue::I32(100)));
        assert_eq!(v(4), Some(PsValue::Bool(false)));
        assert_eq!(v(5), Some(PsValue::Bool(true)));
        assert_eq!(
            v(6).as_ref()
                .and_then(PsValue::as_list)
                .map(<[PsValue]>::len),
            Some(2)
        );
        let dict = v(7).expect("value");
        let entries = dict.as_dict().expect("hashtable");
        assert_eq!(entries[0].0.as_str(), Some("Add"));
        assert_eq!(entries[0].1.as_str(), Some("a@contoso.com"));
        let custom = v(8).expect("value");
        assert_eq!(custom.as_dict().map(<[_]>::len), Some(2));
        // The secret stays out of debug output.
        assert!(!format!("{cmd:?}").contains("P@ssw0rd!"));
    }

    #[test]
    fn bad_arguments_leave_the_command_unchanged() {
        let null = std::ptr::null_mut();
        let mut c: *mut mx_command = std::ptr::null_mut();
        let (p, n) = s("Get-Mailbox");
        assert_eq!(mx_command_new(p, n, &mut c, null), mx_result_code::MX_OK);
        let (np, nn) = s("Identity");
        let bad = [b'a', 0xc3];
        assert_eq!(
            mx_command_add_string(c, np, nn, bad.as_ptr().cast(), bad.len(), null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        let (vp, vn) = s("{not json");
        assert_eq!(
            mx_command_add_json(c, np, nn, vp, vn, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_command_add_string_array(c, np, nn, std::ptr::null(), std::ptr::null(), 2, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        let (ep, en) = s("-");
        assert_eq!(
            mx_command_add_switch(c, ep, en, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_command_add_switch(std::ptr::null_mut(), np, nn, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        // An empty array needs no pointers.
        assert_eq!(
            mx_command_add_string_array(c, np, nn, std::ptr::null(), std::ptr::null(), 0, null),
            mx_result_code::MX_OK
        );
        assert_eq!(command_of(c).args.len(), 1);
        mx_command_free(c);

        let mut out: *mut mx_command = std::ptr::null_mut();
        let (p, n) = s("  ");
        assert_eq!(
            mx_command_new(p, n, &mut out, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert!(out.is_null(), "out-parameters are written only on success");
        mx_command_free(std::ptr::null_mut());
    }
}
