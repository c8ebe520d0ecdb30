package idx_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/mix"
)

// Write two tiny sets in the MNIST layout and read them back.
func ExampleWriteDir() {
	dir, err := os.MkdirTemp("", "mnist")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	train := idx.Dataset{Rows: 28, Cols: 28, Images: make([]byte, 3*784), Labels: []uint8{0, 1, 2}}
	test := idx.Dataset{Rows: 28, Cols: 28, Images: make([]byte, 784), Labels: []uint8{9}}
	if err := idx.WriteDir(dir, train, test); err != nil {
		log.Fatal(err)
	}
	tr, te, err := idx.ReadDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tr.Len(), "train,", te.Len(), "test, labels", tr.Labels, te.Labels)
	_, err = idx.ReadLabels(filepath.Join(dir, idx.TestLabelsFile), 5)
	fmt.Println(err != nil)
	// Output:
	// 3 train, 1 test, labels [0 1 2] [9]
	// true
}

// Prepare the eleven mixes from a local QuickDraw copy, then load one for
// training.
func ExamplePrepare() {
	p, err := idx.Prepare(context.Background(), idx.PrepareOptions{
		Source:   "../shared/quickdraw",
		Out:      "prep",
		Settings: mix.DefaultSettings(),
	})
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := p.Mix(10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Manifest.Mixes[10].Labels, train.Len(), test.Len())
}
