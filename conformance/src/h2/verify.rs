//! The pass criteria of the catalogue (h2spec's `spec/verifier.go`), over any
//! [`Events`] source so the verdict logic is unit-tested without a server.
//!
//! The loops follow h2spec event for event, including its leniencies: a
//! connection error passes on the right GOAWAY *or* on the connection closing
//! (so a GOAWAY with another code followed by a close passes too), and a wait
//! for a frame type gives up at the first timeout.

use super::conn::{Event, Events};
use crate::frame::{ErrorCode, FrameType, flags};

pub(crate) use crate::report::{CaseResult, Failure};

fn mismatch(expected: Vec<String>, actual: Option<Event>) -> Failure {
    Failure::Mismatch {
        expected,
        actual: describe(actual.as_ref()),
    }
}

fn describe(event: Option<&Event>) -> String {
    event.map_or_else(|| "nothing received".to_owned(), Event::to_string)
}

fn frame_of(event: &Event, kind: FrameType) -> Option<&crate::frame::Frame> {
    match event {
        Event::Frame(frame) if frame.kind == kind => Some(frame),
        _ => None,
    }
}

fn goaway_expected(codes: &[ErrorCode]) -> impl Iterator<Item = String> + '_ {
    codes
        .iter()
        .map(|code| format!("GOAWAY Frame (Error Code: {code})"))
}

/// Reads until the connection is done; `judge` says pass (`Some(true)`),
/// keep reading without recording (`Some(false)`), or record as the actual (`None`).
fn read_until(
    events: &mut impl Events,
    judge: impl Fn(&Event) -> Option<bool>,
) -> Result<(), Option<Event>> {
    let mut actual: Option<Event> = None;
    while !events.is_done() {
        let event = events.next_event();
        match &event {
            Event::Closed => return Ok(()),
            Event::Timeout => {
                if actual.is_none() {
                    actual = Some(event);
                }
            }
            _ => match judge(&event) {
                Some(true) => return Ok(()),
                Some(false) => {}
                None => actual = Some(event),
            },
        }
    }
    Err(actual)
}

/// `VerifyConnectionClose`: only the connection closing passes.
pub(crate) fn connection_close(events: &mut impl Events) -> CaseResult {
    read_until(events, |_| None)
        .map_err(|actual| mismatch(vec!["Connection closed".into()], actual))
}

/// `VerifyConnectionError`: a GOAWAY with one of `codes`, or the connection closing.
pub(crate) fn connection_error(events: &mut impl Events, codes: &[ErrorCode]) -> CaseResult {
    read_until(events, |event| {
        frame_of(event, FrameType::GOAWAY)
            .map(|frame| frame.error_code().is_some_and(|code| codes.contains(&code)))
    })
    .map_err(|actual| {
        let expected = goaway_expected(codes)
            .chain(["Connection closed".to_owned()])
            .collect();
        mismatch(expected, actual)
    })
}

/// `VerifyStreamError`: a RST_STREAM or GOAWAY with one of `codes`, or the connection closing.
pub(crate) fn stream_error(events: &mut impl Events, codes: &[ErrorCode]) -> CaseResult {
    read_until(events, |event| match event {
        Event::Frame(frame) if matches!(frame.kind, FrameType::GOAWAY | FrameType::RST_STREAM) => {
            Some(frame.error_code().is_some_and(|code| codes.contains(&code)))
        }
        _ => None,
    })
    .map_err(|actual| {
        let mut expected = Vec::new();
        for code in codes {
            expected.push(format!("GOAWAY Frame (Error Code: {code})"));
            expected.push(format!("RST_STREAM Frame (Error Code: {code})"));
        }
        expected.push("Connection closed".into());
        mismatch(expected, actual)
    })
}

