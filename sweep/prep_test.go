package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/quickdraw"
)

// Ten labels the seed found convergent and ten divergent, all present in
// ../shared/quickdraw.
var (
	testConv = []string{"clock", "eye", "rainbow", "smiley face", "diamond", "umbrella", "cookie", "apple", "book", "cloud"}
	testDiv  = []string{"cat", "dog", "bird", "octopus", "flower", "tree", "fish", "bee", "guitar", "car"}
)

// tinyPrep writes a small prepared data folder of nmix mixes from the real
// QuickDraw data: perClass drawings per label, the first fifth of them for
// test, mix k swapping the first k convergent slots for divergent ones
// (the layout of DESIGN.md; helper of the tests, not the real prepare).
func tinyPrep(t testing.TB, perClass, nmix int) string {
	t.Helper()
	src := testenv.QuickDraw(t)
	read := func(cat string) []byte {
		path := filepath.Join(src, "numpy_bitmap", cat+".npy")
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := quickdraw.NewBitmapReader(f, path, perClass)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		out := make([]byte, perClass*784)
		for i := 0; i < perClass; i++ {
			if err := r.Next(out[i*784:]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	conv := make([][]byte, 10)
	div := make([][]byte, 10)
	for i := range 10 {
		conv[i], div[i] = read(testConv[i]), read(testDiv[i])
	}
	dir := t.TempDir()
	nTest := perClass / 5
	for k := range nmix {
		var train, test idx.Dataset
		train.Rows, train.Cols, test.Rows, test.Cols = 28, 28, 28, 28
		for slot := range 10 {
			src := conv[slot]
			if slot < k {
				src = div[slot]
			}
			for i := range perClass {
				img := src[i*784 : (i+1)*784]
				if i < nTest {
					test.Images = append(test.Images, img...)
					test.Labels = append(test.Labels, uint8(slot))
				} else {
					train.Images = append(train.Images, img...)
					train.Labels = append(train.Labels, uint8(slot))
				}
			}
		}
		mdir := filepath.Join(dir, fmt.Sprintf("%s%02d", MixPrefix, k))
		if err := os.Mkdir(mdir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := idx.WriteDir(mdir, train, test); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
