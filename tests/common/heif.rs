//! HEIC fixtures made at test time: `heif-enc` (Debian's libheif-examples)
//! encodes JPEGs and PNGs from tests/data, `heif-convert` decodes with
//! libheif as an independent reference, and a small ISOBMFF muxer rewrites
//! `heif-enc`'s files with what libheif 1.15's encoder cannot write: `irot`
//! and `imir` transforms, `colr` boxes (Display P3 as nclx or as an ICC
//! profile) and iPhone-style grid images made of separately coded tiles.
//! No HEIC file is stored in the repository.

use std::path::Path;
use std::process::Command;

const INSTALL: &str = "install Debian's libheif-examples (apt-get install -y libheif-examples; .ci/run does): the HEIC tests make their files with it";

fn run(tool: &str, args: &[&std::ffi::OsStr]) {
    let out = match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) => panic!("{tool} cannot run ({e}): {INSTALL}"),
    };
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `heif-enc ARGS -o output input`.
pub fn heif_enc(input: &Path, output: &Path, args: &[&str]) {
    let mut a: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    a.extend([
        std::ffi::OsStr::new("-o"),
        output.as_os_str(),
        input.as_os_str(),
    ]);
    run("heif-enc", &a);
}

/// `heif-convert input output` (libheif's own decoder; a .png output keeps
/// the file's bit depth up to 16).
pub fn heif_convert(input: &Path, output: &Path) {
    run("heif-convert", &[input.as_os_str(), output.as_os_str()]);
}

/// One item of a HEIF file: its type, properties (whole boxes, with their
/// `essential` flag) and data.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: u16,
    pub kind: [u8; 4],
    pub hidden: bool,
    pub props: Vec<(Vec<u8>, bool)>,
    pub data: Vec<u8>,
}

/// A HEIF file taken apart: items, primary item and references.
#[derive(Clone, Debug)]
pub struct Heif {
    pub items: Vec<Item>,
    pub primary: u16,
    pub refs: Vec<([u8; 4], u16, Vec<u16>)>,
}

fn be16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

fn be_n(b: &[u8], at: usize, n: usize) -> usize {
    b[at..at + n]
        .iter()
        .fold(0, |v, &x| v << 8 | usize::from(x))
}

/// The boxes in `data`: (type, whole box, payload after the header).
fn boxes(data: &[u8]) -> Vec<([u8; 4], &[u8], &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= data.len() {
        let mut size = be32(data, i);
        let kind: [u8; 4] = data[i + 4..i + 8].try_into().unwrap();
        let mut header = 8;
        if size == 1 {
            size = be_n(data, i + 8, 8);
            header = 16;
        } else if size == 0 {
            size = data.len() - i;
        }
        out.push((kind, &data[i..i + size], &data[i + header..i + size]));
        i += size;
    }
    out
}

fn child<'a>(payload: &'a [u8], kind: &[u8; 4]) -> &'a [u8] {
    boxes(payload)
        .into_iter()
        .find(|b| &b.0 == kind)
        .unwrap_or_else(|| panic!("no {} box", String::from_utf8_lossy(kind)))
        .2
}

