//! Does the data of a progressive JPEG refine its whole frame? A
//! progressive file sends the picture in several scans, coarse first: the
//! DC of every block, then bands of AC coefficients, then their lower bits.
//! Cut anywhere, with or without its end-of-image marker put back, it still
//! decodes to a whole picture, only coarser from the cut on: finer texture
//! missing in part or all of the frame, which a measure reads as smoother
//! skin. This walks the Huffman codes of every scan, block by block,
//! without computing a pixel (T.81 G.1.2; the refinement scans need, for
//! each coefficient, whether an earlier scan made it non-zero), and checks
//! that every scan's data covers its blocks and that the scans together
//! bring every coefficient of every component to full precision. (T.81
//! lets an encoder leave out bands or low bits; every common encoder sends
//! them all, and a picture without its finest detail would be measured as
//! smoother skin, so such a file is refused as well.)

use super::scan::{Bits, Coverage, Table, segment_at};

/// A frame component: its sampling factors and, while a scan is walked, its
/// Huffman tables and which coefficients of each block are non-zero.
struct Component {
    id: u8,
    h: usize,
    v: usize,
    /// The component's own blocks, across and down (T.81 A.2.2).
    blocks: (usize, usize),
    /// Per block (raster order), a bit per coefficient (zig-zag index)
    /// that an earlier scan made non-zero.
    nonzero: Vec<u64>,
    /// Per coefficient, the lowest successive-approximation bit sent so
    /// far (`None`: not sent).
    precision: [Option<u8>; 64],
}

/// One scan's header: its components (indices into the frame's), their DC
/// and AC tables, the spectral band `ss..=se`, and the bit positions `ah`
/// (before) and `al` (after).
struct Scan {
    comps: Vec<(usize, usize, usize)>,
    ss: usize,
    se: usize,
    ah: u8,
    al: u8,
}

/// Walks every scan of a progressive (SOF2) `jpeg`; `None` when it is not
/// one or its headers are malformed (the decoder reports those).
pub(super) fn coverage(jpeg: &[u8]) -> Option<Coverage> {
    let mut dc = vec![Table::default(); 4];
    let mut ac = vec![Table::default(); 4];
    let mut comps: Vec<Component> = Vec::new();
    let (mut size, mut restart, mut scans) = ((0, 0), 0u64, 0usize);
    let mut at = 2;
    let _t = crate::timing::span("decode: scan check");
    // the marker segments in order; the file may end anywhere (a cut file
    // is judged by what it holds)
    while let Some((marker, body, end)) = segment_at(jpeg, at) {
        at = end;
        match marker {
            // one frame (the decoder's, whose size it has checked)
            0xC2 if comps.is_empty() => {
                size = (
                    usize::from(u16::from_be_bytes([*body.get(3)?, *body.get(4)?])),
                    usize::from(u16::from_be_bytes([*body.get(1)?, *body.get(2)?])),
                );
                comps = frame_components(body, size)?;
            }
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => super::scan::read_tables(body, &mut dc, &mut ac)?,
            0xDD => restart = u64::from(u16::from_be_bytes([*body.first()?, *body.get(1)?])),
            0xDA => {
                let scan = scan_header(body, &comps)?;
                scans += 1;
                let data = jpeg.get(at..)?;
                let mut bits = Bits::new(data);
                if let Some((found, expected)) =
                    walk(&mut bits, &scan, &mut comps, &dc, &ac, size, restart)
                {
                    return Some(Coverage::ScanShort {
                        scan: scans,
                        found,
                        expected,
                    });
                }
                at += next_marker(data, bits.position());
            }
            _ => {}
        }
    }
    if comps.is_empty() || scans == 0 {
        return None;
    }
    let refined = comps
        .iter()
        .all(|c| c.precision.iter().all(|p| *p == Some(0)));
    Some(if refined {
        Coverage::Complete
    } else {
        Coverage::Unrefined { scans }
    })
}

