//! whisper.cpp's GGML model file: a writer for the converter and a
//! structural check run before a file is handed to whisper.cpp.
//!
//! This module owns the GGML byte layout. It works on `Write` and
//! `Read + Seek` values handed in and never opens a file itself.
//!
//! Layout (little-endian):
//!
//! ```text
//! u32 magic 0x67676d6c
//! i32 n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
//!     n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype
//! i32 n_mel, i32 n_bins, f32 filters[n_mel * n_bins]
//! i32 n_tokens, n_tokens x ( u32 len | bytes )
//! tensors until end of file:
//!     i32 n_dims, i32 name_len, i32 type, i32 ne[n_dims] (innermost first),
//!     name, data
//! ```
//!
//! whisper.cpp's own loader trusts these numbers: a damaged file can make
//! it read past the end, allocate without bound or abort the process. The
//! check here walks every record first, so a bad file becomes an error.

use std::collections::BTreeSet;
use std::io::{self, Read, Seek, SeekFrom, Write};

use half::f16;

use super::error::ModelError;

/// The file magic, "ggml" read as a little-endian u32.
pub const MAGIC: u32 = 0x6767_6d6c;
/// Header `ftype` for "big weights in f16".
pub const FTYPE_F16: i32 = 1;

/// The hyperparameters in a GGML whisper header, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    /// Vocabulary size of the embedding (51864 English-only, 51865+ multilingual).
    pub n_vocab: i32,
    /// Encoder positions (1500 for 30 s).
    pub n_audio_ctx: i32,
    /// Encoder width.
    pub n_audio_state: i32,
    /// Encoder attention heads.
    pub n_audio_head: i32,
    /// Encoder layers.
    pub n_audio_layer: i32,
    /// Decoder positions (448).
    pub n_text_ctx: i32,
    /// Decoder width.
    pub n_text_state: i32,
    /// Decoder attention heads.
    pub n_text_head: i32,
    /// Decoder layers.
    pub n_text_layer: i32,
    /// Mel bands of the input (80, or 128 for large-v3).
    pub n_mels: i32,
    /// Weight type code (1 = f16), plus 1000 x the quantisation version.
    pub ftype: i32,
}

impl Hparams {
    fn to_array(self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    fn from_array(a: [i32; 11]) -> Hparams {
        Hparams {
            n_vocab: a[0],
            n_audio_ctx: a[1],
            n_audio_state: a[2],
            n_audio_head: a[3],
            n_audio_layer: a[4],
            n_text_ctx: a[5],
            n_text_state: a[6],
            n_text_head: a[7],
            n_text_layer: a[8],
            n_mels: a[9],
            ftype: a[10],
        }
    }

    /// True for multilingual vocabularies.
    pub fn is_multilingual(&self) -> bool {
        self.n_vocab >= 51865
    }

    /// Rejects values whisper.cpp would trip over.
    fn validate(&self) -> Result<(), ModelError> {
        let bad = |m: String| Err(ModelError::BadGgml(m));
        let ranges = [
            ("n_vocab", self.n_vocab, 1, 1 << 20),
            ("n_audio_ctx", self.n_audio_ctx, 1, 1 << 16),
            ("n_audio_state", self.n_audio_state, 1, 1 << 14),
            ("n_audio_head", self.n_audio_head, 1, 1 << 10),
            ("n_audio_layer", self.n_audio_layer, 1, 1 << 10),
            ("n_text_ctx", self.n_text_ctx, 1, 1 << 16),
            ("n_text_state", self.n_text_state, 1, 1 << 14),
            ("n_text_head", self.n_text_head, 1, 1 << 10),
            ("n_text_layer", self.n_text_layer, 1, 1 << 10),
            ("n_mels", self.n_mels, 1, 1 << 10),
        ];
        for (name, v, lo, hi) in ranges {
            if !(lo..=hi).contains(&v) {
                return bad(format!("header value {name} = {v} is out of range"));
            }
        }
        if self.n_audio_state != self.n_text_state {
            return bad("encoder and decoder widths differ".to_string());
        }
        if self.n_audio_state % self.n_audio_head != 0 || self.n_text_state % self.n_text_head != 0
        {
            return bad("width is not a multiple of the head count".to_string());
        }
        if tensor_type_size(self.ftype % 1000).is_none() {
            return bad(format!("unsupported weight type {}", self.ftype));
        }
        Ok(())
    }
}

/// Element type of a tensor record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    /// 32-bit float (type code 0).
    F32,
    /// Half float (type code 1).
    F16,
}

