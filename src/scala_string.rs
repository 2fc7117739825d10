//! How Spark prints an element: Scala's `toString`, for the output operations that write
//! elements as text (`DStream.print`, `saveAsTextFiles`).
//!
//! Rust has no universal `toString`, but every element type is `Serialize`, and serde's data
//! model has Scala's shapes: a tuple prints as `(a,1)`, an `Option` as `Some(3)` or `None`, a
//! struct as its case class would (`Name(1,x)`), a string as itself, a `Double` in Java's
//! notation (`1.0`, `1.0E7`). Sequences print as `CompactBuffer(1, 2)`, the collection Spark's
//! `groupByKey` and `cogroup` produce (where this crate has a `Vec`), and maps as
//! `Map(a -> 1)`. A value serde cannot describe falls back to `Debug`.

use std::fmt::{self, Display, Write};

use serde::ser::{self, Serialize};

/// `value` as Scala's `toString` shows it, or `None` when its `Serialize` fails.
pub(crate) fn scala_string<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut out = String::new();
    value.serialize(ScalaWriter { out: &mut out }).ok()?;
    Some(out)
}

/// Java's `Double.toString`: plain notation with at least one decimal in `[1e-3, 1e7)`,
/// computerized scientific notation (`1.0E7`, `1.5E-4`) outside it.
fn java_double(v: f64) -> String {
    java_floating(v, format!("{v}"), format!("{v:e}"))
}

/// Java's `Float.toString` (the same rules, with the shortest digits of an `f32`).
fn java_float(v: f32) -> String {
    java_floating(f64::from(v), format!("{v}"), format!("{v:e}"))
}

/// The shared rules of Java's floating-point `toString`, given Rust's shortest plain and
/// scientific forms of the value (which round-trip, as Java's digits do).
fn java_floating(v: f64, plain: String, scientific: String) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let with_decimal = |s: &str| {
        if s.contains('.') {
            s.to_string()
        } else {
            format!("{s}.0")
        }
    };
    let magnitude = v.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        return with_decimal(&plain);
    }
    match scientific.split_once('e') {
        Some((mantissa, exponent)) => format!("{}E{exponent}", with_decimal(mantissa)),
        None => with_decimal(&plain),
    }
}

/// Why a value could not be written (serde needs an error type; the caller falls back to
/// `Debug`).
#[derive(Debug)]
struct Unsupported(String);

impl Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: Display>(msg: T) -> Self {
        Unsupported(msg.to_string())
    }
}

/// Writes one value into `out`.
struct ScalaWriter<'a> {
    out: &'a mut String,
}

impl<'a> ScalaWriter<'a> {
    fn text(self, s: &str) -> Result<(), Unsupported> {
        self.out.push_str(s);
        Ok(())
    }

    fn display(self, v: impl Display) -> Result<(), Unsupported> {
        write!(self.out, "{v}").map_err(|e| Unsupported(e.to_string()))
    }

    /// Opens `prefix(` and returns the writer of its items, separated by `separator`.
    fn open(self, prefix: &str, separator: &'static str) -> Items<'a> {
        self.out.push_str(prefix);
        self.out.push('(');
        Items {
            out: self.out,
            separator,
            first: true,
        }
    }
}

/// The items of a tuple, sequence, map or struct, between `(` and `)`.
struct Items<'a> {
    out: &'a mut String,
    separator: &'static str,
    first: bool,
}

impl Items<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        if !self.first {
            self.out.push_str(self.separator);
        }
        self.first = false;
        value.serialize(ScalaWriter { out: self.out })
    }

    fn close(self) -> Result<(), Unsupported> {
        self.out.push(')');
        Ok(())
    }
}

