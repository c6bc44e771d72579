/*
 * monosync-exchange: the C API.
 *
 * Generated from ffi/src by cbindgen 0.29.2 (see ffi/cbindgen.toml); do not edit by hand.
 * Conventions (ownership, strings, errors, threads) are described in ffi/src/lib.rs and
 * repeated on every function below.
 */

#ifndef MONOSYNC_EXCHANGE_H
#define MONOSYNC_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The version of the ABI this header describes: raised when a function's signature or meaning
 * changes incompatibly, never when functions are only added. Compare it with
 * `mx_abi_version()` at run time.
 */
#define MX_ABI_VERSION 1

/**
 * Deprecated name of `MX_TIMEOUT_OPERATION`.
 */
#define MX_TIMEOUT_RECEIVE_POLL 3

/**
 * Deprecated name of `MX_TIMEOUT_IDLE`.
 */
#define MX_TIMEOUT_SHELL_IDLE 5

/**
 * The most sessions a pool may hold (`mx_options_set_pool_size`). Exchange lets one account
 * hold 18 shells per server; the rest is left for an administrator's own session.
 */
#define MX_MAX_POOL_SESSIONS 16

/**
 * The outcome of a call. Stable: values are never renumbered or reused.
 *
 * Values 1 to 99 mirror the core's error kinds (`MX_NOT_FOUND` = NotFound = 1, ...); values
 * from 100 are this library's own.
 *
 */
enum mx_result_code
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /**
   * Success.
   */
  MX_OK = 0,
  /**
   * The object the command names does not exist (ManagementObjectNotFoundException).
   */
  MX_NOT_FOUND = 1,
  /**
   * The identity matches more than one object (ManagementObjectAmbiguousException).
   */
  MX_AMBIGUOUS = 2,
  /**
   * The object already exists, is already mail-enabled, a proxy address is in use, or the member
   * is already in the group.
   */
  MX_ALREADY_EXISTS = 3,
  /**
   * The account may not do this: WinRM access denied, or a cmdlet its RBAC roles do not grant
   * (which Exchange reports as CommandNotFoundException).
   */
  MX_ACCESS_DENIED = 4,
  /**
   * A parameter is missing, unknown, or its value is invalid.
   */
  MX_INVALID_PARAMETER = 5,
  /**
   * The server refused for load: the shell quota, or a throttling budget. Retry later, with
   * backoff.
   */
  MX_THROTTLED = 6,
  /**
   * A failure that a retry may cure: the network, HTTP 503, a broken runspace.
   */
  MX_TRANSIENT = 7,
  /**
   * Authentication failed: wrong password, Kerberos errors, channel binding rejected, or no
   * usable mechanism.
   */
  MX_AUTH = 8,
  /**
   * The TLS handshake or the certificate check (chain, name or pin) failed.
   */
  MX_TLS = 9,
  /**
   * The server's answer broke the protocol (unreadable XML, PSRP state errors).
   */
  MX_PROTOCOL = 10,
  /**
   * The caller cancelled the command; it was stopped on the server.
   */
  MX_CANCELLED = 11,
  /**
   * An operation ran out of time: a connect, an HTTP exchange, opening the session or the
   * command.
   */
  MX_TIMEOUT = 12,
  /**
   * A command that changes state may or may not have run: the connection failed after it was
   * sent. It is not re-run; check the object before trying again.
   */
  MX_OUTCOME_UNKNOWN = 13,
  /**
   * The options are not usable (a bad URL, a missing password), or the session was misused
   * (closed, or called from the thread reading one of its streams); fix the configuration or the
   * call sequence.
   */
  MX_CONFIG = 14,
  /**
   * The command failed for another reason the server gave; its error record says why.
   */
  MX_COMMAND = 15,
  /**
   * A NULL pointer, invalid UTF-8, or an out-of-range value was passed.
   */
  MX_INVALID_ARGUMENT = 100,
  /**
   * The library panicked; the call had no effect that can be relied on.
   */
  MX_PANIC = 101,
  /**
   * An iteration is done: no more items.
   */
  MX_END = 102,
  /**
   * The object has no property of that name.
   */
  MX_NO_SUCH_PROPERTY = 103,
  /**
   * The value does not have the type the accessor reads.
   */
  MX_WRONG_TYPE = 104,
  /**
   * Another logger already owns the process's log dispatch.
   */
  MX_LOGGER_IN_USE = 105,
};
#ifndef __cplusplus
typedef uint32_t mx_result_code;
#endif // __cplusplus

/**
 * How the client authenticates (`mx_options_set_auth`).
 */
enum mx_auth
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /**
   * SPNEGO: Kerberos first, NTLM when Kerberos is not possible. The default.
   */
  MX_AUTH_NEGOTIATE = 0,
  /**
   * Kerberos only.
   */
  MX_AUTH_KERBEROS = 1,
  /**
   * NTLM only.
   */
  MX_AUTH_NTLM = 2,
  /**
   * Basic: HTTPS only unless `mx_options_set_allow_basic_over_http`.
   */
  MX_AUTH_BASIC = 3,
};
#ifndef __cplusplus
typedef uint32_t mx_auth;
#endif // __cplusplus

/**
 * The order in which resolved addresses are tried (`mx_options_set_ip_order`).
 */
enum mx_ip_order
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /**
   * All IPv4 addresses first, then IPv6. The default.
   */
  MX_IP_ORDER_IPV4_FIRST = 0,
  /**
   * All IPv6 addresses first, then IPv4.
   */
  MX_IP_ORDER_IPV6_FIRST = 1,
  /**
   * The resolver's order.
   */
  MX_IP_ORDER_SYSTEM = 2,
};
#ifndef __cplusplus
typedef uint32_t mx_ip_order;
#endif // __cplusplus

/**
 * The time limits `mx_options_set_timeout_ms` sets; each also has its own setter,
 * `mx_options_set_<name>_timeout_ms`.
 */
enum mx_timeout
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /**
   * `connect_timeout`.
   */
  MX_TIMEOUT_CONNECT = 0,
  /**
   * `read_timeout`.
   */
  MX_TIMEOUT_READ = 1,
  /**
   * `request_timeout`.
   */
  MX_TIMEOUT_REQUEST = 2,
  /**
   * `operation_timeout` (formerly `MX_TIMEOUT_RECEIVE_POLL`, which stays as an alias).
   */
  MX_TIMEOUT_OPERATION = 3,
  /**
   * `invoke_timeout`.
   */
  MX_TIMEOUT_INVOKE = 4,
  /**
   * `idle_timeout` (formerly `MX_TIMEOUT_SHELL_IDLE`, which stays as an alias).
   */
  MX_TIMEOUT_IDLE = 5,
  /**
   * `open_timeout`.
   */
  MX_TIMEOUT_OPEN = 6,
};
#ifndef __cplusplus
typedef uint32_t mx_timeout;
#endif // __cplusplus

/**
 * The streams of a command ([MS-PSRP] 2.2.2.19 to 2.2.2.26).
 */