impl TensorType {
    fn code(self) -> i32 {
        match self {
            TensorType::F32 => 0,
            TensorType::F16 => 1,
        }
    }
}

/// (bytes per block, elements per block) of the GGML types whisper.cpp
/// models use: f32, f16, the legacy 32-element quantisations and bf16.
fn tensor_type_size(code: i32) -> Option<(u64, u64)> {
    Some(match code {
        0 => (4, 1),
        1 => (2, 1),
        2 => (18, 32),
        3 => (20, 32),
        6 => (22, 32),
        7 => (24, 32),
        8 => (34, 32),
        30 => (2, 1),
        _ => return None,
    })
}

/// Names of every tensor whisper.cpp expects for these hyperparameters.
pub fn expected_tensor_names(h: &Hparams) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut add = |s: String| {
        names.insert(s);
    };
    for t in [
        "encoder.positional_embedding",
        "encoder.conv1.weight",
        "encoder.conv1.bias",
        "encoder.conv2.weight",
        "encoder.conv2.bias",
        "encoder.ln_post.weight",
        "encoder.ln_post.bias",
        "decoder.positional_embedding",
        "decoder.token_embedding.weight",
        "decoder.ln.weight",
        "decoder.ln.bias",
    ] {
        add(t.to_string());
    }
    let attn = |p: &str, a: &str| -> Vec<String> {
        [
            "query.weight",
            "query.bias",
            "key.weight",
            "value.weight",
            "value.bias",
            "out.weight",
            "out.bias",
        ]
        .iter()
        .map(|s| format!("{p}.{a}.{s}"))
        .chain([format!("{p}.{a}_ln.weight"), format!("{p}.{a}_ln.bias")])
        .collect()
    };
    let mlp = |p: &str| -> Vec<String> {
        [
            "mlp_ln.weight",
            "mlp_ln.bias",
            "mlp.0.weight",
            "mlp.0.bias",
            "mlp.2.weight",
            "mlp.2.bias",
        ]
        .iter()
        .map(|s| format!("{p}.{s}"))
        .collect()
    };
    for i in 0..h.n_audio_layer.max(0) {
        let p = format!("encoder.blocks.{i}");
        attn(&p, "attn").into_iter().for_each(&mut add);
        mlp(&p).into_iter().for_each(&mut add);
    }
    for i in 0..h.n_text_layer.max(0) {
        let p = format!("decoder.blocks.{i}");
        attn(&p, "attn").into_iter().for_each(&mut add);
        attn(&p, "cross_attn").into_iter().for_each(&mut add);
        mlp(&p).into_iter().for_each(&mut add);
    }
    names
}

/// Writes a GGML whisper file: header, filters and vocabulary at
/// construction, then one [`GgmlWriter::tensor`] call per tensor.
pub struct GgmlWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> GgmlWriter<W> {
    /// Writes the header, the `n_mels x n_bins` mel filters (row-major)
    /// and the regular tokens' byte strings.
    pub fn new(
        mut out: W,
        hparams: &Hparams,
        filters: &[f32],
        n_bins: usize,
        tokens: &[Vec<u8>],
    ) -> io::Result<Self> {
        let mut head = Vec::new();
        head.extend_from_slice(&MAGIC.to_le_bytes());
        for v in hparams.to_array() {
            head.extend_from_slice(&v.to_le_bytes());
        }
        let n_mel = filters.len().checked_div(n_bins).unwrap_or(0);
        head.extend_from_slice(&(n_mel as i32).to_le_bytes());
        head.extend_from_slice(&(n_bins as i32).to_le_bytes());
        for f in filters {
            head.extend_from_slice(&f.to_le_bytes());
        }
        head.extend_from_slice(&(tokens.len() as i32).to_le_bytes());
        for t in tokens {
            head.extend_from_slice(&(t.len() as u32).to_le_bytes());
            head.extend_from_slice(t);
        }
        out.write_all(&head)?;
        Ok(GgmlWriter {
            out,
            buf: Vec::new(),
        })
    }

