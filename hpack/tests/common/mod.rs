//! Loads the http2jp HPACK corpus (`testdata/hpack-test-case.tar.xz`) for the
//! tests and the benchmark.
#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::OnceLock;

/// One story: a sequence of header blocks sharing one compression context.
pub struct Story {
    /// `<encoder>/<file>`, for failure messages.
    pub name: String,
    pub cases: Vec<Case>,
}

pub struct Case {
    /// The SETTINGS_HEADER_TABLE_SIZE acknowledged just before this case;
    /// `None` when absent or null (no change).
    pub table_size: Option<usize>,
    /// The encoded block; `None` in `raw-data`, which has no wire form.
    pub wire: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The corpus ships packed in the repository (`testdata/README.md` says where
/// it comes from); it is read straight from the archive, never unpacked to disk.
const ARCHIVE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/hpack-test-case.tar.xz"
);

/// Every `.json` file of the corpus by its path inside it
/// (`nghttp2/story_00.json`), read once per test binary. A missing archive
/// fails loudly: a suite that silently ran on nothing would pass while
/// testing nothing.
fn files() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let file =
            File::open(ARCHIVE).unwrap_or_else(|error| panic!("HPACK corpus {ARCHIVE}: {error}"));
        let mut archive = tar::Archive::new(xz2::read::XzDecoder::new(BufReader::new(file)));
        let mut files = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().into_owned();
            let Ok(inner) = path.strip_prefix("hpack-test-case") else {
                continue;
            };
            if inner.extension().is_some_and(|ext| ext == "json") {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                files.insert(inner.to_string_lossy().into_owned(), bytes);
            }
        }
        assert!(!files.is_empty(), "{ARCHIVE} holds no stories");
        files
    })
}

/// Every encoder directory of the corpus (everything except `raw-data`), sorted.
pub fn encoder_names() -> Vec<String> {
    let names: BTreeSet<&str> = files()
        .keys()
        .filter_map(|path| path.split_once('/').map(|(dir, _)| dir))
        .filter(|dir| *dir != "raw-data")
        .collect();
    names.into_iter().map(str::to_owned).collect()
}

/// The stories of one directory (`raw-data` or an encoder), sorted by file name.
pub fn load(directory: &str) -> Vec<Story> {
    let prefix = format!("{directory}/");
    let stories: Vec<Story> = files()
        .iter()
        .filter_map(|(path, bytes)| Some((path.strip_prefix(&prefix)?, bytes)))
        .map(|(file, bytes)| {
            let json: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            let name = format!("{directory}/{file}");
            let cases = json["cases"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: no cases"))
                .iter()
                .map(|case| Case {
                    table_size: case
                        .get("header_table_size")
                        .and_then(serde_json::Value::as_u64)
                        .map(|size| size as usize),
                    wire: case
                        .get("wire")
                        .and_then(serde_json::Value::as_str)
                        .map(unhex),
                    headers: case["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|field| field.as_object().unwrap().iter())
                        .map(|(name, value)| {
                            (
                                name.as_bytes().to_vec(),
                                value.as_str().unwrap().as_bytes().to_vec(),
                            )
                        })
                        .collect(),
                })
                .collect();
            Story { name, cases }
        })
        .collect();
    assert!(!stories.is_empty(), "no stories under {directory}/");
    stories
}

pub fn unhex(hex: &str) -> Vec<u8> {
    let digits = hex.as_bytes();
    assert!(digits.len().is_multiple_of(2), "odd hex length");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}