/// `VerifyStreamClose`: the response ends (END_STREAM, or RST_STREAM NO_ERROR).
/// Unlike the others, the connection closing fails it.
pub(crate) fn stream_close(events: &mut impl Events) -> CaseResult {
    let mut actual: Option<Event> = None;
    while !events.is_done() {
        let event = events.next_event();
        let passed = match &event {
            Event::Frame(frame) if frame.kind == FrameType::RST_STREAM => {
                frame.error_code() == Some(ErrorCode::NO_ERROR)
            }
            Event::Frame(frame) => frame.ends_stream(),
            _ => false,
        };
        if passed {
            return Ok(());
        }
        if event != Event::Timeout || actual.is_none() {
            actual = Some(event);
        }
    }
    Err(mismatch(vec!["Stream closed".into()], actual))
}

/// h2spec's `WaitEventByType`: the first frame of `kind`, skipping others;
/// gives up when the connection is done or a timeout follows other events.
pub(crate) fn wait_for(events: &mut impl Events, kind: FrameType) -> Result<Event, Option<Event>> {
    let mut last: Option<Event> = None;
    while !events.is_done() {
        let event = events.next_event();
        if frame_of(&event, kind).is_some() {
            return Ok(event);
        }
        if event == Event::Timeout && last.is_some() {
            break;
        }
        last = Some(event);
    }
    Err(last)
}

/// `VerifyHeadersFrame`: a HEADERS frame on `stream_id` (the response).
pub(crate) fn headers_frame(events: &mut impl Events, stream_id: u32) -> CaseResult {
    let expected = || vec![format!("HEADERS Frame (stream_id:{stream_id})")];
    match wait_for(events, FrameType::HEADERS) {
        Ok(Event::Frame(frame)) if frame.stream_id == stream_id => Ok(()),
        Ok(other) => Err(mismatch(expected(), Some(other))),
        Err(last) => Err(mismatch(expected(), last)),
    }
}

/// `VerifySettingsFrameWithAck`: the next SETTINGS frame is an ACK.
pub(crate) fn settings_ack(events: &mut impl Events) -> CaseResult {
    let expected = || vec!["SETTINGS Frame (length:0, flags:0x01, stream_id:0)".to_owned()];
    match wait_for(events, FrameType::SETTINGS) {
        Ok(Event::Frame(frame)) if frame.has(flags::ACK) => Ok(()),
        Ok(other) => Err(mismatch(expected(), Some(other))),
        Err(last) => Err(mismatch(expected(), last)),
    }
}

fn ping_expected(data: [u8; 8]) -> String {
    format!(
        "PING Frame (length:8, flags:0x01, stream_id:0, opaque_data:{})",
        String::from_utf8_lossy(&data)
    )
}

fn is_ping_ack(event: &Event, data: [u8; 8]) -> bool {
    frame_of(event, FrameType::PING)
        .is_some_and(|frame| frame.has(flags::ACK) && frame.ping_data() == Some(data))
}

/// `VerifyPingFrameWithAck`: the next PING is the ACK of ours, proving that
/// what was sent before it was ignored without an error.
pub(crate) fn ping_ack(events: &mut impl Events, data: [u8; 8]) -> CaseResult {
    match wait_for(events, FrameType::PING) {
        Ok(event) if is_ping_ack(&event, data) => Ok(()),
        Ok(other) => Err(mismatch(vec![ping_expected(data)], Some(other))),
        Err(last) => Err(mismatch(vec![ping_expected(data)], last)),
    }
}

/// `VerifyPingFrameOrConnectionClose`: the ACK of our PING, or the connection closing.
pub(crate) fn ping_ack_or_close(events: &mut impl Events, data: [u8; 8]) -> CaseResult {
    read_until(events, |event| {
        frame_of(event, FrameType::PING).map(|_| is_ping_ack(event, data))
    })
    .map_err(|actual| {
        mismatch(
            vec!["Connection closed".into(), ping_expected(data)],
            actual,
        )
    })
}