/// The components of a start-of-frame `body` for a frame of `size`.
fn frame_components(body: &[u8], (width, height): (usize, usize)) -> Option<Vec<Component>> {
    let comps = super::scan::frame_sampling(body)?;
    if comps
        .iter()
        .any(|&(_, h, v)| !(1..=4).contains(&h) || !(1..=4).contains(&v))
    {
        return None;
    }
    let hmax = comps.iter().map(|c| c.1).max()?;
    let vmax = comps.iter().map(|c| c.2).max()?;
    Some(
        comps
            .into_iter()
            .map(|(id, h, v)| {
                let blocks = (
                    (width * h).div_ceil(hmax).div_ceil(8),
                    (height * v).div_ceil(vmax).div_ceil(8),
                );
                Component {
                    id,
                    h,
                    v,
                    blocks,
                    nonzero: vec![0; blocks.0 * blocks.1],
                    precision: [None; 64],
                }
            })
            .collect(),
    )
}

/// A start-of-scan header, checked against the rules of a progressive scan
/// (a DC scan has the band 0..=0; an AC scan one component).
fn scan_header(body: &[u8], comps: &[Component]) -> Option<Scan> {
    let n = usize::from(*body.first()?);
    let mut ids = Vec::with_capacity(n);
    for k in 0..n {
        let b = body.get(1 + 2 * k..3 + 2 * k)?;
        let c = comps.iter().position(|c| c.id == b[0])?;
        ids.push((c, usize::from(b[1] >> 4) & 3, usize::from(b[1] & 15) & 3));
    }
    let tail = body.get(1 + 2 * n..4 + 2 * n)?;
    let (ss, se, ah, al) = (
        usize::from(tail[0]),
        usize::from(tail[1]),
        tail[2] >> 4,
        tail[2] & 15,
    );
    let valid = n >= 1
        && ss <= se
        && se < 64
        && al <= 13
        && (ss > 0 || se == 0)
        && (ss == 0 || n == 1)
        && (ah == 0 || ah == al + 1);
    valid.then_some(Scan {
        comps: ids,
        ss,
        se,
        ah,
        al,
    })
}

/// Walks one scan's blocks; `Some((found, expected))` MCUs when its data
/// ends early.
fn walk(
    bits: &mut Bits<'_>,
    scan: &Scan,
    comps: &mut [Component],
    dc: &[Table],
    ac: &[Table],
    (width, height): (usize, usize),
    restart: u64,
) -> Option<(u64, u64)> {
    // an AC scan (one component) goes through that component's blocks in
    // raster order; a DC scan of one component too, of several by MCUs
    let mcus = if scan.comps.len() == 1 {
        let (w, h) = comps[scan.comps[0].0].blocks;
        (w * h) as u64
    } else {
        let hmax = comps.iter().map(|c| c.h).max().unwrap_or(1);
        let vmax = comps.iter().map(|c| c.v).max().unwrap_or(1);
        (width.div_ceil(8 * hmax) * height.div_ceil(8 * vmax)) as u64
    };
    let mut eob_run = 0u32;
    for m in 0..mcus {
        if restart > 0 && m > 0 && m % restart == 0 {
            if !bits.restart() {
                return Some((m, mcus));
            }
            eob_run = 0;
        }
        let ok = if scan.ss == 0 {
            scan.comps.iter().all(|&(c, d, _)| {
                let per_mcu = if scan.comps.len() == 1 {
                    1
                } else {
                    comps[c].h * comps[c].v
                };
                (0..per_mcu).all(|_| dc_block(bits, &dc[d], scan.ah).is_some())
            })
        } else {
            let (c, _, a) = scan.comps[0];
            let mask = &mut comps[c].nonzero[m as usize];
            if scan.ah == 0 {
                ac_first(bits, &ac[a], scan, mask, &mut eob_run).is_some()
            } else {
                ac_refine(bits, &ac[a], scan, mask, &mut eob_run).is_some()
            }
        };
        if !ok {
            return Some((m, mcus));
        }
    }
    for &(c, _, _) in &scan.comps {
        for p in &mut comps[c].precision[scan.ss..=scan.se] {
            *p = Some(p.map_or(scan.al, |q| q.min(scan.al)));
        }
    }
    None
}

