//! Conversion of a CTranslate2 Whisper model into whisper.cpp's GGML
//! file.
//!
//! This module owns the mapping between the two layouts (tensor names,
//! splitting of fused projections, which tensors stay f32). [`convert`]
//! is pure: bytes in, GGML out through a `Write`. [`import_dir`] is the
//! only function here that touches the file system; it reads a model
//! directory and writes the result atomically.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::ct2::{self, Ct2Model};
use super::error::ModelError;
use super::ggml::{self, FTYPE_F16, GgmlWriter, Hparams, TensorType};
use super::mel;

/// Sample rate whisper models are trained on.
const SAMPLE_RATE: u32 = 16_000;
/// FFT size of whisper's mel front end.
const N_FFT: usize = 400;

/// What an import produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The header written.
    pub hparams: Hparams,
    /// Regular tokens written.
    pub n_tokens: usize,
    /// Tensors written.
    pub n_tensors: usize,
    /// Source weights that were integer-quantised and de-quantised.
    pub dequantised: usize,
}

/// Writes tensors, counting them and the de-quantised ones.
struct Emitter<'m, 'a, W: Write> {
    model: &'m Ct2Model<'a>,
    out: GgmlWriter<W>,
    n_tensors: usize,
    dequantised: usize,
}

/// How a source weight is laid out in the GGML file.
#[derive(Clone, Copy)]
enum Store {
    /// f16 when it has two or more dimensions, f32 otherwise.
    Auto,
    /// Always f32 (positional embeddings).
    F32,
    /// A 1-D bias stored as `[n, 1]` f32 (conv biases).
    Column,
}

impl<W: Write> Emitter<'_, '_, W> {
    fn load(&mut self, src: &str) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        if let Some(v) = self.model.get(src)
            && !matches!(
                v.dtype,
                ct2::DType::F32 | ct2::DType::F16 | ct2::DType::BF16
            )
        {
            self.dequantised += 1;
        }
        self.model.weight_f32(src)
    }

    fn write(
        &mut self,
        dst: &str,
        shape: &[usize],
        store: Store,
        data: &[f32],
    ) -> Result<(), ModelError> {
        let (shape, ty) = match store {
            Store::Column => (vec![data.len(), 1], TensorType::F32),
            Store::F32 => (shape.to_vec(), TensorType::F32),
            Store::Auto if shape.len() >= 2 => (shape.to_vec(), TensorType::F16),
            Store::Auto => (shape.to_vec(), TensorType::F32),
        };
        self.out
            .tensor(dst, &shape, ty, data)
            .map_err(ModelError::Write)?;
        self.n_tensors += 1;
        Ok(())
    }

    /// Copies one weight under a new name.
    fn copy(&mut self, src: &str, dst: &str, store: Store) -> Result<(), ModelError> {
        let (shape, data) = self.load(src)?;
        self.write(dst, &shape, store, &data)
    }

    /// Splits a fused weight into equal parts along its first dimension
    /// and writes each part under its name; `None` drops a part.
    fn split(&mut self, src: &str, dsts: &[Option<String>]) -> Result<(), ModelError> {
        let (shape, data) = self.load(src)?;
        let rows = shape.first().copied().unwrap_or(0);
        if rows == 0 || rows % dsts.len() != 0 {
            return Err(ModelError::BadVariable {
                name: src.to_string(),
                reason: format!("shape {shape:?} cannot be split in {}", dsts.len()),
            });
        }
        let mut part_shape = shape.clone();
        part_shape[0] = rows / dsts.len();
        let part_len = data.len() / dsts.len();
        for (i, dst) in dsts.iter().enumerate() {
            if let Some(dst) = dst {
                let part = &data[i * part_len..(i + 1) * part_len];
                self.write(dst, &part_shape, Store::Auto, part)?;
            }
        }
        Ok(())
    }

    /// A linear layer's weight and bias.
    fn linear(&mut self, src: &str, dst: &str) -> Result<(), ModelError> {
        self.copy(
            &format!("{src}/weight"),
            &format!("{dst}.weight"),
            Store::Auto,
        )?;
        self.copy(&format!("{src}/bias"), &format!("{dst}.bias"), Store::Auto)
    }

    /// A layer norm's gamma and beta.
    fn norm(&mut self, src: &str, dst: &str) -> Result<(), ModelError> {
        self.copy(
            &format!("{src}/gamma"),
            &format!("{dst}.weight"),
            Store::Auto,
        )?;
        self.copy(&format!("{src}/beta"), &format!("{dst}.bias"), Store::Auto)
    }

    /// Self-attention: fused q/k/v, output projection, pre-norm.
    fn self_attention(&mut self, src: &str, dst: &str) -> Result<(), ModelError> {
        self.norm(&format!("{src}/layer_norm"), &format!("{dst}.attn_ln"))?;
        let names = |suffix: &str, key: bool| {
            vec![
                Some(format!("{dst}.attn.query.{suffix}")),
                key.then(|| format!("{dst}.attn.key.{suffix}")),
                Some(format!("{dst}.attn.value.{suffix}")),
            ]
        };
        self.split(&format!("{src}/linear_0/weight"), &names("weight", true))?;
        // whisper's key projection has no bias; CTranslate2 stores zeros.
        self.split(&format!("{src}/linear_0/bias"), &names("bias", false))?;
        self.linear(&format!("{src}/linear_1"), &format!("{dst}.attn.out"))
    }

    /// Cross-attention: query, fused k/v, output projection, pre-norm.
    fn cross_attention(&mut self, src: &str, dst: &str) -> Result<(), ModelError> {
        self.norm(
            &format!("{src}/layer_norm"),
            &format!("{dst}.cross_attn_ln"),
        )?;
        self.linear(
            &format!("{src}/linear_0"),
            &format!("{dst}.cross_attn.query"),
        )?;
        self.split(
            &format!("{src}/linear_1/weight"),
            &[
                Some(format!("{dst}.cross_attn.key.weight")),
                Some(format!("{dst}.cross_attn.value.weight")),
            ],
        )?;
        self.split(
            &format!("{src}/linear_1/bias"),
            &[None, Some(format!("{dst}.cross_attn.value.bias"))],
        )?;
        self.linear(&format!("{src}/linear_2"), &format!("{dst}.cross_attn.out"))
    }

    fn ffn(&mut self, src: &str, dst: &str) -> Result<(), ModelError> {
        self.norm(&format!("{src}/layer_norm"), &format!("{dst}.mlp_ln"))?;
        self.linear(&format!("{src}/linear_0"), &format!("{dst}.mlp.0"))?;
        self.linear(&format!("{src}/linear_1"), &format!("{dst}.mlp.2"))
    }
}

