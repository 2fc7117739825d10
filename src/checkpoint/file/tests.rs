//! Unit tests of the checkpoint file format: round trips, every kind of damage, the attempt
//! race, part listing rules.
use super::*;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// The partition count test files claim (larger than any index the tests write).
const TEST_PARTS: usize = 1000;

fn pairs(n: u64) -> Vec<(u64, String)> {
    (0..n).map(|i| (i, format!("value-{i}"))).collect()
}

/// A valid partition of a few small pairs; returns (dir guard, path).
fn small_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_partition(dir.path(), 0, TEST_PARTS, 0, pairs(4).into_iter()).unwrap();
    (dir, path)
}

/// A whole file in the module's format around `payload`, with correct checksums.
fn framed(payload: &[u8], count: u64) -> Vec<u8> {
    let header = Header {
        serializer_id: serializer::SERIALIZER_ID,
        count,
        payload_len: payload.len() as u64,
        payload_checksum: xxh64(payload, 0),
        place: Place {
            index: 0,
            num_partitions: 1,
        },
    };
    let mut bytes = header.encode().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

/// Applies `edit` to the header of `path` and makes its header checksum valid again.
fn rewrite_header(path: &Path, edit: impl FnOnce(&mut [u8])) {
    let mut bytes = fs::read(path).unwrap();
    edit(&mut bytes[..HEADER_LEN]);
    let checksum = xxh64(&bytes[0..56], 0);
    bytes[56..64].copy_from_slice(&checksum.to_le_bytes());
    fs::write(path, bytes).unwrap();
}

/// Asserts a CorruptCheckpoint naming `path` (in the field and in the message) whose reason
/// contains `needle`.
fn assert_corrupt(err: Error, path: &Path, needle: &str) {
    let shown = err.to_string();
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    match err {
        Error::CorruptCheckpoint { path: at, reason } => {
            assert_eq!(at, path);
            assert!(
                reason.contains(needle),
                "reason {reason:?} lacks {needle:?}"
            );
        }
        other => panic!("expected CorruptCheckpoint, got {other:?}"),
    }
}

fn read_err<T: DeserializeOwned + Debug>(path: &Path) -> Error {
    read_partition::<T>(path).expect_err("the damage must be detected")
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn xxh64_matches_reference_vectors() {
    assert_eq!(xxh64(b"", 0), 0xef46_db37_51d8_e999);
    assert_eq!(xxh64(b"a", 0), 0xd24e_c4f1_a98c_6e5b);
    assert_eq!(xxh64(b"abc", 0), 0x44bc_2cf5_ad77_0999);
    assert_eq!(
        xxh64(b"Nobody inspects the spammish repetition", 0),
        0xfbce_a83c_8a37_8bf1
    );
    let mut long: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    long.extend_from_slice(b"xyz");
    assert_eq!(xxh64(&long, 0), 0xe146_cb31_b65b_c21a);
}

#[test]
fn xxh64_streaming_equals_one_shot() {
    let data: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
    let whole = xxh64(&data, 0);
    for a in 0..data.len() {
        for b in [a, a + 1, a + 31, a + 33, data.len()] {
            let b = b.min(data.len());
            let mut h = Xxh64::new(0);
            h.update(&data[..a]);
            h.update(&data[a..b]);
            h.update(&data[b..]);
            assert_eq!(h.digest(), whole, "split at {a}, {b}");
        }
    }
}

#[test]
fn round_trips_an_empty_partition() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_partition(dir.path(), 0, TEST_PARTS, 0, std::iter::empty::<u64>()).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), HEADER_LEN as u64);
    assert_eq!(read_partition::<u64>(&path).unwrap(), Vec::<u64>::new());
}

#[test]
fn round_trips_many_elements_across_buffer_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let values = pairs(150_000); // ~4 MiB: several write and read buffers
    let path = write_partition(dir.path(), 12, TEST_PARTS, 3, values.iter()).unwrap();
    assert_eq!(path, dir.path().join("part-00012"));
    assert_eq!(read_partition::<(u64, String)>(&path).unwrap(), values);
}

