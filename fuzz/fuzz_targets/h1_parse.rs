#![no_main]
//! The pure HTTP/1.1 parsers on arbitrary bytes: never panic, spans stay inside the head,
//! a complete parse of the head alone gives the same result, and every proper prefix of
//! a complete head is `Partial` (incomplete input is never an error).

use http1_proto::{
    Config, Leniency, Limits, Status, parse_chunk_line, parse_fields, parse_request_head,
    parse_response_head,
};
use libfuzzer_sys::{arbitrary, fuzz_target};

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    leniency: Leniency,
    small_limits: bool,
    data: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let limits = if input.small_limits {
        Limits {
            max_head_bytes: 256,
            max_headers: 4,
            max_target_bytes: 32,
            max_chunk_ext_per_line: 16,
            max_chunk_ext_per_message: 64,
            max_buffered_bytes: 512,
        }
    } else {
        Limits::default()
    };
    let config = Config {
        limits,
        leniency: input.leniency,
        ..Config::server()
    };
    let data = &input.data[..];
    let mut fields = Vec::new();

    if let Ok(Status::Complete(req)) = parse_request_head(data, &config, &mut fields) {
        let head = &data[..req.head_len];
        assert!(req.head_len <= limits.max_head_bytes);
        assert!(fields.len() <= limits.max_headers);
        assert!(!req.method.is_empty() && req.method.end <= req.head_len);
        assert!(req.target.len() <= limits.max_target_bytes);
        for f in &fields {
            assert!(f.name.end <= req.head_len && f.value.end <= req.head_len);
            assert!(!f.name.of(head).is_empty());
            assert!(!f.value.of(head).contains(&b'\r'));
            assert!(!f.value.of(head).contains(&b'\n'));
        }
        let mut again = Vec::new();
        assert_eq!(
            parse_request_head(head, &config, &mut again),
            Ok(Status::Complete(req))
        );
        assert_eq!(again, fields);
        for cut in 0..req.head_len {
            let partial = parse_request_head(&head[..cut], &config, &mut again);
            assert_eq!(partial, Ok(Status::Partial), "prefix {cut}");
        }
    }

    if let Ok(Status::Complete(resp)) = parse_response_head(data, &config, &mut fields) {
        assert!((100..=999).contains(&resp.status));
        let head = &data[..resp.head_len];
        let mut again = Vec::new();
        assert_eq!(
            parse_response_head(head, &config, &mut again),
            Ok(Status::Complete(resp))
        );
        for cut in 0..resp.head_len {
            assert_eq!(
                parse_response_head(&head[..cut], &config, &mut again),
                Ok(Status::Partial)
            );
        }
    }

    if let Ok(Status::Complete(n)) = parse_fields(data, &config, &mut fields) {
        assert!(n <= data.len());
    }

    if let Ok(Status::Complete(line)) = parse_chunk_line(data, &config) {
        assert!(line.line_len <= data.len());
        assert!(line.overhead_len <= limits.max_chunk_ext_per_line);
        assert_eq!(
            parse_chunk_line(&data[..line.line_len], &config),
            Ok(Status::Complete(line))
        );
        for cut in 0..line.line_len {
            assert_eq!(parse_chunk_line(&data[..cut], &config), Ok(Status::Partial));
        }
    }
});
