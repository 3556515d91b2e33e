//! WAV (RIFF/WAVE) container: a streaming reader and canonical writers.
//!
//! This module owns the byte layout of mono 16-bit PCM, mu-law and A-law
//! WAV files. It decodes G.711 through `g711` but knows nothing of tones
//! or text, and it does no I/O beyond the `Read`/`Write` values it is
//! handed. It never seeks: files from pipes and streaming recorders, whose
//! data size is a placeholder, read to their end.

use std::io::{self, Read, Write};

use super::g711;

/// WAVE_FORMAT_PCM.
const TAG_PCM: u16 = 0x0001;
/// WAVE_FORMAT_ALAW.
const TAG_ALAW: u16 = 0x0006;
/// WAVE_FORMAT_MULAW.
const TAG_MULAW: u16 = 0x0007;
/// WAVE_FORMAT_EXTENSIBLE: the real tag sits in the subformat GUID.
const TAG_EXTENSIBLE: u16 = 0xFFFE;
/// Bytes 2..16 shared by every KSDATAFORMAT_SUBTYPE GUID built from a tag.
const GUID_SUFFIX: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];
/// Size of the fmt chunk body for WAVE_FORMAT_EXTENSIBLE; all we look at.
const FMT_EXTENSIBLE_LEN: usize = 40;
/// Bytes moved per `Read`/`Write` call; bounds memory whatever sizes a
/// header declares.
const BLOCK: usize = 4096;

/// How samples are stored in a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Linear PCM, 16 bits little-endian.
    Pcm16,
    /// G.711 mu-law, 8 bits.
    MuLaw,
    /// G.711 A-law, 8 bits.
    ALaw,
}

impl std::fmt::Display for SampleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SampleFormat::Pcm16 => "PCM",
            SampleFormat::MuLaw => "mu-law",
            SampleFormat::ALaw => "A-law",
        })
    }
}

impl SampleFormat {
    /// Bytes one sample takes in the data chunk.
    fn bytes_per_sample(self) -> usize {
        match self {
            SampleFormat::Pcm16 => 2,
            SampleFormat::MuLaw | SampleFormat::ALaw => 1,
        }
    }
}

/// What a WAV file holds, as read from its fmt chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavSpec {
    /// Samples per second.
    pub sample_rate: u32,
    /// Number of interleaved channels; always 1 for files the reader accepts.
    pub channels: u16,
    /// Sample encoding in the data chunk.
    pub format: SampleFormat,
}

/// Why a WAV file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WavError {
    /// The input does not start with a RIFF/WAVE header.
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// No fmt chunk came before the audio data.
    #[error("WAV file has no format (fmt) chunk before its audio data")]
    MissingFmt,
    /// The file ended without a data chunk.
    #[error("WAV file has no audio (data) chunk")]
    MissingData,
    /// The format tag is not PCM, mu-law or A-law.
    #[error("unsupported WAV format tag {tag:#06x}; only PCM, mu-law and A-law are supported")]
    UnsupportedFormat {
        /// Format tag found in the file (the subformat's for extensible files).
        tag: u16,
    },
    /// The sample size does not suit the format.
    #[error("unsupported WAV sample size: {bits}-bit {format} (PCM must be 16-bit, G.711 8-bit)")]
    UnsupportedBits {
        /// Sample format the file declares.
        format: SampleFormat,
        /// Bits per sample the file declares.
        bits: u16,
    },
    /// The file is not single-channel.
    #[error("WAV file has {channels} channels; only mono is supported")]
    NotMono {
        /// Number of channels the file declares.
        channels: u16,
    },
    /// The file declares a sample rate of zero.
    #[error("WAV file declares a sample rate of 0 Hz")]
    ZeroSampleRate,
    /// The file ends inside its header.
    #[error("WAV file is cut off inside its header")]
    TruncatedHeader,
    /// The file holds no samples; the reader never returns this, callers
    /// that need audio do.
    #[error("WAV file contains no audio samples")]
    Empty,
    /// Reading the underlying input failed.
    #[error("could not read WAV input: {0}")]
    Io(#[from] io::Error),
}

