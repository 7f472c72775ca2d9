//! The SVG plot of `wgact bench`: throughput against size, one panel per op,
//! CPU and GPU lines, the crossover size marked.

use crate::bench::Row;

const PW: f64 = 420.0; // panel width
const PH: f64 = 260.0;
const M: f64 = 50.0; // margin

pub fn svg(adapter: &str, rows: &[Row]) -> String {
    let mut ops: Vec<&str> = rows.iter().map(|r| r.op.as_str()).collect();
    ops.dedup();
    let width = 2.0 * (PW + M) + M;
    let height = (ops.len().div_ceil(2) as f64) * (PH + M + 20.0) + 60.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{M}\" y=\"24\" font-size=\"14\">wgact bench: throughput (GB/s, read + write) against elements, {}</text>\n",
        xml(adapter)
    );
    for (i, op) in ops.iter().enumerate() {
        // Contiguous sizes only (softmax row-length rows vary the shape instead).
        let mut pts: Vec<&Row> = rows
            .iter()
            .filter(|r| r.op == *op && (r.shape.len() == 1 || r.shape[1] == r.elements.min(1024)))
            .collect();
        pts.sort_by_key(|r| r.elements);
        let x0 = M + (i % 2) as f64 * (PW + M);
        let y0 = 60.0 + (i / 2) as f64 * (PH + M + 20.0);
        s += &panel(op, &pts, x0, y0);
    }
    s += "</svg>\n";
    s
}

/// (legend, colour, GB/s of a row).
type Series = (&'static str, &'static str, fn(&Row) -> f64);

fn xml(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn panel(op: &str, pts: &[&Row], x0: f64, y0: f64) -> String {
    let mut s = format!(
        "<text x=\"{x0}\" y=\"{}\" font-size=\"13\">{op}</text>\n",
        y0 - 6.0
    );
    s += &format!(
        "<rect x=\"{x0}\" y=\"{y0}\" width=\"{PW}\" height=\"{PH}\" fill=\"none\" stroke=\"#888\"/>\n"
    );
    if pts.is_empty() {
        return s;
    }
    let series: [Series; 3] = [
        ("CPU (fast path)", "#d62728", |r| r.gbps(r.cpu_s)),
        ("GPU compute", "#1f77b4", |r| r.gbps(r.gpu_compute_s)),
        ("GPU end to end", "#2ca02c", |r| r.gbps(r.gpu_e2e_s)),
    ];
    let lx: Vec<f64> = pts.iter().map(|r| (r.elements as f64).log2()).collect();
    let (xmin, xmax) = (lx[0], lx[lx.len() - 1].max(lx[0] + 1.0));
    let all: Vec<f64> = pts
        .iter()
        .flat_map(|r| series.iter().map(move |(_, _, f)| f(r)))
        .filter(|v| *v > 0.0)
        .collect();
    let ymin = all.iter().cloned().fold(f64::MAX, f64::min).log10().floor();
    let ymax = all
        .iter()
        .cloned()
        .fold(0.0, f64::max)
        .log10()
        .ceil()
        .max(ymin + 1.0);
    let px = |l: f64| x0 + (l - xmin) / (xmax - xmin) * PW;
    let py = |v: f64| y0 + PH - (v.max(1e-12).log10() - ymin) / (ymax - ymin) * PH;
    // Axes: powers of two below, decades at the side.
    let mut k = xmin.ceil() as i32;
    while k as f64 <= xmax {
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">2^{k}</text>\n",
            px(k as f64),
            y0 + PH + 14.0
        );
        k += 2;
    }
    let mut d = ymin as i32;
    while d as f64 <= ymax {
        let y = py(10f64.powi(d));
        s += &format!(
            "<line x1=\"{x0}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            x0 + PW,
            x0 - 4.0,
            y + 4.0,
            10f64.powi(d)
        );
        d += 1;
    }
    for (j, (name, color, f)) in series.iter().enumerate() {
        let path: Vec<String> = pts
            .iter()
            .zip(&lx)
            .map(|(r, &l)| format!("{:.1},{:.1}", px(l), py(f(r))))
            .collect();
        s += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n",
            path.join(" ")
        );
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{name}</text>\n",
            x0 + 8.0,
            y0 + 14.0 + 13.0 * j as f64
        );
    }
    // Crossover: the first size from which the GPU (end to end) beats the CPU.
    let beats = |r: &&Row| r.gpu_e2e_s < r.cpu_s;
    let cross = pts
        .iter()
        .position(beats)
        .filter(|&i| pts[i..].iter().all(beats));
    let label = match cross {
        Some(i) => {
            let x = px(lx[i]);
            s += &format!(
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y0}\" y2=\"{}\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n",
                y0 + PH
            );
            format!("GPU end to end faster from {} elements", pts[i].elements)
        }
        None => "no crossover: the CPU is faster end to end at every size measured".to_string(),
    };
    s += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
        x0,
        y0 + PH + 30.0,
        label
    );
    s
}
