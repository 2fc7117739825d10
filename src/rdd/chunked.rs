//! A partition's iterator read in chunks by an action: one dynamic call (and one kill check)
//! per chunk of values instead of per value, the values then handed out by a plain vector
//! iterator. `count` and the range partitioner's sampling job read their partitions so; what
//! they compute is unchanged (every value is still produced and dropped in order). Only values
//! with nothing to drop are chunked; the others (strings, vectors) are pulled one by one.
//!
//! Layering: the RDD layer's iterators only.

use crate::rdd::PartIter;

/// Values pulled from the partition at a time.
const CHUNK: usize = 1024;

/// The values of a partition's iterator, pulled a chunk at a time.
pub(crate) struct Chunked<T> {
    source: PartIter<T>,
    chunk: std::vec::IntoIter<T>,
    done: bool,
}

impl<T> Chunked<T> {
    /// Whether values are pulled a chunk at a time: only values that own nothing to drop. A
    /// chunk of values that own heap memory (strings, vectors) would have a whole chunk's
    /// allocations alive at once, which the allocator's per-thread cache serves worse than one
    /// value made and dropped at a time; those are pulled one by one, as before.
    const CHUNKS: bool = !std::mem::needs_drop::<T>();

    pub(crate) fn new(source: PartIter<T>) -> Chunked<T> {
        Chunked {
            source,
            chunk: Vec::new().into_iter(),
            done: false,
        }
    }

    /// Pulls the next chunk; `false` at the end of the partition.
    #[cold]
    fn refill(&mut self) -> bool {
        if self.done {
            return false;
        }
        let mut next = Vec::with_capacity(CHUNK);
        self.source.next_chunk_into(&mut next, CHUNK);
        self.done = next.is_empty();
        self.chunk = next.into_iter();
        !self.done
    }

    /// The number of values left, each produced and dropped (Spark's `getIteratorSize`).
    pub(crate) fn count_all(mut self) -> usize {
        if !Self::CHUNKS {
            return self.source.count();
        }
        let mut n = self.chunk.len();
        while self.refill() {
            n += self.chunk.len();
        }
        n
    }
}

impl<T> Iterator for Chunked<T> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        if !Self::CHUNKS {
            return self.source.next();
        }
        match self.chunk.next() {
            Some(v) => Some(v),
            None if self.refill() => self.chunk.next(),
            None => None,
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let (lo, hi) = self.source.size_hint();
        let here = self.chunk.len();
        (
            lo.saturating_add(here),
            hi.and_then(|h| h.checked_add(here)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdd::part_iter;

    #[test]
    fn yields_every_value_in_order_across_chunks() {
        let n = CHUNK * 3 + 7;
        let got: Vec<usize> = Chunked::new(part_iter(0..n)).collect();
        assert_eq!(got, (0..n).collect::<Vec<_>>());
        assert_eq!(Chunked::new(part_iter(0..n)).count_all(), n);
        assert_eq!(Chunked::new(part_iter(0..0)).count_all(), 0);
        let mut it = Chunked::new(part_iter(0..3));
        assert_eq!(it.next(), Some(0));
        assert_eq!(it.count_all(), 2);
        // Values that own memory take the one-by-one path, with the same results.
        let words: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let got: Vec<String> = Chunked::new(part_iter(words.clone().into_iter())).collect();
        assert_eq!(got, words);
        assert_eq!(Chunked::new(part_iter(words.into_iter())).count_all(), n);
    }
}
