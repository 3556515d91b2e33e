//! Reader for CTranslate2 Whisper models (what faster-whisper uses):
//! the `model.bin` variable store and the vocabulary files beside it.
//!
//! This module owns the CTranslate2 byte layout and the GPT-2 byte-level
//! token spelling. It parses byte slices handed to it and never opens a
//! file; it knows nothing about GGML or whisper.cpp.
//!
//! `model.bin` (little-endian, binary versions 4 to 6):
//!
//! ```text
//! u32 version | str spec | u32 revision | u32 n_vars
//! n_vars x ( str name | u8 rank | u32 dims[rank] | u8 dtype | u32 n_bytes | data )
//! u32 n_aliases | n_aliases x ( str alias | str target )
//! str = u16 length (including a trailing NUL) | bytes
//! ```

use std::collections::BTreeMap;

use half::{bf16, f16};

use super::error::ModelError;

/// Oldest binary version with per-variable type codes.
const MIN_VERSION: u32 = 4;
/// Newest binary version this reader knows.
const MAX_VERSION: u32 = 6;
/// Spec name of Whisper models.
const WHISPER_SPEC: &str = "WhisperSpec";
/// Marks the end of the regular BPE tokens in Whisper vocabularies.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// Element type of a stored variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float.
    F32,
    /// 8-bit integer (quantised weights, or flags).
    I8,
    /// 16-bit integer (quantised weights, or small scalars).
    I16,
    /// 32-bit integer.
    I32,
    /// IEEE half float.
    F16,
    /// bfloat16.
    BF16,
}

impl DType {
    fn from_code(code: u8) -> Option<DType> {
        Some(match code {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

/// One stored variable, borrowing its data from the model bytes.
#[derive(Debug, Clone)]
pub struct Variable<'a> {
    /// Dimensions, outermost first (row-major).
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Raw little-endian element data.
    pub data: &'a [u8],
}

impl Variable<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.size()
    }

    /// True when the variable holds no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Elements widened to `f64` without any scaling (integers as-is).
    fn raw_values(&self) -> impl Iterator<Item = f64> + '_ {
        let size = self.dtype.size();
        let dtype = self.dtype;
        self.data.chunks_exact(size).map(move |b| match dtype {
            DType::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DType::I8 => f64::from(b[0] as i8),
            DType::I16 => f64::from(i16::from_le_bytes([b[0], b[1]])),
            DType::I32 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DType::F16 => f64::from(f16::from_le_bytes([b[0], b[1]]).to_f32()),
            DType::BF16 => f64::from(bf16::from_le_bytes([b[0], b[1]]).to_f32()),
        })
    }

    /// The single value of a scalar variable, as an integer.
    pub fn scalar(&self) -> Option<i64> {
        if self.len() != 1 {
            return None;
        }
        self.raw_values().next().map(|v| v as i64)
    }
}

/// A parsed `model.bin`: its spec and variables by name.
#[derive(Debug)]
pub struct Ct2Model<'a> {
    /// Spec name, e.g. `WhisperSpec`.
    pub spec: String,
    /// Binary format version.
    pub version: u32,
    variables: BTreeMap<String, Variable<'a>>,
    aliases: BTreeMap<String, String>,
}

/// Bounds-checked little-endian reader over a byte slice.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| ModelError::Truncated {
                what: what.to_string(),
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, ModelError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self, what: &str) -> Result<String, ModelError> {
        let n = usize::from(self.u16(what)?);
        let raw = self.take(n, what)?;
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        String::from_utf8(raw.to_vec())
            .map_err(|_| ModelError::NotCt2(format!("{what} is not UTF-8 text")))
    }
}

