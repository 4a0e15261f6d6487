//! A TrueType font read as far as the tests need: a character's glyph (the Unicode cmap)
//! and a glyph's advance (hmtx), in font units, and the units per em. The viewer's tests
//! include this file too.

fn u16_at(font: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([font[o], font[o + 1]])
}

fn u32_at(font: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([font[o], font[o + 1], font[o + 2], font[o + 3]])
}

/// The offset of a table by its tag.
fn table(font: &[u8], tag: &[u8; 4]) -> usize {
    (0..u16_at(font, 4) as usize)
        .map(|k| 12 + 16 * k)
        .find(|&r| &font[r..r + 4] == tag)
        .map(|r| u32_at(font, r + 8) as usize)
        .unwrap_or_else(|| panic!("no {} table", String::from_utf8_lossy(tag)))
}

/// The font's units per em (head).
pub fn units_per_em(font: &[u8]) -> u16 {
    u16_at(font, table(font, b"head") + 18)
}

/// A glyph's advance width in font units (hhea, hmtx).
pub fn advance(font: &[u8], glyph: u16) -> u16 {
    let metrics = u16_at(font, table(font, b"hhea") + 34) as usize;
    let hmtx = table(font, b"hmtx");
    u16_at(font, hmtx + 4 * (glyph as usize).min(metrics - 1))
}

/// The glyph a TrueType font's Unicode cmap (format 4, platform 3 encoding 1) gives `c`;
/// 0 (".notdef") when the font has none.
pub fn glyph(font: &[u8], c: char) -> u16 {
    let u16_at = |o: usize| u16_at(font, o);
    let u32_at = |o: usize| u32_at(font, o);
    let cmap = table(font, b"cmap");
    let sub = (0..u16_at(cmap + 2) as usize)
        .map(|k| cmap + 4 + 8 * k)
        .find(|&r| u16_at(r) == 3 && u16_at(r + 2) == 1)
        .map(|r| cmap + u32_at(r + 4) as usize)
        .expect("a Unicode BMP subtable");
    assert_eq!(u16_at(sub), 4, "format 4");
    let c = c as u32;
    if c > 0xFFFF {
        return 0;
    }
    let segs = u16_at(sub + 6) as usize / 2;
    let (ends, starts) = (sub + 14, sub + 16 + 2 * segs);
    let (deltas, ranges) = (starts + 2 * segs, starts + 4 * segs);
    for i in 0..segs {
        if u32::from(u16_at(ends + 2 * i)) < c {
            continue;
        }
        let start = u32::from(u16_at(starts + 2 * i));
        if start > c {
            return 0;
        }
        let delta = u32::from(u16_at(deltas + 2 * i));
        let range = u16_at(ranges + 2 * i) as usize;
        if range == 0 {
            return ((c + delta) & 0xFFFF) as u16;
        }
        let g = u16_at(ranges + 2 * i + range + 2 * (c - start) as usize);
        return if g == 0 {
            0
        } else {
            ((u32::from(g) + delta) & 0xFFFF) as u16
        };
    }
    0
}
