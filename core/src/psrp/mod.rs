//! The PowerShell Remoting Protocol ([MS-PSRP]), sans-IO.

pub mod command;
pub mod host;