enum mx_stream
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /**
   * Output objects (`mx_object`).
   */
  MX_STREAM_OUTPUT = 0,
  /**
   * Non-terminating errors: Exchange reports a missing object this way unless
   * `-ErrorAction Stop` is given.
   */
  MX_STREAM_ERROR = 1,
  /**
   * Warnings, e.g. "more results are available".
   */
  MX_STREAM_WARNING = 2,
  /**
   * Verbose messages.
   */
  MX_STREAM_VERBOSE = 3,
  /**
   * Debug messages.
   */
  MX_STREAM_DEBUG = 4,
  /**
   * Information records (`Write-Information`, `Write-Host`).
   */
  MX_STREAM_INFORMATION = 5,
  /**
   * Progress records.
   */
  MX_STREAM_PROGRESS = 6,
};
#ifndef __cplusplus
typedef uint32_t mx_stream;
#endif // __cplusplus

/**
 * Severity of a log event, most severe first (`mx_set_log_callback`'s `max_level`).
 */
enum mx_log_level
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /**
   * Logging off.
   */
  MX_LOG_LEVEL_OFF = 0,
  /**
   * Failures the library recovered from or could not report otherwise.
   */
  MX_LOG_LEVEL_ERROR = 1,
  /**
   * Suspicious conditions (an insecure TLS setting, a shell that could not be deleted).
   */
  MX_LOG_LEVEL_WARN = 2,
  /**
   * Notable events.
   */
  MX_LOG_LEVEL_INFO = 3,
  /**
   * Connection, authentication and protocol steps.
   */
  MX_LOG_LEVEL_DEBUG = 4,
  /**
   * Everything.
   */
  MX_LOG_LEVEL_TRACE = 5,
};
#ifndef __cplusplus
typedef uint32_t mx_log_level;
#endif // __cplusplus

/**
 * A cancel token, made by `mx_cancel_new`, owned by the caller and freed with
 * `mx_cancel_free`. A caller passes it to a session's or a pool's call
 * (`mx_session_invoke_cancellable`, `mx_session_invoke_streaming_cancellable`,
 * `mx_pool_invoke_cancellable`, `mx_pool_invoke_streaming`) and calls `mx_cancel_request`
 * from any thread to stop that call. A requested token stays requested: use a new one for
 * the next call.
 */
typedef struct mx_cancel mx_cancel;

/**
 * A command to run: a cmdlet name and its parameters, in order. Created by `mx_command_new`,
 * owned by the caller, freed with `mx_command_free`. The adders lock the handle, so any
 * thread may use it; `mx_session_invoke` copies it, so one command can be run many times, on
 * any session. Secrets added with `mx_command_add_secure` are wiped when the command is freed.
 */
typedef struct mx_command mx_command;

/**
 * An immutable, reference-counted configuration made by `mx_options_build`; sessions
 * (`mx_session_open_config`) and pools (`mx_pool_open_config`) take it. Safe to share
 * between threads.
 */
typedef struct mx_config mx_config;

/**
 * Details of a failed call: its code, message and what the server said. Created by the
 * library in a call's `mx_error **err` out-parameter; the caller owns it and frees it with
 * `mx_error_free`. Immutable, so it may be read from any thread.
 */
typedef struct mx_error mx_error;

/**
 * A value: an output object, or a property of one (which may itself be an object, a list,
 * a string or a number). Borrowed: valid as long as the `mx_result` it came from (or, in a
 * streaming callback, until the callback returns); never freed by the caller. Immutable, so
 * any thread may read it while its owner lives.
 */
typedef struct mx_object mx_object;

/**
 * The builder of a session's configuration: URL, authentication, credentials, endpoint, TLS,
 * addresses and time limits. Created by `mx_options_new`, owned by the caller, freed with
 * `mx_options_free`. Setters lock the handle, so any thread may use it, even concurrently;
 * `mx_options_build` (and `mx_session_open`, `mx_pool_open`) copy it, so it may be changed
 * or freed afterwards.
 */
typedef struct mx_options mx_options;

/**
 * A pool of sessions, made by `mx_pool_open`, owned by the caller and freed with
 * `mx_pool_free`. Thread-safe: every function may be called from any thread at the same
 * time. Unlike an `mx_session`, whose commands queue behind each other, a pool runs as many
 * commands at once as it may hold sessions; further callers wait, in arrival order, for a
 * session to come back.
 */
typedef struct mx_pool mx_pool;

/**
 * A pool's own options for `mx_pool_open_config`. Created by `mx_pool_options_new`, owned by
 * the caller, freed with `mx_pool_options_free`; setters lock it, and `mx_pool_open_config`
 * copies it.
 */
typedef struct mx_pool_options mx_pool_options;

/**
 * A record of a command's error, warning, verbose, debug, information or progress stream.
 * Borrowed: valid as long as the `mx_result` it came from (or, in a callback, until the
 * callback returns); never freed by the caller. Immutable: readable from any thread.
 */
typedef struct mx_record mx_record;

/**
 * Everything a finished command produced. Created by `mx_session_invoke`, owned by the
 * caller, freed with `mx_result_free`, which invalidates every `mx_object`, `mx_record` and
 * `mx_str` taken from it. The content never changes; only the cursor of `mx_result_next`
 * moves (atomically), so threads may read one result concurrently, though they then share
 * the cursor.
 */
typedef struct mx_result mx_result;

/**
 * A session to the server, made by `mx_session_open`, owned by the caller and freed with
 * `mx_session_free`. Thread-safe: every function may be called from any thread, also at the
 * same time; calls that run commands are served one at a time per session (a session runs
 * one command at a time), while different sessions run in parallel. `mx_session_cancel`
 * and `mx_cancel_request` never wait.
 */
typedef struct mx_session mx_session;

/**
 * A string the library made for the caller (JSON text, a computed ToString). The caller owns
 * it and frees it with `mx_string_free`. Its bytes are UTF-8 and followed by a NUL, so
 * `mx_string_data` also works as a C string when the text has no NUL of its own. Immutable:
 * readable from any thread.
 */
typedef struct mx_string mx_string;

/**
 * A borrowed UTF-8 string: `len` bytes at `data`, not NUL-terminated (print it with
 * `printf("%.*s", (int)s.len, s.data)`). It stays valid as long as the handle it came from,
 * as each function documents. `data` is NULL when there is no value (an absent property, a
 * NULL handle); an empty value has a non-NULL `data` and `len` 0.
 */
typedef struct {
  /**
   * The first byte; NULL for "no value".
   */
  const char *data;
  /**
   * Length in bytes.
   */
  size_t len;
} mx_str;

/**
 * Receives one log event: its level (an `mx_log_level`), its origin (the module, e.g.
 * `monosync_exchange::transport::client`) and its text with its fields (`connected
 * peer=10.0.0.5:80`). Both strings are borrowed for the call only. Called from any thread,
 * the library's I/O threads included, possibly concurrently; it must return quickly and must
 * not call session functions of this library.
 */
