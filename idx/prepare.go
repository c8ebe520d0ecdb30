package idx

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/quickdraw"
)

// PrepareOptions configures Prepare, the whole `fluens prepare` pipeline.
type PrepareOptions struct {
	Source string // folder or base URL of the QuickDraw copy ("" = quickdraw.DefaultURL)
	Out    string // the prepared folder to write

	// Settings: per-class count, test fraction, seed and measure (Source
	// is filled from the field above).
	Settings mix.Settings
	// Convergent and Divergent, when given, replace the choice by measure.
	Convergent, Divergent []string
	// Categories limits the categories considered (nil: all of
	// quickdraw.Categories()); those the source lacks are skipped.
	Categories []string
	// Workers bounds the categories read at once (≤ 0: GOMAXPROCS).
	Workers int
	// Force replaces an existing Out.
	Force bool
	// QuickDraw configures the source (HTTP client, cache folder).
	QuickDraw quickdraw.Options
	// Progress, if not nil, reports each stage: "measure", "load",
	// "export", with the count done and the total.
	Progress func(stage string, done, total int)
	// Log, if not nil, receives one line for each decision (the lists chosen).
	Log func(format string, args ...any)
}

// Prepare measures every category the source holds (bitmaps, or strokes
// where a category has no bitmaps) on its first Settings.PerClass drawings,
// ranks them by Settings.Measure, chooses the convergent and divergent
// labels (or checks the given ones), builds the mixes and exports them to
// Out. It checks every option before reading any data. The same source
// data and options give byte-identical IDX files, whether the source is a
// folder or an HTTP mirror of it.
func Prepare(ctx context.Context, opt PrepareOptions) (*Prepared, error) {
	s := opt.Settings
	if opt.Source == "" {
		opt.Source = quickdraw.DefaultURL
	}
	s.Source = opt.Source
	if err := s.Check(); err != nil {
		return nil, err
	}
	if _, err := measure.Lookup(s.Measure); err != nil {
		return nil, err
	}
	if (len(opt.Convergent) == 0) != (len(opt.Divergent) == 0) {
		return nil, fmt.Errorf("mix: %w: give both the convergent and the divergent list, or neither", mix.ErrLists)
	}
	if opt.Out == "" {
		return nil, fmt.Errorf("idx: no output folder")
	}
	if err := CheckDest(opt.Out, opt.Force); err != nil {
		return nil, err
	}
	progress := func(stage string) func(done, total int) {
		if opt.Progress == nil {
			return nil
		}
		return func(done, total int) { opt.Progress(stage, done, total) }
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	logf := opt.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}

	for _, pat := range []string{".tmp-*", ".old-*"} {
		stale, _ := filepath.Glob(filepath.Clean(opt.Out) + pat)
		for _, st := range stale {
			logf("note: %s is an incomplete folder from an interrupted (or still running) prepare; remove it when no run uses it", st)
		}
	}

	src, err := quickdraw.Open(opt.Source, opt.QuickDraw)
	if err != nil {
		return nil, err
	}
	cats := opt.Categories
	if cats == nil {
		cats = quickdraw.Categories()
	}
	available, err := availableCategories(ctx, src, cats, opt.Workers)
	if err != nil {
		return nil, err
	}
	if len(available) == 0 {
		return nil, fmt.Errorf("quickdraw: source %s holds none of the %d categories asked for (as numpy_bitmap/<category>.npy or simplified/<category>.ndjson)",
			src, len(cats))
	}
	logf("source %s holds %d of the %d categories asked for", src, len(available), len(cats))
	if len(opt.Convergent) > 0 {
		if err := mix.CheckLists(opt.Convergent, opt.Divergent, available); err != nil {
			return nil, fmt.Errorf("mix: %w", err)
		}
	}

	// Given lists are loaded first, so that a label with too few drawings
	// fails the run before the long measuring stage.
	var b *mix.Bundle
	if len(opt.Convergent) > 0 {
		if b, err = mix.Build(ctx, src, opt.Convergent, opt.Divergent, s, opt.Workers, progress("load")); err != nil {
			return nil, err
		}
	}
	results, err := measure.MeasureAll(ctx, src, available, s.PerClass, opt.Workers, progress("measure"))
	if err != nil {
		return nil, err
	}
	ranked, err := measure.Rank(results, s.Measure)
	if err != nil {
		return nil, err
	}
	if b == nil {
		conv, div, err := mix.Choose(ranked, s.PerClass)
		if err != nil {
			return nil, err
		}
		logf("chose by %s among %d categories: convergent %q, divergent %q", s.Measure, len(ranked), conv, div)
		if b, err = mix.Build(ctx, src, conv, div, s, opt.Workers, progress("load")); err != nil {
			return nil, err
		}
	}
	b.Measures = ranked
	if err := Export(opt.Out, b, ExportOptions{Context: ctx, Force: opt.Force, Progress: progress("export"), Workers: opt.Workers}); err != nil {
		return nil, err
	}
	return Open(opt.Out)
}

// availableCategories returns the categories of cats that src holds as
// bitmaps or strokes, in the order of cats, asking up to workers at once
// (each question is a HEAD request over HTTP).
func availableCategories(ctx context.Context, src quickdraw.Source, cats []string, workers int) ([]string, error) {
	has := make([]bool, len(cats))
	errs := make([]error, len(cats))
	next := make(chan int, len(cats))
	for i := range cats {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(max(workers, 1), max(len(cats), 1)) {
		wg.Go(func() {
			for i := range next {
				for _, f := range []quickdraw.Format{quickdraw.Bitmap, quickdraw.Simplified} {
					ok, err := src.Has(ctx, cats[i], f)
					if err != nil {
						errs[i] = err
						break
					}
					if ok {
						has[i] = true
						break
					}
				}
			}
		})
	}
	wg.Wait()
	var out []string
	for i, c := range cats {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if has[i] {
			out = append(out, c)
		}
	}
	return out, nil
}
