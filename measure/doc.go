// Package measure averages QuickDraw categories and scores how convergent
// each average is, following Forma Fluens (Hendrik Strobelt, Ben Phibbs,
// Mauro Martino; formafluens.io, "model decay" experiments).
//
// Averages are streamed: Measure adds each 28×28 drawing into 784 running
// sums, so a category costs O(784) memory whatever its file size. The
// average of n drawings is sum/n per pixel, on the 0–255 scale of the
// bitmaps.
//
// Measures (Forma Fluens, formafluens.io):
//
//   - Entropy, the normalized sample entropy: the average divided by its
//     maximum, each pixel mapped to 8 bits as round(v/max × 255) (nearest,
//     halves away from zero), the 784 values counted in 256 bins, and the
//     Shannon entropy of the bins in bits (log base 2). Range [0, 8].
//   - Variance, the normalized sample variance: the population variance
//     (divide by 784) of the max-normalized average, unquantized. Range [0, 0.25].
//
// An all-zero average (no ink at all) is defined to have entropy 0 and
// variance 0 rather than dividing by zero.
//
// Direction: a convergent category's drawings agree, so its average keeps
// a few sharp strokes over a mostly empty background: most pixels fall in
// the lowest bins and the entropy is low. Its variance is low as well: the
// ink covers few pixels. Rank sorts most convergent first, low before high,
// for both measures; see the package tests for the evidence on the real
// data.
//
// Measures are named in a registry (Names, Lookup, Register) so that later
// measures (autoencoder cost, swap-one-class) can join Rank and the CSV.
package measure