impl<'a> ser::Serializer for ScalaWriter<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = Items<'a>;
    type SerializeMap = Items<'a>;
    type SerializeStruct = Items<'a>;
    type SerializeStructVariant = Items<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.text(&java_float(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.text(&java_double(v))
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.display(v)
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.text(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unsupported> {
        let mut items = self.open("CompactBuffer", ", ");
        for b in v {
            items.item(b)?;
        }
        items.close()
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.text("None")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        let mut items = self.open("Some", ",");
        items.item(value)?;
        items.close()
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.text("()")
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), Unsupported> {
        self.text(name)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let mut items = self.open(name, ",");
        items.item(value)?;
        items.close()
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let mut items = self.open(variant, ",");
        items.item(value)?;
        items.close()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Items<'a>, Unsupported> {
        Ok(self.open("CompactBuffer", ", "))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Items<'a>, Unsupported> {
        Ok(self.open("", ","))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Items<'a>, Unsupported> {
        Ok(self.open(name, ","))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Items<'a>, Unsupported> {
        Ok(self.open(variant, ","))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Items<'a>, Unsupported> {
        Ok(self.open("Map", ", "))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Items<'a>, Unsupported> {
        Ok(self.open(name, ","))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Items<'a>, Unsupported> {
        Ok(self.open(variant, ","))
    }
}

/// serde's compound writers: each appends its items (a case class prints its field values, not
/// their names: `Point(1,2)`).
macro_rules! items_writer {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Items<'_> {
            type Ok = ();
            type Error = Unsupported;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
                self.item(value)
            }
            fn end(self) -> Result<(), Unsupported> {
                self.close()
            }
        }
    };
    (named $trait:ident) => {
        impl ser::$trait for Items<'_> {
            type Ok = ();
            type Error = Unsupported;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                _key: &'static str,
                value: &T,
            ) -> Result<(), Unsupported> {
                self.item(value)
            }
            fn end(self) -> Result<(), Unsupported> {
                self.close()
            }
        }
    };
}

items_writer!(SerializeSeq, serialize_element);
items_writer!(SerializeTuple, serialize_element);
items_writer!(SerializeTupleStruct, serialize_field);
items_writer!(SerializeTupleVariant, serialize_field);
items_writer!(named SerializeStruct);
items_writer!(named SerializeStructVariant);

impl ser::SerializeMap for Items<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.item(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.out.push_str(" -> ");
        value.serialize(ScalaWriter { out: self.out })
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn s<T: Serialize + ?Sized>(v: &T) -> String {
        scala_string(v).expect("serializable")
    }

    #[test]
    fn tuples_and_strings_print_as_scala_does() {
        assert_eq!(s(&("spark".to_string(), 3u64)), "(spark,3)");
        assert_eq!(s(&(("a", 1), "b")), "((a,1),b)");
        assert_eq!(s("plain"), "plain");
        assert_eq!(s(&(1, (2.5, -3i64))), "(1,(2.5,-3))");
        assert_eq!(s(&()), "()");
        assert_eq!(s(&'x'), "x");
        assert_eq!(s(&true), "true");
    }

    #[test]
    fn options_sequences_and_maps() {
        assert_eq!(s(&Some(2)), "Some(2)");
        assert_eq!(s(&None::<i32>), "None");
        assert_eq!(s(&("k", vec![1, 2])), "(k,CompactBuffer(1, 2))");
        assert_eq!(s(&Vec::<u8>::new()), "CompactBuffer()");
        let m: BTreeMap<&str, i32> = [("a", 1), ("b", 2)].into_iter().collect();
        assert_eq!(s(&m), "Map(a -> 1, b -> 2)");
        // groupByKey's and cogroup's shapes.
        assert_eq!(
            s(&("w", (vec![1], Vec::<i32>::new()))),
            "(w,(CompactBuffer(1),CompactBuffer()))"
        );
    }

    #[test]
    fn doubles_and_floats_use_java_notation() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(-0.0), "-0.0");
        assert_eq!(java_double(0.1), "0.1");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(1234567.5), "1234567.5");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.5e-4), "1.5E-4");
        assert_eq!(java_double(-2.5e20), "-2.5E20");
        assert_eq!(java_double(f64::NAN), "NaN");
        assert_eq!(java_double(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(java_float(0.1f32), "0.1");
        assert_eq!(java_float(3.0e9f32), "3.0E9");
    }

    #[derive(serde::Serialize)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[derive(serde::Serialize)]
    struct Meters(f64);

    #[derive(serde::Serialize)]
    enum Event {
        Start,
        Moved(i32, i32),
        Named { name: String },
    }

    #[test]
    fn structs_and_enums_print_as_case_classes() {
        assert_eq!(s(&Point { x: 1, y: 2 }), "Point(1,2)");
        assert_eq!(s(&Meters(2.0)), "Meters(2.0)");
        assert_eq!(s(&Event::Start), "Start");
        assert_eq!(s(&Event::Moved(3, 4)), "Moved(3,4)");
        assert_eq!(
            s(&Event::Named {
                name: "n".to_string()
            }),
            "Named(n)"
        );
    }
}
