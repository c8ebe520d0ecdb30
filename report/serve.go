package report

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/sweep"
)

// Server serves the report of a result store and a prepared data folder
// and rebuilds it as results land: Watch polls the store and rebuilds the
// page when its records change; the page, served over HTTP, polls
// /version and reloads itself when a newer build exists. Static figures
// are rendered when first asked for, once per build.
type Server struct {
	runs, prep string
	// Logf, if not nil, logs rebuilds and their errors.
	Logf func(format string, args ...any)

	mu       sync.Mutex
	data     *Input // what LoadData read, reused while labels.json is unchanged
	dataSig  string
	runsSig  string
	in       *Input
	page     []byte
	build    string
	figs     map[string][]byte
	lastErr  error
	building sync.Mutex
}

// NewServer returns a server of the report of runs (a result store) and
// prep (a prepared data folder; "" for none). It builds nothing until
// Rebuild or Watch is called.
func NewServer(runs, prep string) *Server {
	return &Server{runs: runs, prep: prep}
}

// signature summarises the state of the store (count, sizes and latest
// modification of its records) and of the prepared folder's manifest.
func (s *Server) signature() (runs, data string) {
	var n int
	var size int64
	var latest time.Time
	ents, err := os.ReadDir(filepath.Join(s.runs, sweep.JobsDir))
	if err != nil {
		runs = "error: " + err.Error()
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") && !strings.HasSuffix(e.Name(), ".safetensors") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		n++
		size += fi.Size()
		if fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	if runs == "" {
		runs = fmt.Sprintf("%d %d %d", n, size, latest.UnixNano())
	}
	if s.prep != "" {
		if fi, err := os.Stat(filepath.Join(s.prep, idx.ManifestFile)); err == nil {
			data = fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
		} else {
			data = "error: " + err.Error()
		}
	}
	return runs, data
}

// Rebuild rebuilds the page if the store or the prepared folder changed
// since the last build, and reports whether it did. After an error the
// previous page stays served.
func (s *Server) Rebuild() (bool, error) {
	s.building.Lock()
	defer s.building.Unlock()
	runsSig, dataSig := s.signature()
	s.mu.Lock()
	same := s.page != nil && runsSig == s.runsSig && dataSig == s.dataSig
	data := s.data
	if dataSig != s.dataSig {
		data = nil
	}
	s.mu.Unlock()
	if same {
		return false, nil
	}
	in, data, err := s.load(data)
	if err == nil {
		var files map[string][]byte
		files, err = Files(in, time.Now(), false)
		if err == nil {
			s.mu.Lock()
			s.data, s.dataSig, s.runsSig = data, dataSig, runsSig
			s.in, s.page, s.build = in, files["index.html"], BuildID(files["index.html"])
			s.figs = map[string][]byte{}
			s.lastErr = nil
			s.mu.Unlock()
			return true, nil
		}
	}
	s.mu.Lock()
	s.lastErr = err
	s.runsSig, s.dataSig = runsSig, dataSig // do not retry until something changes
	s.mu.Unlock()
	return false, err
}

// load reads the prepared folder (unless data holds it already) and the
// store into a fresh Input.
func (s *Server) load(data *Input) (*Input, *Input, error) {
	if data == nil {
		data = &Input{}
		if s.prep != "" {
			var err error
			if data, err = LoadData(s.prep); err != nil {
				return nil, nil, err
			}
		}
	}
	in := *data
	in.Run.Settings = append([]KV(nil), data.Run.Settings...)
	in.Run.Warnings = append([]string(nil), data.Run.Warnings...)
	in.Mixes = append([]Mix(nil), data.Mixes...)
	// The store may be written while it is served: a damaged record is a
	// warning on the page, never a failure.
	if err := in.LoadRuns(s.runs, LoadOptions{SkipDamaged: true}); err != nil {
		return nil, nil, err
	}
	return &in, data, nil
}

// Watch rebuilds the report every interval until ctx ends.
func (s *Server) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		changed, err := s.Rebuild()
		switch {
		case err != nil && s.Logf != nil:
			s.Logf("serve: rebuilding the report: %v", err)
		case changed && s.Logf != nil:
			s.mu.Lock()
			s.Logf("serve: report rebuilt (build %s, %d models, %d jobs)", s.build, len(s.in.Models), s.in.Run.Jobs)
			s.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ServeHTTP serves / (the page), /version (the build id as text) and
// /figures/<name>.svg|png.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mu.Lock()
	page, build, in, lastErr := s.page, s.build, s.in, s.lastErr
	s.mu.Unlock()
	switch p := r.URL.Path; {
	case p == "/" || p == "/index.html":
		if page == nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Refresh", "2")
			w.WriteHeader(http.StatusServiceUnavailable)
			msg := "fluens serve: no report built yet"
			if lastErr != nil {
				msg += ": " + lastErr.Error()
			}
			fmt.Fprintln(w, msg)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'")
		w.Write(page)
	case p == "/version":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, build)
	case strings.HasPrefix(p, "/figures/") && in != nil:
		name := strings.TrimPrefix(p, "/figures/")
		b, err := s.figure(in, build, name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if strings.HasSuffix(name, ".png") {
			w.Header().Set("Content-Type", "image/png")
		} else {
			w.Header().Set("Content-Type", "image/svg+xml")
		}
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

// figure renders one static figure of a build, once.
func (s *Server) figure(in *Input, build, name string) ([]byte, error) {
	s.mu.Lock()
	if b, ok := s.figs[name]; ok && s.build == build {
		s.mu.Unlock()
		return b, nil
	}
	s.mu.Unlock()
	base, ext, _ := strings.Cut(name, ".")
	figs, err := figures(in)
	if err != nil {
		return nil, err
	}
	for _, f := range figs {
		if f.name != base {
			continue
		}
		var b []byte
		switch ext {
		case "svg":
			b, err = f.svg()
		case "png":
			b, err = f.png(PrintDPI)
		default:
			return nil, fmt.Errorf("no figure %s", name)
		}
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.build == build {
			s.figs[name] = b
		}
		s.mu.Unlock()
		return b, nil
	}
	return nil, fmt.Errorf("no figure %s", name)
}
