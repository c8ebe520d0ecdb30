package measure

import "math"

// normalize8 maps the average image to 8-bit levels: each pixel divided by
// the image's maximum, times 255, rounded to the nearest integer (halves
// away from zero, math.Round). An image whose maximum is 0 (or that is
// empty) maps to all zeros.
func normalize8(avg []float64) []uint8 {
	m := 0.0
	for _, v := range avg {
		m = max(m, v)
	}
	out := make([]uint8, len(avg))
	if m <= 0 {
		return out
	}
	for i, v := range avg {
		out[i] = uint8(math.Round(max(0, v) / m * 255))
	}
	return out
}

// Entropy returns the normalized sample entropy of an average image, in
// bits, as Forma Fluens defines it (Strobelt, Phibbs, Martino; formafluens.io):
// the image is divided by its maximum, each pixel mapped to 8 bits as
// round(v/max × 255), the 784 levels counted in 256 bins, and the Shannon
// entropy −Σ p log2 p of the bins' frequencies returned. It lies in
// [0, log2(min(256, len(avg)))]; an all-zero image (every pixel in bin 0)
// has entropy 0. Low entropy means few distinct levels: a sharp, convergent
// average.
func Entropy(avg []float64) float64 {
	if len(avg) == 0 {
		return 0
	}
	var hist [256]int
	for _, v := range normalize8(avg) {
		hist[v]++
	}
	n := float64(len(avg))
	h := 0.0
	for _, c := range hist {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h + 0 // +0 turns −0 into 0
}

// Variance returns the normalized sample variance of an average image: the
// population variance (divided by the number of pixels, not n−1) of the
// pixels of the image divided by its maximum, so that it lies in [0, 0.25].
// The pixels are used as real numbers, not quantized to 8 bits. An all-zero
// (or empty) image has variance 0.
func Variance(avg []float64) float64 {
	m := 0.0
	for _, v := range avg {
		m = max(m, v)
	}
	if m <= 0 || len(avg) == 0 {
		return 0
	}
	mean := 0.0
	for _, v := range avg {
		mean += v / m
	}
	mean /= float64(len(avg))
	ss := 0.0
	for _, v := range avg {
		d := v/m - mean
		ss += d * d
	}
	return ss / float64(len(avg))
}
