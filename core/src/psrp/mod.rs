//! The PowerShell Remoting Protocol ([MS-PSRP]), sans-IO.
