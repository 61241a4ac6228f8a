//! The lookup: a read-only copy of the trie with one step per path segment, and the walk
//! with complete backtracking.
//!
//! The copy is rebuilt from `tree::Node` after a change, on the first lookup. The byte
//! trie `insert` edits is the right shape for conflicts and priorities, but walking it
//! costs a step per edge, and edges split segments (`star|red`, `star|gazers`). Here a
//! *state* is a place in that trie at the end of a segment (before a `/` or the path's
//! end), and a lookup makes one step per segment:
//!
//! 1. the whole segment, found in one hash table of every static step `(state, segment)
//!    -> state`, keyed by the state, the segment's length and its first eight bytes (a
//!    longer segment's last eight are compared on a hit, and past sixteen all of it),
//!    then
//! 2. the state's *patterns*: every parameter and catch-all that can start in the next
//!    segment, each with the static bytes before it inside the segment (`v` in
//!    `/v{version}`), deepest first, and at one depth the parameter continuations
//!    (longest suffix first) before the catch-all.
//!
//! That is the order of the byte trie's walk (a static byte before a parameter before a
//! catch-all, at each byte): the static segment is the deepest static way, and a pattern
//! only applies where its prefix is the segment's start, where the byte trie would have
//! reached it. A catch-all right at the end of a segment (`/a{*rest}` on `/a/b`) is the
//! pattern whose prefix is the whole segment: when the static way from there fails, it
//! is the first pattern that can apply, as in the byte trie.
//!
//! The walk keeps no stack of choice points: where a dead end resumes depends only on the
//! state it happens in, so each state carries its resume point (`Back`), fixed when the
//! table is built: the nearest state above it that still has an untried alternative, and
//! which one. The number of values captured there is fixed too (one per parameter above
//! it), and so is the number of bytes between the last of them and its position, so
//! resuming truncates the captured values and recomputes the position from them. That is
//! exactly the last-in-first-out order of a stack of save points, without the stack:
//! only a lookup that backtracks pays for it, and it never allocates. Each alternative is
//! tried at most once per visit of its state, so the work is bounded by the number of
//! states on the candidate paths.

use crate::params::{INLINE_PARAMS, SmallStack, Span};
use crate::tree::Node;

/// "None" in the `u32` slot and index fields.
const NONE: u32 = u32::MAX;

/// A byte that never occurs in UTF-8 text: the bytes read past the end of a path, so that
/// they never equal a route byte or a `/`.
const NOT_UTF8: u8 = 0xFF;

pub(crate) type Captures = SmallStack<Span, INLINE_PARAMS>;

/// The most route bytes a router takes, so that every offset fits the `u32` fields.
pub(crate) const MAX_ROUTE_BYTES: usize = 1 << 24;

/// The most route segments a router takes: the table has a state and a step or a pattern
/// per segment (about 200 bytes with the step table's free entries), which this keeps
/// near 200 MiB for `////…`, where 16 MiB of route text alone would allow 3 GiB.
pub(crate) const MAX_ROUTE_SEGMENTS: usize = 1 << 20;

#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    states: Vec<State>,
    patterns: Vec<Pattern>,
    /// Every static step, open addressing; the length is a power of two.
    steps: Vec<Step>,
    /// `steps.len() - 1`.
    step_mask: usize,
    /// 64 minus the number of bits of a `steps` index, for Fibonacci hashing.
    step_shift: u32,
    /// When every route starts with `/` (the first state's only way on is the empty first
    /// segment), the state after it: a lookup starts there, past the path's `/`, rather
    /// than taking a step every path takes. `NONE` otherwise.
    after_slash: u32,
    /// Static segments longer than sixteen bytes, pattern prefixes and suffixes.
    bytes: Vec<u8>,
}

/// A place at the end of a segment: what ends there and what may follow.
#[derive(Debug, Clone, Copy)]
struct State {
    /// The route that ends here, if the path ends here.
    value: u32,
    /// The patterns that may match the next segment: `patterns[patterns_at..][..pattern_count]`.
    patterns_at: u32,
    pattern_count: u32,
    /// Whether any static step leaves this state (else the hash probe is skipped).
    has_steps: bool,
    /// Where a dead end here resumes: read only to backtrack.
    back: Back,
}

