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
	var sum [quickdraw.Pixels]uint64
	img := make([]byte, quickdraw.Pixels)
	n := 0
	for {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
		}
		err := r.Next(img)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{}, err
		}
		for i, v := range img {
			sum[i] += uint64(v)
		}
		n++
	}
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
	}, nil
}

// MeasureAll measures every category of categories that the source holds
// (as bitmaps or strokes), skipping the others, with up to workers
// categories in flight at once (workers ≤ 0: runtime.GOMAXPROCS). Results
// come in the order of categories whatever the number of workers. progress,
// if not nil, is called after each category (from one goroutine at a time)
// with the number done and the total to do.
func MeasureAll(ctx context.Context, src quickdraw.Source, categories []string, limit int, workers int, progress func(done, total int)) ([]Result, error) {
	seen := make(map[string]bool, len(categories))
	var todo []string
	for _, c := range categories {
		if seen[c] {
			return nil, fmt.Errorf("measure: category %q given twice", c)
		}
		seen[c] = true
		var ok bool
		for _, f := range []quickdraw.Format{quickdraw.Bitmap, quickdraw.Simplified} {
			has, err := src.Has(ctx, c, f)
			if err != nil {
				return nil, err
			}
			if has {
				ok = true
				break
			}
		}
		if ok {
			todo = append(todo, c)
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]Result, len(todo))
	errs := make([]error, len(todo))
	jobs := make(chan int)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range min(workers, max(1, len(todo))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i], errs[i] = Measure(ctx, src, todo[i], limit)
				if errs[i] != nil {
					cancel()
				}
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(todo))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range todo {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	// Report the first real failure in category order, not a cancellation it caused.
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
	if err := ctx.Err(); err != nil && len(todo) > 0 {
		// Cancelled by the caller before every job was fed.
		for i := range todo {
			if results[i].Average == nil {
				return nil, err
			}
		}
	}
	return results, nil
}
