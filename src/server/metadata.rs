//! `GET /api/$metadata`: the CSDL XML of the served entity sets,
//! generated from their schemas, with the Capabilities vocabulary's
//! filter, sort and expand restrictions so that a client can read which
//! properties each list filters and sorts on, and whether it expands.
//!
//! A schema's expandable property (Alerts' `evidence`) is a
//! `NavigationProperty` with `ContainsTarget="true"` (its items live in the
//! alert; there is no evidence entity set), and its element type is an
//! `EntityType`, as a navigation property's type must be. The docs give
//! evidence no key, so that entity type declares none.
//!
//! Owns: the XML. Must not know about: HTTP or where entities come from.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::schema::local_name;
use crate::schema::{ComplexType, EdmType, EntitySchema, PropertyDef};

/// The CSDL document of `schemas`.
pub fn csdl(schemas: &[&'static EntitySchema]) -> String {
    let mut namespaces: BTreeMap<&str, Vec<&EntitySchema>> = BTreeMap::new();
    for schema in schemas {
        namespaces
            .entry(schema.namespace())
            .or_default()
            .push(schema);
    }
    let mut xml = String::from(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        "\n",
        r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">"#,
        "\n",
        r#"  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">"#,
        "\n",
        r#"    <edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>"#,
        "\n",
        "  </edmx:Reference>\n",
        "  <edmx:DataServices>\n",
    ));
    for (namespace, schemas) in &namespaces {
        let _ = writeln!(
            xml,
            r#"    <Schema Namespace="{}" xmlns="http://docs.oasis-open.org/odata/ns/edm">"#,
            escape(namespace)
        );
        let mut complex: BTreeMap<&str, &ComplexType> = BTreeMap::new();
        let mut enums: BTreeMap<&str, &[&str]> = BTreeMap::new();
        for schema in schemas {
            collect_types(schema.properties, &mut complex, &mut enums);
        }
        // The element types of navigation properties are entity types.
        let mut targets: BTreeMap<&str, &ComplexType> = BTreeMap::new();
        for schema in schemas {
            for property in schema.navigation_properties() {
                if let Some(target) = element_complex(&property.edm_type) {
                    complex.remove(target.name);
                    targets.insert(target.name, target);
                }
            }
        }
        for schema in schemas {
            let name = local_name(schema.type_name);
            let _ = writeln!(xml, r#"      <EntityType Name="{}">"#, escape(name));
            let _ = writeln!(
                xml,
                r#"        <Key><PropertyRef Name="{}"/></Key>"#,
                escape(schema.key)
            );
            write_properties(
                &mut xml,
                schema.properties,
                Some(schema.key),
                schema.expandable,
            );
            xml.push_str("      </EntityType>\n");
        }
        for (element, types) in [("EntityType", &targets), ("ComplexType", &complex)] {
            for (name, structured) in types {
                let _ = writeln!(
                    xml,
                    r#"      <{element} Name="{}">"#,
                    escape(local_name(name))
                );
                write_properties(&mut xml, structured.properties, None, &[]);
                let _ = writeln!(xml, "      </{element}>");
            }
        }
        for (name, members) in &enums {
            let _ = writeln!(
                xml,
                r#"      <EnumType Name="{}">"#,
                escape(local_name(name))
            );
            for member in *members {
                let _ = writeln!(xml, r#"        <Member Name="{}"/>"#, escape(member));
            }
            xml.push_str("      </EnumType>\n");
        }
        xml.push_str("      <EntityContainer Name=\"Container\">\n");
        for schema in schemas {
            write_entity_set(&mut xml, schema);
        }
        xml.push_str("      </EntityContainer>\n    </Schema>\n");
    }
    xml.push_str("  </edmx:DataServices>\n</edmx:Edmx>\n");
    xml
}

/// `properties` as CSDL, those named in `navigation` as
/// `NavigationProperty` elements.
fn write_properties(
    xml: &mut String,
    properties: &[PropertyDef],
    key: Option<&str>,
    navigation: &[&str],
) {
    for property in properties {
        if navigation.contains(&property.name) {
            let _ = writeln!(
                xml,
                r#"        <NavigationProperty Name="{}" Type="{}" ContainsTarget="true"/>"#,
                escape(property.name),
                escape(&property.edm_type.to_string())
            );
            continue;
        }
        let nullable = if Some(property.name) == key {
            r#" Nullable="false""#
        } else {
            ""
        };
        let _ = writeln!(
            xml,
            r#"        <Property Name="{}" Type="{}"{nullable}/>"#,
            escape(property.name),
            escape(&property.edm_type.to_string())
        );
    }
}

/// The entity set, and which of its properties cannot be filtered or
/// sorted on.
fn write_entity_set(xml: &mut String, schema: &EntitySchema) {
    let _ = writeln!(
        xml,
        r#"        <EntitySet Name="{}" EntityType="{}">"#,
        escape(schema.entity_set),
        escape(schema.type_name)
    );
    let restrictions = [
        (
            "FilterRestrictions",
            "NonFilterableProperties",
            schema
                .properties
                .iter()
                .filter(|p| !p.filterable)
                .collect::<Vec<_>>(),
        ),
        (
            "SortRestrictions",
            "NonSortableProperties",
            schema
                .properties
                .iter()
                .filter(|p| !p.sortable)
                .collect::<Vec<_>>(),
        ),
    ];
    for (term, member, properties) in restrictions {
        let _ = writeln!(
            xml,
            r#"          <Annotation Term="Org.OData.Capabilities.V1.{term}">"#
        );
        let _ = writeln!(
            xml,
            r#"            <Record><PropertyValue Property="{member}"><Collection>"#
        );
        for property in properties {
            let _ = writeln!(
                xml,
                "              <PropertyPath>{}</PropertyPath>",
                escape(property.name)
            );
        }
        xml.push_str("            </Collection></PropertyValue></Record>\n");
        xml.push_str("          </Annotation>\n");
    }
    // Only the named navigation properties, one level deep: no nested
    // `$expand` options.
    let expandable = schema.supports(crate::syntax::SystemOption::Expand);
    let _ = writeln!(
        xml,
        concat!(
            r#"          <Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions">"#,
            r#"<Record><PropertyValue Property="Expandable" Bool="{}"/>{}</Record></Annotation>"#
        ),
        expandable,
        if expandable {
            r#"<PropertyValue Property="MaxLevels" Int="1"/>"#
        } else {
            ""
        }
    );
    let _ = writeln!(
        xml,
        r#"          <Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="true"/>"#
    );
    xml.push_str("        </EntitySet>\n");
}

/// Every complex and enum type `properties` reach.
fn collect_types<'a>(
    properties: &'a [PropertyDef],
    complex: &mut BTreeMap<&'a str, &'a ComplexType>,
    enums: &mut BTreeMap<&'a str, &'a [&'a str]>,
) {
    for property in properties {
        let mut edm_type = &property.edm_type;
        while let EdmType::Collection(element) = edm_type {
            edm_type = element;
        }
        match edm_type {
            EdmType::Complex(inner) if !complex.contains_key(inner.name) => {
                complex.insert(inner.name, inner);
                collect_types(inner.properties, complex, enums);
            }
            EdmType::Enum(name) => {
                enums.entry(name).or_insert(property.known_values);
            }
            _ => {}
        }
    }
}

/// The complex element type of a collection of a complex type.
fn element_complex(edm_type: &EdmType) -> Option<&'static ComplexType> {
    match edm_type {
        EdmType::Collection(EdmType::Complex(complex)) | EdmType::Complex(complex) => Some(complex),
        _ => None,
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
