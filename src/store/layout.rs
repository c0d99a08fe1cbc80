//! The storage layout of an entity set: its table, its typed columns, its
//! indexes, and the row an entity becomes.
//!
//! Owns: every table, column and index name, and how a property value is
//! stored. Must not know about: queries, SQL connections, or any one entity
//! set; everything here is derived from an [`EntitySchema`].
//!
//! One table per entity set, named after it in lower case
//! (`machineactions`). A property that can be filtered or sorted gets typed
//! columns, named after it so that the SQL reads like the query:
//!
//! | property type    | columns                                              |
//! |------------------|------------------------------------------------------|
//! | `Edm.String`     | `"P"`, `"P:lower"`, `"P:upper"`                      |
//! | `Edm.DateTimeOffset` | `"P:seconds"`, `"P:nanos"` (the instant, UTC)    |
//! | integer types    | `"P"`                                                |
//! | `Edm.Boolean`    | `"P"`                                                |
//! | `Edm.Double`, `Edm.Single` | `"P"`, a double (integers within ±2^53) |
//! | `Collection(Edm.String)` | `"P"`, the JSON array as text                |
//!
//! `"P:lower"`/`"P:upper"` hold `tolower(P)`/`toupper(P)` as the evaluator
//! computes them (character by character), and `NULL` where SQL's own
//! `lower`/`upper` give the same, which map ASCII letters only (SQLite's
//! built-ins; PostgreSQL's under `COLLATE "C"`): for ASCII text, the usual
//! case, they are never stored. An instant is seconds since the
//! epoch and nanoseconds, so all seven fraction digits compare, whatever
//! offset the text was written with. `"@seq"` is the load order (ties sort
//! by it, as they sort by input order in memory). The whole wire document,
//! returned as it was loaded, is `"@doc"` in a second table by `"@seq"`
//! (`machineactions:doc`), so that scans and index builds read only the
//! narrow typed rows.
//!
//! A string collection is stored as its JSON array, which `any`/`all` read
//! member by member (`json_each` in SQLite, `jsonb_array_elements_text`
//! in PostgreSQL); its members must be strings or null, and a value that
//! is not an array is stored as `NULL`, which a lambda over it reads as
//! the evaluator reads a collection that is not one: null.

use crate::model::{Entity, PropertyValue};
use crate::schema::{EdmType, EntitySchema, OrderKey, PropertyDef};

use super::translate::{SqlDialect, SqlValue};

/// The version of this layout, kept in the database so that a later layout
/// can refuse (or convert) an older one instead of misreading it.
pub(crate) const LAYOUT_VERSION: i64 = 1;

/// The name of the table that records each entity set's layout version.
pub(crate) const META_TABLE: &str = "defender_odata_layout";

/// How one filterable or sortable property is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    /// `"P"` plus its case-mapped columns.
    Text,
    /// `"P:seconds"` and `"P:nanos"`.
    Instant,
    /// `"P"`, a 64-bit integer.
    Integer,
    /// `"P"`, a Boolean.
    Boolean,
    /// `"P"`, a collection of strings as its JSON array.
    Strings,
    /// `"P"`, a double.
    Real,
}

/// One stored property, with its columns' quoted names.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// The property it stores.
    pub(crate) property: &'static PropertyDef,
    /// How.
    pub(crate) kind: ColumnKind,
    /// `"P"`, or for an instant `"P:seconds"`.
    value: String,
    /// `"P:lower"`, or for an instant `"P:nanos"`.
    second: String,
    /// `"P:upper"`.
    third: String,
}

impl Column {
    fn new(property: &'static PropertyDef, kind: ColumnKind) -> Column {
        let named = |suffix: &str| quote(&format!("{}:{suffix}", property.name));
        let (value, second, third) = match kind {
            ColumnKind::Instant => (named("seconds"), named("nanos"), String::new()),
            ColumnKind::Text => (quote(property.name), named("lower"), named("upper")),
            _ => (quote(property.name), String::new(), String::new()),
        };
        Column {
            property,
            kind,
            value,
            second,
            third,
        }
    }

    /// The quoted column holding the value itself (the seconds of an
    /// instant).
    pub(crate) fn value(&self) -> &str {
        &self.value
    }

    /// The quoted `"P:nanos"` of an instant.
    pub(crate) fn nanos(&self) -> &str {
        &self.second
    }

    /// The quoted `"P:lower"` (or with `upper`, `"P:upper"`) of a string.
    pub(crate) fn case_mapped(&self, upper: bool) -> &str {
        if upper {
            &self.third
        } else {
            &self.second
        }
    }

