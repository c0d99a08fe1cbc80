//! The type rules of validation: the type an expression can have, the type
//! of each literal, which types compare, what the operators yield, numeric
//! promotion, and the signatures of the built-in functions.
//!
//! Must not know about: walking a query, reporting problems, or the help
//! texts (`checker` and `hints` do those with these rules).

use crate::schema::{EdmType, EntitySchema, PropertyDef};
use crate::syntax::ast::{BinaryOp, Function};
use crate::syntax::tree::Literal;

/// The type of an expression as validation infers it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Ty {
    /// The `null` literal: fits wherever a value does.
    Null,
    /// A value of an EDM type.
    Edm(EdmType),
    /// An enum literal `Ns.Type'Value'` (its type name is not `'static`).
    EnumLiteral,
    /// The entity itself (`$it`, `$this`).
    Entity,
    /// Not knowable, or already reported: accepted everywhere so that one
    /// mistake is reported once.
    Unknown,
}

impl Ty {
    pub(super) fn is_boolean_like(self) -> bool {
        matches!(self, Ty::Null | Ty::Unknown | Ty::Edm(EdmType::Boolean))
    }

    pub(super) fn name(self, schema: &EntitySchema) -> String {
        match self {
            Ty::Null => "null".to_string(),
            Ty::Edm(t) => t.to_string(),
            Ty::EnumLiteral => "an enum value".to_string(),
            Ty::Entity => schema.type_name.to_string(),
            Ty::Unknown => "unknown".to_string(),
        }
    }
}

/// An expression's type and, when it is a property path, the property.
#[derive(Clone, Copy, Debug)]
pub(super) struct Typed {
    pub(super) ty: Ty,
    pub(super) property: Option<&'static PropertyDef>,
}

impl Typed {
    pub(super) fn of(ty: Ty) -> Typed {
        Typed { ty, property: None }
    }

    pub(super) fn edm(t: EdmType) -> Typed {
        Typed::of(Ty::Edm(t))
    }
}

/// What an argument of a built-in function accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Param {
    String,
    Integer,
    Number,
    /// DateTimeOffset or Date.
    DateLike,
    /// DateTimeOffset or TimeOfDay.
    TimeLike,
    DateTimeOffset,
    Duration,
    /// A string or a collection (4.01 `length`, `concat`).
    StringOrCollection,
}

impl Param {
    pub(super) fn accepts(self, ty: Ty) -> bool {
        let Ty::Edm(t) = ty else {
            return matches!(ty, Ty::Null | Ty::Unknown);
        };
        match self {
            Param::String => t == EdmType::String,
            Param::Integer => is_integer(t),
            Param::Number => t.is_numeric(),
            Param::DateLike => matches!(t, EdmType::DateTimeOffset | EdmType::Date),
            Param::TimeLike => matches!(t, EdmType::DateTimeOffset | EdmType::TimeOfDay),
            Param::DateTimeOffset => t == EdmType::DateTimeOffset,
            Param::Duration => t == EdmType::Duration,
            Param::StringOrCollection => matches!(t, EdmType::String | EdmType::Collection(_)),
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            Param::String => "Edm.String",
            Param::Integer => "an integer",
            Param::Number => "a number",
            Param::DateLike => "Edm.DateTimeOffset or Edm.Date",
            Param::TimeLike => "Edm.DateTimeOffset or Edm.TimeOfDay",
            Param::DateTimeOffset => "Edm.DateTimeOffset",
            Param::Duration => "Edm.Duration",
            Param::StringOrCollection => "Edm.String or a collection",
        }
    }

    /// The type a literal for this parameter would have, for help texts.
    pub(super) fn expected_type(self) -> Option<EdmType> {
        match self {
            Param::String => Some(EdmType::String),
            Param::Integer => Some(EdmType::Int32),
            Param::Number => Some(EdmType::Double),
            Param::DateLike | Param::TimeLike | Param::DateTimeOffset => {
                Some(EdmType::DateTimeOffset)
            }
            Param::Duration => Some(EdmType::Duration),
            Param::StringOrCollection => None,
        }
    }
}

