//! The identifier byte classes, in a file of their own with no imports so
//! that the parse floor bench (`benches/floor`) reads names with the very
//! same table as the parser.

/// `[A-Za-z0-9_]` by byte: one load per byte where the range tests took
/// several, in the loop that reads every name.
pub(crate) static ASCII_IDENT: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || byte == b'_';
        b += 1;
    }
    table
};

/// Whether `b` can continue an identifier (ASCII part; any non-ASCII byte is
/// treated as a possible identifier character and checked by `char`).
#[inline]
pub(crate) fn is_ident_byte(b: u8) -> bool {
    ASCII_IDENT[usize::from(b)] || b >= 0x80
}
