//! An order's price and who pays it, its life from request to rating with
//! the time limit of each state, and the proof of service (where and how
//! long the caregiver was) that holds an order back when something is off.

use super::{OrderState, ServiceItem, Step};
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// Who pays what of one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderSplit {
    pub government: Fen,
    pub personal: Fen,
}

impl OrderSplit {
    pub fn total(&self) -> Option<Fen> {
        self.government.checked_add(self.personal)
    }
}

/// The price of `quantity` units, `None` on overflow.
pub fn price_of(item: &ServiceItem, quantity: u32) -> Option<Fen> {
    item.price.checked_mul(i64::from(quantity))
}

/// Splits an order's price: the part within what remains of the month's
/// entitlement is bought by the government, less the person's share of it
/// (rounded to the nearest fen, half up); the rest the person pays.
pub fn split_order(price: Fen, remaining: Fen, personal_share_per_mille: u32) -> OrderSplit {
    let price = price.0.max(0);
    let covered = price.min(remaining.0.max(0));
    let share = i64::from(personal_share_per_mille.min(1000));
    // covered ≤ price, and share ≤ 1000: covered * share fits unless the
    // price is beyond any real amount; saturate rather than wrap.
    let own_part = covered.saturating_mul(share).saturating_add(500) / 1000;
    let government = covered - own_part;
    OrderSplit {
        government: Fen(government),
        personal: Fen(price - government),
    }
}

// ---- the life of an order ----

/// The state an order moves to on `step`, or why it cannot (Chinese).
///
/// A dispatched order can be dispatched again (the provider turned it down,
/// or the operator overrides the suggestion); an accepted order can be given
/// to another caregiver. Checking out of an order nobody checked in to is
/// allowed, so that the visit is on record, and is flagged as an anomaly.
pub fn next_state(from: OrderState, step: Step) -> Result<OrderState, String> {
    use OrderState::*;
    let to = match (step, from) {
        (Step::Dispatch, Requested | Dispatched) => Dispatched,
        (Step::Accept, Dispatched | Accepted) => Accepted,
        (Step::CheckIn, Accepted) => OnSite,
        (Step::CheckOut, OnSite | Accepted) => Done,
        (Step::Rate, Done) => Rated,
        (Step::Cancel, Requested | Dispatched | Accepted) => Cancelled,
        _ => {
            return Err(format!(
                "工单当前为“{}”，不能{}",
                from.label(),
                step.label()
            ))
        }
    };
    Ok(to)
}

/// How long an order may stay in each state before it is late, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeLimits {
    /// Requested → dispatched.
    pub dispatch: u32,
    /// Dispatched → accepted by a provider with a caregiver.
    pub accept: u32,
    /// Accepted → checked in, counted from the time the visit was booked for.
    pub check_in_after_scheduled: u32,
    /// On site → checked out, beyond the item's standard duration.
    pub check_out_over_standard: u32,
}

/// This project's defaults: dispatch within 2 hours of the call, accept
/// within 4 hours, arrive within an hour of the booked time, and leave within
/// 2 hours beyond the standard duration (a caregiver who forgot to check out).
pub const DEFAULT_TIME_LIMITS: TimeLimits = TimeLimits {
    dispatch: 120,
    accept: 240,
    check_in_after_scheduled: 60,
    check_out_over_standard: 120,
};

/// When an order's current state must have ended (Unix seconds), or `None`
/// for states with no limit (done, rated, cancelled).
pub fn deadline(
    state: OrderState,
    state_since: i64,
    scheduled_at: i64,
    standard_minutes: u32,
    limits: &TimeLimits,
) -> Option<i64> {
    let minutes = |m: u32| i64::from(m) * 60;
    match state {
        OrderState::Requested => Some(state_since + minutes(limits.dispatch)),
        OrderState::Dispatched => Some(state_since + minutes(limits.accept)),
        OrderState::Accepted => Some(scheduled_at + minutes(limits.check_in_after_scheduled)),
        OrderState::OnSite => {
            Some(state_since + minutes(standard_minutes) + minutes(limits.check_out_over_standard))
        }
        OrderState::Done | OrderState::Rated | OrderState::Cancelled => None,
    }
}