typedef void (*mx_log_callback)(void *userdata, uint32_t level, mx_str target, mx_str message);

/**
 * Called by the streaming calls of sessions and pools once per item, in the order the server
 * sent them: `stream` is an `mx_stream`; for `MX_STREAM_OUTPUT` `object` is set and `record`
 * is NULL, for every other stream `record` is set and `object` is NULL. Both are borrowed for
 * the duration of the call only. Return 0 to go on, non-zero to stop the command. Runs on the
 * thread that started the stream; it must not call functions of the same session (they fail
 * with `MX_CONFIG`).
 */
typedef int (*mx_stream_callback)(void *userdata, uint32_t stream, const mx_object *object, const mx_record *record);

/**
 * Called once per progress record while a command of the session or pool runs (whether it
 * runs to its end or streams), on the thread that invoked it. `record` is borrowed for the
 * call; read it with `mx_record_progress`.
 */
typedef void (*mx_progress_callback)(void *userdata, const mx_record *record);

/**
 * Counts of a pool's sessions and of what happened to them, as `mx_pool_stats` reads them.
 */
typedef struct {
  /**
   * Sessions open now, in use or idle.
   */
  uint64_t sessions;
  /**
   * Sessions open and free now.
   */
  uint64_t idle;
  /**
   * Sessions opened so far, on every server.
   */
  uint64_t opened;
  /**
   * Sessions closed because they broke or failed a probe.
   */
  uint64_t discarded;
  /**
   * Sessions closed because they sat idle too long.
   */
  uint64_t idle_closed;
  /**
   * Probes of sessions that sat idle before their reuse.
   */
  uint64_t probes;
  /**
   * Commands sent again after a failure.
   */
  uint64_t retries;
} mx_pool_counters;

/**
 * A progress record's fields ([MS-PSRP] 2.2.2.25). The strings are borrowed from the record.
 */
typedef struct {
  /**
   * `Activity`.
   */
  mx_str activity;
  /**
   * `StatusDescription`.
   */
  mx_str status;
  /**
   * `CurrentOperation`; `data` NULL when absent.
   */
  mx_str current_operation;
  /**
   * `ActivityId`.
   */
  int32_t activity_id;
  /**
   * `ParentActivityId`: -1 for a top-level activity.
   */
  int32_t parent_activity_id;
  /**
   * `PercentComplete`: -1 when unknown.
   */
  int32_t percent_complete;
  /**
   * `SecondsRemaining`: -1 when unknown.
   */
  int32_t seconds_remaining;
  /**
   * The activity is complete (`Type` = Completed).
   */
  bool completed;
} mx_progress;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library's version (`0.1.0`), a static NUL-terminated string.
 */
const char *mx_version(void);

/**
 * The ABI version the library implements; a program built against the header checks it
 * against `MX_ABI_VERSION`.
 */
uint32_t mx_abi_version(void);

/**
 * Makes a cancel token, not requested. The caller owns `*out` and frees it with
 * `mx_cancel_free`, after the calls it was given to have returned.
 */
mx_result_code mx_cancel_new(mx_cancel **out);

/**
 * Stops the calls the token was given to, which then fail with `MX_CANCELLED`: a pool call
 * still waiting for a session gives up at once; a running `mx_session_invoke_cancellable`,
 * `mx_session_invoke_streaming_cancellable` or `mx_pool_invoke_cancellable` sends the
 * PowerShell stop signal ([MS-PSRP] 3.1.5.3.8) and waits for the server to confirm; in
 * `mx_pool_invoke_streaming` the stream ends at the command's next item and its session is
 * closed, which ends the command on the server. A call started with a requested token fails
 * with `MX_CANCELLED` at once. Callable from any thread, never blocks.
 */
mx_result_code mx_cancel_request(const mx_cancel *cancel);

/**
 * Frees the token. NULL is fine. Must be called once, after every call the token was given
 * to has returned.
 */
void mx_cancel_free(mx_cancel *cancel);

/**
 * A new command running the cmdlet `name` (`name_len` bytes of UTF-8, e.g. `Get-Mailbox`).
 * On success the caller owns `*out` and frees it with `mx_command_free`.
 */
mx_result_code mx_command_new(const char *name, size_t name_len, mx_command **out, mx_error **err);

/**
 * Frees a command, wiping its secrets. NULL is fine. Must be called once, when no other
 * thread uses it.
 */
void mx_command_free(mx_command *command);

/**
 * Adds `-name value` with a string value. Parameter names may be given with or without the
 * leading dash. Both strings are copied.
 */
mx_result_code mx_command_add_string(mx_command *command, const char *name, size_t name_len, const char *value, size_t value_len, mx_error **err);

/**
 * Adds `-name value` with an integer, sent as Int32 when it fits (the type PowerShell gives
 * an integer literal) and Int64 otherwise.
 */
mx_result_code mx_command_add_int(mx_command *command, const char *name, size_t name_len, int64_t value, mx_error **err);

/**
 * Adds `-name $true` or `-name $false`.
 */
mx_result_code mx_command_add_bool(mx_command *command, const char *name, size_t name_len, bool value, mx_error **err);

/**
 * Adds a switch (`-name`, e.g. `-Confirm` or `-BypassSecurityGroupManagerCheck`).
 */
mx_result_code mx_command_add_switch(mx_command *command, const char *name, size_t name_len, mx_error **err);

/**
 * Adds `-name` holding `secret` as a SecureString (`New-Mailbox -Password`): the session
 * encrypts it with the session key ([MS-PSRP] 2.2.5.1.24) after the key exchange. The library
 * keeps one copy, wiped when the command is freed; it is never logged and never shown in
 * output JSON. The caller's buffer is only read during the call.
 */
mx_result_code mx_command_add_secure(mx_command *command, const char *name, size_t name_len, const char *secret, size_t secret_len, mx_error **err);

/**
 * Adds `-name` holding a PSCredential (`New-PSSession -Credential`, `Set-Mailbox
 * -Credential`): `user` (`user`, `DOMAIN\user` or `user@domain`) and `password`, which
 * travels as a SecureString encrypted with the session key. The library keeps one copy of
 * the password, wiped when the command is freed; the caller's buffers are only read during
 * the call.
 */
mx_result_code mx_command_add_credential(mx_command *command, const char *name, size_t name_len, const char *user, size_t user_len, const char *password, size_t password_len, mx_error **err);

/**
 * Adds `-name @('a', 'b')`: `count` strings given as `items[i]` / `item_lens[i]` (each UTF-8,
 * no NUL needed). With `count` 0 the arrays may be NULL and an empty array is sent.
 */
mx_result_code mx_command_add_string_array(mx_command *command, const char *name, size_t name_len, const char *const *items, const size_t *item_lens, size_t count, mx_error **err);

/**
 * Adds `-name @{k1='v1'; k2='v2'}`: a Hashtable of `count` string keys and string values,
 * given as parallel arrays like `mx_command_add_string_array`. For values of other types use
 * `mx_command_add_json` with a JSON object.
 */
