//! Where mapWithState keeps its state: [`StateStore::in_memory`] (Spark's `StateMap` inside the
//! state RDD, the default) or [`StateStore::redis`] (a real Redis server, see
//! `streaming/state/redis_store.rs`).

use std::fmt;
use std::sync::Arc;

use crate::error::Result;
use crate::streaming::state::redis_store::RedisServer;

/// The state store of a [`StateSpec`](crate::streaming::StateSpec).
///
/// ```
/// use sparklet::streaming::StateStore;
/// assert_eq!(StateStore::in_memory().to_string(), "in_memory");
/// let redis = StateStore::redis("redis://127.0.0.1:6379/0").unwrap();
/// assert_eq!(redis.to_string(), "redis(redis://127.0.0.1:6379/0)");
/// assert!(StateStore::redis("http://nowhere").is_err());
/// ```
#[derive(Clone, Default)]
pub struct StateStore {
    redis: Option<Arc<RedisServer>>,
}

impl StateStore {
    /// The default: each partition's state is a `StateMap` in the state RDD's record, as in
    /// Spark.
    pub fn in_memory() -> StateStore {
        StateStore::default()
    }

    /// The state lives in the Redis server at `url` (`redis://host:port/db`). The URL is checked
    /// now; the server is reached by the first batch (an unreachable server fails its tasks,
    /// and the job aborts with an error naming the server).
    pub fn redis(url: &str) -> Result<StateStore> {
        Ok(StateStore {
            redis: Some(Arc::new(RedisServer::open(url)?)),
        })
    }

    pub(crate) fn redis_server(&self) -> Option<&Arc<RedisServer>> {
        self.redis.as_ref()
    }
}

impl fmt::Display for StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.redis {
            None => write!(f, "in_memory"),
            Some(server) => write!(f, "redis({})", server.name()),
        }
    }
}

impl fmt::Debug for StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateStore({self})")
    }
}