/// Reads as many bytes as fit in `buf`, stopping early only at end of input.
fn fill<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads exactly `buf.len()` header bytes.
fn fill_header<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<(), WavError> {
    if fill(r, buf)? == buf.len() {
        Ok(())
    } else {
        Err(WavError::TruncatedHeader)
    }
}

/// Discards `n` header bytes.
fn skip<R: Read>(r: &mut R, n: u64) -> Result<(), WavError> {
    let skipped = io::copy(&mut r.by_ref().take(n), &mut io::sink())?;
    if skipped == n {
        Ok(())
    } else {
        Err(WavError::TruncatedHeader)
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads the body of a fmt chunk of `size` bytes (padding excluded).
fn parse_fmt<R: Read>(r: &mut R, size: u32) -> Result<WavSpec, WavError> {
    if size < 16 {
        return Err(WavError::TruncatedHeader);
    }
    let mut body = [0u8; FMT_EXTENSIBLE_LEN];
    let keep = (size as usize).min(FMT_EXTENSIBLE_LEN);
    fill_header(r, &mut body[..keep])?;
    skip(r, u64::from(size) - keep as u64)?;

    let mut tag = u16_at(&body, 0);
    let channels = u16_at(&body, 2);
    let sample_rate = u32_at(&body, 4);
    let bits = u16_at(&body, 14);
    if tag == TAG_EXTENSIBLE {
        if keep < FMT_EXTENSIBLE_LEN {
            return Err(WavError::TruncatedHeader);
        }
        let guid = &body[24..40];
        if guid[2..] != GUID_SUFFIX {
            return Err(WavError::UnsupportedFormat { tag });
        }
        tag = u16_at(guid, 0);
    }
    let format = match tag {
        TAG_PCM => SampleFormat::Pcm16,
        TAG_MULAW => SampleFormat::MuLaw,
        TAG_ALAW => SampleFormat::ALaw,
        _ => return Err(WavError::UnsupportedFormat { tag }),
    };
    if usize::from(bits) != 8 * format.bytes_per_sample() {
        return Err(WavError::UnsupportedBits { format, bits });
    }
    if channels != 1 {
        return Err(WavError::NotMono { channels });
    }
    if sample_rate == 0 {
        return Err(WavError::ZeroSampleRate);
    }
    Ok(WavSpec {
        sample_rate,
        channels,
        format,
    })
}

/// Streaming reader for mono 16-bit PCM, mu-law and A-law WAV files.
///
/// The header is parsed up front; samples are decoded to 16-bit linear on
/// demand, so arbitrarily long inputs use constant memory.
#[derive(Debug)]
pub struct WavReader<R: Read> {
    inner: R,
    spec: WavSpec,
    /// Data bytes the header still promises; may exceed what the input holds.
    remaining: u64,
    /// Set once the input or the data chunk is exhausted.
    done: bool,
}

impl<R: Read> WavReader<R> {
    /// Parses the header of `r`, leaving it positioned at the first sample.
    ///
    /// Chunks other than fmt and data (LIST, fact, ...) are skipped. The
    /// fmt chunk must come before the data chunk.
    pub fn new(mut r: R) -> Result<Self, WavError> {
        let mut riff = [0u8; 12];
        let got = fill(&mut r, &mut riff)?;
        // Judge the magic on what arrived, so a short non-WAV input is
        // reported as such rather than as a truncated WAV.
        let magic_ok = got > 0
            && riff[..got.min(4)] == b"RIFF"[..got.min(4)]
            && (got <= 8 || riff[8..got] == b"WAVE"[..got - 8]);
        if !magic_ok {
            return Err(WavError::NotWav);
        }
        if got < riff.len() {
            return Err(WavError::TruncatedHeader);
        }
        // The RIFF size is ignored: streaming writers leave it wrong.

        let mut spec = None;
        loop {
            let mut header = [0u8; 8];
            match fill(&mut r, &mut header)? {
                0 if spec.is_none() => return Err(WavError::MissingFmt),
                0 => return Err(WavError::MissingData),
                8 => {}
                _ => return Err(WavError::TruncatedHeader),
            }
            let size = u32_at(&header, 4);
            match &header[..4] {
                b"fmt " => {
                    spec = Some(parse_fmt(&mut r, size)?);
                    skip(&mut r, u64::from(size & 1))?;
                }
                b"data" => {
                    let spec = spec.ok_or(WavError::MissingFmt)?;
                    return Ok(WavReader {
                        inner: r,
                        spec,
                        remaining: u64::from(size),
                        done: false,
                    });
                }
                // RIFF chunks are padded to an even length.
                _ => skip(&mut r, u64::from(size) + u64::from(size & 1))?,
            }
        }
    }

    /// What the file holds.
    pub fn spec(&self) -> WavSpec {
        self.spec
    }

    /// Decodes samples into `buf`, returning how many were written.
    ///
    /// Fills `buf` unless the audio ends first; returns 0 once it has. The
    /// audio ends at the data chunk's declared size or at end of input,
    /// whichever comes first; a trailing partial sample is dropped.
    pub fn read(&mut self, buf: &mut [i16]) -> Result<usize, WavError> {
        let width = self.spec.format.bytes_per_sample();
        let mut bytes = [0u8; BLOCK];
        let mut written = 0;
        while written < buf.len() && !self.done {
            // Whole samples only, within both the chunk and the caller's room.
            let promised = usize::try_from(self.remaining).unwrap_or(usize::MAX);
            let want = ((buf.len() - written) * width)
                .min(BLOCK)
                .min(promised - promised % width);
            if want == 0 {
                self.done = true;
                break;
            }
            let got = fill(&mut self.inner, &mut bytes[..want])?;
            if got < want {
                self.done = true;
            }
            self.remaining -= got as u64;
            let out = &mut buf[written..];
            let chunk = &bytes[..got - got % width];
            match self.spec.format {
                SampleFormat::Pcm16 => {
                    for (o, b) in out.iter_mut().zip(chunk.chunks_exact(2)) {
                        *o = i16::from_le_bytes([b[0], b[1]]);
                    }
                }
                SampleFormat::MuLaw => {
                    for (o, &b) in out.iter_mut().zip(chunk) {
                        *o = g711::ulaw_decode(b);
                    }
                }
                SampleFormat::ALaw => {
                    for (o, &b) in out.iter_mut().zip(chunk) {
                        *o = g711::alaw_decode(b);
                    }
                }
            }
            written += chunk.len() / width;
        }
        Ok(written)
    }
}

/// Reads a whole WAV file into memory, returning its spec and samples.
///
/// An empty data chunk yields an empty vector, not an error.
pub fn read_all<R: Read>(r: R) -> Result<(WavSpec, Vec<i16>), WavError> {
    let mut reader = WavReader::new(r)?;
    let mut samples = Vec::new();
    let mut buf = [0i16; BLOCK];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((reader.spec(), samples));
        }
        samples.extend_from_slice(&buf[..n]);
    }
}

