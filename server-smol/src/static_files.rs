//! Serving files from a directory: content type, validators, conditional
//! requests (RFC 9110 §13), byte ranges, single or as `multipart/byteranges`
//! (RFC 9110 §14), and a root that cannot be escaped.

use std::io::{self, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_lite::AsyncSeekExt;

use crate::headers::Headers;
use crate::response::{BodySource, Response, ResponseBody};

/// Files under one directory.
///
/// ```no_run
/// # use weft_server::{App, StaticFiles};
/// let files = std::sync::Arc::new(StaticFiles::new("public").unwrap());
/// let mut app = App::new();
/// app.get("/static/{*path}", move |req| {
///     let files = files.clone();
///     async move { files.serve(&req, req.param("path").unwrap_or("")).await }
/// });
/// ```
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
}

/// What a `Range` header asks of a representation of a known length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No usable range: send everything (absent, malformed, or more ranges
    /// than [`MAX_RANGES`], which RFC 9110 §14.2 lets a server ignore).
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// Several disjoint ranges, ascending: a `multipart/byteranges` body.
    Parts(Vec<(u64, u64)>),
    /// Nothing in the range exists: 416.
    Unsatisfiable,
}

/// Range specs honoured in one `Range` header; beyond this the header is
/// ignored (RFC 9110 §14.2 lets a server ignore many small ranges, a
/// known amplification shape).
pub(crate) const MAX_RANGES: usize = 16;

impl StaticFiles {
    /// Serves files under `root`, which must be an existing directory.
    pub fn new(root: impl AsRef<Path>) -> io::Result<Self> {
        let root = std::fs::canonicalize(root)?;
        if !root.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, "static root"));
        }
        Ok(Self { root })
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Answers a GET or HEAD for `relative` (already percent-decoded, as
    /// route parameters are): 200, 206, 304, 403 (path escapes the root),
    /// 404 or 416.
    pub async fn serve(&self, request: &crate::Request, relative: &str) -> Response {
        let Some(joined) = safe_join(&self.root, relative) else {
            return Response::status_page(403);
        };
        let root = self.root.clone();
        // Metadata and open are blocking calls; keep them off the executor.
        let opened = smol::unblock(move || open_under(&root, &joined)).await;
        let (file, path, meta) = match opened {
            Ok(found) => found,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Response::status_page(403);
            }
            Err(_) => return Response::status_page(404),
        };
        let len = meta.len();
        let modified = meta.modified().ok();
        let tag = etag(len, modified);
        let mut response = Response::new(200)
            .with_header("content-type", content_type(&path))
            .with_header("etag", tag.clone())
            .with_header("accept-ranges", "bytes");
        if let Some(m) = modified {
            response = response.with_header("last-modified", httpdate::fmt_http_date(m));
        }
        if not_modified(request.headers(), &tag, modified) {
            response.headers_mut().remove("content-type");
            response.headers_mut().remove("accept-ranges");
            return response.with_status(304);
        }
        let range = if if_range_allows(request.headers(), &tag, modified) {
            request
                .header("range")
                .map_or(RangeRequest::Whole, |r| parse_range(r, len))
        } else {
            RangeRequest::Whole
        };
        let mut file = smol::fs::File::from(file);
        let (start, count) = match range {
            RangeRequest::Whole => (0, len),
            RangeRequest::Parts(parts) => {
                let content_type = content_type(&path);
                return multipart(response, file, &content_type, &parts, len);
            }
            RangeRequest::Part { start, end } => {
                response = response
                    .with_status(206)
                    .with_header("content-range", format!("bytes {start}-{end}/{len}"));
                (start, end - start + 1)
            }
            RangeRequest::Unsatisfiable => {
                return Response::status_page(416)
                    .with_header("content-range", format!("bytes */{len}"));
            }
        };
        if start > 0 && file.seek(SeekFrom::Start(start)).await.is_err() {
            return Response::status_page(500);
        }
        response.with_response_body(ResponseBody::File { file, len: count })
    }
}

