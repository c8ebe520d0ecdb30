package nn

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSafetensorsRoundTrip(t *testing.T) {
	m, err := New([]LayerSpec{{Kind: Conv, Filters: 3, Kernel: 5}, {Kind: MaxPool}, {Kind: Dropout, Rate: 0.5}, {Kind: Dense, Units: 7}}, Config{Seed: 4, Classes: 5})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := m.SaveSafetensors(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hn := binary.LittleEndian.Uint64(raw)
	if hn%8 != 0 || int(8+hn+4*uint64(m.ParamCount())) != len(raw) {
		t.Errorf("header %d bytes, file %d bytes for %d parameters", hn, len(raw), m.ParamCount())
	}
	// A fresh model with another seed differs, then matches after loading.
	m2, err := New(m.Layers(), Config{Seed: 5, Classes: 5})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(m.params, m2.params) {
		t.Fatal("seeds 4 and 5 drew the same weights")
	}
	if err := m2.LoadSafetensors(path); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.params, m2.params) {
		t.Error("weights differ after a round trip")
	}
	m3, err := NewFromSafetensors(bytes.NewReader(raw), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m3.Layers(), m.Layers()) || m3.Config().Classes != 5 || !slices.Equal(m.params, m3.params) {
		t.Errorf("NewFromSafetensors: layers %v classes %d", m3.Layers(), m3.Config().Classes)
	}
	ts, meta, err := ReadSafetensors(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := ts["layer0.weight"].Shape; !slices.Equal(got, []int{5, 5, 1, 3}) {
		t.Errorf("conv weight shape %v", got)
	}
	if got := ts["output.weight"].Shape; !slices.Equal(got, []int{7, 5}) {
		t.Errorf("output weight shape %v", got)
	}
	if meta[metaClasses] != "5" || !strings.Contains(meta[metaLayers], `"conv"`) {
		t.Errorf("metadata %v", meta)
	}
	// A model of another shape refuses the file.
	other, _ := New(nil, Config{Classes: 5})
	if err := other.LoadSafetensors(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("loading into a perceptron: %v", err)
	}
	if err := m.LoadSafetensors(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("no error for a missing file")
	}
}

// stFile builds a safetensors byte stream from a literal header and data.
func stFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestReadSafetensorsRejects(t *testing.T) {
	eight := make([]byte, 8)
	good := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	if ts, _, err := ReadSafetensors(bytes.NewReader(stFile(good, eight))); err != nil || len(ts["a"].Data) != 2 {
		t.Fatalf("valid file: %v", err)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "header length"},
		{"header length 1", binary.LittleEndian.AppendUint64(nil, 1), "out of range"},
		{"header length cap", append(binary.LittleEndian.AppendUint64(nil, MaxHeader+1), '{'), "out of range"},
		{"short header", binary.LittleEndian.AppendUint64(nil, 100), "header of 100 bytes"},
		{"not an object", stFile(`["a"]   `, nil), "start with '{'"},
		{"dtype", stFile(`{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}`, eight), "dtype"},
		{"shape mismatch", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "needs 12"},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "negative"},
		{"offsets order", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, eight), "out of order"},
		{"offsets count", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`, eight), "data_offsets"},
		{"hole", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "hole"},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlaps"},
		{"duplicate", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "twice"},
		{"unknown field", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight), "unknown field"},
		{"truncated data", stFile(good, eight[:5]), "unexpected EOF"},
		{"trailing data", stFile(good, append(eight, 0)), "past the last tensor"},
		{"metadata not strings", stFile(`{"__metadata__":{"a":1}}`, nil), "__metadata__"},
		{"trailing json", stFile(`{}{}`, nil), "after the header"},
		{"giant shape", stFile(`{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}}`, eight), "larger than"},
		{"lying size", stFile(`{"a":{"dtype":"F32","shape":[100000000],"data_offsets":[0,400000000]}}`, eight), "unexpected EOF"},
	}
	for _, tt := range tests {
		_, _, err := ReadSafetensors(bytes.NewReader(tt.file))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestSaveSafetensorsAtomic(t *testing.T) {
	m, _ := New(nil, Config{})
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Saving into a folder that does not exist fails and leaves nothing.
	if err := m.SaveSafetensors(filepath.Join(dir, "no", "w.safetensors")); err == nil {
		t.Error("no error saving into a missing folder")
	}
	if err := m.SaveSafetensors(path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after saving, want 1 (temporary files left?)", len(entries))
	}
}

func TestTensorsNamesAndCopies(t *testing.T) {
	m, _ := New(nil, Config{Seed: 2})
	ts := m.Tensors()
	w := ts["output.weight"]
	if !slices.Equal(w.Shape, []int{784, 10}) || len(w.Data) != 7840 || len(ts) != 2 {
		t.Fatalf("perceptron tensors: %d, weight shape %v", len(ts), w.Shape)
	}
	w.Data[0] = float32(math.Inf(1))
	if math.IsInf(float64(m.params[0]), 0) {
		t.Error("Tensors returned the model's own storage")
	}
	if err := m.SetTensors(map[string]Tensor{"output.weight": w}); err == nil {
		t.Error("SetTensors accepted a missing bias")
	}
	ts["extra"] = Tensor{Shape: []int{1}, Data: []float32{1}}
	if err := m.SetTensors(ts); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("SetTensors with an extra tensor: %v", err)
	}
}

func FuzzReadSafetensors(f *testing.F) {
	m, _ := New([]LayerSpec{{Kind: Dense, Units: 2}}, Config{InputH: 2, InputW: 2, Classes: 2})
	var b bytes.Buffer
	if err := m.WriteSafetensors(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(stFile(`{"__metadata__":{"k":"v"}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, meta, err := ReadSafetensors(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever was accepted writes back and reads again to the same.
		names := make([]string, 0, len(ts))
		for name := range ts {
			names = append(names, name)
		}
		slices.Sort(names)
		var out bytes.Buffer
		if err := WriteSafetensors(&out, names, ts, meta); err != nil {
			t.Fatalf("accepted tensors do not write back: %v", err)
		}
		ts2, _, err := ReadSafetensors(&out)
		if err != nil {
			t.Fatalf("rewritten file rejected: %v", err)
		}
		for name, v := range ts {
			if !slices.Equal(v.Shape, ts2[name].Shape) || len(v.Data) != len(ts2[name].Data) {
				t.Fatalf("tensor %q changed on rewrite", name)
			}
		}
	})
}
