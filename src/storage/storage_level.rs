//! Storage levels (Spark's `StorageLevel`): where and how a persisted RDD's blocks are kept.

use std::fmt;

/// How an RDD's partitions are kept once computed: in memory (as values, or serialized), on
/// disk, both, and on how many executors. Equality is by flags and replication, as in Spark.
///
/// ```
/// use sparklet::prelude::*;
/// assert_eq!(StorageLevel::MEMORY_ONLY.to_string(), "Memory Deserialized 1x Replicated");
/// assert_eq!(StorageLevel::DISK_ONLY_2.replication(), 2);
/// assert!(StorageLevel::MEMORY_AND_DISK_SER.use_disk() && !StorageLevel::MEMORY_AND_DISK_SER.deserialized());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct StorageLevel {
    use_disk: bool,
    use_memory: bool,
    use_off_heap: bool,
    deserialized: bool,
    replication: u8,
}

const fn level(
    use_disk: bool,
    use_memory: bool,
    use_off_heap: bool,
    deserialized: bool,
    replication: u8,
) -> StorageLevel {
    StorageLevel {
        use_disk,
        use_memory,
        use_off_heap,
        deserialized,
        replication,
    }
}

impl StorageLevel {
    /// A level of these flags (where one copy of a block is kept, for listeners).
    pub(crate) fn from_flags(
        use_disk: bool,
        use_memory: bool,
        use_off_heap: bool,
        deserialized: bool,
        replication: usize,
    ) -> StorageLevel {
        let replication = u8::try_from(replication).unwrap_or(u8::MAX);
        level(
            use_disk,
            use_memory,
            use_off_heap,
            deserialized,
            replication,
        )
    }

    /// Not persisted.
    pub const NONE: StorageLevel = level(false, false, false, false, 1);
    /// Serialized on disk.
    pub const DISK_ONLY: StorageLevel = level(true, false, false, false, 1);
    /// Serialized on disk, on two executors.
    pub const DISK_ONLY_2: StorageLevel = level(true, false, false, false, 2);
    /// Serialized on disk, on three executors.
    pub const DISK_ONLY_3: StorageLevel = level(true, false, false, false, 3);
    /// Values in memory; dropped (and recomputed) when memory runs out.
    pub const MEMORY_ONLY: StorageLevel = level(false, true, false, true, 1);
    /// Values in memory, on two executors.
    pub const MEMORY_ONLY_2: StorageLevel = level(false, true, false, true, 2);
    /// Serialized bytes in memory.
    pub const MEMORY_ONLY_SER: StorageLevel = level(false, true, false, false, 1);
    /// Serialized bytes in memory, on two executors.
    pub const MEMORY_ONLY_SER_2: StorageLevel = level(false, true, false, false, 2);
    /// Values in memory, spilled to disk when memory runs out.
    pub const MEMORY_AND_DISK: StorageLevel = level(true, true, false, true, 1);
    /// Values in memory or on disk, on two executors.
    pub const MEMORY_AND_DISK_2: StorageLevel = level(true, true, false, true, 2);
    /// Serialized bytes in memory, spilled to disk.
    pub const MEMORY_AND_DISK_SER: StorageLevel = level(true, true, false, false, 1);
    /// Serialized bytes in memory or on disk, on two executors.
    pub const MEMORY_AND_DISK_SER_2: StorageLevel = level(true, true, false, false, 2);
    /// Off-heap memory (served here as serialized memory with disk spill, see DESIGN.md).
    pub const OFF_HEAP: StorageLevel = level(true, true, true, false, 1);

    /// Whether blocks may be kept on disk.
    pub fn use_disk(&self) -> bool {
        self.use_disk
    }
    /// Whether blocks may be kept in memory.
    pub fn use_memory(&self) -> bool {
        self.use_memory
    }
    /// Whether memory blocks are off-heap.
    pub fn use_off_heap(&self) -> bool {
        self.use_off_heap
    }
    /// Whether memory blocks hold values (true) or serialized bytes (false).
    pub fn deserialized(&self) -> bool {
        self.deserialized
    }
    /// On how many executors each block is kept.
    pub fn replication(&self) -> usize {
        self.replication as usize
    }
    /// Spark's `isValid`: some place to store, and at least one copy.
    pub fn is_valid(&self) -> bool {
        (self.use_memory || self.use_disk) && self.replication > 0
    }