/// A state not laid out yet.
const BLANK: State = State {
    value: NONE,
    patterns_at: 0,
    pattern_count: 0,
    has_steps: false,
    back: GIVE_UP,
};

/// A parameter or catch-all in the next segment, after `prefix_len` static bytes of it.
#[derive(Debug, Clone, Copy)]
struct Pattern {
    /// The first (up to) eight bytes of the prefix, and the lanes that hold them.
    prefix_head: u64,
    prefix_mask: u64,
    prefix_len: u32,
    /// Where the prefix (whole) and then the suffix start in `bytes`.
    prefix_at: u32,
    suffix_len: u32,
    /// The state after the segment, for a parameter; `NONE` for a catch-all.
    next: u32,
    /// The slot of the route, for a catch-all.
    catch_all: u32,
}

/// One entry of the static step table: from a state, the segment whose first eight
/// bytes are `head` (zero-padded) leads to `to`.
#[derive(Debug, Clone, Copy)]
struct Step {
    head: u64,
    /// The state it leaves and the segment's length (`step_key`).
    key: u64,
    /// The last eight bytes of a segment longer than eight: with `head`, all of a segment
    /// of up to sixteen bytes, two compares.
    tail: u64,
    /// `NONE` in a free entry.
    to: u32,
    /// Where the bytes of a segment longer than sixteen start in `bytes`.
    rest_at: u32,
}

/// A free entry: its key is no state's.
const FREE: Step = Step {
    head: 0,
    key: u64::MAX,
    tail: 0,
    to: NONE,
    rest_at: 0,
};

#[inline(always)]
fn step_key(from: u32, len: usize) -> u64 {
    // Segment lengths fit 32 bits: longer paths are refused before the walk.
    (u64::from(from) << 32) | (len as u64 & u64::from(u32::MAX))
}

/// Where a lookup that dies below a state goes on: `state`'s patterns from `stage` on are
/// untried. `state` had `captured` values captured, and the segment after it starts
/// `tail` bytes after the end of the last of them (after the path's start if none).
#[derive(Debug, Clone, Copy)]
struct Back {
    state: u32,
    stage: u32,
    captured: u32,
    tail: u32,
}

/// No resume point: a dead end there is a miss.
const GIVE_UP: Back = Back {
    state: NONE,
    stage: 0,
    captured: 0,
    tail: 0,
};

fn to_u32(n: usize) -> u32 {
    // `Router::insert` keeps the total size far below `u32::MAX` (`MAX_ROUTE_BYTES`).
    u32::try_from(n).unwrap_or(NONE)
}

fn slot(slot: Option<usize>) -> u32 {
    slot.map_or(NONE, to_u32)
}

/// A place in the byte trie: `node`'s prefix matched up to `matched` bytes.
#[derive(Clone, Copy)]
struct Place<'t> {
    node: &'t Node,
    matched: usize,
}

impl<'t> Place<'t> {
    /// At the node itself, where its parameters, catch-all and value apply.
    fn at_node(self) -> Option<&'t Node> {
        (self.matched == self.node.prefix.len()).then_some(self.node)
    }

    /// The place after one more static byte.
    fn after(self, byte: u8) -> Option<Place<'t>> {
        match self.node.prefix.get(self.matched) {
            Some(&b) if b == byte => Some(Place {
                node: self.node,
                matched: self.matched + 1,
            }),
            Some(_) => None,
            None => {
                let i = self.node.indices.iter().position(|&b| b == byte)?;
                Some(Place {
                    node: self.node.children.get(i)?,
                    matched: 1,
                })
            }
        }
    }

    /// Whether a lookup can go on from here once a segment ends: the path ends on a
    /// value or continues with `/`. (A catch-all here is a pattern of the segment.)
    fn ends_segment(self) -> bool {
        self.after(b'/').is_some() || self.at_node().is_some_and(|n| n.value.is_some())
    }
}

/// A state still to be laid out: its place and what the build knows on the way to it.
struct Pending<'t> {
    place: Place<'t>,
    /// Where the next segment starts: right here for the first state, after a `/` else.
    segment_start: Option<Place<'t>>,
    index: usize,
    captured: u32,
    tail: u32,
    back: Back,
}