    /// Writes one tensor. `shape` is outermost first (as in PyTorch);
    /// the file stores it innermost first. `data` is row-major.
    pub fn tensor(
        &mut self,
        name: &str,
        shape: &[usize],
        ty: TensorType,
        data: &[f32],
    ) -> io::Result<()> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{name}: shape {shape:?} does not match {} values",
                    data.len()
                ),
            ));
        }
        self.buf.clear();
        self.buf
            .extend_from_slice(&(shape.len() as i32).to_le_bytes());
        self.buf
            .extend_from_slice(&(name.len() as i32).to_le_bytes());
        self.buf.extend_from_slice(&ty.code().to_le_bytes());
        for d in shape.iter().rev() {
            self.buf.extend_from_slice(&(*d as i32).to_le_bytes());
        }
        self.buf.extend_from_slice(name.as_bytes());
        match ty {
            TensorType::F32 => {
                for v in data {
                    self.buf.extend_from_slice(&v.to_le_bytes());
                }
            }
            TensorType::F16 => {
                for v in data {
                    self.buf.extend_from_slice(&f16::from_f32(*v).to_le_bytes());
                }
            }
        }
        self.out.write_all(&self.buf)
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What [`check`] learned about a model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The header.
    pub hparams: Hparams,
    /// Number of regular tokens stored.
    pub n_tokens: usize,
    /// Number of tensors stored.
    pub n_tensors: usize,
}

fn read_i32<R: Read>(r: &mut R, what: &str) -> Result<i32, ModelError> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(|e| eof(e, what))?;
    Ok(i32::from_le_bytes(b))
}

fn eof(e: io::Error, what: &str) -> ModelError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        ModelError::Truncated {
            what: what.to_string(),
        }
    } else {
        ModelError::Read(e)
    }
}

/// Skips `n` bytes, failing if the file is shorter than that.
fn skip<R: Read + Seek>(r: &mut R, n: u64, len: u64, what: &str) -> Result<(), ModelError> {
    let pos = r.stream_position().map_err(ModelError::Read)?;
    match pos.checked_add(n) {
        Some(end) if end <= len => {
            r.seek(SeekFrom::Start(end)).map_err(ModelError::Read)?;
            Ok(())
        }
        _ => Err(ModelError::Truncated {
            what: what.to_string(),
        }),
    }
}