mx_result_code mx_command_add_hashtable(mx_command *command, const char *name, size_t name_len, const char *const *keys, const size_t *key_lens, const char *const *values, const size_t *value_lens, size_t count, mx_error **err);

/**
 * Adds `-name value` with a value written as JSON (`json_len` bytes): null, booleans,
 * numbers (Int32 when they fit, else Int64, else Double), strings, arrays (`Object[]`) and
 * objects (Hashtable, string keys), nested freely. E.g. `{"Add": ["smtp:ann@contoso.com"]}`
 * for a multi-valued update. `MX_INVALID_ARGUMENT` when the text is not JSON. Secrets do not
 * go this way: use `mx_command_add_secure`.
 */
mx_result_code mx_command_add_json(mx_command *command, const char *name, size_t name_len, const char *json, size_t json_len, mx_error **err);

/**
 * Builds the configuration that `options` describe now; later changes to `options` do not
 * reach it. On success the caller owns `*out` and releases it with `mx_config_free`.
 */
mx_result_code mx_options_build(const mx_options *options, const mx_config **out, mx_error **err);

/**
 * Releases the caller's reference to `config`; NULL is fine. Sessions and pools opened
 * from it are not affected. Must be called once per configuration built.
 */
void mx_config_free(const mx_config *config);

/**
 * The code of the error (`MX_INVALID_ARGUMENT` for NULL).
 */
mx_result_code mx_error_code(const mx_error *err);

/**
 * The message: the server's own words kept whole (fault text, exception message,
 * FullyQualifiedErrorId). Borrowed: valid until `mx_error_free(err)`. Empty for NULL.
 */
mx_str mx_error_message(const mx_error *err);

/**
 * The WS-Management fault code (`WSManFault/@Code`, e.g. 2150858793 for TimedOut) when the
 * server answered with a fault: writes it to `*out` and returns true; otherwise returns false
 * and leaves `*out` alone.
 */
bool mx_error_server_code(const mx_error *err, uint32_t *out);

/**
 * The FullyQualifiedErrorId of the command's terminating error record, e.g.
 * `[Server=EX01] ... ,Microsoft.Exchange.Management.RecipientTasks.GetMailbox`. Borrowed:
 * valid until `mx_error_free(err)`; `data` is NULL when there is none.
 */
mx_str mx_error_fqeid(const mx_error *err);

/**
 * The .NET exception type of the command's terminating error record, e.g.
 * `Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException`. Borrowed: valid
 * until `mx_error_free(err)`; `data` is NULL when there is none.
 */
mx_str mx_error_exception_type(const mx_error *err);

/**
 * What to do about the error, filled when the core or the server supplies a hint (the core
 * of this version supplies none, so `data` is NULL). Borrowed: valid until
 * `mx_error_free(err)`.
 */
mx_str mx_error_hint(const mx_error *err);

/**
 * Frees an error. NULL is fine. Must be called once, when no other thread reads it.
 */
void mx_error_free(mx_error *err);

/**
 * The stable snake_case name of a result code ("ok", "not_found", "invalid_argument", ...),
 * as a static NUL-terminated string; "unknown" for a number that is no code.
 */
const char *mx_result_code_name(uint32_t code);

/**
 * Whether the same request may succeed if sent again later (after backoff for
 * `MX_THROTTLED`): true for `MX_THROTTLED`, `MX_TRANSIENT` and `MX_TIMEOUT`. Retry only
 * commands that are safe to repeat.
 */
bool mx_result_code_is_retryable(uint32_t code);

/**
 * Sends the library's log events up to `max_level` (an `mx_log_level`) to `callback`, with
 * `userdata` passed through; NULL or `MX_LOG_LEVEL_OFF` turns logging off. One callback per
 * process: a new call replaces the previous one. `userdata` must stay valid until the
 * callback is replaced. Secrets are never logged. Fails with `MX_LOGGER_IN_USE` when the
 * process already has another `tracing` subscriber (a Rust host that installed its own),
 * and `MX_INVALID_ARGUMENT` for an unknown level.
 */
mx_result_code mx_set_log_callback(mx_log_callback callback, void *userdata, uint32_t max_level);

/**
 * The object as JSON text (the core's mapping: properties by name, plus `$type`, `$toString`
 * and `$value` keys; SecureStrings never shown). The caller owns `*out` and frees it with
 * `mx_string_free`.
 */
mx_result_code mx_object_json(const mx_object *object, mx_string **out, mx_error **err);

/**
 * The object's text as PowerShell shows it: its `ToString`, or a scalar's text (`True`,
 * `42`, a date in ISO-8601). The caller owns `*out` and frees it with `mx_string_free`.
 */
mx_result_code mx_object_to_string(const mx_object *object, mx_string **out, mx_error **err);

/**
 * Reads a string property (`name_len` bytes of UTF-8): a string, or an object's `ToString`
 * (enums, identities). `MX_NO_SUCH_PROPERTY` when absent, `MX_WRONG_TYPE` for other values
 * (use `mx_object_property` and `mx_object_to_string` for those). `*out` is borrowed: valid
 * as long as the object.
 */
mx_result_code mx_object_property_string(const mx_object *object, const char *name, size_t name_len, mx_str *out, mx_error **err);

/**
 * Reads an integer property (any integer type, or an enum's number). `MX_NO_SUCH_PROPERTY`
 * when absent, `MX_WRONG_TYPE` when not an integer or beyond int64.
 */
mx_result_code mx_object_property_int(const mx_object *object, const char *name, size_t name_len, int64_t *out, mx_error **err);

/**
 * Reads a boolean property. `MX_NO_SUCH_PROPERTY` when absent, `MX_WRONG_TYPE` otherwise.
 */
mx_result_code mx_object_property_bool(const mx_object *object, const char *name, size_t name_len, bool *out, mx_error **err);

/**
 * The property `name` as a value of its own (a nested object, a list, a date...). `*out` is
 * borrowed: valid as long as `object`. `MX_NO_SUCH_PROPERTY` when absent.
 */
mx_result_code mx_object_property(const mx_object *object, const char *name, size_t name_len, const mx_object **out, mx_error **err);

/**
 * The number of properties (extended, then adapted, as PowerShell orders them); 0 for
 * values that are not objects and for NULL.
 */
size_t mx_object_property_count(const mx_object *object);

/**
 * The name of property `index` (see `mx_object_property_count`); `data` is NULL when out of
 * range. Borrowed: valid as long as the object.
 */
mx_str mx_object_property_name(const mx_object *object, size_t index);

/**
 * The number of type names (most derived first, e.g.
 * `Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox`); 0 for scalars.
 */
size_t mx_object_type_name_count(const mx_object *object);

/**
 * Type name `index`; `data` is NULL when out of range. Borrowed: valid as long as the object.
 */
mx_str mx_object_type_name(const mx_object *object, size_t index);

/**
 * The number of items when the value is a list (an array, `MultiValuedProperty`, ...); 0
 * otherwise.
 */
size_t mx_object_list_count(const mx_object *object);

