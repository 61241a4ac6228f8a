//! The compressed trie and the lookup with complete backtracking.
//!
//! Nodes hold static bytes (`prefix`), their static children indexed by first byte, at
//! most one parameter child and at most one catch-all. A parameter child holds one
//! continuation per suffix that can end its segment (`{name}.tar.gz`, `{name}.gz`,
//! `{name}`), longest suffix first. Routes of the same shape share every node whatever
//! their parameter names, so the only conflict is an identical shape, which makes the
//! accepted set independent of insertion order. Values live in the router's slot table;
//! the tree only stores slot numbers, which keeps it small and free of `T`.
//!
//! Lookup priority at every node: static child, then the parameter continuations in
//! order, then the catch-all. Whenever a better alternative is taken while a worse one
//! remains, a save point `(node, position, captured count, next alternative)` is pushed;
//! a dead end pops the most recent one (LIFO), truncates the captured values to the count
//! saved (values captured above the save point survive) and resumes with the next
//! alternative. Every save point is popped at most once, so the work is bounded by the
//! number of trie nodes on the candidate paths.

use crate::params::{INLINE_PARAMS, SmallStack};
use crate::template::Piece;

#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// Static bytes matched when entering this node. Empty only for the root and for the
    /// node that follows a parameter; every other node has a non-empty prefix whose first
    /// byte is its entry in the parent's `indices`.
    prefix: Box<[u8]>,
    /// First byte of each static child, same order as `children`.
    indices: Vec<u8>,
    children: Vec<Node>,
    param: Option<Box<ParamNode>>,
    catch_all: Option<usize>,
    value: Option<usize>,
}

/// The parameter child of a node: one continuation per segment suffix.
#[derive(Debug, Clone, Default)]
struct ParamNode {
    /// Sorted longest suffix first (ties by bytes), so the empty suffix, a plain `{name}`,
    /// is always last.
    ends: Vec<ParamEnd>,
}

#[derive(Debug, Clone)]
struct ParamEnd {
    suffix: Box<[u8]>,
    /// Continues at the end of the parameter's segment: the path's end or a `/`.
    next: Node,
}

impl ParamEnd {
    /// Where the value ends if this continuation fits the segment `pos..segment_end`:
    /// the value must be non-empty and the segment must end with the suffix.
    #[inline]
    fn value_end(&self, path: &[u8], pos: usize, segment_end: usize) -> Option<usize> {
        let segment = path.get(pos..segment_end)?;
        let value_len = segment.len().checked_sub(self.suffix.len())?;
        if value_len > 0
            && segment
                .get(value_len..)
                .is_some_and(|tail| bytes_eq(tail, &self.suffix))
        {
            Some(segment_end - self.suffix.len())
        } else {
            None
        }
    }
}

/// A place to come back to: `node` matched up to `pos` with `captured` values, and its
/// alternatives from `stage` on are untried (`stage` counts the parameter continuations
/// already tried; past the last one comes the catch-all).
#[derive(Clone, Copy)]
struct SavePoint<'r> {
    node: &'r Node,
    pos: usize,
    captured: usize,
    stage: usize,
}

/// Save points kept inline; deeper backtracking spills to the heap.
const INLINE_SAVE_POINTS: usize = 8;

pub(crate) type Captures<'p> = SmallStack<&'p str, INLINE_PARAMS>;

impl Node {
    fn is_dead(&self) -> bool {
        self.value.is_none()
            && self.catch_all.is_none()
            && self.param.is_none()
            && self.children.is_empty()
    }

    #[inline]
    fn has_wildcards(&self) -> bool {
        self.param.is_some() || self.catch_all.is_some()
    }

    /// The place that holds the slot of the route made of `pieces`, created if missing.
    /// `self` must be the root (or a node whose whole prefix is already matched).
    pub(crate) fn place_mut(&mut self, pieces: &[Piece]) -> &mut Option<usize> {
        let mut node = self;
        for piece in pieces {
            match piece {
                Piece::Static(bytes) => node = node.descend_static(bytes),
                Piece::Param { suffix } => {
                    let param = node.param.get_or_insert_with(Default::default);
                    node = param.end_mut(suffix);
                }
                Piece::CatchAll => return &mut node.catch_all,
            }
        }
        &mut node.value
    }

    /// The node that ends `bytes` after this node's prefix, splitting edges as needed.
    fn descend_static(&mut self, bytes: &[u8]) -> &mut Node {
        let Some(&first) = bytes.first() else {
            return self;
        };
        match self.indices.iter().position(|&b| b == first) {
            Some(i) => {
                let child = &mut self.children[i];
                let common = child
                    .prefix
                    .iter()
                    .zip(bytes)
                    .take_while(|(a, b)| a == b)
                    .count();
                if common < child.prefix.len() {
                    child.split(common);
                }
                child.descend_static(&bytes[common..])
            }
            None => {
                self.indices.push(first);
                self.children.push(Node {
                    prefix: bytes.into(),
                    ..Node::default()
                });
                let last = self.children.len() - 1;
                &mut self.children[last]
            }
        }
    }

    /// Splits this node's prefix at `at` (0 < at < len): the tail and everything hanging
    /// off this node move into a single new static child.
    fn split(&mut self, at: usize) {
        let tail = Node {
            prefix: self.prefix[at..].into(),
            indices: std::mem::take(&mut self.indices),
            children: std::mem::take(&mut self.children),
            param: self.param.take(),
            catch_all: self.catch_all.take(),
            value: self.value.take(),
        };
        self.prefix = self.prefix[..at].into();
        self.indices = vec![tail.prefix[0]];
        self.children = vec![tail];
    }

