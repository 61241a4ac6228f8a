//! `conformance hpack`: the http2jp hpack-test-case corpus through our
//! `hpack` crate. Every story of every encoder's directory is decoded case by
//! case with one decoder (the cases of a story share a compression context)
//! and compared with the expected header list. The `raw-data` stories carry
//! no wire bytes; they go through `hpack::Encoder` and back instead.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use crate::report;

/// The corpus as the repository ships it (`testdata/README.md` says where it
/// comes from), found from the source tree this binary was built from. An
/// installed binary has no such tree and is given the path instead.
pub(crate) fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hpack-test-case.tar.xz")
}

/// The stories of each directory of the corpus: directory name, then
/// `(file name, JSON text)` pairs, both sorted.
type Corpus = BTreeMap<String, Vec<(String, String)>>;

/// What one encoder's directory gave.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct EncoderReport {
    name: String,
    stories: usize,
    cases: usize,
    failures: Vec<String>,
}

/// One case of a story.
#[derive(Debug)]
struct StoryCase {
    seqno: u64,
    table_size: Option<usize>,
    wire: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Runs the corpus at `path` (the packed `.tar.xz` or an unpacked checkout)
/// and prints the per-encoder report; `true` when every case of every story
/// decoded to its headers.
pub(crate) fn run(path: &Path) -> bool {
    let loaded = if path.is_dir() {
        load_dir(path)
    } else {
        load_archive(path)
    };
    let corpus = match loaded {
        Ok(corpus) => corpus,
        Err(err) => {
            report::line(&format!("cannot read {}: {err}", path.display()));
            return false;
        }
    };
    let mut reports = Vec::new();
    for (name, stories) in &corpus {
        let report = check_encoder(name, stories);
        let failures = report.failures.len();
        let mark = if failures == 0 { "✔" } else { "×" };
        report::line(&format!(
            "{mark} {}: {} stories, {} cases, {failures} failures",
            report.name, report.stories, report.cases
        ));
        for failure in report.failures.iter().take(20) {
            report::line(&format!("    {failure}"));
        }
        if failures > 20 {
            report::line(&format!("    ... and {} more", failures - 20));
        }
        reports.push(report);
    }
    let stories: usize = reports.iter().map(|r| r.stories).sum();
    let cases: usize = reports.iter().map(|r| r.cases).sum();
    let failures: usize = reports.iter().map(|r| r.failures.len()).sum();
    report::line(&format!(
        "\n{} encoders, {stories} stories, {cases} cases, {failures} failures",
        reports.len()
    ));
    // An empty corpus is a broken checkout, not a pass.
    failures == 0 && cases > 0
}

/// Reads the `.json` stories of an unpacked checkout, one level of
/// directories deep.
fn load_dir(dir: &Path) -> std::io::Result<Corpus> {
    let mut corpus = Corpus::new();
    for encoder in fs::read_dir(dir)? {
        let encoder = encoder?.path();
        if !encoder.is_dir() {
            continue;
        }
        let mut stories = Vec::new();
        for story in fs::read_dir(&encoder)? {
            let story = story?.path();
            if story.extension().is_some_and(|e| e == "json") {
                stories.push((file_name(&story), fs::read_to_string(&story)?));
            }
        }
        stories.sort();
        corpus.insert(file_name(&encoder), stories);
    }
    Ok(corpus)
}

/// Streams the stories out of the xz-packed tar, never unpacking to disk.
fn load_archive(path: &Path) -> std::io::Result<Corpus> {
    let file = BufReader::new(File::open(path)?);
    let mut archive = tar::Archive::new(xz2::read::XzDecoder::new(file));
    let mut corpus = Corpus::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        // `hpack-test-case/<encoder>/<story>.json`
        let mut parts = path.iter().skip(1);
        let (Some(encoder), Some(story), None) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if Path::new(story).extension().is_some_and(|e| e == "json") {
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            corpus
                .entry(encoder.to_string_lossy().into_owned())
                .or_default()
                .push((story.to_string_lossy().into_owned(), text));
        }
    }
    for stories in corpus.values_mut() {
        stories.sort();
    }
    Ok(corpus)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn check_encoder(name: &str, stories: &[(String, String)]) -> EncoderReport {
    let mut report = EncoderReport {
        name: name.to_owned(),
        ..EncoderReport::default()
    };
    if name == "raw-data" {
        report.name = "raw-data (round trip through hpack::Encoder)".into();
    }
    for (story, text) in stories {
        let cases = match parse_story(text) {
            Ok(cases) => cases,
            Err(err) => {
                report.failures.push(format!("{story}: {err}"));
                continue;
            }
        };
        report.stories += 1;
        report.cases += cases.len();
        let failures = if name == "raw-data" {
            round_trip_story(&cases)
        } else {
            decode_story(&cases)
        };
        report
            .failures
            .extend(failures.into_iter().map(|f| format!("{story} {f}")));
    }
    report
}

fn parse_story(text: &str) -> Result<Vec<StoryCase>, String> {
    let json: Value = serde_json::from_str(text).map_err(|err| format!("invalid JSON: {err}"))?;
    let cases = json
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("no \"cases\" array")?;
    cases.iter().map(parse_case).collect()
}

fn parse_case(case: &Value) -> Result<StoryCase, String> {
    let seqno = case
        .get("seqno")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let table_size = match case.get("header_table_size") {
        None | Some(Value::Null) => None,
        Some(size) => Some(
            size.as_u64()
                .and_then(|s| usize::try_from(s).ok())
                .ok_or("bad header_table_size")?,
        ),
    };
    let wire = match case.get("wire") {
        None => None,
        Some(hex) => Some(decode_hex(hex.as_str().ok_or("\"wire\" is not a string")?)?),
    };
    let mut headers = Vec::new();
    for field in case
        .get("headers")
        .and_then(Value::as_array)
        .ok_or("no \"headers\" array")?
    {
        let object = field.as_object().ok_or("a header is not an object")?;
        for (name, value) in object {
            let value = value.as_str().ok_or("a header value is not a string")?;
            headers.push((name.as_bytes().to_vec(), value.as_bytes().to_vec()));
        }
    }
    Ok(StoryCase {
        seqno,
        table_size,
        wire,
        headers,
    })
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    fn nibble(c: u8) -> Result<u8, String> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(format!("bad hex digit {:?}", char::from(c))),
        }
    }
    let bytes = hex.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Ok(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

fn as_pairs(headers: &[hpack::Header]) -> Vec<(Vec<u8>, Vec<u8>)> {
    headers
        .iter()
        .map(|h| (h.name.to_vec(), h.value.to_vec()))
        .collect()
}

/// Decodes the story's blocks in order with one decoder.
fn decode_story(cases: &[StoryCase]) -> Vec<String> {
    let mut decoder = hpack::Decoder::new(4096);
    decoder.set_max_header_list_size(usize::MAX);
    let mut failures = Vec::new();
    for case in cases {
        if let Some(size) = case.table_size {
            decoder.set_max_table_size(size);
        }
        let Some(wire) = &case.wire else {
            failures.push(format!("seqno {}: no wire bytes", case.seqno));
            continue;
        };
        let mut out = Vec::new();
        match decoder.decode(Bytes::copy_from_slice(wire), &mut out) {
            Ok(()) if as_pairs(&out) == case.headers => {}
            Ok(()) => failures.push(format!(
                "seqno {}: decoded headers differ from the story's",
                case.seqno
            )),
            Err(err) => failures.push(format!("seqno {}: {err}", case.seqno)),
        }
    }
    failures
}

/// Encodes each header list with our encoder and decodes it back.
fn round_trip_story(cases: &[StoryCase]) -> Vec<String> {
    let mut encoder = hpack::Encoder::new(4096);
    let mut decoder = hpack::Decoder::new(4096);
    decoder.set_max_header_list_size(usize::MAX);
    let mut failures = Vec::new();
    for case in cases {
        let headers: Vec<hpack::Header> = case
            .headers
            .iter()
            .map(|(n, v)| hpack::Header::new(n.clone(), v.clone()))
            .collect();
        let mut block = BytesMut::new();
        encoder.encode(&headers, &mut block);
        let mut out = Vec::new();
        match decoder.decode(block.freeze(), &mut out) {
            Ok(()) if as_pairs(&out) == case.headers => {}
            Ok(()) => failures.push(format!(
                "seqno {}: round trip changed the headers",
                case.seqno
            )),
            Err(err) => failures.push(format!("seqno {}: {err}", case.seqno)),
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = r#"{"cases": [
        {"seqno": 0, "header_table_size": 4096, "wire": "82864188f439ce75c875fa5784",
         "headers": [{":method": "GET"}, {":scheme": "http"}, {":authority": "yahoo.co.jp"}, {":path": "/"}]},
        {"seqno": 1, "wire": "8286be84", "headers": [{":method": "GET"}, {":scheme": "http"}, {":authority": "yahoo.co.jp"}, {":path": "/"}]}
    ]}"#;

    #[test]
    fn decodes_a_story_sharing_the_table() {
        let cases = parse_story(STORY).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].table_size, Some(4096));
        assert_eq!(decode_story(&cases), Vec::<String>::new());
    }

    #[test]
    fn reports_a_wrong_expectation() {
        let wrong = STORY.replace(
            "yahoo.co.jp\"}, {\":path\": \"/\"}]}\n    ]",
            "yahoo.co.jp\"}, {\":path\": \"/x\"}]}\n    ]",
        );
        let failures = decode_story(&parse_story(&wrong).unwrap());
        assert_eq!(
            failures,
            ["seqno 1: decoded headers differ from the story's"]
        );
        let broken = STORY.replace("8286be84", "82869f");
        assert_eq!(decode_story(&parse_story(&broken).unwrap()).len(), 1);
    }

    #[test]
    fn round_trips_raw_data() {
        let raw = r#"{"cases": [{"seqno": 0, "headers": [{":method": "GET"}, {"x-a": "b"}]},
                                {"seqno": 1, "headers": [{":method": "GET"}, {"x-a": "b"}, {"cookie": "c=1"}]}]}"#;
        assert_eq!(
            round_trip_story(&parse_story(raw).unwrap()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn hex() {
        assert_eq!(decode_hex("00ffA0").unwrap(), [0, 255, 160]);
        assert!(decode_hex("0").is_err());
        assert!(decode_hex("zz").is_err());
    }

    #[test]
    fn the_packed_corpus_decodes() {
        let corpus = load_archive(&default_path()).unwrap();
        assert_eq!(corpus.len(), 15, "{:?}", corpus.keys());
        let report = check_encoder("nghttp2", &corpus["nghttp2"]);
        assert!(report.stories > 10 && report.cases > 100, "{report:?}");
        assert_eq!(report.failures, Vec::<String>::new());
    }
}