/**
 * List item `index`; NULL when out of range or not a list. Borrowed: valid as long as the
 * object.
 */
const mx_object *mx_object_list_item(const mx_object *object, size_t index);

/**
 * New options for Exchange's `/PowerShell/` endpoint with Negotiate authentication, no server
 * and no credentials yet, and the defaults of every time limit. The caller owns the result
 * and frees it with `mx_options_free`. Returns NULL only if the library failed internally.
 */
mx_options *mx_options_new(void);

/**
 * Frees options; the password copy is wiped. NULL is fine. Must be called once, when no
 * other thread uses the handle; configurations built and sessions opened from it are not
 * affected.
 */
void mx_options_free(mx_options *options);

/**
 * Sets the server (`server_len` bytes of UTF-8, no NUL needed): a URL, e.g.
 * `http://ex01.corp.example/PowerShell/` or `https://[fd00::5]:5986/wsman`, or a bare host
 * name, which becomes `https://<host>/PowerShell/`, or `https://<host>:5986/wsman` with a
 * configuration or jump host. Checked when a session opens (`MX_CONFIG` when unusable).
 * Copied. Default: none.
 */
mx_result_code mx_options_set_server(mx_options *options, const char *server, size_t server_len, mx_error **err);

/**
 * The former name of `mx_options_set_server`, which it is.
 */
mx_result_code mx_options_set_url(mx_options *options, const char *url, size_t url_len, mx_error **err);

/**
 * Sets the authentication method: one of `mx_auth` (`MX_INVALID_ARGUMENT` otherwise).
 * Default: negotiate.
 */
mx_result_code mx_options_set_auth(mx_options *options, uint32_t auth, mx_error **err);

/**
 * Sets the user name: `user`, `DOMAIN\user` or `user@REALM` (Kerberos wants the DNS realm,
 * `alice@CORP.EXAMPLE`). Copied. Default: none.
 */
mx_result_code mx_options_set_username(mx_options *options, const char *username, size_t username_len, mx_error **err);

/**
 * Sets the password. The library keeps one copy, wiped from memory when it is replaced or
 * the options are freed (sessions keep their own wiped copy); it is never logged. The
 * caller's buffer is only read during the call: wipe it yourself. Default: none.
 */
mx_result_code mx_options_set_password(mx_options *options, const char *password, size_t password_len, mx_error **err);

/**
 * Talks to a session configuration of the WinRM service (`.../wsman`), e.g.
 * `Microsoft.PowerShell`, instead of Exchange's `/PowerShell/` endpoint. Copied.
 * Default: none (Exchange's endpoint).
 */
mx_result_code mx_options_set_configuration(mx_options *options, const char *name, size_t name_len, mx_error **err);

/**
 * Talks to Exchange's remote PowerShell in IIS (`http(s)://<fqdn>/PowerShell/`,
 * configuration `Microsoft.Exchange`): the default.
 */
mx_result_code mx_options_set_exchange_endpoint(mx_options *options, mx_error **err);

/**
 * Trusts the CA certificates of a PEM file besides the system's (an internal PKI); NULL
 * removes it. The path is copied; the file is read when a session opens. Default: none.
 */
mx_result_code mx_options_set_ca_file(mx_options *options, const char *path, size_t path_len, mx_error **err);

/**
 * Adds an accepted certificate thumbprint, SHA-1 (as Windows shows it) or SHA-256, hex of
 * any case, colons and spaces allowed. With at least one pin, a certificate is accepted if
 * and only if it matches one: chain, name and dates are then not checked. A malformed pin
 * fails `mx_session_open` with `MX_CONFIG`. Default: none.
 */
mx_result_code mx_options_add_pinned_thumbprint(mx_options *options, const char *thumbprint, size_t thumbprint_len, mx_error **err);

/**
 * Accepts any server certificate (the library logs a warning on every connection). For tests
 * only. Default: false.
 */
mx_result_code mx_options_set_insecure(mx_options *options, bool insecure, mx_error **err);

/**
 * Over plain HTTP, sends NTLM/Kerberos-authenticated messages without sealing them (the
 * server must have AllowUnencrypted). Default: false.
 */
mx_result_code mx_options_set_allow_unencrypted(mx_options *options, bool allow, mx_error **err);

/**
 * Allows Basic authentication over plain HTTP, which exposes the password. Default: false.
 */
mx_result_code mx_options_set_allow_basic_over_http(mx_options *options, bool allow, mx_error **err);

/**
 * Sets the order in which resolved addresses are tried: one of `mx_ip_order`.
 * Default: ipv4-first.
 */
mx_result_code mx_options_set_ip_order(mx_options *options, uint32_t order, mx_error **err);

/**
 * Adds a fixed answer for one `host:port`, written like curl's `--resolve`:
 * `host:port:addr[,addr...]` (IPv6 addresses may be bracketed). Checked now:
 * `MX_INVALID_ARGUMENT` when malformed. Default: none.
 */
mx_result_code mx_options_add_resolve(mx_options *options, const char *entry, size_t entry_len, mx_error **err);

/**
 * Sets the Kerberos KDC (`tcp://host:port`, or `host[:port]`), or a KDC proxy
 * (`https://host/KdcProxy`, [MS-KKDCP], its certificate checked against the system roots and
 * the CA file); NULL goes back to the realm's `kdc` in `krb5.conf`, then DNS SRV records.
 * Default: none.
 */
mx_result_code mx_options_set_kdc(mx_options *options, const char *kdc, size_t kdc_len, mx_error **err);

/**
 * Logs on with a key from this MIT keytab file instead of the password (Kerberos and
 * Negotiate only): the entry of the user name's principal (the keytab's first principal when
 * the user name is empty) with AES256, else AES128, at the highest kvno. A keytab with only
 * RC4 or DES keys fails the connect with `MX_AUTH`. NULL goes back to the password. Copied;
 * the file is read when a session authenticates. Default: none.
 */
mx_result_code mx_options_set_keytab(mx_options *options, const char *path, size_t path_len, mx_error **err);

/**
 * Sets the Kerberos realm of the user's account (`CORP.EXAMPLE`); NULL goes back to
 * `krb5.conf`'s `default_realm`, then DNS. A user `name@suffix` whose suffix is not this realm
 * (an alternative UPN suffix) logs on with an NT-ENTERPRISE name sent to it.
 * `MX_INVALID_ARGUMENT` when empty or malformed. Default: none.
 */
mx_result_code mx_options_set_realm(mx_options *options, const char *realm, size_t realm_len, mx_error **err);

/**
 * Adds a DNS server (`ip:port`) for KDC discovery by SRV records; none means those of
 * `/etc/resolv.conf`. `MX_INVALID_ARGUMENT` when malformed. Default: none.
 */
mx_result_code mx_options_add_dns_server(mx_options *options, const char *server, size_t server_len, mx_error **err);

/**
 * Uses this service principal name instead of `HTTP/<host>`; NULL goes back to the default.
 * Default: none.
 */
mx_result_code mx_options_set_spn(mx_options *options, const char *spn, size_t spn_len, mx_error **err);

