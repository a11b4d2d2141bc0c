//! Label placement: puts each label next to its point without covering another label
//! or another point, nudging it further out until it fits.

/// A pixel rectangle, `x0 <= x1`, `y0 <= y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    pub fn at(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x0: x, y0: y, x1: x + w, y1: y + h }
    }
    pub fn overlap(&self, o: &Rect) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0) as i64;
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0) as i64;
        w * h
    }
    pub fn inside(&self, b: &Rect) -> bool {
        self.x0 >= b.x0 && self.y0 >= b.y0 && self.x1 <= b.x1 && self.y1 <= b.y1
    }
    pub fn center(&self) -> (i32, i32) {
        ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)
    }
}

/// Places a label of `sizes[i]` (width, height) near each `anchors[i]`, inside
/// `bounds`, avoiding earlier labels and every anchor's marker (a square of
/// `marker` pixels each side of it) and `obstacles`. Tries eight positions around the
/// anchor at growing distances and takes the first free one; if none is free, the one
/// with the least overlap. Deterministic.
pub fn place(
    anchors: &[(i32, i32)],
    sizes: &[(i32, i32)],
    bounds: Rect,
    marker: i32,
    obstacles: &[Rect],
) -> Vec<Rect> {
    let mut blocked: Vec<Rect> = obstacles.to_vec();
    blocked.extend(anchors.iter().map(|&(x, y)| Rect {
        x0: x - marker,
        y0: y - marker,
        x1: x + marker,
        y1: y + marker,
    }));
    let mut placed: Vec<Rect> = Vec::with_capacity(anchors.len());
    for (&(ax, ay), &(w, h)) in anchors.iter().zip(sizes) {
        let mut best: Option<(i64, Rect)> = None;
        'search: for ring in 0..12 {
            let d = marker + 3 + ring * 12;
            let candidates = [
                (ax + d, ay - h / 2),     // right
                (ax - d - w, ay - h / 2), // left
                (ax - w / 2, ay - d - h), // above
                (ax - w / 2, ay + d),     // below
                (ax + d, ay - d - h),     // upper right
                (ax + d, ay + d),         // lower right
                (ax - d - w, ay - d - h), // upper left
                (ax - d - w, ay + d),     // lower left
            ];
            for (x, y) in candidates {
                let r = Rect::at(x, y, w, h);
                if !r.inside(&bounds) {
                    continue;
                }
                let cost: i64 = placed.iter().chain(&blocked).map(|o| r.overlap(o)).sum();
                if cost == 0 {
                    best = Some((0, r));
                    break 'search;
                }
                // Prefer near positions: a ring further out must overlap clearly less.
                let penalised = cost + ring as i64 * 4;
                if best.is_none_or(|(c, _)| penalised < c) {
                    best = Some((penalised, r));
                }
            }
        }
        let r = best.map(|(_, r)| r).unwrap_or_else(|| {
            // Nothing fits inside the bounds: clamp the right-hand position into them.
            let x = (ax + marker + 3).min(bounds.x1 - w).max(bounds.x0);
            let y = (ay - h / 2).min(bounds.y1 - h).max(bounds.y0);
            Rect::at(x, y, w, h)
        });
        placed.push(r);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_coincident_points_do_not_overlap() {
        let anchors = vec![(100, 100); 5];
        let sizes = vec![(80, 16); 5];
        let bounds = Rect { x0: 0, y0: 0, x1: 400, y1: 300 };
        let placed = place(&anchors, &sizes, bounds, 5, &[]);
        for (i, a) in placed.iter().enumerate() {
            assert!(a.inside(&bounds));
            for b in &placed[i + 1..] {
                assert_eq!(a.overlap(b), 0, "{a:?} {b:?}");
            }
        }
    }

    /// Twelve numbered marks (20 px) around a tight cluster of points, as the
    /// cost-latency chart places them: none overlaps another or a point.
    #[test]
    fn twelve_numbers_around_a_cluster_do_not_overlap() {
        let bounds = Rect { x0: 0, y0: 0, x1: 860, y1: 430 };
        let anchors: Vec<(i32, i32)> = (0..12).map(|i| (400 + (i % 4) * 6, 200 + (i / 4) * 5)).collect();
        let placed = place(&anchors, &[(20, 20); 12], bounds, 8, &[]);
        for (i, a) in placed.iter().enumerate() {
            assert!(a.inside(&bounds));
            for b in &placed[i + 1..] {
                assert_eq!(a.overlap(b), 0, "{a:?} {b:?}");
            }
            for &(x, y) in &anchors {
                assert_eq!(a.overlap(&Rect { x0: x - 8, y0: y - 8, x1: x + 8, y1: y + 8 }), 0);
            }
        }
    }

    #[test]
    fn a_lone_label_sits_right_of_its_point_unless_that_leaves_the_chart() {
        let bounds = Rect { x0: 0, y0: 0, x1: 400, y1: 300 };
        let r = place(&[(100, 100)], &[(50, 10)], bounds, 5, &[])[0];
        assert!(r.x0 > 100 && r.y0 < 100 && r.y1 > 100);
        let r = place(&[(390, 100)], &[(50, 10)], bounds, 5, &[])[0];
        assert!(r.x1 < 390);
    }

    #[test]
    fn labels_avoid_other_points() {
        let bounds = Rect { x0: 0, y0: 0, x1: 400, y1: 300 };
        // A second point sits exactly where the first label would go.
        let placed = place(&[(100, 100), (125, 100)], &[(60, 12), (60, 12)], bounds, 5, &[]);
        assert_eq!(placed[0].overlap(&Rect { x0: 120, y0: 95, x1: 130, y1: 105 }), 0);
    }
}
