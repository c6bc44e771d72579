"""Manage on-premises Exchange Server from Python, over WS-Management and PowerShell Remoting.

A :class:`Session` runs Exchange cmdlets on the server's remote PowerShell endpoint and returns
their objects as read-only, mapping-like :class:`PSObject` values::

    from monosync_exchange import Session, SecureString, NotFoundError

    with Session("http://ex01.corp.example/PowerShell/", auth="ntlm",
                 username="CORP\\\\svc-provision", password="...") as session:
        mbx = session.invoke("Get-Mailbox", Identity="alice")[0]
        print(mbx.PrimarySmtpAddress, mbx["Database"])
        session.invoke("New-Mailbox", Name="Bob", UserPrincipalName="bob@corp.example",
                       Password=SecureString("Initial!Passw0rd"))
        for m in session.stream("Get-Mailbox", ResultSize="Unlimited"):
            ...

Keyword arguments are cmdlet parameters (``True`` sends a switch, ``False`` turns one off:
``Confirm=False`` is ``-Confirm:$false``). :class:`Command` builds pipelines. Failures raise
an :class:`ExchangeError` subclass named after their :class:`ErrorKind`
(``NotFoundError``, ``AccessDeniedError``, ...); Exchange's non-terminating errors are
collected in ``Result.errors`` and raised by ``Result.raise_for_errors()``.

Sessions are thread-safe (calls on one session run one at a time), network waits release
the GIL, Ctrl-C stops the running command on the server, and :func:`set_log_handler` /
:func:`log_to_logging` forward the library's log records.
"""

from __future__ import annotations

import atexit as _atexit
import logging as _logging
from collections.abc import Mapping as _Mapping

from ._native import (
    AccessDeniedError,
    AlreadyExistsError,
    AmbiguousError,
    AuthError,
    CancelledError,
    Command,
    CommandError,
    ConfigError,
    ErrorKind,
    ErrorRecord,
    ExchangeError,
    ExchangeTimeoutError,
    InformationalRecord,
    InformationRecord,
    InvalidParameterError,
    LogRecord,
    NotFoundError,
    OutcomeUnknownError,
    Pool,
    ProgressRecord,
    ProtocolError,
    PSCredential,
    PSObject,
    Result,
    ResultStream,
    SecureString,
    Session,
    ThrottledError,
    TlsError,
    TransientError,
    __version__,
    set_log_handler,
)

__all__ = [
    "AccessDeniedError",
    "AlreadyExistsError",
    "AmbiguousError",
    "AuthError",
    "CancelledError",
    "Command",
    "CommandError",
    "ConfigError",
    "ErrorKind",
    "ErrorRecord",
    "ExchangeError",
    "ExchangeTimeoutError",
    "InformationRecord",
    "InformationalRecord",
    "InvalidParameterError",
    "LogRecord",
    "NotFoundError",
    "OutcomeUnknownError",
    "Pool",
    "PSCredential",
    "PSObject",
    "ProgressRecord",
    "ProtocolError",
    "Result",
    "ResultStream",
    "SecureString",
    "Session",
    "ThrottledError",
    "TlsError",
    "TransientError",
    "__version__",
    "log_to_logging",
    "set_log_handler",
]

# A PSObject reads like a dict; let isinstance checks and typing agree.
_Mapping.register(PSObject)


def log_to_logging(level: str = "info", logger: str | None = None) -> None:
    """Forward the library's log records at ``level`` or above to :mod:`logging`.

    Each record goes to the logger named after its Rust module
    (``monosync_exchange.transport.client``), or to ``logger`` when given, at the matching
    :mod:`logging` level.
    """

    def handler(record: LogRecord) -> None:
        name = logger or record.target.replace("::", ".")
        _logging.getLogger(name).log(record.levelno, "%s", record.message)

    set_log_handler(handler, level)


# Stop forwarding before the interpreter shuts down: the records come from other threads.
_atexit.register(set_log_handler, None)
