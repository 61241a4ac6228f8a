//! The lookup: a flat, read-only copy of the trie and the walk with complete backtracking.
//!
//! The copy is rebuilt from `tree::Node` after a change, on the first lookup. All nodes
//! sit in one array (56 bytes each, siblings contiguous), edges and suffixes in one byte
//! array, so a lookup touches a few cache lines instead of chasing a pointer per node.
//!
//! Priority at every node: static child, then the parameter continuations in order
//! (longest suffix first, plain `{name}` last), then the catch-all. Whenever a better
//! alternative is taken while a worse one remains, a save point `(node, position,
//! captured count, next alternative)` is pushed; a dead end pops the most recent one
//! (LIFO), truncates the captured values to the count saved (values captured above the
//! save point survive) and resumes with its next alternative. Every save point is popped
//! at most once, so the work is bounded by the number of nodes on the candidate paths.

use crate::params::{INLINE_PARAMS, SmallStack, Span};
use crate::tree::Node;

/// "No slot" in the `u32` slot fields.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    nodes: Vec<Flat>,
    /// Every prefix and suffix, back to back.
    bytes: Vec<u8>,
    /// Jump tables of the nodes with more than `LINEAR_CHILDREN` children: for each
    /// byte, 1 + the offset of the child it starts, or 0.
    jumps: Vec<u16>,
    ends: Vec<FlatEnd>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Flat {
    /// The first (up to) eight bytes of the prefix, little-endian, zero-padded: a short
    /// edge is checked with one load, xor and mask instead of a byte loop.
    prefix_head: u64,
    /// The first bytes of the children when there are at most eight (else a jump table).
    index: [u8; 8],
    prefix_at: u32,
    prefix_len: u32,
    /// Children are `nodes[children..children + child_count]`.
    children: u32,
    child_count: u32,
    /// Parameter continuations are `ends[ends_at..ends_at + end_count]`.
    ends_at: u32,
    end_count: u32,
    catch_all: u32,
    value: u32,
    /// For a node with many children, where its 256-entry table starts in `jumps`
    /// (`NONE` otherwise: a short linear scan is faster there).
    jump_at: u32,
}

#[derive(Debug, Clone, Copy)]
struct FlatEnd {
    suffix_at: u32,
    suffix_len: u32,
    next: u32,
}

/// A place to come back to: `node` matched up to `pos` with `captured` values, and its
/// alternatives from `stage` on are untried (`stage` counts the parameter continuations
/// already tried; past the last one comes the catch-all).
#[derive(Clone, Copy)]
struct SavePoint {
    node: u32,
    stage: u32,
    pos: u32,
    captured: u32,
}

/// Up to this many children a node is searched linearly; above, through a jump table.
const LINEAR_CHILDREN: usize = 8;

/// Save points kept inline; deeper backtracking spills to the heap.
const INLINE_SAVE_POINTS: usize = 4;

pub(crate) type Captures = SmallStack<Span, INLINE_PARAMS>;

/// The most route bytes a router takes, so that every offset (jump tables included: at
/// most 256 entries per nine route bytes) fits the `u32` fields.
pub(crate) const MAX_ROUTE_BYTES: usize = 1 << 24;

fn to_u32(n: usize) -> u32 {
    // `Router::insert` keeps the total size far below `u32::MAX` (`MAX_ROUTE_BYTES`).
    u32::try_from(n).unwrap_or(NONE)
}

fn slot(slot: Option<usize>) -> u32 {
    slot.map_or(NONE, to_u32)
}

