//! WS-Management for the WinRM shell ([MS-WSMV]), sans-IO.
