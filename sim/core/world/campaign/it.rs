//! The steps on the IT side: the HMI's shared password tried, ransomware encrypting the\n//! hosts it reaches.

use crate::attack::Outcome;
use crate::modbus::Request;
use crate::scenario::AttackStep;
use crate::time::{Micros, from_secs};
use crate::world::World;

impl World {
    /// The stolen shared password tried on the HMI's remote desktop, which the network
    /// `reached` or not: personal accounts refuse it; the shared account lets the attacker
    /// write from the HMI's own address.
    pub(in crate::world) fn hmi_password_tried(&mut self, i: usize, reached: bool, t: Micros) {
        let AttackStep::HmiStolenPassword { address, value, .. } =
            self.campaign.attacks[i].spec.step.clone()
        else {
            return;
        };
        if !reached {
            self.campaign.attacks[i].blocked += 1;
            return;
        }
        let personal = matches!(
            self.scenario.authentication.as_ref().map(|a| &a.hmi),
            Some(crate::scenario::HmiLogin::Personal { .. })
        );
        if personal {
            self.campaign.attacks[i].blocked_by_auth += 1;
            return;
        }
        // Logged in as the HMI: the write leaves from the HMI's address.
        self.campaign.attacks[i].via = Some(self.net.network.hmi());
        let p = self.target_plc(i);
        if let Some(link) = self.attack_connect(i, p, false, t) {
            self.attack_send(
                i,
                link,
                p,
                &Request::WriteSingleRegister { address, value },
                t,
            );
        }
    }

    /// Whether ransomware can encrypt host `h`: PLCs run no Windows, and hosts the plant
    /// does not administer (the vendor's laptop) are not the plant's to lose.
    pub(in crate::world) fn encryptable(&self, h: usize) -> bool {
        !matches!(
            self.net.network.hosts[h].kind,
            crate::network::HostKind::Plc(_)
        ) && self.net.network.managed[h]
    }

    /// Ransomware encrypts host `h` at `t` (its own, or one it reached): an encrypted HMI
    /// or MES is down until recovered.
    pub(in crate::world) fn encrypt(&mut self, i: usize, h: usize, t: Micros) {
        let AttackStep::Ransomware { recovery_h, .. } = &self.campaign.attacks[i].spec.step else {
            return;
        };
        // One restore time per step, drawn at its first encryption from a stream of the
        // step's own (a number draws nothing).
        let recovery = match self.campaign.attacks[i].recovery {
            Some(r) => r,
            None => {
                let mut rng = crate::rng::stream(self.seed, &format!("ransomware:{i}"));
                let r = from_secs(recovery_h.sample(&mut rng) * 3600.0);
                self.campaign.attacks[i].recovery = Some(r);
                r
            }
        };
        let until = t + recovery;
        self.campaign.attacks[i].reached.push(h);
        match self.net.network.hosts[h].kind {
            crate::network::HostKind::Hmi => {
                self.campaign.hmi_down_until = self.campaign.hmi_down_until.max(until)
            }
            _ if self.net.network.roles[h] == Some(crate::scenario::HostRole::Mes) => {
                self.campaign.mes_down_until = self.campaign.mes_down_until.max(until)
            }
            _ => {}
        }
    }

    /// Ransomware has reached all it could: the step ends, naming the hosts encrypted.
    pub(in crate::world) fn ransomware_done(&mut self, i: usize, t: Micros) {
        let mut hit = self.campaign.attacks[i].reached.clone();
        hit.sort_unstable();
        let names: Vec<&str> = hit
            .iter()
            .map(|&h| self.net.network.hosts[h].name.as_str())
            .collect();
        let detail = format!("encrypted: {}", names.join(", "));
        self.end_step(i, t, Outcome::Succeeded, detail);
    }
}
