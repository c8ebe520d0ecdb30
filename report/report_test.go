package report

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestWriteSelfContained(t *testing.T) {
	in := synthInput(60, 40, 3, 1)
	dir := filepath.Join(t.TempDir(), "report")
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, id := range []string{`id="mixing"`, `id="mlp"`, `id="cnn"`, `id="measures"`, `id="run"`,
		`id="gallery"`, `id="mixgrid"`, `id="mlp-decay"`, `id="weights"`, `id="cnn-decay"`,
		`id="maxacc"`, `id="maxacc-zoomed"`, `id="arch"`, `id="params"`, `id="galleries"`, `id="separation"`, `id="run-table"`,
		"Creative Commons Attribution 4.0 International", "formafluens.io/client/mix.html", "Hendrik Strobelt"} {
		if !strings.Contains(s, id) {
			t.Errorf("page lacks %s", id)
		}
	}
	if strings.Contains(s, evilLabel) {
		t.Errorf("page holds the label %q unescaped", evilLabel)
	}
	if !strings.Contains(s, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("page does not show the label %q as text", evilLabel)
	}
	// Nothing is fetched: every src and url() is a data URI; links are
	// only in anchors.
	for _, re := range []string{`src="([^"]*)"`, `url\(([^)]*)\)`} {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(s, -1) {
			if !strings.HasPrefix(m[1], "data:image/png;base64,") && !strings.HasPrefix(m[1], "#") {
				t.Errorf("page loads %q", m[1])
			}
		}
	}
	if regexp.MustCompile(`<(link|iframe|object|embed)\b`).MatchString(s) {
		t.Error("page has an element that loads a resource")
	}
	// Every chart is well-formed XML.
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(s, -1)
	if len(svgs) < 7 {
		t.Errorf("page has %d SVG charts, want at least 7", len(svgs))
	}
	for _, svg := range svgs {
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chart is not well-formed: %v\n%.300s", err, svg)
			}
		}
	}
	// Every model is in the decay chart of its family, the scatter plots
	// and (CNNs) the architectures.
	for _, m := range in.Models {
		n := strings.Count(s, `data-model="`+m.ID+`"`)
		want := 1 + 1 + 1 + 1 // curve, band, max-acc, params
		if m.Family == "cnn" {
			want += 2 // regression line, architecture column
		} else {
			want += 2 // legend entry, table row
		}
		if m.MaxAcc > ZoomAbove {
			want++
		}
		if n != want {
			t.Errorf("model %s (%s) has %d elements, want %d", m.ID, m.Family, n, want)
		}
	}
	if id := BuildID(page); len(id) != 16 {
		t.Errorf("build id %q, want 16 hex digits", id)
	}
	for _, name := range []string{"decay_mlp", "decay_cnn", "maxacc_decay", "params_decay"} {
		svg, err := os.ReadFile(filepath.Join(dir, "figures", name+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s.svg is not SVG", name)
		}
		f, err := os.Open(filepath.Join(dir, "figures", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s.png: %v", name, err)
		}
		if cfg.Width != 7*PrintDPI || cfg.Height != 4*PrintDPI {
			t.Errorf("%s.png is %d×%d, want %d×%d", name, cfg.Width, cfg.Height, 7*PrintDPI, 4*PrintDPI)
		}
	}
}

func TestWriteReplaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	a, b := synthInput(20, 5, 1, 1), synthInput(20, 5, 1, 2)
	b.Title = "second report"
	write := func(in *Input) error {
		files, err := Files(in, time.Time{}, false)
		if err != nil {
			return err
		}
		return writeFiles(dir, files)
	}
	if err := write(a); err != nil {
		t.Fatal(err)
	}
	if err := write(b); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("second report")) {
		t.Error("second Write did not replace the report")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("Write left %v next to the report", names)
	}
	// A folder that is not a report is never replaced.
	other := filepath.Join(t.TempDir(), "thesis")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "chapter1.tex"), []byte("x"), 0o644)
	if err := Write(other, &Input{}); err == nil {
		t.Error("Write replaced a folder that holds no report")
	}
	if _, err := os.Stat(filepath.Join(other, "chapter1.tex")); err != nil {
		t.Error("Write lost a file of a folder that holds no report")
	}
}

func TestRenderBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Input)
		want string
	}{
		{"duplicate id", func(in *Input) { in.Models[1].ID = in.Models[0].ID }, "appears twice"},
		{"no id", func(in *Input) { in.Models[2].ID = "" }, "has no id"},
		{"short average", func(in *Input) { in.Labels[0].Average = in.Labels[0].Average[:100] }, "want 784"},
		{"short weights", func(in *Input) { in.Perceptron[0].Classes[3] = nil }, "want 784"},
		{"too many accuracies", func(in *Input) { in.Mixes = in.Mixes[:5] }, "accuracies for 11 mixes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := synthInput(12, 3, 1, 1)
			tc.edit(in)
			_, err := Files(in, time.Time{}, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestEmptyInput(t *testing.T) {
	files, err := Files(&Input{}, time.Time{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Errorf("empty input gave %d files, want only index.html", len(files))
	}
	for _, want := range []string{"No measured labels", "No fully-connected results yet", "No CNN results yet", "No measures found"} {
		if !bytes.Contains(files["index.html"], []byte(want)) {
			t.Errorf("empty page lacks %q", want)
		}
	}
}

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		conv, div []float64
		low       bool
		want      float64
	}{
		{[]float64{1, 2}, []float64{3, 4}, true, 1},
		{[]float64{1, 2}, []float64{3, 4}, false, 0},
		{[]float64{1, 3}, []float64{2, 4}, true, 0.75},
		{[]float64{2}, []float64{2}, true, 0.5},
		{nil, []float64{1}, true, math.NaN()},
	} {
		got := auc(tc.conv, tc.div, tc.low)
		if got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("auc(%v, %v, %v) = %v, want %v", tc.conv, tc.div, tc.low, got, tc.want)
		}
	}
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0.55, 0.95, 5, []float64{0.6, 0.7, 0.8, 0.9}},
		{-0.031, 0.004, 5, []float64{-0.03, -0.02, -0.01, 0}},
	} {
		got := ticks(tc.lo, tc.hi, tc.n)
		if len(got) != len(tc.want) {
			t.Errorf("ticks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("ticks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
				break
			}
		}
	}
	if got := logTicks(500, 2e6); len(got) != 4 || got[0] != 1e3 || got[3] != 1e6 {
		t.Errorf("logTicks(500, 2e6) = %v", got)
	}
}

// BenchmarkRenderPage renders index.html for 1,000 models × 11 mixes × 3
// seeds and 345 labels (no static figures) and reports the page's size.
func BenchmarkRenderPage(b *testing.B) {
	in := synthInput(345, 988, 3, 2)
	var size int
	for b.Loop() {
		files, err := Files(in, time.Time{}, false)
		if err != nil {
			b.Fatal(err)
		}
		size = len(files["index.html"])
	}
	b.ReportMetric(float64(size)/1e6, "MB/page")
}

// BenchmarkFigures renders every static figure of 100 CNNs and the 12 MLPs
// as SVG and as a 300 dpi PNG.
func BenchmarkFigures(b *testing.B) {
	in := synthInput(30, 100, 1, 2)
	for b.Loop() {
		figs, err := figures(in)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range figs {
			if _, err := f.svg(); err != nil {
				b.Fatal(err)
			}
			if _, err := f.png(PrintDPI); err != nil {
				b.Fatal(err)
			}
		}
	}
}
