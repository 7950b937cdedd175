//! Charts drawn on the server as SVG: the numbers are laid out here, the
//! elements written by the `charts.html` macros (askama escapes every label).
//! No script and no style attribute, so the pages keep the strict CSP.

/// Horizontal bars, one per value.
pub(crate) struct BarChart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    /// Where the bars start (labels are right-aligned before it).
    pub origin: u32,
    pub bars: Vec<Bar>,
}

pub(crate) struct Bar {
    pub label: String,
    pub value_text: String,
    pub y: u32,
    pub text_y: u32,
    pub length: u32,
    pub value_x: u32,
    pub href: Option<String>,
}

const ROW: u32 = 24;
const BAR: u32 = 16;
const WIDTH: u32 = 640;
const ORIGIN: u32 = 190;
const MAX_BAR: u32 = 340;

impl BarChart {
    /// `items`: (label, value, value as shown, link).
    pub fn new(title: &str, items: Vec<(String, i64, String, Option<String>)>) -> BarChart {
        let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
        let bars = items
            .into_iter()
            .enumerate()
            .map(|(i, (label, value, value_text, href))| {
                let y = 4 + ROW * i as u32;
                // Integer arithmetic: a bar's length is its share of the
                // longest, in whole pixels; a non-zero value shows at least 1.
                let length = if value > 0 {
                    (u64::try_from(value).unwrap_or(0) * u64::from(MAX_BAR)
                        / u64::try_from(max).unwrap_or(1))
                    .max(1) as u32
                } else {
                    0
                };
                Bar {
                    label: truncate(&label, 12),
                    value_text,
                    y,
                    text_y: y + BAR - 3,
                    length,
                    value_x: ORIGIN + length + 6,
                    href,
                }
            })
            .collect::<Vec<_>>();
        BarChart {
            title: title.to_owned(),
            width: WIDTH,
            height: 8 + ROW * bars.len() as u32,
            origin: ORIGIN,
            bars,
        }
    }

    pub fn bar_height(&self) -> u32 {
        BAR
    }

    pub fn label_x(&self) -> u32 {
        self.origin - 6
    }
}

fn truncate(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(chars - 1).collect();
        t.push('…');
        t
    }
}

/// Places on a map: a plain equirectangular projection of a small area,
/// longitude scaled by the cosine of the middle latitude so that distances
/// look right. Good for a county or a city; no tiles, no basemap.
pub(crate) struct MapFrame {
    pub width: u32,
    pub height: u32,
    lon0: f64,
    lat1: f64,
    scale: f64,
    cos: f64,
}

const MAP_WIDTH: u32 = 640;
/// Room around the outermost points for a village dot's radius (up to 14 px).
const PAD: f64 = 24.0;

impl MapFrame {
    /// A frame around `points` (lon, lat), `None` when there are none.
    pub fn around(points: impl Iterator<Item = (f64, f64)>) -> Option<MapFrame> {
        let (mut lo_x, mut hi_x, mut lo_y, mut hi_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        let mut any = false;
        for (lon, lat) in points {
            any = true;
            lo_x = lo_x.min(lon);
            hi_x = hi_x.max(lon);
            lo_y = lo_y.min(lat);
            hi_y = hi_y.max(lat);
        }
        if !any {
            return None;
        }
        let cos = ((lo_y + hi_y) / 2.0).to_radians().cos().max(0.2);
        // At least about 2 km across, so one place is not blown up.
        let span_x = ((hi_x - lo_x) * cos).max(0.02);
        let span_y = (hi_y - lo_y).max(0.02);
        let inner = f64::from(MAP_WIDTH) - 2.0 * PAD;
        let scale = inner / span_x.max(span_y * 1.2);
        let height = (span_y * scale + 2.0 * PAD).ceil().clamp(160.0, 900.0) as u32;
        Some(MapFrame {
            width: MAP_WIDTH,
            height,
            lon0: lo_x - (inner / scale - span_x) / 2.0 / cos,
            lat1: hi_y,
            scale,
            cos,
        })
    }

    /// SVG coordinates of a point.
    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        let x = PAD + (lon - self.lon0) * self.cos * self.scale;
        let y = PAD + (self.lat1 - lat) * self.scale;
        ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0)
    }

    /// Whether a point falls inside the drawing.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= 0.0 && y >= 0.0 && x <= f64::from(self.width) && y <= f64::from(self.height)
    }

    /// Pixels per kilometre, for a scale bar.
    pub fn px_per_km(&self) -> f64 {
        self.scale / 111.195
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_zero_is_empty() {
        let c = BarChart::new(
            "t",
            vec![
                ("a".into(), 10, "10".into(), None),
                ("b".into(), 5, "5".into(), None),
                ("c".into(), 0, "0".into(), None),
            ],
        );
        assert_eq!(c.bars[0].length, MAX_BAR);
        assert_eq!(c.bars[1].length, MAX_BAR / 2);
        assert_eq!(c.bars[2].length, 0);
    }

    #[test]
    fn the_map_keeps_its_points_inside() {
        let pts = [(112.9, 22.7), (113.1, 22.8), (112.95, 22.9)];
        let m = MapFrame::around(pts.iter().copied()).unwrap();
        for (lon, lat) in pts {
            let (x, y) = m.xy(lon, lat);
            assert!(m.contains(x, y), "{x},{y}");
        }
    }
}
