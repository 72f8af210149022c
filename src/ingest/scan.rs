//! Does the entropy-coded data of a sequential (baseline) JPEG cover its
//! frame? A file cut short with its end-of-image marker put back decodes
//! without error: the decoder fills the missing blocks from zero bits. This
//! walks the Huffman codes of the scan, block by block, without computing a
//! pixel, and counts the MCUs the data holds.
//!
//! Only the common layout is walked: one Huffman-coded sequential frame
//! whose first scan holds every component. Anything else (progressive,
//! several scans, arithmetic coding) gives `None`, and the caller keeps its
//! other checks.

/// What the walk found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coverage {
    /// Every MCU of the frame is in the data.
    Complete,
    /// The data ends after `found` of `expected` MCUs.
    Short { found: u64, expected: u64 },
    /// The restart marker due after `found` of `expected` MCUs is not
    /// where the codes end, and data follows: the codes lost step with
    /// the blocks (a marker removed, bytes changed, inserted or removed).
    Unsynced { found: u64, expected: u64 },
    /// The data of a progressive file's scan `scan` (counted from 1) ends
    /// after `found` of its `expected` MCUs.
    ScanShort {
        scan: usize,
        found: u64,
        expected: u64,
    },
    /// A progressive file whose `scans` scans end before they bring every
    /// coefficient of every component to full precision.
    Unrefined { scans: usize },
    /// Every MCU was read with `spare_bytes` whole bytes of data left
    /// before the end-of-image marker, where an encoder leaves less than
    /// one (its last byte's padding): the codes lost step with the blocks
    /// (a changed or inserted byte), and the blocks after it decode as
    /// shifted or recoloured stripes.
    Overrun { spare_bytes: u64 },
}

#[derive(Clone, Copy, Default)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    dc: usize,
    ac: usize,
}

/// Whole bytes of data after the last MCU that are taken as an encoder's
/// quirk rather than damage. An encoder pads the last byte with 1 bits
/// and leaves none (every JPEG of ../shared/data and the phantom's: 0);
/// libjpeg only warns of "extraneous bytes", and a few writers are known
/// to leave one or two. A byte changed or inserted mid-scan that puts the
/// codes out of step leaves tens (43 for 32 random bytes inserted in a
/// photo: its lower third decoded shifted sideways).
const SPARE_BYTES_TOLERATED: u64 = 16;

/// Bits of a code read at once through [`Table::fast`].
const FAST_BITS: u32 = 9;

/// A canonical Huffman table: for each code length, the first code, the
/// number of codes and the index of its first symbol; and, for each value
/// of the next [`FAST_BITS`] bits, the code they start with when it is at
/// most that long (its length above the symbol; 0: longer or none).
#[derive(Clone)]
pub(super) struct Table {
    first: [u32; 17],
    count: [u32; 17],
    offset: [usize; 17],
    symbols: Vec<u8>,
    fast: [u16; 1 << FAST_BITS],
}

impl Default for Table {
    fn default() -> Table {
        Table {
            first: [0; 17],
            count: [0; 17],
            offset: [0; 17],
            symbols: Vec::new(),
            fast: [0; 1 << FAST_BITS],
        }
    }
}

impl Table {
    fn new(counts: &[u8], symbols: &[u8]) -> Table {
        let mut t = Table {
            symbols: symbols.to_vec(),
            ..Table::default()
        };
        let (mut code, mut offset) = (0u32, 0usize);
        for len in 1..=16 {
            let n = u32::from(counts[len - 1]);
            t.first[len] = code;
            t.count[len] = n;
            t.offset[len] = offset;
            if len as u32 <= FAST_BITS {
                let spare = FAST_BITS - len as u32;
                for i in 0..n {
                    // a malformed table (more codes than the length
                    // holds) keeps what the bit-by-bit search would find:
                    // the shortest code, the first symbol
                    let (c, symbol) = (code + i, symbols.get(offset + i as usize));
                    if let (true, Some(&symbol)) = (c < 1 << len, symbol) {
                        let entry = ((len as u16) << 8) | u16::from(symbol);
                        for e in &mut t.fast[(c << spare) as usize..((c + 1) << spare) as usize] {
                            if *e == 0 {
                                *e = entry;
                            }
                        }
                    }
                }
            }
            code = (code + n) << 1;
            offset += n as usize;
        }
        t
    }
}