    /// Spark's `StorageLevel.fromString`: exactly the constant names.
    pub fn from_name(name: &str) -> crate::Result<StorageLevel> {
        NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, l)| *l)
            .ok_or_else(|| crate::Error::InvalidArgument(format!("Invalid StorageLevel: {name}")))
    }

    /// The same level with disk forced on (Spark's
    /// `LocalRDDCheckpointData.transformStorageLevel`).
    pub(crate) fn with_disk(self) -> StorageLevel {
        StorageLevel {
            use_disk: true,
            ..self
        }
    }

    /// The constant's name, when this level is one of them.
    #[cfg(test)]
    pub(crate) fn name(&self) -> Option<&'static str> {
        NAMED.iter().find(|(_, l)| l == self).map(|(n, _)| *n)
    }
}

const NAMED: [(&str, StorageLevel); 13] = [
    ("NONE", StorageLevel::NONE),
    ("DISK_ONLY", StorageLevel::DISK_ONLY),
    ("DISK_ONLY_2", StorageLevel::DISK_ONLY_2),
    ("DISK_ONLY_3", StorageLevel::DISK_ONLY_3),
    ("MEMORY_ONLY", StorageLevel::MEMORY_ONLY),
    ("MEMORY_ONLY_2", StorageLevel::MEMORY_ONLY_2),
    ("MEMORY_ONLY_SER", StorageLevel::MEMORY_ONLY_SER),
    ("MEMORY_ONLY_SER_2", StorageLevel::MEMORY_ONLY_SER_2),
    ("MEMORY_AND_DISK", StorageLevel::MEMORY_AND_DISK),
    ("MEMORY_AND_DISK_2", StorageLevel::MEMORY_AND_DISK_2),
    ("MEMORY_AND_DISK_SER", StorageLevel::MEMORY_AND_DISK_SER),
    ("MEMORY_AND_DISK_SER_2", StorageLevel::MEMORY_AND_DISK_SER_2),
    ("OFF_HEAP", StorageLevel::OFF_HEAP),
];

impl fmt::Display for StorageLevel {
    /// Spark's `description`: "Disk Memory Deserialized 1x Replicated".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        if self.use_disk {
            s.push_str("Disk ");
        }
        if self.use_memory {
            s.push_str(if self.use_off_heap {
                "Memory (off heap) "
            } else {
                "Memory "
            });
        }
        s.push_str(if self.deserialized {
            "Deserialized "
        } else {
            "Serialized "
        });
        write!(f, "{s}{}x Replicated", self.replication)
    }
}

impl fmt::Debug for StorageLevel {
    /// Spark's `toString`: `StorageLevel(disk, memory, deserialized, 1 replicas)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut flags = Vec::new();
        if self.use_disk {
            flags.push("disk");
        }
        if self.use_memory {
            flags.push("memory");
        }
        if self.use_off_heap {
            flags.push("offheap");
        }
        if self.deserialized {
            flags.push("deserialized");
        }
        write!(
            f,
            "StorageLevel({}, {} replicas)",
            flags.join(", "),
            self.replication
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_match_spark() {
        assert_eq!(
            StorageLevel::MEMORY_AND_DISK.to_string(),
            "Disk Memory Deserialized 1x Replicated"
        );
        assert_eq!(
            StorageLevel::DISK_ONLY_3.to_string(),
            "Disk Serialized 3x Replicated"
        );
        assert_eq!(
            StorageLevel::MEMORY_ONLY_SER_2.to_string(),
            "Memory Serialized 2x Replicated"
        );
        assert_eq!(StorageLevel::NONE.to_string(), "Serialized 1x Replicated");
        assert_eq!(
            StorageLevel::OFF_HEAP.to_string(),
            "Disk Memory (off heap) Serialized 1x Replicated"
        );
    }

    #[test]
    fn names_round_trip_and_bad_names_fail() {
        for (name, level) in NAMED {
            assert_eq!(StorageLevel::from_name(name).unwrap(), level);
            assert_eq!(level.name(), Some(name));
        }
        assert!(StorageLevel::from_name("MEMORY").is_err());
        assert!(!StorageLevel::NONE.is_valid());
    }

    #[test]
    fn local_checkpoint_transform() {
        assert_eq!(StorageLevel::NONE.with_disk(), StorageLevel::DISK_ONLY);
        assert_eq!(
            StorageLevel::MEMORY_ONLY.with_disk(),
            StorageLevel::MEMORY_AND_DISK
        );
        assert_eq!(
            StorageLevel::MEMORY_ONLY_SER_2.with_disk(),
            StorageLevel::MEMORY_AND_DISK_SER_2
        );
        assert_eq!(
            StorageLevel::DISK_ONLY_3.with_disk(),
            StorageLevel::DISK_ONLY_3
        );
    }
}