#[test]
fn round_trips_strings_including_one_larger_than_the_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let values = vec![
        String::new(),
        "héllo wörld ✓".into(),
        "x".repeat(3 * IO_BUF + 5),
        "end".into(),
    ];
    let path = write_partition(dir.path(), 0, TEST_PARTS, 0, values.iter()).unwrap();
    assert_eq!(read_partition::<String>(&path).unwrap(), values);
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Point,
    Circle { r: f64 },
    Poly(Vec<(i32, i32)>),
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u64,
    name: Option<String>,
    tags: BTreeMap<String, Vec<u16>>,
    shapes: Vec<Shape>,
    nested: (bool, Option<Box<Record>>),
}

#[test]
fn round_trips_nested_types() {
    let leaf = Record {
        id: 2,
        name: None,
        tags: BTreeMap::new(),
        shapes: vec![],
        nested: (false, None),
    };
    let values: Vec<Record> = (0..50)
        .map(|i| Record {
            id: i,
            name: Some(format!("r{i}")),
            tags: BTreeMap::from([("a".to_string(), vec![1, 2]), ("b".to_string(), vec![])]),
            shapes: vec![
                Shape::Point,
                Shape::Circle { r: 1.5 },
                Shape::Poly(vec![(1, -1); 3]),
            ],
            nested: (
                true,
                Some(Box::new(Record {
                    id: i,
                    ..leaf_clone(&leaf)
                })),
            ),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = write_partition(dir.path(), 0, TEST_PARTS, 0, values.iter()).unwrap();
    assert_eq!(read_partition::<Record>(&path).unwrap(), values);
}

fn leaf_clone(r: &Record) -> Record {
    Record {
        id: r.id,
        name: r.name.clone(),
        tags: r.tags.clone(),
        shapes: vec![],
        nested: (false, None),
    }
}

#[test]
fn round_trips_zero_sized_elements() {
    let dir = tempfile::tempdir().unwrap();
    let path =
        write_partition(dir.path(), 0, TEST_PARTS, 0, std::iter::repeat_n((), 1000)).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), HEADER_LEN as u64);
    assert_eq!(read_partition::<()>(&path).unwrap().len(), 1000);
}

#[test]
fn header_layout_matches_the_documented_table() {
    let (_dir, path) = small_file();
    let bytes = fs::read(&path).unwrap();
    let payload = &bytes[HEADER_LEN..];
    assert_eq!(
        bytes[0..8],
        [0x89, b'S', b'P', b'K', b'C', b'K', b'P', b'T']
    );
    assert_eq!(bytes[8..12], 2u32.to_le_bytes());
    assert_eq!(bytes[12..16], serializer::SERIALIZER_ID.to_le_bytes());
    assert_eq!(bytes[16..24], 4u64.to_le_bytes());
    assert_eq!(bytes[24..32], (payload.len() as u64).to_le_bytes());
    assert_eq!(bytes[32..40], xxh64(payload, 0).to_le_bytes());
    assert_eq!(bytes[40..48], 0u64.to_le_bytes());
    assert_eq!(bytes[48..56], (TEST_PARTS as u64).to_le_bytes());
    assert_eq!(bytes[56..64], xxh64(&bytes[0..56], 0).to_le_bytes());
    let mut expected = Vec::new();
    for p in pairs(4) {
        serializer::serialize_into(&mut expected, &p).unwrap();
    }
    assert_eq!(payload, expected);
}

#[test]
fn streaming_reader_yields_the_elements_then_ends() {
    let (_dir, path) = small_file();
    let mut reader = PartitionReader::<(u64, String)>::open(&path).unwrap();
    assert_eq!((reader.element_count(), reader.path()), (4, path.as_path()));
    let got: Vec<_> = reader.by_ref().map(|v| v.unwrap()).collect();
    assert_eq!(got, pairs(4));
    assert!(reader.next().is_none());
}