impl<'a> Ct2Model<'a> {
    /// Parses `model.bin` bytes. Only Whisper models are accepted.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ModelError> {
        let mut c = Cursor { bytes, pos: 0 };
        let version = c.u32("the version field")?;
        if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
            return Err(ModelError::NotCt2(format!(
                "model.bin starts with version {version}, expected {MIN_VERSION} to {MAX_VERSION}"
            )));
        }
        let spec = c.string("the spec name")?;
        if spec != WHISPER_SPEC {
            return Err(ModelError::NotWhisper { spec });
        }
        let _revision = c.u32("the spec revision")?;
        let n_vars = c.u32("the variable count")?;
        let mut variables = BTreeMap::new();
        for i in 0..n_vars {
            let what = format!("variable {i} of {n_vars}");
            let name = c.string(&what)?;
            let rank = c.u8(&what)?;
            let mut shape = Vec::with_capacity(usize::from(rank));
            for _ in 0..rank {
                shape.push(c.u32(&what)? as usize);
            }
            let code = c.u8(&what)?;
            let dtype = DType::from_code(code).ok_or_else(|| ModelError::BadVariable {
                name: name.clone(),
                reason: format!("unknown element type code {code}"),
            })?;
            let n_bytes = c.u32(&what)? as usize;
            let expected = shape
                .iter()
                .try_fold(dtype.size(), |acc, d| acc.checked_mul(*d));
            if expected != Some(n_bytes) {
                return Err(ModelError::BadVariable {
                    name,
                    reason: format!("{n_bytes} bytes do not fit shape {shape:?}"),
                });
            }
            let data = c.take(n_bytes, &format!("variable {name}"))?;
            variables.insert(name, Variable { shape, dtype, data });
        }
        let mut aliases = BTreeMap::new();
        let n_aliases = c.u32("the alias count")?;
        for _ in 0..n_aliases {
            let alias = c.string("an alias")?;
            let target = c.string("an alias")?;
            aliases.insert(alias, target);
        }
        Ok(Ct2Model {
            spec,
            version,
            variables,
            aliases,
        })
    }

    /// A variable by name (aliases followed).
    pub fn get(&self, name: &str) -> Option<&Variable<'a>> {
        self.variables.get(name).or_else(|| {
            self.aliases
                .get(name)
                .and_then(|target| self.variables.get(target))
        })
    }

    /// A variable by name, or [`ModelError::MissingVariable`].
    pub fn require(&self, name: &str) -> Result<&Variable<'a>, ModelError> {
        self.get(name)
            .ok_or_else(|| ModelError::MissingVariable(name.to_string()))
    }

    /// All variable names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.variables.keys().map(String::as_str)
    }

    /// A weight as `f32` values with its shape. Integer (quantised)
    /// weights are divided by their `<name>_scale` companion: one scale
    /// per output row, or a single scale for the whole tensor.
    pub fn weight_f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        let var = self.require(name)?;
        let values: Vec<f32> = match var.dtype {
            DType::F32 | DType::F16 | DType::BF16 => var.raw_values().map(|v| v as f32).collect(),
            DType::I8 | DType::I16 | DType::I32 => {
                let scale_name = format!("{name}_scale");
                let scale = self
                    .get(&scale_name)
                    .ok_or_else(|| ModelError::BadVariable {
                        name: name.to_string(),
                        reason: format!("quantised weight without {scale_name}"),
                    })?;
                let scales: Vec<f64> = scale.raw_values().collect();
                let rows = var.shape.first().copied().unwrap_or(1).max(1);
                let per_row = var.len() / rows;
                if scales.len() != 1 && scales.len() != rows {
                    return Err(ModelError::BadVariable {
                        name: scale_name,
                        reason: format!("{} scales for {rows} rows", scales.len()),
                    });
                }
                if scales.iter().any(|s| *s == 0.0 || !s.is_finite()) {
                    return Err(ModelError::BadVariable {
                        name: scale_name,
                        reason: "zero or non-finite scale".to_string(),
                    });
                }
                var.raw_values()
                    .enumerate()
                    .map(|(i, q)| {
                        let s = if scales.len() == 1 {
                            scales[0]
                        } else {
                            scales[i / per_row.max(1)]
                        };
                        (q / s) as f32
                    })
                    .collect()
            }
        };
        Ok((var.shape.clone(), values))
    }
}

/// Tokens of `vocabulary.txt`: one per line, in id order.
pub fn vocabulary_from_txt(bytes: &[u8]) -> Result<Vec<String>, ModelError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ModelError::BadVocabulary("vocabulary.txt is not UTF-8".to_string()))?;
    Ok(text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect())
}

