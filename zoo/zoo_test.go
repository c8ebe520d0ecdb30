package zoo

import (
	"slices"
	"strings"
	"testing"
)

func TestStats(t *testing.T) {
	tests := []struct {
		spec   string
		depth  int
		params int
		flops  int64
	}{
		// 10·(784+1); 2·784·10.
		{"linear", 0, 7850, 15680},
		// 128·785 + 10·129; 2·(784·128 + 128·10).
		{"F128", 1, 101770, 203264},
		// 512·785 + 512·513 + 10·513; 2·(784·512 + 512·512 + 512·10).
		{"F512-F512", 2, 669706, 1337344},
		// conv 32·9+32 = 320; pool to 14·14·32 = 6272; dense 128·6273 = 802944;
		// out 10·129 = 1290. FLOPs 2·(288·784 + 6272·128 + 128·10).
		{"C32k3-P2-D0.25-F128", 4, 804554, 2059776},
		// pool to 14×14, dropout, output 10·(196+1); 2·196·10.
		{"P2-D0.5", 2, 1970, 3920},
		// 28→14→7→3→1: four pools are legal, output 10·2.
		{"P2-P2-P2-P2", 4, 20, 20},
		// conv 8·(1·25)+8 = 208 on 28×28 (2·200·784); conv 16·(8·9)+16 = 1168 on 14×14
		// (2·1152·196); out 10·(7·7·16+1) = 7850 (2·784·10).
		{"C8k5-P2-C16k3-P2", 4, 208 + 1168 + 7850, 2*200*784 + 2*1152*196 + 2*784*10},
	}
	for _, tt := range tests {
		s, err := Parse(tt.spec)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.spec, err)
		}
		if got := s.String(); got != tt.spec {
			t.Errorf("Parse(%q).String() = %q", tt.spec, got)
		}
		if got := s.Depth(); got != tt.depth {
			t.Errorf("%s: depth %d, want %d", tt.spec, got, tt.depth)
		}
		if got := s.Params(); got != tt.params {
			t.Errorf("%s: params %d, want %d", tt.spec, got, tt.params)
		}
		if got := s.FLOPs(); got != tt.flops {
			t.Errorf("%s: FLOPs %d, want %d", tt.spec, got, tt.flops)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "empty spec"},
		{"F128-", "empty layer"},
		{"F0128", "leading zeros"},
		{"F0", "leading zeros"},
		{"F-1", "units"},
		{"C32", "C<filters>k<kernel>"},
		{"C32k4", "kernel must be odd"},
		{"C32k17", "kernel must be odd, 1..15"},
		{"C0k3", "leading zeros"},
		{"P3", "only 2×2"},
		{"D0.250", "canonical decimal"},
		{"D.25", "canonical decimal"},
		{"D1", "rate must be in (0, 1)"},
		{"D0", "rate must be in (0, 1)"},
		{"F16-C8k3", "convolution after a dense layer"},
		{"F16-P2", "pooling after a dense layer"},
		{"P2-P2-P2-P2-P2", "pooling a 1×1 map"},
		{"X12", "unknown layer"},
		{"f128", "unknown layer"},
		{"LINEAR", "unknown layer"},
		{"F1000000000", "not a positive integer"},
		{"F100000000", "units must be in"},
		{strings.Repeat("D0.5-", 16) + "D0.5", "more than 16"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.spec)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error containing %q", tt.spec, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "zoo: ") {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tt.spec, err, tt.want)
		}
	}
}