impl Table {
    /// Builds the flat copy of `root`, breadth first so that siblings are contiguous.
    pub(crate) fn build(root: &Node) -> Self {
        let mut out = Table::default();
        let mut queue = std::collections::VecDeque::new();
        out.nodes.push(Flat::default());
        queue.push_back((root, 0));
        while let Some((node, at)) = queue.pop_front() {
            let children = out.nodes.len();
            for child in &node.children {
                queue.push_back((child, out.nodes.len()));
                out.nodes.push(Flat::default());
            }
            let ends_at = out.ends.len();
            for end in node.param.iter().flat_map(|p| &p.ends) {
                let next = out.nodes.len();
                queue.push_back((&end.next, next));
                out.nodes.push(Flat::default());
                let suffix_at = out.bytes.len();
                out.bytes.extend_from_slice(&end.suffix);
                out.ends.push(FlatEnd {
                    suffix_at: to_u32(suffix_at),
                    suffix_len: to_u32(end.suffix.len()),
                    next: to_u32(next),
                });
            }
            let prefix_at = out.bytes.len();
            out.bytes.extend_from_slice(&node.prefix);
            let flat = Flat {
                prefix_head: u64::from_le_bytes(std::array::from_fn(|i| {
                    node.prefix.get(i).copied().unwrap_or(0)
                })),
                index: std::array::from_fn(|i| node.indices.get(i).copied().unwrap_or(0)),
                prefix_at: to_u32(prefix_at),
                prefix_len: to_u32(node.prefix.len()),
                children: to_u32(children),
                child_count: to_u32(node.children.len()),
                ends_at: to_u32(ends_at),
                end_count: to_u32(out.ends.len() - ends_at),
                catch_all: slot(node.catch_all),
                value: slot(node.value),
                jump_at: NONE,
            };
            let flat = if node.indices.len() > LINEAR_CHILDREN {
                let jump_at = out.jumps.len();
                out.jumps.resize(jump_at + 256, 0);
                for (offset, &byte) in node.indices.iter().enumerate() {
                    if let Some(entry) = out.jumps.get_mut(jump_at + usize::from(byte)) {
                        *entry = u16::try_from(offset + 1).unwrap_or(0);
                    }
                }
                Flat {
                    jump_at: to_u32(jump_at),
                    ..flat
                }
            } else {
                flat
            };
            if let Some(place) = out.nodes.get_mut(at) {
                *place = flat;
            }
        }
        out
    }

    #[inline(always)]
    fn node(&self, index: u32) -> Option<&Flat> {
        self.nodes.get(index as usize)
    }

    /// Whether `path` continues with `node`'s prefix at `pos`.
    #[inline(always)]
    fn prefix_matches(&self, node: &Flat, path: &[u8], pos: usize) -> bool {
        let len = node.prefix_len as usize;
        if len <= 8
            && let Some(word) = path.get(pos..pos + 8)
        {
            // Eight path bytes are there to load: compare the edge's bytes in one go.
            let word = word.try_into().map_or(0, u64::from_le_bytes);
            let mask = u64::MAX.checked_shr(8 * (8 - len) as u32).unwrap_or(0);
            return (word ^ node.prefix_head) & mask == 0;
        }
        if len <= 8
            && pos + len <= path.len()
            && let Some(start) = path.len().checked_sub(8)
            && let Some(word) = path.get(start..)
        {
            // Fewer than eight bytes left: load the path's last eight and shift the ones
            // from `pos` down (`pos > start` here), rather than a byte loop.
            let word = word.try_into().map_or(0, u64::from_le_bytes);
            let word = word.checked_shr(8 * (pos - start) as u32).unwrap_or(0);
            let mask = u64::MAX.checked_shr(8 * (8 - len) as u32).unwrap_or(0);
            return (word ^ node.prefix_head) & mask == 0;
        }
        let at = node.prefix_at as usize;
        match (path.get(pos..pos + len), self.bytes.get(at..at + len)) {
            (Some(actual), Some(expected)) => bytes_eq(actual, expected),
            _ => false,
        }
    }

    /// The index of `node`'s static child whose prefix starts with `byte`.
    #[inline(always)]
    fn child(&self, node: &Flat, byte: u8) -> Option<u32> {
        let offset = if node.jump_at == NONE {
            let siblings = node.index.get(..node.child_count as usize)?;
            siblings.iter().position(|&b| b == byte)? as u32
        } else {
            let entry = *self.jumps.get(node.jump_at as usize + usize::from(byte))?;
            u32::from(entry).checked_sub(1)?
        };
        Some(node.children + offset)
    }

