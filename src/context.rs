//! The context: adapter, device, queue, limits, pipelines and staging buffer,
//! set up once.

use crate::kernels::Registry;
use crate::memory::Memory;
use crate::pool::Pool;
use crate::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How to pick the adapter. `Default` honours `WGPU_BACKEND` and
/// `WGPU_ADAPTER_NAME`.
#[derive(Clone, Debug, Default)]
pub struct ContextOptions {
    /// Backends to consider; `None` reads `WGPU_BACKEND` (all when unset).
    pub backends: Option<wgpu::Backends>,
    /// Case-insensitive substring of the adapter name; `None` reads
    /// `WGPU_ADAPTER_NAME` (any when unset).
    pub adapter_name: Option<String>,
    /// Caps the storage-binding size wgact uses (bytes), e.g. to exercise the
    /// code that splits large tensors across bindings. `None`: the device limit.
    pub max_binding_size: Option<u64>,
    /// Caps the buffer size wgact allocates (bytes), e.g. to exercise tensors
    /// that span several buffers. `None`: the device limit.
    pub max_buffer_size: Option<u64>,
    /// Caps the workgroups per dispatch dimension wgact uses, e.g. to exercise
    /// the folding of large dispatches into y. `None`: the device limit.
    pub max_workgroups_per_dimension: Option<u32>,
    /// GPU-style softmax: short contiguous rows in one pass through workgroup
    /// memory (one read, one write), longer ones a workgroup per row in both
    /// passes. `None`: on GPUs, not on CPU adapters such as llvmpipe, where a
    /// workgroup's barriers cost more than a second read.
    pub softmax_single_pass: Option<bool>,
    /// Threads per workgroup (a power of two, 32 to 256), e.g. to exercise the
    /// kernels at other sizes. `None`: 256, or less where the adapter's limits
    /// require it.
    pub workgroup_size: Option<u32>,
    /// The most device memory (bytes) wgact's own buffers may hold at once;
    /// a tensor past it is refused with [`Error::OutOfMemory`] before any
    /// work. `None`: on CPU adapters 3/4 of the host memory available when
    /// the context is made, elsewhere no budget (the driver's out-of-memory
    /// report gives the same error). See [`Context::set_memory_budget`].
    pub memory_budget: Option<u64>,
    /// How f16 tensors are read and written: `Some(true)` as pairs packed
    /// in `u32` words (integer decoding and rounding), `Some(false)` through
    /// WGSL's `f16` where the device has `shader-f16` (packed where it does
    /// not). `None`: WGSL's `f16` where offered, except on CPU adapters
    /// (lavapipe), where the packed path measures faster (linear at 2^24:
    /// 11-12 ms packed against 17 ms through f16, whose conversions Mesa
    /// runs in software there).
    pub packed_f16: Option<bool>,
    /// Whether the kernels may take the device's f32 division as correctly
    /// rounded and skip the correction step of every quotient (WGSL allows
    /// 2.5 ULP, so by default each quotient gets an exact residual and one
    /// correction). `None`: on CPU adapters, whose division is LLVM's
    /// correctly rounded one (`tests/division.rs` checks it there), and
    /// where the correction costs up to half of an op's time (sigmoid at
    /// 2^24 on lavapipe).
    pub exact_division: Option<bool>,
}

/// One adapter as `wgact info` reports it.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
}

/// Device, queue and the pipeline registry (pipelines built on first use),
/// set up once and shared by all ops.
///
/// `Context` is `Send + Sync`: ops may run from several threads at once.
///
/// ```no_run
/// let ctx = wgact::Context::new()?;
/// let x = ctx.upload(&[-1.0, 0.0, 2.0], &[3])?;
/// let y = ctx.sigmoid(&x)?;
/// println!("{:?}", ctx.read(&y)?);
/// # Ok::<(), wgact::Error>(())
/// ```
pub struct Context {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: Option<wgpu::AdapterInfo>,
    pub(crate) limits: wgpu::Limits,
    pub(crate) max_binding: u64,
    /// Elements one buffer holds (device limit or ContextOptions cap).
    pub(crate) max_buffer_elems: usize,
    pub(crate) max_groups: u32,
    pub(crate) wg_size: u32,
    pub(crate) softmax_single_pass: bool,
    /// f16 through WGSL's `f16` (else packed in `u32` words).
    pub(crate) native_f16: bool,
    pub(crate) kernels: Registry,
    /// Reused readback buffer; the lock is held from copy to unmap, so it is
    /// never reused before its previous map has resolved.
    pub(crate) staging: Mutex<Option<wgpu::Buffer>>,
    pub(crate) pool: Arc<Pool>,
    /// The ledger of device memory wgact holds, and its budget.
    pub(crate) memory: Arc<Memory>,
    pub(crate) binds: Arc<crate::bindcache::BindCache>,
    /// Softmax's scratch buffers (stats, partials), reused across ops.
    pub(crate) scratch: Mutex<[Option<wgpu::Buffer>; 2]>,
    pub(crate) submissions: AtomicU64,
    /// Why the device was lost, once it is (set by wgpu's device-lost
    /// callback); every call then returns [`Error::DeviceLost`].
    pub(crate) lost: Lost,
    pub(crate) texture_pipelines: crate::ops::TexturePipelines,
}

