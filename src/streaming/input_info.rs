//! Spark's `InputInfoTracker`: per batch, what each input stream took in (`StreamInputInfo`:
//! the stream id and its number of records).
//!
//! Receiver streams report the records of the blocks allocated to the batch (the sum of the
//! blocks' `numRecords`, as Spark's `ReceiverInputDStream.compute`); file streams report 0
//! records (Spark's `FileInputDStream` knows only the files); queue streams report nothing, so
//! their batches count 0 records, as in Spark. A batch's `Num Records` is the sum over its
//! streams ([`InputInfoTracker::num_records`], Spark's `BatchInfo.numRecords`).
//!
//! Layering: a leaf of the streaming env; runs no job and no user code.

use std::collections::BTreeMap;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::streaming::time::Time;

/// Spark's `StreamInputInfo` (without its metadata map).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StreamInputInfo {
    pub(crate) input_stream_id: usize,
    pub(crate) num_records: u64,
}

/// Spark's `InputInfoTracker`.
#[derive(Default)]
pub(crate) struct InputInfoTracker {
    batch_time_to_input_infos: Mutex<BTreeMap<Time, BTreeMap<usize, StreamInputInfo>>>,
}

impl InputInfoTracker {
    /// Spark's `reportInfo`: a stream reports once per batch; a second report is an illegal
    /// state (Spark's message).
    pub(crate) fn report_info(&self, batch_time: Time, info: StreamInputInfo) -> Result<()> {
        let mut all = self.batch_time_to_input_infos.lock();
        let infos = all.entry(batch_time).or_default();
        if infos.contains_key(&info.input_stream_id) {
            return Err(Error::IllegalState(format!(
                "Input stream {} for batch {} is already added into InputInfoTracker, this is a \
                 illegal state",
                info.input_stream_id, batch_time
            )));
        }
        infos.insert(info.input_stream_id, info);
        Ok(())
    }

    /// Spark's `getInfo`: every input stream's report for `batch_time` (id order).
    pub(crate) fn get_info(&self, batch_time: Time) -> Vec<StreamInputInfo> {
        self.batch_time_to_input_infos
            .lock()
            .get(&batch_time)
            .map(|m| m.values().copied().collect())
            .unwrap_or_default()
    }

    /// Spark's `BatchInfo.numRecords`: the records of every input stream of the batch.
    pub(crate) fn num_records(&self, batch_time: Time) -> u64 {
        self.get_info(batch_time)
            .iter()
            .map(|i| i.num_records)
            .fold(0, u64::saturating_add)
    }

    /// Spark's `cleanup`: forgets the batches before `batch_thresh_time`.
    pub(crate) fn cleanup(&self, batch_thresh_time: Time) {
        let mut all = self.batch_time_to_input_infos.lock();
        *all = all.split_off(&batch_thresh_time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: usize, n: u64) -> StreamInputInfo {
        StreamInputInfo {
            input_stream_id: id,
            num_records: n,
        }
    }

    /// Spark: InputInfoTrackerSuite "test report and get InputInfo from InputInfoTracker"
    #[test]
    fn report_and_get_info() {
        let tracker = InputInfoTracker::default();
        let time = Time::new(0);
        tracker.report_info(time, info(0, 100)).unwrap();
        tracker.report_info(time, info(1, 200)).unwrap();
        assert_eq!(tracker.get_info(time), vec![info(0, 100), info(1, 200)]);
        assert_eq!(tracker.num_records(time), 300);
        assert!(tracker.get_info(Time::new(1)).is_empty());
        let again = tracker.report_info(time, info(0, 1)).unwrap_err();
        assert!(again
            .to_string()
            .contains("already added into InputInfoTracker"));
    }

    /// Spark: InputInfoTrackerSuite "test cleanup InputInfo from InputInfoTracker"
    #[test]
    fn cleanup_forgets_older_batches() {
        let tracker = InputInfoTracker::default();
        tracker.report_info(Time::new(0), info(0, 100)).unwrap();
        tracker.report_info(Time::new(1), info(0, 200)).unwrap();
        tracker.cleanup(Time::new(1));
        assert!(tracker.get_info(Time::new(0)).is_empty());
        assert_eq!(tracker.get_info(Time::new(1)), vec![info(0, 200)]);
        tracker.cleanup(Time::new(2));
        assert!(tracker.get_info(Time::new(1)).is_empty());
    }
}