/// Tokens of `vocabulary.json`: a JSON array of strings in id order.
pub fn vocabulary_from_json(bytes: &[u8]) -> Result<Vec<String>, ModelError> {
    serde_json::from_slice::<Vec<String>>(bytes)
        .map_err(|e| ModelError::BadVocabulary(format!("vocabulary.json: {e}")))
}

/// Tokens of a Hugging Face `tokenizer.json`: `model.vocab` (token to
/// id) plus `added_tokens`, laid out in id order.
pub fn vocabulary_from_tokenizer_json(bytes: &[u8]) -> Result<Vec<String>, ModelError> {
    let bad = |m: &str| ModelError::BadVocabulary(format!("tokenizer.json: {m}"));
    let root: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
    let vocab = root
        .pointer("/model/vocab")
        .and_then(|v| v.as_object())
        .ok_or_else(|| bad("no model.vocab object"))?;
    let mut by_id: BTreeMap<u64, String> = BTreeMap::new();
    for (token, id) in vocab {
        let id = id
            .as_u64()
            .ok_or_else(|| bad("a token id is not a number"))?;
        by_id.insert(id, token.clone());
    }
    if let Some(added) = root.get("added_tokens").and_then(|v| v.as_array()) {
        for t in added {
            if let (Some(id), Some(content)) = (
                t.get("id").and_then(|v| v.as_u64()),
                t.get("content").and_then(|v| v.as_str()),
            ) {
                by_id.insert(id, content.to_string());
            }
        }
    }
    let mut out = Vec::with_capacity(by_id.len());
    for (expected, (id, token)) in by_id.into_iter().enumerate() {
        if id != expected as u64 {
            return Err(bad(&format!("token ids skip from {expected} to {id}")));
        }
        out.push(token);
    }
    Ok(out)
}

/// The byte strings of the regular BPE tokens: every token before
/// [`END_OF_TEXT`], with GPT-2's printable byte spelling undone.
pub fn regular_token_bytes(tokens: &[String]) -> Result<Vec<Vec<u8>>, ModelError> {
    let end = tokens
        .iter()
        .position(|t| t == END_OF_TEXT)
        .ok_or_else(|| ModelError::BadVocabulary(format!("no {END_OF_TEXT} token")))?;
    Ok(tokens[..end].iter().map(|t| token_bytes(t)).collect())
}

