//! Function calls that start an expression: the built-in functions with
//! their arity, `cast` and `isof`, argument lists, and the did-you-mean for
//! a misspelled function name.
//!
//! Must not know about: bound and custom functions' meaning (a path's
//! segments are `paths`'), operator precedence, schemas, or rendering.

use super::{Parsed, Parser};
use crate::error::Code;
use crate::suggest::nearest;
use crate::syntax::ast::{Function, Span, TypeFunction};
use crate::syntax::tree::{NodeId, NodeKind, Run, NO_NODE};

impl<'a> Parser<'a> {
    /// A call of an unqualified name at the start of an expression: a
    /// built-in, `cast`/`isof`, or an error.
    pub(super) fn call(&mut self, start: usize, name: &'a str) -> Parsed<NodeId> {
        if let Some(function) = Function::lookup(name) {
            let (min, max) = function.arity();
            let args = self.arguments()?;
            let count = args.len as usize;
            if count < min || count > max {
                let wanted = if min == max {
                    format!("{min}")
                } else {
                    format!("{min} to {max}")
                };
                return Err(self
                    .error(
                        Code::InvalidArguments,
                        Span::new(start, self.pos),
                        format!(
                            "{}() takes {wanted} argument{}, not {}",
                            function.name(),
                            if max == 1 { "" } else { "s" },
                            count
                        ),
                    )
                    .into());
            }
            return self.node(NodeKind::Call(function, args), start);
        }
        for function in [TypeFunction::Cast, TypeFunction::IsOf] {
            if name.eq_ignore_ascii_case(function.name()) {
                return self.type_function(start, function);
            }
        }
        if name.eq_ignore_ascii_case("any") || name.eq_ignore_ascii_case("all") {
            return Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, self.pos),
                    format!("{name}() needs a collection before it"),
                )
                .with_help(format!(
                    "write it after a path: Items/{name}(x:x/Price gt 5)"
                ))
                .into());
        }
        let mut diagnostic = self.error(
            Code::UnknownFunction,
            Span::new(start, self.pos),
            format!("'{name}' is not a built-in function"),
        );
        if let Some(best) = closest_function(name) {
            diagnostic = diagnostic.with_help(format!("did you mean '{best}'?"));
        } else {
            diagnostic = diagnostic.with_help(
                "custom functions are called with their namespace: Namespace.Function(...)",
            );
        }
        Err(diagnostic.into())
    }

    /// `cast(T)`, `cast(x,T)`, `isof(T)`, `isof(x,T)`.
    fn type_function(&mut self, start: usize, function: TypeFunction) -> Parsed<NodeId> {
        self.enter(start)?;
        self.pos += 1;
        self.skip_ws();
        let checkpoint = self.pos;
        if let Some(type_name) = self.qualified_name() {
            self.skip_ws();
            if self.eat(b')') {
                self.leave();
                let type_name = Parser::name_text(checkpoint, type_name);
                return self.node(NodeKind::TypeFunction(function, NO_NODE, type_name), start);
            }
            self.pos = checkpoint;
        }
        let operand = self.expr(0)?;
        self.skip_ws();
        self.expect(b',', "',' and a type name")?;
        self.skip_ws();
        let name_start = self.pos;
        let Some(type_name) = self.qualified_name() else {
            return Err(self.unexpected("a type name such as Edm.String").into());
        };
        let type_name = Parser::name_text(name_start, type_name);
        self.skip_ws();
        self.expect(b')', "')'")?;
        self.leave();
        self.node(NodeKind::TypeFunction(function, operand, type_name), start)
    }

    /// `(` [expr *(`,` expr)] `)`, at the cursor: the arguments as a run
    /// of items.
    pub(super) fn arguments(&mut self) -> Parsed<Run> {
        let open = self.pos;
        self.enter(open)?;
        self.pos += 1;
        self.skip_ws();
        let base = self.pending.len();
        if !self.eat(b')') {
            loop {
                let arg = self.expr(0)?;
                self.push_item(arg);
                self.skip_ws();
                if self.eat(b',') {
                    self.skip_ws();
                    continue;
                }
                self.expect(b')', "',' or ')' after a function argument")?;
                break;
            }
        }
        self.leave();
        Ok(self.run_from(base))
    }
}

/// The built-in function name nearest to a misspelled one, if any is close.
fn closest_function(name: &str) -> Option<&'static str> {
    nearest(
        name,
        Function::ALL
            .iter()
            .map(|f| f.name())
            .chain(["cast", "isof"]),
    )
}
