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
// # Measures that read the drawings again
//
// Three more measures are registered; Rank computes the one it ranks by
// (Scorer.Fill), Compute any of them, and WriteCSV adds a column for each
// that was computed. They need a category's drawings split into training
// and test drawings (LoadSplit: a seeded permutation, a fifth for test),
// and are left empty for categories with fewer than MinTrainDrawings
// drawings — the stroke-only categories of the test data, which hold 25.
//
//   - autoencoder: the test L2 cost of a two-layer perceptron autoencoder
//     784→32→784 (LeCun et al. 1998, "Gradient-based learning applied to
//     document recognition", Proc. IEEE 86(11), as Forma Fluens proposed)
//     trained on the category. h = 32: a bottleneck far narrower than the
//     784 pixels, so that the cost reflects how much the drawings agree
//     (a convergent label compresses well) rather than how well an
//     identity map is learned; ReLU hidden units; a sigmoid output,
//     because pixels x/255 lie in [0, 1]; loss and score are the mean
//     squared error per pixel. Adam (lr 0.003, batch 64, 20 epochs),
//     Glorot-uniform weights; the products run on package nn/gemm in one
//     goroutine, so a score is bit-reproducible. Low is convergent.
//     Measured on the test data's 1,000-drawing categories (800 train):
//     rainbow 0.029, cloud 0.037, eye 0.040 against cat 0.059, bird 0.056,
//     dog 0.055 (30 epochs). BenchmarkAutoencoderCost: 1.8 s per
//     1,000-drawing category in one goroutine with the two-core machine's
//     load average near 20 (noisy); ranking the 28 bitmap categories of
//     the test data by it (fluens prepare --measure autoencoder) took 25 s
//     of CPU in all.
//   - swap: swap-one-class, the seed's proposed measure: a classifier is
//     trained on a base set of labels plus the category, and the
//     category's own test accuracy is its score (high is convergent). The
//     score depends on how alike the category and the base labels are, so
//     it is averaged over DefaultBaseSets fixed base sets of
//     DefaultBaseSize labels drawn from the eligible categories, and its
//     standard deviation over the sets is kept (column swap_sd). A base
//     label under test is replaced by its set's spare label. The default
//     classifier is a one-hidden-layer perceptron (SwapLayers; see there
//     why not a CNN). Cost: 3 trainings of 10 epochs on 5 × 400 drawings
//     per category, 1–3 s each on two loaded cores, so ranking 345
//     categories by swap takes tens of minutes: opt-in, as --measure swap.
//   - fisher: a training-free baseline, Fisher's discriminant ratio F1
//     (Ho & Basu 2002) of the category against each base set's labels
//     pooled, averaged over the base sets (high is convergent).
//
// Per labelled set (a mix), FisherF1 and CSG, the cumulative spectral
// gradient (Branchaud-Charron, Achkar & Jodoin 2019), are the
// training-free dataset-complexity baselines; package findings correlates
// them with the zoo's accuracy.
package measure