#[test]
fn streaming_reader_reports_damage_instead_of_the_last_element() {
    let (_dir, path) = small_file();
    let mut bytes = fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01; // inside the last string: still decodes
    fs::write(&path, bytes).unwrap();
    let items: Vec<Result<(u64, String)>> = PartitionReader::open(&path).unwrap().collect();
    assert_eq!(items.len(), 4);
    assert!(items[..3].iter().all(|r| r.is_ok()));
    assert_corrupt(items[3].clone().unwrap_err(), &path, "checksum mismatch");
}

#[test]
fn missing_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("part-00000");
    assert_corrupt(read_err::<u64>(&path), &path, "does not exist");
}

#[test]
fn truncated_files_are_corrupt() {
    let (_dir, path) = small_file();
    let bytes = fs::read(&path).unwrap();
    let len = bytes.len();
    for cut in [
        0,
        1,
        20,
        HEADER_LEN - 1,
        HEADER_LEN,
        HEADER_LEN + 1,
        (HEADER_LEN + len) / 2,
        len - 1,
    ] {
        fs::write(&path, &bytes[..cut]).unwrap();
        assert_corrupt(read_err::<(u64, String)>(&path), &path, "truncated");
    }
}

#[test]
fn trailing_bytes_are_corrupt() {
    let (_dir, path) = small_file();
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(b"junk");
    fs::write(&path, bytes).unwrap();
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "4 unexpected bytes",
    );
}

#[test]
fn flipped_byte_at_every_position_is_detected() {
    let (_dir, path) = small_file();
    let good = fs::read(&path).unwrap();
    for pos in 0..good.len() {
        for mask in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[pos] ^= mask;
            fs::write(&path, &bad).unwrap();
            let err = read_err::<(u64, String)>(&path);
            assert!(
                matches!(&err, Error::CorruptCheckpoint { path: p, .. } if p == &path),
                "{pos}: {err}"
            );
        }
    }
}

#[test]
fn wrong_magic_is_corrupt() {
    let (_dir, path) = small_file();
    let mut bytes = fs::read(&path).unwrap();
    bytes[0..8].copy_from_slice(b"PAR1\0\0\0\0");
    fs::write(&path, bytes).unwrap();
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "not a sparklet checkpoint file",
    );
}

#[test]
fn wrong_version_is_corrupt() {
    let (_dir, path) = small_file();
    rewrite_header(&path, |h| h[8..12].copy_from_slice(&3u32.to_le_bytes()));
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "unsupported checkpoint format version 3",
    );
}

#[test]
fn wrong_serializer_id_is_corrupt() {
    let (_dir, path) = small_file();
    rewrite_header(&path, |h| h[12..16].copy_from_slice(&7u32.to_le_bytes()));
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "written with serializer 7",
    );
}

#[test]
fn damaged_header_field_fails_the_header_checksum() {
    let (_dir, path) = small_file();
    let mut bytes = fs::read(&path).unwrap();
    bytes[16] ^= 0x01; // element count
    fs::write(&path, bytes).unwrap();
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "header checksum mismatch",
    );
}

#[test]
fn damaged_payload_fails_the_payload_checksum() {
    let (_dir, path) = small_file();
    let mut bytes = fs::read(&path).unwrap();
    bytes[HEADER_LEN] ^= 0x40; // first element's u64: decodes fine, checksum does not
    fs::write(&path, bytes).unwrap();
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "payload checksum mismatch",
    );
}

#[test]
fn element_count_disagreeing_with_the_payload_is_corrupt() {
    let (_dir, path) = small_file();
    rewrite_header(&path, |h| h[16..24].copy_from_slice(&5u64.to_le_bytes()));
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "element 4 of 5 does not decode",
    );
    rewrite_header(&path, |h| h[16..24].copy_from_slice(&3u64.to_le_bytes()));
    assert_corrupt(
        read_err::<(u64, String)>(&path),
        &path,
        "left after the last of 3 elements",
    );
}

