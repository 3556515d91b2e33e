//! Edit distance: how many items must be inserted, deleted or replaced
//! to turn one sequence into another (Levenshtein). The one measure
//! behind the tests' character error rate, word error rate and
//! misheard-number checks.

/// The edit distance between `a` and `b`, one row of the table at a
/// time.
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    // row[j] = distance(a[..i], b[..j]) for the row i being filled.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(x != y);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}
