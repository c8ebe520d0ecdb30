package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/cmpimg"
)

// regen is gonum/plot's own -regen flag (cmpimg.GenerateTestData): with
// it, the golden files are rewritten from the current output.
var regen = cmpimg.GenerateTestData

// goldenDPI keeps the golden PNGs small; Write uses PrintDPI.
const goldenDPI = 60

// TestFigureGolden renders every static figure of a fixed synthetic input
// and compares it with testdata/<name>_golden.{svg,png}, as gonum/plot's own
// tests do. SVGs must match byte for byte; PNGs are compared decoded, pixel
// by pixel, with cmpimg's YIQ distance and a delta of 0.02 so that
// rasterizer rounding on another CPU does not fail the test while any
// visible change (a moved line, another colour, missing text) does. Run
// `go test ./report -run Golden -regen` after an intended change.
func TestFigureGolden(t *testing.T) {
	in := synthInput(30, 20, 3, 5)
	figs, err := figures(in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.name)
	}
	if want := []string{"decay_mlp", "decay_cnn", "maxacc_decay", "params_decay", "architectures", "perceptron_weights"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("figures %v, want %v", names, want)
	}
	for _, f := range figs {
		svg, err := f.svg()
		if err != nil {
			t.Fatal(err)
		}
		pngData, err := f.png(goldenDPI)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []struct {
			ext  string
			data []byte
		}{{"svg", svg}, {"png", pngData}} {
			path := filepath.Join("testdata", f.name+"_golden."+g.ext)
			if *regen {
				if err := os.WriteFile(path, g.data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -regen to make the golden files)", err)
			}
			ok, err := cmpimg.EqualApprox(g.ext, g.data, want, 0.02)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !ok {
				got := filepath.Join(t.TempDir(), f.name+"."+g.ext)
				os.WriteFile(got, g.data, 0o644)
				t.Errorf("%s differs from %s (got written to %s)", f.name+"."+g.ext, path, got)
			}
		}
	}
}

// TestFigureContent checks what the golden files cannot say by themselves:
// the figures carry their axis labels and legends, and the PNGs have print
// resolution.
func TestFigureContent(t *testing.T) {
	in := synthInput(30, 20, 1, 5)
	figs, err := figures(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"decay_mlp":          {"test accuracy", "mix (number of divergent labels)", "F512-F512", "linear"},
		"decay_cnn":          {"test accuracy", "conv first", "least squares"},
		"maxacc_decay":       {"max accuracy", "decay (slope of accuracy per mix)", "depth 1", "MLP"},
		"params_decay":       {"parameters", "max acc"},
		"architectures":      {"layer 1", "output", "acc 0.5", "conv", "dropout"},
		"perceptron_weights": {"class (slot)", "mix", "xlink:href=\"data:image/"},
	}
	for _, f := range figs {
		svg, err := f.svg()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range want[f.name] {
			if !bytes.Contains(svg, []byte(s)) {
				t.Errorf("%s.svg lacks %q", f.name, s)
			}
		}
	}
	p, err := figs[0].png(PrintDPI)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 7*PrintDPI || cfg.Height != 4*PrintDPI {
		t.Errorf("PNG is %d×%d, want %d×%d", cfg.Width, cfg.Height, 7*PrintDPI, 4*PrintDPI)
	}
}
