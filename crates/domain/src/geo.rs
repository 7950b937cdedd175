//! Distances on the ground and the nearest facility to a place.
//!
//! Coordinates are WGS-84 degrees (the database keeps microdegrees). The
//! distance is the great-circle (haversine) distance on a sphere of the
//! Earth's mean radius, within 0.5 % of the ellipsoidal distance: enough to
//! say whether a village lies within a few kilometres of a canteen, which is
//! all coverage needs (people walk roads, not great circles, anyway).
//!
//! Villages (村/社区) carry no coordinates in the statistical division codes,
//! so [`scatter`] gives a deterministic stand-in point around an anchor; the
//! callers say so wherever such a point is shown.

use serde::{Deserialize, Serialize};

/// The Earth's mean radius (IUGG), in kilometres.
const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// Kilometres per degree of latitude (and of longitude at the equator).
const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// A point in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lon: f64,
    pub lat: f64,
}

impl Point {
    pub fn new(lon: f64, lat: f64) -> Point {
        Point { lon, lat }
    }

    /// From the database's microdegrees.
    pub fn from_e6(lon_e6: i64, lat_e6: i64) -> Point {
        Point {
            lon: lon_e6 as f64 / 1e6,
            lat: lat_e6 as f64 / 1e6,
        }
    }

    /// The point `east_km` east and `north_km` north of this one (a flat
    /// approximation, good for the few tens of kilometres it is used for).
    pub fn offset_km(self, east_km: f64, north_km: f64) -> Point {
        let cos_lat = self.lat.to_radians().cos().max(0.01);
        Point {
            lon: self.lon + east_km / (KM_PER_DEGREE * cos_lat),
            lat: self.lat + north_km / KM_PER_DEGREE,
        }
    }

    /// The mean of several points (none for an empty list).
    pub fn centroid(points: &[Point]) -> Option<Point> {
        if points.is_empty() {
            return None;
        }
        let n = points.len() as f64;
        Some(Point {
            lon: points.iter().map(|p| p.lon).sum::<f64>() / n,
            lat: points.iter().map(|p| p.lat).sum::<f64>() / n,
        })
    }
}

