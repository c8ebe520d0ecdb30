package sweep

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseRecord feeds arbitrary bytes to the record reader: it must
// never panic, and a record it accepts must hold the key it was read under
// and survive a write and a second read unchanged.
func FuzzParseRecord(f *testing.F) {
	key := strings.Repeat("ab", 32)
	good, _ := json.Marshal(testRecord(key))
	f.Add(good)
	f.Add([]byte(`{"key": "` + key + `"}`))
	f.Add([]byte(`{"key": "` + key + `", "train_loss": [null], "epochs": 1}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRecord("fuzz.json", key, b)
		if err != nil {
			return
		}
		if r.Key != key {
			t.Fatalf("accepted a record of key %q", r.Key)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("accepted record does not marshal: %v", err)
		}
		r2, err := parseRecord("fuzz.json", key, again)
		if err != nil {
			t.Fatalf("written record does not read back: %v\n%s", err, again)
		}
		third, _ := json.Marshal(r2)
		if string(third) != string(again) {
			t.Fatalf("record changed on a second round trip:\n%s\n%s", again, third)
		}
	})
}