    /// Every column of this property, with the kind of value it holds.
    fn definitions(&self) -> Vec<(String, ValueKind)> {
        match self.kind {
            ColumnKind::Text => vec![
                (self.value.clone(), ValueKind::Text),
                (self.second.clone(), ValueKind::Text),
                (self.third.clone(), ValueKind::Text),
            ],
            ColumnKind::Instant => vec![
                (self.value.clone(), ValueKind::Integer),
                (self.second.clone(), ValueKind::Integer),
            ],
            ColumnKind::Integer => vec![(self.value.clone(), ValueKind::Integer)],
            ColumnKind::Boolean => vec![(self.value.clone(), ValueKind::Boolean)],
            ColumnKind::Strings => vec![(self.value.clone(), ValueKind::Json)],
            ColumnKind::Real => vec![(self.value.clone(), ValueKind::Real)],
        }
    }
}

/// The kind of value one SQL column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Text,
    Integer,
    Boolean,
    /// JSON text, compared by nothing but what reads its members.
    Json,
    Real,
}

impl ValueKind {
    /// A value of this kind, for choosing a placeholder's type.
    fn sample(self) -> SqlValue {
        match self {
            ValueKind::Text | ValueKind::Json => SqlValue::Text(String::new()),
            ValueKind::Integer => SqlValue::Integer(0),
            ValueKind::Boolean => SqlValue::Boolean(false),
            ValueKind::Real => SqlValue::Real(0.0),
        }
    }

    fn sql_type(self, dialect: SqlDialect) -> &'static str {
        match self {
            ValueKind::Text => dialect.text_type(),
            ValueKind::Json => "TEXT",
            ValueKind::Real => "DOUBLE PRECISION",
            ValueKind::Integer => "BIGINT",
            ValueKind::Boolean => dialect.boolean_type(),
        }
    }
}

/// The layout of one entity set.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// The quoted table names, and the start of every page's statement.
    table: String,
    docs_table: String,
    select_docs: String,
    /// `ORDER BY` of the default order, then `"@seq"`: SQLite's, PostgreSQL's.
    default_order_by: [String; 2],
    /// The typed table's columns in row order, and where the key is among
    /// them: read for every row a load writes.
    typed_columns: Vec<(String, ValueKind)>,
    key_position: Option<usize>,
    entity_set: &'static str,
    key: &'static str,
    default_order: &'static [OrderKey],
    columns: Vec<Column>,
    /// The properties a navigation to this set scopes it by.
    foreign_keys: Vec<&'static str>,
}

impl Layout {
    /// The layout of `schema`: a column set for each property that can be
    /// filtered or sorted and has a type the layout stores. Names are
    /// quoted as they are; the schema's names are identifiers, never input.
    pub(crate) fn of(schema: &EntitySchema) -> Layout {
        // The properties a navigation to this set scopes it by (Alerts'
        // `machineId`, for `machines/{id}/alerts`): stored, and indexed,
        // though clients may not filter on them.
        let foreign_keys: Vec<&'static str> = crate::schema::navigations()
            .iter()
            .filter(|n| std::ptr::eq(n.to, schema))
            .map(|n| n.foreign_key)
            .collect();
        let columns = schema
            .properties
            .iter()
            .filter(|p| p.filterable || p.sortable || foreign_keys.contains(&p.name))
            .filter_map(|property| {
                let kind = match property.edm_type {
                    EdmType::String => ColumnKind::Text,
                    EdmType::DateTimeOffset => ColumnKind::Instant,
                    EdmType::Boolean => ColumnKind::Boolean,
                    EdmType::Byte
                    | EdmType::SByte
                    | EdmType::Int16
                    | EdmType::Int32
                    | EdmType::Int64 => ColumnKind::Integer,
                    EdmType::Collection(EdmType::String) => ColumnKind::Strings,
                    EdmType::Double | EdmType::Single => ColumnKind::Real,
                    _ => return None,
                };
                Some(Column::new(property, kind))
            })
            .collect();
        let name = schema.entity_set.to_ascii_lowercase();
        let (table, docs_table) = (quote(&name), quote(&format!("{name}:doc")));
        let select_docs = format!(
            "SELECT {docs_table}.{} FROM {table} JOIN {docs_table} USING ({})",
            quote("@doc"),
            quote("@seq")
        );
        let mut layout = Layout {
            table,
            docs_table,
            select_docs,
            default_order_by: Default::default(),
            typed_columns: Vec::new(),
            key_position: None,
            entity_set: schema.entity_set,
            key: schema.key,
            default_order: schema.default_order,
            columns,
            foreign_keys,
        };
        for (i, dialect) in [SqlDialect::Sqlite, SqlDialect::Postgres]
            .into_iter()
            .enumerate()
        {
            let mut keys = layout.default_order_keys(dialect);
            keys.push(format!("{} ASC", quote("@seq")));
            layout.default_order_by[i] = keys.join(", ");
        }
        layout.typed_columns = vec![(quote("@seq"), ValueKind::Integer)];
        for column in &layout.columns {
            layout.typed_columns.extend(column.definitions());
        }
        layout.key_position = layout.key().map(Column::value).and_then(|key| {
            layout
                .typed_columns
                .iter()
                .position(|(name, _)| name == key)
        });
        layout
    }

