//! The mutable trie that `insert` and `remove` edit; lookups run on the flat copy built
//! from it (`lookup.rs`).
//!
//! Nodes hold static bytes (`prefix`), their static children indexed by first byte, at
//! most one parameter child and at most one catch-all. A parameter child holds one
//! continuation per suffix that can end its segment (`{name}.tar.gz`, `{name}.gz`,
//! `{name}`), longest suffix first. Routes of the same shape share every node whatever
//! their parameter names, so the only conflict is an identical shape, which makes the
//! accepted set independent of insertion order. Values live in the router's slot table;
//! the tree only stores slot numbers, which keeps it small and free of `T`.

use crate::template::Piece;

#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// Static bytes matched when entering this node. Children of a node are indexed by
    /// their first byte, so their prefixes are never empty; the root and the node after
    /// a parameter are not indexed and may have an empty prefix.
    pub(crate) prefix: Box<[u8]>,
    /// First byte of each static child, same order as `children`.
    pub(crate) indices: Vec<u8>,
    pub(crate) children: Vec<Node>,
    pub(crate) param: Option<Box<ParamNode>>,
    pub(crate) catch_all: Option<usize>,
    pub(crate) value: Option<usize>,
}

/// The parameter child of a node: one continuation per segment suffix.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParamNode {
    /// Sorted longest suffix first (ties by bytes), so the empty suffix, a plain `{name}`,
    /// is always last.
    pub(crate) ends: Vec<ParamEnd>,
}

#[derive(Debug, Clone)]
pub(crate) struct ParamEnd {
    pub(crate) suffix: Box<[u8]>,
    /// Continues at the end of the parameter's segment: the path's end or a `/`.
    pub(crate) next: Node,
}

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
    /// `self` must be the root.
    pub(crate) fn place_mut(&mut self, pieces: &[Piece]) -> &mut Option<usize> {
        let mut node = self;
        // Whether `node`'s own prefix is already part of the route; false on the root
        // and on a parameter's continuation, which are entered by `enter`.
        let mut entered = false;
        for piece in pieces {
            match piece {
                Piece::Static(bytes) => {
                    node = if entered {
                        node.descend_static(bytes)
                    } else {
                        node.enter(bytes)
                    };
                    entered = true;
                }
                Piece::Param { suffix } => {
                    if !entered {
                        node = node.enter(&[]);
                    }
                    let param = node.param.get_or_insert_with(Default::default);
                    node = param.end_mut(suffix);
                    entered = false;
                }
                Piece::CatchAll => {
                    if !entered {
                        node = node.enter(&[]);
                    }
                    return &mut node.catch_all;
                }
            }
        }
        if !entered {
            node = node.enter(&[]);
        }
        &mut node.value
    }

    /// The node that ends `bytes`, for a node not indexed by a parent (the root or a
    /// parameter's continuation): its own prefix must be a prefix of `bytes`, so it is
    /// split first if needed, and a node still empty takes `bytes` whole.
    fn enter(&mut self, bytes: &[u8]) -> &mut Node {
        if self.is_dead() {
            self.prefix = bytes.into();
            return self;
        }
        let common = common_prefix_len(&self.prefix, bytes);
        if common < self.prefix.len() {
            self.split(common);
        }
        self.descend_static(&bytes[common..])
    }

    /// The node that ends `bytes` after this node's prefix, splitting edges as needed.
    fn descend_static(&mut self, bytes: &[u8]) -> &mut Node {
        let Some(&first) = bytes.first() else {
            return self;
        };
        match self.indices.iter().position(|&b| b == first) {
            Some(i) => {
                let child = &mut self.children[i];
                let common = common_prefix_len(&child.prefix, bytes);
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

    /// Splits this node's prefix at `at`: the tail and everything hanging off this node
    /// move into a single new static child. `at` is 0 only for a node not indexed by a
    /// parent (an indexed node keeps its first byte).
    fn split(&mut self, at: usize) {
        let mut tail = Node {
            indices: std::mem::take(&mut self.indices),
            children: std::mem::take(&mut self.children),
            param: self.param.take(),
            catch_all: self.catch_all.take(),
            value: self.value.take(),
            ..Node::default()
        };
        tail.prefix = self.prefix[at..].into();
        self.prefix = self.prefix[..at].into();
        self.indices = vec![tail.prefix[0]];
        self.children = vec![tail];
    }

    /// The slot of the route made of exactly `pieces`, if it is in the tree.
    pub(crate) fn find_place_mut(&mut self, pieces: &[Piece]) -> Option<&mut Option<usize>> {
        let mut node = self;
        let mut pieces = pieces.iter().peekable();
        loop {
            // Entering a node not indexed by a parent: its prefix starts the static piece.
            let mut pending: &[u8] = match pieces.peek() {
                Some(Piece::Static(bytes)) => {
                    pieces.next();
                    bytes
                }
                _ => &[],
            };
            pending = pending.strip_prefix(&*node.prefix)?;
            while let Some(&first) = pending.first() {
                let i = node.indices.iter().position(|&b| b == first)?;
                let child = node.children.get_mut(i)?;
                pending = pending.strip_prefix(&*child.prefix)?;
                node = child;
            }
            match pieces.next() {
                None => return Some(&mut node.value),
                Some(Piece::Param { suffix }) => {
                    let param = node.param.as_mut()?;
                    let end = param.ends.iter_mut().find(|e| *e.suffix == **suffix)?;
                    node = &mut end.next;
                }
                Some(Piece::CatchAll) => return Some(&mut node.catch_all),
                // Adjacent static pieces are merged by the parser.
                Some(Piece::Static(_)) => return None,
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
        // A node left with one static child and nothing else is one edge again. (An
        // indexed node keeps its first byte, so its parent's index stays right.)
        if self.value.is_none()
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
}

fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
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