/// A DC scan's block: the first pass codes a difference, a refinement one
/// bit.
fn dc_block(bits: &mut Bits<'_>, table: &Table, ah: u8) -> Option<()> {
    if ah > 0 {
        return bits.bit().map(|_| ());
    }
    let s = bits.symbol(table)?;
    bits.skip(u32::from(s & 15))
}

/// An AC scan's first pass over a block (T.81 G.1.2.2): run-length coded
/// coefficients of the band, or a run of bands that end at once (EOBRUN).
fn ac_first(
    bits: &mut Bits<'_>,
    table: &Table,
    scan: &Scan,
    mask: &mut u64,
    eob_run: &mut u32,
) -> Option<()> {
    if *eob_run > 0 {
        *eob_run -= 1;
        return Some(());
    }
    let mut k = scan.ss;
    while k <= scan.se {
        let rs = bits.symbol(table)?;
        let (r, s) = (usize::from(rs >> 4), u32::from(rs & 15));
        if s > 0 {
            k += r;
            bits.skip(s)?;
            if k < 64 {
                *mask |= 1 << k;
            }
            k += 1;
        } else if r == 15 {
            k += 16;
        } else {
            *eob_run = (1 << r) + bits.value(r as u32)? - 1;
            break;
        }
    }
    Some(())
}

