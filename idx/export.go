package idx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"

	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/mix"
)

// Names of the files of a prepared folder besides the mix folders.
const (
	ManifestFile = "labels.json"
	MeasuresFile = "measures.csv"
	AveragesDir  = "averages"
	ReadmeFile   = "README.md"
)

// ManifestFormat names the version of the labels.json schema.
const ManifestFormat = "fluens-prepared/1"

// Manifest is the content of labels.json: what a prepared folder holds and
// how it was made.
type Manifest struct {
	Format     string       `json:"format"`     // ManifestFormat
	Convergent []string     `json:"convergent"` // most convergent first
	Divergent  []string     `json:"divergent"`  // most divergent first
	Mixes      []MixEntry   `json:"mixes"`      // mix_00 … mix_n
	Settings   mix.Settings `json:"settings"`
	// Averages maps each measured label to its PNG, relative to the folder.
	Averages map[string]string `json:"averages"`
}

// MixEntry describes one mix folder.
type MixEntry struct {
	Name   string   `json:"name"`   // folder name, conv_div_mix_NN
	Index  int      `json:"index"`  // k: slots 0 … k-1 hold divergent labels
	Labels []string `json:"labels"` // label name of each slot (class index)
	Train  int      `json:"train"`  // training images
	Test   int      `json:"test"`   // test images
	// SHA256 maps each of the four file names to the hex sha256 of its bytes.
	SHA256 map[string]string `json:"sha256"`
	// ContentHash is the hex sha256 of the four file digests in the order of
	// Files, one "digest  name\n" line each: it keys the mix's data content.
	ContentHash string `json:"content_hash"`
}

// ErrExists is wrapped by Export's error when the destination exists and
// overwriting was not asked for.
var ErrExists = errors.New("already exists")

// ExportOptions configures Export.
type ExportOptions struct {
	// Context, if not nil, stops the export between files when done; the
	// temporary folder is then removed and the destination left as it was.
	Context context.Context
	// Force replaces an existing destination folder. The old folder is
	// renamed aside, the new one renamed into place, then the old one
	// removed, so an interruption never loses both.
	Force bool
	// Progress, if not nil, is called after each mix is written with the
	// count done and the total.
	Progress func(done, total int)
	// Workers bounds the mixes compressed at once (≤ 0: 1). The bytes
	// written do not depend on it.
	Workers int
}

// Export writes bundle b as a prepared data folder at dir (see the package
// documentation and DESIGN.md, "Contracts between stages"). The folder is
// built at dir + ".tmp-<random>" and renamed to dir once complete and
// synced; on error the temporary folder is removed.
func Export(dir string, b *mix.Bundle, opt ExportOptions) (err error) {
	dir = filepath.Clean(dir)
	exists, err := checkDest(dir, opt.Force)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	tmp := dir + ".tmp-" + randomSuffix()
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := writeFolder(tmp, b, opt); err != nil {
		return err
	}
	if opt.Context != nil && opt.Context.Err() != nil {
		return opt.Context.Err()
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if exists {
		// Re-check: the folder may have gone or changed kind meanwhile.
		if _, err := checkDest(dir, true); err != nil {
			return err
		}
		old := dir + ".old-" + randomSuffix()
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("idx: moving the old %s aside: %w", dir, err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			if rerr := os.Rename(old, dir); rerr != nil {
				return fmt.Errorf("idx: %w (and restoring the old folder from %s failed: %v)", err, old, rerr)
			}
			return fmt.Errorf("idx: %w", err)
		}
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return err
		}
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("idx: %s is written, but removing the old folder %s failed: %w", dir, old, err)
		}
		return nil
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Lstat(dir); serr == nil {
			return fmt.Errorf("idx: output folder %s: %w (it appeared while writing)", dir, ErrExists)
		}
		return fmt.Errorf("idx: %w", err)
	}
	return syncDir(filepath.Dir(dir))
}

// checkDest reports whether dir exists, and an error when it exists and
// may not be replaced, or is not a folder.
func checkDest(dir string, force bool) (bool, error) {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("idx: %w", err)
	}
	if !st.IsDir() {
		return true, fmt.Errorf("idx: output %s %w and is not a folder", dir, ErrExists)
	}
	if !force {
		return true, fmt.Errorf("idx: output folder %s %w; choose another or ask to overwrite it", dir, ErrExists)
	}
	return true, nil
}

// CheckDest returns an error, wrapping ErrExists, when dir exists and force
// is false, or when dir exists and is not a folder: what Export would refuse.
func CheckDest(dir string, force bool) error {
	_, err := checkDest(filepath.Clean(dir), force)
	return err
}

