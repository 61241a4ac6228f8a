//! Table-driven vectors: valid input with its exact event sequence, hostile input with its
//! exact error and status (RFC 9112 §11 request smuggling, published CVEs).

mod common;

use common::{drain, now, poll};
use weft_http1::{Config, Connection, Leniency, Limits, ParseError, RecvError, Role};

fn server(input: &[u8], config: Config) -> (Vec<String>, Option<RecvError>) {
    let mut conn = Connection::new(
        now(),
        Config {
            role: Role::Server,
            ..config
        },
    );
    conn.recv(now(), input);
    let result = drain(&mut conn);
    if let Some(error) = result.1 {
        // Sticky: nothing after the error is ever parsed.
        assert_eq!(poll(&mut conn), Err(error));
        assert!(!conn.keep_alive());
    }
    result
}

const H: &str = "Host: a\r\n";

#[test]
fn valid_requests() {
    let cases: &[(&str, String, &[&str])] = &[
        (
            "simple GET",
            format!("GET / HTTP/1.1\r\n{H}\r\n"),
            &["Request GET / Http11 [Host=a]", "End"],
        ),
        (
            "leading empty lines are skipped",
            format!("\r\n\r\nGET /x?y=1 HTTP/1.1\r\n{H}\r\n"),
            &["Request GET /x?y=1 Http11 [Host=a]", "End"],
        ),
        (
            "HTTP/1.0 without Host",
            "GET / HTTP/1.0\r\n\r\n".into(),
            &["Request GET / Http10 []", "End"],
        ),
        (
            "HTTP/1.9 is read as 1.1",
            format!("GET / HTTP/1.9\r\n{H}\r\n"),
            &["Request GET / Http11 [Host=a]", "End"],
        ),
        (
            "OWS around values is trimmed, inner kept",
            format!("GET / HTTP/1.1\r\n{H}X: \t a \t b \t\r\nY:\r\n\r\n"),
            &["Request GET / Http11 [Host=a|X=a \t b|Y=]", "End"],
        ),
        (
            "obs-text in values",
            format!("GET / HTTP/1.1\r\n{H}X: caf\u{e9}\r\n\r\n"),
            &["Request GET / Http11 [Host=a|X=caf\u{e9}]", "End"],
        ),
        (
            "Content-Length body",
            format!("POST /p HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nhello"),
            &[
                "Request POST /p Http11 [Host=a|Content-Length=5]",
                "Data hello",
                "End",
            ],
        ),
        (
            "repeated equal Content-Length",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 2\r\nContent-Length: 2, 2\r\n\r\nhi"),
            &[
                "Request POST / Http11 [Host=a|Content-Length=2|Content-Length=2, 2]",
                "Data hi",
                "End",
            ],
        ),
        (
            "chunked with extensions and trailers",
            format!(
                "POST / HTTP/1.1\r\n{H}Transfer-Encoding: Chunked\r\n\r\n\
                 5;a=b ; c = \"q\\\"d\"\r\nhello\r\n6;x\r\n world\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n"
            ),
            &[
                "Request POST / Http11 [Host=a|Transfer-Encoding=Chunked]",
                "Data hello world",
                "End [X-Sum=1|Y=2]",
            ],
        ),
        (
            "chunk size with leading zeros and upper-case hex",
            format!(
                "POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n000A\r\n0123456789\r\n0\r\n\r\n"
            ),
            &[
                "Request POST / Http11 [Host=a|Transfer-Encoding=chunked]",
                "Data 0123456789",
                "End",
            ],
        ),
        (
            "asterisk-form",
            format!("OPTIONS * HTTP/1.1\r\n{H}\r\n"),
            &["Request OPTIONS * Http11 [Host=a]", "End"],
        ),
        (
            "absolute-form",
            "GET http://a:80/x?y HTTP/1.1\r\nHost: a:80\r\n\r\n".into(),
            &["Request GET http://a:80/x?y Http11 [Host=a:80]", "End"],
        ),
        (
            "absolute-form without a path, any case of scheme",
            "GET HTTPS://a.example?q HTTP/1.1\r\nHost: a.example\r\n\r\n".into(),
            &[
                "Request GET HTTPS://a.example?q Http11 [Host=a.example]",
                "End",
            ],
        ),
        (
            "absolute-form with an IP literal",
            "GET http://[::1]:8080/ HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n".into(),
            &[
                "Request GET http://[::1]:8080/ Http11 [Host=[::1]:8080]",
                "End",
            ],
        ),
        (
            "authority-form",
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n".into(),
            &["Request CONNECT [::1]:443 Http11 [Host=[::1]:443]", "End"],
        ),
        (
            "empty Host",
            "GET / HTTP/1.1\r\nHost:\r\n\r\n".into(),
            &["Request GET / Http11 [Host=]", "End"],
        ),
    ];
    for (name, input, expected) in cases {
        let (events, error) = server(input.as_bytes(), Config::server());
        assert_eq!(error, None, "{name}");
        assert_eq!(events, *expected, "{name}");
    }
}