/// Threads per workgroup: 256, or the largest power of two the adapter's
/// limits allow (OpenGL ES 3.1 guarantees only 128).
fn workgroup_size(limits: &wgpu::Limits, asked: Option<u32>) -> Result<u32> {
    let cap = limits
        .max_compute_invocations_per_workgroup
        .min(limits.max_compute_workgroup_size_x)
        .clamp(1, 256);
    let fit = 1u32 << (31 - cap.leading_zeros());
    match asked {
        None => Ok(fit),
        // At least 32: llvmpipe's loop cap bounds the elements per thread.
        Some(w) if w.is_power_of_two() && (32..=fit).contains(&w) => Ok(w),
        Some(w) => Err(Error::InvalidParameter {
            name: "workgroup_size",
            value: w as f32,
            reason: "must be a power of two from 32 to 256, within the adapter's limits",
        }),
    }
}

fn backends_from(opts: &ContextOptions) -> wgpu::Backends {
    opts.backends
        .or_else(wgpu::Backends::from_env)
        .unwrap_or(wgpu::Backends::all())
}

fn name_filter(opts: &ContextOptions) -> Option<String> {
    opts.adapter_name
        .clone()
        .or_else(|| std::env::var("WGPU_ADAPTER_NAME").ok())
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase())
}

fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// Lower is better: real GPUs before software ones, Vulkan before GL.
fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let ty = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let be = match info.backend {
        wgpu::Backend::Vulkan => 0,
        wgpu::Backend::Metal => 1,
        wgpu::Backend::Dx12 => 2,
        wgpu::Backend::Gl => 3,
        _ => 4,
    };
    (ty, be)
}

/// A one-line description of an adapter.
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}

/// Every adapter on the backends selected by `opts` (names are not filtered).
pub fn enumerate_adapters(opts: &ContextOptions) -> Vec<AdapterSummary> {
    let inst = instance(backends_from(opts));
    let mut v: Vec<AdapterSummary> =
        pollster::block_on(inst.enumerate_adapters(backends_from(opts)))
            .into_iter()
            .map(|a| AdapterSummary {
                info: a.get_info(),
                limits: a.limits(),
            })
            .collect();
    v.sort_by_key(|a| rank(&a.info));
    v
}

impl Context {
    /// A context on the best adapter, honouring `WGPU_BACKEND` and
    /// `WGPU_ADAPTER_NAME`.
    pub fn new() -> Result<Self> {
        Self::with_options(ContextOptions::default())
    }

