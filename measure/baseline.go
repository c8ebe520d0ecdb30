package measure

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/fluens-lab/fluens/nn/gemm"
	"github.com/fluens-lab/fluens/quickdraw"
)

// This file holds training-free dataset-complexity baselines from the
// literature, computed on a labelled set of drawings (a mix, or one label
// against base labels).

func checkLabelled(x []byte, y []uint8, classes int) error {
	const d = quickdraw.Pixels
	if classes < 2 {
		return fmt.Errorf("measure: %d classes: need at least 2", classes)
	}
	if len(x) != len(y)*d {
		return fmt.Errorf("measure: %d bytes of drawings for %d labels", len(x), len(y))
	}
	seen := make([]bool, classes)
	for i, c := range y {
		if int(c) >= classes {
			return fmt.Errorf("measure: drawing %d has label %d, want < %d", i, c, classes)
		}
		seen[c] = true
	}
	if slices.Contains(seen, false) {
		return fmt.Errorf("measure: a class of the %d has no drawings", classes)
	}
	return nil
}

// FisherF1 returns Fisher's discriminant ratio F1 of a labelled set of
// drawings, the first complexity measure of Ho & Basu 2002 ("Complexity
// measures of supervised classification problems", IEEE TPAMI 24(3),
// 289–300): the largest, over the 784 pixels, of the ratio of the spread
// between class means to the spread within classes. For more than two
// classes it uses the generalisation of Mollineda, Sánchez & Sotoca 2005
// ("Data characterization for effective prototype selection", IbPRIA,
// LNCS 3523):
//
//	f(p) = Σ_k n_k (μ_kp − μ_p)² / Σ_k Σ_{i∈k} (x_ip − μ_kp)²
//
// with n_k the drawings of class k, μ_kp their mean at pixel p and μ_p the
// mean of all drawings. For two balanced classes f is half Ho & Basu's
// (μ1−μ2)²/(σ1²+σ2²), so rankings agree. Pixels that never vary are
// skipped; a pixel that separates the classes perfectly (no spread within
// classes, some between) gives +Inf. High F1 means an easy, separable
// set. x holds 784-byte drawings one after another, y their classes
// 0 … classes−1, each class present.
func FisherF1(x []byte, y []uint8, classes int) (float64, error) {
	if err := checkLabelled(x, y, classes); err != nil {
		return 0, err
	}
	const d = quickdraw.Pixels
	n := make([]float64, classes)
	sum := make([]float64, classes*d)
	for i, c := range y {
		n[c]++
		row := x[i*d : (i+1)*d]
		s := sum[int(c)*d : (int(c)+1)*d]
		for p, v := range row {
			s[p] += float64(v)
		}
	}
	mean := make([]float64, classes*d)
	all := make([]float64, d)
	for c := range classes {
		for p := range d {
			mean[c*d+p] = sum[c*d+p] / n[c]
			all[p] += sum[c*d+p]
		}
	}
	for p := range all {
		all[p] /= float64(len(y))
	}
	within := make([]float64, d)
	for i, c := range y {
		row := x[i*d : (i+1)*d]
		m := mean[int(c)*d : (int(c)+1)*d]
		for p, v := range row {
			e := float64(v) - m[p]
			within[p] += e * e
		}
	}
	best := math.NaN()
	for p := range d {
		between := 0.0
		for c := range classes {
			e := mean[c*d+p] - all[p]
			between += n[c] * e * e
		}
		if between == 0 {
			continue
		}
		f := math.Inf(1)
		if within[p] > 0 {
			f = between / within[p]
		}
		if math.IsNaN(best) || f > best {
			best = f
		}
	}
	if math.IsNaN(best) {
		best = 0 // no pixel tells the classes apart
	}
	return best, nil
}

// CSGConfig sets up CSG. Zero fields take the defaults in brackets.
type CSGConfig struct {
	M    int    // drawings sampled per class [100]
	K    int    // nearest neighbours [5]
	Seed uint64 // seeds the sampling
}