/// `VerifyEventType`: a frame of `kind` arrives.
pub(crate) fn frame_type(events: &mut impl Events, kind: FrameType) -> CaseResult {
    wait_for(events, kind)
        .map(drop)
        .map_err(|last| mismatch(vec![format!("{} Frame", kind.name())], last))
}

/// The custom checks of 6.5.3/1, 6.9.1/1 and 6.9.2/*: the next DATA frame
/// carries exactly one octet (the flow-control window the case set).
pub(crate) fn one_octet_data(events: &mut impl Events, stream_id: u32) -> CaseResult {
    let expected = || {
        vec![format!(
            "DATA Frame (length:1, flags:0x00, stream_id:{stream_id})"
        )]
    };
    match wait_for(events, FrameType::DATA) {
        Ok(Event::Frame(frame)) if frame.payload.len() == 1 => Ok(()),
        Ok(other) => Err(mismatch(expected(), Some(other))),
        Err(last) => Err(mismatch(expected(), last)),
    }
}

/// The custom check of 6.9.1/2 and the strict 5.4.1/2: a GOAWAY with `code`.
pub(crate) fn goaway_with(events: &mut impl Events, code: ErrorCode) -> CaseResult {
    let expected = || goaway_expected(&[code]).collect();
    match wait_for(events, FrameType::GOAWAY) {
        Ok(Event::Frame(frame)) if frame.error_code() == Some(code) => Ok(()),
        Ok(other) => Err(mismatch(expected(), Some(other))),
        Err(last) => Err(mismatch(expected(), last)),
    }
}

/// The custom check of 6.9.1/3: a RST_STREAM on `stream_id` with `code`.
pub(crate) fn rst_stream_with(
    events: &mut impl Events,
    stream_id: u32,
    code: ErrorCode,
) -> CaseResult {
    let expected = || vec![format!("RST_STREAM Frame (Error Code: {code})")];
    match wait_for(events, FrameType::RST_STREAM) {
        Ok(Event::Frame(frame))
            if frame.stream_id == stream_id && frame.error_code() == Some(code) =>
        {
            Ok(())
        }
        Ok(other) => Err(mismatch(expected(), Some(other))),
        Err(last) => Err(mismatch(expected(), last)),
    }
}

/// RFC 8441 §5: the answer to an extended CONNECT on `stream_id` is a 2xx HEADERS
/// frame that leaves the stream open. The block is decoded on its own, which holds
/// for the first response of a connection (nothing in the server's table yet).
pub(crate) fn tunnel_opened(events: &mut impl Events, stream_id: u32) -> CaseResult {
    let expected = || {
        vec![format!(
            "HEADERS Frame (stream_id:{stream_id}, :status 2xx, without END_STREAM)"
        )]
    };
    let frame = match wait_for(events, FrameType::HEADERS) {
        Ok(Event::Frame(frame)) => frame,
        Ok(other) => return Err(mismatch(expected(), Some(other))),
        Err(last) => return Err(mismatch(expected(), last)),
    };
    let mut fields = Vec::new();
    let decoded = hpack::Decoder::new(4096).decode(frame.payload.clone(), &mut fields);
    let status = fields
        .iter()
        .find(|f| &f.name[..] == b":status")
        .map(|f| String::from_utf8_lossy(&f.value).into_owned());
    let two_xx = status.as_deref().is_some_and(|s| s.starts_with('2'));
    if frame.stream_id == stream_id && decoded.is_ok() && two_xx && !frame.ends_stream() {
        return Ok(());
    }
    Err(Failure::Mismatch {
        expected: expected(),
        actual: format!("{frame} (:status {})", status.as_deref().unwrap_or("none")),
    })
}

