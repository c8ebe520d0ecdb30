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
// Direction: low is convergent for both measures, and Rank puts the lowest
// first. A convergent category's drawings agree, so its average keeps a few
// sharp strokes over an empty background: most pixels fall in a few low
// bins (low entropy) and little of the image is inked (low variance of the
// max-normalized pixels). A divergent average is a wide blob of many grey
// levels. Evidence on the 28 bitmap categories of the test data (all
// drawings, see TestRankRealData): by entropy rainbow ranks 2nd and eye
// 11th, dog 21st and cat 26th; by variance cat, bird and dog rank last
// (the highest variance: 0.123, 0.121, 0.109) and rainbow 6th (0.048).
// Clock does not rank convergent by entropy on this data (25th of 28): its
// average is a sharp ring around a wide grey disc whose many grey levels
// raise the entropy.
//
// Measures are named in a registry (Names, Lookup, Register) so that later
// measures (autoencoder cost, swap-one-class) can join Rank and the CSV.
package measure