    /// A context on the adapter chosen by `opts`, with the adapter's own limits.
    pub fn with_options(opts: ContextOptions) -> Result<Self> {
        let backends = backends_from(&opts);
        let name = name_filter(&opts);
        let inst = instance(backends);
        let mut adapters = pollster::block_on(inst.enumerate_adapters(backends));
        let seen: Vec<String> = adapters.iter().map(|a| describe(&a.get_info())).collect();
        adapters.retain(|a| match &name {
            Some(n) => a.get_info().name.to_lowercase().contains(n),
            None => true,
        });
        adapters.sort_by_key(|a| rank(&a.get_info()));
        let Some(adapter) = adapters.into_iter().next() else {
            return Err(Error::NoAdapter {
                backends: format!("{backends:?}"),
                name,
                seen,
            });
        };
        let (device, queue) =
            pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
                label: Some("wgact"),
                // Timestamps only where offered: Context::time falls back to
                // the wall clock without them.
                // and WGSL's f16 where offered (16-bit tensors use it).
                required_features: adapter.features()
                    & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SHADER_F16),
                // The adapter's own limits, not wgpu's small defaults.
                required_limits: adapter.limits(),
                ..Default::default()
            }))?;
        // Everything wgact does runs inside error scopes; anything that still
        // escapes is reported rather than aborting the process.
        device.on_uncaptured_error(Arc::new(|e| eprintln!("wgact: uncaptured wgpu error: {e}")));
        Self::build(device, queue, Some(adapter.get_info()), &opts)
    }

    /// A context on a device the caller already owns (shared, not copied).
    /// Pipelines are built on it once; the caller's error handler is left alone.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Result<Self> {
        Self::build(device, queue, None, &ContextOptions::default())
    }

    fn build(
        device: wgpu::Device,
        queue: wgpu::Queue,
        info: Option<wgpu::AdapterInfo>,
        opts: &ContextOptions,
    ) -> Result<Self> {
        let limits = device.limits();
        let wg_size = workgroup_size(&limits, opts.workgroup_size)?;
        let cpu = info
            .as_ref()
            .is_some_and(|i| i.device_type == wgpu::DeviceType::Cpu);
        let kernels = Registry::new(wg_size, opts.exact_division.unwrap_or(cpu));
        let lost = Lost::default();
        let flag = lost.clone();
        device.set_device_lost_callback(move |reason, msg| flag.set(format!("{reason:?}: {msg}")));
        let align = limits.min_storage_buffer_offset_alignment.max(4) as u64;
        let max_buffer = opts
            .max_buffer_size
            .map_or(limits.max_buffer_size, |c| c.min(limits.max_buffer_size))
            .max(16);
        let mut max_binding = limits.max_storage_buffer_binding_size.min(max_buffer);
        if let Some(c) = opts.max_binding_size {
            max_binding = max_binding.min(c);
        }
        let softmax_single_pass = opts.softmax_single_pass.unwrap_or(!cpu);
        let mut max_groups = limits.max_compute_workgroups_per_dimension;
        if let Some(c) = opts.max_workgroups_per_dimension {
            max_groups = max_groups.min(c);
        }
        // Whole multiples of twice the offset alignment (and of a vec4), so
        // chunks of 4-byte and of 2-byte elements can start anywhere.
        let align = align.max(16) * 2;
        max_binding = (max_binding / align * align).max(align);
        let memory = Arc::new(Memory::new(opts.memory_budget.or_else(|| {
            crate::memory::default_budget(info.as_ref().map(|i| i.device_type))
        })));
        let native_f16 = device.features().contains(wgpu::Features::SHADER_F16)
            && !opts.packed_f16.unwrap_or(cpu);
        Ok(Context {
            device,
            queue,
            info,
            limits,
            max_binding,
            max_buffer_elems: (max_buffer / 4) as usize,
            max_groups: max_groups.max(1),
            wg_size,
            softmax_single_pass,
            native_f16,
            kernels,
            staging: Mutex::new(None),
            pool: Arc::new(Pool::default()),
            memory,
            binds: Default::default(),
            scratch: Default::default(),
            submissions: AtomicU64::new(0),
            lost,
            texture_pipelines: Default::default(),
        })
    }

    /// Whether the kernels take the device's f32 division as correctly
    /// rounded ([`ContextOptions::exact_division`]).
    pub fn exact_division(&self) -> bool {
        self.kernels.div_exact()
    }

    /// Whether f16 tensors go through WGSL's `f16` (the device has
    /// `shader-f16` and [`ContextOptions::packed_f16`] is off) rather than
    /// pairs packed in `u32` words.
    pub fn native_f16(&self) -> bool {
        self.native_f16
    }

    /// Threads per workgroup in every kernel (chosen from the adapter's limits).
    pub fn workgroup_size(&self) -> u32 {
        self.wg_size
    }

    /// The device.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }
    /// The queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }
    /// The adapter, when wgact chose it (`None` for [`Context::from_device`]).
    pub fn adapter_info(&self) -> Option<&wgpu::AdapterInfo> {
        self.info.as_ref()
    }
    /// The device's limits.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }
    /// A one-line description of the adapter.
    pub fn describe(&self) -> String {
        match &self.info {
            Some(i) => describe(i),
            None => "caller-provided device".to_string(),
        }
    }

    /// Queue submissions wgact has made so far (every op call, readback and
    /// chain submits once; [`Context::encode`] never does).
    pub fn submissions(&self) -> u64 {
        self.submissions.load(Ordering::Relaxed)
    }

    /// Buffers allocated for op outputs so far; outputs that reuse a buffer
    /// from the pool do not count.
    pub fn pool_allocations(&self) -> u64 {
        self.pool.allocations.load(Ordering::Relaxed)
    }

    /// Bind groups made for buffer ops so far; a repeated op on the same
    /// tensors and parameters reuses its bind groups and does not count.
    pub fn bind_groups_made(&self) -> u64 {
        self.binds.made.load(Ordering::Relaxed)
    }

    /// Runs `f` inside validation and out-of-memory error scopes; on a lost
    /// device, returns [`Error::DeviceLost`] without running it.
    pub(crate) fn scoped<T>(&self, f: impl FnOnce() -> T) -> Result<T> {
        self.lost.check()?;
        scoped(&self.device, f).map_err(|e| self.lost.explain(&self.device, e))
    }

    /// Live GPU resources on this context's device, as wgpu counts them
    /// (everything wgact holds: tensors, pooled outputs, staging and
    /// scratch buffers, cached bind groups and uniforms; and whatever else the
    /// caller created on a shared device). Zero on backends that count
    /// nothing.
    pub fn live_resources(&self) -> LiveResources {
        let c = self.device.get_internal_counters().hal;
        LiveResources {
            buffers: c.buffers.read().max(0) as u64,
            buffer_bytes: c.buffer_memory.read().max(0) as u64,
            bind_groups: c.bind_groups.read().max(0) as u64,
            textures: c.textures.read().max(0) as u64,
        }
    }

    /// Bytes of device memory held by wgact's own buffers (tensors it made,
    /// pooled outputs); caller-wrapped buffers do not count.
    pub fn memory_in_use(&self) -> u64 {
        self.memory.live()
    }

    /// The memory budget ([`ContextOptions::memory_budget`]), if any.
    pub fn memory_budget(&self) -> Option<u64> {
        self.memory.budget()
    }

    /// Sets the most device memory wgact's own buffers may hold at once
    /// (`None`: no budget). An embedding application can keep wgact inside
    /// its share of the GPU; a call that would pass it returns
    /// [`Error::OutOfMemory`] before any work, and the context stays usable.
    ///
    /// ```no_run
    /// # let ctx = wgact::Context::new()?;
    /// ctx.set_memory_budget(Some(64 << 20));
    /// let e = ctx.zeros(&[32 << 20]).unwrap_err(); // 128 MiB
    /// assert!(matches!(e, wgact::Error::OutOfMemory(_)));
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn set_memory_budget(&self, bytes: Option<u64>) {
        self.memory.set_budget(bytes);
    }

    /// Whether the device has been lost (destroyed, reset, or gone).
    pub fn is_lost(&self) -> bool {
        self.lost.check().is_err()
    }
}