/// DATA on `stream_id` that adds up to `expected` (other frames are skipped): what
/// went through a tunnel came back.
pub(crate) fn data_on(events: &mut impl Events, stream_id: u32, expected: &[u8]) -> CaseResult {
    let want = || vec![format!("DATA on stream {stream_id}: {expected:02x?}")];
    let mut got = Vec::new();
    while got.len() < expected.len() {
        match wait_for(events, FrameType::DATA) {
            Ok(Event::Frame(frame)) if frame.stream_id == stream_id => {
                got.extend_from_slice(&frame.payload);
            }
            Ok(_) => {}
            Err(last) => return Err(mismatch(want(), last)),
        }
    }
    if got == expected {
        return Ok(());
    }
    Err(Failure::Mismatch {
        expected: want(),
        actual: format!("DATA {got:02x?}"),
    })
}

/// The custom check of the preface cases: the server's first frame is a
/// SETTINGS frame without ACK.
pub(crate) fn first_frame_is_settings(events: &mut impl Events) -> CaseResult {
    let event = events.next_event();
    match &event {
        Event::Frame(frame) if frame.kind == FrameType::SETTINGS && !frame.has(flags::ACK) => {
            Ok(())
        }
        _ => Err(mismatch(
            vec!["SETTINGS Frame (flags:0x00)".into()],
            Some(event),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use bytes::Bytes;

    use super::*;
    use crate::frame::Frame;

    /// Plays back a fixed list of events, then times out, like a silent server.
    struct Script {
        events: VecDeque<Event>,
        done: bool,
    }

    impl Script {
        fn new(events: impl IntoIterator<Item = Event>) -> Self {
            Self {
                events: events.into_iter().collect(),
                done: false,
            }
        }
    }

    impl Events for Script {
        fn next_event(&mut self) -> Event {
            let event = self.events.pop_front().unwrap_or(Event::Timeout);
            if matches!(event, Event::Closed | Event::Timeout | Event::Error(_)) {
                self.done = true;
            }
            event
        }

        fn is_done(&self) -> bool {
            self.done
        }
    }

    fn frame(kind: FrameType, flags: u8, stream_id: u32, payload: &[u8]) -> Event {
        Event::Frame(Frame {
            kind,
            flags,
            stream_id,
            payload: Bytes::copy_from_slice(payload),
        })
    }

    fn goaway(code: ErrorCode) -> Event {
        let mut payload = vec![0, 0, 0, 1];
        payload.extend_from_slice(&code.0.to_be_bytes());
        frame(FrameType::GOAWAY, 0, 0, &payload)
    }

    fn rst(stream_id: u32, code: ErrorCode) -> Event {
        frame(FrameType::RST_STREAM, 0, stream_id, &code.0.to_be_bytes())
    }

    fn data(stream_id: u32, len: usize, end: bool) -> Event {
        frame(FrameType::DATA, u8::from(end), stream_id, &vec![b'x'; len])
    }

    const PROTOCOL: &[ErrorCode] = &[ErrorCode::PROTOCOL_ERROR];

    /// A HEADERS frame on stream 1 whose block is `:status` as one literal.
    fn response(status: &str, flags: u8) -> Event {
        let mut block = vec![0x08, 3];
        block.extend_from_slice(status.as_bytes());
        frame(FrameType::HEADERS, flags::END_HEADERS | flags, 1, &block)
    }

    #[test]
    fn tunnel_opened_needs_an_open_2xx() {
        assert_eq!(
            tunnel_opened(&mut Script::new([response("200", 0)]), 1),
            Ok(())
        );
        let ended = response("200", flags::END_STREAM);
        assert!(tunnel_opened(&mut Script::new([ended]), 1).is_err());
        assert!(tunnel_opened(&mut Script::new([response("404", 0)]), 1).is_err());
        assert!(tunnel_opened(&mut Script::new([rst(1, ErrorCode::PROTOCOL_ERROR)]), 1).is_err());
    }

    #[test]
    fn data_on_joins_frames_of_its_stream() {
        let part = |stream, bytes: &[u8]| frame(FrameType::DATA, 0, stream, bytes);
        let frames = [part(1, b"ab"), part(3, b"zz"), part(1, b"c")];
        assert_eq!(data_on(&mut Script::new(frames), 1, b"abc"), Ok(()));
        assert!(data_on(&mut Script::new([part(1, b"abd")]), 1, b"abc").is_err());
        assert!(data_on(&mut Script::new([part(1, b"ab")]), 1, b"abc").is_err());
    }

    #[test]
    fn connection_error_passes_on_goaway_or_close() {
        assert_eq!(
            connection_error(
                &mut Script::new([goaway(ErrorCode::PROTOCOL_ERROR)]),
                PROTOCOL
            ),
            Ok(())
        );
        assert_eq!(
            connection_error(&mut Script::new([Event::Closed]), PROTOCOL),
            Ok(())
        );
        // h2spec's leniency: the wrong code is not recorded, the close that follows passes.
        let wrong_then_close = [goaway(ErrorCode::STREAM_CLOSED), Event::Closed];
        assert_eq!(
            connection_error(&mut Script::new(wrong_then_close), PROTOCOL),
            Ok(())
        );
    }

    #[test]
    fn connection_error_fails_on_data_then_timeout() {
        // nghttpd's answer to http2/5.1.1/2: a response instead of an error.
        let events = [frame(FrameType::HEADERS, 4, 5, b"x"), data(5, 10, true)];
        let Err(Failure::Mismatch { expected, actual }) =
            connection_error(&mut Script::new(events), PROTOCOL)
        else {
            panic!("must fail");
        };
        assert_eq!(
            expected,
            [
                "GOAWAY Frame (Error Code: PROTOCOL_ERROR)",
                "Connection closed"
            ]
        );
        assert_eq!(actual, "DATA Frame (length:10, flags:0x01, stream_id:5)");
    }

    #[test]
    fn connection_error_rejects_rst_stream_and_wrong_goaway_alone() {
        assert!(
            connection_error(
                &mut Script::new([rst(1, ErrorCode::PROTOCOL_ERROR)]),
                PROTOCOL
            )
            .is_err()
        );
        let result = connection_error(
            &mut Script::new([goaway(ErrorCode::FRAME_SIZE_ERROR)]),
            PROTOCOL,
        );
        let Err(Failure::Mismatch { actual, .. }) = result else {
            panic!("must fail")
        };
        assert_eq!(actual, "Timeout");
    }

    #[test]
    fn stream_error_accepts_rst_goaway_close_with_listed_codes() {
        let codes = &[ErrorCode::STREAM_CLOSED, ErrorCode::PROTOCOL_ERROR];
        assert_eq!(
            stream_error(&mut Script::new([rst(3, ErrorCode::PROTOCOL_ERROR)]), codes),
            Ok(())
        );
        assert_eq!(
            stream_error(&mut Script::new([goaway(ErrorCode::STREAM_CLOSED)]), codes),
            Ok(())
        );
        assert_eq!(
            stream_error(&mut Script::new([Event::Closed]), codes),
            Ok(())
        );
        assert!(stream_error(&mut Script::new([rst(1, ErrorCode::CANCEL)]), codes).is_err());
        assert!(stream_error(&mut Script::new([data(1, 1, true)]), codes).is_err());
    }

    #[test]
    fn stream_close_needs_end_of_stream() {
        let headers_only = frame(FrameType::HEADERS, 4, 1, b"x");
        assert_eq!(
            stream_close(&mut Script::new([headers_only.clone(), data(1, 3, true)])),
            Ok(())
        );
        assert_eq!(
            stream_close(&mut Script::new([rst(1, ErrorCode::NO_ERROR)])),
            Ok(())
        );
        assert!(stream_close(&mut Script::new([headers_only, Event::Closed])).is_err());
        assert!(stream_close(&mut Script::new([rst(1, ErrorCode::CANCEL)])).is_err());
    }

    #[test]
    fn headers_frame_checks_stream() {
        let settings = frame(FrameType::SETTINGS, 1, 0, b"");
        assert_eq!(
            headers_frame(
                &mut Script::new([settings, frame(FrameType::HEADERS, 4, 1, b"")]),
                1
            ),
            Ok(())
        );
        assert!(
            headers_frame(&mut Script::new([frame(FrameType::HEADERS, 4, 3, b"")]), 1).is_err()
        );
        assert!(
            headers_frame(
                &mut Script::new([goaway(ErrorCode::PROTOCOL_ERROR), Event::Closed]),
                1
            )
            .is_err()
        );
    }

    #[test]
    fn ping_ack_needs_same_data_and_ack() {
        let ours = *b"h2spec\0\0";
        let ack = frame(FrameType::PING, 1, 0, &ours);
        assert_eq!(ping_ack(&mut Script::new([ack.clone()]), ours), Ok(()));
        assert!(
            ping_ack(
                &mut Script::new([frame(FrameType::PING, 1, 0, &[0; 8])]),
                ours
            )
            .is_err()
        );
        assert!(
            ping_ack(
                &mut Script::new([frame(FrameType::PING, 0, 0, &ours)]),
                ours
            )
            .is_err()
        );
        assert!(ping_ack(&mut Script::new([Event::Closed]), ours).is_err());
        assert_eq!(
            ping_ack_or_close(&mut Script::new([Event::Closed]), ours),
            Ok(())
        );
        assert_eq!(
            ping_ack_or_close(&mut Script::new([goaway(ErrorCode::NO_ERROR), ack]), ours),
            Ok(())
        );
        assert!(ping_ack_or_close(&mut Script::new([]), ours).is_err());
    }

    #[test]
    fn settings_ack_and_first_frame() {
        let ack = frame(FrameType::SETTINGS, 1, 0, b"");
        let settings = frame(FrameType::SETTINGS, 0, 0, b"");
        assert_eq!(settings_ack(&mut Script::new([ack.clone()])), Ok(()));
        assert!(settings_ack(&mut Script::new([settings.clone()])).is_err());
        assert_eq!(
            first_frame_is_settings(&mut Script::new([settings])),
            Ok(())
        );
        assert!(first_frame_is_settings(&mut Script::new([ack])).is_err());
        assert!(first_frame_is_settings(&mut Script::new([Event::Closed])).is_err());
    }

    #[test]
    fn flow_control_checks() {
        assert_eq!(
            one_octet_data(&mut Script::new([data(1, 1, false)]), 1),
            Ok(())
        );
        assert!(one_octet_data(&mut Script::new([data(1, 2, false)]), 1).is_err());
        let flow = ErrorCode::FLOW_CONTROL_ERROR;
        assert_eq!(goaway_with(&mut Script::new([goaway(flow)]), flow), Ok(()));
        assert!(goaway_with(&mut Script::new([Event::Closed]), flow).is_err());
        assert_eq!(
            rst_stream_with(&mut Script::new([rst(1, flow)]), 1, flow),
            Ok(())
        );
        assert!(rst_stream_with(&mut Script::new([rst(3, flow)]), 1, flow).is_err());
    }

    #[test]
    fn connection_close_only_on_close() {
        assert_eq!(
            connection_close(&mut Script::new([
                goaway(ErrorCode::PROTOCOL_ERROR),
                Event::Closed
            ])),
            Ok(())
        );
        let Err(Failure::Mismatch { actual, .. }) =
            connection_close(&mut Script::new([goaway(ErrorCode::PROTOCOL_ERROR)]))
        else {
            panic!("must fail")
        };
        assert!(actual.starts_with("GOAWAY Frame"), "{actual}");
    }

    #[test]
    fn frame_type_waits_past_other_frames() {
        let events = [
            frame(FrameType::WINDOW_UPDATE, 0, 0, &[0, 0, 0, 1]),
            data(1, 1, false),
        ];
        assert_eq!(
            frame_type(&mut Script::new(events), FrameType::DATA),
            Ok(())
        );
        assert!(frame_type(&mut Script::new([Event::Timeout]), FrameType::DATA).is_err());
    }
}