/// Dimension `i` of a variable of known rank, or a clear error.
fn dim(model: &Ct2Model<'_>, name: &str, rank: usize, i: usize) -> Result<usize, ModelError> {
    let v = model.require(name)?;
    if v.shape.len() != rank {
        return Err(ModelError::BadVariable {
            name: name.to_string(),
            reason: format!("expected {rank} dimensions, found shape {:?}", v.shape),
        });
    }
    Ok(v.shape[i])
}

fn count_layers(model: &Ct2Model<'_>, side: &str) -> usize {
    (0..)
        .take_while(|i| {
            model
                .get(&format!("{side}/layer_{i}/ffn/linear_0/weight"))
                .is_some()
        })
        .count()
}

fn to_i32(v: usize, what: &str) -> Result<i32, ModelError> {
    i32::try_from(v).map_err(|_| ModelError::BadVariable {
        name: what.to_string(),
        reason: format!("{v} is too large"),
    })
}

/// Reads the header values from the model's shapes.
fn hparams(model: &Ct2Model<'_>) -> Result<Hparams, ModelError> {
    let conv1 = "encoder/conv1/weight";
    let d = dim(model, conv1, 3, 0)?;
    let n_mels = dim(model, conv1, 3, 1)?;
    let n_audio_ctx = dim(model, "encoder/position_encodings/encodings", 2, 0)?;
    let n_text_ctx = dim(model, "decoder/position_encodings/encodings", 2, 0)?;
    let n_vocab = dim(model, "decoder/embeddings/weight", 2, 0)?;
    let heads = |side: &str| {
        model
            .get(&format!("{side}/num_heads"))
            .and_then(|v| v.scalar())
            .and_then(|h| usize::try_from(h).ok())
            .filter(|h| *h > 0)
            // Every released Whisper size uses 64-wide heads.
            .unwrap_or(d / 64)
    };
    let (enc_layers, dec_layers) = (
        count_layers(model, "encoder"),
        count_layers(model, "decoder"),
    );
    if enc_layers == 0 || dec_layers == 0 {
        return Err(ModelError::MissingVariable(
            "encoder/layer_0 or decoder/layer_0".to_string(),
        ));
    }
    Ok(Hparams {
        n_vocab: to_i32(n_vocab, "decoder/embeddings/weight")?,
        n_audio_ctx: to_i32(n_audio_ctx, "encoder/position_encodings")?,
        n_audio_state: to_i32(d, conv1)?,
        n_audio_head: to_i32(heads("encoder"), "encoder/num_heads")?,
        n_audio_layer: to_i32(enc_layers, "encoder layers")?,
        n_text_ctx: to_i32(n_text_ctx, "decoder/position_encodings")?,
        n_text_state: to_i32(d, conv1)?,
        n_text_head: to_i32(heads("decoder"), "decoder/num_heads")?,
        n_text_layer: to_i32(dec_layers, "decoder layers")?,
        n_mels: to_i32(n_mels, conv1)?,
        ftype: FTYPE_F16,
    })
}

