//! Counting inversions while sorting: the O(n log n) core that Mann-Kendall's S (Knight's
//! method) and Theil-Sen's slope selection share.

/// Runs shorter than this are insertion-sorted (fewer passes and branches than merging them).
const RUN: usize = 32;

/// Sorts `v` ascending (stable) and returns the number of strict inversions, the pairs
/// `i < j` with `v[i] > v[j]`. Equal values are not inversions, and `-0.0 == 0.0` counts as
/// equal. `scratch` must be at least as long as `v`; the sort ping-pongs between the two, so
/// nothing is allocated. `v` must not contain NaN (the count would be meaningless). Generic
/// so Theil-Sen can sort double-double values, `(hi, lo)` pairs ordered lexicographically.
pub(crate) fn sort_counting_inversions<T: Copy + PartialOrd>(
    v: &mut [T],
    scratch: &mut [T],
) -> u64 {
    let mut inversions = 0_u64;
    sort_reporting_inversions(v, scratch, |earlier, _| inversions += earlier.len() as u64);
    inversions
}

/// The same merge sort, reporting every strict inversion: `found(earlier, later)` means each
/// element of `earlier` preceded `later` in the input and is greater than it. Reports come in
/// batches, so counting costs O(n log n) however many inversions there are, while listing
/// them costs O(n log n + inversions).
pub(crate) fn sort_reporting_inversions<T: Copy + PartialOrd>(
    v: &mut [T],
    scratch: &mut [T],
    mut found: impl FnMut(&[T], T),
) {
    let n = v.len();
    let scratch = &mut scratch[..n];
    for chunk in v.chunks_mut(RUN) {
        insertion_sort(chunk, &mut found);
    }
    let mut width = RUN;
    let mut sorted_in_v = true;
    while width < n {
        let (src, dst): (&[T], &mut [T]) = if sorted_in_v {
            (&*v, &mut *scratch)
        } else {
            (&*scratch, &mut *v)
        };
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            merge(
                &src[start..mid],
                &src[mid..end],
                &mut dst[start..end],
                &mut found,
            );
            start = end;
        }
        sorted_in_v = !sorted_in_v;
        width *= 2;
    }
    if !sorted_in_v {
        v.copy_from_slice(scratch);
    }
}

/// Stable insertion sort: the run a new element moves past is strictly greater than it.
fn insertion_sort<T: Copy + PartialOrd>(v: &mut [T], found: &mut impl FnMut(&[T], T)) {
    for i in 1..v.len() {
        let key = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > key {
            j -= 1;
        }
        if j < i {
            found(&v[j..i], key);
            v[j..=i].rotate_right(1);
        }
    }
}

/// Merges two sorted runs into `out`. Taking a right element ahead of the left elements
/// still pending inverts it with each of them; ties take the left element first, so they are
/// never inversions.
fn merge<T: Copy + PartialOrd>(
    left: &[T],
    right: &[T],
    out: &mut [T],
    found: &mut impl FnMut(&[T], T),
) {
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        if i < left.len() && (j >= right.len() || left[i] <= right[j]) {
            *slot = left[i];
            i += 1;
        } else {
            *slot = right[j];
            j += 1;
            if i < left.len() {
                found(&left[i..], right[j - 1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(v: &[f64]) -> u64 {
        let mut count = 0;
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                count += u64::from(v[i] > v[j]);
            }
        }
        count
    }

    #[test]
    fn counts_and_sorts_like_the_quadratic_definition() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for n in [0, 1, 2, 31, 32, 33, 64, 100, 257, 1000] {
            for modulus in [3, 1000] {
                let v: Vec<f64> = (0..n)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        ((state >> 33) % modulus) as f64 - (modulus / 2) as f64
                    })
                    .collect();
                let want = brute(&v);
                let mut sorted = v.clone();
                let mut scratch = vec![0.0; n];
                assert_eq!(
                    sort_counting_inversions(&mut sorted, &mut scratch),
                    want,
                    "n={n}"
                );
                assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "n={n} not sorted");
            }
        }
    }

    #[test]
    fn reports_each_inversion_once() {
        let input = [5.0, 1.0, 4.0, 1.0, 3.0, 9.0, 0.0, 4.0];
        let mut tagged: Vec<(f64, usize)> = input.iter().copied().zip(0..).collect();
        let mut scratch = tagged.clone();
        let mut pairs = Vec::new();
        sort_reporting_inversions(&mut tagged, &mut scratch, |earlier, later| {
            pairs.extend(earlier.iter().map(|e| (e.1, later.1)));
        });
        pairs.sort_unstable();
        let mut want = Vec::new();
        for i in 0..input.len() {
            for j in i + 1..input.len() {
                if input[i] > input[j] {
                    want.push((i, j));
                }
            }
        }
        assert_eq!(pairs, want);
    }

    #[test]
    fn signed_zeros_are_ties() {
        let mut v = [0.0, -0.0, 0.0, -0.0];
        assert_eq!(sort_counting_inversions(&mut v, &mut [0.0; 4]), 0);
    }
}