/**
 * Sets the `wsman:Locale` and `wsmv:DataLocale` ([MS-WSMV] 3.1.4.1.23), e.g. `de-DE`: the
 * language of the server's messages. Default: en-US.
 */
mx_result_code mx_options_set_locale(mx_options *options, const char *locale, size_t locale_len, mx_error **err);

/**
 * Names the shell, as `Get-PSSession` on the server shows it; NULL for no name.
 * Default: none.
 */
mx_result_code mx_options_set_shell_name(mx_options *options, const char *name, size_t name_len, mx_error **err);

/**
 * Records the conversation in the file at `path` (UTF-8): every request and response after
 * unsealing, secrets redacted, in the format `mx-sim --replay` serves. NULL records nothing.
 * The file is created, or truncated, when a session opens; a pool's n-th session records
 * into the path with `.n` before the extension (`calls.1.yml`, ...). Default: none.
 */
mx_result_code mx_options_set_record(mx_options *options, const char *path, size_t path_len, mx_error **err);

/**
 * Fixes MaxEnvelopeSize in bytes; 0 negotiates it (153600, then 512000 once the server
 * reports protocol 2.2 or later, [MS-PSRP] 3.1.5.1.1). Default: none.
 */
mx_result_code mx_options_set_max_envelope_size(mx_options *options, uint32_t bytes, mx_error **err);

/**
 * TCP connect per address, and again the TLS handshake, in milliseconds; 0 is refused
 * (`MX_INVALID_ARGUMENT`). Default: 30 s.
 */
mx_result_code mx_options_set_connect_timeout_ms(mx_options *options, uint64_t milliseconds, mx_error **err);

/**
 * One HTTP exchange, the request then the response head and body together, in milliseconds;
 * keep it above the operation timeout. 0 is refused. Default: 120 s.
 */
mx_result_code mx_options_set_read_timeout_ms(mx_options *options, uint64_t milliseconds, mx_error **err);

/**
 * One whole HTTP request including reconnects, in milliseconds; 0 for no limit.
 * Default: none.
 */
mx_result_code mx_options_set_request_timeout_ms(mx_options *options, uint64_t milliseconds, mx_error **err);

/**
 * WS-Management OperationTimeout of a Receive ([MS-WSMV] 2.2.4.29), in milliseconds: how long
 * the server holds a Receive open without output. A polling interval, not a limit; 0 is
 * refused. Default: 20 s.
 */
mx_result_code mx_options_set_operation_timeout_ms(mx_options *options, uint64_t milliseconds, mx_error **err);

/**
 * One whole command, in milliseconds; when it passes, the command is stopped on the server
 * and the call fails with `MX_TIMEOUT`. 0 for no limit. Default: none.
 */
mx_result_code mx_options_set_invoke_timeout_ms(mx_options *options, uint64_t milliseconds, mx_error **err);

/**
 * Opening a session, in milliseconds: connect, authenticate, create the shell and open the
 * runspace pool; when it passes, opening fails with `MX_TIMEOUT`. PowerShell's OpenTimeout;
 * 0 for no limit. Default: 180 s.
 */
mx_result_code mx_options_set_open_timeout_ms(mx_options *options, uint64_t milliseconds, mx_error **err);

/**
 * The shell's idle timeout on the server (`rsp:IdleTimeOut`, [MS-WSMV] 2.2.4.37), in
 * milliseconds; 0 leaves the server's default. Default: none.
 */
mx_result_code mx_options_set_idle_timeout_ms(mx_options *options, uint64_t milliseconds, mx_error **err);

/**
 * Sets one time limit in milliseconds: `which` is one of `mx_timeout`, and the call is that
 * of the limit's own setter (`MX_TIMEOUT_OPEN` is `mx_options_set_open_timeout_ms`, ...).
 * `MX_INVALID_ARGUMENT` for another `which`.
 */
mx_result_code mx_options_set_timeout_ms(mx_options *options, uint32_t which, uint64_t milliseconds, mx_error **err);

/**
 * Adds a failover server for `mx_pool_open`, as `mx_pool_options_add_server` does for
 * `mx_pool_open_config`: the pool's servers are the options' server followed by the added
 * ones. Sessions (`mx_session_open`) ignore it.
 */
mx_result_code mx_options_add_server(mx_options *options, const char *url, size_t url_len, mx_error **err);

/**
 * Sets how many sessions `mx_pool_open`'s pool may hold, as
 * `mx_pool_options_set_max_sessions` does for `mx_pool_open_config`.
 */
mx_result_code mx_options_set_pool_size(mx_options *options, uint32_t sessions, mx_error **err);

/**
 * Switches to jump-host mode: the server, authentication and credentials of the options are
 * then those of the WinRM service of the jump host (`https://<host>:5986/wsman`,
 * configuration `Microsoft.PowerShell`), and every session opened from them first runs a
 * bootstrap there that connects to Exchange at `exchange_uri` (`http://<fqdn>/PowerShell/`,
 * as the jump host reaches it, with Kerberos) as `user` / `password`; the Exchange cmdlets
 * then run as that user. The password travels as a SecureString encrypted with the session
 * key ([MS-PSRP] 2.2.5.1.24), never in clear text. The library keeps one copy of it, wiped
 * when replaced or when the options are freed; the caller's buffer is only read during the
 * call. `mx_options_set_configuration` or `mx_options_set_exchange_endpoint` leave the mode.
 * Default: none.
 */
mx_result_code mx_options_set_jump_host(mx_options *options, const char *exchange_uri, size_t exchange_uri_len, const char *user, size_t user_len, const char *password, size_t password_len, mx_error **err);

/**
 * Makes a pool from a copy of `options` (which the caller keeps and may free at once): its
 * servers are the options' URL followed by those of `mx_options_add_server`, its size that
 * of `mx_options_set_pool_size` (default 2). Checks every URL and limit, but connects to
 * nothing yet: sessions open on first need, on the first healthy server. On success the
 * caller owns `*out` and frees it with `mx_pool_free`; a bad URL or option fails with
 * `MX_CONFIG`.
 */
mx_result_code mx_pool_open(const mx_options *options, mx_pool **out, mx_error **err);

/**
 * Makes a pool from `config` (from `mx_options_build`, which the caller keeps and may
 * release at once) and `pool_options` (NULL for every default; copied): its servers are the
 * configuration's server followed by those of `mx_pool_options_add_server`. Otherwise as
 * `mx_pool_open`.
 */
mx_result_code mx_pool_open_config(const mx_config *config, const mx_pool_options *pool_options, mx_pool **out, mx_error **err);

/**
 * Runs `command` (copied; the caller keeps it) on a free session of the pool, opening one if
 * the pool may, else waiting for one, and returns everything it produced, as
 * `mx_session_invoke` does: the caller owns `*out` and frees it with `mx_result_free`. A
 * session that breaks is replaced, on the next server when its own fails, and a command that
 * failed for a passing reason (a dropped connection, throttling) is sent again; a
 * terminating error of the command itself fails the call with its kind. Blocks; must not be
 * called from a callback of this library.
 */
