//! The markdown table and the SVG bar chart of the ratios.

use std::fmt::Write as _;

/// One figure measured on the three runtimes (chronia, tokio, smol).
pub struct Row {
    pub what: &'static str,
    pub unit: &'static str,
    pub values: [f64; 3],
}

impl Row {
    pub fn vs_tokio(&self) -> f64 {
        self.values[0] / self.values[1]
    }

    pub fn vs_smol(&self) -> f64 {
        self.values[0] / self.values[2]
    }
}

fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The table, in markdown.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::new();
    s.push_str("| figure (lower is better) | unit | chronia | tokio | smol | chronia/tokio | chronia/smol |\n");
    s.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.2} | {:.2} |",
            r.what,
            r.unit,
            number(r.values[0]),
            number(r.values[1]),
            number(r.values[2]),
            r.vs_tokio(),
            r.vs_smol()
        );
    }
    s
}

/// Ratios drawn between 1/`SPAN` and `SPAN`, on a log scale around 1.
const SPAN: f64 = 8.0;
const LABEL_W: f64 = 420.0;
const PLOT_W: f64 = 440.0;
const BAR_H: f64 = 11.0;
const ROW_H: f64 = 30.0;
const TOP: f64 = 50.0;

/// The x of a ratio on the log scale.
fn x_of(ratio: f64) -> f64 {
    let t = ratio.clamp(1.0 / SPAN, SPAN).log2() / SPAN.log2();
    LABEL_W + PLOT_W / 2.0 * (1.0 + t)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A bar chart of chronia/tokio and chronia/smol per figure: bars grow
/// left of the 1.0 line where chronia is cheaper, right where it costs more.
pub fn svg(rows: &[Row], caption: &str) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a handful of rows")]
    let height = TOP + ROW_H * rows.len() as f64 + 40.0;
    let width = LABEL_W + PLOT_W + 80.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="18" font-size="14" font-weight="bold">chronia / peer (log scale; left of 1 = chronia cheaper)</text>"#
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="34" fill="#555">{}</text>"##,
        escape(caption)
    );
    for tick in [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0] {
        let x = x_of(tick);
        let stroke = if (tick - 1.0_f64).abs() < 1e-9 {
            "#000"
        } else {
            "#ddd"
        };
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="{stroke}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">{tick}</text>"##,
            height - 30.0,
            height - 15.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "a handful of rows")]
        let y = TOP + ROW_H * i as f64;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + BAR_H + 4.0,
            escape(r.what)
        );
        for (j, (ratio, color, peer)) in [
            (r.vs_tokio(), "#4c72b0", "tokio"),
            (r.vs_smol(), "#dd8452", "smol"),
        ]
        .into_iter()
        .enumerate()
        {
            #[expect(clippy::cast_precision_loss, reason = "0 or 1")]
            let by = y + 2.0 + BAR_H * j as f64;
            let (a, b) = (x_of(1.0), x_of(ratio));
            let _ = writeln!(
                s,
                r##"<rect x="{:.1}" y="{by:.1}" width="{:.1}" height="{:.1}" fill="{color}"><title>chronia/{peer} {ratio:.2}</title></rect><text x="{:.1}" y="{:.1}" font-size="9" fill="#333">{ratio:.2}</text>"##,
                a.min(b),
                (a - b).abs().max(1.0),
                BAR_H - 1.0,
                a.max(b) + 3.0,
                by + BAR_H - 2.0
            );
        }
    }
    let (lx, ly) = (LABEL_W + PLOT_W + 5.0, TOP);
    let _ = writeln!(
        s,
        r##"<rect x="{lx}" y="{ly}" width="10" height="10" fill="#4c72b0"/><text x="{:.1}" y="{:.1}">tokio</text><rect x="{lx}" y="{:.1}" width="10" height="10" fill="#dd8452"/><text x="{:.1}" y="{:.1}">smol</text>"##,
        lx + 14.0,
        ly + 9.0,
        ly + 16.0,
        lx + 14.0,
        ly + 25.0
    );
    s.push_str("</svg>\n");
    s
}
