//! Sets of time spans in milliseconds: merged, clipped, intersected, subtracted. The
//! scorecard's minutes are lengths of such sets, so overlapping incidents count once.

/// Sorted, disjoint, non-empty `[start, end)` spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans(Vec<(i64, i64)>);

impl Spans {
    /// The union of any spans; empty or reversed ones are dropped.
    pub fn of(spans: impl IntoIterator<Item = (i64, i64)>) -> Spans {
        let mut v: Vec<(i64, i64)> = spans.into_iter().filter(|(s, e)| s < e).collect();
        v.sort_unstable();
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
        for (s, e) in v {
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        Spans(out)
    }

    pub fn total(&self) -> i64 {
        self.0.iter().map(|(s, e)| e - s).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clip(&self, from: i64, to: i64) -> Spans {
        Spans::of(self.0.iter().map(|&(s, e)| (s.max(from), e.min(to))))
    }

    pub fn union(&self, other: &Spans) -> Spans {
        Spans::of(self.0.iter().chain(other.0.iter()).copied())
    }

    pub fn intersect(&self, other: &Spans) -> Spans {
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let (s, e) = (a.0.max(b.0), a.1.min(b.1));
            if s < e {
                out.push((s, e));
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Spans(out)
    }

    pub fn minus(&self, other: &Spans) -> Spans {
        let mut out = Vec::new();
        let mut j = 0;
        for &(s, e) in &self.0 {
            let mut cur = s;
            while j < other.0.len() && other.0[j].1 <= cur {
                j += 1;
            }
            let mut k = j;
            while k < other.0.len() && other.0[k].0 < e {
                if other.0[k].0 > cur {
                    out.push((cur, other.0[k].0));
                }
                cur = cur.max(other.0[k].1);
                k += 1;
            }
            if cur < e {
                out.push((cur, e));
            }
        }
        Spans(out)
    }
}

/// Milliseconds as whole minutes, rounded to the nearest.
pub fn minutes(ms: i64) -> i64 {
    (ms + 30_000).div_euclid(60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let a = Spans::of([(0, 10), (5, 20), (30, 40), (50, 50)]);
        assert_eq!(a, Spans(vec![(0, 20), (30, 40)]));
        assert_eq!(a.total(), 30);
        let b = Spans::of([(15, 35)]);
        assert_eq!(a.intersect(&b), Spans(vec![(15, 20), (30, 35)]));
        assert_eq!(a.minus(&b), Spans(vec![(0, 15), (35, 40)]));
        assert_eq!(b.minus(&a), Spans(vec![(20, 30)]));
        assert_eq!(a.union(&b), Spans(vec![(0, 40)]));
        assert_eq!(a.clip(5, 32), Spans(vec![(5, 20), (30, 32)]));
        assert_eq!(minutes(89_999), 1);
        assert_eq!(minutes(90_000), 2);
    }
}
