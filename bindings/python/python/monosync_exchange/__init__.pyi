"""Type stubs of monosync_exchange (the native module re-exported by the package)."""

import datetime
import decimal
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Literal, TypedDict, Union, final, overload

__version__: str

#: What a property or output value converts to.
Value = Union[
    None,
    str,
    bool,
    int,
    float,
    decimal.Decimal,
    datetime.datetime,
    datetime.timedelta,
    bytes,
    uuid.UUID,
    list[Any],
    dict[Any, Any],
    PSObject,
]

#: What a parameter value may be.
ParamValue = Union[
    None,
    str,
    bool,
    int,
    float,
    decimal.Decimal,
    datetime.datetime,
    datetime.date,
    datetime.timedelta,
    bytes,
    uuid.UUID,
    Sequence[Any],
    Mapping[Any, Any],
    PSObject,
    SecureString,
]

AuthMethod = Literal["negotiate", "kerberos", "ntlm", "basic"]
IpOrder = Literal["ipv4-first", "ipv6-first", "system"]
LogLevel = Literal["error", "warn", "warning", "info", "debug", "trace"]

@final
class ErrorKind:
    """What kind of failure an error is; stable numbers shared with the C API."""

    # error kinds: begin (scripts/error-kinds.sh --write)
    NotFound: ClassVar[ErrorKind]
    Ambiguous: ClassVar[ErrorKind]
    AlreadyExists: ClassVar[ErrorKind]
    AccessDenied: ClassVar[ErrorKind]
    InvalidParameter: ClassVar[ErrorKind]
    Throttled: ClassVar[ErrorKind]
    Transient: ClassVar[ErrorKind]
    Auth: ClassVar[ErrorKind]
    Tls: ClassVar[ErrorKind]
    Protocol: ClassVar[ErrorKind]
    Cancelled: ClassVar[ErrorKind]
    Timeout: ClassVar[ErrorKind]
    OutcomeUnknown: ClassVar[ErrorKind]
    Config: ClassVar[ErrorKind]
    Command: ClassVar[ErrorKind]
    # error kinds: end
    @property
    def code(self) -> int:
        """The stable numeric code (1 to 15)."""
    @property
    def label(self) -> str:
        """The snake_case name, e.g. ``"not_found"``."""
    @property
    def is_retryable(self) -> bool:
        """Whether the same request may succeed later."""
    def __int__(self) -> int: ...

class ExchangeError(Exception):
    """Base of every error this package raises."""

    kind: ErrorKind | None
    message: str | None
    server_code: int | None
    fully_qualified_error_id: str | None
    exception_type: str | None
    hint: str | None
    error_record: ErrorRecord | None
    partial: Result | None

# error kinds: begin (scripts/error-kinds.sh --write)
class NotFoundError(ExchangeError, LookupError):
    """The object the command names does not exist (ManagementObjectNotFoundException)."""

class AmbiguousError(ExchangeError):
    """The identity matches more than one object (ManagementObjectAmbiguousException)."""

class AlreadyExistsError(ExchangeError):
    """The object already exists, is already mail-enabled, a proxy address is in use, or the member
    is already in the group."""

class AccessDeniedError(ExchangeError, PermissionError):
    """The account may not do this: WinRM access denied, or a cmdlet its RBAC roles do not grant
    (which Exchange reports as CommandNotFoundException)."""

class InvalidParameterError(ExchangeError, ValueError):
    """A parameter is missing, unknown, or its value is invalid."""

class ThrottledError(ExchangeError):
    """The server refused for load: the shell quota, or a throttling budget. Retry later, with
    backoff."""

class TransientError(ExchangeError):
    """A failure that a retry may cure: the network, HTTP 503, a broken runspace."""

class AuthError(ExchangeError):
    """Authentication failed: wrong password, Kerberos errors, channel binding rejected, or no
    usable mechanism."""

class TlsError(ExchangeError):
    """The TLS handshake or the certificate check (chain, name or pin) failed."""

class ProtocolError(ExchangeError):
    """The server's answer broke the protocol (unreadable XML, PSRP state errors)."""

class CancelledError(ExchangeError):
    """The caller cancelled the command; it was stopped on the server."""

class ExchangeTimeoutError(ExchangeError, TimeoutError):
    """An operation ran out of time: a connect, an HTTP exchange, opening the session or the
    command."""

class OutcomeUnknownError(ExchangeError):
    """A command that changes state may or may not have run: the connection failed after it was
    sent. It is not re-run; check the object before trying again."""

class ConfigError(ExchangeError, ValueError):
    """The options are not usable (a bad URL, a missing password), or the session was misused
    (closed, or called from the thread reading one of its streams); fix the configuration or the
    call sequence."""

class CommandError(ExchangeError):
    """The command failed for another reason the server gave; its error record says why."""

# error kinds: end

@final
class SecureString:
    """A secret sent as an encrypted PowerShell SecureString; never shown, never pickled."""

    def __init__(self, text: str | SecureString) -> None: ...
    def __len__(self) -> int: ...

@final
class PSCredential:
    """A user name and a password (a SecureString), for ``Session(credential=...)``."""

    def __init__(self, username: str, password: str | SecureString) -> None: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> SecureString: ...

