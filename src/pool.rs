//! Reuse of the buffers behind op outputs and intermediates.
//!
//! A dropped pooled tensor gives its buffer back; the next op output of a
//! fitting size takes it instead of allocating. Reuse is safe because wgpu
//! runs submissions in order: a later submission's writes come after every
//! earlier read. Buffers referenced by an open [`Chain`](crate::Chain) are
//! held back until it is submitted.

use crate::memory::Charge;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A buffer wgact made, with its charge to the memory ledger.
pub(crate) type Owned = (wgpu::Buffer, Option<Charge>);

/// Free buffers kept at most, by count and by bytes (the oldest go first).
const MAX_FREE: usize = 32;
const MAX_FREE_BYTES: u64 = 512 << 20;

#[derive(Default, Debug)]
pub(crate) struct Pool {
    free: Mutex<Vec<Owned>>,
    /// Buffers referenced by unsubmitted chains (a buffer may appear twice).
    busy: Mutex<Vec<wgpu::Buffer>>,
    pub(crate) allocations: AtomicU64,
}

impl Pool {
    /// The smallest free buffer of at least `size` bytes and at most twice that.
    pub(crate) fn take(&self, size: u64) -> Option<Owned> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        let best = free
            .iter()
            .enumerate()
            .filter(|(_, (b, _))| b.size() >= size && b.size() <= size.saturating_mul(2).max(256))
            .filter(|(_, (b, _))| !busy.contains(b))
            .min_by_key(|(_, (b, _))| b.size())
            .map(|(i, _)| i)?;
        Some(free.swap_remove(best))
    }

    pub(crate) fn give(&self, b: Owned) {
        if b.0.size() > MAX_FREE_BYTES {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        free.push(b);
        let mut bytes: u64 = free.iter().map(|b| b.0.size()).sum();
        while free.len() > MAX_FREE || bytes > MAX_FREE_BYTES {
            bytes -= free.remove(0).0.size();
        }
    }

    /// Drops every free buffer (their memory goes back to the device and the
    /// ledger): what an allocation that does not fit tries before giving up.
    pub(crate) fn clear(&self) -> bool {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let had = !free.is_empty();
        free.clear();
        had
    }

    pub(crate) fn mark_busy(&self, b: &wgpu::Buffer) {
        self.busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(b.clone());
    }

    pub(crate) fn release(&self, bs: &[wgpu::Buffer]) {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        for b in bs {
            if let Some(i) = busy.iter().position(|x| x == b) {
                busy.swap_remove(i);
            }
        }
    }

    pub(crate) fn count_allocation(&self) {
        self.allocations.fetch_add(1, Ordering::Relaxed);
    }
}