#[test]
fn hostile_requests() {
    use ParseError as P;
    use RecvError as R;
    let cl_te = format!("POST / HTTP/1.1\r\n{H}");
    let chunked = format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n");
    let long_ext = format!("{chunked}1;{}\r\n", "a".repeat(1100));
    // 1,000 zeros and 100 extension bytes: each within 1,024, together over it.
    let zeros_and_ext = format!(
        "{chunked}{}1;{}\r\nx\r\n",
        "0".repeat(1000),
        "a".repeat(100)
    );
    // 1,000 free zeros per line would let 17 lines carry 17 KB of filler.
    let many_zeros = format!(
        "{chunked}{}0\r\n\r\n",
        format!("{}1\r\nx\r\n", "0".repeat(1000)).repeat(17)
    );
    let many_ext = format!(
        "{chunked}{}",
        format!("1;{}\r\nx\r\n", "e".repeat(1000)).repeat(17)
    );
    let cases: Vec<(&str, String, RecvError, u16)> = vec![
        // Framing (RFC 9112 §6).
        (
            "CL then TE",
            format!("{cl_te}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            R::ContentLengthWithTransferEncoding,
            400,
        ),
        (
            "TE then CL",
            format!("{cl_te}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
            R::ContentLengthWithTransferEncoding,
            400,
        ),
        (
            "CL with plus sign",
            format!("{cl_te}Content-Length: +5\r\n\r\n"),
            R::InvalidContentLength,
            400,
        ),
        (
            "negative CL",
            format!("{cl_te}Content-Length: -1\r\n\r\n"),
            R::InvalidContentLength,
            400,
        ),
        (
            "hex CL",
            format!("{cl_te}Content-Length: 0x5\r\n\r\n"),
            R::InvalidContentLength,
            400,
        ),
        (
            "CL with inner space",
            format!("{cl_te}Content-Length: 5 5\r\n\r\n"),
            R::InvalidContentLength,
            400,
        ),
        (
            "empty CL",
            format!("{cl_te}Content-Length:\r\n\r\n"),
            R::InvalidContentLength,
            400,
        ),
        (
            "CL overflow",
            format!("{cl_te}Content-Length: 18446744073709551616\r\n\r\n"),
            R::InvalidContentLength,
            400,
        ),
        (
            "CL list differs",
            format!("{cl_te}Content-Length: 5, 6\r\n\r\n"),
            R::ConflictingContentLength,
            400,
        ),
        (
            "CL lines differ",
            format!("{cl_te}Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            R::ConflictingContentLength,
            400,
        ),
        (
            "TE chunked not last",
            format!("{cl_te}Transfer-Encoding: chunked, identity\r\n\r\n"),
            R::InvalidTransferEncoding,
            400,
        ),
        (
            "TE second line not chunked (CVE-2021-21299)",
            format!("{cl_te}Transfer-Encoding: chunked\r\nTransfer-Encoding: afterlol\r\n\r\n"),
            R::InvalidTransferEncoding,
            400,
        ),
        (
            "TE chunked twice",
            format!("{cl_te}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            R::InvalidTransferEncoding,
            400,
        ),
        (
            "TE xchunked",
            format!("{cl_te}Transfer-Encoding: xchunked\r\n\r\n"),
            R::InvalidTransferEncoding,
            400,
        ),
        (
            "TE quoted",
            format!("{cl_te}Transfer-Encoding: \"chunked\"\r\n\r\n"),
            R::InvalidTransferEncoding,
            400,
        ),
        (
            "TE empty element",
            format!("{cl_te}Transfer-Encoding: ,chunked\r\n\r\n"),
            R::InvalidTransferEncoding,
            400,
        ),
        (
            "TE identity",
            format!("{cl_te}Transfer-Encoding: identity\r\n\r\n"),
            R::InvalidTransferEncoding,
            400,
        ),
        (
            "TE vertical tab",
            format!("{cl_te}Transfer-Encoding: \x0bchunked\r\n\r\n"),
            R::Parse(P::FieldValue),
            400,
        ),
        (
            "TE gzip then chunked",
            format!("{cl_te}Transfer-Encoding: gzip, chunked\r\n\r\n"),
            R::UnsupportedTransferCoding,
            501,
        ),
        (
            "TE in HTTP/1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n".into(),
            R::TransferEncodingInHttp10,
            400,
        ),
        // Field syntax (RFC 9112 §5).
        (
            "space before colon",
            format!("{cl_te}Transfer-Encoding : chunked\r\n\r\n"),
            R::Parse(P::SpaceBeforeColon),
            400,
        ),
        (
            "tab before colon",
            format!("{cl_te}Content-Length\t: 5\r\n\r\n"),
            R::Parse(P::SpaceBeforeColon),
            400,
        ),
        (
            "space in name",
            format!("{cl_te}X Y: 5\r\n\r\n"),
            R::Parse(P::SpaceBeforeColon),
            400,
        ),
        (
            "obs-fold",
            format!("{cl_te}X: a\r\n b\r\n\r\n"),
            R::Parse(P::ObsFold),
            400,
        ),
        (
            "obs-fold hiding TE",
            format!("{cl_te}Transfer-Encoding:\r\n chunked\r\n\r\n"),
            R::Parse(P::ObsFold),
            400,
        ),
        (
            "space before first field",
            "GET / HTTP/1.1\r\n Host: a\r\n\r\n".into(),
            R::Parse(P::ObsFold),
            400,
        ),
        (
            "bare CR in value",
            format!("{cl_te}X: a\rb\r\n\r\n"),
            R::Parse(P::BareCr),
            400,
        ),
        (
            "bare CR ends head (CVE-2025-23167)",
            format!("GET / HTTP/1.1\r\n{H}\rX"),
            R::Parse(P::BareCr),
            400,
        ),
        (
            "bare LF ends field line",
            "GET / HTTP/1.1\r\nHost: a\n\r\n".into(),
            R::Parse(P::BareLf),
            400,
        ),
        (
            "bare LF ends request line",
            "GET / HTTP/1.1\nHost: a\r\n\r\n".into(),
            R::Parse(P::BareLf),
            400,
        ),
        (
            "LF LF ends head",
            "GET / HTTP/1.1\r\nHost: a\r\n\n".into(),
            R::Parse(P::BareLf),
            400,
        ),
        (
            "NUL in value",
            format!("{cl_te}X: a\0b\r\n\r\n"),
            R::Parse(P::FieldValue),
            400,
        ),
        (
            "DEL in value",
            format!("{cl_te}X: a\x7fb\r\n\r\n"),
            R::Parse(P::FieldValue),
            400,
        ),
        (
            "ESC in value",
            format!("{cl_te}X: a\x1bb\r\n\r\n"),
            R::Parse(P::FieldValue),
            400,
        ),
        (
            "non-tchar in name",
            format!("{cl_te}X(y): 1\r\n\r\n"),
            R::Parse(P::FieldName),
            400,
        ),
        (
            "empty name",
            format!("{cl_te}: 1\r\n\r\n"),
            R::Parse(P::FieldName),
            400,
        ),
        (
            "no colon",
            format!("{cl_te}X\r\n\r\n"),
            R::Parse(P::FieldName),
            400,
        ),
        // Request line (RFC 9112 §3).
        (
            "leading space",
            " GET / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Method),
            400,
        ),
        (
            "non-tchar method",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Method),
            400,
        ),
        (
            "tab after method",
            "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Method),
            400,
        ),
        (
            "two spaces",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Delimiter),
            400,
        ),
        (
            "NUL in target",
            "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Target),
            400,
        ),
        (
            "non-ASCII target",
            "GET /\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Target),
            400,
        ),
        (
            "HTTP/0.9",
            "GET /\r\n\r\n".into(),
            R::Parse(P::Version),
            400,
        ),
        (
            "lower-case version",
            "GET / http/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Version),
            400,
        ),
        (
            "version with 3 digits",
            "GET / HTTP/1.10\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Version),
            400,
        ),
        (
            "space after version",
            "GET / HTTP/1.1 \r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Version),
            400,
        ),
        (
            "HTTP/2.0",
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::UnsupportedVersion),
            505,
        ),
        (
            "HTTP/0.9 with version",
            "GET / HTTP/0.9\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::UnsupportedVersion),
            505,
        ),
        // Host (RFC 9112 §3.2).
        (
            "missing Host",
            "GET / HTTP/1.1\r\n\r\n".into(),
            R::MissingHost,
            400,
        ),
        (
            "two Host",
            "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n".into(),
            R::DuplicateHost,
            400,
        ),
        (
            "two Host in 1.0",
            "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n".into(),
            R::DuplicateHost,
            400,
        ),
        (
            "Host with userinfo",
            "GET / HTTP/1.1\r\nHost: a@b\r\n\r\n".into(),
            R::InvalidHost,
            400,
        ),
        (
            "Host with path",
            "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n".into(),
            R::InvalidHost,
            400,
        ),
        (
            "Host with space",
            "GET / HTTP/1.1\r\nHost: a b\r\n\r\n".into(),
            R::InvalidHost,
            400,
        ),
        // Request-target forms (RFC 9112 §3.2).
        (
            "asterisk for GET",
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "relative target",
            "GET foo HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "origin-form for CONNECT",
            "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "CONNECT without port",
            "CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "absolute-form with an empty authority",
            "GET http:/// HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "absolute-form with a port but no host",
            "GET http://:80/ HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "absolute-form without an authority",
            "GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "absolute-form with userinfo",
            "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "authority-form for GET",
            "GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "authority-form for OPTIONS",
            "OPTIONS example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::InvalidTargetForm,
            400,
        ),
        (
            "bare LF inside the request line",
            "GET /a\nb HTTP/1.1\r\nHost: a\r\n\r\n".into(),
            R::Parse(P::Version),
            400,
        ),
        // Chunked bodies (RFC 9112 §7.1).
        (
            "empty chunk size",
            format!("{chunked}\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkSize),
            400,
        ),
        (
            "chunk size junk",
            format!("{chunked}5x\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkSize),
            400,
        ),
        (
            "chunk size 0x",
            format!("{chunked}0x5\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkSize),
            400,
        ),
        (
            "negative chunk size",
            format!("{chunked}-5\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkSize),
            400,
        ),
        (
            "space after chunk size",
            format!("{chunked}5 \r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkSize),
            400,
        ),
        (
            "chunk size overflow (CVE-2021-32714)",
            format!("{chunked}10000000000000000\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkSizeOverflow),
            400,
        ),
        (
            "chunk data too long (CVE-2025-43859)",
            format!("{chunked}5\r\nhelloXX0\r\n\r\n"),
            R::ChunkDataNotTerminated,
            400,
        ),
        (
            "chunk data LF only",
            format!("{chunked}5\r\nhello\n0\r\n\r\n"),
            R::ChunkDataNotTerminated,
            400,
        ),
        (
            "chunk line bare LF",
            format!("{chunked}5\nhello\r\n0\r\n\r\n"),
            R::Parse(P::BareLf),
            400,
        ),
        (
            "bare LF in extension (TERM.EXT)",
            format!("{chunked}5;a\nhello\r\n0\r\n\r\n"),
            R::Parse(P::BareLf),
            400,
        ),
        (
            "bare CR in extension",
            format!("{chunked}5;a\rb\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::BareCr),
            400,
        ),
        (
            "NUL in extension",
            format!("{chunked}5;a=\0\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkExtension),
            400,
        ),
        (
            "extension without name",
            format!("{chunked}5;\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkExtension),
            400,
        ),
        (
            "extension without value",
            format!("{chunked}5;a=\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkExtension),
            400,
        ),
        (
            "unterminated quoted extension",
            format!("{chunked}5;a=\"b\r\nhello\r\n0\r\n\r\n"),
            R::Parse(P::ChunkExtension),
            400,
        ),
        (
            "extension line too long",
            long_ext,
            R::Parse(P::ChunkExtensionTooLong),
            400,
        ),
        (
            "extensions per message",
            many_ext,
            R::ChunkExtensionsTooLarge,
            413,
        ),
        (
            "leading zeros and an extension share the line budget",
            zeros_and_ext,
            R::Parse(P::ChunkExtensionTooLong),
            400,
        ),
        (
            "leading zeros count against the message budget",
            many_zeros,
            R::ChunkExtensionsTooLarge,
            413,
        ),
        (
            "missing last chunk at EOF-free end",
            format!("{chunked}5\r\nhello\r\n\r\n"),
            R::Parse(P::ChunkSize),
            400,
        ),
        (
            "obs-fold in trailers",
            format!("{chunked}0\r\nX: a\r\n b\r\n\r\n"),
            R::Parse(P::ObsFold),
            400,
        ),
    ];
    for (name, input, error, status) in cases {
        let (_, got) = server(input.as_bytes(), Config::server());
        assert_eq!(got, Some(error), "{name}");
        assert_eq!(error.status_hint(), status, "{name}");
    }
}

#[test]
fn nothing_after_an_error_is_parsed() {
    // The smuggled second request must never surface, however the first one fails.
    let input = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n\
                 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
    let (events, error) = server(input.as_bytes(), Config::server());
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(error, Some(RecvError::ContentLengthWithTransferEncoding));
}

#[test]
fn limits_hold_even_in_one_read() {
    let limits = Limits::default();
    let config = Config {
        limits,
        ..Config::server()
    };
    let huge_value = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(70_000)
    );
    let (_, error) = server(huge_value.as_bytes(), config);
    assert_eq!(error, Some(RecvError::Parse(ParseError::HeadTooLarge)));
    assert_eq!(error.unwrap().status_hint(), 431);

    let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "t".repeat(9000));
    let (_, error) = server(long_target.as_bytes(), config);
    assert_eq!(error, Some(RecvError::Parse(ParseError::TargetTooLong)));
    assert_eq!(error.unwrap().status_hint(), 414);

    let many = format!(
        "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
        "X: y\r\n".repeat(100)
    );
    let (_, error) = server(many.as_bytes(), config);
    assert_eq!(error, Some(RecvError::Parse(ParseError::TooManyHeaders)));
    assert_eq!(error.unwrap().status_hint(), 431);

    // Exactly at the limit is fine; one byte more is not.
    let head = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(100)
    );
    let small = Limits {
        max_head_bytes: head.len(),
        ..limits
    };
    let (events, error) = server(
        head.as_bytes(),
        Config {
            limits: small,
            ..Config::server()
        },
    );
    assert_eq!((events.len(), error), (2, None));
    let smaller = Limits {
        max_head_bytes: head.len() - 1,
        ..limits
    };
    let (_, error) = server(
        head.as_bytes(),
        Config {
            limits: smaller,
            ..Config::server()
        },
    );
    assert_eq!(error, Some(RecvError::Parse(ParseError::HeadTooLarge)));
}

#[test]
fn oversized_head_trickled_in_is_refused_at_the_limit() {
    let mut conn = Connection::new(now(), Config::new(Role::Server));
    conn.recv(now(), b"GET / HTTP/1.1\r\nHost: a\r\nX: ");
    assert_eq!(poll(&mut conn), Ok(None));
    let mut fed = 0;
    let error = loop {
        conn.recv(now(), &[b'v'; 1000]);
        fed += 1000;
        match poll(&mut conn) {
            Ok(None) => assert!(fed < 20_000, "no error after {fed} bytes"),
            Err(e) => break e,
            Ok(Some(e)) => panic!("{e:?}"),
        }
    };
    assert_eq!(error, RecvError::Parse(ParseError::HeadTooLarge));
    assert!(fed <= Limits::default().max_head_bytes + 1000);
}

#[test]
fn each_leniency_relaxes_one_rule() {
    let lenient = |f: fn(&mut Leniency)| {
        let mut config = Config::server();
        f(&mut config.leniency);
        config
    };
    let bare_lf = "GET / HTTP/1.1\nHost: a\n\n";
    assert!(server(bare_lf.as_bytes(), Config::server()).1.is_some());
    let (events, error) = server(bare_lf.as_bytes(), lenient(|l| l.bare_lf = true));
    assert_eq!(error, None);
    assert_eq!(events, ["Request GET / Http11 [Host=a]", "End"]);

    let missing_host = "GET / HTTP/1.1\r\n\r\n";
    let (events, error) = server(missing_host.as_bytes(), lenient(|l| l.missing_host = true));
    assert_eq!((events.len(), error), (2, None));

    let cl_te = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    let mut conn = Connection::new(
        now(),
        lenient(|l| l.content_length_with_transfer_encoding = true),
    );
    conn.recv(now(), cl_te.as_bytes());
    let (events, error) = drain(&mut conn);
    assert_eq!(error, None);
    assert_eq!(&events[1..], ["Data hi", "End"]);
    assert!(
        !conn.keep_alive(),
        "TE wins, and the connection closes afterwards"
    );

    let ws =
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nhi\r\n0\r\n\r\n";
    let (events, error) = server(
        ws.as_bytes(),
        lenient(|l| l.whitespace_after_chunk_size = true),
    );
    assert_eq!((events.len(), error), (3, None));

    let utf8 = "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n";
    let (events, error) = server(utf8.as_bytes(), lenient(|l| l.non_ascii_target = true));
    assert_eq!(error, None);
    assert_eq!(events[0], "Request GET /caf\u{e9} Http11 [Host=a]");

    // Space before a colon is never accepted in requests, even when allowed in responses.
    let sp = "GET / HTTP/1.1\r\nHost : a\r\n\r\n";
    let (_, error) = server(
        sp.as_bytes(),
        lenient(|l| l.space_before_colon_in_responses = true),
    );
    assert_eq!(error, Some(RecvError::Parse(ParseError::SpaceBeforeColon)));
}

#[test]
fn eof_mid_message_is_an_error_and_at_boundary_is_closed() {
    let mut conn = Connection::new(now(), Config::new(Role::Server));
    conn.recv(
        now(),
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel",
    );
    conn.recv_eof(now());
    let (events, error) = drain(&mut conn);
    assert_eq!(events[1], "Data hel");
    assert_eq!(error, Some(RecvError::IncompleteBody));

    let mut conn = Connection::new(now(), Config::new(Role::Server));
    conn.recv(now(), b"GET / HTT");
    conn.recv_eof(now());
    assert_eq!(poll(&mut conn), Err(RecvError::IncompleteHead));

    let mut conn = Connection::new(now(), Config::new(Role::Server));
    conn.recv_eof(now());
    let (events, error) = drain(&mut conn);
    assert_eq!((events, error), (vec!["Closed".to_string()], None));
}

#[test]
fn leading_empty_lines_mix_crlf_and_bare_lf() {
    // Found by fuzzing: "\n\r\n" with bare LF allowed must read the same in one piece
    // as in two.
    let mut config = Config::server();
    config.leniency.bare_lf = true;
    let input = b"\n\r\n";
    let mut whole = Connection::new(
        now(),
        Config {
            role: Role::Server,
            ..config
        },
    );
    whole.recv(now(), input);
    whole.recv_eof(now());
    let mut split = Connection::new(
        now(),
        Config {
            role: Role::Server,
            ..config
        },
    );
    split.recv(now(), &input[..1]);
    assert_eq!(poll(&mut split), Ok(None));
    split.recv(now(), &input[1..]);
    split.recv_eof(now());
    assert_eq!(drain(&mut whole), (vec!["Closed".to_string()], None));
    assert_eq!(drain(&mut split), (vec!["Closed".to_string()], None));
}

#[test]
fn pipelining_past_the_buffer_limit_fails_the_connection_after_the_current_response() {
    use bytes::BytesMut;
    use weft_http1::{Event, ResponseHead, State};
    let limits = Limits {
        max_buffered_bytes: 64 * 1024,
        ..Limits::default()
    };
    let mut conn = Connection::new(
        now(),
        Config {
            limits,
            ..Config::new(Role::Server)
        },
    );
    conn.recv(now(), b"GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(poll(&mut conn), Ok(Some(Event::Request(_)))));
    assert!(matches!(
        poll(&mut conn),
        Ok(Some(Event::EndOfMessage { .. }))
    ));
    // A driver that keeps reading while paused: 4 MiB of pipelined requests.
    let request = b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n".repeat(256);
    for round in 0..512 {
        if round % 2 == 0 {
            conn.recv(now(), &request);
        } else {
            conn.recv_owned(now(), BytesMut::from(&request[..]));
        }
        let (buffered, _) = conn.trailing_data();
        assert!(
            buffered.len() <= limits.max_buffered_bytes + request.len(),
            "{} bytes buffered",
            buffered.len()
        );
    }
    let error = poll(&mut conn).unwrap_err();
    assert_eq!(error, RecvError::BufferFull);
    assert_eq!(error.status_hint(), 400);
    assert!(!conn.keep_alive());
    // The response to the request already taken still goes out whole.
    conn.send_response(&ResponseHead::new(200).with_header("Content-Length", "2"))
        .unwrap();
    conn.send_data("ok".into()).unwrap();
    conn.send_end(None).unwrap();
    assert_eq!(conn.our_state(), State::MustClose);
    let mut wire = Vec::new();
    while let Some(bytes) = conn.poll_transmit() {
        wire.extend_from_slice(&bytes);
    }
    assert!(
        wire.ends_with(b"\r\n\r\nok"),
        "{}",
        String::from_utf8_lossy(&wire)
    );
    // Sticky, and nothing more is buffered.
    conn.recv(now(), b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(poll(&mut conn).unwrap_err(), RecvError::BufferFull);
}

#[test]
fn pipelining_under_the_buffer_limit_loses_nothing() {
    use weft_http1::Event;
    let limits = Limits {
        max_buffered_bytes: 4 * 1024,
        ..Limits::default()
    };
    let mut conn = Connection::new(
        now(),
        Config {
            limits,
            ..Config::new(Role::Server)
        },
    );
    // Exactly up to the limit in one go (the check is before appending).
    let one = b"GET /n HTTP/1.1\r\nHost: a\r\n\r\n";
    let count = limits.max_buffered_bytes / one.len();
    conn.recv(now(), &one.repeat(count));
    for _ in 0..count {
        assert!(matches!(poll(&mut conn), Ok(Some(Event::Request(_)))));
        assert!(matches!(
            poll(&mut conn),
            Ok(Some(Event::EndOfMessage { .. }))
        ));
        conn.send_response(&weft_http1::ResponseHead::new(204))
            .unwrap();
        conn.send_end(None).unwrap();
        conn.start_next_cycle(now()).unwrap();
    }
    assert!(matches!(poll(&mut conn), Ok(None)));
}
