//! Where the network panel draws the Purdue diagram (feature `viewer-model`: plain
//! geometry, no rendering, so that tests can hold it to its panel): a row per level, 4 at
//! the top to 1 at the bottom; each zone a box in its level's row with its name and a mark
//! per host; each conduit a line between the boxes it joins, its midpoint the firewall.

use crate::view::HostView;
use crate::view::purdue::PurdueView;

/// A rectangle in pixels, origin at the window's top left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn contains(&self, p: [f32; 2], margin: f32) -> bool {
        p[0] >= self.x + margin
            && p[0] <= self.x + self.w - margin
            && p[1] >= self.y + margin
            && p[1] <= self.y + self.h - margin
    }
}

/// Where the window draws the diagram: the network panel under its two summary lines and
/// above the status lines.
pub const PANEL: Rect = Rect {
    x: 40.0,
    y: 500.0,
    w: 360.0,
    h: 162.0,
};

/// A host's mark: a square this many pixels wide.
pub const HOST_MARK: f32 = 7.0;
/// The zone names' and level labels' font size (px).
pub const LABEL_FONT: f32 = 11.0;
/// The level labels' column on the left.
const GUTTER: f32 = 24.0;
const GAP: f32 = 6.0;
/// Above and below each box in its row: the room a conduit between rows is drawn in.
const V_GAP: f32 = 8.0;

/// The diagram laid out in `panel`.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    /// Per level row, 4 down to 1: the level and its row.
    pub rows: Vec<(u8, Rect)>,
    /// Per zone: its box.
    pub zones: Vec<Rect>,
    /// Per zone: how many characters of its name fit its box.
    pub name_cols: Vec<usize>,
    /// Per host: its mark's centre.
    pub hosts: Vec<[f32; 2]>,
    /// Per conduit: the points where it leaves its two boxes.
    pub conduits: Vec<([f32; 2], [f32; 2])>,
}

/// The diagram of `p` (zones `zones`, hosts `hosts`) in `panel`.
pub fn diagram(p: &PurdueView, hosts: &[HostView], panel: Rect) -> Diagram {
    let rh = panel.h / 4.0;
    let rows: Vec<(u8, Rect)> = (0..4u8)
        .map(|k| {
            let rect = Rect {
                x: panel.x,
                y: panel.y + rh * f32::from(k),
                w: panel.w,
                h: rh,
            };
            (4 - k, rect)
        })
        .collect();
    let mut zones = vec![
        Rect {
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0
        };
        p.levels.len()
    ];
    for &(level, row) in &rows {
        let here: Vec<usize> = (0..p.levels.len())
            .filter(|&z| p.levels[z] == level)
            .collect();
        let n = here.len().max(1) as f32;
        let w = (row.w - GUTTER - GAP * (n + 1.0)) / n;
        for (k, &z) in here.iter().enumerate() {
            zones[z] = Rect {
                x: row.x + GUTTER + GAP + k as f32 * (w + GAP),
                y: row.y + V_GAP,
                w,
                h: row.h - 2.0 * V_GAP,
            };
        }
    }
    let name_cols = zones
        .iter()
        .map(|r| super::text::columns(r.w - 6.0, LABEL_FONT))
        .collect();
    // Host marks: in rows under the zone's name, closer together where many share a box.
    let mut marks = vec![[0.0, 0.0]; hosts.len()];
    for (z, r) in zones.iter().enumerate() {
        let mine: Vec<usize> = (0..hosts.len()).filter(|&h| hosts[h].zone == z).collect();
        if mine.is_empty() {
            continue;
        }
        let top = r.y + LABEL_FONT + 6.0;
        let room_w = (r.w - 8.0 - HOST_MARK).max(0.0);
        let room_h = (r.y + r.h - 4.0 - HOST_MARK - top).max(0.0);
        let per_row = ((room_w / (HOST_MARK + 3.0)).floor() as usize + 1).max(1);
        let lines = mine.len().div_ceil(per_row);
        let step_x = (HOST_MARK + 3.0).min(room_w / (per_row.max(2) - 1) as f32);
        let step_y = if lines > 1 {
            (HOST_MARK + 3.0).min(room_h / (lines - 1) as f32)
        } else {
            0.0
        };
        for (k, &h) in mine.iter().enumerate() {
            let (col, line) = (k % per_row, k / per_row);
            marks[h] = [
                r.x + 4.0 + HOST_MARK / 2.0 + step_x * col as f32,
                top + HOST_MARK / 2.0 + step_y * line as f32,
            ];
        }
    }
    let conduits = p
        .conduits
        .iter()
        .map(|c| {
            let (a, b) = (zones[c.zones.0], zones[c.zones.1]);
            let centre = |r: Rect| [r.x + r.w / 2.0, r.y + r.h / 2.0];
            let (ca, cb) = (centre(a), centre(b));
            if (a.y - b.y).abs() < 1.0 {
                // The same row: from the facing sides.
                let (l, rt) = if ca[0] < cb[0] { (a, b) } else { (b, a) };
                let y = ca[1];
                let (p, q) = ([l.x + l.w, y], [rt.x, y]);
                if ca[0] < cb[0] { (p, q) } else { (q, p) }
            } else if ca[1] < cb[1] {
                ([ca[0], a.y + a.h], [cb[0], b.y])
            } else {
                ([ca[0], a.y], [cb[0], b.y + b.h])
            }
        })
        .collect();
    Diagram {
        rows,
        zones,
        name_cols,
        hosts: marks,
        conduits,
    }
}
