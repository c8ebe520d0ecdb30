package idx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/hostile"
)

// A gzip bomb posing as IDX: a header announcing a small file, then 1 GiB
// of zeros. Each reader (whole-file decoders and the streaming Reader)
// stops right after the announced data with an error wrapping ErrFormat,
// having read a few KiB of the bomb, in a fixed memory bound.
func TestHostileGzipBomb(t *testing.T) {
	const inflated = 1 << 30
	for _, tc := range []struct {
		name string
		hdr  []byte
		read func(r io.Reader) error
		want string
	}{
		{"labels", header(8, 10), func(r io.Reader) error { _, err := DecodeLabels(r, 0); return err }, "trailing data"},
		{"images", header(8, 10000, 28, 28), func(r io.Reader) error { _, err := DecodeImages(r); return err }, "trailing data"},
		{"images, 2^31 claimed", header(8, 0x7fffffff, 28, 28), func(r io.Reader) error { _, err := DecodeImages(r); return err }, "more than the limit"},
		{"stream", header(8, 10000, 28, 28), func(r io.Reader) error {
			rd, err := NewReader(r)
			if err != nil {
				return err
			}
			item := make([]byte, rd.ItemSize())
			for {
				if err := rd.Next(item); err != nil {
					return err
				}
			}
		}, "trailing data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, consumed, stop := hostile.GzipBomb(tc.hdr, inflated)
			defer stop()
			var err error
			alloc := hostile.AllocDuring(func() { err = tc.read(r) })
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an ErrFormat error about %q", err, tc.want)
			}
			if c := consumed.Load(); c > 1<<20 {
				t.Errorf("read %d KiB of the bomb before refusing it", c>>10)
			}
			if alloc > hostile.Bound {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			t.Logf("%v (%d KiB of gzip read, %d KiB allocated)", err, consumed.Load()>>10, alloc>>10)
		})
	}
}

// A 17-byte file whose header announces one item of 1 GiB (found by
// FuzzDecode: the fuzzing process stalled allocating the item) is refused
// by the streaming Reader before any caller allocates an item.
func TestHostileItemSize(t *testing.T) {
	in := append(header(8, 1, 2, 0x20000200), 0x10)
	var err error
	alloc := hostile.AllocDuring(func() { _, err = NewReader(bytes.NewReader(in)) })
	if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "more than the limit of 67108864") {
		t.Fatalf("got %v, want an error about the item size", err)
	}
	if alloc > hostile.Bound {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
	if _, _, err := Decode(bytes.NewReader(in)); err == nil || !strings.Contains(err.Error(), "more than the limit of 67108864") {
		t.Errorf("Decode: %v, want the same refusal", err)
	}
	// Also when the file announces no item at all (found by FuzzDecode:
	// Decode accepted what the Reader refused).
	if _, _, err := Decode(bytes.NewReader(header(8, 0, 3158064, 1072))); err == nil {
		t.Error("Decode accepted items of 3 GB")
	}
}

// A labels.json whose average images lie outside averages/ is refused:
// the report opens these paths.
func TestManifestAveragesStayInside(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	good, err := ParseManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"../../etc/passwd", "/etc/passwd", "averages/../../x.png", "x.png", "averages/../labels.json"} {
		m := good
		m.Averages = map[string]string{good.Convergent[0]: rel}
		b, _ := json.Marshal(m)
		if _, err := ParseManifest(b); err == nil || !strings.Contains(err.Error(), "not inside averages/") {
			t.Errorf("average at %q: %v", rel, err)
		}
	}
	m := good
	m.Averages = map[string]string{good.Convergent[0]: "averages/" + good.Convergent[0] + ".png"}
	b, _ := json.Marshal(m)
	if _, err := ParseManifest(b); err != nil {
		t.Errorf("a proper average path: %v", err)
	}
}