/// The parameters of a built-in function and its result type (`None`: the
/// result depends on the argument, see [`Checker::check_call`](super::checker::Checker::check_call)).
pub(super) fn signature(function: Function) -> (&'static [Param], Option<EdmType>) {
    use Param as P;
    match function {
        Function::Contains | Function::StartsWith | Function::EndsWith => {
            (&[P::String, P::String], Some(EdmType::Boolean))
        }
        Function::MatchesPattern => (&[P::String, P::String], Some(EdmType::Boolean)),
        Function::Length => (&[P::StringOrCollection], Some(EdmType::Int32)),
        Function::IndexOf => (&[P::String, P::String], Some(EdmType::Int32)),
        Function::Substring => (&[P::String, P::Integer, P::Integer], Some(EdmType::String)),
        Function::ToLower | Function::ToUpper | Function::Trim => {
            (&[P::String], Some(EdmType::String))
        }
        Function::Concat => (&[P::StringOrCollection, P::StringOrCollection], None),
        Function::Year | Function::Month | Function::Day => (&[P::DateLike], Some(EdmType::Int32)),
        Function::Hour | Function::Minute | Function::Second => {
            (&[P::TimeLike], Some(EdmType::Int32))
        }
        Function::FractionalSeconds => (&[P::TimeLike], Some(EdmType::Decimal)),
        Function::TotalSeconds => (&[P::Duration], Some(EdmType::Decimal)),
        Function::Date => (&[P::DateTimeOffset], Some(EdmType::Date)),
        Function::Time => (&[P::DateTimeOffset], Some(EdmType::TimeOfDay)),
        Function::TotalOffsetMinutes => (&[P::DateTimeOffset], Some(EdmType::Int32)),
        Function::Now | Function::MinDateTime | Function::MaxDateTime => {
            (&[], Some(EdmType::DateTimeOffset))
        }
        Function::Round | Function::Floor | Function::Ceiling => (&[P::Number], None),
    }
}

fn is_integer(t: EdmType) -> bool {
    matches!(
        t,
        EdmType::Byte | EdmType::SByte | EdmType::Int16 | EdmType::Int32 | EdmType::Int64
    )
}