    /// The name of the entity set this layout stores.
    pub(crate) fn entity_set(&self) -> &'static str {
        self.entity_set
    }

    /// The stored column of the property `name` (the schema's spelling).
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.property.name == name)
    }

    /// The unquoted table name.
    pub(crate) fn table_name(&self) -> String {
        self.entity_set.to_ascii_lowercase()
    }

    /// The `ORDER BY` keys of a query without `$orderby`.
    pub(crate) fn default_order_by(&self, dialect: SqlDialect) -> &str {
        &self.default_order_by[usize::from(dialect == SqlDialect::Postgres)]
    }

    /// The quoted table name.
    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    /// `SELECT "@doc"` of the typed table's rows: what a page's statement
    /// starts with.
    pub(crate) fn select_docs(&self) -> &str {
        &self.select_docs
    }

    /// The column of the key property, which loading upserts on.
    pub(crate) fn key(&self) -> Option<&Column> {
        self.column(self.key)
            .filter(|c| c.kind == ColumnKind::Text || c.kind == ColumnKind::Integer)
    }

    /// The statements that create the tables and the key's index when they
    /// are missing. `"@seq"` is the primary key: in SQLite the row id
    /// itself, so rows are stored in load order.
    pub(crate) fn create_tables(&self, dialect: SqlDialect) -> Vec<String> {
        let table = self.table();
        let seq_type = match dialect {
            SqlDialect::Sqlite => "INTEGER PRIMARY KEY",
            SqlDialect::Postgres => "BIGINT PRIMARY KEY",
        };
        let mut columns = vec![format!("{} {seq_type}", quote("@seq"))];
        for column in &self.columns {
            for (name, kind) in column.definitions() {
                columns.push(format!("{name} {}", kind.sql_type(dialect)));
            }
        }
        let mut statements = vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {} (\"entity_set\" TEXT PRIMARY KEY, \"version\" BIGINT NOT NULL)",
                quote(META_TABLE)
            ),
            format!("CREATE TABLE IF NOT EXISTS {table} ({})", columns.join(", ")),
            format!(
                "CREATE TABLE IF NOT EXISTS {} ({} {seq_type}, {} TEXT NOT NULL)",
                self.docs_table(),
                quote("@seq"),
                quote("@doc")
            ),
        ];
        if let Some(key) = self.key() {
            statements.push(format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {table} ({})",
                self.index_name("key"),
                key.value()
            ));
        }
        statements
    }

    /// The indexes for the orders and filters clients use, by name: the
    /// default order, and each filterable string property followed by the
    /// default order (so `machineId eq '…'&$top=10` reads ten index
    /// entries and sorts nothing). A load into an empty table builds them
    /// at its end, which is much faster than keeping them up to date.
    pub(crate) fn secondary_indexes(&self, dialect: SqlDialect) -> Vec<(String, String)> {
        let table = self.table();
        let mut order = self.default_order_keys(dialect);
        // SQLite ends every index entry with the row id, which `"@seq"`
        // is: naming it again would only widen the entries to sort.
        if dialect != SqlDialect::Sqlite {
            order.push(quote("@seq"));
        }
        let mut indexes = vec![("order".to_owned(), order.join(", "))];
        for column in self.columns.iter().filter(|c| {
            c.kind == ColumnKind::Text
                && c.property.name != self.key
                && (c.property.filterable || self.foreign_keys.contains(&c.property.name))
        }) {
            indexes.push((
                column.property.name.to_owned(),
                format!("{}, {}", column.value(), order.join(", ")),
            ));
        }
        indexes
            .into_iter()
            .map(|(suffix, keys)| {
                let name = self.index_name(&suffix);
                (
                    name.clone(),
                    format!("CREATE INDEX IF NOT EXISTS {name} ON {table} ({keys})"),
                )
            })
            .collect()
    }

    /// The quoted name of one of the table's indexes.
    fn index_name(&self, suffix: &str) -> String {
        quote(&format!("{}:{suffix}", self.table_name()))
    }

    /// The default order's keys (`"P:seconds" DESC, "P:nanos" DESC`): of
    /// its index, and of `ORDER BY` when a query has no `$orderby`.
    pub(crate) fn default_order_keys(&self, dialect: SqlDialect) -> Vec<String> {
        let mut keys = Vec::new();
        for key in self.default_order {
            let Some(column) = self.column(key.property) else {
                continue;
            };
            let direction = dialect.order_suffix(key.descending);
            match column.kind {
                ColumnKind::Instant => {
                    keys.push(format!("{} {direction}", column.value()));
                    keys.push(format!("{} {direction}", column.nanos()));
                }
                _ => keys.push(format!("{} {direction}", column.value())),
            }
        }
        keys
    }

    /// The quoted table of the documents, `"@doc"` by `"@seq"`: apart, so
    /// that the typed table stays narrow for scans and index builds.
    pub(crate) fn docs_table(&self) -> &str {
        &self.docs_table
    }

    /// The typed table's columns and the kind of value each holds:
    /// `"@seq"`, then the columns [`Layout::row`] gives values for, in that
    /// order.
    pub(crate) fn columns(&self) -> &[(String, ValueKind)] {
        &self.typed_columns
    }

    /// Where the key's value is in a row of [`Layout::columns`].
    pub(crate) fn key_position(&self) -> Option<usize> {
        self.key_position
    }

    /// The statement that writes `rows` rows of the typed table: an insert
    /// that, for a key already stored, replaces everything but the load
    /// order. It returns each row's `"@seq"` (the stored one, for a key
    /// already stored) and its key as text.
    pub(crate) fn upsert(&self, dialect: SqlDialect, rows: usize) -> String {
        let columns = self.columns();
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let mut n = 0;
        let values: Vec<String> = (0..rows)
            .map(|_| {
                let row: Vec<String> = columns
                    .iter()
                    .map(|(_, kind)| {
                        n += 1;
                        dialect.placeholder(n, &kind.sample()).to_string()
                    })
                    .collect();
                format!("({})", row.join(", "))
            })
            .collect();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.table(),
            names.join(", "),
            values.join(", ")
        );
        if let Some(key) = self.key() {
            let updates: Vec<String> = names[1..]
                .iter()
                .map(|name| format!("{name} = excluded.{name}"))
                .collect();
            sql.push_str(&format!(
                " ON CONFLICT ({}) DO UPDATE SET {}",
                key.value(),
                updates.join(", ")
            ));
        }
        let key = self.key().map_or("NULL", Column::value);
        sql.push_str(&format!(
            " RETURNING {}, CAST({key} AS TEXT)",
            quote("@seq")
        ));
        sql
    }

    /// The statement that writes `rows` documents, `("@seq", "@doc")` each,
    /// replacing a stored one.
    pub(crate) fn docs_upsert(&self, dialect: SqlDialect, rows: usize) -> String {
        let (seq, doc) = (SqlValue::Integer(0), SqlValue::Text(String::new()));
        let values: Vec<String> = (0..rows)
            .map(|i| {
                format!(
                    "({}, {})",
                    dialect.placeholder(2 * i + 1, &seq),
                    dialect.placeholder(2 * i + 2, &doc)
                )
            })
            .collect();
        format!(
            "INSERT INTO {} ({seq_name}, {doc_name}) VALUES {} ON CONFLICT ({seq_name}) DO UPDATE SET {doc_name} = excluded.{doc_name}",
            self.docs_table(),
            values.join(", "),
            seq_name = quote("@seq"),
            doc_name = quote("@doc"),
        )
    }

    /// The stored values of `entity`'s typed columns (without `"@seq"`),
    /// or why it cannot be stored.
    pub(crate) fn row<E: Entity>(&self, entity: &E) -> Result<Vec<SqlValue>, String> {
        let mut values = Vec::new();
        for column in &self.columns {
            let name = column.property.name;
            let value = E::accessor(name)
                .map_or(PropertyValue::Null, |accessor| entity.property(&accessor));
            let mismatch = || format!("'{name}' is not {}", column.property.edm_type);
            match column.kind {
                ColumnKind::Text => match value {
                    PropertyValue::Null => {
                        values.extend([SqlValue::Null, SqlValue::Null, SqlValue::Null])
                    }
                    PropertyValue::String(text) => {
                        if text.contains('\0') {
                            return Err(format!(
                                "'{name}' contains U+0000, which SQL text cannot hold"
                            ));
                        }
                        values.push(SqlValue::Text(text.to_owned()));
                        if text.is_ascii() {
                            values.extend([SqlValue::Null, SqlValue::Null]);
                            continue;
                        }
                        for upper in [false, true] {
                            let mapped = crate::eval::case_mapped(text, upper);
                            let ascii = if upper {
                                text.to_ascii_uppercase()
                            } else {
                                text.to_ascii_lowercase()
                            };
                            values.push(if mapped == ascii {
                                SqlValue::Null
                            } else {
                                SqlValue::Text(mapped)
                            });
                        }
                    }
                    _ => return Err(mismatch()),
                },
                ColumnKind::Instant => {
                    if value.is_null() {
                        values.extend([SqlValue::Null, SqlValue::Null]);
                    } else {
                        let instant = value.to_datetime_offset().ok_or_else(mismatch)?;
                        let (seconds, nanos) = instant_parts(&instant);
                        values.extend([SqlValue::Integer(seconds), SqlValue::Integer(nanos)]);
                    }
                }
                ColumnKind::Integer => match value {
                    PropertyValue::Null => values.push(SqlValue::Null),
                    PropertyValue::Int(i) => values.push(SqlValue::Integer(i)),
                    _ => return Err(mismatch()),
                },
                ColumnKind::Boolean => match value {
                    PropertyValue::Null => values.push(SqlValue::Null),
                    PropertyValue::Bool(b) => values.push(SqlValue::Boolean(b)),
                    _ => return Err(mismatch()),
                },
                ColumnKind::Strings => values.push(strings_column(name, &value)?),
                ColumnKind::Real => match value {
                    PropertyValue::Null => values.push(SqlValue::Null),
                    PropertyValue::Double(d) => values.push(SqlValue::Real(d)),
                    PropertyValue::Int(i)
                        if i.unsigned_abs() <= super::translate::EXACT_IN_DOUBLE =>
                    {
                        values.push(SqlValue::Real(i as f64))
                    }
                    PropertyValue::Int(_) => {
                        return Err(format!(
                            "'{name}' is an integer beyond 2^53, which a double cannot hold exactly"
                        ))
                    }
                    _ => return Err(mismatch()),
                },
            }
        }
        Ok(values)
    }
}

