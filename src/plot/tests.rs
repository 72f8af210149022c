use super::*;
use crate::trend::Change;

fn result(id: &str, uncertainty: f64, mdc95: Option<f64>) -> MetricResult {
    MetricResult {
        measured: crate::measure::Value::new(
            5.0,
            "",
            catalog::info(id).unwrap().better,
            uncertainty,
        ),
        vs_baseline: mdc95.map(|mdc95| Change {
            change_pct: Some(-10.0),
            beyond_noise: false,
            delta: -0.5,
            mdc95,
            improved: None,
        }),
    }
}

#[test]
fn a_metric_read_in_pairs_shows_the_noise_of_its_change_and_none_at_the_first_visit() {
    let id = catalog::id::ERYTHEMA_VS_CONTROL;
    // a follow-up: ±1.96 sd is its change's MDC95, whatever its tiles' spread
    assert_eq!(bar_sd(id, &result(id, 3.0, Some(1.96 * 0.75)), false), 0.75);
    // the first visit is the level the changes are read from: no bar
    assert_eq!(bar_sd(id, &result(id, 3.0, Some(1.2)), true), 0.0);
    assert_eq!(bar_sd(id, &result(id, 3.0, None), false), 0.0);
}

#[test]
fn other_metrics_show_their_value_s_own_noise_at_every_visit() {
    let id = catalog::id::ROUGHNESS;
    let r = result(id, 0.3, Some(9.0));
    let own = catalog::measurement_sd(id, 5.0, 0.3);
    assert!(own >= 0.3);
    assert_eq!(bar_sd(id, &r, false), own);
    assert_eq!(bar_sd(id, &r, true), own);
}

#[test]
fn a_long_title_is_drawn_smaller_so_that_it_fits_the_chart() {
    register_font();
    let mut buf = vec![0u8; 900 * 40 * 3];
    let root = BitMapBackend::with_buffer(&mut buf, (900, 40)).into_drawing_area();
    let width = |t: &str, px: u32| {
        root.estimate_text_size(t, &TextStyle::from((FONT, px).into_font()))
            .unwrap()
            .0
    };
    let short = "Cheek: Skin texture — lower is better";
    assert_eq!(legend::title_px(&root, short), 22);
    let long = "Cheek: Redness (erythema index) vs untreated skin — lower is better, \
                and a few more words than any title has";
    assert!(
        width(long, 22) > 880,
        "the test's title must be too long at 22 px"
    );
    let px = legend::title_px(&root, long);
    assert!(px < 22 && width(long, px) <= 880, "{px} px");
}
