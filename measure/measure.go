package measure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/fluens-lab/fluens/quickdraw"
)

// Result is what Measure finds for one category.
type Result struct {
	Category string           // the category name
	Format   quickdraw.Format // where the drawings came from: bitmaps or rendered strokes
	Drawings int              // drawings averaged
	Average  []float64        // the 784-pixel average image, row-major, 0–255
	Entropy  float64          // normalized sample entropy of Average, bits
	Variance float64          // normalized sample variance of Average
	Rank     int              // 1-based position after Rank (0 before ranking)

	// Scores holds the measures computed beyond Entropy and Variance
	// (autoencoder, swap, fisher, …), by name, filled by Compute or by
	// Rank for the measure it ranks by. A measure that was not computed
	// for the category is absent; so are the training-based measures of a
	// category with fewer than MinTrainDrawings drawings.
	Scores map[string]float64

	// src and limit say where the drawings came from, for the measures
	// that read them again (autoencoder, swap-one-class).
	src   quickdraw.Source
	limit int
}

// Measure averages the first limit drawings of a category (all when
// limit ≤ 0), bitmaps where the source has them and rendered strokes
// otherwise, and computes its measures. Memory is O(784) whatever the size
// of the category's file. A category with no drawings is an error.
func Measure(ctx context.Context, src quickdraw.Source, category string, limit int) (Result, error) {
	r, f, err := quickdraw.Images(ctx, src, category, limit)
	if err != nil {
		return Result{}, err
	}
	defer r.Close()
	// Rows are added into 32-bit sums, flushed into 64-bit ones every
	// 1<<20 rows (1<<20 × 255 < 1<<32), so any row count is exact.
	var sum [quickdraw.Pixels]uint64
	var part [quickdraw.Pixels]uint32
	flush := func() {
		for i, v := range part {
			sum[i] += uint64(v)
		}
		clear(part[:])
	}
	img := make([]byte, quickdraw.Pixels)
	n := 0
	for {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
			if n&(1<<20-1) == 0 {
				flush()
			}
		}
		err := r.Next(img)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{}, err
		}
		img := img[:quickdraw.Pixels]
		for i := range part {
			part[i] += uint32(img[i])
		}
		n++
	}
	flush()
	if err := r.Close(); err != nil {
		return Result{}, fmt.Errorf("measure: %s: %w", category, err)
	}
	if n == 0 {
		return Result{}, fmt.Errorf("measure: %s: category %q has no drawings", src, category)
	}
	avg := make([]float64, quickdraw.Pixels)
	for i, s := range sum {
		avg[i] = float64(s) / float64(n)
	}
	return Result{
		Category: category,
		Format:   f,
		Drawings: n,
		Average:  avg,
		Entropy:  Entropy(avg),
		Variance: Variance(avg),
		src:      src,
		limit:    limit,
	}, nil
}

// MeasureAll measures every category of categories that the source holds
// (as bitmaps or strokes), skipping the others, with up to workers
// categories in flight at once (workers ≤ 0: runtime.GOMAXPROCS). Results
// come in the order of categories whatever the number of workers; a
// category given twice is an error. progress, if not nil, is called after
// each category, skipped or not (from one goroutine at a time), with the
// number done and len(categories). The first error, in the order of
// categories, stops the work and is returned.
func MeasureAll(ctx context.Context, src quickdraw.Source, categories []string, limit int, workers int, progress func(done, total int)) ([]Result, error) {
	seen := make(map[string]bool, len(categories))
	for _, c := range categories {
		if seen[c] {
			return nil, fmt.Errorf("measure: category %q given twice", c)
		}
		seen[c] = true
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]Result, len(categories))
	errs := make([]error, len(categories))
	missing := make([]bool, len(categories))
	jobs := make(chan int)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range min(workers, max(1, len(categories))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i], errs[i] = Measure(ctx, src, categories[i], limit)
				if errors.Is(errs[i], quickdraw.ErrNoCategory) {
					missing[i], errs[i] = true, nil
				}
				if errs[i] != nil {
					cancel()
				}
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(categories))
				}
				mu.Unlock()
			}
		}()
	}
	fed := 0
feed:
	for i := range categories {
		select {
		case jobs <- i:
			fed++
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	// Report the first real failure in category order, not a
	// cancellation that it caused.
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
		if err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	if fed < len(categories) {
		return nil, ctx.Err()
	}
	out := make([]Result, 0, len(categories))
	for i, r := range results {
		if !missing[i] {
			out = append(out, r)
		}
	}
	return out, nil
}