// writeFolder writes every file of the prepared folder into dir.
func writeFolder(dir string, b *mix.Bundle, opt ExportOptions) error {
	man := Manifest{
		Format:     ManifestFormat,
		Convergent: b.Convergent,
		Divergent:  b.Divergent,
		Settings:   b.Settings,
		Averages:   map[string]string{},
	}
	entries := make([]MixEntry, len(b.Mixes))
	errs := make([]error, len(b.Mixes))
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
		next = make(chan int, len(b.Mixes))
	)
	for k := range b.Mixes {
		next <- k
	}
	close(next)
	for range min(max(opt.Workers, 1), len(b.Mixes)) {
		wg.Go(func() {
			for k := range next {
				if opt.Context != nil && opt.Context.Err() != nil {
					errs[k] = opt.Context.Err()
					continue
				}
				if entries[k], errs[k] = writeMix(dir, b, k); errs[k] != nil {
					continue
				}
				mu.Lock()
				done++
				if opt.Progress != nil {
					opt.Progress(done, len(b.Mixes))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for k, m := range b.Mixes {
		if errs[k] != nil {
			return errs[k]
		}
		entries[k].Labels = m.Labels
	}
	man.Mixes = entries
	if err := writeNew(filepath.Join(dir, MeasuresFile), func(w io.Writer) error {
		return measure.WriteCSV(w, b.Measures)
	}); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(dir, AveragesDir), 0o755); err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	used := map[string]bool{}
	for _, r := range b.Measures {
		name := uniqueName(SafeFileName(r.Category), used) + ".png"
		rel := AveragesDir + "/" + name
		if err := writeNew(filepath.Join(dir, AveragesDir, name), func(w io.Writer) error {
			return measure.WriteAveragePNG(w, r.Average)
		}); err != nil {
			return fmt.Errorf("idx: average of %q: %w", r.Category, err)
		}
		man.Averages[r.Category] = rel
	}
	if err := syncDir(filepath.Join(dir, AveragesDir)); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(dir, ReadmeFile), func(w io.Writer) error {
		return writeReadme(w, &man)
	}); err != nil {
		return err
	}
	// labels.json last: a folder without it is not a prepared folder.
	return writeNew(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&man)
	})
}

// writeMix writes mix k's folder and returns its entry with file digests.
func writeMix(dir string, b *mix.Bundle, k int) (MixEntry, error) {
	m := b.Mixes[k]
	train, test, err := b.Sets(k)
	if err != nil {
		return MixEntry{}, err
	}
	md := filepath.Join(dir, m.Name())
	if err := os.Mkdir(md, 0o755); err != nil {
		return MixEntry{}, fmt.Errorf("idx: %w", err)
	}
	side := 28
	if err := writeDir(md,
		Dataset{Rows: side, Cols: side, Images: train.Images, Labels: train.Labels},
		Dataset{Rows: side, Cols: side, Images: test.Images, Labels: test.Labels}, writeNew); err != nil {
		return MixEntry{}, err
	}
	if err := syncDir(md); err != nil {
		return MixEntry{}, err
	}
	e := MixEntry{Name: m.Name(), Index: k, Train: train.Len(), Test: test.Len(), SHA256: map[string]string{}}
	for _, f := range Files {
		sum, err := fileSHA256(filepath.Join(md, f))
		if err != nil {
			return MixEntry{}, err
		}
		e.SHA256[f] = sum
	}
	e.ContentHash = contentHash(e.SHA256)
	return e, nil
}

// contentHash hashes the four file digests in the order of Files.
func contentHash(sums map[string]string) string {
	h := sha256.New()
	for _, f := range Files {
		fmt.Fprintf(h, "%s  %s\n", sums[f], f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("idx: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("idx: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SafeFileName turns a label into a file name (without extension) that
// stays inside its folder: letters, digits, spaces, '-', '_' and '.' are
// kept, every other character (path separators included) becomes '_', and
// a name that is empty or starts with '.' gets a leading '_'.
func SafeFileName(label string) string {
	var sb strings.Builder
	for _, r := range label {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-' || r == '_' || r == '.'):
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	s := sb.String()
	if len(s) > 100 {
		s = s[:100]
	}
	if s == "" || s[0] == '.' || s[0] == ' ' {
		s = "_" + s
	}
	return s
}

// uniqueName returns name, or name-2, name-3, … when taken, and marks it
// used. Case is folded so names stay distinct on case-insensitive disks.
func uniqueName(name string, used map[string]bool) string {
	cand := name
	for i := 2; used[strings.ToLower(cand)]; i++ {
		cand = fmt.Sprintf("%s-%d", name, i)
	}
	used[strings.ToLower(cand)] = true
	return cand
}