/// An AC scan's refinement of a block (T.81 G.1.2.3, as libjpeg's
/// `decode_mcu_AC_refine`): a correction bit for each coefficient already
/// non-zero, run lengths that count only the zero ones, and new
/// coefficients of one bit.
fn ac_refine(
    bits: &mut Bits<'_>,
    table: &Table,
    scan: &Scan,
    mask: &mut u64,
    eob_run: &mut u32,
) -> Option<()> {
    let mut k = scan.ss;
    if *eob_run == 0 {
        while k <= scan.se {
            let rs = bits.symbol(table)?;
            let (mut r, s) = (i32::from(rs >> 4), rs & 15);
            if s == 0 && r != 15 {
                *eob_run = (1 << r) + bits.value(r as u32)?;
                break;
            }
            if s != 0 {
                bits.bit()?; // the new coefficient's sign
            }
            // skip `r` zero coefficients, correcting the non-zero ones
            while k <= scan.se {
                if *mask & (1 << k) != 0 {
                    bits.bit()?;
                } else {
                    r -= 1;
                    if r < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if s != 0 && k <= scan.se {
                *mask |= 1 << k;
            }
            k += 1;
        }
    }
    if *eob_run > 0 {
        // the band ends here: the rest of it only corrects
        while k <= scan.se {
            if *mask & (1 << k) != 0 {
                bits.bit()?;
            }
            k += 1;
        }
        *eob_run -= 1;
    }
    Some(())
}

/// The index in `data` of the marker that ends the entropy-coded data
/// read up to `from` (stuffed zeros and restart markers belong to it).
fn next_marker(data: &[u8], from: usize) -> usize {
    let mut i = from.min(data.len());
    while i + 1 < data.len() {
        if data[i] == 0xFF && data[i + 1] != 0 && !(0xD0..=0xD7).contains(&data[i + 1]) {
            // fill bytes before a marker are 0xFF too
            if data[i + 1] != 0xFF {
                return i;
            }
        }
        i += 1;
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×`h` progressive JPEG of noise-like texture (jpeg-encoder:
    /// spectral selection, no successive approximation), 4:2:0 or 4:4:4,
    /// with restart markers every `restart` MCUs (0: none).
    fn progressive(w: u16, h: u16, subsampled: bool, restart: u16) -> Vec<u8> {
        let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
            .map(|i| ((i * 7919 + i / 3 * 31) % 251) as u8)
            .collect();
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
        enc.set_progressive(true);
        enc.set_restart_interval(restart);
        if subsampled {
            enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
        }
        enc.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// Where each scan header starts.
    fn scans(jpeg: &[u8]) -> Vec<usize> {
        (0..jpeg.len() - 1)
            .filter(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA)
            .collect()
    }

    #[test]
    fn whole_files_are_complete_and_cut_ones_short_or_unrefined() {
        for (w, h, sub, restart) in [
            (96, 64, true, 0),
            (33, 17, false, 0),
            (80, 48, true, 3),
            // 5×3 luma blocks of their own, 6×4 in whole MCUs
            (40, 24, true, 0),
            (40, 24, true, 1),
        ] {
            let jpeg = progressive(w, h, sub, restart);
            let at = scans(&jpeg);
            assert!(at.len() > 2, "{} scans", at.len());
            assert_eq!(coverage(&jpeg), Some(Coverage::Complete), "{w}x{h}");
            // without its end-of-image marker: still whole
            assert_eq!(coverage(&jpeg[..jpeg.len() - 2]), Some(Coverage::Complete));
            // cut inside the last scan's data, the marker put back or not
            let inside = (at[at.len() - 1] + jpeg.len()) / 2;
            let mut cut = jpeg[..inside].to_vec();
            assert!(
                matches!(coverage(&cut), Some(Coverage::ScanShort { scan, .. }) if scan == at.len()),
                "{w}x{h}: {:?}",
                coverage(&cut)
            );
            cut.extend([0xFF, 0xD9]);
            assert!(matches!(coverage(&cut), Some(Coverage::ScanShort { .. })));
            // cut just before the last scan: every scan whole, one missing
            let mut before = jpeg[..at[at.len() - 1]].to_vec();
            before.extend([0xFF, 0xD9]);
            assert_eq!(
                coverage(&before),
                Some(Coverage::Unrefined {
                    scans: at.len() - 1
                })
            );
        }
    }

    /// libjpeg's own script (PIL): successive approximation, so the AC
    /// refinement scans are walked with the history of non-zero
    /// coefficients; a wrong history reads their data short or long.
    #[test]
    fn refinement_scans_are_walked_to_their_end() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/bad_inputs/progressive.jpg");
        let jpeg = std::fs::read(path).unwrap();
        let at = scans(&jpeg);
        assert_eq!(at.len(), 10);
        assert_eq!(coverage(&jpeg), Some(Coverage::Complete));
        // each scan's walk ends at the next scan's tables: cutting one byte
        // before each next header leaves the scan before it short
        for (k, &next) in at.iter().enumerate().skip(1) {
            let header = jpeg[..next]
                .windows(2)
                .rposition(|m| m == [0xFF, 0xC4])
                .filter(|&d| d > at[k - 1])
                .unwrap_or(next);
            let cut = &jpeg[..header - 1];
            assert!(
                matches!(coverage(cut), Some(Coverage::ScanShort { scan, .. }) if scan == k),
                "scan {k}: {:?}",
                coverage(cut)
            );
        }
        // restart markers every 2 MCUs through libjpeg's script, on a 4:2:0
        // frame 13 luma blocks wide: end-of-band runs end at each marker,
        // and an AC scan walks the component's own blocks, not whole MCUs
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/progressive/restart_420_100x60.jpg");
        let jpeg = std::fs::read(path).unwrap();
        let at = scans(&jpeg);
        assert_eq!(at.len(), 10);
        assert_eq!(coverage(&jpeg), Some(Coverage::Complete));
        for (k, &scan) in at.iter().enumerate() {
            let end = at.get(k + 1).copied().unwrap_or(jpeg.len() - 2);
            let mut cut = jpeg[..(scan + end) / 2].to_vec();
            cut.extend([0xFF, 0xD9]);
            assert!(
                matches!(coverage(&cut), Some(Coverage::ScanShort { scan, .. }) if scan == k + 1),
                "scan {}: {:?}",
                k + 1,
                coverage(&cut)
            );
        }
        // not a progressive frame: not walked here
        let baseline =
            crate::output::jpeg_rgb8(std::path::Path::new("b.jpg"), 16, 16, &[9; 768], 90).unwrap();
        assert_eq!(coverage(&baseline), None);
    }
}