/// What can match the segment that starts at a place: static segments (bytes, the place
/// at their end) and patterns (prefix, then the parameter continuation or catch-all).
#[derive(Default)]
struct Segment<'t> {
    statics: Vec<(Vec<u8>, Place<'t>)>,
    /// The static bytes before the parameter or catch-all, and which it is.
    patterns: Vec<(Vec<u8>, PatternKind<'t>)>,
}

enum PatternKind<'t> {
    Param { suffix: &'t [u8], next: &'t Node },
    CatchAll { slot: usize },
}

impl<'t> Segment<'t> {
    /// Everything that can match a segment starting at `start`, walking the static bytes
    /// up to the next `/` (with an explicit stack: a segment may be megabytes long).
    fn collect(start: Place<'t>) -> Self {
        let mut out = Segment::default();
        let mut bytes = Vec::new();
        let mut stack = vec![(start, 0)];
        while let Some((place, depth)) = stack.pop() {
            bytes.truncate(depth);
            let mut place = place;
            // Along a prefix there is one way on: follow it byte by byte.
            loop {
                if let Some(node) = place.at_node() {
                    for end in node.param.iter().flat_map(|p| &p.ends) {
                        let kind = PatternKind::Param {
                            suffix: &end.suffix,
                            next: &end.next,
                        };
                        out.patterns.push((bytes.clone(), kind));
                    }
                    if let Some(slot) = node.catch_all {
                        out.patterns
                            .push((bytes.clone(), PatternKind::CatchAll { slot }));
                    }
                }
                if place.ends_segment() {
                    out.statics.push((bytes.clone(), place));
                }
                match place.node.prefix.get(place.matched) {
                    Some(&b'/') => break,
                    Some(&b) => {
                        bytes.push(b);
                        place.matched += 1;
                    }
                    None => {
                        for (&b, child) in place.node.indices.iter().zip(&place.node.children) {
                            if b != b'/' {
                                stack.push((
                                    Place {
                                        node: child,
                                        matched: 0,
                                    },
                                    bytes.len(),
                                ));
                            }
                        }
                        break;
                    }
                }
            }
        }
        // Deepest first; at one depth the order of the trie (continuations, then the
        // catch-all) is kept by the stable sort. Two patterns of one depth with
        // different prefixes never both apply.
        out.patterns
            .sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        out
    }
}

impl Table {
    /// Builds the segment table of the byte trie at `root`.
    pub(crate) fn build(root: &Node) -> Self {
        let mut out = Table::default();
        let mut steps: Vec<(Vec<u8>, u32, u32)> = Vec::new();
        let mut queue = std::collections::VecDeque::new();
        let first = Place {
            node: root,
            matched: 0,
        };
        out.states.push(BLANK);
        queue.push_back(Pending {
            place: first,
            segment_start: Some(first),
            index: 0,
            captured: 0,
            tail: 0,
            back: GIVE_UP,
        });
        while let Some(pending) = queue.pop_front() {
            let here = pending.place.at_node();
            let segment = pending
                .segment_start
                .map(Segment::collect)
                .unwrap_or_default();
            let pattern_count = segment.patterns.len();
            // Resuming here at `stage`, if anything is left from there.
            let resume_here = |stage: usize| {
                if stage < pattern_count {
                    Back {
                        state: to_u32(pending.index),
                        stage: to_u32(stage),
                        captured: pending.captured,
                        tail: pending.tail,
                    }
                } else {
                    pending.back
                }
            };
            for (bytes, place) in &segment.statics {
                let index = out.states.len();
                out.states.push(BLANK);
                steps.push((bytes.clone(), to_u32(pending.index), to_u32(index)));
                queue.push_back(Pending {
                    place: *place,
                    segment_start: place.after(b'/'),
                    index,
                    captured: pending.captured,
                    tail: pending.tail + to_u32(bytes.len() + 1),
                    back: resume_here(0),
                });
            }
            let patterns_at = out.patterns.len();
            for (stage, (prefix, kind)) in segment.patterns.iter().enumerate() {
                let prefix_at = out.bytes.len();
                out.bytes.extend_from_slice(prefix);
                let head_len = prefix.len().min(8);
                let mut pattern = Pattern {
                    prefix_head: head(prefix),
                    prefix_mask: lanes(head_len),
                    prefix_len: to_u32(prefix.len()),
                    prefix_at: to_u32(prefix_at),
                    suffix_len: 0,
                    next: NONE,
                    catch_all: NONE,
                };
                match kind {
                    PatternKind::Param { suffix, next } => {
                        out.bytes.extend_from_slice(suffix);
                        let index = out.states.len();
                        out.states.push(BLANK);
                        let place = Place {
                            node: next,
                            matched: 0,
                        };
                        queue.push_back(Pending {
                            place,
                            segment_start: place.after(b'/'),
                            index,
                            captured: pending.captured + 1,
                            tail: to_u32(suffix.len() + 1),
                            back: resume_here(stage + 1),
                        });
                        pattern.suffix_len = to_u32(suffix.len());
                        pattern.next = to_u32(index);
                    }
                    PatternKind::CatchAll { slot } => pattern.catch_all = to_u32(*slot),
                }
                out.patterns.push(pattern);
            }
            if let Some(state) = out.states.get_mut(pending.index) {
                *state = State {
                    // The first state is before the first segment, not at the end of one.
                    value: if pending.index == 0 {
                        NONE
                    } else {
                        slot(here.and_then(|n| n.value))
                    },
                    patterns_at: to_u32(patterns_at),
                    pattern_count: to_u32(pattern_count),
                    has_steps: !segment.statics.is_empty(),
                    back: pending.back,
                };
            }
        }
        let first_steps: Vec<_> = steps.iter().filter(|(_, from, _)| *from == 0).collect();
        out.after_slash = match (first_steps.as_slice(), out.states.first()) {
            ([(bytes, _, to)], Some(first)) if bytes.is_empty() && first.pattern_count == 0 => *to,
            _ => NONE,
        };
        out.lay_out_steps(steps);
        out
    }

