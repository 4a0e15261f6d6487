//! The network panel: a summary line, and the zones as a Purdue diagram
//! ([`crate::viewer::purdue`]): zone boxes by level, a mark per host (PLCs blue, the HMI
//! dark, other hosts grey, an isolated host red, a host an attack step runs from or aims
//! at orange),
//! the conduits as lines (orange where an attack step's route runs), an orange line from
//! each started attack step's host to its target, marks moving along a
//! conduit while Modbus connections cross it, and a red mark flashing at a conduit's
//! firewall for two seconds after it refuses a connection.

use super::*;
use crate::view::purdue::HostMark;
use crate::viewer::purdue::{Diagram, HOST_MARK, LABEL_FONT, PANEL, diagram};

#[derive(Component)]
pub(crate) struct ZoneBox(usize);

#[derive(Component)]
pub(crate) struct HostDot(usize);

#[derive(Component)]
pub(crate) struct ConduitLine(usize);

/// One of a conduit's two moving flow marks.
#[derive(Component)]
pub(crate) struct FlowMark(usize, usize);

#[derive(Component)]
pub(crate) struct FirewallMark(usize);

/// The k-th attack path: a line from the step's host to its target.
#[derive(Component)]
pub(crate) struct AttackLine(usize);

/// The diagram's geometry, laid out once at the start.
#[derive(Resource)]
pub(crate) struct NetDiagram(Diagram);

const LINK: [u8; 3] = [150, 150, 150];
const ATTACK: [u8; 3] = [235, 120, 0];
const PLC: [u8; 3] = [30, 90, 200];

pub(crate) fn spawn_network(commands: &mut Commands, snap: &Snap) {
    let n = &snap.0.network;
    let d = diagram(&n.purdue, &n.hosts, PANEL);
    let panel = PANEL;
    commands.spawn((
        Sprite::from_color(rgb([245, 245, 245]), Vec2::new(panel.w, panel.h)),
        Anchor::TOP_LEFT,
        at(panel.x, panel.y, 0.0),
    ));
    for (level, row) in &d.rows {
        commands.spawn((
            text(&format!("L{level}"), LABEL_FONT, INK),
            Anchor::CENTER_LEFT,
            at(row.x + 3.0, row.y + row.h / 2.0, 1.0),
        ));
    }
    for (k, (a, b)) in d.conduits.iter().enumerate() {
        let (a, b) = (Vec2::from(*a), Vec2::from(*b));
        let mid = (a + b) / 2.0;
        let angle = (b - a).y.atan2((b - a).x);
        let mut t = at(mid.x, mid.y, 0.1);
        t.rotation = Quat::from_rotation_z(-angle);
        commands.spawn((
            ConduitLine(k),
            Sprite::from_color(rgb(LINK), Vec2::new((b - a).length().max(1.0), 2.0)),
            t,
        ));
        for j in 0..2 {
            commands.spawn((
                FlowMark(k, j),
                Sprite::from_color(rgb(PLC), Vec2::new(4.0, 4.0)),
                at(a.x, a.y, 0.6),
                Visibility::Hidden,
            ));
        }
        commands.spawn((
            FirewallMark(k),
            Sprite::from_color(rgb(ALARM), Vec2::new(9.0, 9.0)),
            at(mid.x, mid.y, 0.7),
            Visibility::Hidden,
        ));
    }
    for (z, r) in d.zones.iter().enumerate() {
        commands.spawn((
            ZoneBox(z),
            Sprite::from_color(rgb([228, 228, 228]), Vec2::new(r.w, r.h)),
            Anchor::TOP_LEFT,
            at(r.x, r.y, 0.2),
        ));
        let name = crate::viewer::text::fit(&n.zones[z], d.name_cols[z]);
        commands.spawn((
            text(&name, LABEL_FONT, INK),
            Anchor::TOP_LEFT,
            at(r.x + 3.0, r.y + 2.0, 1.0),
        ));
    }
    // One line per attack step at most, shown as the steps start.
    for k in 0..snap.0.attacks.len() {
        commands.spawn((
            AttackLine(k),
            Sprite::from_color(rgb(ATTACK), Vec2::new(1.0, 2.0)),
            at(0.0, 0.0, 0.8),
            Visibility::Hidden,
        ));
    }
    for (h, c) in d.hosts.iter().enumerate() {
        commands.spawn((
            HostDot(h),
            Sprite::from_color(rgb(LINK), Vec2::new(HOST_MARK, HOST_MARK)),
            at(c[0], c[1], 0.5),
        ));
    }
    commands.spawn((
        NetText,
        text("", NET_FONT, INK),
        Anchor::TOP_LEFT,
        at(40.0 + INSET, NET_Y, 1.0),
    ));
    commands.insert_resource(NetDiagram(d));
}

