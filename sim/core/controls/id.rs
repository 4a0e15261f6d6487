//! One name per control, used by the sweep (`--toggle`, a variants file's `off`), the viewer
//! (its keys and status line) and the World's switches.

/// A security control (or operating mode) that can be deployed, switched or compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ControlId {
    /// The zone firewalls (segmentation).
    Segmentation,
    /// The Modbus DPI (in the viewer: switched between enforce and monitor).
    Dpi,
    /// The passive IDS on the control network.
    Ids,
    /// The vendor's remote access through the gateway (approval, MFA, time box, audit).
    Gateway,
    /// Condition monitoring of the machines (the scenario's `health`).
    ConditionMonitoring,
    /// Health monitoring of the PLCs (the scenario's `device_monitoring`).
    DeviceMonitoring,
    /// The incident response that isolates a detected host.
    Response,
    /// Island mode: the line runs without the MES.
    IslandMode,
    /// Modbus/TCP Security between the HMI and the PLCs (TLS, client certificates, roles).
    ModbusSecurity,
    /// Personal HMI accounts with a session timeout (against a shared account).
    Authentication,
}

impl ControlId {
    /// Every control, in the order the sweep lists them.
    pub const ALL: [ControlId; 10] = [
        ControlId::Segmentation,
        ControlId::Dpi,
        ControlId::Ids,
        ControlId::Gateway,
        ControlId::ConditionMonitoring,
        ControlId::DeviceMonitoring,
        ControlId::Response,
        ControlId::IslandMode,
        ControlId::ModbusSecurity,
        ControlId::Authentication,
    ];

    /// The controls a sweep can switch off (`--toggle`, a variants file's `off`).
    pub const TOGGLED: [ControlId; 9] = [
        ControlId::Segmentation,
        ControlId::Dpi,
        ControlId::Ids,
        ControlId::Gateway,
        ControlId::ConditionMonitoring,
        ControlId::DeviceMonitoring,
        ControlId::Response,
        ControlId::ModbusSecurity,
        ControlId::Authentication,
    ];

    /// The controls the viewer switches, in the order of its status line.
    pub const VIEWER: [ControlId; 7] = [
        ControlId::Segmentation,
        ControlId::Dpi,
        ControlId::IslandMode,
        ControlId::Gateway,
        ControlId::Ids,
        ControlId::Response,
        ControlId::DeviceMonitoring,
    ];

    /// The name on the command line and in variants files.
    pub const fn name(self) -> &'static str {
        match self {
            ControlId::Segmentation => "segmentation",
            ControlId::Dpi => "dpi",
            ControlId::Ids => "ids",
            ControlId::Gateway => "gateway",
            ControlId::ConditionMonitoring => "health",
            ControlId::DeviceMonitoring => "devices",
            ControlId::Response => "response",
            ControlId::IslandMode => "island",
            ControlId::ModbusSecurity => "tls",
            ControlId::Authentication => "auth",
        }
    }

    /// The control a name stands for.
    pub fn from_name(name: &str) -> Option<ControlId> {
        ControlId::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The viewer's key for it, if the viewer switches it.
    pub const fn key(self) -> Option<char> {
        match self {
            ControlId::Segmentation => Some('s'),
            ControlId::Dpi => Some('d'),
            ControlId::IslandMode => Some('i'),
            ControlId::Gateway => Some('v'),
            ControlId::Ids => Some('m'),
            ControlId::Response => Some('r'),
            ControlId::DeviceMonitoring => Some('h'),
            ControlId::ConditionMonitoring
            | ControlId::ModbusSecurity
            | ControlId::Authentication => None,
        }
    }

    /// The control under a viewer key.
    pub fn from_key(key: char) -> Option<ControlId> {
        ControlId::ALL.into_iter().find(|c| c.key() == Some(key))
    }

    /// What the viewer's status line calls it.
    pub const fn label(self) -> &'static str {
        match self {
            ControlId::Segmentation => "segmentation",
            ControlId::Dpi => "DPI enforce",
            ControlId::IslandMode => "island mode",
            ControlId::Gateway => "vendor gateway",
            ControlId::Ids => "IDS",
            ControlId::Response => "incident response",
            ControlId::DeviceMonitoring => "device monitoring",
            ControlId::ConditionMonitoring => "condition monitoring",
            ControlId::ModbusSecurity => "Modbus/TCP Security",
            ControlId::Authentication => "personal HMI accounts",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ControlId;

    #[test]
    fn names_and_keys_go_both_ways() {
        for c in ControlId::ALL {
            assert_eq!(ControlId::from_name(c.name()), Some(c));
            if let Some(k) = c.key() {
                assert_eq!(ControlId::from_key(k), Some(c));
            }
        }
        assert_eq!(ControlId::from_name("firewall"), None);
        assert_eq!(ControlId::from_key('x'), None);
    }

    #[test]
    fn the_scenario_knows_every_control_by_its_name() {
        let names: Vec<&str> = ControlId::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, crate::scenario::CONTROL_NAMES);
    }
}