/// Whether an order is late at `now`.
pub fn is_late(
    state: OrderState,
    state_since: i64,
    scheduled_at: i64,
    standard_minutes: u32,
    limits: &TimeLimits,
    now: i64,
) -> bool {
    deadline(state, state_since, scheduled_at, standard_minutes, limits)
        .is_some_and(|due| now > due)
}

// ---- proof of service ----

/// A WGS-84 position in microdegrees, as facilities store theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub longitude_e6: i64,
    pub latitude_e6: i64,
}

impl GeoPoint {
    /// A point from degrees, if they are on the globe.
    pub fn from_degrees(longitude: f64, latitude: f64) -> Option<GeoPoint> {
        if !(longitude.is_finite() && latitude.is_finite())
            || longitude.abs() > 180.0
            || latitude.abs() > 90.0
        {
            return None;
        }
        Some(GeoPoint {
            longitude_e6: (longitude * 1e6).round() as i64,
            latitude_e6: (latitude * 1e6).round() as i64,
        })
    }
}

/// The great-circle distance in metres (haversine formula, on a sphere of
/// the mean Earth radius 6 371 008.8 m, IUGG). Within a city the error
/// against the ellipsoid is well under 1%, far finer than a phone's fix.
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    const R: f64 = 6_371_008.8;
    let rad = |micro: i64| (micro as f64 / 1e6).to_radians();
    let (lat1, lat2) = (rad(a.latitude_e6), rad(b.latitude_e6));
    let dlat = lat2 - lat1;
    let dlon = rad(b.longitude_e6) - rad(a.longitude_e6);
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// The thresholds of the anomaly rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyRules {
    /// A check-in farther than this from the person's home is flagged.
    pub far_from_home_m: u32,
    /// A visit shorter than this share (per mille) of the standard is flagged.
    pub min_duration_per_mille: u32,
}

/// This project's defaults: 500 m (a phone's fix in town is usually within
/// 50 m, in a village house under trees within a few hundred), and half the
/// standard duration.
pub const DEFAULT_ANOMALY_RULES: AnomalyRules = AnomalyRules {
    far_from_home_m: 500,
    min_duration_per_mille: 500,
};

/// Something about a visit that must be reviewed before it is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Anomaly {
    /// Checked in this far from the person's home.
    FarFromHome { metres: u32 },
    /// On site this long, against the standard for the order.
    TooShort { minutes: u32, standard_minutes: u32 },
    /// Another order of the same person overlaps this one in time.
    Overlap { other_order: i64 },
    /// Checked out without having checked in.
    NoCheckIn,
}

impl Anomaly {
    pub fn code(&self) -> &'static str {
        match self {
            Anomaly::FarFromHome { .. } => "far_from_home",
            Anomaly::TooShort { .. } => "too_short",
            Anomaly::Overlap { .. } => "overlap",
            Anomaly::NoCheckIn => "no_check_in",
        }
    }

    /// What a reviewer reads.
    pub fn describe(&self) -> String {
        match self {
            Anomaly::FarFromHome { metres } => format!("签到位置距老人住址约 {metres} 米"),
            Anomaly::TooShort {
                minutes,
                standard_minutes,
            } => format!("服务时长 {minutes} 分钟，远短于标准 {standard_minutes} 分钟"),
            Anomaly::Overlap { other_order } => {
                format!("与同一老人的工单 {other_order} 服务时间重叠")
            }
            Anomaly::NoCheckIn => "未签到即签退".to_owned(),
        }
    }
}

