//! Namespace URIs, action URIs and well-known values of WS-Management and the Windows shell
//! ([MS-WSMV] 2.2.1 and 3.1.4).

/// SOAP 1.2 envelope namespace.
pub const SOAP_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing (2004/08), used for Action, To, MessageID, ReplyTo and RelatesTo.
pub const ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// DMTF WS-Management namespace: ResourceURI, SelectorSet, OptionSet, OperationTimeout.
pub const WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
/// Microsoft WS-Management extensions ([MS-WSMV] 2.2.1): DataLocale, SessionId, ActivityId.
pub const WSMV: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
/// Windows remote shell namespace ([MS-WSMV] 2.2.4.37): Shell, CommandLine, Send, Receive.
pub const SHELL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
/// WS-Transfer, for Create and Delete.
pub const TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
/// WS-Enumeration, for listing shells and commands.
pub const ENUMERATION: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
/// Namespace of the `WSManFault` detail element ([MS-WSMV] 2.2.4.43).
pub const WSMAN_FAULT: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";
/// PowerShell namespace of `creationXml`, `connectXml` and `connectResponseXml` ([MS-PSRP] 3.1.5.3).
pub const POWERSHELL: &str = "http://schemas.microsoft.com/powershell";
/// WS-Management identity namespace ([MS-WSMV] 3.1.4.18, Identify).
pub const WSMID: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
/// The `xml:` namespace, bound to the `xml` prefix by definition.
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";

/// The anonymous reply address every request and response carries.
pub const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

/// Resource URI of the PowerShell endpoint of the WinRM service.
pub const RESOURCE_POWERSHELL: &str =
    "http://schemas.microsoft.com/powershell/Microsoft.PowerShell";
/// Resource URI of Exchange's remote PowerShell endpoint (IIS `/PowerShell/`).
pub const RESOURCE_EXCHANGE: &str = "http://schemas.microsoft.com/powershell/Microsoft.Exchange";
/// Resource URI used to enumerate shells ([MS-WSMV] 3.1.4.11).
pub const RESOURCE_SHELL: &str = SHELL;
/// Filter dialect that selects enumerated shells by selector.
pub const SELECTOR_FILTER_DIALECT: &str =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter";

/// Action URIs of requests and responses ([MS-WSMV] 3.1.4).
pub mod action {
    /// wst:Create, creates a shell.
    pub const CREATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create";
    /// Response to [`CREATE`].
    pub const CREATE_RESPONSE: &str =
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse";
    /// wst:Delete, closes a shell.
    pub const DELETE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete";
    /// Response to [`DELETE`].
    pub const DELETE_RESPONSE: &str =
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse";
    /// wsen:Enumerate, lists shells or commands.
    pub const ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
    /// Response to [`ENUMERATE`].
    pub const ENUMERATE_RESPONSE: &str =
        "http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse";
    /// rsp:Command, starts a command (a PSRP pipeline).
    pub const COMMAND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command";
    /// Response to [`COMMAND`].
    pub const COMMAND_RESPONSE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse";
    /// rsp:Send, input to a shell or command.
    pub const SEND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send";
    /// Response to [`SEND`].
    pub const SEND_RESPONSE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse";
    /// rsp:Receive, output from a shell or command.
    pub const RECEIVE: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive";
    /// Response to [`RECEIVE`].
    pub const RECEIVE_RESPONSE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse";
    /// rsp:Signal, e.g. terminate or Ctrl-C.
    pub const SIGNAL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal";
    /// Response to [`SIGNAL`].
    pub const SIGNAL_RESPONSE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse";
    /// rsp:Disconnect ([MS-WSMV] 3.1.4.15).
    pub const DISCONNECT: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Disconnect";
    /// Response to [`DISCONNECT`].
    pub const DISCONNECT_RESPONSE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/DisconnectResponse";
    /// rsp:Reconnect ([MS-WSMV] 3.1.4.16).
    pub const RECONNECT: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Reconnect";
    /// Response to [`RECONNECT`].
    pub const RECONNECT_RESPONSE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReconnectResponse";
    /// rsp:Connect ([MS-WSMV] 3.1.4.17).
    pub const CONNECT: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Connect";
    /// Response to [`CONNECT`].
    pub const CONNECT_RESPONSE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ConnectResponse";
    /// Action of every WS-Management fault response.
    pub const FAULT: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
}

/// Signal codes ([MS-WSMV] 2.2.4.38, [MS-PSRP] 3.1.5.3.8).
pub mod signal {
    /// Ends a command; PSRP clients send it to close a pipeline.
    pub const TERMINATE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate";
    /// Stops a running pipeline, spelled as [MS-PSRP] spells it.
    pub const PS_CRTL_C: &str = "powershell/signal/crtl_c";
    /// Stops a running pipeline, the spelling pypsrp sends and Windows accepts.
    pub const PS_CTRL_C: &str = "powershell/signal/ctrl_c";
}

/// Command state URIs carried in `rsp:CommandState/@State` ([MS-WSMV] 2.2.4.7).
pub mod command_state {
    /// The command finished; an exit code may follow.
    pub const DONE: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done";
    /// The command has been created but is not running yet.
    pub const PENDING: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Pending";
    /// The command is running.
    pub const RUNNING: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running";
}
