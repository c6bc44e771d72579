//! The PowerShell the simulated shells run: the Exchange cmdlets through [`crate::exchange`], and
//! on the WinRM service's endpoint the jump-host bootstrap scripts that import a session to
//! Exchange (`jump_host`, over the `script` parser). The WS-Management service
//! ([`crate::winrm`]) hands each shell's pipelines to an [`Interpreter`].

mod imported;
mod interpreter;
mod jump_host;
mod jump_records;
mod records;
mod script;

pub(crate) use interpreter::Interpreter;