impl Heif {
    /// Takes apart a file as `heif-enc` writes it (one `mdat`, `iloc`
    /// construction method 0).
    pub fn parse(file: &[u8]) -> Heif {
        let meta = &child(file, b"meta")[4..];
        let primary = be16(child(meta, b"pitm"), 4) as u16;
        // iinf
        let iinf = child(meta, b"iinf");
        let skip = if iinf[0] == 0 { 6 } else { 8 };
        let mut items: Vec<Item> = boxes(&iinf[skip..])
            .into_iter()
            .map(|(_, _, infe)| {
                assert!(infe[0] == 2, "infe version {}", infe[0]);
                Item {
                    id: be16(infe, 4) as u16,
                    kind: infe[8..12].try_into().unwrap(),
                    hidden: infe[3] & 1 == 1,
                    props: Vec::new(),
                    data: Vec::new(),
                }
            })
            .collect();
        // iloc
        let iloc = child(meta, b"iloc");
        let version = iloc[0];
        let (off_size, len_size) = (usize::from(iloc[4] >> 4), usize::from(iloc[4] & 15));
        let (base_size, index_size) = (usize::from(iloc[5] >> 4), usize::from(iloc[5] & 15));
        let (count, mut at) = if version < 2 {
            (be16(iloc, 6), 8)
        } else {
            (be32(iloc, 6), 10)
        };
        for _ in 0..count {
            let id = if version < 2 {
                at += 2;
                be16(iloc, at - 2)
            } else {
                at += 4;
                be32(iloc, at - 4)
            };
            if version >= 1 {
                assert_eq!(iloc[at + 1] & 15, 0, "construction method 0 only");
                at += 2;
            }
            at += 2; // data reference index
            let base = be_n(iloc, at, base_size);
            at += base_size;
            let extents = be16(iloc, at);
            at += 2;
            let mut data = Vec::new();
            for _ in 0..extents {
                if version >= 1 && index_size > 0 {
                    at += index_size;
                }
                let off = be_n(iloc, at, off_size);
                let len = be_n(iloc, at + off_size, len_size);
                at += off_size + len_size;
                data.extend_from_slice(&file[base + off..base + off + len]);
            }
            let item = items.iter_mut().find(|i| usize::from(i.id) == id).unwrap();
            item.data = data;
        }
        // iprp: ipco + ipma
        let iprp = child(meta, b"iprp");
        let ipco: Vec<Vec<u8>> = boxes(child(iprp, b"ipco"))
            .into_iter()
            .map(|b| b.1.to_vec())
            .collect();
        let ipma = child(iprp, b"ipma");
        let (version, wide) = (ipma[0], ipma[3] & 1 == 1);
        let mut at = 8;
        for _ in 0..be32(ipma, 4) {
            let id = if version < 1 {
                at += 2;
                be16(ipma, at - 2)
            } else {
                at += 4;
                be32(ipma, at - 4)
            };
            let n = usize::from(ipma[at]);
            at += 1;
            let item = items.iter_mut().find(|i| usize::from(i.id) == id).unwrap();
            for _ in 0..n {
                let (essential, index) = if wide {
                    at += 2;
                    (ipma[at - 2] & 0x80 != 0, be16(ipma, at - 2) & 0x7FFF)
                } else {
                    at += 1;
                    (ipma[at - 1] & 0x80 != 0, usize::from(ipma[at - 1] & 0x7F))
                };
                item.props.push((ipco[index - 1].clone(), essential));
            }
        }
        // iref (version 0)
        let mut refs = Vec::new();
        if let Some((_, _, iref)) = boxes(meta).into_iter().find(|b| &b.0 == b"iref") {
            assert_eq!(iref[0], 0, "iref version 0 only");
            for (kind, _, r) in boxes(&iref[4..]) {
                let to = (0..be16(r, 2)).map(|k| be16(r, 4 + 2 * k) as u16).collect();
                refs.push((kind, be16(r, 0) as u16, to));
            }
        }
        Heif {
            items,
            primary,
            refs,
        }
    }

    /// The item with this id.
    pub fn item_mut(&mut self, id: u16) -> &mut Item {
        self.items.iter_mut().find(|i| i.id == id).unwrap()
    }

    /// The property box of type `kind` of item `id`.
    pub fn prop(&self, id: u16, kind: &[u8; 4]) -> Option<Vec<u8>> {
        let item = self.items.iter().find(|i| i.id == id)?;
        item.props
            .iter()
            .find(|(p, _)| &p[4..8] == kind)
            .map(|(p, _)| p.clone())
    }

    /// Writes the file: `ftyp`, `meta` (hdlr, pitm, iinf, iref, iprp, iloc),
    /// then one `mdat` holding every item's data.
    pub fn write(&self) -> Vec<u8> {
        let ftyp = make_box(b"ftyp", b"heic\0\0\0\0mif1heic");
        let meta_for = |first: usize| {
            let mut m = vec![0u8; 4];
            let mut hdlr = vec![0u8; 8];
            hdlr.extend_from_slice(b"pict");
            hdlr.extend_from_slice(&[0; 13]);
            m.extend(make_box(b"hdlr", &hdlr));
            let mut pitm = vec![0u8; 4];
            pitm.extend((self.primary).to_be_bytes());
            m.extend(make_box(b"pitm", &pitm));
            let mut iinf = vec![0u8; 4];
            iinf.extend((self.items.len() as u16).to_be_bytes());
            for it in &self.items {
                let mut infe = vec![2, 0, 0, u8::from(it.hidden)];
                infe.extend(it.id.to_be_bytes());
                infe.extend([0, 0]);
                infe.extend(it.kind);
                infe.push(0);
                iinf.extend(make_box(b"infe", &infe));
            }
            m.extend(make_box(b"iinf", &iinf));
            if !self.refs.is_empty() {
                let mut iref = vec![0u8; 4];
                for (kind, from, to) in &self.refs {
                    let mut r = from.to_be_bytes().to_vec();
                    r.extend((to.len() as u16).to_be_bytes());
                    for t in to {
                        r.extend(t.to_be_bytes());
                    }
                    iref.extend(make_box(kind, &r));
                }
                m.extend(make_box(b"iref", &iref));
            }
            let mut ipco = Vec::new();
            let mut ipma = vec![0u8; 4];
            ipma.extend((self.items.len() as u32).to_be_bytes());
            let mut index = 0u8;
            for it in &self.items {
                ipma.extend(it.id.to_be_bytes());
                ipma.push(it.props.len() as u8);
                for (p, essential) in &it.props {
                    ipco.extend_from_slice(p);
                    index += 1;
                    assert!(index < 0x80, "too many properties for a 7-bit ipma");
                    ipma.push(index | if *essential { 0x80 } else { 0 });
                }
            }
            let mut iprp = make_box(b"ipco", &ipco);
            iprp.extend(make_box(b"ipma", &ipma));
            m.extend(make_box(b"iprp", &iprp));
            // iloc version 0: 4-byte offsets and lengths, no base offset
            let mut iloc = vec![0u8, 0, 0, 0, 0x44, 0x00];
            iloc.extend((self.items.len() as u16).to_be_bytes());
            let mut offset = first;
            for it in &self.items {
                iloc.extend(it.id.to_be_bytes());
                iloc.extend([0, 0, 0, 1]);
                iloc.extend((offset as u32).to_be_bytes());
                iloc.extend((it.data.len() as u32).to_be_bytes());
                offset += it.data.len();
            }
            m.extend(make_box(b"iloc", &iloc));
            make_box(b"meta", &m)
        };
        let first = ftyp.len() + meta_for(0).len() + 8;
        let mut out = ftyp;
        out.extend(meta_for(first));
        let data: Vec<u8> = self.items.iter().flat_map(|i| i.data.clone()).collect();
        out.extend(make_box(b"mdat", &data));
        out
    }
}

