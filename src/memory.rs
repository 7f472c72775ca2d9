//! wgact's account of the device memory it holds, and the budget every
//! allocation must fit in.
//!
//! wgpu gives no portable way to ask how much memory a device has, and a
//! driver asked for more than it has may fail late (after other parts of a
//! tensor were made), overcommit, or on a CPU adapter take the host down with
//! it. So wgact charges every storage buffer it creates to a ledger and
//! refuses, with [`Error::OutOfMemory`], a tensor that would take the ledger
//! past the budget — before any buffer of it is made. On CPU adapters
//! (lavapipe, llvmpipe), whose "device memory" is the host's, the default
//! budget is three quarters of the host memory available when the context is
//! made; elsewhere there is none by default and the driver's own
//! out-of-memory report becomes the same error.

use crate::{Error, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const UNLIMITED: u64 = u64::MAX;

#[derive(Debug)]
pub(crate) struct Memory {
    live: AtomicU64,
    budget: AtomicU64,
}

/// Bytes charged to the ledger, given back when dropped (with the buffer).
#[derive(Debug)]
pub(crate) struct Charge {
    memory: Arc<Memory>,
    bytes: u64,
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.memory.live.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

impl Memory {
    pub(crate) fn new(budget: Option<u64>) -> Self {
        Memory {
            live: AtomicU64::new(0),
            budget: AtomicU64::new(budget.unwrap_or(UNLIMITED)),
        }
    }

    pub(crate) fn live(&self) -> u64 {
        self.live.load(Ordering::Acquire)
    }

    pub(crate) fn budget(&self) -> Option<u64> {
        Some(self.budget.load(Ordering::Acquire)).filter(|&b| b != UNLIMITED)
    }

    pub(crate) fn set_budget(&self, budget: Option<u64>) {
        self.budget
            .store(budget.unwrap_or(UNLIMITED), Ordering::Release);
    }

    fn refusal(&self, what: &str, bytes: u64, live: u64) -> Error {
        let budget = self.budget.load(Ordering::Acquire);
        Error::OutOfMemory(format!(
            "{what} needs {bytes} bytes; wgact holds {live} of its {budget}-byte budget \
             (see Context::set_memory_budget)"
        ))
    }

    /// `Ok` when `bytes` more would fit in the budget now (nothing charged).
    pub(crate) fn check(&self, what: &str, bytes: u64) -> Result<()> {
        let live = self.live();
        match live.checked_add(bytes) {
            Some(total) if total <= self.budget.load(Ordering::Acquire) => Ok(()),
            _ => Err(self.refusal(what, bytes, live)),
        }
    }

    /// Charges `bytes` to the ledger, or refuses if the budget would be passed.
    pub(crate) fn reserve(self: &Arc<Self>, what: &str, bytes: u64) -> Result<Charge> {
        let budget = self.budget.load(Ordering::Acquire);
        let mut live = self.live();
        loop {
            let Some(total) = live.checked_add(bytes).filter(|&t| t <= budget) else {
                return Err(self.refusal(what, bytes, live));
            };
            match self
                .live
                .compare_exchange_weak(live, total, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    return Ok(Charge {
                        memory: self.clone(),
                        bytes,
                    });
                }
                Err(now) => live = now,
            }
        }
    }
}

/// The default budget for an adapter of `device_type`: 3/4 of the host's
/// available memory for CPU adapters (Linux; none where it cannot be read),
/// none for GPUs.
pub(crate) fn default_budget(device_type: Option<wgpu::DeviceType>) -> Option<u64> {
    if device_type != Some(wgpu::DeviceType::Cpu) {
        return None;
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib.saturating_mul(1024) / 4 * 3)
}
