package measure

import (
	"math"
	"testing"
)

// img784 builds an image from (value, count) runs that must fill 784 pixels.
func img784(runs ...[2]float64) []float64 {
	var out []float64
	for _, r := range runs {
		for range int(r[1]) {
			out = append(out, r[0])
		}
	}
	if len(out) != 784 {
		panic("runs do not make 784 pixels")
	}
	return out
}

func TestEntropyVariance(t *testing.T) {
	single := -(783.0/784*math.Log2(783.0/784) + 1.0/784*math.Log2(1.0/784))
	tests := []struct {
		name     string
		img      []float64
		entropy  float64 // bits
		variance float64
	}{
		{"all zero", img784([2]float64{0, 784}), 0, 0},
		{"constant", img784([2]float64{37.5, 784}), 0, 0},
		// Half background, half ink at any level: two bins of 392, 1 bit;
		// normalized pixels 0 and 1, variance 1/4.
		{"two levels", img784([2]float64{0, 392}, [2]float64{40, 392}), 1, 0.25},
		// 0, m/3, 2m/3, m map to 0, 85, 170, 255: four equal bins, 2 bits;
		// variance of {0, 1/3, 2/3, 1} is 5/36.
		{"four levels", img784([2]float64{0, 196}, [2]float64{10, 196}, [2]float64{20, 196}, [2]float64{30, 196}), 2, 5.0 / 36},
		// One ink pixel: bins of 783 and 1; variance (1/784)(1 - 1/784).
		{"one pixel", img784([2]float64{0, 783}, [2]float64{255, 1}), single, (1.0 / 784) * (1 - 1.0/784)},
		// 200 and 200.2 of a maximum 255 share bin 200: round(200/255*255) = 200
		// and round(200.2) = 200; 255 is its own bin.
		{"levels share a bin", img784([2]float64{200, 392}, [2]float64{200.2, 391}, [2]float64{255, 1}), single,
			varianceOf(img784([2]float64{200, 392}, [2]float64{200.2, 391}, [2]float64{255, 1}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Entropy(tt.img); math.Abs(got-tt.entropy) > 1e-12 {
				t.Errorf("Entropy = %v, want %v", got, tt.entropy)
			}
			if got := Variance(tt.img); math.Abs(got-tt.variance) > 1e-12 {
				t.Errorf("Variance = %v, want %v", got, tt.variance)
			}
			// Both are invariant to the scale of the image.
			scaled := make([]float64, len(tt.img))
			for i, v := range tt.img {
				scaled[i] = v * 3.7
			}
			if a, b := Entropy(scaled), Entropy(tt.img); math.Abs(a-b) > 1e-12 {
				t.Errorf("entropy changes with scale: %v vs %v", a, b)
			}
			if a, b := Variance(scaled), Variance(tt.img); math.Abs(a-b) > 1e-12 {
				t.Errorf("variance changes with scale: %v vs %v", a, b)
			}
		})
	}
	if Entropy(nil) != 0 || Variance(nil) != 0 {
		t.Error("empty image: want 0, 0")
	}
}

// varianceOf is the textbook two-pass population variance of img/max(img).
func varianceOf(img []float64) float64 {
	m := 0.0
	for _, v := range img {
		m = max(m, v)
	}
	var s, s2 float64
	for _, v := range img {
		s += v / m
	}
	mean := s / float64(len(img))
	for _, v := range img {
		s2 += (v/m - mean) * (v/m - mean)
	}
	return s2 / float64(len(img))
}

func TestNormalize8Rounding(t *testing.T) {
	// Halves round away from zero: 0.5/1 × 255 = 127.5 → 128.
	got := normalize8([]float64{0, 0.5, 1, 1.0 / 255 * 0.49, 1.0 / 255 * 0.5})
	want := []uint8{0, 128, 255, 0, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("normalize8 = %v, want %v", got, want)
		}
	}
}