/// The zones' boxes (pink where a host is isolated) and the hosts' marks.
pub(crate) fn zones_and_hosts(
    snap: Res<Snap>,
    mut zones: Query<(&ZoneBox, &mut Sprite), Without<HostDot>>,
    mut dots: Query<(&HostDot, &mut Sprite), Without<ZoneBox>>,
) {
    let n = &snap.0.network;
    let p = &n.purdue;
    for (z, mut s) in &mut zones {
        let isolated = n.hosts.iter().any(|h| h.zone == z.0 && h.isolated);
        let c = rgb(if isolated {
            [250, 205, 205]
        } else {
            [228, 228, 228]
        });
        if s.color != c {
            s.color = c;
        }
    }
    for (h, mut s) in &mut dots {
        let (host, mark) = (&n.hosts[h.0], p.hosts.get(h.0).copied());
        let c = rgb(if host.isolated {
            ALARM
        } else if p.attackers.get(h.0) == Some(&true) || p.targets.get(h.0) == Some(&true) {
            ATTACK
        } else {
            match mark {
                Some(HostMark::Plc) => PLC,
                Some(HostMark::Hmi) => INK,
                _ => [120, 120, 120],
            }
        });
        if s.color != c {
            s.color = c;
        }
    }
}

/// The conduits: orange and thicker on an attack's route.
pub(crate) fn conduits(snap: Res<Snap>, mut lines: Query<(&ConduitLine, &mut Sprite)>) {
    let p = &snap.0.network.purdue;
    for (l, mut s) in &mut lines {
        let attack = p.conduits.get(l.0).is_some_and(|c| c.attack);
        let (c, w) = if attack { (ATTACK, 5.0) } else { (LINK, 2.0) };
        let len = s.custom_size.map_or(1.0, |v| v.x);
        if s.color != rgb(c) {
            s.color = rgb(c);
            s.custom_size = Some(Vec2::new(len, w));
        }
    }
}

/// Two marks per conduit that Modbus connections cross, half a length apart, a length every
/// two simulated seconds.
pub(crate) fn flow_marks(
    snap: Res<Snap>,
    d: Res<NetDiagram>,
    mut marks: Query<(&FlowMark, &mut Transform, &mut Visibility)>,
) {
    let p = &snap.0.network.purdue;
    let phase = (snap.0.now as f64 / 2_000_000.0).fract() as f32;
    for (m, mut t, mut v) in &mut marks {
        let busy = p.conduits.get(m.0).is_some_and(|c| c.open_links > 0);
        show(&mut v, busy);
        if busy {
            let (a, b) = d.0.conduits[m.0];
            let f = (phase + 0.5 * m.1 as f32).fract();
            let to = at(a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, 0.6).translation;
            if t.translation != to {
                t.translation = to;
            }
        }
    }
}

/// Each started step's path, from its host's mark to its target's.
pub(crate) fn attack_paths(
    snap: Res<Snap>,
    d: Res<NetDiagram>,
    mut paths: Query<(&AttackLine, &mut Sprite, &mut Transform, &mut Visibility)>,
) {
    let p = &snap.0.network.purdue;
    for (l, mut s, mut t, mut v) in &mut paths {
        let Some(&(from, to)) = p.paths.get(l.0) else {
            show(&mut v, false);
            continue;
        };
        let (a, b) = (Vec2::from(d.0.hosts[from]), Vec2::from(d.0.hosts[to]));
        let mid = (a + b) / 2.0;
        let mut want = at(mid.x, mid.y, 0.8);
        want.rotation = Quat::from_rotation_z(-(b - a).y.atan2((b - a).x));
        if *t != want {
            *t = want;
            s.custom_size = Some(Vec2::new((b - a).length().max(1.0), 2.0));
        }
        show(&mut v, true);
    }
}

/// A conduit's firewall flashes for two seconds after its count of refusals grows.
pub(crate) fn firewalls(
    snap: Res<Snap>,
    time: Res<Time<Real>>,
    mut flashes: Local<Vec<(u64, f32)>>,
    mut walls: Query<(&FirewallMark, &mut Visibility)>,
) {
    let p = &snap.0.network.purdue;
    let now = time.elapsed_secs();
    flashes.resize(p.conduits.len(), (0, f32::MIN));
    for (k, c) in p.conduits.iter().enumerate() {
        if c.blocked > flashes[k].0 {
            flashes[k] = (c.blocked, now + 2.0);
        }
    }
    for (w, mut v) in &mut walls {
        let on = flashes
            .get(w.0)
            .is_some_and(|f| now < f.1 && ((now * 4.0) as u32).is_multiple_of(2));
        show(&mut v, on);
    }
}

fn show(v: &mut Visibility, on: bool) {
    let want = if on {
        Visibility::Inherited
    } else {
        Visibility::Hidden
    };
    if *v != want {
        *v = want;
    }
}

/// The panel's two summary lines: traffic, detections, what the controls stopped.
pub(crate) fn summary(snap: Res<Snap>, mut q: Query<&mut Text2d, With<NetText>>) {
    let n = &snap.0.network;
    let cols = room(NET_W, NET_FONT);
    let fit = crate::viewer::text::fit;
    let out = format!(
        "{}\n{}\n",
        fit(
            &format!(
                "NETWORK  {} Modbus requests | {} IDS alerts",
                n.requests, n.detections
            ),
            cols
        ),
        fit(
            &format!(
                "{} flows blocked ({} legitimate) | {} DPI blocks",
                n.flows_blocked, n.legit_blocked, n.dpi_blocked
            ),
            cols
        )
    );
    for mut t in &mut q {
        if t.0 != out {
            t.0 = out.clone();
        }
    }
}
