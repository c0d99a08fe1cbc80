//! The stripped-down parser. Node payloads are built as ours are but never
//! read back, hence the `dead_code` allowance.

#![allow(dead_code)]

use defender_odata::ast::Function;
// The parser's own identifier table, so the floor reads names as it does.
#[path = "../../src/syntax/ident.rs"]
mod ident;

use ident::is_ident_byte;

#[derive(Clone, Copy)]
pub enum Kind {
    Name(u32, u32),
    Path(u32, u32),
    Str(u32, u32),
    Int(i64),
    Bool(bool),
    Null,
    /// A date-time and its offset, as ours holds one: 16 bytes.
    Date(chrono::NaiveDateTime, i32),
    Bin(u8, u32, u32),
    Not(u32),
    Call(Function, u32, u32),
    List(u32, u32),
    Item(u32),
}

#[derive(Clone, Copy)]
pub struct Node {
    kind: Kind,
    start: u32,
    end: u32,
}

// Ours are 32 bytes too.
const _: () = assert!(std::mem::size_of::<Node>() == 32);

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    stack: Vec<Node>,
    text: String,
    depth: u32,
}

type Parsed<T> = Result<T, Box<(usize, &'static str)>>;

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while let Some(b' ') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }
    fn push(&mut self, kind: Kind, start: usize) -> u32 {
        self.nodes.push(Node {
            kind,
            start: start as u32,
            end: self.pos as u32,
        });
        self.nodes.len() as u32 - 1
    }
    fn op(&self) -> Option<(u8, usize, u8)> {
        let r = &self.b[self.pos..];
        let l = |i: usize| r.get(i).map_or(0, |&b| b | 0x20);
        let (op, len, bp) = match (l(0), l(1)) {
            (b'o', b'r') => (0, 2, 1),
            (b'a', b'n') if l(2) == b'd' => (1, 3, 2),
            (b'e', b'q') => (2, 2, 3),
            (b'n', b'e') => (3, 2, 3),
            (b'g', b't') => (4, 2, 4),
            (b'g', b'e') => (5, 2, 4),
            (b'l', b't') => (6, 2, 4),
            (b'l', b'e') => (7, 2, 4),
            (b'i', b'n') => (8, 2, 6),
            _ => return None,
        };
        if r.get(len).is_some_and(|&b| is_ident_byte(b)) {
            return None;
        }
        Some((op, len, bp))
    }
    fn expr(&mut self, min: u8) -> Parsed<u32> {
        let start = self.pos;
        let mut lhs = self.unary()?;
        loop {
            let save = self.pos;
            self.ws();
            if self.pos == save {
                break;
            }
            let Some((op, len, bp)) = self.op() else {
                self.pos = save;
                break;
            };
            if bp < min {
                self.pos = save;
                break;
            }
            self.pos += len;
            self.ws();
            let rhs = if op == 8 {
                self.list()?
            } else {
                self.expr(bp + 1)?
            };
            lhs = self.push(Kind::Bin(op, lhs, rhs), start);
        }
        Ok(lhs)
    }
    fn unary(&mut self) -> Parsed<u32> {
        let start = self.pos;
        if self.b[self.pos..].len() > 4
            && self.b[self.pos..self.pos + 3].eq_ignore_ascii_case(b"not")
            && matches!(self.b[self.pos + 3], b' ' | b'(')
        {
            self.pos += 3;
            self.ws();
            self.enter()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(self.push(Kind::Not(e), start));
        }
        self.primary()
    }
    fn enter(&mut self) -> Parsed<()> {
        self.depth += 1;
        if self.depth > 100 {
            return Err(Box::new((self.pos, "deep")));
        }
        Ok(())
    }
    fn list(&mut self) -> Parsed<u32> {
        let start = self.pos;
        if self.b.get(self.pos) != Some(&b'(') {
            return Err(Box::new((self.pos, "(")));
        }
        self.pos += 1;
        let (first, n) = self.items()?;
        Ok(self.push(Kind::List(first, n), start))
    }
    /// Comma-separated expressions up to `)`, the cursor after `(`:
    /// moved to the tree as one run.
    fn items(&mut self) -> Parsed<(u32, u32)> {
        let base = self.stack.len();
        loop {
            self.ws();
            let e = self.expr(0)?;
            self.stack.push(Node {
                kind: Kind::Item(e),
                start: 0,
                end: 0,
            });
            self.ws();
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(Box::new((self.pos, ")"))),
            }
        }
        let first = self.nodes.len() as u32;
        self.nodes.extend_from_slice(&self.stack[base..]);
        self.stack.truncate(base);
        Ok((first, self.nodes.len() as u32 - first))
    }
    fn primary(&mut self) -> Parsed<u32> {
        let start = self.pos;
        match self.b.get(self.pos) {
            Some(b'(') => {
                self.pos += 1;
                self.enter()?;
                self.ws();
                let e = self.expr(0)?;
                self.ws();
                if self.b.get(self.pos) != Some(&b')') {
                    return Err(Box::new((self.pos, ")")));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(b'\'') => {
                let mut i = self.pos + 1;
                loop {
                    let Some(q) = memchr::memchr(b'\'', &self.b[i..]) else {
                        return Err(Box::new((self.pos, "string")));
                    };
                    if self.b.get(i + q + 1) == Some(&b'\'') {
                        i += q + 2;
                        continue;
                    }
                    self.pos = i + q + 1;
                    break;
                }
                Ok(self.push(
                    Kind::Str(start as u32 + 1, (self.pos - start - 2) as u32),
                    start,
                ))
            }
            Some(b'0'..=b'9') => {
                let r = &self.b[self.pos..];
                if r.len() >= 10 && r[4] == b'-' && r[7] == b'-' {
                    let d = |a: usize, n: usize| {
                        r[a..a + n].iter().try_fold(0u32, |acc, &c| {
                            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
                        })
                    };
                    let (Some(y), Some(m), Some(dd)) = (d(0, 4), d(5, 2), d(8, 2)) else {
                        return Err(Box::new((self.pos, "date")));
                    };
                    let date = chrono::NaiveDate::from_ymd_opt(y as i32, m, dd)
                        .ok_or_else(|| Box::new((self.pos, "date")))?;
                    let mut k = 10;
                    let mut time = chrono::NaiveTime::MIN;
                    if r.get(10) == Some(&b'T') {
                        let (Some(h), Some(mi)) = (d(11, 2), d(14, 2)) else {
                            return Err(Box::new((self.pos, "time")));
                        };
                        k = 16;
                        let mut s = 0;
                        if r.get(16) == Some(&b':') {
                            s = d(17, 2).ok_or_else(|| Box::new((self.pos, "time")))?;
                            k = 19;
                            if r.get(19) == Some(&b'.') {
                                k = 20;
                                while r.get(k).is_some_and(u8::is_ascii_digit) {
                                    k += 1;
                                }
                            }
                        }
                        time = chrono::NaiveTime::from_hms_opt(h, mi, s)
                            .ok_or_else(|| Box::new((self.pos, "time")))?;
                        match r.get(k) {
                            Some(b'Z') => k += 1,
                            Some(b'+' | b'-') => k += 6,
                            _ => return Err(Box::new((self.pos, "offset"))),
                        }
                    }
                    self.pos += k;
                    return Ok(self.push(Kind::Date(date.and_time(time), 0), start));
                }
                let mut v: i64 = 0;
                while let Some(&c) = self.b.get(self.pos).filter(|c| c.is_ascii_digit()) {
                    v = v
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(i64::from(c - b'0')))
                        .ok_or_else(|| Box::new((start, "big")))?;
                    self.pos += 1;
                }
                Ok(self.push(Kind::Int(v), start))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                while self.b.get(self.pos).is_some_and(|&b| is_ident_byte(b)) {
                    self.pos += 1;
                }
                let name = &self.b[start..self.pos];
                if self.b.get(self.pos) == Some(&b'(') {
                    self.pos += 1;
                    self.enter()?;
                    let function = Function::lookup(std::str::from_utf8(name).unwrap_or(""))
                        .ok_or_else(|| Box::new((start, "function")))?;
                    let (first, n) = self.items()?;
                    self.depth -= 1;
                    return Ok(self.push(Kind::Call(function, first, n), start));
                }
                match name {
                    b"true" => return Ok(self.push(Kind::Bool(true), start)),
                    b"false" => return Ok(self.push(Kind::Bool(false), start)),
                    b"null" => return Ok(self.push(Kind::Null, start)),
                    _ => {}
                }
                let seg = self.push(Kind::Name(start as u32, name.len() as u32), start);
                Ok(self.push(Kind::Path(seg, 1), start))
            }
            _ => Err(Box::new((self.pos, "expr"))),
        }
    }
}

pub fn parse(text: &str) -> Parsed<(Vec<Node>, String)> {
    let mut p = Parser {
        b: text.as_bytes(),
        pos: 0,
        nodes: Vec::with_capacity(text.len() / 4 + 4),
        stack: Vec::new(),
        text: text.to_owned(),
        depth: 0,
    };
    p.ws();
    p.expr(0)?;
    p.ws();
    if p.pos != p.b.len() {
        return Err(Box::new((p.pos, "end")));
    }
    Ok((p.nodes, p.text))
}
