package nn_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/nn"
)

// readNpyRows reads the first limit rows of a QuickDraw numpy_bitmap file
// (NumPy .npy format 1.0: magic "\x93NUMPY", version, a little-endian
// uint16 header length, a Python-literal header with descr '|u1' and shape
// (N, 784), then the rows).
func readNpyRows(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if string(pre[:6]) != "\x93NUMPY" || pre[6] != 1 {
		return nil, fmt.Errorf("%s: not a version 1 .npy file", path)
	}
	hdr := make([]byte, binary.LittleEndian.Uint16(pre[8:]))
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	m := regexp.MustCompile(`'descr':\s*'\|u1'.*'shape':\s*\((\d+),\s*784\)`).FindSubmatch(hdr)
	if m == nil {
		return nil, fmt.Errorf("%s: header %q is not uint8 (N, 784)", path, hdr)
	}
	n, _ := strconv.Atoi(string(m[1]))
	if n < limit {
		return nil, fmt.Errorf("%s: %d rows, want %d", path, n, limit)
	}
	out := make([]byte, limit*784)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, fmt.Errorf("%s: rows: %w", path, err)
	}
	return out, nil
}

// quickDrawSplit reads nTrain+nTest drawings of each of ten categories and
// splits them (first rows to training, the next to test).
func quickDrawSplit(t *testing.T, nTrain, nTest int) (train, test nn.Data) {
	dir := filepath.Join(testenv.QuickDraw(t), "numpy_bitmap")
	cats := []string{"airplane", "apple", "banana", "bicycle", "bird", "book", "clock", "diamond", "eye", "rainbow"}
	for c, name := range cats {
		rows, err := readNpyRows(filepath.Join(dir, name+".npy"), nTrain+nTest)
		if err != nil {
			t.Fatal(err)
		}
		train.X = append(train.X, rows[:nTrain*784]...)
		test.X = append(test.X, rows[nTrain*784:]...)
		for i := 0; i < nTrain; i++ {
			train.Y = append(train.Y, uint8(c))
		}
		for i := 0; i < nTest; i++ {
			test.Y = append(test.Y, uint8(c))
		}
	}
	train.N, test.N = len(train.Y), len(test.Y)
	return train, test
}

// TestQuickDrawAccuracy trains a perceptron and a small CNN on 5,000
// drawings of ten QuickDraw categories and tests them on 1,000 others.
// Chance is 0.1; the perceptron must pass 0.6 (it reaches about 0.71),
// the CNN 0.7 (it reaches about 0.81).
func TestQuickDrawAccuracy(t *testing.T) {
	train, test := quickDrawSplit(t, 500, 100)
	tests := []struct {
		name   string
		layers []nn.LayerSpec
		epochs int
		min    float64
	}{
		{"perceptron", nil, 5, 0.6},
		{"cnn", []nn.LayerSpec{{Kind: nn.Conv, Filters: 8, Kernel: 3}, {Kind: nn.MaxPool}, {Kind: nn.Dense, Units: 32}}, 3, 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := nn.New(tt.layers, nn.Config{Seed: 1, Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			h, err := m.Train(context.Background(), train, test, nn.TrainConfig{Epochs: tt.epochs, Batch: 64, LR: 0.003, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			acc, per, err := m.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: test accuracy by epoch %v; final %.3f; per class %.2f", tt.name, accs(h), acc, per)
			if acc < tt.min {
				t.Errorf("test accuracy %.3f, want ≥ %.2f", acc, tt.min)
			}
		})
	}
}

func accs(h nn.History) []float64 {
	var out []float64
	for _, e := range h.Epochs {
		out = append(out, e.TestAccuracy)
	}
	return out
}