/// Bits of the entropy-coded segment, stuffed zero bytes removed; `None`
/// at a marker or the end of the file. Bytes are loaded only as far as a
/// read looks ahead, so at the end of a segment the next byte unread is its
/// marker.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    left: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Bits<'a> {
        Bits {
            data,
            pos: 0,
            acc: 0,
            left: 0,
        }
    }

    /// The index of the first byte not yet read.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// Loads bytes until `need` bits are held, or a marker or the end.
    fn fill(&mut self, need: u32) {
        while self.left < need {
            let Some(&b) = self.data.get(self.pos) else {
                return;
            };
            if b == 0xFF {
                if self.data.get(self.pos + 1) != Some(&0) {
                    return; // a marker: the segment ends here
                }
                self.pos += 1;
            }
            self.pos += 1;
            self.acc = (self.acc << 8) | u64::from(b);
            self.left += 8;
        }
    }

    pub(super) fn bit(&mut self) -> Option<u32> {
        self.value(1)
    }

    pub(super) fn skip(&mut self, n: u32) -> Option<()> {
        self.value(n).map(|_| ())
    }

    /// The next `n` (at most 32) bits as a number, first bit highest.
    pub(super) fn value(&mut self, n: u32) -> Option<u32> {
        self.fill(n);
        if self.left < n {
            return None;
        }
        self.left -= n;
        Some(((self.acc >> self.left) & ((1u64 << n) - 1)) as u32)
    }

    pub(super) fn symbol(&mut self, t: &Table) -> Option<u8> {
        self.fill(FAST_BITS);
        if self.left >= FAST_BITS {
            let next = (self.acc >> (self.left - FAST_BITS)) as usize & ((1 << FAST_BITS) - 1);
            let entry = t.fast[next];
            if entry != 0 {
                self.left -= u32::from(entry >> 8);
                return Some(entry as u8);
            }
        }
        self.symbol_bit_by_bit(t)
    }

    /// [`Bits::symbol`] without the table of short codes.
    fn symbol_bit_by_bit(&mut self, t: &Table) -> Option<u8> {
        let mut code = 0u32;
        for len in 1..=16 {
            code = (code << 1) | self.bit()?;
            if t.count[len] > 0 && code >= t.first[len] && code - t.first[len] < t.count[len] {
                return t
                    .symbols
                    .get(t.offset[len] + (code - t.first[len]) as usize)
                    .copied();
            }
        }
        None // no such code: corrupt data, which the decoder reports
    }

    /// The bits of the segment not read yet: those loaded and not used, and
    /// the bytes up to its marker (or the end of the file).
    pub(super) fn unread_bits(&self) -> u64 {
        let (mut n, mut p) = (u64::from(self.left), self.pos);
        while let Some(&b) = self.data.get(p) {
            if b == 0xFF {
                if self.data.get(p + 1) != Some(&0) {
                    break;
                }
                p += 1;
            }
            p += 1;
            n += 8;
        }
        n
    }

    /// Skips to the restart marker expected next; false when it is not there.
    pub(super) fn restart(&mut self) -> bool {
        self.left = 0;
        // a marker may follow fill bytes (0xFF) of its own (T.81 B.1.1.2)
        while self.data.get(self.pos) == Some(&0xFF) && self.data.get(self.pos + 1) == Some(&0xFF) {
            self.pos += 1;
        }
        match (self.data.get(self.pos), self.data.get(self.pos + 1)) {
            (Some(0xFF), Some(m)) if (0xD0..=0xD7).contains(m) => {
                self.pos += 2;
                true
            }
            _ => false,
        }
    }
}

/// One block's codes: DC, then AC until end-of-block or 63 coefficients.
fn block(bits: &mut Bits<'_>, dc: &Table, ac: &Table) -> Option<()> {
    let s = bits.symbol(dc)?;
    bits.skip(u32::from(s & 15))?;
    let mut k = 1;
    while k < 64 {
        let rs = bits.symbol(ac)?;
        let (r, s) = (usize::from(rs >> 4), u32::from(rs & 15));
        if s == 0 {
            if r != 15 {
                break;
            }
            k += 16;
        } else {
            k += r + 1;
            bits.skip(s)?;
        }
    }
    Some(())
}

