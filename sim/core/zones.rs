//! The zone graph: zones joined by conduits. Shared by the network (which routes over it)
//! and the scenario's validation (which asks whether a host can ever be on a path), so it
//! depends on nothing.

use std::collections::VecDeque;

/// Conduits (indices into `conduits`, each a pair of zones) on the shortest path between
/// two zones: fewest hops, ties to the conduits listed first. `None`: no route.
pub fn path(
    zones: usize,
    conduits: &[(usize, usize)],
    from: usize,
    to: usize,
) -> Option<Vec<usize>> {
    if from == to {
        return Some(Vec::new());
    }
    let mut prev: Vec<Option<(usize, usize)>> = vec![None; zones];
    let mut seen = vec![false; zones];
    seen[from] = true;
    let mut q = VecDeque::from([from]);
    while let Some(z) = q.pop_front() {
        for (k, &(a, b)) in conduits.iter().enumerate() {
            let next = if a == z {
                b
            } else if b == z {
                a
            } else {
                continue;
            };
            if !seen[next] {
                seen[next] = true;
                prev[next] = Some((z, k));
                q.push_back(next);
            }
        }
    }
    let mut path = Vec::new();
    let mut z = to;
    while z != from {
        let (p, k) = prev[z]?;
        path.push(k);
        z = p;
    }
    path.reverse();
    Some(path)
}

/// Whether zone `mid` is one the traffic between zones `a` and `b` crosses (where an
/// adversary in the middle can intercept it).
pub fn on_path(zones: usize, conduits: &[(usize, usize)], mid: usize, a: usize, b: usize) -> bool {
    let Some(path) = path(zones, conduits, a, b) else {
        return false;
    };
    mid == a
        || mid == b
        || path
            .iter()
            .any(|&k| conduits[k].0 == mid || conduits[k].1 == mid)
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_take_the_fewest_hops_and_a_middle_zone_is_on_them() {
        // 0 — 1 — 2, and 3 alone.
        let c = [(0, 1), (1, 2)];
        assert_eq!(super::path(4, &c, 0, 2), Some(vec![0, 1]));
        assert_eq!(super::path(4, &c, 0, 3), None);
        assert!(super::on_path(4, &c, 1, 0, 2));
        assert!(!super::on_path(4, &c, 3, 0, 2));
    }
}