/// Joins a decoded relative path onto `root`, refusing anything that could
/// leave it: `..`, absolute paths, drive prefixes and NUL bytes.
pub(crate) fn safe_join(root: &Path, relative: &str) -> Option<PathBuf> {
    if relative.contains('\0') || relative.contains('\\') {
        return None;
    }
    let mut path = root.to_path_buf();
    for component in Path::new(relative.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(path)
}

/// Opens `path` (or its `index.html` when it is a directory), refusing a
/// target that a symbolic link has taken outside `root`.
fn open_under(root: &Path, path: &Path) -> io::Result<(std::fs::File, PathBuf, std::fs::Metadata)> {
    let mut canonical = std::fs::canonicalize(path)?;
    if !canonical.starts_with(root) {
        return Err(io::Error::from(io::ErrorKind::PermissionDenied));
    }
    if canonical.is_dir() {
        canonical = std::fs::canonicalize(canonical.join("index.html"))?;
        if !canonical.starts_with(root) {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
    }
    let file = std::fs::File::open(&canonical)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::from(io::ErrorKind::NotFound));
    }
    Ok((file, canonical, meta))
}

fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if mime.type_() == "text" || mime.essence_str() == "application/javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// A strong validator from size and modification time (nanoseconds, so a
/// same-size rewrite within one second still changes it).
pub(crate) fn etag(len: u64, modified: Option<SystemTime>) -> String {
    let since = modified
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!(
        "\"{len:x}-{:x}.{:x}\"",
        since.as_secs(),
        since.subsec_nanos()
    )
}

/// RFC 9110 §13.1.2 / §13.1.3: `If-None-Match` (weak comparison) wins over
/// `If-Modified-Since`, which is only consulted when the former is absent.
pub(crate) fn not_modified(headers: &Headers, tag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(inm) = headers.get_str("if-none-match") {
        return inm.split(',').map(str::trim).any(|candidate| {
            candidate == "*"
                || candidate.strip_prefix("W/").unwrap_or(candidate) == tag.trim_start_matches("W/")
        });
    }
    match (headers.get_str("if-modified-since"), modified) {
        (Some(since), Some(modified)) => match httpdate::parse_http_date(since) {
            // Last-Modified has one-second resolution; compare at that resolution.
            Ok(since) => whole_seconds(modified) <= whole_seconds(since),
            Err(_) => false,
        },
        _ => false,
    }
}

/// RFC 9110 §13.1.5: a `Range` is honoured only if `If-Range` is absent or
/// names the current representation (strong ETag match, or exact date).
fn if_range_allows(headers: &Headers, tag: &str, modified: Option<SystemTime>) -> bool {
    let Some(condition) = headers.get_str("if-range") else {
        return true;
    };
    let condition = condition.trim();
    if condition.starts_with('"') {
        return condition == tag;
    }
    match (httpdate::parse_http_date(condition), modified) {
        (Ok(date), Some(modified)) => whole_seconds(date) == whole_seconds(modified),
        _ => false,
    }
}

fn whole_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Parses a `Range` header for a representation of `len` bytes
/// (RFC 9110 §14.1.2: a list of `first-last`, `first-` and `-suffix`
/// specs). Overlapping and adjacent ranges are merged (§14.6 allows it),
/// so the parts sent are disjoint and ascending.
pub(crate) fn parse_range(header: &str, len: u64) -> RangeRequest {
    let Some(specs) = header.trim().strip_prefix("bytes=") else {
        return RangeRequest::Whole;
    };
    let mut parts = Vec::new();
    let mut count = 0;
    // Empty list elements are allowed (RFC 9110 §5.6.1).
    for spec in specs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        count += 1;
        if count > MAX_RANGES {
            return RangeRequest::Whole;
        }
        match parse_spec(spec, len) {
            Spec::Invalid => return RangeRequest::Whole,
            Spec::Unsatisfiable => {}
            Spec::Range(start, end) => parts.push((start, end)),
        }
    }
    if count == 0 {
        return RangeRequest::Whole;
    }
    parts.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(parts.len());
    for (start, end) in parts {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    match merged.as_slice() {
        [] => RangeRequest::Unsatisfiable,
        [(start, end)] => RangeRequest::Part {
            start: *start,
            end: *end,
        },
        _ => RangeRequest::Parts(merged),
    }
}

/// One range spec.
enum Spec {
    /// Bad syntax: the whole header is ignored.
    Invalid,
    /// Valid but outside the representation.
    Unsatisfiable,
    /// Bytes `start..=end`, clipped to the representation.
    Range(u64, u64),
}

