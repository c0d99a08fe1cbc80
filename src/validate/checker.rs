//! The walk of one query against a schema: [`Checker`] visits `$filter`,
//! `$orderby`, `$select` and `$expand` (navigation properties only), infers each node's type, checks paths, calls
//! and lambdas, enforces the `$top`/`$skip` caps, collects the errors and
//! warnings, and respells property names in the schema's spelling.
//!
//! Must not know about: the type rules themselves (`types`), or how the help
//! for a misquoted literal or an unknown property name is worded (`hints`).

use std::sync::Arc;

use crate::error::{Code, Diagnostic};
use crate::schema::{EdmType, EntitySchema, PropertyDef};
use crate::suggest::nearest;
use crate::syntax::ast::{BinaryOp, Function, Select, Span, TypeFunction, UnaryOp};
use crate::syntax::query::{Query, SystemOption, MAX_DIAGNOSTICS};
use crate::syntax::tree::{
    Expr, ExprKind, ExprRef, ExprRefs, Literal, PathRef, SegmentId, SegmentKind, SegmentRef,
};

use super::hints::{example_value, join_names};
use super::types::{arithmetic, comparable, literal_type, signature, Ty, Typed};

/// Which flag a property needs where it is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Usage {
    Filter,
    OrderBy,
}

/// Walks one query, collecting errors and warnings and rewriting property
/// names to the schema's spelling.
pub(super) struct Checker<'s> {
    pub(super) schema: &'s EntitySchema,
    /// The option being checked, and its decoded text (which spans index).
    pub(super) option: SystemOption,
    text: Arc<str>,
    usage: Usage,
    /// Lambda range variables in scope, innermost last.
    variables: Vec<(String, Ty)>,
    /// Property segments of the expression being checked whose spelling
    /// differs from the schema's. The views borrow the tree, so the names
    /// are respelled once its walk is done (see [`Checker::respell_all`]).
    renames: Vec<(SegmentId, &'static str)>,
    pub(super) errors: Vec<Diagnostic>,
    pub(super) warnings: Vec<Diagnostic>,
}

