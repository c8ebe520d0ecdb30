package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParseRecord feeds arbitrary bytes to the parser of result records:
// it must never panic, must wrap ErrCorrupt and name the file for what it
// refuses, and what it accepts must be consistent (one loss and accuracy
// per epoch, the file's key) and survive a write and a second read
// unchanged.
func FuzzParseRecord(f *testing.F) {
	key := strings.Repeat("ab", 32)
	good, err := json.MarshalIndent(testRecord(key), "", "  ")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(strings.Replace(string(good), `"train_loss": [`, `"train_loss": [null, `, 1)))
	f.Add([]byte(`{"key":"` + key + `","epochs":0,"train_loss":[],"test_acc":[],"per_class":[1e999],"spec":"F1","mix":"m"}`))
	f.Add([]byte(`{"key":"` + key + `"} {}`))
	f.Add([]byte(`{"key":"` + key + `","start":"not a time"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		const path = "runs/jobs/fuzz.json"
		r, err := parseRecord(path, key, b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "sweep: "+path+": ") {
				t.Fatalf("error %q does not wrap ErrCorrupt naming the file", err)
			}
			return
		}
		if r.Key != key || len(r.TrainLoss) != r.Epochs || len(r.TestAcc) != r.Epochs || len(r.PerClass) == 0 || r.Spec == "" || r.Mix == "" {
			t.Fatalf("inconsistent record accepted: %+v", r)
		}
		out, err := json.Marshal(r)
		if err != nil {
			// A time outside what RFC 3339 can write (year > 9999) parses
			// but does not marshal: it cannot come from Put.
			if strings.Contains(err.Error(), "Time.MarshalJSON") {
				return
			}
			t.Fatalf("accepted record does not marshal: %v", err)
		}
		r2, err := parseRecord(path, key, out)
		if err != nil {
			t.Fatalf("record written back does not parse: %v\n%s", err, out)
		}
		out2, _ := json.Marshal(r2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("record changes on a second round trip:\n%s\n%s", out, out2)
		}
	})
}