#[test]
fn reading_as_another_type_is_corrupt() {
    let (_dir, path) = small_file();
    assert_corrupt(
        read_err::<(u64, u64, u64)>(&path),
        &path,
        "does not decode as",
    );
}

#[test]
fn huge_declared_lengths_fail_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("part-00000");
    // A string claiming 2^60 bytes, and a count of u64::MAX, both under valid checksums.
    let mut payload = 7u64.to_le_bytes().to_vec();
    payload.extend_from_slice(&(1u64 << 60).to_le_bytes());
    payload.extend_from_slice(b"abc");
    fs::write(&path, framed(&payload, u64::MAX)).unwrap();
    assert_corrupt(read_err::<(u64, String)>(&path), &path, "does not decode");
    assert_corrupt(read_err::<Vec<u64>>(&path), &path, "does not decode");
}

#[test]
fn write_leaves_only_the_final_file() {
    let (dir, _path) = small_file();
    assert_eq!(dir_names(dir.path()), ["part-00000"]);
}

#[test]
fn attempt_race_keeps_the_existing_final_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_partition(dir.path(), 2, TEST_PARTS, 0, [1u32, 2, 3].into_iter()).unwrap();
    let second = write_partition(dir.path(), 2, TEST_PARTS, 1, [9u32].into_iter()).unwrap();
    assert_eq!(first, second);
    assert_eq!(read_partition::<u32>(&first).unwrap(), [1, 2, 3]);
    assert_eq!(dir_names(dir.path()), ["part-00002"]);
}

struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> std::result::Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("boom"))
    }
}

/// Failing element positions: in the first buffer, and after the helper thread started.
const FAIL_AT: [u64; 2] = [2, 400_000];

#[test]
fn serialization_error_deletes_the_temp_file_and_names_it() {
    for fail_at in FAIL_AT {
        let dir = tempfile::tempdir().unwrap();
        let values = (0..fail_at + 5).map(|i| {
            if i < fail_at {
                Ok(i)
            } else {
                Err(Unserializable)
            }
        });
        let err = write_partition(dir.path(), 4, TEST_PARTS, 1, values).unwrap_err();
        let temp = dir.path().join(".part-00004-attempt-1");
        let needle = format!("element {fail_at}");
        assert!(
            matches!(&err, Error::Io { path, message, .. }
                if path == &temp && message.contains(&needle)),
            "{err}"
        );
        assert!(dir_names(dir.path()).is_empty());
    }
}

#[test]
fn panicking_values_iterator_deletes_the_temp_file() {
    for fail_at in FAIL_AT {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let outcome = std::panic::catch_unwind(move || {
            let values = (0..fail_at + 5).map(|i| {
                if i == fail_at {
                    panic!("user code failed")
                } else {
                    i
                }
            });
            write_partition(&d, 0, TEST_PARTS, 0, values)
        });
        assert!(outcome.is_err());
        assert!(dir_names(dir.path()).is_empty());
    }
}

#[test]
fn missing_directory_on_write_is_an_io_error_naming_the_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("rdd-9");
    let err = write_partition(&gone, 0, TEST_PARTS, 0, [1u8].into_iter()).unwrap_err();
    assert!(matches!(&err, Error::Io { path, .. } if path == &gone.join(".part-00000-attempt-0")));
}

#[test]
fn someone_elses_temp_file_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().join(".part-00000-attempt-0");
    fs::write(&temp, b"theirs").unwrap();
    assert!(matches!(
        write_partition(dir.path(), 0, TEST_PARTS, 0, [1u8].into_iter()),
        Err(Error::Io { .. })
    ));
    assert_eq!(fs::read(&temp).unwrap(), b"theirs");
}

#[test]
fn list_of_an_empty_directory_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(list_part_files(dir.path()).unwrap().is_empty());
}