/// Writes the RIFF header and a fmt chunk, leaving `w` at the data bytes.
fn write_header<W: Write>(
    w: &mut W,
    sample_rate: u32,
    format: SampleFormat,
    samples: usize,
) -> io::Result<()> {
    if sample_rate == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "WAV sample rate must be above 0 Hz",
        ));
    }
    let width = format.bytes_per_sample();
    let too_long = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "audio too long for a WAV file (4 GiB limit)",
        )
    };
    let data_len = samples
        .checked_mul(width)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(too_long)?;
    let byte_rate = sample_rate.checked_mul(width as u32).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "WAV sample rate is too high")
    })?;
    let (tag, fmt_len) = match format {
        SampleFormat::Pcm16 => (TAG_PCM, 16u32),
        SampleFormat::MuLaw => (TAG_MULAW, 18),
        SampleFormat::ALaw => (TAG_ALAW, 18),
    };
    // Non-PCM formats carry a fact chunk with the sample count, as the
    // RIFF spec asks; it costs 12 bytes and keeps strict readers happy.
    let fact_len = if format == SampleFormat::Pcm16 { 0 } else { 12 };
    let padded = u64::from(data_len) + u64::from(data_len & 1);
    let riff_len = u32::try_from(u64::from(4 + 8 + fmt_len + fact_len + 8) + padded)
        .map_err(|_| too_long())?;

    let mut h = Vec::with_capacity(58);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&riff_len.to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&fmt_len.to_le_bytes());
    h.extend_from_slice(&tag.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&sample_rate.to_le_bytes());
    h.extend_from_slice(&byte_rate.to_le_bytes());
    h.extend_from_slice(&(width as u16).to_le_bytes());
    h.extend_from_slice(&(8 * width as u16).to_le_bytes());
    if fmt_len == 18 {
        h.extend_from_slice(&0u16.to_le_bytes()); // cbSize: no extension
    }
    if fact_len != 0 {
        h.extend_from_slice(b"fact");
        h.extend_from_slice(&4u32.to_le_bytes());
        h.extend_from_slice(&data_len.to_le_bytes()); // one byte per sample
    }
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    w.write_all(&h)
}

