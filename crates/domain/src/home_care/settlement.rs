//! A provider's monthly settlement: government and personal parts in fen,
//! flagged orders held back until reviewed.

use super::OrderSplit;
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// One finished order as the settlement sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettledOrder {
    pub split: OrderSplit,
    /// Flagged and not yet reviewed: its government part is held back.
    pub held: bool,
    /// Reviewed and found not genuine: its government part is not paid.
    pub rejected: bool,
}

/// A provider's month: every finished order counted in the totals; what the
/// bureau pays is the government part less what is held or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settlement {
    pub orders: u64,
    pub government: Fen,
    pub personal: Fen,
    pub held_orders: u64,
    pub held: Fen,
    pub rejected_orders: u64,
    pub rejected: Fen,
    pub payable: Fen,
}

/// Adds up a month's orders; `None` on overflow (only corrupt amounts can
/// cause it; a settlement is never silently wrapped).
pub fn settle(orders: &[SettledOrder]) -> Option<Settlement> {
    let mut s = Settlement::default();
    for o in orders {
        s.orders = s.orders.checked_add(1)?;
        s.government = s.government.checked_add(o.split.government)?;
        s.personal = s.personal.checked_add(o.split.personal)?;
        if o.rejected {
            s.rejected_orders += 1;
            s.rejected = s.rejected.checked_add(o.split.government)?;
        } else if o.held {
            s.held_orders += 1;
            s.held = s.held.checked_add(o.split.government)?;
        } else {
            s.payable = s.payable.checked_add(o.split.government)?;
        }
    }
    Some(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_settlement_adds_up_and_holds_flagged_orders() {
        let o = |g, p, held, rejected| SettledOrder {
            split: OrderSplit {
                government: Fen(g),
                personal: Fen(p),
            },
            held,
            rejected,
        };
        let s = settle(&[
            o(8000, 0, false, false),
            o(7200, 800, true, false),
            o(2700, 5300, false, true),
            o(0, 4000, false, false),
        ])
        .unwrap();
        assert_eq!(s.orders, 4);
        assert_eq!(s.government, Fen(8000 + 7200 + 2700));
        assert_eq!(s.personal, Fen(800 + 5300 + 4000));
        assert_eq!((s.held_orders, s.held), (1, Fen(7200)));
        assert_eq!((s.rejected_orders, s.rejected), (1, Fen(2700)));
        assert_eq!(s.payable, Fen(8000));
        assert_eq!(
            s.payable.0 + s.held.0 + s.rejected.0,
            s.government.0,
            "what is paid, held and refused makes up the government part"
        );
        assert_eq!(settle(&[]), Some(Settlement::default()));
        assert_eq!(
            settle(&[o(i64::MAX, 0, false, false), o(1, 0, false, false)]),
            None
        );
    }
}