@final
class PSObject(Mapping[str, Value]):
    """A read-only, mapping-like PowerShell object; properties also read as attributes."""

    def __getitem__(self, name: str) -> Value: ...
    def __getattr__(self, name: str) -> Value: ...
    def __contains__(self, name: object) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    @overload
    def get(self, name: str) -> Value: ...
    @overload
    def get(self, name: str, default: Any) -> Any: ...
    def keys(self) -> list[str]: ...  # type: ignore[override]
    def values(self) -> list[Value]: ...  # type: ignore[override]
    def items(self) -> list[tuple[str, Value]]: ...  # type: ignore[override]
    @property
    def type_names(self) -> list[str]:
        """The .NET type-name chain, most derived first."""
    @property
    def to_string(self) -> str | None:
        """The server's ToString() of the object."""
    @property
    def value(self) -> Value:
        """The primitive the object wraps, when any."""
    def to_dict(self) -> dict[str, Any]:
        """Every property as a plain dict, nested objects as dicts."""
    def to_json(self, indent: int | None = None) -> str:
        """The object as JSON text, with $type, $toString and $value keys."""

@final
class ErrorRecord:
    """An error a command reported."""

    @property
    def kind(self) -> ErrorKind: ...
    @property
    def message(self) -> str | None: ...
    @property
    def fully_qualified_error_id(self) -> str | None: ...
    @property
    def exception_type(self) -> str | None: ...
    @property
    def category(self) -> int | None: ...
    @property
    def category_reason(self) -> str | None: ...
    @property
    def activity(self) -> str | None: ...
    @property
    def target_name(self) -> str | None: ...
    @property
    def recommended_action(self) -> str | None: ...
    @property
    def target_object(self) -> Value: ...
    @property
    def object(self) -> PSObject: ...
    def to_exception(self) -> ExchangeError:
        """The exception of this record's kind, not raised."""

@final
class InformationalRecord:
    """A warning, verbose or debug record."""

    @property
    def kind(self) -> Literal["warning", "verbose", "debug"]: ...
    @property
    def message(self) -> str: ...
    @property
    def object(self) -> PSObject: ...

@final
class InformationRecord:
    """A Write-Information or Write-Host record."""

    @property
    def kind(self) -> Literal["information"]: ...
    @property
    def message(self) -> str | None: ...
    @property
    def message_data(self) -> Value: ...
    @property
    def source(self) -> str | None: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def time_generated(self) -> Value: ...
    @property
    def computer(self) -> str | None: ...
    @property
    def user(self) -> str | None: ...
    @property
    def object(self) -> PSObject: ...

@final
class ProgressRecord:
    """A progress record."""

    @property
    def kind(self) -> Literal["progress"]: ...
    @property
    def message(self) -> str: ...
    @property
    def activity(self) -> str: ...
    @property
    def activity_id(self) -> int: ...
    @property
    def status_description(self) -> str: ...
    @property
    def current_operation(self) -> str | None: ...
    @property
    def parent_activity_id(self) -> int: ...
    @property
    def percent_complete(self) -> int: ...
    @property
    def seconds_remaining(self) -> int: ...
    @property
    def completed(self) -> bool: ...

