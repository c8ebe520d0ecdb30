package quickdraw

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultURL is the base URL of the official QuickDraw bucket. Files live
// at DefaultURL + "/numpy_bitmap/<category>.npy" and
// DefaultURL + "/simplified/<category>.ndjson", names URL-escaped.
const DefaultURL = "https://storage.googleapis.com/quickdraw_dataset/full"

// Source gives access to the drawings of a QuickDraw copy laid out like the
// official dataset: numpy_bitmap/<category>.npy and simplified/<category>.ndjson.
type Source interface {
	// Has reports whether the source holds the category in format f.
	Has(ctx context.Context, category string, f Format) (bool, error)
	// Bitmaps returns a reader of the first limit bitmaps of the category
	// (all when limit ≤ 0). A missing category is an error naming the file or URL.
	Bitmaps(ctx context.Context, category string, limit int) (*BitmapReader, error)
	// Strokes returns a reader of the first limit simplified drawings of
	// the category (all when limit ≤ 0).
	Strokes(ctx context.Context, category string, limit int) (*StrokeReader, error)
	// String names the source: its folder or base URL.
	String() string
}

// Options configures Open.
type Options struct {
	// CacheDir is where an HTTP source keeps what it fetched; "" means
	// os.UserCacheDir()/fluens/quickdraw. Unused for folders.
	CacheDir string
	// Client makes the HTTP requests; nil means http.DefaultClient.
	Client *http.Client
}

// Open returns the source at location: an http:// or https:// base URL
// (such as DefaultURL) or a folder holding numpy_bitmap/ or simplified/.
func Open(location string, opt Options) (Source, error) {
	if l := strings.ToLower(location); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		return openHTTP(location, opt)
	}
	st, err := os.Stat(location)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("quickdraw: source folder %s does not exist", location)
		}
		return nil, fmt.Errorf("quickdraw: source %s: %w", location, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("quickdraw: source %s is not a folder", location)
	}
	found := false
	for _, f := range []Format{Bitmap, Simplified} {
		if st, err := os.Stat(filepath.Join(location, f.dir())); err == nil && st.IsDir() {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("quickdraw: source folder %s holds neither numpy_bitmap/ nor simplified/", location)
	}
	return dirSource(location), nil
}

// dirSource is a local folder in the official layout.
type dirSource string

func (d dirSource) String() string { return string(d) }

func (d dirSource) path(category string, f Format) (string, error) {
	if !validName(category) {
		return "", fmt.Errorf("quickdraw: invalid category name %q", category)
	}
	return filepath.Join(string(d), f.dir(), category+f.ext()), nil
}

func (d dirSource) Has(ctx context.Context, category string, f Format) (bool, error) {
	p, err := d.path(category, f)
	if err != nil {
		return false, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("quickdraw: %w", err)
	}
	return st.Mode().IsRegular(), nil
}

func (d dirSource) open(category string, f Format) (*os.File, string, error) {
	p, err := d.path(category, f)
	if err != nil {
		return nil, "", err
	}
	fh, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("quickdraw: category %q: %s does not exist", category, p)
		}
		return nil, "", fmt.Errorf("quickdraw: %w", err)
	}
	return fh, p, nil
}

func (d dirSource) Bitmaps(ctx context.Context, category string, limit int) (*BitmapReader, error) {
	fh, p, err := d.open(category, Bitmap)
	if err != nil {
		return nil, err
	}
	r, err := NewBitmapReader(fh, p, limit)
	if err != nil {
		fh.Close()
		return nil, err
	}
	return r, nil
}

func (d dirSource) Strokes(ctx context.Context, category string, limit int) (*StrokeReader, error) {
	fh, p, err := d.open(category, Simplified)
	if err != nil {
		return nil, err
	}
	return NewStrokeReader(fh, p, limit)
}
