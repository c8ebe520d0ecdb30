package report

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser starts a headless Chromium for the test, or skips the test when
// none is installed (fails when FLUENS_REQUIRE_BROWSER=1).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("FLUENS_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		msg := "no Chromium found (install Debian's chromium or set FLUENS_CHROMIUM)"
		if os.Getenv("FLUENS_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	return ctx
}

// pageLog records what a page did: requests, console errors, exceptions
// and dialogs.
type pageLog struct {
	mu       sync.Mutex
	requests []string
	errors   []string
	dialogs  []string
}

func (l *pageLog) listen(ctx context.Context, t *testing.T) {
	t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			l.requests = append(l.requests, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == "error" || ev.Type == "assert" {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				l.errors = append(l.errors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			l.errors = append(l.errors, "exception: "+ev.ExceptionDetails.Text+" "+exceptionDescription(ev.ExceptionDetails))
		case *page.EventJavascriptDialogOpening:
			l.dialogs = append(l.dialogs, ev.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	// Hook alert and friends so that an injected script would be seen even
	// if the dialog event were missed.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__dialogs = 0; window.alert = window.confirm = window.prompt = function () { window.__dialogs++; };`,
	}); err != nil {
		t.Fatal(err)
	}
}

func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d != nil && d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// openReport writes the report of in (without static figures) and opens
// it from disk.
func openReport(t *testing.T, ctx context.Context, in *Input) *pageLog {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "report")
	files, err := Files(in, time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	log := &pageLog{}
	log.listen(ctx, t)
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "index.html"))}).String()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatal(err)
	}
	return log
}

// eval evaluates a JavaScript expression (awaiting a promise) in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.80q: %v", expr, err)
	}
	return v
}

