//! Timing recorded work: wall clock on the host and, where the device has
//! timestamp queries, the device's own time for the work alone.

use crate::readback::{Copy, Readback, poll_slice};
use crate::{Context, ReadFuture, Result};
use std::time::{Duration, Instant};

/// How long recorded work took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// From submit to completion, as the host saw it (includes the fixed cost
    /// of a submission and a wait).
    pub wall: Duration,
    /// The device's own time from the start to the end of the work
    /// (timestamp queries), where the device has them.
    pub device: Option<Duration>,
}

impl Timing {
    /// The device's time where known, else the wall clock.
    pub fn best(&self) -> Duration {
        self.device.unwrap_or(self.wall)
    }
}

impl Context {
    /// Whether [`Context::time`] can read the device's own timestamps.
    pub fn has_timestamps(&self) -> bool {
        self.device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    /// Runs the work `record` puts in an encoder, alone in one submission,
    /// and times it. Waits for everything submitted before.
    ///
    /// ```no_run
    /// let ctx = wgact::Context::new()?;
    /// let x = ctx.upload(&vec![0.5; 1 << 20], &[1 << 20])?;
    /// let y = ctx.empty(x.shape())?;
    /// let t = ctx.time(|enc| ctx.encode(enc, &wgact::Activation::Sigmoid, &x, Some(&y)))?;
    /// println!("wall {:?}, device {:?}", t.wall, t.device);
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn time(
        &self,
        record: impl FnOnce(&mut wgpu::CommandEncoder) -> Result<()>,
    ) -> Result<Timing> {
        // Earlier work first: wait for an empty submission after it (waiting
        // for "everything" races with other threads' submits in wgpu-core).
        let idle = {
            let _serial = crate::readback::submit_poll_lock();
            self.queue.submit(std::iter::empty::<wgpu::CommandBuffer>())
        };
        self.wait_for(Some(idle))?;
        let mut enc = self.device.create_command_encoder(&Default::default());
        if !self.has_timestamps() {
            record(&mut enc)?;
            let start = Instant::now();
            let index = self.submit(enc)?;
            self.wait_for(Some(index))?;
            return Ok(Timing {
                wall: start.elapsed(),
                device: None,
            });
        }
        let (queries, resolve, staging) = self.scoped(|| {
            let queries = self.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("wgact timing"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let buffer = |usage| {
                self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("wgact timing"),
                    size: 16,
                    usage,
                    mapped_at_creation: false,
                })
            };
            let resolve = buffer(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
            let staging = buffer(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
            (queries, resolve, staging)
        })?;
        // Empty passes carry the timestamps, so the work itself is recorded
        // exactly as it would be without timing.
        let mark = |enc: &mut wgpu::CommandEncoder, begin: Option<u32>, end: Option<u32>| {
            enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("wgact timestamp"),
                timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                    query_set: &queries,
                    beginning_of_pass_write_index: begin,
                    end_of_pass_write_index: end,
                }),
            });
        };
        self.scoped(|| mark(&mut enc, Some(0), None))?;
        record(&mut enc)?;
        self.scoped(|| {
            mark(&mut enc, None, Some(1));
            enc.resolve_query_set(&queries, 0..2, &resolve, 0);
            enc.copy_buffer_to_buffer(&resolve, 0, &staging, 0, 16);
        })?;
        let start = Instant::now();
        let rb = Readback {
            stagings: vec![staging],
            copies: vec![Copy {
                staging: 0,
                at: 0,
                tensor: 0,
                start: 0,
                len: 4,
            }],
            lens: vec![4],
            dtypes: vec![crate::DType::F32],
        };
        let words = pollster::block_on(ReadFuture::new(self, enc, rb)?)?;
        let wall = start.elapsed();
        let w: Vec<u64> = words[0].iter().map(|v| v.to_bits() as u64).collect();
        let (t0, t1) = (w[0] | w[1] << 32, w[2] | w[3] << 32);
        let ns = t1.saturating_sub(t0) as f64 * self.queue.get_timestamp_period() as f64;
        Ok(Timing {
            wall,
            device: Some(Duration::from_nanos(ns as u64)),
        })
    }

    /// Waits for submission `index`, or for everything submitted so far.
    fn wait_for(&self, index: Option<wgpu::SubmissionIndex>) -> Result<()> {
        while !poll_slice(&self.device, index.clone(), 5)? {}
        Ok(())
    }
}