fn parse_spec(spec: &str, len: u64) -> Spec {
    let Some((first, last)) = spec.split_once('-') else {
        return Spec::Invalid;
    };
    let (first, last) = (first.trim(), last.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if first.is_empty() {
        // Suffix range: the last `n` bytes.
        if !digits(last) {
            return Spec::Invalid;
        }
        // More digits than a u64 holds: more than the whole representation.
        let n = last.parse::<u64>().unwrap_or(u64::MAX);
        if n == 0 || len == 0 {
            return Spec::Unsatisfiable;
        }
        return Spec::Range(len.saturating_sub(n), len - 1);
    }
    if !digits(first) || !(last.is_empty() || digits(last)) {
        return Spec::Invalid;
    }
    let Ok(start) = first.parse::<u64>() else {
        return Spec::Unsatisfiable;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end,
            // `last < first` is invalid syntax, which is ignored.
            Ok(_) => return Spec::Invalid,
            Err(_) => u64::MAX,
        }
    };
    if start >= len {
        return Spec::Unsatisfiable;
    }
    Spec::Range(start, end.min(len - 1))
}

/// A 206 with a `multipart/byteranges` body (RFC 9110 §14.6): each part
/// has its own `Content-Type` and `Content-Range`, and the total length is
/// known up front.
fn multipart(
    response: Response,
    file: smol::fs::File,
    content_type: &str,
    parts: &[(u64, u64)],
    len: u64,
) -> Response {
    let boundary = boundary();
    let heads: Vec<Bytes> = parts
        .iter()
        .map(|(start, end)| {
            Bytes::from(format!(
                "\r\n--{boundary}\r\ncontent-type: {content_type}\r\ncontent-range: bytes {start}-{end}/{len}\r\n\r\n"
            ))
        })
        .collect();
    let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
    let total = heads.iter().map(|h| h.len() as u64).sum::<u64>()
        + parts.iter().map(|(s, e)| e - s + 1).sum::<u64>()
        + tail.len() as u64;
    let mut response = response
        .with_status(206)
        .with_header("content-length", total.to_string());
    response.headers_mut().insert(
        "content-type",
        format!("multipart/byteranges; boundary={boundary}"),
    );
    let pieces: Vec<Piece> = parts
        .iter()
        .zip(heads)
        .flat_map(|(&(start, end), head)| {
            [
                Piece::Bytes(head),
                Piece::File {
                    start,
                    count: end - start + 1,
                },
            ]
        })
        .chain([Piece::Bytes(tail)])
        .collect();
    // Each file part is read by the same source as a whole-file body, then
    // the file is taken back for the next part's seek.
    let state = (Some(file), pieces.into_iter(), None::<BodySource>);
    let stream =
        futures_lite::stream::unfold(state, |(mut file, mut pieces, mut part)| async move {
            loop {
                if let Some(source) = part.as_mut() {
                    match std::future::poll_fn(|cx| source.poll_chunk(cx)).await {
                        Some(chunk) => return Some((chunk, (file, pieces, part))),
                        None => file = part.take().and_then(BodySource::into_file),
                    }
                }
                match pieces.next()? {
                    Piece::Bytes(bytes) => return Some((Ok(bytes), (file, pieces, None))),
                    Piece::File { start, count } => {
                        let mut open = file.take()?;
                        if let Err(error) = open.seek(SeekFrom::Start(start)).await {
                            return Some((Err(error), (None, pieces, None)));
                        }
                        part = Some(BodySource::file(open, count));
                    }
                }
            }
        });
    response.with_response_body(ResponseBody::Stream(Box::pin(stream)))
}

/// A piece of a multipart body.
enum Piece {
    Bytes(Bytes),
    File { start: u64, count: u64 },
}