func TestBrowserPage(t *testing.T) {
	ctx := browser(t)
	in := synthInput(60, 40, 3, 1)
	log := openReport(t, ctx, in)

	// Every section's charts are there and drawn.
	for sel, want := range map[string]int{
		"#gallery .av":                  60,
		"#convergent figure":            10,
		"#divergent figure":             10,
		"#mixgrid tbody tr":             10,
		"#mlp-decay .curve":             12,
		"#weights img":                  110,
		"#cnn-decay .curve":             40,
		"#cnn-decay .reg":               40,
		"#maxacc .dot":                  52,
		"#arch .col":                    40,
		"#params .dot":                  52,
		"#galleries .mgal":              2,
		"#separation .strip":            2,
		"#run-table tr":                 13,
		"footer a[href*='formafluens']": 2,
	} {
		got := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
		if got != want {
			t.Errorf("%s: %d elements, want %d", sel, got, want)
		}
	}
	for _, id := range []string{"mlp-decay", "cnn-decay", "maxacc", "arch", "params", "separation"} {
		if w := eval[float64](t, ctx, fmt.Sprintf(`document.getElementById(%q).getBoundingClientRect().width`, id)); w < 100 {
			t.Errorf("chart %s is %.0f px wide: not drawn", id, w)
		}
	}
	// Average images are painted (their background is a data URI).
	if bg := eval[string](t, ctx, `getComputedStyle(document.querySelector('#gallery .av')).backgroundImage`); !strings.HasPrefix(bg, `url("data:image/png;base64,`) {
		t.Errorf("average image background %.60q", bg)
	}

	// The hostile label is text.
	if n := eval[int](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('figcaption, .lname')].filter(e => e.textContent === %q).length`, evilLabel)); n == 0 {
		t.Errorf("label %q is not shown as text", evilLabel)
	}
	if n := eval[int](t, ctx, `window.__dialogs`); n != 0 {
		t.Errorf("page opened %d dialogs: the hostile label ran", n)
	}

	// Hover a point of a CNN decay curve with the mouse: the model on top
	// there is highlighted in every chart and named in the tooltip.
	type hit struct {
		X, Y float64
		ID   string
	}
	h := eval[hit](t, ctx, `(() => {
		const el = document.querySelector('#cnn-decay .curve');
		el.scrollIntoView({block: 'center'});
		const p = el.points.getItem(4), m = el.getScreenCTM();
		const x = p.x * m.a + p.y * m.c + m.e, y = p.x * m.b + p.y * m.d + m.f;
		const top = document.elementFromPoint(x, y).closest('[data-model]');
		return {X: x, Y: y, ID: top ? top.getAttribute('data-model') : ''};
	})()`)
	if h.ID == "" {
		t.Fatal("no model under the mouse at a curve's point")
	}
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, h.X, h.Y)); err != nil {
		t.Fatal(err)
	}
	var spec string
	for _, m := range in.Models {
		if m.ID == h.ID {
			spec = m.Spec
		}
	}
	tip := eval[string](t, ctx, `document.getElementById('fl-tip').hidden ? '' : document.getElementById('fl-tip').textContent`)
	if !strings.HasPrefix(tip, spec+"\n") {
		t.Errorf("tooltip %q does not name the hovered model %q", tip, spec)
	}
	sel := fmt.Sprintf(`[data-model=%q]`, h.ID)
	total := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
	lit := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel+".hl"))
	if lit != total || total < 4 {
		t.Errorf("%d of the model's %d elements highlighted", lit, total)
	}
	if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('#maxacc %s.hl, #params %s.hl').length`, sel, sel)); n != 2 {
		t.Errorf("model highlighted in %d scatter plots, want 2", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.hl').length`); n != total {
		t.Errorf("%d elements highlighted, want the model's %d", n, total)
	}

	// Click pins it; moving away keeps the pin and drops the hover.
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, h.X, h.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, h.X, h.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 2, 2),
	); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `window.fluens.pinned()`); got != h.ID {
		t.Errorf("pinned %q, want %q", got, h.ID)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.pin').length`); n != total {
		t.Errorf("%d elements pinned, want %d", n, total)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.hl').length`); n != 0 {
		t.Errorf("%d elements still highlighted after the mouse left", n)
	}

	// The zoom toggle swaps the full scatter plot for the zoomed one.
	if !eval[bool](t, ctx, `document.getElementById('maxacc-zoom').hidden && !document.getElementById('maxacc-full').hidden`) {
		t.Error("zoomed chart shown before the toggle")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("zoom-toggle"))); err != nil {
		t.Fatal(err)
	}
	if !eval[bool](t, ctx, `!document.getElementById('maxacc-zoom').hidden && document.getElementById('maxacc-full').hidden`) {
		t.Error("zoom toggle did not show the zoomed chart")
	}
	above := 0
	for _, m := range in.Models {
		if m.MaxAcc > ZoomAbove {
			above++
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#maxacc-zoomed .dot').length`); n != above || above == 0 {
		t.Errorf("zoomed chart has %d models, want the %d above %g", n, above, ZoomAbove)
	}
	if w := eval[float64](t, ctx, `document.getElementById('maxacc-zoomed').getBoundingClientRect().width`); w < 100 {
		t.Errorf("zoomed chart is %.0f px wide: not drawn", w)
	}

	// Label tooltips name the label, its drawings and every measure.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#gallery .av').dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 10, clientY: 10}))`))
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if tip := eval[string](t, ctx, `document.getElementById('fl-tip').textContent`); !strings.Contains(tip, "drawings") || !strings.Contains(tip, "entropy: ") || !strings.Contains(tip, "variance: ") {
		t.Errorf("label tooltip %q lacks drawings or measures", tip)
	}

	if dir := os.Getenv("FLUENS_ARTIFACTS"); dir != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "report-page.jpg"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.errors) > 0 {
		t.Errorf("page errors: %q", log.errors)
	}
	if len(log.dialogs) > 0 {
		t.Errorf("page opened dialogs: %q", log.dialogs)
	}
	if len(log.requests) == 0 {
		t.Error("no request seen at all: the network listener does not work")
	}
	for _, r := range log.requests {
		if !strings.HasPrefix(r, "file:") && !strings.HasPrefix(r, "data:") {
			t.Errorf("page made a network request: %s", r)
		}
	}
}