    /// Fills the step table, at most half full so that a probe rarely goes past one entry.
    fn lay_out_steps(&mut self, steps: Vec<(Vec<u8>, u32, u32)>) {
        let size = (steps.len() * 2).next_power_of_two().max(8);
        self.steps = vec![FREE; size];
        self.step_mask = size - 1;
        self.step_shift = 64 - size.trailing_zeros();
        for (bytes, from, to) in steps {
            let tail = bytes.len().saturating_sub(8);
            let step = Step {
                head: head(&bytes),
                key: step_key(from, bytes.len()),
                tail: head(bytes.get(tail..).unwrap_or_default()),
                to,
                rest_at: to_u32(self.bytes.len()),
            };
            if bytes.len() > 16 {
                self.bytes.extend_from_slice(&bytes);
            }
            let mut at = self.step_hash(step.head, step.key);
            while let Some(entry) = self.steps.get_mut(at) {
                if entry.to == NONE {
                    *entry = step;
                    break;
                }
                at = (at + 1) & self.step_mask;
            }
        }
    }

    /// The state the static segment `path[start..end]` leads to from `from`; `word` is
    /// `word_at(path, start)`.
    #[inline(always)]
    fn step(&self, from: u32, path: &[u8], start: usize, end: usize, word: u64) -> Option<u32> {
        let len = end - start;
        let head = word & lanes(len);
        let key = step_key(from, len);
        let mut at = self.step_hash(head, key);
        loop {
            let step = self.steps.get(at)?;
            if step.head == head && step.key == key {
                if len <= 8 || self.rest_eq(step, path, start, end) {
                    return Some(step.to);
                }
            } else if step.to == NONE {
                return None;
            }
            at = (at + 1) & self.step_mask;
        }
    }

    /// Whether the segment `path[start..end]`, longer than eight bytes, has the step's
    /// bytes past the eighth (the first eight are equal). Out of line, so that its setup
    /// is not hoisted into every step.
    #[inline(never)]
    fn rest_eq(&self, step: &Step, path: &[u8], start: usize, end: usize) -> bool {
        let Some(tail) = end
            .checked_sub(8)
            .and_then(|at| path.get(at..))
            .and_then(<[u8]>::first_chunk::<8>)
        else {
            return false;
        };
        u64::from_le_bytes(*tail) == step.tail
            && (end - start <= 16 || self.long_eq(step, path, start, end))
    }