/// A multipart boundary unlikely to occur in any file: 32 hex digits from
/// the standard library's per-process random hash keys.
fn boundary() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    let high = hasher.finish();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(1);
    format!("{high:016x}{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ranges() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-4", 10), Part { start: 0, end: 4 });
        assert_eq!(parse_range("bytes=5-", 10), Part { start: 5, end: 9 });
        assert_eq!(parse_range("bytes=-3", 10), Part { start: 7, end: 9 });
        assert_eq!(parse_range("bytes=-30", 10), Part { start: 0, end: 9 });
        assert_eq!(parse_range("bytes=2-100", 10), Part { start: 2, end: 9 });
        assert_eq!(parse_range("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-2", 10), Whole);
        assert_eq!(
            parse_range("bytes=0-1,4-5", 10),
            Parts(vec![(0, 1), (4, 5)])
        );
        // Merged when they overlap or touch, and sorted.
        assert_eq!(
            parse_range("bytes=4-5,0-2,2-3", 10),
            Part { start: 0, end: 5 }
        );
        assert_eq!(parse_range("bytes=8-,0-0", 10), Parts(vec![(0, 0), (8, 9)]));
        // Unsatisfiable specs are dropped; if none is left, 416.
        assert_eq!(
            parse_range("bytes=20-30,0-1", 10),
            Part { start: 0, end: 1 }
        );
        assert_eq!(parse_range("bytes=20-30,40-", 10), Unsatisfiable);
        // One bad spec makes the whole header ignored, as do too many.
        assert_eq!(parse_range("bytes=0-1,x", 10), Whole);
        let many = (0..=MAX_RANGES)
            .map(|i| format!("{}-{}", 2 * i, 2 * i))
            .collect::<Vec<_>>();
        assert_eq!(
            parse_range(&format!("bytes={}", many.join(",")), 100),
            Whole
        );
        assert_eq!(parse_range("bytes=, 0-1 ,", 10), Part { start: 0, end: 1 });
        assert_eq!(parse_range("bytes=", 10), Whole);
        assert_eq!(parse_range("items=0-1", 10), Whole);
        assert_eq!(parse_range("bytes=a-b", 10), Whole);
        assert_eq!(parse_range("bytes=+1-2", 10), Whole);
        assert_eq!(
            parse_range("bytes=0-99999999999999999999999", 10),
            Part { start: 0, end: 9 }
        );
    }

    #[test]
    fn traversal_is_refused() {
        let root = Path::new("/srv/www");
        assert_eq!(
            safe_join(root, "a/b.txt"),
            Some(PathBuf::from("/srv/www/a/b.txt"))
        );
        assert_eq!(safe_join(root, "./a"), Some(PathBuf::from("/srv/www/a")));
        assert_eq!(safe_join(root, "../etc/passwd"), None);
        assert_eq!(safe_join(root, "a/../../etc/passwd"), None);
        assert_eq!(safe_join(root, "a\\..\\b"), None);
        assert_eq!(safe_join(root, "a\0b"), None);
        // A leading slash stays under the root rather than meaning "/".
        assert_eq!(
            safe_join(root, "/etc/passwd"),
            Some(PathBuf::from("/srv/www/etc/passwd"))
        );
    }

    #[test]
    fn conditionals() {
        let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let tag = etag(10, Some(modified));
        let mut h = Headers::new();
        assert!(!not_modified(&h, &tag, Some(modified)));
        h.insert("if-none-match", format!("\"x\", W/{tag}"));
        assert!(not_modified(&h, &tag, Some(modified)));
        h.insert("if-none-match", "\"other\"");
        // If-None-Match present and not matching: If-Modified-Since is ignored.
        h.insert("if-modified-since", httpdate::fmt_http_date(modified));
        assert!(!not_modified(&h, &tag, Some(modified)));
        h.remove("if-none-match");
        assert!(not_modified(&h, &tag, Some(modified)));
        h.insert(
            "if-modified-since",
            httpdate::fmt_http_date(modified - Duration::from_secs(1)),
        );
        assert!(!not_modified(&h, &tag, Some(modified)));

        let mut h = Headers::new();
        assert!(if_range_allows(&h, &tag, Some(modified)));
        h.insert("if-range", tag.clone());
        assert!(if_range_allows(&h, &tag, Some(modified)));
        h.insert("if-range", "\"stale\"");
        assert!(!if_range_allows(&h, &tag, Some(modified)));
        h.insert("if-range", httpdate::fmt_http_date(modified));
        assert!(if_range_allows(&h, &tag, Some(modified)));
    }

    #[test]
    fn etag_changes_with_size_and_time() {
        let t = UNIX_EPOCH + Duration::from_secs(5);
        assert_ne!(etag(1, Some(t)), etag(2, Some(t)));
        assert_ne!(etag(1, Some(t)), etag(1, Some(t + Duration::from_nanos(1))));
        assert!(etag(1, Some(t)).starts_with('"'));
    }

    #[test]
    fn symlink_out_of_root_is_refused() {
        let base = std::env::temp_dir().join(format!("weft-static-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(base.join("secret"), "s").unwrap();
        std::fs::write(root.join("ok.txt"), "ok").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(base.join("secret"), root.join("link")).unwrap();
        let root = std::fs::canonicalize(&root).unwrap();
        assert!(open_under(&root, &root.join("ok.txt")).is_ok());
        #[cfg(unix)]
        assert_eq!(
            open_under(&root, &root.join("link")).unwrap_err().kind(),
            io::ErrorKind::PermissionDenied
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