    /// Finds the slot of the route for `path`; its captured values go into `captures`.
    ///
    /// Paths longer than 4 GiB never match: positions are kept as `u32`.
    pub(crate) fn find(&self, path: &str, captures: &mut Captures) -> Option<usize> {
        let bytes = path.as_bytes();
        if u32::try_from(bytes.len()).is_err() {
            return None;
        }
        let mut index = 0;
        let mut node = self.node(index)?;
        if !self.prefix_matches(node, bytes, 0) {
            return None;
        }
        let mut save_points: SmallStack<SavePoint, INLINE_SAVE_POINTS> =
            SmallStack::new(SavePoint {
                node: 0,
                stage: 0,
                pos: 0,
                captured: 0,
            });
        // Invariant: `node`'s prefix has matched and ends at `pos`.
        let mut pos = node.prefix_len as usize;
        // Which wildcard alternative of `node` to try next; only used when `resume`.
        let mut stage = 0;
        let mut resume = false;
        'walk: loop {
            if !resume {
                match bytes.get(pos) {
                    None => {
                        if node.value != NONE {
                            return Some(node.value as usize);
                        }
                    }
                    Some(&next) => {
                        if let Some(child_index) = self.child(node, next)
                            && let Some(child) = self.node(child_index)
                            && self.prefix_matches(child, bytes, pos)
                        {
                            if node.end_count != 0 || node.catch_all != NONE {
                                save_points.push(SavePoint {
                                    node: index,
                                    stage: 0,
                                    pos: pos as u32,
                                    captured: captures.len() as u32,
                                });
                            }
                            index = child_index;
                            node = child;
                            pos += child.prefix_len as usize;
                            continue 'walk;
                        }
                    }
                }
                stage = 0;
            }
            resume = false;

            if stage < node.end_count {
                let segment_end = segment_end(bytes, pos);
                while stage < node.end_count {
                    let end = self.ends.get((node.ends_at + stage) as usize)?;
                    stage += 1;
                    let Some(value_end) = self.value_end(end, bytes, pos, segment_end) else {
                        continue;
                    };
                    let Some(next) = self.node(end.next) else {
                        continue;
                    };
                    if !self.prefix_matches(next, bytes, segment_end) {
                        continue;
                    }
                    if stage < node.end_count || node.catch_all != NONE {
                        save_points.push(SavePoint {
                            node: index,
                            stage,
                            pos: pos as u32,
                            captured: captures.len() as u32,
                        });
                    }
                    captures.push((pos as u32, value_end as u32));
                    index = end.next;
                    node = next;
                    pos = segment_end + next.prefix_len as usize;
                    continue 'walk;
                }
            }
            if node.catch_all != NONE && pos < bytes.len() {
                captures.push((pos as u32, bytes.len() as u32));
                return Some(node.catch_all as usize);
            }

            let save_point = save_points.pop()?;
            captures.truncate(save_point.captured as usize);
            index = save_point.node;
            node = self.node(index)?;
            pos = save_point.pos as usize;
            stage = save_point.stage;
            resume = true;
        }
    }

    /// Where the value ends if the continuation `end` fits the segment
    /// `pos..segment_end`: the value must be non-empty and the segment must end with the
    /// suffix.
    #[inline(always)]
    fn value_end(
        &self,
        end: &FlatEnd,
        path: &[u8],
        pos: usize,
        segment_end: usize,
    ) -> Option<usize> {
        let suffix_len = end.suffix_len as usize;
        let value_end = segment_end.checked_sub(suffix_len)?;
        if value_end <= pos {
            return None;
        }
        if suffix_len == 0 {
            return Some(value_end);
        }
        let at = end.suffix_at as usize;
        let suffix = self.bytes.get(at..at + suffix_len)?;
        bytes_eq(path.get(value_end..segment_end)?, suffix).then_some(value_end)
    }
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of every zero byte lane of `word` is set, and possibly of lanes above a
/// zero lane, never below: the lowest set bit marks the first zero lane exactly.
#[inline(always)]
fn zero_lanes(word: u64) -> u64 {
    word.wrapping_sub(LOW) & !word & HIGH
}

/// The end of the segment that starts at `pos`: the next `/` or the end of the path.
/// Eight bytes per step, so the loop exit depends on the segment's length in words.
#[inline(always)]
fn segment_end(path: &[u8], mut pos: usize) -> usize {
    const SLASHES: u64 = LOW * b'/' as u64;
    while let Some(chunk) = path.get(pos..pos + 8) {
        let word = chunk.try_into().map_or(0, u64::from_le_bytes);
        let found = zero_lanes(word ^ SLASHES);
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

/// Equality of two short byte strings, inlined: route edges are a few bytes long, and a
/// call into the C library's `memcmp` for each of them dominated the profile.
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
