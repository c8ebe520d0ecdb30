package nn

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// stModel writes a safetensors file whose metadata describes the given
// layers and input but which carries the tensors of a tiny model.
func stModel(t testing.TB, layers, input, classes string) []byte {
	t.Helper()
	m, err := New([]LayerSpec{{Kind: Dense, Units: 2}}, Config{InputH: 2, InputW: 2, Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	meta := m.metadata()
	if layers != "" {
		meta[metaLayers] = layers
	}
	if input != "" {
		meta[metaInput] = input
	}
	if classes != "" {
		meta[metaClasses] = classes
	}
	names := []string{}
	ts := m.Tensors()
	for n := range ts {
		names = append(names, n)
	}
	var b bytes.Buffer
	slices.Sort(names)
	if err := WriteSafetensors(&b, names, ts, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A small weights file whose metadata claims a huge model must be
// refused before the model is allocated.
func TestNewFromSafetensorsHugeClaims(t *testing.T) {
	dense := func(units int) string {
		b, _ := json.Marshal([]specJSON{{Kind: Dense.String(), Units: units}})
		return string(b)
	}
	conv, _ := json.Marshal([]specJSON{{Kind: Conv.String(), Filters: 4, Kernel: 3}})
	for _, tc := range []struct{ name, layers, input, classes string }{
		{"10^12 units", dense(1e12), "", ""},
		{"2^31 units", dense(1 << 31), "", ""},
		{"10^6×10^6 input", "", "1000000,1000000,1", ""},
		{"huge conv input", string(conv), "100000,100000,3", ""},
		{"10^10 classes", "", "", "10000000000"},
		{"2^40 input", "", "1099511627776,1,1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := stModel(t, tc.layers, tc.input, tc.classes)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m, err := NewFromSafetensors(bytes.NewReader(data), 1)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("accepted a model with %d parameters from a %d-byte file", len(m.params), len(data))
			}
			if !strings.HasPrefix(err.Error(), "nn: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 {
				t.Errorf("allocated %d MiB before refusing", d>>20)
			}
		})
	}
}

// FuzzNewFromSafetensors feeds arbitrary bytes to the model reader: no
// panic, no allocation beyond what the file holds, and a model it accepts
// carries exactly the file's values and writes back to a file that reads
// again.
func FuzzNewFromSafetensors(f *testing.F) {
	f.Add(stModel(f, "", "", ""))
	conv, _ := json.Marshal([]specJSON{{Kind: Conv.String(), Filters: 1, Kernel: 1}})
	f.Add(stModel(f, string(conv), "", ""))
	f.Add(stModel(f, "", "1000000,1000000,1", ""))
	f.Add(stModel(f, "[]", "2,2,1", "2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := NewFromSafetensors(bytes.NewReader(data), 1)
		if err != nil {
			return
		}
		if len(m.params) > len(data)/4 {
			t.Fatalf("%d parameters from %d bytes", len(m.params), len(data))
		}
		var out bytes.Buffer
		if err := m.WriteSafetensors(&out); err != nil {
			t.Fatalf("accepted model does not write back: %v", err)
		}
		m2, err := NewFromSafetensors(&out, 1)
		if err != nil {
			t.Fatalf("model written back does not read: %v", err)
		}
		if !slices.Equal(m.params, m2.params) && !slices.ContainsFunc(m.params, func(x float32) bool { return x != x }) {
			t.Fatal("parameters change on a round trip")
		}
	})
}