/// Counts of live GPU resources ([`Context::live_resources`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveResources {
    pub buffers: u64,
    pub buffer_bytes: u64,
    pub bind_groups: u64,
    pub textures: u64,
}

/// Whether, and why, a context's device was lost: shared with wgpu's
/// device-lost callback and with readbacks in flight.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lost(Arc<Mutex<Option<String>>>);

impl Lost {
    fn set(&self, why: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
    }

    /// `Err(DeviceLost)` once the device is lost.
    pub(crate) fn check(&self) -> Result<()> {
        match &*self.0.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(why) => Err(Error::DeviceLost(why.clone())),
            None => Ok(()),
        }
    }

    /// `e`, or [`Error::DeviceLost`] if the device was lost meanwhile (then
    /// `e` is only a symptom). wgpu reports a destroyed device from inside
    /// `poll`, and only once the queue has drained, so an error waits (at
    /// most a second, in slices) for the queue before it is explained.
    pub(crate) fn explain(&self, device: &wgpu::Device, e: Error) -> Error {
        let t = std::time::Instant::now();
        while self.check().is_ok() && t.elapsed() < std::time::Duration::from_secs(1) {
            match crate::readback::poll_slice(device, None, 20) {
                Ok(false) => continue,
                _ => break,
            }
        }
        self.check().err().unwrap_or(e)
    }
}

/// Runs `f` with wgpu errors captured and returned instead of handed to the
/// device's uncaptured-error handler.
pub(crate) fn scoped<T>(device: &wgpu::Device, f: impl FnOnce() -> T) -> Result<T> {
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let out = f();
    let e1 = pollster::block_on(oom.pop());
    let e2 = pollster::block_on(validation.pop());
    match (e1, e2) {
        (Some(e), _) => Err(Error::OutOfMemory(format!("the driver reports: {e}"))),
        (None, Some(e)) => Err(Error::Gpu(e.to_string())),
        (None, None) => Ok(out),
    }
}