/// Check-in far from home: flagged when both the home and the check-in
/// position are known and farther apart than the threshold. Without either
/// position there is nothing to judge (the page works without location).
pub fn far_from_home(
    home: Option<GeoPoint>,
    checked_in_at: Option<GeoPoint>,
    rules: &AnomalyRules,
) -> Option<Anomaly> {
    let d = distance_m(home?, checked_in_at?);
    (d > f64::from(rules.far_from_home_m)).then(|| Anomaly::FarFromHome {
        metres: d.round().min(f64::from(u32::MAX)) as u32,
    })
}

/// A visit much shorter than the standard: on site for less than the
/// rules' share of the standard duration. Needs both times.
pub fn too_short(
    check_in: Option<i64>,
    check_out: i64,
    standard_minutes: u32,
    rules: &AnomalyRules,
) -> Option<Anomaly> {
    let seconds = check_out.saturating_sub(check_in?).max(0);
    let needed = i64::from(standard_minutes) * 60 * i64::from(rules.min_duration_per_mille) / 1000;
    (seconds < needed).then(|| Anomaly::TooShort {
        minutes: u32::try_from(seconds / 60).unwrap_or(u32::MAX),
        standard_minutes,
    })
}

/// A check-out with no check-in.
pub fn no_check_in(check_in: Option<i64>) -> Option<Anomaly> {
    check_in.is_none().then_some(Anomaly::NoCheckIn)
}

/// An order's time on site (or, before the visit, its booked time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub order: i64,
    pub start: i64,
    pub end: i64,
}

/// Two orders for one person at one time: every other span (of the same
/// person) that overlaps `this` by more than touching ends.
pub fn overlaps(this: Span, others: &[Span]) -> Vec<Anomaly> {
    others
        .iter()
        .filter(|o| o.order != this.order && o.start < this.end && this.start < o.end)
        .map(|o| Anomaly::Overlap {
            other_order: o.order,
        })
        .collect()
}

/// What is known about a visit at check-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub order: i64,
    pub home: Option<GeoPoint>,
    pub check_in: Option<i64>,
    pub check_in_at: Option<GeoPoint>,
    pub check_out: i64,
    pub standard_minutes: u32,
}

