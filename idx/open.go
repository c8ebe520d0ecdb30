package idx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/fluens-lab/fluens/mix"
)

// ErrNotPrepared is wrapped by Open's error for a folder that is not a
// complete prepared folder.
var ErrNotPrepared = errors.New("not a prepared data folder")

// Prepared is a prepared data folder opened for reading. Its mixes load on
// demand.
type Prepared struct {
	Dir      string
	Manifest Manifest
}

// Open reads the manifest of the prepared folder dir and checks that every
// mix folder holds its four files. It does not read the IDX data.
func Open(dir string) (*Prepared, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("idx: prepared folder %s does not exist (make one with fluens prepare)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("idx: %s: %w: not a folder", dir, ErrNotPrepared)
	}
	mp := filepath.Join(dir, ManifestFile)
	raw, err := os.ReadFile(mp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("idx: %s: %w: it has no %s (make one with fluens prepare)", dir, ErrNotPrepared, ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	man, err := ParseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("idx: %s: %w: %v", mp, ErrNotPrepared, err)
	}
	for _, m := range man.Mixes {
		for _, f := range Files {
			p := filepath.Join(dir, m.Name, f)
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				return nil, fmt.Errorf("idx: %s: %w: %s is missing", dir, ErrNotPrepared, filepath.Join(m.Name, f))
			}
		}
	}
	return &Prepared{Dir: dir, Manifest: man}, nil
}

// ParseManifest parses and validates the content of a labels.json: its
// format, lists of equal lengths, mixes that match the lists slot by slot,
// and a sha256 for every file whose content hash agrees.
func ParseManifest(raw []byte) (Manifest, error) {
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return Manifest{}, err
	}
	if err := man.check(); err != nil {
		return Manifest{}, err
	}
	return man, nil
}

// check validates the manifest's structure.
func (m *Manifest) check() error {
	if m.Format != ManifestFormat {
		return fmt.Errorf("format %q, want %q", m.Format, ManifestFormat)
	}
	n := len(m.Convergent)
	if n < 1 || n > mix.Slots || len(m.Divergent) != n {
		return fmt.Errorf("%d convergent and %d divergent labels, want equal counts of 1–%d", n, len(m.Divergent), mix.Slots)
	}
	for label, rel := range m.Averages {
		// Readers open these paths: they must stay in averages/.
		if path.Dir(rel) != AveragesDir || path.Clean(rel) != rel || !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("average image of %q at %q: not inside %s/", label, rel, AveragesDir)
		}
	}
	want := mix.Mixes(m.Convergent, m.Divergent)
	if len(m.Mixes) != len(want) {
		return fmt.Errorf("%d mixes, want %d", len(m.Mixes), len(want))
	}
	for k, e := range m.Mixes {
		if e.Name != want[k].Name() || e.Index != k {
			return fmt.Errorf("mix %d is named %q (index %d), want %q", k, e.Name, e.Index, want[k].Name())
		}
		if len(e.Labels) != n {
			return fmt.Errorf("%s has %d slots, want %d", e.Name, len(e.Labels), n)
		}
		for i, l := range e.Labels {
			if l != want[k].Labels[i] {
				return fmt.Errorf("%s slot %d is %q, but the lists put %q there", e.Name, i, l, want[k].Labels[i])
			}
		}
		for _, f := range Files {
			if len(e.SHA256[f]) != 64 {
				return fmt.Errorf("%s: no sha256 for %s", e.Name, f)
			}
		}
		if e.ContentHash != contentHash(e.SHA256) {
			return fmt.Errorf("%s: content hash does not match the file digests", e.Name)
		}
	}
	return nil
}

// Len returns the number of mixes.
func (p *Prepared) Len() int { return len(p.Manifest.Mixes) }

// MixDir returns the folder of mix k.
func (p *Prepared) MixDir(k int) string { return filepath.Join(p.Dir, p.Manifest.Mixes[k].Name) }

// Mix reads the train and test sets of mix k. It checks every file against
// the sha256 recorded in labels.json, the labels against the number of
// slots, and the counts against the manifest.
func (p *Prepared) Mix(k int) (train, test Dataset, err error) {
	if k < 0 || k >= p.Len() {
		return Dataset{}, Dataset{}, fmt.Errorf("idx: %s: no mix %d (have 0–%d)", p.Dir, k, p.Len()-1)
	}
	e := p.Manifest.Mixes[k]
	dir := p.MixDir(k)
	classes := len(e.Labels)
	var sets [2]Dataset
	for i := range sets {
		var im Images
		var labels []uint8
		for j, f := range Files[2*i : 2*i+2] {
			path := filepath.Join(dir, f)
			raw, err := os.ReadFile(path)
			if err != nil {
				return Dataset{}, Dataset{}, fmt.Errorf("idx: %w", err)
			}
			sum := sha256.Sum256(raw)
			if got := hex.EncodeToString(sum[:]); got != e.SHA256[f] {
				return Dataset{}, Dataset{}, fmt.Errorf("idx: %s: sha256 %s differs from %s recorded in %s: the file changed after prepare",
					path, got, e.SHA256[f], ManifestFile)
			}
			if j == 0 {
				im, err = DecodeImages(bytes.NewReader(raw))
			} else {
				labels, err = DecodeLabels(bytes.NewReader(raw), classes)
			}
			if err != nil {
				return Dataset{}, Dataset{}, fmt.Errorf("idx: %s: %w", path, err)
			}
		}
		if im.N != len(labels) {
			return Dataset{}, Dataset{}, fmt.Errorf("idx: %s: %w: %d images, %d labels", dir, ErrCountMismatch, im.N, len(labels))
		}
		sets[i] = Dataset{Rows: im.Rows, Cols: im.Cols, Images: im.Pixels, Labels: labels}
	}
	if sets[0].Len() != e.Train || sets[1].Len() != e.Test {
		return Dataset{}, Dataset{}, fmt.Errorf("idx: %s: %d train and %d test images, %s says %d and %d",
			dir, sets[0].Len(), sets[1].Len(), ManifestFile, e.Train, e.Test)
	}
	return sets[0], sets[1], nil
}