mx_result_code mx_pool_invoke(const mx_pool *pool, const mx_command *command, mx_result **out, mx_error **err);

/**
 * `mx_pool_invoke` that `mx_cancel_request(cancel)` stops from another thread; the call then
 * fails with `MX_CANCELLED`, and the command is not sent again. `cancel` must not be NULL.
 */
mx_result_code mx_pool_invoke_cancellable(const mx_pool *pool, const mx_command *command, const mx_cancel *cancel, mx_result **out, mx_error **err);

/**
 * Runs `command` (copied) on a session of the pool and calls `callback` with each item as it
 * arrives, as `mx_session_invoke_streaming` does. The session stays with this call until the
 * command ends, while other threads use the pool's other sessions. Until the first item
 * arrived, a failure is retried as `mx_pool_invoke` retries it; a command that changes state
 * and whose answer was lost fails with `MX_OUTCOME_UNKNOWN`. When the callback returns
 * non-zero, or `cancel` (which may be NULL) is requested from another thread, the command is
 * stopped on the server and its session closed rather than reused; a non-zero callback
 * return gives `MX_OK`, a request `MX_CANCELLED`. `callback` must not be NULL; `userdata` is
 * passed through untouched. Blocks; runs the callback on the calling thread.
 */
mx_result_code mx_pool_invoke_streaming(const mx_pool *pool, const mx_command *command, const mx_cancel *cancel, mx_stream_callback callback, void *userdata, mx_error **err);

/**
 * Registers `callback` to receive progress records of the pool's commands, whether they run
 * to their end or stream, as `mx_session_set_progress_callback` does for a session (NULL
 * removes it). `userdata` is passed through untouched and must stay valid, and usable from
 * any thread that runs commands on the pool, until the callback is replaced or the pool
 * freed. Takes effect for commands started afterwards. With a callback, `mx_pool_invoke`
 * reads its command as a stream, so that progress arrives while it runs: a failure is then
 * retried only until the first item arrived, as `mx_pool_invoke_streaming` retries.
 */
mx_result_code mx_pool_set_progress_callback(const mx_pool *pool, mx_progress_callback callback, void *userdata);

/**
 * Writes the pool's counters to `*out`. Never blocks. `out` must be valid for a write.
 */
mx_result_code mx_pool_stats(const mx_pool *pool, mx_pool_counters *out, mx_error **err);

/**
 * The sessions opened so far on server `index` of the pool (0 is the options' URL, then the
 * servers in the order of `mx_options_add_server`): which servers took the load after a
 * failover. An index past the list gives `MX_INVALID_ARGUMENT`. Never blocks.
 */
mx_result_code mx_pool_server_opened(const mx_pool *pool, size_t index, uint64_t *out, mx_error **err);

/**
 * Closes the pool: deletes the shells of its idle sessions (one round trip each) and fails
 * later `mx_pool_invoke` calls with `MX_CONFIG`; sessions in use are deleted when their
 * command ends. The handle must still be freed with `mx_pool_free`.
 */
mx_result_code mx_pool_close(const mx_pool *pool, mx_error **err);

/**
 * Frees the pool; a pool not closed yet is closed first (which blocks for the shells'
 * deletion). NULL is fine. Must be called once, after every other call on the pool has
 * returned.
 */
void mx_pool_free(mx_pool *pool);

/**
 * New pool options with every default. The caller owns the result and frees it with
 * `mx_pool_options_free`. Returns NULL only if the library failed internally.
 */
mx_pool_options *mx_pool_options_new(void);

/**
 * Frees pool options. NULL is fine. Must be called once, when no other thread uses them.
 */
void mx_pool_options_free(mx_pool_options *options);

/**
 * Adds a failover server (a URL or a host name, as `mx_options_set_server` takes): the pool
 * opens new sessions on the first healthy server of the configuration's server followed by
 * the added ones, in order, and moves on when one cannot be reached; a session stays on the
 * server it opened on. Every server shares the rest of the configuration. Copied; checked by
 * `mx_pool_open_config` (`MX_CONFIG`). Default: none.
 */
mx_result_code mx_pool_options_add_server(mx_pool_options *options, const char *url, size_t url_len, mx_error **err);

/**
 * Sets how many sessions the pool may hold, which is also how many commands it runs at once:
 * 1 to `MX_MAX_POOL_SESSIONS` (16, below Exchange's 18 shells per user), else
 * `MX_INVALID_ARGUMENT` and the old value stays. Default: 2.
 */
mx_result_code mx_pool_options_set_max_sessions(mx_pool_options *options, uint32_t sessions, mx_error **err);

/**
 * The longest a call waits for a free session, in milliseconds; when it passes the call
 * fails with `MX_TIMEOUT`, without a retry. 0 waits as long as it takes. Default: none.
 */
mx_result_code mx_pool_options_set_acquire_timeout_ms(mx_pool_options *options, uint64_t milliseconds, mx_error **err);

/**
 * Attempts of a command in all, the first included, when it fails for a passing reason (a
 * dropped connection, throttling); 1 turns retries off, 0 is refused. Default: 3.
 */
mx_result_code mx_pool_options_set_retry_attempts(mx_pool_options *options, uint32_t attempts, mx_error **err);

/**
 * Frees a result and everything borrowed from it. NULL is fine. Must be called once, when
 * no other thread uses it.
 */
void mx_result_free(mx_result *result);

/**
 * The number of output objects; 0 for NULL.
 */
size_t mx_result_count(const mx_result *result);

/**
 * The next output object: `MX_OK` with `*out` set (borrowed: valid until
 * `mx_result_free`), or `MX_END` when every object was returned. The cursor starts at the
 * first object; `mx_result_rewind` moves it back.
 */
mx_result_code mx_result_next(const mx_result *result, const mx_object **out);

/**
 * Moves the cursor of `mx_result_next` back to the first object.
 */
mx_result_code mx_result_rewind(const mx_result *result);

/**
 * Output object `index` (0-based), without moving the cursor; NULL when out of range.
 * Borrowed: valid until `mx_result_free`.
 */
const mx_object *mx_result_get(const mx_result *result, size_t index);

/**
 * The number of records in `stream` (one of `mx_stream` other than `MX_STREAM_OUTPUT`;
 * for output use `mx_result_count`). 0 for NULL or an unknown stream.
 */
size_t mx_result_record_count(const mx_result *result, uint32_t stream);

/**
 * Record `index` of `stream`; NULL when out of range. Borrowed: valid until
 * `mx_result_free`.
 */
const mx_record *mx_result_record(const mx_result *result, uint32_t stream, size_t index);

/**
 * The stream of a record (an `mx_stream` value); `MX_STREAM_OUTPUT` (0) for NULL.
 */
uint32_t mx_record_stream(const mx_record *record);

/**
 * The text PowerShell shows for the record: an error's message (ErrorDetails, else the
 * exception's), a warning's text, a progress record's status. Borrowed: valid as long as the
 * record.
 */
