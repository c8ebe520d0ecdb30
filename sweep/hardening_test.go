package sweep

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A record naming a weights file other than its job's (a path that climbs
// out of the store, an absolute path, another job's file) is damaged:
// readers (the report, the collector) open the weights by that name.
func TestRecordWeightsName(t *testing.T) {
	key := strings.Repeat("ab", 32)
	for _, w := range []string{"../../../etc/passwd", "/etc/passwd", strings.Repeat("cd", 32) + ".safetensors", key + ".json"} {
		r := testRecord(key)
		r.Weights = w
		b, _ := json.Marshal(r)
		if _, err := parseRecord("x.json", key, b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("weights %q: %v, want ErrCorrupt", w, err)
		}
	}
	r := testRecord(key)
	r.Weights = key + ".safetensors"
	b, _ := json.Marshal(r)
	if _, err := parseRecord("x.json", key, b); err != nil {
		t.Errorf("the job's own weights: %v", err)
	}
}

// Keys that are not 64 hex digits never name a file: Load and Put refuse
// them (a key from a message or a damaged manifest could climb out).
func TestStoreRefusesBadKeys(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"", "../../x", strings.Repeat("AB", 32), strings.Repeat("ab", 31) + "/.", strings.Repeat("ab", 33)} {
		if _, err := s.Load(k); err == nil || errors.Is(err, ErrNoRecord) {
			t.Errorf("Load(%q): %v, want a refusal", k, err)
		}
		r := testRecord(k)
		if err := s.Put(r); err == nil {
			t.Errorf("Put of key %q succeeded", k)
		}
	}
}