/// The wider of two numeric types, as OData promotes them.
fn wider(a: EdmType, b: EdmType) -> EdmType {
    fn rank(t: EdmType) -> u8 {
        match t {
            EdmType::Byte | EdmType::SByte => 0,
            EdmType::Int16 => 1,
            EdmType::Int32 => 2,
            EdmType::Int64 => 3,
            EdmType::Decimal => 4,
            EdmType::Single => 5,
            _ => 6,
        }
    }
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// Whether values of the two types can be compared (`eq`, `gt`, `in`, …).
pub(super) fn comparable(a: Ty, b: Ty) -> bool {
    match (a, b) {
        (Ty::Unknown, _) | (_, Ty::Unknown) | (Ty::Null, _) | (_, Ty::Null) => true,
        (Ty::EnumLiteral, Ty::EnumLiteral) => true,
        (Ty::EnumLiteral, Ty::Edm(t)) | (Ty::Edm(t), Ty::EnumLiteral) => {
            matches!(t, EdmType::Enum(_))
        }
        (Ty::Edm(x), Ty::Edm(y)) => {
            (x.is_numeric() && y.is_numeric())
                || matches!(
                    (x, y),
                    (
                        EdmType::DateTimeOffset | EdmType::Date,
                        EdmType::DateTimeOffset | EdmType::Date
                    ) | (EdmType::Enum(_), EdmType::String)
                        | (EdmType::String, EdmType::Enum(_))
                )
                || (x == y && x.is_primitive())
        }
        _ => false,
    }
}

/// The result of an arithmetic operator, or `None` when the operands do not
/// fit it (URL Conventions: numbers; DateTimeOffset/Date with Duration).
pub(super) fn arithmetic(op: BinaryOp, a: Ty, b: Ty) -> Option<Ty> {
    use EdmType as E;
    let (x, y) = match (a, b) {
        (Ty::Unknown, _) | (_, Ty::Unknown) => return Some(Ty::Unknown),
        (Ty::Null, Ty::Null) => return Some(Ty::Null),
        (Ty::Null, Ty::Edm(t)) | (Ty::Edm(t), Ty::Null) => {
            let fits = t.is_numeric() || matches!(t, E::Duration | E::DateTimeOffset | E::Date);
            return fits.then_some(Ty::Edm(t));
        }
        (Ty::Edm(x), Ty::Edm(y)) => (x, y),
        _ => return None,
    };
    if x.is_numeric() && y.is_numeric() {
        let result = if op == BinaryOp::DivBy && is_integer(wider(x, y)) {
            E::Decimal
        } else {
            wider(x, y)
        };
        return Some(Ty::Edm(result));
    }
    let result = match (op, x, y) {
        (BinaryOp::Add, E::DateTimeOffset, E::Duration)
        | (BinaryOp::Sub, E::DateTimeOffset, E::Duration) => E::DateTimeOffset,
        (BinaryOp::Add, E::Date, E::Duration) | (BinaryOp::Sub, E::Date, E::Duration) => E::Date,
        (BinaryOp::Add | BinaryOp::Sub, E::Duration, E::Duration) => E::Duration,
        (BinaryOp::Sub, E::DateTimeOffset, E::DateTimeOffset)
        | (BinaryOp::Sub, E::Date, E::Date) => E::Duration,
        (BinaryOp::Mul, E::Duration, n) | (BinaryOp::Mul, n, E::Duration) if n.is_numeric() => {
            E::Duration
        }
        (BinaryOp::Div | BinaryOp::DivBy, E::Duration, n) if n.is_numeric() => E::Duration,
        _ => return None,
    };
    Some(Ty::Edm(result))
}

pub(super) fn literal_type(literal: Literal<'_>) -> Ty {
    let t = match literal {
        Literal::Null => return Ty::Null,
        Literal::Enum { .. } => return Ty::EnumLiteral,
        Literal::Boolean(_) => EdmType::Boolean,
        Literal::Int(i) if i32::try_from(i).is_ok() => EdmType::Int32,
        Literal::Int(_) => EdmType::Int64,
        Literal::Decimal(_) => EdmType::Decimal,
        Literal::Double(_) | Literal::Special(_) => EdmType::Double,
        Literal::String(_) => EdmType::String,
        Literal::Guid(_) => EdmType::Guid,
        Literal::DateTimeOffset(_) => EdmType::DateTimeOffset,
        Literal::Date(_) => EdmType::Date,
        Literal::TimeOfDay(_) => EdmType::TimeOfDay,
        Literal::Duration(_) => EdmType::Duration,
        Literal::Binary(_) => EdmType::Binary,
    };
    Ty::Edm(t)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{filter, help, rejected};
    use crate::error::Code;

    #[test]
    fn dates_promote_and_null_fits_everywhere() {
        for expr in [
            "creationDateTimeUtc ge 2024-01-01",
            "creationDateTimeUtc ge 2018-08-01Z",
            "creationDateTimeUtc ne null and null eq status",
            "creationDateTimeUtc add duration'P1D' gt now()",
            "creationDateTimeUtc sub 2024-01-01T00:00:00Z gt duration'PT1H'",
            "date(creationDateTimeUtc) eq 2024-01-01",
            "year(creationDateTimeUtc) eq 2024 and month(creationDateTimeUtc) le 6",
            "hour(creationDateTimeUtc) add 1 gt 2.5",
            "startswith(machineId,'ab') and contains(tolower(requestor),'x')",
            "length(concat(machineId,'x')) gt indexof(id,'-')",
            "substring(id,1,2) eq 'ab' and round(1.5) eq 2",
            "not (status eq 'Pending') and -1 lt 0",
            "$it/Status eq 'Pending'",
            "status in ()",
            "cast(status,Edm.String) eq 'Pending' and isof(status,Edm.String)",
        ] {
            assert!(filter(expr).is_ok(), "{expr}: {:?}", filter(expr).err());
        }
    }

    #[test]
    fn operands_must_fit_their_operators() {
        for expr in [
            "status eq 5",
            "creationDateTimeUtc gt 5",
            "status add 1 eq 2",
            "status and machineId eq 'x'",
            "not status",
            "-status eq 'x'",
            "contains(status,'x') eq 5",
            "type in ('Isolate',5)",
            "$it eq 'x'",
            "status has 'x'",
            "status in machineId",
            "cast(status,Sales.Customer) eq 'x'",
            "commandz/any(c:c eq 1) or status eq true",
        ] {
            let e = rejected(expr);
            assert!(
                e.codes().contains(&Code::TypeMismatch),
                "{expr}: {:?}",
                e.codes()
            );
        }
    }

    #[test]
    fn function_arguments_are_type_checked() {
        let e = rejected("startswith(status,5)");
        assert_eq!(e.codes(), [Code::InvalidArguments]);
        assert!(help(e.first()).ends_with("quote it: startswith(status,'5')"));
        assert_eq!(e.first().span().unwrap().start, 18);
        let e = rejected("year('2024-01-01T00:00:00Z') eq 2024");
        assert_eq!(e.codes(), [Code::InvalidArguments]);
        assert!(help(e.first()).ends_with("drop the quotes: year(2024-01-01T00:00:00Z)"));
        let e = rejected("year(creationDateTimeUtc) eq '2024'");
        assert_eq!(e.codes(), [Code::TypeMismatch]);
        assert!(help(e.first()).ends_with("drop the quotes: year(creationDateTimeUtc) eq 2024"));
        assert_eq!(
            rejected("substring(id,'1') eq 'x'").codes(),
            [Code::InvalidArguments]
        );
        assert_eq!(
            rejected("totalseconds(creationDateTimeUtc) gt 1").codes(),
            [Code::InvalidArguments]
        );
    }
}