mx_str mx_record_message(const mx_record *record);

/**
 * The kind of an error record as a result code (`MX_NOT_FOUND` for
 * ManagementObjectNotFoundException, ...), read from its exception type,
 * FullyQualifiedErrorId and CategoryInfo; `MX_OK` for records of other streams.
 */
mx_result_code mx_record_error_kind(const mx_record *record);

/**
 * An error record's FullyQualifiedErrorId; `data` is NULL for other records. Borrowed.
 */
mx_str mx_record_fqeid(const mx_record *record);

/**
 * An error record's .NET exception type; `data` is NULL for other records. Borrowed.
 */
mx_str mx_record_exception_type(const mx_record *record);

/**
 * An information record's `Source`; `data` is NULL for other records. Borrowed.
 */
mx_str mx_record_source(const mx_record *record);

/**
 * Reads a progress record into `*out` (strings borrowed from the record). `MX_WRONG_TYPE`
 * for records of other streams.
 */
mx_result_code mx_record_progress(const mx_record *record, mx_progress *out);

/**
 * The whole record as JSON (an error record's exception, CategoryInfo, InvocationInfo...).
 * The caller owns `*out` and frees it with `mx_string_free`.
 */
mx_result_code mx_record_json(const mx_record *record, mx_string **out, mx_error **err);

/**
 * The number of a stream by name, for bindings that read names ("error", "warning", ...);
 * -1 for an unknown name. `name` is `name_len` bytes of UTF-8.
 */
int32_t mx_stream_from_name(const char *name, size_t name_len);

/**
 * Connects and opens a session with a copy of `options` (which the caller keeps and may
 * free at once). Blocks until the runspace pool is open. On success the caller owns
 * `*out` and frees it with `mx_session_free`; on failure `*out` is untouched and the code
 * says why (`MX_CONFIG`, `MX_AUTH`, `MX_TLS`, `MX_TRANSIENT`, ...). Must not be called from
 * a callback of this library.
 */
mx_result_code mx_session_open(const mx_options *options, mx_session **out, mx_error **err);

/**
 * Connects and opens a session with `config` (from `mx_options_build`, which the caller
 * keeps and may release at once), as `mx_session_open` does with options.
 */
mx_result_code mx_session_open_config(const mx_config *config, mx_session **out, mx_error **err);

/**
 * Runs `command` (copied; the caller keeps it) to its end and returns everything it
 * produced. Waits for any command already running on this session. On success the caller
 * owns `*out` and frees it with `mx_result_free`; non-terminating errors (Exchange's usual
 * way of reporting a missing object) are in its `MX_STREAM_ERROR` records, not in the code.
 * A terminating error (`-ErrorAction Stop`, a parameter binding failure) fails the call with
 * the error record's kind (`MX_NOT_FOUND`, `MX_INVALID_PARAMETER`, ...) and its
 * FullyQualifiedErrorId in `*err`.
 */
mx_result_code mx_session_invoke(const mx_session *session, const mx_command *command, mx_result **out, mx_error **err);

/**
 * `mx_session_invoke` that `mx_cancel_request(cancel)` stops from another thread: the
 * command is sent the PowerShell stop signal ([MS-PSRP] 3.1.5.3.8) and the call fails with
 * `MX_CANCELLED` once the server confirmed; a call started with a requested token fails at
 * once. The same tokens stop pool calls. `cancel` must not be NULL.
 */
mx_result_code mx_session_invoke_cancellable(const mx_session *session, const mx_command *command, const mx_cancel *cancel, mx_result **out, mx_error **err);

/**
 * Runs `command` (copied) and calls `callback` with each item as it arrives, so a large
 * result never has to fit in memory. When the callback returns non-zero the call returns
 * `MX_OK` at once, and the command is stopped on the server (PowerShell's stop signal)
 * before the session's next operation, or when it is closed or freed. A command that
 * fails returns its error as `mx_session_invoke` does, after the items that came before.
 * `callback` must not be NULL; `userdata` is passed through untouched.
 */
mx_result_code mx_session_invoke_streaming(const mx_session *session, const mx_command *command, mx_stream_callback callback, void *userdata, mx_error **err);

/**
 * `mx_session_invoke_streaming` that `cancel` (which may be NULL) also stops when
 * `mx_cancel_request` is called on it from another thread: the command is sent the
 * PowerShell stop signal and the call fails with `MX_CANCELLED` once the server confirmed,
 * after the items that came before. The same tokens stop pool calls.
 */
mx_result_code mx_session_invoke_streaming_cancellable(const mx_session *session, const mx_command *command, const mx_cancel *cancel, mx_stream_callback callback, void *userdata, mx_error **err);

/**
 * Stops the command running on the session, if any, whichever call started it: it is sent
 * the PowerShell stop signal ([MS-PSRP] 3.1.5.3.8), and the call fails with `MX_CANCELLED`
 * once the server confirmed. Callable from any thread at any time, never blocks; a request
 * made while nothing runs is forgotten when the next command starts. To stop one particular
 * call, as with pools, give it an `mx_cancel` token (`mx_session_invoke_cancellable`).
 */
mx_result_code mx_session_cancel(const mx_session *session);

/**
 * Closes the session: deletes the shell on the server. Waits for a running command. Later
 * calls on the session fail with `MX_CONFIG`; the handle must still be freed with
 * `mx_session_free`.
 */
mx_result_code mx_session_close(const mx_session *session, mx_error **err);

/**
 * The round trips the session made so far: WS-Management operations and HTTP requests
 * (authentication legs included). Waits for a running command. Either out-parameter may be
 * NULL.
 */
mx_result_code mx_session_round_trips(const mx_session *session, uint64_t *wsman, uint64_t *http, mx_error **err);

/**
 * Registers `callback` to receive progress records of the session's commands, whether they
 * run to their end or stream (NULL removes it). `userdata` is passed through untouched and must stay valid, and usable from any
 * thread that runs commands on the session, until the callback is replaced or the session
 * freed. Takes effect for commands started afterwards.
 */
mx_result_code mx_session_set_progress_callback(const mx_session *session, mx_progress_callback callback, void *userdata);

/**
 * Frees the session; a session not closed yet is closed first (its shell deleted, which
 * blocks for one round trip). NULL is fine. Must be called once, after every other call on
 * the session has returned.
 */
void mx_session_free(mx_session *session);

/**
 * The bytes of the string, NUL-terminated; valid until `mx_string_free(s)`. NULL for NULL.
 */
const char *mx_string_data(const mx_string *s);

/**
 * The length in bytes, without the trailing NUL. 0 for NULL.
 */
size_t mx_string_len(const mx_string *s);

/**
 * The string as a borrowed view, valid until `mx_string_free(s)`.
 */
mx_str mx_string_str(const mx_string *s);

/**
 * Frees a string. NULL is fine. Must be called once, when no other thread reads it.
 */
void mx_string_free(mx_string *s);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* MONOSYNC_EXCHANGE_H */