// TestBrowserHoverLatency measures hovering on a page with 1,000 models ×
// 11 mixes × 3 seeds: with each of three charts scrolled into view, a
// mouseover is dispatched on one of its marks and the time is taken until
// the highlight class is applied (the handler) and until the next frame has
// been painted. It asserts only that hovering works; the figures are
// logged (they depend on the machine: headless Chromium paints in software).
func TestBrowserHoverLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a page of 1,000 models")
	}
	ctx := browser(t)
	in := synthInput(345, 988, 3, 2)
	log := openReport(t, ctx, in)
	type result struct {
		Handler, Frame []float64
		OK             bool
	}
	for _, c := range []struct{ chart, mark string }{{"cnn-decay", ".curve"}, {"maxacc", ".dot"}, {"arch", ".col"}} {
		r := eval[result](t, ctx, fmt.Sprintf(`(async () => {
			const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
			document.getElementById(%[1]q).scrollIntoView({block: 'center'});
			await frame(); await frame();
			const marks = [...document.querySelectorAll('#' + %[1]q + ' ' + %[2]q)];
			const handler = [], frames = [];
			let ok = marks.length > 0;
			for (let i = 0; i < 12; i++) {
				const el = marks[(i * 97 + 13) %% marks.length], id = el.getAttribute('data-model');
				const t0 = performance.now();
				el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 300, clientY: 300}));
				const t1 = performance.now();
				ok = ok && window.fluens.index.get(id).every(e => e.classList.contains('hl'));
				await frame();
				frames.push(performance.now() - t0);
				handler.push(t1 - t0);
			}
			document.body.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
			await frame();
			return {Handler: handler, Frame: frames, OK: ok};
		})()`, c.chart, c.mark))
		if !r.OK {
			t.Errorf("%s: hovering did not highlight every element of the model", c.chart)
		}
		t.Logf("%-9s hover handler median %5.2f ms (max %5.2f), to the next painted frame median %5.1f ms (max %5.1f)",
			c.chart, median(r.Handler), maxOf(r.Handler), median(r.Frame), maxOf(r.Frame))
	}
	n := eval[int](t, ctx, `document.querySelectorAll('[data-model]').length`)
	t.Logf("page of 1,000 models × 11 mixes × 3 seeds: %d model elements", n)
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.errors) > 0 {
		t.Errorf("page errors: %q", log.errors)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("browser test ran out of time")
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// TestBrowserServedReload opens the page served by Server and checks that
// it reloads itself when results land and the report is rebuilt.
func TestBrowserServedReload(t *testing.T) {
	ctx := browser(t)
	src := synthInput(20, 0, 1, 4)
	prep, runs := filepath.Join(t.TempDir(), "prep"), filepath.Join(t.TempDir(), "runs")
	writePrepared(t, prep, src)
	models := testZoo(t)
	writeStore(t, runs, prep, models[:2], []int64{1})
	srv := NewServer(runs, prep)
	if _, err := srv.Rebuild(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	log := &pageLog{}
	log.listen(ctx, t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	before := eval[string](t, ctx, `document.querySelector('meta[name="fluens-build"]').content`)
	writeStore(t, runs, prep, models[:3], []int64{1})
	if changed, err := srv.Rebuild(); !changed || err != nil {
		t.Fatalf("Rebuild: changed %v, error %v", changed, err)
	}
	// The reload interrupts evaluations; ask again until the new page is in.
	id := models[2].Spec.ID()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('[data-model=%q]').length`, id)))
		if err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("page did not reload with the new model within 15 s (last error %v)", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	after := eval[string](t, ctx, `document.querySelector('meta[name="fluens-build"]').content`)
	if after == before {
		t.Errorf("build id %q unchanged after reload", after)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, r := range log.requests {
		if !strings.HasPrefix(r, ts.URL+"/") && !strings.HasPrefix(r, "data:") {
			t.Errorf("served page requested %s", r)
		}
	}
	if len(log.errors) > 0 {
		t.Errorf("page errors: %q", log.errors)
	}
}