/// Walks the first scan of `jpeg`; `None` when its layout is not the one
/// handled (see the module) or its headers are malformed.
pub(super) fn coverage(jpeg: &[u8]) -> Option<Coverage> {
    let mut dc: Vec<Table> = vec![Table::default(); 4];
    let mut ac: Vec<Table> = vec![Table::default(); 4];
    let mut comps: Vec<Component> = Vec::new();
    let (mut width, mut height, mut restart) = (0usize, 0usize, 0u64);
    for (marker, body, end) in segments(jpeg) {
        match marker {
            0xC0 | 0xC1 => {
                height = usize::from(u16::from_be_bytes([*body.get(1)?, *body.get(2)?]));
                width = usize::from(u16::from_be_bytes([*body.get(3)?, *body.get(4)?]));
                for (id, h, v) in frame_sampling(body)? {
                    comps.push(Component {
                        id,
                        h: h.max(1),
                        v: v.max(1),
                        ..Component::default()
                    });
                }
            }
            // progressive, lossless, arithmetic, hierarchical: not walked
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => read_tables(body, &mut dc, &mut ac)?,
            0xDD => restart = u64::from(u16::from_be_bytes([*body.first()?, *body.get(1)?])),
            0xDA => {
                let n = usize::from(*body.first()?);
                if comps.is_empty() || n != comps.len() {
                    return None; // not one scan of every component
                }
                for k in 0..n {
                    let b = body.get(1 + 2 * k..3 + 2 * k)?;
                    let c = comps.iter_mut().find(|c| c.id == b[0])?;
                    c.dc = usize::from(b[1] >> 4) & 3;
                    c.ac = usize::from(b[1] & 15) & 3;
                }
                let data = jpeg.get(end..)?;
                return Some(walk(data, &comps, &dc, &ac, width, height, restart));
            }
            _ => {}
        }
    }
    None
}

/// The components of a start-of-frame segment's `body` as written: id,
/// horizontal and vertical sampling factor; `None` when it is cut short.
pub(super) fn frame_sampling(body: &[u8]) -> Option<Vec<(u8, usize, usize)>> {
    let n = usize::from(*body.get(5)?);
    (0..n)
        .map(|c| {
            let b = body.get(6 + 3 * c..9 + 3 * c)?;
            Some((b[0], usize::from(b[1] >> 4), usize::from(b[1] & 15)))
        })
        .collect()
}

/// The height in pixels of the MCUs of `jpeg`'s frame (8 × the largest
/// vertical sampling factor; 8 for one component), from its frame header;
/// `None` without one.
pub(super) fn mcu_height(jpeg: &[u8]) -> Option<usize> {
    let (_, body, _) = segments(jpeg).find(|(m, _, _)| matches!(m, 0xC0..=0xC2))?;
    let comps = frame_sampling(body)?;
    if comps.len() == 1 {
        return Some(8);
    }
    let vmax = comps.iter().map(|c| c.2).max()?;
    Some(8 * vmax.clamp(1, 4))
}

/// The Huffman tables of a DHT segment's `body` into their `dc` and `ac`
/// slots; `None` when it is malformed.
pub(super) fn read_tables(body: &[u8], dc: &mut [Table], ac: &mut [Table]) -> Option<()> {
    let mut p = 0;
    while p < body.len() {
        let class_id = *body.get(p)?;
        let counts = body.get(p + 1..p + 17)?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = body.get(p + 17..p + 17 + total)?;
        let t = Table::new(counts, symbols);
        let slot = usize::from(class_id & 3);
        if class_id >> 4 == 0 {
            dc[slot] = t;
        } else {
            ac[slot] = t;
        }
        p += 17 + total;
    }
    Some(())
}

/// The marker segments of a JPEG after its start-of-image marker, in
/// order, each as [`segment_at`] gives it.
pub(super) fn segments(jpeg: &[u8]) -> impl Iterator<Item = (u8, &[u8], usize)> {
    let mut at = 2;
    std::iter::from_fn(move || {
        let found = segment_at(jpeg, at)?;
        at = found.2;
        Some(found)
    })
}

/// The marker segment at `at` (fill bytes before it skipped): its marker,
/// body and the index just past it; `None` at the end-of-image marker, a
/// byte that is not a marker, or a segment that does not fit in the file.
/// The body of a start-of-scan is its header: the compressed data follows
/// it.
pub(super) fn segment_at(jpeg: &[u8], mut at: usize) -> Option<(u8, &[u8], usize)> {
    while jpeg.get(at) == Some(&0xFF) && jpeg.get(at + 1) == Some(&0xFF) {
        at += 1;
    }
    if jpeg.get(at) != Some(&0xFF) || jpeg.get(at + 1) == Some(&0xD9) {
        return None;
    }
    let marker = *jpeg.get(at + 1)?;
    let len = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
    let body = jpeg.get(at + 4..at + 2 + len)?;
    Some((marker, body, at + 2 + len))
}