/// Converts a CTranslate2 Whisper model to GGML.
///
/// `config_json` is the directory's config.json (checked to be JSON),
/// `model_bin` its model.bin, `tokens` the vocabulary in id order (see
/// the `ct2::vocabulary_from_*` readers). Big weights are written as f16,
/// vectors and positional embeddings as f32; integer-quantised weights
/// are de-quantised first.
pub fn convert<W: Write>(
    config_json: &[u8],
    model_bin: &[u8],
    tokens: &[String],
    out: W,
) -> Result<ImportSummary, ModelError> {
    let config: serde_json::Value =
        serde_json::from_slice(config_json).map_err(|e| ModelError::BadConfig(e.to_string()))?;
    if !config.is_object() {
        return Err(ModelError::BadConfig("not a JSON object".to_string()));
    }
    let model = Ct2Model::parse(model_bin)?;
    let hparams = hparams(&model)?;
    let token_bytes = ct2::regular_token_bytes(tokens)?;
    if token_bytes.len() > hparams.n_vocab as usize {
        return Err(ModelError::BadVocabulary(format!(
            "{} regular tokens for an embedding of {}",
            token_bytes.len(),
            hparams.n_vocab
        )));
    }
    let n_mels = hparams.n_mels as usize;
    let filters = mel::mel_filters(SAMPLE_RATE, N_FFT, n_mels);
    let writer = GgmlWriter::new(out, &hparams, &filters, mel::n_bins(N_FFT), &token_bytes)
        .map_err(ModelError::Write)?;
    let mut e = Emitter {
        model: &model,
        out: writer,
        n_tensors: 0,
        dequantised: 0,
    };

    for conv in ["conv1", "conv2"] {
        e.copy(
            &format!("encoder/{conv}/weight"),
            &format!("encoder.{conv}.weight"),
            Store::Auto,
        )?;
        e.copy(
            &format!("encoder/{conv}/bias"),
            &format!("encoder.{conv}.bias"),
            Store::Column,
        )?;
    }
    e.copy(
        "encoder/position_encodings/encodings",
        "encoder.positional_embedding",
        Store::F32,
    )?;
    for i in 0..hparams.n_audio_layer {
        let (src, dst) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
        e.self_attention(&format!("{src}/self_attention"), &dst)?;
        e.ffn(&format!("{src}/ffn"), &dst)?;
    }
    e.norm("encoder/layer_norm", "encoder.ln_post")?;

    e.copy(
        "decoder/embeddings/weight",
        "decoder.token_embedding.weight",
        Store::Auto,
    )?;
    e.copy(
        "decoder/position_encodings/encodings",
        "decoder.positional_embedding",
        Store::F32,
    )?;
    for i in 0..hparams.n_text_layer {
        let (src, dst) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
        e.self_attention(&format!("{src}/self_attention"), &dst)?;
        e.cross_attention(&format!("{src}/attention"), &dst)?;
        e.ffn(&format!("{src}/ffn"), &dst)?;
    }
    e.norm("decoder/layer_norm", "decoder.ln")?;

    let (n_tensors, dequantised) = (e.n_tensors, e.dequantised);
    e.out.finish().map_err(ModelError::Write)?;
    Ok(ImportSummary {
        hparams,
        n_tokens: token_bytes.len(),
        n_tensors,
        dequantised,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// model.bin, or model.bin.part1, .part2, ... concatenated.
fn read_model_bin(dir: &Path) -> Result<Vec<u8>, ModelError> {
    let whole = dir.join("model.bin");
    if whole.is_file() {
        return read(&whole);
    }
    let mut bytes = Vec::new();
    let mut parts = 0;
    loop {
        let part = dir.join(format!("model.bin.part{}", parts + 1));
        if !part.is_file() {
            break;
        }
        bytes.extend_from_slice(&read(&part)?);
        parts += 1;
    }
    if parts == 0 {
        return Err(ModelError::MissingFile {
            name: "model.bin".to_string(),
        });
    }
    Ok(bytes)
}

/// The directory's vocabulary, from the first of vocabulary.txt,
/// vocabulary.json and tokenizer.json that exists.
fn read_vocabulary(dir: &Path) -> Result<Vec<String>, ModelError> {
    type Reader = fn(&[u8]) -> Result<Vec<String>, ModelError>;
    let readers: [(&str, Reader); 3] = [
        ("vocabulary.txt", ct2::vocabulary_from_txt),
        ("vocabulary.json", ct2::vocabulary_from_json),
        ("tokenizer.json", ct2::vocabulary_from_tokenizer_json),
    ];
    for (name, parse) in readers {
        let path = dir.join(name);
        if path.is_file() {
            return parse(&read(&path)?);
        }
    }
    Err(ModelError::MissingVocabulary)
}

/// Imports the CTranslate2 model directory `dir` into the GGML file
/// `output`. The file is written beside its final name and renamed into
/// place only after it passes [`ggml::check`], so a failed import never
/// leaves a half-written model where a good one is expected.
pub fn import_dir(dir: &Path, output: &Path) -> Result<ImportSummary, ModelError> {
    if !dir.is_dir() {
        return Err(ModelError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let config_path = dir.join("config.json");
    if !config_path.is_file() {
        return Err(ModelError::MissingFile {
            name: "config.json".to_string(),
        });
    }
    let config = read(&config_path)?;
    let model_bin = read_model_bin(dir)?;
    let tokens = read_vocabulary(dir)?;
    let tmp = temp_path(output);
    let io_err = |source| ModelError::Io {
        path: tmp.clone(),
        source,
    };
    let result = (|| {
        let file = File::create(&tmp).map_err(io_err)?;
        let summary = convert(&config, &model_bin, &tokens, BufWriter::new(file))?;
        let mut f = File::open(&tmp).map_err(io_err)?;
        ggml::check(&mut f)?;
        fs::rename(&tmp, output).map_err(|source| ModelError::Io {
            path: output.to_path_buf(),
            source,
        })?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `FILE.PID.partial` beside `FILE` (the process id keeps two imports
/// of the same model from writing into one file).
pub(crate) fn temp_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.partial", std::process::id()));
    output.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stt::ct2::DType;
    use crate::stt::ct2::tests::build_model_bin;
    use std::io::Cursor;

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    /// A one-layer Whisper-shaped model, width 4, 2 mels, with the big
    /// weights int8-quantised (scale 127 per row, so q=127 means 1.0).
    fn tiny_int8_model() -> Vec<u8> {
        let d = 4usize;
        let mut vars: Vec<(String, Vec<usize>, DType, Vec<u8>)> = Vec::new();
        let mut dense = |name: &str, rows: usize, cols: usize| {
            vars.push((
                format!("{name}/weight"),
                vec![rows, cols],
                DType::I8,
                (0..rows * cols).map(|i| (i % 128) as u8).collect(),
            ));
            vars.push((
                format!("{name}/weight_scale"),
                vec![rows],
                DType::F32,
                f32s(&vec![127.0; rows]),
            ));
            vars.push((
                format!("{name}/bias"),
                vec![rows],
                DType::F32,
                f32s(&vec![0.5; rows]),
            ));
        };
        for side in ["encoder", "decoder"] {
            let l = format!("{side}/layer_0");
            dense(&format!("{l}/self_attention/linear_0"), 3 * d, d);
            dense(&format!("{l}/self_attention/linear_1"), d, d);
            dense(&format!("{l}/ffn/linear_0"), 4 * d, d);
            dense(&format!("{l}/ffn/linear_1"), d, 4 * d);
        }
        dense("decoder/layer_0/attention/linear_0", d, d);
        dense("decoder/layer_0/attention/linear_1", 2 * d, d);
        dense("decoder/layer_0/attention/linear_2", d, d);
        let mut norms = vec![
            "encoder/layer_0/self_attention/layer_norm",
            "encoder/layer_0/ffn/layer_norm",
            "encoder/layer_norm",
            "decoder/layer_0/self_attention/layer_norm",
            "decoder/layer_0/attention/layer_norm",
            "decoder/layer_0/ffn/layer_norm",
            "decoder/layer_norm",
        ];
        for n in norms.drain(..) {
            vars.push((format!("{n}/gamma"), vec![d], DType::F32, f32s(&[1.0; 4])));
            vars.push((format!("{n}/beta"), vec![d], DType::F32, f32s(&[0.0; 4])));
        }
        for (conv, cin) in [("conv1", 2), ("conv2", d)] {
            vars.push((
                format!("encoder/{conv}/weight"),
                vec![d, cin, 3],
                DType::F32,
                f32s(&vec![0.25; d * cin * 3]),
            ));
            vars.push((
                format!("encoder/{conv}/bias"),
                vec![d],
                DType::F32,
                f32s(&[0.1; 4]),
            ));
        }
        for (side, ctx) in [("encoder", 6), ("decoder", 5)] {
            vars.push((
                format!("{side}/position_encodings/encodings"),
                vec![ctx, d],
                DType::F32,
                f32s(&vec![0.0; ctx * d]),
            ));
        }
        vars.push((
            "decoder/embeddings/weight".to_string(),
            vec![3, d],
            DType::F32,
            f32s(&[0.0; 12]),
        ));
        for side in ["encoder", "decoder"] {
            vars.push((
                format!("{side}/num_heads"),
                vec![],
                DType::I16,
                2i16.to_le_bytes().to_vec(),
            ));
        }
        let refs: Vec<(&str, &[usize], DType, Vec<u8>)> = vars
            .iter()
            .map(|(n, s, t, d)| (n.as_str(), s.as_slice(), *t, d.clone()))
            .collect();
        build_model_bin("WhisperSpec", &refs, &[])
    }

    fn vocab() -> Vec<String> {
        ["a", "Ġb", "<|endoftext|>"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn int8_model_converts_to_a_checkable_ggml_file() {
        let mut out = Vec::new();
        let s = convert(b"{}", &tiny_int8_model(), &vocab(), &mut out).unwrap();
        assert_eq!(s.hparams.n_audio_state, 4);
        assert_eq!(s.hparams.n_audio_head, 2);
        assert_eq!(s.hparams.n_mels, 2);
        assert_eq!(s.n_tokens, 2);
        // 4 dense per side + 3 cross = 11 quantised weights.
        assert_eq!(s.dequantised, 11);
        let info = ggml::check(&mut Cursor::new(&out)).unwrap();
        assert_eq!(info.n_tensors, s.n_tensors);
        assert_eq!(info.hparams, s.hparams);
    }

    #[test]
    fn dequantised_values_land_in_the_right_tensor() {
        let mut out = Vec::new();
        convert(b"{}", &tiny_int8_model(), &vocab(), &mut out).unwrap();
        // The key part of the fused q/k/v weight starts at element 16
        // (rows 4..8 of a 12x4 matrix): q=16 -> 16/127 as f16.
        let name = b"encoder.blocks.0.attn.key.weight";
        let at = out
            .windows(name.len())
            .position(|w| w == name)
            .expect("key tensor written");
        let first = half::f16::from_le_bytes([out[at + name.len()], out[at + name.len() + 1]]);
        assert!((first.to_f32() - 16.0 / 127.0).abs() < 1e-3);
        // whisper's key has no bias.
        let key_bias = b"encoder.blocks.0.attn.key.bias";
        assert!(!out.windows(key_bias.len()).any(|w| w == key_bias));
    }

    #[test]
    fn broken_inputs_give_errors() {
        let model = tiny_int8_model();
        assert!(matches!(
            convert(b"not json", &model, &vocab(), Vec::new()),
            Err(ModelError::BadConfig(_))
        ));
        assert!(matches!(
            convert(b"{}", &model[..model.len() / 2], &vocab(), Vec::new()),
            Err(ModelError::Truncated { .. })
        ));
        assert!(matches!(
            convert(b"{}", &model, &["a".to_string()], Vec::new()),
            Err(ModelError::BadVocabulary(_))
        ));
    }
}
