package findings

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadMeasures checks that readMeasures never panics and that a value
// it returns is a number it read.
func FuzzReadMeasures(f *testing.F) {
	f.Add([]byte("name,format,drawings,entropy,variance,rank\ncat,bitmap,10,7.1,0.1,1\n"))
	f.Add([]byte("name,entropy,autoencoder\ncat,7,\n"))
	f.Add([]byte("name\n\"unterminated\n"))
	f.Add([]byte("entropy\n1\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p := filepath.Join(t.TempDir(), "measures.csv")
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := readMeasures(p)
		if err != nil {
			return
		}
		for _, row := range m {
			for k := range row {
				if k == "name" || k == "format" || k == "drawings" || k == "rank" {
					t.Errorf("column %q read as a measure", k)
				}
			}
		}
	})
}