    /// `rest_eq` past sixteen bytes. Out of line: such segments are rare, and the
    /// compare's setup would otherwise be paid on every step.
    #[cold]
    #[inline(never)]
    fn long_eq(&self, step: &Step, path: &[u8], start: usize, end: usize) -> bool {
        let rest_at = step.rest_at as usize;
        match (
            path.get(start..end),
            self.bytes.get(rest_at..rest_at + (end - start)),
        ) {
            (Some(actual), Some(expected)) => bytes_eq(actual, expected),
            _ => false,
        }
    }

    #[inline(always)]
    fn step_hash(&self, head: u64, key: u64) -> usize {
        ((head ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.step_shift) as usize
    }

    /// Finds the slot of the route for `path`; its captured values go into `captures`.
    ///
    /// Paths longer than 4 GiB never match: positions are kept as `u32`.
    pub(crate) fn find(&self, path: &str, captures: &mut Captures) -> Option<usize> {
        let path = path.as_bytes();
        if u32::try_from(path.len()).is_err() {
            return None;
        }
        // `start`: where the segment after `state` starts; past the end when the path
        // ended there.
        let (mut index, mut start) = (0, 0);
        if self.after_slash != NONE {
            if !matches!(path.first(), None | Some(b'/')) {
                return None;
            }
            (index, start) = (self.after_slash, 1);
        }
        let mut state = self.states.get(index as usize)?;
        'descend: loop {
            let mut stage = 0;
            // The segment `start..end` and its first eight bytes, if the path goes on.
            let (mut word, mut end) = (0, 0);
            if start <= path.len() {
                word = word_at(path, start);
                end = segment_end(path, start, word);
                if state.has_steps
                    && let Some(to) = self.step(index, path, start, end, word)
                    && let Some(next) = self.states.get(to as usize)
                {
                    index = to;
                    state = next;
                    start = end + 1;
                    continue 'descend;
                }
            } else if state.value != NONE {
                return Some(state.value as usize);
            }

            // The static way is closed: the patterns of `state` from `stage` on, then back
            // up to the resume point.
            loop {
                if start <= path.len() {
                    while stage < state.pattern_count {
                        let pattern = self.patterns.get((state.patterns_at + stage) as usize)?;
                        stage += 1;
                        let Some(value_start) = self.prefix_end(pattern, path, start, end, word)
                        else {
                            continue;
                        };
                        if pattern.next == NONE {
                            if value_start < path.len() {
                                captures.push((value_start as u32, path.len() as u32));
                                return Some(pattern.catch_all as usize);
                            }
                            continue;
                        }
                        let Some(value_end) = self.value_end(pattern, path, value_start, end)
                        else {
                            continue;
                        };
                        let Some(next) = self.states.get(pattern.next as usize) else {
                            continue;
                        };
                        captures.push((value_start as u32, value_end as u32));
                        index = pattern.next;
                        state = next;
                        start = end + 1;
                        continue 'descend;
                    }
                }

                let back = state.back;
                if back.state == NONE {
                    return None;
                }
                captures.truncate(back.captured as usize);
                let anchor = match back.captured.checked_sub(1) {
                    Some(last) => captures.get(last as usize)?.1,
                    None => 0,
                };
                index = back.state;
                state = self.states.get(index as usize)?;
                start = anchor as usize + back.tail as usize;
                stage = back.stage;
                if start <= path.len() {
                    word = word_at(path, start);
                    end = segment_end(path, start, word);
                }
            }
        }
    }

    /// Where the value starts if the segment `path[start..end]` begins with `pattern`'s
    /// prefix; `word` is `word_at(path, start)`.
    #[inline(always)]
    fn prefix_end(
        &self,
        pattern: &Pattern,
        path: &[u8],
        start: usize,
        end: usize,
        word: u64,
    ) -> Option<usize> {
        let len = pattern.prefix_len as usize;
        if start + len > end || (word ^ pattern.prefix_head) & pattern.prefix_mask != 0 {
            return None;
        }
        if len > 8 {
            let at = pattern.prefix_at as usize;
            let expected = self.bytes.get(at + 8..at + len)?;
            if !bytes_eq(path.get(start + 8..start + len)?, expected) {
                return None;
            }
        }
        Some(start + len)
    }