/// Undoes GPT-2's byte-to-character mapping for one token. Characters
/// outside the mapping (never seen in Whisper's regular tokens) keep
/// their UTF-8 bytes.
pub fn token_bytes(token: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    for ch in token.chars() {
        match char_to_byte(ch) {
            Some(b) => out.push(b),
            None => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out
}

/// Bytes GPT-2 spells as themselves: printable Latin-1 except the soft
/// hyphen.
fn printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// GPT-2's inverse mapping: printable bytes are their own character; the
/// other 68 bytes are spelled U+0100 onwards, in byte order.
fn char_to_byte(ch: char) -> Option<u8> {
    let c = ch as u32;
    if c < 256 {
        let b = c as u8;
        return printable(b).then_some(b);
    }
    let index = c - 256;
    (0..=255u8).filter(|b| !printable(*b)).nth(index as usize)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Serialises variables in the CTranslate2 layout, for tests.
    pub(crate) fn build_model_bin(
        spec: &str,
        vars: &[(&str, &[usize], DType, Vec<u8>)],
        aliases: &[(&str, &str)],
    ) -> Vec<u8> {
        fn s(out: &mut Vec<u8>, text: &str) {
            out.extend_from_slice(&((text.len() + 1) as u16).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
            out.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&6u32.to_le_bytes());
        s(&mut out, spec);
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
        for (name, shape, dtype, data) in vars {
            s(&mut out, name);
            out.push(shape.len() as u8);
            for d in *shape {
                out.extend_from_slice(&(*d as u32).to_le_bytes());
            }
            out.push(match dtype {
                DType::F32 => 0,
                DType::I8 => 1,
                DType::I16 => 2,
                DType::I32 => 3,
                DType::F16 => 4,
                DType::BF16 => 5,
            });
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        out.extend_from_slice(&(aliases.len() as u32).to_le_bytes());
        for (a, t) in aliases {
            s(&mut out, a);
            s(&mut out, t);
        }
        out
    }

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn parses_variables_and_aliases() {
        let bin = build_model_bin(
            WHISPER_SPEC,
            &[(
                "a/weight",
                &[2, 2],
                DType::F32,
                f32_bytes(&[1.0, 2.0, 3.0, 4.0]),
            )],
            &[("b/weight", "a/weight")],
        );
        let m = Ct2Model::parse(&bin).unwrap();
        let (shape, v) = m.weight_f32("b/weight").unwrap();
        assert_eq!(shape, vec![2, 2]);
        assert_eq!(v, vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn int8_weights_are_divided_by_their_row_scale() {
        let q: Vec<u8> = [127i8, -64, 10, 20].iter().map(|x| *x as u8).collect();
        let bin = build_model_bin(
            WHISPER_SPEC,
            &[
                ("w", &[2, 2], DType::I8, q),
                ("w_scale", &[2], DType::F32, f32_bytes(&[127.0, 10.0])),
            ],
            &[],
        );
        let m = Ct2Model::parse(&bin).unwrap();
        let (_, v) = m.weight_f32("w").unwrap();
        assert_eq!(v, vec![1.0, -64.0 / 127.0, 1.0, 2.0]);
    }

    #[test]
    fn quantised_weight_without_scale_is_an_error() {
        let bin = build_model_bin(WHISPER_SPEC, &[("w", &[1], DType::I8, vec![1])], &[]);
        let m = Ct2Model::parse(&bin).unwrap();
        assert!(matches!(
            m.weight_f32("w"),
            Err(ModelError::BadVariable { .. })
        ));
    }

    #[test]
    fn truncation_anywhere_is_reported_not_panicked() {
        let bin = build_model_bin(
            WHISPER_SPEC,
            &[("a", &[3], DType::F32, f32_bytes(&[1.0, 2.0, 3.0]))],
            &[("b", "a")],
        );
        for cut in 0..bin.len() {
            let r = Ct2Model::parse(&bin[..cut]);
            assert!(
                matches!(r, Err(ModelError::Truncated { .. })),
                "cut at {cut}: {r:?}"
            );
        }
    }

    #[test]
    fn other_specs_and_garbage_are_rejected() {
        let bin = build_model_bin("TransformerSpec", &[], &[]);
        assert!(matches!(
            Ct2Model::parse(&bin),
            Err(ModelError::NotWhisper { .. })
        ));
        assert!(matches!(
            Ct2Model::parse(b"RIFF\x24\x00\x00\x00WAVEfmt "),
            Err(ModelError::NotCt2(_))
        ));
    }

    #[test]
    fn gpt2_byte_spelling_is_undone() {
        assert_eq!(token_bytes("Ġthe"), b" the");
        assert_eq!(token_bytes("Ċ"), b"\n");
        assert_eq!(token_bytes("hello"), b"hello");
        // U+0100 is byte 0.
        assert_eq!(token_bytes("\u{100}"), vec![0]);
        // Every byte has exactly one spelling.
        let mut seen = [false; 256];
        for c in (0u32..256).chain(256..256 + 68) {
            if let Some(b) = char::from_u32(c).and_then(char_to_byte) {
                assert!(!seen[b as usize]);
                seen[b as usize] = true;
            }
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn vocabularies_stop_at_end_of_text() {
        let txt = b"a\nb\n<|endoftext|>\n<|startoftranscript|>";
        let toks = vocabulary_from_txt(txt).unwrap();
        assert_eq!(
            regular_token_bytes(&toks).unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        let json = br#"{"model":{"vocab":{"b":1,"a":0}},"added_tokens":[{"id":2,"content":"<|endoftext|>"}]}"#;
        let toks = vocabulary_from_tokenizer_json(json).unwrap();
        assert_eq!(toks, vec!["a", "b", "<|endoftext|>"]);
        assert!(regular_token_bytes(&["a".to_string()]).is_err());
    }
}
