//! Work split over every core, results kept in order.

/// Runs `f` on consecutive chunks of `items` (each at least `min_chunk` long, at most one per
/// core) on threads of their own, and returns the chunks' results in order. Small inputs run on
/// the calling thread. A panic in `f` is a bug: it is raised again here rather than letting a
/// part of the work go missing.
pub fn chunks<I: Sync, R: Send>(
    items: &[I],
    min_chunk: usize,
    f: impl Fn(&[I]) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(min_chunk).max(1);
    if items.len() <= chunk {
        return vec![f(items)];
    }
    std::thread::scope(|scope| {
        let f = &f;
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        for min_chunk in [1, 7, 64, 5000] {
            let doubled: Vec<u32> = chunks(&items, min_chunk, |part| {
                part.iter().map(|i| i * 2).collect::<Vec<_>>()
            })
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        assert_eq!(chunks(&[] as &[u32], 8, <[u32]>::len), vec![0]);
    }
}
