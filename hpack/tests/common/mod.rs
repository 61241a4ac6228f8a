//! Loads the http2jp HPACK corpus (`shared/testdata/hpack-test-case`) for the
//! tests and the benchmark.
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::path::PathBuf;

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

/// The corpus lives beside the repository. A missing corpus fails loudly: a
/// suite that silently runs on nothing would pass while testing nothing.
pub fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata/hpack-test-case"
    ));
    assert!(
        dir.is_dir(),
        "HPACK corpus not found at {} (it ships beside the repository)",
        dir.display()
    );
    dir
}

/// Every encoder directory of the corpus (everything except `raw-data`), sorted.
pub fn encoder_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| entry.file_name().into_string().unwrap())
        .filter(|name| name != "raw-data" && !name.starts_with('.') && name != "tools")
        .collect();
    names.sort();
    names
}

/// The stories of one directory (`raw-data` or an encoder), sorted by file name.
pub fn load(directory: &str) -> Vec<Story> {
    let dir = corpus_dir().join(directory);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let json: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
            let name = format!(
                "{directory}/{}",
                path.file_name().unwrap().to_string_lossy()
            );
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
        .collect()
}

pub fn unhex(hex: &str) -> Vec<u8> {
    let digits = hex.as_bytes();
    assert!(digits.len().is_multiple_of(2), "odd hex length");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}
