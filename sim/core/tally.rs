//! Counting by kind, in order of first sight.

/// Count one more `key` in a list of (key, count) kept in order of first sight (a list,
/// not a map, so reports keep a stable order).
pub fn tally<K: PartialEq>(list: &mut Vec<(K, u64)>, key: K) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => *n += 1,
        None => list.push((key, 1)),
    }
}
