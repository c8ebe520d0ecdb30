package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"

	"github.com/fluens-lab/fluens/idx"
)

// MixPrefix is the folder name prefix of a mix in a prepared data folder
// (conv_div_mix_00 … conv_div_mix_10, DESIGN.md).
const MixPrefix = "conv_div_mix_"

var mixName = regexp.MustCompile(`^conv_div_mix_([0-9]{2,})$`)

// Mix is one dataset of a prepared folder.
type Mix struct {
	Name  string // folder name, e.g. conv_div_mix_03
	Index int    // the number in the name (3): the x of the decay curve
	Dir   string // the folder
	// Hash is the data's content hash: the hex SHA-256 of the four MNIST
	// files' names and SHA-256 sums (see DataHash; the content_hash of
	// labels.json).
	Hash string

	prep *idx.Prepared // the prepared folder, when it has labels.json
	k    int           // the mix's position in prep
}

// FindMixes lists the mixes of a prepared data folder in index order with
// their data hashes. A folder written by fluens prepare (with labels.json)
// is opened with idx.Open, its hashes taken from labels.json and its files
// checked against them when loaded. A folder without labels.json is read
// as any set of MNIST-layout folders named conv_div_mix_NN, hashed here.
// It fails with an error naming the folder when prep does not exist, its
// labels.json is invalid, it holds no mix, or a mix lacks a file.
func FindMixes(prep string) ([]Mix, error) {
	if _, err := os.Stat(filepath.Join(prep, idx.ManifestFile)); err == nil {
		p, err := idx.Open(prep)
		if err != nil {
			return nil, err
		}
		mixes := make([]Mix, len(p.Manifest.Mixes))
		for k, e := range p.Manifest.Mixes {
			mixes[k] = Mix{Name: e.Name, Index: e.Index, Dir: p.MixDir(k), Hash: e.ContentHash, prep: p, k: k}
		}
		return mixes, nil
	}
	st, err := os.Stat(prep)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sweep: prepared data folder %s does not exist (run fluens prepare)", prep)
		}
		return nil, fmt.Errorf("sweep: prepared data folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("sweep: prepared data folder %s is not a folder", prep)
	}
	ents, err := os.ReadDir(prep)
	if err != nil {
		return nil, fmt.Errorf("sweep: prepared data folder: %w", err)
	}
	var mixes []Mix
	for _, e := range ents {
		m := mixName.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		i, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("sweep: %s: bad mix number", filepath.Join(prep, e.Name()))
		}
		dir := filepath.Join(prep, e.Name())
		h, err := DataHash(dir)
		if err != nil {
			return nil, err
		}
		mixes = append(mixes, Mix{Name: e.Name(), Index: i, Dir: dir, Hash: h})
	}
	if len(mixes) == 0 {
		return nil, fmt.Errorf("sweep: %s holds no %sNN folder: not a prepared data folder (run fluens prepare)", prep, MixPrefix)
	}
	sort.Slice(mixes, func(a, b int) bool { return mixes[a].Index < mixes[b].Index })
	for i := 1; i < len(mixes); i++ {
		if mixes[i].Index == mixes[i-1].Index {
			return nil, fmt.Errorf("sweep: %s: mixes %s and %s share index %d", prep, mixes[i-1].Name, mixes[i].Name, mixes[i].Index)
		}
	}
	return mixes, nil
}

// DataHash returns the content hash of an MNIST-layout folder: the hex
// SHA-256 of the lines "<sha256 hex>  <file name>\n" (the sha256sum format)
// of its four files in idx.Files order.
func DataHash(dir string) (string, error) {
	outer := sha256.New()
	for _, name := range idx.Files {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("sweep: mix %s lacks %s", dir, name)
			}
			return "", fmt.Errorf("sweep: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("sweep: %s: %w", path, err)
		}
		fmt.Fprintf(outer, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
	}
	return hex.EncodeToString(outer.Sum(nil)), nil
}

// Data is a mix loaded in memory.
type Data struct {
	Train, Test idx.Dataset
}

// loader loads each mix once, on first use, and keeps it.
type loader struct {
	mu    sync.Mutex
	cache map[string]*loadOnce
}

type loadOnce struct {
	once sync.Once
	d    *Data
	err  error
}

func (l *loader) load(m Mix) (*Data, error) {
	l.mu.Lock()
	if l.cache == nil {
		l.cache = make(map[string]*loadOnce)
	}
	e := l.cache[m.Dir]
	if e == nil {
		e = &loadOnce{}
		l.cache[m.Dir] = e
	}
	l.mu.Unlock()
	e.once.Do(func() {
		var train, test idx.Dataset
		var err error
		if m.prep != nil {
			train, test, err = m.prep.Mix(m.k)
		} else {
			train, test, err = idx.ReadDir(m.Dir)
		}
		if err != nil {
			e.err = err
			return
		}
		for _, d := range []idx.Dataset{train, test} {
			if d.Rows != 28 || d.Cols != 28 {
				e.err = fmt.Errorf("sweep: mix %s: images are %d×%d, the zoo needs 28×28", m.Dir, d.Rows, d.Cols)
				return
			}
			for _, y := range d.Labels {
				if y >= 10 {
					e.err = fmt.Errorf("sweep: mix %s: label %d out of 0..9", m.Dir, y)
					return
				}
			}
		}
		if train.Len() == 0 || test.Len() == 0 {
			e.err = fmt.Errorf("sweep: mix %s: empty train or test set", m.Dir)
			return
		}
		e.d = &Data{Train: train, Test: test}
	})
	return e.d, e.err
}