func TestMLPs(t *testing.T) {
	want := []string{"linear", "F16", "F32", "F64", "F128", "F256", "F512",
		"F32-F32", "F64-F64", "F128-F128", "F256-F256", "F512-F512"}
	var got []string
	for _, s := range MLPs() {
		if s.Depth() >= 3 {
			t.Errorf("%s: depth %d, want < 3 hidden layers", s, s.Depth())
		}
		got = append(got, s.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("MLPs() = %v, want %v", got, want)
	}
}

func TestSample(t *testing.T) {
	a := Sample(200, DefaultSeed)
	b := Sample(50, DefaultSeed)
	c := Sample(200, DefaultSeed+1)
	ids := make(map[string]bool)
	for _, s := range MLPs() {
		ids[s.ID()] = true
	}
	kinds := make(map[Kind]int)
	firsts := make(map[Kind]int)
	for i, s := range a {
		if err := s.Validate(); err != nil {
			t.Fatalf("sample %d (%s): %v", i, s, err)
		}
		if d := s.Depth(); d < 1 || d > 6 {
			t.Errorf("sample %d (%s): depth %d, want 1..6", i, s, d)
		}
		if ids[s.ID()] {
			t.Errorf("sample %d (%s) repeats an earlier model", i, s)
		}
		ids[s.ID()] = true
		if _, err := Parse(s.String()); err != nil {
			t.Errorf("sample %d: %v", i, err)
		}
		firsts[s.Layers[0].Kind]++
		for _, l := range s.Layers {
			kinds[l.Kind]++
			switch l.Kind {
			case Conv:
				if l.Filters < 8 || l.Filters > 128 || (l.Kernel != 3 && l.Kernel != 5) {
					t.Errorf("sample %d (%s): bad convolution", i, s)
				}
			case Dropout:
				if l.Rate < 0.1-1e-12 || l.Rate > 0.5+1e-12 {
					t.Errorf("sample %d (%s): bad dropout", i, s)
				}
			case Dense:
				if l.Units < 16 || l.Units > 1024 {
					t.Errorf("sample %d (%s): bad dense", i, s)
				}
			}
		}
		if i < len(b) && s.String() != b[i].String() {
			t.Errorf("Sample(50) is not a prefix of Sample(200) at %d: %s vs %s", i, b[i], s)
		}
	}
	for _, k := range []Kind{Conv, Pool, Dropout, Dense} {
		if kinds[k] == 0 || firsts[k] == 0 {
			t.Errorf("no %v layer (or none first) in 200 samples", k)
		}
	}
	same := 0
	for i := range a {
		if a[i].String() == c[i].String() {
			same++
		}
	}
	if same > 20 {
		t.Errorf("seeds %d and %d share %d of 200 models", DefaultSeed, DefaultSeed+1, same)
	}
}

func TestBuildAndCheapest(t *testing.T) {
	all, err := Build("all", 10, DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 22 || all[0].Family != MLP || all[12].Family != CNN {
		t.Fatalf("Build(all, 10) = %d models, families %v/%v", len(all), all[0].Family, all[12].Family)
	}
	cnn, _ := Build("cnn", 10, DefaultSeed)
	if len(cnn) != 10 || cnn[0].Spec.String() != all[12].Spec.String() {
		t.Errorf("Build(cnn) differs from the CNN part of Build(all)")
	}
	if _, err := Build("resnet", 1, 1); err == nil {
		t.Error("Build(resnet) succeeded")
	}
	if _, err := Build("all", -1, 1); err == nil {
		t.Error("Build with -1 CNNs succeeded")
	}
	ch := Cheapest(all, 5)
	if len(ch) != 5 {
		t.Fatalf("Cheapest: %d models", len(ch))
	}
	var maxIn int64
	for _, m := range ch {
		maxIn = max(maxIn, m.Spec.FLOPs())
	}
	kept := 0
	for _, m := range all {
		if m.Spec.FLOPs() < maxIn {
			kept++
		}
	}
	if kept > 4 {
		t.Errorf("Cheapest(5) left out a model cheaper than %d FLOPs", maxIn)
	}
}

func TestHasConv(t *testing.T) {
	for s, want := range map[string]bool{"linear": false, "P2-D0.5-F16": false, "P2-C8k3": true, "C8k5-F16": true} {
		if got := MustParse(s).HasConv(); got != want {
			t.Errorf("%s: HasConv %v", s, got)
		}
	}
}

func TestID(t *testing.T) {
	a, b := MustParse("C32k3-P2-D0.25-F128"), MustParse("C32k3-P2-D0.3-F128")
	if len(a.ID()) != 12 || a.ID() == b.ID() || a.ID() != MustParse(a.String()).ID() {
		t.Errorf("IDs %s, %s", a.ID(), b.ID())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"linear", "F128", "C32k3-P2-D0.25-F128", "P2-P2-P2-P2", "D0.1", "C8k5-F16-D0.45", "F0", "D0.250"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := Parse(s)
		if err != nil {
			return
		}
		if got := spec.String(); got != s {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
		if spec.Params() <= 0 || spec.FLOPs() <= 0 {
			t.Fatalf("%q: params %d, FLOPs %d", s, spec.Params(), spec.FLOPs())
		}
	})
}
