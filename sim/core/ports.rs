//! The TCP ports of the protocols the twin's hosts speak besides Modbus/TCP (whose port is
//! `modbus::PORT`; the secure variant's is `faultline::tls::PORT`).

/// Remote desktop to a workstation (VNC's RFB protocol, RFC 6143: port 5900), the way a
/// stolen password opens the HMI.
pub const VNC: u16 = 5900;
/// File sharing between Windows hosts (SMB over TCP: port 445), the way ransomware spreads.
pub const SMB: u16 = 445;