/// Writes `samples` as a canonical mono 16-bit PCM WAV file (44-byte header).
///
/// Fails with [`io::ErrorKind::InvalidInput`] for a zero sample rate or
/// audio too long for a WAV file.
pub fn write_pcm16<W: Write>(mut w: W, sample_rate: u32, samples: &[i16]) -> io::Result<()> {
    write_header(&mut w, sample_rate, SampleFormat::Pcm16, samples.len())?;
    let mut bytes = Vec::with_capacity(BLOCK);
    for block in samples.chunks(BLOCK / 2) {
        bytes.clear();
        for s in block {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        w.write_all(&bytes)?;
    }
    w.flush()
}

/// Writes `samples` as a mono 8-bit G.711 WAV file in the given law.
///
/// `law` must be [`SampleFormat::MuLaw`] or [`SampleFormat::ALaw`]; other
/// formats, a zero sample rate or audio too long for a WAV file fail with
/// [`io::ErrorKind::InvalidInput`].
pub fn write_g711<W: Write>(
    mut w: W,
    sample_rate: u32,
    samples: &[i16],
    law: SampleFormat,
) -> io::Result<()> {
    let encode: fn(i16) -> u8 = match law {
        SampleFormat::MuLaw => g711::ulaw_encode,
        SampleFormat::ALaw => g711::alaw_encode,
        SampleFormat::Pcm16 => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "G.711 WAV needs mu-law or A-law, not 16-bit PCM",
            ));
        }
    };
    write_header(&mut w, sample_rate, law, samples.len())?;
    let mut bytes = Vec::with_capacity(BLOCK);
    for block in samples.chunks(BLOCK) {
        bytes.clear();
        bytes.extend(block.iter().map(|&s| encode(s)));
        w.write_all(&bytes)?;
    }
    if samples.len() % 2 == 1 {
        w.write_all(&[0])?; // RIFF pad byte
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| ((i as i64 * 7919) % 65536 - 32768) as i16)
            .collect()
    }

    /// A fmt chunk body for the given fields.
    fn fmt_body(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let align = channels * bits / 8;
        let mut b = Vec::new();
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        b.extend_from_slice(&align.to_le_bytes());
        b.extend_from_slice(&bits.to_le_bytes());
        b
    }

    fn extensible_body(subtag: u16, bits: u16) -> Vec<u8> {
        let mut b = fmt_body(TAG_EXTENSIBLE, 1, 8000, bits);
        b.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        b.extend_from_slice(&bits.to_le_bytes()); // valid bits
        b.extend_from_slice(&4u32.to_le_bytes()); // channel mask: centre
        b.extend_from_slice(&subtag.to_le_bytes());
        b.extend_from_slice(&GUID_SUFFIX);
        b
    }

    fn chunk(id: &[u8; 4], declared: u32, body: &[u8]) -> Vec<u8> {
        let mut c = id.to_vec();
        c.extend_from_slice(&declared.to_le_bytes());
        c.extend_from_slice(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut f = b"RIFF".to_vec();
        f.extend_from_slice(&(4 + body.len() as u32).to_le_bytes());
        f.extend_from_slice(b"WAVE");
        f.extend_from_slice(&body);
        f
    }

    fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    fn pcm_file(samples: &[i16]) -> Vec<u8> {
        let mut f = Vec::new();
        write_pcm16(&mut f, 8000, samples).unwrap();
        f
    }

    #[test]
    fn pcm16_round_trip_is_exact_with_a_44_byte_header() {
        let samples = ramp(10_001);
        let file = pcm_file(&samples);
        assert_eq!(file.len(), 44 + 2 * samples.len());
        let (spec, back) = read_all(&file[..]).unwrap();
        assert_eq!(
            spec,
            WavSpec {
                sample_rate: 8000,
                channels: 1,
                format: SampleFormat::Pcm16
            }
        );
        assert_eq!(back, samples);
    }

    #[test]
    fn g711_round_trips_match_the_codec() {
        let samples = ramp(8001);
        for (law, decode, encode) in [
            (
                SampleFormat::MuLaw,
                g711::ulaw_decode as fn(u8) -> i16,
                g711::ulaw_encode as fn(i16) -> u8,
            ),
            (SampleFormat::ALaw, g711::alaw_decode, g711::alaw_encode),
        ] {
            let mut file = Vec::new();
            write_g711(&mut file, 16000, &samples, law).unwrap();
            // Odd sample count: the data chunk is padded to an even length.
            assert_eq!(file.len() % 2, 0);
            let (spec, back) = read_all(&file[..]).unwrap();
            assert_eq!(spec.format, law);
            assert_eq!(spec.sample_rate, 16000);
            let expected: Vec<i16> = samples.iter().map(|&s| decode(encode(s))).collect();
            assert_eq!(back, expected, "{law:?}");
        }
    }

    #[test]
    fn write_g711_refuses_pcm16() {
        let err = write_g711(Vec::new(), 8000, &[1, 2], SampleFormat::Pcm16).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn writers_refuse_a_zero_sample_rate() {
        assert_eq!(
            write_pcm16(Vec::new(), 0, &[1]).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn one_sample_reads_match_read_all() {
        let samples = ramp(999);
        let file = pcm_file(&samples);
        let mut reader = WavReader::new(&file[..]).unwrap();
        let mut streamed = Vec::new();
        let mut one = [0i16; 1];
        while reader.read(&mut one).unwrap() == 1 {
            streamed.push(one[0]);
        }
        assert_eq!(reader.read(&mut one).unwrap(), 0);
        assert_eq!(streamed, read_all(&file[..]).unwrap().1);
        assert_eq!(streamed, samples);
    }

    /// Hands out at most 3 bytes per call, like a slow pipe.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_from_the_input_do_not_split_samples() {
        let samples = ramp(5000);
        let file = pcm_file(&samples);
        assert_eq!(read_all(Trickle(&file)).unwrap().1, samples);
    }

    #[test]
    fn data_size_past_end_of_file_reads_to_eof() {
        let samples = ramp(300);
        let mut body = pcm_bytes(&samples);
        body.push(0x7F); // trailing odd byte: half a sample, dropped
        for declared in [u32::MAX, 100_000] {
            let mut file = riff(&[chunk(b"fmt ", 16, &fmt_body(TAG_PCM, 1, 8000, 16))]);
            file.extend_from_slice(b"data");
            file.extend_from_slice(&declared.to_le_bytes());
            file.extend_from_slice(&body);
            assert_eq!(read_all(&file[..]).unwrap().1, samples, "{declared:#x}");
        }
    }

    #[test]
    fn reading_stops_at_the_declared_data_size() {
        let samples = ramp(4);
        let data = chunk(b"data", 8, &pcm_bytes(&samples));
        // A chunk after the data must not be read as audio.
        let file = riff(&[
            chunk(b"fmt ", 16, &fmt_body(TAG_PCM, 1, 8000, 16)),
            data,
            chunk(b"LIST", 4, b"INFO"),
        ]);
        assert_eq!(read_all(&file[..]).unwrap().1, samples);
    }

    #[test]
    fn unknown_chunks_before_data_are_skipped() {
        let samples = ramp(50);
        let file = riff(&[
            chunk(b"JUNK", 3, b"abc"), // odd size: padded
            chunk(b"fmt ", 16, &fmt_body(TAG_PCM, 1, 8000, 16)),
            chunk(b"fact", 4, &50u32.to_le_bytes()),
            chunk(b"LIST", 5, b"INFOx"),
            chunk(b"data", 100, &pcm_bytes(&samples)),
        ]);
        assert_eq!(read_all(&file[..]).unwrap().1, samples);
    }

    #[test]
    fn long_fmt_chunk_extra_bytes_are_skipped() {
        let mut body = fmt_body(TAG_MULAW, 1, 8000, 8);
        body.extend_from_slice(&[0u8; 2]); // cbSize
        body.extend_from_slice(&[0xEE; 49]); // junk, odd total length
        let file = riff(&[
            chunk(b"fmt ", body.len() as u32, &body),
            chunk(b"data", 2, &[0xFF, 0x80]),
        ]);
        let (spec, back) = read_all(&file[..]).unwrap();
        assert_eq!(spec.format, SampleFormat::MuLaw);
        assert_eq!(back, [0, 32124]);
    }

    #[test]
    fn extensible_subformats_are_understood() {
        let cases = [
            (TAG_PCM, 16, SampleFormat::Pcm16, pcm_bytes(&[1234])),
            (
                TAG_MULAW,
                8,
                SampleFormat::MuLaw,
                vec![g711::ulaw_encode(1234)],
            ),
            (
                TAG_ALAW,
                8,
                SampleFormat::ALaw,
                vec![g711::alaw_encode(1234)],
            ),
        ];
        for (tag, bits, format, data) in cases {
            let body = extensible_body(tag, bits);
            let file = riff(&[
                chunk(b"fmt ", body.len() as u32, &body),
                chunk(b"data", data.len() as u32, &data),
            ]);
            let (spec, back) = read_all(&file[..]).unwrap();
            assert_eq!(spec.format, format);
            assert!((i32::from(back[0]) - 1234).abs() <= 32, "{format:?}");
        }
    }

    #[test]
    fn empty_data_chunk_is_not_an_error() {
        let (spec, samples) = read_all(&pcm_file(&[])[..]).unwrap();
        assert_eq!(spec.format, SampleFormat::Pcm16);
        assert!(samples.is_empty());
    }

    /// A one-sample PCM file whose fmt chunk body is `fmt`.
    fn with_fmt(fmt: &[u8]) -> Vec<u8> {
        riff(&[
            chunk(b"fmt ", fmt.len() as u32, fmt),
            chunk(b"data", 2, &[0, 0]),
        ])
    }

    fn error_of(bytes: &[u8]) -> WavError {
        read_all(bytes).unwrap_err()
    }

    #[test]
    fn non_wav_input_is_rejected() {
        assert!(matches!(error_of(b""), WavError::NotWav));
        assert!(matches!(error_of(b"ID3\x03"), WavError::NotWav));
        assert!(matches!(error_of(b"RIFF\0\0\0\0AVI "), WavError::NotWav));
        assert!(matches!(
            error_of(b"RIFX\0\0\0\0WAVEfmt "),
            WavError::NotWav
        ));
    }

    #[test]
    fn missing_chunks_are_reported() {
        assert!(matches!(error_of(&riff(&[])), WavError::MissingFmt));
        let data_first = riff(&[
            chunk(b"data", 2, &[0, 0]),
            chunk(b"fmt ", 16, &fmt_body(TAG_PCM, 1, 8000, 16)),
        ]);
        assert!(matches!(error_of(&data_first), WavError::MissingFmt));
        let no_data = riff(&[chunk(b"fmt ", 16, &fmt_body(TAG_PCM, 1, 8000, 16))]);
        assert!(matches!(error_of(&no_data), WavError::MissingData));
    }

    #[test]
    fn unsupported_format_reports_its_tag() {
        let float = with_fmt(&fmt_body(3, 1, 8000, 32));
        assert!(matches!(
            error_of(&float),
            WavError::UnsupportedFormat { tag: 3 }
        ));
        let ext_float = with_fmt(&extensible_body(3, 32));
        assert!(matches!(
            error_of(&ext_float),
            WavError::UnsupportedFormat { tag: 3 }
        ));
        let mut odd_guid = extensible_body(TAG_PCM, 16);
        odd_guid[39] ^= 1;
        assert!(matches!(
            error_of(&with_fmt(&odd_guid)),
            WavError::UnsupportedFormat {
                tag: TAG_EXTENSIBLE
            }
        ));
        let msg = error_of(&float).to_string();
        assert!(msg.contains("0x0003"), "{msg}");
    }

    #[test]
    fn wrong_sample_sizes_are_rejected() {
        assert!(matches!(
            error_of(&with_fmt(&fmt_body(TAG_PCM, 1, 8000, 8))),
            WavError::UnsupportedBits {
                format: SampleFormat::Pcm16,
                bits: 8
            }
        ));
        assert!(matches!(
            error_of(&with_fmt(&fmt_body(TAG_ALAW, 1, 8000, 16))),
            WavError::UnsupportedBits {
                format: SampleFormat::ALaw,
                bits: 16
            }
        ));
        assert!(matches!(
            error_of(&with_fmt(&extensible_body(TAG_MULAW, 16))),
            WavError::UnsupportedBits {
                format: SampleFormat::MuLaw,
                bits: 16
            }
        ));
    }

    #[test]
    fn stereo_is_rejected() {
        let err = error_of(&with_fmt(&fmt_body(TAG_PCM, 2, 8000, 16)));
        assert!(matches!(err, WavError::NotMono { channels: 2 }));
        assert!(err.to_string().contains("2 channels"));
    }

    #[test]
    fn zero_sample_rate_is_rejected() {
        assert!(matches!(
            error_of(&with_fmt(&fmt_body(TAG_PCM, 1, 0, 16))),
            WavError::ZeroSampleRate
        ));
    }

    #[test]
    fn truncated_headers_are_reported() {
        let full = pcm_file(&[1, 2, 3]);
        // Anywhere inside the RIFF header, the fmt chunk or the data chunk
        // header, except at a chunk boundary.
        for cut in (1..44).filter(|&c| c != 12 && c != 36) {
            let err = error_of(&full[..cut]);
            assert!(
                matches!(err, WavError::TruncatedHeader),
                "cut at {cut}: {err:?}"
            );
        }
        // Cut exactly between chunks: the next chunk is simply missing.
        assert!(matches!(error_of(&full[..12]), WavError::MissingFmt));
        assert!(matches!(error_of(&full[..36]), WavError::MissingData));
        // A fmt chunk too short to hold the basic fields.
        let short = with_fmt(&fmt_body(TAG_PCM, 1, 8000, 16)[..14]);
        assert!(matches!(error_of(&short), WavError::TruncatedHeader));
        // An extensible fmt chunk without its subformat.
        let stub = with_fmt(&extensible_body(TAG_PCM, 16)[..18]);
        assert!(matches!(error_of(&stub), WavError::TruncatedHeader));
        // An unknown chunk that claims more bytes than follow.
        let mut skipped = riff(&[]);
        skipped.extend_from_slice(b"LIST\x00\x01\x00\x00INFO");
        assert!(matches!(error_of(&skipped), WavError::TruncatedHeader));
    }

    #[derive(Debug)]
    struct Broken;

    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "denied"))
        }
    }

    #[test]
    fn io_errors_are_passed_through() {
        let err = WavReader::new(Broken).unwrap_err();
        assert!(
            matches!(&err, WavError::Io(e) if e.kind() == io::ErrorKind::PermissionDenied),
            "{err:?}"
        );
        let file = pcm_file(&[1, 2, 3]);
        let mut reader = WavReader::new(file[..44].chain(Broken)).unwrap();
        assert!(matches!(reader.read(&mut [0; 4]), Err(WavError::Io(_))));
    }

    proptest::proptest! {
        /// Damaged files fail cleanly or decode, never panic, and never
        /// yield more samples than they have bytes.
        #[test]
        fn damaged_files_never_panic(
            law in 0usize..3,
            edits in proptest::collection::vec((0usize..200, proptest::prelude::any::<u8>()), 0..8),
            cut in 0usize..200,
        ) {
            let samples = ramp(40);
            let mut file = Vec::new();
            match law {
                0 => write_pcm16(&mut file, 8000, &samples).unwrap(),
                1 => write_g711(&mut file, 8000, &samples, SampleFormat::MuLaw).unwrap(),
                _ => write_g711(&mut file, 8000, &samples, SampleFormat::ALaw).unwrap(),
            }
            for (at, byte) in edits {
                let at = at % file.len();
                file[at] = byte;
            }
            file.truncate(cut.max(1));
            if let Ok((spec, back)) = read_all(&file[..]) {
                proptest::prop_assert!(back.len() <= file.len());
                proptest::prop_assert_eq!(spec.channels, 1);
            }
        }
    }
}
