// The forward of an elementwise op that also saves its derivative, from one
// read of x: y = activate(x), d = grad(x, 1) = f'(x). The backward is then
// the product d * dy (grad_product.wgsl), without reading x again.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> saved: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = params.first + flat_index(gid, nwg);
    if (i < params.len) {
        let x = src[i];
        let y = activate(x);
        dst[i] = y;
        // GRAD_FROM_Y: generated from the op table (the op's grad reads y).
        saved[i] = grad(select(x, y, GRAD_FROM_Y), 1.0);
    }
}
