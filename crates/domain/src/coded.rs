//! Enums with a stable code (stored in the database, used by the API) and a
//! Chinese label (shown to users, written in sheets): one macro for all of them.

/// Declares such an enum: `coded_enum!(/// doc  Name { Variant = "code", "标签"; … });`.
/// Extra attributes before the name (`#[derive(PartialOrd, Ord)]`) pass through.
/// Codes must be the variants' snake_case names, which serde writes.
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The code stored in the database and used by the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// The Chinese name shown to users and written in sheets.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            /// Reads user input: see [`crate::coded::parse`].
            pub fn parse(s: &str) -> Option<$name> {
                $crate::coded::parse(Self::ALL, s, Self::as_str, Self::label)
            }
        }
    };
}
pub(crate) use coded_enum;

/// What a coded enum accepts on input, in one place for every such enum:
/// the code or the Chinese label, ignoring surrounding white space.
pub(crate) fn parse<T: Copy>(
    all: &[T],
    s: &str,
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Option<T> {
    let s = s.trim();
    all.iter().copied().find(|&v| code(v) == s || label(v) == s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    coded_enum!(
        /// A test enum.
        Colour {
            /// The first.
            Red = "red", "红色";
            DeepBlue = "deep_blue", "深蓝";
        }
    );

    #[test]
    fn code_label_and_parse_agree() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DeepBlue]);
        assert_eq!(Colour::DeepBlue.as_str(), "deep_blue");
        assert_eq!(Colour::DeepBlue.label(), "深蓝");
        assert_eq!(Colour::parse(" deep_blue "), Some(Colour::DeepBlue));
        assert_eq!(Colour::parse("红色"), Some(Colour::Red));
        assert_eq!(Colour::parse("blue"), None);
    }

    /// serde reads the variant's snake_case name; the macro relies on it
    /// being the code, for every coded enum in the domain.
    #[test]
    fn serde_reads_every_code() {
        use serde::de::value::{Error, StrDeserializer};
        use serde::Deserialize;
        macro_rules! check {
            ($($t:ty),+) => {$(
                for &v in <$t>::ALL {
                    let read = <$t>::deserialize(StrDeserializer::<Error>::new(v.as_str()));
                    assert_eq!(read.ok(), Some(v), "{}", v.as_str());
                }
            )+};
        }
        check!(
            Colour,
            crate::register::PersonStatus,
            crate::register::LivingSituation,
            crate::register::EconomicStatus,
            crate::register::ChildCategory,
            crate::facility::FacilityKind,
            crate::canteen::CanteenMode,
            crate::canteen::MealService,
            crate::canteen::Meal,
            crate::construction::Stage,
            crate::home_modification::CaseState,
            crate::home_modification::PhotoPhase,
            crate::kangyuan::ServiceKind,
            crate::visits::VisitTarget,
            crate::home_care::ServiceUnit,
            crate::home_care::Channel,
            crate::home_care::OrderState,
            crate::home_care::Step,
            crate::home_care::ReviewOutcome
        );
    }
}
