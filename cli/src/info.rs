use std::process::ExitCode;
use wgact::context::{ContextOptions, describe, enumerate_adapters};

pub fn run() -> wgact::Result<ExitCode> {
    let adapters = enumerate_adapters(&ContextOptions::default());
    println!("adapters found: {}", adapters.len());
    for a in &adapters {
        println!(
            "  - {}  [driver: {} {}]",
            describe(&a.info),
            a.info.driver,
            a.info.driver_info
        );
    }
    let ctx = wgact::Context::new()?;
    println!("chosen: {}", ctx.describe());
    let l = ctx.limits();
    println!("limits:");
    println!(
        "  max_buffer_size                      {}",
        l.max_buffer_size
    );
    println!(
        "  max_storage_buffer_binding_size      {}",
        l.max_storage_buffer_binding_size
    );
    println!(
        "  min_storage_buffer_offset_alignment  {}",
        l.min_storage_buffer_offset_alignment
    );
    println!(
        "  max_compute_workgroups_per_dimension {}",
        l.max_compute_workgroups_per_dimension
    );
    println!(
        "  max_compute_invocations_per_workgroup {}",
        l.max_compute_invocations_per_workgroup
    );
    println!(
        "  max_compute_workgroup_size_x         {}",
        l.max_compute_workgroup_size_x
    );
    println!(
        "  max_compute_workgroup_storage_size   {}",
        l.max_compute_workgroup_storage_size
    );
    println!(
        "  max_storage_buffers_per_shader_stage {}",
        l.max_storage_buffers_per_shader_stage
    );
    println!("wgact uses:");
    println!(
        "  workgroup size                       {}",
        ctx.workgroup_size()
    );
    println!(
        "  timestamp queries                    {}",
        if ctx.has_timestamps() { "yes" } else { "no" }
    );
    Ok(ExitCode::SUCCESS)
}
