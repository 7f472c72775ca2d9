// An elementwise activation over a 2-D texture: `src` is read with
// textureLoad, `dst` written as a storage texture of format FORMAT (the host
// substitutes it: the format is part of the WGSL type). Alpha is kept unless
// params.include_alpha is set.

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var dst: texture_storage_2d<FORMAT, write>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let size = textureDimensions(dst);
    if (gid.x >= size.x || gid.y >= size.y) {
        return;
    }
    let p = vec2<i32>(gid.xy);
    let v = textureLoad(src, p, 0);
    var a = v.w;
    if (params.include_alpha != 0u) {
        a = activate(v.w);
    }
    textureStore(dst, p, vec4<f32>(activate(v.x), activate(v.y), activate(v.z), a));
}
