//! The comparison's charts, as SVG (plotters' SVG backend: text is written as SVG `<text>`,
//! so no font is needed to draw them). Per fault preset: throughput (confirmed orders per
//! simulated second) and p99 latency against concurrent clients, one line per protocol; and
//! mean holding time per protocol, one bar per client count. Each protocol keeps its colour
//! in every chart.

use dtx_sim::FaultPreset;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::report::Report;
use super::row::Row;

/// Colours, one per protocol (in the grid's order) or client count.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x55, 0x55, 0x55),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x17, 0xbe, 0xcf),
];

const SIZE: (u32, u32) = (760, 440);

/// The chart files of a preset: (file name, title).
pub fn names(preset: FaultPreset) -> Vec<(String, String)> {
    vec![
        (
            format!("throughput-{preset}.svg"),
            format!("Confirmed orders per simulated second, faults {preset}"),
        ),
        (
            format!("p99-latency-{preset}.svg"),
            format!("p99 latency, faults {preset}"),
        ),
        (
            format!("holding-{preset}.svg"),
            format!("Mean holding time, faults {preset}"),
        ),
    ]
}

/// Every chart: (file name, SVG text).
pub fn charts(report: &Report) -> Vec<(String, String)> {
    let g = &report.settings;
    let mut out = Vec::new();
    for &preset in &g.faults {
        let rows: Vec<&Row> = report.rows.iter().filter(|r| r.faults == preset).collect();
        let [(through, through_title), (p99, p99_title), (holding, holding_title)]: [(
            String,
            String,
        ); 3] = names(preset).try_into().expect("three charts");
        let series = |value: fn(&Row) -> Option<f64>| -> Vec<Series> {
            g.protocols
                .iter()
                .enumerate()
                .map(|(i, p)| Series {
                    name: label(p, g.baseline.as_deref()),
                    color: PALETTE[i % PALETTE.len()],
                    points: rows
                        .iter()
                        .filter(|r| &r.protocol == p)
                        .filter_map(|r| value(r).map(|v| (r.clients as f64, v)))
                        .collect(),
                })
                .collect()
        };
        out.push((
            through,
            lines(
                &through_title,
                "confirmed orders / simulated s",
                &series(|r| r.confirmed_per_sec),
            ),
        ));
        out.push((
            p99,
            lines(
                &p99_title,
                "p99 place-to-outcome latency (simulated ms)",
                &series(|r| r.latency_p99_ms.map(|v| v as f64)),
            ),
        ));
        out.push((holding, bars(&holding_title, g, &rows)));
    }
    out
}

/// A protocol's name in a legend.
fn label(p: &str, baseline: Option<&str>) -> String {
    if baseline == Some(p) {
        format!("{p} (baseline)")
    } else {
        p.to_string()
    }
}

/// One line of a line chart.
struct Series {
    name: String,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// The top of a y axis showing values up to `max`.
fn top(max: f64) -> f64 {
    if max > 0.0 {
        max * 1.15
    } else {
        1.0
    }
}

/// A line chart against concurrent clients.
fn lines(title: &str, y_desc: &str, series: &[Series]) -> String {
    let all = series.iter().flat_map(|s| s.points.iter());
    let x_max = all.clone().map(|p| p.0).fold(1.0, f64::max);
    let y_max = top(all.map(|p| p.1).fold(0.0, f64::max));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).expect("svg");
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max * 1.05, 0f64..y_max)
            .expect("svg");
        chart
            .configure_mesh()
            .x_desc("concurrent clients")
            .y_desc(y_desc)
            .draw()
            .expect("svg");
        for s in series {
            let color = s.color;
            chart
                .draw_series(LineSeries::new(s.points.clone(), color.stroke_width(2)))
                .expect("svg")
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(s.points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                .expect("svg");
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .expect("svg");
        root.present().expect("svg");
    }
    svg
}

/// Mean holding time per protocol: a group of bars per protocol, one bar per client count.
fn bars(title: &str, g: &super::grid::Grid, rows: &[&Row]) -> String {
    let per = g.clients.len() as u32 + 1; // the bars of a group and a gap
    let n = g.protocols.len() as u32 * per;
    let value = |p: &str, c: usize| {
        rows.iter()
            .find(|r| r.protocol == p && r.clients == c)
            .and_then(|r| r.holding_mean_ms)
    };
    let y_max = top(rows
        .iter()
        .filter_map(|r| r.holding_mean_ms)
        .fold(0.0, f64::max));
    let names: Vec<String> = g
        .protocols
        .iter()
        .map(|p| label(p, g.baseline.as_deref()))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).expect("svg");
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d((0u32..n).into_segmented(), 0f64..y_max)
            .expect("svg");
        let middle = (per - 1) / 2;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n as usize + 1)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(k) if k % per == middle => {
                    names.get((k / per) as usize).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .x_desc("protocol")
            .y_desc("mean holding time per hold (simulated ms)")
            .draw()
            .expect("svg");
        for (j, &c) in g.clients.iter().enumerate() {
            let color = PALETTE[(j + 1) % PALETTE.len()];
            let bars = g.protocols.iter().enumerate().filter_map(|(i, p)| {
                let k = i as u32 * per + j as u32;
                value(p, c).map(|v| {
                    Rectangle::new(
                        [
                            (SegmentValue::Exact(k), 0.0),
                            (SegmentValue::Exact(k + 1), v),
                        ],
                        color.filled(),
                    )
                })
            });
            chart
                .draw_series(bars)
                .expect("svg")
                .label(format!("{c} clients"))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .expect("svg");
        root.present().expect("svg");
    }
    svg
}