/// The great-circle distance between two points, in kilometres.
pub fn haversine_km(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A deterministic point within `max_km` of `anchor`, chosen by `key` (a
/// region code): the same key always lands on the same spot, different keys
/// spread evenly over the disc. A stand-in for a place with no coordinates.
pub fn scatter(key: &str, anchor: Point, max_km: f64) -> Point {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let u = (h >> 32) as f64 / f64::from(u32::MAX);
    let v = (h & 0xffff_ffff) as f64 / f64::from(u32::MAX);
    // sqrt: uniform over the disc's area, not crowded at its centre.
    let r = max_km * u.sqrt();
    let angle = v * std::f64::consts::TAU;
    anchor.offset_km(r * angle.cos(), r * angle.sin())
}

/// A grid of points for nearest-neighbour queries: cells of a fixed size in
/// degrees, searched ring by ring outwards from the query's cell until no
/// unsearched cell can hold anything nearer than the best found.
#[derive(Debug, Clone)]
pub struct GridIndex {
    cell_deg: f64,
    points: Vec<Point>,
    cells: std::collections::HashMap<(i64, i64), Vec<usize>>,
}

impl GridIndex {
    /// Indexes `points`; `cell_km` is the cell size (about the radius of
    /// the queries asked makes the search touch few cells).
    pub fn new(points: Vec<Point>, cell_km: f64) -> GridIndex {
        let cell_deg = (cell_km.max(0.1)) / KM_PER_DEGREE;
        let mut cells: std::collections::HashMap<(i64, i64), Vec<usize>> =
            std::collections::HashMap::new();
        for (i, p) in points.iter().enumerate() {
            cells.entry(cell_of(*p, cell_deg)).or_default().push(i);
        }
        GridIndex {
            cell_deg,
            points,
            cells,
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The index of the point nearest to `q` and its distance in kilometres.
    pub fn nearest(&self, q: Point) -> Option<(usize, f64)> {
        if self.points.is_empty() {
            return None;
        }
        let (cx, cy) = cell_of(q, self.cell_deg);
        let mut best: Option<(usize, f64)> = None;
        let mut visited = 0usize;
        let mut ring = 0i64;
        loop {
            for (x, y) in ring_cells(cx, cy, ring) {
                visited += 1;
                let Some(ids) = self.cells.get(&(x, y)) else {
                    continue;
                };
                for &i in ids {
                    let d = haversine_km(q, self.points[i]);
                    if best.is_none_or(|(_, b)| d < b) {
                        best = Some((i, d));
                    }
                }
            }
            // Every point not yet seen lies `ring` whole cells away or more,
            // in latitude or in longitude; a longitude cell is narrowest at
            // the highest latitude such a point can have. 1 % slack for the
            // sphere against the flat bound.
            let lat_edge = (q.lat.abs() + (ring + 1) as f64 * self.cell_deg).min(89.0);
            let bound =
                ring as f64 * self.cell_deg * KM_PER_DEGREE * lat_edge.to_radians().cos() * 0.99;
            if best.is_some_and(|(_, d)| d <= bound) {
                return best;
            }
            // Far from every point (or beyond the last ring that holds one),
            // reading every point costs less than walking empty cells.
            if visited > self.points.len() + 64 {
                return self.brute_force(q);
            }
            ring += 1;
        }
    }

    fn brute_force(&self, q: Point) -> Option<(usize, f64)> {
        self.points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, haversine_km(q, *p)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

fn cell_of(p: Point, cell_deg: f64) -> (i64, i64) {
    (
        (p.lon / cell_deg).floor() as i64,
        (p.lat / cell_deg).floor() as i64,
    )
}

/// The cells exactly `ring` steps (Chebyshev distance) from (cx, cy).
fn ring_cells(cx: i64, cy: i64, ring: i64) -> Vec<(i64, i64)> {
    if ring == 0 {
        return vec![(cx, cy)];
    }
    let mut out = Vec::with_capacity((8 * ring) as usize);
    for dx in -ring..=ring {
        out.push((cx + dx, cy - ring));
        out.push((cx + dx, cy + ring));
    }
    for dy in (-ring + 1)..ring {
        out.push((cx - ring, cy + dy));
        out.push((cx + ring, cy + dy));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        // Guangzhou to Shenzhen city halls: about 104 km.
        let gz = Point::new(113.2644, 23.1291);
        let sz = Point::new(114.0579, 22.5431);
        let d = haversine_km(gz, sz);
        assert!((d - 104.0).abs() < 3.0, "{d}");
        assert_eq!(haversine_km(gz, gz), 0.0);
        // One degree of latitude is about 111.2 km.
        let d = haversine_km(Point::new(112.0, 22.0), Point::new(112.0, 23.0));
        assert!((d - 111.19).abs() < 0.05, "{d}");
    }

    #[test]
    fn offset_moves_by_the_distance_asked() {
        let a = Point::new(112.9, 22.7);
        let b = a.offset_km(3.0, 4.0);
        assert!((haversine_km(a, b) - 5.0).abs() < 0.02);
    }

    #[test]
    fn scatter_is_deterministic_and_within_its_radius() {
        let anchor = Point::new(112.96, 22.76);
        let a = scatter("440784103202", anchor, 4.0);
        assert_eq!(a, scatter("440784103202", anchor, 4.0));
        let b = scatter("440784103203", anchor, 4.0);
        assert_ne!(a, b);
        for i in 0..500 {
            let p = scatter(&format!("440784103{i:03}"), anchor, 4.0);
            assert!(haversine_km(anchor, p) <= 4.01);
        }
    }

    #[test]
    fn grid_nearest_equals_brute_force() {
        // A fixed pseudo-random cloud around Jiangmen and queries around it.
        let mut s: u64 = 42;
        let mut next = || {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut pts = Vec::new();
        for _ in 0..300 {
            pts.push(Point::new(112.0 + next() * 1.5, 22.0 + next() * 1.5));
        }
        for cell_km in [0.5, 3.0, 20.0, 500.0] {
            let grid = GridIndex::new(pts.clone(), cell_km);
            for _ in 0..200 {
                let q = Point::new(111.5 + next() * 2.5, 21.5 + next() * 2.5);
                let (i, d) = grid.nearest(q).unwrap();
                let brute = pts
                    .iter()
                    .map(|p| haversine_km(q, *p))
                    .fold(f64::INFINITY, f64::min);
                assert!((d - brute).abs() < 1e-9, "cell {cell_km}: {d} vs {brute}");
                assert!((haversine_km(q, pts[i]) - d).abs() < 1e-12);
            }
        }
        // A query far from every point still finds the nearest.
        let grid = GridIndex::new(pts.clone(), 1.0);
        let (_, d) = grid.nearest(Point::new(100.0, 40.0)).unwrap();
        let brute = pts
            .iter()
            .map(|p| haversine_km(Point::new(100.0, 40.0), *p))
            .fold(f64::INFINITY, f64::min);
        assert!((d - brute).abs() < 1e-9);
        assert!(GridIndex::new(Vec::new(), 1.0).nearest(pts[0]).is_none());
    }
}