impl<'s> Checker<'s> {
    pub(super) fn new(schema: &'s EntitySchema) -> Checker<'s> {
        Checker {
            schema,
            option: SystemOption::Filter,
            text: Arc::from(""),
            usage: Usage::Filter,
            variables: Vec::new(),
            renames: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn enter(&mut self, query: &Query, option: SystemOption) {
        self.option = option;
        self.text = query
            .sources
            .shared(option)
            .unwrap_or_else(|| Arc::from(""));
    }

    fn diagnostic(&self, code: Code, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(code, message)
            .in_option(self.option.name())
            .at(span, self.text.clone())
    }

    pub(super) fn error(
        &mut self,
        code: Code,
        message: impl Into<String>,
        span: Span,
        help: Option<String>,
    ) {
        if self.errors_full() {
            return;
        }
        let mut d = self.diagnostic(code, message, span);
        d.help = help;
        self.errors.push(d);
    }

    /// Whether no more errors are kept. Capped as the parser caps its
    /// problems: each diagnostic carries the option's text, so
    /// `$orderby=a,b,c,…` of a thousand unknown names would take memory
    /// quadratic in the option's length. Problems whose help costs a
    /// did-you-mean search ask first, so capped ones cost nothing.
    pub(super) fn errors_full(&self) -> bool {
        self.errors.len() >= MAX_DIAGNOSTICS
    }

    /// The text under `span`, when the option's text is known and the span
    /// is a real range of it.
    pub(super) fn source(&self, span: Span) -> Option<&str> {
        let s = self.text.get(span.start..span.end)?.trim();
        (!s.is_empty()).then_some(s)
    }

    /// `outer`'s text with `inner` replaced.
    pub(super) fn splice(&self, outer: Span, inner: Span, replacement: &str) -> Option<String> {
        if outer.start > inner.start || inner.end > outer.end {
            return None;
        }
        self.source(outer)?;
        let before = self.text.get(outer.start..inner.start)?;
        let after = self.text.get(inner.end..outer.end)?;
        Some(format!("{before}{replacement}{after}").trim().to_string())
    }

    /// How to name `node` in a message: its text, or a description.
    pub(super) fn describe(&self, node: ExprRef<'_>) -> String {
        if let Some(s) = self.source(node.span()) {
            return format!("`{s}`");
        }
        match node.kind() {
            ExprKind::Path(path) => {
                let names: Vec<&str> = path
                    .segments()
                    .map(|s| match s.kind() {
                        // Renames are applied after the walk; the message
                        // already uses the schema's spelling.
                        SegmentKind::Property(n) | SegmentKind::TypeCast(n) => self
                            .renames
                            .iter()
                            .find(|(id, _)| *id == s.id())
                            .map_or(n, |(_, canonical)| canonical),
                        SegmentKind::It => "$it",
                        SegmentKind::This => "$this",
                        SegmentKind::FunctionCall { name, .. } => name,
                        SegmentKind::Lambda { .. } => "any/all",
                    })
                    .collect();
                format!("`{}`", names.join("/"))
            }
            ExprKind::Literal(_) => "the literal".to_string(),
            _ => "the expression".to_string(),
        }
    }

    pub(super) fn check_query(&mut self, query: &mut Query) {
        let present = [
            (SystemOption::Filter, query.filter.is_some()),
            (SystemOption::Count, query.count.is_some()),
            (SystemOption::OrderBy, query.orderby.is_some()),
            (SystemOption::Skip, query.skip.is_some()),
            (SystemOption::Top, query.top.is_some()),
            (SystemOption::Select, query.select.is_some()),
            (SystemOption::Expand, query.expand.is_some()),
        ];
        for (option, given) in present {
            if given && !self.schema.supports(option) {
                self.enter(query, option);
                let span = Span::new(0, self.text.len());
                let message = format!(
                    "{} does not support {}",
                    self.schema.entity_set,
                    option.name()
                );
                let help = (option == SystemOption::Expand).then(|| {
                    format!(
                        "{} has no navigation property to expand: leave $expand out",
                        self.schema.entity_set
                    )
                });
                self.error(Code::UnsupportedOption, message, span, help);
            }
        }

        if let Some(mut filter) = query.filter.take() {
            self.enter(query, SystemOption::Filter);
            self.usage = Usage::Filter;
            self.check_filter_root(filter.root());
            self.respell_all(&mut filter);
            query.filter = Some(filter);
        }
        if let Some(mut items) = query.orderby.take() {
            self.enter(query, SystemOption::OrderBy);
            self.usage = Usage::OrderBy;
            for item in &mut items {
                self.check_orderby_item(item.expr.root());
                self.respell_all(&mut item.expr);
            }
            query.orderby = Some(items);
        }
        if let Some(mut select) = query.select.take() {
            self.enter(query, SystemOption::Select);
            self.check_select(&mut select);
            query.select = Some(select);
        }
        if let Some(mut items) = query.expand.take() {
            if self.schema.supports(SystemOption::Expand) {
                self.enter(query, SystemOption::Expand);
                for item in &mut items {
                    if let ExprKind::Path(path) = item.path.root().kind() {
                        self.check_expand_path(path, item.span());
                    }
                    self.respell_all(&mut item.path);
                }
            }
            query.expand = Some(items);
        }
        if let Some(top) = query.top {
            self.enter(query, SystemOption::Top);
            self.check_cap(
                top,
                self.schema.max_top,
                Code::TopExceedsMax,
                Code::InvalidTop,
            );
        }
        if let Some(skip) = query.skip {
            self.enter(query, SystemOption::Skip);
            self.check_cap(
                skip,
                self.schema.max_skip,
                Code::SkipExceedsMax,
                Code::InvalidSkip,
            );
        }
    }

    /// Gives `expr` the spellings collected while it was checked.
    fn respell_all(&mut self, expr: &mut Expr) {
        for (segment, name) in self.renames.drain(..) {
            expr.rename(segment, name);
        }
    }

    /// Notes that `segment`, spelled `written`, is the schema's `canonical`.
    fn respell(&mut self, segment: SegmentRef<'_>, written: &str, canonical: &'static str) {
        if written != canonical {
            self.renames.push((segment.id(), canonical));
        }
    }

    fn check_cap(&mut self, value: i64, max: i64, too_large: Code, invalid: Code) {
        let name = self.option.name();
        let span = Span::new(0, self.text.len());
        if value < 0 {
            let message = format!("{name} must not be negative, got {value}");
            self.error(invalid, message, span, None);
        } else if value > max {
            let message = format!(
                "{name}={value} is more than {} accepts (at most {max})",
                self.schema.entity_set
            );
            let help = if too_large == Code::TopExceedsMax {
                format!("use {name}={max} and page with $skip")
            } else {
                format!("use a {name} of at most {max}")
            };
            self.error(too_large, message, span, Some(help));
        }
    }

    fn check_filter_root(&mut self, filter: ExprRef<'_>) {
        let typed = self.check_expr(filter);
        if typed.ty.is_boolean_like() {
            return;
        }
        let what = self.describe(filter);
        let ty = typed.ty.name(self.schema);
        let example = match (typed.property, typed.ty) {
            (Some(p), _) if !p.known_values.is_empty() => p
                .known_values
                .first()
                .map(|v| format!("{} eq '{v}'", p.name)),
            (Some(p), Ty::Edm(t)) => {
                let op = if t == EdmType::DateTimeOffset {
                    "ge"
                } else {
                    "eq"
                };
                example_value(t).map(|v| format!("{} {op} {v}", p.name))
            }
            _ => None,
        }
        .unwrap_or_else(|| "status eq 'Pending'".to_string());
        self.error(
            Code::TypeMismatch,
            format!("the filter must be a true/false condition, but {what} is {ty}"),
            filter.span(),
            Some(format!(
                "a filter must be a true/false condition, such as {example}"
            )),
        );
    }

    fn check_orderby_item(&mut self, expr: ExprRef<'_>) {
        let typed = self.check_expr(expr);
        let sortable = match typed.ty {
            Ty::Edm(t) => t.is_primitive(),
            Ty::Entity => false,
            _ => true,
        };
        if !sortable {
            let what = self.describe(expr);
            let message = format!(
                "cannot sort by {what}, which is {}: sort keys are single values",
                typed.ty.name(self.schema)
            );
            self.error(Code::TypeMismatch, message, expr.span(), None);
        }
    }

    fn check_select(&mut self, select: &mut Select) {
        let Select::Paths(items) = select else {
            return;
        };
        for item in items {
            if let ExprKind::Path(path) = item.path.root().kind() {
                self.check_select_path(path);
            }
            self.respell_all(&mut item.path);
        }
    }

    /// An `$expand` item must name one of the schema's navigation
    /// properties, alone: `UnknownProperty` otherwise (the code of a
    /// `$select` item that cannot be selected), with a did-you-mean.
    fn check_expand_path(&mut self, path: PathRef<'_>, whole: Span) {
        let expandable = || join_names(self.schema.navigation_properties().map(|p| p.name));
        let mut segments = path.segments();
        let (Some(segment), None) = (segments.next(), segments.next()) else {
            let message = "$expand takes one navigation property name per item".to_string();
            let help = format!("expandable: {}", expandable());
            self.error(Code::UnknownProperty, message, whole, Some(help));
            return;
        };
        let span = segment.span();
        let SegmentKind::Property(name) = segment.kind() else {
            let message = "$expand takes navigation property names only".to_string();
            let help = format!("expandable: {}", expandable());
            self.error(Code::UnknownProperty, message, span, Some(help));
            return;
        };
        if let Some(p) = self.schema.navigation_property(name) {
            self.respell(segment, name, p.name);
            return;
        }
        if self.errors_full() {
            return;
        }
        let set = self.schema.entity_set;
        let (message, help) = match self.schema.property(name) {
            Some(p) => (
                format!("'{}' is a property of {set}, not a navigation property: only navigation properties can be expanded", p.name),
                format!("expandable: {}; select '{}' with $select", expandable(), p.name),
            ),
            None => {
                let near = nearest(name, self.schema.navigation_properties().map(|p| p.name));
                (
                    format!("{set} has no navigation property '{name}'"),
                    match near {
                        Some(near) => format!("did you mean '{near}'?"),
                        None => format!("expandable: {}", expandable()),
                    },
                )
            }
        };
        self.error(Code::UnknownProperty, message, span, Some(help));
    }

    fn check_select_path(&mut self, path: PathRef<'_>) {
        let mut current: Option<EdmType> = None;
        for (index, segment) in path.segments().enumerate() {
            let span = segment.span();
            match segment.kind() {
                SegmentKind::Property(name) if index == 0 => {
                    let Some(p) = self.schema.property(name) else {
                        self.unknown_entity_property(name, span, None);
                        return;
                    };
                    if !p.selectable {
                        let message = format!(
                            "{} cannot be selected on {}",
                            p.name, self.schema.entity_set
                        );
                        let help = format!(
                            "selectable properties: {}",
                            join_names(self.schema.selectable().map(|p| p.name))
                        );
                        self.error(Code::UnknownProperty, message, span, Some(help));
                        return;
                    }
                    self.respell(segment, name, p.name);
                    current = Some(p.edm_type);
                }
                SegmentKind::Property(name) => match current {
                    Some(EdmType::Complex(complex)) => {
                        let Some(p) = complex.property(name) else {
                            self.unknown_member(name, complex.name, complex.properties, span);
                            return;
                        };
                        self.respell(segment, name, p.name);
                        current = Some(p.edm_type);
                    }
                    _ => {
                        let message =
                            format!("cannot select '{name}' inside a value that has no properties");
                        self.error(Code::UnknownProperty, message, span, None);
                        return;
                    }
                },
                SegmentKind::TypeCast(name) => {
                    let fits = match current {
                        None => name.eq_ignore_ascii_case(self.schema.type_name),
                        Some(EdmType::Complex(c)) => name.eq_ignore_ascii_case(c.name),
                        Some(_) => false,
                    };
                    if !fits {
                        self.unknown_type(name, span);
                        return;
                    }
                }
                _ => {
                    let message = "$select takes property paths only".to_string();
                    self.error(Code::UnknownProperty, message, span, None);
                    return;
                }
            }
        }
    }

    /// Infers the type of `expr`, reporting every problem in it and noting
    /// the property names to respell in the schema's spelling.
    fn check_expr(&mut self, expr: ExprRef<'_>) -> Typed {
        let span = expr.span();
        match expr.kind() {
            ExprKind::Literal(Literal::Binary(_)) => {
                let message = format!(
                    "binary values are not supported: no property of {} is Edm.Binary",
                    self.schema.entity_set
                );
                self.error(Code::TypeMismatch, message, span, None);
                Typed::of(Ty::Unknown)
            }
            ExprKind::Literal(literal) => Typed::of(literal_type(literal)),
            ExprKind::Path(path) => self.check_path(path),
            ExprKind::Unary { op, operand } => {
                let typed = self.check_expr(operand);
                self.check_unary(op, operand, typed.ty, span)
            }
            ExprKind::Binary { .. } => self.check_binary_chain(expr),
            ExprKind::List(items) => {
                for item in items.iter() {
                    self.check_expr(item);
                }
                let message = "a parenthesized list is only allowed after 'in'";
                self.error(
                    Code::TypeMismatch,
                    message,
                    span,
                    Some("write `x in ('a','b')`".to_string()),
                );
                Typed::of(Ty::Unknown)
            }
            ExprKind::Call { function, args } => self.check_call(function, args, span),
            ExprKind::TypeFunction {
                function,
                operand,
                type_name,
            } => {
                let operand_type = operand.map(|operand| self.check_expr(operand).ty);
                let target = self.resolve_type_name(type_name, span);
                if let (Some(_), Some(Ty::Entity)) = (operand_type, target) {
                    let message = format!(
                        "{} with a first argument takes a primitive type (Edm.String, …), not the entity type {type_name}",
                        function.name(),
                    );
                    let help = format!(
                        "{}({type_name}) without a first argument tests the entity itself",
                        function.name()
                    );
                    self.error(Code::TypeMismatch, message, span, Some(help));
                }
                match function {
                    TypeFunction::IsOf => Typed::edm(EdmType::Boolean),
                    TypeFunction::Cast => Typed::of(target.unwrap_or(Ty::Unknown)),
                }
            }
        }
    }

    /// The type a `cast`/`isof` type name denotes; reports unknown names.
    fn resolve_type_name(&mut self, name: &str, span: Span) -> Option<Ty> {
        if let Some(t) = EdmType::primitive_from_name(name) {
            return Some(Ty::Edm(t));
        }
        if name.eq_ignore_ascii_case(self.schema.type_name) {
            return Some(Ty::Entity);
        }
        self.unknown_type(name, span);
        None
    }

    fn unknown_type(&mut self, name: &str, span: Span) {
        let message = format!(
            "no type '{name}' is known here; {} has no derived types",
            self.schema.type_name
        );
        self.error(Code::TypeMismatch, message, span, None);
    }

    fn check_unary(&mut self, op: UnaryOp, operand: ExprRef<'_>, ty: Ty, span: Span) -> Typed {
        match op {
            UnaryOp::Not => {
                if !ty.is_boolean_like() {
                    let message = format!(
                        "'not' needs a true/false condition, but {} is {}",
                        self.describe(operand),
                        ty.name(self.schema)
                    );
                    self.error(Code::TypeMismatch, message, span, None);
                }
                Typed::edm(EdmType::Boolean)
            }
            UnaryOp::Negate => match ty {
                Ty::Null | Ty::Unknown => Typed::of(ty),
                Ty::Edm(t) if t.is_numeric() || t == EdmType::Duration => Typed::edm(t),
                _ => {
                    let message = format!(
                        "'-' needs a number or a duration, but {} is {}",
                        self.describe(operand),
                        ty.name(self.schema)
                    );
                    self.error(Code::TypeMismatch, message, span, None);
                    Typed::of(Ty::Unknown)
                }
            },
        }
    }

    /// Checks a left-nested chain of binary operators (`a and b and c`,
    /// `1 add 2 add 3`) iteratively, so a long chain cannot exhaust the stack.
    fn check_binary_chain(&mut self, expr: ExprRef<'_>) -> Typed {
        let mut spine = Vec::new();
        let mut node = expr;
        while let ExprKind::Binary {
            op,
            operands: [left, right],
        } = node.kind()
        {
            spine.push((node, op, right));
            node = left;
        }
        let mut left = node;
        let mut left_typed = self.check_expr(node);
        while let Some((binary, op, right)) = spine.pop() {
            let span = binary.span();
            left_typed = if op == BinaryOp::In {
                self.check_in(left, left_typed, right, span)
            } else {
                let right_typed = self.check_expr(right);
                self.check_binary(op, left, left_typed, right, right_typed, span)
            };
            left = binary;
        }
        left_typed
    }

    fn check_binary(
        &mut self,
        op: BinaryOp,
        left: ExprRef<'_>,
        lt: Typed,
        right: ExprRef<'_>,
        rt: Typed,
        span: Span,
    ) -> Typed {
        let keyword = op.keyword();
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for (side, typed) in [(left, lt), (right, rt)] {
                    if !typed.ty.is_boolean_like() {
                        let message = format!(
                            "both sides of '{keyword}' must be true/false conditions, but {} is {}",
                            self.describe(side),
                            typed.ty.name(self.schema)
                        );
                        let help = "compare it with a value, such as status eq 'Pending'";
                        self.error(Code::TypeMismatch, message, side.span(), Some(help.into()));
                    }
                }
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Lt
            | BinaryOp::Le => {
                let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                let orderable = |t: Ty| {
                    !matches!(t, Ty::Entity) && !matches!(t, Ty::Edm(e) if !e.is_primitive())
                };
                let fits = comparable(lt.ty, rt.ty)
                    && (!ordering || (orderable(lt.ty) && orderable(rt.ty)));
                if fits {
                    self.enum_warning(lt.property, right);
                    self.enum_warning(rt.property, left);
                } else {
                    self.comparison_mismatch(keyword, span, (left, lt.ty), (right, rt.ty));
                }
            }
            BinaryOp::Has => {
                let left_ok = matches!(
                    lt.ty,
                    Ty::Unknown | Ty::Null | Ty::EnumLiteral | Ty::Edm(EdmType::Enum(_))
                );
                let right_ok = matches!(rt.ty, Ty::Unknown | Ty::Null | Ty::EnumLiteral);
                if !left_ok || !right_ok {
                    let message = format!(
                        "'has' tests enum flags: it needs an enum value on the left and an enum literal on the right, got {} and {}",
                        lt.ty.name(self.schema),
                        rt.ty.name(self.schema)
                    );
                    self.error(Code::TypeMismatch, message, span, None);
                }
            }
            BinaryOp::In => {
                // Handled by check_in; reaching here means a caller bug, not
                // bad input, so the result is only left unknown.
                return Typed::of(Ty::Unknown);
            }
            BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::DivBy
            | BinaryOp::Mod => {
                return match arithmetic(op, lt.ty, rt.ty) {
                    Some(ty) => Typed::of(ty),
                    None => {
                        let message = format!(
                            "'{keyword}' needs numbers (or a date-time and a duration), but {} is {} and {} is {}",
                            self.describe(left),
                            lt.ty.name(self.schema),
                            self.describe(right),
                            rt.ty.name(self.schema)
                        );
                        self.error(Code::TypeMismatch, message, span, None);
                        Typed::of(Ty::Unknown)
                    }
                };
            }
        }
        Typed::edm(EdmType::Boolean)
    }

    fn check_in(&mut self, left: ExprRef<'_>, lt: Typed, right: ExprRef<'_>, span: Span) -> Typed {
        if let ExprKind::List(items) = right.kind() {
            for item in items.iter() {
                let it = self.check_expr(item);
                if comparable(lt.ty, it.ty) {
                    self.enum_warning(lt.property, item);
                } else {
                    self.comparison_mismatch("in", span, (left, lt.ty), (item, it.ty));
                }
            }
            return Typed::edm(EdmType::Boolean);
        }
        let rt = self.check_expr(right);
        match rt.ty {
            Ty::Unknown | Ty::Null => {}
            Ty::Edm(EdmType::Collection(element)) if comparable(lt.ty, Ty::Edm(*element)) => {}
            _ => {
                let message = format!(
                    "the right side of 'in' must be a list like ('a','b') or a collection of {}, but {} is {}",
                    lt.ty.name(self.schema),
                    self.describe(right),
                    rt.ty.name(self.schema)
                );
                self.error(Code::TypeMismatch, message, right.span(), None);
            }
        }
        Typed::edm(EdmType::Boolean)
    }

    /// Reports two operands that cannot be compared, with the help that
    /// fits: drop the quotes, quote it, or what the typed side compares with.
    fn comparison_mismatch(
        &mut self,
        keyword: &str,
        outer: Span,
        (left, lt): (ExprRef<'_>, Ty),
        (right, rt): (ExprRef<'_>, Ty),
    ) {
        let message = format!(
            "cannot compare {} ({}) with {} ({}) using '{keyword}'",
            self.describe(left),
            lt.name(self.schema),
            self.describe(right),
            rt.name(self.schema)
        );
        let help = self
            .literal_fix(outer, lt, right)
            .or_else(|| self.literal_fix(outer, rt, left))
            .or_else(|| self.compare_with_hint(left, lt))
            .or_else(|| self.compare_with_hint(right, rt));
        let span = if right.literal().is_some() {
            right.span()
        } else if left.literal().is_some() {
            left.span()
        } else {
            outer
        };
        self.error(Code::TypeMismatch, message, span, help);
    }

    /// Warns when a string literal compared with an enumeration-like
    /// property is not one of its documented values.
    fn enum_warning(&mut self, property: Option<&'static PropertyDef>, node: ExprRef<'_>) {
        let Some(property) = property else {
            return;
        };
        let Some(Literal::String(value)) = node.literal() else {
            return;
        };
        let known = property.known_values;
        let capped = self.warnings.len() >= MAX_DIAGNOSTICS;
        if capped || known.is_empty() || known.contains(&value) {
            return;
        }
        let help = if let Some(same) = known.iter().find(|k| k.eq_ignore_ascii_case(value)) {
            format!("did you mean '{same}'? values compare case-sensitively")
        } else if let Some(near) = nearest(value, known.iter().copied()) {
            format!("did you mean '{near}'?")
        } else {
            format!("known values: {}", join_names(known.iter().copied()))
        };
        let message = format!(
            "'{value}' is not a documented value of {}; the filter may match nothing",
            property.name
        );
        let d = self
            .diagnostic(Code::UnknownEnumValue, message, node.span())
            .with_help(help);
        self.warnings.push(d);
    }

    fn check_call(&mut self, function: Function, args: ExprRefs<'_>, span: Span) -> Typed {
        let typed: Vec<Typed> = args.iter().map(|a| self.check_expr(a)).collect();
        let name = function.name();
        let (min, max) = function.arity();
        let (params, result) = signature(function);
        if typed.len() < min || typed.len() > max {
            let count = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            let message = format!("{name} takes {count} arguments, got {}", typed.len());
            self.error(Code::InvalidArguments, message, span, None);
            return Typed::of(result.map_or(Ty::Unknown, Ty::Edm));
        }
        let mut all_fit = true;
        for (index, ((arg, t), param)) in args.iter().zip(&typed).zip(params).enumerate() {
            if param.accepts(t.ty) {
                continue;
            }
            all_fit = false;
            let message = format!(
                "argument {} of {name} must be {}, but {} is {}",
                index + 1,
                param.describe(),
                self.describe(arg),
                t.ty.name(self.schema)
            );
            let help = param
                .expected_type()
                .and_then(|e| self.literal_fix(span, Ty::Edm(e), arg));
            self.error(Code::InvalidArguments, message, arg.span(), help);
        }
        if function == Function::MatchesPattern && all_fit {
            if let Some(pattern) = args.get(1) {
                self.check_pattern(pattern);
            }
        }
        let ty = match (function, result) {
            (_, Some(t)) => Ty::Edm(t),
            (_, None) if !all_fit => Ty::Unknown,
            (Function::Concat, None) => match typed.first().map(|t| t.ty) {
                Some(Ty::Edm(t @ EdmType::Collection(_))) => Ty::Edm(t),
                _ => Ty::Edm(EdmType::String),
            },
            (_, None) => match typed.first().map(|t| t.ty) {
                Some(Ty::Edm(EdmType::Double | EdmType::Single)) => Ty::Edm(EdmType::Double),
                _ => Ty::Edm(EdmType::Decimal),
            },
        };
        Typed::of(ty)
    }

    /// A `matchesPattern` pattern must be a literal that the evaluator can
    /// compile (see `crate::pattern`): checked here, so that what
    /// validation accepts, evaluation runs.
    fn check_pattern(&mut self, pattern: ExprRef<'_>) {
        let Some(Literal::String(text)) = pattern.literal() else {
            let message = "the pattern of matchesPattern must be a string literal".to_string();
            let help =
                "write the regular expression in quotes, as in matchesPattern(machineId,'^f46b')";
            self.error(
                Code::InvalidArguments,
                message,
                pattern.span(),
                Some(help.into()),
            );
            return;
        };
        if let Err(why) = crate::pattern::compile(text) {
            let message = format!("'{text}' is not a regular expression this crate supports");
            self.error(Code::InvalidArguments, message, pattern.span(), Some(why));
        }
    }

    fn check_path(&mut self, path: PathRef<'_>) -> Typed {
        let mut current = Typed::of(Ty::Unknown);
        let mut at_start = true;
        // Once a segment is reported, the rest of the path is not: its
        // meaning depends on the bad segment.
        for segment in path.segments() {
            let span = segment.span();
            let first = std::mem::replace(&mut at_start, false);
            current = match segment.kind() {
                SegmentKind::Property(name) if first => {
                    if let Some(ty) = self.variable(name) {
                        Typed::of(ty)
                    } else {
                        match self.entity_property(segment, name) {
                            Some(typed) => typed,
                            None => return Typed::of(Ty::Unknown),
                        }
                    }
                }
                SegmentKind::It | SegmentKind::This if first => Typed::of(Ty::Entity),
                SegmentKind::Property(name) => match current.ty {
                    Ty::Entity => match self.entity_property(segment, name) {
                        Some(typed) => typed,
                        None => return Typed::of(Ty::Unknown),
                    },
                    Ty::Edm(EdmType::Complex(complex)) => match complex.property(name) {
                        Some(p) => {
                            self.respell(segment, name, p.name);
                            Typed {
                                ty: Ty::Edm(p.edm_type),
                                property: Some(p),
                            }
                        }
                        None => {
                            self.unknown_member(name, complex.name, complex.properties, span);
                            return Typed::of(Ty::Unknown);
                        }
                    },
                    Ty::Edm(EdmType::Collection(_)) => {
                        let message = format!(
                            "cannot read '{name}' of a collection: test its members with any/all"
                        );
                        let help = format!("write collection/any(x:x/{name} eq …)");
                        self.error(Code::TypeMismatch, message, span, Some(help));
                        return Typed::of(Ty::Unknown);
                    }
                    Ty::Unknown => return Typed::of(Ty::Unknown),
                    other => {
                        let message = format!(
                            "a value of type {} has no property '{name}'",
                            other.name(self.schema)
                        );
                        self.error(Code::TypeMismatch, message, span, None);
                        return Typed::of(Ty::Unknown);
                    }
                },
                SegmentKind::It | SegmentKind::This => {
                    let message = "$it and $this can only begin a path";
                    self.error(Code::TypeMismatch, message, span, None);
                    return Typed::of(Ty::Unknown);
                }
                SegmentKind::TypeCast(name) => {
                    let fits = match current.ty {
                        Ty::Entity | Ty::Unknown if first => {
                            name.eq_ignore_ascii_case(self.schema.type_name)
                        }
                        Ty::Entity => name.eq_ignore_ascii_case(self.schema.type_name),
                        Ty::Edm(EdmType::Complex(c)) => name.eq_ignore_ascii_case(c.name),
                        Ty::Unknown => true,
                        _ => false,
                    };
                    if !fits {
                        self.unknown_type(name, span);
                        return Typed::of(Ty::Unknown);
                    }
                    if first {
                        Typed::of(Ty::Entity)
                    } else {
                        current
                    }
                }
                SegmentKind::FunctionCall { name, args } => {
                    for arg in args.iter() {
                        self.check_expr(arg);
                    }
                    if !self.errors_full() {
                        let short = name.rsplit('.').next().unwrap_or(name);
                        let message =
                            format!("{} has no function '{name}'", self.schema.entity_set);
                        let help = nearest(short, Function::ALL.iter().map(|f| f.name()))
                            .map(|f| format!("did you mean the built-in {f}(…)?"));
                        self.error(Code::UnknownFunction, message, span, help);
                    }
                    return Typed::of(Ty::Unknown);
                }
                SegmentKind::Lambda { predicate, .. } => {
                    let element = match current.ty {
                        Ty::Edm(EdmType::Collection(element)) => Ty::Edm(*element),
                        Ty::Unknown => Ty::Unknown,
                        other => {
                            let message = format!(
                                "any/all need a collection, but this is {}",
                                other.name(self.schema)
                            );
                            self.error(Code::TypeMismatch, message, span, None);
                            return Typed::of(Ty::Unknown);
                        }
                    };
                    if let Some(predicate) = predicate {
                        self.variables.push((predicate.variable.into(), element));
                        let body = self.check_expr(predicate.body);
                        self.variables.pop();
                        if !body.ty.is_boolean_like() {
                            let message = format!(
                                "the body of any/all must be a true/false condition, but it is {}",
                                body.ty.name(self.schema)
                            );
                            self.error(Code::TypeMismatch, message, predicate.body.span(), None);
                        }
                    }
                    Typed::edm(EdmType::Boolean)
                }
            };
        }
        current
    }

    fn variable(&self, name: &str) -> Option<Ty> {
        self.variables
            .iter()
            .rev()
            .find(|(v, _)| v == name)
            .map(|(_, ty)| *ty)
    }

    /// Resolves `segment`, the property `name` of the entity, where the
    /// current option uses it, reporting unknown names and properties without
    /// the needed flag, and notes the schema's spelling for it.
    fn entity_property(&mut self, segment: SegmentRef<'_>, name: &str) -> Option<Typed> {
        let span = segment.span();
        let Some(p) = self.schema.property(name) else {
            self.unknown_entity_property(name, span, Some(self.usage));
            return None;
        };
        let allowed = match self.usage {
            Usage::Filter => p.filterable,
            Usage::OrderBy => p.sortable,
        };
        if !allowed {
            let (code, doing, can_be, list) = match self.usage {
                Usage::Filter => (
                    Code::PropertyNotFilterable,
                    "filtering on",
                    "filtered on",
                    join_names(self.schema.filterable().map(|p| p.name)),
                ),
                Usage::OrderBy => (
                    Code::PropertyNotSortable,
                    "sorting by",
                    "sorted by",
                    join_names(self.schema.sortable().map(|p| p.name)),
                ),
            };
            let message = format!(
                "{} does not support {doing} {}",
                self.schema.entity_set, p.name
            );
            let help = format!("these can be {can_be}: {list}");
            self.error(code, message, span, Some(help));
            return None;
        }
        self.respell(segment, name, p.name);
        Some(Typed {
            ty: Ty::Edm(p.edm_type),
            property: Some(p),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{filter, help, rejected};
    use super::super::validate;
    use super::*;
    use crate::schema::MACHINE_ACTIONS;
    use crate::syntax::options::ParseOptions;
    use crate::syntax::parser::{parse_filter, parse_orderby, parse_select};

    fn parsed(expr: &str) -> Expr {
        parse_filter(expr, &ParseOptions::default()).expect("test filter parses")
    }

    fn with_option(option: SystemOption, text: &str) -> Query {
        let options = ParseOptions::default();
        let mut query = Query::default();
        match option {
            SystemOption::Filter => query.filter = Some(parsed(text)),
            SystemOption::OrderBy => query.orderby = Some(parse_orderby(text, &options).unwrap()),
            SystemOption::Select => query.select = Some(parse_select(text, &options).unwrap()),
            _ => unreachable!("only expression options here"),
        }
        query.sources.set(option, text);
        query
    }

    #[test]
    fn names_take_the_schema_spelling_and_strings_stay_as_given() {
        let v =
            filter("CreationDateTimeUtc ge 2024-01-01T00:00:00Z and MACHINEID eq 'F46B'").unwrap();
        let expected =
            parsed("creationDateTimeUtc ge 2024-01-01T00:00:00Z and machineId eq 'F46B'");
        assert_eq!(v.query().filter.as_ref(), Some(&expected));
        assert!(v.warnings().is_empty());
    }

    #[test]
    fn every_error_is_reported_not_only_the_first() {
        let e = rejected(
            "stats eq 1 and creationDateTimeUtc eq 'x' or title eq 'a' and year(status) eq 1",
        );
        assert_eq!(
            e.codes(),
            [
                Code::UnknownProperty,
                Code::TypeMismatch,
                Code::PropertyNotFilterable,
                Code::InvalidArguments
            ]
        );
    }

    #[test]
    fn non_filterable_properties_list_the_filterable_ones() {
        for expr in [
            "lastUpdateDateTimeUtc ge 2024-01-01T00:00:00Z",
            "lastUpdateTimeUtc ge 2024-01-01T00:00:00Z",
            "title eq 'x'",
            "errorHResult eq 0",
            "relatedFileInfo/fileIdentifier eq 'abc'",
            "commands/any(c:c/index eq 1)",
            "troubleshootInfo eq null",
        ] {
            let e = rejected(expr);
            assert_eq!(e.codes(), [Code::PropertyNotFilterable], "{expr}");
            assert!(
                help(e.first())
                    .contains("id, type, requestor, status, machineId, creationDateTimeUtc"),
                "{expr}: {:?}",
                e.first().help
            );
        }
        let e = rejected("lastUpdateTimeUtc ge 2024-01-01T00:00:00Z");
        assert_eq!(
            e.first().message,
            "MachineActions does not support filtering on lastUpdateDateTimeUtc"
        );
    }

    #[test]
    fn a_filter_that_is_not_boolean_is_explained() {
        let e = rejected("status");
        assert_eq!(e.codes(), [Code::TypeMismatch]);
        assert_eq!(
            help(e.first()),
            "a filter must be a true/false condition, such as status eq 'Pending'"
        );
        let e = rejected("creationDateTimeUtc");
        assert!(help(e.first()).ends_with("such as creationDateTimeUtc ge 2024-01-01T00:00:00Z"));
        assert_eq!(rejected("length(machineId)").codes(), [Code::TypeMismatch]);
        assert_eq!(rejected("'Pending'").codes(), [Code::TypeMismatch]);
        assert_eq!(rejected("$it").codes(), [Code::TypeMismatch]);
    }

    #[test]
    fn unknown_enum_values_are_warnings_with_suggestions() {
        let v =
            filter("status eq 'succeeded' and type in ('Isolat','Unisolate') and status ne 'Zzz'")
                .unwrap();
        let w = v.warnings();
        assert_eq!(w.len(), 3);
        assert!(w.iter().all(|d| d.code == Code::UnknownEnumValue));
        assert_eq!(
            help(&w[0]),
            "did you mean 'Succeeded'? values compare case-sensitively"
        );
        assert_eq!(help(&w[1]), "did you mean 'Isolate'?");
        assert!(help(&w[2]).starts_with("known values: Pending, InProgress"));
        assert_eq!(w[0].span().unwrap().start, 10);
        // On rejection the warnings follow the errors.
        let e = rejected("stats eq 1 and status eq 'pending'");
        assert_eq!(e.codes(), [Code::UnknownProperty, Code::UnknownEnumValue]);
    }

    #[test]
    fn bound_and_qualified_calls_are_unknown_functions() {
        let e = rejected("status/Model.StartsWith('x')");
        assert_eq!(e.codes(), [Code::UnknownFunction]);
        assert!(help(e.first()).contains("startswith"));
    }

    #[test]
    fn orderby_needs_sortable_properties() {
        let q = with_option(SystemOption::OrderBy, "CreationDateTimeUtc desc,Status");
        let v = validate(&q, &MACHINE_ACTIONS).unwrap();
        let items = v.query().orderby.as_ref().unwrap();
        assert_eq!(items[0].expr, parsed("creationDateTimeUtc"));
        assert!(items[0].descending);
        assert_eq!(items[1].expr, parsed("status"));

        let q = with_option(
            SystemOption::OrderBy,
            "title desc,machinId,lastUpdateTimeUtc",
        );
        let e = validate(&q, &MACHINE_ACTIONS).unwrap_err();
        assert_eq!(
            e.codes(),
            [
                Code::PropertyNotSortable,
                Code::UnknownProperty,
                Code::PropertyNotSortable
            ]
        );
        assert_eq!(e.first().target.as_deref(), Some("$orderby"));
        assert!(
            help(e.first()).contains("id, type, requestor, status, machineId, creationDateTimeUtc")
        );
        assert_eq!(help(&e.diagnostics()[1]), "did you mean 'machineId'?");
    }

    #[test]
    fn select_takes_any_property_in_schema_spelling() {
        let q = with_option(
            SystemOption::Select,
            "ID,Status,relatedFileInfo/FileIdentifier,lastUpdateTimeUtc",
        );
        let v = validate(&q, &MACHINE_ACTIONS).unwrap();
        let expected = parse_select(
            "id,status,relatedFileInfo/fileIdentifier,lastUpdateDateTimeUtc",
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(v.query().select.as_ref(), Some(&expected));

        let q = with_option(SystemOption::Select, "id,nope,relatedFileInfo/x");
        let e = validate(&q, &MACHINE_ACTIONS).unwrap_err();
        assert_eq!(e.codes(), [Code::UnknownProperty, Code::UnknownProperty]);
        assert_eq!(e.first().target.as_deref(), Some("$select"));
        assert_eq!(e.first().span().unwrap().start, 3);
    }

    #[test]
    fn top_and_skip_caps() {
        let capped = |top: i64, skip: i64| {
            let mut q = Query {
                top: Some(top),
                skip: Some(skip),
                ..Query::default()
            };
            q.sources.set(SystemOption::Top, top.to_string());
            q.sources.set(SystemOption::Skip, skip.to_string());
            validate(&q, &MACHINE_ACTIONS).err().map(|e| e.codes())
        };
        assert_eq!(capped(10_000, 2_147_483_647), None);
        assert_eq!(capped(10_001, 0), Some(vec![Code::TopExceedsMax]));
        assert_eq!(capped(0, 2_147_483_648), Some(vec![Code::SkipExceedsMax]));
        assert_eq!(
            capped(i64::MAX, i64::MAX),
            Some(vec![Code::TopExceedsMax, Code::SkipExceedsMax])
        );
        assert_eq!(capped(-1, 0), Some(vec![Code::InvalidTop]));
        let mut q = Query {
            top: Some(10_001),
            ..Query::default()
        };
        q.sources.set(SystemOption::Top, "10001");
        let e = validate(&q, &MACHINE_ACTIONS).unwrap_err();
        assert_eq!(e.first().target.as_deref(), Some("$top"));
        assert_eq!(e.first().span().map(Span::as_pair), Some([0, 5]));
        assert_eq!(help(e.first()), "use $top=10000 and page with $skip");
    }

    #[test]
    fn a_very_long_chain_does_not_recurse_per_operand() {
        let leaf = || parsed("status eq 'Pending'");
        let mut chain = leaf();
        for i in 0..20_000 {
            let op = if i % 2 == 0 {
                BinaryOp::And
            } else {
                BinaryOp::Add
            };
            chain = Expr::binary(op, chain, leaf());
        }
        let query = Query {
            filter: Some(chain),
            ..Query::default()
        };
        // `add` of Booleans is a mismatch, 10,000 times (the first
        // MAX_DIAGNOSTICS reported), and no stack overflow.
        let e = validate(&query, &MACHINE_ACTIONS).unwrap_err();
        assert_eq!(e.diagnostics().len(), MAX_DIAGNOSTICS);
        assert!(e.diagnostics().iter().all(|d| d.code == Code::TypeMismatch));
    }
}
