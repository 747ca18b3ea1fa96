//! A bar chart drawn as plain SVG by the server: readable without
//! JavaScript, with a scale, the first, middle and last point named under
//! it, and each bar's value shown on hover or keyboard focus (and as its
//! accessible name).

use leptos::prelude::*;

/// One bar: where it stands (`at`), its height (`value`) and its value in
/// words (`text`, units and plurals included).
#[derive(Clone, Debug)]
pub struct Bar {
    pub at: String,
    pub value: f64,
    pub text: String,
}

/// `bars` over `aria` (what the chart shows, for a screen reader); `top`
/// writes the scale's highest value; `legend` says what a bar is.
#[component]
pub fn BarChart(
    bars: Vec<Bar>,
    aria: String,
    legend: String,
    top: fn(f64) -> String,
) -> impl IntoView {
    // Plot area inside the SVG: room on the left for the scale.
    const W: f64 = 300.0;
    const H: f64 = 90.0;
    const LEFT: f64 = 34.0;
    const TOP: f64 = 12.0;
    let peak = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let scale = if peak > 0.0 { peak } else { 1.0 };
    let step = (W - LEFT) / bars.len().max(1) as f64;
    let at = |i: usize| bars.get(i).map(|b| b.at.clone()).unwrap_or_default();
    let (first, middle, last) = (at(0), at(bars.len() / 2), at(bars.len().saturating_sub(1)));
    let drawn = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let h = (bar.value / scale) * (H - TOP - 1.0);
            let x = LEFT + i as f64 * step;
            let label = format!("{}: {}", bar.at, bar.text);
            let name = label.clone();
            view! {
                <g tabindex="0" class="group outline-none" role="img" aria-label=name>
                    <rect x=format!("{:.1}", x + 0.5) y=format!("{:.1}", H - h) width=format!("{:.1}", (step - 1.0).max(0.5)) height=format!("{:.1}", h.max(0.5))
                        class="fill-brand group-hover:opacity-70 group-focus:opacity-70" data-at=bar.at.clone() data-value=bar.value.to_string()>
                        <title>{label}</title>
                    </rect>
                    <text x=format!("{:.1}", (x + step / 2.0).clamp(LEFT + 14.0, W - 14.0)) y="9" text-anchor="middle"
                        class="pointer-events-none fill-slate-900 text-[8px] opacity-0 group-hover:opacity-100 group-focus:opacity-100">
                        {bar.text}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg viewBox=format!("0 0 {W} {H}") class="mt-1 h-24 w-full rounded bg-slate-50" role="group" aria-label=aria>
            <line x1=LEFT.to_string() y1=TOP.to_string() x2=W.to_string() y2=TOP.to_string() class="stroke-slate-200" stroke-width="0.5" />
            <line x1=LEFT.to_string() y1=H.to_string() x2=W.to_string() y2=H.to_string() class="stroke-slate-400" stroke-width="0.5" />
            <text x={(LEFT - 3.0).to_string()} y={(TOP + 3.0).to_string()} text-anchor="end" class="fill-slate-500 text-[8px]">{top(peak)}</text>
            <text x={(LEFT - 3.0).to_string()} y=H.to_string() text-anchor="end" class="fill-slate-500 text-[8px]">"0"</text>
            {drawn}
        </svg>
        <div class="flex justify-between pl-[11%] text-xs text-slate-500"><span>{first}</span><span>{middle}</span><span>{last}</span></div>
        <p class="mt-1 flex items-center gap-1 text-xs text-slate-500">
            <span class="inline-block h-2 w-3 rounded-sm bg-brand"></span>
            {legend}
        </p>
    }
}