@final
class Result:
    """Everything a finished command produced; iterating goes over ``output``."""

    @property
    def output(self) -> list[Value]: ...
    @property
    def errors(self) -> list[ErrorRecord]: ...
    @property
    def warnings(self) -> list[InformationalRecord]: ...
    @property
    def verbose(self) -> list[InformationalRecord]: ...
    @property
    def debug(self) -> list[InformationalRecord]: ...
    @property
    def information(self) -> list[InformationRecord]: ...
    @property
    def progress(self) -> list[ProgressRecord]: ...
    @property
    def state(self) -> Literal["Completed", "Failed", "Stopped"] | None: ...
    def raise_for_errors(self) -> Result:
        """Raise the first non-terminating error as its exception, else return self."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Value]: ...
    def __getitem__(self, index: int) -> Value: ...

@final
class ResultStream(Iterator[Value]):
    """The output of a running command, yielded as it arrives."""

    def __iter__(self) -> ResultStream: ...
    def __next__(self) -> Value: ...
    def close(self) -> None:
        """Stop reading; the session ends the command before its next operation."""
    def cancel(self) -> None:
        """Stop the command on the server from any thread; next() raises CancelledError."""
    def raise_for_errors(self) -> None: ...
    @property
    def state(self) -> Literal["Completed", "Failed", "Stopped"] | None: ...
    @property
    def errors(self) -> list[ErrorRecord]: ...
    @property
    def warnings(self) -> list[InformationalRecord]: ...
    @property
    def verbose(self) -> list[InformationalRecord]: ...
    @property
    def debug(self) -> list[InformationalRecord]: ...
    @property
    def information(self) -> list[InformationRecord]: ...
    @property
    def progress(self) -> list[ProgressRecord]: ...

@final
class Command:
    """A cmdlet with parameters, or a pipeline; immutable."""

    def __init__(self, name: str, /, *args: ParamValue, **params: ParamValue) -> None: ...
    def param(self, name: str, value: ParamValue) -> Command: ...
    def arg(self, value: ParamValue) -> Command: ...
    def switch(self, name: str) -> Command: ...
    def secure(self, name: str, secret: str | SecureString) -> Command: ...
    def pipe(
        self, command: str | Command, /, *args: ParamValue, **params: ParamValue
    ) -> Command: ...
    def __or__(self, other: Command) -> Command: ...
    @property
    def names(self) -> list[str]: ...

class RoundTrips(TypedDict):
    wsman: int
    http: int

@final
class Session:
    """A session with Exchange's remote PowerShell; thread-safe, a context manager."""

    def __init__(
        self,
        server: str,
        *,
        auth: AuthMethod = "negotiate",
        username: str | None = None,
        password: str | SecureString | None = None,
        credential: PSCredential | None = None,
        configuration: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        pinned_thumbprints: str | Iterable[str] | None = None,
        pin_thumbprint: str | Iterable[str] | None = None,
        insecure: bool = False,
        ip_order: IpOrder = "ipv4-first",
        resolve: str | Iterable[str] | None = None,
        kdc: str | None = None,
        keytab: str | os.PathLike[str] | None = None,
        realm: str | None = None,
        spn: str | None = None,
        allow_unencrypted: bool = False,
        allow_basic_over_http: bool = False,
        connect_timeout: float = 30.0,
        read_timeout: float = 120.0,
        request_timeout: float | None = None,
        operation_timeout: float = 20.0,
        invoke_timeout: float | None = None,
        open_timeout: float | None = 180.0,
        idle_timeout: float | None = None,
        locale: str = "en-US",
        shell_name: str | None = None,
        on_progress: Callable[[ProgressRecord], object] | None = None,
        jump_host: tuple[str, PSCredential] | None = None,
        record: str | os.PathLike[str] | None = None,
        dns_servers: str | Iterable[str] | None = None,
        max_envelope_size: int | None = None,
    ) -> None: ...
    def invoke(
        self, command: str | Command, /, *args: ParamValue, **params: ParamValue
    ) -> Result: ...
    def stream(
        self, command: str | Command, /, *args: ParamValue, **params: ParamValue
    ) -> ResultStream: ...
    def cancel(self) -> None: ...
    def close(self) -> None: ...
    @property
    def round_trips(self) -> RoundTrips: ...
    @property
    def url(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Session: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

class PoolStats(TypedDict):
    sessions: int
    idle: int
    opened: int
    opened_per_server: list[int]
    discarded: int
    idle_closed: int
    probes: int
    retries: int

@final
class Pool:
    """Sessions over one or more servers, shared by many threads; a context manager."""

    def __init__(
        self,
        servers: str | Iterable[str],
        *,
        max_sessions: int = 2,
        acquire_timeout: float | None = None,
        retry_attempts: int = 3,
        auth: AuthMethod = "negotiate",
        username: str | None = None,
        password: str | SecureString | None = None,
        credential: PSCredential | None = None,
        configuration: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        pinned_thumbprints: str | Iterable[str] | None = None,
        pin_thumbprint: str | Iterable[str] | None = None,
        insecure: bool = False,
        ip_order: IpOrder = "ipv4-first",
        resolve: str | Iterable[str] | None = None,
        kdc: str | None = None,
        keytab: str | os.PathLike[str] | None = None,
        realm: str | None = None,
        spn: str | None = None,
        allow_unencrypted: bool = False,
        allow_basic_over_http: bool = False,
        connect_timeout: float = 30.0,
        read_timeout: float = 120.0,
        request_timeout: float | None = None,
        operation_timeout: float = 20.0,
        invoke_timeout: float | None = None,
        open_timeout: float | None = 180.0,
        idle_timeout: float | None = None,
        locale: str = "en-US",
        shell_name: str | None = None,
        on_progress: Callable[[ProgressRecord], object] | None = None,
        jump_host: tuple[str, PSCredential] | None = None,
        record: str | os.PathLike[str] | None = None,
        dns_servers: str | Iterable[str] | None = None,
        max_envelope_size: int | None = None,
    ) -> None: ...
    def invoke(
        self, command: str | Command, /, *args: ParamValue, **params: ParamValue
    ) -> Result: ...
    def stream(
        self, command: str | Command, /, *args: ParamValue, **params: ParamValue
    ) -> ResultStream: ...
    def close(self) -> None: ...
    @property
    def stats(self) -> PoolStats: ...
    @property
    def servers(self) -> list[str]: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Pool: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

@final
class LogRecord:
    """A log record of the library."""

    @property
    def level(self) -> Literal["error", "warning", "info", "debug", "trace"]: ...
    @property
    def levelno(self) -> int: ...
    @property
    def target(self) -> str: ...
    @property
    def message(self) -> str: ...

def set_log_handler(
    handler: Callable[[LogRecord], object] | None, level: LogLevel = "info"
) -> None:
    """Send the library's log records at ``level`` or above to ``handler`` (None stops)."""

def log_to_logging(level: LogLevel = "info", logger: str | None = None) -> None:
    """Forward the library's log records to the logging module."""