    /// Where a parameter's value ends if the segment ending at `end` has a non-empty
    /// value from `value_start` and ends with the pattern's suffix.
    #[inline(always)]
    fn value_end(
        &self,
        pattern: &Pattern,
        path: &[u8],
        value_start: usize,
        end: usize,
    ) -> Option<usize> {
        let suffix_len = pattern.suffix_len as usize;
        let value_end = end.checked_sub(suffix_len)?;
        if value_end <= value_start {
            return None;
        }
        if suffix_len == 0 {
            return Some(value_end);
        }
        let at = (pattern.prefix_at + pattern.prefix_len) as usize;
        let suffix = self.bytes.get(at..at + suffix_len)?;
        bytes_eq(path.get(value_end..end)?, suffix).then_some(value_end)
    }
}

/// The first (up to) eight bytes, little-endian, zero-padded.
fn head(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(std::array::from_fn(|i| bytes.get(i).copied().unwrap_or(0)))
}

/// A mask of the low `n` byte lanes (all of them from eight on).
#[inline(always)]
fn lanes(n: usize) -> u64 {
    const LANES: [u64; 9] = {
        let mut lanes = [u64::MAX; 9];
        let mut n = 0;
        while n < 8 {
            lanes[n] = (1 << (8 * n)) - 1;
            n += 1;
        }
        lanes
    };
    LANES[n.min(8)]
}

/// The eight path bytes from `pos`, little-endian, those past the end read as `NOT_UTF8`.
#[inline(always)]
fn word_at(path: &[u8], pos: usize) -> u64 {
    match path.get(pos..).and_then(<[u8]>::first_chunk::<8>) {
        Some(chunk) => u64::from_le_bytes(*chunk),
        None => short_word(path, pos),
    }
}

/// `word_at` within eight bytes of the path's end: one load of the path's last eight
/// bytes, shifted, rather than a byte loop.
#[inline(always)]
fn short_word(path: &[u8], pos: usize) -> u64 {
    const PAST_END: u64 = u64::from_le_bytes([NOT_UTF8; 8]);
    if let Some(start) = path.len().checked_sub(8)
        && let Some(last) = path.get(start..).and_then(<[u8]>::first_chunk::<8>)
    {
        // `pos > start` here; shifting by 64 or more leaves nothing of the path.
        let shift = u32::try_from(8 * (pos - start)).unwrap_or(u32::MAX);
        let kept = u64::from_le_bytes(*last).checked_shr(shift).unwrap_or(0);
        return kept | !PAST_END.checked_shr(shift).unwrap_or(0);
    }
    let mut word = [NOT_UTF8; 8];
    for (lane, &b) in word.iter_mut().zip(path.get(pos..).unwrap_or_default()) {
        *lane = b;
    }
    u64::from_le_bytes(word)
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const SLASHES: u64 = LOW * b'/' as u64;

/// The high bit of every zero byte lane of `word` is set, and possibly of lanes above a
/// zero lane, never below: the lowest set bit marks the first zero lane exactly.
#[inline(always)]
fn zero_lanes(word: u64) -> u64 {
    word.wrapping_sub(LOW) & !word & HIGH
}

/// The end of the segment that starts at `start`: the next `/` or the end of the path.
/// `word` is `word_at(path, start)`; then eight bytes per step.
#[inline(always)]
fn segment_end(path: &[u8], start: usize, word: u64) -> usize {
    // Lanes past the path's end hold `NOT_UTF8`, never a `/`.
    let found = zero_lanes(word ^ SLASHES);
    if found != 0 {
        return start + (found.trailing_zeros() / 8) as usize;
    }
    let mut pos = start + 8;
    while let Some(chunk) = path.get(pos..).and_then(<[u8]>::first_chunk::<8>) {
        let found = zero_lanes(u64::from_le_bytes(*chunk) ^ SLASHES);
        if found != 0 {
            return pos + (found.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    let rest = path.get(pos..).unwrap_or_default();
    rest.iter()
        .position(|&b| b == b'/')
        .map_or(path.len(), |i| pos + i)
}

/// Equality of two short byte strings, inlined: route segments are a few bytes long, and
/// a call into the C library's `memcmp` for each of them dominated an earlier profile.
#[inline(always)]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in a_words.by_ref().zip(b_words.by_ref()) {
        if x.iter().zip(y).fold(0, |acc, (p, q)| acc | (p ^ q)) != 0 {
            return false;
        }
    }
    a_words
        .remainder()
        .iter()
        .zip(b_words.remainder())
        .all(|(p, q)| p == q)
}