#[test]
fn list_sorts_numerically_and_skips_temp_and_partitioner_files() {
    let dir = tempfile::tempdir().unwrap();
    for i in [10, 3, 0, 7, 1, 2, 4, 5, 6, 8, 9] {
        write_partition(dir.path(), i, TEST_PARTS, 0, [i].into_iter()).unwrap();
    }
    fs::write(dir.path().join(".part-00011-attempt-0"), b"half").unwrap();
    write_partitioner_file(dir.path(), b"p").unwrap();
    let files = list_part_files(dir.path()).unwrap();
    let expected: Vec<PathBuf> = (0..11)
        .map(|i| dir.path().join(part_file_name(i)))
        .collect();
    assert_eq!(files, expected);
}

#[test]
fn list_with_a_gap_names_the_file_after_it() {
    let dir = tempfile::tempdir().unwrap();
    for i in [0, 1, 3] {
        write_partition(dir.path(), i, TEST_PARTS, 0, [i].into_iter()).unwrap();
    }
    let err = list_part_files(dir.path()).unwrap_err();
    assert_corrupt(
        err,
        &dir.path().join("part-00003"),
        "Invalid checkpoint file",
    );
}

#[test]
fn list_rejects_badly_named_part_files() {
    for bad in [
        "part-1",
        "part-abc",
        "part-",
        "part-00000.crc",
        "part-+0001",
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_partition(dir.path(), 0, TEST_PARTS, 0, [0u8].into_iter()).unwrap();
        write_partition(dir.path(), 1, TEST_PARTS, 0, [1u8].into_iter()).unwrap();
        fs::write(dir.path().join(bad), b"").unwrap();
        let err = list_part_files(dir.path()).unwrap_err();
        assert_corrupt(err, &dir.path().join(bad), "Invalid checkpoint file");
    }
}

#[test]
fn list_of_a_missing_directory_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("rdd-3");
    assert_corrupt(
        list_part_files(&gone).unwrap_err(),
        &gone,
        "Checkpoint directory does not exist",
    );
}

#[test]
fn partitioner_file_round_trips_and_is_optional() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(read_partitioner_file(dir.path()).unwrap(), None);
    let path = write_partitioner_file(dir.path(), &[1, 2, 3]).unwrap();
    assert_eq!(path, dir.path().join("_partitioner"));
    assert_eq!(
        read_partitioner_file(dir.path()).unwrap(),
        Some(vec![1, 2, 3])
    );
    write_partitioner_file(dir.path(), &[]).unwrap(); // replaces it
    assert_eq!(read_partitioner_file(dir.path()).unwrap(), Some(vec![]));
    assert_eq!(dir_names(dir.path()), ["_partitioner"]);
}

#[test]
fn damaged_partitioner_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_partitioner_file(dir.path(), b"hash:8").unwrap();
    let good = fs::read(&path).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() - 2] ^= 0x10;
    fs::write(&path, flipped).unwrap();
    assert_corrupt(
        read_partitioner_file(dir.path()).unwrap_err(),
        &path,
        "checksum mismatch",
    );
    fs::write(&path, &good[..good.len() - 1]).unwrap();
    assert_corrupt(
        read_partitioner_file(dir.path()).unwrap_err(),
        &path,
        "truncated",
    );
    fs::remove_file(&path).unwrap();
    write_framed(
        &path,
        Place {
            index: 0,
            num_partitions: 1,
        },
        [vec![1u8], vec![2]].into_iter(),
    )
    .unwrap();
    assert_corrupt(
        read_partitioner_file(dir.path()).unwrap_err(),
        &path,
        "expected exactly one element",
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_flipped_byte_of_any_partition_is_detected(
        values in proptest::collection::vec((any::<u64>(), ".{0,12}"), 0..20),
        at in any::<proptest::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_partition(dir.path(), 0, TEST_PARTS, 0, values.iter()).unwrap();
        prop_assert_eq!(&read_partition::<(u64, String)>(&path).unwrap(), &values);
        let mut bytes = fs::read(&path).unwrap();
        let pos = at.index(bytes.len());
        bytes[pos] ^= mask;
        fs::write(&path, &bytes).unwrap();
        let err = read_partition::<(u64, String)>(&path).unwrap_err();
        let names_it = matches!(&err, Error::CorruptCheckpoint { path: p, .. } if p == &path);
        prop_assert!(names_it, "{}", err);
    }

    #[test]
    fn arbitrary_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-00000");
        fs::write(&path, &bytes).unwrap();
        prop_assert!(read_partition::<(u64, String)>(&path).is_err());
    }

    #[test]
    fn garbage_payload_under_valid_checksums_never_panics_or_overallocates(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        count in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-00000");
        fs::write(&path, framed(&payload, count)).unwrap();
        let _ = read_partition::<(u64, String, Vec<u32>, Option<Vec<String>>)>(&path);
        let _ = read_partition::<BTreeMap<String, Vec<u64>>>(&path);
        let _ = read_partition::<Shape>(&path);
    }
}