    /// The slot of the route made of exactly `pieces`, if it is in the tree.
    pub(crate) fn find_place_mut(&mut self, pieces: &[Piece]) -> Option<&mut Option<usize>> {
        let mut node = self;
        let mut pieces = pieces.iter();
        // Static bytes still to match below `node`.
        let mut pending: &[u8] = &[];
        loop {
            if let Some(&first) = pending.first() {
                let i = node.indices.iter().position(|&b| b == first)?;
                let child = &mut node.children[i];
                pending = pending.strip_prefix(&*child.prefix)?;
                node = child;
                continue;
            }
            match pieces.next() {
                None => return Some(&mut node.value),
                Some(Piece::Static(bytes)) => pending = bytes,
                Some(Piece::Param { suffix }) => {
                    let param = node.param.as_mut()?;
                    let end = param.ends.iter_mut().find(|e| *e.suffix == **suffix)?;
                    node = &mut end.next;
                }
                Some(Piece::CatchAll) => return Some(&mut node.catch_all),
            }
        }
    }

    /// Removes dead branches left behind by a removal and re-merges static chains, so the
    /// tree after `remove` is the tree the remaining routes would build.
    pub(crate) fn compact(&mut self) {
        for child in &mut self.children {
            child.compact();
        }
        let mut i = 0;
        while i < self.children.len() {
            if self.children[i].is_dead() {
                self.children.remove(i);
                self.indices.remove(i);
            } else {
                i += 1;
            }
        }
        if let Some(param) = &mut self.param {
            for end in &mut param.ends {
                end.next.compact();
            }
            param.ends.retain(|end| !end.next.is_dead());
            if param.ends.is_empty() {
                self.param = None;
            }
        }
        // A static node left with one static child and nothing else is one edge again.
        // (The root and parameter continuations keep their empty prefix.)
        if !self.prefix.is_empty()
            && self.value.is_none()
            && !self.has_wildcards()
            && self.children.len() == 1
            && let Some(child) = self.children.pop()
        {
            let mut prefix = std::mem::take(&mut self.prefix).into_vec();
            prefix.extend_from_slice(&child.prefix);
            *self = Node {
                prefix: prefix.into(),
                ..child
            };
        }
    }

    /// Finds the route for `path`; its captured values go into `captures`.
    pub(crate) fn find<'r, 'p>(
        &'r self,
        path: &'p str,
        captures: &mut Captures<'p>,
    ) -> Option<usize> {
        let bytes = path.as_bytes();
        let mut save_points: SmallStack<SavePoint<'r>, INLINE_SAVE_POINTS> =
            SmallStack::new(SavePoint {
                node: self,
                pos: 0,
                captured: 0,
                stage: 0,
            });
        let mut node = self;
        // Invariant: `node.prefix` has matched and ends at `pos`.
        let mut pos = 0;
        // Which wildcard alternative of `node` to try next; only used when `resume`.
        let mut stage = 0;
        let mut resume = false;
        'walk: loop {
            if !resume {
                match bytes.get(pos) {
                    None => {
                        if let Some(slot) = node.value {
                            return Some(slot);
                        }
                    }
                    Some(&next) => {
                        if let Some(i) = node.indices.iter().position(|&b| b == next)
                            && let Some(child) = node.children.get(i)
                            && let end = pos + child.prefix.len()
                            && bytes
                                .get(pos..end)
                                .is_some_and(|b| bytes_eq(b, &child.prefix))
                        {
                            if node.has_wildcards() {
                                save_points.push(SavePoint {
                                    node,
                                    pos,
                                    captured: captures.len(),
                                    stage: 0,
                                });
                            }
                            node = child;
                            pos = end;
                            continue 'walk;
                        }
                    }
                }
                stage = 0;
            }
            resume = false;

            if let Some(param) = &node.param {
                let rest = bytes.get(pos..).unwrap_or_default();
                let segment_end = rest
                    .iter()
                    .position(|&b| b == b'/')
                    .map_or(bytes.len(), |i| pos + i);
                while let Some(end) = param.ends.get(stage) {
                    stage += 1;
                    let Some(value_end) = end.value_end(bytes, pos, segment_end) else {
                        continue;
                    };
                    let Some(value) = path.get(pos..value_end) else {
                        continue;
                    };
                    if stage < param.ends.len() || node.catch_all.is_some() {
                        save_points.push(SavePoint {
                            node,
                            pos,
                            captured: captures.len(),
                            stage,
                        });
                    }
                    captures.push(value);
                    node = &end.next;
                    pos = segment_end;
                    continue 'walk;
                }
            }
            if let Some(slot) = node.catch_all
                && let Some(rest) = path.get(pos..).filter(|rest| !rest.is_empty())
            {
                captures.push(rest);
                return Some(slot);
            }

            let save_point = save_points.pop()?;
            captures.truncate(save_point.captured);
            node = save_point.node;
            pos = save_point.pos;
            stage = save_point.stage;
            resume = true;
        }
    }
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

impl ParamNode {
    fn end_mut(&mut self, suffix: &[u8]) -> &mut Node {
        // Longest suffix first; equal lengths in byte order only for a stable layout.
        let at = self.ends.binary_search_by(|e| {
            suffix
                .len()
                .cmp(&e.suffix.len())
                .then_with(|| (*e.suffix).cmp(suffix))
        });
        let index = match at {
            Ok(i) => i,
            Err(i) => {
                self.ends.insert(
                    i,
                    ParamEnd {
                        suffix: suffix.into(),
                        next: Node::default(),
                    },
                );
                i
            }
        };
        &mut self.ends[index].next
    }
}
