//! Critical control points: the product a thermal station (a pasteurizer, a fryer) made
//! out of its band, and whether the HMI showed the excursion in time to hold it. HACCP's
//! rule: product made during a deviation is held; product that left the site before
//! anyone saw the deviation is recalled. The units are the stations' own temperature
//! scrap (the loss tree prices their output, the cost ledger their materials); what is
//! added here is when they were made, by whose doing, and when the excursion was seen.

use crate::loss::{Cause, StationCauses};
use crate::plant::Plant;
use crate::time::{Micros, US_PER_S};
use serde::Serialize;

/// One excursion of a thermal station out of its band.
#[derive(Clone, Debug, PartialEq)]
pub struct Excursion {
    pub station: usize,
    pub start: Micros,
    /// When the temperature came back into the band (None: still out at the end).
    pub end: Option<Micros>,
    /// When the plant first saw it: the HMI showed a reading out of the band, or lost the
    /// station from its sight (comm loss, the HMI down: a gap in the record is a deviation
    /// too), or a monitoring control flagged an attack step on the station's PLC.
    pub seen_at: Option<Micros>,
    /// Units finished out of band: (the second they were made in, units, who put the
    /// temperature out of its band), one entry per second and cause: a unit's fate is
    /// decided to the second.
    pub made: Vec<(Micros, u64, Cause)>,
}

impl Excursion {
    pub fn units(&self) -> u64 {
        self.made.iter().map(|m| m.1).sum()
    }

    /// The units made at `at` shipped before the excursion was seen: it was never seen,
    /// or seen more than `ships_after` after they were made.
    pub fn shipped(&self, at: Micros, ships_after: Micros) -> bool {
        self.seen_at
            .is_none_or(|seen| seen > at.saturating_add(ships_after))
    }

    /// Units held and units shipped, by cause (causes in the order first met).
    pub fn fate(&self, ships_after: Micros) -> Vec<(Cause, Fate)> {
        let mut out: Vec<(Cause, Fate)> = Vec::new();
        for &(at, n, cause) in &self.made {
            let i = match out.iter().position(|(c, _)| *c == cause) {
                Some(i) => i,
                None => {
                    out.push((cause, Fate::default()));
                    out.len() - 1
                }
            };
            if self.shipped(at, ships_after) {
                out[i].1.shipped += n;
            } else {
                out[i].1.held += n;
            }
        }
        out
    }
}

/// What became of out-of-band units: held (and destroyed) or shipped (and recalled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Fate {
    pub held: u64,
    pub shipped: u64,
}

/// The excursions of a run, in the order they began.
#[derive(Clone, Debug, Default)]
pub struct Excursions {
    pub list: Vec<Excursion>,
    /// Per thermal station: (station, its temperature scrap at the last look, its open
    /// excursion's index in `list`, its last excursion's).
    watch: Vec<(usize, u64, Option<usize>, Option<usize>)>,
    /// The stations whose product quality has put on hold ([`Excursions::hold`]).
    on_hold: Vec<usize>,
}

impl Excursions {
    pub fn new(plant: &Plant) -> Excursions {
        Excursions {
            list: Vec::new(),
            watch: (0..plant.stations.len())
                .filter(|&i| plant.stations[i].thermal.is_some())
                .map(|i| (i, 0, None, None))
                .collect(),
            on_hold: Vec::new(),
        }
    }

    /// Quality holds station `station`'s product at `t`: its excursions not yet seen are
    /// seen now (what they made within the shipping delay is held, not shipped), and an
    /// excursion it has from now on is seen as it begins.
    pub fn hold(&mut self, station: usize, t: Micros) {
        if !self.on_hold.contains(&station) {
            self.on_hold.push(station);
        }
        for e in self.list.iter_mut().filter(|e| e.station == station) {
            if e.seen_at.is_none_or(|s| s > t) {
                e.seen_at = Some(t);
            }
        }
    }

    /// Look at the thermal stations at the end of the tick that began at `t`: an excursion
    /// opens when a station's temperature leaves its band and closes when it is back; the
    /// units scrapped for temperature since the last look are booked to the open excursion
    /// (or the station's last one: a unit finishes a moment after the temperature is
    /// back) under the station's temperature cause. `seen(i)`: whether the plant sees
    /// station `i` out of its band now.
    pub fn look(
        &mut self,
        t: Micros,
        plant: &Plant,
        causes: &[StationCauses],
        seen: impl Fn(usize) -> bool,
    ) {
        for (i, last_scrap, open, last) in &mut self.watch {
            let st = &plant.stations[*i];
            let Some(th) = &st.thermal else { continue };
            let out = !th.in_band();
            if out && open.is_none() {
                self.list.push(Excursion {
                    station: *i,
                    start: t,
                    end: None,
                    seen_at: None,
                    made: Vec::new(),
                });
                *open = Some(self.list.len() - 1);
                *last = *open;
            }
            let scrap = st.counters.scrap_temperature;
            let new = scrap - *last_scrap;
            *last_scrap = scrap;
            if new > 0 {
                let k = match last {
                    Some(k) => *k,
                    None => {
                        // Scrap with no excursion seen at a tick's end: one that began and
                        // ended inside the tick.
                        self.list.push(Excursion {
                            station: *i,
                            start: t,
                            end: Some(t),
                            seen_at: None,
                            made: Vec::new(),
                        });
                        *last = Some(self.list.len() - 1);
                        self.list.len() - 1
                    }
                };
                let second = t - t % US_PER_S;
                let cause = causes[*i].temperature;
                let made = &mut self.list[k].made;
                match made.last_mut() {
                    Some(m) if m.0 == second && m.2 == cause => m.1 += new,
                    _ => made.push((second, new, cause)),
                }
            }
            if let Some(k) = *open {
                let e = &mut self.list[k];
                if e.seen_at.is_none() && (seen(*i) || self.on_hold.contains(i)) {
                    e.seen_at = Some(t);
                }
                if !out {
                    e.end = Some(t);
                    *open = None;
                }
            }
        }
    }

    /// The excursions with product made in them.
    pub fn with_product(&self) -> impl Iterator<Item = &Excursion> {
        self.list.iter().filter(|e| !e.made.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::US_PER_H;

    fn excursion(seen_at: Option<Micros>, made: Vec<(Micros, u64, Cause)>) -> Excursion {
        Excursion {
            station: 0,
            start: 0,
            end: None,
            seen_at,
            made,
        }
    }

    #[test]
    fn units_seen_within_the_shipping_delay_are_held_and_the_rest_shipped() {
        let h = US_PER_H;
        let e = excursion(
            Some(3 * h),
            vec![
                (0, 10, Cause::Attack(1)),
                (h, 20, Cause::Attack(1)),
                (2 * h, 40, Cause::Normal),
            ],
        );
        // Shipped 2 h after being made: the units of 00:00 left before 03:00, those of
        // 01:00 are seen at the 2 h mark exactly (held), those of 02:00 are held.
        assert_eq!(
            e.fate(2 * h),
            vec![
                (
                    Cause::Attack(1),
                    Fate {
                        held: 20,
                        shipped: 10
                    }
                ),
                (
                    Cause::Normal,
                    Fate {
                        held: 40,
                        shipped: 0
                    }
                ),
            ]
        );
        assert_eq!(e.units(), 70);
        // Never seen: everything shipped, whatever the delay.
        let unseen = excursion(None, vec![(0, 5, Cause::Normal)]);
        assert_eq!(
            unseen.fate(100 * h),
            vec![(
                Cause::Normal,
                Fate {
                    held: 0,
                    shipped: 5
                }
            )]
        );
    }
}