/// Issue 16, defect 5: a part of zero-sized elements whose header claims 2^40 of them (checksums
/// valid) is refused at once instead of decoding `()` for hours.
#[test]
fn a_huge_count_of_zero_sized_elements_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_partition(dir.path(), 0, TEST_PARTS, 0, std::iter::repeat_n((), 3)).unwrap();
    rewrite_header(&path, |h| {
        h[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes())
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.clone();
    std::thread::spawn(move || {
        let _ = tx.send(read_partition::<()>(&p).map(|v| v.len()));
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("reading 2^40 zero-sized elements hung");
    assert_corrupt(result.unwrap_err(), &path, "zero-sized");
}

/// Issue 16, defect 5: a count the payload cannot hold (valid checksums) is refused before any
/// element is decoded.
#[test]
fn a_count_larger_than_the_payload_is_refused() {
    let (_dir, path) = small_file();
    rewrite_header(&path, |h| {
        h[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes())
    });
    assert_corrupt(read_err::<(u64, String)>(&path), &path, "payload has only");
}

/// Issue 16, defect 5: 3 GiB of trailing bytes (a sparse file, no disk used) are found from the
/// file's metadata, before anything is read into memory.
#[test]
fn gigabytes_of_trailing_bytes_are_refused_from_the_file_size() {
    let (_dir, path) = small_file();
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(3 << 30).unwrap();
    drop(file);
    assert_corrupt(read_err::<(u64, String)>(&path), &path, "unexpected bytes");
}

/// Issue 16, defect 6: a version 1 file (no partition index and count) is refused with a
/// message saying what to do.
#[test]
fn a_version_1_file_is_refused_clearly() {
    let (_dir, path) = small_file();
    let mut bytes = fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    bytes.truncate(48);
    fs::write(&path, &bytes).unwrap();
    assert_corrupt(read_err::<(u64, String)>(&path), &path, "version 1");
}

/// Issue 16, defect 6: a part read in another place than its header names is refused.
#[test]
fn a_part_read_in_another_place_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_partition(dir.path(), 1, 3, 0, [1u8].into_iter()).unwrap();
    let reader = PartitionReader::<u8>::open(&path).unwrap();
    reader.check_place(1, 3).unwrap();
    assert_corrupt(
        reader.check_place(0, 3).unwrap_err(),
        &path,
        "partition 1 of 3",
    );
    assert_corrupt(
        reader.check_place(1, 2).unwrap_err(),
        &path,
        "partition 1 of 3",
    );
}

/// What is written must be readable: more elements than bytes is refused at write time.
#[test]
fn elements_that_serialize_to_nothing_are_refused_at_write() {
    #[derive(Serialize)]
    struct Skipped {
        #[serde(skip)]
        _x: u32,
    }
    let dir = tempfile::tempdir().unwrap();
    let values = (0..3).map(|_| Skipped { _x: 1 });
    let err = write_partition(dir.path(), 0, TEST_PARTS, 0, values).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(
        fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no file left"
    );
}
