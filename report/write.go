package report

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Files renders the report in memory: "index.html" and, if withFigures,
// "figures/<name>.svg" and "figures/<name>.png" for every static figure,
// mapped to their contents. built is the time written on the page.
func Files(in *Input, built time.Time, withFigures bool) (map[string][]byte, error) {
	page, err := renderPage(in, built)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{"index.html": page}
	if !withFigures {
		return files, nil
	}
	figs, err := figures(in)
	if err != nil {
		return nil, err
	}
	for _, f := range figs {
		svg, err := f.svg()
		if err != nil {
			return nil, err
		}
		png, err := f.png(PrintDPI)
		if err != nil {
			return nil, err
		}
		files["figures/"+f.name+".svg"] = svg
		files["figures/"+f.name+".png"] = png
	}
	return files, nil
}

// Write renders the report into dir: dir/index.html and dir/figures/. It
// builds the whole report in a temporary folder next to dir and renames it
// into place, so dir holds either the previous report or the new one,
// never half of one.
func Write(dir string, in *Input) error {
	files, err := Files(in, time.Now(), true)
	if err != nil {
		return err
	}
	return writeFiles(dir, files)
}

// writeFiles writes files into a fresh folder and swaps it in for dir.
func writeFiles(dir string, files map[string][]byte) (err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for name, data := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := writeSynced(p, data); err != nil {
			return err
		}
	}
	if fi, statErr := os.Stat(dir); statErr == nil {
		if !fi.IsDir() {
			return fmt.Errorf("report: %s exists and is not a folder", dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				return fmt.Errorf("report: %s exists, is not empty and holds no report; not replacing it", dir)
			}
		}
		old := tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			os.Rename(old, dir) // put the previous report back
			return fmt.Errorf("report: %w", err)
		}
		os.RemoveAll(old)
		return nil
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// writeSynced writes data to a new file and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("report: %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("report: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	return nil
}