/// Every anomaly of a finished visit, given the spans of the same person's
/// other live orders.
pub fn visit_anomalies(v: &Visit, others: &[Span], rules: &AnomalyRules) -> Vec<Anomaly> {
    let mut found = Vec::new();
    found.extend(no_check_in(v.check_in));
    found.extend(far_from_home(v.home, v.check_in_at, rules));
    found.extend(too_short(
        v.check_in,
        v.check_out,
        v.standard_minutes,
        rules,
    ));
    // Without a check-in the visit is taken to have lasted its standard time
    // up to the check-out, for the overlap test.
    let start = v
        .check_in
        .unwrap_or(v.check_out - i64::from(v.standard_minutes) * 60);
    found.extend(overlaps(
        Span {
            order: v.order,
            start,
            end: v.check_out,
        },
        others,
    ));
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const HOME: GeoPoint = GeoPoint {
        longitude_e6: 112_080_000,
        latitude_e6: 22_940_000,
    };

    #[test]
    fn an_order_is_split_within_what_remains_of_the_month() {
        // Wholly within, no personal share.
        assert_eq!(
            split_order(Fen(8000), Fen(50_000), 0),
            OrderSplit {
                government: Fen(8000),
                personal: Fen(0)
            }
        );
        // Within, with a 10% share.
        assert_eq!(
            split_order(Fen(8000), Fen(50_000), 100),
            OrderSplit {
                government: Fen(7200),
                personal: Fen(800)
            }
        );
        // Partly beyond: 30 yuan left of the month.
        assert_eq!(
            split_order(Fen(8000), Fen(3000), 100),
            OrderSplit {
                government: Fen(2700),
                personal: Fen(5300)
            }
        );
        // Nothing left, or no entitlement: the person pays it all.
        assert_eq!(split_order(Fen(8000), Fen(0), 0).personal, Fen(8000));
        assert_eq!(split_order(Fen(8000), Fen(-5), 0).government, Fen(0));
        // Rounding half up to the fen: 15% of 3.33 yuan is 49.95 fen → 50.
        let s = split_order(Fen(333), Fen(10_000), 150);
        assert_eq!(
            s,
            OrderSplit {
                government: Fen(283),
                personal: Fen(50)
            }
        );
        for (price, left, share) in [(1, 1, 999), (12_345, 10_000, 333), (99, 100, 1000)] {
            assert_eq!(
                split_order(Fen(price), Fen(left), share).total(),
                Some(Fen(price))
            );
        }
    }

    #[test]
    fn orders_move_only_along_the_allowed_steps() {
        use OrderState::*;
        let mut s = Requested;
        for step in [
            Step::Dispatch,
            Step::Accept,
            Step::CheckIn,
            Step::CheckOut,
            Step::Rate,
        ] {
            s = next_state(s, step).unwrap();
        }
        assert_eq!(s, Rated);
        assert_eq!(next_state(Dispatched, Step::Dispatch), Ok(Dispatched));
        assert_eq!(next_state(Accepted, Step::CheckOut), Ok(Done));
        assert_eq!(next_state(Accepted, Step::Cancel), Ok(Cancelled));
        assert_eq!(
            next_state(Requested, Step::CheckIn),
            Err("工单当前为“待派单”，不能签到".into())
        );
        assert!(next_state(OnSite, Step::Cancel).is_err());
        assert!(next_state(Done, Step::Cancel).is_err());
        assert!(next_state(Cancelled, Step::Dispatch).is_err());
        assert!(next_state(Rated, Step::Rate).is_err());
    }

    #[test]
    fn each_state_has_its_time_limit() {
        let l = DEFAULT_TIME_LIMITS;
        let (since, booked) = (1_000_000, 2_000_000);
        assert_eq!(
            deadline(OrderState::Requested, since, booked, 60, &l),
            Some(since + 7200)
        );
        assert_eq!(
            deadline(OrderState::Dispatched, since, booked, 60, &l),
            Some(since + 4 * 3600)
        );
        assert_eq!(
            deadline(OrderState::Accepted, since, booked, 60, &l),
            Some(booked + 3600)
        );
        assert_eq!(
            deadline(OrderState::OnSite, since, booked, 60, &l),
            Some(since + 3 * 3600)
        );
        assert_eq!(deadline(OrderState::Done, since, booked, 60, &l), None);
        assert!(!is_late(
            OrderState::Requested,
            since,
            booked,
            60,
            &l,
            since + 7200
        ));
        assert!(is_late(
            OrderState::Requested,
            since,
            booked,
            60,
            &l,
            since + 7201
        ));
        assert!(!is_late(
            OrderState::Cancelled,
            since,
            booked,
            60,
            &l,
            i64::MAX
        ));
    }

    #[test]
    fn distances_are_haversine_metres() {
        // One degree of latitude is about 111.2 km.
        let north = GeoPoint {
            latitude_e6: HOME.latitude_e6 + 1_000_000,
            ..HOME
        };
        let d = distance_m(HOME, north);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
        assert_eq!(distance_m(HOME, HOME), 0.0);
        // 0.001 degree of longitude at 22.94° N is about 102.5 m.
        let east = GeoPoint {
            longitude_e6: HOME.longitude_e6 + 1_000,
            ..HOME
        };
        assert!((distance_m(HOME, east) - 102.5).abs() < 1.0);
        assert_eq!(GeoPoint::from_degrees(112.08, 22.94), Some(HOME));
        assert_eq!(GeoPoint::from_degrees(200.0, 0.0), None);
        assert_eq!(GeoPoint::from_degrees(f64::NAN, 0.0), None);
    }

    #[test]
    fn a_check_in_far_from_home_is_flagged_and_a_near_one_is_not() {
        let rules = DEFAULT_ANOMALY_RULES;
        // About 2.2 km away.
        let far = GeoPoint {
            latitude_e6: HOME.latitude_e6 + 20_000,
            ..HOME
        };
        match far_from_home(Some(HOME), Some(far), &rules) {
            Some(Anomaly::FarFromHome { metres }) => assert!((2_200..2_250).contains(&metres)),
            other => panic!("{other:?}"),
        }
        // About 100 m away: a phone's fix at the door.
        let near = GeoPoint {
            latitude_e6: HOME.latitude_e6 + 900,
            ..HOME
        };
        assert_eq!(far_from_home(Some(HOME), Some(near), &rules), None);
        // No position from the phone, or no known home: nothing to judge.
        assert_eq!(far_from_home(Some(HOME), None, &rules), None);
        assert_eq!(far_from_home(None, Some(far), &rules), None);
    }

    #[test]
    fn a_visit_much_shorter_than_the_standard_is_flagged_and_a_full_one_is_not() {
        let rules = DEFAULT_ANOMALY_RULES;
        let t0 = 1_800_000_000;
        // Ten minutes of a sixty-minute bath.
        assert_eq!(
            too_short(Some(t0), t0 + 600, 60, &rules),
            Some(Anomaly::TooShort {
                minutes: 10,
                standard_minutes: 60
            })
        );
        // Thirty minutes is half: the threshold itself is not flagged.
        assert_eq!(too_short(Some(t0), t0 + 1800, 60, &rules), None);
        assert_eq!(too_short(Some(t0), t0 + 3900, 60, &rules), None);
        // No check-in: not this rule's business.
        assert_eq!(too_short(None, t0, 60, &rules), None);
    }

    #[test]
    fn two_orders_of_one_person_at_one_time_are_flagged_and_apart_are_not() {
        let this = Span {
            order: 1,
            start: 1000,
            end: 4600,
        };
        let others = [
            Span {
                order: 2,
                start: 4000,
                end: 7000,
            }, // overlaps the end
            Span {
                order: 3,
                start: 4600,
                end: 8000,
            }, // starts as this ends
            Span {
                order: 4,
                start: 0,
                end: 1000,
            }, // ends as this starts
            Span {
                order: 1,
                start: 1000,
                end: 4600,
            }, // itself
            Span {
                order: 5,
                start: 2000,
                end: 3000,
            }, // inside
        ];
        assert_eq!(
            overlaps(this, &others),
            vec![
                Anomaly::Overlap { other_order: 2 },
                Anomaly::Overlap { other_order: 5 }
            ]
        );
        assert!(overlaps(this, &others[1..4]).is_empty());
    }

    #[test]
    fn a_check_out_without_check_in_is_flagged_and_with_one_is_not() {
        assert_eq!(no_check_in(None), Some(Anomaly::NoCheckIn));
        assert_eq!(no_check_in(Some(1)), None);
    }

    #[test]
    fn a_visit_collects_all_its_anomalies_or_none() {
        let rules = DEFAULT_ANOMALY_RULES;
        let t0 = 1_800_000_000;
        let good = Visit {
            order: 7,
            home: Some(HOME),
            check_in: Some(t0),
            check_in_at: Some(HOME),
            check_out: t0 + 3600,
            standard_minutes: 60,
        };
        assert!(visit_anomalies(&good, &[], &rules).is_empty());
        let blind = Visit {
            check_in: None,
            check_in_at: None,
            ..good
        };
        let elsewhere = [Span {
            order: 8,
            start: t0 + 1800,
            end: t0 + 5400,
        }];
        let found = visit_anomalies(&blind, &elsewhere, &rules);
        assert_eq!(
            found,
            vec![Anomaly::NoCheckIn, Anomaly::Overlap { other_order: 8 }]
        );
        assert_eq!(found[0].describe(), "未签到即签退");
    }
}