/// A box of type `kind` around `payload`.
pub fn make_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(payload);
    b
}

/// `irot`: `quarters` × 90° anticlockwise.
pub fn irot(quarters: u8) -> Vec<u8> {
    make_box(b"irot", &[quarters & 3])
}

/// `imir` with its `axis` field as coded (libheif and Apple: 0 flips top
/// and bottom, 1 left and right).
pub fn imir(axis: u8) -> Vec<u8> {
    make_box(b"imir", &[axis & 1])
}

/// `ispe`.
pub fn ispe(w: u32, h: u32) -> Vec<u8> {
    let mut p = vec![0u8; 4];
    p.extend(w.to_be_bytes());
    p.extend(h.to_be_bytes());
    make_box(b"ispe", &p)
}

/// `colr` of type `nclx` (H.273 code points, full range).
pub fn colr_nclx(primaries: u16, transfer: u16, matrix: u16) -> Vec<u8> {
    let mut p = b"nclx".to_vec();
    for v in [primaries, transfer, matrix] {
        p.extend(v.to_be_bytes());
    }
    p.push(0x80);
    make_box(b"colr", &p)
}

/// `colr` of type `prof`: an ICC profile.
pub fn colr_icc(icc: &[u8]) -> Vec<u8> {
    let mut p = b"prof".to_vec();
    p.extend_from_slice(icc);
    make_box(b"colr", &p)
}

/// `file` (from heif-enc) with `extra` properties added to its primary
/// image, after those it has (transforms are applied in that order).
pub fn with_properties(file: &[u8], extra: &[(Vec<u8>, bool)]) -> Vec<u8> {
    let mut h = Heif::parse(file);
    let primary = h.primary;
    h.item_mut(primary).props.extend(extra.iter().cloned());
    h.write()
}

/// A grid image of `columns` × `rows` tiles, cropped to `w`×`h`: each
/// tile's coded item (hvcC, ispe and data) is taken from a one-image file
/// that heif-enc wrote (row by row), the grid gets an `ispe` and is primary.
pub fn grid(tiles: &[Vec<u8>], columns: u8, rows: u8, w: u16, h: u16) -> Vec<u8> {
    assert_eq!(tiles.len(), usize::from(columns) * usize::from(rows));
    let mut items = Vec::new();
    for (k, t) in tiles.iter().enumerate() {
        let t = Heif::parse(t);
        let mut item = t.items.into_iter().find(|i| i.id == t.primary).unwrap();
        item.id = k as u16 + 1;
        item.hidden = true;
        items.push(item);
    }
    let grid_id = tiles.len() as u16 + 1;
    let mut data = vec![0, 0, rows - 1, columns - 1];
    data.extend(w.to_be_bytes());
    data.extend(h.to_be_bytes());
    items.push(Item {
        id: grid_id,
        kind: *b"grid",
        hidden: false,
        props: vec![(ispe(u32::from(w), u32::from(h)), false)],
        data,
    });
    Heif {
        items,
        primary: grid_id,
        refs: vec![(*b"dimg", grid_id, (1..grid_id).collect())],
    }
    .write()
}