/// Walks a whole GGML whisper file and checks every record: magic,
/// header ranges, filter and vocabulary sizes, each tensor's name, type
/// and size, and that exactly the expected tensors are present.
pub fn check<R: Read + Seek>(r: &mut R) -> Result<ModelInfo, ModelError> {
    let len = r.seek(SeekFrom::End(0)).map_err(ModelError::Read)?;
    r.seek(SeekFrom::Start(0)).map_err(ModelError::Read)?;
    let mut magic = [0u8; 4];
    if r.read_exact(&mut magic).is_err() || u32::from_le_bytes(magic) != MAGIC {
        return Err(ModelError::NotGgml);
    }
    let mut a = [0i32; 11];
    for v in a.iter_mut() {
        *v = read_i32(r, "the header")?;
    }
    let hparams = Hparams::from_array(a);
    hparams.validate()?;

    let n_mel = read_i32(r, "the mel filters")?;
    let n_bins = read_i32(r, "the mel filters")?;
    if n_mel != hparams.n_mels || !(1..=4096).contains(&n_bins) {
        return Err(ModelError::BadGgml(format!(
            "mel filter bank is {n_mel} x {n_bins} for {} mels",
            hparams.n_mels
        )));
    }
    skip(r, 4 * n_mel as u64 * n_bins as u64, len, "the mel filters")?;

    let n_tokens = read_i32(r, "the vocabulary")?;
    if !(0..=hparams.n_vocab).contains(&n_tokens) {
        return Err(ModelError::BadGgml(format!(
            "{n_tokens} tokens for a vocabulary of {}",
            hparams.n_vocab
        )));
    }
    for _ in 0..n_tokens {
        let n = read_i32(r, "the vocabulary")? as u32;
        if n > 1024 {
            return Err(ModelError::BadGgml(format!("a token of {n} bytes")));
        }
        skip(r, u64::from(n), len, "the vocabulary")?;
    }

    let expected = expected_tensor_names(&hparams);
    let mut seen = BTreeSet::new();
    loop {
        let pos = r.stream_position().map_err(ModelError::Read)?;
        if pos == len {
            break;
        }
        let what = format!("tensor record {}", seen.len() + 1);
        let n_dims = read_i32(r, &what)?;
        let name_len = read_i32(r, &what)?;
        let ttype = read_i32(r, &what)?;
        if !(1..=4).contains(&n_dims) || !(1..=256).contains(&name_len) {
            return Err(ModelError::BadGgml(format!(
                "{what} has a malformed header"
            )));
        }
        let (block_bytes, block_len) = tensor_type_size(ttype)
            .ok_or_else(|| ModelError::BadGgml(format!("{what} has unknown type {ttype}")))?;
        let mut n: u64 = 1;
        for _ in 0..n_dims {
            let d = read_i32(r, &what)?;
            if d < 1 {
                return Err(ModelError::BadGgml(format!("{what} has dimension {d}")));
            }
            n = n.saturating_mul(d as u64);
        }
        let mut name = vec![0u8; name_len as usize];
        r.read_exact(&mut name).map_err(|e| eof(e, &what))?;
        let name = String::from_utf8(name)
            .map_err(|_| ModelError::BadGgml(format!("{what} has a non-UTF-8 name")))?;
        if !expected.contains(&name) {
            return Err(ModelError::BadGgml(format!("unexpected tensor {name}")));
        }
        if !seen.insert(name.clone()) {
            return Err(ModelError::BadGgml(format!("tensor {name} appears twice")));
        }
        if !n.is_multiple_of(block_len) {
            return Err(ModelError::BadGgml(format!(
                "tensor {name} does not fill whole blocks"
            )));
        }
        let bytes = (n / block_len).saturating_mul(block_bytes);
        skip(r, bytes, len, &format!("tensor {name}"))?;
    }
    if let Some(missing) = expected.difference(&seen).next() {
        return Err(ModelError::Truncated {
            what: format!(
                "the tensors ({} of {} present; {missing} missing)",
                seen.len(),
                expected.len()
            ),
        });
    }
    Ok(ModelInfo {
        hparams,
        n_tokens: n_tokens as usize,
        n_tensors: seen.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn tiny_hparams() -> Hparams {
        Hparams {
            n_vocab: 8,
            n_audio_ctx: 2,
            n_audio_state: 4,
            n_audio_head: 2,
            n_audio_layer: 1,
            n_text_ctx: 2,
            n_text_state: 4,
            n_text_head: 2,
            n_text_layer: 1,
            n_mels: 2,
            ftype: FTYPE_F16,
        }
    }

    fn write_model(h: &Hparams) -> Vec<u8> {
        let filters = vec![0.5f32; 2 * 3];
        let tokens = vec![b"a".to_vec(), b" b".to_vec()];
        let mut w = GgmlWriter::new(Vec::new(), h, &filters, 3, &tokens).unwrap();
        for name in expected_tensor_names(h) {
            w.tensor(&name, &[2, 2], TensorType::F16, &[1.0, 2.0, 3.0, 4.0])
                .unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn a_written_model_passes_the_check() {
        let h = tiny_hparams();
        let bytes = write_model(&h);
        let info = check(&mut Cursor::new(&bytes)).unwrap();
        assert_eq!(info.hparams, h);
        assert_eq!(info.n_tokens, 2);
        // 11 top-level, 15 per encoder layer, 24 per decoder layer.
        assert_eq!(info.n_tensors, 11 + 15 + 24);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = write_model(&tiny_hparams());
        for cut in (0..bytes.len()).step_by(7) {
            let r = check(&mut Cursor::new(&bytes[..cut]));
            assert!(r.is_err(), "cut at {cut} passed");
        }
    }

    #[test]
    fn garbage_and_bad_headers_are_rejected() {
        assert!(matches!(
            check(&mut Cursor::new(b"RIFF....WAVEfmt ".to_vec())),
            Err(ModelError::NotGgml)
        ));
        let mut h = tiny_hparams();
        h.n_audio_head = 3;
        assert!(matches!(
            check(&mut Cursor::new(write_model(&h))),
            Err(ModelError::BadGgml(_))
        ));
        let mut bytes = write_model(&tiny_hparams());
        bytes.extend_from_slice(&[1, 2, 3]);
        assert!(check(&mut Cursor::new(bytes)).is_err());
    }
}