/// The stored JSON array of a string collection: `NULL` for a value that
/// is not an array; an error for a member that is not a string or null,
/// or that holds U+0000.
fn strings_column(name: &str, value: &PropertyValue<'_>) -> Result<SqlValue, String> {
    let serde_json::Value::Array(members) = value.to_json() else {
        return Ok(SqlValue::Null);
    };
    for member in &members {
        match member {
            serde_json::Value::Null => {}
            serde_json::Value::String(text) if !text.contains('\0') => {}
            serde_json::Value::String(_) => {
                return Err(format!(
                    "a member of '{name}' contains U+0000, which SQL text cannot hold"
                ))
            }
            _ => return Err(format!("a member of '{name}' is not Edm.String")),
        }
    }
    Ok(SqlValue::Text(
        serde_json::Value::Array(members).to_string(),
    ))
}

/// An instant as seconds since the epoch and nanoseconds: ordered as chrono
/// orders instants (a leap second's nanoseconds are ≥ 10⁹).
pub(crate) fn instant_parts<Tz: chrono::TimeZone>(instant: &chrono::DateTime<Tz>) -> (i64, i64) {
    (
        instant.timestamp(),
        i64::from(instant.timestamp_subsec_nanos()),
    )
}

/// A quoted SQL identifier. The names are the schema's, which contain no
/// `"`; doubling one anyway keeps any name an identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The layout of `schema`, made once per schema and thread: translating a
/// query should not rebuild the names of every column.
pub(crate) fn cached(schema: &EntitySchema) -> std::rc::Rc<Layout> {
    use std::cell::RefCell;
    use std::rc::Rc;
    // Keyed by the schema's static tables, which no other schema can reuse.
    type Key = (usize, usize, &'static str, &'static str);
    thread_local! {
        static LAYOUTS: RefCell<Vec<(Key, Rc<Layout>)>> = const { RefCell::new(Vec::new()) };
    }
    let key: Key = (
        schema.properties.as_ptr() as usize,
        schema.default_order.as_ptr() as usize,
        schema.entity_set,
        schema.key,
    );
    LAYOUTS.with(|layouts| {
        let mut layouts = layouts.borrow_mut();
        if let Some((_, layout)) = layouts.iter().find(|(k, _)| *k == key) {
            return Rc::clone(layout);
        }
        let layout = Rc::new(Layout::of(schema));
        layouts.push((key, Rc::clone(&layout)));
        layout
    })
}
