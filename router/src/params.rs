//! Captured parameter values, kept inline so a lookup allocates nothing.

use std::fmt;

/// How many parameter values a lookup keeps without allocating. Routes with more spill
/// to the heap; every route of the GitHub API list has at most four.
pub(crate) const INLINE_PARAMS: usize = 4;

/// A stack whose first `N` items live inline; only items past `N` allocate.
///
/// Used for the captured values, the one thing a lookup would otherwise have to allocate.
#[derive(Clone)]
pub(crate) struct SmallStack<T: Copy, const N: usize> {
    len: usize,
    inline: [T; N],
    spill: Vec<T>,
}

impl<T: Copy, const N: usize> SmallStack<T, N> {
    /// An empty stack; `filler` only initialises the unused inline slots.
    #[inline]
    pub(crate) fn new(filler: T) -> Self {
        Self {
            len: 0,
            inline: [filler; N],
            spill: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = item,
            None => self.spill.push(item),
        }
        self.len += 1;
    }

    /// Drops everything above the first `len` items (a backtrack to a resume point).
    #[inline]
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.spill.truncate(len.saturating_sub(N));
            self.len = len;
        }
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<T> {
        if index >= self.len {
            return None;
        }
        match self.inline.get(index) {
            Some(&item) => Some(item),
            None => self.spill.get(index - N).copied(),
        }
    }

    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        let inline = self.inline.get(..self.len).unwrap_or(&self.inline);
        inline.iter().chain(&self.spill).copied()
    }
}

/// Where a captured value lies in the path: `start..end` in bytes.
pub(crate) type Span = (u32, u32);

/// The parameters a matched route captured: names borrowed from the router (`'r`),
/// values borrowed from the path (`'p`, raw, not percent-decoded; see
/// [`percent_decode`](crate::percent_decode)).
#[derive(Clone)]
pub struct Params<'r, 'p> {
    pub(crate) names: &'r [Box<str>],
    pub(crate) path: &'p str,
    /// Kept as byte spans rather than `&str` so the lookup loop stores eight bytes per
    /// value and checks no character boundary; `get` slices once, on access.
    pub(crate) values: SmallStack<Span, INLINE_PARAMS>,
}

impl<'r, 'p> Params<'r, 'p> {
    /// The value captured for `name`, if the route has a parameter of that name.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&'p str> {
        let index = self.names.iter().position(|n| **n == *name)?;
        self.value(index)
    }

    /// The `(name, value)` pairs, in the order they appear in the route.
    pub fn iter(&self) -> impl Iterator<Item = (&'r str, &'p str)> + '_ {
        let names = self.names;
        (0..self.values.len()).map(move |i| {
            (
                names.get(i).map_or("", |n| &**n),
                self.value(i).unwrap_or(""),
            )
        })
    }

    fn value(&self, index: usize) -> Option<&'p str> {
        let (start, end) = self.values.get(index)?;
        self.path.get(start as usize..end as usize)
    }

    /// How many parameters the route captured.
    #[inline]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the route captured no parameter (a static route).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.values.len() == 0
    }
}

impl fmt::Debug for Params<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_stack_spills_and_truncates() {
        let mut s: SmallStack<u32, 2> = SmallStack::new(0);
        for i in 1..=5 {
            s.push(i);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        s.truncate(3);
        assert_eq!(s.iter().collect::<Vec<_>>(), [1, 2, 3]);
        s.push(9);
        assert_eq!(s.iter().collect::<Vec<_>>(), [1, 2, 3, 9]);
        s.truncate(1);
        s.push(7);
        assert_eq!(s.iter().collect::<Vec<_>>(), [1, 7]);
        assert_eq!(s.get(1), Some(7));
        s.truncate(0);
        assert_eq!(s.get(0), None);
    }
}
