//! Bind groups of buffer dispatches, kept for reuse: an op repeated on the
//! same tensors with the same parameters skips creating its uniforms and bind
//! groups. Entries go when a tensor whose buffer they bind is dropped, so the
//! cache never keeps a tensor's memory alive (softmax's scratch buffers are
//! the context's own).

use crate::kernels::Kernel;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bind groups kept at most (least recently used go first).
const CAPACITY: usize = 64;

/// What a bind group binds: the kernel, its uniform's bytes, and each
/// storage binding (binding, buffer, offset, size).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub kernel: Kernel,
    pub params: Vec<u8>,
    pub storage: Vec<(u32, wgpu::Buffer, u64, u64)>,
}

#[derive(Debug, Default)]
pub(crate) struct BindCache {
    entries: Mutex<Vec<(Key, wgpu::BindGroup)>>,
    /// Bind groups made (misses), for tests and `Context::bind_groups_made`.
    pub(crate) made: AtomicU64,
}

impl BindCache {
    /// The bind group for `key`, made by `make` on a miss.
    pub(crate) fn get(&self, key: Key, make: impl FnOnce() -> wgpu::BindGroup) -> wgpu::BindGroup {
        {
            let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = e.iter().position(|(k, _)| *k == key) {
                let hit = e.remove(i);
                let bind = hit.1.clone();
                e.push(hit);
                return bind;
            }
        }
        let bind = make();
        self.made.fetch_add(1, Ordering::Relaxed);
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if e.len() >= CAPACITY {
            e.remove(0);
        }
        e.push((key, bind.clone()));
        bind
    }

    /// Forgets every bind group that binds `buffer`.
    pub(crate) fn forget(&self, buffer: &wgpu::Buffer) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(k, _)| !k.storage.iter().any(|s| &s.1 == buffer));
    }
}