fn walk(
    data: &[u8],
    comps: &[Component],
    dc: &[Table],
    ac: &[Table],
    width: usize,
    height: usize,
    restart: u64,
) -> Coverage {
    let _t = crate::timing::span("decode: scan check");
    let hmax = comps.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = comps.iter().map(|c| c.v).max().unwrap_or(1);
    // one component: its blocks in raster order, no interleaving
    let (mcus, per_mcu): (u64, Vec<(usize, usize)>) = if comps.len() == 1 {
        let c = comps[0];
        let (cw, ch) = (
            (width * c.h).div_ceil(hmax).div_ceil(8),
            (height * c.v).div_ceil(vmax).div_ceil(8),
        );
        ((cw * ch) as u64, vec![(0, 1)])
    } else {
        let (mx, my) = (width.div_ceil(8 * hmax), height.div_ceil(8 * vmax));
        (
            (mx * my) as u64,
            comps
                .iter()
                .enumerate()
                .map(|(k, c)| (k, c.h * c.v))
                .collect(),
        )
    };
    let mut bits = Bits::new(data);
    for m in 0..mcus {
        if restart > 0 && m > 0 && m % restart == 0 && !bits.restart() {
            // no marker: the data either ends here or goes on out of step
            return if bits.unread_bits() == 0 {
                Coverage::Short {
                    found: m,
                    expected: mcus,
                }
            } else {
                Coverage::Unsynced {
                    found: m,
                    expected: mcus,
                }
            };
        }
        for &(k, blocks) in &per_mcu {
            let c = comps[k];
            for _ in 0..blocks {
                if block(&mut bits, &dc[c.dc], &ac[c.ac]).is_none() {
                    return Coverage::Short {
                        found: m,
                        expected: mcus,
                    };
                }
            }
        }
    }
    let spare_bytes = bits.unread_bits() / 8;
    if spare_bytes > SPARE_BYTES_TOLERATED {
        return Coverage::Overrun { spare_bytes };
    }
    Coverage::Complete
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn textured(w: usize, h: usize) -> Vec<u8> {
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7919) % 251) as u8).collect();
        crate::output::jpeg_rgb8(Path::new("t.jpg"), w, h, &rgb, 90).unwrap()
    }

    #[test]
    fn short_codes_read_at_once_are_the_codes_read_bit_by_bit() {
        // the luminance AC table of the JPEG standard (K.5) and a malformed
        // one (three codes of one bit), over pseudo-random data with
        // stuffed bytes and a marker at the end
        let mut counts = [0u8, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125];
        let symbols: Vec<u8> = (0..=161).map(|i: u32| (i * 37 % 251) as u8).collect();
        let standard = Table::new(&counts, &symbols);
        counts[..3].copy_from_slice(&[3, 0, 1]);
        let malformed = Table::new(&counts, &symbols);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut data: Vec<u8> = (0..4000)
            .flat_map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let b = (state >> 24) as u8;
                if b == 0xFF { vec![0xFF, 0] } else { vec![b] }
            })
            .collect();
        data.extend([0xFF, 0xD9]);
        for t in [&standard, &malformed] {
            let (mut fast, mut slow) = (Bits::new(&data), Bits::new(&data));
            let mut n = 0;
            loop {
                let a = fast.symbol(t);
                assert_eq!(a, slow.symbol_bit_by_bit(t), "symbol {n}");
                assert_eq!(fast.value(3), slow.value(3), "symbol {n}");
                if a.is_none() {
                    break;
                }
                n += 1;
            }
            assert!(n > 3000, "{n} symbols");
        }
    }

    #[test]
    fn mcu_height_follows_the_vertical_sampling() {
        // the encoder writes 4:4:4 (8 rows); 4:2:0 and grey headers by hand
        assert_eq!(mcu_height(&textured(32, 32)), Some(8));
        let sof = |components: &[u8]| {
            let mut j = vec![
                0xFF,
                0xD8,
                0xFF,
                0xC0,
                0,
                8 + 3 * components.len() as u8 / 3,
                8,
                0,
                32,
                0,
                32,
            ];
            j.push((components.len() / 3) as u8);
            j.extend_from_slice(components);
            j
        };
        assert_eq!(
            mcu_height(&sof(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])),
            Some(16)
        );
        assert_eq!(mcu_height(&sof(&[1, 0x11, 0])), Some(8));
        assert_eq!(mcu_height(&[0xFF, 0xD8, 0xFF, 0xD9]), None);
    }

    #[test]
    fn bytes_left_over_after_the_last_block_are_damage_beyond_a_few() {
        let jpeg = textured(96, 64);
        let eoi = jpeg.len() - 2;
        assert_eq!(&jpeg[eoi..], [0xFF, 0xD9]);
        let with_spare = |spare: &[u8]| {
            let mut j = jpeg[..eoi].to_vec();
            j.extend_from_slice(spare);
            j.extend([0xFF, 0xD9]);
            coverage(&j)
        };
        // an encoder's quirk of a byte or two passes
        assert_eq!(with_spare(&[0x5A]), Some(Coverage::Complete));
        // 40 bytes (one stuffed 0xFF 0x00 among them, read as one byte)
        let mut spare = vec![0x37u8; 39];
        spare.extend([0xFF, 0x00]);
        assert_eq!(
            with_spare(&spare),
            Some(Coverage::Overrun { spare_bytes: 40 })
        );
    }

    #[test]
    fn an_intact_scan_covers_its_frame_and_a_cut_one_does_not() {
        for (w, h) in [(96, 64), (33, 17), (8, 8)] {
            let jpeg = textured(w, h);
            assert_eq!(coverage(&jpeg), Some(Coverage::Complete), "{w}x{h}");
            let sos = jpeg.windows(2).position(|m| m == [0xFF, 0xDA]).unwrap();
            // the last few bytes cut, the end-of-image marker put back
            let mut cut = jpeg[..jpeg.len() - 2 - (jpeg.len() - sos) / 20].to_vec();
            cut.extend([0xFF, 0xD9]);
            assert!(
                matches!(coverage(&cut), Some(Coverage::Short { .. })),
                "{w}x{h}"
            );
        }
        // restart markers, with fill bytes (0xFF) before some of them
        let rgb: Vec<u8> = (0..48 * 32 * 3).map(|i| ((i * 7919) % 251) as u8).collect();
        let mut jpeg = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 90);
        enc.set_restart_interval(1);
        enc.encode(&rgb, 48, 32, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        assert_eq!(coverage(&jpeg), Some(Coverage::Complete));
        let mut filled = Vec::new();
        for (i, &b) in jpeg.iter().enumerate() {
            if b == 0xFF && jpeg.get(i + 1).is_some_and(|m| (0xD0..=0xD7).contains(m)) {
                filled.extend([0xFF, 0xFF]);
            }
            filled.push(b);
        }
        assert!(filled.len() > jpeg.len() + 4);
        assert_eq!(coverage(&filled), Some(Coverage::Complete));
        // 48×32 at 4:4:4 is 6×4 MCUs, a marker after each but the last
        let markers: Vec<usize> = (0..jpeg.len() - 1)
            .filter(|&i| jpeg[i] == 0xFF && (0xD0..=0xD7).contains(&jpeg[i + 1]))
            .collect();
        assert_eq!(markers.len(), 23);
        // one marker removed: the data goes on, out of step, where the
        // tenth was due; not a cut
        let at = markers[9];
        let removed = [&jpeg[..at], &jpeg[at + 2..]].concat();
        assert_eq!(
            coverage(&removed),
            Some(Coverage::Unsynced {
                found: 10,
                expected: 24
            })
        );
        // cut just before that marker, the end-of-image marker put back: a cut
        let cut = [&jpeg[..at], &[0xFF, 0xD9][..]].concat();
        assert_eq!(
            coverage(&cut),
            Some(Coverage::Short {
                found: 10,
                expected: 24
            })
        );
        // a marker renumbered (RST2 for RST1): every block is still where
        // it was and decodes as written, so nothing is said
        let mut renumbered = jpeg.clone();
        renumbered[markers[1] + 1] ^= 0x03;
        assert_eq!(coverage(&renumbered), Some(Coverage::Complete));
        // a flat frame is tiny and complete
        let flat =
            crate::output::jpeg_rgb8(Path::new("f.jpg"), 16, 16, &[120; 16 * 16 * 3], 90).unwrap();
        assert_eq!(coverage(&flat), Some(Coverage::Complete));
    }
}