// CSG returns the cumulative spectral gradient of a labelled set of
// drawings (Branchaud-Charron, Achkar & Jodoin 2019, "Spectral Metric for
// Dataset Complexity", CVPR): M drawings are sampled per class; for each
// sample x of class i the share of each class j among its K nearest
// neighbours (Euclidean, among all samples, itself excluded) estimates
// p(x | C_j); averaging over the samples of class i and normalising the
// row to sum 1 gives the class-similarity matrix S. W_ij = 1 − BC(S_i, S_j)
// with BC the Bray–Curtis dissimilarity Σ|S_ik − S_jk| / Σ|S_ik + S_jk|;
// L = D − W its Laplacian (D the diagonal of W's row sums) with
// eigenvalues λ_0 ≤ … ≤ λ_{C−1}; and
//
//	CSG = Σ_{i=0}^{C−2} max_{j≤i} (λ_{j+1} − λ_j)/(C − j).
//
// High CSG means overlapping classes: a hard set. Departures from the
// paper, said plainly: the drawings are used as raw pixels (x/255) rather
// than an embedding, and the Parzen-window volume that divides the kNN
// shares is left out — in 784 dimensions the reference implementation
// clamps it to its floor (1e−4) for every sample, a constant that the
// row normalisation removes.
func CSG(x []byte, y []uint8, classes int, cfg CSGConfig) (float64, error) {
	if err := checkLabelled(x, y, classes); err != nil {
		return 0, err
	}
	const d = quickdraw.Pixels
	if cfg.M == 0 {
		cfg.M = 100
	}
	if cfg.K == 0 {
		cfg.K = 5
	}
	if cfg.M < 1 || cfg.K < 1 {
		return 0, fmt.Errorf("measure: CSG: bad config %+v", cfg)
	}
	// Sample M drawings per class.
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xc56))
	byClass := make([][]int, classes)
	for i, c := range y {
		byClass[c] = append(byClass[c], i)
	}
	var idx []int
	var lab []uint8
	for c, is := range byClass {
		rng.Shuffle(len(is), func(a, b int) { is[a], is[b] = is[b], is[a] })
		for _, i := range is[:min(cfg.M, len(is))] {
			idx = append(idx, i)
			lab = append(lab, uint8(c))
		}
	}
	n := len(idx)
	if n <= cfg.K {
		return 0, fmt.Errorf("measure: CSG: %d samples for %d neighbours", n, cfg.K)
	}
	xs := make([]float32, n*d)
	norm := make([]float32, n)
	for r, i := range idx {
		for p, v := range x[i*d : (i+1)*d] {
			f := float32(v) / 255
			xs[r*d+p] = f
			norm[r] += f * f
		}
	}
	// Squared distances |a|² + |b|² − 2a·b from one product.
	dot := make([]float32, n*n)
	gemm.Gemm{Threads: 1}.Sgemm(false, true, n, n, d, 1, xs, d, xs, d, 0, dot, n)
	s := make([]float64, classes*classes)
	type nb struct {
		dist float32
		j    int
	}
	row := make([]nb, 0, n)
	for a := range n {
		row = row[:0]
		for b := range n {
			if b != a {
				row = append(row, nb{norm[a] + norm[b] - 2*dot[a*n+b], b})
			}
		}
		slices.SortFunc(row, func(p, q nb) int {
			switch {
			case p.dist < q.dist:
				return -1
			case p.dist > q.dist:
				return 1
			}
			return p.j - q.j
		})
		for _, q := range row[:cfg.K] {
			s[int(lab[a])*classes+int(lab[q.j])] += 1 / float64(cfg.K)
		}
	}
	for i := range classes {
		r := s[i*classes : (i+1)*classes]
		t := 0.0
		for _, v := range r {
			t += v
		}
		for j := range r {
			r[j] /= t
		}
	}
	w := mat.NewSymDense(classes, nil)
	for i := range classes {
		for j := i; j < classes; j++ {
			num, den := 0.0, 0.0
			for k := range classes {
				num += math.Abs(s[i*classes+k] - s[j*classes+k])
				den += math.Abs(s[i*classes+k] + s[j*classes+k])
			}
			w.SetSym(i, j, 1-num/den)
		}
	}
	lap := mat.NewSymDense(classes, nil)
	for i := range classes {
		deg := 0.0
		for j := range classes {
			deg += w.At(i, j)
		}
		for j := i; j < classes; j++ {
			v := -w.At(i, j)
			if i == j {
				v += deg
			}
			lap.SetSym(i, j, v)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(lap, false) {
		return 0, fmt.Errorf("measure: CSG: eigendecomposition failed")
	}
	lambda := eig.Values(nil) // ascending
	slices.Sort(lambda)
	csg, run := 0.0, math.Inf(-1)
	for j := 0; j+1 < classes; j++ {
		run = max(run, (lambda[j+1]-lambda[j])/float64(classes-j))
		csg += run
	}
	return csg, nil
}
